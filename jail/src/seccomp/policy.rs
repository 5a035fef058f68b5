//! The seccomp policy as data: which syscalls a jailed plugin may make, with argument
//! rules, and the notable ones it may not. Tests are generated from these tables.

/// How an allowed syscall's arguments are constrained.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgRule {
    /// Any arguments.
    Any,
    /// `clone`: no namespace-creating flag in arg 0.
    CloneWithoutNamespaces,
    /// `ioctl`: arg 1 is neither `TIOCSTI` nor `TIOCLINUX`.
    IoctlWithoutTerminalInjection,
    /// `socket`/`socketpair`: arg 0 is `AF_UNIX` (others fail with `EAFNOSUPPORT`).
    UnixFamilyOnly,
    /// `clone3`: its flags live in memory seccomp cannot read, so it fails with `ENOSYS`
    /// and libc falls back to `clone`, which is checked.
    FailsWithEnosys,
    /// `execve`/`execveat`: asked of the jail's init, which lets only the launch of the
    /// verified binary through and refuses every later exec with `EPERM`.
    OnlyTheLaunch,
}

/// One allowed syscall.
#[derive(Clone, Copy, Debug)]
pub struct AllowedSyscall {
    /// Its name.
    pub name: &'static str,
    /// Its x86_64 number.
    pub nr: i64,
    /// Its argument rule.
    pub rule: ArgRule,
}

/// One syscall refused by the allowlist that tests check by name.
#[derive(Clone, Copy, Debug)]
pub struct DeniedSyscall {
    /// Its name.
    pub name: &'static str,
    /// Its x86_64 number.
    pub nr: i64,
    /// Why it is refused.
    pub why: &'static str,
}

macro_rules! allow {
    ($($name:ident $(: $rule:ident)?),* $(,)?) => {
        &[$(AllowedSyscall { name: stringify!($name), nr: paste_nr!($name), rule: allow!(@rule $($rule)?) }),*]
    };
    (@rule) => { ArgRule::Any };
    (@rule $rule:ident) => { ArgRule::$rule };
}

macro_rules! paste_nr {
    ($name:ident) => {
        nr::$name
    };
}

/// x86_64 syscall numbers used by the policy.
#[allow(non_upper_case_globals)]
mod nr {
    macro_rules! nrs { ($($name:ident),* $(,)?) => { $(pub const $name: i64 = libc_nr::$name;)* }; }
    mod libc_nr {
        pub use libc::{
            SYS_accept as accept, SYS_accept4 as accept4, SYS_access as access, SYS_acct as acct,
            SYS_add_key as add_key, SYS_arch_prctl as arch_prctl, SYS_bind as bind, SYS_bpf as bpf,
            SYS_brk as brk, SYS_chdir as chdir, SYS_chmod as chmod, SYS_chroot as chroot,
            SYS_clock_getres as clock_getres, SYS_clock_gettime as clock_gettime,
            SYS_clock_nanosleep as clock_nanosleep, SYS_clock_settime as clock_settime,
            SYS_clone as clone, SYS_clone3 as clone3, SYS_close as close,
            SYS_close_range as close_range, SYS_connect as connect,
            SYS_copy_file_range as copy_file_range, SYS_delete_module as delete_module,
            SYS_dup as dup, SYS_dup2 as dup2, SYS_dup3 as dup3, SYS_epoll_create1 as epoll_create1,
            SYS_epoll_ctl as epoll_ctl, SYS_epoll_pwait as epoll_pwait,
            SYS_epoll_pwait2 as epoll_pwait2, SYS_epoll_wait as epoll_wait,
            SYS_eventfd2 as eventfd2, SYS_execve as execve, SYS_execveat as execveat,
            SYS_exit as exit, SYS_exit_group as exit_group, SYS_faccessat as faccessat,
            SYS_faccessat2 as faccessat2, SYS_fadvise64 as fadvise64, SYS_fallocate as fallocate,
            SYS_fanotify_init as fanotify_init, SYS_fchdir as fchdir, SYS_fchmod as fchmod,
            SYS_fchmodat as fchmodat, SYS_fcntl as fcntl, SYS_fdatasync as fdatasync,
            SYS_finit_module as finit_module, SYS_flock as flock, SYS_fsmount as fsmount,
            SYS_fsopen as fsopen, SYS_fstat as fstat, SYS_fstatfs as fstatfs, SYS_fsync as fsync,
            SYS_ftruncate as ftruncate, SYS_futex as futex, SYS_get_robust_list as get_robust_list,
            SYS_getcwd as getcwd, SYS_getdents64 as getdents64, SYS_getegid as getegid,
            SYS_geteuid as geteuid, SYS_getgid as getgid, SYS_getgroups as getgroups,
            SYS_getpeername as getpeername, SYS_getpgid as getpgid, SYS_getpgrp as getpgrp,
            SYS_getpid as getpid, SYS_getppid as getppid, SYS_getpriority as getpriority,
            SYS_getrandom as getrandom, SYS_getresgid as getresgid, SYS_getresuid as getresuid,
            SYS_getrlimit as getrlimit, SYS_getrusage as getrusage, SYS_getsid as getsid,
            SYS_getsockname as getsockname, SYS_getsockopt as getsockopt, SYS_gettid as gettid,
            SYS_gettimeofday as gettimeofday, SYS_getuid as getuid, SYS_init_module as init_module,
            SYS_io_uring_enter as io_uring_enter, SYS_io_uring_register as io_uring_register,
            SYS_io_uring_setup as io_uring_setup, SYS_ioctl as ioctl, SYS_ioperm as ioperm,
            SYS_iopl as iopl, SYS_kcmp as kcmp, SYS_kexec_file_load as kexec_file_load,
            SYS_kexec_load as kexec_load, SYS_keyctl as keyctl, SYS_kill as kill, SYS_link as link,
            SYS_linkat as linkat, SYS_listen as listen, SYS_lookup_dcookie as lookup_dcookie,
            SYS_lseek as lseek, SYS_lstat as lstat, SYS_madvise as madvise,
            SYS_memfd_create as memfd_create, SYS_mkdir as mkdir, SYS_mkdirat as mkdirat,
            SYS_mknod as mknod, SYS_mknodat as mknodat, SYS_mmap as mmap, SYS_mount as mount,
            SYS_move_mount as move_mount, SYS_mprotect as mprotect, SYS_mremap as mremap,
            SYS_munmap as munmap, SYS_name_to_handle_at as name_to_handle_at,
            SYS_nanosleep as nanosleep, SYS_newfstatat as newfstatat, SYS_open as open,
            SYS_open_by_handle_at as open_by_handle_at, SYS_open_tree as open_tree,
            SYS_openat as openat, SYS_perf_event_open as perf_event_open,
            SYS_personality as personality, SYS_pidfd_getfd as pidfd_getfd, SYS_pipe as pipe,
            SYS_pipe2 as pipe2, SYS_pivot_root as pivot_root, SYS_poll as poll, SYS_ppoll as ppoll,
            SYS_prctl as prctl, SYS_pread64 as pread64, SYS_preadv as preadv,
            SYS_prlimit64 as prlimit64, SYS_process_vm_readv as process_vm_readv,
            SYS_process_vm_writev as process_vm_writev, SYS_pselect6 as pselect6,
            SYS_ptrace as ptrace, SYS_pwrite64 as pwrite64, SYS_pwritev as pwritev,
            SYS_quotactl as quotactl, SYS_read as read, SYS_readlink as readlink,
            SYS_readlinkat as readlinkat, SYS_readv as readv, SYS_reboot as reboot,
            SYS_recvfrom as recvfrom, SYS_recvmmsg as recvmmsg, SYS_recvmsg as recvmsg,
            SYS_rename as rename, SYS_renameat as renameat, SYS_renameat2 as renameat2,
            SYS_request_key as request_key, SYS_rmdir as rmdir, SYS_rseq as rseq,
            SYS_rt_sigaction as rt_sigaction, SYS_rt_sigprocmask as rt_sigprocmask,
            SYS_rt_sigreturn as rt_sigreturn, SYS_rt_sigtimedwait as rt_sigtimedwait,
            SYS_sched_getaffinity as sched_getaffinity, SYS_sched_yield as sched_yield,
            SYS_select as select, SYS_sendfile as sendfile, SYS_sendmmsg as sendmmsg,
            SYS_sendmsg as sendmsg, SYS_sendto as sendto, SYS_set_robust_list as set_robust_list,
            SYS_set_tid_address as set_tid_address, SYS_setdomainname as setdomainname,
            SYS_setgid as setgid, SYS_sethostname as sethostname, SYS_setns as setns,
            SYS_setsid as setsid, SYS_setsockopt as setsockopt, SYS_settimeofday as settimeofday,
            SYS_setuid as setuid, SYS_shutdown as shutdown, SYS_sigaltstack as sigaltstack,
            SYS_signalfd4 as signalfd4, SYS_socket as socket, SYS_socketpair as socketpair,
            SYS_stat as stat, SYS_statfs as statfs, SYS_statx as statx, SYS_swapoff as swapoff,
            SYS_swapon as swapon, SYS_symlink as symlink, SYS_symlinkat as symlinkat,
            SYS_sysinfo as sysinfo, SYS_syslog as syslog, SYS_tgkill as tgkill,
            SYS_timerfd_create as timerfd_create, SYS_timerfd_gettime as timerfd_gettime,
            SYS_timerfd_settime as timerfd_settime, SYS_times as times, SYS_tkill as tkill,
            SYS_umask as umask, SYS_umount2 as umount2, SYS_uname as uname, SYS_unlink as unlink,
            SYS_unlinkat as unlinkat, SYS_unshare as unshare, SYS_userfaultfd as userfaultfd,
            SYS_utimensat as utimensat, SYS_vfork as vfork, SYS_vhangup as vhangup,
            SYS_wait4 as wait4, SYS_waitid as waitid, SYS_write as write, SYS_writev as writev,
        };
    }
    nrs!(
        accept,
        accept4,
        access,
        acct,
        add_key,
        arch_prctl,
        bind,
        bpf,
        brk,
        chdir,
        chmod,
        chroot,
        clock_getres,
        clock_gettime,
        clock_nanosleep,
        clone,
        clone3,
        close,
        close_range,
        connect,
        delete_module,
        dup,
        dup2,
        dup3,
        epoll_create1,
        epoll_ctl,
        epoll_pwait,
        epoll_pwait2,
        epoll_wait,
        eventfd2,
        execve,
        execveat,
        exit,
        exit_group,
        faccessat,
        faccessat2,
        fadvise64,
        fallocate,
        fanotify_init,
        fchdir,
        fchmod,
        fchmodat,
        fcntl,
        fdatasync,
        finit_module,
        flock,
        fstat,
        fstatfs,
        fsync,
        ftruncate,
        futex,
        get_robust_list,
        getcwd,
        getdents64,
        getegid,
        geteuid,
        getgid,
        getgroups,
        getpeername,
        getpgid,
        getpgrp,
        getpid,
        getppid,
        getpriority,
        getrandom,
        getresgid,
        getresuid,
        getrlimit,
        getrusage,
        getsid,
        getsockname,
        getsockopt,
        gettid,
        gettimeofday,
        getuid,
        init_module,
        io_uring_enter,
        io_uring_register,
        io_uring_setup,
        ioctl,
        ioperm,
        iopl,
        kcmp,
        kexec_file_load,
        kexec_load,
        keyctl,
        kill,
        link,
        linkat,
        listen,
        lseek,
        lstat,
        madvise,
        memfd_create,
        mkdir,
        mkdirat,
        mknod,
        mknodat,
        mmap,
        mount,
        mprotect,
        mremap,
        munmap,
        name_to_handle_at,
        nanosleep,
        newfstatat,
        open,
        open_by_handle_at,
        openat,
        perf_event_open,
        personality,
        pipe,
        pipe2,
        pivot_root,
        poll,
        ppoll,
        prctl,
        pread64,
        preadv,
        prlimit64,
        process_vm_readv,
        process_vm_writev,
        pselect6,
        ptrace,
        pwrite64,
        pwritev,
        read,
        readlink,
        readlinkat,
        readv,
        reboot,
        recvfrom,
        recvmmsg,
        recvmsg,
        rename,
        renameat,
        renameat2,
        request_key,
        rmdir,
        rseq,
        rt_sigaction,
        rt_sigprocmask,
        rt_sigreturn,
        rt_sigtimedwait,
        sched_getaffinity,
        sched_yield,
        select,
        sendmmsg,
        sendmsg,
        sendto,
        sendfile,
        copy_file_range,
        set_robust_list,
        set_tid_address,
        setdomainname,
        sethostname,
        setns,
        setsid,
        setsockopt,
        setuid,
        setgid,
        shutdown,
        sigaltstack,
        signalfd4,
        socket,
        socketpair,
        stat,
        statfs,
        statx,
        swapoff,
        swapon,
        symlink,
        symlinkat,
        sysinfo,
        syslog,
        tgkill,
        timerfd_create,
        timerfd_gettime,
        timerfd_settime,
        times,
        tkill,
        umask,
        umount2,
        uname,
        unlink,
        unlinkat,
        unshare,
        userfaultfd,
        utimensat,
        vfork,
        wait4,
        waitid,
        write,
        writev,
        quotactl,
        lookup_dcookie,
        vhangup,
        settimeofday,
        clock_settime,
        fsopen,
        fsmount,
        move_mount,
        open_tree,
        pidfd_getfd,
    );
}

/// What a jailed plugin may call. Enough for a normal Rust/tokio program: memory, threads,
/// files under its binds and /tmp, Unix sockets, timers, epoll, signals within the jail.
pub fn allowlist() -> &'static [AllowedSyscall] {
    allow![
        read, write, readv, writev, pread64, pwrite64, preadv, pwritev, lseek, close, close_range,
        open, openat, stat, fstat, lstat, newfstatat, statx, statfs, fstatfs, access, faccessat,
        faccessat2, readlink, readlinkat, getdents64, getcwd, chdir, fchdir, mkdir, mkdirat, rmdir,
        unlink, unlinkat, rename, renameat, renameat2, link, linkat, symlink, symlinkat, chmod,
        fchmod, fchmodat, umask, utimensat, ftruncate, fallocate, fadvise64, fsync, fdatasync,
        flock, fcntl, dup, dup2, dup3, pipe, pipe2, sendfile, copy_file_range,
        ioctl: IoctlWithoutTerminalInjection,
        mmap, mprotect, munmap, mremap, madvise, brk,
        rt_sigaction, rt_sigprocmask, rt_sigreturn, rt_sigtimedwait, sigaltstack, signalfd4,
        kill, tgkill, tkill,
        clone: CloneWithoutNamespaces, clone3: FailsWithEnosys, vfork, execve: OnlyTheLaunch,
        execveat: OnlyTheLaunch, exit,
        exit_group, wait4, waitid, set_tid_address, set_robust_list, get_robust_list, rseq,
        futex, arch_prctl, prctl, sched_yield, sched_getaffinity,
        getpid, gettid, getppid, getpgid, getpgrp, getsid, setsid, getuid, geteuid, getgid,
        getegid, getgroups, getresuid, getresgid, getrlimit, prlimit64, getrusage, getpriority,
        sysinfo, times, uname,
        nanosleep, clock_nanosleep, clock_gettime, clock_getres, gettimeofday,
        poll, ppoll, select, pselect6, epoll_create1, epoll_ctl, epoll_wait, epoll_pwait,
        epoll_pwait2, eventfd2, timerfd_create, timerfd_settime, timerfd_gettime, getrandom,
        socket: UnixFamilyOnly, socketpair: UnixFamilyOnly, bind, listen, connect, accept,
        accept4, sendto, recvfrom, sendmsg, recvmsg, sendmmsg, recvmmsg, shutdown, getsockname,
        getpeername, setsockopt, getsockopt,
    ]
}

/// Refused syscalls the tests name one by one (every syscall not allowed is refused).
pub fn notable_denied() -> &'static [DeniedSyscall] {
    macro_rules! deny { ($($name:ident: $why:literal),* $(,)?) => {
        &[$(DeniedSyscall { name: stringify!($name), nr: nr::$name, why: $why }),*]
    }; }
    deny![
        ptrace: "inspects and controls other processes",
        process_vm_readv: "reads another process's memory",
        process_vm_writev: "writes another process's memory",
        kcmp: "compares kernel objects of other processes",
        pidfd_getfd: "steals file descriptors",
        bpf: "kernel attack surface; loads programs into the kernel",
        perf_event_open: "kernel attack surface and side channels",
        userfaultfd: "turns kernel races into reliable exploits",
        io_uring_setup: "large kernel attack surface that bypasses seccomp for its operations",
        io_uring_enter: "io_uring",
        io_uring_register: "io_uring",
        keyctl: "kernel keyrings are not namespaced",
        add_key: "kernel keyrings",
        request_key: "kernel keyrings",
        init_module: "loads kernel code",
        finit_module: "loads kernel code",
        delete_module: "unloads kernel code",
        kexec_load: "replaces the kernel",
        kexec_file_load: "replaces the kernel",
        mount: "changes the filesystem view",
        umount2: "uncovers what the jail hides",
        pivot_root: "changes the root",
        chroot: "classic chroot escapes",
        fsopen: "new mount API",
        fsmount: "new mount API",
        move_mount: "new mount API",
        open_tree: "new mount API",
        unshare: "new namespaces (user namespaces re-grant capabilities)",
        setns: "joins other namespaces",
        open_by_handle_at: "opens files by handle, around the mount tree (shocker)",
        name_to_handle_at: "file handles",
        mknod: "creates device nodes",
        mknodat: "creates device nodes",
        memfd_create: "anonymous executable files outside Landlock's reach",
        swapon: "system administration",
        swapoff: "system administration",
        reboot: "system administration",
        sethostname: "system administration",
        setdomainname: "system administration",
        settimeofday: "changes the clock",
        clock_settime: "changes the clock",
        syslog: "reads the kernel log",
        acct: "process accounting",
        quotactl: "filesystem quotas",
        iopl: "raw I/O ports",
        ioperm: "raw I/O ports",
        personality: "disables ASLR and changes ABI behaviour",
        fanotify_init: "watches the filesystem",
        lookup_dcookie: "kernel internals",
        vhangup: "terminal control",
        setuid: "identity changes (the jail already set the ids)",
        setgid: "identity changes",
    ]
}

/// The name of syscall `nr`, if the policy tables know it.
pub fn syscall_name(nr: i64) -> Option<&'static str> {
    allowlist()
        .iter()
        .map(|s| (s.name, s.nr))
        .chain(notable_denied().iter().map(|s| (s.name, s.nr)))
        .find(|(_, n)| *n == nr)
        .map(|(name, _)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_syscall_is_both_allowed_and_denied() {
        for denied in notable_denied() {
            assert!(
                !allowlist().iter().any(|a| a.nr == denied.nr),
                "{} is on both lists",
                denied.name
            );
        }
    }

    #[test]
    fn allowlist_has_no_duplicates() {
        let mut nrs: Vec<i64> = allowlist().iter().map(|s| s.nr).collect();
        nrs.sort_unstable();
        let before = nrs.len();
        nrs.dedup();
        assert_eq!(before, nrs.len());
    }

    #[test]
    fn names_resolve_from_numbers() {
        assert_eq!(syscall_name(libc::SYS_ptrace), Some("ptrace"));
        assert_eq!(syscall_name(libc::SYS_read), Some("read"));
    }
}
