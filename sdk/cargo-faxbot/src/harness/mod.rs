//! The local harness host behind `cargo faxbot test`: the real supervisor starts the plugin
//! in the real `faxbot-jail` with the grants its manifest asks for, feeds it the scenario's
//! events (with PHI canaries, through the host's projection), routes and jobs, answers its
//! capability calls from fixtures, and reports.

pub mod canary;
pub mod host;
pub mod record;
pub mod report;
pub mod scenario;

use crate::project::Project;
use anyhow::{Context, bail};
use canary::{Canaries, run_redactor};
use faxbot_plugin_abi::methods::{
    DeliverEvent, EventDelivery, JobRun, RouteRequest, RunJob, ServeRoute,
};
use faxbot_policy::capability::{Action, Decision, Grants, check};
use faxbot_supervisor::jail::spec::Layer;
use faxbot_supervisor::output::OutputLimits;
use faxbot_supervisor::plugin_config::{OperatorSettings, PluginFiles};
use faxbot_supervisor::session::SessionHooks;
use faxbot_supervisor::supervisor::{PluginConfig, RestartPolicy, State, Supervisor};
use host::{HarnessHost, Hooks};
use record::Used;
use report::{Fed, Report, latencies, ms};
use scenario::Scenario;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How to run.
#[derive(Debug)]
pub struct Options {
    /// The `faxbot-jail` binary.
    pub jail: PathBuf,
    /// The plugin's entry, inside `app_dir`.
    pub binary: PathBuf,
    /// The staged package files, bound read-only at `/app` ([`crate::layout`]).
    pub app_dir: PathBuf,
    /// Seed of the canaries and the run's pseudonym key.
    pub seed: u64,
    /// Jail layers this host may lack (announced loudly by the jail).
    pub allow_missing: Vec<Layer>,
    /// Produce the least-privilege capabilities section.
    pub record: bool,
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

fn allowed(grants: &Grants, action: &Action<'_>) -> bool {
    matches!(check(grants, action, now_ms()), Decision::Allow)
}

/// Runs the plugin of `project` under the harness.
pub async fn run(project: &Project, options: &Options) -> anyhow::Result<Report> {
    let scenario = Scenario::load(&project.dir).map_err(|e| crate::CheckFailed(e.to_string()))?;
    let manifest = &project.manifest;
    let grants = Grants::approve_all(
        manifest.id.clone(),
        manifest.version.clone(),
        manifest.capabilities.to_capabilities(),
        None,
    );
    let redactor = Arc::new(run_redactor(options.seed));
    let host = Arc::new(HarnessHost::new(grants, scenario, redactor.clone()));
    let hooks = Hooks(host.clone());
    let config = plugin_config(project, options, &host, hooks.clone())?;
    let supervisor = Supervisor::new();
    supervisor.start(config).context("starting the plugin")?;
    let id = manifest.id.as_str();
    if let Err(error) = wait_running(&supervisor, id).await {
        // The jail's and the plugin's own words say why; the forwarders may still hold them.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let lines = host
            .record
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .log_lines
            .clone();
        if lines.is_empty() {
            return Err(error);
        }
        let tail: Vec<&str> = lines
            .iter()
            .rev()
            .take(20)
            .rev()
            .map(String::as_str)
            .collect();
        return Err(crate::CheckFailed(format!(
            "{error:#}\nits last output:\n  {}",
            tail.join("\n  ")
        ))
        .into());
    }

    let mut fed = Vec::new();
    let mut failures = Vec::new();
    let mut not_subscribed = Vec::new();
    let mut used = Used::default();
    let limits = faxbot_plugin_abi::Limits::default();
    let event_deadline = Duration::from_millis(u64::from(limits.event_deadline_ms));
    for (index, core) in host.scenario().events.iter().enumerate() {
        let n = index as u64 + 1;
        if !allowed(host.grants(), &Action::ReceiveEvent { topic: &core.topic }) {
            not_subscribed.push(core.topic.clone());
            continue;
        }
        let canaries = Canaries::for_event(options.seed, n);
        let mut planted = core.clone();
        canaries.plant(&mut planted);
        host.add_canaries(canaries);
        let event = canary::project(&redactor, &planted, format!("ev_{n:04}"), n, now_ms())
            .map_err(|e| crate::CheckFailed(format!("event {n} ({}): {e}", core.topic)))?;
        let seen = postcard::to_stdvec(&event).context("encoding an event")?;
        host.scan(
            &format!("event.deliver #{n} (the host's projection)"),
            &seen,
        );
        let (outcome, bill) = supervisor
            .call_billed::<DeliverEvent>(id, &EventDelivery { event, attempt: 1 }, event_deadline)
            .await;
        let outcome = match outcome {
            Ok(_) => {
                used.topics.insert(core.topic.clone());
                "ok".to_owned()
            }
            Err(e) => {
                failures.push(format!("event #{n} {}: {e}", core.topic));
                format!("error: {e}")
            }
        };
        fed.push(Fed {
            method: "event.deliver".into(),
            what: core.topic.clone(),
            wall_ms: ms(bill.wall),
            cpu_ms: bill.cpu.map(ms),
            outcome,
        });
    }

    let route_deadline = Duration::from_millis(u64::from(limits.route_deadline_ms));
    for case in &host.scenario().routes {
        let what = format!("{} {}", case.method, case.path);
        if !allowed(host.grants(), &Action::ServeRoute { path: &case.path }) {
            failures.push(format!(
                "route {what}: the manifest does not list {} under capabilities.routes",
                case.path
            ));
            continue;
        }
        let request = RouteRequest {
            method: case.method.clone(),
            path: case.path.clone(),
            query: case.query.clone(),
            headers: Vec::new(),
            body: case.body.clone().into_bytes(),
        };
        let (outcome, bill) = supervisor
            .call_billed::<ServeRoute>(id, &request, route_deadline)
            .await;
        let outcome = match outcome {
            Ok(response) => {
                host.scan(&format!("route.serve {what} response"), &response.body);
                let body = String::from_utf8_lossy(&response.body);
                let mut problems = Vec::new();
                if let Some(want) = case.expect_status
                    && response.status != want
                {
                    problems.push(format!("status {} (expected {want})", response.status));
                }
                if let Some(want) = &case.expect_body_contains
                    && !body.contains(want.as_str())
                {
                    problems.push(format!("body does not contain {want:?}"));
                }
                if !matches!(response.status, 404 | 405) && response.status < 500 {
                    used.routes.insert(case.path.clone());
                }
                if problems.is_empty() {
                    format!("ok ({})", response.status)
                } else {
                    let text = problems.join("; ");
                    failures.push(format!("route {what}: {text}"));
                    text
                }
            }
            Err(e) => {
                failures.push(format!("route {what}: {e}"));
                format!("error: {e}")
            }
        };
        fed.push(Fed {
            method: "route.serve".into(),
            what,
            wall_ms: ms(bill.wall),
            cpu_ms: bill.cpu.map(ms),
            outcome,
        });
    }

    let job_deadline = Duration::from_millis(u64::from(limits.job_deadline_ms));
    for (n, case) in host.scenario().jobs.iter().enumerate() {
        if !allowed(host.grants(), &Action::RunJob { name: &case.name }) {
            failures.push(format!(
                "job {}: the manifest does not list it under capabilities.jobs",
                case.name
            ));
            continue;
        }
        let run = JobRun {
            name: case.name.clone(),
            run_id: format!("run_{:04}", n + 1),
            scheduled_at_ms: now_ms(),
        };
        let (outcome, bill) = supervisor
            .call_billed::<RunJob>(id, &run, job_deadline)
            .await;
        let outcome = match outcome {
            Ok(report) => {
                let summary = report.summary.unwrap_or_default();
                host.scan(
                    &format!("job.run {} summary", case.name),
                    summary.as_bytes(),
                );
                if let Some(spec) = manifest
                    .capabilities
                    .jobs
                    .iter()
                    .find(|j| j.name == case.name)
                {
                    used.jobs.push(spec.clone());
                }
                match &case.expect_summary_contains {
                    Some(want) if !summary.contains(want.as_str()) => {
                        let text = format!("summary {summary:?} does not contain {want:?}");
                        failures.push(format!("job {}: {text}", case.name));
                        text
                    }
                    _ => format!("ok: {summary}"),
                }
            }
            Err(e) => {
                failures.push(format!("job {}: {e}", case.name));
                format!("error: {e}")
            }
        };
        fed.push(Fed {
            method: "job.run".into(),
            what: case.name.clone(),
            wall_ms: ms(bill.wall),
            cpu_ms: bill.cpu.map(ms),
            outcome,
        });
    }

    let metrics = supervisor.metrics(id).context("plugin metrics")?;
    let status = supervisor.status(id).context("plugin status")?;
    supervisor.stop(id).await.context("stopping the plugin")?;
    // The output forwarders may still hold the last lines.
    tokio::time::sleep(Duration::from_millis(100)).await;

    let record = std::mem::take(
        &mut *host
            .record
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
    if status.restarts > 0 {
        failures.push(format!(
            "the plugin was restarted {} time(s) during the run (a crash, a hang or failed health checks)",
            status.restarts
        ));
    }
    if !record.denials.is_empty() && !host.scenario().allow_denials {
        failures.push(format!(
            "{} capability call(s) denied (set allow_denials = true in faxbot-test.toml if the plugin is meant to handle that)",
            record.denials.len()
        ));
    }
    failures.extend(record.problems.iter().cloned());
    for leak in &record.leaks {
        failures.push(format!(
            "a synthetic PHI {} canary reached {}",
            leak.canary, leak.place
        ));
    }
    let recorded_capabilities = options.record.then(|| {
        let secrets: Vec<&str> = host
            .scenario()
            .secrets
            .values()
            .map(String::as_str)
            .collect();
        record::least_privilege(&record, &used, &secrets)
    });
    Ok(Report {
        plugin: manifest.id.clone(),
        version: manifest.version.to_string(),
        passed: failures.is_empty(),
        failures,
        latency: latencies(&fed),
        fed,
        not_subscribed,
        capability_calls: record.calls.clone(),
        denials: record.denials.clone(),
        peak_memory_bytes: metrics.memory_peak_bytes,
        cpu_ms: metrics.cpu_time.map(ms),
        restarts: status.restarts,
        log_lines: record.log_lines.clone(),
        canaries_planted: 4 * host.scenario().events.len(),
        leaks: record.leaks.clone(),
        recorded_capabilities,
    })
}

async fn wait_running(supervisor: &Supervisor, id: &str) -> anyhow::Result<()> {
    let begun = Instant::now();
    loop {
        let status = supervisor.status(id).context("plugin status")?;
        match status.state {
            State::Running => return Ok(()),
            State::Backoff { reason } | State::Quarantined { reason } => {
                let _ = supervisor.stop(id).await;
                return Err(
                    crate::CheckFailed(format!("the plugin did not start: {reason}")).into(),
                );
            }
            _ if begun.elapsed() > Duration::from_secs(20) => {
                let _ = supervisor.stop(id).await;
                bail!("the plugin did not start within 20 s");
            }
            _ => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

fn plugin_config(
    project: &Project,
    options: &Options,
    host: &Arc<HarnessHost>,
    hooks: Hooks,
) -> anyhow::Result<PluginConfig> {
    let manifest = &project.manifest;
    // The launcher hands the jail the entry as an open fd; the package's files (staged as
    // a package would install them) are bound read-only at /app.
    let files = PluginFiles {
        jail: options.jail.clone(),
        entry: options.binary.clone(),
        app_dir: options.app_dir.clone(),
    };
    let config = host
        .scenario()
        .config
        .iter()
        .map(|(k, v)| (k.clone(), faxbot_events::json_to_value(v.clone())))
        .collect();
    let settings = OperatorSettings {
        allow_missing: options.allow_missing.clone(),
        restart: RestartPolicy {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
            max_crashes: 2,
            window: Duration::from_secs(60),
        },
        hello_deadline: Duration::from_secs(5),
        health_deadline: Duration::from_secs(2),
        shutdown_deadline: Duration::from_secs(2),
        hard_stop_grace: Duration::from_secs(2),
        output_limits: OutputLimits {
            max_line: 4096,
            lines_per_second: 200,
        },
        runtimes: crate::runtimes::for_project(project)?,
        ..OperatorSettings::default()
    };
    let hooks_for_session = SessionHooks {
        check: Arc::new(hooks.clone()),
        handler: Arc::new(hooks.clone()),
        audit: Arc::new(hooks.clone()),
    };
    PluginConfig::for_manifest(
        manifest,
        host.grants(),
        &files,
        config,
        &settings,
        hooks_for_session,
        Arc::new(hooks),
        now_ms(),
    )
    .map_err(|e| crate::CheckFailed(e.to_string()).into())
}
