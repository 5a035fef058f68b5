//! The JSON the API answers with (and documents in `/openapi.json`).

use crate::runtime::RuntimeMetrics;
use crate::time::format_ms;
use faxbot_policy::capability::{Capability, Grant, UpgradeDiff};
use faxbot_policy::manifest::Manifest;
use faxbot_policy::trust::Verified;
use serde::Serialize;
use utoipa::ToSchema;

/// One requested capability, with what it lets the plugin do.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CapabilityView {
    /// The capability as the approve body takes it: `{"kind": "egress", "value": "https://…"}`.
    #[schema(value_type = Object)]
    pub capability: serde_json::Value,
    /// Its name (`http.egress`, `events.subscribe`, ...).
    pub name: String,
    /// It in one line (`http.egress \`https://hooks.slack.com/services/*\``).
    pub display: String,
    /// `low`, `medium` or `high`.
    pub risk: String,
    /// What it lets the plugin do, for the approving admin.
    pub summary: String,
}

impl CapabilityView {
    /// The view of `capability` for plugin `plugin_id`.
    pub fn of(capability: &Capability, plugin_id: &str) -> Self {
        Self {
            capability: serde_json::to_value(capability).unwrap_or(serde_json::Value::Null),
            name: capability.kind().to_string(),
            display: capability.to_string(),
            risk: format!("{:?}", capability.risk_level()).to_lowercase(),
            summary: capability.risk_summary(plugin_id),
        }
    }
}

/// One approved capability.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct GrantView {
    /// The capability, in the approve body's form.
    #[schema(value_type = Object)]
    pub capability: serde_json::Value,
    /// It in one line.
    pub display: String,
    /// When it stops allowing anything, RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// Whether it is in force now.
    pub live: bool,
}

impl GrantView {
    /// The view of `grant` at `now_ms`.
    pub fn of(grant: &Grant, now_ms: u64) -> Self {
        Self {
            capability: serde_json::to_value(&grant.capability).unwrap_or(serde_json::Value::Null),
            display: grant.capability.to_string(),
            expires_at: grant.expires_at_ms.map(format_ms),
            live: grant.is_live(now_ms),
        }
    }
}

/// Resources the manifest asks for.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ResourcesView {
    /// Memory limit, bytes.
    pub memory_bytes: u64,
    /// CPU limit, percent of one core.
    pub cpu_percent: u32,
    /// Processes and threads.
    pub pids: u32,
    /// Writable scratch space, bytes.
    pub scratch_bytes: u64,
}

/// The manifest as the reviewer sees it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ManifestView {
    /// Plugin id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Publisher.
    pub publisher: String,
    /// Description.
    pub description: String,
    /// Categories.
    pub categories: Vec<String>,
    /// Marked HIPAA-compliant by its publisher.
    pub hipaa_compliant: bool,
    /// Needs a BAA with the publisher.
    pub requires_baa: bool,
    /// Oldest core it works with.
    pub min_core_version: String,
    /// Its entry executable inside the package.
    pub entry: String,
    /// Resources.
    pub resources: ResourcesView,
    /// Names of the settings an admin may set.
    pub config: Vec<String>,
}

impl ManifestView {
    /// The view of `m`.
    pub fn of(m: &Manifest) -> Self {
        Self {
            id: m.id.clone(),
            name: m.name.clone(),
            version: m.version.to_string(),
            publisher: m.publisher.clone(),
            description: m.description.clone(),
            categories: m.categories.clone(),
            hipaa_compliant: m.hipaa_compliant,
            requires_baa: m.requires_baa,
            min_core_version: m.min_core_version.to_string(),
            entry: m.entry.clone(),
            resources: ResourcesView {
                memory_bytes: m.resources.memory_bytes,
                cpu_percent: m.resources.cpu_percent,
                pids: m.resources.pids,
                scratch_bytes: m.resources.scratch_bytes,
            },
            config: m.config.0.keys().cloned().collect(),
        }
    }
}

/// What an upgrade asks for beyond the installed version's grants.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct UpgradeView {
    /// The version installed now.
    pub from_version: String,
    /// Whether the new version waits for approval.
    pub needs_reapproval: bool,
    /// Asked for now and never granted: must be approved.
    pub new: Vec<CapabilityView>,
    /// Asked for before and now, never granted (declined or expired); stays denied.
    pub still_not_granted: Vec<CapabilityView>,
    /// Grants that carry over.
    pub carried_over: Vec<GrantView>,
    /// Grants the new version no longer asks for.
    pub dropped: Vec<GrantView>,
}

impl UpgradeView {
    /// The view of `diff` from `from_version`.
    pub fn of(diff: &UpgradeDiff, from_version: &str, plugin_id: &str, now_ms: u64) -> Self {
        Self {
            from_version: from_version.to_owned(),
            needs_reapproval: diff.needs_reapproval(),
            new: diff
                .new
                .iter()
                .map(|c| CapabilityView::of(c, plugin_id))
                .collect(),
            still_not_granted: diff
                .still_not_granted
                .iter()
                .map(|c| CapabilityView::of(c, plugin_id))
                .collect(),
            carried_over: diff
                .carried_over
                .iter()
                .map(|g| GrantView::of(g, now_ms))
                .collect(),
            dropped: diff
                .dropped
                .iter()
                .map(|g| GrantView::of(g, now_ms))
                .collect(),
        }
    }
}

/// One recorded approval.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ApprovalView {
    /// The approving key's id.
    pub principal: String,
    /// When, RFC 3339.
    pub at: String,
}

/// What an approving admin reviews.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ReviewView {
    /// The version under review.
    pub version: String,
    /// The manifest.
    pub manifest: ManifestView,
    /// Requested capabilities with their risk, highest risk first.
    pub requested: Vec<CapabilityView>,
    /// The highest risk requested (`none` when nothing is).
    pub risk: String,
    /// The publisher the signing key belongs to.
    pub publisher: String,
    /// The signing key's fingerprint.
    pub key: String,
    /// The key's tier (`curated`, `verified`, `community`).
    pub tier: String,
    /// The signature scheme (`ed25519`, `openpgp`, `sigstore`).
    pub scheme: String,
    /// The package's canonical digest.
    pub digest: String,
    /// For an upgrade: what it asks beyond the installed grants.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upgrade: Option<UpgradeView>,
    /// Approvals the install needs (2 with four-eyes).
    pub approvals_required: u32,
    /// Approvals recorded so far.
    pub approvals: Vec<ApprovalView>,
    /// The key that uploaded it (it may not approve under four-eyes).
    pub uploaded_by: String,
    /// When, RFC 3339.
    pub uploaded_at: String,
    /// A forced downgrade's reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Signature facts of a version.
pub fn signature_facts(v: &Verified) -> (String, String, String, String, String) {
    (
        v.publisher.clone(),
        v.key.clone(),
        v.tier.to_string(),
        v.scheme.to_string(),
        v.digest.to_string(),
    )
}

/// A plugin, as listed and shown.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PluginView {
    /// The plugin id.
    pub id: String,
    /// Its tenant; absent for a platform plugin.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// `pending_approval`, `approved`, `running`, `stopped`, `quarantined`, `failed` or
    /// `disabled`.
    pub state: String,
    /// Why it is in that state, when the core put it there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The approved version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// A version waiting for approval.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_version: Option<String>,
    /// Display name.
    pub name: String,
    /// Publisher.
    pub publisher: String,
    /// Marked HIPAA-compliant.
    pub hipaa_compliant: bool,
    /// What the approved (or, before approval, the uploaded) version requests.
    pub requested: Vec<CapabilityView>,
    /// What is granted.
    pub granted: Vec<GrantView>,
    /// `healthy`, `starting`, `restarting`, `quarantined`, `stopped` or `unknown`.
    pub health: String,
    /// Restarts after crashes.
    pub restarts: u32,
    /// Why its last instance ended (the jail's report), or why it could not start.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_exit_reason: Option<String>,
    /// Counters of the running plugin.
    pub metrics: RuntimeMetrics,
    /// Its scheduled jobs: schedule, last run and outcome, next run.
    pub jobs: Vec<crate::runtime::JobView>,
    /// The package digest of the approved (or uploaded) version.
    pub digest: String,
    /// The pending version's review.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review: Option<ReviewView>,
    /// First upload, RFC 3339.
    pub created_at: String,
    /// Last change, RFC 3339.
    pub updated_at: String,
}

/// A list of plugins.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PluginList {
    /// The plugins the key may see.
    pub plugins: Vec<PluginView>,
}

/// A page of a plugin's logs.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct LogPage {
    /// The lines, oldest first.
    pub lines: Vec<crate::runtime::LogLine>,
    /// Pass as `after` for the next page.
    pub next_after: u64,
}
