//! The hostile plugin in the real `faxbot-jail`, under the real supervisor: each
//! misbehaviour is contained, the host keeps working and so do neighbours. Needs root (the
//! jail's cgroup and identity layers); skipped with a note otherwise.

use faxbot_example_testkit::{Running, can_jail, manifest, start, start_jailed, supervised_jailed};
use faxbot_plugin_abi::methods::{Health, HealthCheck, JobRun, RunJob};
use faxbot_plugin_abi::{ErrorCode, Value};
use faxbot_supervisor::jail::spec::JailSpec;
use faxbot_supervisor::supervisor::{State, Supervisor};
use std::path::Path;
use std::time::{Duration, Instant};

const PLUGIN: &str = env!("CARGO_BIN_EXE_faxbot-example-hostile");

fn here() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn root() -> bool {
    if can_jail() {
        return true;
    }
    eprintln!("skipped: faxbot-jail needs root for its cgroup and identity layers");
    false
}

async fn jailed(adjust: impl FnOnce(&mut JailSpec)) -> Running {
    start_jailed(Path::new(PLUGIN), &manifest(here()), vec![], adjust).await
}

async fn summary(plugin: &Running, job: &str) -> String {
    let summary = plugin
        .job(job, 0, Duration::from_secs(20))
        .await
        .unwrap_or_else(|e| panic!("job {job}: {e}"))
        .unwrap_or_default();
    eprintln!("{job}: {summary}");
    summary
}

async fn until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let begun = Instant::now();
    while !done() {
        assert!(
            begun.elapsed() < limit,
            "{what} did not happen within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Each outcome in a `path: outcome; ...` summary.
fn outcomes(summary: &str) -> Vec<(&str, &str)> {
    summary
        .split("; ")
        .filter_map(|part| part.split_once(": "))
        .collect()
}

#[tokio::test]
async fn started_by_hand_the_hostile_plugin_only_explains_itself() {
    let output = std::process::Command::new(PLUGIN).output().expect("runs");
    assert_eq!(output.status.code(), Some(64));
}

#[tokio::test]
async fn the_host_refuses_egress_outside_the_allowlist() {
    let plugin = start(Path::new(PLUGIN), &manifest(here()), vec![]).await;
    let summary = summary(&plugin, "egress-elsewhere").await;
    assert!(
        summary.starts_with("refused: capability not granted: http.egress"),
        "{summary}"
    );
    assert!(plugin.host.fetched().is_empty());
    assert_eq!(plugin.host.denied().len(), 1);
}

#[tokio::test]
async fn the_host_refuses_kv_writes_past_the_quota() {
    let plugin = start(Path::new(PLUGIN), &manifest(here()), vec![]).await;
    let summary = summary(&plugin, "kv-over-quota").await;
    assert!(
        summary.starts_with("stored 3072 bytes, then refused"),
        "{summary}"
    );
    assert!(summary.contains("kv.quota"), "{summary}");
}

#[tokio::test]
async fn jailed_fork_bomb_is_held_by_the_pids_limit() {
    if !root() {
        return;
    }
    let plugin = jailed(|spec| spec.pids = 24).await;
    let summary = summary(&plugin, "fork-bomb").await;
    let counts: Vec<u32> = summary
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    assert_eq!(counts.len(), 2, "{summary}");
    assert!(counts[0] + counts[1] < 24, "24 pids let through {summary}");
    assert!(
        plugin.health().await.is_ok(),
        "still answers after the bomb"
    );
}

#[tokio::test]
async fn jailed_memory_hog_is_killed_and_its_call_fails_unavailable() {
    if !root() {
        return;
    }
    let mut plugin = jailed(|spec| spec.memory_bytes = 48 << 20).await;
    let error = plugin
        .job("memory-hog", 0, Duration::from_secs(20))
        .await
        .expect_err("killed for memory");
    assert_eq!(error.code, ErrorCode::Unavailable, "{error}");
    let status = plugin.launched.child.wait().await.expect("the jail exits");
    assert_ne!(status.code(), Some(0), "{status}");
}

#[tokio::test]
async fn jailed_plugin_reaches_no_network() {
    if !root() {
        return;
    }
    let plugin = jailed(|_| {}).await;
    let summary = summary(&plugin, "try-network").await;
    let found = outcomes(&summary);
    assert_eq!(found.len(), 4, "{summary}");
    for (target, outcome) in found {
        assert!(outcome.starts_with("blocked"), "{target}: {outcome}");
    }
}

#[tokio::test]
async fn jailed_plugin_reads_none_of_the_hosts_files() {
    if !root() {
        return;
    }
    let plugin = jailed(|_| {}).await;
    let summary = summary(&plugin, "read-host-files").await;
    let found = outcomes(&summary);
    assert_eq!(found.len(), 8, "{summary}");
    for (path, outcome) in found {
        assert!(
            outcome.starts_with("blocked") || outcome == "empty",
            "{path} was readable in the jail: {outcome}"
        );
    }
}

#[tokio::test]
async fn jailed_plugin_cannot_run_a_shell() {
    if !root() {
        return;
    }
    let plugin = jailed(|_| {}).await;
    let summary = summary(&plugin, "exec-shell").await;
    assert!(summary.starts_with("blocked"), "{summary}");
}

#[tokio::test]
async fn jailed_garbage_on_the_socket_ends_only_that_session() {
    if !root() {
        return;
    }
    let neighbour = jailed(|_| {}).await;
    let plugin = jailed(|_| {}).await;
    let outcome = plugin
        .job("garbage-frames", 0, Duration::from_secs(10))
        .await;
    // The junk frame breaks the session: the call fails (or its answer is lost with it).
    assert!(
        matches!(&outcome, Err(e) if e.code == ErrorCode::Unavailable),
        "{outcome:?}"
    );
    until("the session closes", Duration::from_secs(5), || {
        plugin.session.is_closed()
    })
    .await;
    assert!(neighbour.health().await.is_ok());
}

#[tokio::test]
async fn jailed_kill_of_every_process_reaches_only_the_jail() {
    if !root() {
        return;
    }
    let neighbour = jailed(|_| {}).await;
    let plugin = jailed(|_| {}).await;
    // In its own pid namespace the plugin sees only itself and the jail's init, which
    // kill(-1) spares: there is nobody else to hit.
    let summary = summary(&plugin, "kill-all").await;
    assert!(summary.starts_with("kill(-1) returned"), "{summary}");
    assert!(
        plugin.health().await.is_ok(),
        "the jail's init kept the plugin's jail up"
    );
    assert!(neighbour.health().await.is_ok(), "the neighbour survived");
}

#[tokio::test]
async fn jailed_crash_fails_the_call_as_unavailable() {
    if !root() {
        return;
    }
    let plugin = jailed(|_| {}).await;
    let error = plugin
        .job("crash", 0, Duration::from_secs(10))
        .await
        .expect_err("crashed");
    assert_eq!(error.code, ErrorCode::Unavailable, "{error}");
}

async fn run_job(supervisor: &Supervisor, name: &str, deadline: Duration) -> Result<(), String> {
    let run = JobRun {
        name: name.to_owned(),
        run_id: "r".into(),
        scheduled_at_ms: 0,
    };
    supervisor
        .call::<RunJob>("hostile", &run, deadline)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

async fn running(supervisor: &Supervisor) {
    until("the plugin is running", Duration::from_secs(15), || {
        supervisor.status("hostile").map(|s| s.state) == Ok(State::Running)
    })
    .await;
}

/// A handler that never yields (or sleeps in a syscall) cannot be cancelled from inside:
/// the supervisor's hard stop kills and restarts the plugin.
async fn stuck_handler_is_hard_stopped_and_restarted(job: &str) {
    let (supervisor, _host) =
        supervised_jailed(Path::new(PLUGIN), &manifest(here()), vec![], |_| {});
    running(&supervisor).await;
    let error = run_job(&supervisor, job, Duration::from_millis(300))
        .await
        .expect_err("stuck");
    assert!(error.starts_with("timeout"), "{error}");
    until("the restart", Duration::from_secs(15), || {
        supervisor
            .status("hostile")
            .is_ok_and(|s| s.restarts >= 1 && s.state == State::Running)
    })
    .await;
    let report = supervisor
        .call::<Health>("hostile", &HealthCheck {}, Duration::from_secs(5))
        .await
        .expect("the restarted plugin answers");
    assert!(report.ok);
    supervisor.stop("hostile").await.expect("stop");
}

#[tokio::test]
async fn jailed_busy_loop_is_hard_stopped_and_restarted() {
    if !root() {
        return;
    }
    stuck_handler_is_hard_stopped_and_restarted("busy-loop").await;
}

#[tokio::test]
async fn jailed_sleep_in_a_syscall_is_hard_stopped_and_restarted() {
    if !root() {
        return;
    }
    stuck_handler_is_hard_stopped_and_restarted("sleep-in-syscall").await;
}

#[tokio::test]
async fn jailed_stdout_flood_is_rate_limited_and_the_plugin_keeps_answering() {
    if !root() {
        return;
    }
    let (supervisor, host) =
        supervised_jailed(Path::new(PLUGIN), &manifest(here()), vec![], |_| {});
    running(&supervisor).await;
    run_job(&supervisor, "stdout-flood", Duration::from_secs(5))
        .await
        .expect("flood started");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        supervisor
            .call::<Health>("hostile", &HealthCheck {}, Duration::from_secs(5))
            .await
            .is_ok(),
        "answers while flooding"
    );
    tokio::time::sleep(Duration::from_millis(1700)).await;
    let lines = host.output.lock().expect("output").clone();
    // 50 lines a second for about 3 s, plus one report of what was dropped per second.
    assert!(lines.len() <= 50 * 5, "{} lines got through", lines.len());
    assert!(
        lines.iter().any(|l| l.dropped_before > 0),
        "drops are reported"
    );
    assert!(lines.iter().all(|l| l.line.len() <= 512));
    supervisor.stop("hostile").await.expect("stop");
}

#[tokio::test]
async fn jailed_crash_loop_is_quarantined() {
    if !root() {
        return;
    }
    let (supervisor, _host) = supervised_jailed(
        Path::new(PLUGIN),
        &manifest(here()),
        vec![("mode".into(), Value::from("crash-on-init"))],
        |_| {},
    );
    until("quarantine", Duration::from_secs(30), || {
        matches!(
            supervisor.status("hostile").map(|s| s.state),
            Ok(State::Quarantined { .. })
        )
    })
    .await;
    let quarantined = supervisor.quarantined();
    assert_eq!(quarantined.len(), 1);
    assert!(
        quarantined[0].1.contains("5 crashes"),
        "{}",
        quarantined[0].1
    );
}
