//! Running a program in the jail: the outer process (cgroup owner, timer, reporter), a shim
//! that enters the namespaces, the jail's init (pid 1) and the program itself.
//!
//! ```text
//! faxbot-jail (outer, host namespaces, outside the cgroup)
//!   └─ shim: joins the cgroup, unshares mnt/pid/net/ipc/uts/cgroup
//!        └─ init (pid 1): builds the root, pivot_root, forwards signals, reaps
//!             └─ program: rlimits, fds, ids, capabilities, Landlock, seccomp, execveat
//! ```
#![allow(unsafe_code)]

use super::check::SupportReport;
use super::report::{Ending, KmsgCursor, seccomp_syscall_from_kmsg};
use super::rootfs::{self, RootPlan};
use super::seccomp;
use super::spec::{JailSpec, Layer, Program};
use super::{identity, landlock_rules};
use faxbot_cgroup::{CGROUP_MOUNT, Cgroup, CgroupError, Hierarchy, Limits};
use nix::sched::CloneFlags;
use nix::sys::signal::{SigSet, Signal};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid};
use std::ffi::CString;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The jail could not be set up (exit status 125).
#[derive(Debug, thiserror::Error)]
pub enum JailError {
    /// The spec is inconsistent.
    #[error("spec: {0}")]
    Spec(#[from] super::spec::SpecError),
    /// A required layer is missing on this host.
    #[error(
        "{layer}: not available on this host ({detail}); refusing to run without it (see --allow-missing)"
    )]
    Missing {
        /// The layer.
        layer: Layer,
        /// What the check found.
        detail: String,
    },
    /// A layer's setup failed.
    #[error("{layer}: {message}")]
    Setup {
        /// The layer.
        layer: Layer,
        /// What failed.
        message: String,
    },
}

fn setup(layer: Layer) -> impl FnOnce(String) -> JailError {
    move |message| JailError::Setup { layer, message }
}

/// Decides which layers run, given the host's support: a missing layer is an error unless
/// allowed; both lowered minimums and disabled layers are announced on stderr.
pub fn plan_layers(spec: &JailSpec, support: &SupportReport) -> Result<Vec<Layer>, JailError> {
    let mut active = Vec::new();
    for layer in Layer::ALL {
        if !spec.enabled(layer) {
            eprintln!(
                "faxbot-jail: WARNING: layer {layer} disabled on request (testing only; the jail is weaker)"
            );
            continue;
        }
        if support.available(layer) {
            active.push(layer);
        } else if spec.allow_missing.contains(&layer) {
            eprintln!(
                "faxbot-jail: warning: layer {layer} unavailable here ({}); running without it as --allow-missing asked",
                support.detail(layer)
            );
        } else {
            return Err(JailError::Missing {
                layer,
                detail: support.detail(layer).to_owned(),
            });
        }
    }
    Ok(active)
}

/// Runs `spec` to completion and says how it ended.
pub fn run(spec: &JailSpec, support: &SupportReport) -> Result<Ending, JailError> {
    spec.validate()?;
    let layers = plan_layers(spec, support)?;
    let on = |l: Layer| layers.contains(&l);
    let unprivileged = !nix::unistd::geteuid().is_root();
    if unprivileged && (on(Layer::Rootfs) || on(Layer::Identity)) && !on(Layer::Namespaces) {
        return Err(setup(Layer::Namespaces)(
            "without root, the rootfs and identity layers need the namespaces layer (a user namespace)".into(),
        ));
    }
    identity::die_with_parent().map_err(|e| setup(Layer::Identity)(e.to_string()))?;

    let program = open_program(spec)?;
    let libraries = program_fd(&program)
        .try_clone_to_owned()
        .map(|fd| super::elf::library_closure(&std::fs::File::from(fd)))
        .unwrap_or_default();
    let cgroup = if on(Layer::Cgroup) {
        let hierarchy = Hierarchy::detect(Path::new(CGROUP_MOUNT))
            .map_err(|e| setup(Layer::Cgroup)(e.to_string()))?;
        hierarchy.sweep_leftovers();
        let name = format!("jail-{}-{}", std::process::id(), nanos());
        let limits = Limits {
            memory_bytes: spec.memory_bytes,
            pids: spec.pids,
            cpu_cores: spec.cpu_cores,
        };
        Some(
            hierarchy
                .create(&name, &limits)
                .map_err(|e: CgroupError| setup(Layer::Cgroup)(e.to_string()))?,
        )
    } else {
        None
    };
    let seccomp_policy = if on(Layer::Seccomp) {
        Some(seccomp::compile_policy().map_err(|e| setup(Layer::Seccomp)(e.to_string()))?)
    } else {
        None
    };
    let kmsg = KmsgCursor::open();
    let started = Instant::now();

    // SAFETY: faxbot-jail is single-threaded, so the child may allocate and run arbitrary
    // code after fork.
    let shim = match unsafe { nix::unistd::fork() } {
        Err(e) => return Err(setup(Layer::Namespaces)(format!("fork: {e}"))),
        Ok(ForkResult::Child) => {
            let code = match shim_main(
                spec,
                &layers,
                cgroup.as_ref(),
                &program,
                &libraries,
                seccomp_policy.as_ref(),
                unprivileged,
            ) {
                Ok(code) => code,
                Err(e) => {
                    eprintln!("faxbot-jail: {e}");
                    125
                }
            };
            std::process::exit(code);
        }
        Ok(ForkResult::Parent { child }) => child,
    };
    drop(program);

    let deadline =
        (spec.timeout_secs > 0).then(|| started + Duration::from_secs(spec.timeout_secs));
    let (status, timed_out) = wait_with_deadline(shim, deadline);
    let events = cgroup.as_ref().map(Cgroup::events).unwrap_or_default();
    if let Some(cgroup) = cgroup
        && let Err(e) = cgroup.remove()
    {
        eprintln!("faxbot-jail: warning: cgroup not removed: {e}");
    }
    let ending = Ending::from_status(status, timed_out, spec, &events, || {
        kmsg.as_ref()
            .and_then(|k| seccomp_syscall_from_kmsg(k, &spec.argv[0]))
    });
    Ok(ending)
}

enum OpenProgram {
    Inherited(RawFd),
    Opened(OwnedFd),
}

fn program_fd(p: &OpenProgram) -> BorrowedFd<'_> {
    match p {
        // SAFETY: the fd was handed to us by the supervisor and stays open for our lifetime.
        OpenProgram::Inherited(fd) => unsafe { BorrowedFd::borrow_raw(*fd) },
        OpenProgram::Opened(fd) => {
            use std::os::fd::AsFd;
            fd.as_fd()
        }
    }
}

fn open_program(spec: &JailSpec) -> Result<OpenProgram, JailError> {
    match &spec.program {
        Program::Fd(fd) => Ok(OpenProgram::Inherited(*fd)),
        Program::Path(path) => {
            let file = std::fs::File::open(path).map_err(|e| {
                setup(Layer::Rootfs)(format!("open program {}: {e}", path.display()))
            })?;
            Ok(OpenProgram::Opened(file.into()))
        }
    }
}

fn nanos() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

fn wait_with_deadline(child: Pid, deadline: Option<Instant>) -> (WaitStatus, bool) {
    // SAFETY: pidfd_open takes a pid and flags and returns a new fd or an error.
    let pidfd = unsafe { libc::syscall(libc::SYS_pidfd_open, child.as_raw(), 0) } as RawFd;
    let mut timed_out = false;
    loop {
        if let Ok(status) = waitpid(child, Some(WaitPidFlag::WNOHANG))
            && status != WaitStatus::StillAlive
        {
            if pidfd >= 0 {
                // SAFETY: closing the pidfd we opened.
                unsafe { libc::close(pidfd) };
            }
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
        if pidfd >= 0 {
            let mut pfd = libc::pollfd {
                fd: pidfd,
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd for the duration of the call.
            unsafe { libc::poll(&mut pfd, 1, if timed_out { 50 } else { timeout_ms }) };
        } else {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

fn shim_main(
    spec: &JailSpec,
    layers: &[Layer],
    cgroup: Option<&Cgroup>,
    program: &OpenProgram,
    libraries: &[PathBuf],
    policy: Option<&seccomp::CompiledPolicy>,
    unprivileged: bool,
) -> Result<i32, JailError> {
    let on = |l: Layer| layers.contains(&l);
    identity::die_with_parent().map_err(|e| setup(Layer::Identity)(e.to_string()))?;
    let (outer_uid, outer_gid) = (
        nix::unistd::geteuid().as_raw(),
        nix::unistd::getegid().as_raw(),
    );
    if let Some(cgroup) = cgroup {
        cgroup
            .join_self()
            .map_err(|e| setup(Layer::Cgroup)(e.to_string()))?;
    }
    let mut flags = CloneFlags::empty();
    if on(Layer::Rootfs) {
        flags |= CloneFlags::CLONE_NEWNS;
    }
    if on(Layer::Namespaces) {
        flags |= CloneFlags::CLONE_NEWNS
            | CloneFlags::CLONE_NEWPID
            | CloneFlags::CLONE_NEWNET
            | CloneFlags::CLONE_NEWIPC
            | CloneFlags::CLONE_NEWUTS
            | CloneFlags::CLONE_NEWCGROUP;
    }
    if unprivileged && on(Layer::Namespaces) {
        flags |= CloneFlags::CLONE_NEWUSER;
    }
    nix::sched::unshare(flags).map_err(|e| setup(Layer::Namespaces)(format!("unshare: {e}")))?;
    if flags.contains(CloneFlags::CLONE_NEWUSER) {
        // Map exactly one id: the jail's uid/gid inside is the developer's outside. The
        // creator keeps a full capability set inside the namespace for the setup steps.
        let write = |file: &str, text: String| {
            std::fs::write(format!("/proc/self/{file}"), text)
                .map_err(|e| setup(Layer::Namespaces)(format!("write /proc/self/{file}: {e}")))
        };
        write("setgroups", "deny".into())?;
        write("uid_map", format!("{} {outer_uid} 1\n", spec.uid))?;
        write("gid_map", format!("{} {outer_gid} 1\n", spec.gid))?;
    }
    // Signals meant for the jail are blocked here and forwarded by init.
    let forwarded = forwarded_signals();
    forwarded
        .thread_block()
        .map_err(|e| setup(Layer::Namespaces)(format!("sigprocmask: {e}")))?;

    // SAFETY: still single-threaded.
    match unsafe { nix::unistd::fork() } {
        Err(e) => Err(setup(Layer::Namespaces)(format!("fork init: {e}"))),
        Ok(ForkResult::Child) => {
            let code = match init_main(spec, layers, program, libraries, policy) {
                Ok(code) => code,
                Err(e) => {
                    eprintln!("faxbot-jail: {e}");
                    125
                }
            };
            std::process::exit(code)
        }
        Ok(ForkResult::Parent { child }) => loop {
            match waitpid(child, None) {
                Ok(WaitStatus::Exited(_, code)) => return Ok(code),
                Ok(WaitStatus::Signaled(_, sig, _)) => return Ok(128 + sig as i32),
                Ok(_) => continue,
                Err(nix::Error::EINTR) => continue,
                Err(e) => return Err(setup(Layer::Namespaces)(format!("wait init: {e}"))),
            }
        },
    }
}

fn forwarded_signals() -> SigSet {
    let mut set = SigSet::empty();
    for sig in [
        Signal::SIGTERM,
        Signal::SIGINT,
        Signal::SIGHUP,
        Signal::SIGQUIT,
        Signal::SIGUSR1,
        Signal::SIGUSR2,
        Signal::SIGCHLD,
    ] {
        set.add(sig);
    }
    set
}

fn init_main(
    spec: &JailSpec,
    layers: &[Layer],
    program: &OpenProgram,
    libraries: &[PathBuf],
    policy: Option<&seccomp::CompiledPolicy>,
) -> Result<i32, JailError> {
    let on = |l: Layer| layers.contains(&l);
    identity::die_with_parent().map_err(|e| setup(Layer::Identity)(e.to_string()))?;
    if on(Layer::Namespaces) {
        let _ = nix::unistd::sethostname("faxbot-jail");
    }
    if on(Layer::Rootfs) {
        let plan = RootPlan {
            binds: &spec.ro_binds,
            scratch_bytes: spec.scratch_bytes,
            libraries,
            own_pid_namespace: on(Layer::Namespaces),
        };
        rootfs::enter(&plan).map_err(|e| setup(Layer::Rootfs)(e.to_string()))?;
    }
    // SAFETY: single-threaded (init forks before anything could start a thread).
    match unsafe { nix::unistd::fork() } {
        Err(e) => Err(setup(Layer::Namespaces)(format!("fork program: {e}"))),
        Ok(ForkResult::Child) => {
            let err = program_main(spec, layers, program, libraries, policy);
            eprintln!("faxbot-jail: {err}");
            std::process::exit(125)
        }
        Ok(ForkResult::Parent { child }) => Ok(reap_and_forward(child)),
    }
}

/// pid 1's loop: forward signals to the program, reap every child, exit with the program's
/// status (128+signal when it was killed).
fn reap_and_forward(program: Pid) -> i32 {
    let set = forwarded_signals();
    loop {
        let Ok(sig) = set.wait() else { continue };
        if sig != Signal::SIGCHLD {
            let _ = nix::sys::signal::kill(program, sig);
            continue;
        }
        loop {
            match waitpid(Pid::from_raw(-1), Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::Exited(pid, code)) if pid == program => return code,
                Ok(WaitStatus::Signaled(pid, sig, _)) if pid == program => return 128 + sig as i32,
                Ok(WaitStatus::StillAlive) | Err(_) => break,
                Ok(_) => continue,
            }
        }
    }
}

fn program_main(
    spec: &JailSpec,
    layers: &[Layer],
    program: &OpenProgram,
    libraries: &[PathBuf],
    policy: Option<&seccomp::CompiledPolicy>,
) -> JailError {
    let on = |l: Layer| layers.contains(&l);
    if let Err(e) = SigSet::all().thread_unblock() {
        return setup(Layer::Namespaces)(format!("sigprocmask: {e}"));
    }
    let _ = nix::unistd::setsid();
    if let Err(e) = identity::die_with_parent() {
        return setup(Layer::Identity)(e.to_string());
    }

    // fds: the program at 4 (close-on-exec), the RPC socket at 3, nothing else above 2.
    // Both are first moved above any number they could collide with (the RPC fd may well
    // be 4, the program fd 3).
    const PROGRAM_FD: RawFd = 4;
    let prog_raw = program_fd(program).as_raw_fd();
    // SAFETY: fcntl/dup3/dup2/close on descriptors this process owns; targets are fixed.
    unsafe {
        let prog_tmp = libc::fcntl(prog_raw, libc::F_DUPFD_CLOEXEC, 100);
        let rpc_tmp = spec
            .rpc_fd
            .map(|fd| libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 100));
        if prog_tmp < 0 || rpc_tmp.is_some_and(|fd| fd < 0) {
            return setup(Layer::Rlimits)(format!("move fds: {}", std::io::Error::last_os_error()));
        }
        if libc::dup3(prog_tmp, PROGRAM_FD, libc::O_CLOEXEC) < 0 {
            return setup(Layer::Rlimits)(format!(
                "dup program fd: {}",
                std::io::Error::last_os_error()
            ));
        }
        match rpc_tmp {
            Some(fd) => {
                if libc::dup2(fd, 3) < 0 {
                    return setup(Layer::Rlimits)(format!(
                        "dup rpc fd: {}",
                        std::io::Error::last_os_error()
                    ));
                }
                libc::close(fd);
            }
            None => {
                libc::close(3);
            }
        }
        libc::close(prog_tmp);
    }
    if on(Layer::Rlimits) {
        // SAFETY: close_range on fds above the ones we keep.
        if unsafe { libc::syscall(libc::SYS_close_range, PROGRAM_FD + 1, u32::MAX, 0) } != 0 {
            return setup(Layer::Rlimits)(format!(
                "close_range: {}",
                std::io::Error::last_os_error()
            ));
        }
        use nix::sys::resource::{Resource, setrlimit};
        let limits = [
            (Resource::RLIMIT_CORE, 0),
            (Resource::RLIMIT_NOFILE, spec.nofile),
            (Resource::RLIMIT_FSIZE, spec.scratch_bytes.max(1 << 20)),
            (Resource::RLIMIT_MEMLOCK, 64 << 10),
            (Resource::RLIMIT_MSGQUEUE, 0),
        ];
        for (resource, value) in limits {
            if let Err(e) = setrlimit(resource, value, value) {
                return setup(Layer::Rlimits)(format!("setrlimit {resource:?}: {e}"));
            }
        }
    }
    if on(Layer::Identity) {
        let in_user_namespace = !nix::unistd::geteuid().is_root()
            || std::fs::read_to_string("/proc/self/uid_map")
                .is_ok_and(|m| !m.contains("4294967295"));
        if let Err(e) = identity::drop_to(spec.uid, spec.gid, !in_user_namespace) {
            return setup(Layer::Identity)(e.to_string());
        }
        if let Err(e) = identity::die_with_parent() {
            return setup(Layer::Identity)(e.to_string());
        }
    }
    if on(Layer::Landlock) {
        let jail_path = |host: &PathBuf, jail: &PathBuf| {
            if on(Layer::Rootfs) {
                jail.clone()
            } else {
                host.clone()
            }
        };
        let read_exec: Vec<PathBuf> = spec
            .ro_binds
            .iter()
            .map(|b| jail_path(&b.host, &b.jail))
            .collect();
        let plan = landlock_rules::LandlockPlan {
            read_exec,
            read_exec_files: libraries
                .iter()
                .filter_map(|l| std::fs::canonicalize(l).ok())
                .collect(),
            read_write: vec!["/tmp".into()],
            devices: rootfs::DEVICES
                .iter()
                .map(|d| Path::new("/dev").join(d))
                .collect(),
            read_only: if Path::new("/proc/self").exists() && on(Layer::Rootfs) {
                vec!["/proc".into()]
            } else {
                Vec::new()
            },
        };
        if let Err(e) = landlock_rules::enforce(&plan, super::check::landlock_abi()) {
            return setup(Layer::Landlock)(e.to_string());
        }
    }
    let argv: Vec<CString> = match spec.argv.iter().map(|a| CString::new(a.as_str())).collect() {
        Ok(v) => v,
        Err(_) => return setup(Layer::Rlimits)("argv contains a NUL byte".into()),
    };
    let envp: Vec<CString> = match spec
        .env
        .iter()
        .map(|(k, v)| CString::new(format!("{k}={v}")))
        .collect()
    {
        Ok(v) => v,
        Err(_) => return setup(Layer::Rlimits)("environment contains a NUL byte".into()),
    };
    let mut argv_ptrs: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
    argv_ptrs.push(std::ptr::null());
    let mut envp_ptrs: Vec<*const libc::c_char> = envp.iter().map(|e| e.as_ptr()).collect();
    envp_ptrs.push(std::ptr::null());
    if let Some(policy) = policy {
        if !on(Layer::Identity)
            && let Err(e) = identity::set_no_new_privs()
        {
            return setup(Layer::Seccomp)(e.to_string());
        }
        if let Err(e) = policy.install() {
            return setup(Layer::Seccomp)(e.to_string());
        }
    }
    // SAFETY: argv/envp are NUL-terminated arrays of pointers to live CStrings; "" with
    // AT_EMPTY_PATH executes the file behind PROGRAM_FD itself.
    unsafe {
        libc::syscall(
            libc::SYS_execveat,
            PROGRAM_FD,
            c"".as_ptr(),
            argv_ptrs.as_ptr(),
            envp_ptrs.as_ptr(),
            libc::AT_EMPTY_PATH,
        );
    }
    setup(Layer::Seccomp)(format!(
        "execveat {}: {}",
        spec.argv[0],
        std::io::Error::last_os_error()
    ))
}
