//! cgroup v2: one unified hierarchy, so a jail's cgroup is one directory holding
//! `memory.max`, `pids.max` and `cpu.max`.

use crate::backend::{Backend, Freezer, dir};
use crate::files::{ensure_dir, keyed, number, write, write_optional};
use crate::{CPU_PERIOD_US, CgroupError, Events, Limits, Usage};
use std::path::{Path, PathBuf};

/// The controllers a jail needs.
const CONTROLLERS: [&str; 3] = ["memory", "pids", "cpu"];

/// The unified hierarchy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct V2 {
    /// The directory under which jail cgroups are made (delegated to faxbot).
    bases: [PathBuf; 1],
}

impl V2 {
    /// Jails under `base`.
    pub fn new(base: PathBuf) -> Self {
        Self { bases: [base] }
    }
}

impl Backend for V2 {
    /// `cgroup.procs`: v2's `cgroup.threads` takes only threaded cgroups.
    fn self_join_file(&self) -> &'static str {
        "cgroup.procs"
    }

    fn accepts_births(&self) -> bool {
        true
    }

    fn version(&self) -> &'static str {
        "v2"
    }

    fn bases(&self) -> &[PathBuf] {
        &self.bases
    }

    fn prepare_bases(&self) -> Result<(), CgroupError> {
        let [base] = &self.bases;
        ensure_dir(base)?;
        let file = base.join("cgroup.subtree_control");
        let current = std::fs::read_to_string(&file).unwrap_or_default();
        let missing: Vec<String> = CONTROLLERS
            .iter()
            .filter(|c| !current.split_whitespace().any(|x| x == **c))
            .map(|c| format!("+{c}"))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        write(&file, &missing.join(" "))
    }

    fn set_limits(&self, dirs: &[PathBuf], limits: &Limits) -> Result<(), CgroupError> {
        let d = dir(dirs, 0);
        write(&d.join("memory.max"), &limits.memory_bytes.to_string())?;
        write_optional(&d.join("memory.swap.max"), "0")?;
        write(&d.join("pids.max"), &limits.pids.to_string())?;
        write(
            &d.join("cpu.max"),
            &format!("{} {}", limits.cpu_quota_us(), CPU_PERIOD_US),
        )
    }

    fn events(&self, dirs: &[PathBuf]) -> Events {
        let d = dir(dirs, 0);
        let memory = |key| keyed(&d.join("memory.events"), key).unwrap_or(0);
        Events {
            oom: memory("oom_kill") > 0 || memory("max") > 0,
            pids_max: keyed(&d.join("pids.events"), "max").unwrap_or(0) > 0,
        }
    }

    fn usage(&self, dirs: &[PathBuf]) -> Usage {
        let d = dir(dirs, 0);
        Usage {
            memory_bytes: number(&d.join("memory.current")),
            memory_peak_bytes: number(&d.join("memory.peak")),
            cpu: keyed(&d.join("cpu.stat"), "usage_usec").map(std::time::Duration::from_micros),
        }
    }

    fn freezer(&self, dirs: &[PathBuf]) -> Option<Freezer> {
        let file = dir(dirs, 0).join("cgroup.freeze");
        file.exists().then_some(Freezer {
            file,
            frozen: "1",
            thawed: "0",
        })
    }

    fn is_frozen(&self, dirs: &[PathBuf]) -> bool {
        std::fs::read_to_string(dir(dirs, 0).join("cgroup.events"))
            .is_ok_and(|s| s.lines().any(|l| l.trim() == "frozen 1"))
    }

    fn kill_at_once(&self, dirs: &[PathBuf]) -> bool {
        std::fs::write(dir(dirs, 0).join("cgroup.kill"), "1").is_ok()
    }

    fn reusable(&self, dirs: &[PathBuf]) -> bool {
        // memory.peak and cpu.stat cannot be reset: a used cgroup would bill its successor.
        let usage = self.usage(dirs);
        usage.memory_peak_bytes.unwrap_or(0) == 0 && usage.cpu.is_none_or(|c| c.is_zero())
    }

    fn reset_spare(&self, _dirs: &[PathBuf]) {}
}

/// The unified hierarchy at `mount`, when it offers the memory, pids and cpu controllers.
pub fn detect(mount: &Path, jails_dir: &str) -> Option<V2> {
    let controllers = std::fs::read_to_string(mount.join("cgroup.controllers")).ok()?;
    let has = |c: &str| controllers.split_whitespace().any(|x| x == c);
    CONTROLLERS
        .iter()
        .all(|c| has(c))
        .then(|| V2::new(mount.join(jails_dir)))
}
