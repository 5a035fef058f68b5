//! One jail's cgroup: attach, read, freeze, kill and remove, the same way on v1 and v2.

use crate::backend::Backend;
use crate::files::write;
use crate::{CgroupError, Events, Limits, Usage, spares};
use std::fs;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;

/// One jail's cgroup.
#[derive(Debug)]
pub struct Cgroup {
    backend: Arc<dyn Backend>,
    dirs: Vec<PathBuf>,
    /// The limits written into it, when this process wrote them (a recycled spare's name
    /// carries them to the next jail).
    limits: Option<Limits>,
}

impl Cgroup {
    pub(crate) fn new(backend: Arc<dyn Backend>, dirs: Vec<PathBuf>) -> Self {
        Self {
            backend,
            dirs,
            limits: None,
        }
    }

    pub(crate) fn with_limits(mut self, limits: &Limits) -> Self {
        self.limits = Some(limits.clone());
        self
    }

    /// The cgroup's directories (one for v2, memory/pids/cpu and optional ones for v1).
    pub fn dirs(&self) -> &[PathBuf] {
        &self.dirs
    }

    /// Moves the calling process into the cgroup (in every controller).
    pub fn join_self(&self) -> Result<(), CgroupError> {
        self.attach(0)
    }

    /// Moves process `pid` (0: the caller) into the cgroup, in every controller.
    pub fn attach(&self, pid: u32) -> Result<(), CgroupError> {
        for file in self.procs_files() {
            write(&file, &pid.to_string())?;
        }
        Ok(())
    }

    /// The `cgroup.procs` files to write a pid into (opened before privileges change).
    pub fn procs_files(&self) -> Vec<PathBuf> {
        self.dirs.iter().map(|d| d.join("cgroup.procs")).collect()
    }

    /// The files a **single-threaded** process writes `0` into to move itself into the
    /// cgroup, one per directory. On v1 these are the `tasks` files: they move the calling
    /// thread alone, which for a process with one thread is the whole process, without the
    /// threadgroup lock a `cgroup.procs` write takes (and its RCU grace period, the cost of
    /// a cold jail start). A multi-threaded caller must use [`Cgroup::procs_files`], or its
    /// other threads stay behind.
    pub fn self_join_files(&self) -> Vec<PathBuf> {
        let file = self.backend.self_join_file();
        self.dirs.iter().map(|d| d.join(file)).collect()
    }

    /// The directory a process can be created directly inside, with
    /// `clone3(CLONE_INTO_CGROUP)`: v2's one directory. `None` on v1, where every hierarchy
    /// needs a migration ([`Cgroup::self_join_files`]).
    pub fn birth_dir(&self) -> Option<&std::path::Path> {
        match self.dirs.as_slice() {
            [dir] if self.backend.accepts_births() => Some(dir),
            _ => None,
        }
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
        self.backend.events(&self.dirs)
    }

    /// Memory and CPU the cgroup's tasks use, as far as this host accounts them.
    pub fn usage(&self) -> Usage {
        self.backend.usage(&self.dirs)
    }

    /// Kills every process in the cgroup without a fork racing the kill: `cgroup.kill` on
    /// v2; on v1 the freezer stops every task first (when mounted), each listed pid gets
    /// SIGKILL, the thaw lets them die, and the list is re-read until it stays empty.
    pub fn kill_all(&self) {
        if self.backend.kill_at_once(&self.dirs) {
            return;
        }
        if self.pids().is_empty() {
            return; // the usual teardown: nothing left to freeze or kill
        }
        let frozen = self.freeze();
        let kill_listed = || {
            let pids = self.pids();
            for pid in &pids {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(*pid),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
            pids.is_empty()
        };
        kill_listed();
        if frozen {
            self.thaw();
        }
        for _ in 0..200 {
            if kill_listed() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
    }

    /// Freezes every task of the cgroup and waits, briefly, until the kernel reports it
    /// frozen. Returns whether it is frozen: `false` where no freezer exists or it did not
    /// settle in time.
    pub fn freeze(&self) -> bool {
        let Some(freezer) = self.backend.freezer(&self.dirs) else {
            return false;
        };
        if fs::write(&freezer.file, freezer.frozen).is_err() {
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
        if let Some(freezer) = self.backend.freezer(&self.dirs) {
            let _ = fs::write(freezer.file, freezer.thawed);
        }
    }

    /// Whether the kernel reports the cgroup frozen now.
    pub fn is_frozen(&self) -> bool {
        self.backend.is_frozen(&self.dirs)
    }

    /// Whether every directory of the cgroup is gone.
    pub fn is_removed(&self) -> bool {
        self.dirs.iter().all(|d| !d.exists())
    }

    /// Turns the emptied cgroup into a spare for the next jail when it can be (see
    /// [`spares::recycle`]). Returns whether it did.
    #[cfg(test)]
    pub(crate) fn recycle(&self) -> bool {
        spares::recycle(
            self.backend.as_ref(),
            &self.dirs,
            self.limits.as_ref(),
            &self.events(),
            self.pids().is_empty(),
        )
    }

    /// Kills what is left and removes the directories (or keeps them as a spare); retries
    /// while the kernel finishes tearing processes down.
    pub fn remove(self) -> Result<(), CgroupError> {
        let events = self.events();
        self.remove_after(&events)
    }

    /// [`Cgroup::remove`] for a caller that has just read the cgroup's [`Cgroup::events`]:
    /// they decide whether it may become a spare without being read again. Only a cgroup
    /// found empty is recycled; one that still had tasks is killed and removed.
    pub fn remove_after(self, events: &Events) -> Result<(), CgroupError> {
        let empty = self.pids().is_empty();
        if !empty {
            self.kill_all();
        }
        let limits = self.limits.as_ref();
        if spares::recycle(self.backend.as_ref(), &self.dirs, limits, events, empty) {
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
