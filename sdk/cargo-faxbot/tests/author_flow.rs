//! The whole plugin author's flow against the real binaries, in a temporary directory:
//! new -> build -> keygen -> pack -> sign -> verify -> test, plus what a host would refuse.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const TOOL: &str = env!("CARGO_BIN_EXE_cargo-faxbot");

/// The workspace's target directory, where `faxbot-jail` is built beside this tool.
fn target_profile_dir() -> PathBuf {
    Path::new(TOOL)
        .parent()
        .expect("the tool's directory")
        .to_owned()
}

/// `faxbot-jail`, built into the workspace target directory if `cargo test` did not.
fn jail() -> PathBuf {
    let beside = target_profile_dir().join("faxbot-jail");
    if beside.is_file() {
        return beside;
    }
    let status = Command::new(env!("CARGO"))
        .args(["build", "-p", "faxbot-supervisor", "--bin", "faxbot-jail"])
        .env("CARGO_TARGET_DIR", shared_target())
        .status()
        .expect("cargo build faxbot-jail");
    assert!(status.success());
    shared_target().join("debug").join("faxbot-jail")
}

/// A target directory kept across runs for the plugin projects these tests build, so a
/// re-run builds incrementally.
fn shared_target() -> PathBuf {
    target_profile_dir()
        .parent()
        .expect("the target directory")
        .join("author-flow")
}

fn faxbot(dir: &Path, args: &[&str]) -> Output {
    Command::new(TOOL)
        .arg("faxbot")
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", shared_target())
        .env("FAXBOT_JAIL", jail())
        .output()
        .expect("cargo-faxbot runs")
}

fn ok(output: &Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "status {:?}\nstdout:\n{stdout}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

fn root() -> bool {
    if nix::unistd::Uid::effective().is_root() {
        return true;
    }
    eprintln!("skipped: the jail needs root for its cgroup and identity layers");
    false
}

#[test]
fn new_build_keygen_pack_sign_verify_test_from_nothing() {
    if !root() {
        return;
    }
    let work = tempfile::tempdir().expect("tempdir");
    let out = ok(&faxbot(
        work.path(),
        &["new", "hello-fax", "--publisher", "acme"],
    ));
    assert!(out.contains("created plugin project"), "{out}");
    let project = work.path().join("hello-fax");

    let built: serde_json::Value =
        serde_json::from_str(&ok(&faxbot(&project, &["build", "--json"]))).expect("json");
    let binary = PathBuf::from(built["binary"].as_str().expect("binary path"));
    assert!(binary.is_file(), "{binary:?}");

    ok(&faxbot(work.path(), &["keygen", "--out", "acme"]));
    let public = std::fs::read_to_string(work.path().join("acme.pub")).expect("pub");
    assert!(public.starts_with("ed25519:"), "{public}");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(work.path().join("acme.key"))
            .expect("key")
            .permissions(),
    );
    assert_eq!(mode & 0o777, 0o600, "the private key is private");

    let packed: serde_json::Value = serde_json::from_str(&ok(&faxbot(
        &project,
        &[
            "pack",
            "--json",
            "--binary",
            binary.to_str().expect("utf-8"),
        ],
    )))
    .expect("json");
    let package = PathBuf::from(packed["package"].as_str().expect("package"));
    let digest = packed["digest"].as_str().expect("digest").to_owned();
    assert!(digest.starts_with("sha256:"), "{digest}");

    let key = work.path().join("acme.key");
    ok(&faxbot(
        work.path(),
        &[
            "sign",
            package.to_str().expect("utf-8"),
            "--key",
            key.to_str().expect("utf-8"),
        ],
    ));
    let verified = ok(&faxbot(
        work.path(),
        &[
            "verify",
            package.to_str().expect("utf-8"),
            "--key",
            work.path().join("acme.pub").to_str().expect("utf-8"),
        ],
    ));
    assert!(verified.contains("OK: hello-fax 0.1.0"), "{verified}");

    // As a host decides: the operator's trust store, curated tier required.
    let store = work.path().join("trust.toml");
    std::fs::write(
        &store,
        format!(
            "[[key]]\npublisher = \"acme\"\ntier = \"curated\"\ned25519 = \"{}\"\n",
            public.trim()
        ),
    )
    .expect("store");
    ok(&faxbot(
        work.path(),
        &[
            "verify",
            package.to_str().expect("utf-8"),
            "--trust-store",
            store.to_str().expect("utf-8"),
        ],
    ));
    std::fs::write(
        &store,
        format!(
            "[[key]]\npublisher = \"acme\"\ntier = \"community\"\ned25519 = \"{}\"\n",
            public.trim()
        ),
    )
    .expect("store");
    let refused = faxbot(
        work.path(),
        &[
            "verify",
            package.to_str().expect("utf-8"),
            "--trust-store",
            store.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(
        refused.status.code(),
        Some(1),
        "a community key is not curated"
    );
    let why = String::from_utf8_lossy(&refused.stderr);
    assert!(why.contains("not trusted") && why.contains("tier"), "{why}");

    // A package changed after signing is refused, and says why.
    let signature = std::fs::read_to_string(format!("{}.sig", package.display())).expect("sig");
    let mut bytes = std::fs::read(&package).expect("package");
    let tampered = work.path().join("tampered.fxp");
    ok(&faxbot(
        &project,
        &[
            "pack",
            "--out",
            tampered.to_str().expect("utf-8"),
            "--binary",
            "/bin/true",
        ],
    ));
    std::fs::write(format!("{}.sig", tampered.display()), &signature).expect("copy sig");
    let refused = faxbot(
        work.path(),
        &[
            "verify",
            tampered.to_str().expect("utf-8"),
            "--key",
            work.path().join("acme.pub").to_str().expect("utf-8"),
        ],
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("the signature is for"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    // Corrupt bytes are refused by the reader before any signature check.
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&tampered, &bytes).expect("corrupt");
    let refused = faxbot(
        work.path(),
        &[
            "verify",
            tampered.to_str().expect("utf-8"),
            "--key",
            "acme.pub",
        ],
    );
    assert_eq!(refused.status.code(), Some(1));

    // The generated project passes its own scenario in the real jail, with canaries.
    let report: serde_json::Value = serde_json::from_str(&ok(&faxbot(
        &project,
        &[
            "test",
            "--json",
            "--record",
            "--binary",
            binary.to_str().expect("utf-8"),
        ],
    )))
    .expect("json report");
    assert_eq!(report["passed"], true, "{report:#}");
    assert_eq!(
        report["fed"].as_array().map(Vec::len),
        Some(4),
        "{report:#}"
    );
    assert_eq!(report["canaries_planted"], 12);
    assert_eq!(report["leaks"].as_array().map(Vec::len), Some(0));
    assert!(
        report["capability_calls"]["kv.put"].as_u64() >= Some(3),
        "{report:#}"
    );
    assert!(report["peak_memory_bytes"].as_u64() > Some(0), "{report:#}");
    let recorded = report["recorded_capabilities"].as_str().expect("recorded");
    assert!(recorded.contains("routes = [\"/status\"]"), "{recorded}");
    assert!(recorded.contains("kv_quota = \"4KiB\""), "{recorded}");
}

#[test]
fn a_broken_manifest_is_refused_with_every_problem_and_its_field_path() {
    let work = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        work.path().join("faxbot-plugin.toml"),
        "id = \"Bad Id\"\nname = \"x\"\nversion = \"one\"\npublisher = \"acme\"\ndescription = \"d\"\nmin_core_version = \"0.1.0\"\nentry = \"bin/x\"\n[capabilities]\negress = [\"http://plain.example.test/\"]\n",
    )
    .expect("manifest");
    let output = Command::new(TOOL)
        .args(["faxbot", "pack", "--binary", "/bin/true"])
        .current_dir(work.path())
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("id:"), "{stderr}");
    assert!(stderr.contains("version:"), "{stderr}");
    assert!(stderr.contains("capabilities.egress[0]"), "{stderr}");
    assert_eq!(
        std::fs::read_dir(work.path()).expect("dir").count(),
        1,
        "a refused pack writes nothing"
    );
}

#[test]
fn test_outside_a_plugin_project_is_a_usage_error_naming_the_manifest() {
    let work = tempfile::tempdir().expect("tempdir");
    let output = Command::new(TOOL)
        .args(["faxbot", "test", "--allow-missing", "nonsense"])
        .current_dir(work.path())
        .output()
        .expect("runs");
    assert_eq!(
        output.status.code(),
        Some(2),
        "no manifest is a usage error"
    );
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("faxbot-plugin.toml"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
