//! Plugins written without the Rust SDK, from `docs/abi.md` alone, pass the same checks as
//! the Rust examples: `cargo faxbot test --binary` in the real jail, the conformance kit,
//! pack, sign and verify. The C example is built here with the host's `cc`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const TOOL: &str = env!("CARGO_BIN_EXE_cargo-faxbot");

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// `faxbot-jail`, built into the target directory of this test if `cargo test` did not.
fn jail() -> PathBuf {
    let profile = Path::new(TOOL).parent().expect("profile dir");
    let beside = profile.join("faxbot-jail");
    if beside.is_file() {
        return beside;
    }
    let target = profile.parent().expect("target dir").join("author-flow");
    let status = Command::new(env!("CARGO"))
        .current_dir(workspace())
        .args(["build", "-p", "faxbot-jail", "--bin", "faxbot-jail"])
        .env("CARGO_TARGET_DIR", &target)
        .status()
        .expect("cargo build");
    assert!(status.success(), "building faxbot-jail");
    target.join("debug").join("faxbot-jail")
}

fn root() -> bool {
    if nix::unistd::Uid::effective().is_root() {
        return true;
    }
    eprintln!("skipped: the jail needs root for its cgroup and identity layers");
    false
}

fn tool(args: &[&str]) -> Output {
    Command::new(TOOL)
        .arg("faxbot")
        .args(args)
        .env("FAXBOT_JAIL", jail())
        .output()
        .expect("cargo-faxbot runs")
}

fn ok(what: &str, output: &Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{what}: status {:?}\nstdout:\n{stdout}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

fn s(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

/// Builds `examples/c-echo/plugin.c` with `cc` (static), into `dir/c-echo`.
fn build_c_echo(dir: &Path) -> PathBuf {
    let source = workspace().join("examples/c-echo/plugin.c");
    let binary = dir.join("c-echo");
    let output = Command::new("cc")
        .args(["-static", "-O2", "-Wall", "-Wextra", "-Werror", "-o"])
        .arg(&binary)
        .arg(&source)
        .output()
        .expect("cc runs (the C example needs a C compiler)");
    assert!(
        output.status.success(),
        "cc failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    binary
}

/// Packs `project` with `binary` as its entry, signs it with a fresh key and verifies it.
fn pack_sign_verify(project: &Path, binary: Option<&Path>, work: &Path) {
    let package = work.join("plugin.fxp");
    let mut args = vec!["pack", "--project", s(project), "--out", s(&package)];
    if let Some(binary) = binary {
        args.extend(["--binary", s(binary)]);
    }
    ok("pack", &tool(&args));
    let key = work.join("publisher");
    ok("keygen", &tool(&["keygen", "--out", s(&key)]));
    ok(
        "sign",
        &tool(&["sign", s(&package), "--key", s(&key.with_extension("key"))]),
    );
    let verified = ok(
        "verify",
        &tool(&[
            "verify",
            s(&package),
            "--key",
            s(&key.with_extension("pub")),
        ]),
    );
    assert!(verified.contains("OK: "), "{verified}");
}

/// `cargo faxbot test --json` of `project` (with `binary` when given): the report.
fn passes_test(project: &Path, binary: Option<&Path>) -> serde_json::Value {
    let mut args = vec!["test", "--json", "--project", s(project)];
    if let Some(binary) = binary {
        args.extend(["--binary", s(binary)]);
    }
    let output = tool(&args);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON report ({e})\nstdout:\n{stdout}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    assert!(
        output.status.success() && report["passed"] == true,
        "failed:\n{report:#}"
    );
    assert_eq!(report["leaks"].as_array().map(Vec::len), Some(0));
    assert_eq!(report["restarts"], 0);
    report
}

#[test]
fn a_c_plugin_written_from_the_spec_passes_the_test_and_is_packed_and_signed() {
    if !root() {
        return;
    }
    let work = tempfile::tempdir().expect("tempdir");
    let binary = build_c_echo(work.path());
    let project = workspace().join("examples/c-echo");
    let report = passes_test(&project, Some(&binary));
    let calls = &report["capability_calls"];
    assert_eq!(calls["kv.get"], 2, "{report:#}");
    assert_eq!(calls["kv.put"], 2, "{report:#}");
    let logs = report["log_lines"].to_string();
    assert!(
        logs.contains("event fax.job.delivered, attempt 1"),
        "{logs}"
    );
    pack_sign_verify(&project, Some(&binary), work.path());
}
