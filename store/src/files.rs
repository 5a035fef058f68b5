//! The package area: installed plugins' files on disk, `ROOT/<plugin id>/<digest hex>/`.
//!
//! An install writes every file into `ROOT/.staging/<random>/` (each file created new,
//! never through a symlink, fsynced), then moves the whole directory into place with one
//! `rename` and fsyncs the parent. The caller commits the version row after that rename.
//! A crash before the rename leaves only staging, which [`PackageArea::sweep`] clears; a
//! crash between the rename and the commit leaves a directory no row names, which the sweep
//! removes too. Removal runs the other way: the row goes first, then the directory.

use crate::{Result, StoreError};
use faxbot_policy::package::PackageFile;
use ring::rand::{SecureRandom, SystemRandom};
use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

const STAGING: &str = ".staging";

/// The package area under one root directory.
#[derive(Clone, Debug)]
pub struct PackageArea {
    root: PathBuf,
}

/// Files written to staging and not yet moved into place. Dropping it removes them.
#[derive(Debug)]
pub struct Staged {
    dir: Option<PathBuf>,
}

impl Drop for Staged {
    fn drop(&mut self) {
        if let Some(dir) = self.dir.take() {
            let _ = fs::remove_dir_all(dir);
        }
    }
}

/// What a sweep removed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Staging directories left by an interrupted install.
    pub staging: usize,
    /// Version directories no stored version names (a crash between rename and commit, or
    /// between a row's removal and its directory's).
    pub orphans: Vec<String>,
}

fn sync_dir(path: &Path) -> Result<()> {
    File::open(path)
        .and_then(|d| d.sync_all())
        .map_err(StoreError::io(path, "fsync directory"))
}

fn make_dir(path: &Path, mode: u32) -> Result<()> {
    match fs::DirBuilder::new().mode(mode).create(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && path.is_dir() => Ok(()),
        Err(e) => Err(StoreError::io(path, "create directory")(e)),
    }
}

/// A path of only normal components (no root, `.`, `..`), as the package reader already
/// guarantees; checked again here because this is where it is written.
fn plain_relative(path: &str) -> Result<&Path> {
    let p = Path::new(path);
    if path.is_empty()
        || path.contains('\0')
        || !p.components().all(|c| matches!(c, Component::Normal(_)))
    {
        return Err(StoreError::BadPath(path.to_owned()));
    }
    Ok(p)
}

/// A plugin id as a single directory name.
fn plain_name(name: &str) -> Result<&str> {
    let ok = !name.is_empty()
        && name != "."
        && name != ".."
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(name)
    } else {
        Err(StoreError::BadPath(name.to_owned()))
    }
}

impl PackageArea {
    /// The area at `root`, created (`0700`) if missing.
    pub fn open(root: &Path) -> Result<Self> {
        make_dir(root, 0o700)?;
        Ok(Self { root: root.into() })
    }

    /// Its root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The absolute path of a version directory named by a stored `files_dir`.
    pub fn path_of(&self, files_dir: &str) -> Result<PathBuf> {
        Ok(self.root.join(plain_relative(files_dir)?))
    }

    /// The `files_dir` a version of `plugin_id` with this digest gets.
    pub fn files_dir_for(plugin_id: &str, digest_hex: &str) -> Result<String> {
        Ok(format!(
            "{}/{}",
            plain_name(plugin_id)?,
            plain_name(digest_hex)?
        ))
    }

    /// Writes `files` into a fresh staging directory: directories `0755`, files `0755` or
    /// `0644` as packaged, each fsynced.
    pub fn stage(&self, files: &BTreeMap<String, PackageFile>) -> Result<Staged> {
        let staging = self.root.join(STAGING);
        make_dir(&staging, 0o700)?;
        let mut name = [0u8; 12];
        SystemRandom::new().fill(&mut name).map_err(|_| {
            StoreError::io(&staging, "draw a random name")(std::io::Error::other("rng"))
        })?;
        let dir = staging.join(hex::encode(name));
        make_dir(&dir, 0o755)?;
        let staged = Staged {
            dir: Some(dir.clone()),
        };
        let mut dirs = BTreeSet::new();
        for (path, file) in files {
            let relative = plain_relative(path)?;
            let target = dir.join(relative);
            let mut parent = dir.clone();
            if let Some(parents) = relative.parent() {
                for component in parents.components() {
                    parent.push(component);
                    make_dir(&parent, 0o755)?;
                    dirs.insert(parent.clone());
                }
            }
            let mode = if file.is_executable() { 0o755 } else { 0o644 };
            let mut out = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(mode)
                .custom_flags(libc_o_nofollow())
                .open(&target)
                .map_err(StoreError::io(&target, "create"))?;
            out.set_permissions(fs::Permissions::from_mode(mode))
                .map_err(StoreError::io(&target, "set mode"))?;
            out.write_all(&file.contents)
                .map_err(StoreError::io(&target, "write"))?;
            out.sync_all().map_err(StoreError::io(&target, "fsync"))?;
        }
        for d in dirs.iter().rev() {
            sync_dir(d)?;
        }
        sync_dir(&dir)?;
        Ok(staged)
    }

    /// Moves staged files into place as `files_dir` with one rename (fsyncing the parent),
    /// and returns their directory. If `files_dir` exists already (the same package,
    /// re-uploaded after a crash), the staged copy is dropped and the existing one kept.
    pub fn commit(&self, mut staged: Staged, files_dir: &str) -> Result<PathBuf> {
        let target = self.path_of(files_dir)?;
        let Some(parent) = target.parent() else {
            return Err(StoreError::BadPath(files_dir.to_owned()));
        };
        make_dir(parent, 0o755)?;
        if target.exists() {
            return Ok(target);
        }
        let Some(dir) = staged.dir.take() else {
            return Err(StoreError::BadPath(files_dir.to_owned()));
        };
        fs::rename(&dir, &target).map_err(StoreError::io(&target, "move staged files in"))?;
        sync_dir(parent)?;
        sync_dir(&self.root)?;
        Ok(target)
    }

    /// Reads an installed version's files back (regular files and directories only; a
    /// symlink or any other kind of entry is an error), so the caller can check they still
    /// hash to the verified digest before each start.
    pub fn read_files(&self, files_dir: &str) -> Result<BTreeMap<String, PackageFile>> {
        let root = self.path_of(files_dir)?;
        let mut out = BTreeMap::new();
        let mut pending = vec![(root.clone(), String::new())];
        while let Some((dir, prefix)) = pending.pop() {
            for entry in fs::read_dir(&dir).map_err(StoreError::io(&dir, "list"))? {
                let entry = entry.map_err(StoreError::io(&dir, "list"))?;
                let name = entry.file_name().to_string_lossy().into_owned();
                let relative = format!("{prefix}{name}");
                let path = entry.path();
                let meta = fs::symlink_metadata(&path).map_err(StoreError::io(&path, "inspect"))?;
                if meta.is_dir() {
                    pending.push((path, format!("{relative}/")));
                } else if meta.is_file() {
                    let contents = fs::read(&path).map_err(StoreError::io(&path, "read"))?;
                    let executable = meta.permissions().mode() & 0o111 != 0;
                    out.insert(relative, PackageFile::new(contents, executable));
                } else {
                    return Err(StoreError::BadPath(relative));
                }
            }
        }
        Ok(out)
    }

    /// Removes a version directory (after its row is gone) and its plugin directory once
    /// empty.
    pub fn remove(&self, files_dir: &str) -> Result<()> {
        let target = self.path_of(files_dir)?;
        match fs::remove_dir_all(&target) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(StoreError::io(&target, "remove")(e)),
        }
        if let Some(parent) = target.parent() {
            // Fails (and is left) while other versions remain.
            let _ = fs::remove_dir(parent);
            sync_dir(&self.root)?;
        }
        Ok(())
    }

    /// Removes staging leftovers and every version directory not in `referenced` (stored
    /// versions' `files_dir`), and plugin directories left empty.
    pub fn sweep(&self, referenced: &BTreeSet<String>) -> Result<SweepReport> {
        let mut report = SweepReport::default();
        let staging = self.root.join(STAGING);
        if staging.is_dir() {
            for entry in fs::read_dir(&staging).map_err(StoreError::io(&staging, "list"))? {
                let entry = entry.map_err(StoreError::io(&staging, "list"))?;
                fs::remove_dir_all(entry.path())
                    .map_err(StoreError::io(entry.path(), "remove staging leftover"))?;
                report.staging += 1;
            }
        }
        for plugin in fs::read_dir(&self.root).map_err(StoreError::io(&self.root, "list"))? {
            let plugin = plugin.map_err(StoreError::io(&self.root, "list"))?;
            let name = plugin.file_name().to_string_lossy().into_owned();
            if name == STAGING {
                continue;
            }
            let path = plugin.path();
            if !path.is_dir() {
                fs::remove_file(&path).map_err(StoreError::io(&path, "remove stray file"))?;
                report.orphans.push(name);
                continue;
            }
            for version in fs::read_dir(&path).map_err(StoreError::io(&path, "list"))? {
                let version = version.map_err(StoreError::io(&path, "list"))?;
                let files_dir = format!("{name}/{}", version.file_name().to_string_lossy());
                if !referenced.contains(&files_dir) {
                    let vpath = version.path();
                    if vpath.is_dir() {
                        fs::remove_dir_all(&vpath)
                    } else {
                        fs::remove_file(&vpath)
                    }
                    .map_err(StoreError::io(&vpath, "remove orphan"))?;
                    report.orphans.push(files_dir);
                }
            }
            let _ = fs::remove_dir(&path);
        }
        sync_dir(&self.root)?;
        Ok(report)
    }
}

/// `O_NOFOLLOW`, so a planted symlink is never written through.
fn libc_o_nofollow() -> i32 {
    libc::O_NOFOLLOW
}
