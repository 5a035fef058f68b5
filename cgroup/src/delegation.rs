//! The cgroup an unprivileged core may use: a subtree delegated to its user.
//!
//! Root makes jail cgroups anywhere. A core running as an ordinary user (the
//! `faxbot-unprivileged.service` unit) may only use what an administrator or systemd handed
//! to it:
//!
//! - **cgroup v2, delegated** (systemd `Delegate=yes`, or a directory named in
//!   `FAXBOT_CGROUP_V2_BASE`): the process's own cgroup from `/proc/self/cgroup`, when this
//!   user owns it. v2 lets only leaves hold processes once controllers are enabled below a
//!   cgroup, so the delegated directory is laid out as `<root>/supervisor` (the core, a
//!   leaf) and `<root>/plugins/jail-…` (one leaf per jail), with memory, pids and cpu
//!   enabled in `<root>` and `<root>/plugins`.
//! - **cgroup v1, chowned**: `<controller>/faxbot-jails` (or `FAXBOT_CGROUP_V1_DIR`) in the
//!   memory, pids and cpu hierarchies, made by root and chowned, with their `cgroup.procs`,
//!   to this user; freezer and cpuacct are used where the same directory is chowned too.
//!
//! Anything else is refused with what to set, never run without limits.

use crate::Backend;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// The leaf the core moves itself into inside a delegated v2 subtree.
pub const SUPERVISOR_LEAF: &str = "supervisor";
/// The directory of a delegated v2 subtree that holds the jails' cgroups.
pub const PLUGINS_DIR: &str = "plugins";
/// Names a delegated cgroup v2 directory explicitly.
pub const V2_BASE_ENV: &str = "FAXBOT_CGROUP_V2_BASE";
/// Names the directory under each v1 controller that holds the jails (default
/// [`crate::JAILS_DIR`]).
pub const V1_DIR_ENV: &str = "FAXBOT_CGROUP_V1_DIR";

/// What to do when v2 is not delegated.
pub const V2_FIX: &str = "run the core under systemd with Delegate=yes (deploy/faxbot-unprivileged.service), or set FAXBOT_CGROUP_V2_BASE to a cgroup v2 directory chowned to this user with its cgroup.procs, cgroup.subtree_control and cgroup.threads";
/// What to do when v1 is not delegated.
pub const V1_FIX: &str = "as root, create that directory in the memory, pids and cpu hierarchies (and freezer, cpuacct where mounted) and chown it and its cgroup.procs and tasks to this user (FAXBOT_CGROUP_V1_DIR names another directory)";
/// What to do when a delegated v2 subtree lacks a controller.
pub const CONTROLLER_FIX: &str = "the parent cgroup must enable it for the subtree (systemd: Delegate=yes delegates memory, pids and cpu; check the unit's Delegate= list and that the kernel offers the controller)";

/// Who is asking, and what this process's environment says about cgroups. Everything
/// detection reads besides the cgroup files themselves, so that a test can pose as an
/// unprivileged user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Context {
    /// Whether the process may use any cgroup (euid 0).
    pub privileged: bool,
    /// The effective uid the delegated directories must belong to.
    pub uid: u32,
    /// The process's own cgroup v2 path (`0::/…` in `/proc/self/cgroup`).
    pub own_v2_cgroup: Option<PathBuf>,
    /// `FAXBOT_CGROUP_V2_BASE`.
    pub v2_base: Option<PathBuf>,
    /// `FAXBOT_CGROUP_V1_DIR`.
    pub v1_dir: Option<String>,
}

impl Context {
    /// This process: its euid, environment and (where a delegated subtree is looked for)
    /// `/proc/self/cgroup`.
    pub fn of_this_process() -> Self {
        let uid = nix::unistd::geteuid().as_raw();
        let v2_base = std::env::var_os(V2_BASE_ENV)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        // Root without FAXBOT_CGROUP_V2_BASE never needs it: one read fewer per jail start.
        let own_v2_cgroup = if uid != 0 || v2_base.is_some() {
            std::fs::read_to_string("/proc/self/cgroup")
                .ok()
                .and_then(|text| own_v2_cgroup(&text))
        } else {
            None
        };
        Self {
            privileged: uid == 0,
            uid,
            own_v2_cgroup,
            v2_base,
            v1_dir: std::env::var(V1_DIR_ENV).ok().filter(|v| !v.is_empty()),
        }
    }

    /// Root, in the root cgroup, with no environment: what the tests of plain trees use.
    pub fn privileged() -> Self {
        Self {
            privileged: true,
            uid: 0,
            own_v2_cgroup: None,
            v2_base: None,
            v1_dir: None,
        }
    }

    /// The v1 directory name (a relative path without `..`; the default otherwise).
    pub fn v1_dir(&self) -> Result<PathBuf, crate::CgroupError> {
        let Some(dir) = &self.v1_dir else {
            return Ok(PathBuf::from(crate::JAILS_DIR));
        };
        let path = PathBuf::from(dir);
        let plain = path
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
        if !plain {
            return Err(crate::CgroupError::Setting {
                name: V1_DIR_ENV,
                value: dir.clone(),
                rule: "must be a relative path of plain names (no `/` at the start, no `..`)",
            });
        }
        Ok(path)
    }
}

/// The `0::/path` line of a `/proc/<pid>/cgroup` text (the unified hierarchy).
pub fn own_v2_cgroup(proc_cgroup: &str) -> Option<PathBuf> {
    proc_cgroup
        .lines()
        .find_map(|l| l.strip_prefix("0::"))
        .map(|p| PathBuf::from(p.trim()))
}

/// A delegated v2 subtree: where the core and the jails go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DelegatedV2 {
    /// The delegated directory.
    pub root: PathBuf,
    /// Whether the process is in `root` itself (not yet in its leaf): it must move to
    /// [`DelegatedV2::leaf`] before controllers can be enabled in `root`.
    pub in_root: bool,
}

impl DelegatedV2 {
    /// `<root>/supervisor`: the core's leaf.
    pub fn leaf(&self) -> PathBuf {
        self.root.join(SUPERVISOR_LEAF)
    }

    /// `<root>/plugins`: the jails' parent.
    pub fn plugins(&self) -> PathBuf {
        self.root.join(PLUGINS_DIR)
    }
}

fn owner(path: &Path) -> Option<u32> {
    std::fs::metadata(path).ok().map(|m| m.uid())
}

/// Why `dir` (with the files named) is not this user's, if it is not.
fn not_owned(dir: &Path, files: &[&str], uid: u32) -> Option<String> {
    match owner(dir) {
        None => return Some("it does not exist".into()),
        Some(o) if o != uid => return Some(format!("it is owned by uid {o}")),
        Some(_) => {}
    }
    files.iter().find_map(|f| match owner(&dir.join(f)) {
        None => Some(format!("it has no {f}")),
        Some(o) if o != uid => Some(format!("its {f} is owned by uid {o}")),
        Some(_) => None,
    })
}

/// The controllers `dir` offers its children (`cgroup.controllers`).
fn offered(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("cgroup.controllers"))
        .unwrap_or_default()
        .trim()
        .to_owned()
}

/// Checks that `root` offers memory, pids and cpu.
pub(crate) fn check_controllers(
    root: &Path,
    needed: &[&'static str],
) -> Result<(), crate::CgroupError> {
    let offered = offered(root);
    match needed
        .iter()
        .find(|c| !offered.split_whitespace().any(|x| x == **c))
    {
        Some(controller) => Err(crate::CgroupError::MissingController {
            path: root.to_owned(),
            controller,
            offered: if offered.is_empty() {
                "none".into()
            } else {
                offered
            },
        }),
        None => Ok(()),
    }
}

/// The delegated v2 subtree of `ctx` in the unified hierarchy mounted at `v2_mount`.
pub fn find_v2(v2_mount: &Path, ctx: &Context) -> Result<DelegatedV2, crate::CgroupError> {
    let own = ctx
        .own_v2_cgroup
        .as_ref()
        .map(|p| v2_mount.join(p.strip_prefix("/").unwrap_or(p)));
    let files = ["cgroup.procs", "cgroup.subtree_control"];
    let root = match (&ctx.v2_base, &own) {
        (Some(base), _) => base.clone(),
        (None, Some(own)) => {
            let parent = own.parent().filter(|_| own.ends_with(SUPERVISOR_LEAF));
            match parent {
                Some(p) if ctx.privileged || not_owned(p, &files, ctx.uid).is_none() => {
                    p.to_owned()
                }
                _ => own.clone(),
            }
        }
        (None, None) => {
            return Err(crate::CgroupError::NotDelegated {
                path: v2_mount.to_owned(),
                uid: ctx.uid,
                reason: "this process is in no cgroup v2 (no 0:: line in /proc/self/cgroup)".into(),
                fix: V2_FIX,
            });
        }
    };
    if !ctx.privileged
        && let Some(reason) = not_owned(&root, &files, ctx.uid)
    {
        return Err(crate::CgroupError::NotDelegated {
            path: root,
            uid: ctx.uid,
            reason,
            fix: V2_FIX,
        });
    }
    check_controllers(&root, &crate::v2::CONTROLLERS)?;
    Ok(DelegatedV2 {
        in_root: own.as_deref() == Some(root.as_path()),
        root,
    })
}

/// The v1 bases under `mount` for `ctx`: memory, pids and cpu (each must be this user's
/// unless privileged), then freezer and cpuacct where mounted on their own and, without
/// privilege, chowned too.
pub fn find_v1(mount: &Path, ctx: &Context) -> Result<Option<crate::v1::V1>, crate::CgroupError> {
    let dir = ctx.v1_dir()?;
    let Some(v1) = crate::v1::detect(mount, &dir) else {
        return Ok(None);
    };
    if ctx.privileged {
        return Ok(Some(v1));
    }
    // A jail's init joins through `tasks`; the supervisor reads `cgroup.procs`.
    let files = ["cgroup.procs", "tasks"];
    let required = &v1.bases()[..3];
    for base in required {
        if let Some(reason) = not_owned(base, &files, ctx.uid) {
            return Err(crate::CgroupError::NotDelegated {
                path: base.to_path_buf(),
                uid: ctx.uid,
                reason,
                fix: V1_FIX,
            });
        }
    }
    let owned_optional = v1
        .accounting()
        .filter(|(_, b)| not_owned(b, &files, ctx.uid).is_none())
        .map(|(kind, b)| (kind, b.clone()))
        .collect();
    let [memory, pids, cpu] = [0, 1, 2].map(|i| required.get(i).cloned().unwrap_or_default());
    Ok(Some(crate::v1::V1::new(memory, pids, cpu, owned_optional)))
}
