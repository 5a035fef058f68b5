//! cgroupfs file access shared by both versions.

use crate::CgroupError;
use std::fs;
use std::io;
use std::path::Path;

pub(crate) fn io_err(path: &Path) -> impl FnOnce(io::Error) -> CgroupError + '_ {
    move |source| CgroupError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Creates `dir` unless it exists.
pub(crate) fn ensure_dir(dir: &Path) -> Result<(), CgroupError> {
    match fs::create_dir(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(io_err(dir)(e)),
    }
}

pub(crate) fn write(path: &Path, value: &str) -> Result<(), CgroupError> {
    fs::write(path, value).map_err(io_err(path))
}

/// Writes a file the kernel may not offer (swap accounting off, for example). Returns
/// whether it exists. Opened without `O_CREAT`: cgroupfs answers a create with EACCES, and
/// one failed open is cheaper than a look before the write.
pub(crate) fn write_optional(path: &Path, value: &str) -> Result<bool, CgroupError> {
    use std::io::Write;
    let opened = fs::OpenOptions::new().write(true).truncate(true).open(path);
    match opened {
        Ok(mut file) => file
            .write_all(value.as_bytes())
            .map(|()| true)
            .map_err(io_err(path)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(io_err(path)(e)),
    }
}

/// A file holding one number.
pub(crate) fn number(path: &Path) -> Option<u64> {
    fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// The value of the `key value` line `key` of a flat-keyed file (`memory.events`,
/// `cpu.stat`, `memory.oom_control`).
pub(crate) fn keyed(path: &Path, key: &str) -> Option<u64> {
    fs::read_to_string(path).ok()?.lines().find_map(|l| {
        let (k, v) = l.split_once(' ')?;
        (k == key).then(|| v.trim().parse().ok()).flatten()
    })
}
