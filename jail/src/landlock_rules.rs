//! Layer 6, Landlock: read only what was bound read-only and the program's libraries,
//! write only /tmp and the device nodes, read /proc only for the program's own process,
//! execute only the verified program and its ELF interpreter (nothing under a writable
//! path, nothing else in the binds); TCP bind and connect denied (ABI >= 4); abstract Unix
//! sockets and signals scoped to the jail (ABI >= 6). This module decides the rules;
//! [`crate::syscalls`] enforces them.
//!
//! Landlock's execute right governs `execve` only: a loader that maps a file with
//! `PROT_EXEC` is not asked. The `noexec` mounts and the seccomp exec guard cover that.

use crate::resources::PROGRAM_FD;
use crate::syscalls::{LandlockRule, LandlockRuleset, RuleTarget, SysError, Syscalls};
use landlock::{ABI, Access, AccessFs, BitFlags};
use std::path::PathBuf;

/// What the ruleset allows, by kind of place.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LandlockPlan {
    /// Execute (and read) these files: the ELF interpreter. The verified program itself
    /// is granted through its descriptor ([`PROGRAM_FD`]), whatever its path.
    pub execute_files: Vec<PathBuf>,
    /// Read below these (the read-only binds), never execute.
    pub read_only: Vec<PathBuf>,
    /// Read these files only (the program's libraries, mapped by the loader).
    pub read_only_files: Vec<PathBuf>,
    /// Everything but execute below these (/tmp).
    pub read_write: Vec<PathBuf>,
    /// Read and write of these files only (device nodes).
    pub devices: Vec<PathBuf>,
    /// Read below these: the program's own /proc entry (`/proc/self`, resolved when the
    /// ruleset is enforced, in the program process).
    pub proc_self: Vec<PathBuf>,
}

/// The ABI the rules are written for: the kernel's, capped at the newest one whose
/// rights this module knows (V6).
pub fn abi_for(version: i32) -> ABI {
    match version {
        ..=0 => ABI::Unsupported,
        1 => ABI::V1,
        2 => ABI::V2,
        3 => ABI::V3,
        4 => ABI::V4,
        5 => ABI::V5,
        _ => ABI::V6,
    }
}

/// The ruleset of `plan` for a kernel offering Landlock ABI `kernel_abi`.
pub fn ruleset(plan: &LandlockPlan, kernel_abi: i32) -> LandlockRuleset {
    let abi = abi_for(kernel_abi);
    let execute = AccessFs::Execute | AccessFs::ReadFile;
    let mut read = AccessFs::from_read(abi);
    read.remove(AccessFs::Execute);
    let mut read_write = AccessFs::from_all(abi);
    read_write.remove(AccessFs::Execute);
    let kinds: [(&Vec<PathBuf>, BitFlags<AccessFs>); 6] = [
        (&plan.execute_files, execute),
        (&plan.read_only, read),
        (&plan.read_only_files, AccessFs::ReadFile.into()),
        (&plan.read_write, read_write),
        (&plan.devices, AccessFs::ReadFile | AccessFs::WriteFile),
        (&plan.proc_self, AccessFs::ReadFile | AccessFs::ReadDir),
    ];
    let program = LandlockRule {
        target: RuleTarget::Fd(PROGRAM_FD),
        access: execute,
    };
    let rules = std::iter::once(program)
        .chain(kinds.into_iter().flat_map(|(paths, access)| {
            paths.iter().map(move |path| LandlockRule {
                target: RuleTarget::Path(path.clone()),
                access,
            })
        }))
        .collect();
    LandlockRuleset {
        abi: kernel_abi,
        rules,
    }
}

/// Enforces `ruleset` on the calling process (the kernel must enforce all of it).
pub fn restrict(sys: &dyn Syscalls, ruleset: &LandlockRuleset) -> Result<(), SysError> {
    sys.landlock_restrict_self(ruleset)
}
