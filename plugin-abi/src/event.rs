//! The platform events a plugin may see.
//!
//! Every type here carries only what a plugin may learn: opaque ids, statuses, counts,
//! timings, the provider's name and keyed pseudonymous tokens. There is deliberately no
//! field able to hold a fax number, a name or document content; the host's redactor also
//! runs over every event before delivery, as a second layer.

use crate::value::Value;
use serde::{Deserialize, Serialize};

/// Topic names of the events this version defines.
pub mod topic {
    /// A fax job was accepted and queued.
    pub const FAX_JOB_QUEUED: &str = "fax.job.queued";
    /// A fax job is being transmitted.
    pub const FAX_JOB_SENDING: &str = "fax.job.sending";
    /// A fax job's transmission completed.
    pub const FAX_JOB_SENT: &str = "fax.job.sent";
    /// The provider confirmed delivery.
    pub const FAX_JOB_DELIVERED: &str = "fax.job.delivered";
    /// A fax job failed for good.
    pub const FAX_JOB_FAILED: &str = "fax.job.failed";
    /// An inbound fax arrived.
    pub const FAX_INBOUND_RECEIVED: &str = "fax.inbound.received";
    /// A plugin changed state (started, stopped, quarantined, ...).
    pub const PLUGIN_LIFECYCLE: &str = "plugin.lifecycle";
}

/// One event delivery.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct Event {
    /// Unique id of the event; the idempotency key for at-least-once delivery.
    pub id: String,
    /// Dotted topic, e.g. `fax.job.sent`.
    pub topic: String,
    /// The tenant the event belongs to (an opaque id).
    pub tenant_id: String,
    /// Position in this plugin's subscription, increasing by one per event.
    pub sequence: u64,
    /// When it happened, milliseconds since the Unix epoch.
    pub occurred_at_ms: u64,
    /// What happened.
    pub payload: EventPayload,
}

/// The body of an event, by family.
///
/// The host sends a variant only to plugins that negotiated a minor version defining it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub enum EventPayload {
    /// A fax job changed state.
    FaxJob(FaxJobEvent),
    /// A plugin changed state.
    PluginLifecycle(PluginLifecycleEvent),
    /// An event another plugin emitted (validated and redacted by the host).
    Custom(CustomEvent),
}

/// Direction of a fax.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub enum FaxDirection {
    /// Sent by the platform.
    Outbound,
    /// Received by the platform.
    Inbound,
}

/// A fax job's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub enum FaxJobState {
    /// Accepted, waiting for the transport.
    Queued,
    /// Being transmitted.
    Sending,
    /// Transmitted.
    Sent,
    /// Delivery confirmed.
    Delivered,
    /// Failed for good.
    Failed,
    /// An inbound fax was received.
    Received,
    /// Cancelled before completion.
    Cancelled,
}

impl FaxJobState {
    /// Lower-case name as used in topics and logs.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
            Self::Received => "received",
            Self::Cancelled => "cancelled",
        }
    }
}

/// A fax job event: only what may leave the core.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct FaxJobEvent {
    /// The platform's opaque job id.
    pub job_id: String,
    /// Outbound or inbound.
    pub direction: FaxDirection,
    /// The state this event reports.
    pub state: FaxJobState,
    /// Transport name (`phaxio`, `sinch`, `signalwire`, `sip`, `freeswitch`, `test`).
    pub provider: String,
    /// Pages, once known.
    pub pages: Option<u32>,
    /// Which attempt this is, from 1.
    pub attempt: u32,
    /// When the job was queued, ms since the epoch.
    pub queued_at_ms: u64,
    /// Transmission time, once known.
    pub duration_ms: Option<u64>,
    /// A failure category (`busy`, `no_answer`, `line_error`, `rejected`, ...), never a
    /// provider's free-text message.
    pub failure: Option<String>,
    /// Keyed pseudonymous token of the remote party: equal for the same number within a
    /// tenant, useless for learning the number.
    pub remote_token: Option<String>,
}

/// A plugin's lifecycle change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct PluginLifecycleEvent {
    /// The plugin's id.
    pub plugin_id: String,
    /// The plugin's version.
    pub version: String,
    /// `installed`, `started`, `stopped`, `crashed`, `quarantined`, `upgraded`, ...
    pub state: String,
}

/// An event a plugin emitted, as other plugins see it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct CustomEvent {
    /// The emitting plugin.
    pub source_plugin: String,
    /// Its fields, after validation and redaction by the host.
    #[cfg_attr(test, proptest(strategy = "crate::value::strategy::fields()"))]
    pub fields: Vec<(String, Value)>,
}

/// Whether a topic matches a subscription pattern: exact, or a trailing `.*` matching one
/// or more further segments (`fax.job.*` matches `fax.job.sent`, not `fax.jobs`).
pub fn topic_matches(pattern: &str, topic: &str) -> bool {
    if pattern == "*" {
        return !topic.is_empty();
    }
    match pattern.strip_suffix(".*") {
        Some(prefix) => topic
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.len() > 1 && rest.starts_with('.')),
        None => pattern == topic,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_subscription_matches_only_below_its_prefix() {
        assert!(topic_matches("fax.job.*", "fax.job.sent"));
        assert!(topic_matches("fax.*", "fax.job.sent"));
        assert!(!topic_matches("fax.job.*", "fax.jobs.sent"));
        assert!(!topic_matches("fax.job.*", "fax.job"));
        assert!(!topic_matches("fax.job.*", "fax.job."));
        assert!(topic_matches("fax.job.sent", "fax.job.sent"));
        assert!(!topic_matches("fax.job.sent", "fax.job.sent.x"));
    }
}
