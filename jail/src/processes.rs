//! What the jail's waiting processes do once their child runs: the shim waits for init and
//! passes on its status; init (pid 1) forwards signals to the program, reaps every orphan
//! and answers the exec guard. Only waiting, signalling and answering: no setup call is
//! made here.

use crate::seccomp::exec_guard::{ExecGuard, Verdict};
use crate::syscalls::linux;
use nix::sys::signal::{SigSet, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;
use std::os::fd::{AsRawFd, RawFd};

/// Signals meant for the jail: blocked in the shim before init is forked, taken by init
/// with sigwait and passed on to the program (SIGCHLD wakes init to reap).
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

/// pid 1's loop: forward signals to the program, reap every child, answer the exec guard
/// on `guard` (when the seccomp layer installed one), and return the program's status
/// (128+signal when it was killed).
pub fn reap_and_forward(program: Pid, guard: Option<RawFd>) -> i32 {
    match guard {
        None => reap_and_forward_signals(program),
        Some(listener) => match SignalFd::with_flags(&forwarded_set(), SfdFlags::SFD_CLOEXEC) {
            Ok(signals) => supervise(program, &signals, listener),
            Err(e) => {
                // Without a way to wait for both, the guard could go unanswered: fail closed.
                eprintln!(
                    "faxbot-jail: seccomp: init cannot watch signals and the exec guard together: {e}"
                );
                let _ = nix::sys::signal::kill(program, Signal::SIGKILL);
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

fn supervise(program: Pid, signals: &SignalFd, listener: RawFd) -> i32 {
    let mut guard = ExecGuard::new(program.as_raw());
    loop {
        let Ok([signal_ready, exec_ready]) = linux::wait_readable([signals.as_raw_fd(), listener])
        else {
            continue; // EINTR
        };
        if exec_ready {
            answer_exec(program, listener, &mut guard);
        }
        if signal_ready {
            while let Ok(Some(info)) = signals.read_signal() {
                match Signal::try_from(info.ssi_signo as i32) {
                    Ok(Signal::SIGCHLD) => {
                        if let Some(code) = reap(program) {
                            return code;
                        }
                    }
                    Ok(sig) => {
                        let _ = nix::sys::signal::kill(program, sig);
                    }
                    Err(_) => {}
                }
            }
        }
    }
}

fn answer_exec(program: Pid, listener: RawFd, guard: &mut ExecGuard) {
    // An error here means the caller died before it was answered: nothing to do.
    if let Ok((id, request)) = linux::receive_exec_request(listener) {
        let verdict = guard.decide(&request);
        if let Err(e) = linux::answer(listener, id, verdict)
            && verdict == Verdict::Continue
        {
            eprintln!("faxbot-jail: seccomp: the exec guard could not let the program start: {e}");
            let _ = nix::sys::signal::kill(program, Signal::SIGKILL);
        }
    }
}
