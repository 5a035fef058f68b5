//! The supervisor's handle on a running plugin's cgroup: the one its `faxbot-jail` made.
//!
//! The jail names its cgroup after its own pid (`jail-<pid>-<nanos>`), so the supervisor,
//! which spawned that process, finds it without any extra channel. Through it the
//! supervisor reads memory and CPU for metrics and billing, and ends the plugin as a whole:
//! freeze, kill every task, and let the jail remove the directory (or remove it itself
//! when the jail is gone too).

use faxbot_cgroup::{CGROUP_MOUNT, Cgroup, Hierarchy, Usage};
use std::path::Path;
use std::time::Duration;

/// A plugin instance's cgroup.
#[derive(Debug)]
pub struct PluginCgroup {
    name: String,
    cgroup: Cgroup,
    cpu_counter: Option<CpuCounter>,
}

/// The cgroup's CPU counter file, kept open: re-reading it from offset 0 costs a fraction of
/// an open/read/close, which matters when every call is billed.
#[derive(Debug)]
struct CpuCounter {
    file: std::fs::File,
    unit: Duration,
    /// The `key value` line holding the counter (v2 `cpu.stat`), or none for a bare number.
    key: Option<&'static str>,
}

impl CpuCounter {
    fn open(cgroup: &Cgroup) -> Option<Self> {
        for dir in cgroup.dirs() {
            let v1 = dir.join("cpuacct.usage");
            if let Ok(file) = std::fs::File::open(&v1) {
                return Some(Self {
                    file,
                    unit: Duration::from_nanos(1),
                    key: None,
                });
            }
        }
        let v2 = cgroup.dirs().first()?.join("cpu.stat");
        let file = std::fs::File::open(v2).ok()?;
        Some(Self {
            file,
            unit: Duration::from_micros(1),
            key: Some("usage_usec "),
        })
    }

    fn read(&self) -> Option<Duration> {
        use std::os::unix::fs::FileExt;
        let mut buf = [0u8; 512];
        let n = self.file.read_at(&mut buf, 0).ok()?;
        let text = std::str::from_utf8(buf.get(..n)?).ok()?;
        let value = match self.key {
            None => text.trim(),
            Some(key) => text.lines().find_map(|l| l.strip_prefix(key))?.trim(),
        };
        let units: u64 = value.parse().ok()?;
        let unit_nanos = u64::try_from(self.unit.as_nanos()).ok()?;
        Some(Duration::from_nanos(units.saturating_mul(unit_nanos)))
    }
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
        let cpu_counter = CpuCounter::open(&cgroup);
        Some(Self {
            name,
            cgroup,
            cpu_counter,
        })
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
        self.cpu_counter.as_ref()?.read()
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
