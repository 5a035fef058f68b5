//! Reading the trail for people: filter records by time range, actor, action, plugin, tenant
//! and outcome, and export them as JSON Lines. Every record read is checked against the chain
//! on the way, so a query never returns a record the verifier would reject.

use std::io::{self, Write};
use std::path::Path;

use ring::hmac;

use super::chain::{BreakReason, ChainBreak, ChainReader, ReadError};
use super::event::{Actor, Outcome, TenantId};
use super::index;
use super::record::AuditRecord;
use super::time::Timestamp;
use super::{INDEX_FILE_NAME, TRAIL_FILE_NAME};

/// Which records a query returns. Every field set must match; unset fields match anything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    /// Records at or after this time.
    pub since: Option<Timestamp>,
    /// Records strictly before this time.
    pub until: Option<Timestamp>,
    /// Records by this actor.
    pub actor: Option<Actor>,
    /// Records whose action is this one, or starts with it when it ends in `.*`
    /// (`plugin.*` matches `plugin.install.approved`).
    pub action: Option<String>,
    /// Records by this plugin, or about it (target `plugin:<id>`).
    pub plugin: Option<String>,
    /// Records with this outcome.
    pub outcome: Option<Outcome>,
    /// Records for this tenant.
    pub tenant: Option<TenantId>,
}

impl Filter {
    /// True when the record passes every set condition.
    pub fn matches(&self, record: &AuditRecord) -> bool {
        if self.since.is_some_and(|t| record.time < t)
            || self.until.is_some_and(|t| record.time >= t)
        {
            return false;
        }
        if self.actor.as_ref().is_some_and(|a| *a != record.actor) {
            return false;
        }
        if let Some(action) = &self.action {
            let name = record.action.as_str();
            let hit = match action.strip_suffix(".*") {
                Some(prefix) => name
                    .strip_prefix(prefix)
                    .is_some_and(|rest| rest.starts_with('.')),
                None => name == action,
            };
            if !hit {
                return false;
            }
        }
        if let Some(plugin) = &self.plugin {
            let by = matches!(&record.actor, Actor::Plugin(id) if id == plugin);
            let about = record
                .target
                .as_ref()
                .is_some_and(|t| t.kind() == "plugin" && t.id() == plugin);
            if !by && !about {
                return false;
            }
        }
        if self.outcome.is_some_and(|o| o != record.outcome) {
            return false;
        }
        if self
            .tenant
            .as_ref()
            .is_some_and(|t| Some(t) != record.tenant.as_ref())
        {
            return false;
        }
        true
    }
}

/// What a query went through.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QuerySummary {
    /// Records read and checked.
    pub scanned: u64,
    /// Records that matched and were passed on.
    pub matched: u64,
    /// Bytes of an incomplete last record (a write in progress, or a torn tail the next open
    /// will repair); not returned.
    pub incomplete_tail: Option<u64>,
}

/// Why a query stopped.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// Reading or checking the trail failed.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The caller's sink failed (e.g. stdout closed).
    #[error("writing query output: {0}")]
    Output(#[source] io::Error),
}

/// Reads the trail in `dir` in order, checking the chain, and passes each matching record to
/// `sink`. Stops at the first break. Because record times never decrease along the trail,
/// reading starts at the sparse index's last entry older than `filter.since` (checking the
/// chain from there on; `verify_trail` checks all of it) and stops once past `filter.until`.
pub fn query(
    dir: &Path,
    key: &hmac::Key,
    filter: &Filter,
    mut sink: impl FnMut(&AuditRecord) -> io::Result<()>,
) -> Result<QuerySummary, QueryError> {
    let mut reader = ChainReader::open(&dir.join(TRAIL_FILE_NAME), key.clone())?;
    if let Some(since) = filter.since {
        let trail_id = reader.position().trail_id;
        let entries = index::read_index(&dir.join(INDEX_FILE_NAME), key, &trail_id);
        if let Some(entry) = index::start_for(&entries, since.unix_micros()) {
            reader.seek_to(entry)?;
        }
    }
    let mut summary = QuerySummary::default();
    loop {
        let record = match reader.next_record() {
            Ok(Some(record)) => record,
            Ok(None) => break,
            Err(ReadError::Break(ChainBreak {
                reason: BreakReason::TornTail { bytes },
                ..
            })) => {
                summary.incomplete_tail = Some(bytes);
                break;
            }
            Err(other) => return Err(other.into()),
        };
        summary.scanned += 1;
        if filter.until.is_some_and(|t| record.time >= t) {
            break;
        }
        if filter.matches(&record) {
            summary.matched += 1;
            sink(&record).map_err(QueryError::Output)?;
        }
    }
    Ok(summary)
}

/// Writes each matching record as one JSON object per line (JSON Lines) to `out`.
pub fn export_json_lines(
    dir: &Path,
    key: &hmac::Key,
    filter: &Filter,
    out: &mut impl Write,
) -> Result<QuerySummary, QueryError> {
    let summary = query(dir, key, filter, |record| {
        serde_json::to_writer(&mut *out, record).map_err(io::Error::other)?;
        out.write_all(b"\n")
    })?;
    out.flush().map_err(QueryError::Output)?;
    Ok(summary)
}
