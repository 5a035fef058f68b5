//! Names: the bundled dictionaries of common US given names and surnames, the words that are
//! never part of a name, and the checks that turn a run of capitalised words into a NAME span.

/// One open-addressing table over every bundled word list, keyed by the lower-cased word,
/// holding a bit per list the word is in: one FNV-1a hash and (nearly always) one probe per
/// lookup, no allocation, no UTF-8 check. The keys are public word lists, so hash flooding
/// is no concern.
#[derive(Debug)]
pub(crate) struct WordTable {
    slots: Vec<Slot>,
    bytes: Vec<u8>,
    mask: usize,
}

#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    hash: u32,
    start: u32,
    /// 0: empty.
    len: u16,
    flags: u16,
}

/// FNV-1a, 64-bit.
fn fnv(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    h
}

impl WordTable {
    /// A table of `lists`: each word (as written; lookups are lower-case) with its list's bit.
    fn new(lists: &[(&[&[u8]], u16)]) -> Self {
        let n: usize = lists.iter().map(|(l, _)| l.len()).sum();
        let cap = (n * 2).next_power_of_two().max(16);
        let mut t = WordTable {
            slots: vec![Slot::default(); cap],
            bytes: Vec::new(),
            mask: cap - 1,
        };
        for (list, flag) in lists {
            for w in *list {
                t.insert(w, *flag);
            }
        }
        t
    }

    fn insert(&mut self, w: &[u8], flag: u16) {
        if w.is_empty() || w.len() > usize::from(u16::MAX) {
            return;
        }
        let h = fnv(w);
        let mut i = h as usize & self.mask;
        loop {
            let slot = self.slots[i];
            if slot.len == 0 {
                let start = self.bytes.len() as u32;
                self.bytes.extend_from_slice(w);
                self.slots[i] = Slot {
                    hash: h as u32,
                    start,
                    len: w.len() as u16,
                    flags: flag,
                };
                return;
            }
            if self.key(slot) == w {
                self.slots[i].flags |= flag;
                return;
            }
            i = (i + 1) & self.mask;
        }
    }

    fn key(&self, slot: Slot) -> &[u8] {
        let s = slot.start as usize;
        &self.bytes[s..s + usize::from(slot.len)]
    }

    /// The lists `key` (exact bytes) is in, as bits.
    pub(crate) fn get(&self, key: &[u8]) -> u16 {
        if key.is_empty() {
            return 0;
        }
        let h = fnv(key);
        let mut i = h as usize & self.mask;
        loop {
            let slot = self.slots[i];
            if slot.len == 0 {
                return 0;
            }
            // Words are short: a byte loop beats a call to `memcmp`.
            if slot.hash == h as u32
                && usize::from(slot.len) == key.len()
                && self.key(slot).iter().zip(key).all(|(a, b)| a == b)
            {
                return slot.flags;
            }
            i = (i + 1) & self.mask;
        }
    }
}

/// Bits of [`WordTable`]: the name dictionaries (looked up with one trailing `.` ignored and
/// by hyphenated parts too, words of up to 24 bytes) ...
pub(crate) const FIRST: u16 = 1;
pub(crate) const LAST: u16 = 1 << 1;
pub(crate) const STOP: u16 = 1 << 2;
pub(crate) const AMBIGUOUS: u16 = 1 << 3;
pub(crate) const AMBIGUOUS_LAST_BIT: u16 = 1 << 4;
pub(crate) const ENGLISH: u16 = 1 << 5;
const DICTIONARY_BITS: u16 = (1 << 6) - 1;
/// [`DICTIONARY_BITS`] for the name pass.
pub(crate) const DICTIONARY_MASK: u16 = DICTIONARY_BITS;
/// ... and the name pass's context lists (every trailing `.` ignored, whole words of up to
/// 32 bytes).
pub(crate) const NOT_NAME: u16 = 1 << 6;
pub(crate) const BEFORE: u16 = 1 << 7;
pub(crate) const AFTER: u16 = 1 << 8;
pub(crate) const EPONYM: u16 = 1 << 9;
pub(crate) const PARTICLE: u16 = 1 << 10;
/// A country's name (its last word): the end of an international address.
pub(crate) const COUNTRY: u16 = 1 << 11;
const CONTEXT_BITS: u16 = NOT_NAME | BEFORE | AFTER | EPONYM | PARTICLE | COUNTRY;

/// The longest word looked up in the context lists.
const MAX_CONTEXT_WORD: usize = 32;

const FIRST_NAMES: &str = include_str!("../../data/first_names.txt");
const SURNAMES: &str = include_str!("../../data/surnames.txt");
const NOT_NAMES: &str = include_str!("../../data/not_names.txt");
const ENGLISH_WORDS: &str = include_str!("../../data/english_words.txt");

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
    table: WordTable,
}

fn word_list(data: &'static str) -> Vec<&'static [u8]> {
    data.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::as_bytes)
        .collect()
}

fn const_list(words: &[&'static str]) -> Vec<&'static [u8]> {
    words.iter().map(|w| w.as_bytes()).collect()
}

/// The dictionary bits of `word` (any case, one trailing `.` ignored), whole or by its
/// hyphenated parts; lower-cases into a stack buffer, never allocates.
fn dictionary_bits(table: &WordTable, word: &str) -> u16 {
    let word = word.strip_suffix('.').unwrap_or(word);
    if word.is_empty() || word.len() > MAX_WORD {
        return 0;
    }
    let mut buf = [0u8; MAX_WORD];
    let lower = &mut buf[..word.len()];
    lower.copy_from_slice(word.as_bytes());
    lower.make_ascii_lowercase();
    let lower: &[u8] = lower;
    let mut bits = table.get(lower);
    if lower.contains(&b'-') {
        for part in lower.split(|&c| c == b'-') {
            bits |= table.get(part);
        }
    }
    bits & DICTIONARY_BITS
}

/// The context bits of `word` (any case, every trailing `.` ignored), whole only.
fn context_bits(table: &WordTable, word: &str) -> u16 {
    let w = word.trim_end_matches('.').as_bytes();
    if w.is_empty() || w.len() > MAX_CONTEXT_WORD {
        return 0;
    }
    let mut buf = [0u8; MAX_CONTEXT_WORD];
    let lower = &mut buf[..w.len()];
    lower.copy_from_slice(w);
    lower.make_ascii_lowercase();
    table.get(lower) & CONTEXT_BITS
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
        use super::people as p;
        let (first, last, stop, english) = (
            word_list(FIRST_NAMES),
            word_list(SURNAMES),
            word_list(NOT_NAMES),
            word_list(ENGLISH_WORDS),
        );
        let (ambiguous, ambiguous_last) = (const_list(AMBIGUOUS_FIRST), const_list(AMBIGUOUS_LAST));
        let (not_name, before, after, eponym, particles) = (
            const_list(p::NOT_NAME),
            const_list(p::CUES_BEFORE),
            const_list(p::CUES_AFTER),
            const_list(p::EPONYM_HEADS),
            const_list(p::PARTICLES),
        );
        let countries = const_list(super::world::COUNTRIES);
        NameDictionaries {
            table: WordTable::new(&[
                (&first, FIRST),
                (&last, LAST),
                (&stop, STOP),
                (&ambiguous, AMBIGUOUS),
                (&ambiguous_last, AMBIGUOUS_LAST_BIT),
                (&english, ENGLISH),
                (&not_name, NOT_NAME),
                (&before, BEFORE),
                (&after, AFTER),
                (&eponym, EPONYM),
                (&particles, PARTICLE),
                (&countries, COUNTRY),
            ]),
        }
    }

    /// The dictionary bits ([`FIRST`], [`LAST`], [`STOP`], [`ENGLISH`], ...) of `word`.
    pub(crate) fn dictionary_bits(&self, word: &str) -> u16 {
        dictionary_bits(&self.table, word)
    }

    /// The context bits ([`NOT_NAME`], [`BEFORE`], [`AFTER`], [`EPONYM`], [`PARTICLE`]) of
    /// `word`.
    pub(crate) fn context_bits(&self, word: &str) -> u16 {
        context_bits(&self.table, word)
    }

    /// Both kinds of bits of `word` at once: one look-up when the two keys are the same word
    /// (no trailing `.`, no hyphen, not too long), as they nearly always are.
    pub(crate) fn bits(&self, word: &str) -> u16 {
        let w = word.as_bytes();
        if !w.is_empty() && w.len() <= MAX_WORD && w[w.len() - 1] != b'.' && !w.contains(&b'-') {
            let mut buf = [0u8; MAX_WORD];
            let lower = &mut buf[..w.len()];
            lower.copy_from_slice(w);
            lower.make_ascii_lowercase();
            return self.table.get(lower);
        }
        self.dictionary_bits(word) | self.context_bits(word)
    }

    /// Whether `word` is a common given name.
    pub fn is_first_name(&self, word: &str) -> bool {
        self.dictionary_bits(word) & FIRST != 0
    }

    /// Whether `word` is an English word that is never a proper noun (`Later`, `Seen`).
    pub fn is_english(&self, word: &str) -> bool {
        self.dictionary_bits(word) & ENGLISH != 0
    }

    /// Whether `word` is a common surname.
    pub fn is_surname(&self, word: &str) -> bool {
        self.dictionary_bits(word) & LAST != 0
    }

    /// Whether `word` is never part of a name (field labels, clinical and organisational
    /// vocabulary).
    pub(crate) fn is_stop(&self, word: &str) -> bool {
        self.dictionary_bits(word) & STOP != 0
    }

    fn is_known(&self, word: &str) -> bool {
        !is_initial(word) && self.dictionary_bits(word) & (FIRST | LAST) != 0
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
                    || (self.dictionary_bits(a) & AMBIGUOUS == 0
                        && b.len() > 2
                        && is_capitalised(b))))
                || (self.is_surname(b)
                    && self.dictionary_bits(b) & AMBIGUOUS_LAST_BIT == 0
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
