//! The last net for identifiers that no cue introduced: a free-standing number of six to
//! twelve digits, or a code of a few letters and at least six digits, is an identifier
//! (a medical record or account number in a table column, an accession or prescription
//! number) unless the word before it says what harmless thing it is (a job, a page, a lot,
//! a CLIA or NDC code). Recall comes first for record numbers: a bare number costs little to
//! redact and much to leak.

use super::bytes;
use super::covers::Covers;
use crate::{PhiKind, Span};

/// Words before a number that say it is not about a person.
const NOT_PHI_BEFORE: &[&str] = &[
    "job", "jobs", "page", "pages", "pg", "lot", "clia", "ndc", "loinc", "cpt", "hcpcs", "icd",
    "tax", "ein", "tin", "version", "ver", "v", "room", "rm", "bed", "ext", "x", "msg", "ts",
    "pages", "latency", "duration", "attempt", "code", "status", "oid", "urn", "id\"", "build",
    "port", "pid", "tid", "seq", "sequence", "batch", "invoice", "po", "sku", "model",
];

fn word_before(text: &str, at: usize) -> &str {
    let b = text.as_bytes();
    let mut end = at;
    while end > 0 && matches!(b[end - 1], b' ' | b'\t' | b'#' | b':' | b'=' | b'"') {
        end -= 1;
    }
    let mut start = end;
    while start > 0 && b[start - 1].is_ascii_alphabetic() {
        start -= 1;
    }
    // The end of a word with letters beyond ASCII is that word's, not a label (`GUSTÁV` is
    // not `v`).
    if start > 0 && b[start - 1] >= 0x80 {
        return "";
    }
    // The end of a word a page hyphenated across a line is no label (`QUEN-⏎TIN    97329720`
    // is a name, then a record number, not a taxpayer id).
    let nl = bytes::back_over_blanks_and_one_break(b, start);
    if nl >= 2
        && b[nl..start].contains(&b'\n')
        && b[nl - 1] == b'-'
        && b[nl - 2].is_ascii_alphabetic()
    {
        return "";
    }
    &text[start..end]
}

/// Whether the digit groups of `tok` are the shape of an NDC code (4-4-2, 5-3-2, 5-4-1).
fn ndc_shaped(tok: &str) -> bool {
    let lens: Vec<usize> = tok.split('-').map(str::len).collect();
    tok.bytes().all(|c| c.is_ascii_digit() || c == b'-')
        && matches!(lens.as_slice(), [4, 4, 2] | [5, 3, 2] | [5, 4, 1])
}

/// Whether a numeric date (`4/6/34`, `12/16/1954`, `1990-11-11`) stands within 40 bytes of
/// `b[start..end]` on its line: a code of letters and digits beside a birth date is the
/// record number of a page banner (`ŞAHIN, DERYA   11/11/1990   Y263KRL   M   Page 2`,
/// `Mugisha, Maximo (A347HRX) 4/6/34 M`).
fn beside_a_date(b: &[u8], start: usize, end: usize) -> bool {
    // The line's bounds looked for within the 40 bytes only: a long line with many codes on
    // it must not be read whole for each.
    let reach = start.saturating_sub(40);
    let from = b[reach..start]
        .iter()
        .rposition(|&c| c == b'\n')
        .map_or(reach, |p| reach + p + 1);
    let reach = (end + 40).min(b.len());
    let to = b[end..reach]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(reach, |p| end + p);
    // Three groups of one to four digits, two `-` or two `/` between them; no allocation.
    let is_date = |w: &[u8]| {
        let (mut groups, mut len, mut slashes, mut dashes) = (1, 0, 0, 0);
        for &c in w {
            match c {
                b'0'..=b'9' if len < 4 => len += 1,
                b'/' | b'-' if len > 0 => {
                    groups += 1;
                    len = 0;
                    slashes += usize::from(c == b'/');
                    dashes += usize::from(c == b'-');
                }
                _ => return false,
            }
        }
        groups == 3 && len > 0 && (slashes == 2 || dashes == 2)
    };
    // A banner may glue the sex to the date (`10/14/62M`).
    fn without_sex(w: &[u8]) -> &[u8] {
        match w.last() {
            Some(b'M' | b'F') => &w[..w.len() - 1],
            _ => w,
        }
    }
    b[from..start]
        .split(|c| c.is_ascii_whitespace() || matches!(c, b'(' | b')' | b','))
        .chain(b[end..to].split(|c| c.is_ascii_whitespace() || matches!(c, b'(' | b')' | b',')))
        .any(|w| is_date(without_sex(w)))
}

/// Whether `tok` is the shape record systems give their numbers: capitals and digits mixed,
/// at least two capitals and three digits, which no word or quantity has together
/// (`K972BBW`, `ZP-81220-W`, `JN-80690-T`), six to twelve bytes. Medical record, account and
/// member numbers are made this way; the harmless codes of the same shape (a message control
/// id, a workstation, a form) are named by the word before them or by their own prefix.
/// OCR may put `l` or `o` for a digit, or a capital beside one (`ZOl4YTK`, `F9B5TTV`).
pub(super) fn record_code(tok: &[u8]) -> bool {
    if !(6..=12).contains(&tok.len())
        || tok.first() == Some(&b'-')
        || tok.last() == Some(&b'-')
        || tok.iter().filter(|&&c| c == b'-').count() > 2
        || !tok.iter().all(|&c| {
            c.is_ascii_digit() || c.is_ascii_uppercase() || matches!(c, b'-' | b'l' | b'o')
        })
    {
        return false;
    }
    // What reads as a digit: a digit, `l` or `o`, and a capital OCR puts for a digit when a
    // digit or another such letter stands beside it (`F9B5TTV`, `ZOl4YTK`; not `COVID19`).
    let misread = |c: u8| matches!(c, b'B' | b'S' | b'O' | b'I' | b'Z');
    let plain = |c: u8| c.is_ascii_digit() || matches!(c, b'l' | b'o');
    let numeric = |k: usize| {
        plain(tok[k])
            || (misread(tok[k])
                && ((k > 0 && plain(tok[k - 1])) || tok.get(k + 1).copied().is_some_and(plain)))
    };
    // One more misread capital may stand beside a counted one (`F1BOQWU`: `B`, then `O`).
    let numeric_or_next = |k: usize| {
        numeric(k)
            || (misread(tok[k])
                && ((k > 0 && numeric(k - 1)) || (k + 1 < tok.len() && numeric(k + 1))))
    };
    let as_digits = (0..tok.len()).filter(|&k| numeric_or_next(k)).count();
    let digits = tok.iter().filter(|c| c.is_ascii_digit()).count();
    let capitals = tok.iter().filter(|c| c.is_ascii_uppercase()).count();
    // A word glued to a number (`SHIELD01l`) is not a code: five capitals in a row that do
    // not read as digits.
    let mut run = 0;
    let word_inside = (0..tok.len()).any(|k| {
        run = if tok[k].is_ascii_uppercase() && !numeric_or_next(k) {
            run + 1
        } else {
            0
        };
        run >= 5
    });
    capitals >= 2 && digits >= 1 && as_digits >= 3 && !word_inside
}

/// Cue words a page may glue to the record number after them (`MRNJX-06443-S`,
/// `ChartVE-83933-X`, `andSSN085-78-7034`, `Chartl265809453`): how many bytes of `tok` come
/// before the number. The cue opens the token or follows a small letter (a word glued on by
/// a dropped space); after it comes a capital, a digit, or a letter an OCR engine reads for
/// a digit with a digit after it.
pub(super) fn glued_cue(tok: &[u8]) -> usize {
    const CUES: &[&[u8]] = &[
        b"MRN", b"SSN", b"S5N", b"5SN", b"Chart", b"CHART", b"Acct", b"ACCT", b"MR#",
    ];
    let letters = tok.iter().take_while(|c| c.is_ascii_alphabetic()).count();
    let value_follows = |k: usize| {
        tok.get(k).is_some_and(|&c| {
            c.is_ascii_uppercase()
                || c.is_ascii_digit()
                || (super::ocr::as_digit(c).is_some()
                    && tok.get(k + 1).is_some_and(u8::is_ascii_digit))
        })
    };
    (0..=letters)
        .find_map(|p| {
            let glued_on = p == 0 || tok[p - 1].is_ascii_lowercase();
            CUES.iter()
                .find(|cue| glued_on && tok[p..].starts_with(cue) && value_follows(p + cue.len()))
                .map(|cue| p + cue.len())
        })
        .unwrap_or(0)
}

/// The end of nine digits grouped 5-4 (`71014 9013`) that stand alone in a form's column (a
/// column gap or the line's edge on both sides) and are a valid SSN: how a face sheet's SSN
/// column may read when the page lost its hyphens. A ZIP+4 is written with a hyphen.
fn column_ssn_split_5_4(b: &[u8], start: usize, end: usize) -> Option<usize> {
    let gap_before = |k: usize| {
        k == 0
            || matches!(b[k - 1], b'\n' | b'\t')
            || (k >= 2 && b[k - 1] == b' ' && matches!(b[k - 2], b' ' | b'\n' | b'\t'))
    };
    let gap_after = |k: usize| {
        k == b.len()
            || matches!(b[k], b'\n' | b'\r' | b'\t')
            || (b[k] == b' ' && matches!(b.get(k + 1), None | Some(b' ' | b'\n' | b'\r')))
    };
    let five = end - start == 5 && b[start..end].iter().all(u8::is_ascii_digit);
    let four_end = end + 5;
    let four = b.get(end) == Some(&b' ')
        && b.get(end + 1..four_end)
            .is_some_and(|g| g.iter().all(u8::is_ascii_digit));
    if !(five && four && gap_before(start) && gap_after(four_end)) {
        return None;
    }
    let mut nine = [0u8; 11];
    nine[..3].copy_from_slice(&b[start..start + 3]);
    nine[3] = b'-';
    nine[4..6].copy_from_slice(&b[start + 3..end]);
    nine[6] = b'-';
    nine[7..].copy_from_slice(&b[end + 1..four_end]);
    std::str::from_utf8(&nine)
        .is_ok_and(super::checks::ssn_ok)
        .then_some(four_end)
}

/// The end of an SSN that starts at `at`: nine digits grouped 3-2-4 with one separator kind
/// (a space, a hyphen or none) between the groups, one letter an OCR engine reads for a digit
/// allowed, and no letter or digit right after.
fn ssn_from(b: &[u8], at: usize) -> Option<usize> {
    let digitish = |c: u8| c.is_ascii_digit() || super::ocr::as_digit(c).is_some();
    let mut k = at;
    let mut sep = None;
    let mut letters = 0;
    for (g, len) in [3, 2, 4].into_iter().enumerate() {
        if g > 0 {
            let here = b.get(k).copied().filter(|&c| c == b' ' || c == b'-');
            if g == 1 {
                sep = here;
            } else if here != sep {
                return None;
            }
            k += usize::from(here.is_some());
        }
        for _ in 0..len {
            let c = *b.get(k)?;
            if !digitish(c) {
                return None;
            }
            letters += usize::from(!c.is_ascii_digit());
            k += 1;
        }
    }
    (letters <= 1 && !b.get(k).is_some_and(u8::is_ascii_alphanumeric)).then_some(k)
}

/// Whether `tok` is one of [`HARMLESS_PREFIXES`] followed by digits (and hyphens) only.
fn harmless_prefix(tok: &str) -> bool {
    HARMLESS_PREFIXES.iter().any(|p| {
        tok.strip_prefix(p)
            .is_some_and(|rest| rest.bytes().all(|c| c.is_ascii_digit() || c == b'-'))
    })
}

/// Prefixes of machine-made codes that are not about a person: a page counter (`PAGE001`),
/// an HL7 message control id (`MSG26270848`), a workstation (`WS-006`), a form (`CMS-1500`).
const HARMLESS_PREFIXES: &[&str] = &["PAGE", "MSG", "WS", "CMS", "ISO", "HL7", "FORM"];

/// Whether a NAME span ends on the same line, at most a column gap (spaces, a tab, a comma
/// or an opening parenthesis) before `start`: the code after a patient's name in a face
/// sheet's or a banner's row (`SUBEDI, SUSAN    F917VPL    28171777912`).
fn after_a_name(b: &[u8], start: usize, covers: &Covers) -> bool {
    let mut k = start;
    while k > 0 && matches!(b[k - 1], b' ' | b'\t' | b',' | b'(') && start - k <= 12 {
        k -= 1;
    }
    k < start && covers.name_ends_at(k)
}

/// Appends an ID span for every free-standing identifier-shaped token not already inside one
/// of `spans`.
#[inline(never)]
pub fn find(text: &str, spans: &mut Vec<Span>) {
    let b = text.as_bytes();
    if !b.iter().any(u8::is_ascii_digit) {
        return;
    }
    // What is already found, as sorted disjoint ranges: one binary search per candidate.
    // Built when the first candidate needs it.
    let mut merged: Option<Vec<(usize, usize)>> = None;
    let mut covers: Option<Covers> = None;
    let merged_spans = |spans: &[Span]| {
        let mut taken: Vec<(usize, usize)> = spans.iter().map(|s| (s.start, s.end)).collect();
        // Sorted runs, one per pass: a stable sort merges them in about linear time.
        taken.sort();
        let mut merged: Vec<(usize, usize)> = Vec::with_capacity(taken.len());
        for (s, e) in taken {
            match merged.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        merged
    };
    let overlaps = |merged: &[(usize, usize)], start: usize, end: usize| {
        let i = merged.partition_point(|&(_, e)| e <= start);
        merged.get(i).is_some_and(|&(s, _)| s < end)
    };
    let inner = |c: u8| c.is_ascii_alphanumeric() || c == b'-';
    // Characters that glue a token to something larger (a decimal, a date, a path, a URL).
    let glue = |c: u8| {
        matches!(
            c,
            b'.' | b'/' | b'@' | b'_' | b':' | b'$' | b'%' | b'^' | b'&' | b'='
        )
    };
    let mut found = Vec::new();
    // A token is a whole run of letters, digits and hyphens that opens with a letter or a
    // digit; only runs with a digit can be one, so the walk goes from digit to digit.
    let mut i = 0;
    while let Some(d) = super::bytes::next_digit(b, i) {
        let mut start = d;
        while start > 0 && inner(b[start - 1]) {
            start -= 1;
        }
        let mut end = d;
        while end < b.len() && inner(b[end]) {
            end += 1;
        }
        i = end;
        if !b[start].is_ascii_alphanumeric() {
            continue;
        }
        let digits = b[start..end].iter().filter(|c| c.is_ascii_digit()).count();
        if let Some(ssn_end) = column_ssn_split_5_4(b, start, end) {
            found.push(Span::new(start, ssn_end, PhiKind::Ssn));
            i = ssn_end;
            continue;
        }
        if digits < 3 && !record_code(&b[start..end]) {
            continue;
        }
        while end > start && b[end - 1] == b'-' {
            end -= 1;
        }
        let cue = glued_cue(&b[start..end]);
        start += cue;
        // After a glued SSN cue, the SSN whatever its groups' separators (`andSSN127 9l 5905`).
        if cue >= 3
            && b[start - 3..start]
                .iter()
                .zip(b"SSN")
                .all(|(&c, &n)| c == n || (c == b'5' && n == b'S'))
            && let Some(ssn_end) = ssn_from(b, start)
        {
            found.push(Span::new(start, ssn_end, PhiKind::Ssn));
            i = i.max(ssn_end);
            continue;
        }
        let tok = &text[start..end];
        let letters = tok.bytes().filter(u8::is_ascii_alphabetic).count();
        let hyphens = tok.bytes().filter(|&c| c == b'-').count();
        let code = record_code(tok.as_bytes());
        let shaped = if letters == 0 {
            (6..=12).contains(&digits) && hyphens <= 2 && !ndc_shaped(tok)
        } else if harmless_prefix(tok)
            && !after_a_name(b, start, covers.get_or_insert_with(|| Covers::new(spans)))
        {
            // A machine prefix names a harmless code, except in the column after a patient's
            // name (`NURME, K-⏎OIDU    WS2763380`).
            false
        } else {
            (digits >= 6 && letters <= 4 && tok.len() <= 16 && hyphens <= 2)
                || code
                || (hyphens <= 2
                    && (6..=12).contains(&tok.len())
                    && (beside_a_date(b, start, end)
                        || after_a_name(
                            b,
                            start,
                            covers.get_or_insert_with(|| Covers::new(spans)),
                        )))
        };
        if !shaped {
            continue;
        }
        // A colon glues a time (`12:30`), not a label (`Patient 1D:X1885259`, `Chart #:2013-764747`);
        // a full stop a decimal, not an abbreviation (`Med Rec No.8161-1578-8`).
        let glued_before = start > 0
            && glue(b[start - 1])
            && !(matches!(b[start - 1], b':' | b'.')
                && start >= 2
                && (b[start - 2].is_ascii_alphabetic() || b[start - 2] == b'#'));
        // A full stop before a capitalised word is a sentence's end with its space dropped
        // (`SSN 391367318.You can`), not a decimal or a file name.
        let sentence_after = b.get(end) == Some(&b'.')
            && b.get(end + 1).is_some_and(u8::is_ascii_uppercase)
            && b.get(end + 2).is_some_and(u8::is_ascii_lowercase);
        let glued_after = end < b.len()
            && glue(b[end])
            && !sentence_after
            && b.get(end + 1).is_some_and(|c| c.is_ascii_alphanumeric());
        if glued_before || glued_after {
            continue;
        }
        let before = word_before(text, start);
        if NOT_PHI_BEFORE
            .iter()
            .any(|w| w.eq_ignore_ascii_case(before))
        {
            continue;
        }
        // A record number that a span found before covers only in part (a column misread
        // as a name: `JN` of `JN-68582-F`) is taken whole.
        if code {
            if covers
                .get_or_insert_with(|| Covers::new(spans))
                .whole(start, end)
            {
                continue;
            }
        } else if overlaps(
            merged.get_or_insert_with(|| merged_spans(spans)),
            start,
            end,
        ) {
            continue;
        }
        found.push(Span::new(start, end, PhiKind::Id));
    }
    spans.extend(found);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(text: &str) -> Vec<&str> {
        let mut spans = Vec::new();
        find(text, &mut spans);
        spans.iter().map(|s| &text[s.start..s.end]).collect()
    }

    #[test]
    fn free_standing_numbers_and_codes_are_identifiers_unless_named_harmless() {
        assert_eq!(
            ids("ADA OBI  F  0012345  03/14/1948 Rx #8114475 Req: A55049206"),
            ["0012345", "8114475", "A55049206"]
        );
        assert!(ids("Job #968659, Page 2 of 3, Lot AB123456, NDC 0093-7214-56").is_empty());
        assert!(ids("glucose 112.5 mg/dL v2.14.3 12:30 $1,245.00 10.0.0.12").is_empty());
    }

    #[test]
    fn a_letter_and_digit_code_beside_a_birth_date_is_a_record_number() {
        assert_eq!(
            ids(
                "Mugisha, Maximo (A347HRX) 4/6/34M\nHEINRICH, RENATE   01/02/2016   FN-68800-Q   F   Page 1 of 2"
            ),
            ["A347HRX", "FN-68800-Q"]
        );
    }

    #[test]
    fn a_code_of_capitals_and_digits_is_a_record_number_without_any_cue() {
        assert_eq!(
            ids(
                "QUINN, STEPHANIE \n  QS-33977-L    V02310749195    663-B\nPatient 1D:W896CNW   Chart #:2013-764747"
            ),
            ["QS-33977-L", "V02310749195", "W896CNW", "2013-764747"]
        );
        // A cue glued on, after a word or before a misread digit, is not part of it.
        assert_eq!(
            ids("number is 45027058437 andSSN085-78-7034.   Chartl265809453"),
            ["45027058437", "085-78-7034", "l265809453"]
        );
        assert_eq!(
            ids("Patient 1D: F9B5TTV  ZOl4YTK  COVID19"),
            ["F9B5TTV", "ZOl4YTK"]
        );
        // Machine-made codes named by their prefix, lower-case words and short codes stay.
        assert!(
            ids("PAGE001 MSG26270848 WS-0042 CMS-1500 panel A34H sars-cov-2 Lot AB12345")
                .is_empty()
        );
    }

    #[test]
    fn a_letter_and_digit_code_right_after_a_found_name_is_a_record_number() {
        let text = "SUBEDI, SUSAN    F917VPL    215-B\nPatient 1D:X1885259  at 12:30";
        let mut spans = vec![Span::new(0, 13, PhiKind::Name)];
        find(text, &mut spans);
        let found: Vec<&str> = spans[1..].iter().map(|s| &text[s.start..s.end]).collect();
        assert_eq!(found, ["F917VPL", "X1885259"]);
    }
}
