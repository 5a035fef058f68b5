//! An SDK plugin's life through the real supervisor: health, deadlines and cancels that
//! leave the host owed nothing, panics contained, init failure, refusal, shutdown, socket
//! close, and what the binary does when started by hand.

mod support;

use faxbot_plugin_abi::methods::{Health, HealthCheck, JobRun, RunJob, Shutdown, ShutdownRequest};
use faxbot_plugin_abi::{Direction, ErrorCode, Method, Value};
use faxbot_supervisor::handshake::{self, HandshakeError};
use std::time::{Duration, Instant};
use support::{PLUGIN, Running, all_grants, launch_as, start, terms};

fn run(name: &str) -> JobRun {
    JobRun {
        name: name.to_owned(),
        run_id: "run-1".into(),
        scheduled_at_ms: 0,
    }
}

#[tokio::test]
async fn health_checks_are_answered_by_the_plugins_own_check() {
    let Running {
        session,
        launched: _child,
        ..
    } = start(all_grants(), vec![]).await;
    let report = session
        .call::<Health>(&HealthCheck {}, Duration::from_secs(5))
        .await
        .expect("health");
    assert!(report.ok);
    assert_eq!(report.detail, "instance inst-1");
}

#[tokio::test]
async fn a_handler_past_its_deadline_is_stopped_and_the_call_settled() {
    let Running {
        session,
        host,
        launched: _child,
    } = start(all_grants(), vec![]).await;
    let begun = Instant::now();
    let error = session
        .call::<RunJob>(&run("slow"), Duration::from_millis(300))
        .await
        .expect_err("the slow job cannot finish");
    assert_eq!(error.code, ErrorCode::Timeout, "{error}");
    assert!(
        begun.elapsed() < Duration::from_secs(2),
        "{:?}",
        begun.elapsed()
    );
    // The plugin answers the cancelled call, so the host is owed nothing and has no reason
    // to hard-stop it.
    let settled = Instant::now();
    while session.overdue(Duration::ZERO).is_some() {
        assert!(
            settled.elapsed() < Duration::from_secs(3),
            "the plugin never answered the timed-out call"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(host.kv_text("slow-finished"), None);
    let report = session
        .call::<Health>(&HealthCheck {}, Duration::from_secs(5))
        .await
        .expect("still serving");
    assert!(report.ok);
}

#[tokio::test]
async fn capability_calls_inherit_the_deadline_of_the_call_being_served() {
    let Running {
        session,
        host,
        launched: _child,
    } = start(all_grants(), vec![]).await;
    let summary = session
        .call::<RunJob>(&run("slow-kv"), Duration::from_millis(400))
        .await;
    // The kv call times out with the job; whichever answer wins, it comes within the
    // job's deadline and not after the host's 10 s kv stall.
    assert!(
        matches!(&summary, Err(e) if e.code == ErrorCode::Timeout)
            || matches!(&summary, Ok(r) if r.summary.as_deref().is_some_and(|s| s.starts_with("error timeout"))),
        "{summary:?}"
    );
    let served = host.served.lock().expect("served").clone();
    let (_, deadline_ms) = served
        .iter()
        .find(|(m, _)| m == "kv.get")
        .expect("the kv call was made");
    assert!(
        *deadline_ms > 0 && *deadline_ms <= 400,
        "the kv call asked for {deadline_ms} ms inside a 400 ms job"
    );
}

#[tokio::test]
async fn a_panicking_handler_is_answered_internal_and_the_plugin_keeps_serving() {
    let Running {
        session,
        launched: _child,
        ..
    } = start(all_grants(), vec![]).await;
    let error = session
        .call::<RunJob>(&run("panic"), Duration::from_secs(5))
        .await
        .expect_err("the job panics");
    assert_eq!(error.code, ErrorCode::Internal, "{error}");
    assert!(error.message.contains("the panic job panicked"), "{error}");
    let report = session
        .call::<Health>(&HealthCheck {}, Duration::from_secs(5))
        .await
        .expect("still serving after a panic");
    assert!(report.ok);
}

#[tokio::test]
async fn a_huge_error_message_is_cut_so_the_answer_still_fits() {
    let Running {
        session,
        launched: _child,
        ..
    } = start(all_grants(), vec![]).await;
    let error = session
        .call::<RunJob>(&run("long-error"), Duration::from_secs(5))
        .await
        .expect_err("the job fails");
    assert_eq!(error.code, ErrorCode::Internal);
    assert!(error.message.len() <= 4200, "{} bytes", error.message.len());
    assert!(error.message.ends_with(" [cut]"));
}

#[tokio::test]
async fn calls_past_the_in_flight_limit_are_refused_not_queued() {
    let mut terms = terms(all_grants(), vec![]);
    terms.limits.max_in_flight = 2;
    let Running {
        session,
        launched: _child,
        ..
    } = support::start_with_terms(terms).await;
    let session = std::sync::Arc::new(session);
    let calls: Vec<_> = (0..3)
        .map(|_| {
            let session = session.clone();
            tokio::spawn(async move {
                session
                    .call::<RunJob>(&run("hold"), Duration::from_secs(5))
                    .await
            })
        })
        .collect();
    let mut refused = 0;
    for call in calls {
        match call.await.expect("task") {
            Ok(report) => assert_eq!(report.summary.as_deref(), Some("held")),
            Err(e) => {
                assert_eq!(e.code, ErrorCode::Unavailable, "{e}");
                assert!(e.message.contains("2 calls in flight"), "{e}");
                refused += 1;
            }
        }
    }
    assert_eq!(refused, 1);
    let report = session
        .call::<Health>(&HealthCheck {}, Duration::from_secs(5))
        .await
        .expect("health is never refused for load");
    assert!(report.ok);
}

/// A host → plugin method this SDK version does not know.
enum Poke {}
impl Method for Poke {
    const NAME: &'static str = "custom.poke";
    const DIRECTION: Direction = Direction::HostToPlugin;
    type Request = HealthCheck;
    type Response = HealthCheck;
}

#[tokio::test]
async fn an_unknown_method_is_answered_unsupported_and_the_session_goes_on() {
    let Running {
        session,
        launched: _child,
        ..
    } = start(all_grants(), vec![]).await;
    let error = session
        .call::<Poke>(&HealthCheck {}, Duration::from_secs(5))
        .await
        .expect_err("unknown method");
    assert_eq!(error.code, ErrorCode::Unsupported, "{error}");
    assert!(
        session
            .call::<Health>(&HealthCheck {}, Duration::from_secs(5))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn shutdown_runs_the_hook_answers_and_exits_zero() {
    let Running {
        mut launched,
        session,
        host,
    } = start(all_grants(), vec![]).await;
    session
        .call::<Shutdown>(
            &ShutdownRequest { deadline_ms: 2000 },
            Duration::from_secs(3),
        )
        .await
        .expect("shutdown is acknowledged");
    let status = tokio::time::timeout(Duration::from_secs(3), launched.child.wait())
        .await
        .expect("the plugin exits after shutdown")
        .expect("wait");
    assert_eq!(status.code(), Some(0), "{status}");
    assert_eq!(host.kv_text("bye").as_deref(), Some("1"));
}

#[tokio::test]
async fn the_plugin_exits_cleanly_when_the_host_closes_the_socket() {
    let mut launched = launch_as(support::PLUGIN_ID);
    handshake::accept(&mut launched.stream, &terms(all_grants(), vec![]))
        .await
        .expect("handshake");
    let stream = std::mem::replace(
        &mut launched.stream,
        tokio::net::UnixStream::pair().expect("placeholder").0,
    );
    drop(stream);
    let status = tokio::time::timeout(Duration::from_secs(3), launched.child.wait())
        .await
        .expect("the plugin exits when the socket closes")
        .expect("wait");
    assert_eq!(status.code(), Some(0), "{status}");
}

#[tokio::test]
async fn a_failing_init_hook_stops_the_plugin_with_the_reason() {
    let Running {
        mut launched,
        session,
        host,
    } = start(all_grants(), vec![("fail_init".into(), Value::Bool(true))]).await;
    let status = tokio::time::timeout(Duration::from_secs(3), launched.child.wait())
        .await
        .expect("the plugin exits")
        .expect("wait");
    assert_eq!(status.code(), Some(1), "{status}");
    let logs = host.logs.lock().expect("logs").clone();
    assert!(
        logs.iter().any(|l| l
            .message
            .contains("init failed: internal error: the config asked init to fail")),
        "{logs:?}"
    );
    let error = session
        .call::<Health>(&HealthCheck {}, Duration::from_secs(2))
        .await
        .expect_err("gone");
    assert_eq!(error.code, ErrorCode::Unavailable);
}

#[tokio::test]
async fn a_plugin_the_host_refuses_exits_non_zero_saying_why() {
    let mut launched = launch_as("someone-else");
    let error = handshake::accept(&mut launched.stream, &terms(all_grants(), vec![]))
        .await
        .expect_err("wrong id");
    assert!(
        matches!(error, HandshakeError::IdentityMismatch { .. }),
        "{error}"
    );
    let output = tokio::time::timeout(Duration::from_secs(3), async {
        let status = launched.child.wait().await.expect("wait");
        let mut stderr = String::new();
        if let Some(mut pipe) = launched.child.stderr.take() {
            use tokio::io::AsyncReadExt;
            let _ = pipe.read_to_string(&mut stderr).await;
        }
        (status, stderr)
    })
    .await
    .expect("the plugin exits");
    assert_eq!(output.0.code(), Some(1));
    assert!(
        output
            .1
            .contains("the host refused this plugin (IdentityMismatch)"),
        "{}",
        output.1
    );
}

#[test]
fn started_by_hand_the_plugin_says_what_it_is_and_exits_64() {
    let output = std::process::Command::new(PLUGIN)
        .output()
        .expect("the plugin binary runs");
    assert_eq!(output.status.code(), Some(64));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("sdk-test 0.1.0 is a faxbot plugin"),
        "{stderr}"
    );
    assert!(
        stderr.contains("this is a faxbot plugin; test it with `cargo faxbot test`"),
        "{stderr}"
    );
    assert!(stderr.contains("route   GET /echo"), "{stderr}");
    assert!(stderr.contains("job     kv"), "{stderr}");
}

#[test]
fn fd_3_that_is_not_a_socket_counts_as_no_host() {
    use std::os::fd::AsRawFd;
    use std::os::unix::process::CommandExt;
    let file = std::fs::File::open(PLUGIN).expect("open a plain file");
    let fd = file.as_raw_fd();
    let mut command = std::process::Command::new(PLUGIN);
    // SAFETY: dup2 in the child between fork and exec is async-signal-safe and only
    // touches descriptors of the child.
    #[allow(unsafe_code)]
    unsafe {
        command.pre_exec(move || {
            if libc_dup2(fd, 3) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let output = command.output().expect("runs");
    assert_eq!(output.status.code(), Some(64));
}

fn libc_dup2(from: i32, to: i32) -> i32 {
    // SAFETY: dup2 takes two descriptor numbers and touches no memory.
    #[allow(unsafe_code)]
    unsafe {
        libc::dup2(from, to)
    }
}
