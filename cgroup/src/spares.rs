//! The pool of spare cgroups: emptied, clean cgroups renamed `spare-…` and claimed by the
//! next jail with an atomic rename, because a cold `mkdir` in the v1 memory controller costs
//! 10+ ms and a rename microseconds.

use crate::backend::Backend;
use crate::files::ensure_dir;
use crate::{CgroupError, Events};
use std::fs;
use std::path::{Path, PathBuf};

/// Name prefix of spare cgroups kept ready for the next jail.
pub const SPARE_PREFIX: &str = "spare-";
/// How many spares a finished jail keeps around at most.
pub const MAX_SPARES: usize = 4;

fn count(first_base: &Path, prefix: &str) -> Option<usize> {
    fs::read_dir(first_base).ok().map(|d| {
        d.flatten()
            .filter(|e| is_spare(&e.file_name().to_string_lossy(), prefix))
            .count()
    })
}

/// Whether `name` is a spare of the pool `prefix` names (pools whose prefix extends another
/// one's, `spare-limits-` and `spare-`, are kept apart).
fn is_spare(name: &str, prefix: &str) -> bool {
    name.strip_prefix(prefix).is_some_and(|rest| {
        prefix != SPARE_PREFIX
            || !rest.starts_with(&crate::v1::LIMITS_ONLY_SPARE_PREFIX[SPARE_PREFIX.len()..])
    })
}

/// Renames one spare cgroup (in every base) to `name`. A rename is atomic, so two jails
/// never claim the same spare. Returns whether one was claimed with a directory in every
/// base.
pub fn claim(bases: &[PathBuf], prefix: &str, name: &str) -> bool {
    let Some((first, others)) = bases.split_first() else {
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
        if !is_spare(spare, prefix) {
            continue;
        }
        if fs::rename(first.join(spare), first.join(name)).is_err() {
            continue; // another jail took it
        }
        // Complete only when every base has the directory now (a later `create_dir` of
        // the caller makes up for a base that has not).
        let mut complete = true;
        for base in others {
            if fs::rename(base.join(spare), base.join(name)).is_err() {
                complete &= fs::create_dir(base.join(name)).is_ok();
            }
        }
        return complete;
    }
    false
}

/// Creates spares until `count` exist (the bases exist already). Returns how many exist.
pub fn prepare(bases: &[PathBuf], prefix: &str, count: usize) -> Result<usize, CgroupError> {
    let Some(first) = bases.first() else {
        return Ok(0);
    };
    let existing = self::count(first, prefix).unwrap_or(0);
    for i in existing..count {
        let name = format!("{prefix}{}-{i}", std::process::id());
        for base in bases {
            ensure_dir(&base.join(&name))?;
        }
    }
    Ok(existing.max(count))
}

/// Turns the emptied cgroup at `dirs` into a spare for the next jail, unless enough spares
/// exist. A cgroup that hit a limit, still has tasks, or whose counters the backend cannot
/// reset is never recycled: it would mislead the next jail's report. Returns whether it
/// became a spare (then its directories are gone under their old name).
pub fn recycle(backend: &dyn Backend, dirs: &[PathBuf], events: &Events, empty: bool) -> bool {
    if *events != Events::default() || !empty || !backend.reusable(dirs) {
        return false;
    }
    let bases = backend.bases();
    let Some(first) = bases.first() else {
        return false;
    };
    let prefix = backend.spare_prefix();
    if count(first, prefix).unwrap_or(usize::MAX) >= MAX_SPARES {
        return false;
    }
    let Some(name) = dirs
        .first()
        .and_then(|d| d.file_name())
        .and_then(|n| n.to_str())
    else {
        return false;
    };
    let spare = format!("{prefix}{name}");
    let mut renamed = Vec::new();
    for (dir, base) in dirs.iter().zip(bases) {
        if fs::rename(dir, base.join(&spare)).is_err() {
            // Undo so that the caller deletes a consistent set.
            for (back, from) in renamed {
                let _ = fs::rename(from, back);
            }
            return false;
        }
        renamed.push((dir.clone(), base.join(&spare)));
    }
    let spare_dirs: Vec<PathBuf> = bases.iter().map(|b| b.join(&spare)).collect();
    backend.reset_spare(&spare_dirs);
    true
}
