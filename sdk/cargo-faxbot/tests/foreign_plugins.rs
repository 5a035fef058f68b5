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

/// Builds `examples/c-echo/plugin.c` with `cc` (static), into `dir/c-echo`, with `defines`.
fn build_c_echo_with(dir: &Path, defines: &[&str]) -> PathBuf {
    let source = workspace().join("examples/c-echo/plugin.c");
    let binary = dir.join("c-echo");
    let output = Command::new("cc")
        .args(defines)
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

fn build_c_echo(dir: &Path) -> PathBuf {
    build_c_echo_with(dir, &[])
}

/// `cargo faxbot conform --json` of `project` with `binary`: (passed, checks by name).
fn conform(project: &Path, binary: &Path) -> (bool, Vec<(String, bool, String)>) {
    let output = tool(&[
        "conform",
        "--json",
        "--project",
        s(project),
        "--binary",
        s(binary),
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON report ({e})\nstdout:\n{stdout}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let checks: Vec<(String, bool, String)> = report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .map(|c| {
            (
                c["name"].as_str().expect("name").to_owned(),
                c["passed"].as_bool().expect("passed"),
                c["detail"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let passed = report["passed"] == true;
    assert_eq!(
        output.status.success(),
        passed,
        "exit status follows the verdict"
    );
    assert!(checks.len() >= 25, "{checks:#?}");
    (passed, checks)
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

#[test]
fn a_c_plugin_written_from_the_spec_passes_every_conformance_check() {
    if !root() {
        return;
    }
    let work = tempfile::tempdir().expect("tempdir");
    let binary = build_c_echo(work.path());
    let (passed, checks) = conform(&workspace().join("examples/c-echo"), &binary);
    let failed: Vec<_> = checks.iter().filter(|c| !c.1).collect();
    assert!(passed && failed.is_empty(), "{failed:#?}");
}

#[test]
fn the_conformance_kit_names_each_rule_a_broken_plugin_breaks() {
    if !root() {
        return;
    }
    let work = tempfile::tempdir().expect("tempdir");
    // Answers unknown methods `invalid` and does not exit after its shutdown ack.
    let binary = build_c_echo_with(work.path(), &["-DCONFORM_SELF_TEST_BROKEN"]);
    let (passed, checks) = conform(&workspace().join("examples/c-echo"), &binary);
    assert!(!passed);
    let failed: Vec<&str> = checks
        .iter()
        .filter(|c| !c.1)
        .map(|c| c.0.as_str())
        .collect();
    assert_eq!(
        failed,
        [
            "an unknown method is answered unsupported (7)",
            "a plugin-to-host method sent to the plugin is answered unsupported (7)",
            "the plugin exits by itself within the shutdown deadline after its ack",
        ],
        "{checks:#?}"
    );
}

#[test]
fn a_rust_sdk_plugin_passes_the_same_conformance_checks() {
    if !root() {
        return;
    }
    let profile = Path::new(TOOL).parent().expect("profile dir");
    let name = "faxbot-example-status-route";
    let mut binary = profile.join(name);
    if !binary.is_file() {
        let target = profile.parent().expect("target dir").join("author-flow");
        let status = Command::new(env!("CARGO"))
            .current_dir(workspace())
            .args(["build", "-p", name, "--bin", name])
            .env("CARGO_TARGET_DIR", &target)
            .status()
            .expect("cargo build");
        assert!(status.success());
        binary = target.join("debug").join(name);
    }
    let (passed, checks) = conform(&workspace().join("examples/status-route"), &binary);
    let failed: Vec<_> = checks.iter().filter(|c| !c.1).collect();
    assert!(passed && failed.is_empty(), "{failed:#?}");
}

fn python3_present() -> bool {
    if Path::new("/usr/bin/python3").exists() {
        return true;
    }
    eprintln!("skipped: /usr/bin/python3 is absent (scripts/setup installs it)");
    false
}

#[test]
fn a_python_plugin_on_the_python3_runtime_passes_the_test_and_the_conformance_kit() {
    if !root() || !python3_present() {
        return;
    }
    let project = workspace().join("examples/py-echo");
    let script = project.join("plugin.py");
    let report = passes_test(&project, Some(&script));
    let calls = &report["capability_calls"];
    assert_eq!(calls["kv.put"], 2, "{report:#}");
    let logs = report["log_lines"].to_string();
    assert!(logs.contains("event fax.job.queued, attempt 1"), "{logs}");
    let (passed, checks) = conform(&project, &script);
    let failed: Vec<_> = checks.iter().filter(|c| !c.1).collect();
    assert!(passed && failed.is_empty(), "{failed:#?}");
    let work = tempfile::tempdir().expect("tempdir");
    pack_sign_verify(&project, Some(&script), work.path());
}

#[test]
fn a_script_entry_without_a_runtime_is_refused_with_what_to_do() {
    let work = tempfile::tempdir().expect("tempdir");
    let project = workspace().join("examples/c-echo");
    let script = work.path().join("plugin.py");
    std::fs::write(&script, "#!/usr/bin/env python3\nprint('hi')\n").expect("script");
    for args in [
        vec!["test", "--project", s(&project), "--binary", s(&script)],
        vec![
            "pack",
            "--project",
            s(&project),
            "--binary",
            s(&script),
            "--out",
        ],
    ] {
        let mut args = args;
        let out = work.path().join("x.fxp");
        if args.last() == Some(&"--out") {
            args.push(s(&out));
        }
        let output = tool(&args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains(
                "entry bin/c-echo is a script (it starts with #!) but the manifest names no runtime"
            ),
            "{args:?}: {stderr}"
        );
        assert!(!out.exists());
    }
}

#[test]
fn a_plugin_that_never_says_hello_gets_a_json_verdict_with_its_last_words() {
    if !root() || !python3_present() {
        return;
    }
    let work = tempfile::tempdir().expect("tempdir");
    let script = work.path().join("plugin.py");
    std::fs::write(&script, "import sys\nsys.exit('no Hello from me')\n").expect("script");
    let output = tool(&[
        "test",
        "--json",
        "--project",
        s(&workspace().join("examples/py-echo")),
        "--binary",
        s(&script),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("a JSON verdict even when it never starts");
    assert_eq!(report["passed"], false);
    let why = report["failures"][0].as_str().expect("a reason");
    assert!(
        why.contains("closed its socket before sending Hello"),
        "{why}"
    );
    assert!(why.contains("no Hello from me"), "{why}");
}
