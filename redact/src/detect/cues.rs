//! Where the cue word of a cue pattern ends and its value starts: every cue part of the
//! pattern table compiled into one lazy DFA with a start state per pattern, searched anchored
//! at the candidate's start. One automaton instead of a full regex engine per cue, so
//! building the detector is cheaper and each look-up skips the engine's per-call set-up.

use std::sync::Mutex;

use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_automata::util::syntax;
use regex_automata::{Anchored, Input, MatchKind, PatternID};

/// The cue parts of the pattern table, one pattern each in one lazy DFA.
#[derive(Debug)]
pub struct Cues {
    dfa: DFA,
    /// For each pattern of the table, the pattern of its cue in `dfa`.
    ids: Vec<Option<PatternID>>,
    /// The cue sources, for the reference search if the DFA gives up.
    sources: Vec<Option<String>>,
    caches: Mutex<Vec<Cache>>,
}

impl Cues {
    /// Compiles the cue part (if any) of every pattern of the table, in table order.
    pub fn new(cues: &[Option<&str>]) -> Self {
        let sources: Vec<&str> = cues.iter().flatten().copied().collect();
        let dfa = DFA::builder()
            .configure(
                DFA::config()
                    .match_kind(MatchKind::LeftmostFirst)
                    .starts_for_each_pattern(true),
            )
            .syntax(syntax::Config::new().unicode(false).utf8(false))
            .build_many(&sources)
            // The patterns are constants of this crate; a test compiles them.
            .expect("the bundled cue patterns compile");
        let mut next = 0;
        let ids = cues
            .iter()
            .map(|c| {
                c.map(|_| {
                    let id = PatternID::new_unchecked(next);
                    next += 1;
                    id
                })
            })
            .collect();
        Cues {
            dfa,
            ids,
            sources: cues.iter().map(|c| c.map(str::to_owned)).collect(),
            caches: Mutex::new(Vec::new()),
        }
    }

    /// Where the cue of table pattern `pattern`, matched anchored at `start` and reading no
    /// further than `end`, ends; `None` if that pattern has no cue or it does not match.
    pub fn end(&self, text: &str, pattern: usize, start: usize, end: usize) -> Option<usize> {
        let id = (*self.ids.get(pattern)?)?;
        let input = Input::new(text)
            .range(start..end)
            .anchored(Anchored::Pattern(id));
        let found = super::scan::with_pooled_cache(&self.caches, &self.dfa, |cache| {
            self.dfa.try_search_fwd(cache, &input)
        });
        match found {
            Ok(m) => m.map(|m| m.offset()),
            // The lazy DFA gave up: the reference engine answers the same question.
            Err(_) => {
                let source = self.sources.get(pattern)?.as_deref()?;
                let re = super::build(&[source]);
                let input = Input::new(text).range(start..end).anchored(Anchored::Yes);
                re.search(&input).map(|m| m.end())
            }
        }
    }
}
