//! A [`Syscalls`] double that changes nothing: it records every call in order, and fails
//! the calls it was told to fail. `fork` and `clone_into_namespaces` go on as the child and `exit`
//! returns, so one test process follows a whole launch from init's creation to the
//! program's exec.

use super::{Call, CapabilitySet, Forked, LandlockRuleset, SeccompProgram, SysError, Syscalls};
use nix::errno::Errno;
use nix::mount::{MntFlags, MsFlags};
use nix::sched::CloneFlags;
use nix::sys::resource::Resource;
use nix::sys::signal::Signal;
use std::cell::{Cell, RefCell};
use std::ffi::CString;
use std::os::fd::RawFd;
use std::path::Path;

type Matcher = Box<dyn Fn(&Call) -> bool>;

/// The first descriptor number the double hands out for a seccomp listener.
pub const LISTENER_FD: RawFd = 50;
/// The first descriptor number the double hands out for a socket pair.
pub const CHANNEL_FD: RawFd = 60;

/// Records calls instead of making them.
#[derive(Default)]
pub struct RecordingSyscalls {
    calls: RefCell<Vec<Call>>,
    failures: Vec<(Matcher, Errno)>,
    next_fd: Cell<RawFd>,
}

impl std::fmt::Debug for RecordingSyscalls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordingSyscalls")
            .field("calls", &self.calls.borrow())
            .field("failures", &self.failures.len())
            .finish()
    }
}

impl RecordingSyscalls {
    /// A double on which every call succeeds.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes every call `matches` accepts fail with `errno` (the call is still recorded).
    pub fn failing(mut self, matches: impl Fn(&Call) -> bool + 'static, errno: Errno) -> Self {
        self.failures.push((Box::new(matches), errno));
        self
    }

    /// The calls made so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.calls.borrow().clone()
    }

    fn record(&self, call: Call) -> Result<(), SysError> {
        let failure = self
            .failures
            .iter()
            .find(|(matches, _)| matches(&call))
            .map(|(_, errno)| *errno);
        self.calls.borrow_mut().push(call.clone());
        match failure {
            Some(errno) => Err(SysError::new(call, std::io::Error::from(errno))),
            None => Ok(()),
        }
    }
}

impl Syscalls for RecordingSyscalls {
    fn fork(&self) -> Result<Forked, SysError> {
        self.record(Call::Fork).map(|()| Forked::Child)
    }

    fn clone_into_namespaces(
        &self,
        flags: CloneFlags,
        cgroup: Option<RawFd>,
        blocked: &[Signal],
    ) -> Result<Forked, SysError> {
        self.record(Call::CloneInto {
            flags,
            cgroup,
            blocked: blocked.to_vec(),
        })
        .map(|()| Forked::Child)
    }

    fn exit(&self, code: i32) {
        let _ = self.record(Call::Exit(code));
    }

    fn set_parent_death_signal(&self) -> Result<(), SysError> {
        self.record(Call::ParentDeathSignal)
    }

    fn unblock_all_signals(&self) -> Result<(), SysError> {
        self.record(Call::UnblockAllSignals)
    }

    fn setsid(&self) -> Result<(), SysError> {
        self.record(Call::SetSid)
    }

    fn write_file(&self, path: &Path, contents: &str) -> Result<(), SysError> {
        self.record(Call::WriteFile {
            path: path.to_owned(),
            contents: contents.to_owned(),
        })
    }

    fn create_dir(&self, path: &Path) -> Result<(), SysError> {
        self.record(Call::CreateDir(path.to_owned()))
    }

    fn create_file(&self, path: &Path) -> Result<(), SysError> {
        self.record(Call::CreateFile(path.to_owned()))
    }

    fn make_char_device(&self, path: &Path, major: u32, minor: u32) -> Result<(), SysError> {
        self.record(Call::MakeCharDevice {
            path: path.to_owned(),
            major,
            minor,
        })
    }

    fn symlink(&self, target: &Path, link: &Path) -> Result<(), SysError> {
        self.record(Call::Symlink {
            target: target.to_owned(),
            link: link.to_owned(),
        })
    }

    fn remove_dir(&self, path: &Path) -> Result<(), SysError> {
        self.record(Call::RemoveDir(path.to_owned()))
    }

    fn unshare(&self, flags: CloneFlags) -> Result<(), SysError> {
        self.record(Call::Unshare(flags))
    }

    fn sethostname(&self, name: &str) -> Result<(), SysError> {
        self.record(Call::SetHostname(name.to_owned()))
    }

    fn mount(
        &self,
        source: Option<&Path>,
        target: &Path,
        fstype: Option<&str>,
        flags: MsFlags,
        data: Option<&str>,
    ) -> Result<(), SysError> {
        self.record(Call::Mount {
            source: source.map(Path::to_owned),
            target: target.to_owned(),
            fstype: fstype.map(str::to_owned),
            flags,
            data: data.map(str::to_owned),
        })
    }

    fn unmount(&self, target: &Path, flags: MntFlags) -> Result<(), SysError> {
        self.record(Call::Unmount {
            target: target.to_owned(),
            flags,
        })
    }

    fn pivot_root(&self, new_root: &Path, put_old: &Path) -> Result<(), SysError> {
        self.record(Call::PivotRoot {
            new_root: new_root.to_owned(),
            put_old: put_old.to_owned(),
        })
    }

    fn chdir(&self, path: &Path) -> Result<(), SysError> {
        self.record(Call::Chdir(path.to_owned()))
    }

    fn dup_above(&self, fd: RawFd, min: RawFd) -> Result<RawFd, SysError> {
        self.record(Call::DupAbove { fd, min })?;
        let next = self.next_fd.get().max(min);
        self.next_fd.set(next + 1);
        Ok(next)
    }

    fn dup_to(&self, fd: RawFd, target: RawFd, close_on_exec: bool) -> Result<(), SysError> {
        self.record(Call::DupTo {
            fd,
            target,
            close_on_exec,
        })
    }

    fn close(&self, fd: RawFd) {
        let _ = self.record(Call::Close(fd));
    }

    fn close_from(&self, first: RawFd) -> Result<(), SysError> {
        self.record(Call::CloseFrom(first))
    }

    fn setrlimit(&self, resource: Resource, limit: u64) -> Result<(), SysError> {
        self.record(Call::SetRlimit { resource, limit })
    }

    fn setgroups(&self, groups: &[u32]) -> Result<(), SysError> {
        self.record(Call::SetGroups(groups.to_vec()))
    }

    fn setresgid(&self, gid: u32) -> Result<(), SysError> {
        self.record(Call::SetResGid(gid))
    }

    fn setresuid(&self, uid: u32) -> Result<(), SysError> {
        self.record(Call::SetResUid(uid))
    }

    fn drop_bounding_set(&self) -> Result<(), SysError> {
        self.record(Call::DropBoundingSet)
    }

    fn clear_capabilities(&self, set: CapabilitySet) -> Result<(), SysError> {
        self.record(Call::ClearCapabilities(set))
    }

    fn set_no_new_privs(&self) -> Result<(), SysError> {
        self.record(Call::NoNewPrivs)
    }

    fn landlock_restrict_self(&self, ruleset: &LandlockRuleset) -> Result<(), SysError> {
        self.record(Call::LandlockRestrictSelf(ruleset.clone()))
    }

    fn seccomp_install_listener(&self, filter: &SeccompProgram) -> Result<RawFd, SysError> {
        self.record(Call::SeccompListener(filter.name))?;
        let fd = self.next_fd.get().max(LISTENER_FD);
        self.next_fd.set(fd + 1);
        Ok(fd)
    }

    fn socketpair(&self) -> Result<(RawFd, RawFd), SysError> {
        self.record(Call::SocketPair)?;
        let first = self.next_fd.get().max(CHANNEL_FD);
        self.next_fd.set(first + 2);
        Ok((first, first + 1))
    }

    fn send_fd(&self, channel: RawFd, fd: RawFd) -> Result<(), SysError> {
        self.record(Call::SendFd { channel, fd })
    }

    fn execveat(&self, fd: RawFd, argv: &[CString], _envp: &[CString]) -> Result<(), SysError> {
        self.record(Call::Execveat {
            fd,
            argv: argv
                .iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect(),
        })
    }
}
