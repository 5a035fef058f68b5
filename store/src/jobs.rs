//! Plugin jobs' run history: per plugin and job, the last scheduled time handled (so a core
//! that was down runs a missed schedule once, not once per missed time), and the last run's
//! start, end, outcome and summary (shown in `GET /v1/plugins/{id}`).

use crate::Result;

/// One job's state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JobState {
    /// The plugin.
    pub plugin_id: String,
    /// The job's name.
    pub job: String,
    /// The last scheduled time a run was started for, ms.
    pub last_scheduled_ms: Option<u64>,
    /// When the last run started, ms.
    pub last_started_ms: Option<u64>,
    /// When it ended, ms (`None` while it runs).
    pub last_finished_ms: Option<u64>,
    /// `ok`, `failed`, `timeout`, ...
    pub last_outcome: Option<String>,
    /// The plugin's one-line summary (redacted before it is stored).
    pub last_summary: Option<String>,
}

/// The job side of the state store.
pub trait JobStore: Send + Sync {
    /// A job's state, if it ever ran or was scheduled.
    fn job_state(&self, plugin_id: &str, job: &str) -> Result<Option<JobState>>;
    /// Records that a run for `scheduled_ms` started at `started_ms`.
    fn job_started(
        &self,
        plugin_id: &str,
        job: &str,
        scheduled_ms: u64,
        started_ms: u64,
    ) -> Result<()>;
    /// Records how the running run ended.
    fn job_finished(
        &self,
        plugin_id: &str,
        job: &str,
        finished_ms: u64,
        outcome: &str,
        summary: Option<&str>,
    ) -> Result<()>;
    /// Forgets a plugin's jobs (uninstalled).
    fn forget_jobs(&self, plugin_id: &str) -> Result<()>;
}
