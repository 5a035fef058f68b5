//! A cgroup delegated to an unprivileged service uid for one test, as an administrator
//! (or systemd's `Delegate=`) would: on a v1 host the memory, pids and cpu directories
//! (freezer and cpuacct where mounted) chowned to it with their `cgroup.procs` and `tasks`;
//! on a v2 host a subtree chowned as systemd does, with a `supervisor` leaf the core runs
//! in. And `faxbot-jail` run as that uid in it. Shared by the jail's unprivileged tests.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

pub const JAIL: &str = env!("CARGO_BIN_EXE_faxbot-jail");
pub const CGROUP_MOUNT: &str = "/sys/fs/cgroup";
/// The service user the core runs as in these tests (no passwd entry is needed).
pub const SERVICE_UID: u32 = 64_123;

pub fn can_run() -> bool {
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
pub struct Delegated {
    /// The delegated directories (one per v1 controller, or the v2 subtree's root).
    pub dirs: Vec<PathBuf>,
    /// The variable that names it to faxbot-jail.
    pub env: (&'static str, String),
    /// On v2, the leaf the core's process must be in.
    pub leaf: Option<PathBuf>,
}

fn chown(path: &Path) {
    std::os::unix::fs::chown(path, Some(SERVICE_UID), Some(SERVICE_UID))
        .unwrap_or_else(|e| panic!("chown {}: {e}", path.display()));
}

impl Delegated {
    /// What an administrator (or systemd) does for an unprivileged core on this host.
    pub fn prepare() -> Option<Self> {
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
    #[allow(dead_code)]
    pub fn jails(&self) -> Vec<String> {
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

/// `faxbot-jail --ro APP:/app OPTIONS -- PROGRAM ARGS` as the service user (the unprivileged
/// core), in `cgroup`.
pub fn command_as_service(
    cgroup: &Delegated,
    app: &Path,
    options: &[&str],
    program: &str,
    args: &[&str],
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
        .arg(program)
        .args(args)
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .env(cgroup.env.0, &cgroup.env.1);
    command
}
