//! The host-facing supervisor API against real plugin processes: running, health-check
//! restarts, crash-loop quarantine and clear, stop.

use faxbot_plugin_abi::methods::{Health, HealthCheck};
use faxbot_plugin_abi::version::VersionRange;
use faxbot_plugin_abi::{ABI_VERSION, Envelope, ErrorCode, GrantedCapabilities, Limits};
use faxbot_policy::capability::{Denial, DenialRule};
use faxbot_supervisor::capability::{
    AuditSink, CapabilityCheck, CapabilityHandler, DeniedCall, HandlerFuture,
};
use faxbot_supervisor::handshake::HandshakeTerms;
use faxbot_supervisor::launch::UnjailedLauncherForTests;
use faxbot_supervisor::output::{LogSink, OutputLimits, OutputLine, OutputStream};
use faxbot_supervisor::session::SessionHooks;
use faxbot_supervisor::supervisor::{PluginConfig, RestartPolicy, State, Supervisor};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Nothing;
impl CapabilityCheck for Nothing {
    fn permits(&self, _: &str, _: &Envelope) -> Result<(), Denial> {
        Err(Denial {
            capability: None,
            rule: DenialRule::NoCapabilityCovers,
        })
    }
}
impl CapabilityHandler for Nothing {
    fn handle<'a>(&'a self, _: &'a str, _: Envelope) -> HandlerFuture<'a> {
        Box::pin(async { Err(faxbot_plugin_abi::RpcError::denied("nothing")) })
    }
}
impl AuditSink for Nothing {
    fn denied(&self, _: &DeniedCall) {}
}

fn config(id: &str, mode: &str, health_interval_ms: u32) -> PluginConfig {
    PluginConfig {
        launcher: Arc::new(UnjailedLauncherForTests {
            program: env!("CARGO_BIN_EXE_faxbot-test-plugin").into(),
            args: vec![mode.to_owned(), id.to_owned()],
        }),
        terms: HandshakeTerms {
            plugin_id: id.to_owned(),
            host_abi: VersionRange::exactly(ABI_VERSION),
            instance_id: format!("{id}-1"),
            capabilities: GrantedCapabilities::default(),
            config: Vec::new(),
            limits: Limits {
                health_interval_ms,
                ..Limits::default()
            },
            hello_deadline: Duration::from_secs(2),
        },
        hooks: SessionHooks {
            check: Arc::new(Nothing),
            handler: Arc::new(Nothing),
            audit: Arc::new(Nothing),
        },
        restart: RestartPolicy {
            initial_backoff: Duration::from_millis(20),
            max_backoff: Duration::from_millis(200),
            max_crashes: 3,
            window: Duration::from_secs(30),
        },
        health_deadline: Duration::from_millis(200),
        shutdown_deadline: Duration::from_secs(1),
        hard_stop_grace: Duration::from_millis(300),
        log: Arc::new(Lines::default()),
        output_limits: OutputLimits {
            max_line: 256,
            lines_per_second: 50,
        },
    }
}

#[derive(Default)]
struct Lines(Mutex<Vec<OutputLine>>);
impl LogSink for Lines {
    fn record(&self, line: OutputLine) {
        self.0.lock().expect("lines lock").push(line);
    }
}

async fn until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let begun = Instant::now();
    while !done() {
        assert!(
            begun.elapsed() < limit,
            "{what} did not happen within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn running_plugin_answers_calls_and_stops_on_request() {
    let supervisor = Supervisor::new();
    supervisor
        .start(config("good", "echo", 10_000))
        .expect("start");
    until("running", Duration::from_secs(5), || {
        supervisor.status("good").map(|s| s.state) == Ok(State::Running)
    })
    .await;
    let report = supervisor
        .call::<Health>("good", &HealthCheck {}, Duration::from_secs(5))
        .await
        .expect("health");
    assert!(report.ok);
    let metrics = supervisor.metrics("good").expect("metrics");
    assert_eq!(metrics.calls, 1);
    assert!(metrics.errors.is_empty(), "{:?}", metrics.errors);
    assert_eq!(metrics.in_flight, 0);
    assert!(
        metrics.bytes_out >= 20 && metrics.bytes_in >= 5,
        "{metrics:?}"
    );
    assert_eq!(metrics.latency_buckets.iter().sum::<u64>(), 1);
    supervisor.stop("good").await.expect("stop");
    let status = supervisor.status("good").expect("status");
    assert_eq!(status.state, State::Stopped);
    assert_eq!(status.restarts, 0);
    let error = supervisor
        .call::<Health>("good", &HealthCheck {}, Duration::from_secs(1))
        .await
        .expect_err("stopped");
    assert_eq!(error.code, ErrorCode::Unavailable);
}

#[tokio::test]
async fn plugin_that_misses_health_checks_is_killed_and_restarted() {
    let supervisor = Supervisor::new();
    let mut hangs = config("hangs", "hang", 100);
    // Long enough that the three-miss rule, not the hard stop, ends each instance.
    hangs.hard_stop_grace = Duration::from_secs(30);
    supervisor.start(hangs).expect("start");
    until("a restart", Duration::from_secs(10), || {
        supervisor.status("hangs").is_ok_and(|s| s.restarts >= 1)
    })
    .await;
    until("quarantine", Duration::from_secs(15), || {
        !supervisor.quarantined().is_empty()
    })
    .await;
    let quarantined = supervisor.quarantined();
    assert_eq!(quarantined[0].0, "hangs");
    assert!(
        quarantined[0].1.contains("failed 3 health checks in a row"),
        "{}",
        quarantined[0].1
    );
    assert_eq!(supervisor.status("hangs").expect("status").restarts, 2);
    let metrics = supervisor.metrics("hangs").expect("metrics");
    assert_eq!(metrics.restarts, 2);
    // Three instances, each ended by its third missed check in a row.
    assert_eq!(metrics.errors.get("timeout"), Some(&9), "{metrics:?}");
    assert_eq!(metrics.in_flight, 0);
}

#[tokio::test]
async fn crash_looping_plugin_is_quarantined_with_a_reason_and_can_be_cleared() {
    let supervisor = Supervisor::new();
    supervisor
        .start(config("looper", "wrong-abi", 10_000))
        .expect("start");
    supervisor
        .start(config("neighbour", "echo", 10_000))
        .expect("start");
    until("quarantine", Duration::from_secs(10), || {
        matches!(
            supervisor.status("looper").map(|s| s.state),
            Ok(State::Quarantined { .. })
        )
    })
    .await;
    let status = supervisor.status("looper").expect("status");
    assert_eq!(status.restarts, 2, "3 crashes = first start + 2 restarts");
    let State::Quarantined { reason } = status.state else {
        unreachable!()
    };
    assert!(
        reason.contains("3 crashes") && reason.contains("9.0"),
        "{reason}"
    );
    // Not restarted while quarantined.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(supervisor.status("looper").expect("status").restarts, 2);
    // The neighbour is unaffected.
    let report = supervisor
        .call::<Health>("neighbour", &HealthCheck {}, Duration::from_secs(5))
        .await
        .expect("neighbour answers");
    assert!(report.ok);
    supervisor.clear("looper").expect("clear");
    assert!(supervisor.status("looper").is_ok_and(|s| s.restarts == 0));
    assert_eq!(
        supervisor.clear("neighbour"),
        Err(faxbot_supervisor::supervisor::SupervisorError::NotQuarantined("neighbour".into()))
    );
    supervisor.stop("neighbour").await.expect("stop");
    supervisor.stop("looper").await.expect("stop");
}

#[tokio::test]
async fn output_flood_is_cut_and_rate_limited_while_calls_still_work() {
    let supervisor = Supervisor::new();
    let lines = Arc::new(Lines::default());
    let mut flood = config("flooder", "flood", 10_000);
    flood.log = lines.clone();
    supervisor.start(flood).expect("start");
    until("running", Duration::from_secs(5), || {
        supervisor.status("flooder").map(|s| s.state) == Ok(State::Running)
    })
    .await;
    let begun = Instant::now();
    for _ in 0..20 {
        let report = supervisor
            .call::<Health>("flooder", &HealthCheck {}, Duration::from_secs(5))
            .await
            .expect("calls are answered during the flood");
        assert!(report.ok);
    }
    until(
        "the flood's lines to arrive",
        Duration::from_secs(10),
        || {
            lines
                .0
                .lock()
                .expect("lock")
                .iter()
                .any(|l| l.dropped_before > 0)
        },
    )
    .await;
    let seen = lines.0.lock().expect("lock").clone();
    let seconds = begun.elapsed().as_secs() + 2;
    assert!(
        seen.len() as u64 <= 50 * seconds,
        "{} lines in {seconds} s",
        seen.len()
    );
    assert!(seen.iter().all(|l| l.line.len() <= 256));
    let first = &seen[0];
    assert!(
        first.truncated && first.line.len() == 256,
        "the 1 MiB line is cut"
    );
    assert_eq!(first.stream, OutputStream::Stdout);
    assert_eq!(first.plugin_id, "flooder");
    assert_eq!(first.instance_id, "flooder-1");
    supervisor.stop("flooder").await.expect("stop");
}

#[tokio::test]
async fn plugin_stuck_on_a_call_past_deadline_and_grace_is_hard_stopped() {
    let supervisor = Supervisor::new();
    supervisor
        .start(config("stuck", "hang", 60_000))
        .expect("start");
    until("running", Duration::from_secs(5), || {
        supervisor.status("stuck").map(|s| s.state) == Ok(State::Running)
    })
    .await;
    let begun = Instant::now();
    let error = supervisor
        .call::<Health>("stuck", &HealthCheck {}, Duration::from_millis(200))
        .await
        .expect_err("never answered");
    assert_eq!(error.code, ErrorCode::Timeout);
    until("the hard stop", Duration::from_secs(5), || {
        supervisor.status("stuck").is_ok_and(|s| s.restarts >= 1)
    })
    .await;
    let took = begun.elapsed();
    assert!(
        took >= Duration::from_millis(480) && took < Duration::from_secs(3),
        "{took:?}"
    );
    until("running again", Duration::from_secs(5), || {
        supervisor.status("stuck").map(|s| s.state) == Ok(State::Running)
    })
    .await;
    assert_eq!(supervisor.status("stuck").expect("status").restarts, 1);
    supervisor.stop("stuck").await.expect("stop");
}

fn root() -> bool {
    if nix::unistd::Uid::effective().is_root() {
        return true;
    }
    eprintln!("skipped: faxbot-jail needs root for its cgroup and identity layers");
    false
}

/// As [`config`], with the plugin inside the real `faxbot-jail`.
fn jailed_config(id: &str, mode: &str, health_interval_ms: u32) -> PluginConfig {
    use faxbot_supervisor::jail::spec::{Bind, JailSpec, Program};
    let plugin = std::path::Path::new(env!("CARGO_BIN_EXE_faxbot-test-plugin"));
    let mut spec = JailSpec::new(
        Program::Path(plugin.into()),
        vec!["faxbot-test-plugin".into(), mode.into(), id.into()],
    );
    spec.ro_binds.push(Bind {
        host: plugin.parent().expect("plugin dir").into(),
        jail: "/app".into(),
    });
    PluginConfig {
        launcher: Arc::new(faxbot_supervisor::launch::JailedLauncher {
            jail: faxbot_jail::binary::locate().expect("faxbot-jail is built"),
            program: plugin.into(),
            spec,
        }),
        ..config(id, mode, health_interval_ms)
    }
}

fn alive(pid: i32) -> bool {
    // A zombie still has a /proc entry; only a running or sleeping task counts.
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        !stat
            .rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .starts_with('Z')
    })
}

#[tokio::test]
async fn jailed_plugin_reports_cgroup_memory_and_cpu_and_bills_calls() {
    if !root() {
        return;
    }
    let supervisor = Supervisor::new();
    supervisor
        .start(jailed_config("spinner", "spin", 60_000))
        .expect("start");
    until("running", Duration::from_secs(10), || {
        supervisor.status("spinner").map(|s| s.state) == Ok(State::Running)
    })
    .await;
    let (outcome, bill) = supervisor
        .call_billed::<Health>("spinner", &HealthCheck {}, Duration::from_secs(5))
        .await;
    assert!(outcome.expect("health").ok);
    assert!(bill.wall >= Duration::from_millis(100), "{bill:?}");
    assert!(bill.bytes_out > 0 && bill.bytes_in > 0, "{bill:?}");
    let cpu = bill.cpu.expect("the jail's cgroup accounts CPU");
    // The plugin spins for 100 ms of its own CPU time under a one-core quota.
    assert!(
        cpu >= Duration::from_millis(100) && cpu <= bill.wall + Duration::from_millis(20),
        "{bill:?}"
    );
    let metrics = supervisor.metrics("spinner").expect("metrics");
    assert!(metrics.memory_bytes.unwrap_or(0) > 0, "{metrics:?}");
    assert!(
        metrics.memory_peak_bytes >= metrics.memory_bytes,
        "{metrics:?}"
    );
    assert!(metrics.cpu_time.unwrap_or_default() >= cpu, "{metrics:?}");
    assert_eq!(metrics.call_cpu, cpu);
    supervisor.stop("spinner").await.expect("stop");
    let stopped = supervisor.metrics("spinner").expect("metrics");
    assert_eq!(stopped.memory_bytes, None, "no instance, no usage");
}

#[tokio::test]
async fn stopping_a_jailed_plugin_leaves_no_process_and_no_cgroup() {
    if !root() {
        return;
    }
    let supervisor = Supervisor::new();
    supervisor
        .start(jailed_config("tidy", "echo", 60_000))
        .expect("start");
    until("running", Duration::from_secs(10), || {
        supervisor.status("tidy").map(|s| s.state) == Ok(State::Running)
    })
    .await;
    let cgroup = supervisor
        .cgroup("tidy")
        .expect("known")
        .expect("a jailed plugin has a cgroup");
    let pids = cgroup.pids();
    assert!(!pids.is_empty(), "the plugin runs in {}", cgroup.name());
    assert!(!cgroup.is_removed());
    supervisor.stop("tidy").await.expect("stop");
    assert_eq!(
        supervisor.status("tidy").expect("status").state,
        State::Stopped
    );
    assert!(
        supervisor.cgroup("tidy").expect("known").is_none(),
        "no instance"
    );
    assert!(
        cgroup.is_removed(),
        "cgroup {} is gone after stop",
        cgroup.name()
    );
    let survivors: Vec<i32> = pids.into_iter().filter(|pid| alive(*pid)).collect();
    assert!(survivors.is_empty(), "still alive: {survivors:?}");
}

#[tokio::test]
async fn jailed_plugin_blocked_in_a_syscall_is_frozen_killed_and_its_cgroup_removed() {
    if !root() {
        return;
    }
    let supervisor = Supervisor::new();
    supervisor
        .start(jailed_config("sleeper", "stuck", 60_000))
        .expect("start");
    until("running", Duration::from_secs(10), || {
        supervisor.status("sleeper").map(|s| s.state) == Ok(State::Running)
    })
    .await;
    let first = supervisor
        .cgroup("sleeper")
        .expect("known")
        .expect("cgroup");
    let pids = first.pids();
    let begun = Instant::now();
    let error = supervisor
        .call::<Health>("sleeper", &HealthCheck {}, Duration::from_millis(200))
        .await
        .expect_err("a plugin asleep in nanosleep never answers");
    assert_eq!(error.code, ErrorCode::Timeout);
    until("the hard stop", Duration::from_secs(5), || {
        supervisor.status("sleeper").is_ok_and(|s| s.restarts >= 1)
    })
    .await;
    let took = begun.elapsed();
    assert!(took < Duration::from_secs(3), "hard stop took {took:?}");
    assert!(first.is_removed(), "the stuck instance's cgroup is gone");
    let survivors: Vec<i32> = pids.into_iter().filter(|pid| alive(*pid)).collect();
    assert!(survivors.is_empty(), "still alive: {survivors:?}");
    until("running again", Duration::from_secs(10), || {
        supervisor.status("sleeper").map(|s| s.state) == Ok(State::Running)
    })
    .await;
    let second = supervisor
        .cgroup("sleeper")
        .expect("known")
        .expect("cgroup");
    assert_ne!(
        second.name(),
        first.name(),
        "a fresh instance, a fresh cgroup"
    );
    supervisor.stop("sleeper").await.expect("stop");
    assert!(second.is_removed());
}

#[tokio::test]
async fn calls_without_an_explicit_deadline_use_the_plugins_per_kind_deadlines() {
    use faxbot_plugin_abi::methods::{JobRun, RunJob};
    let supervisor = Supervisor::new();
    let mut slow = config("slow", "hang", 60_000);
    slow.terms.limits.job_deadline_ms = 700;
    slow.hard_stop_grace = Duration::from_secs(30);
    slow.health_deadline = Duration::from_millis(150);
    supervisor.start(slow).expect("start");
    until("running", Duration::from_secs(5), || {
        supervisor.status("slow").map(|s| s.state) == Ok(State::Running)
    })
    .await;
    let job = JobRun {
        name: "digest".into(),
        run_id: "run-1".into(),
        scheduled_at_ms: 0,
    };
    let begun = Instant::now();
    let (outcome, bill) = supervisor
        .call_with_default_deadline::<RunJob>("slow", &job)
        .await;
    let took = begun.elapsed();
    assert_eq!(
        outcome.expect_err("never answered").code,
        ErrorCode::Timeout
    );
    assert!(
        took >= Duration::from_millis(680) && took < Duration::from_millis(1_500),
        "the job deadline (700 ms) applied: {took:?}"
    );
    assert!(bill.wall >= Duration::from_millis(680), "{bill:?}");
    let begun = Instant::now();
    let (outcome, _) = supervisor
        .call_with_default_deadline::<Health>("slow", &HealthCheck {})
        .await;
    assert_eq!(
        outcome.expect_err("never answered").code,
        ErrorCode::Timeout
    );
    assert!(
        begun.elapsed() < Duration::from_millis(600),
        "other methods use the health deadline"
    );
    supervisor.stop("slow").await.expect("stop");
}

#[tokio::test]
async fn a_plugin_reporting_itself_unhealthy_three_times_is_restarted() {
    let supervisor = Supervisor::new();
    supervisor
        .start(config("sick", "unhealthy", 50))
        .expect("start");
    until("a restart", Duration::from_secs(10), || {
        supervisor.status("sick").is_ok_and(|s| s.restarts >= 1)
    })
    .await;
    let metrics = supervisor.metrics("sick").expect("metrics");
    assert!(
        metrics.calls >= 3,
        "three checks before the restart: {metrics:?}"
    );
    assert!(
        metrics.errors.is_empty(),
        "answered, not failed: {metrics:?}"
    );
    supervisor.stop("sick").await.expect("stop");
}

#[tokio::test]
async fn a_jailed_plugin_sees_only_its_abi_and_id_in_the_environment() {
    if !root() {
        return;
    }
    let supervisor = Supervisor::new();
    supervisor
        .start(jailed_config("envy", "env", 60_000))
        .expect("start");
    until("running", Duration::from_secs(10), || {
        supervisor.status("envy").map(|s| s.state) == Ok(State::Running)
    })
    .await;
    let report = supervisor
        .call::<Health>("envy", &HealthCheck {}, Duration::from_secs(5))
        .await
        .expect("health");
    assert_eq!(report.detail, "FAXBOT_ABI=1 FAXBOT_PLUGIN_ID=envy");
    supervisor.stop("envy").await.expect("stop");
}

#[test]
fn a_new_supervisor_sweeps_cgroups_a_dead_core_left_behind() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("SKIP: needs root");
        return;
    }
    // A pid that is certainly dead: a child that has exited and been reaped.
    let mut child = std::process::Command::new("true").spawn().expect("spawn");
    let dead = child.id();
    child.wait().expect("reaped");
    let name = format!("jail-{dead}-leftover");
    let dirs: Vec<std::path::PathBuf> = ["memory", "pids", "cpu"]
        .iter()
        .map(|c| {
            std::path::Path::new("/sys/fs/cgroup")
                .join(c)
                .join("faxbot-jails")
        })
        .filter(|base| base.is_dir())
        .map(|base| base.join(&name))
        .collect();
    if dirs.is_empty() {
        eprintln!("SKIP: no cgroup v1 jail hierarchy here");
        return;
    }
    for dir in &dirs {
        std::fs::create_dir(dir).expect("plant a leftover cgroup");
    }
    let _supervisor = faxbot_supervisor::supervisor::Supervisor::new();
    for dir in &dirs {
        assert!(!dir.exists(), "{} survived the sweep", dir.display());
    }
}
