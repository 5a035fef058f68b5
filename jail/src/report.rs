//! How a jailed run ended, in words, and the kernel-log lookup that names the syscall of a
//! seccomp kill.

use super::seccomp::policy::syscall_name;
use super::spec::JailSpec;
use faxbot_cgroup::Events;
use nix::sys::signal::Signal;
use nix::sys::wait::WaitStatus;
use std::io::{Read, Seek, SeekFrom};

/// The end of a jailed run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ending {
    /// faxbot-jail's own exit status: the program's, or 128+signal.
    pub exit_code: i32,
    /// Why the jail killed the program, when it did (the one stderr line).
    pub reason: Option<String>,
}

impl Ending {
    /// Interprets the shim's wait status (the shim exits with the program's status, or
    /// 128+signal when the program was killed).
    pub fn from_status(
        status: WaitStatus,
        timed_out: bool,
        spec: &JailSpec,
        events: &Events,
        seccomp_syscall: impl FnOnce() -> Option<i64>,
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
                Some(Signal::SIGSYS) => Some(match seccomp_syscall() {
                    Some(nr) => format!(
                        "seccomp violation: syscall {} ({nr})",
                        syscall_name(nr).unwrap_or("unknown")
                    ),
                    None => {
                        "seccomp violation (the kernel log did not name the syscall)".to_owned()
                    }
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

/// A read position in the kernel log, taken before the program starts.
pub struct KmsgCursor {
    file: std::fs::File,
}

impl KmsgCursor {
    /// Opens /dev/kmsg at its end (needs root; `None` otherwise).
    pub fn open() -> Option<Self> {
        use std::os::unix::fs::OpenOptionsExt;
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open("/dev/kmsg")
            .ok()?;
        file.seek(SeekFrom::End(0)).ok()?;
        Some(Self { file })
    }
}

/// Looks for the kernel's seccomp audit record (`type=1326 … comm="NAME" … syscall=N`) of
/// the killed program among the records logged since `cursor`.
pub fn seccomp_syscall_from_kmsg(cursor: &KmsgCursor, argv0: &str) -> Option<i64> {
    let comm: String = std::path::Path::new(argv0)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(argv0)
        .chars()
        .take(15)
        .collect();
    let mut file = cursor.file.try_clone().ok()?;
    let mut found = None;
    // /dev/kmsg returns one record per read; kauditd logs the record asynchronously, a
    // moment after the process is reaped (longer when it is draining a backlog), so look
    // again for up to half a second.
    const ATTEMPTS: usize = 25;
    for attempt in 0..ATTEMPTS {
        let mut buf = vec![0u8; 8192];
        loop {
            match file.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    let line = String::from_utf8_lossy(&buf[..n]);
                    if line.contains("type=1326") && line.contains(&format!("comm=\"{comm}\"")) {
                        found = line
                            .split_whitespace()
                            .find_map(|w| w.strip_prefix("syscall="))
                            .and_then(|v| v.parse().ok());
                    }
                }
                Err(e) if e.raw_os_error() == Some(libc::EPIPE) => continue,
                Err(_) => break,
            }
        }
        if found.is_some() || attempt + 1 == ATTEMPTS {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    found
}
