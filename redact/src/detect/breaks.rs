//! Identifiers a fax page broke across two short lines, recognised by what the two parts
//! make together: an SSN (`387-11-⏎8571`, `89⏎4 54 6676`), a numeric date (`10/27/⏎2026`,
//! `04⏎/05/2025`, `May 13, 2⏎025`), or the record number of a page banner or a name's
//! parentheses (`12/16/1954   V6⏎26NFP`, `Balčiūnas, Justas (L545⏎LBQ)`).
//!
//! [`super::ocr`] joins such a break before the text is searched again; the rule for each
//! shape is that the joined token has it and neither part has it alone, so two values that
//! merely stand on consecutive lines stay apart.

use std::sync::OnceLock;

use regex_automata::meta::Regex;

use super::checks;

/// Whether the line break at `i` (`nl_len` bytes) splits an SSN, a numeric date or a page
/// banner's record number.
pub fn splits_identifier(b: &[u8], i: usize, nl_len: usize) -> bool {
    let from = i + nl_len;
    if i == 0 || from >= b.len() {
        return false;
    }
    splits_ssn(b, i, from)
        || splits_cued_ssn(b, i, from)
        || splits_date(b, i, from)
        || splits_banner_id(b, i, from)
        || splits_record_code(b, i, from)
}

fn compiled(cell: &'static OnceLock<Option<Regex>>, patterns: &[&str]) -> Option<&'static Regex> {
    cell.get_or_init(|| Regex::new_many(patterns).ok()).as_ref()
}

/// The start of the run of `class` bytes that ends at `i`.
pub(super) fn run_start(b: &[u8], i: usize, class: impl Fn(u8) -> bool) -> usize {
    let mut s = i;
    while s > 0 && class(b[s - 1]) {
        s -= 1;
    }
    s
}

/// The end of the run of `class` bytes that starts at `from`.
fn run_end(b: &[u8], from: usize, class: impl Fn(u8) -> bool) -> usize {
    let mut e = from;
    while e < b.len() && class(b[e]) {
        e += 1;
    }
    e
}

/// `ddd-dd-dddd` or `ddd dd dddd` across the break, valid by the SSA's rules, and not whole
/// on either line.
fn splits_ssn(b: &[u8], i: usize, from: usize) -> bool {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    // Letters an OCR engine reads for digits count as the digits (`7O8 ⏎80 3001`, `574-99⏎-B594`).
    let digitish = |c: u8| c.is_ascii_digit() || super::ocr::as_digit(c).is_some();
    let ssn_byte = |c: u8| digitish(c) || c == b'-' || c == b' ';
    if !(digitish(b[i - 1]) || b[i - 1] == b'-' || b[i - 1] == b' ')
        || !(digitish(b[from]) || b[from] == b'-')
        || !(b[i - 1].is_ascii_digit()
            || b[from].is_ascii_digit()
            || b[from] == b'-'
            || b[i - 1] == b'-')
    {
        return false;
    }
    // Runs stop at two spaces: a form's columns.
    let mut s = run_start(b, i, ssn_byte);
    while let Some(p) = b[s..i].windows(2).rposition(|w| w == b"  ") {
        s += p + 2;
    }
    let mut e = run_end(b, from, ssn_byte);
    if let Some(p) = b[from..e].windows(2).position(|w| w == b"  ") {
        e = from + p;
    }
    let read = |c: &u8| super::ocr::as_digit(*c).unwrap_or(*c);
    let mut joined: Vec<u8> = b[s..i].iter().map(read).collect();
    let join = joined.len();
    joined.extend(b[from..e].iter().map(read));
    let Some(re) = compiled(
        &RE,
        &[r"[0-9]{3}-[0-9]{2}-[0-9]{4}|[0-9]{3} [0-9]{2} [0-9]{4}"],
    ) else {
        return false;
    };
    re.find_iter(&joined).any(|m| {
        let digit_around = (m.start() > 0 && joined[m.start() - 1].is_ascii_digit())
            || joined.get(m.end()).is_some_and(u8::is_ascii_digit);
        m.start() < join
            && m.end() > join
            && !digit_around
            && std::str::from_utf8(&joined[m.range()]).is_ok_and(checks::ssn_ok)
    })
}

/// Whether the line break at `i` (`nl_len` bytes) stands where a space of a spaced SSN was
/// (`879⏎51 5764`, `879 51⏎5764` in a face sheet's column): the digits and single spaces
/// around it, the break read as one more space, are exactly `ddd dd dddd` and valid. Such a
/// break is read as a space, not dropped, so the number keeps its shape.
pub fn stands_for_a_space_in_an_ssn(b: &[u8], i: usize, nl_len: usize) -> bool {
    let from = i + nl_len;
    let digitish = |c: u8| c.is_ascii_digit() || super::ocr::as_digit(c).is_some();
    if i == 0 || from >= b.len() || !digitish(b[i - 1]) || !digitish(b[from]) {
        return false;
    }
    let digit_or_space =
        |c: u8| c.is_ascii_digit() || c == b' ' || super::ocr::as_digit(c).is_some();
    let mut s = run_start(b, i, digit_or_space);
    if let Some(p) = b[s..i].windows(2).rposition(|w| w == b"  ") {
        s += p + 2;
    }
    while b[s] == b' ' {
        s += 1;
    }
    let mut e = run_end(b, from, digit_or_space);
    if let Some(p) = b[from..e].windows(2).position(|w| w == b"  ") {
        e = from + p;
    }
    while b[e - 1] == b' ' {
        e -= 1;
    }
    if (s > 0 && b[s - 1].is_ascii_alphanumeric())
        || b.get(e).is_some_and(u8::is_ascii_alphanumeric)
        || e - s + 1 - nl_len != 11
    {
        return false;
    }
    let mut joined = [0u8; 11];
    joined[..i - s].copy_from_slice(&b[s..i]);
    joined[i - s] = b' ';
    joined[i - s + 1..].copy_from_slice(&b[from..e]);
    // One letter an OCR engine put for a digit reads as it (`343 2O⏎8364`).
    if joined.iter().filter(|c| c.is_ascii_alphabetic()).count() == 1 {
        for c in &mut joined {
            *c = super::ocr::as_digit(*c).unwrap_or(*c);
        }
    }
    let shaped = joined.iter().enumerate().all(|(k, &c)| {
        if k == 3 || k == 6 {
            c == b' '
        } else {
            c.is_ascii_digit()
        }
    });
    shaped && std::str::from_utf8(&joined).is_ok_and(checks::ssn_ok)
}

/// Cue words of a social security number, lower case, as they end the text before it.
const SSN_CUES: &[&[u8]] = &[
    b"ssn",
    b"5sn",
    b"s5n",
    b"ss#",
    b"social security number",
    b"soc sec",
];

/// Nine digits after an SSN cue, the break anywhere among them (`SSN: 4565⏎28849`,
/// `SSN: 771 11⏎9632`, `SSN: 391-42⏎-S808` with its OCR letter): the cue says what the
/// number is, so the split need not fall between the groups. Letters an OCR engine reads for
/// digits count as digits on the line after the break.
fn splits_cued_ssn(b: &[u8], i: usize, from: usize) -> bool {
    let right_byte = |c: u8| {
        c.is_ascii_digit()
            || c == b'-'
            || c == b' '
            || matches!(c, b'S' | b'O' | b'l' | b'I' | b'B')
    };
    let left_byte = right_byte;
    if !left_byte(b[i - 1]) || !right_byte(b[from]) {
        return false;
    }
    // The part on the left from its first digit, with the OCR letters right before it when
    // they open a token (`SSN: 2B574⏎7168` keeps its `B`, `SSN S036⏎42546` its `S`; the
    // `SS` of a cue is not digits).
    let mut s = run_start(b, i, left_byte);
    while s < i && !b[s].is_ascii_digit() {
        s += 1;
    }
    let mut o = s;
    while o > 0 && super::ocr::as_digit(b[o - 1]).is_some() {
        o -= 1;
    }
    if o < s && (o == 0 || !b[o - 1].is_ascii_alphanumeric() || ssn_cue_ends_at(b, o)) {
        s = o;
    }
    let mut e = from;
    while e < b.len() && right_byte(b[e]) && !(b[e] == b' ' && b.get(e + 1) == Some(&b' ')) {
        e += 1;
    }
    while e > from && b[e - 1] == b' ' {
        e -= 1;
    }
    let left_digits = b[s..i].iter().filter(|&&c| c != b'-' && c != b' ').count();
    let right_digits = b[from..e]
        .iter()
        .filter(|&&c| c != b'-' && c != b' ')
        .count();
    let lone_letters = b[s..i]
        .iter()
        .chain(&b[from..e])
        .filter(|c| c.is_ascii_alphabetic())
        .count();
    if left_digits == 0
        || right_digits == 0
        || left_digits + right_digits != 9
        || lone_letters > 1
        || b[s..i].windows(2).any(|w| w == b"  ")
        || b.get(e).is_some_and(u8::is_ascii_alphanumeric)
    {
        return false;
    }
    // The cue, then `:`, `#`, `.` or spaces, right before the digits, or at the end of the
    // line before (`and SSN⏎23172⏎0039`).
    let mut c = s;
    while c > 0 && matches!(b[c - 1], b' ' | b'\t' | b':' | b'#' | b'.') {
        c -= 1;
    }
    if c > 0 && b[c - 1] == b'\n' {
        c = super::bytes::back_over_blanks_and_one_break(b, c);
        while c > 0 && matches!(b[c - 1], b' ' | b'\t' | b':' | b'#' | b'.') {
            c -= 1;
        }
    }
    // A cue glued to the number (`SSNS036⏎42546`) is one too.
    (c < s && ssn_cue_ends_at(b, c)) || ssn_cue_ends_at(b, s)
}

/// Whether one of [`SSN_CUES`] ends at `at`, a word of its own or glued to a word before it
/// in capitals after small letters (`andSSN`).
fn ssn_cue_ends_at(b: &[u8], at: usize) -> bool {
    let before = &b[at.saturating_sub(24)..at];
    SSN_CUES.iter().any(|cue| {
        before.len() >= cue.len()
            && before[before.len() - cue.len()..].eq_ignore_ascii_case(cue)
            && before.len().checked_sub(cue.len() + 1).is_none_or(|k| {
                !before[k].is_ascii_alphanumeric()
                    || (before[k].is_ascii_lowercase() && before[k + 1].is_ascii_uppercase())
            })
    })
}

/// Whether `t` is a whole numeric date: `m/d/yy(yy)` with one separator throughout (`/`,
/// `-` or `.`), `yyyy-mm-dd`, or `mm/yyyy`; month and day plausible either way round.
pub(super) fn numeric_date(t: &[u8]) -> bool {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    let Some(re) = compiled(
        &RE,
        &[
            r"^(?:[0-9]{1,2}/[0-9]{1,2}/(?:[0-9]{4}|[0-9]{2})|[0-9]{1,2}-[0-9]{1,2}-(?:[0-9]{4}|[0-9]{2})|[0-9]{1,2}\.[0-9]{1,2}\.(?:[0-9]{4}|[0-9]{2}))$",
            r"^[0-9]{4}[-/.][0-9]{1,2}[-/.][0-9]{1,2}$",
            r"^[0-9]{1,2}/[0-9]{4}$",
        ],
    ) else {
        return false;
    };
    let Some(m) = re.find(t) else {
        return false;
    };
    let n: Vec<u32> = t
        .split(|c| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .map(|p| p.iter().fold(0u32, |n, &c| n * 10 + u32::from(c - b'0')))
        .collect();
    match (m.pattern().as_usize(), n.as_slice()) {
        (0, [a, d, _]) => checks::month_day_ok(*a, *d) || checks::month_day_ok(*d, *a),
        (1, [y, m, d]) => (1800..=2199).contains(y) && checks::month_day_ok(*m, *d),
        (2, [m, y]) => (1..=12).contains(m) && (1900..=2199).contains(y),
        _ => false,
    }
}

/// A numeric date across the break that neither line holds whole, or a four-digit year
/// broken after a written day (`May 13, 2⏎025`).
fn splits_date(b: &[u8], i: usize, from: usize) -> bool {
    let date_byte = |c: u8| c.is_ascii_digit() || matches!(c, b'/' | b'-' | b'.');
    let sep = |c: u8| matches!(c, b'/' | b'-' | b'.');
    if !date_byte(b[i - 1]) || !date_byte(b[from]) || (sep(b[i - 1]) && sep(b[from])) {
        return false;
    }
    let s = run_start(b, i, date_byte);
    let e = run_end(b, from, date_byte);
    let (left, right) = (&b[s..i], &b[from..e]);
    // A sentence's full stop is not part of a date.
    let right = right.strip_suffix(b".").unwrap_or(right);
    let mut joined = left.to_vec();
    joined.extend_from_slice(right);
    if numeric_date(&joined) && !numeric_date(left) && !numeric_date(right) {
        // A two-digit year only when a separator touches the break (`2/1⏎/84`): `1/2⏎25`
        // could be two numbers.
        let four_digit_year = joined.split(|c| !c.is_ascii_digit()).any(|g| g.len() == 4);
        return four_digit_year || sep(b[i - 1]) || sep(b[from]);
    }
    // `May 13, 2⏎025`: a year's digits on both sides after a day and a comma.
    let year: Vec<u8> = left.iter().chain(right).copied().collect();
    if year.len() == 4
        && year.iter().all(u8::is_ascii_digit)
        && matches!(&year[..2], b"19" | b"20")
        && !left.is_empty()
        && !right.is_empty()
    {
        let before = &b[..s];
        let before = before.strip_suffix(b" ").unwrap_or(before);
        if let Some(before) = before.strip_suffix(b",") {
            let d = run_start(before, before.len(), |c| c.is_ascii_digit());
            let day = before.len() - d;
            return (1..=2).contains(&day);
        }
    }
    false
}

/// Whether a numeric date stands among the words of `b[from..to]`, line breaks dropped
/// (the date of a banner may itself be broken: `12/18/⏎1999`).
fn date_near(b: &[u8], from: usize, to: usize) -> bool {
    let joined: Vec<u8> = b[from..to]
        .iter()
        .copied()
        .filter(|&c| c != b'\n' && c != b'\r')
        .collect();
    joined
        .split(|c| c.is_ascii_whitespace() || matches!(c, b'(' | b')' | b','))
        .any(|w| {
            // A date with a letter an OCR engine read for a digit (`02/09/201B`) is a date.
            let mut read = [0u8; 10];
            w.len() >= 6
                && w.len() <= read.len()
                && w.iter().filter(|c| c.is_ascii_digit()).count() >= 4
                && {
                    let read = &mut read[..w.len()];
                    for (r, &c) in read.iter_mut().zip(w) {
                        *r = super::ocr::as_digit(c).unwrap_or(c);
                    }
                    numeric_date(read)
                }
        })
}

/// A code of capitals and digits across the break (`V6⏎26NFP`, `2022-9⏎44019`,
/// `AM-80⏎008-N`) beside a numeric date within a line of it, or inside the parentheses
/// after a name (`(J5⏎47CMH)`): a page banner's record number.
fn splits_banner_id(b: &[u8], i: usize, from: usize) -> bool {
    let id_byte = |c: u8| c.is_ascii_alphanumeric() || c == b'-';
    if !id_byte(b[i - 1]) || !id_byte(b[from]) || (b[i - 1] == b'-' && b[from] == b'-') {
        return false;
    }
    let s = run_start(b, i, id_byte);
    let e = run_end(b, from, id_byte);
    let (left, right) = (&b[s..i], &b[from..e]);
    let opens = s == 0 || b[s - 1].is_ascii_whitespace() || b[s - 1] == b'(';
    let closes = e == b.len() || b[e].is_ascii_whitespace() || matches!(b[e], b')' | b',');
    if !opens || !closes || left.is_empty() || right.is_empty() {
        return false;
    }
    let len = left.len() + right.len();
    let all = || left.iter().chain(right);
    // `l` and `o` inside a code are an OCR engine's 1 and 0.
    let digitish = |c: &u8| c.is_ascii_digit() || matches!(c, b'l' | b'o');
    let digits = all().filter(|c| digitish(c)).count();
    let capitals = all().filter(|c| c.is_ascii_uppercase()).count();
    let lower = all()
        .filter(|c| c.is_ascii_lowercase() && !digitish(c))
        .count();
    let hyphens = all().filter(|&&c| c == b'-').count();
    if !(6..=16).contains(&len)
        || digits < 3
        || capitals > 5
        || lower > 0
        || hyphens > 2
        || (left.len() >= 6 && right.len() >= 6)
    {
        return false;
    }
    if s > 0 && b[s - 1] == b'(' && e < b.len() && b[e] == b')' {
        return true;
    }
    // The line before the left part's line, through the right part's line.
    let line_start = |at: usize| {
        b[..at]
            .iter()
            .rposition(|&c| c == b'\n')
            .map_or(0, |p| p + 1)
    };
    let this_line = line_start(s);
    let window_start = line_start(this_line.saturating_sub(1));
    let window_end = b[e..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(b.len(), |p| e + p);
    date_near(b, window_start, s)
        || date_near(b, e, window_end)
        || after_a_capitalised_name(&b[window_start..s])
}

/// A record number a page broke across two lines with nothing around it to say so
/// (`JR966⏎4806`, `X705W-⏎SJ`, `Patient 1D: 2926⏎3293`): one part ends its line, the other
/// opens the next, and together they have the shape of a record number
/// ([`super::ids::record_code`]) or are seven to twelve digits, which neither part is alone.
fn splits_record_code(b: &[u8], i: usize, from: usize) -> bool {
    let id_byte = |c: u8| c.is_ascii_alphanumeric() || c == b'-';
    if !id_byte(b[i - 1]) || !id_byte(b[from]) {
        return false;
    }
    let s = run_start(b, i, id_byte);
    let e = run_end(b, from, id_byte);
    // A cue glued on (`MRNNF915⏎2069`) is not part of the number.
    let cue = super::ids::glued_cue(&b[s..i]);
    // A full stop opens a value after an abbreviated label (`Med Rec No.8161-1⏎578-8`).
    let opens = s == 0
        || cue > 0
        || b[s - 1].is_ascii_whitespace()
        || matches!(b[s - 1], b'(' | b':' | b'#')
        || (b[s - 1] == b'.' && s >= 2 && b[s - 2].is_ascii_alphabetic());
    let s = s + cue;
    let (left, right) = (&b[s..i], &b[from..e]);
    // A full stop ends a sentence after it (`order. MRNNF915⏎2069.`), not a decimal.
    let closes = e == b.len()
        || b[e].is_ascii_whitespace()
        || matches!(b[e], b')' | b',')
        || (b[e] == b'.' && b.get(e + 1).is_none_or(u8::is_ascii_whitespace));
    if !opens || !closes || (left.len() >= 6 && right.len() >= 6) {
        return false;
    }
    let mixed =
        |p: &[u8]| p.iter().any(u8::is_ascii_digit) && p.iter().any(u8::is_ascii_alphabetic);
    // A word on either side is a field of its own unless the other part is a code's start.
    let word = |p: &[u8]| p.iter().all(u8::is_ascii_alphabetic);
    if (word(right) && !mixed(left)) || (word(left) && !mixed(right)) {
        return false;
    }
    let mut joined = left.to_vec();
    joined.extend_from_slice(right);
    if super::ids::record_code(&joined) {
        return !super::ids::record_code(left) && !super::ids::record_code(right);
    }
    // Digits alone could be two numbers on two lines (`Order 4471⏎2026 plan`): only a
    // value standing alone, in a column or after its label, on both lines.
    let digits = |p: &[u8]| p.iter().filter(|c| c.is_ascii_digit()).count();
    let numeric = |p: &[u8]| p.iter().all(|&c| c.is_ascii_digit() || c == b'-');
    let alone_before = s == 0
        || matches!(b[s - 1], b'\n' | b'(' | b':' | b'#' | b'.' | b'\t')
        || (s >= 2 && b[s - 1] == b' ' && matches!(b[s - 2], b' ' | b':' | b'#' | b'.' | b'\n'));
    let alone_after = e == b.len()
        || matches!(b[e], b'\n' | b'\r' | b')' | b'\t')
        || (b[e] == b' ' && matches!(b.get(e + 1), Some(b' ' | b'\n' | b'\r') | None));
    // A number that opens a telephone number broken on the next line belongs to it
    // (`MI   07692⏎642⏎.912.6095`).
    let phone_next = e < b.len() && b[e] == b'\n' && super::ocr::splits_phone(b, e, 1).is_some();
    // A capital or two before the digits (`U721⏎1903`) is a record number as well.
    let lead = joined.iter().take_while(|c| c.is_ascii_uppercase()).count();
    // One letter an OCR engine put for a digit among the digits reads as that digit (a face
    // sheet's SSN column: `380B⏎09516`).
    let misread: Vec<usize> = (lead..joined.len())
        .filter(|&k| joined[k].is_ascii_alphabetic())
        .collect();
    if let [k] = misread.as_slice()
        && let Some(d) = super::ocr::as_digit(joined[*k])
    {
        joined[*k] = d;
    }
    let (left, right) = joined.split_at(left.len());
    alone_before
        && alone_after
        && !phone_next
        && lead <= 2
        && numeric(&joined[lead..])
        && (7..=12).contains(&digits(&joined))
        && joined.iter().filter(|&&c| c == b'-').count() <= 2
        && (2..6)
            .contains(&digits(left))
            .max(lead > 0 && digits(left) >= 2)
        // A hyphen ending the line says the number goes on, however long its rest
        // (`MAR1US    2014-⏎273910`).
        && ((2..6).contains(&digits(right)) || (left.ends_with(b"-") && digits(right) >= 2))
        && !numeric_date(left)
        && !numeric_date(right)
}

/// Whether `before` (the text before a code, from the start of the line above) ends with a
/// name in capitals written `FAMILY, GIVEN` and a column gap: the code is the next cell of a
/// face sheet's patient row (`SCHMITT, ANDRÉ    DR-98453⏎-T`, `…, SILVIJA⏎   FK⏎1781538`).
fn after_a_capitalised_name(before: &[u8]) -> bool {
    let trimmed = before.trim_ascii_end();
    let gap = &before[trimmed.len()..];
    let gap_ok = gap.len() >= 2 || gap.contains(&b'\n');
    // The name: the last line of `trimmed`, capitals with a comma, no digits.
    let line = trimmed
        .rsplit(|&c| c == b'\n')
        .next()
        .unwrap_or(trimmed)
        .trim_ascii();
    gap_ok
        && line.contains(&b',')
        && line.len() >= 4
        && !line.iter().any(u8::is_ascii_digit)
        && !line.iter().any(u8::is_ascii_lowercase)
        && line.iter().any(u8::is_ascii_uppercase)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn splits(text: &str) -> bool {
        let i = text.find('\n').unwrap_or(0);
        splits_identifier(text.as_bytes(), i, 1)
    }

    #[test]
    fn an_ssn_broken_on_a_short_line_is_one_number() {
        assert!(splits("+1.216.286.1284    387-11-\n8571\n"));
        assert!(splits("l665    89\n4 54 6676\n\nEMERGENCY"));
        assert!(splits("915-76-1288    013\n-09-6830\n"));
        assert!(splits("(912)-352-0956    7O8 \n80 3001\n"));
        assert!(splits("(212) 619-8319    574-99\n-B594\n"));
        // Two numbers on two lines, or an invalid area, stay apart.
        assert!(!splits("Phone 387-11\n8571 units"));
        assert!(!splits("Ref 912-11-\n8571"));
    }

    #[test]
    fn a_break_where_a_spaced_ssn_had_a_space_stands_for_it() {
        let at_break = |text: &str| {
            let i = text.find('\n').unwrap_or(0);
            stands_for_a_space_in_an_ssn(text.as_bytes(), i, 1)
        };
        assert!(at_break("(985) 662-7200    879\n51 5764\n\nEMERGENCY"));
        assert!(at_break("SSN 879 51\n5764  next"));
        // More digits, a dash, or an invalid area are something else.
        assert!(!at_break("879\n51 57641"));
        assert!(!at_break("879\n51-5764"));
        assert!(!at_break("000\n51 5764"));
    }

    #[test]
    fn nine_digits_after_an_ssn_cue_broken_anywhere_are_one_number() {
        assert!(splits("SSN: 4565\n28849   Driver license"));
        assert!(splits("SSN: 771 11\n9632   Driver"));
        assert!(splits("SSN: 391-42\n-S808   Driver"));
        // Without the cue, or with a digit too many, the lines stay apart.
        assert!(!splits("Total: 4565\n28849 units"));
        assert!(!splits("SSN: 4565\n288491 units"));
        assert!(!splits("Lessn: 4565\n28849 units"));
    }

    #[test]
    fn an_ssn_cue_may_end_the_line_above_and_an_ocr_letter_stand_on_either_side() {
        let last_break = |text: &str| {
            let i = text.rfind('\n').unwrap_or(0);
            splits_identifier(text.as_bytes(), i, 1)
        };
        assert!(last_break(
            "number is 6643261 and SSN\n23172\n0039. You can"
        ));
        assert!(last_break("SSN:\n771 11\n9632   Driver"));
        assert!(splits("SSN: 2B574\n7168   Driver license"));
        // Two OCR letters, or a cue two lines up, do not make an SSN.
        let cued_ssn = |text: &str| {
            let i = text.rfind('\n').unwrap_or(0);
            splits_cued_ssn(text.as_bytes(), i, i + 1)
        };
        assert!(cued_ssn("SSN: 2B574\n7168   Driver license"));
        assert!(!cued_ssn("SSN: 2B5B4\n7168   Driver license"));
        assert!(!cued_ssn("SSN\nsee below\n23172\n0039"));
    }

    #[test]
    fn a_record_number_broken_on_a_short_line_is_one_code() {
        for t in [
            "FERRARI, MARÍA ISABEL   JR966\n4806   BR-2026-9498",
            "LAAKSONEN, MAIJA    X705W-\nSJ    110L839051",
            "Patient 1D: 2926\n3293\nCollected",
            "DIAH  08/06/1942   V41\n4SFW \n F",
            "Med Rec No.8161-1\n578-8\nOrdering",
            "and the Crohn's disease order. MRNNF915\n2069.\n\nThe documents",
            "the LOINC 2951-2 order. MRN RS0\n5ZNK.\n\nThe documents",
        ] {
            assert!(splits(t), "{t:?}");
        }
        for t in [
            "Aspen CO   12993\n315497\n4827",
            "Total 12\n12/2025",
            "Glucose 70.3   AMD\nTSH 126.3",
            "MRN K972BBW\nACCT 1234567",
            "Unit 108\nHyannis",
            "version v2.1234\n5678 units",
        ] {
            assert!(!splits(t), "{t:?}");
        }
    }

    #[test]
    fn a_date_broken_on_a_short_line_is_one_date() {
        for t in [
            "DATE OF SERVICE:10/27/\n2026\nREFERRING",
            "Printed 09/19/\n2025 10:37 PM",
            "Received: 04\n/05/2025",
            "Date: 12/2\n025\nIf signed",
            "Received: Tuesday, May 13, 2\n025 22:40",
            "(L545LBQ)2/1\n/84 M",
        ] {
            assert!(splits(t), "{t:?}");
        }
        for t in [
            "seen 3/4\n2025 plan",
            "Total 12\n12/2025",
            "rate 1/2\n25 mg",
        ] {
            assert!(!splits(t), "{t:?}");
        }
    }

    #[test]
    fn a_banner_record_number_broken_beside_a_date_or_in_parentheses_is_one_code() {
        for t in [
            "LANGE, BERNHARD  12/16/1954   V6\n26NFP  F   Page 1 of 2",
            "KROSS, KALJU  \n12/18/\n1999   T533\nHJE   M   Page 2 of 2",
            "Balčiūnas, Justas (L545\nLBQ)2/1/84 M",
            "Turei-Huang, Glen (AM-80\n008-N) 10/14/62M",
            "سهل,عبدالعزيز   07/15/1962   2022-9\n44019   F   Page 2 of 2",
            "R0OM/BED\nSCHMITT, ANDRÉ    DR-98453\n-T    5137 6789 8037 8796",
        ] {
            let i = t.find("\n").unwrap_or(0);
            let i = if t.starts_with("KROSS") {
                t.rfind("T533").map_or(0, |p| p + 4)
            } else if t.starts_with("R0OM") {
                t.rfind("98453").map_or(0, |p| p + 5)
            } else {
                i
            };
            assert!(splits_identifier(t.as_bytes(), i, 1), "{t:?}");
        }
        for t in [
            "Hemoglobin A1c  130.1  HH    01\nALT  54.7",
            "placed in 2009 is intact.\nBERNHARD LANGE",
            "Sodium 140 on 12/01/2025 Z4M\nWBC 7.1",
        ] {
            assert!(!splits(t), "{t:?}");
        }
    }
}
