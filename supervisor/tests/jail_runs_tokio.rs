//! The seccomp allowlist fits an ordinary tokio program: a multi-threaded runtime starts in
//! the real `faxbot-jail` and echoes over fd 3. Needs root; without it the test says so.

use std::path::Path;
use std::process::Command;

#[test]
fn a_normal_tokio_program_runs_inside_and_talks_over_fd_3() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("SKIP: the jail tests need root");
        return;
    }
    use std::io::{Read, Write};
    use std::os::fd::AsRawFd;
    let demo = Path::new(env!("CARGO_BIN_EXE_faxbot-jail-tokio-demo"));
    let (mut ours, theirs) = std::os::unix::net::UnixStream::pair().expect("socketpair");
    let theirs_fd = theirs.as_raw_fd();
    // Let the socket survive exec into faxbot-jail (std opens it close-on-exec).
    nix::fcntl::fcntl(
        &theirs,
        nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::empty()),
    )
    .expect("clear cloexec");
    let child = Command::new(faxbot_jail::binary::locate().expect("faxbot-jail is built"))
        .arg("--ro")
        .arg(format!("{}:/app", demo.parent().expect("dir").display()))
        .args([
            "--rpc-fd",
            &theirs_fd.to_string(),
            "--",
            "/app/faxbot-jail-tokio-demo",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(theirs);
    let mut echoed = [0u8; 14];
    let exchanged = ours
        .write_all(b"ping over fd 3")
        .and_then(|()| ours.read_exact(&mut echoed));
    let output = child.wait_with_output().expect("wait");
    if let Err(e) = exchanged {
        panic!(
            "no echo over fd 3 ({e}); jail exit {:?}; stdout {}; stderr {}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    assert_eq!(&echoed, b"ping over fd 3");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout} {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("DEMO ok sum=140") && stdout.contains("scratch=scratch"),
        "{stdout}"
    );
}
