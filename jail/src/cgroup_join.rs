//! Layer 1 inside the jail: the shim moves itself into the cgroup the outer process made
//! and limited (see the `faxbot-cgroup` crate), before it creates any namespace, so every
//! process the jail ever starts is counted and limited.

use crate::syscalls::{SysError, Syscalls};
use std::path::PathBuf;

/// The cgroup to join.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CgroupJoin {
    /// Its `cgroup.procs` files (one on v2, one per controller on v1).
    pub procs_files: Vec<PathBuf>,
}

/// Writes 0 (the caller) into every `cgroup.procs` file.
pub fn join(sys: &dyn Syscalls, plan: &CgroupJoin) -> Result<(), SysError> {
    for file in &plan.procs_files {
        sys.write_file(file, "0")?;
    }
    Ok(())
}
