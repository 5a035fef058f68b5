//! Compiling the seccomp policy into BPF and installing it.
//!
//! Two filters are stacked (the kernel applies the strictest verdict of all filters):
//! 1. the allowlist: every syscall not listed, or listed with arguments that break its
//!    rule, kills the whole process; the architecture is checked (i386 and x32 entry points
//!    are not in the list and die too);
//! 2. the soft refusals: `clone3` returns `ENOSYS` (so libc falls back to the checked
//!    `clone`) and `socket`/`socketpair` of a family other than `AF_UNIX` return
//!    `EAFNOSUPPORT`, which ordinary programs handle better than death.

pub mod exec_guard;
pub mod policy;

use crate::syscalls::{SeccompProgram, SysError, Syscalls};
use policy::{ArgRule, allowlist};
use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen as Len, SeccompCmpOp as Op,
    SeccompCondition as Cond, SeccompFilter, SeccompRule, TargetArch,
};
use std::collections::BTreeMap;

/// Namespace-creating `clone` flags.
pub const CLONE_NAMESPACE_FLAGS: u64 = (libc::CLONE_NEWNS
    | libc::CLONE_NEWCGROUP
    | libc::CLONE_NEWUTS
    | libc::CLONE_NEWIPC
    | libc::CLONE_NEWUSER
    | libc::CLONE_NEWPID
    | libc::CLONE_NEWNET) as u64
    | 0x80; // CLONE_NEWTIME

/// The compiled filters, in the order they are installed (compiled in the outer process).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompiledPolicy {
    /// The filters.
    pub programs: Vec<SeccompProgram>,
}

/// The policy could not be compiled or installed.
#[derive(Debug, thiserror::Error)]
pub enum SeccompError {
    /// seccompiler refused the rules.
    #[error("seccomp policy does not compile: {0}")]
    Compile(String),
}

fn cond(arg: u8, op: Op, value: u64) -> Result<Cond, SeccompError> {
    Cond::new(arg, Len::Qword, op, value).map_err(|e| SeccompError::Compile(e.to_string()))
}

fn rule(conds: Vec<Cond>) -> Result<SeccompRule, SeccompError> {
    SeccompRule::new(conds).map_err(|e| SeccompError::Compile(e.to_string()))
}

fn compile(
    rules: BTreeMap<i64, Vec<SeccompRule>>,
    mismatch: SeccompAction,
    matched: SeccompAction,
) -> Result<BpfProgram, SeccompError> {
    let filter = SeccompFilter::new(rules, mismatch, matched, TargetArch::x86_64)
        .map_err(|e| SeccompError::Compile(e.to_string()))?;
    filter
        .try_into()
        .map_err(|e: seccompiler::BackendError| SeccompError::Compile(e.to_string()))
}

/// Compiles the policy of [`policy::allowlist`].
pub fn compile_policy() -> Result<CompiledPolicy, SeccompError> {
    let mut allow = BTreeMap::new();
    for syscall in allowlist() {
        let rules = match syscall.rule {
            ArgRule::Any | ArgRule::FailsWithEnosys | ArgRule::UnixFamilyOnly => Vec::new(),
            ArgRule::CloneWithoutNamespaces => {
                vec![rule(vec![cond(
                    0,
                    Op::MaskedEq(CLONE_NAMESPACE_FLAGS),
                    0,
                )?])?]
            }
            ArgRule::IoctlWithoutTerminalInjection => vec![rule(vec![
                cond(1, Op::Ne, libc::TIOCSTI)?,
                cond(1, Op::Ne, libc::TIOCLINUX)?,
            ])?],
        };
        allow.insert(syscall.nr, rules);
    }
    let allow = compile(allow, SeccompAction::KillProcess, SeccompAction::Allow)?;

    let mut soft = BTreeMap::new();
    soft.insert(libc::SYS_clone3, Vec::new());
    let soft_enosys = compile(
        soft,
        SeccompAction::Allow,
        SeccompAction::Errno(libc::ENOSYS as u32),
    )?;
    let mut family = BTreeMap::new();
    for nr in [libc::SYS_socket, libc::SYS_socketpair] {
        family.insert(
            nr,
            vec![rule(vec![cond(0, Op::Ne, libc::AF_UNIX as u64)?])?],
        );
    }
    let soft_family = compile(
        family,
        SeccompAction::Allow,
        SeccompAction::Errno(libc::EAFNOSUPPORT as u32),
    )?;
    // The soft filters go first: each installation must itself be allowed by the filters
    // already in place, and the allowlist permits `seccomp` via `prctl` only.
    Ok(CompiledPolicy {
        programs: vec![
            SeccompProgram {
                name: "clone3 fails with ENOSYS",
                program: soft_enosys,
            },
            SeccompProgram {
                name: "socket families other than AF_UNIX fail with EAFNOSUPPORT",
                program: soft_family,
            },
            SeccompProgram {
                name: "the allowlist",
                program: allow,
            },
        ],
    })
}

/// Installs the exec guard (see [`exec_guard`]) on the calling process, init, before it
/// forks the program; returns the listener init answers on.
pub fn guard_exec(
    sys: &dyn Syscalls,
    guard: &SeccompProgram,
) -> Result<std::os::fd::RawFd, SysError> {
    sys.seccomp_install_listener(guard)
}

/// Installs the filters on the calling thread (the jail is single-threaded, and the filters
/// are inherited across `execve`). Installing needs `no_new_privs` (or CAP_SYS_ADMIN): it is
/// set first when the identity layer, which otherwise sets it, is off.
pub fn install(
    sys: &dyn Syscalls,
    policy: &CompiledPolicy,
    set_no_new_privs: bool,
) -> Result<(), SysError> {
    if set_no_new_privs {
        sys.set_no_new_privs()?;
    }
    for program in &policy.programs {
        sys.seccomp_install(program)?;
    }
    Ok(())
}
