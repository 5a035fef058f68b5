//! The exec guard: only the verified binary ever runs. A seccomp filter sends every
//! `execve`/`execveat` of the jail to the jail's init (`SECCOMP_RET_USER_NOTIF`); init lets
//! exactly one through (the program process's own `execveat` of the verified fd, before any
//! plugin code exists) and refuses every later one with `EPERM`.
//!
//! init installs the filter on itself before it forks the program, so the program and
//! everything it ever starts inherit it; init keeps the listener and never execs. Only the
//! syscall number, the pid and integer arguments are looked at: nothing in the plugin's
//! memory, so there is no time-of-check race.

use crate::resources::PROGRAM_FD;
use crate::syscalls::SeccompProgram;
use seccompiler::sock_filter;

/// `AUDIT_ARCH_X86_64`.
const AUDIT_ARCH_X86_64: u32 = 0xC000_003E;
const BPF_LD_W_ABS: u16 = 0x20;
const BPF_JEQ_K: u16 = 0x15;
const BPF_RET_K: u16 = 0x06;
/// Offsets in `struct seccomp_data`.
const NR: u32 = 0;
const ARCH: u32 = 4;

fn stmt(code: u16, k: u32) -> sock_filter {
    sock_filter {
        code,
        jt: 0,
        jf: 0,
        k,
    }
}

fn jump(k: u32, jt: u8, jf: u8) -> sock_filter {
    sock_filter {
        code: BPF_JEQ_K,
        jt,
        jf,
        k,
    }
}

/// The filter: a foreign architecture kills, `execve` and `execveat` go to the listener,
/// everything else is left to the other filters.
pub fn filter() -> SeccompProgram {
    let program = vec![
        stmt(BPF_LD_W_ABS, ARCH),
        jump(AUDIT_ARCH_X86_64, 0, 5),
        stmt(BPF_LD_W_ABS, NR),
        jump(libc::SYS_execve as u32, 2, 0),
        jump(libc::SYS_execveat as u32, 1, 0),
        stmt(BPF_RET_K, libc::SECCOMP_RET_ALLOW),
        stmt(BPF_RET_K, libc::SECCOMP_RET_USER_NOTIF),
        stmt(BPF_RET_K, libc::SECCOMP_RET_KILL_PROCESS),
    ];
    SeccompProgram {
        name: "the exec guard: execve and execveat are asked of init",
        program,
    }
}

/// One exec the guard is asked about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExecRequest {
    /// The caller, as init sees it.
    pub pid: i32,
    /// `execve` or `execveat`.
    pub nr: i64,
    /// The raw arguments.
    pub args: [u64; 6],
}

/// What init answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Let the kernel run the call as made.
    Continue,
    /// Fail it with this errno.
    Deny(i32),
}

/// init's side: which exec is the one allowed.
#[derive(Debug)]
pub struct ExecGuard {
    program: i32,
    used: bool,
}

impl ExecGuard {
    /// The guard for the program process `program` (its pid as init sees it).
    pub fn new(program: i32) -> Self {
        Self {
            program,
            used: false,
        }
    }

    /// The first `execveat(PROGRAM_FD, "", …, AT_EMPTY_PATH)` of the program process
    /// continues; anything else, and anything after it, is refused with `EPERM`.
    pub fn decide(&mut self, request: &ExecRequest) -> Verdict {
        let the_launch = !self.used
            && request.pid == self.program
            && request.nr == libc::SYS_execveat
            && request.args[0] == PROGRAM_FD as u64
            && request.args[4] == libc::AT_EMPTY_PATH as u64;
        self.used = true;
        if the_launch {
            Verdict::Continue
        } else {
            Verdict::Deny(libc::EPERM)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn execveat(pid: i32, fd: u64) -> ExecRequest {
        ExecRequest {
            pid,
            nr: libc::SYS_execveat,
            args: [fd, 0, 0, 0, libc::AT_EMPTY_PATH as u64, 0],
        }
    }

    #[test]
    fn only_the_programs_first_exec_of_the_verified_fd_continues() {
        let mut guard = ExecGuard::new(2);
        assert_eq!(guard.decide(&execveat(2, 4)), Verdict::Continue);
        assert_eq!(
            guard.decide(&execveat(2, 4)),
            Verdict::Deny(libc::EPERM),
            "the plugin re-executing itself"
        );
        assert_eq!(guard.decide(&execveat(3, 4)), Verdict::Deny(libc::EPERM));
    }

    #[test]
    fn an_exec_before_the_launch_uses_up_the_guard() {
        for first in [
            execveat(3, 4),
            execveat(2, 5),
            ExecRequest {
                pid: 2,
                nr: libc::SYS_execve,
                args: [0; 6],
            },
        ] {
            let mut guard = ExecGuard::new(2);
            assert_eq!(guard.decide(&first), Verdict::Deny(libc::EPERM));
            assert_eq!(guard.decide(&execveat(2, 4)), Verdict::Deny(libc::EPERM));
        }
    }

    #[test]
    fn the_filter_sends_both_exec_calls_to_the_listener_and_kills_foreign_arches() {
        let program = filter().program;
        assert_eq!(program.len(), 8);
        // Follow the jumps by hand for execve, execveat, read and a foreign arch.
        let run = |arch: u32, nr: u32| {
            let mut pc = 0usize;
            let mut acc = 0u32;
            loop {
                let insn = &program[pc];
                match insn.code {
                    BPF_LD_W_ABS => acc = if insn.k == ARCH { arch } else { nr },
                    BPF_JEQ_K => {
                        let offset = if acc == insn.k { insn.jt } else { insn.jf };
                        pc += usize::from(offset);
                    }
                    BPF_RET_K => return insn.k,
                    other => panic!("unexpected opcode {other:#x}"),
                }
                pc += 1;
            }
        };
        let x86 = AUDIT_ARCH_X86_64;
        assert_eq!(
            run(x86, libc::SYS_execve as u32),
            libc::SECCOMP_RET_USER_NOTIF
        );
        assert_eq!(
            run(x86, libc::SYS_execveat as u32),
            libc::SECCOMP_RET_USER_NOTIF
        );
        assert_eq!(run(x86, libc::SYS_read as u32), libc::SECCOMP_RET_ALLOW);
        assert_eq!(run(0x4000_0003, 11), libc::SECCOMP_RET_KILL_PROCESS);
    }
}
