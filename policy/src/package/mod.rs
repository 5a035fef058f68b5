//! Plugin packages (`.fxp`): the format, the canonical digest, a deterministic writer and
//! a reader for hostile input.
//!
//! Layout (see `docs/packages.md`): a single-member gzip stream of a tar archive holding
//! `faxbot-plugin.toml` and the plugin's files under `files/`, regular files only
//! (directory entries are tolerated and ignored). The reader streams: it enforces size,
//! count and compression-ratio limits while it decompresses, hashes each file through a
//! fixed-size buffer, and hands the bytes to one of three places:
//! - [`read_package_to_dir`]: a staging directory the caller owns (memory bounded by a
//!   small constant whatever the package's size; the one function of this crate that
//!   writes files, and only below that directory);
//! - [`inspect_package`]: nowhere (the digest and manifest of a package, nothing kept);
//! - [`read_package`]: memory (small packages, tools and tests).
//!
//! Each returns nothing a caller could use until all of the package has passed.

mod digest;
mod limits;
mod members;
pub mod path;
mod path_index;
mod reader;
mod staging;
mod writer;

pub use digest::{BadDigest, PackageDigest, canonical_digest, canonical_digest_of_entries, sha256};
pub use limits::PackageLimits;
pub use staging::{StagedPackage, read_package_to_dir};
pub use writer::PackageBuilder;

use reader::{FileSink, read_into};
use std::io::Read;

use crate::manifest::{Manifest, ManifestErrors, ResourceCeilings};
use std::collections::BTreeMap;

/// Directory inside the archive that holds the plugin's files.
pub const FILES_DIR: &str = "files/";

/// One file of a package.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackageFile {
    /// `0o755` for executables, `0o644` otherwise.
    pub mode: u32,
    /// The file's bytes.
    pub contents: Vec<u8>,
    /// SHA-256 of `contents`.
    pub sha256: [u8; 32],
}

impl PackageFile {
    /// A file with its hash computed; `executable` picks the mode.
    pub fn new(contents: Vec<u8>, executable: bool) -> Self {
        Self {
            mode: if executable { 0o755 } else { 0o644 },
            sha256: sha256(&contents),
            contents,
        }
    }

    /// Whether the file is executable.
    pub fn is_executable(&self) -> bool {
        self.mode & 0o111 != 0
    }
}

/// What the digest says of one file: its mode, size and SHA-256.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PackageEntry {
    /// `0o755` for executables, `0o644` otherwise.
    pub mode: u32,
    /// Bytes.
    pub size: u64,
    /// SHA-256 of the bytes.
    pub sha256: [u8; 32],
}

impl PackageEntry {
    /// Whether the file is executable.
    pub fn is_executable(&self) -> bool {
        self.mode & 0o111 != 0
    }
}

/// A package read and validated in full, its files' bytes not kept.
#[derive(Clone, Debug)]
pub struct PackageListing {
    manifest: Manifest,
    manifest_bytes: Vec<u8>,
    entries: BTreeMap<String, PackageEntry>,
    digest: PackageDigest,
}

impl PackageListing {
    /// The validated manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The manifest exactly as packaged (covered by the digest).
    pub fn manifest_bytes(&self) -> &[u8] {
        &self.manifest_bytes
    }

    /// Every file's mode, size and hash, by path relative to `files/`.
    pub fn entries(&self) -> &BTreeMap<String, PackageEntry> {
        &self.entries
    }

    /// The canonical digest: the package's identity.
    pub fn digest(&self) -> PackageDigest {
        self.digest
    }
}

/// Reads and checks a package from untrusted bytes, keeping none of its files' bytes:
/// its manifest, its listing and its digest, in memory bounded by a small constant.
pub fn inspect_package<R: Read>(
    input: R,
    limits: &PackageLimits,
    ceilings: &ResourceCeilings,
) -> Result<PackageListing, PackageError> {
    struct Nowhere;
    impl FileSink for Nowhere {
        fn begin(&mut self, _: &str, _: u64) -> Result<(), PackageError> {
            Ok(())
        }
        fn write(&mut self, _: &[u8]) -> Result<(), PackageError> {
            Ok(())
        }
        fn end(&mut self, _: &str, _: &PackageEntry) -> Result<(), PackageError> {
            Ok(())
        }
    }
    let listing = read_into(input, limits, ceilings, &mut Nowhere)?;
    Ok(PackageListing {
        manifest: listing.manifest,
        manifest_bytes: listing.manifest_bytes,
        entries: listing.entries,
        digest: listing.digest,
    })
}

/// Reads, checks and returns a whole package in memory: every file's bytes are held, so
/// use it for small packages (tools, tests); a host installing packages uses
/// [`read_package_to_dir`]. Nothing is returned until every entry has passed every check,
/// the gzip trailer has been verified and the manifest validated.
pub fn read_package<R: Read>(
    input: R,
    limits: &PackageLimits,
    ceilings: &ResourceCeilings,
) -> Result<Package, PackageError> {
    #[derive(Default)]
    struct InMemory {
        current: Vec<u8>,
        files: BTreeMap<String, PackageFile>,
    }
    impl FileSink for InMemory {
        fn begin(&mut self, _: &str, size: u64) -> Result<(), PackageError> {
            self.current = Vec::with_capacity(usize::try_from(size).unwrap_or(0).min(1 << 20));
            Ok(())
        }
        fn write(&mut self, chunk: &[u8]) -> Result<(), PackageError> {
            self.current.extend_from_slice(chunk);
            Ok(())
        }
        fn end(&mut self, path: &str, entry: &PackageEntry) -> Result<(), PackageError> {
            let contents = std::mem::take(&mut self.current);
            self.files.insert(
                path.to_owned(),
                PackageFile {
                    mode: entry.mode,
                    contents,
                    sha256: entry.sha256,
                },
            );
            Ok(())
        }
    }
    let mut memory = InMemory::default();
    let listing = read_into(input, limits, ceilings, &mut memory)?;
    Ok(Package {
        manifest: listing.manifest,
        manifest_bytes: listing.manifest_bytes,
        files: memory.files,
        digest: listing.digest,
    })
}

/// A package that has been read and validated in full.
#[derive(Clone, Debug)]
pub struct Package {
    manifest: Manifest,
    manifest_bytes: Vec<u8>,
    files: BTreeMap<String, PackageFile>,
    digest: PackageDigest,
}

impl Package {
    /// The validated manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The manifest exactly as packaged (covered by the digest).
    pub fn manifest_bytes(&self) -> &[u8] {
        &self.manifest_bytes
    }

    /// The plugin's files, by path relative to `files/`.
    pub fn files(&self) -> &BTreeMap<String, PackageFile> {
        &self.files
    }

    /// The canonical digest: the package's identity.
    pub fn digest(&self) -> PackageDigest {
        self.digest
    }

    /// The entry executable.
    pub fn entry(&self) -> Option<&PackageFile> {
        self.files.get(&self.manifest.entry)
    }
}

/// Why a package was refused. Paths in messages are escaped and shortened.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PackageError {
    /// Not gzip, not tar, or a checksum failed.
    #[error("package is not a valid gzip-compressed tar: {0}")]
    Corrupt(String),
    /// The stream ended early.
    #[error("package is truncated")]
    Truncated,
    /// More compressed bytes than the limit.
    #[error("package is larger than {limit} compressed bytes")]
    CompressedTooLarge {
        /// The limit.
        limit: u64,
    },
    /// More decompressed bytes than the limit.
    #[error("package expands to more than {limit} bytes")]
    TooManyBytes {
        /// The limit.
        limit: u64,
    },
    /// Decompressed size past `max_ratio` times the compressed size read so far.
    #[error("package expands more than {limit}x its compressed size (a compression bomb)")]
    RatioExceeded {
        /// The limit.
        limit: u64,
    },
    /// More entries than the limit.
    #[error("package has more than {limit} entries")]
    TooManyFiles {
        /// The limit.
        limit: usize,
    },
    /// One file larger than the limit.
    #[error("file `{path}` is larger than {limit} bytes")]
    FileTooLarge {
        /// The file.
        path: String,
        /// The limit.
        limit: u64,
    },
    /// A path that is absolute, has `..`, or is otherwise not portable.
    #[error("entry `{path}` is refused: {problem}")]
    BadPath {
        /// The entry.
        path: String,
        /// What is wrong with it.
        problem: path::PathProblem,
    },
    /// An entry outside `faxbot-plugin.toml` and `files/`.
    #[error("entry `{0}` is outside files/ (only faxbot-plugin.toml and files/... are allowed)")]
    OutsideFiles(String),
    /// A symbolic link.
    #[error("entry `{0}` is a symbolic link, which packages may not contain")]
    Symlink(String),
    /// A hard link.
    #[error("entry `{0}` is a hard link, which packages may not contain")]
    Hardlink(String),
    /// A character or block device or a FIFO.
    #[error("entry `{0}` is a device or FIFO, which packages may not contain")]
    Device(String),
    /// Any other entry type (sparse, contiguous, global headers, vendor types).
    #[error("entry `{path}` has the unsupported tar type {kind:?}")]
    UnsupportedEntry {
        /// The entry.
        path: String,
        /// Its type byte.
        kind: char,
    },
    /// setuid, setgid or sticky bits.
    #[error("entry `{path}` has the special mode bits {mode:o}")]
    SpecialMode {
        /// The entry.
        path: String,
        /// Its mode.
        mode: u32,
    },
    /// The same path twice.
    #[error("entry `{0}` appears more than once")]
    DuplicatePath(String),
    /// Two paths that differ only in case: two files, two directories, or a file and a
    /// directory (named by an entry or implied by a path below it).
    #[error("entries `{0}` and `{1}` differ only in letter case")]
    CaseCollision(String, String),
    /// A file that is also a directory of another entry.
    #[error("entry `{0}` is both a file and a directory")]
    FileDirConflict(String),
    /// No manifest.
    #[error("package has no faxbot-plugin.toml")]
    ManifestMissing,
    /// The manifest is invalid.
    #[error("package manifest is invalid: {0}")]
    ManifestInvalid(ManifestErrors),
    /// The manifest's entry is not in the package.
    #[error("the manifest's entry `{0}` is not in files/")]
    EntryMissing(String),
    /// The manifest's entry is not executable.
    #[error("the manifest's entry `{0}` is not executable")]
    EntryNotExecutable(String),
    /// Non-zero bytes after the tar's end, or a second gzip member.
    #[error("package has data after the end of the archive")]
    TrailingData,
    /// The staging directory could not be written (not a verdict on the package).
    #[error("staging directory {dir}: {action} failed: {reason}")]
    Staging {
        /// The staging directory the caller named.
        dir: String,
        /// What was being done.
        action: &'static str,
        /// The system's error.
        reason: String,
    },
}
