//! Finding the hierarchy on this host, and the operations on it as a whole: creating a
//! jail's cgroup, finding and opening one, sweeping what crashed runs left.

use crate::backend::Backend;
use crate::delegation::{self, Context};
use crate::v1::V1;
use crate::v2::{self, V2};
use crate::{Cgroup, CgroupError, JAILS_DIR, Limits, Prior, spares};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The cgroup hierarchy that holds the jails, v1 or v2.
#[derive(Clone, Debug)]
pub struct Hierarchy {
    backend: Arc<dyn Backend>,
    /// The unprivileged user it was delegated to, if any.
    delegated_to: Option<u32>,
}

impl Hierarchy {
    /// Finds the hierarchy this process may use (see [`Hierarchy::detect_with`]).
    pub fn detect(mount: &Path) -> Result<Self, CgroupError> {
        Self::detect_with(mount, &Context::of_this_process())
    }

    /// Finds the hierarchy `ctx` may use under `mount`.
    ///
    /// `FAXBOT_CGROUP_V2_BASE` names a delegated v2 directory explicitly. As root: v2 if
    /// the unified hierarchy at `mount` offers the memory, pids and cpu controllers
    /// (jails in `faxbot-jails`), otherwise v1 if all three are mounted separately.
    /// Without root only a delegated subtree ([`crate::delegation`]): the own v2 cgroup on
    /// a v2 host, the chowned v1 directories on a v1 host; anything else is an error that
    /// says what to set.
    pub fn detect_with(mount: &Path, ctx: &Context) -> Result<Self, CgroupError> {
        let delegated_to = (!ctx.privileged).then_some(ctx.uid);
        let v2 = |v2_mount: &Path| -> Result<Self, CgroupError> {
            let subtree = delegation::find_v2(v2_mount, ctx)?;
            Ok(Self::v2(V2::delegated(subtree)).owned_by(delegated_to))
        };
        if ctx.v2_base.is_some() {
            return v2(mount);
        }
        if ctx.privileged {
            if let Some(v2) = v2::detect(mount, JAILS_DIR) {
                return Ok(Self::v2(v2));
            }
        } else if mount.join("cgroup.controllers").exists() {
            return v2(mount);
        }
        if let Some(v1) = delegation::find_v1(mount, ctx)? {
            return Ok(Self::v1(v1).owned_by(delegated_to));
        }
        let unified = mount.join("unified");
        if !ctx.privileged && unified.join("cgroup.controllers").exists() {
            return v2(&unified);
        }
        Err(CgroupError::Unsupported(mount.display().to_string()))
    }

    /// Jails in the unified hierarchy.
    pub fn v2(backend: V2) -> Self {
        Self {
            backend: Arc::new(backend),
            delegated_to: None,
        }
    }

    /// Jails in the legacy hierarchies.
    pub fn v1(backend: V1) -> Self {
        Self {
            backend: Arc::new(backend),
            delegated_to: None,
        }
    }

    fn owned_by(mut self, uid: Option<u32>) -> Self {
        self.delegated_to = uid;
        self
    }

    /// The unprivileged uid the hierarchy was delegated to (`None` as root).
    pub fn delegated_to(&self) -> Option<u32> {
        self.delegated_to
    }

    /// Where the jails go, in words (for `--check` and `faxbot doctor`).
    /// This hierarchy without the controllers that only account (see
    /// [`Backend::limits_only`]): for a jail that nobody freezes and whose CPU time nobody
    /// bills. Its spares are a pool of their own.
    pub fn limits_only(&self) -> Self {
        match self.backend.limits_only() {
            Some(backend) => Self {
                backend,
                delegated_to: self.delegated_to,
            },
            None => self.clone(),
        }
    }

    pub fn describe(&self) -> String {
        match self.delegated_to {
            Some(uid) => format!("{}, delegated to uid {uid}", self.backend.describe()),
            None => self.backend.describe(),
        }
    }

    /// In a delegated v2 subtree, moves the calling process from the subtree's root into
    /// its `supervisor` leaf (v2 enables controllers only below cgroups without processes
    /// of their own); elsewhere does nothing. The core calls it once at start, a
    /// `faxbot-jail` run by hand before it makes its cgroup. Returns the leaf when it moved.
    pub fn settle(&self) -> Result<Option<PathBuf>, CgroupError> {
        self.backend.settle()
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
        let cgroup = self.cgroup(name).with_limits(limits);
        let prefix = self.backend.spare_prefix();
        let prior = match spares::claim(self.bases(), prefix, name, &limits.tag()) {
            Some(prior) => prior,
            None => {
                self.sweep_leftovers();
                self.backend.prepare_bases()?;
                for dir in cgroup.dirs() {
                    crate::files::ensure_dir(dir)?;
                }
                Prior::Fresh
            }
        };
        self.backend.set_limits(cgroup.dirs(), limits, prior)?;
        Ok(cgroup)
    }

    /// Creates up to `count` spare cgroups ahead of time so that later starts skip the
    /// costly `mkdir`. Returns how many exist afterwards.
    pub fn prepare_spares(&self, count: usize) -> Result<usize, CgroupError> {
        self.backend.prepare_bases()?;
        spares::prepare(self.bases(), self.backend.spare_prefix(), count)
    }
}
