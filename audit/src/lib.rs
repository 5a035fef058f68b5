//! The audit trail: what happened, who did it, provably unaltered — and never PHI.
//!
//! * **Records** ([`AuditEvent`] in, [`AuditRecord`] out): time, actor, tenant, action,
//!   target, outcome, correlation id and structured details. Every field but the details is a
//!   narrow identifier; the details pass a [`DetailsRedactor`] before they are written.
//! * **Tamper-evident**: one append-only file (`trail.log`), each record chained to the
//!   previous by HMAC-SHA256 under a key derived from the core's key material
//!   ([`crate::keys`]); a head checkpoint (`head`) shows records cut off the end.
//!   [`verify_trail`] names the first bad record.
//! * **Durable with group commit**: [`AuditTrail::record`] returns only after the record's
//!   batch was fdatasynced; concurrent writers share one fsync. A torn tail from a crash is
//!   cut off at open and reported as an `audit.tail_repaired` record.
//! * **Fail closed**: `trail.record(event).await?` before the action it records. When the trail
//!   cannot commit, `record` errs and the caller must refuse the action.
//! * **Query and export**: [`query`] by time range, actor, action, plugin, tenant and outcome;
//!   [`export_json_lines`].
//!
//! The storage choice (an append-only file, not SQLite) and its measurements are in
//! `docs/audit.md`.

mod chain;
mod event;
mod head;
mod index;
pub mod keys;
mod query;
mod record;
mod redaction;
mod time;
mod trail;

use std::io;
use std::path::PathBuf;

pub use chain::{BreakReason, ChainBreak, ChainReader, ReadError, VerifiedTrail, verify_trail};
pub use event::{Action, Actor, AuditEvent, CorrelationId, FieldError, Outcome, Target, TenantId};
pub use index::{INDEX_STRIDE, IndexEntry};
pub use query::{Filter, QueryError, QuerySummary, export_json_lines, query};
pub use record::AuditRecord;
pub use redaction::{
    DetailsRedactor, PhiRedactor, WITHHELD, WithholdStrings, audit_details_schema,
};
pub use time::{Timestamp, TimestampError};
pub use trail::{AuditTrail, MAX_DETAILS_DEPTH, OpenReport, Receipt, TailRepair};

/// The trail file's name inside the audit directory.
pub const TRAIL_FILE_NAME: &str = "trail.log";

/// The head checkpoint's name inside the audit directory.
pub const HEAD_FILE_NAME: &str = "head";

/// The sparse index's name inside the audit directory.
pub const INDEX_FILE_NAME: &str = "index";

/// The audit directory's name inside the state directory.
pub const AUDIT_DIR_NAME: &str = "audit";

/// Why a record was not committed, or the trail not opened. Any of these means: the action
/// that needed the record must be refused.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// An event field breaks its rule.
    #[error(transparent)]
    Field(#[from] FieldError),
    /// The event could not be encoded.
    #[error("audit event `{action}`: could not encode its details ({reason} error)")]
    Encode {
        /// The event's action.
        action: String,
        /// The encoder's error category.
        reason: &'static str,
    },
    /// The event (after redaction) would make a record line longer than the trail allows.
    #[error(
        "audit event `{action}`: {bytes} bytes encoded, over the record limit of {limit} bytes; \
         record a summary in details instead",
        limit = record::MAX_LINE_BYTES
    )]
    TooLarge {
        /// The event's action.
        action: String,
        /// Its encoded size.
        bytes: usize,
    },
    /// The event's details nest deeper than the trail allows.
    #[error("audit event `{action}`: details nest deeper than {limit} levels")]
    TooDeep {
        /// The event's action.
        action: String,
        /// The limit.
        limit: usize,
    },
    /// A file system call failed.
    #[error("audit trail {path}: {action}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What was being done.
        action: &'static str,
        /// The underlying error.
        source: io::Error,
    },
    /// The trail's chain is broken; it will not be written to until an operator looks.
    #[error(transparent)]
    Broken(ChainBreak),
    /// Another process holds the trail open for writing.
    #[error("audit trail {path}: another process has it open for writing")]
    Busy {
        /// The trail file.
        path: PathBuf,
    },
    /// A write or fsync failed; the trail refuses this and every later record until
    /// restarted.
    #[error("audit trail cannot commit ({reason}); the action is refused")]
    Unavailable {
        /// The failure.
        reason: String,
    },
    /// The trail was closed.
    #[error("audit trail is closed; the action is refused")]
    Closed,
    /// The system random number generator failed.
    #[error("audit trail: the system random number generator failed")]
    Random,
}

impl AuditError {
    fn from_read(error: ReadError) -> Self {
        match error {
            ReadError::Break(b) => AuditError::Broken(b),
            ReadError::Io { path, source } => AuditError::Io {
                path: PathBuf::from(path),
                action: "read",
                source,
            },
        }
    }
}
