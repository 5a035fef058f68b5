//! The host-facing supervisor API against real plugin processes: running, health-check
//! restarts, crash-loop quarantine and clear, stop.

use faxbot_plugin_abi::methods::{Health, HealthCheck};
use faxbot_plugin_abi::version::VersionRange;
use faxbot_plugin_abi::{ABI_VERSION, Envelope, ErrorCode, GrantedCapabilities, Limits};
use faxbot_supervisor::capability::{
    AuditSink, CapabilityCheck, CapabilityHandler, Denial, HandlerFuture,
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
    fn permits(&self, _: &str, call: &Envelope) -> Result<(), String> {
        Err(format!("no grant covers {}", call.method))
    }
}
impl CapabilityHandler for Nothing {
    fn handle<'a>(&'a self, _: &'a str, _: Envelope) -> HandlerFuture<'a> {
        Box::pin(async { Err(faxbot_plugin_abi::RpcError::denied("nothing")) })
    }
}
impl AuditSink for Nothing {
    fn denied(&self, _: &Denial) {}
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
    supervisor
        .start(config("hangs", "hang", 100))
        .expect("start");
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
        quarantined[0].1.contains("health check"),
        "{}",
        quarantined[0].1
    );
    assert_eq!(supervisor.status("hangs").expect("status").restarts, 2);
    let metrics = supervisor.metrics("hangs").expect("metrics");
    assert_eq!(metrics.restarts, 2);
    assert_eq!(metrics.errors.get("timeout"), Some(&3), "{metrics:?}");
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
