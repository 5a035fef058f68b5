//! What the API needs from whatever runs plugins: start one (already verified and approved),
//! stop it, say how it is, and serve its logs. The daemon (`faxbot serve`) implements it
//! with the supervisor and the jail; this crate never reaches either.

use faxbot_policy::capability::Grants;
use faxbot_policy::manifest::Manifest;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;

/// A boxed future of a runtime call.
pub type RuntimeFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// An approved plugin version, verified again just now, to run.
#[derive(Clone, Debug)]
pub struct RunSpec {
    /// The plugin.
    pub plugin_id: String,
    /// Its owning tenant.
    pub tenant: Option<String>,
    /// The manifest (parsed from the stored bytes).
    pub manifest: Manifest,
    /// The approved grants.
    pub grants: Grants,
    /// The directory holding its package files.
    pub files: PathBuf,
    /// Its configuration for the handshake: the admin's values and the manifest's defaults,
    /// validated against the manifest's `[config]`.
    pub config: Vec<(String, faxbot_plugin_abi::Value)>,
}

/// How a plugin's process is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunState {
    /// Being launched or shaking hands.
    Starting,
    /// Up and answering.
    Running,
    /// Crashed; waiting to restart.
    Restarting,
    /// Crashed too often; held until an admin clears it.
    Quarantined,
    /// Not running.
    Stopped,
}

/// A plugin's counters.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct RuntimeMetrics {
    /// Host-to-plugin calls finished.
    pub calls: u64,
    /// Of those, failed.
    pub errors: u64,
    /// Plugin calls denied for a missing grant.
    pub denials: u64,
    /// Calls in flight.
    pub in_flight: i64,
    /// Memory in use, bytes (from the cgroup).
    pub memory_bytes: Option<u64>,
    /// CPU used by the running instance, ms.
    pub cpu_ms: Option<u64>,
}

/// A plugin's runtime status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuntimeStatus {
    /// The state.
    pub state: RunState,
    /// Restarts after crashes.
    pub restarts: u32,
    /// Why the last instance ended (the jail's report), or why it could not start.
    pub last_exit_reason: Option<String>,
    /// Counters.
    pub metrics: RuntimeMetrics,
}

/// One line of a plugin's log, redacted before it was kept.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct LogLine {
    /// Its sequence number (for paging).
    pub seq: u64,
    /// When, RFC 3339.
    pub time: String,
    /// `stdout`, `stderr` or `log` (the plugin's log calls).
    pub stream: String,
    /// `info`, `warn`, ... for log calls.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// The redacted text.
    pub line: String,
}

/// An event the bus gave up delivering to a plugin (after its retry limit).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct DeadLetter {
    /// The event's id (the idempotency key the plugin saw).
    pub event_id: String,
    /// Its topic.
    pub topic: String,
    /// Its position in the plugin's subscription.
    pub sequence: u64,
    /// Attempts made.
    pub attempts: u32,
    /// Why the last attempt failed: an error code (`timeout`, `unavailable`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// When it was published, RFC 3339.
    pub published_at: String,
}

/// A scheduled job of a plugin, as `GET /v1/plugins/{id}` shows it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct JobView {
    /// The job's name.
    pub name: String,
    /// Its approved cron schedule (UTC).
    pub schedule: String,
    /// Whether a run is in progress.
    pub running: bool,
    /// When the last run started, RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_run_at: Option<String>,
    /// How it ended: `ok`, or the error code (`timeout`, `unavailable`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_outcome: Option<String>,
    /// The plugin's one-line summary of it, redacted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_summary: Option<String>,
    /// When it runs next, RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_run_at: Option<String>,
}

/// An HTTP request for a plugin's route, credentials and cookies already removed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteCall {
    /// The method.
    pub method: String,
    /// The path below `/ext/{plugin}`, starting with `/`.
    pub path: String,
    /// The query without `?`.
    pub query: String,
    /// The headers that pass.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// A plugin's answer to a route call, before the API filters it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteAnswer {
    /// The status.
    pub status: u16,
    /// The plugin's headers.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// Why a route call got no answer from the plugin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RouteFailure {
    /// The plugin is not running (starting, restarting, stopped, quarantined).
    NotRunning,
    /// No granted route covers the path.
    NotGranted,
    /// The plugin did not answer in time.
    Timeout,
    /// The plugin failed (its error code).
    Failed(String),
}

/// What to do with a dead letter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeadLetterAction {
    /// Deliver it again from the first attempt.
    Replay,
    /// Drop it for good.
    Discard,
}

/// Runs plugins.
pub trait PluginRuntime: Send + Sync {
    /// Starts (or restarts with a new spec) a plugin. `Err` says why it could not start.
    fn start(&self, spec: RunSpec) -> RuntimeFuture<'_, Result<(), String>>;
    /// Stops a plugin cleanly (shutdown call, then kill) and forgets it; no-op if unknown.
    fn stop<'a>(&'a self, plugin_id: &'a str) -> RuntimeFuture<'a, ()>;
    /// Its status; `None` when it was never started here.
    fn status(&self, plugin_id: &str) -> Option<RuntimeStatus>;
    /// Lifts a quarantine (starts it again).
    fn clear_quarantine(&self, plugin_id: &str) -> Result<(), String>;
    /// Log lines after `after`, at most `limit`.
    fn logs(&self, plugin_id: &str, after: u64, limit: usize) -> Vec<LogLine>;
    /// Forgets what the runtime keeps of an uninstalled plugin: its logs, metrics, job
    /// history and the events still owed to it.
    fn forget_plugin(&self, plugin_id: &str);
    /// Whether plugins can run here (the jail's required layers): `Err` names what lacks.
    fn ready(&self) -> Result<(), String>;
    /// Counts per runtime state and totals, for `/metrics`.
    fn plugin_ids(&self) -> Vec<String>;
    /// Serves `call` through the plugin's `route.serve` (its route deadline).
    fn serve_route<'a>(
        &'a self,
        _plugin_id: &'a str,
        _call: RouteCall,
    ) -> RuntimeFuture<'a, Result<RouteAnswer, RouteFailure>> {
        Box::pin(async { Err(RouteFailure::NotRunning) })
    }
    /// The webhook subscriptions changed: subscribe the bus anew.
    fn webhooks_changed(&self) {}
    /// A running plugin's scheduled jobs.
    fn jobs(&self, _plugin_id: &str) -> Vec<JobView> {
        Vec::new()
    }
    /// The metrics plugins recorded, as OpenMetrics text (without `# EOF`).
    fn plugin_metrics(&self) -> String {
        String::new()
    }
    /// A bus subscriber's dead letters (`plugin:<id>`, `webhook:<id>`), oldest first, at most
    /// `limit`.
    fn dead_letters(&self, _subscriber: &str, _limit: usize) -> Result<Vec<DeadLetter>, String> {
        Ok(Vec::new())
    }
    /// Replays or discards one dead letter; `Ok(false)` when there is no such dead letter.
    fn dead_letter(
        &self,
        _subscriber: &str,
        _event_id: &str,
        _action: DeadLetterAction,
    ) -> Result<bool, String> {
        Err("this core has no event bus".to_owned())
    }
}
