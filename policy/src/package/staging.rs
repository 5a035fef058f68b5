//! Reading a package into a staging directory: each file is streamed to disk as it is
//! decompressed, so the reader's memory stays bounded by a small constant (a 64 KiB
//! buffer, the manifest and the listing) whatever the package unpacks to.
//!
//! This is the one place in the crate that writes files, and only below the directory the
//! caller names. That directory must exist and be empty. While the package is read,
//! everything written is private (directories `0700`, files `0600`, each created new, so
//! never through a planted link); only when every check has passed do files get their
//! packaged modes (`0644`/`0755`) and directories `0755`, each fsynced. If anything is
//! refused, everything written is removed and the directory is left empty.

use super::reader::{FileSink, read_into};
use super::{PackageDigest, PackageEntry, PackageError, PackageLimits, PackageListing};
use crate::manifest::{Manifest, ResourceCeilings};
use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// A package read into a staging directory, every check passed.
#[derive(Clone, Debug)]
pub struct StagedPackage {
    listing: PackageListing,
    dir: PathBuf,
}

impl StagedPackage {
    /// The validated manifest.
    pub fn manifest(&self) -> &Manifest {
        self.listing.manifest()
    }

    /// The manifest exactly as packaged (covered by the digest).
    pub fn manifest_bytes(&self) -> &[u8] {
        self.listing.manifest_bytes()
    }

    /// Every file's mode, size and hash, by path relative to `files/` (and to
    /// [`StagedPackage::dir`]).
    pub fn entries(&self) -> &BTreeMap<String, PackageEntry> {
        self.listing.entries()
    }

    /// The canonical digest: the package's identity.
    pub fn digest(&self) -> PackageDigest {
        self.listing.digest()
    }

    /// The staging directory: the package's `files/`, laid out as packaged.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// Reads and checks a package from untrusted bytes, writing its files (the contents of
/// `files/`) below `dir`, which must be an existing, empty directory. On `Err` nothing is
/// left in `dir`.
pub fn read_package_to_dir<R: Read>(
    input: R,
    limits: &PackageLimits,
    ceilings: &ResourceCeilings,
    dir: &Path,
) -> Result<StagedPackage, PackageError> {
    let mut staging = Staging::open(dir)?;
    let outcome = read_into(input, limits, ceilings, &mut staging)
        .and_then(|listing| staging.finish().map(|()| listing));
    match outcome {
        Ok(listing) => Ok(StagedPackage {
            listing: PackageListing {
                manifest: listing.manifest,
                manifest_bytes: listing.manifest_bytes,
                entries: listing.entries,
                digest: listing.digest,
            },
            dir: dir.to_owned(),
        }),
        Err(e) => {
            staging.discard();
            Err(e)
        }
    }
}

struct Staging {
    dir: PathBuf,
    current: Option<File>,
    dirs: BTreeSet<PathBuf>,
    files: Vec<(PathBuf, u32)>,
}

impl Staging {
    fn error(&self, action: &'static str) -> impl FnOnce(std::io::Error) -> PackageError + '_ {
        move |e| PackageError::Staging {
            dir: self.dir.display().to_string(),
            action,
            reason: e.to_string(),
        }
    }

    fn open(dir: &Path) -> Result<Self, PackageError> {
        let staging = Self {
            dir: dir.to_owned(),
            current: None,
            dirs: BTreeSet::new(),
            files: Vec::new(),
        };
        let meta = fs::symlink_metadata(dir).map_err(staging.error("inspect"))?;
        if !meta.is_dir() {
            return Err(staging.error("inspect")(std::io::Error::other(
                "not a directory",
            )));
        }
        if fs::read_dir(dir)
            .map_err(staging.error("list"))?
            .next()
            .is_some()
        {
            return Err(staging.error("check it is empty")(std::io::Error::other(
                "it is not empty",
            )));
        }
        Ok(staging)
    }

    /// Creates the directories above `relative`, each once and new.
    fn make_parents(&mut self, relative: &Path) -> Result<(), PackageError> {
        let mut parent = self.dir.clone();
        if let Some(parents) = relative.parent() {
            for component in parents.components() {
                parent.push(component);
                if self.dirs.contains(&parent) {
                    continue;
                }
                fs::DirBuilder::new()
                    .mode(0o700)
                    .create(&parent)
                    .map_err(self.error("create a directory"))?;
                self.dirs.insert(parent.clone());
            }
        }
        Ok(())
    }

    /// Gives files and directories their final modes and makes them durable.
    fn finish(&mut self) -> Result<(), PackageError> {
        for (path, mode) in &self.files {
            fs::set_permissions(path, fs::Permissions::from_mode(*mode))
                .map_err(self.error("set a file's mode"))?;
        }
        for dir in self.dirs.iter().rev() {
            fs::set_permissions(dir, fs::Permissions::from_mode(0o755))
                .map_err(self.error("set a directory's mode"))?;
            File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(self.error("fsync a directory"))?;
        }
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(self.error("fsync"))
    }

    /// Removes everything written (best effort: the package is refused either way).
    fn discard(&mut self) {
        self.current = None;
        if let Ok(entries) = fs::read_dir(&self.dir) {
            for entry in entries.flatten() {
                let path = entry.path();
                let _ = match entry.file_type() {
                    Ok(t) if t.is_dir() => fs::remove_dir_all(&path),
                    _ => fs::remove_file(&path),
                };
            }
        }
    }
}

impl FileSink for Staging {
    fn begin(&mut self, path: &str, _size: u64) -> Result<(), PackageError> {
        let relative = Path::new(path);
        self.make_parents(relative)?;
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(self.dir.join(relative))
            .map_err(self.error("create a file"))?;
        self.current = Some(file);
        Ok(())
    }

    fn write(&mut self, chunk: &[u8]) -> Result<(), PackageError> {
        let result = match self.current.as_mut() {
            Some(file) => file.write_all(chunk),
            None => Err(std::io::Error::other("no file is open")),
        };
        result.map_err(self.error("write a file"))
    }

    fn end(&mut self, path: &str, entry: &PackageEntry) -> Result<(), PackageError> {
        let synced = match self.current.take() {
            Some(file) => file.sync_all(),
            None => Err(std::io::Error::other("no file is open")),
        };
        synced.map_err(self.error("fsync a file"))?;
        self.files.push((self.dir.join(path), entry.mode));
        Ok(())
    }
}
