//! The jail's cgroup: memory (no swap), pids and CPU limits, on cgroup v1 or v2.
//!
//! One directory per jail (v2) or one per controller (v1), created by the outer
//! `faxbot-jail` process, joined by the jail's init before anything else (on v2 init is
//! born in it), killed as a whole and removed (or kept as a clean spare) when the jail ends.
//!
//! What differs between the versions is behind [`Backend`] ([`v1::V1`], [`v2::V2`]);
//! [`Hierarchy::detect`] picks one, [`Cgroup`] does the rest the same way on both, and
//! [`spares`] keeps emptied cgroups for the next jail. Only file writes and signals: the v2
//! path is tested against a plain directory tree, the v1 path against the real kernel.
//!
//! It must never reuse a cgroup whose counters it cannot reset (a jail's report would
//! bill its predecessor), and never leave a jail's processes alive once asked to kill them.

mod backend;
mod cgroup;
pub mod delegation;
mod detect;
mod files;
pub mod spares;
pub mod v1;
pub mod v2;

#[cfg(test)]
mod tests;

pub use backend::{Backend, Freezer};
pub use cgroup::Cgroup;
pub use delegation::Context;
pub use detect::Hierarchy;

use std::io;
use std::path::PathBuf;

/// Where cgroup v1 controllers and the unified hierarchy are mounted.
pub const CGROUP_MOUNT: &str = "/sys/fs/cgroup";
/// The directory under each hierarchy that holds faxbot's jails.
pub const JAILS_DIR: &str = "faxbot-jails";
/// CFS period used for the CPU quota.
pub const CPU_PERIOD_US: u64 = 100_000;
pub use spares::{MAX_SPARES, SPARE_PREFIX};

/// A cgroup operation failed.
#[derive(Debug, thiserror::Error)]
pub enum CgroupError {
    /// Neither a usable v2 nor a complete v1 hierarchy.
    #[error("no cgroup hierarchy with the memory, pids and cpu controllers was found under {0}")]
    Unsupported(String),
    /// Without root, the cgroup this process would use is not delegated to its user.
    #[error("cgroup {path} is not delegated to uid {uid}: {reason}; {fix}")]
    NotDelegated {
        /// The directory that should be this user's.
        path: PathBuf,
        /// The user.
        uid: u32,
        /// What is wrong with it.
        reason: String,
        /// What to set.
        fix: &'static str,
    },
    /// A delegated subtree does not offer a controller the jail needs.
    #[error(
        "cgroup v2 subtree {path} lacks the {controller} controller (it offers: {offered}); {fix}",
        fix = delegation::CONTROLLER_FIX
    )]
    MissingController {
        /// The subtree.
        path: PathBuf,
        /// The controller.
        controller: &'static str,
        /// What `cgroup.controllers` lists.
        offered: String,
    },
    /// v2's no-internal-processes rule: controllers cannot be enabled below a cgroup that
    /// holds processes.
    #[error(
        "cgroup v2 {path} still holds processes of its own, so the memory, pids and cpu controllers cannot be enabled below it (v2 lets only leaves hold processes): move them into {path}/supervisor (the core does so at start)"
    )]
    InternalProcesses {
        /// The cgroup.
        path: PathBuf,
    },
    /// A setting from the environment is unusable.
    #[error("{name}={value:?}: {rule}")]
    Setting {
        /// The variable.
        name: &'static str,
        /// Its value.
        value: String,
        /// The rule it breaks.
        rule: &'static str,
    },
    /// A file could not be written or read.
    #[error("cgroup file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
}

/// The limits of one jail.
#[derive(Clone, Debug, PartialEq)]
pub struct Limits {
    /// Memory limit, bytes.
    pub memory_bytes: u64,
    /// Task limit.
    pub pids: u64,
    /// CPU quota, cores.
    pub cpu_cores: f64,
}

impl Limits {
    /// The CPU quota per [`CPU_PERIOD_US`], microseconds (at least 1 ms).
    pub fn cpu_quota_us(&self) -> u64 {
        ((self.cpu_cores * CPU_PERIOD_US as f64) as u64).max(1_000)
    }

    /// The limits as the kernel holds them, in a form a spare's name carries
    /// (`m<bytes>-p<tasks>-c<quota µs>`), so the next jail with the same limits need not
    /// write them again.
    pub fn tag(&self) -> String {
        format!(
            "m{}-p{}-c{}",
            self.memory_bytes,
            self.pids,
            self.cpu_quota_us()
        )
    }
}

/// What a new jail's cgroup directories held before: what [`Backend::set_limits`]
/// must write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prior {
    /// Just made: every setting.
    Fresh,
    /// A spare that held a jail with other (or unknown) limits: the limits and counters;
    /// the settings every jail shares (CPU period, no swapping) are in place.
    Recycled,
    /// A spare that held a jail with the same limits: only its counters are reset.
    SameLimits,
}

/// Why the kernel stopped the jail, read from the cgroup's counters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Events {
    /// The memory limit was hit (an OOM kill or a failed charge).
    pub oom: bool,
    /// The pids limit refused a fork.
    pub pids_max: bool,
}

/// What a cgroup's tasks use now; `None` where the host does not account it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    /// Memory charged now, bytes.
    pub memory_bytes: Option<u64>,
    /// Most memory charged since the cgroup was made (or its counter reset), bytes.
    pub memory_peak_bytes: Option<u64>,
    /// CPU time used by all tasks since the cgroup was made (or its counter reset).
    pub cpu: Option<std::time::Duration>,
}
