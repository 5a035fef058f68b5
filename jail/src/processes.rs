//! What the jail's init (pid 1) does once the program runs: it forwards signals to the
//! program, reaps every orphan and answers the supervised seccomp filter. Only waiting,
//! signalling and answering: no setup call is made here.

use crate::seccomp::exec_guard::{self, ExecGuard, Verdict};
use crate::seccomp::violation::Violation;
use crate::syscalls::linux;
use nix::sys::signal::{SigSet, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;
use std::os::fd::{AsRawFd, RawFd};

/// Signals meant for the jail: init is created with them blocked, takes them with sigwait
/// and passes them on to the program (SIGCHLD wakes init to reap).
pub const FORWARDED: [Signal; 7] = [
    Signal::SIGTERM,
    Signal::SIGINT,
    Signal::SIGHUP,
    Signal::SIGQUIT,
    Signal::SIGUSR1,
    Signal::SIGUSR2,
    Signal::SIGCHLD,
];

fn forwarded_set() -> SigSet {
    let mut set = SigSet::empty();
    for sig in FORWARDED {
        set.add(sig);
    }
    set
}

/// The status `child` ended with: its exit code, or 128+signal. `Err` only when it
/// cannot be waited for.
pub fn wait_for(child: Pid) -> Result<i32, nix::Error> {
    loop {
        match waitpid(child, None) {
            Ok(WaitStatus::Exited(_, code)) => return Ok(code),
            Ok(WaitStatus::Signaled(_, sig, _)) => return Ok(128 + sig as i32),
            Ok(_) | Err(nix::Error::EINTR) => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Reaps every ended child; the program's status once it is among them.
fn reap(program: Pid) -> Option<i32> {
    loop {
        match waitpid(Pid::from_raw(-1), Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::Exited(pid, code)) if pid == program => return Some(code),
            Ok(WaitStatus::Signaled(pid, sig, _)) if pid == program => {
                return Some(128 + sig as i32);
            }
            Ok(WaitStatus::StillAlive) | Err(_) => return None,
            Ok(_) => continue,
        }
    }
}

/// pid 1's loop: forward signals to the program, reap every child and return the
/// program's status (128+signal when it was killed). With the seccomp layer, also receive
/// the supervised filter's listener on `channel` and answer it: execs through the exec
/// guard, and any refused syscall by killing the whole jail, reporting the syscall on
/// `report` and returning 128+SIGSYS.
pub fn reap_and_forward(program: Pid, channel: Option<RawFd>, report: Option<RawFd>) -> i32 {
    match channel {
        None => reap_and_forward_signals(program),
        Some(channel) => match SignalFd::with_flags(&forwarded_set(), SfdFlags::SFD_CLOEXEC) {
            Ok(signals) => Supervisor::new(program, channel, report).run(&signals),
            Err(e) => {
                // Without a way to wait for both, the filter could go unanswered: fail closed.
                eprintln!(
                    "faxbot-jail: seccomp: init cannot watch signals and the filter together: {e}"
                );
                kill_jail(program);
                let _ = wait_for(program);
                125
            }
        },
    }
}

fn reap_and_forward_signals(program: Pid) -> i32 {
    let set = forwarded_set();
    loop {
        let Ok(sig) = set.wait() else { continue };
        if sig != Signal::SIGCHLD {
            let _ = nix::sys::signal::kill(program, sig);
        } else if let Some(code) = reap(program) {
            return code;
        }
    }
}

/// SIGKILL to every process of the jail: all of its pid namespace when init is its pid 1,
/// otherwise the program's process group and the program.
fn kill_jail(program: Pid) {
    if nix::unistd::getpid().as_raw() == 1 {
        let _ = nix::sys::signal::kill(Pid::from_raw(-1), Signal::SIGKILL);
    }
    let _ = nix::sys::signal::killpg(program, Signal::SIGKILL);
    let _ = nix::sys::signal::kill(program, Signal::SIGKILL);
}

/// init's side of the supervised filter.
struct Supervisor {
    program: Pid,
    guard: ExecGuard,
    /// Where the program sends the listener; `None` once received (or closed).
    channel: Option<RawFd>,
    listener: Option<RawFd>,
    report: Option<RawFd>,
    violated: bool,
}

impl Supervisor {
    fn new(program: Pid, channel: RawFd, report: Option<RawFd>) -> Self {
        Self {
            program,
            guard: ExecGuard::new(program.as_raw()),
            channel: Some(channel),
            listener: None,
            report,
            violated: false,
        }
    }

    fn run(mut self, signals: &SignalFd) -> i32 {
        loop {
            let Ok([signal, channel, listener]) =
                linux::wait_ready([Some(signals.as_raw_fd()), self.channel, self.listener])
            else {
                continue; // EINTR
            };
            if channel.readable || channel.hung_up {
                self.take_listener();
            }
            if listener.readable {
                self.answer();
            } else if listener.hung_up
                && let Some(fd) = self.listener.take()
            {
                linux::close(fd); // nothing runs under the filter any more
            }
            if signal.readable
                && let Some(code) = self.signals(signals)
            {
                return if self.violated {
                    128 + Signal::SIGSYS as i32
                } else {
                    code
                };
            }
        }
    }

    fn take_listener(&mut self) {
        if let Some(channel) = self.channel.take() {
            if let Ok(Some(fd)) = linux::receive_fd(channel) {
                // A hand-off on one CPU where the kernel offers it; as before where not.
                linux::wake_on_same_cpu(fd);
                self.listener = Some(fd);
            }
            linux::close(channel);
        }
    }

    fn answer(&mut self) {
        let Some(listener) = self.listener else {
            return;
        };
        // An error: the caller died before it was asked about; nothing to do.
        let Ok(notification) = linux::receive_notification(listener) else {
            return;
        };
        if exec_guard::is_exec(&notification) {
            let verdict = self.guard.decide(&notification);
            if let Err(e) = linux::answer(listener, notification.id, verdict)
                && verdict == Verdict::Continue
            {
                eprintln!(
                    "faxbot-jail: seccomp: the exec guard could not let the program start: {e}"
                );
                kill_jail(self.program);
            }
        } else if !self.violated {
            // A refused syscall: it never runs; the jail ends with it named.
            self.violated = true;
            if let Some(report) = self.report {
                linux::write_report(report, &Violation::from(&notification).encode());
            }
            kill_jail(self.program);
        }
    }

    /// Forwards or reaps; the program's status once it has ended.
    fn signals(&self, signals: &SignalFd) -> Option<i32> {
        while let Ok(Some(info)) = signals.read_signal() {
            match Signal::try_from(info.ssi_signo as i32) {
                Ok(Signal::SIGCHLD) => {
                    if let Some(code) = reap(self.program) {
                        return Some(code);
                    }
                }
                Ok(sig) => {
                    let _ = nix::sys::signal::kill(self.program, sig);
                }
                Err(_) => {}
            }
        }
        None
    }
}
