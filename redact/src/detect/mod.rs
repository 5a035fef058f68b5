//! The free-text layer: finds the HIPAA Safe Harbor identifiers in a text and returns their
//! spans.
//!
//! One multi-pattern automaton ([`patterns::table`]) finds candidates in a single left-to-right
//! pass; each match is then judged by its rule: check digits and assignment rules
//! ([`checks`]), cue words before it, the name dictionaries ([`names`]). Non-PHI look-alikes
//! (fax job ids, ICD-10 and CPT codes, dosages, prices, page counts, machine timestamps) are
//! matched first and consumed, so nothing inside them is taken for an identifier. A rejected
//! candidate lets the search resume one character later, so a pattern further down the table
//! can still match there.
//!
//! Then passes that read what the automaton cannot: fields of HL7 v2, XML and JSON by their
//! place ([`structured`]), cities before a state and ZIP code ([`places`]), names by their
//! context and every later mention of them ([`people`]), ages over 89 ([`ages`]), and
//! free-standing identifier-shaped numbers ([`ids`]). Text showing fax OCR damage is also
//! searched repaired ([`ocr`]), with spans mapped back to the damaged bytes.

mod ages;
mod breaks;
mod bytes;
pub mod checks;
mod covers;
mod credentialed;
mod cues;
mod email;
mod ids;
mod name_shapes;
mod names;
mod ocr;
mod patterns;
mod people;
mod phones;
mod places;
mod scan;
mod structured;
mod tables;
mod world;

use std::sync::OnceLock;

use regex_automata::meta::{self, Regex};
use regex_automata::{Input, util::syntax};

pub use names::NameDictionaries;
use patterns::{CueValue, Rule};

use crate::PhiKind;
use crate::span::{Span, merge};

/// Finds PHI spans in free text. Build it once and share it: it is immutable and `Sync`;
/// searching allocates the returned spans and per-call scratch (the words of the name pass,
/// a repaired copy of OCR-damaged text), never anything that outlives the call.
///
/// The automata and dictionaries are built on first use, not by [`Detector::new`]: a
/// one-shot `faxbot redact` on input without PHI-shaped bytes never pays for them, and the
/// reference regex is built only if the fast path ever gives up.
#[derive(Debug)]
pub struct Detector {
    sources: Vec<String>,
    rules: Vec<Rule>,
    cue_sources: Vec<Option<String>>,
    scanner: OnceLock<scan::Scanner>,
    re: OnceLock<Regex>,
    cues: OnceLock<cues::Cues>,
    names: OnceLock<NameDictionaries>,
}

impl Default for Detector {
    fn default() -> Self {
        Self::new()
    }
}

/// What one candidate turned out to be.
enum Verdict {
    /// PHI over this range.
    Found(usize, usize, PhiKind),
    /// A look-alike: skip past it.
    Suppressed,
    /// A machine-made token: skip past it, and the OCR repair leaves it alone.
    Machine,
    /// Not PHI: search again one character after its start.
    Rejected,
}

fn build(patterns: &[&str]) -> Regex {
    Regex::builder()
        .syntax(syntax::Config::new().unicode(false).utf8(false))
        .configure(
            meta::Config::new()
                .match_kind(regex_automata::MatchKind::LeftmostFirst)
                .hybrid_cache_capacity(8 << 20),
        )
        .build_many(patterns)
        // The patterns are constants of this crate; a test compiles them.
        .expect("the bundled PHI patterns compile")
}

impl Detector {
    /// The bundled patterns and name dictionaries, compiled and loaded on first use.
    pub fn new() -> Self {
        let table = patterns::table();
        Detector {
            rules: table.iter().map(|p| p.rule).collect(),
            cue_sources: table.iter().map(|p| p.cue.clone()).collect(),
            sources: table.into_iter().map(|p| p.regex).collect(),
            scanner: OnceLock::new(),
            re: OnceLock::new(),
            cues: OnceLock::new(),
            names: OnceLock::new(),
        }
    }

    fn scanner(&self) -> &scan::Scanner {
        self.scanner.get_or_init(|| {
            let sources: Vec<&str> = self.sources.iter().map(String::as_str).collect();
            scan::Scanner::new(&sources)
        })
    }

    fn re(&self) -> &Regex {
        self.re.get_or_init(|| {
            let sources: Vec<&str> = self.sources.iter().map(String::as_str).collect();
            build(&sources)
        })
    }

    fn cues(&self) -> &cues::Cues {
        self.cues.get_or_init(|| {
            let sources: Vec<Option<&str>> =
                self.cue_sources.iter().map(|c| c.as_deref()).collect();
            cues::Cues::new(&sources)
        })
    }

    fn names(&self) -> &NameDictionaries {
        self.names.get_or_init(NameDictionaries::bundled)
    }

    /// The PHI spans of `text`, sorted, merged where they overlap or touch.
    pub fn find(&self, text: &str) -> Vec<Span> {
        let mut spans = Vec::new();
        self.find_into(text, &mut spans);
        spans
    }

    /// Like [`find`](Self::find), appending to `spans` (cleared first) to reuse its buffer.
    pub fn find_into(&self, text: &str, spans: &mut Vec<Span>) {
        spans.clear();
        if !may_hold_phi(text.as_bytes()) {
            return;
        }
        // The machine-made tokens the pattern table consumed (timestamps, job ids): a letter
        // inside one of them is part of it, not a digit an OCR engine misread.
        let mut machine = Vec::new();
        self.find_raw(text, spans, &mut machine);
        if let Some(repaired) = ocr::repair(text, &machine) {
            // Search the repaired text too, and keep what only the repair revealed: a span
            // over a repair, or one whose context the repair changed (a record number after
            // a name joined across its hyphen: `NURME, K-⏎OIDU    WS2763380`). Only the
            // lines around each repair are searched again.
            let found = covers::Covers::new(spans);
            let mut more = Vec::new();
            for (from, to) in repaired.windows() {
                more.clear();
                machine.clear();
                self.find_raw(&repaired.text[from..to], &mut more, &mut machine);
                for s in &more {
                    let (start, end) = (s.start + from, s.end + from);
                    let (a, b) = repaired.original(start, end, text.len());
                    if repaired.touches_repair(start, end) || !found.whole(a, b) {
                        spans.push(Span::new(a, b, s.kind));
                    }
                }
            }
        }
        merge(spans);
    }

    /// Every pass over `text`, spans unmerged; the ranges of the machine-made tokens the
    /// pattern table consumed are appended to `machine`, in order.
    fn find_raw(&self, text: &str, spans: &mut Vec<Span>, machine: &mut Vec<(usize, usize)>) {
        let first = spans.len();
        self.automaton(text, spans, machine);
        with_extensions(text, &mut spans[first..]);
        phones::find(text, spans);
        phones::with_country_codes(text, &mut spans[first..]);
        structured::hl7(text, spans);
        structured::xml(text, spans);
        structured::json(text, spans);
        places::find(text, spans);
        tables::find(text, spans);
        credentialed::find(text, spans);
        people::find(text, self.names(), spans);
        places::city_after_street(text, spans);
        ages::find(text, spans);
        ids::find(text, spans);
    }

    /// The pattern table's pass: the anchored fast path, or the reference search if the
    /// fast path gives up.
    fn automaton(&self, text: &str, spans: &mut Vec<Span>, machine: &mut Vec<(usize, usize)>) {
        let first = spans.len();
        let first_machine = machine.len();
        email::find(text, spans);
        let scanned = self.scanner().scan(text, |pattern, start, end| {
            match self.judge(text, pattern, start, end) {
                Verdict::Found(a, b, kind) => {
                    spans.push(Span::new(a, b, kind));
                    // A cue match may run past the value it found ("RE: Jane Doe, DOB
                    // Mar"): search again right after the value.
                    scan::Next::At(b)
                }
                Verdict::Suppressed => scan::Next::At(end),
                Verdict::Machine => {
                    machine.push((start, end));
                    scan::Next::At(end)
                }
                Verdict::Rejected => scan::Next::Skip,
            }
        });
        if scanned.is_err() {
            // The fast path gave up: redo the whole text on the slow, sure path.
            spans.truncate(first);
            machine.truncate(first_machine);
            email::find(text, spans);
            self.find_slow(text, spans, machine);
        }
    }

    /// The reference search: repeated unanchored leftmost-first searches.
    fn find_slow(&self, text: &str, spans: &mut Vec<Span>, machine: &mut Vec<(usize, usize)>) {
        let len = text.len();
        let mut pos = 0;
        while pos < len {
            let Some(m) = self.re().search(&Input::new(text).span(pos..len)) else {
                break;
            };
            match self.judge(text, m.pattern().as_usize(), m.start(), m.end()) {
                Verdict::Found(start, end, kind) => {
                    spans.push(Span::new(start, end, kind));
                    // A cue match may run past the value it found ("RE: Jane Doe, DOB
                    // Mar"): search again right after the value.
                    pos = end.max(m.start() + 1);
                }
                Verdict::Suppressed => pos = m.end().max(m.start() + 1),
                Verdict::Machine => {
                    machine.push((m.start(), m.end()));
                    pos = m.end().max(m.start() + 1);
                }
                Verdict::Rejected => pos = m.start() + 1,
            }
            while pos < len && !text.is_char_boundary(pos) {
                pos += 1;
            }
        }
    }

    fn judge(&self, text: &str, pattern: usize, start: usize, end: usize) -> Verdict {
        let s = &text[start..end];
        let found = |kind| Verdict::Found(start, end, kind);
        let when = |ok: bool, kind| if ok { found(kind) } else { Verdict::Rejected };
        match self.rules[pattern] {
            Rule::Suppress => Verdict::Suppressed,
            Rule::Machine => Verdict::Machine,
            Rule::Plain(kind) => found(kind),
            Rule::Url => {
                let trimmed = s.trim_end_matches(['.', ',', ';', ':', '!', '?', ')']);
                let ok = trimmed.len() > 4 && !standards_url(trimmed);
                when(ok, PhiKind::Url).with_end(start + trimmed.len())
            }
            Rule::Ssn => when(checks::ssn_ok(s), PhiKind::Ssn),
            Rule::Phone => found(phone_or_fax(text, start)),
            Rule::IntlPhone => {
                let n = digit_count(s);
                when(
                    (8..=15).contains(&n)
                        && !phones::access_code_inside_a_number(text.as_bytes(), start),
                    phone_or_fax(text, start),
                )
            }
            Rule::LocalPhone => match nearest_number_cue(text, start) {
                Some(kind) => found(kind),
                None => Verdict::Rejected,
            },
            Rule::TenDigits => {
                let d: Vec<u8> = s
                    .bytes()
                    .filter(u8::is_ascii_digit)
                    .map(|b| b - b'0')
                    .collect();
                if checks::npi_ok(s) {
                    found(PhiKind::License)
                } else {
                    when(checks::nanp_ok(&d), phone_or_fax(text, start))
                }
            }
            Rule::Card => when(checks::card_like(s), PhiKind::Account),
            Rule::Dea => when(checks::dea_ok(s), PhiKind::License),
            Rule::Vin => when(
                checks::vin_ok(s) && s.bytes().any(|b| b.is_ascii_alphabetic()),
                PhiKind::Vehicle,
            ),
            Rule::Ipv6 => when(s.bytes().any(|b| b.is_ascii_digit()), PhiKind::Ip),
            Rule::NumericDate => {
                let parts = numbers(s);
                // 4.5-11 is a reference range: a date uses one separator throughout.
                let mut seps = s.bytes().filter(|b| !b.is_ascii_digit());
                let same = seps.next() == seps.next();
                let ok = same
                    && parts.len() == 3
                    && (checks::month_day_ok(parts[0], parts[1])
                        || checks::month_day_ok(parts[1], parts[0]));
                when(ok, PhiKind::Date)
            }
            Rule::IsoDate => {
                let p = numbers(s);
                let ok = p.len() == 3
                    && (1800..=2199).contains(&p[0])
                    && checks::month_day_ok(p[1], p[2]);
                when(ok, PhiKind::Date)
            }
            Rule::MonthYear => {
                let p = numbers(s);
                // "exp 03/2027" on a drug lot is not about a person.
                let ok = p.len() == 2
                    && (1..=12).contains(&p[0])
                    && (1900..=2199).contains(&p[1])
                    && !previous_word_is(text, start, EXPIRY_CUES);
                when(ok, PhiKind::Date)
            }
            Rule::ShortDate => {
                let p = numbers(s);
                let ok = p.len() == 2
                    && checks::month_day_ok(p[0], p[1])
                    && (previous_word_is(text, start, DATE_CUES)
                        || starts_range(text, end)
                        || follows_a_date(text, start)
                        || alone_on_line(text, start, end));
                when(ok, PhiKind::Date)
            }
            Rule::NamePair => match self.names().pair(text, start, end) {
                Some((a, b)) => Verdict::Found(a, b, PhiKind::Name),
                None => Verdict::Rejected,
            },
            Rule::Cue(value) => self.judge_cue(text, pattern, start, end, value),
        }
    }

    fn judge_cue(
        &self,
        text: &str,
        pattern: usize,
        start: usize,
        end: usize,
        value: CueValue,
    ) -> Verdict {
        let Some(vstart) = self.cues().end(text, pattern, start, end) else {
            return Verdict::Rejected;
        };
        if vstart >= end {
            return Verdict::Rejected;
        }
        let v = &text[vstart..end];
        match value {
            CueValue::Id(kind) => {
                let b = text.as_bytes();
                // `SNOMED` is not the cue `sn` before the value `OMED`.
                let glued = b[vstart - 1].is_ascii_alphabetic() && b[vstart].is_ascii_alphabetic();
                let ok = !glued && v.bytes().any(|b| b.is_ascii_digit());
                if ok {
                    Verdict::Found(vstart, end, kind)
                } else {
                    Verdict::Rejected
                }
            }
            CueValue::Number(kind) => {
                if (7..=15).contains(&digit_count(v)) {
                    Verdict::Found(vstart, end, kind)
                } else {
                    Verdict::Rejected
                }
            }
            CueValue::Date => {
                let separated = v.bytes().any(|b| matches!(b, b'/' | b'-' | b'.'));
                if separated || v.len() >= 6 {
                    Verdict::Found(vstart, end, PhiKind::Date)
                } else {
                    Verdict::Rejected
                }
            }
            CueValue::Name { strong } => match self.names().after_cue(text, vstart, end, strong) {
                Some((a, b)) => Verdict::Found(a, b, PhiKind::Name),
                None => Verdict::Rejected,
            },
        }
    }
}

impl Verdict {
    fn with_end(self, new_end: usize) -> Verdict {
        match self {
            Verdict::Found(s, _, k) => Verdict::Found(s, new_end, k),
            other => other,
        }
    }
}

/// Hosts of code systems, profiles and schemas (compared without a leading `www.`) (`http://loinc.org`,
/// `http://hl7.org/fhir/sid/us-ssn`): their URLs name a standard, never a person.
const STANDARDS_HOSTS: &[&str] = &[
    "hl7.org",
    "terminology.hl7.org",
    "loinc.org",
    "snomed.info",
    "unitsofmeasure.org",
    "nlm.nih.gov",
    "ama-assn.org",
    "cms.gov",
    "w3.org",
    "cdc.gov",
    "fhir.org",
    "ihe.net",
    "nucc.org",
];

/// Whether `url` points at a standards body's host (see [`STANDARDS_HOSTS`]).
fn standards_url(url: &str) -> bool {
    let rest = url
        .split_once("://")
        .map_or(url, |(_, rest)| rest)
        .trim_start_matches("www.");
    let host = rest.split(['/', '?', '#', ':']).next().unwrap_or("");
    STANDARDS_HOSTS.iter().any(|h| host.eq_ignore_ascii_case(h))
}

/// Extends every number of seven or more digits through an extension written after it
/// (`474-509-4347 x4240`, `ext. 12`, `extension 3`, `x4⏎376`): the extension is part of
/// the number that reaches the person.
fn with_extensions(text: &str, spans: &mut [Span]) {
    let b = text.as_bytes();
    for span in spans.iter_mut() {
        let (start, end) = (span.start, span.end);
        if end == 0 || !b[end - 1].is_ascii_digit() || digit_count(&text[start..end]) < 7 {
            continue;
        }
        if let Some(extended) = extension_end(b, end) {
            span.end = extended;
        }
    }
}

/// Where an extension marker and its digits after `at` end, if there is one.
fn extension_end(b: &[u8], at: usize) -> Option<usize> {
    let mut i = at;
    let skip = |i: &mut usize, what: &dyn Fn(u8) -> bool| {
        while *i < b.len() && what(b[*i]) {
            *i += 1;
        }
    };
    skip(&mut i, &|c| {
        c == b' ' || c == b'\t' || c == b',' || c == b'\n'
    });
    // The marker, which a page may hyphenate across a line (`ex-⏎t.`, `e-⏎xt.`).
    i = [&b"extension"[..], b"ext.", b"ext", b"x"]
        .into_iter()
        .find_map(|m| marker_end(b, i, m))?;
    // A page may break the line after the marker (`ext.⏎005`).
    skip(&mut i, &|c| {
        c == b' ' || c == b'\t' || c == b'.' || c == b':' || c == b'#' || c == b'\n' || c == b'\r'
    });
    let digits = i;
    // Digits (letters an OCR engine reads for digits among them: `x1lB8`), and one line
    // break an OCR'd page may put inside them.
    let digitish =
        |c: u8| c.is_ascii_digit() || matches!(c, b'O' | b'o' | b'l' | b'I' | b'S' | b'B' | b'Z');
    while i < b.len() && (digitish(b[i]) || (b[i] == b'\n' && i > digits)) {
        if b[i] == b'\n' && !b.get(i + 1).copied().is_some_and(digitish) {
            break;
        }
        i += 1;
    }
    // A word glued on (`ext. 211or`, `x1Sor`) is not part of the number: letters only
    // between digits, or closing a run of at least two digits.
    while i > digits
        && !b[i - 1].is_ascii_digit()
        && b[i - 1] != b'\n'
        && b.get(i).is_some_and(u8::is_ascii_alphabetic)
    {
        i -= 1;
    }
    while i > digits && b[i - 1] == b'\n' {
        i -= 1;
    }
    let count = b[digits..i].iter().filter(|&&c| c != b'\n').count();
    let real = b[digits..i].iter().filter(|c| c.is_ascii_digit()).count();
    // A page may glue the next word on (`ext. 211or reply`); one digit alone must end there.
    let word_ends = i == b.len() || !b[i].is_ascii_alphanumeric();
    let mostly_digits = real * 2 >= count && real > 0;
    (mostly_digits && ((2..=6).contains(&count) || (count == 1 && word_ends))).then_some(i)
}

/// Where the extension marker `m` (lower case) ends if it starts at `at`, in any case, with
/// at most one hyphenated line break inside it.
fn marker_end(b: &[u8], at: usize, m: &[u8]) -> Option<usize> {
    let mut j = at;
    let mut broke = false;
    for (k, &want) in m.iter().enumerate() {
        if k > 0 && !broke && b.get(j) == Some(&b'-') {
            let nl = match (b.get(j + 1), b.get(j + 2)) {
                (Some(b'\n'), _) => 2,
                (Some(b'\r'), Some(b'\n')) => 3,
                _ => 0,
            };
            if nl > 0 {
                j += nl;
                broke = true;
            }
        }
        if !b.get(j).is_some_and(|c| c.eq_ignore_ascii_case(&want)) {
            return None;
        }
        j += 1;
    }
    Some(j)
}

/// Text with no digit, no capital letter, no `@` and no `://` cannot hold any identifier the
/// table knows (every pattern needs one of them), so it skips the automaton.
fn may_hold_phi(b: &[u8]) -> bool {
    // Branch-free per 32-byte chunk so the compiler can vectorise the common, clean case.
    let interesting = |c: u8| {
        (c.wrapping_sub(b'0') < 10) | (c.wrapping_sub(b'A') < 26) | (c == b'@') | (c == b':')
    };
    b.chunks(32)
        .any(|chunk| chunk.iter().fold(false, |acc, &c| acc | interesting(c)))
        || b.windows(4).any(|w| w.eq_ignore_ascii_case(b"www."))
}

fn digit_count(s: &str) -> usize {
    s.bytes().filter(u8::is_ascii_digit).count()
}

/// The decimal numbers in `s`, in order (each capped so it cannot overflow).
fn numbers(s: &str) -> Vec<u32> {
    s.split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.bytes()
                .take(6)
                .fold(0u32, |n, b| n * 10 + u32::from(b - b'0'))
        })
        .collect()
}

const EXPIRY_CUES: &[&str] = &[
    "exp",
    "expires",
    "expiry",
    "expiration",
    "use by",
    "best by",
];

const DATE_CUES: &[&str] = &[
    "on",
    "seen",
    "dos",
    "date",
    "dated",
    "since",
    "until",
    "from",
    "by",
    "admitted",
    "discharged",
    "visit",
    "dob",
    "born",
    "through",
    "thru",
    "due",
    "effective",
    "rtc",
    "labs",
    "lab",
    "drawn",
    "collected",
    "received",
    "reported",
    "resulted",
    "scheduled",
    "appt",
    "appointment",
    "last",
    "next",
    "f/u",
    "followup",
    "dated",
    "started",
    "stopped",
    "seen",
    "admit",
    "dc",
    "d/c",
    "fill",
    "lastfill",
    "filled",
    "accident",
    "injury",
    "onset",
    "surgery",
];

/// Whether `text[start..end]` stands alone on its line (a letter's date line: `2/11`).
fn alone_on_line(text: &str, start: usize, end: usize) -> bool {
    // Only the blanks around it are read, never the whole line: a long line with many dates
    // on it costs no more than a short one.
    let blank = |c: char| c.is_whitespace() && c != '\n';
    let before = text[..start].trim_end_matches(blank);
    let after = text[end..].trim_start_matches(blank);
    (before.is_empty() || before.ends_with('\n')) && (after.is_empty() || after.starts_with('\n'))
}

/// Whether a date range continues at `at`: `1/16-2/4/2019`, `3/2 – 3/9`.
fn starts_range(text: &str, at: usize) -> bool {
    let rest = text[at..].trim_start_matches([' ', '\t']);
    let rest = rest
        .strip_prefix('-')
        .or_else(|| rest.strip_prefix('\u{2013}'))
        .or_else(|| rest.strip_prefix("to "))
        .or_else(|| rest.strip_prefix("through "));
    rest.is_some_and(|r| r.trim_start().starts_with(|c: char| c.is_ascii_digit()))
}

/// Whether `and`, `or`, `&` or a comma joins the number at `at` to a date before it
/// (`falls on 2/7 and 2/9`).
fn follows_a_date(text: &str, at: usize) -> bool {
    let before = text[..at].trim_end_matches([' ', '\t']);
    let Some(before) = ["and", "or", "&", ","]
        .iter()
        .find_map(|w| before.strip_suffix(w))
    else {
        return false;
    };
    let before = before.trim_end_matches([' ', '\t']);
    let token = before
        .rsplit(|c: char| !(c.is_ascii_digit() || c == '/'))
        .next()
        .unwrap_or("");
    let parts: Vec<u32> = token.split('/').map(|p| p.parse().unwrap_or(0)).collect();
    (2..=3).contains(&parts.len()) && checks::month_day_ok(parts[0], parts[1])
}

/// Whether the word just before `at` (skipping spaces and `:`) is one of `words`.
fn previous_word_is(text: &str, at: usize, words: &[&str]) -> bool {
    let b = text.as_bytes();
    let mut end = at;
    while end > 0 && matches!(b[end - 1], b' ' | b'\t' | b':') {
        end -= 1;
    }
    let mut start = end;
    while start > 0 && b[start - 1].is_ascii_alphabetic() {
        start -= 1;
    }
    let word = &text[start..end];
    words.iter().any(|w| w.eq_ignore_ascii_case(word))
}

/// `rfind` of a lower-case ASCII needle in a lower-cased haystack.
fn rfind_lower(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let first = needle[0];
    (0..=hay.len().checked_sub(needle.len())?)
        .rev()
        .find(|&i| hay[i] == first && hay[i..i + needle.len()] == *needle)
}

/// The kind the nearest phone or fax cue on the same line, in the 32 bytes before `at`, gives
/// a number.
fn nearest_number_cue(text: &str, at: usize) -> Option<PhiKind> {
    let b = text.as_bytes();
    let mut from = at.saturating_sub(32);
    if let Some(nl) = b[from..at].iter().rposition(|&c| c == b'\n') {
        from += nl + 1;
    }
    // The window lower-cased once on the stack (it is at most 32 bytes), then each cue
    // looked for from the right.
    let mut lower = [0u8; 32];
    let window = &mut lower[..at - from];
    window.copy_from_slice(&b[from..at]);
    window.make_ascii_lowercase();
    let window = &*window;
    let fax = rfind_lower(window, b"fax");
    let phone = [&b"phone"[..], b"tel", b"cell", b"call", b"mobile", b"ph"]
        .iter()
        .filter_map(|n| rfind_lower(window, n))
        .max();
    match (fax, phone) {
        (Some(f), Some(p)) if p > f => Some(PhiKind::Phone),
        (Some(_), _) => Some(PhiKind::Fax),
        (None, Some(_)) => Some(PhiKind::Phone),
        (None, None) => None,
    }
}

/// PHONE, or FAX when the nearest cue before the number says fax.
fn phone_or_fax(text: &str, at: usize) -> PhiKind {
    nearest_number_cue(text, at).unwrap_or(PhiKind::Phone)
}

#[cfg(test)]
mod tests;
