//! The words right before a clinician's credential are a name, whatever their case
//! (`cassiopea barone-parisi, MD, PhD`, `A. Garcin, RPh`, `K.K. Koirala, PharmD`,
//! `Jorge 'Renato' Jara, MD`): up to four words of letters, initials and nicknames, back to
//! the start of the line or a word that is not part of a name.

use super::people::CREDENTIALS;
use crate::{PhiKind, Span};

/// Credentials of pharmacy and therapy staff besides the clinicians' ones (not `MA`, `MS`,
/// `DC`: after a comma those are more often a state).
const MORE_CREDENTIALS: &[&str] = &[
    "RPh", "RPH", "CPhT", "MSN", "BSN", "ANP", "AGNP", "PMHNP", "PsyD", "AuD", "LMFT", "LPC",
    "OTR/L", "CCC-SLP",
];

/// Words that end the walk back: what introduces a name, not a part of one.
const STOP: &[&str] = &[
    "by",
    "and",
    "or",
    "with",
    "to",
    "from",
    "dr",
    "dr.",
    "doctor",
    "the",
    "of",
    "for",
    "per",
    "cc",
    "re",
    "attn",
    "signed",
    "sincerely",
];

fn name_byte(c: u8) -> bool {
    c.is_ascii_alphabetic() || c >= 0x80 || matches!(c, b'.' | b'-' | b'\'')
}

/// Appends a name span for the words before every credential in `text`.
pub fn find(text: &str, spans: &mut Vec<Span>) {
    let b = text.as_bytes();
    let mut at = 0;
    while let Some(comma) = super::bytes::next_byte(b, at, b',') {
        at = comma + 1;
        let rest = &text[comma + 1..];
        let trimmed = rest.trim_start_matches([' ', '\t']);
        // Every credential starts with a capital letter: most commas stop here.
        if !trimmed
            .as_bytes()
            .first()
            .is_some_and(u8::is_ascii_uppercase)
        {
            continue;
        }
        let first = trimmed.as_bytes()[0];
        // The first byte compared inline before the whole credential.
        let credential = CREDENTIALS.iter().chain(MORE_CREDENTIALS).any(|c| {
            c.as_bytes()[0] == first
                && trimmed.starts_with(c)
                && !trimmed[c.len()..].starts_with(|ch: char| ch.is_alphanumeric())
        });
        if !credential || rest.len() - trimmed.len() > 2 {
            continue;
        }
        if let Some(start) = name_start(b, comma) {
            spans.push(Span::new(start, comma, PhiKind::Name));
        }
    }
}

/// Where the name that ends at `end` starts: up to four words back, each of name bytes
/// (a nickname may be quoted), separated by one space.
fn name_start(b: &[u8], end: usize) -> Option<usize> {
    let mut start = end;
    let mut words = 0;
    let mut cursor = end;
    while words < 4 {
        // One word back.
        let mut s = cursor;
        while s > 0 && name_byte(b[s - 1]) {
            s -= 1;
        }
        if s == cursor {
            break;
        }
        let word = std::str::from_utf8(&b[s..cursor]).ok()?;
        let bare = word.trim_matches(['\'', '.', '-']);
        if bare.is_empty()
            || bare.chars().count() > 24
            || STOP.iter().any(|w| w.eq_ignore_ascii_case(bare))
        {
            break;
        }
        start = s;
        words += 1;
        // One space before the next word back; a line break or anything else ends it.
        if s >= 2 && b[s - 1] == b' ' && name_byte(b[s - 2]) {
            cursor = s - 1;
        } else {
            break;
        }
    }
    let letters = b[start..end]
        .iter()
        .filter(|c| c.is_ascii_alphabetic() || **c >= 0x80)
        .count();
    (words >= 1 && letters >= 3).then_some(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<&str> {
        let mut spans = Vec::new();
        find(text, &mut spans);
        spans.iter().map(|s| &text[s.start..s.end]).collect()
    }

    #[test]
    fn the_words_before_a_credential_are_a_name_in_any_case() {
        assert_eq!(
            names("8:59 PM   cassiopea barone-parisi, MD, PhD   T. Hiko, DPM"),
            ["cassiopea barone-parisi", "T. Hiko"]
        );
        assert_eq!(names("Pharmacist: A. Garcin, RPh  1713 hrs"), ["A. Garcin"]);
        assert_eq!(
            names("Sincerely,\n\nJorge 'Renato' Jara, MD\n"),
            ["Jorge 'Renato' Jara"]
        );
        assert_eq!(names("Seen by K.K. Koirala, PharmD"), ["K.K. Koirala"]);
    }

    #[test]
    fn every_credential_starts_with_a_capital_letter_as_the_search_assumes() {
        for c in CREDENTIALS.iter().chain(MORE_CREDENTIALS) {
            assert!(c.as_bytes()[0].is_ascii_uppercase(), "{c:?}");
        }
    }

    #[test]
    fn a_comma_without_a_credential_after_it_is_not_a_name() {
        assert!(names("glucose, MDMA screen negative, sodium 140").is_empty());
        assert!(names("Seen in clinic, RN to call back").len() <= 1);
    }
}
