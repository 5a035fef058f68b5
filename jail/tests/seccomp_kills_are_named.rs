//! The seccomp allowlist's refusals, generated from the policy data: every notable denied
//! syscall kills the program and faxbot-jail's message names it.
//!
//! The name comes from the jail's own init, which answers the supervised filter's
//! notification, kills the jail and reports the syscall: no kernel log, so no rate limit,
//! no auditd, no root needed and no confusion between jails of the same program.

#[path = "support/delegated.rs"]
mod delegated;

use faxbot_jail::seccomp::policy::notable_denied;
use std::path::Path;
use std::process::{Child, Command, Stdio};

const JAIL: &str = env!("CARGO_BIN_EXE_faxbot-jail");
const PROBE: &str = env!("CARGO_BIN_EXE_faxbot-jail-probe");

fn root() -> bool {
    let is_root = nix::unistd::geteuid().is_root();
    if !is_root {
        eprintln!("SKIP: these jail runs need root (or root to switch to a developer uid)");
    }
    is_root
}

/// Who runs the jails.
#[derive(Clone, Copy)]
enum As<'a> {
    /// Root.
    Root,
    /// The unprivileged developer uid 1000 in a user namespace, without a cgroup.
    Developer,
    /// The unprivileged core: a service uid with a cgroup delegated to it, every layer on.
    Service(&'a delegated::Delegated),
}

/// `faxbot-jail` running the probe's `syscall NR` as `who`.
fn spawn_jail(app_dir: &Path, nr: i64, who: As<'_>) -> Child {
    let nr = nr.to_string();
    let probe_args = ["syscall", nr.as_str()];
    let mut command = match who {
        As::Root => Command::new(JAIL),
        As::Developer => {
            let mut c = Command::new("setpriv");
            c.args(["--reuid=1000", "--regid=1000", "--clear-groups", JAIL])
                .args(["--allow-missing", "cgroup"]);
            c
        }
        As::Service(cgroup) => {
            let mut c = delegated::command_as_service(
                cgroup,
                app_dir,
                &[],
                "/app/faxbot-jail-probe",
                &probe_args,
            );
            c.stdout(Stdio::null()).stderr(Stdio::piped());
            return c.spawn().expect("faxbot-jail runs");
        }
    };
    command
        .arg("--ro")
        .arg(format!("{}:/app", app_dir.display()))
        .args(["--", "/app/faxbot-jail-probe"])
        .args(probe_args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("faxbot-jail runs")
}

fn expected(name: &str, nr: i64) -> String {
    format!("seccomp violation: syscall {name} ({nr})")
}

/// Starts every jail of `runs` before waiting for any, then checks each was killed with
/// SIGSYS and its own syscall named.
fn all_at_once(app_dir: &Path, runs: &[(&'static str, i64)], who: As<'_>) {
    let children: Vec<(&str, i64, Child)> = runs
        .iter()
        .map(|(name, nr)| (*name, *nr, spawn_jail(app_dir, *nr, who)))
        .collect();
    let mut failures = Vec::new();
    for (name, nr, child) in children {
        let output = child.wait_with_output().expect("wait");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let code = output.status.code().unwrap_or(-1);
        let layer_missing = matches!(who, As::Service(_)) && stderr.contains("unavailable");
        if code != 128 + libc::SIGSYS || !stderr.contains(&expected(name, nr)) || layer_missing {
            failures.push(format!(
                "{name} ({nr}): exit {code} stderr {:?}",
                stderr.trim()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} jails not killed and named:\n{}",
        failures.len(),
        runs.len(),
        failures.join("\n")
    );
}

/// Fifty runs of the same program, cycling through the notable denied syscalls.
fn fifty() -> Vec<(&'static str, i64)> {
    notable_denied()
        .iter()
        .cycle()
        .take(50)
        .map(|s| (s.name, s.nr))
        .collect()
}

fn probe_dir() -> &'static Path {
    Path::new(PROBE).parent().expect("probe dir")
}

#[test]
fn every_notable_denied_syscall_kills_and_is_named() {
    if !root() {
        return;
    }
    let runs: Vec<(&str, i64)> = notable_denied().iter().map(|s| (s.name, s.nr)).collect();
    for chunk in runs.chunks(8) {
        all_at_once(probe_dir(), chunk, As::Root);
    }
}

#[test]
fn fifty_jails_of_the_same_program_killed_at_once_each_name_their_syscall() {
    if !root() {
        return;
    }
    all_at_once(probe_dir(), &fifty(), As::Root);
}

#[test]
fn fifty_unprivileged_jails_killed_at_once_each_name_their_syscall() {
    if !root() || !faxbot_jail::check::user_namespaces_available() {
        eprintln!("SKIP: needs root to switch to uid 1000, and unprivileged user namespaces");
        return;
    }
    // A copy of the probe an unprivileged user can reach and bind.
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::Builder::new()
        .prefix("faxbot-seccomp-")
        .tempdir()
        .expect("tempdir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    std::fs::copy(PROBE, dir.path().join("faxbot-jail-probe")).expect("copy");
    all_at_once(dir.path(), &fifty(), As::Developer);
}

#[test]
fn fifty_jails_of_an_unprivileged_core_killed_at_once_each_name_their_syscall_with_every_layer_on()
{
    if !delegated::can_run() {
        return;
    }
    let Some(cgroup) = delegated::Delegated::prepare() else {
        return;
    };
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::Builder::new()
        .prefix("faxbot-seccomp-")
        .tempdir()
        .expect("tempdir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    std::fs::copy(PROBE, dir.path().join("faxbot-jail-probe")).expect("copy");
    all_at_once(dir.path(), &fifty(), As::Service(&cgroup));
}
