//! Layer 4, resources: the program's fd layout (the RPC socket at 3, the verified program
//! at 4 and, with the seccomp layer, init's channel at 5, both close-on-exec; nothing else
//! above 2), resource limits, and the environment it gets (only what the spec lists).

use crate::spec::JailSpec;
use crate::syscalls::{SysError, Syscalls};
use nix::sys::resource::Resource;
use std::ffi::CString;
use std::os::fd::RawFd;

/// Where the RPC socket is in the jail.
pub const RPC_FD: RawFd = 3;
/// Where the verified program is until the exec (close-on-exec).
pub const PROGRAM_FD: RawFd = 4;
/// Where init's channel is until the exec (close-on-exec): the seccomp layer sends its
/// listener over it.
pub const CHANNEL_FD: RawFd = 5;
/// Descriptors are first moved at or above this number, out of the way of 3 and 4.
const SPARE_FDS_FROM: RawFd = 100;

/// The descriptors the program side starts with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FdPlan {
    /// The verified program, as inherited from the outer process.
    pub program: RawFd,
    /// The RPC socket, when there is one.
    pub rpc: Option<RawFd>,
}

/// The resource limits and the closing of every other descriptor (the rlimits layer).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RlimitPlan {
    /// Each resource and its limit (soft and hard alike).
    pub limits: Vec<(Resource, u64)>,
}

impl RlimitPlan {
    /// The limits of `spec`: no core dumps, its file count, files no larger than the
    /// scratch space (at least 1 MiB), 64 KiB of locked memory, no POSIX message queues.
    pub fn for_spec(spec: &JailSpec) -> Self {
        Self {
            limits: vec![
                (Resource::RLIMIT_CORE, 0),
                (Resource::RLIMIT_NOFILE, spec.nofile),
                (Resource::RLIMIT_FSIZE, spec.scratch_bytes.max(1 << 20)),
                (Resource::RLIMIT_MEMLOCK, 64 << 10),
                (Resource::RLIMIT_MSGQUEUE, 0),
            ],
        }
    }
}

/// The fd layout, always (`channel`: init's end of the seccomp channel, when there is
/// one); every other descriptor closed and the limits set when the rlimits layer is on.
pub fn apply(
    sys: &dyn Syscalls,
    fds: FdPlan,
    channel: Option<RawFd>,
    rlimits: Option<&RlimitPlan>,
) -> Result<(), SysError> {
    place_fds(sys, fds, channel)?;
    if let Some(rlimits) = rlimits {
        let last_kept = if channel.is_some() {
            CHANNEL_FD
        } else {
            PROGRAM_FD
        };
        sys.close_from(last_kept + 1)?;
        for (resource, limit) in &rlimits.limits {
            sys.setrlimit(*resource, *limit)?;
        }
    }
    Ok(())
}

/// The descriptors are first moved above any number they could collide with (the RPC fd
/// may well be 4, the program fd 3), then put in place.
fn place_fds(sys: &dyn Syscalls, fds: FdPlan, channel: Option<RawFd>) -> Result<(), SysError> {
    let program = sys.dup_above(fds.program, SPARE_FDS_FROM)?;
    let rpc = match fds.rpc {
        Some(fd) => Some(sys.dup_above(fd, SPARE_FDS_FROM)?),
        None => None,
    };
    let channel = match channel {
        Some(fd) => Some(sys.dup_above(fd, SPARE_FDS_FROM)?),
        None => None,
    };
    sys.dup_to(program, PROGRAM_FD, true)?;
    if let Some(fd) = channel {
        sys.dup_to(fd, CHANNEL_FD, true)?;
        sys.close(fd);
    }
    match rpc {
        Some(fd) => {
            sys.dup_to(fd, RPC_FD, false)?;
            sys.close(fd);
        }
        None => sys.close(RPC_FD),
    }
    sys.close(program);
    Ok(())
}

/// A string the program gets (argv or environment) holds a NUL byte.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{what} entry {index} contains a NUL byte")]
pub struct NulByte {
    /// `argv` or `environment`.
    pub what: &'static str,
    /// Which entry.
    pub index: usize,
}

/// What the exec passes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecPlan {
    /// argv, argv[0] included.
    pub argv: Vec<CString>,
    /// The whole environment: `KEY=VALUE` of each spec entry, nothing inherited.
    pub envp: Vec<CString>,
}

impl ExecPlan {
    /// argv and environment of `spec`.
    pub fn for_spec(spec: &JailSpec) -> Result<Self, NulByte> {
        let c_strings = |what, items: Vec<String>| {
            items
                .into_iter()
                .enumerate()
                .map(|(index, s)| CString::new(s).map_err(|_| NulByte { what, index }))
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(Self {
            argv: c_strings("argv", spec.argv.clone())?,
            envp: c_strings(
                "environment",
                spec.env.iter().map(|(k, v)| format!("{k}={v}")).collect(),
            )?,
        })
    }
}

/// Executes the verified program at [`PROGRAM_FD`].
pub fn exec(sys: &dyn Syscalls, plan: &ExecPlan) -> Result<(), SysError> {
    sys.execveat(PROGRAM_FD, &plan.argv, &plan.envp)
}
