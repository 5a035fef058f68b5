//! Fault injection: the daemon kills itself with SIGKILL (`FAXBOT_CRASH_AT`) at each step of
//! install, approve, upgrade and uninstall; restarted, it shows either the old state or the
//! new one, never a mix: every stored version's files are on disk and nothing else is, no
//! staging is left, and the store agrees with the files. A daemon killed while a plugin runs
//! leaves no plugin process behind, and starts exactly one again.

mod support;

use serde_json::json;
use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;
use support::{Daemon, Publisher, init, trust};

fn package(p: &Publisher, version: &str, extra: &str) -> (Vec<u8>, Vec<u8>, String) {
    let manifest = format!(
        "id = \"tiny\"\nname = \"Tiny\"\nversion = \"{version}\"\npublisher = \"{}\"\nhipaa_compliant = true\n\
         min_core_version = \"0.1.0\"\nentry = \"bin/run\"\n\n[capabilities]\nkv_quota = \"4KiB\"\n{extra}\n",
        p.name
    );
    p.package(&manifest, &[("bin/run", b"#!/bin/sh\nexit 0\n", true)])
}

/// The stored versions' file directories, read from the database itself.
fn stored_dirs(dir: &Path) -> BTreeSet<String> {
    let db = rusqlite::Connection::open(dir.join("state.db")).expect("db");
    let mut stmt = db
        .prepare("SELECT files_dir FROM plugin_versions")
        .expect("query");
    stmt.query_map([], |r| r.get::<_, String>(0))
        .expect("rows")
        .map(|r| r.expect("row"))
        .collect()
}

/// The version directories on disk, and whether staging is empty.
fn disk_dirs(dir: &Path) -> (BTreeSet<String>, usize) {
    let root = dir.join("plugins");
    let mut out = BTreeSet::new();
    let mut staging = 0;
    for plugin in std::fs::read_dir(&root)
        .expect("area")
        .filter_map(Result::ok)
    {
        let name = plugin.file_name().to_string_lossy().into_owned();
        if name == ".staging" {
            staging = std::fs::read_dir(plugin.path())
                .map(|d| d.count())
                .unwrap_or(0);
            continue;
        }
        for version in std::fs::read_dir(plugin.path())
            .expect("plugin dir")
            .filter_map(Result::ok)
        {
            out.insert(format!("{name}/{}", version.file_name().to_string_lossy()));
        }
    }
    (out, staging)
}

/// The store and the disk agree, with no leftovers.
fn assert_whole(dir: &Path, point: &str) {
    let stored = stored_dirs(dir);
    let (disk, staging) = disk_dirs(dir);
    assert_eq!(staging, 0, "{point}: staging left behind");
    assert_eq!(stored, disk, "{point}: the store and the files disagree");
}

struct Case {
    _tmp: tempfile::TempDir,
    dir: std::path::PathBuf,
    key: String,
    publisher: Publisher,
}

fn case(config: &str) -> Case {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("state");
    let key = init(&dir);
    support::write_config(&dir, config);
    let publisher = Publisher::new("acme");
    trust(&dir, &publisher.trust_entry("curated"));
    Case {
        _tmp: tmp,
        dir,
        key,
        publisher,
    }
}

/// Runs `action` on a daemon set to crash at `point`; asserts it died there.
fn crash_during(
    c: &Case,
    point: &str,
    action: impl FnOnce(&support::Client) -> Option<support::Response>,
) {
    let daemon = Daemon::start_with_env(&c.dir, &[("FAXBOT_CRASH_AT", point)]);
    let answer = action(&daemon.client);
    assert!(
        answer.is_none(),
        "{point}: expected the daemon to die mid-request, got {answer:?}"
    );
    let status = daemon.wait();
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(9),
        "{point}: killed by SIGKILL"
    );
}

fn upload(
    c: &support::Client,
    key: &str,
    pkg: &(Vec<u8>, Vec<u8>, String),
) -> Option<support::Response> {
    let (ct, body) =
        support::multipart(&[("package", "p.fxp", &pkg.0), ("signature", "p.sig", &pkg.1)]);
    c.send_opt("POST", "/v1/plugins", Some(key), Some(&ct), &body)
}

fn state_of(c: &support::Client, key: &str) -> Option<serde_json::Value> {
    let answer = c.get("/v1/plugins/tiny", key);
    match answer.status {
        404 => None,
        200 => Some(answer.json()),
        other => panic!("unexpected {other}: {}", answer.text()),
    }
}

#[test]
fn a_crash_at_each_step_of_an_install_leaves_nothing_or_the_whole_upload() {
    for (point, installed) in [
        ("install.staged", false),
        ("install.renamed", false),
        ("install.committed", true),
    ] {
        let c = case("");
        let pkg = package(&c.publisher, "1.0.0", "");
        crash_during(&c, point, |client| upload(client, &c.key, &pkg));
        let daemon = Daemon::start(&c.dir);
        assert_whole(&c.dir, point);
        match state_of(&daemon.client, &c.key) {
            None => assert!(!installed, "{point}: the upload was lost after its commit"),
            Some(view) => {
                assert!(installed, "{point}: half an install is visible: {view}");
                assert_eq!(view["state"], "pending_approval");
                assert_eq!(view["digest"], pkg.2);
            }
        }
        if !installed {
            upload(&daemon.client, &c.key, &pkg)
                .expect("answer")
                .expect(201);
            assert_whole(&c.dir, point);
        }
    }
}

#[test]
fn a_crash_during_an_approval_leaves_it_pending_or_approved() {
    // A partial (four-eyes) approval, and a completing one.
    let c = case("[approvals]\nfour_eyes = true\n");
    let approver = |d: &Daemon, name: &str| {
        d.client
            .post_json(
                "/v1/keys",
                &c.key,
                &json!({"name": name, "scopes": ["plugins:approve", "plugins:read"]}),
            )
            .expect(201)
            .json()["key"]
            .as_str()
            .expect("key")
            .to_owned()
    };
    let (a, b) = {
        let d = Daemon::start(&c.dir);
        upload(&d.client, &c.key, &package(&c.publisher, "1.0.0", ""))
            .expect("answer")
            .expect(201);
        (approver(&d, "a"), approver(&d, "b"))
    };
    crash_during(&c, "approve.recorded", |client| {
        client.send_opt(
            "POST",
            "/v1/plugins/tiny/approve",
            Some(&a),
            Some("application/json"),
            br#"{"start": false}"#,
        )
    });
    {
        let d = Daemon::start(&c.dir);
        assert_whole(&c.dir, "approve.recorded");
        let view = state_of(&d.client, &c.key).expect("installed");
        assert_eq!(view["state"], "pending_approval");
        assert_eq!(
            view["review"]["approvals"].as_array().map(Vec::len),
            Some(1),
            "the committed approval stays"
        );
    }
    crash_during(&c, "approve.committed", |client| {
        client.send_opt(
            "POST",
            "/v1/plugins/tiny/approve",
            Some(&b),
            Some("application/json"),
            br#"{"start": false}"#,
        )
    });
    let d = Daemon::start(&c.dir);
    assert_whole(&c.dir, "approve.committed");
    let view = state_of(&d.client, &c.key).expect("installed");
    assert_eq!(view["state"], "approved", "{view}");
    assert_eq!(view["version"], "1.0.0");
    assert!(view.get("pending_version").is_none());
}

#[test]
fn a_crash_during_an_upgrade_leaves_the_old_version_or_the_new_one() {
    for (point, extra, new_is_pending) in [
        ("upgrade.renamed", "fax_job_status = true", None),
        ("upgrade.committed", "fax_job_status = true", Some(true)),
        ("upgrade.renamed", "", None),
        ("upgrade.committed", "", Some(false)),
    ] {
        let c = case("");
        {
            let d = Daemon::start(&c.dir);
            upload(&d.client, &c.key, &package(&c.publisher, "1.0.0", ""))
                .expect("answer")
                .expect(201);
            d.client
                .post_json("/v1/plugins/tiny/approve", &c.key, &json!({"start": false}))
                .expect(200);
        }
        let v2 = package(&c.publisher, "2.0.0", extra);
        crash_during(&c, point, |client| upload(client, &c.key, &v2));
        let d = Daemon::start(&c.dir);
        let what = format!(
            "{point} ({})",
            if extra.is_empty() {
                "applied"
            } else {
                "needs approval"
            }
        );
        assert_whole(&c.dir, &what);
        let view = state_of(&d.client, &c.key).expect("installed");
        match new_is_pending {
            None => {
                assert_eq!(view["version"], "1.0.0", "{what}: {view}");
                assert!(view.get("pending_version").is_none(), "{what}: {view}");
            }
            Some(true) => {
                assert_eq!(view["version"], "1.0.0", "{what}: {view}");
                assert_eq!(view["pending_version"], "2.0.0", "{what}: {view}");
            }
            Some(false) => {
                assert_eq!(view["version"], "2.0.0", "{what}: {view}");
                assert_eq!(view["digest"], v2.2, "{what}");
            }
        }
    }
}

#[test]
fn a_crash_during_an_uninstall_leaves_the_plugin_or_nothing() {
    for (point, gone) in [("uninstall.stopped", false), ("uninstall.committed", true)] {
        let c = case("");
        {
            let d = Daemon::start(&c.dir);
            upload(&d.client, &c.key, &package(&c.publisher, "1.0.0", ""))
                .expect("answer")
                .expect(201);
            d.client
                .post_json("/v1/plugins/tiny/approve", &c.key, &json!({"start": false}))
                .expect(200);
        }
        crash_during(&c, point, |client| {
            client.send_opt(
                "DELETE",
                "/v1/plugins/tiny?purge=true",
                Some(&c.key),
                None,
                b"",
            )
        });
        let d = Daemon::start(&c.dir);
        assert_whole(&c.dir, point);
        let view = state_of(&d.client, &c.key);
        assert_eq!(view.is_none(), gone, "{point}: {view:?}");
        if let Some(view) = view {
            assert_eq!(view["state"], "approved", "{point}");
        }
    }
}

#[test]
fn a_daemon_killed_while_a_plugin_runs_leaves_no_plugin_process_and_restarts_one() {
    if !support::is_root() {
        eprintln!("skipped: running plugins in the jail needs root");
        return;
    }
    let c = case("");
    let publisher = Publisher::new("faxbot-examples");
    trust(&c.dir, &publisher.trust_entry("curated"));
    let daemon = Daemon::start(&c.dir);
    let (fxp, sig, _) = support::status_route_package(&publisher, "0.1.0", "");
    daemon.client.upload(&c.key, "", &fxp, &sig).expect(201);
    daemon
        .client
        .post("/v1/plugins/status-route/approve", &c.key)
        .expect(200);
    daemon.client.wait_for(
        &c.key,
        "status-route",
        Duration::from_secs(30),
        "running",
        |v| v["health"] == "healthy",
    );
    let before: Vec<i32> = support::descendants(daemon.pid())
        .iter()
        .map(|p| p.pid)
        .collect();
    assert!(!before.is_empty());
    daemon.kill();
    support::eventually(
        Duration::from_secs(10),
        "every jail and plugin process gone",
        || {
            before
                .iter()
                .all(|pid| !Path::new(&format!("/proc/{pid}")).exists())
        },
    );
    let daemon = Daemon::start(&c.dir);
    daemon.client.wait_for(
        &c.key,
        "status-route",
        Duration::from_secs(30),
        "running again",
        |v| v["health"] == "healthy",
    );
    let jails = support::descendants(daemon.pid())
        .into_iter()
        .filter(|p| p.comm.starts_with("faxbot-jail"))
        .count();
    assert!(jails >= 1, "one instance runs");
    assert_eq!(
        support::jailed_plugins(daemon.pid()).len(),
        1,
        "exactly one plugin process"
    );
}
