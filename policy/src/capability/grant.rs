//! Grants: the capabilities an admin approved, each optionally time-boxed.

use super::Capability;
use faxbot_plugin_abi::GrantedCapabilities;
use faxbot_plugin_abi::handshake::JobGrant;
use serde::{Deserialize, Serialize};

/// One approved capability.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// What is allowed.
    pub capability: Capability,
    /// When the grant stops allowing anything (ms since the Unix epoch); `None` = no expiry.
    pub expires_at_ms: Option<u64>,
}

impl Grant {
    /// A grant without expiry.
    pub fn permanent(capability: Capability) -> Self {
        Self {
            capability,
            expires_at_ms: None,
        }
    }

    /// A grant that stops allowing anything at `expires_at_ms`.
    pub fn until(capability: Capability, expires_at_ms: u64) -> Self {
        Self {
            capability,
            expires_at_ms: Some(expires_at_ms),
        }
    }

    /// Whether the grant is in force at `now_ms`; an expired grant is a denied grant.
    pub fn is_live(&self, now_ms: u64) -> bool {
        self.expires_at_ms.is_none_or(|t| now_ms < t)
    }
}

/// Why a set of grants was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GrantError {
    /// A grant wider than anything the manifest asked for.
    #[error("grant {0} is not covered by anything the plugin requested")]
    NotRequested(String),
}

/// The approved capabilities of one installed plugin version, with what it requested.
///
/// Invariant, checked on construction and on deserialisation: every grant is covered by a
/// requested capability.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "GrantsRecord")]
pub struct Grants {
    plugin_id: String,
    plugin_version: semver::Version,
    requested: Vec<Capability>,
    granted: Vec<Grant>,
}

#[derive(Deserialize)]
struct GrantsRecord {
    plugin_id: String,
    plugin_version: semver::Version,
    requested: Vec<Capability>,
    granted: Vec<Grant>,
}

impl TryFrom<GrantsRecord> for Grants {
    type Error = GrantError;
    fn try_from(r: GrantsRecord) -> Result<Self, Self::Error> {
        Grants::approve(r.plugin_id, r.plugin_version, r.requested, r.granted)
    }
}

impl Grants {
    /// Approves `chosen` for a plugin that requested `requested`. Each chosen grant must
    /// be covered by a requested capability: an admin can narrow a request, never widen it.
    pub fn approve(
        plugin_id: impl Into<String>,
        plugin_version: semver::Version,
        requested: Vec<Capability>,
        chosen: Vec<Grant>,
    ) -> Result<Self, GrantError> {
        for grant in &chosen {
            if !requested.iter().any(|r| grant.capability.is_covered_by(r)) {
                return Err(GrantError::NotRequested(grant.capability.to_string()));
            }
        }
        Ok(Self {
            plugin_id: plugin_id.into(),
            plugin_version,
            requested,
            granted: chosen,
        })
    }

    /// Builds grants whose invariant the caller has already established.
    pub(super) fn from_parts(
        plugin_id: String,
        plugin_version: semver::Version,
        requested: Vec<Capability>,
        granted: Vec<Grant>,
    ) -> Self {
        debug_assert!(
            granted
                .iter()
                .all(|g| requested.iter().any(|r| g.capability.is_covered_by(r)))
        );
        Self {
            plugin_id,
            plugin_version,
            requested,
            granted,
        }
    }

    /// Approves everything requested, with one expiry for all (or none).
    pub fn approve_all(
        plugin_id: impl Into<String>,
        plugin_version: semver::Version,
        requested: Vec<Capability>,
        expires_at_ms: Option<u64>,
    ) -> Self {
        let granted = requested
            .iter()
            .cloned()
            .map(|capability| Grant {
                capability,
                expires_at_ms,
            })
            .collect();
        Self {
            plugin_id: plugin_id.into(),
            plugin_version,
            requested,
            granted,
        }
    }

    /// Adds more approved grants (after an upgrade's re-approval, say), with the same rule.
    pub fn with_additional(mut self, chosen: Vec<Grant>) -> Result<Self, GrantError> {
        for grant in &chosen {
            if !self
                .requested
                .iter()
                .any(|r| grant.capability.is_covered_by(r))
            {
                return Err(GrantError::NotRequested(grant.capability.to_string()));
            }
        }
        self.granted.extend(chosen);
        Ok(self)
    }

    /// The plugin these grants belong to.
    pub fn plugin_id(&self) -> &str {
        &self.plugin_id
    }

    /// The plugin version the grants were approved for.
    pub fn plugin_version(&self) -> &semver::Version {
        &self.plugin_version
    }

    /// What that version requested.
    pub fn requested(&self) -> &[Capability] {
        &self.requested
    }

    /// What the admin approved, live or expired.
    pub fn granted(&self) -> &[Grant] {
        &self.granted
    }

    /// The grants in force at `now_ms`.
    pub fn live(&self, now_ms: u64) -> impl Iterator<Item = &Capability> {
        self.granted
            .iter()
            .filter(move |g| g.is_live(now_ms))
            .map(|g| &g.capability)
    }

    /// The next moment a live grant expires, so the host can re-check then.
    pub fn next_expiry(&self, now_ms: u64) -> Option<u64> {
        self.granted
            .iter()
            .filter(|g| g.is_live(now_ms))
            .filter_map(|g| g.expires_at_ms)
            .min()
    }

    /// The grants in force at `now_ms`, in the ABI's form for the handshake's `Welcome`.
    pub fn to_abi(&self, now_ms: u64) -> GrantedCapabilities {
        let mut out = GrantedCapabilities::default();
        for capability in self.live(now_ms) {
            match capability {
                Capability::Subscribe(p) => out.event_subscriptions.push(p.clone()),
                Capability::Emit(p) => out.emit_events.push(p.clone()),
                Capability::Egress(r) => out.egress.push(r.to_string()),
                Capability::KvQuota(n) => out.kv_quota_bytes = out.kv_quota_bytes.max(*n),
                Capability::Route(r) => out.routes.push(r.clone()),
                Capability::Job(j) => out.jobs.push(JobGrant {
                    name: j.name.clone(),
                    cron: j.cron.clone(),
                }),
                Capability::Secret(s) => out.secrets.push(s.clone()),
                Capability::FaxJobStatus => out.fax_job_status = true,
            }
        }
        out
    }
}
