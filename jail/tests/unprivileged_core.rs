//! The unprivileged core, for real: `faxbot-jail` run as an ordinary service user (no root,
//! no capabilities) in a cgroup delegated to that user, with every layer on (no
//! `--allow-missing`), and the escape suite's attempts run in that mode.
//!
//! CI runs as root, so each test plays the administrator first: it delegates a cgroup to
//! the service uid (on a v1 host the memory, pids and cpu directories chowned to it, as
//! `docs/operators.md` says; on a v2 host a subtree chowned as systemd's `Delegate=yes`
//! does, with the core's process moved into its `supervisor` leaf), then runs the jail
//! through `setpriv` as that uid. Needs root to set up and unprivileged user namespaces.

#[path = "support/delegated.rs"]
mod delegated;

use delegated::{CGROUP_MOUNT, Delegated, SERVICE_UID, can_run, command_as_service};
use std::os::unix::fs::PermissionsExt;
use std::process::{Child, Command, Stdio};

const PROBE: &str = env!("CARGO_BIN_EXE_faxbot-jail-probe");

/// The probe in a directory the service user can read and bind.
fn app_dir() -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("faxbot-unprivileged-")
        .tempdir()
        .expect("tempdir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    std::fs::copy(PROBE, dir.path().join("probe")).expect("copy probe");
    dir
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn as_service(cgroup: &Delegated, options: &[&str], attempt: &[&str]) -> Run {
    let app = app_dir();
    let output = command_as_service(cgroup, app.path(), options, "/app/probe", attempt)
        .output()
        .expect("faxbot-jail runs as the service user");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn assert_every_layer_on(run: &Run) {
    assert!(
        !run.stderr.contains("unavailable") && !run.stderr.contains("disabled"),
        "a layer was missing or off: {}",
        run.stderr
    );
}

fn assert_blocked(run: &Run, errno: &str) {
    assert_every_layer_on(run);
    assert!(
        run.stdout.contains(&format!("RESULT blocked {errno}")),
        "expected the attempt to be blocked with {errno}; exit {} stdout: {} stderr: {}",
        run.code,
        run.stdout,
        run.stderr
    );
}

fn assert_killed_for(run: &Run, reason: &str) {
    assert_every_layer_on(run);
    assert!(
        run.code > 128 && run.stderr.contains(reason),
        "expected a kill for {reason:?}, got exit {} stdout: {} stderr: {}",
        run.code,
        run.stdout,
        run.stderr
    );
}

/// The test's delegated cgroup, or `None` (and a SKIP line) where this host cannot run it.
fn delegated() -> Option<Delegated> {
    if !can_run() {
        return None;
    }
    Delegated::prepare()
}

#[test]
fn an_unprivileged_core_runs_a_plugin_with_every_layer_in_a_cgroup_delegated_to_it() {
    let Some(cgroup) = delegated() else { return };
    let run = as_service(&cgroup, &[], &["whoami"]);
    assert_eq!(run.code, 0, "stdout: {} stderr: {}", run.stdout, run.stderr);
    assert_every_layer_on(&run);
    assert!(
        run.stdout.contains("uid=65533 euid=65533")
            && run.stdout.contains("CapEff:\t0000000000000000")
            && run.stdout.contains("CapPrm:\t0000000000000000")
            && run.stdout.contains("CapBnd:\t0000000000000000"),
        "the plugin runs as the jail uid with no capabilities: {}",
        run.stdout
    );
    assert!(
        cgroup.jails().is_empty(),
        "the jail's cgroup was removed: {:?}",
        cgroup.jails()
    );
}

#[test]
fn an_unprivileged_core_without_a_delegated_cgroup_is_refused_with_what_to_set() {
    if !can_run() {
        return;
    }
    let Some(mut cgroup) = Delegated::prepare() else {
        return;
    };
    // Point the core at a cgroup nobody delegated to it.
    let undelegated = if cgroup.env.0 == "FAXBOT_CGROUP_V1_DIR" {
        "faxbot-never-delegated".to_owned()
    } else {
        CGROUP_MOUNT.to_owned()
    };
    let delegated = std::mem::replace(&mut cgroup.env.1, undelegated);
    let leaf = cgroup.leaf.take();
    let run = as_service(&cgroup, &[], &["whoami"]);
    cgroup.env.1 = delegated;
    cgroup.leaf = leaf;
    assert_eq!(run.code, 125, "refused: {} {}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("cgroup: not available")
            && run
                .stderr
                .contains(&format!("not delegated to uid {SERVICE_UID}")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("chown") || run.stderr.contains("Delegate=yes"),
        "says what to set: {}",
        run.stderr
    );
}

#[test]
fn an_unprivileged_core_holds_the_memory_limit() {
    let Some(cgroup) = delegated() else { return };
    let run = as_service(&cgroup, &["--memory", "32M"], &["memory-hog"]);
    assert_killed_for(&run, "out of memory");
}

#[test]
fn an_unprivileged_core_holds_the_pids_limit() {
    let Some(cgroup) = delegated() else { return };
    assert_blocked(
        &as_service(&cgroup, &["--pids", "16"], &["fork-bomb"]),
        "EAGAIN",
    );
}

#[test]
fn a_plugin_of_an_unprivileged_core_cannot_raise_its_own_limits_though_its_user_owns_the_cgroup() {
    let Some(cgroup) = delegated() else { return };
    let limit = cgroup.dirs[0].join("memory.limit_in_bytes");
    let run = as_service(&cgroup, &[], &["write", &limit.display().to_string()]);
    assert_blocked(&run, "ENOENT");
}

#[test]
fn a_plugin_of_an_unprivileged_core_has_no_network() {
    let Some(cgroup) = delegated() else { return };
    assert_blocked(
        &as_service(&cgroup, &[], &["tcp", "127.0.0.1:22"]),
        "EAFNOSUPPORT",
    );
}

/// `--disable` flags for every layer but `keep`.
fn alone(keep: &str) -> Vec<&'static str> {
    faxbot_jail::Layer::ALL
        .iter()
        .filter(|l| l.name() != keep)
        .flat_map(|l| ["--disable", l.name()])
        .collect()
}

fn assert_result(run: &Run, expected: &str) {
    assert!(
        run.stdout.contains(expected),
        "expected {expected:?}; exit {} stdout: {} stderr: {}",
        run.code,
        run.stdout,
        run.stderr
    );
}

#[test]
fn each_layer_of_an_unprivileged_core_still_holds_with_the_others_off() {
    let Some(cgroup) = delegated() else { return };
    // The delegated cgroup alone still kills a memory hog.
    let mut off = alone("cgroup");
    off.extend(["--memory", "32M"]);
    let run = as_service(&cgroup, &off, &["memory-hog"]);
    assert!(
        run.code > 128 && run.stderr.contains("out of memory"),
        "{} {}",
        run.stdout,
        run.stderr
    );
    // The namespaces (a user namespace, no root) alone still cut the network.
    assert_result(
        &as_service(&cgroup, &alone("namespaces"), &["tcp", "127.0.0.1:22"]),
        "RESULT blocked ENETUNREACH",
    );
    // Landlock alone still hides a world-readable host file and refuses TCP.
    assert_result(
        &as_service(&cgroup, &alone("landlock"), &["read", "/etc/passwd"]),
        "RESULT blocked EACCES",
    );
    assert_result(
        &as_service(&cgroup, &alone("landlock"), &["tcp", "127.0.0.1:9"]),
        "RESULT blocked EACCES",
    );
    // seccomp alone still kills ptrace and names it.
    let run = as_service(&cgroup, &alone("seccomp"), &["syscall", "101"]);
    assert!(
        run.code == 128 + libc::SIGSYS
            && run
                .stderr
                .contains("seccomp violation: syscall ptrace (101)"),
        "{} {}",
        run.stdout,
        run.stderr
    );
}

#[test]
fn a_plugin_of_an_unprivileged_core_reads_no_host_files() {
    let Some(cgroup) = delegated() else { return };
    assert_blocked(
        &as_service(&cgroup, &[], &["read", "/etc/passwd"]),
        "ENOENT",
    );
    assert_blocked(
        &as_service(&cgroup, &[], &["read", "/proc/kallsyms"]),
        "ENOENT",
    );
    assert_blocked(&as_service(&cgroup, &[], &["write", "/escape"]), "EROFS");
    assert_blocked(
        &as_service(&cgroup, &[], &["list", "/proc/1/root/"]),
        "ENOENT",
    );
}

#[test]
fn a_plugin_of_an_unprivileged_core_sees_its_own_cgroup_as_the_root() {
    let Some(cgroup) = delegated() else { return };
    let run = as_service(&cgroup, &[], &["own-cgroups"]);
    assert_every_layer_on(&run);
    assert!(
        run.stdout.contains("RESULT ok /\n"),
        "{} {}",
        run.stdout,
        run.stderr
    );
}

#[test]
fn a_plugin_of_an_unprivileged_core_cannot_exec_what_it_wrote() {
    let Some(cgroup) = delegated() else { return };
    assert_blocked(
        &as_service(&cgroup, &[], &["exec-written", "/tmp/evil"]),
        "EPERM",
    );
    assert_blocked(
        &as_service(&cgroup, &[], &["exec-proc-fd", "/tmp/evil"]),
        "EPERM",
    );
    assert_killed_for(
        &as_service(&cgroup, &[], &["exec-memfd"]),
        "seccomp violation: syscall memfd_create",
    );
}

#[test]
fn a_plugin_of_an_unprivileged_core_killed_by_seccomp_is_named() {
    let Some(cgroup) = delegated() else { return };
    let run = as_service(&cgroup, &[], &["syscall", "101"]);
    assert_eq!(run.code, 128 + libc::SIGSYS, "{}", run.stderr);
    assert_killed_for(&run, "seccomp violation: syscall ptrace (101)");
}

#[test]
fn a_plugin_cannot_signal_the_core_though_both_run_as_the_service_user() {
    let Some(cgroup) = delegated() else { return };
    // A stand-in for the core: a process of the service user on the host.
    let mut core: Child = Command::new("setpriv")
        .args([
            &format!("--reuid={SERVICE_UID}"),
            &format!("--regid={SERVICE_UID}"),
            "--clear-groups",
            "sleep",
            "30",
        ])
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn the stand-in core");
    let pid = core.id().to_string();
    let run = as_service(&cgroup, &[], &["signal", &pid]);
    let _ = core.kill();
    let _ = core.wait();
    assert_every_layer_on(&run);
    assert!(
        run.stdout.contains("RESULT blocked ESRCH") || run.stdout.contains("RESULT blocked EPERM"),
        "the core's pid is neither visible nor signallable: {} {}",
        run.stdout,
        run.stderr
    );
}
