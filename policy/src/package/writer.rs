//! Building a package: deterministic bytes for the same inputs.

use super::path::{check_relative_path, shown};
use super::path_index::{EntryKind, PathIndex};
use super::{FILES_DIR, PackageDigest, PackageError, PackageFile, canonical_digest};
use crate::manifest::{MANIFEST_FILE, Manifest, ResourceCeilings};
use flate2::{Compression, GzBuilder};
use std::collections::BTreeMap;

/// Builds a `.fxp` from a manifest and files the caller has read. Paths are sorted,
/// mtimes, owners and gzip header fields are fixed, so the same inputs always give the
/// same bytes; the builder refuses anything the reader would refuse.
#[derive(Clone, Debug)]
pub struct PackageBuilder {
    manifest: Vec<u8>,
    files: BTreeMap<String, PackageFile>,
    index: PathIndex,
}

impl PackageBuilder {
    /// Starts a package with this manifest (validated at [`PackageBuilder::build`]).
    pub fn new(manifest: Vec<u8>) -> Self {
        Self {
            manifest,
            files: BTreeMap::new(),
            index: PathIndex::default(),
        }
    }

    /// Adds a file at `path` (relative to `files/`).
    pub fn add_file(
        &mut self,
        path: &str,
        contents: Vec<u8>,
        executable: bool,
    ) -> Result<&mut Self, PackageError> {
        check_relative_path(path).map_err(|problem| PackageError::BadPath {
            path: shown(path.as_bytes()),
            problem,
        })?;
        // The same index the reader keeps: duplicates, case collisions and a file where a
        // directory is are refused here, not only when the package is read.
        self.index.add(path, EntryKind::File)?;
        self.files
            .insert(path.to_string(), PackageFile::new(contents, executable));
        Ok(self)
    }

    /// The digest the built package will have.
    pub fn digest(&self) -> PackageDigest {
        canonical_digest(&self.manifest, &self.files)
    }

    /// Validates the manifest and the entry, then writes the package bytes.
    pub fn build(&self, ceilings: &ResourceCeilings) -> Result<Vec<u8>, PackageError> {
        let manifest = Manifest::parse_bytes(&self.manifest, ceilings)
            .map_err(PackageError::ManifestInvalid)?;
        match self.files.get(&manifest.entry) {
            None => return Err(PackageError::EntryMissing(manifest.entry.clone())),
            Some(f) if !f.is_executable() => {
                return Err(PackageError::EntryNotExecutable(manifest.entry.clone()));
            }
            Some(_) => {}
        }
        let gz = GzBuilder::new()
            .mtime(0)
            .operating_system(255)
            .write(Vec::new(), Compression::default());
        let mut tar = tar::Builder::new(gz);
        tar.mode(tar::HeaderMode::Deterministic);
        let write_err = |e: std::io::Error| PackageError::Corrupt(format!("writing failed: {e}"));
        append(&mut tar, MANIFEST_FILE, 0o644, &self.manifest).map_err(write_err)?;
        for (path, file) in &self.files {
            append(
                &mut tar,
                &format!("{FILES_DIR}{path}"),
                file.mode,
                &file.contents,
            )
            .map_err(write_err)?;
        }
        let gz = tar.into_inner().map_err(write_err)?;
        gz.finish().map_err(write_err)
    }
}

fn append<W: std::io::Write>(
    tar: &mut tar::Builder<W>,
    path: &str,
    mode: u32,
    contents: &[u8],
) -> std::io::Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Regular);
    header.set_size(contents.len() as u64);
    header.set_mode(mode);
    header.set_mtime(0);
    header.set_uid(0);
    header.set_gid(0);
    tar.append_data(&mut header, path, contents)
}
