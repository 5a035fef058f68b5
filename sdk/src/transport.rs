//! Finding the host: fd 3, if it is an `AF_UNIX` stream socket, is the session socket the
//! host's supervisor placed there. Anything else means the plugin was started by hand.
#![allow(unsafe_code)]

use std::os::fd::FromRawFd;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};

/// The descriptor the ABI hands every plugin.
pub(crate) const HOST_FD: i32 = 3;

static TAKEN: AtomicBool = AtomicBool::new(false);

fn socket_option(fd: i32, option: libc::c_int) -> Option<libc::c_int> {
    let mut value: libc::c_int = 0;
    let mut len = libc::socklen_t::try_from(std::mem::size_of::<libc::c_int>()).ok()?;
    // SAFETY: `value` and `len` are live locals of the sizes getsockopt is told; on a
    // descriptor that is closed or not a socket the call fails with EBADF/ENOTSOCK and
    // writes nothing.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            option,
            (&raw mut value).cast::<libc::c_void>(),
            &raw mut len,
        )
    };
    (rc == 0).then_some(value)
}

/// Whether fd 3 is an `AF_UNIX` stream socket (without taking it).
pub(crate) fn host_socket_present() -> bool {
    socket_option(HOST_FD, libc::SO_DOMAIN) == Some(libc::AF_UNIX)
        && socket_option(HOST_FD, libc::SO_TYPE) == Some(libc::SOCK_STREAM)
}

/// Takes ownership of fd 3 as the session socket: `None` when it is not a Unix stream
/// socket, or when it was taken already (a process has one session).
pub(crate) fn take_host_socket() -> Option<UnixStream> {
    if !host_socket_present() || TAKEN.swap(true, Ordering::SeqCst) {
        return None;
    }
    // SAFETY: fd 3 is open and an AF_UNIX stream socket (checked above); the ABI gives it to
    // the plugin runtime alone and TAKEN makes this the only owner, which closes it on drop.
    let stream = unsafe { UnixStream::from_raw_fd(HOST_FD) };
    // SAFETY: fcntl on a descriptor this process owns; no memory is passed.
    let flags = unsafe { libc::fcntl(HOST_FD, libc::F_GETFD) };
    if flags >= 0 {
        // Keep the socket out of any program the plugin might exec. Best effort: a
        // failure changes nothing about this process's own use of it.
        // SAFETY: as above.
        let _ = unsafe { libc::fcntl(HOST_FD, libc::F_SETFD, flags | libc::FD_CLOEXEC) };
    }
    Some(stream)
}
