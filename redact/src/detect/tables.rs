//! Identifiers in a table: a header row of column names (`NAME   MRN   ACCOUNT #   ROOM/BED`)
//! and the row under it with as many cells (`DROPPOVÁ, SABÍNA   QF-32507-X   FME279347851
//! 682-B`). The column's name says what the cell is, whatever its shape: face sheets, lab
//! report headers and insurance boxes put identifiers there without a cue word beside them.
//! Cells are separated by two or more spaces or a tab.

use crate::{PhiKind, Span};

/// What a column name says its cells are (lower case, spaces as written).
fn column_kind(name: &str) -> Option<PhiKind> {
    // The common case, a short ASCII cell, is normalised on the stack; anything else the
    // same way through a `String` (Unicode letters and their lower case).
    let mut buf = [0u8; 64];
    if name.is_ascii() && name.len() <= buf.len() {
        let mut n = 0;
        for c in name.bytes() {
            if c.is_ascii_alphanumeric() || c == b'#' || c == b' ' {
                buf[n] = c.to_ascii_lowercase();
                n += 1;
            }
        }
        let n = std::str::from_utf8(&buf[..n]).ok()?;
        return kind_of_column(n.trim());
    }
    let n: String = name
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '#' || *c == ' ')
        .collect::<String>()
        .to_lowercase();
    kind_of_column(n.trim())
}

/// The kind of a column by its normalised name (lower case, letters, digits, `#` and
/// spaces, trimmed).
fn kind_of_column(n: &str) -> Option<PhiKind> {
    use PhiKind as K;
    Some(match n {
        "mrn" | "mr #" | "mr#" | "mr no" | "medical record" | "medical record #"
        | "medical record no" | "chart" | "chart #" | "patient id" | "pt id" | "unit #" => K::Mrn,
        "account" | "account #" | "account no" | "acct" | "acct #" | "visit #" | "visit"
        | "encounter" | "encounter #" | "fin" | "fin #" | "har" | "csn" => K::Account,
        "ssn" | "social security" | "social security #" => K::Ssn,
        "dob" | "date of birth" | "birth date" | "birthdate" | "admit date" | "discharge date"
        | "admission date" | "service date" | "dos" | "date of service" => K::Date,
        "phone" | "home phone" | "cell phone" | "cell" | "work phone" | "telephone" | "mobile"
        | "phone #" => K::Phone,
        "fax" | "fax #" => K::Fax,
        "name"
        | "patient"
        | "patient name"
        | "patientname"
        | "emergency contact"
        | "guarantor"
        | "insured"
        | "subscriber"
        | "contact"
        | "next of kin"
        | "attending physician"
        | "admitting physician"
        | "physician"
        | "provider"
        | "pcp" => K::Name,
        "address" | "street" | "city" => K::Address,
        "zip" | "zip code" => K::Zip,
        "member id" | "member #" | "policy #" | "policy" | "policy no" | "group #" | "group"
        | "subscriber id" | "insurance id" => K::HealthPlan,
        "email" | "e-mail" => K::Email,
        "npi" | "license" | "license #" | "dea" => K::License,
        _ => return None,
    })
}

/// The cells of `text[start..end]` into `out` (cleared first): runs separated by two or
/// more spaces or a tab.
fn cells(text: &str, start: usize, end: usize, out: &mut Vec<(usize, usize)>) {
    let b = text.as_bytes();
    out.clear();
    let mut i = start;
    while i < end {
        while i < end && matches!(b[i], b' ' | b'\t') {
            i += 1;
        }
        if i >= end {
            break;
        }
        let s = i;
        while i < end
            && b[i] != b'\t'
            && !(b[i] == b' ' && (i + 1 >= end || matches!(b[i + 1], b' ' | b'\t')))
        {
            i += 1;
        }
        out.push((s, i));
    }
}

/// Appends a span for each cell under a column name that says it is PHI.
/// The cells of a line that can be a table's row: one with a tab or two blanks in a row.
/// Any other line has at most one cell, which is no row of a table (a header needs two
/// cells and the line under it as many), so its cells are not read: `out` is left empty.
fn row_cells(text: &str, start: usize, end: usize, out: &mut Vec<(usize, usize)>) {
    let line = &text.as_bytes()[start..end];
    if super::bytes::next_byte(line, 0, b'\t').is_some() || super::bytes::has_two_spaces(line) {
        cells(text, start, end, out);
    } else {
        out.clear();
    }
}

pub fn find(text: &str, spans: &mut Vec<Span>) {
    let b = text.as_bytes();
    if !text.contains("  ") && !text.contains('\t') {
        return;
    }
    let mut lines = Vec::new();
    let mut s = 0;
    while let Some(i) = super::bytes::next_newline(b, s) {
        lines.push((s, i));
        s = i + 1;
    }
    lines.push((s, b.len()));
    // Each line's cells are read once: as the values under the line before and then as a
    // header for the line after.
    let (mut header, mut values) = (Vec::new(), Vec::new());
    let mut kinds: Vec<Option<PhiKind>> = Vec::new();
    if let Some(&(s, e)) = lines.first() {
        row_cells(text, s, e, &mut values);
    }
    for pair in lines.windows(2) {
        let (vs, ve) = pair[1];
        std::mem::swap(&mut header, &mut values);
        row_cells(text, vs, ve, &mut values);
        if header.len() < 2
            || header
                .iter()
                .any(|&(s, e)| text[s..e].bytes().any(|c| c.is_ascii_digit()))
        {
            continue;
        }
        kinds.clear();
        kinds.extend(header.iter().map(|&(s, e)| column_kind(&text[s..e])));
        if kinds.iter().all(Option::is_none) {
            continue;
        }
        if values.len() != header.len() {
            continue;
        }
        // The row under a header is not another header.
        if values
            .iter()
            .all(|&(s, e)| column_kind(&text[s..e]).is_some())
        {
            continue;
        }
        for (&(s, e), kind) in values.iter().zip(&kinds) {
            if let Some(kind) = kind
                && text[s..e].chars().any(char::is_alphanumeric)
            {
                spans.push(Span::new(s, e, *kind));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<(&'static str, &str)> {
        let mut spans = Vec::new();
        find(text, &mut spans);
        spans
            .iter()
            .map(|s| (s.kind.label(), &text[s.start..s.end]))
            .collect()
    }

    #[test]
    fn a_cell_under_a_phi_column_name_is_that_identifier() {
        let sheet = "PATIENT NAME        MRN         ACCOUNT #       ROOM/BED\nDROPPOVÁ, SABÍNA    QF-32507-X    FME279347851    682-B\n";
        assert_eq!(
            found(sheet),
            [
                ("NAME", "DROPPOVÁ, SABÍNA"),
                ("MRN", "QF-32507-X"),
                ("ACCOUNT", "FME279347851")
            ]
        );
    }

    #[test]
    fn column_names_are_read_alike_in_ascii_and_in_unicode() {
        assert_eq!(column_kind("Medical Record #:"), Some(PhiKind::Mrn));
        assert_eq!(column_kind("(Pt. ID)"), Some(PhiKind::Mrn));
        assert_eq!(column_kind("ROOM/BED"), None);
        // U+212A KELVIN SIGN lower-cases to an ASCII `k`.
        assert_eq!(column_kind("NEXT OF \u{212a}IN"), Some(PhiKind::Name));
        assert_eq!(column_kind("Ñame"), None);
    }

    #[test]
    fn rows_that_do_not_line_up_with_their_header_are_left_alone() {
        assert!(found("TEST NAME   RESULT   UNITS\nGlucose   112   mg/dL   H\n").is_empty());
        assert!(found("Name  and  address  below\nnothing here\n").is_empty());
    }
}
