//! The held-out evaluation: a second generator of labelled documents, written apart from the
//! detector and from [`crate::corpus`]'s generator, to judge the detector on documents it
//! was not written for.
//!
//! * Layouts after real forms and messages (fax cover sheets, referral letters, lab reports,
//!   HL7 v2, FHIR JSON, C-CDA XML, discharge summaries, prior authorisations, platform logs,
//!   terse progress notes), and a share of every text family damaged the way fax OCR damages
//!   a page: lines broken at a narrow width (words hyphenated, numbers split without a
//!   hyphen), letter/digit confusions, accents dropped.
//! * Names and places from lists on package registries (37 locales, the US Census lists, US
//!   ZIP codes; `redact/data/eval/`), never the detector's dictionaries.
//! * Identifiers with and without labels, in many formats; every date format a fax carries;
//!   ages over 89 in many phrasings; look-alikes (codes, measurements, versions, timestamps,
//!   job ids, tax ids) unlabelled.
//! * Labelled character by character: each span covers exactly its identifier, and OCR
//!   damage moves labels with their characters.
//!
//! Two [`Split`]s: [`Split::Tuning`] may be looked at while improving the detector;
//! [`Split::HeldOut`] is only ever scored as a whole. They draw names and cities from
//! disjoint halves of the lists, so nothing learnt from tuning names carries over.

// `*r.pick(&[..])` picks a `&str` from an array literal: without the `*` the element type
// cannot be inferred, so clippy's auto-deref suggestion does not compile here.
#![allow(clippy::explicit_auto_deref)]

mod build;
mod layouts;
mod pools;
mod values;

use crate::corpus::rng::Rng;
use crate::corpus::{DocKind, Document};

/// The seed of the tuning split.
pub const TUNING_SEED: u64 = 4_001;
/// The seed of the held-out split: its documents are scored, never read while tuning.
pub const HELD_OUT_SEED: u64 = 90_210;
/// How many documents the held-out set has.
pub const HELD_OUT_DOCUMENTS: usize = 2_000;

/// Which half of the name and place lists a corpus draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    /// May be read while tuning.
    Tuning,
    /// Scored only.
    HeldOut,
}

/// The tuning split: `count` documents for `seed`.
pub fn tuning(seed: u64, count: usize) -> Vec<Document> {
    generate(Split::Tuning, seed, count)
}

/// The frozen held-out set.
pub fn held_out() -> Vec<Document> {
    generate(Split::HeldOut, HELD_OUT_SEED, HELD_OUT_DOCUMENTS)
}

/// `count` documents of `split` for `seed`, the families in rotation, every fourth text
/// document OCR-damaged.
pub fn generate(split: Split, seed: u64, count: usize) -> Vec<Document> {
    let pools = pools::Pools::new(split);
    // The split is mixed into the seed so that the two never share a random sequence.
    let mut r = Rng::new(
        seed ^ if split == Split::HeldOut {
            0xA5A5_0000
        } else {
            0
        },
    );
    (0..count)
        .map(|id| {
            let c = layouts::Ctx::new(&mut r, &pools);
            let (doc, kind, text) = match id % 10 {
                0 => (layouts::cover_sheet(&mut r, &c), DocKind::CoverSheet, true),
                1 => (layouts::referral(&mut r, &c), DocKind::Referral, true),
                2 => (layouts::lab_report(&mut r, &c), DocKind::LabResult, true),
                3 => (layouts::hl7(&mut r, &c), DocKind::Hl7, false),
                4 => (layouts::fhir(&mut r, &c), DocKind::Fhir, false),
                5 => (layouts::ccda(&mut r, &c), DocKind::Ccda, false),
                6 => (
                    layouts::discharge(&mut r, &c),
                    DocKind::DischargeSummary,
                    true,
                ),
                7 => (layouts::prior_auth(&mut r, &c), DocKind::PriorAuth, true),
                8 => (layouts::logs(&mut r, &c), DocKind::LogLines, false),
                _ => (layouts::progress_note(&mut r, &c), DocKind::Other, true),
            };
            if text && r.chance(0.3) {
                doc.ocr(&mut r).finish(id, DocKind::OcrPage)
            } else {
                doc.finish(id, kind)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PhiKind;

    #[test]
    fn the_held_out_set_is_frozen_and_labels_sit_on_their_values() {
        let a = generate(Split::HeldOut, HELD_OUT_SEED, 40);
        assert_eq!(a, generate(Split::HeldOut, HELD_OUT_SEED, 40));
        assert_ne!(a, generate(Split::Tuning, HELD_OUT_SEED, 40));
        for doc in &a {
            let mut last_end = 0;
            for s in &doc.spans {
                assert!(s.start >= last_end, "doc {}: overlapping labels", doc.id);
                last_end = s.end;
                let v = &doc.text[s.start..s.end];
                assert!(!v.is_empty() && v.trim() == v, "doc {}: {v:?}", doc.id);
            }
        }
    }

    #[test]
    fn every_kind_of_identifier_and_every_family_appears() {
        let docs = tuning(TUNING_SEED, 400);
        for kind in PhiKind::ALL {
            if kind == PhiKind::Id || kind == PhiKind::Device {
                continue;
            }
            let n = docs
                .iter()
                .flat_map(|d| &d.spans)
                .filter(|s| s.kind == kind)
                .count();
            assert!(n >= 5, "{kind}: only {n}");
        }
        for kind in [DocKind::OcrPage, DocKind::Hl7, DocKind::Fhir, DocKind::Ccda] {
            assert!(docs.iter().any(|d| d.kind == kind), "{kind:?}");
        }
    }
}
