//! Layer 2, namespaces: new mount, pid, net, ipc, uts and cgroup namespaces (and, without
//! root, a user namespace mapping exactly one id), and the jail's own hostname.
//!
//! The jail's init is created in all of them but the cgroup namespace by one clone from the
//! outer process ([`NamespacePlan::flags`], `Syscalls::clone_into_namespaces`). init then [`enter`]s
//! the rest: it writes its own id maps, and creates the cgroup namespace only after it has
//! joined the jail's cgroup, so that namespace is rooted there (a clone would root it at
//! the outer process's cgroup).

use crate::syscalls::{SysError, Syscalls};
use nix::sched::CloneFlags;
use std::path::Path;

/// The hostname every jail shows.
pub const HOSTNAME: &str = "faxbot-jail";

/// Which namespaces the jail's init is created in, and what it does in them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamespacePlan {
    /// The clone flags of init (only `CLONE_NEWNS` when just the rootfs layer needs it);
    /// never `CLONE_NEWCGROUP`, which init unshares itself (`own_cgroup_namespace`).
    pub flags: CloneFlags,
    /// Whether init unshares a cgroup namespace once it is in the jail's cgroup.
    pub own_cgroup_namespace: bool,
    /// The id mapping of a new user namespace (unprivileged runs).
    pub user_map: Option<IdMap>,
    /// Whether the jail has its own UTS namespace to name.
    pub own_hostname: bool,
}

/// One uid and one gid mapped into a user namespace: the jail's ids inside are the
/// caller's outside.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IdMap {
    /// The uid inside.
    pub inside_uid: u32,
    /// The uid outside (the caller's).
    pub outside_uid: u32,
    /// The gid inside.
    pub inside_gid: u32,
    /// The gid outside (the caller's).
    pub outside_gid: u32,
}

/// The clone flags of init for the layers that are on (the cgroup namespace excluded).
pub fn flags(namespaces: bool, rootfs: bool, user: bool) -> CloneFlags {
    let mut flags = CloneFlags::empty();
    if rootfs {
        flags |= CloneFlags::CLONE_NEWNS;
    }
    if namespaces {
        flags |= CloneFlags::CLONE_NEWNS
            | CloneFlags::CLONE_NEWPID
            | CloneFlags::CLONE_NEWNET
            | CloneFlags::CLONE_NEWIPC
            | CloneFlags::CLONE_NEWUTS;
        if user {
            flags |= CloneFlags::CLONE_NEWUSER;
        }
    }
    flags
}

/// In init, created in the namespaces of `plan.flags` and already in the jail's cgroup:
/// writes the user namespace's id maps (a process may write its own single-line maps of its
/// own ids, user_namespaces(7)), creates the cgroup namespace (rooted at the cgroup init is
/// in) and names the host. init keeps a full capability set inside its user namespace for
/// the remaining setup.
pub fn enter(sys: &dyn Syscalls, plan: &NamespacePlan) -> Result<(), SysError> {
    if let Some(map) = plan.user_map {
        let proc_self = Path::new("/proc/self");
        sys.write_file(&proc_self.join("setgroups"), "deny")?;
        sys.write_file(
            &proc_self.join("uid_map"),
            &format!("{} {} 1\n", map.inside_uid, map.outside_uid),
        )?;
        sys.write_file(
            &proc_self.join("gid_map"),
            &format!("{} {} 1\n", map.inside_gid, map.outside_gid),
        )?;
    }
    if plan.own_cgroup_namespace {
        sys.unshare(CloneFlags::CLONE_NEWCGROUP)?;
    }
    if plan.own_hostname {
        sys.sethostname(HOSTNAME)?;
    }
    Ok(())
}
