//! The session layer against real plugin processes (started unjailed): handshake outcomes,
//! calls both ways, grant checks, and hostile plugins that must not hold a caller.

use faxbot_plugin_abi::methods::{Health, HealthCheck, KvGet, KvGetResponse};
use faxbot_plugin_abi::version::VersionRange;
use faxbot_plugin_abi::{
    ABI_VERSION, Envelope, ErrorCode, GrantedCapabilities, Kind, Limits, Method,
};
use faxbot_policy::capability::{Denial, DenialRule};
use faxbot_supervisor::capability::{
    AuditSink, CapabilityCheck, CapabilityHandler, DeniedCall, HandlerFuture,
};
use faxbot_supervisor::handshake::{self, HandshakeError, HandshakeTerms};
use faxbot_supervisor::launch::{Launched, Launcher, UnjailedLauncherForTests};
use faxbot_supervisor::session::{Session, SessionHooks};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const PLUGIN_ID: &str = "test-plugin";

fn launch(mode: &str) -> Launched {
    UnjailedLauncherForTests {
        program: env!("CARGO_BIN_EXE_faxbot-test-plugin").into(),
        args: vec![mode.to_owned(), PLUGIN_ID.to_owned()],
    }
    .launch()
    .expect("test plugin starts")
}

fn terms() -> HandshakeTerms {
    HandshakeTerms {
        plugin_id: PLUGIN_ID.to_owned(),
        host_abi: VersionRange::exactly(ABI_VERSION),
        instance_id: "instance-1".to_owned(),
        capabilities: GrantedCapabilities::default(),
        config: Vec::new(),
        limits: Limits::default(),
        hello_deadline: Duration::from_millis(500),
    }
}

struct Grants {
    kv: bool,
}
impl CapabilityCheck for Grants {
    fn permits(&self, _plugin_id: &str, call: &Envelope) -> Result<(), Denial> {
        if call.method == KvGet::NAME && self.kv {
            Ok(())
        } else {
            Err(Denial {
                capability: None,
                rule: DenialRule::NoCapabilityCovers,
            })
        }
    }
}

struct KvStore;
impl CapabilityHandler for KvStore {
    fn handle<'a>(&'a self, _plugin_id: &'a str, call: Envelope) -> HandlerFuture<'a> {
        Box::pin(async move {
            let outcome = Ok(KvGetResponse {
                value: Some(b"1".to_vec()),
            });
            Ok(Envelope::response::<KvGet>(call.id, &outcome, 1 << 20)
                .map_err(|e| faxbot_plugin_abi::RpcError::new(ErrorCode::Internal, e.to_string()))?
                .body)
        })
    }
}

#[derive(Default)]
struct Audit(Mutex<Vec<DeniedCall>>);
impl AuditSink for Audit {
    fn denied(&self, denial: &DeniedCall) {
        self.0.lock().expect("audit lock").push(denial.clone());
    }
}

fn hooks(kv: bool, audit: Arc<Audit>) -> SessionHooks {
    SessionHooks {
        check: Arc::new(Grants { kv }),
        handler: Arc::new(KvStore),
        audit,
    }
}

async fn started(mode: &str, kv: bool, audit: Arc<Audit>) -> (Launched, Session) {
    let mut launched = launch(mode);
    let agreed = handshake::accept(&mut launched.stream, &terms())
        .await
        .expect("handshake succeeds");
    assert_eq!(agreed.abi, ABI_VERSION);
    let stream = std::mem::replace(
        &mut launched.stream,
        tokio::net::UnixStream::pair().expect("placeholder pair").0,
    );
    let session = Session::start_measured(
        stream,
        PLUGIN_ID.to_owned(),
        agreed.max_frame,
        16,
        hooks(kv, audit),
        Arc::default(),
    );
    (launched, session)
}

async fn health(
    session: &Session,
    deadline: Duration,
) -> Result<String, faxbot_plugin_abi::RpcError> {
    session
        .call::<Health>(&HealthCheck {}, deadline)
        .await
        .map(|r| r.detail)
}

#[tokio::test]
async fn well_behaved_plugin_answers_many_concurrent_health_checks() {
    let (_child, session) = started("echo", false, Arc::default()).await;
    let session = Arc::new(session);
    let mut calls = Vec::new();
    for _ in 0..200 {
        let session = session.clone();
        calls.push(tokio::spawn(async move {
            health(&session, Duration::from_secs(5)).await
        }));
    }
    for call in calls {
        assert_eq!(call.await.expect("task"), Ok(String::new()));
    }
}

async fn refused(mode: &str) -> (HandshakeError, Duration) {
    let mut launched = launch(mode);
    let begun = Instant::now();
    let error = handshake::accept(&mut launched.stream, &terms())
        .await
        .expect_err("handshake must fail");
    (error, begun.elapsed())
}

#[tokio::test]
async fn plugin_that_never_says_hello_is_refused_after_the_deadline() {
    let (error, took) = refused("never-hello").await;
    assert!(
        matches!(error, HandshakeError::NoHello { waited_ms: 500, .. }),
        "{error}"
    );
    assert!(
        took >= Duration::from_millis(450) && took < Duration::from_secs(3),
        "{took:?}"
    );
    assert!(
        error.to_string().contains("no Hello within 500 ms"),
        "{error}"
    );
}

#[tokio::test]
async fn plugin_with_a_malformed_hello_is_refused_with_the_reason() {
    let (error, _) = refused("bad-hello").await;
    assert!(matches!(error, HandshakeError::BadHello { .. }), "{error}");
}

#[tokio::test]
async fn plugin_asking_for_an_unknown_abi_is_refused() {
    let (error, _) = refused("wrong-abi").await;
    assert!(
        matches!(error, HandshakeError::VersionMismatch { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("9.0"), "{error}");
}

#[tokio::test]
async fn plugin_claiming_another_id_is_refused() {
    let (error, _) = refused("wrong-id").await;
    assert!(
        matches!(&error, HandshakeError::IdentityMismatch { got, .. } if got == "someone-else"),
        "{error}"
    );
}

#[tokio::test]
async fn ungranted_plugin_call_is_denied_and_audited() {
    let audit = Arc::new(Audit::default());
    let (_child, session) = started("kv-caller", false, audit.clone()).await;
    assert_eq!(
        health(&session, Duration::from_secs(5)).await,
        Ok("denied".to_owned())
    );
    let denials = audit.0.lock().expect("audit lock").clone();
    assert_eq!(denials.len(), 1);
    assert_eq!(denials[0].method, "kv.get");
    assert_eq!(denials[0].plugin_id, PLUGIN_ID);
    assert_eq!(session.metrics().snapshot().denials, 1);
}

#[tokio::test]
async fn granted_plugin_call_reaches_the_host_handler() {
    let audit = Arc::new(Audit::default());
    let (_child, session) = started("kv-caller", true, audit.clone()).await;
    assert_eq!(
        health(&session, Duration::from_secs(5)).await,
        Ok("ok".to_owned())
    );
    assert!(audit.0.lock().expect("audit lock").is_empty());
}

async fn fails_promptly_unavailable(mode: &str) {
    let (_child, session) = started(mode, false, Arc::default()).await;
    let begun = Instant::now();
    let error = health(&session, Duration::from_secs(10))
        .await
        .expect_err("call must fail");
    assert_eq!(error.code, ErrorCode::Unavailable, "{mode}: {error}");
    assert!(
        begun.elapsed() < Duration::from_secs(3),
        "{mode}: took {:?}",
        begun.elapsed()
    );
    assert!(session.is_closed());
    let again = health(&session, Duration::from_secs(10))
        .await
        .expect_err("closed session");
    assert_eq!(again.code, ErrorCode::Unavailable);
}

#[tokio::test]
async fn plugin_crashing_mid_call_fails_the_call_promptly_as_unavailable() {
    fails_promptly_unavailable("crash-mid-call").await;
}

#[tokio::test]
async fn garbage_frames_end_the_session_and_fail_calls_as_unavailable() {
    fails_promptly_unavailable("garbage").await;
}

#[tokio::test]
async fn oversized_frame_prefix_ends_the_session_without_allocating() {
    fails_promptly_unavailable("oversized").await;
}

#[tokio::test]
async fn hanging_plugin_cannot_hold_a_caller_past_the_deadline() {
    let (_child, session) = started("hang", false, Arc::default()).await;
    let begun = Instant::now();
    let error = health(&session, Duration::from_millis(300))
        .await
        .expect_err("must time out");
    assert_eq!(error.code, ErrorCode::Timeout, "{error}");
    let took = begun.elapsed();
    assert!(
        took >= Duration::from_millis(280) && took < Duration::from_secs(2),
        "{took:?}"
    );
}

#[tokio::test]
async fn a_hostile_plugin_leaves_a_neighbour_working() {
    let (_good_child, good) = started("echo", false, Arc::default()).await;
    let (_bad_child, bad) = started("garbage", false, Arc::default()).await;
    let error = health(&bad, Duration::from_secs(5))
        .await
        .expect_err("hostile");
    assert_eq!(error.code, ErrorCode::Unavailable);
    assert_eq!(
        health(&good, Duration::from_secs(5)).await,
        Ok(String::new())
    );
}

fn root() -> bool {
    if nix::unistd::Uid::effective().is_root() {
        return true;
    }
    eprintln!("skipped: faxbot-jail needs root for its cgroup and identity layers");
    false
}

fn jailed(mode: &str) -> Launched {
    jailed_with(mode, |_| {})
}

fn jailed_with(
    mode: &str,
    adjust: impl FnOnce(&mut faxbot_supervisor::jail::spec::JailSpec),
) -> Launched {
    use faxbot_supervisor::jail::spec::{Bind, JailSpec, Program};
    let plugin = std::path::Path::new(env!("CARGO_BIN_EXE_faxbot-test-plugin"));
    let mut spec = JailSpec::new(
        Program::Path(plugin.into()),
        vec!["faxbot-test-plugin".into(), mode.into(), PLUGIN_ID.into()],
    );
    spec.ro_binds.push(Bind {
        host: plugin.parent().expect("plugin dir").into(),
        jail: "/app".into(),
    });
    adjust(&mut spec);
    faxbot_supervisor::launch::JailedLauncher {
        jail: faxbot_jail::binary::locate().expect("faxbot-jail is built"),
        program: plugin.into(),
        spec,
    }
    .launch()
    .expect("faxbot-jail starts")
}

#[tokio::test]
async fn jailed_plugin_completes_the_handshake_and_answers_calls() {
    if !root() {
        return;
    }
    let mut launched = jailed("echo");
    let agreed = handshake::accept(
        &mut launched.stream,
        &HandshakeTerms {
            hello_deadline: Duration::from_secs(10),
            ..terms()
        },
    )
    .await
    .expect("jailed handshake succeeds");
    let stream = std::mem::replace(
        &mut launched.stream,
        tokio::net::UnixStream::pair().expect("placeholder pair").0,
    );
    let session = Session::start(
        stream,
        PLUGIN_ID.to_owned(),
        agreed.max_frame,
        16,
        hooks(false, Arc::default()),
    );
    assert_eq!(
        health(&session, Duration::from_secs(5)).await,
        Ok(String::new())
    );
}

#[tokio::test]
async fn jailed_plugin_crashing_mid_call_fails_the_call_as_unavailable() {
    if !root() {
        return;
    }
    let mut launched = jailed("crash-mid-call");
    let agreed = handshake::accept(
        &mut launched.stream,
        &HandshakeTerms {
            hello_deadline: Duration::from_secs(10),
            ..terms()
        },
    )
    .await
    .expect("jailed handshake succeeds");
    let stream = std::mem::replace(
        &mut launched.stream,
        tokio::net::UnixStream::pair().expect("placeholder pair").0,
    );
    let session = Session::start(
        stream,
        PLUGIN_ID.to_owned(),
        agreed.max_frame,
        16,
        hooks(false, Arc::default()),
    );
    let begun = Instant::now();
    let error = health(&session, Duration::from_secs(10))
        .await
        .expect_err("crash");
    assert_eq!(error.code, ErrorCode::Unavailable, "{error}");
    assert!(
        begun.elapsed() < Duration::from_secs(3),
        "{:?}",
        begun.elapsed()
    );
    let status = launched.child.wait().await.expect("jail exits");
    assert_eq!(
        status.code(),
        Some(3),
        "the jail passes the plugin's exit status on"
    );
}

async fn jailed_session(launched: &mut Launched) -> Session {
    let agreed = handshake::accept(
        &mut launched.stream,
        &HandshakeTerms {
            hello_deadline: Duration::from_secs(10),
            ..terms()
        },
    )
    .await
    .expect("jailed handshake succeeds");
    let stream = std::mem::replace(
        &mut launched.stream,
        tokio::net::UnixStream::pair().expect("placeholder pair").0,
    );
    Session::start(
        stream,
        PLUGIN_ID.to_owned(),
        agreed.max_frame,
        16,
        hooks(false, Arc::default()),
    )
}

#[tokio::test]
async fn jailed_plugin_killed_for_memory_fails_its_call_as_unavailable() {
    if !root() {
        return;
    }
    let mut launched = jailed_with("oom", |spec| spec.memory_bytes = 48 << 20);
    let session = jailed_session(&mut launched).await;
    let begun = Instant::now();
    let error = health(&session, Duration::from_secs(20))
        .await
        .expect_err("OOM kill");
    assert_eq!(error.code, ErrorCode::Unavailable, "{error}");
    assert!(
        begun.elapsed() < Duration::from_secs(10),
        "{:?}",
        begun.elapsed()
    );
    let status = launched.child.wait().await.expect("jail exits");
    assert_ne!(
        status.code(),
        Some(0),
        "the jail reports the kill: {status}"
    );
    let (_good_child, good) = started("echo", false, Arc::default()).await;
    assert_eq!(
        health(&good, Duration::from_secs(5)).await,
        Ok(String::new())
    );
}

#[tokio::test]
async fn jailed_fork_bomb_is_held_by_the_pids_limit_and_still_answers() {
    if !root() {
        return;
    }
    let mut launched = jailed_with("fork-bomb", |spec| spec.pids = 32);
    let session = jailed_session(&mut launched).await;
    let detail = health(&session, Duration::from_secs(10))
        .await
        .expect("answers after the bomb");
    let spawned: u32 = detail
        .strip_prefix("spawned ")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("unexpected detail {detail:?}"));
    assert!(spawned < 32, "pids limit of 32 let {spawned} threads start");
    let (_good_child, good) = started("echo", false, Arc::default()).await;
    assert_eq!(
        health(&good, Duration::from_secs(5)).await,
        Ok(String::new())
    );
}

#[tokio::test]
async fn plugin_that_never_reads_cannot_hold_callers_past_their_deadlines() {
    let (_child, session) = started("never-reads", false, Arc::default()).await;
    let session = Arc::new(session);
    let begun = Instant::now();
    let mut calls = Vec::new();
    for _ in 0..64 {
        let session = session.clone();
        calls.push(tokio::spawn(async move {
            health(&session, Duration::from_millis(300)).await
        }));
    }
    for call in calls {
        let error = call.await.expect("task").expect_err("no answer comes");
        assert_eq!(error.code, ErrorCode::Timeout, "{error}");
    }
    assert!(
        begun.elapsed() < Duration::from_secs(2),
        "{:?}",
        begun.elapsed()
    );
    assert_eq!(session.metrics().snapshot().in_flight, 0);
    assert!(
        session.overdue(Duration::ZERO).is_some(),
        "the plugin owes answers: hard stop due"
    );
}

#[tokio::test]
async fn log_and_metric_notifications_reach_the_check_and_handler_and_nothing_else_does() {
    struct OnlyLogs;
    impl CapabilityCheck for OnlyLogs {
        fn permits(&self, _: &str, call: &Envelope) -> Result<(), Denial> {
            if call.method == "log.write" {
                Ok(())
            } else {
                Err(Denial {
                    capability: None,
                    rule: DenialRule::NoCapabilityCovers,
                })
            }
        }
    }
    #[derive(Default)]
    struct Seen(Mutex<Vec<(String, Kind)>>);
    impl CapabilityHandler for Seen {
        fn handle<'a>(&'a self, _: &'a str, call: Envelope) -> HandlerFuture<'a> {
            self.0
                .lock()
                .expect("seen lock")
                .push((call.method.clone(), call.kind));
            Box::pin(async { Ok(Vec::new()) })
        }
    }
    let audit = Arc::new(Audit::default());
    let seen = Arc::new(Seen::default());
    let hooks = SessionHooks {
        check: Arc::new(OnlyLogs),
        handler: seen.clone(),
        audit: audit.clone(),
    };
    let (_child, session) = started_hooked("notifier", hooks).await;
    // The plugin sent its three notifications before it serves this call.
    health(&session, Duration::from_secs(5))
        .await
        .expect("health");
    let begun = Instant::now();
    while audit.0.lock().expect("audit").is_empty() && begun.elapsed() < Duration::from_secs(3) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        *seen.0.lock().expect("seen"),
        vec![("log.write".to_owned(), Kind::Notification)],
        "the log notification reached the handler; kv.get as a notification did not"
    );
    let denials = audit.0.lock().expect("audit").clone();
    assert_eq!(denials.len(), 1, "{denials:?}");
    assert_eq!(denials[0].method, "metric.record");
}

/// A handler that takes `delay` and records whether it finished or was dropped unfinished.
struct Slow {
    delay: Duration,
    finished: std::sync::atomic::AtomicBool,
    dropped: Arc<std::sync::atomic::AtomicBool>,
}
impl Slow {
    fn taking(delay: Duration) -> Arc<Self> {
        Arc::new(Self {
            delay,
            finished: Default::default(),
            dropped: Arc::default(),
        })
    }
}
struct DropFlag(Arc<std::sync::atomic::AtomicBool>, bool);
impl Drop for DropFlag {
    fn drop(&mut self) {
        if !self.1 {
            self.0.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    }
}
impl CapabilityHandler for Slow {
    fn handle<'a>(&'a self, _: &'a str, call: Envelope) -> HandlerFuture<'a> {
        Box::pin(async move {
            let mut flag = DropFlag(self.dropped.clone(), false);
            tokio::time::sleep(self.delay).await;
            flag.1 = true;
            self.finished
                .store(true, std::sync::atomic::Ordering::SeqCst);
            let outcome = Ok(KvGetResponse { value: None });
            Ok(Envelope::response::<KvGet>(call.id, &outcome, 1 << 20)
                .map_err(|e| faxbot_plugin_abi::RpcError::new(ErrorCode::Internal, e.to_string()))?
                .body)
        })
    }
}

/// Launches `mode` unjailed, shakes hands and starts a session with `hooks`.
async fn started_hooked(mode: &str, hooks: SessionHooks) -> (Launched, Session) {
    let mut launched = launch(mode);
    let agreed = handshake::accept(&mut launched.stream, &terms())
        .await
        .expect("handshake");
    let stream = std::mem::replace(
        &mut launched.stream,
        tokio::net::UnixStream::pair().expect("pair").0,
    );
    let session = Session::start(stream, PLUGIN_ID.to_owned(), agreed.max_frame, 16, hooks);
    (launched, session)
}

async fn started_with(mode: &str, handler: Arc<Slow>) -> (Launched, Session) {
    let hooks = SessionHooks {
        check: Arc::new(Grants { kv: true }),
        handler,
        audit: Arc::new(Audit::default()),
    };
    started_hooked(mode, hooks).await
}

#[tokio::test]
async fn a_plugin_cancelling_its_own_call_stops_the_hosts_work_on_it() {
    let slow = Slow::taking(Duration::from_millis(300));
    let (_child, session) = started_with("cancel-own", slow.clone()).await;
    health(&session, Duration::from_secs(5))
        .await
        .expect("the plugin still answers");
    // Without the Cancel the handler would finish 300 ms after the call.
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert!(
        !slow.finished.load(std::sync::atomic::Ordering::SeqCst),
        "the handler's work on the cancelled call was stopped"
    );
}

#[tokio::test]
async fn the_host_stops_serving_a_plugin_call_at_the_plugins_own_deadline() {
    let slow = Slow::taking(Duration::from_secs(3));
    let begun = Instant::now();
    let (_child, session) = started_with("kv-caller", slow.clone()).await;
    // kv-caller asks with a 1 s deadline and reports the error code it got.
    assert_eq!(
        health(&session, Duration::from_secs(5)).await,
        Ok("timeout".to_owned())
    );
    let took = begun.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_millis(2_900),
        "answered at the plugin's deadline, not after the handler's 3 s: {took:?}"
    );
    assert!(slow.dropped.load(std::sync::atomic::Ordering::SeqCst));
}
