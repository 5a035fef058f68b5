//! Identifiers that their place in a structure gives away, whatever their shape: HL7 v2
//! fields by segment and position, C-CDA / XML elements and attributes, and JSON values by
//! their key. A name in `PID|…||DOE^JANE` or `"family": "Okafor"` carries no cue word and no
//! dictionary hit; the standard says what the field holds.

use crate::{PhiKind, Span};

/// How to read one HL7 field.
#[derive(Clone, Copy)]
enum Hl7 {
    /// Every component is an identifier of this kind (a date, an SSN).
    Whole(PhiKind),
    /// CX: the first component is the identifier.
    Id(PhiKind),
    /// XPN: family^given^middle^suffix (components 1–4) are the name.
    Name,
    /// XCN: id^family^given^middle: the id a licence number, the rest the name.
    Person,
    /// XAD: street^other^city^state^zip: all but the state and country.
    Address,
    /// XTN: the number in component 1, or country^area^local in 5–7, or the email in 4.
    Phone,
}

/// The fields of a segment that hold PHI (1-based field numbers, MSH excepted).
fn hl7_fields(segment: &[u8]) -> &'static [(usize, Hl7)] {
    use Hl7::*;
    use PhiKind as K;
    match segment {
        b"PID" => &[
            (2, Id(K::Mrn)),
            (3, Id(K::Mrn)),
            (4, Id(K::Mrn)),
            (5, Name),
            (6, Name),
            (7, Whole(K::Date)),
            (9, Name),
            (11, Address),
            (13, Phone),
            (14, Phone),
            (18, Id(K::Account)),
            (19, Whole(K::Ssn)),
            (20, Id(K::License)),
            (21, Id(K::Mrn)),
            (23, Whole(K::Address)),
            (29, Whole(K::Date)),
        ],
        b"NK1" => &[
            (2, Name),
            (4, Address),
            (5, Phone),
            (6, Phone),
            (30, Name),
            (31, Phone),
        ],
        b"PV1" => &[
            (7, Person),
            (8, Person),
            (9, Person),
            (17, Person),
            (19, Id(K::Account)),
            (44, Whole(K::Date)),
            (45, Whole(K::Date)),
            (50, Id(K::Account)),
        ],
        b"PV2" => &[(8, Whole(K::Date)), (9, Whole(K::Date))],
        b"IN1" => &[
            (8, Whole(K::HealthPlan)),
            (16, Name),
            (18, Whole(K::Date)),
            (19, Address),
            (36, Whole(K::HealthPlan)),
            (49, Id(K::HealthPlan)),
        ],
        b"IN2" => &[
            (2, Whole(K::Ssn)),
            (6, Whole(K::HealthPlan)),
            (8, Whole(K::HealthPlan)),
        ],
        b"GT1" => &[
            (2, Id(K::Account)),
            (3, Name),
            (5, Address),
            (6, Phone),
            (7, Phone),
            (8, Whole(K::Date)),
            (12, Whole(K::Ssn)),
        ],
        b"ORC" => &[
            (2, Whole(K::Id)),
            (3, Whole(K::Id)),
            (9, Whole(K::Date)),
            (12, Person),
        ],
        b"OBR" => &[
            (2, Whole(K::Id)),
            (3, Whole(K::Id)),
            (7, Whole(K::Date)),
            (8, Whole(K::Date)),
            (14, Whole(K::Date)),
            (16, Person),
            (22, Whole(K::Date)),
            (32, Person),
        ],
        b"OBX" => &[(14, Whole(K::Date)), (16, Person), (19, Whole(K::Date))],
        b"MRG" => &[(1, Id(K::Mrn)), (3, Id(K::Account)), (7, Name)],
        b"EVN" => &[(6, Whole(K::Date))],
        b"AL1" | b"DG1" => &[(5, Whole(K::Date))],
        _ => &[],
    }
}

/// Pushes `text[start..end]` trimmed of spaces as a span of `kind`, if it holds anything.
fn push(spans: &mut Vec<Span>, text: &str, start: usize, end: usize, kind: PhiKind) {
    let b = text.as_bytes();
    let (mut s, mut e) = (start, end);
    while s < e && b[s] == b' ' {
        s += 1;
    }
    while e > s && b[e - 1] == b' ' {
        e -= 1;
    }
    if s < e && text[s..e].chars().any(char::is_alphanumeric) {
        spans.push(Span::new(s, e, kind));
    }
}

/// The ranges of `text[start..end]` split at `sep`.
fn split(text: &str, start: usize, end: usize, sep: u8) -> impl Iterator<Item = (usize, usize)> {
    let b = text.as_bytes();
    let mut at = start;
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        let from = at;
        match super::bytes::next_byte(&b[..end], from, sep) {
            Some(i) => {
                at = i + 1;
                Some((from, i))
            }
            None => {
                done = true;
                Some((from, end))
            }
        }
    })
}

/// HL7 v2 segments: lines that start with a three-character segment id and `|`.
#[inline(never)]
pub fn hl7(text: &str, spans: &mut Vec<Span>) {
    let b = text.as_bytes();
    if !text.contains("|") {
        return;
    }
    for (ls, le) in split(text, 0, text.len(), b'\n') {
        let le = if le > ls && b[le - 1] == b'\r' {
            le - 1
        } else {
            le
        };
        for (ls, le) in split(text, ls, le, b'\r') {
            if le - ls < 5 || b[ls + 3] != b'|' {
                continue;
            }
            let id = &b[ls..ls + 3];
            if !id
                .iter()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            {
                continue;
            }
            let rules = hl7_fields(id);
            for (n, (fs, fe)) in split(text, ls + 4, le, b'|').enumerate() {
                let field = n + 1;
                let how = rules.iter().find(|(f, _)| *f == field).map(|&(_, how)| how);
                for (rs, re) in split(text, fs, fe, b'~') {
                    match how {
                        Some(how) => hl7_value(text, rs, re, how, spans),
                        None if id != b"MSH" => hl7_shapes(text, rs, re, spans),
                        None => {}
                    }
                }
            }
        }
    }
}

fn hl7_value(text: &str, start: usize, end: usize, how: Hl7, spans: &mut Vec<Span>) {
    for (i, (cs, ce)) in split(text, start, end, b'^').enumerate() {
        let c = i + 1;
        let kind = match how {
            Hl7::Whole(k) => Some(k),
            Hl7::Id(k) => (c == 1).then_some(k),
            Hl7::Name => (c <= 4).then_some(PhiKind::Name),
            Hl7::Person => match c {
                1 => Some(PhiKind::License),
                2..=5 => Some(PhiKind::Name),
                _ => None,
            },
            Hl7::Address => match c {
                1..=3 | 5 => Some(if c == 5 {
                    PhiKind::Zip
                } else {
                    PhiKind::Address
                }),
                _ => None,
            },
            Hl7::Phone => match c {
                1 | 5..=8 => Some(PhiKind::Phone),
                4 => Some(PhiKind::Email),
                _ => None,
            },
        };
        if let Some(k) = kind {
            push(spans, text, cs, ce, k);
        }
    }
}

/// XTN telecommunication use codes (HL7 table 0201).
const TELECOM_USE: &[&str] = &[
    "PRN", "ORN", "WPN", "VHN", "ASN", "EMR", "NET", "BPN", "PRS",
];
/// XTN equipment types (HL7 table 0202).
const TELECOM_EQUIPMENT: &[&str] = &["PH", "FX", "MD", "CP", "BP", "SAT", "TDD", "TTY"];
/// Coding systems that end a coded value (`80053^METABOLIC PANEL^CPT`), so it is not read as
/// an id and a name.
const CODING_SYSTEMS: &[&str] = &[
    "CPT", "C4", "C5", "HCPCS", "HCPT", "LN", "LOINC", "SCT", "SNM", "SNM3", "SNOMED", "I9", "I9C",
    "I9CM", "I10", "I10C", "I10P", "ICD9", "ICD10", "ICD10CM", "ICD10PCS", "NDC", "CVX", "MVX",
    "RXNORM", "RXN", "UCUM", "ISO+", "NUBC", "HL70", "L", "LOCAL", "99", "ACR", "DCM",
];

/// Whether an HL7 component reads as a name: letters (any script), spaces, hyphens,
/// apostrophes and dots, two letters at least, no digit.
fn name_like(v: &str) -> bool {
    v.chars().filter(|c| c.is_alphabetic()).count() >= 2
        && v.chars()
            .all(|c| c.is_alphabetic() || matches!(c, ' ' | '-' | '\'' | '.'))
}

/// A value whose components give it away in any field, wherever a sender put it (fields
/// move between versions and vendors): an XTN (`^PRN^PH^^1^835^9701232`) and an XCN, an
/// id followed by a name (`1011366469^KUBICA^HUBERT^^`).
fn hl7_shapes(text: &str, start: usize, end: usize, spans: &mut Vec<Span>) {
    // The first eight components (no rule reads further) on the stack, and how many there are.
    let mut comps = [(0, 0); 8];
    let mut count = 0;
    for comp in split(text, start, end, b'^') {
        if let Some(slot) = comps.get_mut(count) {
            *slot = comp;
        }
        count += 1;
    }
    if count < 3 {
        return;
    }
    let at = |i: usize| (i < count).then(|| comps.get(i).copied()).flatten();
    let c = |i: usize| at(i).map_or("", |(s, e)| &text[s..e]);
    if TELECOM_USE.contains(&c(1)) || TELECOM_EQUIPMENT.contains(&c(2)) {
        let number = format!("{}{}{}", c(4), c(5), c(6));
        let digits = number.bytes().filter(u8::is_ascii_digit).count();
        let kind = if c(2) == "FX" {
            PhiKind::Fax
        } else {
            PhiKind::Phone
        };
        if digits >= 7 {
            for i in [0, 4, 5, 6, 7] {
                if let Some((s, e)) = at(i) {
                    push(spans, text, s, e, kind);
                }
            }
        }
        if c(3).contains('@')
            && let Some((s, e)) = at(3)
        {
            push(spans, text, s, e, PhiKind::Email);
        }
        return;
    }
    // XAD: street^other^city^state^zip.
    let state = c(3);
    let zip = c(4);
    let zip_digits = zip.bytes().filter(u8::is_ascii_digit).count();
    if state.len() == 2
        && state.bytes().all(|b| b.is_ascii_uppercase())
        && (zip_digits == 5 || zip_digits == 9)
        && zip.bytes().all(|b| b.is_ascii_digit() || b == b'-')
        && (name_like(c(2)) || c(0).bytes().any(|b| b.is_ascii_digit()))
    {
        for (i, kind) in [
            (0, PhiKind::Address),
            (1, PhiKind::Address),
            (2, PhiKind::Address),
            (4, PhiKind::Zip),
        ] {
            if let Some((s, e)) = at(i) {
                push(spans, text, s, e, kind);
            }
        }
        return;
    }
    let id = c(0);
    let person = (5..=15).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_digit())
        && name_like(c(1))
        && (c(2).is_empty() || name_like(c(2)))
        && !CODING_SYSTEMS.contains(&c(2))
        && !CODING_SYSTEMS.contains(&c(3));
    if person {
        for (i, kind) in [
            (0, PhiKind::License),
            (1, PhiKind::Name),
            (2, PhiKind::Name),
            (3, PhiKind::Name),
        ] {
            if let Some((s, e)) = at(i) {
                push(spans, text, s, e, kind);
            }
        }
    }
}

/// XML elements whose text is PHI, and the kind.
const XML_ELEMENTS: &[(&str, PhiKind)] = &[
    ("given", PhiKind::Name),
    ("family", PhiKind::Name),
    ("streetAddressLine", PhiKind::Address),
    ("city", PhiKind::Address),
    ("county", PhiKind::Address),
    ("postalCode", PhiKind::Zip),
];

/// C-CDA and other XML: the text of name and address elements, `<id extension="…">`,
/// `value="tel:…"` / `"mailto:…"`, and the `value` of birth and death times.
#[inline(never)]
pub fn xml(text: &str, spans: &mut Vec<Span>) {
    let b = text.as_bytes();
    let mut attrs = Vec::new();
    let mut at = 0;
    while let Some(open) = super::bytes::next_byte(b, at, b'<') {
        at = open + 1;
        let Some(close) = super::bytes::next_byte(b, at, b'>') else {
            break;
        };
        let tag = &text[at..close];
        let name_end = tag
            .find(|c: char| c.is_ascii_whitespace() || c == '/')
            .unwrap_or(tag.len());
        let name = &tag[..name_end];
        let local = name.rsplit(':').next().unwrap_or(name);
        if let Some(&(_, kind)) = XML_ELEMENTS.iter().find(|(n, _)| *n == local) {
            // The element's text, up to the next tag.
            let from = close + 1;
            let to = super::bytes::next_byte(b, from, b'<').unwrap_or(text.len());
            push(spans, text, from, to, kind);
        }
        attributes(text, at + name_end, close, &mut attrs);
        for &(ns, ne, vs, ve) in &attrs {
            let attr = &text[ns..ne];
            let v = &text[vs..ve];
            if attr == "extension" && local == "id" {
                let kind = if tag.contains("\"2.16.840.1.113883.4.1\"") {
                    PhiKind::Ssn
                } else if tag.contains("\"2.16.840.1.113883.4.6\"") {
                    PhiKind::License
                } else {
                    PhiKind::Mrn
                };
                push(spans, text, vs, ve, kind);
            } else if attr == "value" {
                if let Some(rest) = v.strip_prefix("tel:").or_else(|| v.strip_prefix("fax:")) {
                    let kind = if v.starts_with("fax:") {
                        PhiKind::Fax
                    } else {
                        PhiKind::Phone
                    };
                    push(spans, text, ve - rest.len(), ve, kind);
                } else if let Some(rest) = v.strip_prefix("mailto:") {
                    push(spans, text, ve - rest.len(), ve, PhiKind::Email);
                } else if matches!(
                    local,
                    "birthTime" | "deceasedTime" | "low" | "high" | "time" | "effectiveTime"
                ) && v
                    .bytes()
                    .all(|c| c.is_ascii_digit() || c == b'-' || c == b'+')
                    && v.len() >= 8
                {
                    push(spans, text, vs, ve, PhiKind::Date);
                }
            }
        }
        at = close + 1;
    }
}

/// The `name="value"` attributes of a tag's text `text[from..to]`.
/// Written into `out` (cleared first) as `(name start, name end, value start, value end)`,
/// so one buffer serves every tag.
fn attributes(text: &str, from: usize, to: usize, out: &mut Vec<(usize, usize, usize, usize)>) {
    let b = text.as_bytes();
    out.clear();
    let mut i = from;
    while i < to {
        while i < to && !(b[i].is_ascii_alphabetic()) {
            i += 1;
        }
        let ns = i;
        while i < to && (b[i].is_ascii_alphanumeric() || b[i] == b':' || b[i] == b'_') {
            i += 1;
        }
        let ne = i;
        if i + 1 < to && b[i] == b'=' && (b[i + 1] == b'"' || b[i + 1] == b'\'') {
            let q = b[i + 1];
            let vs = i + 2;
            let Some(ve) = b[vs..to].iter().position(|&c| c == q).map(|j| vs + j) else {
                break;
            };
            out.push((ns, ne, vs, ve));
            i = ve + 1;
        } else if i == ns {
            i += 1;
        }
    }
}

/// What the value of a JSON key (lower-cased, `_` and `-` removed) is.
fn json_key(key: &str) -> Option<PhiKind> {
    use PhiKind as K;
    Some(match key {
        "family" | "given" | "firstname" | "lastname" | "middlename" | "fullname" | "name"
        | "patientname" | "patient" | "display" | "givenname" | "familyname" | "surname"
        | "nickname" | "maidenname" | "mothersmaidenname" | "guarantor" | "insuredname"
        | "subscribername" | "contactname" | "provider" | "providername" | "physician"
        | "attending" | "recipientname" | "sendername" => K::Name,
        "birthdate" | "dob" | "dateofbirth" | "deceaseddatetime" | "deceaseddate" | "admitdate"
        | "dischargedate" | "servicedate" | "dateofservice" => K::Date,
        "line" | "street" | "address" | "address1" | "address2" | "streetaddress" | "city"
        | "addressline" | "district" => K::Address,
        "postalcode" | "zip" | "zipcode" | "postcode" => K::Zip,
        "mrn" | "medicalrecordnumber" | "patientid" | "chartnumber" => K::Mrn,
        "ssn" | "socialsecuritynumber" => K::Ssn,
        "memberid" | "subscriberid" | "policynumber" | "groupnumber" | "mbi" | "insuranceid" => {
            K::HealthPlan
        }
        "account" | "accountnumber" | "acct" | "encounterid" | "visitid" | "fin" => K::Account,
        "phone" | "telephone" | "mobile" | "cell" | "homephone" | "workphone" | "callback" => {
            K::Phone
        }
        "fax" | "faxnumber" => K::Fax,
        "email" | "emailaddress" => K::Email,
        "npi" | "dea" | "license" | "licensenumber" => K::License,
        "ip" | "ipaddress" | "clientip" => K::Ip,
        _ => return None,
    })
}

/// JSON string values by key: `"family": "Okafor"`, `"given": ["Ada", "N"]`, and
/// `"value": "…"` when the value is shaped like a phone number, an email or an identifier.
#[inline(never)]
pub fn json(text: &str, spans: &mut Vec<Span>) {
    let b = text.as_bytes();
    if !text.contains("\":") && !text.contains("\" :") {
        return;
    }
    // The key being read, lower-cased without `_` and `-`: one buffer for every key.
    let mut key = String::new();
    let mut i = 0;
    while let Some(q) = super::bytes::next_byte(b, i, b'"') {
        let ks = q + 1;
        let Some(ke) = string_end(b, ks) else { break };
        i = ke + 1;
        // A key is a string followed by `:`.
        let mut j = ke + 1;
        while j < b.len() && b[j] == b' ' {
            j += 1;
        }
        if j >= b.len() || b[j] != b':' {
            continue;
        }
        j += 1;
        key.clear();
        key.extend(
            text[ks..ke]
                .chars()
                .filter(|c| *c != '_' && *c != '-')
                .map(|c| c.to_ascii_lowercase()),
        );
        let key = key.as_str();
        let kind = if key == "value" {
            None
        } else {
            json_key(key).or_else(|| json_date_key(key))
        };
        let reference = key == "reference";
        if kind.is_none() && key != "value" && !reference {
            continue;
        }
        // The value: one string, or an array of strings.
        while j < b.len() && matches!(b[j], b' ' | b'\n' | b'\r' | b'\t') {
            j += 1;
        }
        let in_array = j < b.len() && b[j] == b'[';
        loop {
            while j < b.len() && matches!(b[j], b' ' | b'\n' | b'\r' | b'\t' | b'[' | b',') {
                j += 1;
            }
            if j >= b.len() || b[j] != b'"' {
                break;
            }
            let vs = j + 1;
            let Some(ve) = string_end(b, vs) else { return };
            if reference {
                // `"reference": "Patient/6241571"`: the resource's id.
                if let Some(slash) = text[vs..ve].rfind('/') {
                    push(spans, text, vs + slash + 1, ve, PhiKind::Id);
                }
            } else {
                let kind = kind
                    .or_else(|| value_kind(&text[vs..ve]))
                    .or_else(|| identifier_value(text, ks, &text[vs..ve]));
                if let Some(k) = kind {
                    push(spans, text, vs, ve, k);
                }
            }
            j = ve + 1;
            i = j;
            if !in_array {
                break;
            }
        }
    }
}

/// Where the JSON string starting at `from` (after its quote) ends: its closing quote.
fn string_end(b: &[u8], from: usize) -> Option<usize> {
    let mut k = from;
    while k < b.len() {
        match b[k] {
            b'\\' => k += 2,
            b'"' => return Some(k),
            b'\n' => return None,
            _ => k += 1,
        }
    }
    None
}

/// The kind of a bare `"value"`: an email, a phone number, or an identifier with digits.
/// Keys of dates about a person's care, by FHIR's naming (`effectiveDateTime`,
/// `onsetDateTime`, `recordedDate`, `authoredOn`, a `period`'s `start` and `end`). A
/// machine's own `timestamp`, `ts`, `created_at` or `updated_at` is not among them.
fn json_date_key(key: &str) -> Option<PhiKind> {
    let dated = key.ends_with("datetime")
        || (key.ends_with("date") && key != "update")
        || matches!(
            key,
            "issued" | "authoredon" | "start" | "end" | "occurrence" | "recorded" | "onset"
        );
    dated.then_some(PhiKind::Date)
}

/// The `value` of an object that also names a `system` (a FHIR `Identifier`: a record
/// number, member id or licence under its issuer's URI or OID): an identifier whatever its
/// shape, when it holds a letter or digit run of four or more (`J037PSG`). `key_start` is
/// where the key `value` starts.
fn identifier_value(text: &str, key_start: usize, v: &str) -> Option<PhiKind> {
    let object_start = text[..key_start].rfind('{')?;
    let object = &text[object_start..key_start];
    let named = object.contains("\"system\"") && !object.contains('}');
    let alnum = v.bytes().filter(u8::is_ascii_alphanumeric).count();
    (named && alnum >= 4 && v.len() <= 64 && !v.contains(' ')).then_some(PhiKind::Id)
}

fn value_kind(v: &str) -> Option<PhiKind> {
    let digits = v.bytes().filter(u8::is_ascii_digit).count();
    if v.contains('@') && v.contains('.') {
        Some(PhiKind::Email)
    } else if (10..=15).contains(&digits)
        && v.bytes()
            .all(|c| c.is_ascii_digit() || b"+-(). ".contains(&c))
    {
        Some(PhiKind::Phone)
    } else if digits >= 4
        && v.len() >= 5
        && v.len() <= 32
        && v.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
    {
        Some(PhiKind::Id)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(f: fn(&str, &mut Vec<Span>), text: &str) -> Vec<(&'static str, String)> {
        let mut spans = Vec::new();
        f(text, &mut spans);
        spans
            .iter()
            .map(|s| (s.kind.label(), text[s.start..s.end].to_owned()))
            .collect()
    }

    fn texts(f: fn(&str, &mut Vec<Span>), text: &str) -> Vec<String> {
        found(f, text).into_iter().map(|(_, t)| t).collect()
    }

    #[test]
    fn hl7_phones_people_and_addresses_are_found_by_their_components_in_any_field() {
        // A sender that put the admitting doctor one field late, the insurer's phone and
        // address where this parser has no rule.
        let msg = "PV1|1|E|ICU^07^A|U||||||MED||||||||1011366469^KUBICA^HUBERT^GERTRUDA^^|IP\rIN1|1|UHC|26523|ACME|PO BOX 14079^^LEXINGTON^KY^40512||^PRN^PH^^1^835^9701232|G1\r";
        let got = texts(hl7, msg);
        for want in [
            "1011366469",
            "KUBICA",
            "HUBERT",
            "GERTRUDA",
            "PO BOX 14079",
            "LEXINGTON",
            "40512",
            "1",
            "835",
            "9701232",
        ] {
            assert!(got.iter().any(|g| g == want), "{want} in {got:?}");
        }
        // Coded values are not people: a code, its text and its coding system.
        let obr = "OBR|1|430328872^EPIC|DN2819^LAB|80053^COMPREHENSIVE METABOLIC PANEL^CPT\r";
        let got = texts(hl7, obr);
        assert!(!got.iter().any(|g| g.contains("METABOLIC")), "{got:?}");
        assert!(
            got.iter().any(|g| g == "430328872"),
            "the order number: {got:?}"
        );
    }

    #[test]
    fn fhir_dates_references_and_identifier_values_are_found_by_their_keys() {
        let j = r#"{"effectiveDateTime": "2025-04-17T08:08:00+00:00", "beneficiary": {"reference": "Patient/6241571"}, "identifier": [{"system": "urn:oid:2.16.840.1.113883.19.5", "value": "J037PSG"}], "meta": {"lastUpdated": "2026-01-01T00:00:00Z"}, "ts": "2026-01-01T00:00:00Z"}"#;
        let got = texts(json, j);
        assert_eq!(got, ["2025-04-17T08:08:00+00:00", "6241571", "J037PSG"]);
    }

    #[test]
    fn a_ccda_effective_time_is_a_date() {
        let x = r#"<effectiveTime value="20250918123700-0500"/>"#;
        assert_eq!(texts(xml, x), ["20250918123700-0500"]);
    }

    #[test]
    fn hl7_fields_are_read_by_segment_and_position() {
        let msg = "MSH|^~\\&|A|B|C|D|20240101120000||ADT^A04|1|P|2.5\rPID|1||12345^^^H^MR||DOE^JANE^Q||19480312|F|||1 MAIN ST^^SPRINGFIELD^IL^62701||(217)555-0134|||||A99|123456789\r";
        let got = found(hl7, msg);
        let want = [
            ("MRN", "12345"),
            ("NAME", "DOE"),
            ("NAME", "JANE"),
            ("NAME", "Q"),
            ("DATE", "19480312"),
            ("ADDRESS", "1 MAIN ST"),
            ("ADDRESS", "SPRINGFIELD"),
            ("ZIP", "62701"),
            ("PHONE", "(217)555-0134"),
            ("ACCOUNT", "A99"),
            ("SSN", "123456789"),
        ];
        let want: Vec<(&str, String)> = want.iter().map(|(k, v)| (*k, v.to_string())).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn xml_names_addresses_ids_and_telecoms_are_found() {
        let x = r#"<id root="2.16.840.1.113883.19" extension="MR-7781"/><name><given>Ada</given><family>Obi</family></name><telecom value="tel:+1-555-201-3344"/><birthTime value="19500102"/><code code="1234-5"/>"#;
        let got = found(xml, x);
        assert_eq!(
            got.iter().map(|(_, v)| v.as_str()).collect::<Vec<_>>(),
            ["MR-7781", "Ada", "Obi", "+1-555-201-3344", "19500102"]
        );
    }

    #[test]
    fn json_values_are_judged_by_their_key() {
        let j = r#"{"resourceType": "Patient", "name": [{"family": "O\"Neil", "given": ["Ada", "Mae"]}], "gender": "female", "telecom": [{"system": "phone", "value": "555-201-3344"}], "status": "final"}"#;
        let got = found(json, j);
        assert_eq!(
            got.iter().map(|(_, v)| v.as_str()).collect::<Vec<_>>(),
            ["O\\\"Neil", "Ada", "Mae", "555-201-3344"]
        );
    }
}
