//! Capabilities: what a manifest requests, what an admin grants, and the check of every
//! plugin action against the grants.
//!
//! The vocabulary is the ABI's ([`faxbot_plugin_abi::GrantedCapabilities`]): event
//! subscriptions, emitted topics, egress rules, a kv quota, routes, jobs, secrets and fax
//! job status. Nothing is granted by default; a grant is always covered by a request.

mod call_check;
mod check;
pub mod cron;
mod denial;
mod grant;
pub mod names;
mod risk;
mod upgrade;

pub use call_check::{check_call, method_capability};
pub use check::{Action, Decision, check};
pub use denial::{CapabilityKind, Denial, DenialRule};
pub use grant::{Grant, GrantError, Grants};
pub use risk::RiskLevel;
pub use upgrade::{UpgradeDiff, upgrade_diff};

use crate::egress::EgressRule;
use serde::{Deserialize, Serialize};

/// A scheduled job a plugin asks to run.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct JobSpec {
    /// The job's name, unique within the plugin.
    pub name: String,
    /// Five-field cron schedule, UTC.
    pub cron: String,
}

/// One capability, as requested in a manifest or granted by an admin.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Capability {
    /// Receive events whose topic matches the pattern.
    Subscribe(String),
    /// Emit events whose topic matches the pattern (always under `plugin.<id>.`).
    Emit(String),
    /// Send HTTPS requests the rule allows.
    Egress(EgressRule),
    /// Store up to this many bytes of key-value data.
    KvQuota(u64),
    /// Serve HTTP requests at this route under `/ext/<plugin-id>/`.
    Route(String),
    /// Run this job on its schedule.
    Job(JobSpec),
    /// Use this secret, by name, in outbound requests.
    Secret(String),
    /// Look up fax job status.
    FaxJobStatus,
}

impl Capability {
    /// The capability's kind, as named in manifests, denials and audit records.
    pub fn kind(&self) -> CapabilityKind {
        match self {
            Capability::Subscribe(_) => CapabilityKind::Subscribe,
            Capability::Emit(_) => CapabilityKind::Emit,
            Capability::Egress(_) => CapabilityKind::Egress,
            Capability::KvQuota(_) => CapabilityKind::KvQuota,
            Capability::Route(_) => CapabilityKind::Routes,
            Capability::Job(_) => CapabilityKind::Jobs,
            Capability::Secret(_) => CapabilityKind::Secrets,
            Capability::FaxJobStatus => CapabilityKind::FaxJobStatus,
        }
    }

    /// Whether everything this capability allows is also allowed by `wider`.
    pub fn is_covered_by(&self, wider: &Capability) -> bool {
        use Capability as C;
        match (self, wider) {
            (C::Subscribe(n), C::Subscribe(w)) | (C::Emit(n), C::Emit(w)) => {
                names::pattern_covers(w, n, '.')
            }
            (C::Egress(n), C::Egress(w)) => n.is_covered_by(w),
            (C::KvQuota(n), C::KvQuota(w)) => n <= w,
            (C::Route(n), C::Route(w)) => names::pattern_covers(w, n, '/'),
            (C::Job(n), C::Job(w)) => n == w,
            (C::Secret(n), C::Secret(w)) => n == w,
            (C::FaxJobStatus, C::FaxJobStatus) => true,
            _ => false,
        }
    }
}

/// Everything a manifest requests, by kind.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapabilitySet {
    /// Event topic patterns to receive.
    pub subscribe: Vec<String>,
    /// Topic patterns to emit.
    pub emit: Vec<String>,
    /// Egress rules.
    pub egress: Vec<EgressRule>,
    /// Key-value quota in bytes; 0 = none.
    pub kv_quota_bytes: u64,
    /// Routes.
    pub routes: Vec<String>,
    /// Scheduled jobs.
    pub jobs: Vec<JobSpec>,
    /// Secret names.
    pub secrets: Vec<String>,
    /// Fax job status lookups.
    pub fax_job_status: bool,
}

impl CapabilitySet {
    /// The set as a flat list of capabilities, in manifest order.
    pub fn to_capabilities(&self) -> Vec<Capability> {
        let mut out = Vec::new();
        out.extend(self.subscribe.iter().cloned().map(Capability::Subscribe));
        out.extend(self.emit.iter().cloned().map(Capability::Emit));
        out.extend(self.egress.iter().cloned().map(Capability::Egress));
        if self.kv_quota_bytes > 0 {
            out.push(Capability::KvQuota(self.kv_quota_bytes));
        }
        out.extend(self.routes.iter().cloned().map(Capability::Route));
        out.extend(self.jobs.iter().cloned().map(Capability::Job));
        out.extend(self.secrets.iter().cloned().map(Capability::Secret));
        if self.fax_job_status {
            out.push(Capability::FaxJobStatus);
        }
        out
    }
}
