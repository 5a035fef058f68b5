//! cgroup v2: one unified hierarchy, so a jail's cgroup is one directory holding
//! `memory.max`, `pids.max` and `cpu.max`; as root anywhere, without root in a delegated
//! subtree laid out as [`crate::delegation`] says.

use crate::backend::{Backend, Freezer, dir};
use crate::delegation::{DelegatedV2, PLUGINS_DIR, SUPERVISOR_LEAF};
use crate::files::{ensure_dir, keyed, number, write, write_optional};
use crate::{CPU_PERIOD_US, CgroupError, Events, Limits, Prior, Usage};
use std::path::{Path, PathBuf};

/// The controllers a jail needs.
pub(crate) const CONTROLLERS: [&str; 3] = ["memory", "pids", "cpu"];

/// The unified hierarchy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct V2 {
    /// The directory under which jail cgroups are made.
    bases: [PathBuf; 1],
    /// The directories, top down, that must exist with the controllers enabled for their
    /// children: the base alone, or a delegated root and then its `plugins` directory.
    enable_in: Vec<PathBuf>,
    /// A delegated subtree, when the jails live in one.
    delegated: Option<DelegatedV2>,
}

impl V2 {
    /// Jails under `base` (root, anywhere in the hierarchy).
    pub fn new(base: PathBuf) -> Self {
        Self {
            enable_in: vec![base.clone()],
            bases: [base],
            delegated: None,
        }
    }

    /// Jails in `<root>/plugins` of a delegated subtree, the core in `<root>/supervisor`.
    pub fn delegated(subtree: DelegatedV2) -> Self {
        let plugins = subtree.plugins();
        Self {
            enable_in: vec![subtree.root.clone(), plugins.clone()],
            bases: [plugins],
            delegated: Some(subtree),
        }
    }

    /// The delegated subtree, if the jails live in one.
    pub fn subtree(&self) -> Option<&DelegatedV2> {
        self.delegated.as_ref()
    }
}

/// Enables the jail controllers in `dir`'s `cgroup.subtree_control` where they are not yet.
fn enable_controllers(dir: &Path) -> Result<(), CgroupError> {
    let file = dir.join("cgroup.subtree_control");
    let current = std::fs::read_to_string(&file).unwrap_or_default();
    let missing: Vec<String> = CONTROLLERS
        .iter()
        .filter(|c| !current.split_whitespace().any(|x| x == **c))
        .map(|c| format!("+{c}"))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    match std::fs::write(&file, missing.join(" ")) {
        // v2 refuses controllers below a cgroup that still holds processes itself.
        Err(e) if e.raw_os_error() == Some(libc::EBUSY) => Err(CgroupError::InternalProcesses {
            path: dir.to_owned(),
        }),
        other => other.map_err(crate::files::io_err(&file)),
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
        for dir in &self.enable_in {
            ensure_dir(dir)?;
            enable_controllers(dir)?;
        }
        Ok(())
    }

    fn settle(&self) -> Result<Option<PathBuf>, CgroupError> {
        let Some(subtree) = self.delegated.as_ref().filter(|d| d.in_root) else {
            return Ok(None);
        };
        let leaf = subtree.leaf();
        ensure_dir(&leaf)?;
        write(&leaf.join("cgroup.procs"), "0")?;
        Ok(Some(leaf))
    }

    fn describe(&self) -> String {
        match &self.delegated {
            Some(d) => format!(
                "cgroup v2 subtree {} (the core in {SUPERVISOR_LEAF}/, jails in {PLUGINS_DIR}/)",
                d.root.display()
            ),
            None => format!("cgroup v2, jails in {}", self.bases[0].display()),
        }
    }

    fn set_limits(
        &self,
        dirs: &[PathBuf],
        limits: &Limits,
        _prior: Prior,
    ) -> Result<(), CgroupError> {
        // v2 cgroups are never recycled (see `reusable`): always fresh.
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
