//! Starting a plugin process with its end of the RPC socketpair as fd 3.
//!
//! Production starts plugins through `faxbot-jail --spec-fd N` (the jailed launcher, not
//! yet wired here); [`UnjailedLauncherForTests`] runs a program directly and exists only
//! so the session layer can be tested against plain child processes.
#![allow(unsafe_code)]

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::PathBuf;
use tokio::net::UnixStream;
use tokio::process::{Child, Command};

/// A started plugin process and the host's end of its socket.
#[derive(Debug)]
pub struct Launched {
    /// The process (killed when dropped).
    pub child: Child,
    /// The host's end of the RPC socketpair.
    pub stream: UnixStream,
}

/// Starts a plugin process.
pub trait Launcher: Send + Sync {
    /// Starts the process with the plugin's end of a fresh socketpair as its fd 3.
    fn launch(&self) -> io::Result<Launched>;
}

/// Runs a program directly, unconfined. For tests of the session layer only: never use
/// it for a real plugin.
#[derive(Clone, Debug)]
pub struct UnjailedLauncherForTests {
    /// The program.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<String>,
}

impl Launcher for UnjailedLauncherForTests {
    fn launch(&self) -> io::Result<Launched> {
        let (host, plugin) = std::os::unix::net::UnixStream::pair()?;
        host.set_nonblocking(true)?;
        let plugin: OwnedFd = plugin.into();
        let plugin_fd = plugin.as_raw_fd();
        let mut command = Command::new(&self.program);
        command.args(&self.args).kill_on_drop(true);
        // SAFETY: the closure runs in the child between fork and exec and calls only
        // async-signal-safe functions (dup2, fcntl, prctl) on descriptors it owns.
        unsafe {
            command.pre_exec(move || {
                if plugin_fd == 3 {
                    let flags = libc::fcntl(3, libc::F_GETFD);
                    if flags < 0 || libc::fcntl(3, libc::F_SETFD, flags & !libc::FD_CLOEXEC) < 0 {
                        return Err(io::Error::last_os_error());
                    }
                } else if libc::dup2(plugin_fd, 3) < 0 {
                    return Err(io::Error::last_os_error());
                }
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) < 0 {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command.spawn()?;
        drop(plugin);
        Ok(Launched {
            child,
            stream: UnixStream::from_std(host)?,
        })
    }
}
