//! What the core publishes: full records, PHI included, that never leave the core as they are.

use faxbot_plugin_abi::event::{FaxDirection, FaxJobState};

/// Free-form fields of a custom event as a plugin emitted them (untrusted, may hold PHI).
pub type CustomFields = serde_json::Map<String, serde_json::Value>;

/// An event inside the core, before projection.
#[derive(Clone, Debug, PartialEq)]
pub enum CoreEvent {
    /// A fax job changed state.
    FaxJob(FaxJobRecord),
    /// A plugin changed state.
    PluginLifecycle(PluginLifecycleRecord),
    /// A plugin emitted an event on a granted topic.
    Custom {
        /// Dotted topic.
        topic: String,
        /// The tenant it belongs to.
        tenant: String,
        /// The emitting plugin's id.
        source_plugin: String,
        /// When, ms since the Unix epoch.
        occurred_at_ms: u64,
        /// Its fields, untrusted.
        fields: CustomFields,
    },
}

impl CoreEvent {
    /// The event's dotted topic (`fax.job.delivered`, `plugin.lifecycle`, ...).
    pub fn topic(&self) -> String {
        match self {
            Self::FaxJob(job) => job.topic(),
            Self::PluginLifecycle(_) => faxbot_plugin_abi::event::topic::PLUGIN_LIFECYCLE.into(),
            Self::Custom { topic, .. } => topic.clone(),
        }
    }

    /// The tenant the event belongs to.
    pub fn tenant(&self) -> &str {
        match self {
            Self::FaxJob(job) => &job.tenant,
            Self::PluginLifecycle(p) => &p.tenant,
            Self::Custom { tenant, .. } => tenant,
        }
    }
}

/// A fax job as the core knows it at one state change.
#[derive(Clone, Debug, PartialEq)]
pub struct FaxJobRecord {
    /// The platform's opaque job id.
    pub job_id: String,
    /// The tenant that owns the job.
    pub tenant: String,
    /// Outbound or inbound.
    pub direction: FaxDirection,
    /// The state this record reports.
    pub state: FaxJobState,
    /// Transport name.
    pub provider: String,
    /// Pages, once known.
    pub pages: Option<u32>,
    /// Which attempt, from 1.
    pub attempt: u32,
    /// When the job was queued, ms since the Unix epoch.
    pub queued_at_ms: u64,
    /// When this state was reached, ms since the Unix epoch.
    pub occurred_at_ms: u64,
    /// Transmission time, once known.
    pub duration_ms: Option<u64>,
    /// The provider's failure text (free text: PHI may be in it; plugins see a category).
    pub failure_detail: Option<String>,
    /// The remote fax number (PHI; plugins see a keyed token).
    pub remote_number: Option<String>,
    /// A patient name from the cover sheet (PHI; plugins never see it).
    pub patient_name: Option<String>,
    /// The document's file name (may name a patient; plugins never see it).
    pub file_name: Option<String>,
}

impl FaxJobRecord {
    /// `fax.job.<state>`, or `fax.inbound.received` for a received fax.
    pub fn topic(&self) -> String {
        match (self.direction, self.state) {
            (FaxDirection::Inbound, FaxJobState::Received) => {
                faxbot_plugin_abi::event::topic::FAX_INBOUND_RECEIVED.into()
            }
            (_, state) => format!("fax.job.{}", state.name()),
        }
    }
}

/// A plugin's lifecycle change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PluginLifecycleRecord {
    /// The tenant that owns the plugin (`platform` for platform-wide ones).
    pub tenant: String,
    /// The plugin's id.
    pub plugin_id: String,
    /// Its version.
    pub version: String,
    /// `installed`, `started`, `stopped`, `crashed`, `quarantined`, `upgraded`, ...
    pub state: String,
    /// When, ms since the Unix epoch.
    pub occurred_at_ms: u64,
}
