//! Telephone numbers the pattern table cannot see because nothing marks where they start or
//! end: glued to a word by a scan that dropped the space (`call982 317 9121`,
//! `at963/865-6337`, `+44 20 3306 5518or`), glued to their extension (`972-616-8770x1581`),
//! or grouped in ways no form prints (`+1933 3409944`, `+1 739 2715610`).
//!
//! The walk goes from digit run to digit run over runs of number bytes (digits, `(`, `)`,
//! `+`, `.`, `/`, `-`, single spaces); a run with at least ten digits is tested against the
//! shapes of a North American number (area code and exchange valid) and of an international
//! one. Letters around the run are allowed; digits are not (a longer number is something
//! else). Phone numbers are a critical kind: this pass takes recall.

use std::sync::OnceLock;

use regex_automata::meta::Regex;

use super::covers::Covers;
use crate::Span;

fn number_byte(c: u8) -> bool {
    c.is_ascii_digit() || matches!(c, b'(' | b')' | b'+' | b'.' | b'/' | b'-' | b' ')
}

/// The shapes, searched inside a run: North American numbers with any one separator (or
/// none) between the groups, `+1` and ten digits grouped any way, and international numbers.
fn shapes() -> Option<&'static Regex> {
    static SHAPES: OnceLock<Option<Regex>> = OnceLock::new();
    SHAPES
        .get_or_init(|| {
            Regex::new_many(&[
                r"(?:\+?1[ .-]?)?(?:\([0-9]{3}\)[ ]?-?[ ]?|[0-9]{3}[ ]?[./-]?[ ]?)[0-9]{3}[ ]?[.-]?[ ]?[0-9]{4}",
                r"\+1[ .-]?(?:[0-9][ .-]?){9}[0-9]",
                r"(?:\+|011[ .-]?)[2-9][0-9]{0,2}(?:[ .-]?\(?[0-9]{1,5}\)?){2,5}",
            ])
            .ok()
        })
        .as_ref()
}

/// Appends a PHONE or FAX span for every telephone number in a run of number bytes that no
/// span of `spans` already covers.
#[inline(never)]
pub fn find(text: &str, spans: &mut Vec<Span>) {
    let b = text.as_bytes();
    let Some(re) = shapes() else {
        return;
    };
    let mut found = Vec::new();
    let mut covers: Option<Covers> = None;
    let mut i = 0;
    while let Some(d) = super::bytes::next_digit(b, i) {
        // The run: number bytes, a space only between two non-spaces (two spaces part
        // the columns of a form).
        let mut start = d;
        while start > 0
            && number_byte(b[start - 1])
            && !(b[start - 1] == b' ' && (start < 2 || b[start - 2] == b' '))
        {
            start -= 1;
        }
        let mut end = d;
        while end < b.len()
            && number_byte(b[end])
            && !(b[end] == b' ' && b.get(end + 1).is_none_or(|&c| c == b' '))
        {
            end += 1;
        }
        i = end.max(d + 1);
        let digits = b[start..end].iter().filter(|c| c.is_ascii_digit()).count();
        if digits < 10 {
            continue;
        }
        let mut from = start;
        while from < end {
            let Some(m) = re.search(&regex_automata::Input::new(text).range(from..end)) else {
                break;
            };
            let (s, e) = (m.start(), m.end());
            from = e.max(s + 1);
            // Not a piece of a longer number.
            let digit_before = (s > 0 && b[s - 1].is_ascii_digit())
                || (m.pattern().as_usize() == 2 && access_code_inside_a_number(b, s));
            let digit_after = b.get(e).is_some_and(u8::is_ascii_digit);
            if digit_before || digit_after {
                from = s + 1;
                continue;
            }
            let ds: Vec<u8> = b[s..e]
                .iter()
                .filter(|c| c.is_ascii_digit())
                .map(|c| c - b'0')
                .collect();
            let ok = match m.pattern().as_usize() {
                0 | 1 => {
                    let ten = &ds[ds.len().saturating_sub(10)..];
                    super::checks::nanp_ok(ten)
                }
                _ => (8..=15).contains(&ds.len()),
            };
            if !ok || covers.get_or_insert_with(|| Covers::new(spans)).whole(s, e) {
                continue;
            }
            let e = super::extension_end(b, e).unwrap_or(e);
            found.push(Span::new(s, e, super::phone_or_fax(text, s)));
        }
    }
    spans.extend(found);
}

/// Whether the access code (`011`, `00`) at `at` follows a number and a separator: it is
/// that number's middle (`(2022-011413) 10/21/14` is a record number, then a date).
pub(super) fn access_code_inside_a_number(b: &[u8], at: usize) -> bool {
    b.get(at) == Some(&b'0')
        && at >= 2
        && matches!(b[at - 1], b'-' | b'.' | b'/')
        && b[at - 2].is_ascii_digit()
}

/// Extends every PHONE and FAX span of `spans` back over a country code the pattern left
/// out: one an OCR engine read as a letter (`l-512-433-5582`, `+l 741 763 8902`) or one
/// a page left on the line before (`+1-⏎588-419-0245`, `+234 ⏎772 434 7895`).
pub fn with_country_codes(text: &str, spans: &mut [Span]) {
    let b = text.as_bytes();
    for span in spans
        .iter_mut()
        .filter(|s| matches!(s.kind, crate::PhiKind::Phone | crate::PhiKind::Fax))
    {
        if let Some(start) = country_code_start(b, span.start) {
            span.start = start;
        }
    }
}

/// Where a country code written before the number at `at` starts, if there is one.
fn country_code_start(b: &[u8], at: usize) -> Option<usize> {
    let mut k = super::bytes::back_over_blanks_and_one_break(b, at);
    if k > 0 && matches!(b[k - 1], b'-' | b'.') {
        k -= 1;
    }
    if k == at || k == 0 {
        return None;
    }
    let mut s = k;
    while s > 0 && b[s - 1].is_ascii_digit() && k - s < 3 {
        s -= 1;
    }
    if let Some(access) = (s < k).then(|| international_access_start(b, s)).flatten() {
        // `011 44 161 …`, `0l1 44 ⏎161 …`: dialled from North America.
        return Some(access);
    }
    let start = if s < k && s > 0 && b[s - 1] == b'+' {
        // `+234`, `+1`.
        s - 1
    } else if matches!(b[k - 1], b'1' | b'l' | b'I') {
        // `1-`, `l-`, `+l`.
        if k >= 2 && b[k - 2] == b'+' {
            k - 2
        } else {
            k - 1
        }
    } else {
        return None;
    };
    let free = start == 0 || !b[start - 1].is_ascii_alphanumeric();
    free.then_some(start)
}

/// Where the international access code `011` (or Europe's `00`) written before the country
/// code at `cc` starts, one space or none between them, letters an OCR engine reads for `0`
/// and `1` allowed (`0l1 44`, `O11 44`). OCR may glue it to the word before it (`BLUE
/// SHIELD01l 44 161 …`, `Call us atO11 44 …`), so only a digit before it is refused.
fn international_access_start(b: &[u8], cc: usize) -> Option<usize> {
    let mut k = cc;
    if k > 0 && b[k - 1] == b' ' {
        k -= 1;
    }
    let zero = |c: u8| matches!(c, b'0' | b'O' | b'o');
    let one = |c: u8| matches!(c, b'1' | b'l' | b'I');
    let start = if k >= 3 && zero(b[k - 3]) && one(b[k - 2]) && one(b[k - 1]) {
        k - 3
    } else if k >= 2 && b[k - 2] == b'0' && b[k - 1] == b'0' {
        k - 2
    } else {
        return None;
    };
    (start == 0 || !b[start - 1].is_ascii_digit()).then_some(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phones(text: &str) -> Vec<&str> {
        let mut spans = Vec::new();
        find(text, &mut spans);
        spans.iter().map(|s| &text[s.start..s.end]).collect()
    }

    #[test]
    fn numbers_glued_to_words_or_extensions_are_found() {
        assert_eq!(
            phones("If received in error call982 317 9121. Or text at963/865-6337 today"),
            ["982 317 9121", "963/865-6337"]
        );
        assert_eq!(phones("Office: 972-616-8770x1581"), ["972-616-8770x1581"]);
        assert_eq!(
            phones("To cancel call +44 20 3306 5518or reply"),
            ["+44 20 3306 5518"]
        );
    }

    #[test]
    fn numbers_grouped_oddly_are_found() {
        assert_eq!(
            phones("Office: +1933 3409944  or +1 739 2715610"),
            ["+1933 3409944", "+1 739 2715610"]
        );
        assert_eq!(phones("Fax (988)-875-7633"), ["(988)-875-7633"]);
    }

    #[test]
    fn a_country_code_read_as_a_letter_or_left_on_the_line_before_belongs_to_the_number() {
        for (text, found, number) in [
            (
                "Patient phone:l-512-433-5582\n",
                "512-433-5582",
                "l-512-433-5582",
            ),
            ("Call +l 741 763 8902 to", "741 763 8902", "+l 741 763 8902"),
            ("F:+1-\n588-419-0245\t", "588-419-0245", "+1-\n588-419-0245"),
            (
                "PHONE: +234 \n772 434 7895\n",
                "772 434 7895",
                "+234 \n772 434 7895",
            ),
        ] {
            let at = text.find(found).unwrap_or(0);
            let mut spans = [Span::new(at, at + found.len(), crate::PhiKind::Phone)];
            with_country_codes(text, &mut spans);
            assert_eq!(&text[spans[0].start..spans[0].end], number, "{text:?}");
        }
        // A word's last letter is not a country code.
        let text = "Call 555-867-5309";
        let mut spans = [Span::new(5, 17, crate::PhiKind::Phone)];
        with_country_codes(text, &mut spans);
        assert_eq!(spans[0].start, 5);
    }

    #[test]
    fn longer_numbers_and_invalid_area_codes_are_not_phones() {
        assert!(phones("Card 4775000273364807 and 1234567890123").is_empty());
        assert!(phones("order 0123456789, lot 1234567890").is_empty());
        assert!(phones("2025-08-05 16:50:44 job 1").is_empty());
    }
}
