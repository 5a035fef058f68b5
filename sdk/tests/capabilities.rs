//! SDK plugins through the real supervisor session: handlers by event pattern, route and
//! job; every capability client's round trip; denials decided locally and by the host.

mod support;

use faxbot_plugin_abi::methods::{
    DeliverEvent, EventDelivery, JobRun, RouteRequest, RouteResponse, RunJob, ServeRoute,
};
use faxbot_plugin_abi::secret::Segment;
use faxbot_plugin_abi::{ErrorCode, GrantedCapabilities, RpcError, Value};
use faxbot_supervisor::session::Session;
use std::time::Duration;
use support::{Running, all_grants, event, start};

const DEADLINE: Duration = Duration::from_secs(5);

async fn job(session: &Session, name: &str) -> Result<Option<String>, RpcError> {
    session
        .call::<RunJob>(
            &JobRun {
                name: name.to_owned(),
                run_id: "run-1".into(),
                scheduled_at_ms: 0,
            },
            DEADLINE,
        )
        .await
        .map(|r| r.summary)
}

async fn summary(session: &Session, name: &str) -> String {
    job(session, name)
        .await
        .unwrap_or_else(|e| panic!("job {name} failed: {e}"))
        .unwrap_or_default()
}

async fn route(session: &Session, method: &str, path: &str, body: &[u8]) -> RouteResponse {
    session
        .call::<ServeRoute>(
            &RouteRequest {
                method: method.to_owned(),
                path: path.to_owned(),
                query: "q=a%20b".into(),
                headers: vec![],
                body: body.to_vec(),
            },
            DEADLINE,
        )
        .await
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

async fn deliver(session: &Session, id: &str, topic: &str, attempt: u32) {
    session
        .call::<DeliverEvent>(
            &EventDelivery {
                event: event(id, topic),
                attempt,
            },
            DEADLINE,
        )
        .await
        .unwrap_or_else(|e| panic!("deliver {topic}: {e}"));
}

#[tokio::test]
async fn events_reach_the_first_handler_whose_pattern_matches() {
    let Running {
        session,
        host,
        launched: _child,
    } = start(all_grants(), vec![]).await;
    deliver(&session, "e1", "fax.job.sent", 1).await;
    deliver(&session, "e2", "fax.job.sent", 1).await;
    deliver(&session, "e3", "fax.job.failed", 3).await;
    deliver(&session, "e4", "plugin.lifecycle", 1).await;
    assert_eq!(host.kv_text("seen:fax.job.sent").as_deref(), Some("2"));
    assert_eq!(host.kv_text("seen:fax.job.failed").as_deref(), Some("1"));
    assert_eq!(host.kv_text("other:plugin.lifecycle").as_deref(), Some("1"));
    assert_eq!(host.kv_text("redelivered").as_deref(), Some("3"));
    assert_eq!(host.kv_text("seen:plugin.lifecycle"), None);
}

#[tokio::test]
async fn a_fax_job_handler_gets_the_job_typed_and_refuses_other_payloads() {
    let Running {
        session,
        host,
        launched: _child,
    } = start(all_grants(), vec![]).await;
    deliver(&session, "e1", "fax.inbound.received", 1).await;
    assert_eq!(host.kv_text("inbound:job-1").as_deref(), Some("sent"));
    let mut odd = event("e2", "fax.inbound.other");
    odd.payload = faxbot_plugin_abi::event::EventPayload::PluginLifecycle(
        faxbot_plugin_abi::event::PluginLifecycleEvent {
            plugin_id: "x".into(),
            version: "1".into(),
            state: "started".into(),
        },
    );
    let error = session
        .call::<DeliverEvent>(
            &EventDelivery {
                event: odd,
                attempt: 1,
            },
            DEADLINE,
        )
        .await
        .expect_err("not a fax job");
    assert_eq!(error.code, ErrorCode::Invalid, "{error}");
    assert!(error.message.contains("carries no fax job"), "{error}");
}

#[tokio::test]
async fn an_event_without_a_handler_is_acknowledged_with_a_warning() {
    let Running {
        session,
        host,
        launched: _child,
    } = start(all_grants(), vec![]).await;
    deliver(&session, "e1", "tenant.settings.changed", 1).await;
    let logs = host.logs.lock().expect("logs").clone();
    assert!(
        logs.iter().any(|l| l
            .message
            .contains("no handler registered for event topic tenant.settings.changed")),
        "{logs:?}"
    );
}

#[tokio::test]
async fn routes_are_served_by_method_and_path() {
    let Running {
        session,
        launched: _child,
        ..
    } = start(all_grants(), vec![]).await;
    let get = route(&session, "GET", "/echo", b"hi").await;
    assert_eq!(get.status, 200);
    assert_eq!(String::from_utf8_lossy(&get.body), "GET q=a b body=hi");
    let post = route(&session, "POST", "/echo", b"posted").await;
    assert_eq!((post.status, post.body.as_slice()), (201, &b"posted"[..]));
    let missing = route(&session, "GET", "/nope", b"").await;
    assert_eq!(missing.status, 404);
    let wrong = route(&session, "DELETE", "/echo", b"").await;
    assert_eq!(wrong.status, 405);
    assert!(
        wrong
            .headers
            .iter()
            .any(|(n, v)| n == "Allow" && v == "GET, POST"),
        "{:?}",
        wrong.headers
    );
}

#[tokio::test]
async fn a_handler_error_reaches_the_host_with_its_abi_code() {
    let Running {
        session,
        launched: _child,
        ..
    } = start(all_grants(), vec![]).await;
    let error = session
        .call::<ServeRoute>(
            &RouteRequest {
                method: "GET".into(),
                path: "/fail".into(),
                query: String::new(),
                headers: vec![],
                body: vec![],
            },
            DEADLINE,
        )
        .await
        .expect_err("the route fails");
    assert_eq!(error.code, ErrorCode::Invalid);
    assert!(
        error.message.contains("the route was told to fail"),
        "{error}"
    );
    let unknown = job(&session, "no-such-job").await.expect_err("unknown job");
    assert_eq!(unknown.code, ErrorCode::NotFound, "{unknown}");
}

#[tokio::test]
async fn kv_calls_round_trip_through_the_host() {
    let Running {
        session,
        host,
        launched: _child,
    } = start(all_grants(), vec![]).await;
    assert_eq!(
        summary(&session, "kv").await,
        "ok got=one listed=a:1,a:2 existed=true again=false gone=true"
    );
    assert_eq!(host.kv_text("a:2").as_deref(), Some("two"));
}

#[tokio::test]
async fn http_fetch_names_secrets_and_never_carries_their_values() {
    let Running {
        session,
        host,
        launched: _child,
    } = start(all_grants(), vec![]).await;
    assert_eq!(
        summary(&session, "http").await,
        "ok status=202 body=fetched https://hooks.example.com/in"
    );
    let fetches = host.fetches.lock().expect("fetches").clone();
    assert_eq!(fetches.len(), 1);
    let fetch = &fetches[0];
    assert_eq!(fetch.method, "POST");
    assert_eq!(fetch.body, b"payload");
    let auth = &fetch.headers[0];
    assert_eq!(auth.name, "Authorization");
    assert_eq!(
        auth.value.0,
        vec![
            Segment::Text("Bearer ".into()),
            Segment::Secret("HOOK_TOKEN".into())
        ]
    );
    assert_eq!(
        fetch.headers[1].value.0,
        vec![
            Segment::Text("sha256=".into()),
            Segment::BodyHmacSha256Hex("HOOK_TOKEN".into())
        ]
    );
    assert!(
        fetch.timeout_ms > 0 && fetch.timeout_ms <= 10_000,
        "{}",
        fetch.timeout_ms
    );
}

#[tokio::test]
async fn logs_and_metrics_reach_the_host_and_bad_metric_names_do_not() {
    let Running {
        session,
        host,
        launched: _child,
    } = start(all_grants(), vec![]).await;
    assert_eq!(summary(&session, "log-metric").await, "ok bad-name=true");
    let logs = host.logs.lock().expect("logs").clone();
    let record = logs
        .iter()
        .find(|l| l.message == "hello from the plugin")
        .expect("the record arrived");
    assert_eq!(record.level, faxbot_plugin_abi::methods::LogLevel::Warn);
    assert_eq!(record.fields, vec![("count".to_owned(), "3".to_owned())]);
    let metrics = host.metrics.lock().expect("metrics").clone();
    assert_eq!(metrics.len(), 1, "{metrics:?}");
    assert_eq!(metrics[0].name, "jobs_run");
    assert_eq!(
        metrics[0].kind,
        faxbot_plugin_abi::methods::MetricKind::Counter
    );
    assert!((metrics[0].value - 2.0).abs() < f64::EPSILON);
}

#[tokio::test]
async fn emit_and_fax_status_round_trip() {
    let Running {
        session,
        host,
        launched: _child,
    } = start(all_grants(), vec![]).await;
    assert_eq!(summary(&session, "emit").await, "ok evt-7");
    let emitted = host.emitted.lock().expect("emitted").clone();
    assert_eq!(emitted[0].topic, "plugin.sdk-test.done");
    assert_eq!(emitted[0].fields, vec![("n".to_owned(), Value::Int(1))]);
    assert_eq!(summary(&session, "fax").await, "ok job-42 delivered");
}

#[tokio::test]
async fn config_from_the_welcome_is_readable() {
    let Running {
        session,
        launched: _child,
        ..
    } = start(
        all_grants(),
        vec![("greeting".into(), Value::from("hi there"))],
    )
    .await;
    assert_eq!(summary(&session, "config").await, "ok hi there");
}

#[tokio::test]
async fn ungranted_calls_are_denied_locally_naming_the_capability_and_never_sent() {
    let Running {
        session,
        host,
        launched: _child,
    } = start(GrantedCapabilities::default(), vec![]).await;
    let cases = [
        ("kv", "error denied: capability not granted: kv"),
        (
            "http",
            "error denied: capability not granted: secret HOOK_TOKEN",
        ),
        (
            "emit",
            "error denied: capability not granted: event.emit to plugin.sdk-test.done",
        ),
        (
            "fax",
            "error denied: capability not granted: fax.job_status",
        ),
        (
            "secret-ungranted",
            "error denied: capability not granted: secret NOT_MINE",
        ),
    ];
    for (name, expected) in cases {
        assert_eq!(summary(&session, name).await, expected, "job {name}");
    }
    let served = host.served_methods();
    assert!(
        served.iter().all(|m| m == "log.write"),
        "nothing but logs may reach the host: {served:?}"
    );
    assert!(host.denials.lock().expect("denials").is_empty());
}

#[tokio::test]
async fn http_without_an_egress_grant_is_denied_before_the_secret_check() {
    let grants = GrantedCapabilities {
        secrets: vec!["HOOK_TOKEN".into()],
        ..GrantedCapabilities::default()
    };
    let Running {
        session,
        host,
        launched: _child,
    } = start(grants, vec![]).await;
    assert_eq!(
        summary(&session, "http").await,
        "error denied: capability not granted: http.egress"
    );
    assert!(host.fetches.lock().expect("fetches").is_empty());
}

#[tokio::test]
async fn a_denial_by_the_host_is_a_denied_error_too() {
    let Running {
        session,
        host,
        launched: _child,
    } = start(all_grants(), vec![]).await;
    host.refuse("kv.put");
    let error = job(&session, "kv-raw-error").await.expect_err("refused");
    assert_eq!(error.code, ErrorCode::Denied, "{error}");
    assert!(
        error.message.contains("capability not granted: kv"),
        "{error}"
    );
    let denials = host.denials.lock().expect("denials").clone();
    assert_eq!(denials.len(), 1);
    assert_eq!(denials[0].method, "kv.put");
}

#[tokio::test]
async fn many_calls_in_flight_both_ways_are_multiplexed() {
    let Running {
        session,
        host,
        launched: _child,
    } = start(all_grants(), vec![]).await;
    let session = std::sync::Arc::new(session);
    let mut calls = Vec::new();
    for i in 0..60 {
        let session = session.clone();
        calls.push(tokio::spawn(async move {
            if i % 2 == 0 {
                let r = route(&session, "POST", "/echo", format!("n{i}").as_bytes()).await;
                assert_eq!(r.body, format!("n{i}").into_bytes());
            } else {
                deliver(&session, &format!("e{i}"), &format!("fax.job.t{i}"), 1).await;
            }
        }));
    }
    for call in calls {
        call.await.expect("call task");
    }
    let kv = host.kv.lock().expect("kv").clone();
    assert_eq!(kv.keys().filter(|k| k.starts_with("seen:")).count(), 30);
}
