//! The unprivileged core, for real: `faxbot-jail` run as an ordinary service user (no root,
//! no capabilities) in a cgroup delegated to that user, with every layer on (no
//! `--allow-missing`), and the escape suite's attempts run in that mode.
//!
//! CI runs as root, so each test plays the administrator first: it delegates a cgroup to
//! the service uid (on a v1 host the memory, pids and cpu directories chowned to it, as
//! `docs/operators.md` says; on a v2 host a subtree chowned as systemd's `Delegate=yes`
//! does, with the core's process moved into its `supervisor` leaf), then runs the jail
//! through `setpriv` as that uid. Needs root to set up and unprivileged user namespaces.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

const JAIL: &str = env!("CARGO_BIN_EXE_faxbot-jail");
const PROBE: &str = env!("CARGO_BIN_EXE_faxbot-jail-probe");
const CGROUP_MOUNT: &str = "/sys/fs/cgroup";
/// The service user the core runs as in these tests (no passwd entry is needed).
const SERVICE_UID: u32 = 64_123;

fn can_run() -> bool {
    let ok = nix::unistd::geteuid().is_root() && faxbot_jail::check::user_namespaces_available();
    if !ok {
        eprintln!(
            "SKIP: needs root to delegate a cgroup and switch to the service uid, and unprivileged user namespaces"
        );
    }
    ok
}

/// A cgroup delegated to [`SERVICE_UID`] for one test, removed (with whatever jails left in
/// it) when dropped.
struct Delegated {
    /// The delegated directories (one per v1 controller, or the v2 subtree's root).
    dirs: Vec<PathBuf>,
    /// The variable that names it to faxbot-jail.
    env: (&'static str, String),
    /// On v2, the leaf the core's process must be in.
    leaf: Option<PathBuf>,
}

fn chown(path: &Path) {
    std::os::unix::fs::chown(path, Some(SERVICE_UID), Some(SERVICE_UID))
        .unwrap_or_else(|e| panic!("chown {}: {e}", path.display()));
}

impl Delegated {
    /// What an administrator (or systemd) does for an unprivileged core on this host.
    fn prepare() -> Option<Self> {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "faxbot-unprivileged-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        );
        let mount = Path::new(CGROUP_MOUNT);
        let v1 = ["memory", "pids", "cpu"]
            .iter()
            .all(|c| mount.join(c).join("cgroup.procs").exists());
        if v1 {
            let mut dirs = Vec::new();
            for controller in ["memory", "pids", "cpu", "freezer", "cpuacct"] {
                let hierarchy = mount.join(controller);
                if !hierarchy.join("cgroup.procs").exists() {
                    continue;
                }
                let dir = hierarchy.join(&name);
                std::fs::create_dir(&dir).expect("mkdir v1 directory");
                for path in [dir.clone(), dir.join("cgroup.procs"), dir.join("tasks")] {
                    chown(&path);
                }
                dirs.push(dir);
            }
            return Some(Self {
                dirs,
                env: ("FAXBOT_CGROUP_V1_DIR", name),
                leaf: None,
            });
        }
        let controllers = std::fs::read_to_string(mount.join("cgroup.controllers")).ok()?;
        if !["memory", "pids", "cpu"]
            .iter()
            .all(|c| controllers.split_whitespace().any(|x| x == *c))
        {
            eprintln!("SKIP: no cgroup hierarchy with memory, pids and cpu to delegate");
            return None;
        }
        std::fs::write(mount.join("cgroup.subtree_control"), "+memory +pids +cpu")
            .expect("enable controllers at the top");
        let root = mount.join(&name);
        std::fs::create_dir(&root).expect("mkdir v2 subtree");
        for file in [
            "",
            "cgroup.procs",
            "cgroup.subtree_control",
            "cgroup.threads",
        ] {
            chown(&root.join(file));
        }
        let leaf = root.join("supervisor");
        std::fs::create_dir(&leaf).expect("mkdir leaf");
        for file in [
            "",
            "cgroup.procs",
            "cgroup.subtree_control",
            "cgroup.threads",
        ] {
            chown(&leaf.join(file));
        }
        Some(Self {
            env: ("FAXBOT_CGROUP_V2_BASE", root.display().to_string()),
            dirs: vec![root],
            leaf: Some(leaf),
        })
    }

    /// The jail cgroups (and spares) currently in the delegated directories.
    fn jails(&self) -> Vec<String> {
        let mut found = Vec::new();
        for dir in &self.dirs {
            for sub in [dir.clone(), dir.join("plugins")] {
                let Ok(entries) = std::fs::read_dir(&sub) else {
                    continue;
                };
                found.extend(
                    entries
                        .flatten()
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .filter(|n| n.starts_with("jail-")),
                );
            }
        }
        found
    }
}

/// Removes `dir` and every cgroup below it, deepest first.
fn remove_tree(dir: &Path) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                remove_tree(&entry.path());
            }
        }
    }
    for _ in 0..200 {
        if std::fs::remove_dir(dir).is_ok() || !dir.exists() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

impl Drop for Delegated {
    fn drop(&mut self) {
        for dir in &self.dirs {
            remove_tree(dir);
        }
    }
}

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

/// `faxbot-jail OPTIONS -- /app/probe ATTEMPT` as the service user (the unprivileged core).
fn command_as_service(
    cgroup: &Delegated,
    app: &Path,
    options: &[&str],
    attempt: &[&str],
) -> Command {
    let uid = SERVICE_UID.to_string();
    // On v2 the core lives in its leaf (the daemon moves itself there at start); the move is
    // root's here only because the test process is not in the subtree.
    let leaf_procs = cgroup
        .leaf
        .as_ref()
        .map(|l| l.join("cgroup.procs").display().to_string())
        .unwrap_or_default();
    let mut command = Command::new("sh");
    command
        .args([
            "-c",
            r#"if [ -n "$1" ]; then echo $$ > "$1" || exit 99; fi; shift; exec "$@""#,
            "sh",
            &leaf_procs,
            "setpriv",
            &format!("--reuid={uid}"),
            &format!("--regid={uid}"),
            "--clear-groups",
            "--bounding-set=-all",
            "--no-new-privs",
            JAIL,
            "--ro",
            &format!("{}:/app", app.display()),
        ])
        .args(options)
        .arg("--")
        .arg("/app/probe")
        .args(attempt)
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .env(cgroup.env.0, &cgroup.env.1);
    command
}

fn as_service(cgroup: &Delegated, options: &[&str], attempt: &[&str]) -> Run {
    let app = app_dir();
    let output = command_as_service(cgroup, app.path(), options, attempt)
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
