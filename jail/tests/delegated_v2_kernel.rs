//! The delegated cgroup v2 layout on the real kernel, as an unprivileged uid: the core
//! started in the root of a subtree delegated to it (as systemd starts a `Delegate=` unit)
//! moves itself into the `supervisor` leaf, and a jail's init is born by one `clone3` into
//! its new namespaces (a user namespace among them) with `CLONE_INTO_CGROUP` into a cgroup
//! under `plugins/`, beside it, where its own cgroup namespace is rooted. That is the permission
//! model the unprivileged core relies on (the writer owns the common ancestor).
//!
//! This host's cgroup v2 may offer no memory, pids or cpu controller (a v1 hybrid), so the
//! limits are tested elsewhere (`cgroup/src/tests.rs` on a tree, `unprivileged_core.rs` on
//! v1); placement and birth need no controller. Needs root to delegate the directory.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const PROBE: &str = env!("CARGO_BIN_EXE_faxbot-jail-delegation-probe");
const SERVICE_UID: u32 = 64_126;

/// A cgroup v2 mount: the unified one of a hybrid host, or the root of a v2 host.
fn cgroup2_mount() -> Option<PathBuf> {
    let mounts = fs::read_to_string("/proc/self/mounts").ok()?;
    mounts
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|f| f.len() > 2 && f[2] == "cgroup2")
        .map(|f| PathBuf::from(f[1]))
}

/// A directory made by root in the cgroup v2 mount, removed (with what is below it) on drop.
struct Subtree(PathBuf);

impl Drop for Subtree {
    fn drop(&mut self) {
        for dir in ["plugins/jail-probe", "plugins", "supervisor", ""] {
            let _ = fs::remove_dir(self.0.join(dir));
        }
    }
}

fn subtree(mount: &Path, delegated: bool) -> Subtree {
    let dir = mount.join(format!(
        "faxbot-delegated-{}-{}",
        std::process::id(),
        delegated
    ));
    fs::create_dir(&dir).expect("create the subtree");
    if delegated {
        // What systemd does for a Delegate= unit run as User=.
        for file in [
            "",
            "cgroup.procs",
            "cgroup.subtree_control",
            "cgroup.threads",
        ] {
            std::os::unix::fs::chown(dir.join(file), Some(SERVICE_UID), Some(SERVICE_UID))
                .expect("chown");
        }
    }
    Subtree(dir)
}

/// The probe as the service user, started in `root` (root puts it there, as systemd would).
fn probe_in(root: &Path) -> String {
    let uid = SERVICE_UID.to_string();
    let output = Command::new("sh")
        .args([
            "-c",
            r#"echo $$ > "$1/cgroup.procs" || exit 99; shift; exec "$@""#,
            "sh",
            &root.display().to_string(),
            "setpriv",
            &format!("--reuid={uid}"),
            &format!("--regid={uid}"),
            "--clear-groups",
            "--bounding-set=-all",
            "--no-new-privs",
            PROBE,
            &root.display().to_string(),
        ])
        .output()
        .expect("the probe runs");
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn setup() -> Option<PathBuf> {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("SKIP: needs root to delegate a cgroup");
        return None;
    }
    let mount = cgroup2_mount();
    if mount.is_none() {
        eprintln!("SKIP: no cgroup2 mount on this host");
    }
    mount
}

#[test]
fn an_unprivileged_core_moves_into_its_leaf_and_its_jails_are_born_beside_it_on_the_real_kernel() {
    let Some(mount) = setup() else { return };
    let subtree = subtree(&mount, true);
    let out = probe_in(&subtree.0);
    let relative = Path::new("/").join(subtree.0.strip_prefix(&mount).expect("below the mount"));
    let leaf = subtree.0.join("supervisor");
    assert!(
        out.contains(&format!("settled {}", leaf.display())),
        "the core moved itself: {out}"
    );
    assert!(
        out.contains(&format!("core {}", relative.join("supervisor").display())),
        "the kernel has the core in its leaf: {out}"
    );
    assert!(
        out.contains(&format!(
            "born {}",
            relative.join("plugins/jail-probe").display()
        )),
        "the jail's init was born in its cgroup beside the core: {out}"
    );
    assert!(
        out.contains("rooted /\n"),
        "init's cgroup namespace is rooted at its cgroup: {out}"
    );
    assert!(!out.contains("failed"), "{out}");
}

#[test]
fn an_unprivileged_core_cannot_use_a_v2_cgroup_not_delegated_to_it() {
    let Some(mount) = setup() else { return };
    let subtree = subtree(&mount, false);
    let out = probe_in(&subtree.0);
    assert!(
        out.contains("failed settle") && out.contains("Permission denied"),
        "the kernel refuses the move: {out}"
    );
    assert!(!out.contains("born"), "{out}");
}
