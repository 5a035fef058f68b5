//! status-route through the real supervisor session, with the grants its manifest asks for.

use faxbot_example_testkit::{fax_event, manifest, start};
use faxbot_plugin_abi::event::FaxJobState;
use std::path::Path;

const PLUGIN: &str = env!("CARGO_BIN_EXE_faxbot-example-status-route");

fn here() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_manifest_is_valid_and_names_the_binary() {
    let manifest = manifest(here());
    assert_eq!(manifest.id, "status-route");
    assert_eq!(manifest.version.to_string(), env!("CARGO_PKG_VERSION"));
    assert_eq!(manifest.entry, "bin/faxbot-example-status-route");
}

#[tokio::test]
async fn status_counts_the_fax_events_seen_by_state() {
    let plugin = start(Path::new(PLUGIN), &manifest(here()), vec![]).await;
    plugin
        .deliver(fax_event("1", FaxJobState::Sent, 1_000))
        .await
        .expect("deliver");
    plugin
        .deliver(fax_event("2", FaxJobState::Sent, 3_000))
        .await
        .expect("deliver");
    plugin
        .deliver(fax_event("3", FaxJobState::Failed, 2_000))
        .await
        .expect("deliver");
    let response = plugin.route("GET", "/status", "").await.expect("served");
    assert_eq!(response.status, 200);
    let body: serde_json::Value = serde_json::from_slice(&response.body).expect("JSON");
    assert_eq!(body["plugin"], "status-route");
    assert_eq!(body["status"], "ok");
    assert_eq!(body["events"]["sent"], 2);
    assert_eq!(body["events"]["failed"], 1);
    assert_eq!(body["events"]["delivered"], 0);
    assert_eq!(body["last_event_at_ms"], 3_000);
    assert!(
        plugin.host.denied().is_empty(),
        "{:?}",
        plugin.host.denied()
    );
}

#[tokio::test]
async fn job_status_looks_the_job_up_and_needs_an_id() {
    let plugin = start(Path::new(PLUGIN), &manifest(here()), vec![]).await;
    let response = plugin
        .route("GET", "/status/job", "id=job-9")
        .await
        .expect("served");
    assert_eq!(response.status, 200);
    let body: serde_json::Value = serde_json::from_slice(&response.body).expect("JSON");
    assert_eq!(body["job_id"], "job-9");
    assert_eq!(body["state"], "delivered");
    let missing = plugin
        .route("GET", "/status/job", "")
        .await
        .expect("served");
    assert_eq!(missing.status, 400);
    let wrong = plugin.route("POST", "/status", "").await.expect("served");
    assert_eq!(wrong.status, 405);
}

#[test]
fn started_by_hand_it_explains_itself() {
    let output = std::process::Command::new(PLUGIN).output().expect("runs");
    assert_eq!(output.status.code(), Some(64));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("status-route 0.1.0 is a faxbot plugin"),
        "{stderr}"
    );
    assert!(stderr.contains("route   GET /status"), "{stderr}");
}
