//! Reading a package from untrusted bytes, streaming: each file's bytes pass through a
//! fixed-size buffer into the SHA-256 and a [`FileSink`] (memory, a staging directory, or
//! nowhere), so what the reader itself holds is bounded by the limits on names and counts,
//! never by the size of the files.

use super::members::next_member;
use super::path::{check_relative_path, shown};
use super::path_index::{EntryKind, PathIndex};
use super::{FILES_DIR, PackageEntry, PackageError, PackageLimits, canonical_digest_of_entries};
use crate::manifest::{MANIFEST_FILE, MAX_MANIFEST_BYTES, Manifest, ResourceCeilings};
use crate::package::PackageDigest;
use flate2::bufread::GzDecoder;
use ring::digest::{Context, SHA256};
use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, BufRead, BufReader, Read};
use std::rc::Rc;
use tar::EntryType;

/// Bytes of file data moved at a time.
const CHUNK: usize = 64 * 1024;

/// The first limit a stream broke, kept beside the `io::Error` that stopped the tar reader
/// so the caller gets the precise reason.
type Violation = Rc<Cell<Option<LimitHit>>>;

#[derive(Clone, Copy, Debug)]
enum LimitHit {
    Compressed(u64),
    Uncompressed(u64),
    Ratio(u64),
}

impl LimitHit {
    fn error(self) -> PackageError {
        match self {
            LimitHit::Compressed(limit) => PackageError::CompressedTooLarge { limit },
            LimitHit::Uncompressed(limit) => PackageError::TooManyBytes { limit },
            LimitHit::Ratio(limit) => PackageError::RatioExceeded { limit },
        }
    }
}

/// Counts compressed bytes as they are read.
struct CompressedSide<R> {
    inner: R,
    read: Rc<Cell<u64>>,
    limit: u64,
    violation: Violation,
}

impl<R: Read> Read for CompressedSide<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let total = self.read.get() + n as u64;
        self.read.set(total);
        if total > self.limit {
            self.violation.set(Some(LimitHit::Compressed(self.limit)));
            return Err(io::Error::other("compressed limit"));
        }
        Ok(n)
    }
}

/// Counts decompressed bytes and stops the stream the moment a limit is passed, so a bomb
/// is never inflated further than the limit.
struct InflatedSide<D> {
    inner: D,
    out: u64,
    compressed: Rc<Cell<u64>>,
    limits: PackageLimits,
    violation: Violation,
}

impl<D: Read> Read for InflatedSide<D> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.out += n as u64;
        let hit = if self.out > self.limits.max_uncompressed_bytes {
            Some(LimitHit::Uncompressed(self.limits.max_uncompressed_bytes))
        } else if self.out > self.limits.ratio_grace_bytes
            && self.out > self.compressed.get().saturating_mul(self.limits.max_ratio)
        {
            Some(LimitHit::Ratio(self.limits.max_ratio))
        } else {
            None
        };
        if let Some(hit) = hit {
            self.violation.set(Some(hit));
            return Err(io::Error::other("package limit"));
        }
        Ok(n)
    }
}

fn io_error(e: &io::Error, violation: &Violation) -> PackageError {
    if let Some(hit) = violation.get() {
        return hit.error();
    }
    match e.kind() {
        io::ErrorKind::UnexpectedEof => PackageError::Truncated,
        _ => PackageError::Corrupt(e.to_string()),
    }
}

/// Where the reader puts each file's bytes as it reads them. Only files under `files/`
/// reach a sink; nothing is final until the reader returns `Ok`.
pub(crate) trait FileSink {
    /// A file begins (`path` relative to `files/`, already checked).
    fn begin(&mut self, path: &str, size: u64) -> Result<(), PackageError>;
    /// The next bytes of the current file.
    fn write(&mut self, chunk: &[u8]) -> Result<(), PackageError>;
    /// The current file is complete.
    fn end(&mut self, path: &str, entry: &PackageEntry) -> Result<(), PackageError>;
}

/// Everything about a package but its files' bytes.
pub(crate) struct Listing {
    pub manifest: Manifest,
    pub manifest_bytes: Vec<u8>,
    pub entries: BTreeMap<String, PackageEntry>,
    pub digest: PackageDigest,
}

/// Reads and checks a whole package, passing file bytes to `sink`. Nothing is returned
/// until every entry has passed every check, the gzip trailer has been verified and the
/// manifest validated.
pub(crate) fn read_into<R: Read>(
    input: R,
    limits: &PackageLimits,
    ceilings: &ResourceCeilings,
    sink: &mut dyn FileSink,
) -> Result<Listing, PackageError> {
    let violation: Violation = Rc::new(Cell::new(None));
    let compressed = Rc::new(Cell::new(0u64));
    let counted = CompressedSide {
        inner: input,
        read: compressed.clone(),
        limit: limits.max_compressed_bytes,
        violation: violation.clone(),
    };
    let mut inflated = InflatedSide {
        inner: GzDecoder::new(BufReader::new(counted)),
        out: 0,
        compressed,
        limits: limits.clone(),
        violation: violation.clone(),
    };

    let contents = read_entries(&mut inflated, limits, &violation, sink)?;

    // The tar reader stops at the end-of-archive block; what follows must be zero padding,
    // and reading it to the end makes the decoder check the gzip CRC and length.
    let mut rest = [0u8; 8192];
    loop {
        match inflated.read(&mut rest) {
            Ok(0) => break,
            Ok(n) => {
                if rest[..n].iter().any(|b| *b != 0) {
                    return Err(PackageError::TrailingData);
                }
            }
            Err(e) => return Err(io_error(&e, &violation)),
        }
    }
    let mut tail = inflated.inner.into_inner();
    match tail.fill_buf() {
        Ok([]) => {}
        Ok(_) => return Err(PackageError::TrailingData),
        Err(e) => return Err(io_error(&e, &violation)),
    }
    assemble(contents, ceilings)
}

struct RawContents {
    manifest: Option<Vec<u8>>,
    entries: BTreeMap<String, PackageEntry>,
    dirs: BTreeSet<String>,
}

fn read_entries<R: Read>(
    stream: R,
    limits: &PackageLimits,
    violation: &Violation,
    sink: &mut dyn FileSink,
) -> Result<RawContents, PackageError> {
    let io = |e: io::Error| io_error(&e, violation);
    let mut archive = tar::Archive::new(stream);
    let mut members = archive.entries().map_err(io)?.raw(true);
    let mut raw = RawContents {
        manifest: None,
        entries: BTreeMap::new(),
        dirs: BTreeSet::new(),
    };
    let mut index = PathIndex::default();
    let mut count = 0usize;
    let mut buffer = vec![0u8; CHUNK];
    while let Some(member) = next_member(&mut members, &io)? {
        let mut entry = member.entry;
        count += 1;
        if count > limits.max_entries {
            return Err(PackageError::TooManyFiles {
                limit: limits.max_entries,
            });
        }
        let path_bytes = member.path;
        let display = shown(&path_bytes);
        let kind = entry.header().entry_type();
        match kind {
            EntryType::Regular | EntryType::Directory => {}
            // As the tar crate's own reader says of it.
            EntryType::GNUSparse if entry.header().as_gnu().is_none() => {
                return Err(PackageError::Corrupt(
                    "sparse entry type listed but not GNU header".into(),
                ));
            }
            EntryType::Symlink => return Err(PackageError::Symlink(display)),
            EntryType::Link => return Err(PackageError::Hardlink(display)),
            EntryType::Char | EntryType::Block | EntryType::Fifo => {
                return Err(PackageError::Device(display));
            }
            other => {
                return Err(PackageError::UnsupportedEntry {
                    path: display,
                    kind: char::from(other.as_byte()),
                });
            }
        }
        let Ok(path) = std::str::from_utf8(&path_bytes) else {
            return Err(PackageError::BadPath {
                path: display,
                problem: super::path::PathProblem::BadCharacter(char::REPLACEMENT_CHARACTER),
            });
        };
        let is_dir = kind == EntryType::Directory;
        let path = if is_dir {
            path.strip_suffix('/').unwrap_or(path)
        } else {
            path
        };
        check_relative_path(path).map_err(|problem| PackageError::BadPath {
            path: display.clone(),
            problem,
        })?;
        let mode = entry.header().mode().map_err(io)? & 0o7777;
        if mode & 0o7000 != 0 {
            return Err(PackageError::SpecialMode {
                path: display,
                mode,
            });
        }
        if is_dir {
            if path != "files" && !path.starts_with(FILES_DIR) {
                return Err(PackageError::OutsideFiles(display));
            }
            if !raw.dirs.insert(path.to_string()) {
                return Err(PackageError::DuplicatePath(display));
            }
            index.add(path, EntryKind::Dir)?;
            continue;
        }
        let is_manifest = path == MANIFEST_FILE;
        let relative = match path.strip_prefix(FILES_DIR) {
            Some(r) => r,
            None if is_manifest => "",
            None => return Err(PackageError::OutsideFiles(display)),
        };
        let size = entry.size();
        let max = if is_manifest {
            MAX_MANIFEST_BYTES as u64
        } else {
            limits.max_file_bytes
        };
        if size > max {
            return Err(PackageError::FileTooLarge {
                path: display,
                limit: max,
            });
        }
        index.add(path, EntryKind::File)?;
        if is_manifest {
            let mut manifest = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
            (&mut entry)
                .take(max + 1)
                .read_to_end(&mut manifest)
                .map_err(io)?;
            if manifest.len() as u64 != size {
                return Err(PackageError::Truncated);
            }
            raw.manifest = Some(manifest);
            continue;
        }
        sink.begin(relative, size)?;
        let mut hash = Context::new(&SHA256);
        let mut read = 0u64;
        loop {
            let n = entry.read(&mut buffer).map_err(io)?;
            if n == 0 {
                break;
            }
            read += n as u64;
            if read > size {
                return Err(PackageError::Corrupt(format!(
                    "entry `{display}` holds more than its header says"
                )));
            }
            hash.update(&buffer[..n]);
            sink.write(&buffer[..n])?;
        }
        if read != size {
            return Err(PackageError::Truncated);
        }
        let mut sha256 = [0u8; 32];
        sha256.copy_from_slice(hash.finish().as_ref());
        let file = PackageEntry {
            mode: if mode & 0o111 != 0 { 0o755 } else { 0o644 },
            size,
            sha256,
        };
        sink.end(relative, &file)?;
        raw.entries.insert(relative.to_owned(), file);
    }
    Ok(raw)
}

fn assemble(raw: RawContents, ceilings: &ResourceCeilings) -> Result<Listing, PackageError> {
    let manifest_bytes = raw.manifest.ok_or(PackageError::ManifestMissing)?;
    let manifest =
        Manifest::parse_bytes(&manifest_bytes, ceilings).map_err(PackageError::ManifestInvalid)?;
    match raw.entries.get(&manifest.entry) {
        None => return Err(PackageError::EntryMissing(manifest.entry.clone())),
        Some(f) if f.mode & 0o111 == 0 => {
            return Err(PackageError::EntryNotExecutable(manifest.entry.clone()));
        }
        Some(_) => {}
    }
    let digest = canonical_digest_of_entries(&manifest_bytes, &raw.entries);
    Ok(Listing {
        manifest,
        manifest_bytes,
        entries: raw.entries,
        digest,
    })
}
