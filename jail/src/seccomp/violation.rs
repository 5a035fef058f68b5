//! A refused syscall, as init reports it to the outer process: one line on the report pipe,
//! `seccomp <nr> <arch>`, turned into the name in faxbot-jail's message.

use super::policy::syscall_name;
use super::{AUDIT_ARCH_X86_64, Notification};
use std::fmt;

/// `AUDIT_ARCH_I386`.
const AUDIT_ARCH_I386: u32 = 0x4000_0003;
/// The bit that marks an x32 syscall number.
const X32_SYSCALL_BIT: i64 = 0x4000_0000;

/// The syscall that got the jail killed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Its number.
    pub nr: i64,
    /// `AUDIT_ARCH_*` of the call.
    pub arch: u32,
}

impl From<&Notification> for Violation {
    fn from(n: &Notification) -> Self {
        Self {
            nr: n.nr,
            arch: n.arch,
        }
    }
}

impl Violation {
    /// The line init writes.
    pub fn encode(&self) -> String {
        format!("seccomp {} {}\n", self.nr, self.arch)
    }

    /// The first line of what init wrote, if it is a violation.
    pub fn decode(text: &str) -> Option<Self> {
        let mut words = text.lines().next()?.split(' ');
        if words.next()? != "seccomp" {
            return None;
        }
        let nr = words.next()?.parse().ok()?;
        let arch = words.next()?.parse().ok()?;
        Some(Self { nr, arch })
    }
}

impl fmt::Display for Violation {
    /// `syscall ptrace (101)`; other ABIs are said as such.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.arch {
            AUDIT_ARCH_X86_64 if self.nr & X32_SYSCALL_BIT != 0 => write!(
                f,
                "x32 syscall {} ({})",
                self.nr & !X32_SYSCALL_BIT,
                self.nr
            ),
            AUDIT_ARCH_X86_64 => write!(
                f,
                "syscall {} ({})",
                syscall_name(self.nr).unwrap_or("unknown"),
                self.nr
            ),
            AUDIT_ARCH_I386 => write!(f, "i386 syscall {}", self.nr),
            arch => write!(f, "syscall {} of architecture {arch:#x}", self.nr),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_violation_round_trips_through_the_report_line() {
        let v = Violation {
            nr: libc::SYS_ptrace,
            arch: AUDIT_ARCH_X86_64,
        };
        assert_eq!(Violation::decode(&v.encode()), Some(v));
        assert_eq!(v.to_string(), "syscall ptrace (101)");
        assert_eq!(Violation::decode("garbage 1 2\n"), None);
        assert_eq!(Violation::decode(""), None);
    }

    #[test]
    fn other_abis_are_named_as_such() {
        let x32 = Violation {
            nr: X32_SYSCALL_BIT + 39,
            arch: AUDIT_ARCH_X86_64,
        };
        assert_eq!(x32.to_string(), "x32 syscall 39 (1073741863)");
        let i386 = Violation {
            nr: 26,
            arch: AUDIT_ARCH_I386,
        };
        assert_eq!(i386.to_string(), "i386 syscall 26");
    }
}
