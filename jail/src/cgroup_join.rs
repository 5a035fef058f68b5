//! Layer 1 inside the jail: the shim moves itself into the cgroup the outer process made
//! and limited (see the `faxbot-cgroup` crate), before it creates any namespace, so every
//! process the jail ever starts is counted and limited.

use crate::syscalls::{SysError, Syscalls};
use std::path::PathBuf;

/// The cgroup to join.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CgroupJoin {
    /// The files that move a single-threaded caller (`tasks` on v1, one per controller;
    /// `cgroup.procs` on v2): the shim is a fresh fork, so it has one thread.
    pub join_files: Vec<PathBuf>,
}

/// Writes 0 (the caller) into every join file.
pub fn join(sys: &dyn Syscalls, plan: &CgroupJoin) -> Result<(), SysError> {
    for file in &plan.join_files {
        sys.write_file(file, "0")?;
    }
    Ok(())
}
