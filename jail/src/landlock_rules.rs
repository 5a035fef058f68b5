//! Layer 6, Landlock: read/execute only what was bound read-only, write only /tmp; TCP bind
//! and connect denied (ABI >= 4); abstract Unix sockets and signals scoped to the jail
//! (ABI >= 6). This module decides the rules; [`crate::syscalls`] enforces them.

use crate::syscalls::{LandlockRule, LandlockRuleset, RuleTarget, SysError, Syscalls};
use landlock::{ABI, Access, AccessFs, BitFlags};
use std::path::PathBuf;

/// What the ruleset allows, by kind of place.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LandlockPlan {
    /// Read and execute below these.
    pub read_exec: Vec<PathBuf>,
    /// Read and execute of these files only (the program's libraries).
    pub read_exec_files: Vec<PathBuf>,
    /// Full access below these.
    pub read_write: Vec<PathBuf>,
    /// Read and write of these files only (device nodes).
    pub devices: Vec<PathBuf>,
    /// Read-only below these (/proc).
    pub read_only: Vec<PathBuf>,
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
    let file_rw = AccessFs::ReadFile | AccessFs::WriteFile;
    let kinds: [(&Vec<PathBuf>, BitFlags<AccessFs>); 5] = [
        (&plan.read_exec, AccessFs::from_read(abi)),
        (
            &plan.read_exec_files,
            AccessFs::Execute | AccessFs::ReadFile,
        ),
        (&plan.read_write, AccessFs::from_all(abi)),
        (&plan.devices, file_rw),
        (&plan.read_only, AccessFs::ReadFile | AccessFs::ReadDir),
    ];
    let rules = kinds
        .into_iter()
        .flat_map(|(paths, access)| {
            paths.iter().map(move |path| LandlockRule {
                target: RuleTarget::Path(path.clone()),
                access,
            })
        })
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
