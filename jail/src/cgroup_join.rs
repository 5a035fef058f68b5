//! Layer 1 inside the jail: init moves itself into the cgroup the outer process made and
//! limited (see the `faxbot-cgroup` crate) as its first act, before it creates the cgroup
//! namespace or any child, so every process the jail ever starts is counted and limited.
//! On cgroup v2 init is instead created inside it ([`crate::syscalls::Syscalls::clone_into_namespaces`]
//! with the directory), which moves nothing.

use crate::syscalls::{SysError, Syscalls};
use std::os::fd::RawFd;
use std::path::PathBuf;

/// The cgroup to join.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CgroupJoin {
    /// The cgroup's directory, open, when init can be created inside it
    /// (`clone3(CLONE_INTO_CGROUP)` on v2); the files are then written only by a kernel
    /// without it.
    pub born_into: Option<RawFd>,
    /// The files that move a single-threaded caller (`tasks` on v1, one per controller;
    /// `cgroup.procs` on v2): init is a fresh clone, so it has one thread.
    pub join_files: Vec<PathBuf>,
}

/// Writes 0 (the caller) into every join file.
pub fn join(sys: &dyn Syscalls, plan: &CgroupJoin) -> Result<(), SysError> {
    for file in &plan.join_files {
        sys.write_file(file, "0")?;
    }
    Ok(())
}
