//! Compiling the seccomp policy into BPF and installing it.
//!
//! One filter (see [`bpf`] for its layout and why it is not seccompiler's), installed with a
//! listener the program hands to the jail's init:
//! - `clone3` fails with `ENOSYS` (libc falls back to the checked `clone`), and
//!   `socket`/`socketpair` of a family other than `AF_UNIX` fail with `EAFNOSUPPORT`, which
//!   ordinary programs handle better than death;
//! - a syscall not listed, or listed with arguments that break its rule, or of another
//!   architecture (i386, x32), is not run but asked of init (`SECCOMP_RET_USER_NOTIF`),
//!   which records it, kills the whole jail and reports the syscall by name (no kernel log
//!   needed); `execve`/`execveat` are asked of init too, which lets exactly the launch
//!   through (see [`exec_guard`]).

pub mod bpf;
pub mod exec_guard;
pub mod policy;
pub mod violation;

use crate::syscalls::{SeccompProgram, SysError, Syscalls};
use policy::allowlist;

/// Namespace-creating `clone` flags.
pub const CLONE_NAMESPACE_FLAGS: u64 = (libc::CLONE_NEWNS
    | libc::CLONE_NEWCGROUP
    | libc::CLONE_NEWUTS
    | libc::CLONE_NEWIPC
    | libc::CLONE_NEWUSER
    | libc::CLONE_NEWPID
    | libc::CLONE_NEWNET) as u64
    | 0x80; // CLONE_NEWTIME

/// The compiled filter (compiled in the outer process).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompiledPolicy {
    /// The allowlist whose refusals and execs init answers, installed with a listener.
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

/// Compiles the policy of [`policy::allowlist`].
pub fn compile_policy() -> CompiledPolicy {
    CompiledPolicy {
        supervised: SeccompProgram {
            name: "the allowlist, its refusals and execs answered by init",
            program: bpf::compile(allowlist()),
        },
    }
}

/// Installs the filter on the calling thread (the jail is single-threaded, and the filter
/// is inherited across `execve`) and hands its listener to init over `channel`. Installing
/// needs `no_new_privs` (or CAP_SYS_ADMIN): it is set first when the identity layer, which
/// otherwise sets it, is off. From the moment the filter is in, only allowed calls are made here: `sendmsg`, then the one `execveat` (the listener
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
    let listener = sys.seccomp_install_listener(&policy.supervised)?;
    sys.send_fd(channel, listener)
}
