//! Dropping to the plugin's unprivileged identity: supplementary groups, gid, uid, every
//! capability set, no_new_privs and the parent-death signal.

use nix::unistd::{Gid, Uid};

/// A step of the identity drop failed.
#[derive(Debug, thiserror::Error)]
#[error("{step}: {source}")]
pub struct IdentityError {
    step: &'static str,
    source: std::io::Error,
}

fn fail(step: &'static str) -> impl FnOnce(nix::Error) -> IdentityError {
    move |e| IdentityError {
        step,
        source: std::io::Error::from(e),
    }
}

/// Drops to `uid`/`gid` with no capabilities at all.
///
/// Order matters: the bounding set can only be dropped while CAP_SETPCAP is held (before
/// setuid); setresuid from root to a non-zero uid clears the permitted and effective sets;
/// ambient and inheritable are cleared explicitly.
/// In a user namespace (`clear_groups` false) `setgroups` is denied, so supplementary groups
/// cannot be cleared: they show as the overflow gid and are said in the threat model.
pub fn drop_to(uid: u32, gid: u32, clear_groups: bool) -> Result<(), IdentityError> {
    if clear_groups {
        nix::unistd::setgroups(&[]).map_err(fail("setgroups([])"))?;
    }
    let gid = Gid::from_raw(gid);
    nix::unistd::setresgid(gid, gid, gid).map_err(fail("setresgid"))?;
    drop_bounding_set()?;
    caps::clear(None, caps::CapSet::Ambient).map_err(|e| IdentityError {
        step: "clear ambient capabilities",
        source: std::io::Error::other(e.to_string()),
    })?;
    let uid = Uid::from_raw(uid);
    nix::unistd::setresuid(uid, uid, uid).map_err(fail("setresuid"))?;
    for set in [
        caps::CapSet::Inheritable,
        caps::CapSet::Effective,
        caps::CapSet::Permitted,
    ] {
        caps::clear(None, set).map_err(|e| IdentityError {
            step: "clear capability set",
            source: std::io::Error::other(e.to_string()),
        })?;
    }
    set_no_new_privs()?;
    Ok(())
}

/// Drops every capability from the bounding set (raw prctl loop: no allocation).
pub fn drop_bounding_set() -> Result<(), IdentityError> {
    for cap in 0..=63 {
        // SAFETY: PR_CAPBSET_DROP takes an integer capability number and touches no memory.
        #[allow(unsafe_code)]
        let rc = unsafe { libc::prctl(libc::PR_CAPBSET_DROP, cap as libc::c_ulong, 0, 0, 0) };
        if rc != 0 {
            let err = std::io::Error::last_os_error();
            // EINVAL: past the kernel's last capability.
            if err.raw_os_error() == Some(libc::EINVAL) {
                break;
            }
            return Err(IdentityError {
                step: "drop bounding set",
                source: err,
            });
        }
    }
    Ok(())
}

/// Sets PR_SET_NO_NEW_PRIVS: no exec may ever gain privileges again.
pub fn set_no_new_privs() -> Result<(), IdentityError> {
    // SAFETY: integer-only prctl.
    #[allow(unsafe_code)]
    let rc = unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) };
    if rc != 0 {
        return Err(IdentityError {
            step: "PR_SET_NO_NEW_PRIVS",
            source: std::io::Error::last_os_error(),
        });
    }
    Ok(())
}

/// Asks the kernel to SIGKILL the calling process when its parent dies.
pub fn die_with_parent() -> Result<(), IdentityError> {
    // SAFETY: integer-only prctl.
    #[allow(unsafe_code)]
    let rc = unsafe {
        libc::prctl(
            libc::PR_SET_PDEATHSIG,
            libc::SIGKILL as libc::c_ulong,
            0,
            0,
            0,
        )
    };
    if rc != 0 {
        return Err(IdentityError {
            step: "PR_SET_PDEATHSIG",
            source: std::io::Error::last_os_error(),
        });
    }
    Ok(())
}
