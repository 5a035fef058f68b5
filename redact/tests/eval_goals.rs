//! The goals on documents the detector was not written for: the independent generator's
//! frozen held-out set (`faxbot_redact::eval`), scored as a whole, and its tuning split —
//! recall at least 0.98, precision at least 0.90, not one SSN, phone or fax number, email or
//! MRN leaked. The held-out set is frozen: a fingerprint of its text and labels is pinned
//! here, so a change to the generator cannot quietly move the goalposts.

use faxbot_redact::corpus::{self, Document};
use faxbot_redact::{PhiKind, PseudonymKey, Redactor, eval};

fn redactor() -> Redactor {
    Redactor::new(PseudonymKey::new([3; 32]))
}

/// FNV-1a over every document's text and labels.
fn fingerprint(docs: &[Document]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    };
    for d in docs {
        eat(d.text.as_bytes());
        for s in &d.spans {
            eat(&(s.start as u64).to_le_bytes());
            eat(&(s.end as u64).to_le_bytes());
            eat(s.kind.label().as_bytes());
        }
    }
    h
}

fn assert_goals(name: &str, docs: &[Document]) {
    let score = corpus::score(&redactor(), docs);
    eprintln!("{name}:\n{score}");
    assert!(
        score.labelled() > 25_000,
        "{name}: too few labels to measure"
    );
    // Every Safe Harbor kind the generator writes is measured, ages over 89 among them.
    for kind in [
        PhiKind::Name,
        PhiKind::Date,
        PhiKind::Age,
        PhiKind::Mrn,
        PhiKind::Address,
    ] {
        assert!(
            score.per_kind.get(&kind).is_some_and(|k| k.labelled > 100),
            "{name}: {kind} not measured"
        );
    }
    let missed = score.missed_goals();
    assert!(missed.is_empty(), "{name}: {}", missed.join("; "));
}

#[test]
fn the_held_out_set_is_frozen() {
    let docs = eval::held_out();
    assert_eq!(docs.len(), eval::HELD_OUT_DOCUMENTS);
    assert_eq!(
        fingerprint(&docs),
        HELD_OUT_FINGERPRINT,
        "the held-out set changed: a generator change needs a new baseline in docs/redaction.md"
    );
}

/// The held-out set's fingerprint (see `the_held_out_set_is_frozen`).
const HELD_OUT_FINGERPRINT: u64 = 12_123_602_452_066_237_348;

#[test]
fn goals_hold_on_the_held_out_set() {
    assert_goals("held-out", &eval::held_out());
}

#[test]
fn goals_hold_on_the_tuning_split() {
    assert_goals(
        "tuning split",
        &eval::tuning(eval::TUNING_SEED, eval::HELD_OUT_DOCUMENTS),
    );
}
