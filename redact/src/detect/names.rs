//! Names: the bundled dictionaries of common US given names and surnames, the words that are
//! never part of a name, and the checks that turn a run of capitalised words into a NAME span.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

/// A word set keyed by bytes with a fast non-cryptographic hash: the keys are public word
/// lists, so hash flooding is no concern, and SipHash was a tenth of the redactor's time.
pub(crate) type WordSet = HashSet<&'static [u8], BuildHasherDefault<WordHasher>>;

/// FNV-1a, 64-bit.
#[derive(Debug)]
pub(crate) struct WordHasher(u64);

impl Default for WordHasher {
    fn default() -> Self {
        WordHasher(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for WordHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

const FIRST_NAMES: &str = include_str!("../../data/first_names.txt");
const SURNAMES: &str = include_str!("../../data/surnames.txt");
const NOT_NAMES: &str = include_str!("../../data/not_names.txt");
const ENGLISH: &str = include_str!("../../data/english_words.txt");

/// Given names that are also everyday words: without a cue they count only beside a surname.
const AMBIGUOUS_FIRST: &[&str] = &[
    "will",
    "mark",
    "grace",
    "hope",
    "april",
    "may",
    "june",
    "rose",
    "joy",
    "bill",
    "pat",
    "page",
    "art",
    "guy",
    "dawn",
    "holly",
    "amber",
    "faith",
    "destiny",
    "jordan",
    "christian",
    "august",
    "frank",
    "gene",
    "jack",
    "carol",
    "billy",
    "terry",
    "lily",
    "ruth",
    "virginia",
    "victoria",
    "charlotte",
    "alexander",
    "henry",
    "lawrence",
];

/// Surnames that are also everyday words ("Park", "Long", "White"): without a cue they count
/// only after a given name.
const AMBIGUOUS_LAST: &[&str] = &[
    "white",
    "green",
    "brown",
    "black",
    "gray",
    "young",
    "king",
    "hill",
    "wood",
    "woods",
    "long",
    "price",
    "bell",
    "rose",
    "stone",
    "fox",
    "west",
    "park",
    "lane",
    "rice",
    "mills",
    "hunt",
    "cole",
    "ford",
    "grant",
    "mason",
    "hunter",
    "carter",
    "reed",
    "ray",
    "banks",
    "rivers",
    "hall",
    "cook",
    "baker",
    "wells",
    "little",
    "washington",
    "lincoln",
    "jordan",
    "webb",
    "porter",
    "gardner",
    "snyder",
    "marshall",
    "may",
    "page",
    "bishop",
    "church",
    "chase",
    "guy",
    "love",
    "hope",
    "joy",
    "house",
    "street",
    "spencer",
    "morgan",
    "lee",
];

/// The longest word looked up; longer words are never in the dictionaries.
const MAX_WORD: usize = 24;

/// The bundled name dictionaries.
#[derive(Debug)]
pub struct NameDictionaries {
    first: WordSet,
    last: WordSet,
    stop: WordSet,
    ambiguous: WordSet,
    ambiguous_last: WordSet,
    english: WordSet,
}

fn word_list(data: &'static str) -> WordSet {
    data.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::as_bytes)
        .collect()
}

/// Looks `word` (any case, a trailing `.` ignored) up in `set`, whole or by its hyphenated
/// parts; lower-cases into a stack buffer, never allocates.
pub(crate) fn contains(set: &WordSet, word: &str) -> bool {
    let word = word.strip_suffix('.').unwrap_or(word);
    if word.is_empty() || word.len() > MAX_WORD {
        return false;
    }
    let mut buf = [0u8; MAX_WORD];
    let lower = &mut buf[..word.len()];
    lower.copy_from_slice(word.as_bytes());
    lower.make_ascii_lowercase();
    let lower: &[u8] = lower;
    set.contains(lower)
        || (lower.contains(&b'-') && lower.split(|&c| c == b'-').any(|p| set.contains(p)))
}

/// A word of a candidate: byte offsets into the text.
#[derive(Debug, Clone, Copy)]
struct Word {
    start: usize,
    end: usize,
}

impl Word {
    fn text<'t>(&self, text: &'t str) -> &'t str {
        &text[self.start..self.end]
    }
}

/// Splits `text[start..end]` into words at spaces, tabs and commas.
fn words(text: &str, start: usize, end: usize) -> Vec<Word> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(4);
    let mut i = start;
    while i < end {
        while i < end && matches!(bytes[i], b' ' | b'\t' | b',') {
            i += 1;
        }
        let s = i;
        while i < end && !matches!(bytes[i], b' ' | b'\t' | b',') {
            i += 1;
        }
        if s < i {
            out.push(Word { start: s, end: i });
        }
    }
    out
}

fn is_initial(w: &str) -> bool {
    let w = w.strip_suffix('.').unwrap_or(w);
    w.len() == 1
}

impl NameDictionaries {
    /// The dictionaries shipped in the crate's `data/` directory.
    pub fn bundled() -> Self {
        NameDictionaries {
            first: word_list(FIRST_NAMES),
            last: word_list(SURNAMES),
            stop: word_list(NOT_NAMES),
            ambiguous: AMBIGUOUS_FIRST.iter().map(|w| w.as_bytes()).collect(),
            ambiguous_last: AMBIGUOUS_LAST.iter().map(|w| w.as_bytes()).collect(),
            english: word_list(ENGLISH),
        }
    }

    /// Whether `word` is a common given name.
    pub fn is_first_name(&self, word: &str) -> bool {
        contains(&self.first, word)
    }

    /// Whether `word` is an English word that is never a proper noun (`Later`, `Seen`).
    pub fn is_english(&self, word: &str) -> bool {
        contains(&self.english, word)
    }

    /// Whether `word` is a common surname.
    pub fn is_surname(&self, word: &str) -> bool {
        contains(&self.last, word)
    }

    /// Whether `word` is never part of a name (field labels, clinical and organisational
    /// vocabulary).
    pub(crate) fn is_stop(&self, word: &str) -> bool {
        contains(&self.stop, word)
    }

    fn is_known(&self, word: &str) -> bool {
        !is_initial(word) && (self.is_first_name(word) || self.is_surname(word))
    }

    /// The words after a cue, cut at the first word that is never part of a name. `strong`
    /// cues ("Patient:", "Dr.") accept any name-shaped words; weak ones ("RE:", "To:") need a
    /// dictionary word among them. Returns the name's byte range.
    pub fn after_cue(
        &self,
        text: &str,
        start: usize,
        end: usize,
        strong: bool,
    ) -> Option<(usize, usize)> {
        let mut kept = Vec::with_capacity(4);
        for w in words(text, start, end) {
            if self.is_stop(w.text(text)) {
                break;
            }
            kept.push(w);
        }
        // A run of initials alone ("Dr. J.") names nobody we can tell.
        if !kept.iter().any(|w| !is_initial(w.text(text))) {
            return None;
        }
        // A weak cue ("RE:", "call", "for") needs a dictionary word, or two name-shaped
        // words that are not field labels or clinical and organisational vocabulary.
        let shaped = kept.iter().filter(|w| !is_initial(w.text(text))).count();
        if !strong && shaped < 2 && !kept.iter().any(|w| self.is_known(w.text(text))) {
            return None;
        }
        Some((kept.first()?.start, trim_end(text, kept.last()?)))
    }

    /// Two name-shaped words without a cue (`Maria Lopez`, `SMITH, JOHN`, `John Q. Public`):
    /// a name when the first is a given name and the second a surname (or, given name then
    /// initial, or an unambiguous given name then a word that is not a stop word), or in
    /// `Surname, Given` order. Returns the name's byte range.
    pub fn pair(&self, text: &str, start: usize, end: usize) -> Option<(usize, usize)> {
        let ws = words(text, start, end);
        let (first, last) = (ws.first()?, ws.last()?);
        let (a, b) = (first.text(text), last.text(text));
        if self.is_stop(a) || self.is_stop(b) || is_initial(a) || is_initial(b) {
            return None;
        }
        let middle_initial = ws.len() == 3 && is_initial(ws[1].text(text));
        let comma = text[first.end..last.start].contains(',');
        let name = if comma {
            (self.is_surname(a) && (self.is_first_name(b) || is_capitalised(b)))
                || (self.is_first_name(b) && is_capitalised(a))
        } else {
            (self.is_first_name(a)
                && (self.is_surname(b)
                    || middle_initial
                    || (!contains(&self.ambiguous, a) && b.len() > 2 && is_capitalised(b))))
                || (self.is_surname(b)
                    && !contains(&self.ambiguous_last, b)
                    && is_capitalised(a)
                    && a.len() > 2)
        };
        name.then(|| (first.start, trim_end(text, last)))
    }
}

/// `Xxxx`, `O'Xxx`, `McXxx` (not all caps: an all-caps word beside a given name is more
/// often a heading).
fn is_capitalised(w: &str) -> bool {
    let b = w.as_bytes();
    b.len() > 1 && b[0].is_ascii_uppercase() && b.iter().any(u8::is_ascii_lowercase)
}

/// A word's end. A trailing `.` stays inside the span: it may belong to the name ("Jr.",
/// "Q."), and redacting a full stop costs nothing.
fn trim_end(_text: &str, w: &Word) -> usize {
    w.end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dictionary_lookups_ignore_case_dots_and_hyphen_parts() {
        let d = NameDictionaries::bundled();
        assert!(d.is_first_name("MARIA"));
        assert!(d.is_surname("Gonzalez-Smith"));
        assert!(d.is_surname("O'Brien"));
        assert!(!d.is_first_name("Cardiology"));
    }

    #[test]
    fn a_cue_keeps_words_up_to_the_first_field_label() {
        let d = NameDictionaries::bundled();
        let text = "Zyx Qwerty DOB 1/2/1960";
        assert_eq!(d.after_cue(text, 0, 14, true), Some((0, 10)));
        // A weak cue needs a dictionary word or two name-shaped words.
        assert_eq!(d.after_cue(text, 0, 14, false), Some((0, 10)));
        assert_eq!(d.after_cue("Zyx DOB", 0, 7, false), None);
        assert_eq!(d.after_cue("Zyx Cardiology", 0, 14, false), None);
        assert_eq!(d.after_cue("Information", 0, 11, true), None);
    }

    #[test]
    fn pairs_need_the_dictionaries_to_agree() {
        let d = NameDictionaries::bundled();
        assert!(d.pair("Maria Lopez", 0, 11).is_some());
        assert!(d.pair("SMITH, JOHN", 0, 11).is_some());
        assert!(d.pair("Prior Authorization", 0, 19).is_none());
        assert!(d.pair("Will Call", 0, 9).is_none());
    }
}
