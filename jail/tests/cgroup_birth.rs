//! init's birth inside a cgroup v2 directory, on the real kernel: `clone3` with
//! `CLONE_INTO_CGROUP` puts the child there before it runs, without a migration; and the
//! signal mask `clone_into_namespaces` gives the child without changing the caller's.
//!
//! This host's cgroup v2 hierarchy may hold no controllers (a v1 hybrid), but a process can
//! be born into any of its cgroups, which is what is checked here.

use faxbot_jail::syscalls::{Forked, Syscalls, linux::LinuxSyscalls};
use nix::sched::CloneFlags;
use nix::sys::signal::{SigSet, Signal};
use std::fs;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

fn root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// A cgroup v2 mount: the unified one of a hybrid host, or the root of a v2 host.
fn cgroup2_mount() -> Option<PathBuf> {
    let mounts = fs::read_to_string("/proc/self/mounts").ok()?;
    mounts
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|f| f.len() > 2 && f[2] == "cgroup2")
        .map(|f| PathBuf::from(f[1]))
}

/// Which v2 cgroup `pid` is in, from its `/proc/PID/cgroup` line `0::PATH`.
fn v2_cgroup_of(pid: i32) -> Option<String> {
    fs::read_to_string(format!("/proc/{pid}/cgroup"))
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("0::").map(str::to_owned))
}

#[test]
fn a_child_forked_into_a_v2_cgroup_is_in_it_from_its_first_instruction() {
    if !root() {
        eprintln!("SKIP: needs root to create a cgroup");
        return;
    }
    let Some(mount) = cgroup2_mount() else {
        eprintln!("SKIP: no cgroup2 mount on this host");
        return;
    };
    let name = format!("faxbot-birth-test-{}", std::process::id());
    let dir = mount.join(&name);
    fs::create_dir(&dir).expect("create the test cgroup");
    let fd = fs::File::open(&dir).expect("open the cgroup directory");
    let (read, write) = nix::unistd::pipe().expect("pipe");
    match LinuxSyscalls.clone_into_namespaces(CloneFlags::empty(), Some(fd.as_raw_fd()), &[]) {
        Ok(Forked::Child) => {
            // The child says where the kernel put it, then waits to be reaped.
            let mine = v2_cgroup_of(std::process::id() as i32).unwrap_or_default();
            let _ = nix::unistd::write(&write, mine.as_bytes());
            std::process::exit(0);
        }
        Ok(Forked::Parent(child)) => {
            drop(write);
            let mut seen = Vec::new();
            let mut buf = [0u8; 256];
            while let Ok(n @ 1..) = nix::unistd::read(&read, &mut buf) {
                seen.extend_from_slice(&buf[..n]);
            }
            let status = nix::sys::wait::waitpid(child, None).expect("wait");
            let _ = fs::remove_dir(&dir);
            assert_eq!(
                status,
                nix::sys::wait::WaitStatus::Exited(child, 0),
                "the child ran and exited"
            );
            let seen = String::from_utf8_lossy(&seen).into_owned();
            assert!(
                seen.ends_with(&format!("/{name}")),
                "the child was born in {seen:?}, not in {name}"
            );
            let parent = v2_cgroup_of(std::process::id() as i32).unwrap_or_default();
            assert_ne!(
                Path::new(&parent).file_name(),
                Some(name.as_ref()),
                "the parent stays where it was"
            );
        }
        Err(e) => {
            let _ = fs::remove_dir(&dir);
            panic!("clone3 into the cgroup failed: {e}");
        }
    }
}

#[test]
fn a_child_cloned_into_namespaces_starts_with_the_signals_asked_blocked_and_the_caller_keeps_its_mask()
 {
    let before = SigSet::thread_get_mask().expect("mask");
    assert!(
        !before.contains(Signal::SIGUSR2),
        "the test starts with SIGUSR2 open"
    );
    let (read, write) = nix::unistd::pipe().expect("pipe");
    // No namespace and no cgroup: the plain clone(2) every kernel has, as any user.
    match LinuxSyscalls.clone_into_namespaces(
        CloneFlags::empty(),
        None,
        &[Signal::SIGUSR2, Signal::SIGTERM],
    ) {
        Ok(Forked::Child) => {
            // Raw calls only: the test harness has other threads, so no allocation here.
            let mask = SigSet::thread_get_mask().unwrap_or_else(|_| SigSet::empty());
            let answer = [
                u8::from(mask.contains(Signal::SIGUSR2)),
                u8::from(mask.contains(Signal::SIGTERM)),
            ];
            let _ = nix::unistd::write(&write, &answer);
            std::process::exit(0);
        }
        Ok(Forked::Parent(child)) => {
            drop(write);
            let mut answer = [0u8; 2];
            let n = nix::unistd::read(&read, &mut answer).expect("read");
            let status = nix::sys::wait::waitpid(child, None).expect("wait");
            assert_eq!(status, nix::sys::wait::WaitStatus::Exited(child, 0));
            assert_eq!(
                (n, answer),
                (2, [1, 1]),
                "the child starts with both blocked"
            );
            let after = SigSet::thread_get_mask().expect("mask");
            assert!(
                !after.contains(Signal::SIGUSR2) && !after.contains(Signal::SIGTERM),
                "the caller's mask is as it was"
            );
        }
        Err(e) => panic!("clone failed: {e}"),
    }
}
