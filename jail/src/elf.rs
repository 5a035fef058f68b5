//! The shared libraries a dynamically linked program needs: its ELF interpreter and the
//! transitive `DT_NEEDED` closure, resolved in the system library directories only, so the
//! jail binds exactly those files and nothing else of `/usr/lib`.
//!
//! `RPATH`/`RUNPATH` are ignored on purpose: they are chosen by the plugin author, and the
//! plugin's own directory is bound anyway.

use std::path::{Path, PathBuf};

/// Where libraries are looked up, in the loader's default order for x86_64 Debian.
pub const SEARCH_DIRS: [&str; 6] = [
    "/lib/x86_64-linux-gnu",
    "/usr/lib/x86_64-linux-gnu",
    "/lib64",
    "/usr/lib64",
    "/lib",
    "/usr/lib",
];
/// Most libraries followed, against loops and absurd closures.
const MAX_LIBRARIES: usize = 256;

const PT_LOAD: u32 = 1;
const PT_DYNAMIC: u32 = 2;
const PT_INTERP: u32 = 3;
const DT_NEEDED: u64 = 1;
const DT_STRTAB: u64 = 5;

/// What one ELF file asks the loader for.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ElfDeps {
    /// `PT_INTERP`, when dynamically linked.
    pub interpreter: Option<PathBuf>,
    /// `DT_NEEDED` names.
    pub needed: Vec<String>,
}

fn u16_at(b: &[u8], o: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        b.get(o..o.checked_add(2)?)?.try_into().ok()?,
    ))
}
fn u32_at(b: &[u8], o: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        b.get(o..o.checked_add(4)?)?.try_into().ok()?,
    ))
}
fn u64_at(b: &[u8], o: usize) -> Option<u64> {
    Some(u64::from_le_bytes(
        b.get(o..o.checked_add(8)?)?.try_into().ok()?,
    ))
}
fn c_str_at(b: &[u8], o: usize) -> Option<&str> {
    let rest = b.get(o..)?;
    let end = rest.iter().position(|&c| c == 0)?;
    std::str::from_utf8(&rest[..end]).ok()
}

/// Parses a little-endian ELF64 file's interpreter and needed libraries from memory. `None`
/// when the bytes are not such a file or are malformed (every offset is bounds-checked).
pub fn parse(bytes: &[u8]) -> Option<ElfDeps> {
    parse_with(|offset, len| {
        let start = usize::try_from(offset).ok()?;
        let end = start.checked_add(usize::try_from(len).ok()?)?;
        bytes.get(start..end).map(<[u8]>::to_vec)
    })
}

const DT_STRSZ: u64 = 10;
/// Largest dynamic segment or string table read.
const MAX_TABLE_BYTES: u64 = 16 << 20;

/// Like [`parse`], but reads only the headers, the dynamic segment and the string table of
/// an open file (a shared library or program can be many megabytes; those parts are small).
pub fn parse_file(file: &std::fs::File) -> Option<ElfDeps> {
    use std::os::unix::fs::FileExt;
    parse_with(|offset, len| {
        let mut buf = vec![0u8; usize::try_from(len).ok()?];
        file.read_exact_at(&mut buf, offset).ok()?;
        Some(buf)
    })
}

/// The parser, over any way of reading `len` bytes at `offset`.
fn parse_with(read_at: impl Fn(u64, u64) -> Option<Vec<u8>>) -> Option<ElfDeps> {
    let read = |offset: u64, len: u64| {
        if len > MAX_TABLE_BYTES {
            None
        } else {
            read_at(offset, len)
        }
    };
    let header = read(0, 64)?;
    if header.get(..4)? != b"\x7fELF" || header[4] != 2 || header[5] != 1 {
        return None;
    }
    let phoff = u64_at(&header, 0x20)?;
    let phentsize = u64::from(u16_at(&header, 0x36)?);
    let phnum = u64::from(u16_at(&header, 0x38)?);
    if phentsize < 56 {
        return None;
    }
    let table = read(phoff, phentsize.checked_mul(phnum)?)?;
    let step = usize::try_from(phentsize).ok()?;
    let headers: Vec<(u32, u64, u64, u64)> = table
        .chunks_exact(step)
        .map(|h| Some((u32_at(h, 0)?, u64_at(h, 8)?, u64_at(h, 16)?, u64_at(h, 32)?)))
        .collect::<Option<_>>()?;
    let mut deps = ElfDeps::default();
    if let Some(&(_, offset, _, size)) = headers.iter().find(|h| h.0 == PT_INTERP) {
        let raw = read(offset, size)?;
        let path = std::str::from_utf8(raw.split(|&c| c == 0).next()?).ok()?;
        deps.interpreter = Some(PathBuf::from(path));
    }
    let Some(&(_, dyn_offset, _, dyn_size)) = headers.iter().find(|h| h.0 == PT_DYNAMIC) else {
        return Some(deps);
    };
    let dynamic = read(dyn_offset, dyn_size)?;
    let (mut strtab_vaddr, mut strsz, mut needed_offsets) = (None, None, Vec::new());
    for entry in dynamic.chunks_exact(16) {
        let (tag, value) = (u64_at(entry, 0)?, u64_at(entry, 8)?);
        match tag {
            0 => break,
            DT_NEEDED => needed_offsets.push(value),
            DT_STRTAB => strtab_vaddr = Some(value),
            DT_STRSZ => strsz = Some(value),
            _ => {}
        }
    }
    if needed_offsets.is_empty() {
        return Some(deps);
    }
    let vaddr = strtab_vaddr?;
    let load = headers
        .iter()
        .filter(|h| h.0 == PT_LOAD)
        .find(|h| vaddr >= h.2 && vaddr < h.2.saturating_add(h.3))?;
    let strtab = read((vaddr - load.2).checked_add(load.1)?, strsz?)?;
    for offset in needed_offsets {
        let name = c_str_at(&strtab, usize::try_from(offset).ok()?)?;
        deps.needed.push(name.to_owned());
    }
    Some(deps)
}

/// Finds a library by name in [`SEARCH_DIRS`]; names with a `/` are not looked up.
pub fn resolve(name: &str) -> Option<PathBuf> {
    if name.contains('/') || name.is_empty() {
        return None;
    }
    SEARCH_DIRS
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
}

/// The host paths (as the loader names them) of the interpreter and every library the
/// program transitively needs. Libraries that cannot be found are left out: the loader
/// inside the jail then fails with its own clear message.
pub fn library_closure(program: &std::fs::File) -> Vec<PathBuf> {
    let Some(deps) = parse_file(program) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = deps
        .interpreter
        .into_iter()
        .filter(|p| p.is_absolute())
        .collect();
    let mut queue = deps.needed;
    let mut seen = std::collections::BTreeSet::new();
    while let Some(name) = queue.pop() {
        if !seen.insert(name.clone()) || seen.len() > MAX_LIBRARIES {
            continue;
        }
        let Some(path) = resolve(&name) else { continue };
        if let Some(lib) = std::fs::File::open(&path)
            .ok()
            .as_ref()
            .and_then(parse_file)
        {
            queue.extend(lib.needed);
        }
        if !found.contains(&path) {
            found.push(path);
        }
    }
    found
}

/// Most shared objects looked at below the library directories of one spec.
const MAX_SHARED_OBJECTS: usize = 4096;

/// The library closures of the ELF shared objects (`*.so`, `*.so.*`) below `dirs` (an
/// interpreter's extension modules), without the objects themselves (they are bound with
/// their directory). Symlinks are not followed; the walk stops at 8 levels.
pub fn closure_of_shared_objects(dirs: &[PathBuf]) -> Vec<PathBuf> {
    let mut objects = Vec::new();
    let mut pending: Vec<(PathBuf, usize)> = dirs.iter().map(|d| (d.clone(), 0)).collect();
    while let Some((dir, depth)) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let path = entry.path();
            if kind.is_dir() && depth < 8 {
                pending.push((path, depth + 1));
            } else if kind.is_file() && objects.len() < MAX_SHARED_OBJECTS {
                let name = entry.file_name();
                let name = name.to_string_lossy();
                if name.ends_with(".so") || name.contains(".so.") {
                    objects.push(path);
                }
            }
        }
    }
    let mut found: Vec<PathBuf> = Vec::new();
    for object in objects {
        let Ok(file) = std::fs::File::open(&object) else {
            continue;
        };
        for library in library_closure(&file) {
            if !found.contains(&library) && !dirs.iter().any(|d| library.starts_with(d)) {
                found.push(library);
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_test_binary_needs_libc_and_the_loader() {
        let me = std::fs::read(std::env::current_exe().expect("exe")).expect("read");
        let deps = parse(&me).expect("an ELF64 binary");
        assert!(deps.needed.iter().any(|n| n == "libc.so.6"), "{deps:?}");
        let closure = library_closure(
            &std::fs::File::open(std::env::current_exe().expect("exe")).expect("open"),
        );
        let ranged =
            parse_file(&std::fs::File::open(std::env::current_exe().expect("exe")).expect("open"));
        assert_eq!(ranged, Some(deps), "ranged and whole-file parsing agree");
        assert!(
            closure.iter().any(|p| p.ends_with("libc.so.6")),
            "{closure:?}"
        );
        assert!(
            closure
                .iter()
                .any(|p| p.to_string_lossy().contains("ld-linux")),
            "{closure:?}"
        );
    }

    #[test]
    fn malformed_elf_is_none_not_a_panic() {
        let me = std::fs::read(std::env::current_exe().expect("exe")).expect("read");
        for cut in [0, 4, 63, 64, 200, 1000, 5000] {
            let _ = parse(&me[..cut.min(me.len())]);
        }
        let mut bogus = me[..64.min(me.len())].to_vec();
        bogus[0x20..0x28].copy_from_slice(&u64::MAX.to_le_bytes());
        assert_eq!(parse(&bogus), None);
        assert_eq!(parse(b"#!/bin/sh\n"), None);
    }

    #[test]
    fn library_names_with_paths_are_not_resolved() {
        assert_eq!(resolve("../../etc/shadow"), None);
        assert_eq!(resolve("/etc/shadow"), None);
    }
}
