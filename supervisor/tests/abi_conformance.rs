//! The host's side of `docs/abi.md`, checked rule by rule against a plugin written by hand in
//! this file: raw frames over a socketpair, no SDK. Each test is named after the rule it
//! checks and fails when the supervisor and the text disagree.

use faxbot_plugin_abi::frame::{self, DEFAULT_MAX_FRAME, HARD_MAX_FRAME};
use faxbot_plugin_abi::handshake::MAGIC;
use faxbot_plugin_abi::methods::{
    Ack, Health, HealthCheck, HealthReport, KvGet, KvGetResponse, Shutdown,
};
use faxbot_plugin_abi::version::VersionRange;
use faxbot_plugin_abi::{
    ABI_VERSION, Envelope, ErrorCode, GrantedCapabilities, HandshakeReply, Hello, Kind, Limits,
    Method, RpcError,
};
use faxbot_policy::capability::{Capability, Denial, DenialRule, Grants};
use faxbot_supervisor::capability::{
    AuditSink, CapabilityCheck, CapabilityHandler, DeniedCall, HandlerFuture,
};
use faxbot_supervisor::grant_check::GrantCheck;
use faxbot_supervisor::handshake::HandshakeTerms;
use faxbot_supervisor::launch::{Launched, Launcher};
use faxbot_supervisor::output::{LogSink, OutputLimits, OutputLine};
use faxbot_supervisor::plugin_config::OperatorSettings;
use faxbot_supervisor::session::{PLUGIN_CALL_DEFAULT_DEADLINE, Session, SessionHooks};
use faxbot_supervisor::supervisor::{
    MAX_MISSED_HEALTH_CHECKS, PluginConfig, RestartPolicy, State, Supervisor,
};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};
use tokio::net::UnixStream;

const PLUGIN: &str = "conformance";
const MAX: u32 = 1 << 20;

// ---- §11: the host's numbers ----

/// The `| name | value unit | setting/fixed |` rows of docs/abi.md §11.
fn spec_numbers() -> Vec<(String, u64)> {
    let spec = include_str!("../../docs/abi.md");
    let section = spec
        .split("## 11. The host's numbers")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("docs/abi.md has section 11, the host's numbers");
    section
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let number = cells.get(2)?.split_whitespace().next()?.parse().ok()?;
            Some((cells.get(1)?.to_string(), number))
        })
        .collect()
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).expect("fits")
}

#[test]
fn the_numbers_in_abi_md_section_11_are_the_hosts_defaults() {
    let settings = OperatorSettings::default();
    let limits = Limits::default();
    let code: Vec<(&str, u64)> = vec![
        ("Hello deadline", ms(settings.hello_deadline)),
        ("`health.check` deadline", ms(settings.health_deadline)),
        ("`health_interval_ms`", ms(settings.health_interval)),
        (
            "failed health checks in a row that end an instance",
            u64::from(MAX_MISSED_HEALTH_CHECKS),
        ),
        ("`plugin.shutdown` deadline", ms(settings.shutdown_deadline)),
        (
            "hard-stop grace past a host deadline",
            ms(settings.hard_stop_grace),
        ),
        (
            "host's deadline for a plugin call with `deadline_ms` 0",
            ms(PLUGIN_CALL_DEFAULT_DEADLINE),
        ),
        ("`event_deadline_ms`", u64::from(limits.event_deadline_ms)),
        ("`route_deadline_ms`", u64::from(limits.route_deadline_ms)),
        ("`job_deadline_ms`", u64::from(limits.job_deadline_ms)),
        ("`max_in_flight`", u64::from(limits.max_in_flight)),
        (
            "frame limit before the handshake",
            u64::from(DEFAULT_MAX_FRAME),
        ),
        ("frame limit ceiling", u64::from(HARD_MAX_FRAME)),
        (
            "method name",
            faxbot_plugin_abi::envelope::MAX_METHOD_LEN as u64,
        ),
        (
            "`Value` nesting",
            faxbot_plugin_abi::value::MAX_VALUE_DEPTH as u64,
        ),
    ];
    let spec = spec_numbers();
    assert_eq!(
        spec.len(),
        code.len(),
        "docs/abi.md §11 rows: {spec:?}; every row needs a check here"
    );
    for (name, value) in code {
        let written = spec
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("docs/abi.md §11 has no row {name:?}"));
        assert_eq!(written.1, value, "docs/abi.md §11 {name:?}");
    }
    assert_eq!(
        settings.limits, limits,
        "the operator's limits default to the ABI's"
    );
}

// ---- a hand-written plugin end ----

struct Peer {
    stream: UnixStream,
}

impl Peer {
    async fn send(&mut self, envelope: &Envelope) {
        let body = envelope.encode(MAX).expect("encode");
        frame::write_frame_async(&mut self.stream, &body, MAX)
            .await
            .expect("write");
    }

    async fn request(&mut self, id: u64, kind: Kind, method: &str, body: Vec<u8>) {
        self.send(&Envelope {
            id,
            kind,
            method: method.to_owned(),
            deadline_ms: 2_000,
            body,
        })
        .await;
    }

    /// The next envelope within `wait`, or `None`.
    async fn next(&mut self, wait: Duration) -> Option<Envelope> {
        let read = tokio::time::timeout(wait, frame::read_frame_async(&mut self.stream, MAX))
            .await
            .ok()?;
        let body = read.expect("a frame").expect("not closed");
        Some(Envelope::decode(&body).expect("an envelope"))
    }

    async fn expect(&mut self) -> Envelope {
        self.next(Duration::from_secs(5))
            .await
            .expect("the host sends an envelope within 5 s")
    }
}

fn error_of(envelope: &Envelope) -> Option<RpcError> {
    faxbot_plugin_abi::codec::decode::<Result<(), RpcError>>("outcome", &envelope.body)
        .ok()?
        .err()
}

#[derive(Default)]
struct Seen {
    checked: AtomicUsize,
    handled: Mutex<Vec<String>>,
    audited: AtomicUsize,
}

struct Hooked {
    seen: Arc<Seen>,
    inner: Option<Arc<dyn CapabilityCheck>>,
    delay: Duration,
}

impl CapabilityCheck for Hooked {
    fn permits(&self, plugin_id: &str, call: &Envelope) -> Result<(), Denial> {
        self.seen.checked.fetch_add(1, Ordering::SeqCst);
        match &self.inner {
            Some(inner) => inner.permits(plugin_id, call),
            None => Ok(()),
        }
    }
}

impl CapabilityHandler for Hooked {
    fn handle<'a>(&'a self, _plugin_id: &'a str, call: Envelope) -> HandlerFuture<'a> {
        Box::pin(async move {
            self.seen
                .handled
                .lock()
                .expect("lock")
                .push(call.method.clone());
            tokio::time::sleep(self.delay).await;
            let outcome = Ok(KvGetResponse { value: None });
            Envelope::response::<KvGet>(call.id, &outcome, MAX)
                .map(|e| e.body)
                .map_err(|e| RpcError::new(ErrorCode::Internal, e.to_string()))
        })
    }
}

impl AuditSink for Hooked {
    fn denied(&self, _call: &DeniedCall) {
        self.seen.audited.fetch_add(1, Ordering::SeqCst);
    }
}

fn session_with(
    max_in_flight: u32,
    inner: Option<Arc<dyn CapabilityCheck>>,
    delay: Duration,
) -> (Session, Peer, Arc<Seen>) {
    let (host, plugin) = UnixStream::pair().expect("socketpair");
    let seen = Arc::new(Seen::default());
    let hooked = Arc::new(Hooked {
        seen: seen.clone(),
        inner,
        delay,
    });
    let hooks = SessionHooks {
        check: hooked.clone(),
        handler: hooked.clone(),
        audit: hooked,
    };
    let session = Session::start(host, PLUGIN.to_owned(), MAX, max_in_flight, hooks);
    (session, Peer { stream: plugin }, seen)
}

// ---- §5: the session ----

#[tokio::test]
async fn an_unknown_method_is_answered_unsupported_before_the_grant_check() {
    let (_session, mut peer, seen) = session_with(8, None, Duration::ZERO);
    // Unknown, and known but going the other way (host -> plugin only).
    peer.request(1, Kind::Request, "fs.read", vec![1, 2, 3])
        .await;
    peer.request(2, Kind::Request, "event.deliver", Vec::new())
        .await;
    let mut answered = Vec::new();
    for _ in 0..2 {
        let answer = peer.expect().await;
        assert_eq!(answer.kind, Kind::Response);
        let error = error_of(&answer).expect("an error");
        assert_eq!(error.code, ErrorCode::Unsupported, "{error}");
        answered.push(answer.id);
    }
    answered.sort_unstable();
    assert_eq!(answered, [1, 2]);
    assert_eq!(seen.checked.load(Ordering::SeqCst), 0, "no grant check");
    assert_eq!(seen.audited.load(Ordering::SeqCst), 0, "not a denial");
    assert!(seen.handled.lock().expect("lock").is_empty());
}

#[tokio::test]
async fn a_notification_of_a_method_not_allowed_as_one_is_silently_dropped() {
    let (_session, mut peer, seen) = session_with(8, None, Duration::ZERO);
    let key = postcard::to_stdvec(&faxbot_plugin_abi::methods::KvGetRequest { key: "k".into() })
        .expect("encode");
    peer.request(0, Kind::Notification, KvGet::NAME, key.clone())
        .await;
    peer.request(0, Kind::Notification, "fs.read", Vec::new())
        .await;
    // A log.write notification is served and not answered either.
    let log = postcard::to_stdvec(&faxbot_plugin_abi::methods::LogRecord {
        level: faxbot_plugin_abi::methods::LogLevel::Info,
        message: "m".into(),
        fields: Vec::new(),
    })
    .expect("encode");
    peer.request(0, Kind::Notification, "log.write", log).await;
    peer.request(5, Kind::Request, KvGet::NAME, key).await;
    let answer = peer.expect().await;
    assert_eq!((answer.id, answer.kind), (5, Kind::Response));
    assert!(
        peer.next(Duration::from_millis(300)).await.is_none(),
        "notifications are never answered"
    );
    let mut handled = seen.handled.lock().expect("lock").clone();
    handled.sort();
    assert_eq!(
        handled,
        ["kv.get", "log.write"],
        "the kv.get notification was served"
    );
}

#[tokio::test]
async fn a_request_whose_body_does_not_decode_is_answered_and_the_session_continues() {
    let grants = Grants::approve_all(
        PLUGIN,
        semver::Version::new(1, 0, 0),
        vec![Capability::KvQuota(1024)],
        None,
    );
    let check: Arc<dyn CapabilityCheck> = Arc::new(GrantCheck::new(
        Arc::new(RwLock::new(grants)),
        Arc::new(|_: &str, _: &str, _: usize| 0),
    ));
    let (_session, mut peer, seen) = session_with(8, Some(check), Duration::ZERO);
    // kv.put's grant check reads the body: undecodable is a denial, and audited.
    peer.request(1, Kind::Request, "kv.put", vec![0xff, 0xff])
        .await;
    let answer = peer.expect().await;
    let error = error_of(&answer).expect("an error");
    assert_eq!((answer.id, error.code), (1, ErrorCode::Denied), "{error}");
    assert!(
        error.message.contains("undecodable") || error.message.contains("decode"),
        "{error}"
    );
    assert_eq!(seen.audited.load(Ordering::SeqCst), 1);
    // The session goes on.
    let key = postcard::to_stdvec(&faxbot_plugin_abi::methods::KvGetRequest { key: "k".into() })
        .expect("encode");
    peer.request(2, Kind::Request, KvGet::NAME, key).await;
    let answer = peer.expect().await;
    assert_eq!(answer.id, 2);
    assert!(error_of(&answer).is_none());
}

#[tokio::test]
async fn the_host_never_has_more_than_max_in_flight_calls_unanswered_to_a_plugin() {
    let (session, mut peer, _) = session_with(4, None, Duration::ZERO);
    let session = Arc::new(session);
    let mut calls = Vec::new();
    for _ in 0..10 {
        let session = session.clone();
        calls.push(tokio::spawn(async move {
            session
                .call::<Health>(&HealthCheck {}, Duration::from_secs(5))
                .await
        }));
    }
    let mut open = Vec::new();
    while let Some(request) = peer.next(Duration::from_millis(300)).await {
        assert_eq!(request.kind, Kind::Request);
        assert_ne!(request.deadline_ms, 0, "the host always names a deadline");
        open.push(request.id);
    }
    assert_eq!(
        open.len(),
        4,
        "exactly max_in_flight requests before any answer"
    );
    let mut answered = 0;
    while let Some(id) = open.pop() {
        let report = Ok(HealthReport {
            ok: true,
            detail: String::new(),
        });
        peer.send(&Envelope::response::<Health>(id, &report, MAX).expect("response"))
            .await;
        answered += 1;
        if let Some(next) = peer.next(Duration::from_millis(300)).await {
            open.push(next.id);
        }
        assert!(open.len() <= 4);
    }
    assert_eq!(answered, 10);
    for call in calls {
        assert!(call.await.expect("task").is_ok());
    }
}

#[tokio::test]
async fn past_max_in_flight_plugin_calls_the_host_stops_reading_until_one_finishes() {
    let delay = Duration::from_millis(400);
    let (_session, mut peer, _) = session_with(2, None, delay);
    let key = postcard::to_stdvec(&faxbot_plugin_abi::methods::KvGetRequest { key: "k".into() })
        .expect("encode");
    let begun = Instant::now();
    for id in 1..=3 {
        peer.request(id, Kind::Request, KvGet::NAME, key.clone())
            .await;
    }
    let mut when = Vec::new();
    for _ in 0..3 {
        let answer = peer.expect().await;
        when.push((answer.id, begun.elapsed()));
    }
    when.sort_by_key(|(_, at)| *at);
    assert_eq!(when[2].0, 3, "the third call waits for a slot: {when:?}");
    assert!(
        when[2].1 >= delay * 2 - Duration::from_millis(50),
        "the third call was read only after one of the first two finished: {when:?}"
    );
}

#[tokio::test]
async fn a_timed_out_host_call_is_cancelled_and_owed_until_the_plugin_answers() {
    let (session, mut peer, _) = session_with(4, None, Duration::ZERO);
    let outcome = session
        .call::<Health>(&HealthCheck {}, Duration::from_millis(200))
        .await;
    assert_eq!(
        outcome.map(|_| ()).map_err(|e| e.code),
        Err(ErrorCode::Timeout)
    );
    let request = peer.expect().await;
    assert_eq!(request.method, Health::NAME);
    assert_eq!(request.deadline_ms, 200);
    let cancel = peer.expect().await;
    assert_eq!(
        (
            cancel.id,
            cancel.kind,
            cancel.method.as_str(),
            cancel.deadline_ms
        ),
        (request.id, Kind::Cancel, "", 0)
    );
    assert!(cancel.body.is_empty());
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        session.overdue(Duration::ZERO).is_some(),
        "the answer is owed"
    );
    let answer = RpcError::new(ErrorCode::Cancelled, "cancelled");
    peer.send(&Envelope::error_response(request.id, &answer, MAX).expect("answer"))
        .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        session.overdue(Duration::ZERO).is_none(),
        "any answer settles a cancelled call"
    );
}

// ---- §6: health.check and plugin.shutdown through the supervisor ----

/// A "plugin" that is a `sleep` process; its socket is spoken by a task of this test.
struct SleepWithSocket {
    peer: Mutex<Option<UnixStream>>,
    pid: Arc<Mutex<Option<u32>>>,
}

impl Launcher for SleepWithSocket {
    fn launch(&self) -> std::io::Result<Launched> {
        let (host, plugin) = UnixStream::pair()?;
        *self.peer.lock().expect("lock") = Some(plugin);
        let child = tokio::process::Command::new("sleep")
            .arg("60")
            .kill_on_drop(true)
            .spawn()?;
        *self.pid.lock().expect("lock") = child.id();
        Ok(Launched {
            child,
            stream: host,
        })
    }
}

struct Quiet;
impl LogSink for Quiet {
    fn record(&self, _line: OutputLine) {}
}

fn alive(pid: u32) -> bool {
    let pid = nix::unistd::Pid::from_raw(i32::try_from(pid).expect("pid"));
    nix::sys::signal::kill(pid, None).is_ok()
}

#[tokio::test]
async fn a_plugin_that_acks_shutdown_but_does_not_exit_is_killed_after_the_deadline() {
    let launcher = Arc::new(SleepWithSocket {
        peer: Mutex::new(None),
        pid: Arc::default(),
    });
    let health_deadline = Duration::from_millis(700);
    let shutdown_deadline = Duration::from_millis(600);
    let hooked = Arc::new(Hooked {
        seen: Arc::default(),
        inner: None,
        delay: Duration::ZERO,
    });
    let limits = Limits {
        health_interval_ms: 100,
        ..Limits::default()
    };
    let config = PluginConfig {
        launcher: launcher.clone(),
        terms: HandshakeTerms {
            plugin_id: PLUGIN.to_owned(),
            host_abi: VersionRange::exactly(ABI_VERSION),
            instance_id: "i-1".to_owned(),
            capabilities: GrantedCapabilities::default(),
            config: Vec::new(),
            limits,
            hello_deadline: Duration::from_secs(5),
        },
        hooks: SessionHooks {
            check: hooked.clone(),
            handler: hooked.clone(),
            audit: hooked,
        },
        restart: RestartPolicy::default(),
        health_deadline,
        shutdown_deadline,
        hard_stop_grace: Duration::from_secs(5),
        log: Arc::new(Quiet),
        output_limits: OutputLimits::default(),
    };
    let supervisor = Supervisor::default();
    supervisor.start(config).expect("start");
    let stream = loop {
        if let Some(stream) = launcher.peer.lock().expect("lock").take() {
            break stream;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let pid = launcher.pid.lock().expect("lock").expect("a pid");
    let mut peer = Peer { stream };
    let hello = Hello {
        magic: MAGIC,
        abi: VersionRange::exactly(ABI_VERSION),
        plugin_id: PLUGIN.to_owned(),
        plugin_version: "1.0.0".to_owned(),
        sdk_name: "by-hand".to_owned(),
        sdk_version: "0".to_owned(),
        max_frame: MAX,
    };
    frame::write_frame_async(&mut peer.stream, &hello.encode().expect("hello"), MAX)
        .await
        .expect("write hello");
    let reply = frame::read_frame_async(&mut peer.stream, MAX)
        .await
        .expect("reply")
        .expect("a reply");
    assert!(matches!(
        HandshakeReply::decode(&reply).expect("decode"),
        HandshakeReply::Welcome(_)
    ));
    // health.check carries its own deadline (not a Limits field) as deadline_ms.
    let check = peer.expect().await;
    assert_eq!(check.method, Health::NAME);
    assert_eq!(u64::from(check.deadline_ms), ms(health_deadline));
    let report = Ok(HealthReport {
        ok: true,
        detail: String::new(),
    });
    peer.send(&Envelope::response::<Health>(check.id, &report, MAX).expect("response"))
        .await;
    assert!(matches!(
        supervisor.status(PLUGIN).expect("status").state,
        State::Running
    ));

    let stopping = tokio::spawn(async move { supervisor.stop(PLUGIN).await });
    let shutdown = loop {
        let envelope = peer.expect().await;
        if envelope.method == Shutdown::NAME {
            break envelope;
        }
        if envelope.kind == Kind::Request {
            peer.send(&Envelope::response::<Health>(envelope.id, &report, MAX).expect("r"))
                .await;
        }
    };
    assert_eq!(u64::from(shutdown.deadline_ms), ms(shutdown_deadline));
    let request: faxbot_plugin_abi::methods::ShutdownRequest = shutdown
        .decode_request::<Shutdown>()
        .expect("a shutdown request");
    assert_eq!(u64::from(request.deadline_ms), ms(shutdown_deadline));
    peer.send(&Envelope::response::<Shutdown>(shutdown.id, &Ok(Ack {}), MAX).expect("ack"))
        .await;
    let acked = Instant::now();
    // The plugin keeps running (and its socket open) after the ack.
    tokio::time::sleep(shutdown_deadline / 2).await;
    assert!(alive(pid), "the host waits up to the deadline for the exit");
    stopping.await.expect("task").expect("stop");
    let waited = acked.elapsed();
    assert!(
        !alive(pid),
        "a plugin that did not exit after its ack is killed"
    );
    assert!(
        waited >= shutdown_deadline - Duration::from_millis(50)
            && waited < shutdown_deadline + Duration::from_secs(2),
        "killed {waited:?} after the ack, deadline {shutdown_deadline:?}"
    );
}

#[test]
fn denial_rule_for_an_undecodable_body_is_named() {
    // The rule docs/abi.md §5 names for a body the grant check cannot read.
    let denial = Denial {
        capability: None,
        rule: DenialRule::Undecodable,
    };
    assert!(denial.to_string().contains("decod"), "{denial}");
}

#[tokio::test]
async fn at_max_in_flight_plugin_calls_the_host_still_reads_the_plugins_answers() {
    let (session, mut peer, _) = session_with(2, None, Duration::from_millis(1_500));
    let key = postcard::to_stdvec(&faxbot_plugin_abi::methods::KvGetRequest { key: "k".into() })
        .expect("encode");
    for id in 1..=2 {
        peer.request(id, Kind::Request, KvGet::NAME, key.clone())
            .await;
    }
    let session = Arc::new(session);
    let caller = session.clone();
    let begun = Instant::now();
    let check = tokio::spawn(async move {
        caller
            .call::<Health>(&HealthCheck {}, Duration::from_secs(1))
            .await
    });
    let request = peer.expect().await;
    assert_eq!(request.method, Health::NAME);
    let report = Ok(HealthReport {
        ok: true,
        detail: String::new(),
    });
    peer.send(&Envelope::response::<Health>(request.id, &report, MAX).expect("response"))
        .await;
    let answer = check.await.expect("task");
    assert!(answer.is_ok(), "{answer:?}");
    assert!(
        begun.elapsed() < Duration::from_millis(1_000),
        "the answer was read while the plugin's own calls were in progress"
    );
}
