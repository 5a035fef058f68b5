//! faxbot-redact: nothing that could identify a patient leaves the faxbot core.
//!
//! Two layers:
//! * **Structured** ([`RecordSchema`]): each record type declares, per field, whether it is
//!   kept, dropped, replaced by a keyed pseudonymous token (stable per tenant and value, so
//!   plugins can correlate without learning the value), or treated as free text. Fields a
//!   schema does not name are free text: fail closed.
//! * **Free text** ([`Detector`]): finds the HIPAA Safe Harbor identifiers (names, dates but
//!   years, ages over 89, phone and fax numbers, email, SSN, MRN, health plan, account,
//!   license/DEA/NPI numbers, addresses and ZIP codes, URLs, IP addresses, vehicle and
//!   device ids) while leaving look-alikes (fax job ids, ICD-10/CPT codes, dosages, prices,
//!   page counts) alone.
//!
//! The one function to call on every path out of the core is on [`Redactor`]:
//! [`Redactor::redact_text`] for text, [`Redactor::redact_value`] for JSON.
//!
//! This crate must never log, print or return an original value it found: its errors and its
//! `Debug` output carry offsets and kinds only. [`corpus`] generates a labelled synthetic
//! corpus and scores a redactor against it; [`eval`] is the independent generator whose
//! frozen held-out set judges the detector (it never feeds the detector's lists).

pub mod corpus;
pub mod detect;
pub mod eval;
mod kind;
mod redactor;
mod schema;
mod span;
mod token;

pub use detect::Detector;
pub use kind::{PhiKind, UnknownKind};
pub use redactor::{Redacted, Redactor, TextReplacement};
pub use schema::{FieldRule, RecordSchema};
pub use span::{Span, merge};
pub use token::{PSEUDONYM_KEY_LABEL, PseudonymKey, TOKEN_HEX_LEN};
