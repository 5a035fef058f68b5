//! Layer 5, identity: supplementary groups, gid, uid, every capability set, no_new_privs
//! and the parent-death signal (which a change of credentials clears).

use crate::syscalls::{CapabilitySet, SysError, Syscalls};

/// Who the program becomes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdentityPlan {
    /// The unprivileged uid (never 0).
    pub uid: u32,
    /// The unprivileged gid (never 0).
    pub gid: u32,
    /// Whether supplementary groups can be cleared: not inside a user namespace, where
    /// `setgroups` is denied (they then show as the overflow gid; see the threat model).
    pub clear_groups: bool,
}

/// Drops to the plan's ids with no capabilities at all.
///
/// Order matters: the bounding set can only be dropped while CAP_SETPCAP is held (before
/// setuid); setresuid from root to a non-zero uid clears the permitted and effective sets;
/// ambient and inheritable are cleared explicitly; the parent-death signal is set again
/// because the credential change cleared it.
pub fn drop_to(sys: &dyn Syscalls, plan: &IdentityPlan) -> Result<(), SysError> {
    if plan.clear_groups {
        sys.setgroups(&[])?;
    }
    sys.setresgid(plan.gid)?;
    sys.drop_bounding_set()?;
    sys.clear_capabilities(CapabilitySet::Ambient)?;
    sys.setresuid(plan.uid)?;
    for set in [
        CapabilitySet::Inheritable,
        CapabilitySet::Effective,
        CapabilitySet::Permitted,
    ] {
        sys.clear_capabilities(set)?;
    }
    sys.set_no_new_privs()?;
    sys.set_parent_death_signal()
}
