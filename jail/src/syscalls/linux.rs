//! The real kernel calls behind [`Syscalls`], and the few raw calls the outer process makes
//! (the Landlock ABI probe, adopting an inherited descriptor, waiting with a deadline).
//! This module is the only place in the crate with `unsafe`; every block says why it holds.
#![allow(unsafe_code)]

use super::{
    Call, CapabilitySet, Forked, LandlockRuleset, RuleTarget, SeccompProgram, SysError, Syscalls,
};
use crate::landlock_rules::abi_for;
use crate::seccomp::Notification;
use crate::seccomp::exec_guard::Verdict;
use landlock::{
    ABI, Access, AccessFs, AccessNet, CompatLevel, Compatible, PathBeneath, PathFd, Ruleset,
    RulesetAttr, RulesetCreatedAttr, RulesetStatus, Scope,
};
use nix::mount::{MntFlags, MsFlags};
use nix::sched::CloneFlags;
use nix::sys::resource::Resource;
use nix::sys::signal::{SigSet, SigmaskHow, Signal};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::{ForkResult, Gid, Pid, Uid};
use std::ffi::CString;
use std::io;
use std::os::fd::{BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::path::Path;
use std::time::{Duration, Instant};

/// The kernel, called directly.
#[derive(Clone, Copy, Debug, Default)]
pub struct LinuxSyscalls;

fn nix_err(call: impl FnOnce() -> Call) -> impl FnOnce(nix::Error) -> SysError {
    move |e| SysError::new(call(), io::Error::from(e))
}

fn io_err(call: impl FnOnce() -> Call) -> impl FnOnce(io::Error) -> SysError {
    move |e| SysError::new(call(), e)
}

fn last_os_error(call: Call) -> SysError {
    SysError::new(call, io::Error::last_os_error())
}

impl Syscalls for LinuxSyscalls {
    fn fork(&self) -> Result<Forked, SysError> {
        // SAFETY: faxbot-jail is single-threaded (no thread is ever started), so the child
        // may allocate and run arbitrary code after fork.
        match unsafe { nix::unistd::fork() } {
            Ok(ForkResult::Child) => Ok(Forked::Child),
            Ok(ForkResult::Parent { child }) => Ok(Forked::Parent(child)),
            Err(e) => Err(nix_err(|| Call::Fork)(e)),
        }
    }

    fn clone_into_namespaces(
        &self,
        flags: CloneFlags,
        cgroup: Option<RawFd>,
        blocked: &[Signal],
    ) -> Result<Forked, SysError> {
        let call = || Call::CloneInto {
            flags,
            cgroup,
            blocked: blocked.to_vec(),
        };
        let mut set = SigSet::empty();
        for signal in blocked {
            set.add(*signal);
        }
        // The child inherits the mask as it is at the clone; the parent puts its own back.
        let before = set
            .thread_swap_mask(SigmaskHow::SIG_BLOCK)
            .map_err(nix_err(call))?;
        // The flags are CLONE_NEW* bits, all below bit 31.
        let namespaces = flags.bits() as u32 as u64;
        let rc = match cgroup {
            Some(dir) => clone3_into_cgroup(namespaces, dir),
            // SAFETY: a fork-like clone (no CLONE_VM, no new stack: the child gets a copy of
            // the caller's memory and continues on its copy of the stack) of a
            // single-threaded process; see `clone3_into_cgroup` for glibc's cached thread id.
            None => unsafe {
                libc::syscall(
                    libc::SYS_clone,
                    namespaces | libc::SIGCHLD as u64,
                    0usize,
                    0usize,
                    0usize,
                    0usize,
                )
            },
        };
        let error = (rc < 0).then(io::Error::last_os_error);
        if rc != 0 {
            // Cannot fail: the set is valid and lives for the call.
            let _ = before.thread_set_mask();
        }
        match (rc, error) {
            (0, _) => Ok(Forked::Child),
            (pid, None) => Ok(Forked::Parent(Pid::from_raw(pid as i32))),
            (_, Some(error)) => Err(SysError::new(call(), error)),
        }
    }

    fn exit(&self, code: i32) {
        std::process::exit(code)
    }

    fn set_parent_death_signal(&self) -> Result<(), SysError> {
        // SAFETY: an integer-only prctl; it touches no memory of ours.
        let rc = unsafe {
            libc::prctl(
                libc::PR_SET_PDEATHSIG,
                libc::SIGKILL as libc::c_ulong,
                0,
                0,
                0,
            )
        };
        if rc != 0 {
            return Err(last_os_error(Call::ParentDeathSignal));
        }
        Ok(())
    }

    fn unblock_all_signals(&self) -> Result<(), SysError> {
        SigSet::all()
            .thread_unblock()
            .map_err(nix_err(|| Call::UnblockAllSignals))
    }

    fn setsid(&self) -> Result<(), SysError> {
        nix::unistd::setsid()
            .map(|_| ())
            .map_err(nix_err(|| Call::SetSid))
    }

    fn write_file(&self, path: &Path, contents: &str) -> Result<(), SysError> {
        use std::io::Write;
        let call = || Call::WriteFile {
            path: path.to_owned(),
            contents: contents.to_owned(),
        };
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(io_err(call))?;
        // One write: procfs id maps and cgroupfs files take their value in a single call.
        file.write_all(contents.as_bytes()).map_err(io_err(call))
    }

    fn create_dir(&self, path: &Path) -> Result<(), SysError> {
        std::fs::create_dir(path).map_err(io_err(|| Call::CreateDir(path.to_owned())))
    }

    fn create_file(&self, path: &Path) -> Result<(), SysError> {
        std::fs::write(path, b"").map_err(io_err(|| Call::CreateFile(path.to_owned())))
    }

    fn make_char_device(&self, path: &Path, major: u32, minor: u32) -> Result<(), SysError> {
        use nix::sys::stat::{Mode, SFlag, makedev, mknod};
        use std::os::unix::fs::PermissionsExt;
        let call = || Call::MakeCharDevice {
            path: path.to_owned(),
            major,
            minor,
        };
        let mode = Mode::from_bits_truncate(0o666);
        let device = makedev(u64::from(major), u64::from(minor));
        mknod(path, SFlag::S_IFCHR, mode, device).map_err(nix_err(call))?;
        // mknod applied init's umask.
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o666)).map_err(io_err(call))
    }

    fn symlink(&self, target: &Path, link: &Path) -> Result<(), SysError> {
        std::os::unix::fs::symlink(target, link).map_err(io_err(|| Call::Symlink {
            target: target.to_owned(),
            link: link.to_owned(),
        }))
    }

    fn remove_dir(&self, path: &Path) -> Result<(), SysError> {
        std::fs::remove_dir(path).map_err(io_err(|| Call::RemoveDir(path.to_owned())))
    }

    fn unshare(&self, flags: CloneFlags) -> Result<(), SysError> {
        nix::sched::unshare(flags).map_err(nix_err(|| Call::Unshare(flags)))
    }

    fn sethostname(&self, name: &str) -> Result<(), SysError> {
        nix::unistd::sethostname(name).map_err(nix_err(|| Call::SetHostname(name.to_owned())))
    }

    fn mount(
        &self,
        source: Option<&Path>,
        target: &Path,
        fstype: Option<&str>,
        flags: MsFlags,
        data: Option<&str>,
    ) -> Result<(), SysError> {
        nix::mount::mount(source, target, fstype, flags, data).map_err(nix_err(|| Call::Mount {
            source: source.map(Path::to_owned),
            target: target.to_owned(),
            fstype: fstype.map(str::to_owned),
            flags,
            data: data.map(str::to_owned),
        }))
    }

    fn unmount(&self, target: &Path, flags: MntFlags) -> Result<(), SysError> {
        nix::mount::umount2(target, flags).map_err(nix_err(|| Call::Unmount {
            target: target.to_owned(),
            flags,
        }))
    }

    fn pivot_root(&self, new_root: &Path, put_old: &Path) -> Result<(), SysError> {
        nix::unistd::pivot_root(new_root, put_old).map_err(nix_err(|| Call::PivotRoot {
            new_root: new_root.to_owned(),
            put_old: put_old.to_owned(),
        }))
    }

    fn chdir(&self, path: &Path) -> Result<(), SysError> {
        nix::unistd::chdir(path).map_err(nix_err(|| Call::Chdir(path.to_owned())))
    }

    fn dup_above(&self, fd: RawFd, min: RawFd) -> Result<RawFd, SysError> {
        // SAFETY: fcntl(F_DUPFD_CLOEXEC) takes two integers and reads no memory; the copy is
        // a new descriptor nothing else refers to.
        let copy = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, min) };
        if copy < 0 {
            return Err(last_os_error(Call::DupAbove { fd, min }));
        }
        Ok(copy)
    }

    fn dup_to(&self, fd: RawFd, target: RawFd, close_on_exec: bool) -> Result<(), SysError> {
        // SAFETY: dup3/dup2 take integers only. Replacing `target` is the point: the jail's
        // fd layout (3 = RPC, 4 = program) is fixed, and nothing in this process holds
        // those numbers as owned descriptors (the program side owns no `File`s).
        let rc = unsafe {
            if close_on_exec {
                libc::dup3(fd, target, libc::O_CLOEXEC)
            } else {
                libc::dup2(fd, target)
            }
        };
        if rc < 0 {
            return Err(last_os_error(Call::DupTo {
                fd,
                target,
                close_on_exec,
            }));
        }
        Ok(())
    }

    fn close(&self, fd: RawFd) {
        // SAFETY: closes a number of the jail's fixed fd layout (see `dup_to`); EBADF for a
        // number that is not open is harmless and ignored.
        unsafe { libc::close(fd) };
    }

    fn close_from(&self, first: RawFd) -> Result<(), SysError> {
        // SAFETY: close_range on integers; it closes descriptors above the ones the program
        // keeps, and nothing in this process uses them afterwards (it execs next).
        let rc = unsafe { libc::syscall(libc::SYS_close_range, first, u32::MAX, 0) };
        if rc != 0 {
            return Err(last_os_error(Call::CloseFrom(first)));
        }
        Ok(())
    }

    fn setrlimit(&self, resource: Resource, limit: u64) -> Result<(), SysError> {
        nix::sys::resource::setrlimit(resource, limit, limit)
            .map_err(nix_err(|| Call::SetRlimit { resource, limit }))
    }

    fn setgroups(&self, groups: &[u32]) -> Result<(), SysError> {
        let gids: Vec<Gid> = groups.iter().map(|g| Gid::from_raw(*g)).collect();
        nix::unistd::setgroups(&gids).map_err(nix_err(|| Call::SetGroups(groups.to_vec())))
    }

    fn setresgid(&self, gid: u32) -> Result<(), SysError> {
        let g = Gid::from_raw(gid);
        nix::unistd::setresgid(g, g, g).map_err(nix_err(|| Call::SetResGid(gid)))
    }

    fn setresuid(&self, uid: u32) -> Result<(), SysError> {
        let u = Uid::from_raw(uid);
        nix::unistd::setresuid(u, u, u).map_err(nix_err(|| Call::SetResUid(uid)))
    }

    fn drop_bounding_set(&self) -> Result<(), SysError> {
        // A raw loop: caps::clear(Bounding) allocates per capability and stops at the
        // library's idea of the last one, the kernel's EINVAL is the real end.
        for cap in 0..=63 {
            // SAFETY: PR_CAPBSET_DROP takes an integer capability number and touches no memory.
            let rc = unsafe { libc::prctl(libc::PR_CAPBSET_DROP, cap as libc::c_ulong, 0, 0, 0) };
            if rc != 0 {
                let err = io::Error::last_os_error();
                if err.raw_os_error() == Some(libc::EINVAL) {
                    break; // past the kernel's last capability
                }
                return Err(SysError::new(Call::DropBoundingSet, err));
            }
        }
        Ok(())
    }

    fn clear_capabilities(&self, set: CapabilitySet) -> Result<(), SysError> {
        let caps_set = match set {
            CapabilitySet::Ambient => caps::CapSet::Ambient,
            CapabilitySet::Inheritable => caps::CapSet::Inheritable,
            CapabilitySet::Effective => caps::CapSet::Effective,
            CapabilitySet::Permitted => caps::CapSet::Permitted,
        };
        caps::clear(None, caps_set).map_err(|e| {
            SysError::new(
                Call::ClearCapabilities(set),
                io::Error::other(e.to_string()),
            )
        })
    }

    fn set_no_new_privs(&self) -> Result<(), SysError> {
        // SAFETY: an integer-only prctl.
        let rc = unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) };
        if rc != 0 {
            return Err(last_os_error(Call::NoNewPrivs));
        }
        Ok(())
    }

    fn landlock_restrict_self(&self, ruleset: &LandlockRuleset) -> Result<(), SysError> {
        enforce_landlock(ruleset).map_err(|message| {
            SysError::new(
                Call::LandlockRestrictSelf(ruleset.clone()),
                io::Error::other(message),
            )
        })
    }

    fn seccomp_install_listener(&self, filter: &SeccompProgram) -> Result<RawFd, SysError> {
        let prog = libc::sock_fprog {
            len: filter.program.len() as libc::c_ushort,
            // seccompiler's sock_filter is #[repr(C)] with the kernel's layout.
            filter: filter.program.as_ptr() as *mut libc::sock_filter,
        };
        // SAFETY: `prog` points at `filter.program`, which outlives the call; the kernel
        // copies the program and returns a new descriptor (or an error).
        let fd = unsafe {
            libc::syscall(
                libc::SYS_seccomp,
                libc::SECCOMP_SET_MODE_FILTER,
                libc::SECCOMP_FILTER_FLAG_NEW_LISTENER,
                &prog as *const libc::sock_fprog,
            )
        };
        if fd < 0 {
            return Err(last_os_error(Call::SeccompListener(filter.name)));
        }
        Ok(fd as RawFd)
    }

    fn socketpair(&self) -> Result<(RawFd, RawFd), SysError> {
        use nix::sys::socket::{AddressFamily, SockFlag, SockType, socketpair};
        use std::os::fd::IntoRawFd;
        let (a, b) = socketpair(
            AddressFamily::Unix,
            SockType::SeqPacket,
            None,
            SockFlag::SOCK_CLOEXEC,
        )
        .map_err(nix_err(|| Call::SocketPair))?;
        Ok((a.into_raw_fd(), b.into_raw_fd()))
    }

    fn send_fd(&self, channel: RawFd, fd: RawFd) -> Result<(), SysError> {
        use nix::sys::socket::{ControlMessage, MsgFlags, sendmsg};
        let fds = [fd];
        let byte = [0u8];
        sendmsg::<()>(
            channel,
            &[std::io::IoSlice::new(&byte)],
            &[ControlMessage::ScmRights(&fds)],
            MsgFlags::empty(),
            None,
        )
        .map(|_| ())
        .map_err(nix_err(|| Call::SendFd { channel, fd }))
    }

    fn execveat(&self, fd: RawFd, argv: &[CString], envp: &[CString]) -> Result<(), SysError> {
        let mut argv_ptrs: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
        argv_ptrs.push(std::ptr::null());
        let mut envp_ptrs: Vec<*const libc::c_char> = envp.iter().map(|e| e.as_ptr()).collect();
        envp_ptrs.push(std::ptr::null());
        // SAFETY: argv/envp are NUL-terminated arrays of pointers to CStrings that outlive
        // the call; "" with AT_EMPTY_PATH executes the file behind `fd` itself. On success
        // the call does not return.
        unsafe {
            libc::syscall(
                libc::SYS_execveat,
                fd,
                c"".as_ptr(),
                argv_ptrs.as_ptr(),
                envp_ptrs.as_ptr(),
                libc::AT_EMPTY_PATH,
            );
        }
        Err(last_os_error(Call::Execveat {
            fd,
            argv: argv
                .iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect(),
        }))
    }
}

/// `clone3` of a fork-like child born inside the cgroup v2 directory open at `dir`, in the
/// new namespaces `namespaces`: 0 in the child, its pid in the parent, -1 (errno set) on
/// failure.
fn clone3_into_cgroup(namespaces: u64, dir: RawFd) -> libc::c_long {
    /// `struct clone_args` up to `cgroup` (CLONE_ARGS_SIZE_VER2).
    #[repr(C)]
    #[derive(Default)]
    struct CloneArgs {
        flags: u64,
        pidfd: u64,
        child_tid: u64,
        parent_tid: u64,
        exit_signal: u64,
        stack: u64,
        stack_size: u64,
        tls: u64,
        set_tid: u64,
        set_tid_size: u64,
        cgroup: u64,
    }
    const CLONE_INTO_CGROUP: u64 = 0x2_0000_0000;
    let args = CloneArgs {
        flags: namespaces | CLONE_INTO_CGROUP,
        exit_signal: libc::SIGCHLD as u64,
        cgroup: dir as u64,
        ..CloneArgs::default()
    };
    // SAFETY: a fork-like clone3 (no CLONE_VM, no new stack) of a single-threaded process,
    // as in `fork`. Unlike glibc's fork it does not refresh glibc's cached thread id in the
    // child; only pthread_kill, raise and robust or PI mutexes read it, and the jail's
    // processes use none of them (std's locks are futexes; an abort's tgkill with the stale
    // id fails its thread-group check and the child then dies by its own fault). `args`
    // outlives the call, which copies it.
    unsafe {
        libc::syscall(
            libc::SYS_clone3,
            &args as *const CloneArgs,
            std::mem::size_of::<CloneArgs>(),
        )
    }
}

/// Builds and enforces a Landlock ruleset, refusing unless the kernel enforced all of it.
fn enforce_landlock(plan: &LandlockRuleset) -> Result<(), String> {
    let abi = abi_for(plan.abi);
    if abi == ABI::Unsupported {
        return Err("the kernel offers no Landlock ABI".into());
    }
    let err = |e: &dyn std::fmt::Display| e.to_string();
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
    for rule in &plan.rules {
        created = match &rule.target {
            RuleTarget::Path(path) => {
                let fd = PathFd::new(path).map_err(|e| format!("{}: {e}", path.display()))?;
                created.add_rule(PathBeneath::new(fd, rule.access))
            }
            RuleTarget::Fd(raw) => {
                // SAFETY: the descriptor is the verified program the plan keeps open for the
                // whole setup; it is only borrowed for this call.
                let fd = unsafe { BorrowedFd::borrow_raw(*raw) };
                created.add_rule(PathBeneath::new(fd, rule.access))
            }
        }
        .map_err(|e| err(&e))?;
    }
    let status = created.restrict_self().map_err(|e| err(&e))?;
    if status.ruleset != RulesetStatus::FullyEnforced {
        return Err(format!("ruleset only {:?}", status.ruleset));
    }
    Ok(())
}

/// Takes the next notification from a seccomp listener (one is pending when the listener
/// polls readable).
pub fn receive_notification(listener: RawFd) -> io::Result<Notification> {
    // SAFETY: seccomp_notif is plain integers; all zeroes is a valid value, and the kernel
    // requires the buffer zeroed.
    let mut notif: libc::seccomp_notif = unsafe { std::mem::zeroed() };
    // SAFETY: the ioctl writes one seccomp_notif into `notif`, which is large enough and
    // lives for the call.
    let rc = unsafe {
        libc::ioctl(
            listener,
            libc::SECCOMP_IOCTL_NOTIF_RECV,
            &mut notif as *mut libc::seccomp_notif,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(Notification {
        id: notif.id,
        pid: notif.pid as i32,
        nr: i64::from(notif.data.nr),
        arch: notif.data.arch,
        args: notif.data.args,
    })
}

/// Answers notification `id` on a seccomp listener.
pub fn answer(listener: RawFd, id: u64, verdict: Verdict) -> io::Result<()> {
    let (error, flags) = match verdict {
        Verdict::Continue => (0, libc::SECCOMP_USER_NOTIF_FLAG_CONTINUE as u32),
        Verdict::Deny(errno) => (-errno, 0),
    };
    let mut response = libc::seccomp_notif_resp {
        id,
        val: 0,
        error,
        flags,
    };
    // SAFETY: the ioctl reads one seccomp_notif_resp from `response`, which lives for the
    // call.
    let rc = unsafe {
        libc::ioctl(
            listener,
            libc::SECCOMP_IOCTL_NOTIF_SEND,
            &mut response as *mut libc::seccomp_notif_resp,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Asks the kernel to pass notifications of `listener` to init, and init's answers back,
/// on the CPU of the task that wakes the other (`SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP`,
/// Linux 6.6). Each side blocks right after waking the other, so the woken one runs at once
/// there instead of waiting to be scheduled on another CPU: the exec's round trip to init
/// becomes a hand-off. Only scheduling changes; `false` where the kernel lacks it (the
/// listener then works as before).
pub fn wake_on_same_cpu(listener: RawFd) -> bool {
    const SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP: u64 = 1;
    // SAFETY: the ioctl reads one u64 of flags (passed by value, as the kernel's
    // SECCOMP_IOCTL_NOTIF_SET_FLAGS takes them) and writes no memory.
    let rc = unsafe {
        libc::ioctl(
            listener,
            libc::SECCOMP_IOCTL_NOTIF_SET_FLAGS,
            SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP,
        )
    };
    rc == 0
}

/// Receives one descriptor sent with [`Syscalls::send_fd`] on `channel`. `Ok(None)` when the
/// other end closed without sending one.
pub fn receive_fd(channel: RawFd) -> io::Result<Option<RawFd>> {
    use nix::sys::socket::{ControlMessageOwned, MsgFlags, recvmsg};
    let mut byte = [0u8; 1];
    let mut iov = [std::io::IoSliceMut::new(&mut byte)];
    let mut space = nix::cmsg_space!(RawFd);
    let msg = recvmsg::<()>(
        channel,
        &mut iov,
        Some(&mut space),
        MsgFlags::MSG_CMSG_CLOEXEC,
    )
    .map_err(io::Error::from)?;
    for cmsg in msg.cmsgs().map_err(io::Error::from)? {
        if let ControlMessageOwned::ScmRights(fds) = cmsg
            && let Some(fd) = fds.first()
        {
            return Ok(Some(*fd));
        }
    }
    Ok(None)
}

/// Closes a descriptor init received or was handed (a listener, a channel).
pub fn close(fd: RawFd) {
    // SAFETY: `fd` is a descriptor init owns and no longer uses.
    unsafe { libc::close(fd) };
}

/// What `poll` said of one descriptor.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ready {
    /// Data (or a notification) is waiting.
    pub readable: bool,
    /// The other side is gone.
    pub hung_up: bool,
}

/// What `poll` says of each of `fds` (`None` entries are not waited for); blocks until one
/// is readable or hung up.
pub fn wait_ready<const N: usize>(fds: [Option<RawFd>; N]) -> io::Result<[Ready; N]> {
    let mut polled = fds.map(|fd| libc::pollfd {
        fd: fd.unwrap_or(-1), // a negative fd is ignored by poll
        events: libc::POLLIN,
        revents: 0,
    });
    // SAFETY: `polled` is an array of N valid pollfd structures that lives for the call.
    let rc = unsafe { libc::poll(polled.as_mut_ptr(), N as libc::nfds_t, -1) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(polled.map(|p| Ready {
        readable: p.revents & libc::POLLIN != 0,
        hung_up: p.revents & (libc::POLLHUP | libc::POLLERR) != 0,
    }))
}

/// The pipe init reports a seccomp violation on: (read end for the outer process, write end
/// for init), both close-on-exec.
pub fn report_pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC | nix::fcntl::OFlag::O_NONBLOCK)
        .map_err(io::Error::from)
}

/// Writes `text` to the report pipe's write end (init).
pub fn write_report(fd: RawFd, text: &str) {
    // SAFETY: writes from a live buffer of the given length; a short or failed write only
    // loses the syscall's name in the report.
    unsafe { libc::write(fd, text.as_ptr().cast(), text.len()) };
}

/// The Landlock ABI version the kernel offers (0 when Landlock is absent or disabled).
pub fn landlock_abi() -> i32 {
    // SAFETY: landlock_create_ruleset with a null attribute, size 0 and the VERSION flag
    // only returns the ABI version (or an error); it reads and writes no memory.
    let version = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<libc::c_void>(),
            0usize,
            1u32, // LANDLOCK_CREATE_RULESET_VERSION
        )
    };
    i32::try_from(version).unwrap_or(0).max(0)
}

/// Takes a descriptor this process inherited from its parent by number (the verified
/// program, the spec pipe): returns a close-on-exec copy this process owns, and marks the
/// original close-on-exec so it never reaches the jailed program.
pub fn adopt_inherited_fd(fd: RawFd) -> io::Result<OwnedFd> {
    // SAFETY: fcntl(F_DUPFD_CLOEXEC) takes integers and reads no memory; a number that is
    // not open fails with EBADF.
    let copy = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) };
    if copy < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `copy` was just created by the kernel; nothing else refers to it.
    let owned = unsafe { OwnedFd::from_raw_fd(copy) };
    // SAFETY: F_SETFD on an integer changes only the close-on-exec flag of the original.
    if unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(owned)
}

/// Waits for `child` to end, killing it when `deadline` passes. Returns its status and
/// whether the deadline killed it.
pub fn wait_with_deadline(child: Pid, deadline: Option<Instant>) -> (WaitStatus, bool) {
    // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor or an error.
    let raw = unsafe { libc::syscall(libc::SYS_pidfd_open, child.as_raw(), 0) } as RawFd;
    let pidfd = if raw >= 0 {
        // SAFETY: a non-negative result is a new descriptor nothing else refers to.
        Some(unsafe { OwnedFd::from_raw_fd(raw) })
    } else {
        None
    };
    let mut timed_out = false;
    loop {
        if let Ok(status) = waitpid(child, Some(WaitPidFlag::WNOHANG))
            && status != WaitStatus::StillAlive
        {
            return (status, timed_out);
        }
        let remaining = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        if remaining == Some(Duration::ZERO) && !timed_out {
            timed_out = true;
            let _ = nix::sys::signal::kill(child, Signal::SIGKILL);
            continue;
        }
        let timeout_ms = remaining
            .map(|r| r.as_millis().min(i32::MAX as u128) as i32)
            .unwrap_or(-1);
        match &pidfd {
            Some(pidfd) => {
                use std::os::fd::AsRawFd;
                let mut pfd = libc::pollfd {
                    fd: pidfd.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                };
                // SAFETY: one valid pollfd that lives for the duration of the call.
                unsafe { libc::poll(&mut pfd, 1, if timed_out { 50 } else { timeout_ms }) };
            }
            None => std::thread::sleep(Duration::from_millis(2)),
        }
    }
}

/// Whether the kernel has seccomp: `PR_GET_SECCOMP` answers EINVAL on one built without it.
pub fn seccomp_supported() -> bool {
    // SAFETY: PR_GET_SECCOMP takes no pointer; it returns the caller's mode or an error.
    let mode = unsafe { libc::prctl(libc::PR_GET_SECCOMP, 0, 0, 0, 0) };
    mode >= 0
}
