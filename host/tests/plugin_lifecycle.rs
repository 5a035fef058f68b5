//! The plugin lifecycle end to end against the real daemon on loopback, with a real example
//! plugin (status-route) signed by a key the test makes: upload → review → approve → it runs
//! jailed → stop → start → upgrade with a widened grant waits → revoke the key → it stops.
//! Plus four-eyes, narrower and wider grants, expiry, reject, downgrade, uninstall with purge,
//! and the restart of approved plugins when the daemon starts again.
//!
//! The jail needs root (CI runs as root); without it these tests say so and pass nothing.

mod support;

use serde_json::json;
use std::time::Duration;
use support::{
    Daemon, Publisher, eventually, init, is_root, jailed_plugins, status_route_package,
    tiny_package, trust, write_config,
};

const RUNNING: Duration = Duration::from_secs(30);

struct Setup {
    _tmp: tempfile::TempDir,
    dir: std::path::PathBuf,
    key: String,
    publisher: Publisher,
}

fn setup(config: &str) -> Setup {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("state");
    let key = init(&dir);
    write_config(&dir, config);
    let publisher = Publisher::new("faxbot-examples");
    trust(&dir, &publisher.trust_entry("curated"));
    Setup {
        _tmp: tmp,
        dir,
        key,
        publisher,
    }
}

fn skip_without_root() -> bool {
    if is_root() {
        return false;
    }
    eprintln!("skipped: running plugins in the jail needs root");
    true
}

fn running(view: &serde_json::Value) -> bool {
    view["state"] == "running" && view["health"] == "healthy"
}

#[test]
fn upload_review_approve_run_jailed_stop_upgrade_waits_and_revoking_the_key_stops_it() {
    if skip_without_root() {
        return;
    }
    let s = setup("");
    let daemon = Daemon::start(&s.dir);
    let c = &daemon.client;

    // Upload: verified before anything is written; answered with a review.
    let (fxp, sig, digest) = status_route_package(&s.publisher, "0.1.0", "");
    let uploaded = c.upload(&s.key, "", &fxp, &sig).expect(201).json();
    assert_eq!(uploaded["id"], "status-route");
    assert_eq!(uploaded["state"], "pending_approval");
    let review = &uploaded["review"];
    assert_eq!(review["version"], "0.1.0");
    assert_eq!(review["digest"], digest);
    assert_eq!(review["publisher"], "faxbot-examples");
    assert_eq!(review["key"], s.publisher.fingerprint());
    assert_eq!(review["tier"], "curated");
    assert_eq!(review["scheme"], "ed25519");
    assert_eq!(
        review["manifest"]["entry"],
        "bin/faxbot-example-status-route"
    );
    let requested = review["requested"].as_array().expect("requested");
    assert!(requested.iter().any(|r| {
        r["name"] == "routes"
            && r["summary"]
                .as_str()
                .is_some_and(|s| s.contains("/ext/status-route"))
    }));
    assert!(
        requested
            .iter()
            .all(|r| ["low", "medium", "high"].contains(&r["risk"].as_str().unwrap_or("")))
    );
    assert!(
        jailed_plugins(daemon.pid()).is_empty(),
        "nothing runs before approval"
    );

    // Approve everything requested: it runs, jailed.
    let approved = c
        .post("/v1/plugins/status-route/approve", &s.key)
        .expect(200)
        .json();
    assert_eq!(approved["version"], "0.1.0");
    assert!(
        approved["granted"]
            .as_array()
            .is_some_and(|g| g.len() == requested.len())
    );
    let view = c.wait_for(&s.key, "status-route", RUNNING, "running", running);
    assert!(
        view["metrics"]["memory_bytes"]
            .as_u64()
            .is_some_and(|m| m > 0),
        "its cgroup is read: {view}"
    );
    let jailed = jailed_plugins(daemon.pid());
    assert!(
        !jailed.is_empty(),
        "a plugin process runs unprivileged with no_new_privs and seccomp under the daemon"
    );
    assert!(
        support::descendants(daemon.pid())
            .iter()
            .any(|p| p.comm.starts_with("faxbot-jail")),
        "through faxbot-jail"
    );

    // Stop, then start again.
    let stopped = c
        .post("/v1/plugins/status-route/stop", &s.key)
        .expect(200)
        .json();
    assert_eq!(stopped["state"], "stopped");
    eventually(Duration::from_secs(10), "stopped", || {
        jailed_plugins(daemon.pid()).is_empty()
    });
    c.post("/v1/plugins/status-route/start", &s.key).expect(200);
    c.wait_for(&s.key, "status-route", RUNNING, "running again", running);
    c.post("/v1/plugins/status-route/start", &s.key)
        .expect_error(409, "already_running");

    // An upgrade that asks for more waits; the old version keeps running.
    let (fxp2, sig2, _) = status_route_package(
        &s.publisher,
        "0.2.0",
        "egress = [\"https://hooks.example.com/services/*\"]",
    );
    let upgrade = c.upload(&s.key, "", &fxp2, &sig2).expect(201).json();
    assert_eq!(upgrade["version"], "0.1.0");
    assert_eq!(upgrade["pending_version"], "0.2.0");
    assert_eq!(upgrade["state"], "running");
    let diff = &upgrade["review"]["upgrade"];
    assert_eq!(diff["from_version"], "0.1.0");
    assert_eq!(diff["needs_reapproval"], true);
    assert!(
        diff["new"]
            .as_array()
            .is_some_and(|n| n.len() == 1 && n[0]["name"] == "http.egress"),
        "{diff}"
    );
    assert!(!jailed_plugins(daemon.pid()).is_empty(), "0.1.0 still runs");

    // Revoke the publisher's key: the running plugin stops within seconds.
    let revoked = c
        .post_json(
            "/v1/trust/revocations",
            &s.key,
            &json!({"key": s.publisher.fingerprint(), "reason": "test"}),
        )
        .expect(200)
        .json();
    assert_eq!(revoked["stopped"], json!(["status-route"]));
    eventually(
        Duration::from_secs(10),
        "stopped after the revocation",
        || jailed_plugins(daemon.pid()).is_empty(),
    );
    let view = c.get("/v1/plugins/status-route", &s.key).expect(200).json();
    assert_eq!(view["state"], "disabled", "{view}");
    assert!(
        view["reason"]
            .as_str()
            .is_some_and(|r| r.contains("revoked")),
        "{view}"
    );
    // The pending upgrade cannot be approved either, and a start is refused.
    c.post("/v1/plugins/status-route/approve", &s.key)
        .expect_error(409, "package_untrusted");
    c.post("/v1/plugins/status-route/start", &s.key)
        .expect_error(409, "start_failed");
    let trust_file = std::fs::read_to_string(s.dir.join("trust.toml")).expect("trust");
    assert!(
        trust_file.contains(&s.publisher.fingerprint()),
        "written to trust.toml"
    );

    // Every step is in the audit trail.
    let audit = c
        .get("/v1/audit?plugin=status-route&limit=1000", &s.key)
        .expect(200)
        .json();
    let actions: Vec<&str> = audit["records"]
        .as_array()
        .expect("records")
        .iter()
        .filter_map(|r| r["action"].as_str())
        .collect();
    for action in [
        "plugin.upload",
        "plugin.approve",
        "plugin.stop",
        "plugin.start",
        "plugin.upgrade.uploaded",
        "plugin.disable",
    ] {
        assert!(actions.contains(&action), "{action} not in {actions:?}");
    }
}

#[test]
fn four_eyes_needs_two_approvers_neither_the_uploader() {
    if skip_without_root() {
        return;
    }
    let s = setup("[approvals]\nfour_eyes = true\n");
    let daemon = Daemon::start(&s.dir);
    let c = &daemon.client;
    let approver = |name: &str| {
        c.post_json(
            "/v1/keys",
            &s.key,
            &json!({"name": name, "scopes": ["plugins:approve", "plugins:read"]}),
        )
        .expect(201)
        .json()["key"]
            .as_str()
            .expect("key")
            .to_owned()
    };
    let (a, b) = (approver("alice"), approver("bob"));
    let (fxp, sig, _) = status_route_package(&s.publisher, "0.1.0", "");
    let uploaded = c.upload(&s.key, "", &fxp, &sig).expect(201).json();
    assert_eq!(uploaded["review"]["approvals_required"], 2);
    c.post("/v1/plugins/status-route/approve", &s.key)
        .expect_error(403, "forbidden");
    let first = c
        .post("/v1/plugins/status-route/approve", &a)
        .expect(200)
        .json();
    assert_eq!(first["state"], "pending_approval");
    assert_eq!(
        first["review"]["approvals"].as_array().map(Vec::len),
        Some(1)
    );
    c.post("/v1/plugins/status-route/approve", &a)
        .expect_error(409, "already_approved");
    c.post_json(
        "/v1/plugins/status-route/approve",
        &b,
        &json!({"grants": {"kv_quota": "1KiB"}}),
    )
    .expect_error(409, "approval_mismatch");
    c.post("/v1/plugins/status-route/approve", &b).expect(200);
    c.wait_for(&s.key, "status-route", RUNNING, "running", running);
}

#[test]
fn an_approval_may_narrow_the_grants_never_widen_them_and_may_expire() {
    if skip_without_root() {
        return;
    }
    let s = setup("");
    let daemon = Daemon::start(&s.dir);
    let c = &daemon.client;
    let (fxp, sig, _) = status_route_package(&s.publisher, "0.1.0", "");
    c.upload(&s.key, "", &fxp, &sig).expect(201);
    c.post_json(
        "/v1/plugins/status-route/approve",
        &s.key,
        &json!({"grants": {"egress": ["https://evil.example.com/*"]}}),
    )
    .expect_error(422, "grant_not_requested");
    c.post_json(
        "/v1/plugins/status-route/approve",
        &s.key,
        &json!({"grants": {"kv_quota": "64KiB"}}),
    )
    .expect_error(422, "grant_not_requested");
    c.post_json(
        "/v1/plugins/status-route/approve",
        &s.key,
        &json!({"grants": {"routes": ["/status"]}, "expires_at": "1999-01-01T00:00:00Z"}),
    )
    .expect_error(422, "invalid_expiry");
    let expires = faxbot_api::time::format_ms(faxbot_api::time::now_ms() + 2500);
    let view = c
        .post_json(
            "/v1/plugins/status-route/approve",
            &s.key,
            &json!({"grants": [{"kind": "route", "value": "/status"}, {"kind": "kv_quota", "value": 8192}], "expires_at": expires}),
        )
        .expect(200)
        .json();
    let granted = view["granted"].as_array().expect("granted");
    assert_eq!(granted.len(), 2, "{view}");
    assert!(
        granted
            .iter()
            .all(|g| g["live"] == true && g["expires_at"].is_string())
    );
    c.wait_for(&s.key, "status-route", RUNNING, "running", running);
    // At the expiry the grants stop and the expiry is audited.
    let view = c.wait_for(
        &s.key,
        "status-route",
        Duration::from_secs(15),
        "expired",
        |v| {
            v["granted"]
                .as_array()
                .is_some_and(|g| g.iter().all(|g| g["live"] == false))
        },
    );
    assert_eq!(view["version"], "0.1.0");
    support::eventually(Duration::from_secs(10), "expiry audited", || {
        c.get("/v1/audit?action=plugin.grant.expired", &s.key)
            .json()["matched"]
            .as_u64()
            >= Some(1)
    });
}

#[test]
fn reject_downgrade_and_uninstall_with_purge() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("state");
    let key = init(&dir);
    let publisher = Publisher::new("acme");
    trust(&dir, &publisher.trust_entry("curated"));
    let daemon = Daemon::start(&dir);
    let c = &daemon.client;

    // A rejected first install disappears with its files.
    let (fxp, sig, _) = tiny_package(&publisher, "tiny", "1.0.0", true);
    c.upload(&key, "", &fxp, &sig).expect(201);
    let rejected = c
        .post_json(
            "/v1/plugins/tiny/reject",
            &key,
            &json!({"reason": "not needed"}),
        )
        .expect(200)
        .json();
    assert_eq!(rejected["status"], "rejected");
    c.get("/v1/plugins/tiny", &key)
        .expect_error(404, "not_found");
    assert!(!dir.join("plugins/tiny").exists(), "its files are gone");

    // Installed without starting; then a same-or-narrower upgrade applies at once.
    c.upload(&key, "", &fxp, &sig).expect(201);
    let approved = c
        .post_json("/v1/plugins/tiny/approve", &key, &json!({"start": false}))
        .expect(200)
        .json();
    assert_eq!(approved["state"], "approved");
    c.upload(&key, "", &fxp, &sig)
        .expect_error(409, "version_installed");
    let (fxp2, sig2, digest2) = tiny_package(&publisher, "tiny", "1.1.0", true);
    let upgraded = c.upload(&key, "", &fxp2, &sig2).expect(201).json();
    assert_eq!(
        upgraded["version"], "1.1.0",
        "nothing new asked: applied at once"
    );
    assert_eq!(upgraded["digest"], digest2);
    assert!(upgraded.get("pending_version").is_none());

    // A downgrade is refused unless forced with a reason.
    c.upload(&key, "", &fxp, &sig)
        .expect_error(409, "downgrade_refused");
    c.upload(&key, "?force=true", &fxp, &sig)
        .expect_error(409, "downgrade_refused");
    let forced = c
        .upload(
            &key,
            "?force=true&reason=rollback%20after%20bug",
            &fxp,
            &sig,
        )
        .expect(201)
        .json();
    assert_eq!(forced["pending_version"], "1.0.0");
    assert_eq!(forced["review"]["note"], "rollback after bug");
    // Rejecting the downgrade keeps 1.1.0.
    let kept = c.post("/v1/plugins/tiny/reject", &key).expect(200).json();
    assert_eq!(kept["plugin"]["version"], "1.1.0");

    // Uninstall with purge: gone, files and all.
    c.delete("/v1/plugins/tiny?purge=true", &key).expect(204);
    c.get("/v1/plugins/tiny", &key)
        .expect_error(404, "not_found");
    let left: Vec<_> = std::fs::read_dir(dir.join("plugins"))
        .expect("area")
        .filter_map(Result::ok)
        .filter(|e| e.file_name() != ".staging")
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_package_the_trust_store_refuses_is_422_and_nothing_is_written() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("state");
    let key = init(&dir);
    let trusted = Publisher::new("acme");
    let community = Publisher::new("someone");
    trust(&dir, &trusted.trust_entry("curated"));
    trust(&dir, &community.trust_entry("community"));
    let daemon = Daemon::start(&dir);
    let c = &daemon.client;
    let stranger = Publisher::new("acme");
    let (fxp, sig, _) = tiny_package(&stranger, "tiny", "1.0.0", true);
    let refused = c
        .upload(&key, "", &fxp, &sig)
        .expect_error(422, "package_untrusted")
        .json();
    assert!(
        refused["message"]
            .as_str()
            .expect("m")
            .contains("not in the trust store"),
        "{refused}"
    );
    let (fxp, sig, _) = tiny_package(&community, "tiny", "1.0.0", true);
    let refused = c
        .upload(&key, "", &fxp, &sig)
        .expect_error(422, "package_untrusted")
        .json();
    assert!(
        refused["message"].as_str().expect("m").contains("tier"),
        "{refused}"
    );
    let (fxp, _, _) = tiny_package(&trusted, "tiny", "1.0.0", true);
    let (_, other_sig, _) = tiny_package(&trusted, "tiny", "1.0.1", true);
    c.upload(&key, "", &fxp, &other_sig)
        .expect_error(422, "package_untrusted");
    c.upload(&key, "", b"not a package", &other_sig)
        .expect_error(422, "package_invalid");
    c.upload(&key, "", &fxp, b"garbage")
        .expect_error(422, "signature_invalid");
    assert_eq!(c.get("/v1/plugins", &key).json()["plugins"], json!([]));
    let entries: Vec<_> = std::fs::read_dir(dir.join("plugins"))
        .expect("area")
        .filter_map(Result::ok)
        .filter(|e| e.file_name() != ".staging")
        .collect();
    assert!(entries.is_empty(), "nothing written: {entries:?}");
    let denied = c
        .get("/v1/audit?action=plugin.upload&outcome=denied", &key)
        .json();
    assert!(denied["matched"].as_u64() >= Some(5), "{denied}");
}

#[test]
fn approved_plugins_run_again_when_the_daemon_restarts_and_stopped_ones_do_not() {
    if skip_without_root() {
        return;
    }
    let s = setup("");
    let daemon = Daemon::start(&s.dir);
    let (fxp, sig, _) = status_route_package(&s.publisher, "0.1.0", "");
    daemon.client.upload(&s.key, "", &fxp, &sig).expect(201);
    daemon
        .client
        .post("/v1/plugins/status-route/approve", &s.key)
        .expect(200);
    daemon
        .client
        .wait_for(&s.key, "status-route", RUNNING, "running", running);
    let pid = daemon.pid();
    assert!(daemon.stop().success());
    assert!(jailed_plugins(pid).is_empty());

    let daemon = Daemon::start(&s.dir);
    daemon.client.wait_for(
        &s.key,
        "status-route",
        RUNNING,
        "running after the restart",
        running,
    );
    assert!(!jailed_plugins(daemon.pid()).is_empty());
    daemon
        .client
        .post("/v1/plugins/status-route/stop", &s.key)
        .expect(200);
    assert!(daemon.stop().success());

    let daemon = Daemon::start(&s.dir);
    std::thread::sleep(Duration::from_millis(500));
    let view = daemon.client.get("/v1/plugins/status-route", &s.key).json();
    assert_eq!(view["state"], "stopped", "{view}");
    assert!(jailed_plugins(daemon.pid()).is_empty());
}

#[test]
fn plugin_logs_are_served_redacted_and_paged() {
    if skip_without_root() {
        return;
    }
    let s = setup("");
    let daemon = Daemon::start(&s.dir);
    let c = &daemon.client;
    let (fxp, sig, _) = status_route_package(&s.publisher, "0.1.0", "");
    c.upload(&s.key, "", &fxp, &sig).expect(201);
    c.post("/v1/plugins/status-route/approve", &s.key)
        .expect(200);
    c.wait_for(&s.key, "status-route", RUNNING, "running", running);
    let page = c
        .get("/v1/plugins/status-route/logs?after=0&limit=5", &s.key)
        .expect(200)
        .json();
    assert!(page["lines"].is_array(), "{page}");
    assert!(page["next_after"].is_u64(), "{page}");
    c.get("/v1/plugins/status-route/logs?bogus=1", &s.key)
        .expect_error(422, "invalid_query");
}

#[test]
fn a_crash_looping_plugin_is_quarantined_with_its_exit_reason_and_the_daemon_keeps_serving() {
    if skip_without_root() {
        return;
    }
    let s = setup("[plugins]\nmax_crashes = 2\nrestart_window_secs = 60\n");
    let daemon = Daemon::start(&s.dir);
    let c = &daemon.client;
    // The entry is a shell script: the jail executes only the verified binary itself, so it
    // fails at once, every time.
    let publisher = &s.publisher;
    let (fxp, sig, _) = publisher.package(
        "id = \"crashy\"\nname = \"Crashy\"\nversion = \"1.0.0\"\npublisher = \"faxbot-examples\"\nhipaa_compliant = true\n\
         min_core_version = \"0.1.0\"\nentry = \"bin/run\"\n",
        &[("bin/run", b"#!/bin/sh\nexit 3\n", true)],
    );
    c.upload(&s.key, "", &fxp, &sig).expect(201);
    c.post("/v1/plugins/crashy/approve", &s.key).expect(200);
    let view = c.wait_for(
        &s.key,
        "crashy",
        Duration::from_secs(30),
        "quarantined",
        |v| v["state"] == "quarantined",
    );
    assert!(
        view["last_exit_reason"]
            .as_str()
            .is_some_and(|r| !r.is_empty()),
        "{view}"
    );
    assert!(view["restarts"].as_u64() >= Some(1), "{view}");
    c.get("/v1/whoami", &s.key).expect(200);
    let metrics = c.send("GET", "/metrics", None, None, b"").text();
    assert!(
        metrics.contains(r#"faxbot_plugins{state="quarantined"} 1"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"faxbot_plugin_restarts_total{plugin="crashy"}"#),
        "{metrics}"
    );
    c.post("/v1/plugins/crashy/start", &s.key)
        .expect_error(409, "start_failed");
    let cleared = c
        .post("/v1/plugins/crashy/quarantine/clear", &s.key)
        .expect(200)
        .json();
    assert_ne!(cleared["state"], "quarantined", "{cleared}");
    c.post("/v1/plugins/crashy/quarantine/clear", &s.key)
        .expect_error(409, "not_quarantined");
    c.wait_for(
        &s.key,
        "crashy",
        Duration::from_secs(30),
        "quarantined again",
        |v| v["state"] == "quarantined",
    );
}

#[test]
fn a_revocation_written_into_trust_toml_by_hand_applies_on_sighup() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("state");
    let key = init(&dir);
    let publisher = Publisher::new("acme");
    trust(&dir, &publisher.trust_entry("curated"));
    let daemon = Daemon::start(&dir);
    let c = &daemon.client;
    let (fxp, sig, digest) = tiny_package(&publisher, "tiny", "1.0.0", true);
    c.upload(&key, "", &fxp, &sig).expect(201);
    c.post_json("/v1/plugins/tiny/approve", &key, &json!({"start": false}))
        .expect(200);
    trust(&dir, &format!("\n[revoked]\npackages = [\"{digest}\"]\n"));
    daemon.signal(nix::sys::signal::Signal::SIGHUP);
    let view = c.wait_for(&key, "tiny", Duration::from_secs(10), "disabled", |v| {
        v["state"] == "disabled"
    });
    assert!(
        view["reason"]
            .as_str()
            .is_some_and(|r| r.contains("revoked")),
        "{view}"
    );
    let trust_view = c.get("/v1/trust", &key).expect(200).json();
    assert_eq!(trust_view["revoked_packages"], json!([digest]));
    // A trust store that no longer parses is not applied; the old one stays in force.
    trust(&dir, "[[key]]\nbogus = 1\n");
    daemon.signal(nix::sys::signal::Signal::SIGHUP);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        c.get("/v1/trust", &key).expect(200).json()["keys"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    assert!(
        daemon.stderr().contains("trust store not reloaded"),
        "{}",
        daemon.stderr()
    );
}
