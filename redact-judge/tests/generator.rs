//! The generator itself: labels cover exactly their identifier, the splits share no value, the
//! same seed gives the same corpus, and every kind and layout shows up.

use std::collections::{BTreeMap, BTreeSet};

use faxbot_redact::PhiKind;
use faxbot_redact_judge::forms::FORMS;
use faxbot_redact_judge::{Document, Split, generate};

fn alnum(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

fn digits(s: &str) -> usize {
    s.chars().filter(char::is_ascii_digit).count()
}

/// Whether `v` (as labelled) looks like an identifier of `kind`: the label holds the value
/// itself, not a cue word or a neighbour.
fn looks_like(kind: PhiKind, form: &str, v: &str) -> bool {
    let d = digits(v);
    match kind {
        PhiKind::Phone | PhiKind::Fax => (10..=16).contains(&d),
        PhiKind::Ssn => d == 9 || form == "last4" && d == 4,
        PhiKind::Zip if form == "postcode_foreign" => d >= 2,
        PhiKind::Zip => d == 5 || d == 9,
        PhiKind::Email => v.contains('@') && !v.contains(' '),
        PhiKind::Ip => v.contains('.') || v.contains(':'),
        PhiKind::Age => {
            d >= 2 && v.parse::<u32>().is_ok_and(|a| a >= 90)
                || v.contains("ninety")
                || v.contains("hundred")
        }
        PhiKind::Date => d >= 1,
        PhiKind::Name => v.chars().any(char::is_alphabetic) && d == 0,
        PhiKind::Url => v.contains('.'),
        PhiKind::Address
            if form.starts_with("city") || form == "world_city" || form == "county" =>
        {
            d == 0
        }
        PhiKind::Address => d >= 1,
        PhiKind::License if form == "npi" => d == 10 && v.len() == 10,
        PhiKind::License if form == "dea" => v.len() == 9 && d == 7,
        PhiKind::Vehicle if form == "vin" => v.len() == 17,
        _ => d >= 3,
    }
}

#[test]
fn every_label_covers_exactly_an_identifier_and_nothing_around_it() {
    for split in [Split::Tuning, Split::Judging] {
        let corpus = generate(split, 11, 400);
        for d in corpus.docs.iter().filter(|d| !d.ocr) {
            let mut prev_end = 0;
            for l in &d.spans {
                assert!(
                    l.start < l.end && l.end <= d.text.len(),
                    "doc {} bad bounds",
                    d.id
                );
                assert!(l.start >= prev_end, "doc {}: labels overlap", d.id);
                prev_end = l.end;
                let v = &d.text[l.start..l.end];
                assert_eq!(
                    v.trim(),
                    v,
                    "doc {} {:?}: label takes whitespace",
                    d.id,
                    l.kind
                );
                assert!(
                    looks_like(l.kind, &l.form, v),
                    "doc {} {:?}/{}: {v:?} is not such an identifier",
                    d.id,
                    l.kind,
                    l.form
                );
                let before = d.text[..l.start].chars().next_back();
                let after = d.text[l.end..].chars().next();
                if l.form != "n_yo_glued" && l.form != "n_sex_glued" {
                    assert!(
                        !before.is_some_and(char::is_alphanumeric)
                            && !after.is_some_and(char::is_alphanumeric),
                        "doc {} {:?}/{}: label cuts a word around {v:?}",
                        d.id,
                        l.kind,
                        l.form
                    );
                }
            }
            for dc in &d.decoys {
                assert!(
                    !d.spans.iter().any(|l| l.start < dc.end && dc.start < l.end),
                    "doc {}: decoy {} overlaps a label",
                    d.id,
                    dc.class
                );
            }
        }
    }
}

#[test]
fn ocr_damaged_labels_still_start_and_end_on_the_value() {
    let corpus = generate(Split::Tuning, 12, 600);
    let damaged: Vec<&Document> = corpus.docs.iter().filter(|d| d.ocr).collect();
    assert!(damaged.len() > 50, "{} damaged documents", damaged.len());
    let mut broken = 0;
    for d in damaged {
        for l in &d.spans {
            let v = &d.text[l.start..l.end];
            assert!(!v.starts_with(char::is_whitespace) && !v.ends_with(char::is_whitespace));
            broken += usize::from(v.contains('\n'));
        }
    }
    assert!(broken > 20, "only {broken} identifiers split across lines");
}

#[test]
fn the_two_splits_share_no_identifier_value() {
    let values = |split| {
        let mut by_kind: BTreeMap<PhiKind, BTreeSet<String>> = BTreeMap::new();
        for d in generate(split, 21, 500).docs {
            for l in &d.spans {
                // initials alone ("M.O.") are two letters: no list can keep them apart
                if l.form == "initials" {
                    continue;
                }
                by_kind
                    .entry(l.kind)
                    .or_default()
                    .insert(alnum(&d.text[l.start..l.end]));
            }
        }
        by_kind
    };
    let t = values(Split::Tuning);
    let j = values(Split::Judging);
    for (kind, tv) in &t {
        if let Some(jv) = j.get(kind) {
            let shared: Vec<_> = tv.intersection(jv).take(5).collect();
            assert!(
                shared.is_empty(),
                "{kind:?} values in both splits: {shared:?}"
            );
        }
    }
}

#[test]
fn the_same_seed_gives_the_same_corpus_and_another_seed_another() {
    let a = generate(Split::Judging, 5, 60);
    let b = generate(Split::Judging, 5, 60);
    let c = generate(Split::Judging, 6, 60);
    assert_eq!(a.docs, b.docs);
    assert_ne!(a.docs, c.docs);
}

#[test]
fn every_kind_of_identifier_and_every_layout_appears() {
    let corpus = generate(Split::Tuning, 3, 800);
    let kinds: BTreeSet<PhiKind> = corpus
        .docs
        .iter()
        .flat_map(|d| d.spans.iter().map(|l| l.kind))
        .collect();
    for k in PhiKind::ALL {
        assert!(kinds.contains(&k), "no {k} in 800 documents");
    }
    let layouts: BTreeSet<&str> = corpus.docs.iter().map(|d| d.kind.as_str()).collect();
    for ((name, _), _) in FORMS {
        assert!(layouts.contains(name), "no {name} document");
    }
}

#[test]
fn json_layouts_are_valid_json() {
    let corpus = generate(Split::Tuning, 4, 400);
    let mut checked = 0;
    for d in &corpus.docs {
        if d.kind == "fhir_bundle" {
            serde_json::from_str::<serde_json::Value>(&d.text).expect("FHIR bundle parses");
            checked += 1;
        }
        if d.kind == "platform_event" {
            for line in d.text.lines() {
                serde_json::from_str::<serde_json::Value>(line).expect("event line parses");
            }
            checked += 1;
        }
    }
    assert!(checked > 10);
}

#[test]
fn a_written_corpus_reads_back_line_by_line() {
    let corpus = generate(Split::Tuning, 8, 30);
    let mut out = Vec::new();
    corpus.write_jsonl(&mut out).expect("write to memory");
    let text = String::from_utf8(out).expect("utf-8");
    let back: Vec<Document> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("line parses"))
        .collect();
    assert_eq!(back, corpus.docs);
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert!(first["id"].is_u64());
    assert!(
        first["spans"][0]["type"]
            .as_str()
            .unwrap()
            .parse::<PhiKind>()
            .is_ok()
    );
}

/// The HL7 field (1-based, MSH counted as HL7 counts it) that holds byte `at` of `segment`.
fn hl7_field(segment: &str, at: usize) -> usize {
    segment[..at].matches('|').count()
}

#[test]
fn hl7_identifiers_sit_at_their_standard_field_positions() {
    let corpus = generate(Split::Tuning, 13, 600);
    let mut checked = 0;
    for d in corpus.docs.iter().filter(|d| d.kind.starts_with("hl7")) {
        let mut seg_start = 0;
        for seg in d.text.split(['\n', '\r']) {
            let seg_end = seg_start + seg.len();
            let name = seg.get(..3).unwrap_or("");
            for l in d
                .spans
                .iter()
                .filter(|l| l.start >= seg_start && l.end <= seg_end)
            {
                let field = hl7_field(seg, l.start - seg_start);
                let expected: &[usize] = match (name, l.kind) {
                    ("PID", PhiKind::Mrn) => &[3],
                    ("PID", PhiKind::Ssn) => &[3, 19],
                    ("PID", PhiKind::Name) => &[5, 6],
                    ("PID", PhiKind::Date) => &[7],
                    ("PID", PhiKind::Address | PhiKind::Zip) => &[11],
                    ("PID", PhiKind::Phone) => &[13, 14],
                    ("PID", PhiKind::Account) => &[18],
                    ("PID", PhiKind::License) => &[20],
                    ("PV1", PhiKind::License | PhiKind::Name) => &[7, 8, 17],
                    ("PV1", PhiKind::Account) => &[19],
                    ("PV1", PhiKind::Date) => &[44, 45],
                    ("NK1", PhiKind::Name) => &[2],
                    ("NK1", PhiKind::Address | PhiKind::Zip) => &[4],
                    ("NK1", PhiKind::Phone) => &[5],
                    ("GT1", PhiKind::Account) => &[2],
                    ("GT1", PhiKind::Name) => &[3],
                    ("GT1", PhiKind::Address | PhiKind::Zip) => &[5],
                    ("GT1", PhiKind::Phone) => &[6],
                    ("GT1", PhiKind::Date) => &[8],
                    ("GT1", PhiKind::Ssn) => &[12],
                    ("IN1", PhiKind::Address | PhiKind::Zip) => &[5, 19],
                    ("IN1", PhiKind::Phone) => &[7],
                    ("IN1", PhiKind::HealthPlan) => &[8, 36],
                    ("IN1", PhiKind::Date) => &[12, 18],
                    ("IN1", PhiKind::Name) => &[16],
                    ("OBR", PhiKind::Id) => &[2, 3],
                    ("OBR", PhiKind::Date) => &[7],
                    ("OBR", PhiKind::License | PhiKind::Name) => &[16],
                    ("OBX", PhiKind::Date) => &[14],
                    ("MSH", PhiKind::Date) => &[7],
                    ("EVN", PhiKind::Date) => &[2],
                    _ => continue,
                };
                // MSH-1 is the separator itself: its fields count one higher than the pipes
                let field = if name == "MSH" { field + 1 } else { field };
                assert!(
                    expected.contains(&field),
                    "doc {} {name}: {:?}/{} in field {field}, expected {expected:?}",
                    d.id,
                    l.kind,
                    l.form
                );
                checked += 1;
            }
            seg_start = seg_end + 1;
        }
    }
    assert!(checked > 500, "only {checked} HL7 identifiers checked");
}
