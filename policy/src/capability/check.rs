//! The check of one plugin action against its grants.

use super::denial::{Denial, DenialRule};
use super::{Capability, CapabilityKind, Grants, names};
use crate::egress::NormalizedUrl;
use faxbot_plugin_abi::event::topic_matches;

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
    pub fn capability(&self) -> CapabilityKind {
        match self {
            Action::ReceiveEvent { .. } => CapabilityKind::Subscribe,
            Action::EmitEvent { .. } => CapabilityKind::Emit,
            Action::Egress { .. } => CapabilityKind::Egress,
            Action::KvRead | Action::KvWrite { .. } => CapabilityKind::KvQuota,
            Action::ServeRoute { .. } => CapabilityKind::Routes,
            Action::RunJob { .. } => CapabilityKind::Jobs,
            Action::UseSecret { .. } => CapabilityKind::Secrets,
            Action::FaxJobStatus => CapabilityKind::FaxJobStatus,
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

    /// `Ok(())` when allowed, else the denial.
    pub fn into_result(self) -> Result<(), Denial> {
        match self {
            Decision::Allow => Ok(()),
            Decision::Deny(denial) => Err(denial),
        }
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

/// Decides whether the plugin holding `grants` may perform `action` at `now_ms`. A denial
/// names the rule that refused it: the topic, route or job no grant covers, the egress
/// origin no rule allows, the secret not granted, the quota a write would pass, or the
/// time the covering grant expired.
pub fn check(grants: &Grants, action: &Action<'_>, now_ms: u64) -> Decision {
    let deny = |rule| {
        Decision::Deny(Denial {
            capability: Some(action.capability()),
            rule,
        })
    };
    if let Action::EmitEvent { topic } = action {
        let own = format!("plugin.{}.", grants.plugin_id());
        if !topic.starts_with(&own) {
            return deny(DenialRule::OutsideOwnNamespace);
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
        return deny(DenialRule::Expired { at_ms });
    }
    deny(match action {
        Action::KvWrite { total_bytes_after } => grants
            .live(now_ms)
            .filter_map(|c| match c {
                Capability::KvQuota(q) => Some(*q),
                _ => None,
            })
            .max()
            .map_or(DenialRule::NotGranted, |quota| DenialRule::KvQuota {
                used: *total_bytes_after,
                quota,
            }),
        Action::ReceiveEvent { .. } | Action::EmitEvent { .. } => DenialRule::TopicNotGranted,
        Action::Egress { url } => DenialRule::egress_not_allowed(url),
        Action::UseSecret { name } => DenialRule::secret_not_granted(name),
        Action::KvRead
        | Action::ServeRoute { .. }
        | Action::RunJob { .. }
        | Action::FaxJobStatus => DenialRule::NotGranted,
    })
}
