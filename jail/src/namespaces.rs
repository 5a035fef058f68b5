//! Layer 2, namespaces: new mount, pid, net, ipc, uts and cgroup namespaces (and, without
//! root, a user namespace mapping exactly one id), and the jail's own hostname.

use crate::syscalls::{SysError, Syscalls};
use nix::sched::CloneFlags;
use std::path::Path;

/// The hostname every jail shows.
pub const HOSTNAME: &str = "faxbot-jail";

/// Which namespaces the shim creates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamespacePlan {
    /// The `unshare` flags (only `CLONE_NEWNS` when just the rootfs layer needs it).
    pub flags: CloneFlags,
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

/// The flags for the layers that are on.
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
            | CloneFlags::CLONE_NEWUTS
            | CloneFlags::CLONE_NEWCGROUP;
        if user {
            flags |= CloneFlags::CLONE_NEWUSER;
        }
    }
    flags
}

/// Creates the namespaces (the pid namespace takes effect for the shim's next child) and
/// writes the user namespace's id maps. The creator keeps a full capability set inside a
/// new user namespace for the remaining setup.
pub fn unshare(sys: &dyn Syscalls, plan: &NamespacePlan) -> Result<(), SysError> {
    if plan.flags.is_empty() {
        return Ok(());
    }
    sys.unshare(plan.flags)?;
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
    Ok(())
}

/// Names the jail's UTS namespace (in init).
pub fn name_host(sys: &dyn Syscalls, plan: &NamespacePlan) -> Result<(), SysError> {
    if plan.own_hostname {
        sys.sethostname(HOSTNAME)?;
    }
    Ok(())
}
