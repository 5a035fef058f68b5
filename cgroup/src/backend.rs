//! What one cgroup version does for a jail's cgroup. [`crate::Cgroup`] and the spares pool
//! use only this; [`crate::v1::V1`] and [`crate::v2::V2`] implement it.

use crate::{CgroupError, Events, Limits, Prior, Usage};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A freezer's control file and the values it takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Freezer {
    /// The file written to freeze or thaw.
    pub file: PathBuf,
    /// What freezes.
    pub frozen: &'static str,
    /// What thaws.
    pub thawed: &'static str,
}

/// One cgroup version's files. A jail's cgroup is a list of directories, one per base in
/// [`Backend::bases`] order.
pub trait Backend: fmt::Debug + Send + Sync {
    /// `"v1"` or `"v2"`.
    fn version(&self) -> &'static str;
    /// The file in each cgroup directory that a single-threaded process writes `0` into to
    /// move itself (see [`crate::Cgroup::self_join_files`]).
    fn self_join_file(&self) -> &'static str;
    /// Whether a process can be created directly inside a cgroup
    /// (`clone3(CLONE_INTO_CGROUP)`, v2 only).
    fn accepts_births(&self) -> bool;
    /// The directories that hold the jails' cgroups: one on v2; on v1 memory, pids and
    /// cpu, then the optional controllers (freezer, cpuacct) where mounted on their own.
    fn bases(&self) -> &[PathBuf];
    /// Makes the bases ready to hold jails (creates them; v2 enables the controllers).
    fn prepare_bases(&self) -> Result<(), CgroupError>;
    /// Writes `limits` into a new or recycled cgroup and clears what a previous jail left;
    /// `prior` says what is in place already.
    fn set_limits(
        &self,
        dirs: &[PathBuf],
        limits: &Limits,
        prior: Prior,
    ) -> Result<(), CgroupError>;
    /// Which limits were hit.
    fn events(&self, dirs: &[PathBuf]) -> Events;
    /// Memory now and at peak, CPU time.
    fn usage(&self, dirs: &[PathBuf]) -> Usage;
    /// The freezer, where there is one.
    fn freezer(&self, dirs: &[PathBuf]) -> Option<Freezer>;
    /// Whether the kernel reports the cgroup frozen.
    fn is_frozen(&self, dirs: &[PathBuf]) -> bool;
    /// Kills every task at once where the kernel has a switch for it (v2 `cgroup.kill`);
    /// `false` when the caller must kill task by task.
    fn kill_at_once(&self, dirs: &[PathBuf]) -> bool;
    /// Whether an emptied cgroup that hit no limit can be handed to another jail: its
    /// counters must be resettable (v2 cannot reset `memory.peak` or `cpu.stat`).
    fn reusable(&self, dirs: &[PathBuf]) -> bool;
    /// Resets what the next holder must not inherit, once a cgroup became a spare at `dirs`.
    fn reset_spare(&self, dirs: &[PathBuf]);
    /// Moves the calling process out of a delegated v2 root into its leaf, where v2 needs
    /// it before controllers can be enabled below the root. Returns the leaf when it moved.
    fn settle(&self) -> Result<Option<PathBuf>, CgroupError> {
        Ok(None)
    }
    /// The hierarchy and where the jails go, in words.
    fn describe(&self) -> String;
    /// The same hierarchy without the controllers that only account (v1's freezer and
    /// cpuacct mounted on their own), or `None` where there are none to leave out.
    fn limits_only(&self) -> Option<Arc<dyn Backend>> {
        None
    }
    /// The name prefix of this backend's spare cgroups. A spare holds a directory in every
    /// base, so backends with different bases keep separate pools.
    fn spare_prefix(&self) -> &'static str {
        crate::SPARE_PREFIX
    }
}

/// `dirs[i]`, or an empty path where a cgroup has fewer directories than its backend
/// expects (an `open`ed cgroup that lost one): reading it then finds nothing.
pub(crate) fn dir(dirs: &[PathBuf], i: usize) -> &Path {
    dirs.get(i).map(PathBuf::as_path).unwrap_or(Path::new(""))
}
