//! The pool of spare cgroups: emptied, clean cgroups renamed `spare-…` and claimed by the
//! next jail with an atomic rename, because a cold `mkdir` in the v1 memory controller costs
//! 10+ ms and a rename microseconds.

use crate::backend::Backend;
use crate::files::ensure_dir;
use crate::{CgroupError, Events, Limits, Prior};
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

/// The separator between a spare's limits tag and the name of the jail that left it.
const TAG_END: char = '.';

/// Renames one spare cgroup (in every base) to `name`, preferring one whose name says it
/// holds the limits `tag` ([`crate::Limits::tag`]). A rename is atomic, so two jails never
/// claim the same spare. Returns what the claimed directories hold (`None`: none claimed);
/// a spare missing a base has that directory made fresh, and counts as fresh.
pub fn claim(bases: &[PathBuf], prefix: &str, name: &str, tag: &str) -> Option<Prior> {
    let (first, others) = bases.split_first()?;
    let mut spares: Vec<(bool, String)> = fs::read_dir(first)
        .ok()?
        .flatten()
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|spare| is_spare(spare, prefix))
        .map(|spare| (spare_tag(&spare[prefix.len()..]) == Some(tag), spare))
        .collect();
    // Same limits first.
    spares.sort_by_key(|(same, _)| !same);
    for (same, spare) in spares {
        if fs::rename(first.join(&spare), first.join(name)).is_err() {
            continue; // another jail took it
        }
        let mut complete = true;
        for base in others {
            if fs::rename(base.join(&spare), base.join(name)).is_err() {
                complete = false;
                if fs::create_dir(base.join(name)).is_err() {
                    return None;
                }
            }
        }
        let tagged = spare_tag(&spare[prefix.len()..]).is_some();
        return Some(match (complete && tagged, same) {
            (false, _) => Prior::Fresh,
            (true, true) => Prior::SameLimits,
            (true, false) => Prior::Recycled,
        });
    }
    None
}

/// The limits tag of a spare's name (after its pool prefix), when it carries one.
fn spare_tag(rest: &str) -> Option<&str> {
    let (tag, _) = rest.split_once(TAG_END)?;
    let numbers: Vec<&str> = tag.split('-').collect();
    let well_formed = matches!(numbers.as_slice(), [m, p, c]
    if [(m, 'm'), (p, 'p'), (c, 'c')].iter().all(|(part, letter)| {
        part.strip_prefix(*letter)
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    }));
    well_formed.then_some(tag)
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
pub fn recycle(
    backend: &dyn Backend,
    dirs: &[PathBuf],
    limits: Option<&Limits>,
    events: &Events,
    empty: bool,
) -> bool {
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
    // A jail's name holds no `.`: the tag, when known, is told from it by the first one.
    let spare = match limits {
        Some(limits) => format!("{prefix}{}{TAG_END}{name}", limits.tag()),
        None => format!("{prefix}{name}"),
    };
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
