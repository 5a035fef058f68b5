//! The archive's members with their real paths: the tar crate's raw entries, with GNU
//! long names and PAX `path` records applied here, each read into a small bounded buffer.
//! (The tar crate's own processing reads such records whole, however large they claim to
//! be: a package could make the reader hold hundreds of MiB of "file name".)

use super::PackageError;
use super::path::{MAX_PATH_BYTES, PathProblem, shown};
use std::io::Read;
use tar::EntryType;

/// Largest PAX extended header accepted: path records and the usual timestamps and ids.
const MAX_PAX_BYTES: u64 = 64 * 1024;

/// A member of the archive with the path that applies to it.
pub(super) struct Member<'a, R: Read> {
    /// The entry, its data still unread.
    pub entry: tar::Entry<'a, R>,
    /// Its path: a GNU long name, else a PAX `path`, else the header's name.
    pub path: Vec<u8>,
}

/// What the member headers before an entry said about it.
#[derive(Default)]
struct Pending {
    long_name: Option<Vec<u8>>,
    pax_path: Option<Vec<u8>>,
    pax_seen: bool,
    long_link_seen: bool,
}

impl Pending {
    fn is_empty(&self) -> bool {
        self.long_name.is_none() && !self.pax_seen && !self.long_link_seen
    }
}

fn corrupt(why: &str) -> PackageError {
    PackageError::Corrupt(why.to_owned())
}

/// Reads a metadata member's data, refusing more than `max` bytes before reading any.
fn read_small<R: Read>(
    entry: &mut tar::Entry<'_, R>,
    max: u64,
    too_large: impl FnOnce() -> PackageError,
    io: &dyn Fn(std::io::Error) -> PackageError,
) -> Result<Vec<u8>, PackageError> {
    let size = entry.size();
    if size > max {
        return Err(too_large());
    }
    let mut data = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    entry.take(max).read_to_end(&mut data).map_err(io)?;
    if data.len() as u64 != size {
        return Err(PackageError::Truncated);
    }
    Ok(data)
}

/// The `path` of a PAX extended header. Records that would change how the archive is read
/// (`size`, sparse maps) are refused: this reader takes sizes from the tar headers only.
fn pax_path(data: &[u8]) -> Result<Option<Vec<u8>>, PackageError> {
    let mut path = None;
    let mut rest = data;
    while !rest.is_empty() {
        let space = rest
            .iter()
            .position(|b| *b == b' ')
            .ok_or_else(|| corrupt("malformed PAX record"))?;
        let len: usize = std::str::from_utf8(&rest[..space])
            .ok()
            .and_then(|n| n.parse().ok())
            .filter(|n| *n > space + 1 && *n <= rest.len())
            .ok_or_else(|| corrupt("malformed PAX record length"))?;
        let record = &rest[space + 1..len];
        let record = record
            .strip_suffix(b"\n")
            .ok_or_else(|| corrupt("PAX record without its newline"))?;
        let eq = record
            .iter()
            .position(|b| *b == b'=')
            .ok_or_else(|| corrupt("PAX record without `=`"))?;
        let (key, value) = (&record[..eq], &record[eq + 1..]);
        match key {
            b"path" => path = Some(value.to_vec()),
            b"size" => return Err(corrupt("PAX `size` records are not supported")),
            k if k.starts_with(b"GNU.sparse") => {
                return Err(corrupt("PAX sparse records are not supported"));
            }
            _ => {}
        }
        rest = &rest[len..];
    }
    Ok(path)
}

/// The next member that is a file, directory or anything else a package must be judged
/// on, with its path; `None` at the end of the archive.
pub(super) fn next_member<'a, R: Read>(
    entries: &mut tar::Entries<'a, R>,
    io: &dyn Fn(std::io::Error) -> PackageError,
) -> Result<Option<Member<'a, R>>, PackageError> {
    let mut pending = Pending::default();
    loop {
        let Some(entry) = entries.next() else {
            if !pending.is_empty() {
                return Err(corrupt(
                    "members found describing a future member but no future member found",
                ));
            }
            return Ok(None);
        };
        let mut entry = entry.map_err(io)?;
        let too_long = |bytes: &[u8]| PackageError::BadPath {
            path: shown(bytes),
            problem: PathProblem::TooLong,
        };
        match entry.header().entry_type() {
            EntryType::GNULongName => {
                if pending.long_name.is_some() {
                    return Err(corrupt("two long name entries describing the same member"));
                }
                let limit = MAX_PATH_BYTES as u64 + 1;
                let mut name = read_small(&mut entry, limit, || too_long(b"@LongLink"), io)?;
                while name.last() == Some(&0) {
                    name.pop();
                }
                pending.long_name = Some(name);
            }
            EntryType::GNULongLink => {
                if pending.long_link_seen {
                    return Err(corrupt("two long link entries describing the same member"));
                }
                // Links are refused whatever they point at; the target is not kept.
                let limit = MAX_PATH_BYTES as u64 + 1;
                read_small(&mut entry, limit, || too_long(b"@LongLink"), io)?;
                pending.long_link_seen = true;
            }
            EntryType::XHeader => {
                if pending.pax_seen {
                    return Err(corrupt(
                        "two pax extensions entries describing the same member",
                    ));
                }
                let data = read_small(
                    &mut entry,
                    MAX_PAX_BYTES,
                    || corrupt("PAX extended header larger than 64 KiB"),
                    io,
                )?;
                pending.pax_path = pax_path(&data)?;
                pending.pax_seen = true;
            }
            _ => {
                let path = match (pending.long_name, pending.pax_path) {
                    (Some(name), _) | (None, Some(name)) => name,
                    (None, None) => entry.path_bytes().into_owned(),
                };
                return Ok(Some(Member { entry, path }));
            }
        }
    }
}
