//! What this kernel supports, layer by layer: the data behind `faxbot-jail --check` and
//! `faxbot doctor`.

use super::spec::Layer;
use faxbot_cgroup::{CGROUP_MOUNT, Hierarchy};
use serde::Serialize;
use std::path::Path;

/// One layer's availability.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct LayerSupport {
    /// The layer.
    pub layer: &'static str,
    /// Whether the jail can apply it here.
    pub available: bool,
    /// What was found, in words.
    pub detail: String,
}

/// The whole report.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct SupportReport {
    /// Per layer, in application order.
    pub layers: Vec<LayerSupport>,
    /// The Landlock ABI version (0 = none).
    pub landlock_abi: i32,
    /// `v1`, `v2` or `none`.
    pub cgroup_version: String,
    /// How the jail runs here: `root`, `user namespace` (an unprivileged core: every layer
    /// built inside a user namespace mapping the jail's one id to this user) or
    /// `unprivileged` (no user namespaces: most layers missing).
    pub mode: String,
}

impl SupportReport {
    /// Whether `layer` can be applied.
    pub fn available(&self, layer: Layer) -> bool {
        self.layers
            .iter()
            .any(|l| l.layer == layer.name() && l.available)
    }

    /// The detail line of `layer`.
    pub fn detail(&self, layer: Layer) -> &str {
        self.layers
            .iter()
            .find(|l| l.layer == layer.name())
            .map(|l| l.detail.as_str())
            .unwrap_or("unknown layer")
    }

    /// Whether every layer can be applied.
    pub fn complete(&self) -> bool {
        self.layers.iter().all(|l| l.available)
    }
}

/// The Landlock ABI version the kernel offers (0 when Landlock is absent or disabled).
pub fn landlock_abi() -> i32 {
    crate::syscalls::linux::landlock_abi()
}

/// Whether an unprivileged process may create a user namespace here.
pub fn user_namespaces_available() -> bool {
    let max = std::fs::read_to_string("/proc/sys/user/max_user_namespaces")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or(0);
    // Debian's and Ubuntu's extra switches, where present.
    let debian = std::fs::read_to_string("/proc/sys/kernel/unprivileged_userns_clone")
        .map(|s| s.trim() == "1")
        .unwrap_or(true);
    let apparmor =
        std::fs::read_to_string("/proc/sys/kernel/apparmor_restrict_unprivileged_userns")
            .map(|s| s.trim() == "0")
            .unwrap_or(true);
    max > 0 && debian && apparmor
}

fn seccomp_available() -> bool {
    // PR_GET_SECCOMP answers EINVAL on a kernel built without seccomp.
    crate::syscalls::linux::seccomp_supported()
}

/// What a probe of the host found: the report, and the cgroup hierarchy it detected (so
/// that a launch does not detect it a second time).
#[derive(Clone, Debug)]
pub struct HostSupport {
    /// Layer by layer.
    pub report: SupportReport,
    /// The hierarchy jails' cgroups go in, when one is usable.
    pub hierarchy: Option<Hierarchy>,
}

/// Probes the running kernel and this process's privileges.
pub fn check() -> SupportReport {
    probe().report
}

/// [`check`], keeping the detected cgroup hierarchy.
pub fn probe() -> HostSupport {
    let root = nix::unistd::geteuid().is_root();
    let abi = landlock_abi();
    let cgroup = Hierarchy::detect(Path::new(CGROUP_MOUNT));
    let cgroup_version = cgroup
        .as_ref()
        .map(|h| h.version().to_owned())
        .unwrap_or_else(|_| "none".into());
    let ns_exist = ["mnt", "pid", "net", "ipc", "uts", "cgroup"]
        .iter()
        .all(|n| Path::new("/proc/self/ns").join(n).exists());
    let userns = !root && user_namespaces_available();
    let seccomp = seccomp_available();
    let privileged = root || userns;
    let need_root = |what: &str| {
        format!("{what}; needs root or unprivileged user namespaces, which this host refuses")
    };
    let via_userns = |what: &str| format!("{what} (inside a user namespace: not root)");
    let layers = vec![
        LayerSupport {
            layer: Layer::Cgroup.name(),
            // Without root the hierarchy is found only where it was delegated to this user
            // (systemd Delegate=yes, FAXBOT_CGROUP_V2_BASE, or chowned v1 directories);
            // otherwise the error says what to set and the jail refuses unless
            // --allow-missing cgroup is given.
            available: cgroup.is_ok(),
            detail: match &cgroup {
                Ok(h) => format!("{} with memory, pids and cpu", h.describe()),
                Err(e) => e.to_string(),
            },
        },
        LayerSupport {
            layer: Layer::Namespaces.name(),
            available: privileged && ns_exist,
            detail: if !ns_exist {
                "kernel lacks one of the mnt, pid, net, ipc, uts, cgroup namespaces".into()
            } else if root {
                "mnt, pid, net, ipc, uts and cgroup namespaces".into()
            } else if userns {
                via_userns("user, mnt, pid, net, ipc, uts and cgroup namespaces")
            } else {
                need_root("namespaces present")
            },
        },
        LayerSupport {
            layer: Layer::Rootfs.name(),
            available: privileged && ns_exist,
            detail: if root {
                "tmpfs root, pivot_root".into()
            } else if userns {
                via_userns("tmpfs root, pivot_root")
            } else {
                need_root("pivot_root")
            },
        },
        LayerSupport {
            layer: Layer::Rlimits.name(),
            available: true,
            detail: "setrlimit, close_range".into(),
        },
        LayerSupport {
            layer: Layer::Identity.name(),
            available: privileged,
            detail: if root {
                "setresuid/setresgid, capability sets cleared, no_new_privs, pdeathsig".into()
            } else if userns {
                via_userns(
                    "the jail uid mapped to this user; capability sets cleared, no_new_privs, pdeathsig; supplementary groups kept (setgroups is denied in the namespace)",
                )
            } else {
                need_root("uid change")
            },
        },
        LayerSupport {
            layer: Layer::Landlock.name(),
            available: abi >= 1,
            detail: match abi {
                0 => {
                    "Landlock absent or disabled (add `landlock` to the kernel's lsm= list)".into()
                }
                1..=3 => format!("Landlock ABI {abi}: filesystem only (no TCP rules, no scopes)"),
                4 | 5 => format!("Landlock ABI {abi}: filesystem and TCP bind/connect (no scopes)"),
                _ => format!(
                    "Landlock ABI {abi}: filesystem, TCP bind/connect, abstract-socket and signal scopes"
                ),
            },
        },
        LayerSupport {
            layer: Layer::Seccomp.name(),
            available: seccomp,
            detail: if seccomp {
                "seccomp filters".into()
            } else {
                "kernel without seccomp".into()
            },
        },
    ];
    let uid = nix::unistd::geteuid().as_raw();
    let report = SupportReport {
        layers,
        landlock_abi: abi,
        cgroup_version,
        mode: if root {
            "root".into()
        } else if userns {
            format!("user namespace (uid {uid}: no root, the jail's id mapped to this user)")
        } else {
            format!("unprivileged (uid {uid}) without user namespaces")
        },
    };
    HostSupport {
        report,
        hierarchy: cgroup.ok(),
    }
}
