//! The checks: three runs of the plugin in the real jail. The first is refused at the
//! handshake (it must exit), the second is driven envelope by envelope through everything a
//! host may send, the third runs under the real supervisor (health checks, then stop).

use super::peer::{Answer, Peer};
use faxbot_plugin_abi::event::{
    Event, EventPayload, FaxDirection, FaxJobEvent, FaxJobState, topic_matches,
};
use faxbot_plugin_abi::frame::{self, DEFAULT_MAX_FRAME};
use faxbot_plugin_abi::handshake::{MAGIC, RejectCode};
use faxbot_plugin_abi::methods::{
    EventDelivery, HealthReport, JobRun, RouteRequest, ShutdownRequest,
};
use faxbot_plugin_abi::{
    ABI_VERSION, Envelope, ErrorCode, HandshakeReply, Hello, Kind, Reject, codec,
};
use faxbot_policy::manifest::Manifest;
use faxbot_supervisor::handshake::{self, HandshakeTerms};
use faxbot_supervisor::launch::{Launched, Launcher};
use faxbot_supervisor::supervisor::{PluginConfig, State, Supervisor};
use serde::Serialize;
use std::time::{Duration, Instant};

/// One check's verdict.
#[derive(Clone, Debug, Serialize)]
pub struct Check {
    /// The rule checked, as a sentence.
    pub name: String,
    /// Whether the plugin kept it.
    pub passed: bool,
    /// What was seen.
    pub detail: String,
}

/// The checks' results, in order.
#[derive(Default)]
pub struct Checks(pub Vec<Check>);

impl Checks {
    fn record(&mut self, name: &str, passed: bool, detail: impl Into<String>) -> bool {
        self.0.push(Check {
            name: name.to_owned(),
            passed,
            detail: detail.into(),
        });
        passed
    }
}

const WAIT: Duration = Duration::from_secs(5);
const DEADLINE_MS: u32 = 5_000;

/// Reads the plugin's Hello and checks it against the manifest.
async fn hello(launched: &mut Launched, manifest: &Manifest, checks: &mut Checks) -> bool {
    let begun = Instant::now();
    let read = tokio::time::timeout(
        WAIT,
        frame::read_frame_async(&mut launched.stream, DEFAULT_MAX_FRAME),
    )
    .await;
    let body = match read {
        Err(_) => {
            return checks.record(
                "the plugin says Hello within 5 s",
                false,
                "no frame within 5 s",
            );
        }
        Ok(Ok(Some(body))) => body,
        Ok(Ok(None)) => {
            let status = launched.child.try_wait().ok().flatten();
            return checks.record(
                "the plugin says Hello within 5 s",
                false,
                format!(
                    "it closed its socket first (exit status: {}); its stderr is in the jail's output: run `cargo faxbot test` for the log",
                    status.map(|s| s.to_string()).unwrap_or_else(|| "still running".into())
                ),
            );
        }
        Ok(Err(e)) => {
            return checks.record("the plugin says Hello within 5 s", false, e.to_string());
        }
    };
    checks.record(
        "the plugin says Hello within 5 s",
        true,
        format!("after {} ms", begun.elapsed().as_millis()),
    );
    let hello = match Hello::decode(&body) {
        Ok(hello) => hello,
        Err(e) => return checks.record("Hello decodes", false, e.to_string()),
    };
    checks.record(
        "Hello decodes, magic FXB1",
        hello.magic == MAGIC,
        "(docs/abi.md §4)",
    );
    checks.record(
        "Hello names the manifest's id and version",
        hello.plugin_id == manifest.id && hello.plugin_version == manifest.version.to_string(),
        format!(
            "Hello: {} {}, manifest: {} {}",
            hello.plugin_id, hello.plugin_version, manifest.id, manifest.version
        ),
    );
    let speaks = hello.abi.min <= ABI_VERSION
        && hello.abi.max.major == ABI_VERSION.major
        && hello.abi.min.major <= ABI_VERSION.major;
    checks.record(
        "Hello's ABI range includes 1.0",
        speaks,
        format!("{:?}", hello.abi),
    );
    checks.record(
        "Hello accepts frames of at least 64 KiB",
        hello.max_frame >= 64 * 1024,
        format!("max_frame {}", hello.max_frame),
    )
}

/// Run 1: a Reject must end the plugin, with nothing more said.
pub async fn refused(launcher: &dyn Launcher, manifest: &Manifest, checks: &mut Checks) {
    let mut launched = match launcher.launch_for(&manifest.id) {
        Ok(l) => l,
        Err(e) => {
            checks.record("the jail starts the plugin", false, e.to_string());
            return;
        }
    };
    if !hello(&mut launched, manifest, checks).await {
        return;
    }
    let reject = HandshakeReply::Reject(Reject {
        code: RejectCode::NotApproved,
        message: "refused on purpose by cargo faxbot conform".into(),
    });
    if let Ok(bytes) = reject.encode(DEFAULT_MAX_FRAME) {
        let _ = frame::write_frame_async(&mut launched.stream, &bytes, DEFAULT_MAX_FRAME).await;
    }
    let next = tokio::time::timeout(
        WAIT,
        frame::read_frame_async(&mut launched.stream, DEFAULT_MAX_FRAME),
    )
    .await;
    checks.record(
        "after a Reject the plugin sends nothing more and closes its socket",
        matches!(next, Ok(Ok(None)) | Ok(Err(_))),
        match next {
            Ok(Ok(None)) => "closed".to_owned(),
            Ok(Ok(Some(_))) => "it sent another frame".to_owned(),
            Ok(Err(e)) => format!("closed ({e})"),
            Err(_) => "still open 5 s later".to_owned(),
        },
    );
    let exited = tokio::time::timeout(WAIT, launched.child.wait()).await;
    checks.record(
        "after a Reject the plugin exits",
        matches!(exited, Ok(Ok(_))),
        match exited {
            Ok(Ok(status)) => status.to_string(),
            _ => "still running 5 s later".to_owned(),
        },
    );
}

fn encode<T: Serialize>(what: &'static str, value: &T) -> Vec<u8> {
    codec::encode(what, value, DEFAULT_MAX_FRAME).unwrap_or_default()
}

/// A topic the plugin subscribes to, and an event on it without PHI.
fn event_for(terms: &HandshakeTerms) -> Option<EventDelivery> {
    let patterns = &terms.capabilities.event_subscriptions;
    let candidates = [
        "fax.job.delivered",
        "fax.job.failed",
        "fax.job.sent",
        "fax.job.queued",
        "fax.inbound.received",
    ];
    let topic = candidates
        .iter()
        .find(|t| patterns.iter().any(|p| topic_matches(p, t)))?;
    let state = match *topic {
        "fax.job.failed" => FaxJobState::Failed,
        "fax.job.sent" => FaxJobState::Sent,
        "fax.job.queued" => FaxJobState::Queued,
        "fax.inbound.received" => FaxJobState::Received,
        _ => FaxJobState::Delivered,
    };
    Some(EventDelivery {
        event: Event {
            id: "ev_conform_0001".into(),
            topic: (*topic).to_owned(),
            tenant_id: "tenant-conform".into(),
            sequence: 1,
            occurred_at_ms: super::now_ms(),
            payload: EventPayload::FaxJob(FaxJobEvent {
                job_id: "fx_conform".into(),
                direction: FaxDirection::Outbound,
                state,
                provider: "test".into(),
                pages: Some(1),
                attempt: 1,
                queued_at_ms: super::now_ms(),
                duration_ms: None,
                failure: None,
                remote_token: None,
            }),
        },
        attempt: 1,
    })
}

fn code_is(answer: &Answer, want: ErrorCode) -> bool {
    answer.code() == Some(want)
}

/// Run 2: the session, envelope by envelope.
pub async fn session(
    launcher: &dyn Launcher,
    manifest: &Manifest,
    terms: &HandshakeTerms,
    checks: &mut Checks,
) {
    let mut launched = match launcher.launch_for(&manifest.id) {
        Ok(l) => l,
        Err(e) => {
            checks.record("the jail starts the plugin", false, e.to_string());
            return;
        }
    };
    let agreed = match handshake::accept(&mut launched.stream, terms).await {
        Ok(agreed) => agreed,
        Err(e) => {
            checks.record(
                "the plugin completes the handshake (Welcome with a smaller frame limit)",
                false,
                e.to_string(),
            );
            return;
        }
    };
    checks.record(
        "the plugin completes the handshake (Welcome with a smaller frame limit)",
        true,
        format!("negotiated max_frame {}", agreed.max_frame),
    );
    let stream = std::mem::replace(
        &mut launched.stream,
        match tokio::net::UnixStream::pair() {
            Ok((a, _)) => a,
            Err(e) => {
                checks.record("a placeholder socket", false, e.to_string());
                return;
            }
        },
    );
    let mut peer = Peer::start(stream, agreed.max_frame);
    let mut id = 0u64;
    let mut next = || {
        id += 1;
        id
    };
    let health = encode("HealthCheck", &faxbot_plugin_abi::methods::HealthCheck {});

    let answer = peer
        .call(next(), "health.check", DEADLINE_MS, health.clone(), WAIT)
        .await;
    let healthy = match &answer {
        Answer::Ok(bytes) => codec::decode::<HealthReport>("HealthReport", bytes)
            .map(|r| r.ok)
            .unwrap_or(false),
        _ => false,
    };
    checks.record(
        "health.check is answered ok: true",
        healthy,
        answer.describe(),
    );

    let answer = peer
        .call(next(), "health.check", 0, health.clone(), WAIT)
        .await;
    checks.record(
        "health.check with deadline_ms 0 is answered (the default deadline applies)",
        matches!(answer, Answer::Ok(_)),
        answer.describe(),
    );

    let mut newer = health.clone();
    newer.extend([0, 0, 7]);
    let answer = peer
        .call(next(), "health.check", DEADLINE_MS, newer, WAIT)
        .await;
    checks.record(
        "a request body with trailing bytes (a newer minor's fields) is answered normally",
        matches!(answer, Answer::Ok(_)),
        answer.describe(),
    );

    let answer = peer
        .call(
            next(),
            "conform.no-such-method",
            DEADLINE_MS,
            vec![1, 2, 3],
            WAIT,
        )
        .await;
    checks.record(
        "an unknown method is answered unsupported (7)",
        code_is(&answer, ErrorCode::Unsupported),
        answer.describe(),
    );

    let answer = peer
        .call(next(), "kv.get", DEADLINE_MS, encode("k", &"key"), WAIT)
        .await;
    checks.record(
        "a plugin-to-host method sent to the plugin is answered unsupported (7)",
        code_is(&answer, ErrorCode::Unsupported),
        answer.describe(),
    );

    for method in ["event.deliver", "route.serve", "job.run"] {
        let used = match method {
            "event.deliver" => !terms.capabilities.event_subscriptions.is_empty(),
            "route.serve" => !terms.capabilities.routes.is_empty(),
            _ => !terms.capabilities.jobs.is_empty(),
        };
        let answer = peer
            .call(next(), method, DEADLINE_MS, vec![0xff, 0xff, 0xff], WAIT)
            .await;
        // A plugin that never gets this method (no grant for it) may call it unknown.
        let passed = code_is(&answer, ErrorCode::Invalid)
            || (!used && code_is(&answer, ErrorCode::Unsupported));
        checks.record(
            &format!("{method} with a body that does not decode is answered invalid (2)"),
            passed,
            answer.describe(),
        );
    }

    let note = Envelope {
        id: 0,
        kind: Kind::Notification,
        method: "health.check".into(),
        deadline_ms: 0,
        body: health.clone(),
    };
    let sent = peer.send(&note).await;
    let stray = peer.any_response(Duration::from_millis(500)).await;
    checks.record(
        "a notification is never answered",
        sent.is_ok() && stray.is_none(),
        match stray {
            Some(r) => format!("a response with id {} came back", r.id),
            None => "no response".to_owned(),
        },
    );

    let _ = peer.send(&Envelope::cancel(999_999)).await;
    let stray_response = Envelope {
        id: 888_888,
        kind: Kind::Response,
        method: String::new(),
        deadline_ms: 0,
        body: vec![0],
    };
    let _ = peer.send(&stray_response).await;
    let answer = peer
        .call(next(), "health.check", DEADLINE_MS, health.clone(), WAIT)
        .await;
    checks.record(
        "a cancel of an unknown id and a response nobody asked for are ignored",
        matches!(answer, Answer::Ok(_)),
        answer.describe(),
    );

    match event_for(terms) {
        Some(delivery) => {
            let begun = Instant::now();
            let answer = peer
                .call(
                    next(),
                    "event.deliver",
                    2_000,
                    encode("EventDelivery", &delivery),
                    Duration::from_millis(2_500),
                )
                .await;
            checks.record(
                "event.deliver of a subscribed topic is acknowledged within its deadline (2 s)",
                matches!(answer, Answer::Ok(_)),
                format!(
                    "{} ({}) after {} ms",
                    answer.describe(),
                    delivery.event.topic,
                    begun.elapsed().as_millis()
                ),
            );
            let call = next();
            let request = Envelope {
                id: call,
                kind: Kind::Request,
                method: "event.deliver".into(),
                deadline_ms: 2_000,
                body: encode("EventDelivery", &delivery),
            };
            let _ = peer.send(&request).await;
            let _ = peer.send(&Envelope::cancel(call)).await;
            let answer = peer.answer_to(call, Duration::from_millis(2_500)).await;
            checks.record(
                "a call the host cancels is still answered (its result or cancelled), so it is not owed",
                !matches!(answer, Answer::Silent | Answer::Undecodable(_)),
                answer.describe(),
            );
        }
        None => {
            checks.record(
                "event.deliver of a subscribed topic is acknowledged within its deadline (2 s)",
                true,
                "skipped: the manifest subscribes to no fax topic",
            );
        }
    }

    let route = RouteRequest {
        method: "GET".into(),
        path: "/conform-no-such-route".into(),
        query: String::new(),
        headers: Vec::new(),
        body: Vec::new(),
    };
    let answer = peer
        .call(
            next(),
            "route.serve",
            2_000,
            encode("RouteRequest", &route),
            Duration::from_millis(2_500),
        )
        .await;
    checks.record(
        "route.serve of a path the plugin does not serve is answered (a 404 response or an error)",
        !matches!(answer, Answer::Silent | Answer::Undecodable(_)),
        answer.describe(),
    );

    if let Some(job) = terms.capabilities.jobs.first() {
        let run = JobRun {
            name: job.name.clone(),
            run_id: "run_conform".into(),
            scheduled_at_ms: super::now_ms(),
        };
        let answer = peer
            .call(
                next(),
                "job.run",
                10_000,
                encode("JobRun", &run),
                Duration::from_secs(11),
            )
            .await;
        checks.record(
            &format!(
                "job.run of granted job {:?} is answered within its deadline",
                job.name
            ),
            !matches!(answer, Answer::Silent | Answer::Undecodable(_)),
            answer.describe(),
        );
    }

    let first = next();
    let parallel = 8u64;
    for n in 0..parallel {
        let call = Envelope {
            id: first + n,
            kind: Kind::Request,
            method: "health.check".into(),
            deadline_ms: DEADLINE_MS,
            body: health.clone(),
        };
        let _ = peer.send(&call).await;
    }
    for _ in 1..parallel {
        next();
    }
    let ids: Vec<u64> = (0..parallel).map(|n| first + n).collect();
    let answered = peer
        .answers_to(&ids, WAIT)
        .await
        .iter()
        .filter(|(_, answer)| matches!(answer, Answer::Ok(_)))
        .count() as u64;
    checks.record(
        "8 calls sent at once (below max_in_flight) are all answered, in any order",
        answered == parallel,
        format!("{answered} of {parallel} answered"),
    );

    {
        let traffic = peer
            .traffic
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let numbered = traffic.request_ids.windows(2).all(|w| w[0] < w[1])
            && traffic.request_ids.first().is_none_or(|first| *first == 1);
        checks.record(
            "the plugin numbers its own requests from 1, increasing",
            numbered,
            format!("{} request(s) seen", traffic.request_ids.len()),
        );
        let wrong: Vec<&String> = traffic
            .notifications
            .iter()
            .filter(|m| *m != "log.write" && *m != "metric.record")
            .collect();
        checks.record(
            "the plugin sends only log.write and metric.record as notifications",
            wrong.is_empty(),
            if wrong.is_empty() {
                format!("{} notification(s)", traffic.notifications.len())
            } else {
                format!("also {wrong:?}")
            },
        );
    }

    let request = ShutdownRequest { deadline_ms: 2_000 };
    let answer = peer
        .call(
            next(),
            "plugin.shutdown",
            2_000,
            encode("ShutdownRequest", &request),
            Duration::from_millis(2_500),
        )
        .await;
    checks.record(
        "plugin.shutdown is acknowledged within its deadline (2 s)",
        matches!(answer, Answer::Ok(_)),
        answer.describe(),
    );
    let exited = tokio::time::timeout(Duration::from_secs(2), launched.child.wait()).await;
    checks.record(
        "the plugin exits by itself within the shutdown deadline after its ack",
        matches!(exited, Ok(Ok(_))),
        match exited {
            Ok(Ok(status)) => status.to_string(),
            _ => "still running 2 s after the ack (a host kills it with its cgroup)".to_owned(),
        },
    );
}

/// Run 3: the real supervisor starts it, health-checks it, and stops it.
pub async fn supervised(config: PluginConfig, checks: &mut Checks) {
    let id = config.terms.plugin_id.clone();
    let interval = Duration::from_millis(u64::from(config.terms.limits.health_interval_ms));
    let supervisor = Supervisor::new();
    if let Err(e) = supervisor.start(config) {
        checks.record("the supervisor starts the plugin", false, e.to_string());
        return;
    }
    let begun = Instant::now();
    let running = loop {
        match supervisor.status(&id).map(|s| s.state) {
            Ok(State::Running) => break Ok(()),
            Ok(State::Backoff { reason } | State::Quarantined { reason }) => break Err(reason),
            Ok(_) if begun.elapsed() < Duration::from_secs(10) => {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            Ok(state) => break Err(format!("still {state:?} after 10 s")),
            Err(e) => break Err(e.to_string()),
        }
    };
    if let Err(why) = running {
        checks.record("the real supervisor runs the plugin", false, why);
        let _ = supervisor.stop(&id).await;
        return;
    }
    tokio::time::sleep(interval * 5).await;
    let status = supervisor.status(&id);
    let kept = matches!(&status, Ok(s) if s.state == State::Running && s.restarts == 0);
    checks.record(
        "the real supervisor keeps it running through 5 health-check intervals",
        kept,
        format!("{status:?}"),
    );
    let begun = Instant::now();
    let _ = supervisor.stop(&id).await;
    let state = supervisor.status(&id).map(|s| s.state);
    checks.record(
        "the real supervisor stops it with plugin.shutdown",
        matches!(state, Ok(State::Stopped)),
        format!("{state:?} after {} ms", begun.elapsed().as_millis()),
    );
}
