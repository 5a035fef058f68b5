//! Cities and ZIP codes by the shape of an address's last line: a US state abbreviation with
//! a ZIP code after it (`Le Claire IA 52753`, `BURGHILL  OH, 44404`, `Sylvester, TX, 79560`)
//! makes the capitalised words before it a city, whatever the city; and a street address
//! followed by `in` names its city (`Lives on 12 Oak St in Montclair`). A state written
//! out does the same (`Frankfort, Michigan  61970`, `Lamar, Colorado68988-1240`), and the
//! house number and street words before such a city are the street address whatever the
//! street's suffix (`28287 Emmerich Mission⏎Ephrata, WA 38574`).

use crate::{PhiKind, Span};

const STATES: [&str; 56] = [
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS",
    "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY",
    "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV",
    "WI", "WY", "DC", "PR", "VI", "GU", "AS", "MP",
];

/// Bit `second - b'A'` of entry `first - b'A'`: whether the two capitals are one of
/// [`STATES`]; one look-up instead of 56 comparisons at every pair of capitals.
static STATE_CODES: [u32; 26] = {
    let mut table = [0u32; 26];
    let mut k = 0;
    while k < STATES.len() {
        let s = STATES[k].as_bytes();
        table[(s[0] - b'A') as usize] |= 1 << (s[1] - b'A');
        k += 1;
    }
    table
};

/// Whether `a b` (both ASCII capitals) is a state's or territory's code.
fn is_state_code(a: u8, b: u8) -> bool {
    STATE_CODES[usize::from(a - b'A')] & (1 << (b - b'A')) != 0
}

/// The states and territories written out, lower case.
const STATE_NAMES: [&str; 54] = [
    "alabama",
    "alaska",
    "arizona",
    "arkansas",
    "california",
    "colorado",
    "connecticut",
    "delaware",
    "florida",
    "georgia",
    "hawaii",
    "idaho",
    "illinois",
    "indiana",
    "iowa",
    "kansas",
    "kentucky",
    "louisiana",
    "maine",
    "maryland",
    "massachusetts",
    "michigan",
    "minnesota",
    "mississippi",
    "missouri",
    "montana",
    "nebraska",
    "nevada",
    "new hampshire",
    "new jersey",
    "new mexico",
    "new york",
    "north carolina",
    "north dakota",
    "ohio",
    "oklahoma",
    "oregon",
    "pennsylvania",
    "rhode island",
    "south carolina",
    "south dakota",
    "tennessee",
    "texas",
    "utah",
    "vermont",
    "virginia",
    "washington",
    "west virginia",
    "wisconsin",
    "wyoming",
    "district of columbia",
    "puerto rico",
    "guam",
    "virgin islands",
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

/// The end of a ZIP code after a state as a fax scan shows it: five digits of which at
/// most two are letters read for digits (`7367B-8570`, `78S22`, `2O309`) or with one line
/// break among them (`97⏎581-4466`), and the +4 part likewise.
fn scanned_zip_at(b: &[u8], at: usize) -> Option<usize> {
    let digitish = |c: u8| {
        c.is_ascii_digit() || matches!(c, b'O' | b'o' | b'l' | b'I' | b'S' | b'B' | b'Z' | b'G')
    };
    // Reads `n` digit-like bytes from `p`, allowing one line break; returns the end and the
    // number of real digits.
    let read = |mut p: usize, n: usize, mut breaks: usize| {
        let (mut got, mut digits) = (0, 0);
        while got < n {
            match b.get(p) {
                Some(&c) if digitish(c) => {
                    digits += usize::from(c.is_ascii_digit());
                    got += 1;
                    p += 1;
                }
                Some(b'\n') if breaks == 0 && got > 0 => {
                    breaks = 1;
                    p += 1;
                }
                _ => return None,
            }
        }
        Some((p, digits, breaks))
    };
    let (mut end, digits, breaks) = read(at, 5, 0)?;
    if digits < 3 || b.get(end).is_some_and(u8::is_ascii_alphanumeric) {
        return None;
    }
    if b.get(end) == Some(&b'-')
        && let Some((e4, d4, _)) = read(end + 1, 4, breaks)
        && d4 >= 3
        && !b.get(e4).is_some_and(u8::is_ascii_alphanumeric)
    {
        end = e4;
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
    // `d'Alene`, `l'Anse`: an elided particle before a capital.
    let elided = matches!(first, 'd' | 'l')
        && w[1..].starts_with('\'')
        && w[2..].starts_with(|c: char| c.is_uppercase());
    (first.is_uppercase() || elided)
        && w.chars()
            .all(|c| c.is_alphabetic() || matches!(c, '.' | '\'' | '-'))
}

/// The small words inside a city's name (`Fond du Lac`, `Saint-Jean de la Ville`).
fn city_particle(text: &str, s: usize, e: usize) -> bool {
    matches!(
        &text[s..e],
        "du" | "de" | "la" | "le" | "des" | "del" | "of" | "on" | "upon" | "sur" | "en" | "am"
    )
}

/// Appends CITY (as ADDRESS) and ZIP spans for every `City[,] ST[,] 12345` in `text`.
#[inline(never)]
pub fn find(text: &str, spans: &mut Vec<Span>) {
    let b = text.as_bytes();
    let mut i = 0;
    while i + 2 <= b.len() {
        // A state starts with a capital letter: skip to the next one.
        if !b[i].is_ascii_uppercase() {
            match super::bytes::next_upper(b, i) {
                Some(u) => i = u,
                None => break,
            }
            continue;
        }
        let is_state = b[i].is_ascii_uppercase()
            && b[i + 1].is_ascii_uppercase()
            && (i == 0 || !b[i - 1].is_ascii_alphanumeric())
            && !b.get(i + 2).is_some_and(u8::is_ascii_alphabetic)
            && is_state_code(b[i], b[i + 1]);
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
        let Some(zip_end) = zip_at(b, z).or_else(|| scanned_zip_at(b, z)) else {
            i += 2;
            continue;
        };
        spans.push(Span::new(z, zip_end, PhiKind::Zip));
        // Before the state: `, ` or spaces, or the end of the line above (`Selinsgrove⏎PA`,
        // `EUGENE,⏎OR`), then up to four capitalised words.
        let mut c = super::bytes::back_over_blanks_and_one_break(b, i);
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
            street_before(text, start, spans);
        }
        i = zip_end;
    }
    state_names(text, spans);
}

/// Appends ZIP, city and street spans for every `City[,] State[,] 12345` with the state
/// written out, found from the ZIP code back.
fn state_names(text: &str, spans: &mut Vec<Span>) {
    let b = text.as_bytes();
    let mut i = 0;
    while let Some(z) = super::bytes::next_digit(b, i) {
        let mut run_end = z;
        while run_end < b.len() && b[run_end].is_ascii_digit() {
            run_end += 1;
        }
        i = run_end;
        if run_end - z != 5 || z == 0 || b[z - 1].is_ascii_digit() {
            continue;
        }
        let Some(zip_end) = zip_at(b, z) else {
            continue;
        };
        // Before the ZIP: spaces, a comma, then the state's words (no gap: `Colorado68988`).
        let mut c = z;
        while c > 0 && matches!(b[c - 1], b' ' | b'\t') {
            c -= 1;
        }
        if c > 0 && b[c - 1] == b',' {
            c -= 1;
        }
        let Some(state_start) = state_name_before(b, c) else {
            continue;
        };
        spans.push(Span::new(z, zip_end, PhiKind::Zip));
        // The city may end the line above (`Gainesville,⏎Texas   89035`).
        let mut e = super::bytes::back_over_blanks_and_one_break(b, state_start);
        if e > 0 && b[e - 1] == b',' {
            e -= 1;
        }
        while e > 0 && matches!(b[e - 1], b' ' | b'\t') {
            e -= 1;
        }
        let (start, words) = words_before(text, e, 4);
        if words > 0 && start < e {
            spans.push(Span::new(start, e, PhiKind::Address));
            street_before(text, start, spans);
        }
        i = zip_end;
    }
}

/// Whether a state ends at `end`, as its two capitals or its name, a word of its own.
pub(super) fn state_ends_at(b: &[u8], end: usize) -> bool {
    let code = end >= 2
        && STATES.iter().any(|s| s.as_bytes() == &b[end - 2..end])
        && (end == 2 || !b[end - 3].is_ascii_alphanumeric());
    code || state_name_before(b, end).is_some()
}

/// Where a state's name that ends at `end` starts (compared case-insensitively, one space
/// between its words), if one does and it is a word of its own.
fn state_name_before(b: &[u8], end: usize) -> Option<usize> {
    STATE_NAMES.iter().find_map(|name| {
        let n = name.len();
        let start = end.checked_sub(n)?;
        let ok = b[start..end].eq_ignore_ascii_case(name.as_bytes())
            && b[start].is_ascii_uppercase()
            && (start == 0 || !b[start - 1].is_ascii_alphanumeric());
        ok.then_some(start)
    })
}

/// The street address before the city that starts at `city`: on the same line after a
/// separator (`… Unit 64 Broomfield`, `28758 Caribou Drive - SACRAMENTO`), or alone on the
/// line above (`28287 Emmerich Mission⏎Ephrata`): a house number and up to four capitalised
/// words, whatever the street's suffix. And a house number right before the city's words
/// (`6524 Dietrich Rue Burlington, WI`) belongs to the street.
fn street_before(text: &str, city: usize, spans: &mut Vec<Span>) {
    let b = text.as_bytes();
    let house_number = |s: usize, e: usize| {
        let t = &b[s..e];
        let digits = t.iter().take_while(|c| c.is_ascii_digit()).count();
        (1..=6).contains(&digits)
            && t[digits..].len() <= 1
            && t[digits..].iter().all(u8::is_ascii_alphabetic)
            && (s == 0 || matches!(b[s - 1], b' ' | b'\t' | b'\n' | b':' | b','))
    };
    let token_before = |end: usize| {
        let mut s = end;
        while s > 0 && !matches!(b[s - 1], b' ' | b'\t' | b'\n' | b'\r') {
            s -= 1;
        }
        s
    };
    // A house number glued to the city's words: `6524 Dietrich Rue Burlington`.
    if city >= 2 && b[city - 1] == b' ' {
        let s = token_before(city - 1);
        if s < city - 1 && house_number(s, city - 1) {
            spans.push(Span::new(s, city - 1, PhiKind::Address));
            return;
        }
    }
    // Otherwise a separator (` - `, `, `, spaces, one line break), then the street.
    let mut e = city;
    while e > 0 && matches!(b[e - 1], b' ' | b'\t') {
        e -= 1;
    }
    if e > 0 && matches!(b[e - 1], b',' | b'-') {
        e -= 1;
        while e > 0 && matches!(b[e - 1], b' ' | b'\t') {
            e -= 1;
        }
    } else if e > 0 && b[e - 1] == b'\n' {
        e -= 1;
        if e > 0 && b[e - 1] == b'\r' {
            e -= 1;
        }
        while e > 0 && matches!(b[e - 1], b' ' | b'\t' | b',') {
            e -= 1;
        }
    } else if e == city {
        return;
    }
    let (words_start, words) = words_before(text, e, 4);
    if words == 0 || words_start < 2 || b[words_start - 1] != b' ' {
        return;
    }
    let s = token_before(words_start - 1);
    if s < words_start - 1 && house_number(s, words_start - 1) {
        spans.push(Span::new(s, e, PhiKind::Address));
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
        if s == at {
            break;
        }
        if !city_word(text, s, at) {
            // A particle inside the name, with a capitalised word on each side.
            let inner = words > 0 && city_particle(text, s, at) && s >= 2 && b[s - 1] == b' ' && {
                let mut p = s - 1;
                while p > 0 && (b[p - 1].is_ascii_alphabetic() || b[p - 1] >= 0x80) {
                    p -= 1;
                }
                p < s - 1 && city_word(text, p, s - 1)
            };
            if !inner {
                break;
            }
            at = s - 1;
            continue;
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

    #[test]
    fn a_state_written_out_before_a_zip_makes_a_city_and_the_street_before_it_an_address() {
        assert_eq!(
            found("PSC 8176 Box 1008 - Frankfort, Michigan  61970\n"),
            ["Frankfort", "61970"]
        );
        assert_eq!(
            found("Lamar, Colorado68988-1240\n"),
            ["Lamar", "68988-1240"]
        );
        assert_eq!(
            found("Weiss II, DPM\n28287 Emmerich Mission\nEphrata, WA   38574\nFax"),
            ["28287 Emmerich Mission", "Ephrata", "38574"]
        );
        assert_eq!(
            found("ADDRESS\n6524 Dietrich Rue Burlington,  WI  96144\n"),
            ["6524", "Dietrich Rue Burlington", "96144"]
        );
        assert_eq!(
            found("2906 Moorhead Valleys Unit 64 Broomfield Colorado 17539-1631."),
            ["64", "Broomfield", "17539-1631"]
        );
        assert!(found("Seen 12 times in New York 10001 patients").len() <= 2);
    }

    #[test]
    fn a_scanned_last_line_still_makes_a_city_and_a_zip() {
        // The city on the line above its state, letters read for ZIP digits, a ZIP broken
        // across lines, particles inside a city's name.
        assert_eq!(
            found("Apt 26K,  Selinsgrove\nPA  68141-1557\n"),
            ["Selinsgrove", "68141-1557"]
        );
        assert_eq!(
            found("        EUGENE,\nOR 55320-0317\n"),
            ["EUGENE", "55320-0317"]
        );
        assert_eq!(
            found("Pkwy, Oroville CA 7367B-8570  Lab"),
            ["Oroville", "7367B-8570"]
        );
        assert_eq!(
            found("Montgomery,  AL   97\n581-4466\n"),
            ["Montgomery", "97\n581-4466"]
        );
        assert_eq!(
            found("Isle, Fond du Lac,  WI   95067."),
            ["Fond du Lac", "95067"]
        );
        assert_eq!(
            found("Dr #13\nGainesville,\nTexas   89035\n"),
            ["Gainesville", "89035"]
        );
        assert_eq!(
            found("Cir, Coeur d'Alene,  ID, 12201 "),
            ["Coeur d'Alene", "12201"]
        );
        // Letters are not digits where most of the code is letters.
        assert!(found("Totals CA BOSSB  next").is_empty());
    }

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
            ["12 Rue St", "Le Claire", "52753"]
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
        assert_eq!(found("Hillsboro, TX26765\n"), ["Hillsboro", "26765"]);
        let street = "Lives on 12 Oak St in Glen Ellyn. Next";
        let mut spans = vec![Span::new(9, 18, PhiKind::Address)];
        city_after_street(street, &mut spans);
        assert_eq!(&street[spans[1].start..spans[1].end], "Glen Ellyn");
    }
}
