//! How a jailed run ended, in words. A seccomp kill is named from what the jail's init
//! reported (see `seccomp::violation`), never from the kernel log.

use super::seccomp::violation::Violation;
use super::spec::JailSpec;
use faxbot_cgroup::Events;
use nix::sys::signal::Signal;
use nix::sys::wait::WaitStatus;

/// The end of a jailed run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ending {
    /// faxbot-jail's own exit status: the program's, or 128+signal.
    pub exit_code: i32,
    /// Why the jail killed the program, when it did (the one stderr line).
    pub reason: Option<String>,
}

impl Ending {
    /// Interprets init's wait status (init exits with the program's status, or
    /// 128+signal when the program was killed; 128+SIGSYS when init killed the jail for the
    /// `violation` it reported).
    pub fn from_status(
        status: WaitStatus,
        timed_out: bool,
        spec: &JailSpec,
        events: &Events,
        violation: Option<Violation>,
    ) -> Self {
        let code = match status {
            WaitStatus::Exited(_, code) => code,
            WaitStatus::Signaled(_, sig, _) => 128 + sig as i32,
            _ => 125,
        };
        let signal = (code > 128 && code < 128 + 65)
            .then(|| Signal::try_from(code - 128).ok())
            .flatten();
        let reason = if timed_out {
            Some(format!("timeout after {}s", spec.timeout_secs))
        } else {
            match signal {
                Some(Signal::SIGSYS) => Some(match violation {
                    Some(v) => format!("seccomp violation: {v}"),
                    // Not init's kill: the program was sent SIGSYS by other means.
                    None => "killed by signal SIGSYS".to_owned(),
                }),
                Some(Signal::SIGKILL) if events.oom => {
                    Some(format!("out of memory (limit {} bytes)", spec.memory_bytes))
                }
                Some(sig) if events.pids_max => Some(format!(
                    "pids limit reached ({}); killed by signal {}",
                    spec.pids,
                    sig.as_str()
                )),
                Some(Signal::SIGXFSZ) => Some(format!(
                    "file size limit reached ({} bytes)",
                    spec.scratch_bytes
                )),
                Some(sig) => Some(format!("killed by signal {}", sig.as_str())),
                None => None,
            }
        };
        let exit_code = if timed_out {
            128 + Signal::SIGKILL as i32
        } else {
            code
        };
        Ending { exit_code, reason }
    }
}
