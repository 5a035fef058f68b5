//! A small ordinary tokio program, run inside the jail to show that the seccomp allowlist
//! and the rest of the jail let a normal multi-threaded async program work: worker threads,
//! tasks, timers, a file read, a scratch-file write, and an echo over fd 3 when present.

use std::os::fd::FromRawFd;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Decide about fd 3 before the runtime opens descriptors of its own.
    let rpc = is_socket(3);
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(run(rpc))
}

fn is_socket(fd: i32) -> bool {
    nix::sys::stat::fstat(unsafe_borrow(fd))
        .map(|st| st.st_mode & libc::S_IFMT == libc::S_IFSOCK)
        .unwrap_or(false)
}

fn unsafe_borrow(fd: i32) -> std::os::fd::BorrowedFd<'static> {
    // SAFETY: only used for fstat of a descriptor that is either open for the whole run
    // (the jail's fd 3) or not open at all (fstat then fails with EBADF).
    #[allow(unsafe_code)]
    unsafe {
        std::os::fd::BorrowedFd::borrow_raw(fd)
    }
}

async fn run(rpc: bool) -> Result<(), Box<dyn std::error::Error>> {
    let tasks: Vec<_> = (0..8u64)
        .map(|i| {
            tokio::spawn(async move {
                tokio::time::sleep(std::time::Duration::from_millis(5 * i)).await;
                i * i
            })
        })
        .collect();
    let mut sum = 0;
    for task in tasks {
        sum += task.await?;
    }
    let own = tokio::fs::read("/proc/self/status").await?;
    tokio::fs::write("/tmp/demo", b"scratch").await?;
    let back = tokio::fs::read_to_string("/tmp/demo").await?;
    if rpc {
        // SAFETY: fd 3 is the socket the jail hands every plugin; we own it from here.
        #[allow(unsafe_code)]
        let std_stream = unsafe { std::os::unix::net::UnixStream::from_raw_fd(3) };
        std_stream.set_nonblocking(true)?;
        let mut stream = tokio::net::UnixStream::from_std(std_stream)?;
        let mut buf = [0u8; 64];
        let n = stream.read(&mut buf).await?;
        stream.write_all(&buf[..n]).await?;
    }
    println!(
        "DEMO ok sum={sum} status_bytes={} scratch={back}",
        own.len()
    );
    Ok(())
}
