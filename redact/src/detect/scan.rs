//! The fast path of the search: instead of asking an unanchored automaton for the leftmost
//! match again and again (a forward and a reverse scan per match, plus the engine's per-call
//! set-up), walk the text once, and at each position where a match could start run the lazy
//! DFA *anchored* there. Positions where no pattern can start are skipped by a table of which
//! two-byte openings keep the automaton alive, computed from the automaton itself when the
//! detector is built, so the filter can never drop a position that could match.
//!
//! Every pattern starts either at a word start (a letter or digit after a byte that is not
//! one) or at `+`, `(` or `$`; see `patterns.rs`.

use std::sync::Mutex;

use regex_automata::hybrid::LazyStateID;
use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_automata::util::{start, syntax};
use regex_automata::{Anchored, MatchKind};

/// What the caller did with a candidate: where to look next.
pub enum Next {
    /// Continue at this byte offset (greater than the candidate's start).
    At(usize),
    /// Nothing here: continue after the candidate's start.
    Skip,
}

/// The anchored lazy DFA over the whole pattern table, its caches, and the opening table.
#[derive(Debug)]
pub struct Scanner {
    dfa: DFA,
    caches: Mutex<Vec<Cache>>,
    /// Bit `(class * 128 + b0) * 128 + b1`: whether some pattern can start with `b0 b1` after a
    /// byte of look-behind class `class` (0: start of text, 1: a non-word byte, 2: `_`).
    alive: Vec<u64>,
}

/// The automaton could not run (its cache thrashed); the caller falls back to the slow path.
#[derive(Debug)]
pub struct GaveUp;

const CLASSES: [Option<u8>; 3] = [None, Some(b' '), Some(b'_')];

fn class_of(look_behind: Option<u8>) -> usize {
    match look_behind {
        None => 0,
        Some(b'_') => 2,
        Some(_) => 1,
    }
}

impl Scanner {
    /// Compiles `patterns` (leftmost-first, ASCII) and computes the opening table.
    pub fn new(patterns: &[&str]) -> Self {
        let dfa = DFA::builder()
            .configure(
                DFA::config()
                    .match_kind(MatchKind::LeftmostFirst)
                    .cache_capacity(8 << 20),
            )
            .syntax(syntax::Config::new().unicode(false).utf8(false))
            .build_many(patterns)
            // The patterns are constants of this crate; a test compiles them.
            .expect("the bundled PHI patterns compile");
        let mut cache = dfa.create_cache();
        let mut alive = vec![0u64; 3 * 128 * 128 / 64];
        for (class, look_behind) in CLASSES.iter().enumerate() {
            let config = start::Config::new()
                .anchored(Anchored::Yes)
                .look_behind(*look_behind);
            let Ok(s0) = dfa.start_state(&mut cache, &config) else {
                // Cannot tell: mark the whole class alive (the filter then skips nothing).
                for b in 0..128 * 128 {
                    let bit = class * 128 * 128 + b;
                    alive[bit / 64] |= 1 << (bit % 64);
                }
                continue;
            };
            for b0 in 0..128u8 {
                let s1 = dfa.next_state(&mut cache, s0, b0);
                for b1 in 0..128u8 {
                    let live = match s1 {
                        Ok(s1) if s1.is_dead() => false,
                        Ok(s1) => live_after(&dfa, &mut cache, s1, b1),
                        Err(_) => true,
                    };
                    if live {
                        let bit = (class * 128 + usize::from(b0)) * 128 + usize::from(b1);
                        alive[bit / 64] |= 1 << (bit % 64);
                    }
                }
            }
        }
        Scanner {
            dfa,
            caches: Mutex::new(vec![cache]),
            alive,
        }
    }

    fn may_start(&self, look_behind: Option<u8>, b0: u8, b1: u8) -> bool {
        // Every pattern is ASCII: a non-ASCII second byte means the automaton dies there,
        // unless the first byte alone could already have matched (none can), so only an
        // ASCII first byte is worth a look.
        if b0 >= 128 || b1 >= 128 {
            return b0 < 128;
        }
        let bit = (class_of(look_behind) * 128 + usize::from(b0)) * 128 + usize::from(b1);
        self.alive[bit / 64] & (1 << (bit % 64)) != 0
    }

    /// Calls `on_match(pattern, start, end)` for the leftmost-first match at each position
    /// where one starts, left to right, continuing where `on_match` says.
    #[inline(never)]
    pub fn scan(
        &self,
        text: &str,
        mut on_match: impl FnMut(usize, usize, usize) -> Next,
    ) -> Result<(), GaveUp> {
        with_pooled_cache(&self.caches, &self.dfa, |cache| {
            self.scan_with(cache, text, &mut on_match)
        })
    }

    fn scan_with(
        &self,
        cache: &mut Cache,
        text: &str,
        on_match: &mut impl FnMut(usize, usize, usize) -> Next,
    ) -> Result<(), GaveUp> {
        let b = text.as_bytes();
        let len = b.len();
        let mut starts = Starts::new(cache);
        let mut p = 0;
        while p < len {
            let c = b[p];
            let class = CLASS[usize::from(c)];
            if class == OTHER {
                p += 1;
                continue;
            }
            let look_behind = p.checked_sub(1).map(|i| b[i]);
            let word_start = class == WORD;
            if word_start {
                if look_behind.is_some_and(|l| CLASS[usize::from(l)] == WORD) {
                    // No pattern starts inside a word: skip to its end.
                    p = word_end(b, p);
                    continue;
                }
                if p + 1 < len && !self.may_start(look_behind, c, b[p + 1]) {
                    p = word_end(b, p);
                    continue;
                }
            }
            let start = starts.get(&self.dfa, cache, look_behind)?;
            match self.run(cache, b, p, start)? {
                Some((pattern, end)) => match on_match(pattern, p, end) {
                    Next::At(next) => p = next.max(p + 1),
                    Next::Skip => p += 1,
                },
                None if word_start => p = word_end(b, p),
                None => p += 1,
            }
            while p < len && !text.is_char_boundary(p) {
                p += 1;
            }
        }
        Ok(())
    }

    /// The leftmost-first match anchored at `p` (its pattern and end), walking the lazy DFA
    /// from `start` byte by byte as `hybrid::search::find_fwd` does, without its per-call
    /// set-up (the input's checks, the start state's look-up): the scan calls this at tens
    /// of thousands of positions per document.
    fn run(
        &self,
        cache: &mut Cache,
        b: &[u8],
        p: usize,
        start: LazyStateID,
    ) -> Result<Option<(usize, usize)>, GaveUp> {
        let dfa = &self.dfa;
        let mut sid = start;
        let mut found = None;
        let mut at = p;
        while at < b.len() {
            let byte = b[at];
            if sid.is_tagged() {
                sid = dfa.next_state(cache, sid, byte).map_err(|_| GaveUp)?;
            } else {
                let next = dfa.next_state_untagged(cache, sid, byte);
                sid = if next.is_unknown() {
                    dfa.next_state(cache, sid, byte).map_err(|_| GaveUp)?
                } else {
                    next
                };
            }
            if sid.is_tagged() {
                if sid.is_match() {
                    // Matches are reported one byte late: this one ends before `at`.
                    found = Some((dfa.match_pattern(cache, sid, 0).as_usize(), at));
                } else if sid.is_dead() {
                    return Ok(found);
                } else if sid.is_quit() {
                    return Err(GaveUp);
                }
            }
            at += 1;
        }
        sid = dfa.next_eoi_state(cache, sid).map_err(|_| GaveUp)?;
        if sid.is_match() {
            found = Some((dfa.match_pattern(cache, sid, 0).as_usize(), b.len()));
        }
        Ok(found)
    }
}

/// The anchored start state for each look-behind byte, looked up once per scan; forgotten
/// when the lazy DFA clears its cache (which invalidates every state id).
struct Starts {
    ids: [Option<LazyStateID>; 257],
    clears: usize,
}

impl Starts {
    fn new(cache: &Cache) -> Self {
        Starts {
            ids: [None; 257],
            clears: cache.clear_count(),
        }
    }

    fn get(
        &mut self,
        dfa: &DFA,
        cache: &mut Cache,
        look_behind: Option<u8>,
    ) -> Result<LazyStateID, GaveUp> {
        if cache.clear_count() != self.clears {
            self.ids = [None; 257];
            self.clears = cache.clear_count();
        }
        let slot = look_behind.map_or(256, usize::from);
        if let Some(id) = self.ids[slot] {
            return Ok(id);
        }
        let config = start::Config::new()
            .anchored(Anchored::Yes)
            .look_behind(look_behind);
        let id = dfa.start_state(cache, &config).map_err(|_| GaveUp)?;
        // Computing the start state may itself have cleared the cache.
        if cache.clear_count() != self.clears {
            self.ids = [None; 257];
            self.clears = cache.clear_count();
        }
        self.ids[slot] = Some(id);
        Ok(id)
    }
}

/// Whether the DFA in state `s` is still alive after `b` (a match counts as alive).
fn live_after(dfa: &DFA, cache: &mut Cache, s: LazyStateID, b: u8) -> bool {
    if s.is_match() {
        return true;
    }
    match dfa.next_state(cache, s, b) {
        Ok(s2) => !s2.is_dead(),
        Err(_) => true,
    }
}

/// The end of the run of letters and digits starting at `p`.
fn word_end(b: &[u8], p: usize) -> usize {
    let mut i = p + 1;
    while i < b.len() && CLASS[usize::from(b[i])] == WORD {
        i += 1;
    }
    i
}

/// A byte no pattern starts at.
const OTHER: u8 = 0;
/// An ASCII letter or digit: a pattern may start where a word does.
const WORD: u8 = 1;
/// `+`, `(` or `$`: a pattern may start here outside a word.
const OPENER: u8 = 2;

/// The class of every byte, one look-up instead of range tests in the scan's inner loops.
static CLASS: [u8; 256] = {
    let mut table = [OTHER; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        if b.is_ascii_alphanumeric() {
            table[c] = WORD;
        } else if matches!(b, b'+' | b'(' | b'$') {
            table[c] = OPENER;
        }
        c += 1;
    }
    table
};
/// Runs `f` with a cache for `dfa` taken from `pool` (made if the pool is empty) and puts it
/// back after: each thread that redacts at once gets a cache of its own, and none is
/// rebuilt per call.
pub(super) fn with_pooled_cache<R>(
    pool: &Mutex<Vec<Cache>>,
    dfa: &DFA,
    f: impl FnOnce(&mut Cache) -> R,
) -> R {
    let mut cache = pool
        .lock()
        .ok()
        .and_then(|mut pool| pool.pop())
        .unwrap_or_else(|| dfa.create_cache());
    let result = f(&mut cache);
    if let Ok(mut pool) = pool.lock() {
        pool.push(cache);
    }
    result
}
