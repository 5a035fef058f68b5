//! The host-facing API: start, stop, call, status, quarantine and clear plugins. Each
//! plugin has one task that launches it, shakes hands, pings it, restarts it with
//! exponential backoff and jitter, and quarantines it when it crashes too often.

use crate::handshake::{self, HandshakeTerms};
use crate::launch::{Launched, Launcher};
use crate::metrics::{MetricsSnapshot, PluginMetrics};
use crate::output::{self, LogSink, OutputLimits, OutputStream};
use crate::plugin_cgroup::PluginCgroup;
use crate::session::{CallBill, Session, SessionHooks};
use faxbot_plugin_abi::methods::{
    DeliverEvent, Health, HealthCheck, RunJob, ServeRoute, Shutdown, ShutdownRequest,
};
use faxbot_plugin_abi::{ErrorCode, Method, RpcError};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// When and how often a crashed plugin is started again.
#[derive(Clone, Debug)]
pub struct RestartPolicy {
    /// Wait before the first restart; doubles per consecutive crash.
    pub initial_backoff: Duration,
    /// Longest wait between restarts.
    pub max_backoff: Duration,
    /// Crashes within `window` that quarantine the plugin.
    pub max_crashes: usize,
    /// The window crashes are counted in.
    pub window: Duration,
}

impl Default for RestartPolicy {
    fn default() -> Self {
        Self {
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(60),
            max_crashes: 5,
            window: Duration::from_secs(300),
        }
    }
}

/// Everything needed to run one plugin.
#[derive(Clone)]
pub struct PluginConfig {
    /// How its process starts (jailed in production).
    pub launcher: Arc<dyn Launcher>,
    /// Handshake terms (id, grants, limits, Hello deadline).
    pub terms: HandshakeTerms,
    /// Grant check, handler and audit sink.
    pub hooks: SessionHooks,
    /// Restart and quarantine policy.
    pub restart: RestartPolicy,
    /// Deadline of each `health.check`; a miss kills and restarts the plugin.
    pub health_deadline: Duration,
    /// How long `plugin.shutdown` may take before the process is killed.
    pub shutdown_deadline: Duration,
    /// A call unanswered this long past its deadline gets the plugin killed (hard stop).
    pub hard_stop_grace: Duration,
    /// Receives the plugin's stdout and stderr lines.
    pub log: Arc<dyn LogSink>,
    /// Line length and rate limits on that output.
    pub output_limits: OutputLimits,
}

/// Where a plugin is in its life.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    /// Being launched or shaking hands.
    Starting,
    /// Handshake done; calls are carried.
    Running,
    /// Crashed; waiting to restart.
    Backoff {
        /// Why the last instance ended.
        reason: String,
    },
    /// Crashed too often; not restarted until an admin clears it.
    Quarantined {
        /// Why, for the admin.
        reason: String,
    },
    /// Stopped on request.
    Stopped,
}

/// A plugin's state as the host shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PluginStatus {
    /// Its state.
    pub state: State,
    /// Restarts after crashes since it was started or cleared.
    pub restarts: u32,
}

struct Entry {
    config: PluginConfig,
    status: Mutex<PluginStatus>,
    session: Mutex<Option<Arc<Session>>>,
    cgroup: Mutex<Option<Arc<PluginCgroup>>>,
    stop: watch::Sender<bool>,
    metrics: Arc<PluginMetrics>,
}

/// Why a supervisor operation failed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SupervisorError {
    /// No plugin with this id is known.
    #[error("no plugin {0:?} is known to the supervisor")]
    Unknown(String),
    /// The plugin is already started.
    #[error("plugin {0:?} is already started")]
    AlreadyStarted(String),
    /// `clear` on a plugin that is not quarantined.
    #[error("plugin {0:?} is not quarantined")]
    NotQuarantined(String),
}

/// Owns every plugin process of the core.
#[derive(Default)]
pub struct Supervisor {
    plugins: Mutex<HashMap<String, Arc<Entry>>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Supervisor {
    /// An empty supervisor. Creating it moves the core into its leaf of a delegated cgroup
    /// (see [`Supervisor::settle_cgroup`]; a failure there is the jail's to report, at the
    /// first start) and sweeps away the jail cgroups a previous core left behind (see
    /// [`Supervisor::sweep_leftover_cgroups`]).
    pub fn new() -> Self {
        let _ = Self::settle_cgroup();
        Self::sweep_leftover_cgroups();
        Self::default()
    }

    /// An unprivileged core in the root of its delegated cgroup v2 subtree (systemd
    /// `Delegate=yes`) moves itself into the `supervisor` leaf, so that the memory, pids and
    /// cpu controllers can be enabled for the jails' cgroups beside it (v2 lets only leaves
    /// hold processes). Returns the leaf when it moved; elsewhere (root, v1, already in the
    /// leaf, no delegated cgroup) does nothing.
    pub fn settle_cgroup() -> Result<Option<std::path::PathBuf>, faxbot_cgroup::CgroupError> {
        faxbot_cgroup::Hierarchy::detect(std::path::Path::new(faxbot_cgroup::CGROUP_MOUNT))
            .map_or(Ok(None), |hierarchy| hierarchy.settle())
    }

    /// Removes jail cgroups whose `faxbot-jail` died without cleaning up (a core killed
    /// with SIGKILL takes its jails down through the parent-death signal, but their empty
    /// cgroup directories stay). Best effort: without root or cgroups there is nothing to do.
    /// Returns how many were removed.
    pub fn sweep_leftover_cgroups() -> usize {
        faxbot_cgroup::Hierarchy::detect(std::path::Path::new(faxbot_cgroup::CGROUP_MOUNT))
            .map(|hierarchy| hierarchy.sweep_leftovers())
            .unwrap_or(0)
    }

    /// Starts a plugin and keeps it running until [`Supervisor::stop`].
    pub fn start(&self, config: PluginConfig) -> Result<(), SupervisorError> {
        let id = config.terms.plugin_id.clone();
        let mut plugins = lock(&self.plugins);
        if let Some(existing) = plugins.get(&id)
            && lock(&existing.status).state != State::Stopped
        {
            return Err(SupervisorError::AlreadyStarted(id));
        }
        let (stop, _) = watch::channel(false);
        let entry = Arc::new(Entry {
            config,
            status: Mutex::new(PluginStatus {
                state: State::Starting,
                restarts: 0,
            }),
            session: Mutex::new(None),
            cgroup: Mutex::new(None),
            stop,
            metrics: Arc::default(),
        });
        plugins.insert(id, entry.clone());
        tokio::spawn(keep_running(entry));
        Ok(())
    }

    /// Stops a plugin: `plugin.shutdown` with its deadline, then kill.
    pub async fn stop(&self, id: &str) -> Result<(), SupervisorError> {
        let entry = self.entry(id)?;
        let _ = entry.stop.send(true);
        let mut waited = Duration::ZERO;
        let step = Duration::from_millis(10);
        let limit = entry.config.shutdown_deadline + Duration::from_secs(5);
        while !matches!(
            lock(&entry.status).state,
            State::Stopped | State::Quarantined { .. }
        ) && waited < limit
        {
            tokio::time::sleep(step).await;
            waited += step;
        }
        Ok(())
    }

    /// Calls method `M` on the plugin within `deadline`; `unavailable` when it is not running.
    pub async fn call<M: Method>(
        &self,
        id: &str,
        request: &M::Request,
        deadline: Duration,
    ) -> Result<M::Response, RpcError> {
        self.call_billed::<M>(id, request, deadline).await.0
    }

    /// Calls method `M` with the plugin's own deadline for its kind: `event_deadline_ms` for
    /// `event.deliver`, `route_deadline_ms` for `route.serve`, `job_deadline_ms` for `job.run`
    /// (5 s, 5 s and 30 s unless the plugin's settings say otherwise), the health deadline
    /// for anything else.
    pub async fn call_with_default_deadline<M: Method>(
        &self,
        id: &str,
        request: &M::Request,
    ) -> (Result<M::Response, RpcError>, CallBill) {
        let deadline = match self.entry(id) {
            Ok(entry) => default_deadline(&entry.config, M::NAME),
            Err(e) => {
                let error = RpcError::new(ErrorCode::NotFound, e.to_string());
                return (Err(error), CallBill::default());
            }
        };
        self.call_billed::<M>(id, request, deadline).await
    }

    /// As [`Supervisor::call`], with the call's bill: wall time, bytes each way and, for a
    /// plugin in a cgroup that accounts CPU, CPU time.
    pub async fn call_billed<M: Method>(
        &self,
        id: &str,
        request: &M::Request,
        deadline: Duration,
    ) -> (Result<M::Response, RpcError>, CallBill) {
        let entry = match self.entry(id) {
            Ok(entry) => entry,
            Err(e) => {
                let error = RpcError::new(ErrorCode::NotFound, e.to_string());
                return (Err(error), CallBill::default());
            }
        };
        let session = lock(&entry.session).clone();
        match session {
            Some(session) => session.call_billed::<M>(request, deadline).await,
            None => {
                let error = RpcError::new(
                    ErrorCode::Unavailable,
                    format!(
                        "plugin {id:?} is not running ({:?})",
                        lock(&entry.status).state
                    ),
                );
                (Err(error), CallBill::default())
            }
        }
    }

    /// The plugin's state and restart count.
    pub fn status(&self, id: &str) -> Result<PluginStatus, SupervisorError> {
        Ok(lock(&self.entry(id)?.status).clone())
    }

    /// The plugin's counters, kept across its restarts, with the running instance's memory
    /// and CPU read from its cgroup.
    pub fn metrics(&self, id: &str) -> Result<MetricsSnapshot, SupervisorError> {
        let entry = self.entry(id)?;
        let mut snapshot = entry.metrics.snapshot();
        snapshot.restarts = lock(&entry.status).restarts;
        if let Some(cgroup) = lock(&entry.cgroup).clone() {
            let usage = cgroup.usage();
            snapshot.memory_bytes = usage.memory_bytes;
            snapshot.memory_peak_bytes = usage.memory_peak_bytes;
            snapshot.cpu_time = usage.cpu;
        }
        Ok(snapshot)
    }

    /// The running instance's cgroup (none while it is not running, or when its launcher
    /// gives it none): its name, pids and usage, for the host's diagnostics.
    pub fn cgroup(&self, id: &str) -> Result<Option<Arc<PluginCgroup>>, SupervisorError> {
        Ok(lock(&self.entry(id)?.cgroup).clone())
    }

    /// Every quarantined plugin with its reason.
    pub fn quarantined(&self) -> Vec<(String, String)> {
        lock(&self.plugins)
            .iter()
            .filter_map(|(id, e)| match &lock(&e.status).state {
                State::Quarantined { reason } => Some((id.clone(), reason.clone())),
                _ => None,
            })
            .collect()
    }

    /// Lifts a quarantine and starts the plugin again with a fresh crash history.
    pub fn clear(&self, id: &str) -> Result<(), SupervisorError> {
        let entry = self.entry(id)?;
        if !matches!(lock(&entry.status).state, State::Quarantined { .. }) {
            return Err(SupervisorError::NotQuarantined(id.to_owned()));
        }
        let config = entry.config.clone();
        lock(&self.plugins).remove(id);
        self.start(config)
    }

    fn entry(&self, id: &str) -> Result<Arc<Entry>, SupervisorError> {
        lock(&self.plugins)
            .get(id)
            .cloned()
            .ok_or_else(|| SupervisorError::Unknown(id.to_owned()))
    }
}

/// The configured deadline for a host-to-plugin method.
fn default_deadline(config: &PluginConfig, method: &str) -> Duration {
    let limits = &config.terms.limits;
    let ms = |v: u32| Duration::from_millis(u64::from(v));
    match method {
        m if m == DeliverEvent::NAME => ms(limits.event_deadline_ms),
        m if m == ServeRoute::NAME => ms(limits.route_deadline_ms),
        m if m == RunJob::NAME => ms(limits.job_deadline_ms),
        _ => config.health_deadline,
    }
}

fn set_state(entry: &Entry, state: State) {
    lock(&entry.status).state = state;
}

/// Jitter without a random source: the clock's nanoseconds, up to a quarter of `base`.
fn with_jitter(base: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let quarter = base.as_nanos() / 4;
    let extra = if quarter == 0 {
        0
    } else {
        u128::from(nanos) % quarter
    };
    base + Duration::from_nanos(u64::try_from(extra).unwrap_or(0))
}

async fn keep_running(entry: Arc<Entry>) {
    let mut stop = entry.stop.subscribe();
    let mut crashes: VecDeque<Instant> = VecDeque::new();
    let policy = entry.config.restart.clone();
    let mut backoff = policy.initial_backoff;
    loop {
        if *stop.borrow() {
            break;
        }
        set_state(&entry, State::Starting);
        let reason = match run_once(&entry, &mut stop).await {
            None => break,
            Some(reason) => reason,
        };
        let now = Instant::now();
        crashes.push_back(now);
        while crashes
            .front()
            .is_some_and(|t| now.duration_since(*t) > policy.window)
        {
            crashes.pop_front();
        }
        if crashes.len() >= policy.max_crashes {
            set_state(
                &entry,
                State::Quarantined {
                    reason: format!(
                        "{} crashes within {:?}; last: {reason}",
                        crashes.len(),
                        policy.window
                    ),
                },
            );
            return;
        }
        set_state(&entry, State::Backoff { reason });
        tokio::select! {
            () = tokio::time::sleep(with_jitter(backoff)) => {}
            _ = stop.changed() => break,
        }
        backoff = (backoff * 2).min(policy.max_backoff);
        lock(&entry.status).restarts += 1;
    }
    set_state(&entry, State::Stopped);
}

/// Runs one instance. `None` when it was stopped on request, else why it ended.
async fn run_once(entry: &Entry, stop: &mut watch::Receiver<bool>) -> Option<String> {
    let config = &entry.config;
    let id = config.terms.plugin_id.clone();
    let Launched {
        mut child,
        mut stream,
    } = match config.launcher.launch_for(&id) {
        Ok(launched) => launched,
        Err(e) => return Some(format!("launch of plugin {id:?} failed: {e}")),
    };
    let instance_id = config.terms.instance_id.clone();
    for (pipe, stream) in [
        (
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
            OutputStream::Stdout,
        ),
        (
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
            OutputStream::Stderr,
        ),
    ] {
        if let Some(pipe) = pipe {
            tokio::spawn(output::forward(
                pipe,
                stream,
                id.clone(),
                instance_id.clone(),
                config.output_limits,
                config.log.clone(),
            ));
        }
    }
    let agreed = match handshake::accept(&mut stream, &config.terms).await {
        Ok(agreed) => agreed,
        Err(e) => {
            let _ = child.start_kill();
            let _ = child.wait().await;
            return Some(e.to_string());
        }
    };
    // The jail made its cgroup before the plugin could say Hello, so it exists by now.
    let cgroup = child.id().and_then(PluginCgroup::of_jail).map(Arc::new);
    let mut session = Session::start_measured(
        stream,
        id.clone(),
        agreed.max_frame,
        config.terms.limits.max_in_flight,
        config.hooks.clone(),
        entry.metrics.clone(),
    );
    if let Some(cgroup) = &cgroup {
        session = session.with_cpu_meter(cgroup.clone());
    }
    let session = Arc::new(session);
    *lock(&entry.cgroup) = cgroup.clone();
    *lock(&entry.session) = Some(session.clone());
    set_state(entry, State::Running);
    let interval = Duration::from_millis(u64::from(config.terms.limits.health_interval_ms.max(1)));
    let mut next_health = tokio::time::Instant::now() + interval;
    let watchdog =
        (config.hard_stop_grace / 4).clamp(Duration::from_millis(10), Duration::from_secs(1));
    let mut missed_health = 0u32;
    let outcome = loop {
        tokio::select! {
            status = child.wait() => {
                break Some(match status {
                    Ok(status) => format!("plugin {id:?} exited: {status}"),
                    Err(e) => format!("plugin {id:?}: waiting for it failed: {e}"),
                });
            }
            _ = stop.changed() => {
                let request = ShutdownRequest {
                    deadline_ms: u32::try_from(config.shutdown_deadline.as_millis()).unwrap_or(u32::MAX),
                };
                let _ = session.call::<Shutdown>(&request, config.shutdown_deadline).await;
                let _ = tokio::time::timeout(config.shutdown_deadline, child.wait()).await;
                break None;
            }
            () = tokio::time::sleep(watchdog) => {
                if let Some(waited) = session.overdue(config.hard_stop_grace) {
                    break Some(format!(
                        "plugin {id:?} hard-stopped: a call went unanswered {waited:?} past its deadline"
                    ));
                }
                if tokio::time::Instant::now() >= next_health {
                    next_health = tokio::time::Instant::now() + interval;
                    let miss = match session.call::<Health>(&HealthCheck {}, config.health_deadline).await {
                        Ok(report) if report.ok => None,
                        // The plugin's own words are not echoed: they are untrusted text.
                        Ok(_) => Some("it reported itself unhealthy".to_owned()),
                        Err(e) => Some(e.to_string()),
                    };
                    match miss {
                        None => missed_health = 0,
                        Some(why) => {
                            missed_health += 1;
                            if missed_health >= MAX_MISSED_HEALTH_CHECKS {
                                break Some(format!(
                                    "plugin {id:?} failed {missed_health} health checks in a row; last: {why}"
                                ));
                            }
                        }
                    }
                }
            }
        }
    };
    *lock(&entry.session) = None;
    *lock(&entry.cgroup) = None;
    end_instance(&mut child, cgroup).await;
    outcome
}

/// Consecutive failed `health.check`s that end an instance (docs/abi.md promises three). A
/// plugin that stops answering altogether is hard-stopped sooner, at its first unanswered
/// check's deadline plus the hard-stop grace.
pub const MAX_MISSED_HEALTH_CHECKS: u32 = 3;

/// How long a jail gets to notice its plugin is dead and remove its cgroup itself.
const JAIL_CLEANUP_DEADLINE: Duration = Duration::from_secs(2);

/// Ends one instance for good. A jailed plugin's cgroup is frozen and killed as a whole (so
/// a plugin blocked in a syscall or racing forks still ends), and its `faxbot-jail` is left
/// to remove the emptied cgroup and exit; only a jail that does not is killed, and its
/// cgroup removed here. Without a cgroup the process itself is killed.
async fn end_instance(child: &mut tokio::process::Child, cgroup: Option<Arc<PluginCgroup>>) {
    let Some(cgroup) = cgroup else {
        let _ = child.start_kill();
        let _ = child.wait().await;
        return;
    };
    let killer = cgroup.clone();
    let _ = tokio::task::spawn_blocking(move || killer.freeze_and_kill()).await;
    if tokio::time::timeout(JAIL_CLEANUP_DEADLINE, child.wait())
        .await
        .is_err()
    {
        let _ = child.start_kill();
        let _ = child.wait().await;
        if let Ok(cgroup) = Arc::try_unwrap(cgroup) {
            let _ = tokio::task::spawn_blocking(move || cgroup.remove_leftover()).await;
        }
    }
}
