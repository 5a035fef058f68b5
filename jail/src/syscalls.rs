//! The seam between the jail's layers and the kernel: every call that changes the process
//! while the jail is set up (forks, mounts, namespaces, pivot_root, ids, capabilities,
//! prctl, rlimits, fds, Landlock, seccomp, the final execveat) goes through [`Syscalls`].
//!
//! [`linux::LinuxSyscalls`] makes the real calls (the crate's only `unsafe` lives in that
//! module); [`recording::RecordingSyscalls`] records each call in order and can be told to
//! fail one, so the order of the seven layers and their fail-closed behaviour are tested
//! without root. What only a real kernel can show is tested in `tests/jail_escapes.rs`.

pub mod linux;
pub mod recording;

pub use linux::LinuxSyscalls;
pub use recording::RecordingSyscalls;

use landlock::{AccessFs, BitFlags};
use nix::mount::{MntFlags, MsFlags};
use nix::sched::CloneFlags;
use nix::sys::resource::Resource;
use nix::sys::signal::Signal;
use nix::unistd::Pid;
use std::ffi::CString;
use std::fmt;
use std::os::fd::RawFd;
use std::path::{Path, PathBuf};

/// Which side of a fork the caller is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Forked {
    /// The new process.
    Child,
    /// The old process; the child's pid.
    Parent(Pid),
}

/// A capability set the identity layer clears (the bounding set has its own call).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CapabilitySet {
    /// Ambient.
    Ambient,
    /// Inheritable.
    Inheritable,
    /// Effective.
    Effective,
    /// Permitted.
    Permitted,
}

/// What a Landlock rule applies to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuleTarget {
    /// A path (a directory: everything below it; a file: that file).
    Path(PathBuf),
    /// The file behind an open descriptor (the verified program, whatever its path).
    Fd(RawFd),
}

/// One Landlock rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LandlockRule {
    /// What it covers.
    pub target: RuleTarget,
    /// The rights it grants.
    pub access: BitFlags<AccessFs>,
}

/// A whole Landlock ruleset, as data: the rights handled (everything the ABI offers, so
/// what no rule grants is denied) and the rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LandlockRuleset {
    /// The kernel's Landlock ABI version.
    pub abi: i32,
    /// The grants.
    pub rules: Vec<LandlockRule>,
}

/// One compiled seccomp filter with a name for messages and records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeccompProgram {
    /// What the filter does, in a few words.
    pub name: &'static str,
    /// The BPF program.
    pub program: seccompiler::BpfProgram,
}

/// One call through the seam, as the recording double keeps it and as error messages name it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Call {
    /// fork(2).
    Fork,
    /// A fork-like clone whose child (the jail's init) starts in new namespaces and, with
    /// `cgroup`, inside that cgroup v2 directory (`clone3` with `CLONE_INTO_CGROUP`).
    CloneInto {
        /// The namespace flags (`CLONE_NEW*`).
        flags: CloneFlags,
        /// The cgroup directory open at this descriptor, when the child is born in it.
        cgroup: Option<RawFd>,
        /// Signals the child starts with blocked (the caller's mask is left as it was).
        blocked: Vec<Signal>,
    },
    /// _exit with a status.
    Exit(i32),
    /// prctl(PR_SET_PDEATHSIG, SIGKILL).
    ParentDeathSignal,
    /// sigprocmask(SIG_SETMASK, empty).
    UnblockAllSignals,
    /// setsid(2).
    SetSid,
    /// Writes a whole file (cgroup.procs, uid_map, …).
    WriteFile {
        /// The file.
        path: PathBuf,
        /// What is written.
        contents: String,
    },
    /// mkdir(2).
    CreateDir(PathBuf),
    /// Creates an empty file (a mount point).
    CreateFile(PathBuf),
    /// mknod(2) of a character device, then its mode set to 0666.
    MakeCharDevice {
        /// The node.
        path: PathBuf,
        /// Its device number.
        major: u32,
        /// Its device number.
        minor: u32,
    },
    /// symlink(2).
    Symlink {
        /// What the link points to.
        target: PathBuf,
        /// The link.
        link: PathBuf,
    },
    /// rmdir(2).
    RemoveDir(PathBuf),
    /// unshare(2).
    Unshare(CloneFlags),
    /// sethostname(2).
    SetHostname(String),
    /// mount(2).
    Mount {
        /// Source (device, fs name or bind source).
        source: Option<PathBuf>,
        /// Mount point.
        target: PathBuf,
        /// Filesystem type.
        fstype: Option<String>,
        /// Flags.
        flags: MsFlags,
        /// Options.
        data: Option<String>,
    },
    /// umount2(2).
    Unmount {
        /// Mount point.
        target: PathBuf,
        /// Flags.
        flags: MntFlags,
    },
    /// pivot_root(2).
    PivotRoot {
        /// The new root.
        new_root: PathBuf,
        /// Where the old root goes.
        put_old: PathBuf,
    },
    /// chdir(2).
    Chdir(PathBuf),
    /// fcntl(F_DUPFD_CLOEXEC) to the lowest free number at or above `min`.
    DupAbove {
        /// The descriptor.
        fd: RawFd,
        /// The lowest number wanted.
        min: RawFd,
    },
    /// dup3(2) (close-on-exec) or dup2(2).
    DupTo {
        /// The descriptor.
        fd: RawFd,
        /// The number it gets.
        target: RawFd,
        /// Whether the copy is close-on-exec.
        close_on_exec: bool,
    },
    /// close(2).
    Close(RawFd),
    /// close_range(first, ~0, 0).
    CloseFrom(RawFd),
    /// setrlimit(2), soft and hard alike.
    SetRlimit {
        /// The resource.
        resource: Resource,
        /// The limit.
        limit: u64,
    },
    /// setgroups(2).
    SetGroups(Vec<u32>),
    /// setresgid(2), all three alike.
    SetResGid(u32),
    /// setresuid(2), all three alike.
    SetResUid(u32),
    /// prctl(PR_CAPBSET_DROP) of every capability.
    DropBoundingSet,
    /// capset(2) clearing one set.
    ClearCapabilities(CapabilitySet),
    /// prctl(PR_SET_NO_NEW_PRIVS, 1).
    NoNewPrivs,
    /// landlock_create_ruleset, landlock_add_rule…, landlock_restrict_self.
    LandlockRestrictSelf(LandlockRuleset),
    /// seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER) of one filter.
    SeccompListener(&'static str),
    /// socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC): init's channel to the program.
    SocketPair,
    /// sendmsg of one descriptor (SCM_RIGHTS) over a channel.
    SendFd {
        /// The channel.
        channel: RawFd,
        /// The descriptor sent.
        fd: RawFd,
    },
    /// execveat(fd, "", argv, envp, AT_EMPTY_PATH).
    Execveat {
        /// The descriptor executed.
        fd: RawFd,
        /// argv.
        argv: Vec<String>,
    },
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let opt = |p: &Option<PathBuf>| p.as_ref().map(|p| p.display().to_string());
        match self {
            Call::Fork => write!(f, "fork"),
            Call::CloneInto { flags, cgroup, .. } => {
                write!(f, "clone into new namespaces {flags:?}")?;
                match cgroup {
                    Some(fd) => write!(f, " and the cgroup at fd {fd}"),
                    None => Ok(()),
                }
            }
            Call::Exit(code) => write!(f, "exit {code}"),
            Call::ParentDeathSignal => write!(f, "prctl PR_SET_PDEATHSIG"),
            Call::UnblockAllSignals => write!(f, "sigprocmask SIG_SETMASK (none blocked)"),
            Call::SetSid => write!(f, "setsid"),
            Call::WriteFile { path, contents } => {
                write!(f, "write {:?} to {}", contents.trim(), path.display())
            }
            Call::CreateDir(p) => write!(f, "mkdir {}", p.display()),
            Call::CreateFile(p) => write!(f, "create mount point {}", p.display()),
            Call::MakeCharDevice { path, major, minor } => {
                write!(
                    f,
                    "mknod {} (character device {major}:{minor})",
                    path.display()
                )
            }
            Call::Symlink { target, link } => {
                write!(f, "symlink {} -> {}", link.display(), target.display())
            }
            Call::RemoveDir(p) => write!(f, "rmdir {}", p.display()),
            Call::Unshare(flags) => write!(f, "unshare {flags:?}"),
            Call::SetHostname(name) => write!(f, "sethostname {name}"),
            Call::Mount {
                source,
                target,
                fstype,
                flags,
                data,
            } => write!(
                f,
                "mount {} on {} (type {}, flags {flags:?}, options {})",
                opt(source).unwrap_or_else(|| "-".into()),
                target.display(),
                fstype.as_deref().unwrap_or("-"),
                data.as_deref().unwrap_or("-")
            ),
            Call::Unmount { target, .. } => write!(f, "umount {}", target.display()),
            Call::PivotRoot { new_root, put_old } => write!(
                f,
                "pivot_root into {} (old root at {})",
                new_root.display(),
                put_old.display()
            ),
            Call::Chdir(p) => write!(f, "chdir {}", p.display()),
            Call::DupAbove { fd, min } => write!(f, "move fd {fd} above {min}"),
            Call::DupTo { fd, target, .. } => write!(f, "dup fd {fd} to {target}"),
            Call::Close(fd) => write!(f, "close {fd}"),
            Call::CloseFrom(fd) => write!(f, "close_range {fd}.."),
            Call::SetRlimit { resource, limit } => write!(f, "setrlimit {resource:?} {limit}"),
            Call::SetGroups(groups) => write!(f, "setgroups {groups:?}"),
            Call::SetResGid(gid) => write!(f, "setresgid {gid}"),
            Call::SetResUid(uid) => write!(f, "setresuid {uid}"),
            Call::DropBoundingSet => write!(f, "drop the capability bounding set"),
            Call::ClearCapabilities(set) => write!(f, "clear the {set:?} capability set"),
            Call::NoNewPrivs => write!(f, "prctl PR_SET_NO_NEW_PRIVS"),
            Call::LandlockRestrictSelf(r) => {
                write!(f, "landlock ABI {} with {} rules", r.abi, r.rules.len())
            }
            Call::SeccompListener(name) => {
                write!(f, "install seccomp filter with a listener ({name})")
            }
            Call::SocketPair => write!(f, "socketpair"),
            Call::SendFd { channel, fd } => write!(f, "send fd {fd} over fd {channel}"),
            Call::Execveat { argv, .. } => write!(
                f,
                "execveat {}",
                argv.first().map(String::as_str).unwrap_or("")
            ),
        }
    }
}

/// A call through the seam failed.
#[derive(Debug, thiserror::Error)]
#[error("{call}: {source}")]
pub struct SysError {
    /// The call.
    pub call: Box<Call>,
    /// What the kernel (or library) said.
    pub source: std::io::Error,
}

impl SysError {
    /// The error of `call` failing with `source`.
    pub fn new(call: Call, source: std::io::Error) -> Self {
        Self {
            call: Box::new(call),
            source,
        }
    }
}

/// Every kernel call the jail's setup makes. The real implementation is
/// [`LinuxSyscalls`]; tests use [`RecordingSyscalls`].
pub trait Syscalls {
    /// fork(2). The real implementation requires a single-threaded caller (faxbot-jail is).
    fn fork(&self) -> Result<Forked, SysError>;
    /// A fork whose child starts in the new namespaces `flags` (`CLONE_NEW*`, the user
    /// namespace created first and owning the others; a new pid namespace makes the child its
    /// pid 1) with `blocked` blocked, the caller's own signal mask unchanged. With `cgroup`,
    /// the child is born inside the cgroup v2 directory open at that descriptor
    /// (`clone3` with `CLONE_INTO_CGROUP`): nothing migrates, so the kernel's threadgroup
    /// lock, which a write to `cgroup.procs` takes, is never taken. A kernel without that
    /// (no `clone3` before Linux 5.3, no `CLONE_INTO_CGROUP` before 5.7) fails with `ENOSYS`
    /// or `E2BIG`; without `cgroup` any kernel does it (`clone`). The real implementation
    /// requires a single-threaded caller, as `fork`.
    fn clone_into_namespaces(
        &self,
        flags: CloneFlags,
        cgroup: Option<RawFd>,
        blocked: &[Signal],
    ) -> Result<Forked, SysError>;
    /// Ends the calling process with `code` without running destructors. The real
    /// implementation never returns; the recording double records the call and returns, so
    /// a test follows a whole launch inside one process.
    fn exit(&self, code: i32);
    /// Asks for SIGKILL when the parent dies.
    fn set_parent_death_signal(&self) -> Result<(), SysError>;
    /// Unblocks every signal.
    fn unblock_all_signals(&self) -> Result<(), SysError>;
    /// setsid(2): a new session without a controlling terminal.
    fn setsid(&self) -> Result<(), SysError>;

    /// Writes `contents` to the existing file `path` (cgroupfs and procfs files).
    fn write_file(&self, path: &Path, contents: &str) -> Result<(), SysError>;
    /// Creates a directory.
    fn create_dir(&self, path: &Path) -> Result<(), SysError>;
    /// Creates an empty file (to bind a file onto).
    fn create_file(&self, path: &Path) -> Result<(), SysError>;
    /// Creates the character device node `path` (`major`:`minor`), readable and writable
    /// by everyone. Needs CAP_MKNOD in the initial user namespace.
    fn make_char_device(&self, path: &Path, major: u32, minor: u32) -> Result<(), SysError>;
    /// Creates a symbolic link `link` pointing to `target`.
    fn symlink(&self, target: &Path, link: &Path) -> Result<(), SysError>;
    /// Removes an empty directory.
    fn remove_dir(&self, path: &Path) -> Result<(), SysError>;

    /// unshare(2).
    fn unshare(&self, flags: CloneFlags) -> Result<(), SysError>;
    /// sethostname(2).
    fn sethostname(&self, name: &str) -> Result<(), SysError>;
    /// mount(2).
    fn mount(
        &self,
        source: Option<&Path>,
        target: &Path,
        fstype: Option<&str>,
        flags: MsFlags,
        data: Option<&str>,
    ) -> Result<(), SysError>;
    /// umount2(2).
    fn unmount(&self, target: &Path, flags: MntFlags) -> Result<(), SysError>;
    /// pivot_root(2).
    fn pivot_root(&self, new_root: &Path, put_old: &Path) -> Result<(), SysError>;
    /// chdir(2).
    fn chdir(&self, path: &Path) -> Result<(), SysError>;

    /// Copies `fd` to the lowest free number at or above `min`, close-on-exec.
    fn dup_above(&self, fd: RawFd, min: RawFd) -> Result<RawFd, SysError>;
    /// Copies `fd` to exactly `target` (replacing what is there).
    fn dup_to(&self, fd: RawFd, target: RawFd, close_on_exec: bool) -> Result<(), SysError>;
    /// Closes `fd` (a descriptor that is not open is not an error).
    fn close(&self, fd: RawFd);
    /// Closes every descriptor from `first` up.
    fn close_from(&self, first: RawFd) -> Result<(), SysError>;
    /// Sets the soft and hard limit of `resource` to `limit`.
    fn setrlimit(&self, resource: Resource, limit: u64) -> Result<(), SysError>;

    /// setgroups(2).
    fn setgroups(&self, groups: &[u32]) -> Result<(), SysError>;
    /// setresgid(2) with all three ids `gid`.
    fn setresgid(&self, gid: u32) -> Result<(), SysError>;
    /// setresuid(2) with all three ids `uid`.
    fn setresuid(&self, uid: u32) -> Result<(), SysError>;
    /// Drops every capability from the bounding set (needs CAP_SETPCAP).
    fn drop_bounding_set(&self) -> Result<(), SysError>;
    /// Clears one capability set.
    fn clear_capabilities(&self, set: CapabilitySet) -> Result<(), SysError>;
    /// prctl(PR_SET_NO_NEW_PRIVS, 1).
    fn set_no_new_privs(&self) -> Result<(), SysError>;

    /// Enforces `ruleset` on the calling process; refuses unless the kernel enforced all of it.
    fn landlock_restrict_self(&self, ruleset: &LandlockRuleset) -> Result<(), SysError>;
    /// Installs one seccomp filter whose `SECCOMP_RET_USER_NOTIF` verdicts are answered
    /// through the returned listener descriptor (close-on-exec).
    fn seccomp_install_listener(&self, filter: &SeccompProgram) -> Result<RawFd, SysError>;
    /// A connected pair of close-on-exec Unix datagram-like sockets.
    fn socketpair(&self) -> Result<(RawFd, RawFd), SysError>;
    /// Sends `fd` over the socket `channel`.
    fn send_fd(&self, channel: RawFd, fd: RawFd) -> Result<(), SysError>;
    /// execveat(fd, "", argv, envp, AT_EMPTY_PATH). The real implementation returns only on
    /// failure (always an `Err`); the recording double records the call and returns `Ok`.
    fn execveat(&self, fd: RawFd, argv: &[CString], envp: &[CString]) -> Result<(), SysError>;
}
