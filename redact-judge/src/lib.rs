//! faxbot-redact-judge: an evaluation corpus for the redactor, written by someone who has not
//! read its detector, and the scorer that runs the redactor on it.
//!
//! * [`corpus`] generates labelled fax-like documents from a seed: cover sheets, referrals, lab
//!   reports, HL7 v2, FHIR R4, C-CDA headers, discharge summaries, prior authorisations,
//!   pharmacy refills, EOBs, reminders, platform logs and forwarded e-mails, some with OCR
//!   damage. Every Safe Harbor identifier is labelled byte by byte; look-alikes that must stay
//!   (codes, lab values, versions, platform timestamps) are recorded as decoys.
//! * Two [`Split`]s, `tuning` and `judging`, draw from disjoint halves of every value list
//!   (names, places, cue words, generated numbers), so that tuning on one cannot memorise the
//!   other.
//! * [`score`] runs a detector on a split and reports recall, leaks and precision per type.
//!
//! It must never print an identifier of the judging split: only the tuning split may be read
//! case by case ([`score::Misses`] refuses the judging split). Its values are synthetic; it never
//! feeds the detector's lists.

pub mod corpus;
pub mod decoy;
pub mod doc;
pub mod forms;
pub mod ident;
pub mod pools;
pub mod rng;
pub mod score;
pub mod split;

pub use corpus::{Corpus, generate};
pub use doc::{Document, Label};
pub use score::{Misses, Score, score};
pub use split::Split;
