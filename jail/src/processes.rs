//! What the jail's waiting processes do once their child runs: the shim waits for init and
//! passes on its status; init (pid 1) forwards signals to the program and reaps every
//! orphan. Only waiting and signalling: no setup call is made here.

use nix::sys::signal::{SigSet, Signal};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;

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

/// pid 1's loop: forward signals to the program, reap every child, return the program's
/// status (128+signal when it was killed).
pub fn reap_and_forward(program: Pid) -> i32 {
    let set = forwarded_set();
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
