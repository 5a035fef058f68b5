//! The policy as one classic-BPF program whose syscall dispatch is a binary search.
//!
//! Why not seccompiler's output: it tests the syscall number against each allowed syscall
//! in turn (about 760 instructions for this policy). The kernel pays for that length on
//! every launch, not only per call: it verifies and JIT-compiles the program, and it runs
//! the program once for every syscall number to find the calls it can allow without running
//! any filter (the per-architecture action cache). Measured, that was ~1 ms of CPU per jail
//! start, a fifth of all of it. A search tree of about 300 instructions costs a fraction of
//! that, and its shape (loads of `nr` and `arch`, `jge`/`jeq`/`ja`, constant returns) is
//! what the kernel's cache understands, so every syscall allowed without an argument rule
//! then runs no filter at all.
//!
//! One program carries every verdict (there is no stack of soft filters):
//! - another architecture (i386 `int 0x80`, x32 numbers are above every listed number and
//!   fall to the default): asked of init, which names and kills;
//! - a listed syscall: its rule's verdict ([`ArgRule`]);
//! - anything else: asked of init.
//!
//! Argument rules compare the low 32 bits only, because the kernel reads those arguments as
//! 32-bit values (`int domain`, `unsigned int cmd`, the clone flags): a check of all 64 bits
//! would let `TIOCSTI | 1 << 32` through, which the kernel runs as `TIOCSTI`.

use super::policy::{AllowedSyscall, ArgRule};
use super::{AUDIT_ARCH_X86_64, CLONE_NAMESPACE_FLAGS};
use seccompiler::{BpfProgram, sock_filter};

const BPF_LD_W_ABS: u16 = 0x20; // BPF_LD | BPF_W | BPF_ABS
const BPF_JMP_JA: u16 = 0x05; // BPF_JMP | BPF_JA
const BPF_JEQ_K: u16 = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
const BPF_JGE_K: u16 = 0x35; // BPF_JMP | BPF_JGE | BPF_K
const BPF_JSET_K: u16 = 0x45; // BPF_JMP | BPF_JSET | BPF_K
const BPF_RET_K: u16 = 0x06; // BPF_RET | BPF_K

/// Offsets in `struct seccomp_data`.
const NR: u32 = 0;
const ARCH: u32 = 4;
/// The low 32 bits of argument `i` (x86_64 is little-endian).
const fn arg_low(i: u32) -> u32 {
    16 + 8 * i
}

/// Ranges at most this long are searched linearly.
const LINEAR: usize = 8;

/// A jump target, resolved when the program is laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    Allow,
    Notify,
    Errno(u32),
    Clone,
    Ioctl,
    Socket,
}

/// One instruction before layout: jumps name a [`Target`] or the next instruction.
#[derive(Clone, Copy, Debug)]
enum Insn {
    Load(u32),
    /// `ja` to a target.
    Jump(Target),
    /// `ja` forward over `n` instructions.
    Skip(u32),
    /// Conditional: true skips `jt`, false skips `jf` (both small, within one block).
    Cond {
        code: u16,
        k: u32,
        jt: u8,
        jf: u8,
    },
    Ret(u32),
}

/// The target of a syscall with `rule`.
fn target(rule: ArgRule) -> Target {
    match rule {
        ArgRule::Any => Target::Allow,
        ArgRule::CloneWithoutNamespaces => Target::Clone,
        ArgRule::IoctlWithoutTerminalInjection => Target::Ioctl,
        ArgRule::UnixFamilyOnly => Target::Socket,
        ArgRule::FailsWithEnosys => Target::Errno(libc::ENOSYS as u32),
        ArgRule::OnlyTheLaunch => Target::Notify,
    }
}

/// Compiles `allowed` into one program. Entries must have distinct, non-negative numbers.
pub fn compile(allowed: &[AllowedSyscall]) -> BpfProgram {
    let mut entries: Vec<(u32, Target)> = allowed
        .iter()
        .filter_map(|s| u32::try_from(s.nr).ok().map(|nr| (nr, target(s.rule))))
        .collect();
    entries.sort_unstable_by_key(|(nr, _)| *nr);
    entries.dedup_by_key(|(nr, _)| *nr);

    let mut code = vec![
        Insn::Load(ARCH),
        Insn::Cond {
            code: BPF_JEQ_K,
            k: AUDIT_ARCH_X86_64,
            jt: 1,
            jf: 0,
        },
        Insn::Jump(Target::Notify),
        Insn::Load(NR),
    ];
    search(&entries, &mut code);
    let blocks = blocks();
    layout(code, &blocks)
}

/// The dispatch over `entries` (sorted): a binary search down to short linear runs. Every
/// path ends in a return or a jump to a target; a number not listed ends in
/// [`Target::Notify`].
fn search(entries: &[(u32, Target)], code: &mut Vec<Insn>) {
    if entries.len() <= LINEAR {
        leaf(entries, code);
        return;
    }
    let (low, high) = entries.split_at(entries.len() / 2);
    // nr >= high[0]: skip the jump over the high half's code into it; otherwise jump past it.
    code.push(Insn::Cond {
        code: BPF_JGE_K,
        k: high[0].0,
        jt: 1,
        jf: 0,
    });
    let skip_at = code.len();
    code.push(Insn::Skip(0));
    let high_start = code.len();
    search(high, code);
    code[skip_at] = Insn::Skip((code.len() - high_start) as u32);
    search(low, code);
}

/// A linear run: one `jeq` per number, then the landings right after it: a `ret ALLOW`
/// shared by every plainly allowed number, and one jump per other target.
fn leaf(entries: &[(u32, Target)], code: &mut Vec<Insn>) {
    let mut landings: Vec<Target> = vec![Target::Allow];
    for (_, target) in entries {
        if !landings.contains(target) {
            landings.push(*target);
        }
    }
    for (i, (nr, target)) in entries.iter().enumerate() {
        let landing = landings.iter().position(|t| t == target).unwrap_or(0);
        // Past the remaining jeqs and the jump to Notify, then to the landing.
        let distance = entries.len() - 1 - i + 1 + landing;
        code.push(Insn::Cond {
            code: BPF_JEQ_K,
            k: *nr,
            jt: distance as u8, // LINEAR keeps this far below 255
            jf: 0,
        });
    }
    code.push(Insn::Jump(Target::Notify));
    for target in landings {
        code.push(match target {
            Target::Allow => Insn::Ret(libc::SECCOMP_RET_ALLOW),
            other => Insn::Jump(other),
        });
    }
}

/// The code of each target that is more than a return, with its arguments checked on the low
/// 32 bits.
fn blocks() -> Vec<(Target, Vec<Insn>)> {
    let notify = libc::SECCOMP_RET_USER_NOTIF;
    let allow = libc::SECCOMP_RET_ALLOW;
    let errno = |e: i32| libc::SECCOMP_RET_ERRNO | (e as u32 & libc::SECCOMP_RET_DATA);
    vec![
        (
            Target::Clone,
            vec![
                Insn::Load(arg_low(0)),
                Insn::Cond {
                    code: BPF_JSET_K,
                    k: CLONE_NAMESPACE_FLAGS as u32,
                    jt: 0,
                    jf: 1,
                },
                Insn::Ret(notify),
                Insn::Ret(allow),
            ],
        ),
        (
            Target::Ioctl,
            vec![
                Insn::Load(arg_low(1)),
                Insn::Cond {
                    code: BPF_JEQ_K,
                    k: libc::TIOCSTI as u32,
                    jt: 1,
                    jf: 0,
                },
                Insn::Cond {
                    code: BPF_JEQ_K,
                    k: libc::TIOCLINUX as u32,
                    jt: 0,
                    jf: 1,
                },
                Insn::Ret(notify),
                Insn::Ret(allow),
            ],
        ),
        (
            Target::Socket,
            vec![
                Insn::Load(arg_low(0)),
                Insn::Cond {
                    code: BPF_JEQ_K,
                    k: libc::AF_UNIX as u32,
                    jt: 0,
                    jf: 1,
                },
                Insn::Ret(allow),
                Insn::Ret(errno(libc::EAFNOSUPPORT)),
            ],
        ),
        (Target::Allow, vec![Insn::Ret(allow)]),
        (Target::Notify, vec![Insn::Ret(notify)]),
        (
            Target::Errno(libc::ENOSYS as u32),
            vec![Insn::Ret(errno(libc::ENOSYS))],
        ),
    ]
}

/// Lays the dispatch out followed by the target blocks, resolving every jump.
fn layout(code: Vec<Insn>, blocks: &[(Target, Vec<Insn>)]) -> BpfProgram {
    let mut starts = Vec::with_capacity(blocks.len());
    let mut at = code.len();
    for (target, block) in blocks {
        starts.push((*target, at));
        at += block.len();
    }
    let start_of = |target: Target| {
        starts
            .iter()
            .find(|(t, _)| *t == target)
            .map(|(_, at)| *at)
            .unwrap_or_else(|| unreachable!("every target has a block: {target:?}"))
    };
    let all = code
        .into_iter()
        .chain(blocks.iter().flat_map(|(_, b)| b.iter().copied()));
    all.enumerate()
        .map(|(pc, insn)| match insn {
            Insn::Load(offset) => raw(BPF_LD_W_ABS, 0, 0, offset),
            Insn::Jump(target) => raw(BPF_JMP_JA, 0, 0, (start_of(target) - pc - 1) as u32),
            Insn::Skip(n) => raw(BPF_JMP_JA, 0, 0, n),
            Insn::Cond { code, k, jt, jf } => raw(code, jt, jf, k),
            Insn::Ret(k) => raw(BPF_RET_K, 0, 0, k),
        })
        .collect()
}

fn raw(code: u16, jt: u8, jf: u8, k: u32) -> sock_filter {
    sock_filter { code, jt, jf, k }
}

/// Runs `program` on one syscall the way the kernel's classic-BPF interpreter would, for the
/// tests: the subset of instructions [`compile`] emits.
#[cfg(test)]
pub(crate) fn run(program: &[sock_filter], arch: u32, nr: u32, args: [u64; 6]) -> u32 {
    let mut data = Vec::with_capacity(64);
    data.extend_from_slice(&nr.to_le_bytes());
    data.extend_from_slice(&arch.to_le_bytes());
    data.extend_from_slice(&0u64.to_le_bytes()); // instruction pointer
    for arg in args {
        data.extend_from_slice(&arg.to_le_bytes());
    }
    let (mut pc, mut a) = (0usize, 0u32);
    loop {
        let insn = &program[pc];
        pc += 1;
        match insn.code {
            BPF_LD_W_ABS => {
                let at = insn.k as usize;
                a = u32::from_le_bytes(data[at..at + 4].try_into().expect("4 bytes"));
            }
            BPF_JMP_JA => pc += insn.k as usize,
            BPF_JEQ_K | BPF_JGE_K | BPF_JSET_K => {
                let taken = match insn.code {
                    BPF_JEQ_K => a == insn.k,
                    BPF_JGE_K => a >= insn.k,
                    _ => a & insn.k != 0,
                };
                pc += usize::from(if taken { insn.jt } else { insn.jf });
            }
            BPF_RET_K => return insn.k,
            other => panic!("instruction {other:#x} not emitted by compile"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seccomp::policy::allowlist;

    const X86_64: u32 = AUDIT_ARCH_X86_64;
    const I386: u32 = 0x4000_0003;
    const ALLOW: u32 = libc::SECCOMP_RET_ALLOW;
    const NOTIFY: u32 = libc::SECCOMP_RET_USER_NOTIF;

    fn errno(e: i32) -> u32 {
        libc::SECCOMP_RET_ERRNO | e as u32
    }

    fn verdict(nr: i64, args: [u64; 6]) -> u32 {
        run(&compile(allowlist()), X86_64, nr as u32, args)
    }

    #[test]
    fn every_listed_syscall_gets_its_rules_verdict_and_every_other_number_is_asked_of_init() {
        let program = compile(allowlist());
        for nr in 0..1024u32 {
            let listed = allowlist().iter().find(|s| s.nr == i64::from(nr));
            let expected = match listed.map(|s| s.rule) {
                None | Some(ArgRule::OnlyTheLaunch) => NOTIFY,
                Some(ArgRule::FailsWithEnosys) => errno(libc::ENOSYS),
                // With all-zero arguments each argument rule holds but the socket family's.
                Some(ArgRule::UnixFamilyOnly) => errno(libc::EAFNOSUPPORT),
                Some(_) => ALLOW,
            };
            assert_eq!(
                run(&program, X86_64, nr, [0; 6]),
                expected,
                "syscall {nr} ({:?})",
                listed.map(|s| s.name)
            );
        }
    }

    #[test]
    fn another_architecture_and_x32_numbers_are_asked_of_init() {
        let program = compile(allowlist());
        assert_eq!(run(&program, I386, 3, [0; 6]), NOTIFY, "i386 read");
        assert_eq!(
            run(&program, X86_64, 0x4000_0000, [0; 6]),
            NOTIFY,
            "x32 read"
        );
        assert_eq!(run(&program, X86_64, u32::MAX, [0; 6]), NOTIFY);
    }

    #[test]
    fn clone_with_a_namespace_flag_is_asked_of_init_and_a_thread_clone_is_allowed() {
        let thread = (libc::CLONE_VM | libc::CLONE_THREAD | libc::CLONE_SIGHAND) as u64;
        assert_eq!(verdict(libc::SYS_clone, [thread, 0, 0, 0, 0, 0]), ALLOW);
        for flag in [
            libc::CLONE_NEWUSER,
            libc::CLONE_NEWNS,
            libc::CLONE_NEWNET,
            libc::CLONE_NEWPID,
            0x80,
        ] {
            assert_eq!(
                verdict(libc::SYS_clone, [thread | flag as u64, 0, 0, 0, 0, 0]),
                NOTIFY,
                "flag {flag:#x}"
            );
        }
    }

    #[test]
    fn tiocsti_with_high_bits_set_is_still_refused_because_the_kernel_reads_cmd_as_32_bits() {
        for cmd in [libc::TIOCSTI, libc::TIOCLINUX] {
            assert_eq!(verdict(libc::SYS_ioctl, [0, cmd, 0, 0, 0, 0]), NOTIFY);
            assert_eq!(
                verdict(libc::SYS_ioctl, [0, cmd | 1 << 32, 0, 0, 0, 0]),
                NOTIFY
            );
        }
        let fionread = libc::FIONREAD;
        assert_eq!(verdict(libc::SYS_ioctl, [0, fionread, 0, 0, 0, 0]), ALLOW);
    }

    #[test]
    fn sockets_other_than_unix_fail_with_eafnosupport_whatever_the_high_bits() {
        let unix = libc::AF_UNIX as u64;
        for nr in [libc::SYS_socket, libc::SYS_socketpair] {
            assert_eq!(verdict(nr, [unix, 1, 0, 0, 0, 0]), ALLOW);
            assert_eq!(verdict(nr, [unix | 1 << 32, 1, 0, 0, 0, 0]), ALLOW);
            for family in [
                libc::AF_INET,
                libc::AF_INET6,
                libc::AF_NETLINK,
                libc::AF_PACKET,
            ] {
                assert_eq!(
                    verdict(nr, [family as u64, 1, 0, 0, 0, 0]),
                    errno(libc::EAFNOSUPPORT),
                    "family {family}"
                );
            }
        }
    }

    #[test]
    fn the_program_is_a_fraction_of_a_linear_one_and_fits_the_kernel_limit() {
        let program = compile(allowlist());
        assert!(program.len() < 320, "{} instructions", program.len());
        // Every jump stays inside the program.
        for (pc, insn) in program.iter().enumerate() {
            let next = pc + 1;
            match insn.code {
                BPF_JMP_JA => assert!(next + (insn.k as usize) < program.len(), "pc {pc}"),
                BPF_JEQ_K | BPF_JGE_K | BPF_JSET_K => {
                    assert!(next + usize::from(insn.jt.max(insn.jf)) < program.len())
                }
                _ => {}
            }
        }
    }
}
