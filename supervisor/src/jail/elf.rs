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
/// Largest ELF file read whole.
const MAX_ELF_BYTES: u64 = 512 << 20;
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

/// Parses a little-endian ELF64 file's interpreter and needed libraries. `None` when the
/// bytes are not such a file or are malformed (every offset is bounds-checked).
pub fn parse(bytes: &[u8]) -> Option<ElfDeps> {
    if bytes.get(..4)? != b"\x7fELF" || *bytes.get(4)? != 2 || *bytes.get(5)? != 1 {
        return None;
    }
    let phoff = usize::try_from(u64_at(bytes, 0x20)?).ok()?;
    let phentsize = usize::from(u16_at(bytes, 0x36)?);
    let phnum = usize::from(u16_at(bytes, 0x38)?);
    if phentsize < 56 {
        return None;
    }
    let headers: Vec<(u32, u64, u64, u64)> = (0..phnum)
        .map(|i| {
            let at = phoff.checked_add(i.checked_mul(phentsize)?)?;
            Some((
                u32_at(bytes, at)?,
                u64_at(bytes, at.checked_add(8)?)?,
                u64_at(bytes, at.checked_add(16)?)?,
                u64_at(bytes, at.checked_add(32)?)?,
            ))
        })
        .collect::<Option<_>>()?;
    let mut deps = ElfDeps::default();
    if let Some(&(_, offset, _, size)) = headers.iter().find(|h| h.0 == PT_INTERP) {
        let start = usize::try_from(offset).ok()?;
        let raw = bytes.get(start..start.checked_add(usize::try_from(size).ok()?)?)?;
        let path = std::str::from_utf8(raw.split(|&c| c == 0).next()?).ok()?;
        deps.interpreter = Some(PathBuf::from(path));
    }
    let Some(&(_, dyn_offset, _, dyn_size)) = headers.iter().find(|h| h.0 == PT_DYNAMIC) else {
        return Some(deps);
    };
    let to_offset = |vaddr: u64| {
        headers
            .iter()
            .filter(|h| h.0 == PT_LOAD)
            .find(|h| vaddr >= h.2 && vaddr < h.2.saturating_add(h.3))
            .and_then(|h| usize::try_from((vaddr - h.2).checked_add(h.1)?).ok())
    };
    let (mut strtab, mut needed_offsets) = (None, Vec::new());
    let start = usize::try_from(dyn_offset).ok()?;
    for i in 0..usize::try_from(dyn_size / 16).ok()? {
        let at = start.checked_add(i.checked_mul(16)?)?;
        let (tag, value) = (u64_at(bytes, at)?, u64_at(bytes, at.checked_add(8)?)?);
        match tag {
            0 => break,
            DT_NEEDED => needed_offsets.push(value),
            DT_STRTAB => strtab = to_offset(value),
            _ => {}
        }
    }
    let strtab = strtab?;
    for offset in needed_offsets {
        let name = c_str_at(bytes, strtab.checked_add(usize::try_from(offset).ok()?)?)?;
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

fn read_elf(path: &Path) -> Option<Vec<u8>> {
    let meta = std::fs::metadata(path).ok()?;
    (meta.len() <= MAX_ELF_BYTES)
        .then(|| std::fs::read(path).ok())
        .flatten()
}

/// The host paths (as the loader names them) of the interpreter and every library the
/// program transitively needs. Libraries that cannot be found are left out: the loader
/// inside the jail then fails with its own clear message.
pub fn library_closure(program: &[u8]) -> Vec<PathBuf> {
    let Some(deps) = parse(program) else {
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
        if let Some(lib) = read_elf(&path).as_deref().and_then(parse) {
            queue.extend(lib.needed);
        }
        if !found.contains(&path) {
            found.push(path);
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
        let closure = library_closure(&me);
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
