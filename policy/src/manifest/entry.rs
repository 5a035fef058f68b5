//! What kind of program a manifest's `entry` is, and whether the manifest can run it: a
//! native (ELF) entry runs by itself; a script (`#!`) runs only on a runtime the manifest
//! names (docs/manifest.md, "entry and runtime"), never through its `#!` line.

use super::Manifest;

/// The kind of an entry file, from its first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    /// An ELF executable (`7f 45 4c 46`).
    Native,
    /// A script: the file starts with `#!`.
    Script,
    /// Neither: something the jail cannot run by itself.
    Unknown,
}

impl EntryKind {
    /// The kind of a file starting with `head` (at least its first 4 bytes).
    pub fn of(head: &[u8]) -> Self {
        if head.starts_with(b"\x7fELF") {
            Self::Native
        } else if head.starts_with(b"#!") {
            Self::Script
        } else {
            Self::Unknown
        }
    }
}

/// Why a manifest cannot run its entry.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    /// A `#!` script, and no runtime to run it.
    #[error(
        "entry {entry} is a script (it starts with #!) but the manifest names no runtime; add runtime = \"python3\" (or another runtime the host enables) or ship a native binary"
    )]
    ScriptWithoutRuntime {
        /// The manifest's `entry`.
        entry: String,
    },
    /// Neither an ELF executable nor a script.
    #[error(
        "entry {entry} is neither an ELF executable nor a #! script and the manifest names no runtime"
    )]
    NotAProgram {
        /// The manifest's `entry`.
        entry: String,
    },
}

/// Checks that `manifest` can run an entry file starting with `head`: with a runtime any
/// file is the runtime's script argument; without one it must be an ELF executable.
pub fn check_entry(manifest: &Manifest, head: &[u8]) -> Result<EntryKind, EntryError> {
    let kind = EntryKind::of(head);
    if manifest.runtime.is_some() {
        return Ok(kind);
    }
    match kind {
        EntryKind::Native => Ok(kind),
        EntryKind::Script => Err(EntryError::ScriptWithoutRuntime {
            entry: manifest.entry.clone(),
        }),
        EntryKind::Unknown => Err(EntryError::NotAProgram {
            entry: manifest.entry.clone(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::ResourceCeilings;

    fn manifest(runtime: Option<&str>) -> Manifest {
        let mut text = "id = \"abc\"\nname = \"n\"\nversion = \"1.0.0\"\npublisher = \"me\"\nmin_core_version = \"0.1.0\"\nentry = \"plugin.py\"\n".to_owned();
        if let Some(r) = runtime {
            text.push_str(&format!("runtime = \"{r}\"\n"));
        }
        Manifest::parse(&text, &ResourceCeilings::default()).expect("manifest")
    }

    #[test]
    fn a_script_entry_without_a_runtime_is_refused_with_what_to_do() {
        let why = check_entry(&manifest(None), b"#!/usr/bin/env python3\n").unwrap_err();
        let text = why.to_string();
        assert!(text.contains("plugin.py is a script"), "{text}");
        assert!(text.contains("runtime = \"python3\""), "{text}");
        assert_eq!(
            check_entry(&manifest(Some("python3")), b"#!/usr/bin/env python3\n"),
            Ok(EntryKind::Script)
        );
    }

    #[test]
    fn an_elf_entry_needs_no_runtime_and_other_files_are_refused() {
        assert_eq!(
            check_entry(&manifest(None), b"\x7fELF\x02\x01"),
            Ok(EntryKind::Native)
        );
        assert!(matches!(
            check_entry(&manifest(None), b"print('hi')"),
            Err(EntryError::NotAProgram { .. })
        ));
    }
}
