//! Landlock: read/execute only what was bound read-only, write only /tmp; TCP bind and
//! connect denied (ABI >= 4); abstract Unix sockets and signals scoped to the jail (ABI >= 6).

use landlock::{
    ABI, Access, AccessFs, AccessNet, CompatLevel, Compatible, PathBeneath, PathFd, Ruleset,
    RulesetAttr, RulesetCreatedAttr, RulesetStatus, Scope,
};
use std::path::PathBuf;

/// What the ruleset allows.
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

/// The ruleset could not be built or enforced.
#[derive(Debug, thiserror::Error)]
#[error("landlock: {0}")]
pub struct LandlockError(String);

fn abi_for(version: i32) -> ABI {
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

/// Enforces the plan on the calling process, refusing to go on unless the kernel enforced
/// everything its ABI offers.
pub fn enforce(plan: &LandlockPlan, kernel_abi: i32) -> Result<(), LandlockError> {
    let abi = abi_for(kernel_abi);
    if abi == ABI::Unsupported {
        return Err(LandlockError("the kernel offers no Landlock ABI".into()));
    }
    let err = |e: &dyn std::fmt::Display| LandlockError(e.to_string());
    let mut ruleset = Ruleset::default()
        .set_compatibility(CompatLevel::HardRequirement)
        .handle_access(AccessFs::from_all(abi))
        .map_err(|e| err(&e))?;
    if abi >= ABI::V4 {
        ruleset = ruleset
            .handle_access(AccessNet::from_all(abi))
            .map_err(|e| err(&e))?;
    }
    if abi >= ABI::V6 {
        ruleset = ruleset.scope(Scope::from_all(abi)).map_err(|e| err(&e))?;
    }
    let mut created = ruleset.create().map_err(|e| err(&e))?;
    let file_rw = AccessFs::ReadFile | AccessFs::WriteFile;
    let rules: [(&Vec<PathBuf>, landlock::BitFlags<AccessFs>); 5] = [
        (&plan.read_exec, AccessFs::from_read(abi)),
        (
            &plan.read_exec_files,
            AccessFs::Execute | AccessFs::ReadFile,
        ),
        (&plan.read_write, AccessFs::from_all(abi)),
        (&plan.devices, file_rw),
        (&plan.read_only, AccessFs::ReadFile | AccessFs::ReadDir),
    ];
    for (paths, access) in rules {
        for path in paths {
            let fd =
                PathFd::new(path).map_err(|e| LandlockError(format!("{}: {e}", path.display())))?;
            created = created
                .add_rule(PathBeneath::new(fd, access))
                .map_err(|e| err(&e))?;
        }
    }
    let status = created.restrict_self().map_err(|e| err(&e))?;
    if status.ruleset != RulesetStatus::FullyEnforced {
        return Err(LandlockError(format!("ruleset only {:?}", status.ruleset)));
    }
    Ok(())
}
