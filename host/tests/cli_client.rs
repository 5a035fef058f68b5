//! The admin CLI (`faxbot plugin|key|trust|tenant`) as a client of the real daemon: the
//! lifecycle again, every step through the CLI, with the key from a file or the environment.

mod support;

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};
use support::{Daemon, Publisher, init, status_route_package};

fn cli(daemon: &Daemon, key_file: &Path, args: &[&str]) -> Output {
    Command::new(support::FAXBOT)
        .args(args)
        .args(["--url", &daemon.url, "--key-file"])
        .arg(key_file)
        .output()
        .expect("faxbot runs")
}

fn ok(out: Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "status {:?}\nstdout: {stdout}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn json(out: Output) -> serde_json::Value {
    serde_json::from_str(&ok(out)).expect("--json prints JSON")
}

#[test]
fn the_lifecycle_through_the_cli() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("state");
    let key = init(&dir);
    let key_file = tmp.path().join("admin.key");
    std::fs::write(&key_file, format!("admin key: {key}\n")).expect("key file");
    let daemon = Daemon::start(&dir);

    // Trust a publisher key through the API.
    let publisher = Publisher::new("faxbot-examples");
    let out = ok(cli(
        &daemon,
        &key_file,
        &[
            "trust",
            "add-key",
            "--publisher",
            "faxbot-examples",
            "--public-key",
            &publisher.key.public_key().to_string(),
            "--note",
            "test key",
        ],
    ));
    assert!(out.contains("1 keys"), "{out}");
    let listed = ok(cli(&daemon, &key_file, &["trust", "list"]));
    assert!(
        listed.contains(&publisher.fingerprint()) && listed.contains("curated"),
        "{listed}"
    );

    // Install from files.
    let (fxp, sig, digest) = status_route_package(&publisher, "0.1.0", "");
    let pkg = tmp.path().join("status-route.fxp");
    std::fs::write(&pkg, &fxp).expect("fxp");
    std::fs::write(tmp.path().join("status-route.fxp.sig"), &sig).expect("sig");
    let review = ok(cli(
        &daemon,
        &key_file,
        &["plugin", "install", pkg.to_str().expect("utf-8")],
    ));
    assert!(
        review.contains("pending_approval") && review.contains("review of 0.1.0"),
        "{review}"
    );
    assert!(review.contains(&digest), "{review}");
    let table = ok(cli(&daemon, &key_file, &["plugin", "list"]));
    assert!(
        table.starts_with("ID") && table.contains("status-route"),
        "{table}"
    );

    // Approve (started only where the jail can run).
    let root = support::is_root();
    let mut approve = vec!["plugin", "approve", "status-route"];
    if !root {
        approve.push("--no-start");
    }
    ok(cli(&daemon, &key_file, &approve));
    if root {
        let started = Instant::now();
        loop {
            let view = json(cli(
                &daemon,
                &key_file,
                &["plugin", "show", "status-route", "--json"],
            ));
            if view["health"] == "healthy" {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "not running: {view}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        let stopped = ok(cli(&daemon, &key_file, &["plugin", "stop", "status-route"]));
        assert!(stopped.contains("stopped"), "{stopped}");
        ok(cli(
            &daemon,
            &key_file,
            &["plugin", "start", "status-route"],
        ));
    }

    // An upgrade with a widened grant waits.
    let (fxp2, sig2, _) = status_route_package(
        &publisher,
        "0.2.0",
        "egress = [\"https://hooks.example.com/services/*\"]",
    );
    let pkg2 = tmp.path().join("v2.fxp");
    std::fs::write(&pkg2, &fxp2).expect("fxp");
    let sig2_path = tmp.path().join("v2.signature");
    std::fs::write(&sig2_path, &sig2).expect("sig");
    let upgrade = ok(cli(
        &daemon,
        &key_file,
        &[
            "plugin",
            "install",
            pkg2.to_str().expect("utf-8"),
            "--signature",
            sig2_path.to_str().expect("utf-8"),
        ],
    ));
    assert!(upgrade.contains("new: http.egress"), "{upgrade}");
    let view = json(cli(
        &daemon,
        &key_file,
        &["plugin", "show", "status-route", "--json"],
    ));
    assert_eq!(view["pending_version"], "0.2.0");
    assert_eq!(view["version"], "0.1.0");

    // Revoking the key disables it.
    let revoked = ok(cli(
        &daemon,
        &key_file,
        &[
            "trust",
            "revoke-key",
            &publisher.fingerprint(),
            "--reason",
            "test",
        ],
    ));
    assert!(revoked.contains("stopped: status-route"), "{revoked}");
    let view = json(cli(
        &daemon,
        &key_file,
        &["plugin", "show", "status-route", "--json"],
    ));
    assert_eq!(view["state"], "disabled");

    // Keys: create (shown once), list, revoke; errors are the API's and exit non-zero.
    let made = ok(cli(
        &daemon,
        &key_file,
        &["key", "create", "--name", "ops", "--scope", "plugins:read"],
    ));
    let token = made
        .trim()
        .strip_prefix("key: ")
        .expect("key line")
        .to_owned();
    let listed = json(cli(&daemon, &key_file, &["key", "list", "--json"]));
    let id = listed["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .find(|k| k["name"] == "ops")
        .and_then(|k| k["id"].as_str())
        .expect("listed")
        .to_owned();
    let by_env = Command::new(support::FAXBOT)
        .args(["plugin", "list", "--url", &daemon.url])
        .env("FAXBOT_API_KEY", &token)
        .output()
        .expect("faxbot");
    assert!(ok(by_env).contains("status-route"));
    ok(cli(&daemon, &key_file, &["key", "revoke", &id]));
    let refused = Command::new(support::FAXBOT)
        .args(["plugin", "list", "--url", &daemon.url])
        .env("FAXBOT_API_KEY", &token)
        .output()
        .expect("faxbot");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("401 unauthorized"));

    // Uninstall with purge.
    ok(cli(
        &daemon,
        &key_file,
        &["plugin", "reject", "status-route"],
    ));
    ok(cli(
        &daemon,
        &key_file,
        &["plugin", "uninstall", "status-route", "--purge"],
    ));
    let gone = cli(&daemon, &key_file, &["plugin", "show", "status-route"]);
    assert!(!gone.status.success());
    assert!(String::from_utf8_lossy(&gone.stderr).contains("404 not_found"));
}
