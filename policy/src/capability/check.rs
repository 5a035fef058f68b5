//! The check of one plugin action against its grants.

use super::{Capability, Grants, names};
use crate::egress::NormalizedUrl;
use faxbot_plugin_abi::event::topic_matches;
use std::fmt;

/// Something a plugin tries to do.
#[derive(Clone, Copy, Debug)]
pub enum Action<'a> {
    /// Receive an event with this topic.
    ReceiveEvent {
        /// The event's topic.
        topic: &'a str,
    },
    /// Emit an event with this topic.
    EmitEvent {
        /// The topic asked for.
        topic: &'a str,
    },
    /// Send an HTTPS request to this (already normalised) URL.
    Egress {
        /// The request URL, secrets still as placeholders.
        url: &'a NormalizedUrl,
    },
    /// Read or list its key-value data.
    KvRead,
    /// Write key-value data, bringing its total to this many bytes.
    KvWrite {
        /// Bytes stored after the write.
        total_bytes_after: u64,
    },
    /// Serve a request for this path (below `/ext/<plugin-id>`).
    ServeRoute {
        /// The path.
        path: &'a str,
    },
    /// Run the named job.
    RunJob {
        /// The job's name.
        name: &'a str,
    },
    /// Use the named secret in an outbound request.
    UseSecret {
        /// The secret's name.
        name: &'a str,
    },
    /// Look up a fax job's status.
    FaxJobStatus,
}

impl Action<'_> {
    /// The capability this action needs, as named in denials and audit records.
    pub fn capability(&self) -> &'static str {
        match self {
            Action::ReceiveEvent { .. } => "events.subscribe",
            Action::EmitEvent { .. } => "events.emit",
            Action::Egress { .. } => "http.egress",
            Action::KvRead | Action::KvWrite { .. } => "kv.quota",
            Action::ServeRoute { .. } => "routes",
            Action::RunJob { .. } => "jobs",
            Action::UseSecret { .. } => "secrets",
            Action::FaxJobStatus => "fax.job_status",
        }
    }
}

/// Why an action was denied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DenyReason {
    /// No grant covers the action.
    NotGranted,
    /// A grant covered it, but it expired at this time (ms since the epoch).
    Expired {
        /// The latest expiry among the grants that would have allowed it.
        at_ms: u64,
    },
    /// The kv write would pass the granted quota.
    QuotaExceeded {
        /// The quota in force.
        quota_bytes: u64,
        /// The total the write would reach.
        wanted_bytes: u64,
    },
    /// An emitted topic outside `plugin.<id>.`.
    OutsideOwnNamespace,
}

/// A denied action: the capability it needed and why it was refused. The message names
/// no request data (URLs, paths and topics may carry identifiers).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{capability} denied: {reason}")]
pub struct Denial {
    /// The capability the action needed.
    pub capability: &'static str,
    /// Why it was refused.
    pub reason: DenyReason,
}

impl fmt::Display for DenyReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DenyReason::NotGranted => f.write_str("no grant allows this"),
            DenyReason::Expired { at_ms } => write!(f, "the grant expired at {at_ms} ms"),
            DenyReason::QuotaExceeded {
                quota_bytes,
                wanted_bytes,
            } => write!(
                f,
                "{wanted_bytes} bytes would exceed the quota of {quota_bytes}"
            ),
            DenyReason::OutsideOwnNamespace => {
                f.write_str("plugins may emit only topics under plugin.<own id>.")
            }
        }
    }
}

/// The answer to "may this plugin do this now?".
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Allowed by a live grant.
    Allow,
    /// Denied; the host answers `denied` and writes an audit record.
    Deny(Denial),
}

impl Decision {
    /// Whether the action is allowed.
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allow)
    }
}

fn allows(capability: &Capability, action: &Action<'_>) -> bool {
    match (capability, action) {
        (Capability::Subscribe(p), Action::ReceiveEvent { topic }) => topic_matches(p, topic),
        (Capability::Emit(p), Action::EmitEvent { topic }) => topic_matches(p, topic),
        (Capability::Egress(rule), Action::Egress { url }) => rule.matches(url),
        (Capability::KvQuota(q), Action::KvRead) => *q > 0,
        (Capability::KvQuota(q), Action::KvWrite { total_bytes_after }) => *total_bytes_after <= *q,
        (Capability::Route(p), Action::ServeRoute { path }) => names::route_matches(p, path),
        (Capability::Job(j), Action::RunJob { name }) => j.name == *name,
        (Capability::Secret(s), Action::UseSecret { name }) => s == name,
        (Capability::FaxJobStatus, Action::FaxJobStatus) => true,
        _ => false,
    }
}

/// Decides whether the plugin holding `grants` may perform `action` at `now_ms`.
pub fn check(grants: &Grants, action: &Action<'_>, now_ms: u64) -> Decision {
    let deny = |reason| {
        Decision::Deny(Denial {
            capability: action.capability(),
            reason,
        })
    };
    if let Action::EmitEvent { topic } = action {
        let own = format!("plugin.{}.", grants.plugin_id());
        if !topic.starts_with(&own) {
            return deny(DenyReason::OutsideOwnNamespace);
        }
    }
    let mut expired_at: Option<u64> = None;
    for grant in grants.granted() {
        if !allows(&grant.capability, action) {
            continue;
        }
        if grant.is_live(now_ms) {
            return Decision::Allow;
        }
        let at = grant.expires_at_ms.unwrap_or(0);
        expired_at = Some(expired_at.map_or(at, |e| e.max(at)));
    }
    if let Some(at_ms) = expired_at {
        return deny(DenyReason::Expired { at_ms });
    }
    if let Action::KvWrite { total_bytes_after } = action {
        let quota = grants
            .live(now_ms)
            .filter_map(|c| match c {
                Capability::KvQuota(q) => Some(*q),
                _ => None,
            })
            .max();
        if let Some(quota_bytes) = quota {
            return deny(DenyReason::QuotaExceeded {
                quota_bytes,
                wanted_bytes: *total_bytes_after,
            });
        }
    }
    deny(DenyReason::NotGranted)
}
