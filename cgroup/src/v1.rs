//! cgroup v1: one hierarchy per controller (memory, pids, cpu; freezer and cpuacct where
//! mounted on their own), so a jail's cgroup is one directory in each.

use crate::backend::{Backend, Freezer, dir};
use crate::files::{ensure_dir, keyed, number, write, write_optional};
use crate::{CPU_PERIOD_US, CgroupError, Events, Limits, Prior, Usage};
use std::path::{Path, PathBuf};
use std::sync::Arc;

const MEMORY: usize = 0;
const PIDS: usize = 1;
const CPU: usize = 2;

/// The name prefix of spares that have directories in the memory, pids and cpu
/// hierarchies only (see [`V1::limits_only`]).
pub const LIMITS_ONLY_SPARE_PREFIX: &str = "spare-limits-";

/// The legacy hierarchies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct V1 {
    /// `…/memory/faxbot-jails`, `…/pids/faxbot-jails`, `…/cpu/faxbot-jails`, then the
    /// optional ones.
    bases: Vec<PathBuf>,
    /// Which optional controller each base after cpu is (same order as `bases[3..]`).
    optional: Vec<Accounting>,
}

/// An optional v1 controller: neither limits anything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Accounting {
    /// Stops every task, so that a kill cannot race a fork.
    Freezer,
    /// Bills CPU time.
    Cpuacct,
}

impl Accounting {
    fn reset(self) -> (&'static str, &'static str) {
        match self {
            Self::Freezer => ("freezer.state", "THAWED"),
            Self::Cpuacct => ("cpuacct.usage", "0"),
        }
    }
}

impl V1 {
    /// The jails' directories in the memory, pids and cpu hierarchies, and in `optional`
    /// ones (`…/freezer/faxbot-jails`, `…/cpuacct/faxbot-jails`): the freezer makes a kill
    /// race-free, cpuacct bills CPU time. Neither is a limit, so a host without them still
    /// runs jails.
    pub fn new(
        memory: PathBuf,
        pids: PathBuf,
        cpu: PathBuf,
        optional: Vec<(Accounting, PathBuf)>,
    ) -> Self {
        let mut bases = vec![memory, pids, cpu];
        let kinds = optional.iter().map(|(kind, _)| *kind).collect();
        bases.extend(optional.into_iter().map(|(_, base)| base));
        Self {
            bases,
            optional: kinds,
        }
    }

    /// The optional controllers' bases, each with what it is.
    pub fn accounting(&self) -> impl Iterator<Item = (Accounting, &PathBuf)> {
        self.optional
            .iter()
            .copied()
            .zip(self.bases.get(CPU + 1..).unwrap_or_default())
    }

    /// The limits (and, into fresh directories, the settings every jail shares).
    fn write_limits(
        &self,
        memory: &Path,
        pids: &Path,
        cpu: &Path,
        limits: &Limits,
        prior: Prior,
    ) -> Result<(), CgroupError> {
        // The kernel keeps memory <= memory+swap at every step, so a recycled spare whose
        // old memsw limit is lower than the new memory limit would refuse it (EINVAL):
        // lift memsw first, then set both.
        let memsw = memory.join("memory.memsw.limit_in_bytes");
        let accounts_swap = write_optional(&memsw, "-1")?;
        let bytes = limits.memory_bytes.to_string();
        write(&memory.join("memory.limit_in_bytes"), &bytes)?;
        // No swap: where the kernel accounts swap, cap memory+swap at the same value.
        if accounts_swap {
            write(&memsw, &bytes)?;
        }
        write(&pids.join("pids.max"), &limits.pids.to_string())?;
        if prior == Prior::Fresh {
            write_optional(&memory.join("memory.swappiness"), "0")?;
            write(&cpu.join("cpu.cfs_period_us"), &CPU_PERIOD_US.to_string())?;
        }
        write(
            &cpu.join("cpu.cfs_quota_us"),
            &limits.cpu_quota_us().to_string(),
        )
    }

    /// Only the memory, pids and cpu hierarchies. For a jail nobody freezes (it is killed
    /// through its pid namespace) and whose CPU time nobody bills: two hierarchies fewer to
    /// claim, reset, join and recycle on every launch.
    fn without_accounting(&self) -> Self {
        Self {
            bases: self.bases[..CPU + 1].to_vec(),
            optional: Vec::new(),
        }
    }
}

impl Backend for V1 {
    /// `tasks`: moving only the calling thread skips the kernel's threadgroup lock, whose
    /// writer waits out an RCU grace period (7-15 ms on an idle host, measured) that
    /// `cgroup.procs` pays on every write.
    fn self_join_file(&self) -> &'static str {
        "tasks"
    }

    fn accepts_births(&self) -> bool {
        false
    }

    fn version(&self) -> &'static str {
        "v1"
    }

    fn bases(&self) -> &[PathBuf] {
        &self.bases
    }

    fn prepare_bases(&self) -> Result<(), CgroupError> {
        self.bases.iter().try_for_each(|b| ensure_dir(b))
    }

    fn set_limits(
        &self,
        dirs: &[PathBuf],
        limits: &Limits,
        prior: Prior,
    ) -> Result<(), CgroupError> {
        let memory = dir(dirs, MEMORY);
        let cpu = dir(dirs, CPU);
        if prior != Prior::SameLimits {
            self.write_limits(memory, dir(dirs, PIDS), cpu, limits, prior)?;
        }
        // A recycled spare starts with clean counters and thawed.
        write_optional(&memory.join("memory.max_usage_in_bytes"), "0")?;
        // cpuacct co-mounted with cpu (`cpu,cpuacct`) has its counter in the cpu directory.
        write_optional(&cpu.join("cpuacct.usage"), "0")?;
        for (i, kind) in self.optional.iter().enumerate() {
            let (file, value) = kind.reset();
            write_optional(&dir(dirs, CPU + 1 + i).join(file), value)?;
        }
        Ok(())
    }

    fn events(&self, dirs: &[PathBuf]) -> Events {
        let memory = dir(dirs, MEMORY);
        let oom_kills = keyed(&memory.join("memory.oom_control"), "oom_kill").unwrap_or(0);
        let failcnt = number(&memory.join("memory.failcnt")).unwrap_or(0);
        Events {
            oom: oom_kills > 0 || failcnt > 0,
            pids_max: keyed(&dir(dirs, PIDS).join("pids.events"), "max").unwrap_or(0) > 0,
        }
    }

    fn usage(&self, dirs: &[PathBuf]) -> Usage {
        let memory = dir(dirs, MEMORY);
        Usage {
            memory_bytes: number(&memory.join("memory.usage_in_bytes")),
            memory_peak_bytes: number(&memory.join("memory.max_usage_in_bytes")),
            // cpuacct lives with cpu (`cpu,cpuacct`) or in its own hierarchy.
            cpu: dirs
                .get(CPU..)
                .unwrap_or_default()
                .iter()
                .find_map(|d| number(&d.join("cpuacct.usage")))
                .map(std::time::Duration::from_nanos),
        }
    }

    fn freezer(&self, dirs: &[PathBuf]) -> Option<Freezer> {
        dirs.iter()
            .map(|d| d.join("freezer.state"))
            .find(|f| f.exists())
            .map(|file| Freezer {
                file,
                frozen: "FROZEN",
                thawed: "THAWED",
            })
    }

    fn is_frozen(&self, dirs: &[PathBuf]) -> bool {
        self.freezer(dirs)
            .and_then(|f| std::fs::read_to_string(f.file).ok())
            .is_some_and(|s| s.trim() == "FROZEN")
    }

    fn kill_at_once(&self, _dirs: &[PathBuf]) -> bool {
        false
    }

    fn reusable(&self, _dirs: &[PathBuf]) -> bool {
        true // set_limits resets the peak, CPU and freezer; reset_spare the fail count
    }

    fn reset_spare(&self, dirs: &[PathBuf]) {
        let _ = std::fs::write(dir(dirs, MEMORY).join("memory.failcnt"), "0");
    }

    fn describe(&self) -> String {
        let names: Vec<String> = self.bases.iter().map(|b| b.display().to_string()).collect();
        format!("cgroup v1, jails in {}", names.join(", "))
    }

    fn limits_only(&self) -> Option<Arc<dyn Backend>> {
        (!self.optional.is_empty()).then(|| Arc::new(self.without_accounting()) as Arc<dyn Backend>)
    }

    fn spare_prefix(&self) -> &'static str {
        if self.optional.is_empty() && self.bases.len() == CPU + 1 {
            LIMITS_ONLY_SPARE_PREFIX
        } else {
            crate::SPARE_PREFIX
        }
    }
}

/// The v1 hierarchies under `mount`, when memory, pids and cpu are all mounted there.
pub fn detect(mount: &Path, jails_dir: &Path) -> Option<V1> {
    let controller = |c: &str| mount.join(c);
    if !["memory", "pids", "cpu"]
        .iter()
        .all(|c| controller(c).join("cgroup.procs").exists())
    {
        return None;
    }
    // The same directory (device and inode) as cpu's: co-mounted (`cpu,cpuacct`, the
    // names symlinks to one hierarchy). One stat each instead of resolving every path.
    let identity = |m: &Path| {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(m).ok().map(|md| (md.dev(), md.ino()))
    };
    let cpu_mount = identity(&controller("cpu"));
    let optional = [
        (Accounting::Freezer, "freezer"),
        (Accounting::Cpuacct, "cpuacct"),
    ]
    .into_iter()
    .map(|(kind, c)| (kind, controller(c)))
    .filter(|(_, m)| m.join("cgroup.procs").exists())
    // Co-mounted with cpu (`cpu,cpuacct`): the cpu directory already has it.
    .filter(|(_, m)| identity(m) != cpu_mount)
    .map(|(kind, m)| (kind, m.join(jails_dir)))
    .collect();
    Some(V1::new(
        controller("memory").join(jails_dir),
        controller("pids").join(jails_dir),
        controller("cpu").join(jails_dir),
        optional,
    ))
}
