//! Ages over 89 (a Safe Harbor identifier): the number, in figures or words, when what is
//! around it says it is an age — `92-year-old`, `97 y/o`, `aged 94`, `Age: 96Y`, `92F`,
//! `a 102 M with`, `ninety-seven years old`, `one hundred and one`. Ages up to 89 are not
//! identifiers and are left alone.

use std::sync::OnceLock;

use regex_automata::meta::Regex;
use regex_automata::util::syntax;

use crate::{PhiKind, Span};

/// What may follow an age (after optional spaces or a hyphen), matched case-insensitively;
/// each must end at a word boundary.
const AFTER: &[&str] = &[
    "-year-old",
    "-years-old",
    " year-old",
    "-year old",
    " year old",
    " years old",
    " years",
    " year\nold",
    "-yr-old",
    "-yr old",
    " yr old",
    "yrs",
    " yrs",
    " yr",
    "-yo",
    "yo",
    " yo",
    " y/o",
    "y/o",
    " y.o.",
    "y.o.",
    " y.o",
    " years of age",
    " yoa",
    "y",
    " y",
    "f",
    "m",
    " f",
    " m",
    "-f",
    "-m",
    " yo f",
    " yo m",
    "-year",
    " -year-old",
    "yof",
    "yom",
    " yof",
    " yom",
    "/m",
    "/f",
    " yearsold",
    "\ny.o.",
    "\ny/o",
    "\nyo",
    "\nyears old",
    "\nyear old",
];

/// Phrases after an age that say so on their own, also when a scan glued the number to the
/// word before it (`She is102 years old`).
const STRONG_AFTER: &[&str] = &[
    " years old",
    " year old",
    "-year-old",
    " y.o.",
    " y/o",
    "y/o",
    " yo",
    "yo",
];

/// Words just before an age.
const BEFORE: &[&str] = &[
    "age",
    "aged",
    "turned",
    "turns",
    "ages",
    "age:",
    "valueinteger",
];

fn ends_word(rest: &str) -> bool {
    !rest.starts_with(|c: char| c.is_alphanumeric())
}

/// Whether an age phrase follows `at`.
fn phrase_after(text: &str, at: usize) -> bool {
    let rest = &text[at..];
    AFTER.iter().any(|a| {
        rest.len() >= a.len()
            && rest.is_char_boundary(a.len())
            && rest[..a.len()].eq_ignore_ascii_case(a)
            && ends_word(&rest[a.len()..])
    })
}

/// Whether an age cue word ends just before `at` (skipping spaces, `:`, `"`).
fn cue_before(text: &str, at: usize) -> bool {
    let head = text[..at].trim_end_matches([' ', '\t', ':', '"', '\n']);
    let start = head
        .char_indices()
        .rev()
        .find(|(_, c)| !c.is_ascii_alphabetic())
        .map_or(0, |(p, c)| p + c.len_utf8());
    let word = &head[start..];
    BEFORE
        .iter()
        .any(|b| b.trim_end_matches(':').eq_ignore_ascii_case(word))
}

/// The end of a number word over 89 starting at `at` (`ninety-seven`, `one hundred and
/// one`), if one starts there.
fn words_at(text: &str, at: usize) -> Option<usize> {
    let rest = &text[at..];
    let starts = |w: &str| {
        rest.get(..w.len())
            .is_some_and(|h| h.eq_ignore_ascii_case(w))
    };
    let mut end = if starts("ninety") {
        6
    } else if starts("one hundred") {
        11
    } else {
        return None;
    };
    const UNITS: [&str; 9] = [
        "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
    ];
    for sep in ["-", " ", " and "] {
        let after = &rest[end..];
        if let Some(r) = after.strip_prefix(sep)
            && let Some(u) = UNITS.iter().find(|u| {
                r.get(..u.len()).is_some_and(|h| h.eq_ignore_ascii_case(u))
                    && ends_word(&r[u.len()..])
            })
        {
            end += sep.len() + u.len();
            break;
        }
    }
    Some(at + end)
}

/// The number words an age over 89 in words starts with, found by one automaton (with a
/// literal prefilter) instead of a look at every `n` and `o` of the text.
fn number_words() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::builder()
            .syntax(syntax::Config::new().unicode(false).utf8(false))
            .build("(?i)ninety|one hundred")
            // A constant of this crate; the tests compile it.
            .expect("the number-word pattern compiles")
    })
}

/// Whether the number at `b[i..e]` is the age column of a face sheet's row: a numeric date
/// of birth before it and a sex after it, each across a column gap
/// (`01/01/1974  101    M     D`).
fn after_birth_date(b: &[u8], i: usize, e: usize) -> bool {
    let mut k = i;
    while k > 0 && matches!(b[k - 1], b' ' | b'\t') {
        k -= 1;
    }
    if i - k < 2 {
        return false;
    }
    let mut s = k;
    while s > 0 && (b[s - 1].is_ascii_alphanumeric() || matches!(b[s - 1], b'/' | b'-' | b'.')) {
        s -= 1;
    }
    let date = &b[s..k];
    let slashes = date.iter().filter(|&&c| c == b'/' || c == b'-').count();
    let digits = date.iter().filter(|c| c.is_ascii_alphanumeric()).count();
    let mut a = e;
    while a < b.len() && matches!(b[a], b' ' | b'\t') {
        a += 1;
    }
    slashes == 2
        && (6..=8).contains(&digits)
        && a - e >= 2
        && matches!(b.get(a), Some(b'M' | b'F' | b'U' | b'X'))
        && !b.get(a + 1).is_some_and(u8::is_ascii_alphanumeric)
}

/// Appends AGE spans for ages over 89.
#[inline(never)]
pub fn find(text: &str, spans: &mut Vec<Span>) {
    let b = text.as_bytes();
    let boundary = |i: usize| i == 0 || !b[i - 1].is_ascii_alphanumeric();
    // Ages in figures: a run of one to three digits at a word start.
    let mut i = 0;
    while let Some(d) = super::bytes::next_digit(b, i) {
        i = d;
        let at_start = boundary(i);
        let mut e = i;
        while e < b.len() && b[e].is_ascii_digit() {
            e += 1;
        }
        let glued_to_word = !at_start && b[i - 1].is_ascii_lowercase();
        if glued_to_word && e - i <= 3 {
            let n = b[i..e]
                .iter()
                .fold(0u32, |n, &d| n * 10 + u32::from(d - b'0'));
            let strong = || {
                STRONG_AFTER.iter().any(|a| {
                    text[e..]
                        .get(..a.len())
                        .is_some_and(|h| h.eq_ignore_ascii_case(a))
                        && ends_word(&text[e + a.len()..])
                })
            };
            if (90..=130).contains(&n) && strong() {
                spans.push(Span::new(i, e, PhiKind::Age));
            }
        }
        if at_start && e - i <= 3 {
            let n = b[i..e]
                .iter()
                .fold(0u32, |n, &d| n * 10 + u32::from(d - b'0'));
            // A colon after a label (`AGE:102`) is not a time's.
            let label_colon = i >= 2 && b[i - 1] == b':' && b[i - 2].is_ascii_alphabetic();
            let glued =
                (i > 0 && matches!(b[i - 1], b'.' | b'/' | b'-' | b'$' | b':') && !label_colon)
                    || (e < b.len() && matches!(b[e], b'.' | b'/' | b':' | b'%'))
                        && b.get(e + 1).is_some_and(u8::is_ascii_digit);
            if (90..=130).contains(&n)
                && !glued
                && (phrase_after(text, e) || cue_before(text, i) || after_birth_date(b, i, e))
            {
                spans.push(Span::new(i, e, PhiKind::Age));
            }
        }
        i = e;
    }
    // Ages in words (`ninety-seven`, `one hundred and one`), at a word start. No digit is
    // inside one, so the two searches never meet.
    let mut after = 0;
    for m in number_words().find_iter(text) {
        let i = m.start();
        if i < after || !boundary(i) {
            continue;
        }
        if let Some(e) = words_at(text, i) {
            if phrase_after(text, e) || cue_before(text, i) {
                spans.push(Span::new(i, e, PhiKind::Age));
            }
            after = e;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ages(text: &str) -> Vec<&str> {
        let mut spans = Vec::new();
        find(text, &mut spans);
        spans.iter().map(|s| &text[s.start..s.end]).collect()
    }

    #[test]
    fn ages_over_89_are_found_in_every_phrasing() {
        assert_eq!(
            ages("a 92-year-old, 97 y/o, aged 94, Age: 96Y, 92F with, 102 M, 99 year\nold"),
            ["92", "97", "94", "96", "92", "102", "99"]
        );
        assert_eq!(
            ages("a ninety-seven years old man, aged one hundred and one"),
            ["ninety-seven", "one hundred and one"]
        );
        assert_eq!(ages(r#"{"url": "age", "valueInteger": 104}"#), ["104"]);
        assert_eq!(
            ages("Age/Sex: 95/M, AGE:102, 90yoF, She is102 years old, 106\ny.o. with"),
            ["95", "102", "90", "102", "106"]
        );
        assert_eq!(
            ages("DOB         AGE   SEX\n01/01/1974  101    M     D         MUSLIM"),
            ["101"]
        );
    }

    #[test]
    fn younger_ages_and_other_numbers_are_not_ages() {
        assert!(
            ages("a 72-year-old, SpO2 97%, HR 92 bpm, 98.6 F, 1/92, ninety minutes").is_empty()
        );
    }
}
