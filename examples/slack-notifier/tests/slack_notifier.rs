//! slack-notifier through the real supervisor session, with the grants its manifest asks
//! for checked by faxbot-policy (egress allowlist, secret, kv quota).

use faxbot_example_testkit::{Running, fax_event, manifest, start};
use faxbot_plugin_abi::event::FaxJobState;
use faxbot_plugin_abi::{ErrorCode, Value};
use std::path::Path;

const PLUGIN: &str = env!("CARGO_BIN_EXE_faxbot-example-slack-notifier");

async fn plugin(config: Vec<(String, Value)>) -> Running {
    start(
        Path::new(PLUGIN),
        &manifest(Path::new(env!("CARGO_MANIFEST_DIR"))),
        config,
    )
    .await
}

fn text(body: &[u8]) -> String {
    let json: serde_json::Value = serde_json::from_slice(body).expect("JSON body");
    json["text"].as_str().expect("text field").to_owned()
}

#[tokio::test]
async fn a_job_event_is_posted_to_the_webhook_named_by_its_secret() {
    let plugin = plugin(vec![]).await;
    plugin
        .deliver(fax_event("e1", FaxJobState::Delivered, 1))
        .await
        .expect("delivered");
    let fetched = plugin.host.fetched();
    assert_eq!(fetched.len(), 1);
    let post = &fetched[0];
    assert_eq!(post.method, "POST");
    assert_eq!(
        post.url,
        "https://hooks.slack.com/services/{secret:SLACK_WEBHOOK_PATH}"
    );
    assert!(
        post.headers
            .contains(&("Content-Type".to_owned(), "application/json".to_owned()))
    );
    assert_eq!(
        text(&post.body),
        "Fax job job-e1 delivered via test, 3 pages"
    );
    assert!(
        !String::from_utf8_lossy(&post.body).contains("rt-5f1c"),
        "the remote party's token never leaves in a message"
    );
    assert!((plugin.host.counter("messages_posted") - 1.0).abs() < f64::EPSILON);
    assert!(
        plugin.host.denied().is_empty(),
        "{:?}",
        plugin.host.denied()
    );
}

#[tokio::test]
async fn transient_failures_are_retried_with_backoff_until_slack_accepts() {
    let plugin = plugin(vec![]).await;
    plugin.host.http.answer(&[503, 429]);
    plugin
        .deliver(fax_event("e1", FaxJobState::Failed, 1))
        .await
        .expect("delivered on the third try");
    let fetched = plugin.host.fetched();
    assert_eq!(fetched.len(), 3);
    assert_eq!(
        text(&fetched[2].body),
        "Fax job job-e1 failed via test, 3 pages (reason: busy)"
    );
}

#[tokio::test]
async fn when_every_try_fails_the_event_fails_for_redelivery() {
    let plugin = plugin(vec![("max_attempts".into(), Value::Int(2))]).await;
    plugin.host.http.answer(&[500, 502, 503]);
    let error = plugin
        .deliver(fax_event("e1", FaxJobState::Sent, 1))
        .await
        .expect_err("Slack is down");
    assert_eq!(error.code, ErrorCode::Unavailable, "{error}");
    assert_eq!(plugin.host.fetched().len(), 2);
    assert!((plugin.host.counter("post_failures") - 1.0).abs() < f64::EPSILON);
    // The host redelivers; this time Slack answers.
    plugin
        .deliver(fax_event("e1", FaxJobState::Sent, 1))
        .await
        .expect("redelivery posts");
    assert_eq!(plugin.host.fetched().len(), 4);
}

#[tokio::test]
async fn a_refusal_by_slack_is_not_retried() {
    let plugin = plugin(vec![]).await;
    plugin.host.http.answer(&[404]);
    let error = plugin
        .deliver(fax_event("e1", FaxJobState::Sent, 1))
        .await
        .expect_err("refused");
    assert_eq!(error.code, ErrorCode::Invalid, "{error}");
    assert_eq!(plugin.host.fetched().len(), 1);
}

#[tokio::test]
async fn a_redelivered_event_is_not_posted_twice() {
    let plugin = plugin(vec![]).await;
    for _ in 0..3 {
        plugin
            .deliver(fax_event("same", FaxJobState::Delivered, 1))
            .await
            .expect("delivered");
    }
    plugin
        .deliver(fax_event("other", FaxJobState::Delivered, 1))
        .await
        .expect("delivered");
    assert_eq!(plugin.host.fetched().len(), 2);
}

#[tokio::test]
async fn only_the_states_the_admin_chose_are_posted() {
    let plugin = plugin(vec![(
        "notify_on".into(),
        Value::List(vec![Value::from("failed")]),
    )])
    .await;
    plugin
        .deliver(fax_event("e1", FaxJobState::Delivered, 1))
        .await
        .expect("delivered");
    plugin
        .deliver(fax_event("e2", FaxJobState::Failed, 1))
        .await
        .expect("delivered");
    let fetched = plugin.host.fetched();
    assert_eq!(fetched.len(), 1);
    assert!(text(&fetched[0].body).contains("failed"));
}
