//! Finding the hierarchy on this host, and the operations on it as a whole: creating a
//! jail's cgroup, finding and opening one, sweeping what crashed runs left.

use crate::backend::Backend;
use crate::v1::{self, V1};
use crate::v2::{self, V2};
use crate::{Cgroup, CgroupError, JAILS_DIR, Limits, spares};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The cgroup hierarchy that holds the jails, v1 or v2.
#[derive(Clone, Debug)]
pub struct Hierarchy {
    backend: Arc<dyn Backend>,
}

impl Hierarchy {
    /// Finds the hierarchy on this host: v2 if the unified hierarchy at `mount` offers the
    /// memory, pids and cpu controllers; otherwise v1 if all three are mounted separately.
    /// `FAXBOT_CGROUP_V2_BASE` names a delegated v2 directory explicitly (systemd hosts).
    pub fn detect(mount: &Path) -> Result<Self, CgroupError> {
        if let Some(base) = std::env::var_os("FAXBOT_CGROUP_V2_BASE") {
            return Ok(Self::v2(V2::new(PathBuf::from(base))));
        }
        if let Some(v2) = v2::detect(mount, JAILS_DIR) {
            return Ok(Self::v2(v2));
        }
        if let Some(v1) = v1::detect(mount, JAILS_DIR) {
            return Ok(Self::v1(v1));
        }
        Err(CgroupError::Unsupported(mount.display().to_string()))
    }

    /// Jails in the unified hierarchy.
    pub fn v2(backend: V2) -> Self {
        Self {
            backend: Arc::new(backend),
        }
    }

    /// Jails in the legacy hierarchies.
    pub fn v1(backend: V1) -> Self {
        Self {
            backend: Arc::new(backend),
        }
    }

    /// `"v1"` or `"v2"`.
    pub fn version(&self) -> &'static str {
        self.backend.version()
    }

    /// The version's files.
    pub fn backend(&self) -> &dyn Backend {
        self.backend.as_ref()
    }

    fn bases(&self) -> &[PathBuf] {
        self.backend.bases()
    }

    fn cgroup(&self, name: &str) -> Cgroup {
        let dirs = self.bases().iter().map(|b| b.join(name)).collect();
        Cgroup::new(Arc::clone(&self.backend), dirs)
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
        let cgroup = self.cgroup(name);
        cgroup.dirs().first()?.is_dir().then_some(cgroup)
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
    /// Without a spare, jails that died without cleaning up are swept first
    /// ([`Hierarchy::sweep_leftovers`]): that walk stays off the common path.
    pub fn create(&self, name: &str, limits: &Limits) -> Result<Cgroup, CgroupError> {
        let cgroup = self.cgroup(name);
        if !spares::claim(self.bases(), name) {
            self.sweep_leftovers();
            self.backend.prepare_bases()?;
            for dir in cgroup.dirs() {
                crate::files::ensure_dir(dir)?;
            }
        }
        self.backend.set_limits(cgroup.dirs(), limits)?;
        Ok(cgroup)
    }

    /// Creates up to `count` spare cgroups ahead of time so that later starts skip the
    /// costly `mkdir`. Returns how many exist afterwards.
    pub fn prepare_spares(&self, count: usize) -> Result<usize, CgroupError> {
        self.backend.prepare_bases()?;
        spares::prepare(self.bases(), count)
    }
}
