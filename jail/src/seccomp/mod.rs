//! Compiling the seccomp policy into BPF and installing it.
//!
//! Filters are stacked (the kernel applies the strictest verdict of all filters):
//! 1. the soft refusals: `clone3` returns `ENOSYS` (so libc falls back to the checked
//!    `clone`) and `socket`/`socketpair` of a family other than `AF_UNIX` return
//!    `EAFNOSUPPORT`, which ordinary programs handle better than death;
//! 2. the supervised allowlist, installed last with a listener the program hands to the
//!    jail's init: a syscall not listed, or listed with arguments that break its rule, or
//!    of another architecture (i386, x32), is not run but asked of init
//!    (`SECCOMP_RET_USER_NOTIF`), which records it, kills the whole jail and reports the
//!    syscall by name (no kernel log needed); `execve`/`execveat` are asked of init too,
//!    which lets exactly the launch through (see [`exec_guard`]).

pub mod exec_guard;
pub mod policy;
pub mod violation;

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
    /// The soft refusals, installed first.
    pub programs: Vec<SeccompProgram>,
    /// The allowlist whose refusals and execs init answers, installed last with a listener.
    pub supervised: SeccompProgram,
}

/// One syscall a supervised filter asks init about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Notification {
    /// The kernel's id of the request.
    pub id: u64,
    /// The caller, as init sees it.
    pub pid: i32,
    /// The syscall number.
    pub nr: i64,
    /// `AUDIT_ARCH_*` of the call.
    pub arch: u32,
    /// The raw arguments.
    pub args: [u64; 6],
}

/// `AUDIT_ARCH_X86_64`.
pub const AUDIT_ARCH_X86_64: u32 = 0xC000_003E;

/// Sends what seccompiler compiled to kill (its architecture check) or to trap (our
/// mismatch marker) to the listener instead.
fn notify_instead_of_killing(mut program: BpfProgram) -> BpfProgram {
    const BPF_RET_K: u16 = 0x06;
    for insn in &mut program {
        if insn.code == BPF_RET_K
            && (insn.k == libc::SECCOMP_RET_KILL_PROCESS || insn.k == libc::SECCOMP_RET_TRAP)
        {
            insn.k = libc::SECCOMP_RET_USER_NOTIF;
        }
    }
    program
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
            // Not allowed by the filter: it asks init (the exec guard).
            ArgRule::OnlyTheLaunch => continue,
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
    // Trap marks a refusal; both it and the architecture check's kill become notifications.
    let allow =
        notify_instead_of_killing(compile(allow, SeccompAction::Trap, SeccompAction::Allow)?);

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
    // The soft filters go first; the supervised allowlist goes last, through the `seccomp`
    // syscall it does not itself allow.
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
        ],
        supervised: SeccompProgram {
            name: "the allowlist, its refusals and execs answered by init",
            program: allow,
        },
    })
}

/// Installs the filters on the calling thread (the jail is single-threaded, and the filters
/// are inherited across `execve`), the supervised one last, and hands its listener to init
/// over `channel`. Installing needs `no_new_privs` (or CAP_SYS_ADMIN): it is set first when
/// the identity layer, which otherwise sets it, is off. From the moment the supervised filter
/// is in, only allowed calls are made here: `sendmsg`, then the one `execveat` (the listener
/// and the channel are close-on-exec: the plugin never holds them).
pub fn install(
    sys: &dyn Syscalls,
    policy: &CompiledPolicy,
    set_no_new_privs: bool,
    channel: std::os::fd::RawFd,
) -> Result<(), SysError> {
    if set_no_new_privs {
        sys.set_no_new_privs()?;
    }
    for program in &policy.programs {
        sys.seccomp_install(program)?;
    }
    let listener = sys.seccomp_install_listener(&policy.supervised)?;
    sys.send_fd(channel, listener)
}
