//! The job scheduler: each running plugin's approved cron jobs run `job.run` through the
//! supervisor (the plugin's job deadline, 30 s unless its settings say otherwise). Never two
//! runs of one job at once; a core that was down runs the last missed time once, not once
//! per missed time (the last scheduled time handled is in the store); a job first seen is
//! scheduled from that moment, not back-filled. Each run's start, end, outcome (`ok` or the
//! error's code) and redacted summary are kept for `GET /v1/plugins/{id}`.

use faxbot_api::runtime::JobView;
use faxbot_api::time::{format_ms, now_ms};
use faxbot_policy::capability::cron::Schedule;
use faxbot_store::{JobState, JobStore};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

/// A job due to run now.
pub struct DueRun {
    /// The plugin.
    pub plugin_id: String,
    /// The job.
    pub job: String,
    /// The scheduled time it runs for, ms.
    pub scheduled_ms: u64,
    /// A unique id of the run.
    pub run_id: String,
}

/// Which jobs run, and when they ran.
pub struct Scheduler {
    store: Arc<dyn JobStore>,
    /// Jobs with a run in progress.
    running: Mutex<HashSet<(String, String)>>,
    /// When this core first saw each job (its schedule starts there, not in the past).
    first_seen: Mutex<HashMap<(String, String), u64>>,
    /// Each job's next time as last computed, with the schedule it was computed for: until
    /// then the job is not looked at again (no store read on every tick).
    next_due: Mutex<HashMap<(String, String), (String, u64)>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Scheduler {
    /// A scheduler keeping its history in `store`.
    pub fn new(store: Arc<dyn JobStore>) -> Self {
        Self {
            store,
            running: Mutex::default(),
            first_seen: Mutex::default(),
            next_due: Mutex::default(),
        }
    }

    /// The runs due at `now` among `jobs` (plugin, job name, cron), each marked running and
    /// recorded as started before it is returned.
    pub fn due(&self, jobs: &[(String, String, String)], now: u64) -> Vec<DueRun> {
        let mut out = Vec::new();
        for (plugin, job, cron) in jobs {
            let key = (plugin.clone(), job.clone());
            if lock(&self.running).contains(&key) {
                continue;
            }
            if lock(&self.next_due)
                .get(&key)
                .is_some_and(|(schedule, next)| schedule == cron && now < *next)
            {
                continue;
            }
            let Ok(schedule) = Schedule::parse(cron) else {
                continue;
            };
            let state = match self.store.job_state(plugin, job) {
                Ok(state) => state,
                Err(e) => {
                    tracing::error!(plugin = %plugin, job = %job, error = %e, "job history unreadable");
                    continue;
                }
            };
            let since = state
                .and_then(|s| s.last_scheduled_ms)
                .unwrap_or_else(|| *lock(&self.first_seen).entry(key.clone()).or_insert(now));
            let Some(scheduled_ms) = schedule.last_missed(since, now) else {
                let next = schedule.next_after(since).unwrap_or(u64::MAX);
                lock(&self.next_due).insert(key, (cron.clone(), next));
                continue;
            };
            if let Err(e) = self.store.job_started(plugin, job, scheduled_ms, now) {
                tracing::error!(plugin = %plugin, job = %job, error = %e, "job start not recorded; not run");
                continue;
            }
            let next = schedule.next_after(scheduled_ms).unwrap_or(u64::MAX);
            lock(&self.next_due).insert(key.clone(), (cron.clone(), next));
            lock(&self.running).insert(key);
            out.push(DueRun {
                plugin_id: plugin.clone(),
                job: job.clone(),
                scheduled_ms,
                run_id: format!("run_{}_{}", job, scheduled_ms / 1000),
            });
        }
        out
    }

    /// Records how a run ended and lets the job run again.
    pub fn finished(&self, run: &DueRun, outcome: &str, summary: Option<&str>) {
        if let Err(e) =
            self.store
                .job_finished(&run.plugin_id, &run.job, now_ms(), outcome, summary)
        {
            tracing::error!(plugin = %run.plugin_id, job = %run.job, error = %e, "job outcome not recorded");
        }
        lock(&self.running).remove(&(run.plugin_id.clone(), run.job.clone()));
    }

    /// Forgets an uninstalled plugin's job history.
    pub fn forget(&self, plugin_id: &str) {
        if let Err(e) = self.store.forget_jobs(plugin_id) {
            tracing::error!(plugin = %plugin_id, error = %e, "job history not removed");
        }
        lock(&self.first_seen).retain(|(p, _), _| p != plugin_id);
        lock(&self.next_due).retain(|(p, _), _| p != plugin_id);
    }

    /// The view of `plugin_id`'s `jobs` (name, cron).
    pub fn view(&self, plugin_id: &str, jobs: &[(String, String)]) -> Vec<JobView> {
        let now = now_ms();
        jobs.iter()
            .map(|(name, cron)| {
                let state: JobState = self
                    .store
                    .job_state(plugin_id, name)
                    .ok()
                    .flatten()
                    .unwrap_or_default();
                let running = lock(&self.running).contains(&(plugin_id.to_owned(), name.clone()));
                let from = state.last_scheduled_ms.unwrap_or(now).max(now);
                JobView {
                    name: name.clone(),
                    schedule: cron.clone(),
                    running,
                    last_run_at: state.last_started_ms.map(format_ms),
                    last_outcome: if running { None } else { state.last_outcome },
                    last_summary: if running { None } else { state.last_summary },
                    next_run_at: Schedule::parse(cron)
                        .ok()
                        .and_then(|s| s.next_after(from))
                        .map(format_ms),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faxbot_store::SqliteStore;

    fn jobs() -> Vec<(String, String, String)> {
        vec![("p".into(), "digest".into(), "0 * * * *".into())]
    }

    const HOUR: u64 = 3_600_000;

    #[test]
    fn a_new_job_waits_for_its_first_time_and_never_runs_twice_at_once() {
        let store: Arc<dyn JobStore> = Arc::new(SqliteStore::open_in_memory().expect("store"));
        let s = Scheduler::new(store);
        let t0 = 1_000 * HOUR + 10 * 60_000;
        assert!(s.due(&jobs(), t0).is_empty(), "not back-filled");
        let due = s.due(&jobs(), t0 + HOUR);
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].scheduled_ms, 1_001 * HOUR);
        assert!(s.due(&jobs(), t0 + 3 * HOUR).is_empty(), "still running");
        s.finished(&due[0], "ok", Some("3 faxes"));
        let view = s.view("p", &[("digest".into(), "0 * * * *".into())]);
        assert_eq!(view[0].last_outcome.as_deref(), Some("ok"));
        assert_eq!(view[0].last_summary.as_deref(), Some("3 faxes"));
    }

    #[test]
    fn after_downtime_the_last_missed_time_runs_once() {
        let store: Arc<dyn JobStore> = Arc::new(SqliteStore::open_in_memory().expect("store"));
        store
            .job_started("p", "digest", 1_000 * HOUR, 1_000 * HOUR)
            .expect("history");
        store
            .job_finished("p", "digest", 1_000 * HOUR, "ok", None)
            .expect("history");
        // A new scheduler (the core restarted) five hours later.
        let s = Scheduler::new(store);
        let due = s.due(&jobs(), 1_005 * HOUR + 60_000);
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].scheduled_ms, 1_005 * HOUR);
        s.finished(&due[0], "ok", None);
        assert!(s.due(&jobs(), 1_005 * HOUR + 120_000).is_empty());
    }
}
