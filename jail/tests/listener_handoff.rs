//! init's seccomp listener asks the kernel to hand each notification over, and init's
//! answer back, on the CPU of the task that wakes the other (Linux 6.6's
//! `SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP`), so the exec's round trip to init does not wait
//! for another CPU. Checked on the real kernel with a listener of a child's own filter.

use faxbot_jail::syscalls::{Forked, LinuxSyscalls, SeccompProgram, Syscalls, linux};

/// The running kernel's (major, minor) version.
fn kernel_version() -> (u32, u32) {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").expect("osrelease");
    let mut parts = release
        .trim()
        .split(['.', '-'])
        .map(|p| p.parse::<u32>().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}

/// A filter that allows everything, installed with a listener.
fn allow_all() -> SeccompProgram {
    const BPF_RET_K: u16 = 0x06;
    const SECCOMP_RET_ALLOW: u32 = 0x7fff_0000;
    SeccompProgram {
        name: "allow all (test)",
        program: vec![seccompiler::sock_filter {
            code: BPF_RET_K,
            jt: 0,
            jf: 0,
            k: SECCOMP_RET_ALLOW,
        }],
    }
}

#[test]
fn the_listener_hands_notifications_over_on_one_cpu_where_the_kernel_offers_it() {
    if kernel_version() < (6, 6) {
        eprintln!("SKIP: the kernel predates SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP");
        return;
    }
    let sys = LinuxSyscalls;
    // A filter is forever: install it in a child, which reports by its exit status.
    match sys.fork().expect("fork") {
        Forked::Child => {
            let code = match sys
                .set_no_new_privs()
                .and_then(|()| sys.seccomp_install_listener(&allow_all()))
            {
                Ok(listener) if linux::wake_on_same_cpu(listener) => 0,
                Ok(_) => 1,
                Err(_) => 2,
            };
            std::process::exit(code);
        }
        Forked::Parent(child) => {
            let status = nix::sys::wait::waitpid(child, None).expect("wait");
            assert_eq!(
                status,
                nix::sys::wait::WaitStatus::Exited(child, 0),
                "1: the kernel refused the flag; 2: no listener"
            );
        }
    }
}

#[test]
fn asking_it_of_a_descriptor_that_is_no_listener_is_refused() {
    let (read, _write) = nix::unistd::pipe().expect("pipe");
    use std::os::fd::AsRawFd;
    assert!(!linux::wake_on_same_cpu(read.as_raw_fd()));
}
