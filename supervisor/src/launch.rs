//! Starting a plugin process with its end of the RPC socketpair as fd 3.
//!
//! Production starts plugins through `faxbot-jail --spec-fd N` ([`JailedLauncher`]);
//! [`UnjailedLauncherForTests`] runs a program directly and exists only so the session
//! layer can be tested against plain child processes.
#![allow(unsafe_code)]

use faxbot_jail::spec::{JailSpec, Program};
use std::io::{self, Write};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::path::PathBuf;
use tokio::net::UnixStream;
use tokio::process::{Child, Command};

/// A started plugin process and the host's end of its socket.
#[derive(Debug)]
pub struct Launched {
    /// The process (killed when dropped); its stdout and stderr are pipes.
    pub child: Child,
    /// The host's end of the RPC socketpair.
    pub stream: UnixStream,
}

/// Starts a plugin process.
pub trait Launcher: Send + Sync {
    /// Starts the process with the plugin's end of a fresh socketpair as its fd 3.
    fn launch(&self) -> io::Result<Launched>;

    /// Starts the process for plugin `plugin_id`. Launchers that control the plugin's
    /// environment put `FAXBOT_ABI` and `FAXBOT_PLUGIN_ID` there (docs/abi.md §1).
    fn launch_for(&self, plugin_id: &str) -> io::Result<Launched> {
        let _ = plugin_id;
        self.launch()
    }
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
        command
            .args(&self.args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true);
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

/// Starts a plugin inside `faxbot-jail`: the verified program as an open fd, the spec on a
/// pipe (`--spec-fd`), the RPC socket as the jail's `rpc_fd` (fd 3 inside).
#[derive(Clone, Debug)]
pub struct JailedLauncher {
    /// The `faxbot-jail` binary.
    pub jail: PathBuf,
    /// The verified plugin program on the host.
    pub program: PathBuf,
    /// The spec template: limits, binds, argv, env. Its `program` and `rpc_fd` are set
    /// per launch.
    pub spec: JailSpec,
}

impl Launcher for JailedLauncher {
    fn launch(&self) -> io::Result<Launched> {
        self.launch_spec(self.spec.clone())
    }

    fn launch_for(&self, plugin_id: &str) -> io::Result<Launched> {
        let mut spec = self.spec.clone();
        spec.env
            .retain(|(name, _)| name != "FAXBOT_ABI" && name != "FAXBOT_PLUGIN_ID");
        spec.env.push((
            "FAXBOT_ABI".to_owned(),
            faxbot_plugin_abi::ABI_VERSION.major.to_string(),
        ));
        spec.env
            .push(("FAXBOT_PLUGIN_ID".to_owned(), plugin_id.to_owned()));
        self.launch_spec(spec)
    }
}

impl JailedLauncher {
    fn launch_spec(&self, mut spec: JailSpec) -> io::Result<Launched> {
        let program: OwnedFd = std::fs::File::open(&self.program)?.into();
        let (host, plugin) = std::os::unix::net::UnixStream::pair()?;
        host.set_nonblocking(true)?;
        let plugin: OwnedFd = plugin.into();
        let (reader, mut writer) = io::pipe()?;
        let reader: OwnedFd = reader.into();
        spec.program = Program::Fd(program.as_raw_fd());
        spec.rpc_fd = Some(plugin.as_raw_fd());
        let encoded = spec
            .encode()
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
        // The spec is far below the pipe buffer, so this write cannot block.
        writer.write_all(&encoded)?;
        drop(writer);
        let inherited = [program.as_raw_fd(), plugin.as_raw_fd(), reader.as_raw_fd()];
        let mut command = Command::new(&self.jail);
        command
            .args(["--spec-fd", &reader.as_raw_fd().to_string()])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true);
        // SAFETY: runs between fork and exec; fcntl and prctl are async-signal-safe and
        // touch only descriptors this launch owns.
        unsafe {
            command.pre_exec(move || {
                for fd in inherited {
                    clear_cloexec(fd)?;
                }
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) < 0 {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command.spawn()?;
        drop((program, plugin, reader));
        Ok(Launched {
            child,
            stream: UnixStream::from_std(host)?,
        })
    }
}

/// Lets `fd` survive exec. Async-signal-safe.
fn clear_cloexec(fd: RawFd) -> io::Result<()> {
    // SAFETY: fcntl on a descriptor number has no memory effects.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
    // SAFETY: as above.
    if flags < 0 || unsafe { libc::fcntl(fd, libc::F_SETFD, flags & !libc::FD_CLOEXEC) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
