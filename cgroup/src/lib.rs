//! The jail's cgroup: memory (no swap), pids and CPU limits, on cgroup v1 or v2.
//!
//! One directory per jail (v2) or one per controller (v1), created by the outer
//! `faxbot-jail` process, joined by the jail's init before anything else, killed as a
//! whole and removed when the jail ends. Only file writes: the v2 path is tested against a
//! plain directory tree, the v1 path against the real kernel.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Where cgroup v1 controllers and the unified hierarchy are mounted.
pub const CGROUP_MOUNT: &str = "/sys/fs/cgroup";
/// The directory under each hierarchy that holds faxbot's jails.
pub const JAILS_DIR: &str = "faxbot-jails";

/// Which cgroup hierarchy holds the limits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Hierarchy {
    /// Unified hierarchy: one directory with `memory.max`, `pids.max`, `cpu.max`.
    V2 {
        /// The directory under which jail cgroups are made (delegated to faxbot).
        base: PathBuf,
    },
    /// Legacy hierarchies, one per controller.
    V1 {
        /// `…/memory/faxbot-jails`
        memory: PathBuf,
        /// `…/pids/faxbot-jails`
        pids: PathBuf,
        /// `…/cpu/faxbot-jails`
        cpu: PathBuf,
        /// `…/freezer/faxbot-jails` and `…/cpuacct/faxbot-jails` where those controllers
        /// are mounted on their own: the freezer makes a kill race-free, cpuacct bills CPU
        /// time. Neither is a limit, so a host without them still runs jails.
        optional: Vec<PathBuf>,
    },
}

/// A cgroup operation failed.
#[derive(Debug, thiserror::Error)]
pub enum CgroupError {
    /// Neither a usable v2 nor a complete v1 hierarchy.
    #[error("no cgroup hierarchy with the memory, pids and cpu controllers was found under {0}")]
    Unsupported(String),
    /// A file could not be written or read.
    #[error("cgroup file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> CgroupError + '_ {
    move |source| CgroupError::Io {
        path: path.to_owned(),
        source,
    }
}

impl Hierarchy {
    /// Finds the hierarchy on this host: v2 if the unified hierarchy at `mount` offers the
    /// memory, pids and cpu controllers; otherwise v1 if all three are mounted separately.
    /// `FAXBOT_CGROUP_V2_BASE` names a delegated v2 directory explicitly (systemd hosts).
    pub fn detect(mount: &Path) -> Result<Self, CgroupError> {
        if let Some(base) = std::env::var_os("FAXBOT_CGROUP_V2_BASE") {
            return Ok(Hierarchy::V2 {
                base: PathBuf::from(base),
            });
        }
        if let Ok(controllers) = fs::read_to_string(mount.join("cgroup.controllers")) {
            let has = |c: &str| controllers.split_whitespace().any(|x| x == c);
            if has("memory") && has("pids") && has("cpu") {
                return Ok(Hierarchy::V2 {
                    base: mount.join(JAILS_DIR),
                });
            }
        }
        let v1 = |c: &str| mount.join(c);
        if ["memory", "pids", "cpu"]
            .iter()
            .all(|c| v1(c).join("cgroup.procs").exists())
        {
            let cpu_mount = fs::canonicalize(v1("cpu")).ok();
            let optional = ["freezer", "cpuacct"]
                .iter()
                .map(|c| v1(c))
                .filter(|m| m.join("cgroup.procs").exists())
                // Co-mounted with cpu (`cpu,cpuacct`): the cpu directory already has it.
                .filter(|m| fs::canonicalize(m).ok() != cpu_mount)
                .map(|m| m.join(JAILS_DIR))
                .collect();
            return Ok(Hierarchy::V1 {
                memory: v1("memory").join(JAILS_DIR),
                pids: v1("pids").join(JAILS_DIR),
                cpu: v1("cpu").join(JAILS_DIR),
                optional,
            });
        }
        Err(CgroupError::Unsupported(mount.display().to_string()))
    }

    /// `"v1"` or `"v2"`.
    pub fn version(&self) -> &'static str {
        match self {
            Hierarchy::V2 { .. } => "v2",
            Hierarchy::V1 { .. } => "v1",
        }
    }

    fn bases(&self) -> Vec<&Path> {
        match self {
            Hierarchy::V2 { base } => vec![base],
            Hierarchy::V1 {
                memory,
                pids,
                cpu,
                optional,
            } => [memory, pids, cpu]
                .into_iter()
                .chain(optional)
                .map(PathBuf::as_path)
                .collect(),
        }
    }

    /// The name of the cgroup the `faxbot-jail` process `jail_pid` made for its jail, if it
    /// exists now (jail cgroups are named `jail-<pid>-<nanos>`).
    pub fn find_jail(&self, jail_pid: u32) -> Option<String> {
        let prefix = format!("jail-{jail_pid}-");
        fs::read_dir(self.bases().first()?)
            .ok()?
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok())
            .find(|name| name.starts_with(&prefix))
    }

    /// Opens the existing cgroup `name` (made by a jail) without creating or changing it.
    pub fn open(&self, name: &str) -> Option<Cgroup> {
        let dirs: Vec<PathBuf> = self.bases().iter().map(|b| b.join(name)).collect();
        if !dirs.first()?.is_dir() {
            return None;
        }
        Some(Cgroup {
            hierarchy: self.clone(),
            dirs,
        })
    }

    /// Removes jail cgroups left behind by runs that died without cleaning up (their
    /// processes are gone, so the directories are empty and `rmdir` succeeds). Returns how
    /// many were removed.
    pub fn sweep_leftovers(&self) -> usize {
        let mut removed = 0;
        for base in self.bases() {
            let Ok(entries) = fs::read_dir(base) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name();
                let Some(name) = name.to_str() else { continue };
                let Some(pid) = name.strip_prefix("jail-").and_then(|r| r.split('-').next()) else {
                    continue;
                };
                let alive = Path::new("/proc").join(pid).exists();
                if !alive && fs::remove_dir(entry.path()).is_ok() {
                    removed += 1;
                }
            }
        }
        removed
    }

    /// Creates the cgroup of one jail with its limits, reusing a spare one when there is one
    /// (a cold `mkdir` in the v1 memory controller costs 10+ ms; a rename costs microseconds).
    pub fn create(&self, name: &str, limits: &Limits) -> Result<Cgroup, CgroupError> {
        self.claim_spare(name);
        match self {
            Hierarchy::V2 { base } => {
                ensure_dir(base)?;
                enable_v2_controllers(base)?;
                let dir = base.join(name);
                ensure_dir(&dir)?;
                let cgroup = Cgroup {
                    hierarchy: self.clone(),
                    dirs: vec![dir.clone()],
                };
                write(&dir.join("memory.max"), &limits.memory_bytes.to_string())?;
                write_optional(&dir.join("memory.swap.max"), "0")?;
                write(&dir.join("pids.max"), &limits.pids.to_string())?;
                write(
                    &dir.join("cpu.max"),
                    &format!("{} {}", limits.cpu_quota_us(), CPU_PERIOD_US),
                )?;
                Ok(cgroup)
            }
            Hierarchy::V1 { .. } => {
                let bases = self.bases();
                let dirs: Vec<PathBuf> = bases.iter().map(|b| b.join(name)).collect();
                for d in bases
                    .iter()
                    .copied()
                    .chain(dirs.iter().map(PathBuf::as_path))
                {
                    ensure_dir(d)?;
                }
                let cgroup = Cgroup {
                    hierarchy: self.clone(),
                    dirs: dirs.clone(),
                };
                // The kernel keeps memory <= memory+swap at every step, so a recycled
                // spare whose old memsw limit is lower than the new memory limit would
                // refuse it (EINVAL): lift memsw first, then set both.
                let memsw = dirs[0].join("memory.memsw.limit_in_bytes");
                if memsw.exists() {
                    write(&memsw, "-1")?;
                }
                write(
                    &dirs[0].join("memory.limit_in_bytes"),
                    &limits.memory_bytes.to_string(),
                )?;
                // No swap: where the kernel accounts swap, cap memory+swap at the same value.
                write_optional(
                    &dirs[0].join("memory.memsw.limit_in_bytes"),
                    &limits.memory_bytes.to_string(),
                )?;
                write_optional(&dirs[0].join("memory.swappiness"), "0")?;
                write(&dirs[1].join("pids.max"), &limits.pids.to_string())?;
                write(
                    &dirs[2].join("cpu.cfs_period_us"),
                    &CPU_PERIOD_US.to_string(),
                )?;
                write(
                    &dirs[2].join("cpu.cfs_quota_us"),
                    &limits.cpu_quota_us().to_string(),
                )?;
                // A recycled spare starts with clean counters and thawed. (cgroupfs refuses
                // to create a file with EACCES, so look before writing.)
                let reset = [
                    ("memory.max_usage_in_bytes", "0"),
                    ("cpuacct.usage", "0"),
                    ("freezer.state", "THAWED"),
                ];
                for dir in &dirs {
                    for (file, value) in reset {
                        let path = dir.join(file);
                        if path.exists() {
                            write(&path, value)?;
                        }
                    }
                }
                Ok(cgroup)
            }
        }
    }
}

impl Hierarchy {
    /// Renames one spare cgroup (in every hierarchy) to `name`. A rename is atomic, so two
    /// jails never claim the same spare. Returns whether one was claimed.
    fn claim_spare(&self, name: &str) -> bool {
        let bases = self.bases();
        let Some(first) = bases.first() else {
            return false;
        };
        let Ok(entries) = fs::read_dir(first) else {
            return false;
        };
        for entry in entries.flatten() {
            let spare = entry.file_name();
            let Some(spare) = spare.to_str() else {
                continue;
            };
            if !spare.starts_with(SPARE_PREFIX) {
                continue;
            }
            if fs::rename(first.join(spare), first.join(name)).is_err() {
                continue; // another jail took it
            }
            for base in &bases[1..] {
                if fs::rename(base.join(spare), base.join(name)).is_err() {
                    let _ = fs::create_dir(base.join(name));
                }
            }
            return true;
        }
        false
    }

    /// Creates up to `count` spare cgroups ahead of time so that later starts skip the
    /// costly `mkdir`. Returns how many exist afterwards.
    pub fn prepare_spares(&self, count: usize) -> Result<usize, CgroupError> {
        let bases = self.bases();
        for base in &bases {
            ensure_dir(base)?;
        }
        if let Hierarchy::V2 { base } = self {
            enable_v2_controllers(base)?;
        }
        let existing = fs::read_dir(bases[0])
            .map(|d| {
                d.flatten()
                    .filter(|e| e.file_name().to_string_lossy().starts_with(SPARE_PREFIX))
                    .count()
            })
            .unwrap_or(0);
        for i in existing..count {
            let name = format!("{SPARE_PREFIX}{}-{i}", std::process::id());
            for base in &bases {
                ensure_dir(&base.join(&name))?;
            }
        }
        Ok(existing.max(count))
    }
}

/// Name prefix of spare cgroups kept ready for the next jail.
pub const SPARE_PREFIX: &str = "spare-";
/// How many spares a finished jail keeps around at most.
pub const MAX_SPARES: usize = 4;

/// CFS period used for the CPU quota.
pub const CPU_PERIOD_US: u64 = 100_000;

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
    fn cpu_quota_us(&self) -> u64 {
        ((self.cpu_cores * CPU_PERIOD_US as f64) as u64).max(1_000)
    }
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

/// One jail's cgroup.
#[derive(Debug)]
pub struct Cgroup {
    hierarchy: Hierarchy,
    dirs: Vec<PathBuf>,
}

impl Cgroup {
    /// The cgroup's directories (one for v2, memory/pids/cpu for v1).
    pub fn dirs(&self) -> &[PathBuf] {
        &self.dirs
    }

    /// Moves the calling process into the cgroup (in every controller).
    pub fn join_self(&self) -> Result<(), CgroupError> {
        for dir in &self.dirs {
            write(&dir.join("cgroup.procs"), "0")?;
        }
        Ok(())
    }

    /// The `cgroup.procs` files to write a pid into (opened before privileges change).
    pub fn procs_files(&self) -> Vec<PathBuf> {
        self.dirs.iter().map(|d| d.join("cgroup.procs")).collect()
    }

    /// Host pids of every process in the cgroup.
    pub fn pids(&self) -> Vec<i32> {
        let Some(dir) = self.dirs.first() else {
            return Vec::new();
        };
        fs::read_to_string(dir.join("cgroup.procs"))
            .map(|s| s.lines().filter_map(|l| l.trim().parse().ok()).collect())
            .unwrap_or_default()
    }

    /// Reads the limit counters.
    pub fn events(&self) -> Events {
        match &self.hierarchy {
            Hierarchy::V2 { .. } => {
                let dir = &self.dirs[0];
                let counter = |file: &str, key: &str| {
                    fs::read_to_string(dir.join(file)).ok().and_then(|s| {
                        s.lines().find_map(|l| {
                            l.strip_prefix(key)
                                .map(|v| v.trim().parse::<u64>().unwrap_or(0))
                        })
                    })
                };
                Events {
                    oom: counter("memory.events", "oom_kill ").unwrap_or(0) > 0
                        || counter("memory.events", "max ").unwrap_or(0) > 0,
                    pids_max: counter("pids.events", "max ").unwrap_or(0) > 0,
                }
            }
            Hierarchy::V1 { .. } => {
                let read = |p: PathBuf| fs::read_to_string(p).unwrap_or_default();
                let oom_control = read(self.dirs[0].join("memory.oom_control"));
                let oom_kills = oom_control
                    .lines()
                    .find_map(|l| l.strip_prefix("oom_kill "))
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .unwrap_or(0);
                let failcnt = read(self.dirs[0].join("memory.failcnt"))
                    .trim()
                    .parse::<u64>()
                    .unwrap_or(0);
                let pids_events = read(self.dirs[1].join("pids.events"));
                Events {
                    oom: oom_kills > 0 || failcnt > 0,
                    pids_max: pids_events
                        .lines()
                        .find_map(|l| l.strip_prefix("max "))
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .unwrap_or(0)
                        > 0,
                }
            }
        }
    }

    /// Kills every process in the cgroup without a fork racing the kill: `cgroup.kill` on
    /// v2; on v1 the freezer stops every task first (when mounted), each listed pid gets
    /// SIGKILL, the thaw lets them die, and the list is re-read until it stays empty.
    pub fn kill_all(&self) {
        if let Hierarchy::V2 { .. } = self.hierarchy
            && fs::write(self.dirs[0].join("cgroup.kill"), "1").is_ok()
        {
            return;
        }
        if self.pids().is_empty() {
            return; // the usual teardown: nothing left to freeze or kill
        }
        let frozen = self.freeze();
        let kill_listed = |cgroup: &Cgroup| {
            let pids = cgroup.pids();
            for pid in &pids {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(*pid),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
            pids.is_empty()
        };
        kill_listed(self);
        if frozen {
            self.thaw();
        }
        for _ in 0..200 {
            if kill_listed(self) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
    }

    /// Freezes every task of the cgroup (v2 `cgroup.freeze`, v1 freezer) and waits, briefly,
    /// until the kernel reports it frozen. Returns whether it is frozen: `false` where no
    /// freezer exists or it did not settle in time.
    pub fn freeze(&self) -> bool {
        let Some(file) = self.freezer() else {
            return false;
        };
        let value = match self.hierarchy {
            Hierarchy::V2 { .. } => "1",
            Hierarchy::V1 { .. } => "FROZEN",
        };
        if fs::write(&file, value).is_err() {
            return false;
        }
        for _ in 0..100 {
            if self.is_frozen() {
                return true;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        false
    }

    /// Undoes [`Cgroup::freeze`].
    pub fn thaw(&self) {
        if let Some(file) = self.freezer() {
            let value = match self.hierarchy {
                Hierarchy::V2 { .. } => "0",
                Hierarchy::V1 { .. } => "THAWED",
            };
            let _ = fs::write(file, value);
        }
    }

    /// The freezer's control file, where there is one.
    fn freezer(&self) -> Option<PathBuf> {
        match self.hierarchy {
            Hierarchy::V2 { .. } => Some(self.dirs[0].join("cgroup.freeze")),
            Hierarchy::V1 { .. } => self
                .dirs
                .iter()
                .map(|d| d.join("freezer.state"))
                .find(|f| f.exists()),
        }
        .filter(|f| f.exists())
    }

    /// Whether the kernel reports the cgroup frozen now.
    pub fn is_frozen(&self) -> bool {
        match self.hierarchy {
            Hierarchy::V2 { .. } => fs::read_to_string(self.dirs[0].join("cgroup.events"))
                .is_ok_and(|s| s.lines().any(|l| l.trim() == "frozen 1")),
            Hierarchy::V1 { .. } => self
                .freezer()
                .and_then(|f| fs::read_to_string(f).ok())
                .is_some_and(|s| s.trim() == "FROZEN"),
        }
    }

    /// Memory and CPU the cgroup's tasks use, as far as this host accounts them.
    pub fn usage(&self) -> Usage {
        let number =
            |path: PathBuf| -> Option<u64> { fs::read_to_string(path).ok()?.trim().parse().ok() };
        match self.hierarchy {
            Hierarchy::V2 { .. } => {
                let dir = &self.dirs[0];
                let cpu = fs::read_to_string(dir.join("cpu.stat")).ok().and_then(|s| {
                    s.lines()
                        .find_map(|l| l.strip_prefix("usage_usec "))
                        .and_then(|v| v.trim().parse::<u64>().ok())
                });
                Usage {
                    memory_bytes: number(dir.join("memory.current")),
                    memory_peak_bytes: number(dir.join("memory.peak")),
                    cpu: cpu.map(std::time::Duration::from_micros),
                }
            }
            Hierarchy::V1 { .. } => Usage {
                memory_bytes: number(self.dirs[0].join("memory.usage_in_bytes")),
                memory_peak_bytes: number(self.dirs[0].join("memory.max_usage_in_bytes")),
                cpu: self.dirs[2..]
                    .iter()
                    .find_map(|d| number(d.join("cpuacct.usage")))
                    .map(std::time::Duration::from_nanos),
            },
        }
    }

    /// Whether every directory of the cgroup is gone.
    pub fn is_removed(&self) -> bool {
        self.dirs.iter().all(|d| !d.exists())
    }

    /// Kills what is left and removes the directories; retries while the kernel finishes
    /// tearing processes down.
    pub fn remove(self) -> Result<(), CgroupError> {
        self.kill_all();
        if self.recycle() {
            return Ok(());
        }
        for dir in &self.dirs {
            let mut last = None;
            for _ in 0..500 {
                match fs::remove_dir(dir) {
                    Ok(()) => {
                        last = None;
                        break;
                    }
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {
                        last = None;
                        break;
                    }
                    Err(e) => {
                        last = Some(e);
                        std::thread::sleep(std::time::Duration::from_millis(2));
                    }
                }
            }
            if let Some(source) = last {
                return Err(CgroupError::Io {
                    path: dir.clone(),
                    source,
                });
            }
        }
        Ok(())
    }
}

impl Cgroup {
    /// Turns an emptied cgroup whose counters are clean into a spare for the next jail,
    /// unless enough spares exist. A cgroup that hit a limit is never recycled: its
    /// counters cannot be reset and would mislead the next jail's report.
    fn recycle(&self) -> bool {
        if self.events() != Events::default() || !self.pids().is_empty() {
            return false;
        }
        // v2 cannot reset memory.peak or cpu.stat: a used cgroup would bill its successor.
        if let Hierarchy::V2 { .. } = self.hierarchy {
            let usage = self.usage();
            if usage.memory_peak_bytes.unwrap_or(0) > 0 || usage.cpu.is_some_and(|c| !c.is_zero()) {
                return false;
            }
        }
        let bases = self.hierarchy.bases();
        let spares = fs::read_dir(bases[0])
            .map(|d| {
                d.flatten()
                    .filter(|e| e.file_name().to_string_lossy().starts_with(SPARE_PREFIX))
                    .count()
            })
            .unwrap_or(usize::MAX);
        if spares >= MAX_SPARES {
            return false;
        }
        let Some(name) = self.dirs[0].file_name().and_then(|n| n.to_str()) else {
            return false;
        };
        let spare = format!("{SPARE_PREFIX}{name}");
        let mut renamed = Vec::new();
        for (dir, base) in self.dirs.iter().zip(bases.iter()) {
            if fs::rename(dir, base.join(&spare)).is_err() {
                // Undo so that remove() deletes a consistent set.
                for (back, from) in renamed {
                    let _ = fs::rename(from, back);
                }
                return false;
            }
            renamed.push((dir.clone(), base.join(&spare)));
        }
        if let Hierarchy::V1 { .. } = self.hierarchy {
            let _ = fs::write(bases[0].join(&spare).join("memory.failcnt"), "0");
        }
        true
    }
}

fn ensure_dir(dir: &Path) -> Result<(), CgroupError> {
    match fs::create_dir(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(io_err(dir)(e)),
    }
}

fn write(path: &Path, value: &str) -> Result<(), CgroupError> {
    fs::write(path, value).map_err(io_err(path))
}

/// Writes a file the kernel may not offer (swap accounting off, for example).
fn write_optional(path: &Path, value: &str) -> Result<(), CgroupError> {
    match fs::write(path, value) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other.map_err(io_err(path)),
    }
}

fn enable_v2_controllers(base: &Path) -> Result<(), CgroupError> {
    let wanted = ["memory", "pids", "cpu"];
    let file = base.join("cgroup.subtree_control");
    let current = fs::read_to_string(&file).unwrap_or_default();
    let missing: Vec<String> = wanted
        .iter()
        .filter(|c| !current.split_whitespace().any(|x| x == **c))
        .map(|c| format!("+{c}"))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    write(&file, &missing.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            memory_bytes: 64 << 20,
            pids: 16,
            cpu_cores: 0.5,
        }
    }

    #[test]
    fn v2_limits_are_written_to_a_cgroupfs_like_tree() {
        let root = tempfile::tempdir().expect("tempdir");
        fs::write(
            root.path().join("cgroup.controllers"),
            "cpuset cpu io memory pids",
        )
        .expect("write");
        let hierarchy = Hierarchy::detect(root.path()).expect("v2 detected");
        assert_eq!(hierarchy.version(), "v2");
        let cgroup = hierarchy.create("jail-1-a", &limits()).expect("create");
        let dir = root.path().join(JAILS_DIR).join("jail-1-a");
        let read = |f: &str| fs::read_to_string(dir.join(f)).expect("read");
        assert_eq!(read("memory.max"), (64u64 << 20).to_string());
        assert_eq!(read("memory.swap.max"), "0");
        assert_eq!(read("pids.max"), "16");
        assert_eq!(read("cpu.max"), "50000 100000");
        let subtree =
            fs::read_to_string(root.path().join(JAILS_DIR).join("cgroup.subtree_control"))
                .expect("read");
        assert_eq!(subtree, "+memory +pids +cpu");
        assert_eq!(cgroup.dirs(), &[dir]);
    }

    #[test]
    fn a_finished_clean_cgroup_becomes_the_next_jails_spare() {
        let root = tempfile::tempdir().expect("tempdir");
        fs::write(root.path().join("cgroup.controllers"), "cpu memory pids").expect("write");
        let hierarchy = Hierarchy::detect(root.path()).expect("v2");
        let base = root.path().join(JAILS_DIR);
        hierarchy
            .create("jail-1-a", &limits())
            .expect("create")
            .remove()
            .expect("remove");
        assert!(base.join("spare-jail-1-a").is_dir(), "kept as a spare");
        let second = hierarchy.create("jail-2-b", &limits()).expect("create");
        assert!(
            !base.join("spare-jail-1-a").exists(),
            "the spare was claimed"
        );
        assert_eq!(
            fs::read_to_string(second.dirs()[0].join("pids.max")).expect("read"),
            "16"
        );
        // A cgroup that hit a limit is deleted (on a real cgroupfs), never recycled.
        fs::write(second.dirs()[0].join("memory.events"), "oom_kill 1\n").expect("write");
        assert!(!second.recycle());
        assert!(second.dirs()[0].is_dir() && !base.join("spare-jail-2-b").exists());
    }

    #[test]
    fn v2_events_report_oom_and_pids_limits() {
        let root = tempfile::tempdir().expect("tempdir");
        fs::write(root.path().join("cgroup.controllers"), "cpu memory pids").expect("write");
        let hierarchy = Hierarchy::detect(root.path()).expect("v2");
        let cgroup = hierarchy.create("jail-2-b", &limits()).expect("create");
        let dir = &cgroup.dirs()[0];
        fs::write(
            dir.join("memory.events"),
            "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n",
        )
        .expect("write");
        fs::write(dir.join("pids.events"), "max 0\n").expect("write");
        assert_eq!(
            cgroup.events(),
            Events {
                oom: true,
                pids_max: false
            }
        );
    }

    #[test]
    fn a_hierarchy_without_the_needed_controllers_is_refused() {
        let root = tempfile::tempdir().expect("tempdir");
        fs::write(root.path().join("cgroup.controllers"), "cpu io").expect("write");
        assert!(matches!(
            Hierarchy::detect(root.path()),
            Err(CgroupError::Unsupported(_))
        ));
    }

    #[test]
    fn v1_limits_are_enforced_by_the_real_kernel() {
        if !nix::unistd::geteuid().is_root() {
            eprintln!("SKIP v1_limits_are_enforced_by_the_real_kernel: needs root");
            return;
        }
        let Ok(hierarchy @ Hierarchy::V1 { .. }) = Hierarchy::detect(Path::new(CGROUP_MOUNT))
        else {
            eprintln!(
                "SKIP v1_limits_are_enforced_by_the_real_kernel: host has no cgroup v1 memory/pids/cpu"
            );
            return;
        };
        let name = format!("jail-{}-unit", std::process::id());
        let cgroup = hierarchy.create(&name, &limits()).expect("create");
        let memory =
            fs::read_to_string(cgroup.dirs()[0].join("memory.limit_in_bytes")).expect("read");
        assert_eq!(memory.trim(), (64u64 << 20).to_string());
        let quota = fs::read_to_string(cgroup.dirs()[2].join("cpu.cfs_quota_us")).expect("read");
        assert_eq!(quota.trim(), "50000");
        // A child joined to the cgroup cannot fork past pids.max.
        let procs = cgroup.procs_files();
        let status = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!(
                "for f in {}; do echo $$ > $f; done; i=0; while [ $i -lt 40 ]; do sleep 2 & i=$((i+1)); done 2>/dev/null; exit 0",
                procs.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(" ")
            ))
            .status()
            .expect("spawn sh");
        let _ = status;
        assert!(
            cgroup.events().pids_max,
            "pids.events shows the fork limit was hit"
        );
        cgroup.remove().expect("cgroup removed");
        assert!(
            !Path::new(CGROUP_MOUNT)
                .join("pids")
                .join(JAILS_DIR)
                .join(&name)
                .exists()
        );
    }
    #[test]
    fn v2_usage_and_freeze_are_read_from_a_cgroupfs_like_tree() {
        let root = tempfile::tempdir().expect("tempdir");
        fs::write(root.path().join("cgroup.controllers"), "cpu memory pids").expect("write");
        let hierarchy = Hierarchy::detect(root.path()).expect("v2");
        let cgroup = hierarchy.create("jail-7-a", &limits()).expect("create");
        let dir = &cgroup.dirs()[0];
        fs::write(dir.join("memory.current"), "1048576\n").expect("write");
        fs::write(dir.join("memory.peak"), "2097152\n").expect("write");
        fs::write(
            dir.join("cpu.stat"),
            "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n",
        )
        .expect("write");
        assert_eq!(
            cgroup.usage(),
            Usage {
                memory_bytes: Some(1 << 20),
                memory_peak_bytes: Some(2 << 20),
                cpu: Some(std::time::Duration::from_micros(1500)),
            }
        );
        assert_eq!(hierarchy.find_jail(7).as_deref(), Some("jail-7-a"));
        assert_eq!(hierarchy.find_jail(70), None, "pid 70 is not pid 7");
        assert!(!cgroup.is_frozen());
        fs::write(dir.join("cgroup.freeze"), "0").expect("write");
        fs::write(dir.join("cgroup.events"), "populated 1\nfrozen 1\n").expect("write");
        assert!(cgroup.freeze(), "frozen once cgroup.events says so");
        assert_eq!(
            fs::read_to_string(dir.join("cgroup.freeze")).expect("read"),
            "1"
        );
        // A used v2 cgroup cannot have its counters reset, so it is never recycled.
        assert!(!cgroup.recycle());
    }

    #[test]
    fn v1_freeze_kill_and_usage_work_on_the_real_kernel() {
        if !nix::unistd::geteuid().is_root() {
            eprintln!("SKIP v1_freeze_kill_and_usage_work_on_the_real_kernel: needs root");
            return;
        }
        let Ok(hierarchy @ Hierarchy::V1 { .. }) = Hierarchy::detect(Path::new(CGROUP_MOUNT))
        else {
            eprintln!("SKIP v1_freeze_kill_and_usage_work_on_the_real_kernel: no cgroup v1");
            return;
        };
        let name = format!("jail-{}-freeze", std::process::id());
        let cgroup = hierarchy.create(&name, &limits()).expect("create");
        let procs = cgroup.procs_files();
        // A busy loop that keeps forking short-lived children: a kill without the freezer
        // would race the forks.
        let mut child = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!(
                "for f in {}; do echo $$ > $f; done; while :; do ( : ) & wait; done",
                procs
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
            ))
            .spawn()
            .expect("spawn sh");
        let started = std::time::Instant::now();
        while cgroup.usage().cpu.unwrap_or_default() < std::time::Duration::from_millis(20)
            && started.elapsed() < std::time::Duration::from_secs(5)
        {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let usage = cgroup.usage();
        assert!(
            usage.cpu.unwrap_or_default() >= std::time::Duration::from_millis(20),
            "cpuacct bills the loop: {usage:?}"
        );
        assert!(
            usage.memory_bytes.unwrap_or(0) > 0,
            "memory is charged: {usage:?}"
        );
        assert!(usage.memory_peak_bytes >= usage.memory_bytes);
        let has_freezer = cgroup
            .dirs()
            .iter()
            .any(|d| d.join("freezer.state").exists());
        assert_eq!(
            has_freezer,
            Path::new(CGROUP_MOUNT)
                .join("freezer/cgroup.procs")
                .exists(),
            "the jail joins the v1 freezer wherever it is mounted"
        );
        if has_freezer {
            assert!(cgroup.freeze(), "the v1 freezer settles");
            assert!(cgroup.is_frozen());
            let frozen_cpu = cgroup.usage().cpu;
            std::thread::sleep(std::time::Duration::from_millis(50));
            assert_eq!(
                cgroup.usage().cpu,
                frozen_cpu,
                "a frozen cgroup uses no CPU"
            );
            cgroup.thaw();
            assert!(!cgroup.is_frozen());
        }
        cgroup.kill_all();
        assert!(cgroup.pids().is_empty(), "every task is gone");
        let status = child.wait().expect("wait");
        assert!(!status.success(), "the loop was killed: {status}");
        cgroup.remove().expect("removed");
    }
    #[test]
    fn a_v1_spare_with_a_small_memory_limit_takes_a_larger_one() {
        if !nix::unistd::geteuid().is_root() {
            eprintln!("SKIP a_v1_spare_with_a_small_memory_limit_takes_a_larger_one: needs root");
            return;
        }
        let Ok(hierarchy @ Hierarchy::V1 { .. }) = Hierarchy::detect(Path::new(CGROUP_MOUNT))
        else {
            eprintln!("SKIP a_v1_spare_with_a_small_memory_limit_takes_a_larger_one: no v1");
            return;
        };
        let small = Limits {
            memory_bytes: 8 << 20,
            ..limits()
        };
        let first = hierarchy
            .create(&format!("jail-{}-small", std::process::id()), &small)
            .expect("create small");
        if !first.recycle() {
            eprintln!("SKIP: the spare pool is full, nothing was recycled");
            first.remove().expect("remove");
            return;
        }
        // Every spare is claimed in turn until ours (with its 8 MiB memsw) is among them.
        let large = Limits {
            memory_bytes: 512 << 20,
            ..limits()
        };
        for i in 0..=MAX_SPARES {
            let name = format!("jail-{}-large{i}", std::process::id());
            let cgroup = hierarchy
                .create(&name, &large)
                .expect("a larger limit is accepted");
            let written =
                fs::read_to_string(cgroup.dirs()[0].join("memory.limit_in_bytes")).expect("read");
            assert_eq!(written.trim(), (512u64 << 20).to_string());
            for dir in cgroup.dirs() {
                fs::remove_dir(dir).expect("rmdir");
            }
        }
    }
}
