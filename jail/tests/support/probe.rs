//! The escape-attempt program the jail tests run inside the jail. Each subcommand makes one
//! attempt and prints one line: `RESULT ok <detail>` when the attempt succeeded (an
//! escape, for attacks), `RESULT blocked <errno>` when the kernel refused it.

use std::io::Write;

fn report(result: std::io::Result<String>) -> i32 {
    match result {
        Ok(detail) => {
            println!("RESULT ok {detail}");
            0
        }
        Err(e) => {
            println!(
                "RESULT blocked {}",
                e.raw_os_error().map(errno_name).unwrap_or("other")
            );
            1
        }
    }
}

fn errno_name(n: i32) -> &'static str {
    match n {
        libc::EPERM => "EPERM",
        libc::EACCES => "EACCES",
        libc::ENOENT => "ENOENT",
        libc::EROFS => "EROFS",
        libc::ENETUNREACH => "ENETUNREACH",
        libc::EAFNOSUPPORT => "EAFNOSUPPORT",
        libc::EAGAIN => "EAGAIN",
        libc::ENOSPC => "ENOSPC",
        libc::EFBIG => "EFBIG",
        libc::EMFILE => "EMFILE",
        libc::EBADF => "EBADF",
        libc::EINVAL => "EINVAL",
        libc::ESRCH => "ESRCH",
        libc::ECONNREFUSED => "ECONNREFUSED",
        libc::ENOSYS => "ENOSYS",
        libc::ENOEXEC => "ENOEXEC",
        _ => "other",
    }
}

fn last() -> std::io::Error {
    std::io::Error::last_os_error()
}

#[allow(unsafe_code)]
fn attempt(name: &str, arg: Option<&str>) -> std::io::Result<String> {
    use std::fs;
    match name {
        "whoami" => {
            // SAFETY: plain id queries.
            let (uid, euid) = unsafe { (libc::getuid(), libc::geteuid()) };
            let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
            let caps: Vec<&str> = status.lines().filter(|l| l.starts_with("Cap")).collect();
            Ok(format!("uid={uid} euid={euid} {}", caps.join(" ")))
        }
        "read" => {
            fs::read_to_string(arg.unwrap_or("/etc/shadow")).map(|s| format!("{} bytes", s.len()))
        }
        "own-cgroups" => fs::read_to_string("/proc/self/cgroup").map(|text| {
            // Each line is ID:CONTROLLERS:PATH; the distinct paths, in order.
            let mut paths: Vec<&str> = Vec::new();
            for path in text.lines().filter_map(|l| l.splitn(3, ':').nth(2)) {
                if !paths.contains(&path) {
                    paths.push(path);
                }
            }
            paths.join(",")
        }),
        "write" => fs::write(arg.unwrap_or("/escape"), b"x").map(|_| "written".into()),
        "list" => fs::read_dir(arg.unwrap_or("/")).map(|d| {
            let mut names: Vec<String> = d
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            names.join(",")
        }),
        "env" => Ok(std::env::vars()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(";")),
        "fds" => fs::read_dir("/proc/self/fd").map(|d| {
            let mut fds: Vec<String> = d
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            fds.sort();
            fds.join(",")
        }),
        "tcp" => {
            std::net::TcpStream::connect(arg.unwrap_or("127.0.0.1:22")).map(|_| "connected".into())
        }
        "inet-socket" => {
            // SAFETY: socket() with constant arguments.
            let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0) };
            if fd < 0 {
                Err(last())
            } else {
                Ok(format!("fd {fd}"))
            }
        }
        "unix-socket" => {
            // SAFETY: socket() with constant arguments.
            let fd = unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_STREAM, 0) };
            if fd < 0 {
                Err(last())
            } else {
                Ok(format!("fd {fd}"))
            }
        }
        "setuid0" => {
            // SAFETY: integer syscall.
            if unsafe { libc::syscall(libc::SYS_setuid, 0) } != 0 {
                Err(last())
            } else {
                Ok("uid 0".into())
            }
        }
        "kill1" => {
            // SAFETY: integer syscall.
            if unsafe { libc::kill(1, libc::SIGKILL) } != 0 {
                Err(last())
            } else {
                Ok("signalled".into())
            }
        }
        "signal" => {
            // Signal 0 to a host pid: only the permission and existence checks.
            let pid: i32 = arg.and_then(|a| a.parse().ok()).unwrap_or(1);
            // SAFETY: integer syscall.
            if unsafe { libc::kill(pid, 0) } != 0 {
                Err(last())
            } else {
                Ok(format!("pid {pid} can be signalled"))
            }
        }
        "hostname" => {
            let mut name = [0u8; 256];
            // SAFETY: gethostname writes at most `name.len()` bytes into `name`.
            if unsafe { libc::gethostname(name.as_mut_ptr().cast(), name.len()) } != 0 {
                return Err(last());
            }
            let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
            Ok(String::from_utf8_lossy(&name[..end]).into_owned())
        }
        "other-pids" => fs::read_dir("/proc").map(|d| {
            let me = std::process::id().to_string();
            let mut pids: Vec<String> = d
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.bytes().all(|b| b.is_ascii_digit()) && *n != me)
                .collect();
            pids.sort();
            if pids.is_empty() {
                "none".to_owned()
            } else {
                pids.join(",")
            }
        }),
        // Write-then-exec attempts: each writes a copy of this program, which run with
        // the argument `escaped` prints `RESULT ok escaped`.
        "exec-written" => {
            let path = arg.unwrap_or("/tmp/evil");
            write_copy(path)?;
            exec_path(path, &[path, "escaped"])
        }
        "exec-proc-fd" => {
            let path = arg.unwrap_or("/tmp/evil");
            write_copy(path)?;
            let file = fs::File::open(path)?;
            use std::os::fd::AsRawFd;
            let via = format!("/proc/self/fd/{}", file.as_raw_fd());
            exec_path(&via, &[&via, "escaped"])
        }
        "exec-memfd" => {
            // SAFETY: memfd_create with a constant NUL-terminated name.
            let fd = unsafe { libc::syscall(libc::SYS_memfd_create, c"evil".as_ptr(), 0) };
            if fd < 0 {
                return Err(last());
            }
            let fd = fd as i32;
            let copy = own_binary()?;
            // SAFETY: writes `copy` (which lives for the call) to the memfd just made.
            if unsafe { libc::write(fd, copy.as_ptr().cast(), copy.len()) } < 0 {
                return Err(last());
            }
            exec_fd(fd, &["evil", "escaped"])
        }
        "exec-loader" => {
            // arg: `LOADER` or `LOADER,PATH`: the ELF interpreter, and where the program it
            // is asked to load is written (default /tmp/evil).
            let (loader, path) = arg
                .unwrap_or("/lib64/ld-linux-x86-64.so.2")
                .split_once(',')
                .unwrap_or((arg.unwrap_or("/lib64/ld-linux-x86-64.so.2"), "/tmp/evil"));
            write_copy(path)?;
            exec_path(loader, &[loader, path, "escaped"])
        }
        "exec" => {
            let path = arg.unwrap_or("/bin/sh");
            exec_path(path, &[path, "escaped"])
        }
        "escaped" => Ok("escaped: a program the plugin chose ran".into()),
        "syscall" => {
            let nr: i64 = arg.and_then(|a| a.parse().ok()).unwrap_or(-1);
            // SAFETY: the syscall gets invalid arguments (-1 fd, null pointers) only.
            let rc = unsafe { libc::syscall(nr, -1i64, 0i64, 0i64, 0i64, 0i64, 0i64) };
            if rc < 0 {
                Err(last())
            } else {
                Ok(format!("rc {rc}"))
            }
        }
        "ioctl-high-bits" => {
            // TIOCSTI with bit 32 set: a 64-bit compare would call it another command, the
            // kernel truncates it to TIOCSTI.
            let byte = b'x';
            let cmd = libc::TIOCSTI | 1 << 32;
            // SAFETY: ioctl on stdin with a pointer to a live byte.
            let rc = unsafe { libc::syscall(libc::SYS_ioctl, 0i64, cmd, &byte as *const u8) };
            if rc < 0 {
                Err(last())
            } else {
                Ok(format!("rc {rc}"))
            }
        }
        "int80" => {
            // getpid through the i386 entry point (eax 20), which the filter sees with
            // AUDIT_ARCH_I386.
            let mut eax: i64 = 20;
            // SAFETY: a syscall without pointer arguments; only rax is changed.
            unsafe { std::arch::asm!("int 0x80", inout("rax") eax, options(nostack)) };
            Ok(format!("rc {eax}"))
        }
        "copy" => {
            // std's copy uses copy_file_range, then sendfile: what Python's shutil.copy and
            // most runtimes' file copies call.
            fs::write("/tmp/copy-source", b"0123456789")?;
            let copied = fs::copy("/tmp/copy-source", "/tmp/copy-target")?;
            let back = fs::read("/tmp/copy-target")?;
            Ok(format!("copied {copied} bytes, {} read back", back.len()))
        }
        "sendfile" => {
            fs::write("/tmp/sendfile-source", b"0123456789")?;
            let from = fs::File::open("/tmp/sendfile-source")?;
            let to = fs::File::create("/tmp/sendfile-target")?;
            use std::os::fd::AsRawFd;
            // SAFETY: two open descriptors and a null offset pointer (the file position).
            let n = unsafe {
                libc::sendfile(to.as_raw_fd(), from.as_raw_fd(), std::ptr::null_mut(), 10)
            };
            if n < 0 {
                Err(last())
            } else {
                Ok(format!("sent {n} bytes"))
            }
        }
        "fill-tmp" => {
            let mut f = fs::File::create("/tmp/fill")?;
            let block = vec![0u8; 1 << 20];
            let mut written = 0u64;
            loop {
                f.write_all(&block)?;
                written += block.len() as u64;
                if written > (4u64 << 30) {
                    return Ok(format!("{written} bytes"));
                }
            }
        }
        "memory-hog" => {
            let mut chunks = Vec::new();
            for _ in 0..4096 {
                chunks.push(vec![1u8; 1 << 20]);
            }
            Ok(format!("{} MiB", chunks.len()))
        }
        "fork-bomb" => {
            let mut children = 0;
            for _ in 0..1000 {
                // SAFETY: the child only sleeps and exits.
                match unsafe { libc::fork() } {
                    0 => {
                        std::thread::sleep(std::time::Duration::from_secs(3));
                        std::process::exit(0)
                    }
                    n if n < 0 => return Err(last()),
                    _ => children += 1,
                }
            }
            Ok(format!("{children} children"))
        }
        "spin" => loop {
            std::hint::spin_loop();
        },
        "exit" => std::process::exit(arg.and_then(|a| a.parse().ok()).unwrap_or(0)),
        other => Err(std::io::Error::other(format!("unknown attempt {other}"))),
    }
}

/// This program's bytes: through /proc/self/exe, or where argv[0] says (a jail without a
/// /proc of its own).
fn own_binary() -> std::io::Result<Vec<u8>> {
    std::fs::read("/proc/self/exe")
        .or_else(|_| std::fs::read(std::env::args().next().unwrap_or_default()))
}

/// Writes a copy of this program to `path` (creating its directory), mode 0755.
fn write_copy(path: &str) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    if let Some(dir) = std::path::Path::new(path).parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, own_binary()?)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
}

fn c_strings(args: &[&str]) -> Vec<std::ffi::CString> {
    args.iter()
        .map(|a| std::ffi::CString::new(*a).unwrap_or_default())
        .collect()
}

/// execve(path, args, {}); returns only on failure.
#[allow(unsafe_code)]
fn exec_path(path: &str, args: &[&str]) -> std::io::Result<String> {
    let path = std::ffi::CString::new(path).map_err(std::io::Error::other)?;
    let args = c_strings(args);
    let mut argv: Vec<*const libc::c_char> = args.iter().map(|a| a.as_ptr()).collect();
    argv.push(std::ptr::null());
    let envp: [*const libc::c_char; 1] = [std::ptr::null()];
    // SAFETY: NUL-terminated argv/envp of CStrings that outlive the call.
    unsafe { libc::execve(path.as_ptr(), argv.as_ptr(), envp.as_ptr()) };
    Err(last())
}

/// execveat(fd, "", args, {}, AT_EMPTY_PATH); returns only on failure.
#[allow(unsafe_code)]
fn exec_fd(fd: i32, args: &[&str]) -> std::io::Result<String> {
    let args = c_strings(args);
    let mut argv: Vec<*const libc::c_char> = args.iter().map(|a| a.as_ptr()).collect();
    argv.push(std::ptr::null());
    let envp: [*const libc::c_char; 1] = [std::ptr::null()];
    // SAFETY: NUL-terminated argv/envp of CStrings that outlive the call.
    unsafe {
        libc::syscall(
            libc::SYS_execveat,
            fd,
            c"".as_ptr(),
            argv.as_ptr(),
            envp.as_ptr(),
            libc::AT_EMPTY_PATH,
        )
    };
    Err(last())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(name) = args.get(1) else {
        eprintln!("usage: faxbot-jail-probe ATTEMPT [ARG]");
        std::process::exit(2);
    };
    let code = report(attempt(name, args.get(2).map(String::as_str)));
    std::process::exit(code);
}
