//! daily-digest through the real supervisor session, with the grants its manifest asks for
//! checked by faxbot-policy.

use faxbot_example_testkit::{Running, fax_event, manifest, start};
use faxbot_plugin_abi::event::FaxJobState;
use faxbot_plugin_abi::{ErrorCode, Value};
use std::path::Path;
use std::time::Duration;

const PLUGIN: &str = env!("CARGO_BIN_EXE_faxbot-example-daily-digest");
const DAY: u64 = 86_400_000;
/// 2026-12-01 00:00 UTC.
const DEC_1: u64 = 20_788 * DAY;

async fn plugin() -> Running {
    start(
        Path::new(PLUGIN),
        &manifest(Path::new(env!("CARGO_MANIFEST_DIR"))),
        vec![],
    )
    .await
}

async fn feed(plugin: &Running) {
    let events = [
        ("a", FaxJobState::Delivered, DEC_1 + 1_000),
        ("b", FaxJobState::Delivered, DEC_1 + 2_000),
        ("c", FaxJobState::Failed, DEC_1 + 3_000),
        ("d", FaxJobState::Delivered, DEC_1 + DAY + 5), // the next day
    ];
    for (id, state, at) in events {
        plugin
            .deliver(fax_event(id, state, at))
            .await
            .expect("counted");
    }
}

fn posted_text(plugin: &Running, n: usize) -> String {
    let body = &plugin.host.fetched()[n].body;
    let json: serde_json::Value = serde_json::from_slice(body).expect("JSON");
    json["text"].as_str().expect("text").to_owned()
}

#[tokio::test]
async fn the_digest_posts_yesterdays_totals_once_and_clears_them() {
    let plugin = plugin().await;
    feed(&plugin).await;
    let run_at = DEC_1 + DAY + 7 * 3_600_000; // 2026-12-02 07:00
    let summary = plugin
        .job("digest", run_at, Duration::from_secs(10))
        .await
        .expect("digest runs");
    let expected = "Fax digest for 2026-12-01: 3 events (delivered 2, failed 1)";
    assert_eq!(summary.as_deref(), Some(expected));
    assert_eq!(plugin.host.fetched().len(), 1);
    assert_eq!(
        plugin.host.fetched()[0].url,
        "https://hooks.slack.com/services/{secret:DIGEST_WEBHOOK_PATH}"
    );
    assert_eq!(posted_text(&plugin, 0), expected);
    let emitted = plugin.host.emitted.lock().expect("emitted").clone();
    assert_eq!(emitted.len(), 1);
    assert_eq!(emitted[0].topic, "plugin.daily-digest.sent");
    assert!(
        emitted[0]
            .fields
            .contains(&("events".to_owned(), Value::Int(3)))
    );
    let keys = plugin.host.kv_keys();
    assert!(
        keys.iter().all(|k| !k.starts_with("count:20788:")),
        "the day's counters are cleared: {keys:?}"
    );
    assert!(
        keys.iter().any(|k| k.starts_with("count:20789:")),
        "{keys:?}"
    );

    let again = plugin
        .job("digest", run_at + 60_000, Duration::from_secs(10))
        .await
        .expect("re-run");
    assert_eq!(
        again.as_deref(),
        Some("digest for 2026-12-01 was already sent")
    );
    assert_eq!(plugin.host.fetched().len(), 1, "posted once a day");
    assert!(
        plugin.host.denied().is_empty(),
        "{:?}",
        plugin.host.denied()
    );
}

#[tokio::test]
async fn a_failed_post_keeps_the_counters_for_the_next_run() {
    let plugin = plugin().await;
    feed(&plugin).await;
    plugin.host.http.answer(&[400]);
    let run_at = DEC_1 + DAY + 7 * 3_600_000;
    let error = plugin
        .job("digest", run_at, Duration::from_secs(10))
        .await
        .expect_err("the webhook refuses");
    assert_eq!(error.code, ErrorCode::Invalid, "{error}");
    assert!(plugin.host.kv_text("count:20788:delivered").is_some());
    let summary = plugin
        .job("digest", run_at + 60_000, Duration::from_secs(10))
        .await
        .expect("the next run posts");
    assert!(summary.is_some_and(|s| s.contains("3 events")));
}

#[tokio::test]
async fn tracing_events_reach_the_hosts_log() {
    let plugin = plugin().await;
    plugin
        .job("digest", DEC_1, Duration::from_secs(10))
        .await
        .expect("an empty digest");
    let mut found = false;
    for _ in 0..100 {
        found = plugin.host.log_records().iter().any(|r| {
            r.message == "digest sent"
                && r.fields
                    .contains(&("day".to_owned(), "2026-11-30".to_owned()))
        });
        if found {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(found, "{:?}", plugin.host.log_records());
}
