//! The supervisor's handle on a running plugin's cgroup: the one its `faxbot-jail` made.
//!
//! The jail names its cgroup after its own pid (`jail-<pid>-<nanos>`), so the supervisor,
//! which spawned that process, finds it without any extra channel. Through it the
//! supervisor reads memory and CPU for metrics and billing, and ends the plugin as a whole:
//! freeze, kill every task, and let the jail remove the directory (or remove it itself
//! when the jail is gone too).

use crate::jail::cgroup::{CGROUP_MOUNT, Cgroup, Hierarchy, Usage};
use std::path::Path;
use std::time::Duration;

/// A plugin instance's cgroup.
#[derive(Debug)]
pub struct PluginCgroup {
    name: String,
    cgroup: Cgroup,
}

impl PluginCgroup {
    /// The cgroup of the jail whose outer `faxbot-jail` process is `jail_pid`, if it has one
    /// (none for an unjailed test launch or a jail with the cgroup layer disabled).
    pub fn of_jail(jail_pid: u32) -> Option<Self> {
        Self::of_jail_in(&Hierarchy::detect(Path::new(CGROUP_MOUNT)).ok()?, jail_pid)
    }

    /// As [`PluginCgroup::of_jail`] within a given hierarchy.
    pub fn of_jail_in(hierarchy: &Hierarchy, jail_pid: u32) -> Option<Self> {
        let name = hierarchy.find_jail(jail_pid)?;
        let cgroup = hierarchy.open(&name)?;
        Some(Self { name, cgroup })
    }

    /// The cgroup's name under the jails directory.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Memory and CPU the plugin uses now.
    pub fn usage(&self) -> Usage {
        self.cgroup.usage()
    }

    /// CPU time used so far (`None` where the host does not account it).
    pub fn cpu(&self) -> Option<Duration> {
        self.cgroup.usage().cpu
    }

    /// Host pids of the plugin's processes.
    pub fn pids(&self) -> Vec<i32> {
        self.cgroup.pids()
    }

    /// Freezes every task, then kills them all (see [`Cgroup::kill_all`]): a plugin stuck
    /// in a syscall or forking as fast as it can still ends. Blocks for at most about a
    /// second, so async callers run it on a blocking thread.
    pub fn freeze_and_kill(&self) {
        self.cgroup.kill_all();
    }

    /// Whether the cgroup's directories are gone (the jail removed them, or recycled them as
    /// a spare under another name).
    pub fn is_removed(&self) -> bool {
        self.cgroup.is_removed()
    }

    /// Removes the directories of an emptied cgroup whose jail did not (it was killed
    /// itself). Best effort: a sweep at the next start catches what remains.
    pub fn remove_leftover(self) {
        if !self.cgroup.is_removed() {
            let _ = self.cgroup.remove();
        }
    }
}
