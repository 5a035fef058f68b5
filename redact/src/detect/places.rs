//! Cities and ZIP codes by the shape of an address's last line: a US state abbreviation with
//! a ZIP code after it (`Le Claire IA 52753`, `BURGHILL  OH, 44404`, `Sylvester, TX, 79560`)
//! makes the capitalised words before it a city, whatever the city; and a street address
//! followed by `in` names its city (`Lives on 12 Oak St in Montclair`).

use crate::{PhiKind, Span};

const STATES: [&str; 56] = [
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS",
    "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY",
    "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV",
    "WI", "WY", "DC", "PR", "VI", "GU", "AS", "MP",
];

/// The end of a ZIP code (`12345` or `12345-6789`) starting at `at`, if one does.
fn zip_at(b: &[u8], at: usize) -> Option<usize> {
    let five = b.get(at..at + 5)?;
    if !five.iter().all(u8::is_ascii_digit) || b.get(at + 5).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    let mut end = at + 5;
    if b.get(end) == Some(&b'-')
        && b.get(end + 1..end + 5)
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    {
        end += 5;
    }
    Some(end)
}

/// Whether the bytes `b[s..e]` form a capitalised word (a city word): an upper-case first
/// letter (or a non-ASCII letter), then letters, `.`, `'` or `-`.
fn city_word(text: &str, s: usize, e: usize) -> bool {
    let w = &text[s..e];
    let mut chars = w.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    first.is_uppercase()
        && w.chars()
            .all(|c| c.is_alphabetic() || matches!(c, '.' | '\'' | '-'))
}

/// Appends CITY (as ADDRESS) and ZIP spans for every `City[,] ST[,] 12345` in `text`.
#[inline(never)]
pub fn find(text: &str, spans: &mut Vec<Span>) {
    let b = text.as_bytes();
    let mut i = 0;
    while i + 2 <= b.len() {
        let is_state = b[i].is_ascii_uppercase()
            && b[i + 1].is_ascii_uppercase()
            && (i == 0 || !b[i - 1].is_ascii_alphanumeric())
            && !b.get(i + 2).is_some_and(u8::is_ascii_alphanumeric)
            && STATES.iter().any(|s| s.as_bytes() == &b[i..i + 2]);
        if !is_state {
            i += 1;
            continue;
        }
        // After the state: `, ` or spaces (a line break too), then the ZIP code.
        let mut z = i + 2;
        if b.get(z) == Some(&b'.') {
            z += 1;
        }
        if b.get(z) == Some(&b',') {
            z += 1;
        }
        while z < b.len() && matches!(b[z], b' ' | b'\t' | b'\n' | b'\r') && z - i < 8 {
            z += 1;
        }
        let Some(zip_end) = zip_at(b, z) else {
            i += 2;
            continue;
        };
        spans.push(Span::new(z, zip_end, PhiKind::Zip));
        // Before the state: `, ` or spaces, then up to four capitalised words on this line.
        let mut c = i;
        while c > 0 && matches!(b[c - 1], b' ' | b'\t') {
            c -= 1;
        }
        if c > 0 && b[c - 1] == b',' {
            c -= 1;
        }
        let city_end = {
            let mut e = c;
            while e > 0 && matches!(b[e - 1], b' ' | b'\t') {
                e -= 1;
            }
            e
        };
        let (start, words) = words_before(text, city_end, 4);
        if words > 0 && start < city_end {
            spans.push(Span::new(start, city_end, PhiKind::Address));
        }
        i = zip_end;
    }
}

/// The start of the run of up to `max` capitalised words that ends at `end`, the words
/// joined by single spaces, and how many there are.
fn words_before(text: &str, end: usize, max: usize) -> (usize, usize) {
    let b = text.as_bytes();
    let mut start = end;
    let mut words = 0;
    let mut at = end;
    while words < max {
        let mut s = at;
        while s > 0
            && !matches!(
                b[s - 1],
                b' ' | b'\t' | b'\n' | b'\r' | b',' | b':' | b'|' | b'^'
            )
        {
            s -= 1;
        }
        if s == at || !city_word(text, s, at) {
            break;
        }
        start = s;
        words += 1;
        // One space joins the words of a city; two, a comma or a line break end it.
        if s < 2 || b[s - 1] != b' ' || matches!(b[s - 2], b' ' | b'\t' | b',' | b'\n') {
            break;
        }
        at = s - 1;
    }
    (start, words)
}

/// The end of the run of up to `max` capitalised words that starts at `start`.
fn words_after(text: &str, start: usize, max: usize) -> usize {
    let b = text.as_bytes();
    let mut end = start;
    let mut at = start;
    for _ in 0..max {
        let mut e = at;
        while e < b.len()
            && !matches!(
                b[e],
                b' ' | b'\t' | b'\n' | b'\r' | b',' | b'.' | b';' | b')'
            )
        {
            e += 1;
        }
        if e == at || !city_word(text, at, e) {
            break;
        }
        end = e;
        if b.get(e) != Some(&b' ') {
            break;
        }
        at = e + 1;
    }
    end
}

/// After a street address already found: ` in City` names its city.
#[inline(never)]
pub fn city_after_street(text: &str, spans: &mut Vec<Span>) {
    let mut more = Vec::new();
    for s in spans.iter().filter(|s| s.kind == PhiKind::Address) {
        let rest = &text[s.end..];
        if let Some(after) = rest
            .strip_prefix(" in")
            .filter(|a| a.starts_with([' ', '\n']))
        {
            let start = s.end + 3 + (after.len() - after.trim_start().len());
            let end = words_after(text, start, 3);
            if end > start {
                more.push(Span::new(start, end, PhiKind::Address));
            }
        }
    }
    spans.extend(more);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<&str> {
        let mut spans = Vec::new();
        find(text, &mut spans);
        city_after_street(text, &mut spans);
        spans.sort();
        spans.iter().map(|s| &text[s.start..s.end]).collect()
    }

    #[test]
    fn the_words_before_a_state_and_zip_are_a_city() {
        assert_eq!(
            found("12 Rue St, Le Claire IA 52753\n"),
            ["Le Claire", "52753"]
        );
        assert_eq!(
            found("Loop,\nBURGHILL  OH, 44404-1234"),
            ["BURGHILL", "44404-1234"]
        );
        assert_eq!(
            found("Lab, Sylvester, TX, 79560 CLIA"),
            ["Sylvester", "79560"]
        );
        assert!(found("CPT 99213 PA 12 units").is_empty());
        let street = "Lives on 12 Oak St in Glen Ellyn. Next";
        let mut spans = vec![Span::new(9, 18, PhiKind::Address)];
        city_after_street(street, &mut spans);
        assert_eq!(&street[spans[1].start..spans[1].end], "Glen Ellyn");
    }
}
