//! Each example plugin passes `cargo faxbot test` against its recorded events, in the real
//! jail, with synthetic PHI canaries planted in every event.

use std::path::{Path, PathBuf};
use std::process::Command;

const TOOL: &str = env!("CARGO_BIN_EXE_cargo-faxbot");

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// A binary of the workspace, built into the target directory of this test if `cargo test`
/// did not build it already.
fn workspace_binary(package: &str, bin: &str) -> PathBuf {
    let profile = Path::new(TOOL).parent().expect("profile dir");
    let beside = profile.join(bin);
    if beside.is_file() {
        return beside;
    }
    let target = profile.parent().expect("target dir").join("author-flow");
    let status = Command::new(env!("CARGO"))
        .current_dir(workspace())
        .args(["build", "-p", package, "--bin", bin])
        .env("CARGO_TARGET_DIR", &target)
        .status()
        .expect("cargo build");
    assert!(status.success(), "building {bin}");
    target.join("debug").join(bin)
}

fn passes(example: &str) -> serde_json::Value {
    if !nix::unistd::Uid::effective().is_root() {
        eprintln!("skipped: the jail needs root for its cgroup and identity layers");
        return serde_json::Value::Null;
    }
    let bin = format!("faxbot-example-{example}");
    let binary = workspace_binary(&bin, &bin);
    let jail = workspace_binary("faxbot-supervisor", "faxbot-jail");
    let output = Command::new(TOOL)
        .args(["faxbot", "test", "--json", "--record", "--seed", "7"])
        .arg("--project")
        .arg(workspace().join("examples").join(example))
        .arg("--binary")
        .arg(&binary)
        .arg("--jail")
        .arg(&jail)
        .output()
        .expect("cargo-faxbot runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "{example}: no JSON report ({e})\nstdout:\n{stdout}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    assert!(
        output.status.success() && report["passed"] == true,
        "{example} failed:\n{report:#}"
    );
    assert_eq!(report["leaks"].as_array().map(Vec::len), Some(0));
    assert_eq!(report["restarts"], 0);
    report
}

#[test]
fn slack_notifier_posts_each_job_event_and_never_a_canary() {
    let report = passes("slack-notifier");
    if report.is_null() {
        return;
    }
    assert_eq!(report["capability_calls"]["http.fetch"], 3, "{report:#}");
    assert_eq!(report["not_subscribed"][0], "plugin.lifecycle");
    let recorded = report["recorded_capabilities"].as_str().expect("recorded");
    assert!(
        recorded.contains("egress = [\"https://hooks.slack.com:443/services/*\"]"),
        "{recorded}"
    );
    assert!(
        recorded.contains("secrets = [\"SLACK_WEBHOOK_PATH\"]"),
        "{recorded}"
    );
    assert!(
        !recorded.contains("T0TEST000"),
        "no secret value is printed: {recorded}"
    );
}

#[test]
fn webhook_relay_signs_and_forwards_both_events() {
    let report = passes("webhook-relay");
    if report.is_null() {
        return;
    }
    assert_eq!(report["capability_calls"]["http.fetch"], 2, "{report:#}");
}

#[test]
fn daily_digest_counts_yesterday_and_posts_one_digest() {
    let report = passes("daily-digest");
    if report.is_null() {
        return;
    }
    assert_eq!(report["capability_calls"]["http.fetch"], 1, "{report:#}");
    assert_eq!(report["capability_calls"]["event.emit"], 1, "{report:#}");
}

#[test]
fn status_route_serves_counts_and_job_status() {
    let report = passes("status-route");
    if report.is_null() {
        return;
    }
    assert_eq!(
        report["capability_calls"]["fax.job_status"], 2,
        "{report:#}"
    );
}
