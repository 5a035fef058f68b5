//! The exec guard: only the verified binary ever runs. The supervised allowlist does not
//! allow `execve`/`execveat`: each is asked of the jail's init, which lets exactly one
//! through (the program process's own `execveat` of the verified fd, before any plugin code
//! exists) and refuses every later one with `EPERM`.
//!
//! The program installs the filter right before that `execveat`, so the program and
//! everything it ever starts run under it. Only the syscall number, the pid and integer
//! arguments are looked at: nothing in the plugin's memory, so there is no time-of-check race.

use super::{AUDIT_ARCH_X86_64, Notification};
use crate::resources::PROGRAM_FD;

/// What init answers to an exec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Let the kernel run the call as made.
    Continue,
    /// Fail it with this errno.
    Deny(i32),
}

/// Whether a notification is an exec (x86_64 `execve` or `execveat`).
pub fn is_exec(notification: &Notification) -> bool {
    notification.arch == AUDIT_ARCH_X86_64
        && (notification.nr == libc::SYS_execve || notification.nr == libc::SYS_execveat)
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
    pub fn decide(&mut self, request: &Notification) -> Verdict {
        let the_launch = !self.used
            && request.pid == self.program
            && request.arch == AUDIT_ARCH_X86_64
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

    fn execveat(pid: i32, fd: u64) -> Notification {
        Notification {
            id: 1,
            pid,
            nr: libc::SYS_execveat,
            arch: AUDIT_ARCH_X86_64,
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
        let execve = Notification {
            nr: libc::SYS_execve,
            ..execveat(2, 4)
        };
        let foreign = Notification {
            arch: 0x4000_0003,
            ..execveat(2, 4)
        };
        for first in [execveat(3, 4), execveat(2, 5), execve, foreign] {
            let mut guard = ExecGuard::new(2);
            assert_eq!(guard.decide(&first), Verdict::Deny(libc::EPERM));
            assert_eq!(guard.decide(&execveat(2, 4)), Verdict::Deny(libc::EPERM));
        }
    }

    #[test]
    fn only_x86_64_execs_are_execs() {
        assert!(is_exec(&execveat(2, 4)));
        let i386_execve = Notification {
            arch: 0x4000_0003,
            nr: 11,
            ..execveat(2, 4)
        };
        assert!(!is_exec(&i386_execve));
        let read = Notification {
            nr: libc::SYS_read,
            ..execveat(2, 4)
        };
        assert!(!is_exec(&read));
    }
}
