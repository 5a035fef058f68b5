//! webhook-relay through the real supervisor session, with the grants its manifest asks for
//! checked by faxbot-policy.

use faxbot_example_testkit::{Running, fax_event, manifest, start};
use faxbot_plugin_abi::event::FaxJobState;
use faxbot_plugin_abi::{ErrorCode, Value};
use std::path::Path;

const PLUGIN: &str = env!("CARGO_BIN_EXE_faxbot-example-webhook-relay");
const ENDPOINT: &str = "https://relay.example.com/faxbot/events";

async fn plugin(mut config: Vec<(String, Value)>) -> Running {
    if !config.iter().any(|(k, _)| k == "url") {
        config.push(("url".into(), Value::from(ENDPOINT)));
    }
    start(
        Path::new(PLUGIN),
        &manifest(Path::new(env!("CARGO_MANIFEST_DIR"))),
        config,
    )
    .await
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

#[tokio::test]
async fn an_event_is_posted_as_signed_json_to_the_configured_url() {
    let plugin = plugin(vec![]).await;
    plugin
        .deliver(fax_event("e1", FaxJobState::Delivered, 1_700))
        .await
        .expect("relayed");
    let fetched = plugin.host.fetched();
    assert_eq!(fetched.len(), 1);
    let post = &fetched[0];
    assert_eq!(
        (post.method.as_str(), post.url.as_str()),
        ("POST", ENDPOINT)
    );
    assert_eq!(
        header(&post.headers, "X-Faxbot-Signature"),
        Some("sha256={hmac-sha256:RELAY_SIGNING_KEY}")
    );
    assert_eq!(header(&post.headers, "X-Faxbot-Delivery"), Some("e1"));
    assert_eq!(
        header(&post.headers, "X-Faxbot-Event"),
        Some("fax.job.delivered")
    );
    assert_eq!(header(&post.headers, "X-Faxbot-Timestamp"), Some("1700"));
    let body: serde_json::Value = serde_json::from_slice(&post.body).expect("JSON");
    assert_eq!(body["id"], "e1");
    assert_eq!(body["payload"]["FaxJob"]["state"], "Delivered");
    assert_eq!(body["payload"]["FaxJob"]["pages"], 3);
    assert!((plugin.host.counter("events_relayed") - 1.0).abs() < f64::EPSILON);
}

#[tokio::test]
async fn transient_failures_are_retried_and_every_try_is_signed() {
    let plugin = plugin(vec![]).await;
    plugin.host.http.answer(&[502, 503]);
    plugin
        .deliver(fax_event("e1", FaxJobState::Failed, 1))
        .await
        .expect("relayed on the third try");
    let fetched = plugin.host.fetched();
    assert_eq!(fetched.len(), 3);
    for (n, post) in fetched.iter().enumerate() {
        assert_eq!(
            header(&post.headers, "X-Faxbot-Attempt"),
            Some((n + 1).to_string().as_str())
        );
        assert!(header(&post.headers, "X-Faxbot-Signature").is_some());
        assert_eq!(post.body, fetched[0].body, "every try sends the same body");
    }
}

#[tokio::test]
async fn the_retry_policy_stops_at_max_attempts() {
    let plugin = plugin(vec![("max_attempts".into(), Value::Int(3))]).await;
    plugin.host.http.answer(&[500, 500, 500, 500]);
    let error = plugin
        .deliver(fax_event("e1", FaxJobState::Sent, 1))
        .await
        .expect_err("all tries fail");
    assert_eq!(error.code, ErrorCode::Unavailable, "{error}");
    assert_eq!(plugin.host.fetched().len(), 3);
    assert!((plugin.host.counter("relay_failures") - 1.0).abs() < f64::EPSILON);
}

#[tokio::test]
async fn only_selected_topics_are_forwarded() {
    let plugin = plugin(vec![(
        "topics".into(),
        Value::List(vec![Value::from("fax.job.failed")]),
    )])
    .await;
    plugin
        .deliver(fax_event("e1", FaxJobState::Sent, 1))
        .await
        .expect("ok");
    plugin
        .deliver(fax_event("e2", FaxJobState::Failed, 1))
        .await
        .expect("ok");
    let fetched = plugin.host.fetched();
    assert_eq!(fetched.len(), 1);
    assert_eq!(header(&fetched[0].headers, "X-Faxbot-Delivery"), Some("e2"));
}

#[tokio::test]
async fn a_url_outside_the_egress_allowlist_is_denied_by_the_host() {
    let plugin = plugin(vec![(
        "url".into(),
        Value::from("https://evil.example.net/steal"),
    )])
    .await;
    let error = plugin
        .deliver(fax_event("e1", FaxJobState::Sent, 1))
        .await
        .expect_err("denied");
    assert_eq!(error.code, ErrorCode::Denied, "{error}");
    assert!(plugin.host.fetched().is_empty());
    let denied = plugin.host.denied();
    assert_eq!(denied.len(), 1, "a denial is not retried: {denied:?}");
    assert_eq!(denied[0].method, "http.fetch");
}

#[tokio::test]
async fn a_missing_url_is_an_invalid_config_error_naming_the_key() {
    let plugin = start(
        Path::new(PLUGIN),
        &manifest(Path::new(env!("CARGO_MANIFEST_DIR"))),
        vec![],
    )
    .await;
    let error = plugin
        .deliver(fax_event("e1", FaxJobState::Sent, 1))
        .await
        .expect_err("no url");
    assert_eq!(error.code, ErrorCode::Invalid);
    assert!(error.message.contains("config url: not set"), "{error}");
}
