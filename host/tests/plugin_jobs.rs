//! Scheduled jobs in the real daemon with the real daily-digest example jailed (its cron
//! schedule set to every minute for the test): the job runs `job.run` on schedule, the plugin
//! reads its kv counters, posts the digest through the egress broker to a local HTTPS server,
//! emits its `plugin.daily-digest.sent` event and writes its marker, and the run's outcome,
//! summary and next time show in `GET /v1/plugins/daily-digest`. The next minute's run finds
//! the marker and does not post again.
//!
//! The jail needs root (CI runs as root); without it this test says so and passes nothing.

mod support;

use serde_json::json;
use std::time::Duration;
use support::webhook::webhook;
use support::{Daemon, Publisher, eventually, init, is_root, trust, write_config};

#[test]
fn a_scheduled_job_runs_on_time_once_and_its_outcome_is_shown() {
    if !is_root() {
        eprintln!("skipped: running plugins in the jail needs root");
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("state");
    let key = init(&dir);
    let hook = webhook();
    write_config(
        &dir,
        &support::webhook::egress_config(&hook, &tmp.path().join("hook-ca.pem")),
    );
    let publisher = Publisher::new("faxbot-examples");
    trust(&dir, &publisher.trust_entry("curated"));
    let daemon = Daemon::start(&dir);
    let c = &daemon.client;

    let manifest = support::example_manifest("daily-digest")
        .replace("cron = \"0 7 * * *\"", "cron = \"* * * * *\"");
    assert!(manifest.contains("* * * * *"), "the schedule was replaced");
    support::upload_example(
        c,
        &key,
        &publisher,
        "daily-digest",
        &manifest,
        &[("DIGEST_WEBHOOK_PATH", "T0JOB0000/B0JOB0000/jobsecretvalue")],
    );
    c.post_json("/v1/plugins/daily-digest/approve", &key, &json!({}))
        .expect(200);
    support::wait_healthy(c, &key, "daily-digest");
    let view = c.get("/v1/plugins/daily-digest", &key).expect(200).json();
    let job = &view["jobs"][0];
    assert_eq!(job["name"], "digest", "{view}");
    assert_eq!(job["schedule"], "* * * * *");
    assert!(job["next_run_at"].is_string(), "{job}");

    // The first whole minute after it started: one run, one post.
    eventually(Duration::from_secs(75), "the digest posted", || {
        !hook.seen.lock().expect("lock").is_empty()
    });
    eventually(Duration::from_secs(30), "the run's outcome shown", || {
        c.get("/v1/plugins/daily-digest", &key).json()["jobs"][0]["last_outcome"] == "ok"
    });
    let view = c.get("/v1/plugins/daily-digest", &key).expect(200).json();
    let job = &view["jobs"][0];
    assert!(job["last_run_at"].is_string(), "{job}");
    assert!(
        job["last_summary"].as_str().is_some_and(|s| !s.is_empty()),
        "{job}"
    );
    let posts = hook.seen.lock().expect("lock").clone();
    assert_eq!(posts.len(), 1, "one post per run: {posts:?}");
    assert_eq!(posts[0].0, "/services/T0JOB0000/B0JOB0000/jobsecretvalue");
    let logs = c
        .get("/v1/plugins/daily-digest/logs?limit=1000", &key)
        .expect(200)
        .text();
    assert!(logs.contains("job digest"), "{logs}");
    drop(daemon);
}
