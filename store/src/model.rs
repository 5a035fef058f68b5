//! The rows the domain reads and writes.

use faxbot_policy::capability::{Grant, Grants};
use faxbot_policy::trust::Verified;

/// A tenant: a customer of the platform whose plugins and keys are kept apart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tenant {
    /// Its id (`[A-Za-z0-9._-]`, 1–64).
    pub id: String,
    /// The tenant handles PHI under HIPAA rules: it sees and installs only plugins marked
    /// HIPAA-compliant.
    pub hipaa_mode: bool,
    /// When it was created, ms since the Unix epoch.
    pub created_at_ms: u64,
}

/// An API key as stored: its public id, owner, scopes and lifetime, and a keyed hash of its
/// secret (never the secret).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiKeyRecord {
    /// The public part of the key, shown in lists and audit records.
    pub id: String,
    /// A name for people.
    pub name: String,
    /// The tenant it acts for; `None` for a platform admin key.
    pub tenant: Option<String>,
    /// Scope names (`plugins:read`, ...).
    pub scopes: Vec<String>,
    /// HMAC-SHA256 of the secret under a key derived from the core's key material.
    pub secret_hash: Vec<u8>,
    /// Creation time, ms.
    pub created_at_ms: u64,
    /// The key id that created it (`None` for the first admin key, made by `faxbot init`).
    pub created_by: Option<String>,
    /// When it stops working, ms.
    pub expires_at_ms: Option<u64>,
    /// When it was revoked, ms.
    pub revoked_at_ms: Option<u64>,
}

/// The state an admin asked a plugin to be in. What the API shows combines this with what
/// the supervisor reports (a plugin asked to run may be quarantined or failing).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DesiredState {
    /// Uploaded; waiting for approval.
    PendingApproval,
    /// Approved and not started.
    Approved,
    /// Approved and asked to run.
    Running,
    /// Stopped by an admin.
    Stopped,
    /// Stopped by the core (revoked key or package) until an admin acts.
    Disabled,
}

impl DesiredState {
    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            DesiredState::PendingApproval => "pending_approval",
            DesiredState::Approved => "approved",
            DesiredState::Running => "running",
            DesiredState::Stopped => "stopped",
            DesiredState::Disabled => "disabled",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "pending_approval" => DesiredState::PendingApproval,
            "approved" => DesiredState::Approved,
            "running" => DesiredState::Running,
            "stopped" => DesiredState::Stopped,
            "disabled" => DesiredState::Disabled,
            _ => return None,
        })
    }
}

/// An installed (or uploaded) plugin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PluginRecord {
    /// The manifest's id; unique on this host.
    pub id: String,
    /// The tenant that owns it; `None` for a platform-wide plugin.
    pub tenant: Option<String>,
    /// The state asked for.
    pub desired: DesiredState,
    /// Why it is in that state, when the core put it there (a revocation, say).
    pub reason: Option<String>,
    /// The approved version (runs when `desired` is running).
    pub active_version: Option<String>,
    /// An uploaded version waiting for approval.
    pub pending_version: Option<String>,
    /// First upload, ms.
    pub created_at_ms: u64,
    /// Last change, ms.
    pub updated_at_ms: u64,
}

/// One uploaded version of a plugin: what was verified, where its files are, and once
/// approved, its grants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionRecord {
    /// The plugin.
    pub plugin_id: String,
    /// Its semver version.
    pub version: String,
    /// What signature verification established (digest, key, publisher, tier, scheme).
    pub verified: Verified,
    /// The manifest bytes as packaged (covered by the digest).
    pub manifest: Vec<u8>,
    /// Its files' directory, relative to the package area's root.
    pub files_dir: String,
    /// The key id that uploaded it.
    pub uploaded_by: String,
    /// Upload time, ms.
    pub uploaded_at_ms: u64,
    /// The grants in force, once approved.
    pub grants: Option<Grants>,
    /// Approval time, ms.
    pub approved_at_ms: Option<u64>,
    /// An admin's note (the reason for a forced downgrade).
    pub note: Option<String>,
}

/// One principal's approval of a pending version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApprovalRecord {
    /// The plugin.
    pub plugin_id: String,
    /// The version approved.
    pub version: String,
    /// The approving key's id.
    pub principal: String,
    /// The grants this principal approved.
    pub grants: Vec<Grant>,
    /// When, ms.
    pub at_ms: u64,
}

/// What a quota-checked kv write did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KvWrite {
    /// Written; the plugin's kv data now holds `total_bytes`.
    Written {
        /// Bytes of keys and values after the write.
        total_bytes: u64,
    },
    /// Refused, nothing changed: the data would have held `total_bytes_after`.
    OverQuota {
        /// Bytes the data would have held.
        total_bytes_after: u64,
        /// The quota.
        quota: u64,
    },
}

/// One page of a kv listing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KvPage {
    /// Keys in ascending byte order.
    pub keys: Vec<String>,
    /// Whether more keys follow the last one.
    pub more: bool,
}

/// Who may call a plugin's routes (`/ext/{plugin}/...`), as the admin set at approval.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RouteAccess {
    /// Route patterns anyone may call, without a key.
    pub public: Vec<String>,
    /// The scope a key needs for every other route (a scope name, `plugins:read` by default).
    pub scope: String,
}
