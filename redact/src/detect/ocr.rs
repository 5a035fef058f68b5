//! Undoing the damage fax OCR does to identifiers before they are searched for: numbers and
//! words broken across lines (`555-86⏎7-5309`, `Mont-⏎gomery`) are joined, and letters read
//! for digits inside numbers (`(91l) 435-75G3`, `0Z/10/2025`) are read back as digits.
//!
//! The detector searches the repaired text and maps every span back to the original bytes,
//! so a label covers the damaged identifier exactly, line break and all.

use super::bytes;

/// A repaired text and how its offsets map back to the original.
#[derive(Debug)]
pub struct Repaired {
    /// The text with breaks joined and confusions read back.
    pub text: String,
    /// At each repaired offset where bytes were dropped (a joined break), how many bytes
    /// have been dropped up to there in all: a repaired byte's original offset is its own
    /// plus the last such count at or before it (read-back letters keep their place).
    shifts: Vec<(usize, usize)>,
    /// Repaired offsets where something was dropped just before (a joined break).
    joins: Vec<usize>,
    /// Repaired offsets of letters read back as digits (and digits read back as letters).
    reads: Vec<usize>,
    /// Repaired offsets of digits read back as letters inside words: a cue word repaired
    /// (`REFERR1NG:`) changes what is found after it, not at it.
    word_reads: Vec<usize>,
}

impl Repaired {
    /// Whether `start..end` of the repaired text spans a repair: only such spans are new;
    /// the others the original text shows as they are.
    pub fn touches_repair(&self, start: usize, end: usize) -> bool {
        let inside = |list: &[usize], lo: usize| {
            let i = list.partition_point(|&m| m < lo);
            list.get(i).is_some_and(|&m| m < end)
        };
        inside(&self.joins, start + 1)
            || inside(&self.reads, start)
            || inside(&self.word_reads, start.saturating_sub(WORD_READ_REACH))
    }

    /// The parts of the repaired text worth searching again: each repair with the line
    /// before and the line after it (for the cue words around an identifier), overlapping
    /// parts merged. Offsets into [`Repaired::text`], on line boundaries.
    pub fn windows(&self) -> Vec<(usize, usize)> {
        let b = self.text.as_bytes();
        // The line breaks once, then each line's bounds by binary search: a long line with
        // many repairs on it (hostile input) costs no more than a short one.
        let mut newlines = Vec::new();
        let mut from = 0;
        while let Some(n) = bytes::next_newline(b, from) {
            newlines.push(n);
            from = n + 1;
        }
        let line_start = |at: usize| {
            let k = newlines.partition_point(|&n| n < at);
            k.checked_sub(1).map_or(0, |k| newlines[k] + 1)
        };
        let line_end = |at: usize| {
            let k = newlines.partition_point(|&n| n < at);
            newlines.get(k).copied().unwrap_or(b.len())
        };
        let mut marks: Vec<usize> = self.joins.iter().chain(&self.reads).copied().collect();
        marks.sort_unstable();
        let mut out: Vec<(usize, usize)> = Vec::new();
        for m in marks {
            let m = m.min(b.len());
            let s = line_start(line_start(m).saturating_sub(1));
            let e = line_end((line_end(m) + 1).min(b.len()));
            match out.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => out.push((s, e)),
            }
        }
        out
    }

    /// The original offset of the byte at `at` of the repaired text (`None` past its end).
    fn map(&self, at: usize) -> Option<usize> {
        if at >= self.text.len() {
            return None;
        }
        let i = self.shifts.partition_point(|&(r, _)| r <= at);
        Some(at + i.checked_sub(1).map_or(0, |i| self.shifts[i].1))
    }

    /// The original offsets of `start..end` in the repaired text.
    pub fn original(&self, start: usize, end: usize, original_len: usize) -> (usize, usize) {
        let s = self.map(start).unwrap_or(original_len);
        let e = if end == 0 {
            0
        } else {
            self.map(end - 1).map_or(original_len, |o| o + 1)
        };
        (s, e.max(s))
    }
}

/// How far before a span a repaired word may stand and still be what the span depends on
/// (a cue word and its separator).
const WORD_READ_REACH: usize = 48;

/// The digit an OCR engine mistakes this letter for.
pub(super) fn as_digit(c: u8) -> Option<u8> {
    Some(match c {
        b'O' | b'o' => b'0',
        b'l' | b'I' => b'1',
        b'Z' => b'2',
        b'S' => b'5',
        b'G' => b'6',
        b'B' => b'8',
        _ => return None,
    })
}

fn digitish(c: u8) -> bool {
    c.is_ascii_digit() || matches!(c, b'-' | b'/' | b'.' | b')')
}

/// Whether the line break at `i` (`\n`, or `\r\n` starting at `i`) splits a number or a
/// hyphenated word; returns how many bytes to drop (the break, and the hyphen for words).
///
/// Only a line that runs to (nearly) the page's width can have been wrapped: `wrap` is the
/// length of the longest line, `line_start` where the line ending at `i` starts.
fn joinable_break(b: &[u8], i: usize, line_start: usize, wrap: usize) -> Option<(usize, usize)> {
    let nl_len = if b[i] == b'\r' && b.get(i + 1) == Some(&b'\n') {
        2
    } else if b[i] == b'\n' {
        1
    } else {
        return None;
    };
    if i == 0 {
        return None;
    }
    // A ZIP code ends an address line; only its +4 goes on after a break (`20785⏎-8488`),
    // never a telephone or record number that opens the next line.
    if b.get(i + nl_len) != Some(&b'-') && zip_code_ends_at(b, i) {
        return None;
    }
    if splits_phone(b, i, nl_len).is_some()
        || splits_cued_id(b, i, nl_len)
        || super::breaks::splits_identifier(b, i, nl_len)
    {
        // Forms and cover sheets break short lines too: a telephone number, a record
        // number right after its cue, an SSN, a date or a page banner's record number is
        // joined whatever the line's length.
        return Some((i, nl_len));
    }
    if let Some(drop) = hyphenated_word(b, i, nl_len) {
        // Forms hyphenate words on short lines too (`Burling-⏎ton`, `DEKK-⏎ER, MAX`).
        return Some(drop);
    }
    let line = i - line_start;
    if line < 24 || line * 2 < wrap {
        return None;
    }
    let before = b[i - 1];
    let after = *b.get(i + nl_len)?;
    if (before.is_ascii_digit() || before == b'-' || before == b'/')
        && (after.is_ascii_digit() || (after == b'-' && before.is_ascii_digit()))
        && !(after != b'-' && zip_code_ends_at(b, i))
    {
        // A number broken across lines: drop the break only.
        return Some((i, nl_len));
    }
    if before == b'-'
        && i >= 2
        && b[i - 2].is_ascii_alphabetic()
        && after.is_ascii_alphabetic()
        && after.is_ascii_lowercase()
    {
        // A word hyphenated at the line end: drop the hyphen and the break.
        return Some((i - 1, nl_len + 1));
    }
    None
}

/// A word hyphenated at the line break at `i`, on a line of any length: letters, a hyphen,
/// the break, and letters of the same case (`Burling-⏎ton`, `DEKK-⏎ER`, `JÚ-⏎LIO`,
/// `Es-⏎téves`). Returns the hyphen and the break to drop. A capital after small letters
/// (`Kolárová-⏎Skutecká`) is a compound's own hyphen: the break alone is dropped. A part of
/// one letter before the hyphen (`X-⏎ray`, `A-⏎IRY`) joins only in capitals.
fn hyphenated_word(b: &[u8], i: usize, nl_len: usize) -> Option<(usize, usize)> {
    if i < 3 || b[i - 1] != b'-' {
        return None;
    }
    let letter = |c: u8| c.is_ascii_alphabetic() || c >= 0x80;
    // The part before the hyphen: back to the word's start.
    let mut s = i - 1;
    while s > 0 && letter(b[s - 1]) {
        s -= 1;
    }
    let part = &b[s..i - 1];
    if part.is_empty() || !part.iter().any(u8::is_ascii_alphabetic) {
        return None;
    }
    // Whether the part is all capitals, all small letters after a first letter, or mixed
    // (`Gü-⏎nther` is a capitalised word, `JÚ-⏎LIO` capitals).
    let cased = |bytes: &[u8], skip: usize| {
        let t = std::str::from_utf8(bytes).unwrap_or("");
        (
            t.chars().skip(skip).any(char::is_lowercase),
            t.chars().skip(skip).any(char::is_uppercase),
        )
    };
    let (has_lower, has_upper_rest) = cased(part, 1);
    let first_upper = part[0].is_ascii_uppercase();
    let rest = &b[i + nl_len..];
    let next_len = rest.iter().take_while(|&&c| letter(c)).count();
    if next_len == 0 {
        return None;
    }
    let next = &rest[..next_len];
    let (next_lower, next_upper) = cased(next, 0);
    // A capital alone before the hyphen and a word in small letters after it: a name's
    // first letter (`Hugo S-⏎araiva`, `Aesa A-⏎gerbeek`), not `X-⏎ray`.
    if part.len() == 1
        && first_upper
        && (s == 0 || b[s - 1] == b' ')
        && next.len() >= 4
        && next.iter().all(u8::is_ascii_lowercase)
    {
        return Some((i - 1, nl_len + 1));
    }
    let caps = !has_lower && (first_upper || part[0] >= 0x80);
    if caps && next_upper && !next_lower {
        // `DEKK-⏎ER`, `A-⏎IRY`: capitals on both sides.
        return Some((i - 1, nl_len + 1));
    }
    if part.len() < 2 || has_upper_rest && has_lower {
        return None;
    }
    if !caps && next[0].is_ascii_lowercase() || (!caps && next[0] >= 0x80 && !next_upper) {
        // `Burling-⏎ton`, `ha-⏎nko`, `Es-⏎téves`.
        return Some((i - 1, nl_len + 1));
    }
    if !caps && next[0].is_ascii_uppercase() && has_lower {
        // `Kolárová-⏎Skutecká`: the hyphen is the name's own.
        return Some((i, nl_len));
    }
    None
}

/// Cue words of record numbers whose value a page may break (`MRN PM084⏎7641`,
/// `Chart:00003⏎9833`, `ID# NQ⏎-08236-E`), lower case, without the `:`, `#` or `.` that
/// may follow them.
const ID_CUES: &[&[u8]] = &[
    b"mrn",
    b"mr",
    b"chart",
    b"id",
    b"acct",
    b"account",
    b"record no",
    b"rec no",
    b"record",
    b"ref",
];

fn id_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-'
}

/// Whether the break at `i` splits a record number that follows its cue on the line: the
/// token before the break comes right after `MRN`, `Chart:`, `ID#`… and holds a digit or
/// the token after the break does.
fn splits_cued_id(b: &[u8], i: usize, nl_len: usize) -> bool {
    let from = i + nl_len;
    if !b.get(from).copied().is_some_and(id_byte) || !id_byte(b[i - 1]) {
        return false;
    }
    let mut s = i;
    while s > 0 && id_byte(b[s - 1]) {
        s -= 1;
    }
    let mut e = from;
    while e < b.len() && id_byte(b[e]) {
        e += 1;
    }
    let digits = b[s..i]
        .iter()
        .chain(&b[from..e])
        .filter(|c| c.is_ascii_digit())
        .count();
    // Two whole tokens, or a date starting the next line, are two things.
    let date_next = {
        let mut d = from;
        while d < b.len() && (b[d].is_ascii_digit() || matches!(b[d], b'/' | b'-' | b'.')) {
            d += 1;
        }
        super::breaks::numeric_date(&b[from..d])
    };
    // The next line opening with a word (`Fax: (555)…`, `Phone #`) after a value that is
    // whole already starts a new field.
    // A cue glued to its value (`MRN467803⏎61`, `Chart2015⏎-837521`): the value's part
    // before the break is what follows the cue.
    let glued = b[s..i].to_ascii_lowercase();
    let glued_cue = ID_CUES
        .iter()
        .find(|cue| glued.starts_with(cue) && glued.get(cue.len()).is_some_and(u8::is_ascii_digit))
        .filter(|_| s == 0 || !b[s - 1].is_ascii_alphanumeric())
        .map_or(0, |cue| cue.len());
    let left_len = i - s - glued_cue;
    let word_next = b[from..e].iter().all(u8::is_ascii_alphabetic)
        && (b.get(e).is_some_and(|&c| matches!(c, b':' | b'#'))
            || (e - from >= 3 && left_len >= 6));
    if digits < 3
        || e - from > 16
        || left_len > 16
        || date_next
        || word_next
        || (left_len >= 6 && e - from >= 6)
    {
        return false;
    }
    if glued_cue > 0 {
        return true;
    }
    // What stands before the token on its line: a cue, then `:`, `#` or spaces.
    let mut c = s;
    while c > 0 && matches!(b[c - 1], b' ' | b'\t' | b':' | b'#' | b'.') {
        c -= 1;
    }
    // The value may start the line after its cue (`MR#:⏎04S⏎49399W`).
    if c > 0 && c == s && b[c - 1] == b'\n' {
        c -= 1;
        if c > 0 && b[c - 1] == b'\r' {
            c -= 1;
        }
        while c > 0 && matches!(b[c - 1], b' ' | b'\t' | b':' | b'#' | b'.') {
            c -= 1;
        }
    }
    let cue_end = c;
    let line_start = b[..cue_end]
        .iter()
        .rposition(|&x| x == b'\n')
        .map_or(0, |p| p + 1);
    let before = b[line_start..cue_end].to_ascii_lowercase();
    let before = before.trim_ascii_end();
    cue_end < s
        && ID_CUES.iter().any(|cue| {
            before.ends_with(cue)
                && before.len().checked_sub(cue.len() + 1).is_none_or(|k| {
                    // A word glued on before the cue by a dropped space, told by its case
                    // (`MedicalRecord No.7776⏎5628`).
                    !before[k].is_ascii_alphanumeric()
                        || (b[line_start + k].is_ascii_lowercase()
                            && b[line_start + k + 1].is_ascii_uppercase())
                })
        })
}

fn phone_byte(c: u8) -> bool {
    c.is_ascii_digit()
        || matches!(c, b'(' | b')' | b'+' | b'.' | b'/' | b'-' | b' ')
        || as_digit(c).is_some()
}

/// Whether the line break at `i` (`nl_len` bytes) splits a telephone number: the run of
/// number bytes that ends the line and the one that starts the next read, joined (letters
/// an OCR engine puts for digits read back), as a North American or international number
/// that neither part is on its own. `Some` holds the offsets of the letters inside the
/// joined number that are to be read back as digits (`+234 93⏎O 212 4782`).
pub(super) fn splits_phone(b: &[u8], i: usize, nl_len: usize) -> Option<Vec<usize>> {
    let before = b[i - 1];
    let after = *b.get(i + nl_len)?;
    if !(phone_byte(before) && phone_byte(after)) {
        return None;
    }
    // The runs stop at a column gap (two spaces), at anything that is not part of a number,
    // and at a letter inside a word (`Cal1`).
    // Two capitals an engine reads for digits, with no letter beyond them, are not a word
    // (`BO2 651⏎-7615`; but `DOB0528…` is).
    // So are an `l` or an `o` beside a misread capital (`3.699.lO25`).
    let misread_pair = |j: usize, n: usize| {
        let beyond = if n < j { n.checked_sub(1) } else { Some(n + 1) };
        [j, n].iter().all(|&k| as_digit(b[k]).is_some())
            && (b[j].is_ascii_uppercase() || b[n].is_ascii_uppercase())
            && !beyond.is_some_and(|k| b.get(k).is_some_and(u8::is_ascii_alphabetic))
    };
    // An `x` with digits after it opens an extension (`996lx7244`), not a word.
    let extension_at =
        |n: usize| matches!(b[n], b'x' | b'X') && b.get(n + 1).is_some_and(u8::is_ascii_digit);
    // A misread capital after a small letter starts the number after a glued word
    // (`cellB05⏎.421.9584`).
    let camel_start =
        |j: usize, n: usize| n < j && b[j].is_ascii_uppercase() && b[n].is_ascii_lowercase();
    let letter_in_word = |j: usize, neighbour: Option<usize>| {
        b[j].is_ascii_alphabetic()
            && neighbour.is_some_and(|n| {
                let number_here =
                    misread_pair(j, n) || (n > j && extension_at(n)) || camel_start(j, n);
                b[n].is_ascii_alphabetic() && !number_here
            })
    };
    let mut s = i;
    while s > 0
        && phone_byte(b[s - 1])
        && !(b[s - 1] == b' ' && s >= 2 && b[s - 2] == b' ')
        && !letter_in_word(s - 1, s.checked_sub(2))
    {
        s -= 1;
    }
    // A word glued to the number's start, itself with a misread digit, is not part of it
    // (`ce1l20⏎6 333 1925`).
    if s > 0 && b[s - 1].is_ascii_alphabetic() {
        let mut ts = s;
        while ts > 0 && b[ts - 1].is_ascii_alphanumeric() {
            ts -= 1;
        }
        let mut te = s;
        while te < i && b[te].is_ascii_alphanumeric() {
            te += 1;
        }
        let (ws, _) = without_glued_words(b, ts, te);
        if ws > s && ws < te {
            s = ws;
        }
    }
    let from = i + nl_len;
    let mut e = from;
    while e < b.len()
        && phone_byte(b[e])
        && !(b[e] == b' ' && b.get(e + 1) == Some(&b' '))
        && !letter_in_word(e, (e + 1 < b.len()).then_some(e + 1))
    {
        e += 1;
    }
    let read = |v: &[u8]| -> Vec<u8> { v.iter().map(|&c| as_digit(c).unwrap_or(c)).collect() };
    let (left, right) = (read(&b[s..i]), read(&b[from..e]));
    // The left part from its first digit, `(` or `+`; the right one up to its last digit.
    let first = left
        .iter()
        .position(|c| c.is_ascii_digit() || matches!(c, b'(' | b'+'))?;
    let left = left[first..].to_vec();
    let last = right.iter().rposition(u8::is_ascii_digit)?;
    let right = right[..=last].to_vec();
    if !left.iter().any(u8::is_ascii_digit) && left.last() != Some(&b'(') {
        return None;
    }
    // A whole number on the next line is its own, unless the line before ends with nothing
    // but the international prefix it is dialled with (`011 44 ⏎161205 7715`).
    if phone_shaped(&right) && !international_prefix(&left) {
        return None;
    }
    // A ZIP code ends an address line; it never opens a telephone number on the next one
    // (`FL  68048⏎5196353141`, `MA, 93189⏎48192⏎15697`, `20785⏎-8488⏎643771⏎6681`).
    if zip_code_ends_at(b, i) {
        return None;
    }
    // The left part may have picked up the end of a word before the number (`Cal1 +1 (`):
    // try it from each place a number can start.
    let t = (0..left.len())
        .filter(|&t| t == 0 || matches!(left[t - 1], b' ' | b'('))
        .filter(|&t| left[t].is_ascii_digit() || matches!(left[t], b'(' | b'+'))
        .find(|&t| {
            let part = &left[t..];
            let mut joined = part.to_vec();
            joined.extend_from_slice(&right);
            // An international number's groups vary: its first part may read as a whole
            // number when the break falls inside a group (`011 44161 90⏎1 9845`).
            // (Not a North American one, country code 1: its groups are fixed.)
            let inside_a_group = b[i - 1].is_ascii_digit() && b[from].is_ascii_digit();
            let country = part
                .strip_prefix(b"+")
                .or_else(|| part.strip_prefix(b"011"))
                .or_else(|| part.strip_prefix(b"00"))
                .map(<[u8]>::trim_ascii_start);
            let outside_north_america = country
                .and_then(|c| c.first())
                .is_some_and(|&c| c.is_ascii_digit() && c != b'1');
            phone_shaped(&joined)
                && (!phone_shaped(part) || (inside_a_group && outside_north_america))
        })?;
    let letters = (s + first + t..i)
        .chain(from..from + right.len())
        .filter(|&k| b[k].is_ascii_alphabetic())
        .collect();
    Some(letters)
}

/// Whether `v` is only the prefix an international number is dialled with: `+` or an
/// access code (`011`, `00`), then a country code of one to three digits (`+44`, `011 44`,
/// `01144 `).
fn international_prefix(v: &[u8]) -> bool {
    let v = v.trim_ascii();
    let rest = if let Some(r) = v.strip_prefix(b"+") {
        r
    } else if let Some(r) = v.strip_prefix(b"011").or_else(|| v.strip_prefix(b"00")) {
        r.trim_ascii_start()
    } else {
        return false;
    };
    (1..=3).contains(&rest.len()) && rest.iter().all(u8::is_ascii_digit) && rest[0] != b'0'
}

/// Whether the line ending at `i` ends with a ZIP code: five digits (one may be a letter an
/// OCR engine put for a digit) after a state, its two capitals or its name, on the same line
/// or the one before (`FL  68048`, `MA, 93189`, `Minnesota, O3978`, `NH⏎ 23809`); or the
/// four of a ZIP+4 after its five (`20785⏎-8488`).
pub(super) fn zip_code_ends_at(b: &[u8], i: usize) -> bool {
    let digitish = |c: u8| c.is_ascii_digit() || as_digit(c).is_some();
    let mut start = i;
    while start > 0 && i - start < 6 && digitish(b[start - 1]) {
        start -= 1;
    }
    let digits = b[start..i].iter().filter(|c| c.is_ascii_digit()).count();
    match i - start {
        5 if digits >= 4 && (start == 0 || !b[start - 1].is_ascii_alphanumeric()) => {
            let mut k = bytes::back_over_blanks_and_one_break(b, start);
            while k > 0 && matches!(b[k - 1], b' ' | b'\t' | b',') {
                k -= 1;
            }
            k < start && super::places::state_ends_at(b, k)
        }
        4 if digits == 4 && start > 0 && b[start - 1] == b'-' => {
            let k = bytes::back_over_blanks_and_one_break(b, start - 1);
            k - super::breaks::run_start(b, k, |c| c.is_ascii_digit()) == 5
        }
        _ => false,
    }
}

/// A North American number (`+1 (555) 867-5309`, `555.867.5309`, `5558675309`) or an
/// international one (`+44 20 3132 3710`, `011 44 161 036 4888`), nothing else around it.
fn phone_shaped(v: &[u8]) -> bool {
    use std::sync::OnceLock;
    static SHAPES: OnceLock<Option<regex_automata::meta::Regex>> = OnceLock::new();
    let shapes = SHAPES.get_or_init(|| {
        regex_automata::meta::Regex::new_many(&[
            r"^(?:\+?1[ .-]?)?(?:\([0-9]{3}\)[ ]?-?|[0-9]{3}[ ./-]?)[0-9]{3}[ ./-]?[0-9]{4}$",
            r"^(?:\+|011[ ]?)[1-9][0-9]{0,2}(?:[ .-]?\(?[0-9]{1,5}\)?){2,5}$",
        ])
        .ok()
    });
    let digits = v.iter().filter(|c| c.is_ascii_digit()).count();
    (10..=15).contains(&digits) && shapes.as_ref().is_some_and(|re| re.is_match(v))
}

/// The length of the longest line of `b`, given the offsets of its line breaks.
fn longest_line(b: &[u8], breaks: &[usize]) -> usize {
    let mut longest = 0;
    let mut from = 0;
    for &nl in breaks {
        longest = longest.max(nl - from);
        from = nl + 1;
    }
    longest.max(b.len() - from)
}

/// Repairs `text` when it shows OCR damage around identifiers; `None` when it does not
/// (the common case, which costs one pass over the bytes and two over the line breaks).
///
/// `machine` are byte ranges, sorted and apart, that the detector already read as
/// machine-made tokens (an RFC 3339 timestamp with its closing `Z`, a fax job id): a letter
/// inside one is part of it, not a misread digit, and is left alone. (Other look-alikes are
/// not: `B45` is an ICD-10 code and, in `(969) B45-1992`, a misread fax number.)
#[inline(never)]
pub fn repair(text: &str, machine: &[(usize, usize)]) -> Option<Repaired> {
    let b = text.as_bytes();
    let mut confused = confusions(b);
    outside(&mut confused, machine);
    let mut newlines = Vec::new();
    let mut from = 0;
    while let Some(n) = bytes::next_newline(b, from) {
        newlines.push(n);
        from = n + 1;
    }
    let wrap = longest_line(b, &newlines);
    // Every joinable break, as the bytes to drop (`from`, `len`); and whether one sits at a
    // bare `\n` (a `\r\n` break is joined but, on its own, does not mark a text as damaged).
    let mut breaks: Vec<(usize, usize)> = Vec::new();
    let mut bare_break = false;
    let mut from = 0;
    for &n in &newlines {
        let line_start = from;
        from = n + 1;
        let crlf = n > 0 && b[n - 1] == b'\r';
        let at = if crlf { n - 1 } else { n };
        if super::breaks::stands_for_a_space_in_an_ssn(b, at, if crlf { 2 } else { 1 }) {
            // Read as the space it replaced (`879⏎51 5764`); a `\r` before it is dropped.
            if crlf {
                breaks.push((at, 1));
            }
            confused.push(n);
            bare_break |= !crlf;
        } else if let Some(drop) = joinable_break(b, at, line_start, wrap) {
            bare_break |= !crlf;
            breaks.push(drop);
            // Letters inside a telephone number joined across the break read as digits
            // too, even where they stand alone (`93⏎O 212 4782`).
            if let Some(letters) = splits_phone(b, at, if crlf { 2 } else { 1 }) {
                confused.extend(letters);
            }
        }
    }
    confused.sort_unstable();
    confused.dedup();
    if confused.is_empty() && !bare_break {
        return None;
    }
    let mut out = Vec::with_capacity(b.len());
    let mut shifts = Vec::with_capacity(breaks.len());
    let mut dropped = 0;
    let mut joins = Vec::with_capacity(breaks.len());
    let mut reads = Vec::with_capacity(confused.len());
    let mut word_reads = Vec::new();
    let copy = |out: &mut Vec<u8>, from: usize, to: usize| out.extend_from_slice(&b[from..to]);
    // Breaks and read-back letters never share a byte; walk both in order.
    let (mut bi, mut ri) = (0, 0);
    let mut pos = 0;
    loop {
        let next_break = breaks.get(bi).map_or(usize::MAX, |&(f, _)| f);
        let next_read = confused.get(ri).copied().unwrap_or(usize::MAX);
        if next_break == usize::MAX && next_read == usize::MAX {
            break;
        }
        if next_break < next_read {
            let (f, len) = breaks[bi];
            bi += 1;
            copy(&mut out, pos, f);
            joins.push(out.len());
            dropped += len;
            shifts.push((out.len(), dropped));
            pos = f + len;
        } else {
            ri += 1;
            copy(&mut out, pos, next_read);
            reads.push(out.len());
            if b[next_read].is_ascii_digit() {
                word_reads.push(out.len());
            }
            out.push(read_back(b, next_read));
            pos = next_read + 1;
        }
    }
    copy(&mut out, pos, b.len());
    // Only ASCII bytes were dropped or replaced by ASCII bytes, so the rest is still whole
    // UTF-8 characters.
    let text = String::from_utf8(out).ok()?;
    Some(Repaired {
        text,
        shifts,
        joins,
        reads,
        word_reads,
    })
}

/// Drops the offsets (sorted) that fall inside one of `ranges` (sorted, apart).
fn outside(offsets: &mut Vec<usize>, ranges: &[(usize, usize)]) {
    let mut r = 0;
    offsets.retain(|&at| {
        while r < ranges.len() && ranges[r].1 <= at {
            r += 1;
        }
        ranges.get(r).is_none_or(|&(from, _)| from > at)
    });
}

/// The letter an OCR engine mistakes this digit for, in the case of the word around it
/// (`REFERR1NG`, `C1aim`, `D0B`, `ADDRE5S`, `MEM8ER`); a digit opening a word of small
/// letters is its capital (`8ehnert`, `0rvokki`, `5onia`), and an `8` is a `B` in any word
/// (`Mac8ērziņš`).
fn as_letter(b: &[u8], j: usize) -> Option<u8> {
    let opens = j == 0 || !b[j - 1].is_ascii_alphanumeric();
    if opens && b.get(j + 1).is_some_and(u8::is_ascii_lowercase) {
        return Some(match b[j] {
            b'0' => b'O',
            b'1' => b'I',
            b'5' => b'S',
            b'8' => b'B',
            _ => return None,
        });
    }
    let neighbour = b
        .get(j + 1)
        .filter(|c| c.is_ascii_alphabetic())
        .or_else(|| {
            j.checked_sub(1)
                .map(|k| &b[k])
                .filter(|c| c.is_ascii_alphabetic())
        })?;
    let upper = neighbour.is_ascii_uppercase();
    Some(match (b[j], upper) {
        (b'0', true) => b'O',
        (b'0', false) => b'o',
        (b'1', true) => b'I',
        (b'1', false) => b'l',
        (b'5', true) => b'S',
        (b'5', false) => b's',
        (b'8', _) => b'B',
        _ => return None,
    })
}

/// What the byte at `j` reads as once repaired: a letter in a number as its digit, a digit
/// in a word as its letter.
fn read_back(b: &[u8], j: usize) -> u8 {
    if b[j] == b'\n' {
        // A break that stood where a space was (see `breaks::stands_for_a_space_in_an_ssn`).
        b' '
    } else if b[j].is_ascii_digit() {
        as_letter(b, j).unwrap_or(b[j])
    } else {
        as_digit(b[j]).unwrap_or(b[j])
    }
}

/// The offsets of the letters read for digits inside numbers, in order: a letter of
/// [`as_digit`] whose token (a run of letters and digits) holds more digits than letters that
/// are never mistaken for digits, and that touches a digit or another such letter that
/// does; and the digits read for letters inside words (see [`as_letter`]): a token with at
/// least twice as many letters as digits, every digit one an engine puts for a letter. Only
/// tokens with a digit can hold either, so the walk goes from digit to digit (text without
/// digits is skipped a chunk at a time) and reads each such token once.
fn confusions(b: &[u8]) -> Vec<usize> {
    let mut found = Vec::new();
    let mut i = 0;
    while let Some(d) = bytes::next_digit(b, i) {
        let mut s = d;
        while s > i && b[s - 1].is_ascii_alphanumeric() {
            s -= 1;
        }
        // A capital (or an `l`, an `o`) standing alone between two groups of a number
        // (`+33 B 45 29 41 26`, `+33 l 39 46 23 42`).
        // Up to three such letters read as one group (`+52 SS 1066 9035`).
        if s >= 4 && b[s - 1] == b' ' {
            let mut l = s - 1;
            while l > 0 && s - 1 - l < 3 && as_digit(b[l - 1]).is_some() {
                l -= 1;
            }
            if l < s - 1 && l >= 2 && b[l - 1] == b' ' && b[l - 2].is_ascii_digit() {
                found.extend(l..s - 1);
            }
        }
        i = s;
        let (mut digits, mut plain_letters, mut confusable) = (0usize, 0usize, 0usize);
        while i < b.len() && b[i].is_ascii_alphanumeric() {
            if b[i].is_ascii_digit() {
                digits += 1;
            } else if as_digit(b[i]).is_some() {
                confusable += 1;
            } else {
                plain_letters += 1;
            }
            i += 1;
        }
        let letters = confusable + plain_letters;
        if digits > 0
            && letters >= 2
            && letters >= 2 * digits
            && plain_letters * 2 >= digits
            && b[s..i]
                .iter()
                .filter(|c| c.is_ascii_digit())
                .all(|&c| matches!(c, b'0' | b'1' | b'5' | b'8'))
            // A record number of capitals and digits is no word (`RS05ZNK`), nor is one a
            // line break cut between two digits (`RS0⏎5ZNK`; `REI5`, `ROOM/BED⏎8IN` and
            // `4851⏎5ender` are words).
            && !super::ids::record_code(&b[s..i])
            // Two digits in a row closing it after a word and a capital are a number glued on
            // (`FaxO11 44…`; `Sp02` is a word).
            && !(b[i - 1].is_ascii_digit()
                && b[i - 2].is_ascii_digit()
                && b[s..i].windows(2).any(|w| w[0].is_ascii_lowercase() && w[1].is_ascii_uppercase()))
            && !number_goes_on_after_a_break(b, i)
            && (b[s..i].iter().any(u8::is_ascii_lowercase) || !number_goes_on_before_a_break(b, s))
        {
            // A word with digits an OCR engine read for letters (`REFERR1NG:`, `C1aim #`,
            // `D0B`): its cue words read again. Only when every digit can be a letter;
            // otherwise the digits are a number glued to a word (`fax6S7`, `SHIELD86l`).
            found.extend((s..i).filter(|&j| b[j].is_ascii_digit() && as_letter(b, j).is_some()));
            continue;
        }
        // A word a page glued to the number (`9434or`, `B787and`, `SHIELD01l`) is not part
        // of it: a run of two letters or more at either end that holds a letter no engine
        // reads for a digit.
        // A cue glued to the number, itself with a digit misread (`S5N626 5⏎4 2740`), stays
        // a cue: its letters are not digits.
        let (s, e) = without_glued_words(b, s, i);
        let s = s + glued_cue_len(&b[s..e]);
        let (mut digits, mut plain_letters, mut confusable) = (0usize, 0usize, 0usize);
        for &c in &b[s..e] {
            if c.is_ascii_digit() {
                digits += 1;
            } else if as_digit(c).is_some() {
                confusable += 1;
            } else {
                plain_letters += 1;
            }
        }
        if confusable == 0 || digits == 0 || plain_letters * 2 >= digits || e - s < 2 {
            continue;
        }
        // Letters glued to a number on the left or right only when a digit is beside them,
        // or another such letter that is (`83Sl`, `l6BO`).
        let near = |j: usize| b.get(j).is_some_and(|&c| c.is_ascii_digit() || digitish(c));
        let confusable_at = |j: usize| j >= s && j < e && as_digit(b[j]).is_some();
        for j in s..e {
            if !confusable_at(j) {
                continue;
            }
            let mut left = j;
            while left > s && confusable_at(left - 1) {
                left -= 1;
            }
            let mut right = j + 1;
            while right < e && confusable_at(right) {
                right += 1;
            }
            if (left > 0 && near(left - 1))
                || (right < e && near(right))
                || (right == e && near(e))
                || (j + 2 < b.len() && b[j + 2].is_ascii_digit())
            {
                found.push(j);
            }
        }
    }
    found
}

/// The length of an SSN or MRN cue, as OCR may read it, glued to the digits that open `tok`.
fn glued_cue_len(tok: &[u8]) -> usize {
    const CUES: &[&[u8]] = &[b"ssn", b"s5n", b"5sn", b"mrn"];
    CUES.iter()
        .find(|cue| {
            tok.len() > cue.len()
                && tok[..cue.len()].eq_ignore_ascii_case(cue)
                && tok[cue.len()].is_ascii_digit()
        })
        .map_or(0, |cue| cue.len())
}

/// Whether the token ending at `e` ends with a digit at a line break and the next line goes
/// on with the number: a digit, or a separator and a digit (`RS0⏎5ZNK`, `cellB05⏎.421.9584`).
fn number_goes_on_after_a_break(b: &[u8], e: usize) -> bool {
    let next = match b.get(e) {
        Some(b'\n') => e + 1,
        Some(b'\r') if b.get(e + 1) == Some(&b'\n') => e + 2,
        _ => return false,
    };
    let next = if b.get(next).is_some_and(|c| matches!(c, b'.' | b'-' | b'/')) {
        next + 1
    } else {
        next
    };
    b[e - 1].is_ascii_digit() && b.get(next).is_some_and(u8::is_ascii_digit)
}

/// Whether the token starting at `s` opens with a digit after a line break after a digit: a
/// number the page broke (`RS0⏎5ZNK`).
fn number_goes_on_before_a_break(b: &[u8], s: usize) -> bool {
    let before = match s.checked_sub(1).map(|p| b[p]) {
        Some(b'\n') if s >= 3 && b[s - 2] == b'\r' => Some(b[s - 3]),
        Some(b'\n') if s >= 2 => Some(b[s - 2]),
        _ => None,
    };
    b[s].is_ascii_digit() && before.is_some_and(|c| c.is_ascii_digit())
}

/// `s..e` without a word glued to either end of it: a run of two letters or more (small
/// letters at the end) that holds a letter [`as_digit`] does not know.
fn without_glued_words(b: &[u8], s: usize, e: usize) -> (usize, usize) {
    let word = |run: &[u8]| {
        run.len() >= 2
            && run
                .iter()
                .any(|&c| c.is_ascii_alphabetic() && as_digit(c).is_none())
    };
    // The word may hold a digit an OCR engine put for one of its letters, between two letters
    // (`ce1l20⏎6 333 1925`: the word is `ce1l`).
    let misread_inside = |k: usize| {
        k > s
            && k + 1 < e
            && matches!(b[k], b'0' | b'1' | b'5' | b'8')
            && b[k - 1].is_ascii_alphabetic()
            && b[k + 1].is_ascii_alphabetic()
    };
    let mut start = s;
    while start < e && (b[start].is_ascii_alphabetic() || misread_inside(start)) {
        start += 1;
    }
    let start = if start < e && word(&b[s..start]) {
        // A misread capital right after the word's small letters opens the number when two
        // digits or more follow (`FxB71 916 1095`; `SpO2` is a word).
        if start - s >= 3
            && e - start >= 2
            && b[start - 1].is_ascii_uppercase()
            && as_digit(b[start - 1]).is_some()
            && b[start - 2].is_ascii_lowercase()
        {
            start - 1
        } else {
            start
        }
    } else {
        s
    };
    // At the end, the letters after the number from the first small one: `510Sor` keeps
    // its `S`, `19O0orLBU` (an e-mail address glued on) its `O`.
    let mut end = e;
    while end > start && b[end - 1].is_ascii_alphabetic() {
        end -= 1;
    }
    while end < e && !b[end].is_ascii_lowercase() {
        end += 1;
    }
    // Or a word in capitals glued on (`935 252 9O97PAGE 001`): three capitals or more, two
    // of them letters no engine reads for a digit.
    if end == e {
        let mut k = e;
        while k > start && b[k - 1].is_ascii_uppercase() {
            k -= 1;
        }
        let plain = b[k..e].iter().filter(|&&c| as_digit(c).is_none()).count();
        if e - k >= 3 && plain >= 2 && k > start {
            end = k;
        }
    }
    let end = if end > start && word(&b[end..e]) {
        end
    } else {
        e
    };
    (start, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broken_numbers_and_words_are_joined_and_mapped_back() {
        let t = "please ask the front desk to call 555-86\n7-5309 and ask for Doctor Mont-\ngomery\nPage 3";
        let r = repair(t, &[]).expect("damaged");
        assert_eq!(
            r.text,
            "please ask the front desk to call 555-867-5309 and ask for Doctor Montgomery\nPage 3"
        );
        let at = r.text.find("555").unwrap_or(0);
        assert_eq!(r.original(at, at + 12, t.len()), (34, 47));
        assert_eq!(&t[34..47], "555-86\n7-5309");
        // A short line was not wrapped: a number at its end stays apart from the next.
        assert!(
            repair(
                "mrn=P2390968\n2026-11-23 a much longer line of log text follows",
                &[]
            )
            .is_none()
        );
    }

    #[test]
    fn words_hyphenated_on_short_lines_are_joined_in_their_own_case() {
        for (damaged, whole) in [
            (
                "PO Box 1719\nBurling-\nton,  WI",
                "PO Box 1719\nBurlington,  WI",
            ),
            ("ROOM/BED\nDEKK-\nER, MAX", "ROOM/BED\nDEKKER, MAX"),
            ("GUARANTOR\nJÚ-\nLIO CÉSAR", "GUARANTOR\nJÚLIO CÉSAR"),
            ("Dear Dr. Es-\ntéves,", "Dear Dr. Estéves,"),
            (
                "Eliška Kolárová-\nSkutecká\nPO Box",
                "Eliška Kolárová-Skutecká\nPO Box",
            ),
        ] {
            let r = repair(damaged, &[]).map(|r| r.text);
            assert_eq!(r.as_deref(), Some(whole), "{damaged:?}");
        }
        // Small letters after capitals are another word; a list dash is no word.
        for text in ["Items:\n-\nnone", "HIV-\nnegative"] {
            let r = repair(text, &[]).map(|r| r.text);
            assert!(
                r.as_deref().is_none_or(|t| t.contains('\n')),
                "{text:?} -> {r:?}"
            );
        }
    }

    #[test]
    fn a_whole_value_is_not_joined_to_the_label_that_opens_the_next_line() {
        for text in [
            "MRN: 00451234\nFax: (555) 867-5309",
            "MRN: 00451234\nPhone #555-867-5309",
            "Acct 7731002\nThank you for the referral",
        ] {
            let joined = repair(text, &[]).map(|r| r.text);
            assert!(
                joined.as_deref().is_none_or(|t| t.contains('\n')),
                "{text:?} -> {joined:?}"
            );
        }
    }

    #[test]
    fn telephone_numbers_broken_on_short_lines_are_joined() {
        for (damaged, whole) in [
            ("PHONE: 57591\n59175\t\tnext", "PHONE: 5759159175\t\tnext"),
            (
                "Fax:\n(971)825\n-4416\nOffice",
                "Fax:\n(971)825-4416\nOffice",
            ),
            ("Fax: 011 \n44 161 036 4888\n", "Fax: 011 44 161 036 4888\n"),
            (
                "Cal1 +1 (\n862) 842-5033 with",
                "Call +1 (862) 842-5033 with",
            ),
            // A ZIP code ending an address line does not open the number below it, which
            // may be broken itself; the number after an international prefix is joined to it.
            (
                "West Palm Beach FL  68048\n51963\n53141 | fax",
                "West Palm Beach FL  68048\n5196353141 | fax",
            ),
            (
                "Muskegon MI, 20785\n-8488\n643771\n6681 | fax",
                "Muskegon MI, 20785\n-8488\n6437716681 | fax",
            ),
            (
                "Patient phone: 011 44 \n161205 7715\nRx",
                "Patient phone: 011 44 161205 7715\nRx",
            ),
            (
                "Phone #: 458\n-232-996lx7244\n",
                "Phone #: 458-232-9961x7244\n",
            ),
        ] {
            assert_eq!(
                repair(damaged, &[]).map(|r| r.text),
                Some(whole.to_owned()),
                "{damaged:?}"
            );
        }
        // Two numbers on two short lines stay apart.
        assert!(repair("MRN 2390968\n2026-11-23 seen", &[]).is_none());
        assert!(repair("Phone: 555-867-5309\n555-123-4567", &[]).is_none());
    }

    #[test]
    fn a_record_number_broken_after_its_cue_is_joined() {
        for (damaged, whole) in [
            ("order. MRN PM084\n7641.\n", "order. MRN PM0847641.\n"),
            (
                "Acc: LX0334  Chart:00003\n9833\nCollected",
                "Acc: LX0334  Chart:000039833\nCollected",
            ),
            (
                "Patient ID: 472\n6-6909-3    Rep",
                "Patient ID: 4726-6909-3    Rep",
            ),
            ("order. MRN467803\n61.\n", "order. MRN46780361.\n"),
            (
                "4. MedicalRecord No.7776\n5628 5. Provider",
                "4. MedicalRecord No.77765628 5. Provider",
            ),
        ] {
            assert_eq!(
                repair(damaged, &[]).map(|r| r.text),
                Some(whole.to_owned()),
                "{damaged:?}"
            );
        }
        // The cue may stand on the line before the value.
        let t = b"MR#:\n04S\n49399W     ACCT#";
        assert!(splits_cued_id(t, 8, 1));
        // Without a cue before it, a number ending a line stays apart from the next line.
        assert!(repair("Order 4471\n2026 plan", &[]).is_none());
    }

    #[test]
    fn digits_read_for_letters_inside_words_are_read_back() {
        let r =
            repair("REFERR1NG: Dr. Mor, C1aim #: 44, D0B: 1/2/33, A1c 7.2", &[]).expect("damaged");
        assert_eq!(
            r.text,
            "REFERRING: Dr. Mor, Claim #: 44, DOB: 1/2/33, Alc 7.2"
        );
        // A digit opening a word of small letters is its capital; `8` is `B` in any word.
        assert_eq!(
            repair("spouse, 8ehnert, 0rvokki 5onia Mac8erzins", &[]).map(|r| r.text),
            Some("spouse, Behnert, Orvokki Sonia MacBerzins".to_owned())
        );
        // Codes and numbers keep their digits (`B12` is read the other way, as before).
        assert_eq!(
            repair("HbA1c B12 SpO2 V6 T4 MR8123 X1885259", &[]).map(|r| r.text),
            Some("HbAlc 812 SpO2 V6 T4 MR8123 X1885259".to_owned())
        );
    }

    #[test]
    fn letters_read_for_digits_inside_numbers_are_read_back() {
        let r =
            repair("Ph (91l) 435-75G3, DOB 0Z/10/2025, SpO2 97, HOSPITAL", &[]).expect("damaged");
        assert_eq!(
            r.text,
            "Ph (911) 435-7563, DOB 02/10/2025, SpO2 97, HOSPITAL"
        );
        assert!(repair("the patient was seen in clinic\nand sent home", &[]).is_none());
        // A number glued to a word keeps its misread letters (`fax6S7`, `SHIELD86l`).
        let r = repair("Return fax6S7 999 5120, BLUE SHIELD86l/99O-2761", &[]).expect("damaged");
        assert_eq!(r.text, "Return fax657 999 5120, BLUE SHIELD861/990-2761");
        // A line break where a spaced SSN had its space reads as that space.
        let r = repair("(985) 662-7200    879\r\n51 5764\r\n", &[]).expect("damaged");
        assert_eq!(r.text, "(985) 662-7200    879 51 5764\r\n");
        assert_eq!(r.original(18, 29, 31), (18, 30));
    }
}
