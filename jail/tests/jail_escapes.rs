//! Real escape attempts: each test runs the probe program inside the real `faxbot-jail` and
//! asserts the attempt fails the intended way, and that the host is unharmed afterwards.
//! Needs root (CI runs as root); without it each test says so and returns.

use faxbot_jail::Layer;
use faxbot_jail::seccomp::policy::{ArgRule, allowlist};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const JAIL: &str = env!("CARGO_BIN_EXE_faxbot-jail");
const PROBE: &str = env!("CARGO_BIN_EXE_faxbot-jail-probe");

fn root() -> bool {
    let is_root = nix::unistd::geteuid().is_root();
    if !is_root {
        eprintln!("SKIP: the jail tests need root");
    }
    is_root
}

fn probe_dir() -> PathBuf {
    Path::new(PROBE)
        .parent()
        .expect("probe has a directory")
        .to_path_buf()
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn jail(options: &[&str], attempt: &[&str]) -> Run {
    let bind = format!("{}:/app", probe_dir().display());
    let output: Output = Command::new(JAIL)
        .arg("--ro")
        .arg(&bind)
        .args(options)
        .arg("--")
        .arg("/app/faxbot-jail-probe")
        .args(attempt)
        .env("FAXBOT_HOST_SECRET", "must-not-leak")
        .output()
        .expect("faxbot-jail runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// `--disable` flags for every layer but `keep`: the layer-independence runs.
fn only_layer(keep: &str) -> Vec<&'static str> {
    Layer::ALL
        .iter()
        .filter(|l| l.name() != keep)
        .flat_map(|l| ["--disable", l.name()])
        .collect()
}

fn assert_blocked(run: &Run, errno: &str) {
    assert!(
        run.stdout.contains(&format!("RESULT blocked {errno}")),
        "expected the attempt to be blocked with {errno}; stdout: {} stderr: {}",
        run.stdout,
        run.stderr
    );
}

fn assert_not_escaped(run: &Run) {
    assert!(
        !run.stdout.contains("RESULT ok escaped"),
        "a program the plugin chose ran: {} {}",
        run.stdout,
        run.stderr
    );
}

/// The ELF interpreter of the probe (the same path inside the jail).
fn interpreter() -> String {
    let file = std::fs::File::open(PROBE).expect("open probe");
    faxbot_jail::elf::parse_file(&file)
        .and_then(|d| d.interpreter)
        .expect("the probe is dynamically linked")
        .to_string_lossy()
        .into_owned()
}

/// `--disable` flags for every layer but those in `keep`.
fn only_layers(keep: &[&str]) -> Vec<&'static str> {
    Layer::ALL
        .iter()
        .filter(|l| !keep.contains(&l.name()))
        .flat_map(|l| ["--disable", l.name()])
        .collect()
}

fn assert_killed_for(run: &Run, reason: &str) {
    assert!(
        run.code > 128,
        "expected a kill, got exit {} ({})",
        run.code,
        run.stdout
    );
    assert!(
        run.stderr.contains(reason),
        "stderr should say {reason:?}: {}",
        run.stderr
    );
}

fn no_leftover_cgroups() {
    for controller in ["memory", "pids", "cpu"] {
        let dir = Path::new("/sys/fs/cgroup")
            .join(controller)
            .join("faxbot-jails");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(pid) = name.strip_prefix("jail-").and_then(|r| r.split('-').next()) {
                // Only our own process's jails: other tests run in parallel.
                assert_ne!(
                    pid,
                    std::process::id().to_string(),
                    "cgroup {name} left behind"
                );
            }
        }
    }
}

macro_rules! escape_test {
    ($name:ident, [$($opt:expr),*], [$($arg:expr),+], blocked $errno:expr) => {
        #[test]
        fn $name() {
            if !root() { return; }
            let run = jail(&[$($opt),*], &[$($arg),+]);
            assert_not_escaped(&run);
            assert_blocked(&run, $errno);
            no_leftover_cgroups();
        }
    };
    ($name:ident, [$($opt:expr),*], [$($arg:expr),+], killed $reason:expr) => {
        #[test]
        fn $name() {
            if !root() { return; }
            let run = jail(&[$($opt),*], &[$($arg),+]);
            assert_not_escaped(&run);
            assert_killed_for(&run, $reason);
            no_leftover_cgroups();
        }
    };
}

// Filesystem.
escape_test!(plugin_cannot_read_host_shadow, [], ["read", "/etc/shadow"], blocked "ENOENT");
escape_test!(plugin_cannot_read_host_passwd, [], ["read", "/etc/passwd"], blocked "ENOENT");
escape_test!(plugin_cannot_write_the_jail_root, [], ["write", "/escape"], blocked "EROFS");
escape_test!(plugin_cannot_write_its_own_binaries, [], ["write", "/app/faxbot-jail-probe"], blocked "EROFS");
escape_test!(plugin_cannot_list_the_root_directory, [], ["list", "/"], blocked "EACCES");
escape_test!(plugin_cannot_read_init_environment_through_proc, [], ["read", "/proc/1/environ"], blocked "ENOENT");
escape_test!(plugin_sees_no_sys, [], ["read", "/sys/kernel/hostname"], blocked "ENOENT");
escape_test!(plugin_cannot_reach_the_host_root_through_proc, [], ["list", "/proc/1/root/"], blocked "ENOENT");
escape_test!(plugin_cannot_fill_the_disk_past_its_scratch, ["--scratch-size", "8M"], ["fill-tmp"], killed "file size limit");
// Nothing but the verified binary ever executes: write-then-exec, every way.
escape_test!(plugin_cannot_exec_a_program_it_wrote_to_tmp, [], ["exec-written", "/tmp/evil"], blocked "EPERM");
escape_test!(plugin_cannot_exec_a_program_it_wrote_to_its_scratch_directory, [], ["exec-written", "/tmp/work/bin/evil"], blocked "EPERM");
escape_test!(plugin_cannot_exec_a_written_program_through_proc_self_fd, [], ["exec-proc-fd", "/tmp/evil"], blocked "EPERM");
escape_test!(plugin_cannot_exec_a_written_program_from_a_memfd, [], ["exec-memfd"], killed "seccomp violation");
escape_test!(plugin_cannot_exec_another_binary_from_its_own_binds, [], ["exec", "/app/faxbot-jail"], blocked "EPERM");
escape_test!(plugin_cannot_exec_its_own_binary_a_second_time, [], ["exec", "/app/faxbot-jail-probe"], blocked "EPERM");
escape_test!(plugin_has_no_dev_shm_to_write_a_program_into, [], ["write", "/dev/shm/evil"], blocked "ENOENT");
escape_test!(plugin_cannot_use_sysv_shared_memory, [], ["syscall", "29"], killed "seccomp violation");
// /proc shows the plugin its own process and nothing of the kernel.
escape_test!(plugin_cannot_read_kallsyms, [], ["read", "/proc/kallsyms"], blocked "ENOENT");
escape_test!(plugin_cannot_read_kernel_sysctls, [], ["read", "/proc/sys/kernel/ostype"], blocked "ENOENT");
escape_test!(plugin_cannot_list_kernel_sysctls, [], ["list", "/proc/sys/kernel"], blocked "ENOENT");
escape_test!(plugin_cannot_list_other_pids, [], ["other-pids"], blocked "EACCES");
// Network.
escape_test!(plugin_cannot_connect_to_host_loopback, [], ["tcp", "127.0.0.1:22"], blocked "EAFNOSUPPORT");
escape_test!(plugin_cannot_open_inet_sockets, [], ["inet-socket"], blocked "EAFNOSUPPORT");
// Process and identity.
escape_test!(plugin_cannot_become_root, [], ["setuid0"], killed "seccomp violation");
escape_test!(plugin_cannot_kill_the_jail_init, [], ["kill1"], blocked "EPERM");
escape_test!(plugin_cannot_ptrace, [], ["syscall", "101"], killed "seccomp violation");
escape_test!(plugin_cannot_unshare_namespaces, [], ["syscall", "272"], killed "seccomp violation");
escape_test!(plugin_cannot_load_bpf, [], ["syscall", "321"], killed "seccomp violation");
escape_test!(plugin_cannot_open_perf_events, [], ["syscall", "298"], killed "seccomp violation");
escape_test!(plugin_cannot_use_io_uring, [], ["syscall", "425"], killed "seccomp violation");
escape_test!(plugin_cannot_mount, [], ["syscall", "165"], killed "seccomp violation");
escape_test!(plugin_cannot_use_file_handles_shocker, [], ["syscall", "304"], killed "seccomp violation");
escape_test!(plugin_cannot_use_keyrings, [], ["syscall", "250"], killed "seccomp violation");
escape_test!(plugin_cannot_load_kernel_modules, [], ["syscall", "313"], killed "seccomp violation");
escape_test!(plugin_cannot_inject_terminal_input_with_high_bits_in_the_ioctl_command, [], ["ioctl-high-bits"], killed "seccomp violation: syscall ioctl");
escape_test!(plugin_cannot_make_syscalls_through_the_i386_entry_point, [], ["int80"], killed "seccomp violation: i386 syscall 20");
// Resources.
escape_test!(memory_hog_is_killed_at_its_limit, ["--memory", "32M"], ["memory-hog"], killed "out of memory");
escape_test!(cpu_spin_is_killed_at_the_timeout, ["--timeout", "1"], ["spin"], killed "timeout after 1s");
escape_test!(fork_bomb_hits_the_pids_limit, ["--pids", "16"], ["fork-bomb"], blocked "EAGAIN");

#[test]
fn a_plugin_can_copy_files_in_its_scratch_space_with_copy_file_range_and_sendfile() {
    if !root() {
        return;
    }
    for (attempt, expected) in [
        ("copy", "RESULT ok copied 10 bytes, 10 read back"),
        ("sendfile", "RESULT ok sent 10 bytes"),
    ] {
        let run = jail(&[], &[attempt]);
        assert!(
            run.stdout.contains(expected) && run.code == 0,
            "{attempt}: {} {} (exit {})",
            run.stdout,
            run.stderr,
            run.code
        );
    }
}

#[test]
fn plugin_cannot_run_a_written_program_through_the_loader() {
    if !root() {
        return;
    }
    let run = jail(&[], &["exec-loader", &interpreter()]);
    assert_not_escaped(&run);
    assert_blocked(&run, "EPERM");
}

#[test]
fn plugin_cannot_read_loaded_modules() {
    if !root() {
        return;
    }
    if !Path::new("/proc/modules").exists() {
        eprintln!("SKIP: this kernel has no module support, so no /proc/modules to hide");
        return;
    }
    assert_blocked(&jail(&[], &["read", "/proc/modules"]), "ENOENT");
}

#[test]
fn plugin_cannot_read_other_kernel_information_files() {
    if !root() {
        return;
    }
    for file in [
        "/proc/config.gz",
        "/proc/keys",
        "/proc/timer_list",
        "/proc/sched_debug",
        "/proc/interrupts",
        "/proc/iomem",
        "/proc/kcore",
        "/proc/sysrq-trigger",
        "/proc/cmdline",
        "/proc/mounts",
    ] {
        let run = jail(&[], &["read", file]);
        assert!(
            run.stdout.contains("RESULT blocked"),
            "{file} was readable: {}",
            run.stdout
        );
    }
}

#[test]
fn plugin_still_reads_its_own_proc_entries() {
    if !root() {
        return;
    }
    for file in [
        "/proc/self/status",
        "/proc/self/cgroup",
        "/proc/thread-self/stat",
    ] {
        let run = jail(&[], &["read", file]);
        assert!(
            run.stdout.contains("RESULT ok"),
            "{file}: {} {}",
            run.stdout,
            run.stderr
        );
    }
}

#[test]
fn plugin_sees_its_own_cgroup_as_the_root_of_every_hierarchy() {
    if !root() {
        return;
    }
    // The cgroup namespace is rooted where init joined: no host cgroup path shows.
    let run = jail(&[], &["own-cgroups"]);
    assert!(
        run.stdout.contains("RESULT ok /\n"),
        "{} {}",
        run.stdout,
        run.stderr
    );
}

#[test]
fn rootfs_makes_every_writable_place_noexec() {
    if !root() {
        return;
    }
    // Without a pid namespace there is no /proc: the probe copies itself from its bind.
    let off = only_layer("rootfs");
    assert_blocked(&jail(&off, &["exec-written", "/tmp/evil"]), "EACCES");
    assert_blocked(&jail(&off, &["exec-written", "/tmp/work/evil"]), "EACCES");
    // The loader itself may run, but it cannot map what the plugin wrote (with a /proc, so
    // through /proc/self/fd too).
    let off = only_layers(&["rootfs", "namespaces"]);
    let run = jail(&off, &["exec-loader", &interpreter()]);
    assert_not_escaped(&run);
    assert!(
        run.stderr.contains("failed to map segment"),
        "the loader was refused by noexec: {} {}",
        run.stdout,
        run.stderr
    );
    assert_blocked(&jail(&off, &["exec-proc-fd", "/tmp/evil"]), "EACCES");
}

#[test]
fn the_devices_work_and_dev_takes_no_new_file() {
    if !root() {
        return;
    }
    let run = jail(&[], &["write", "/dev/null"]);
    assert!(
        run.stdout.contains("RESULT ok written"),
        "{} {}",
        run.stdout,
        run.stderr
    );
    // With Landlock and seccomp off, the read-only /dev itself refuses a new file.
    let off = only_layers(&["rootfs", "namespaces"]);
    let run = jail(&off, &["write", "/dev/null"]);
    assert!(
        run.stdout.contains("RESULT ok written"),
        "{} {}",
        run.stdout,
        run.stderr
    );
    assert_blocked(&jail(&off, &["write", "/dev/planted"]), "EROFS");
}

/// A fresh root-only directory in the host's /tmp, for runs without the fresh root (the
/// program, root there, writes the host's /tmp: never a fixed name another user could
/// have planted).
fn host_scratch() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("faxbot-escape-")
        .tempdir_in("/tmp")
        .expect("tempdir")
}

#[test]
fn landlock_alone_executes_nothing_but_the_verified_binary() {
    if !root() {
        return;
    }
    let off = only_layer("landlock");
    let dir = host_scratch();
    let evil = dir.path().join("evil").to_string_lossy().into_owned();
    assert_blocked(&jail(&off, &["exec-written", &evil]), "EACCES");
    assert_blocked(&jail(&off, &["exec-proc-fd", &evil]), "EACCES");
    // Without the fresh root the binds are at their host paths.
    let other = probe_dir().join("faxbot-jail");
    assert_blocked(&jail(&off, &["exec", &other.to_string_lossy()]), "EACCES");
}

#[test]
fn seccomp_alone_refuses_every_exec_after_the_launch() {
    if !root() {
        return;
    }
    let off = only_layer("seccomp");
    let dir = host_scratch();
    let evil = dir.path().join("evil").to_string_lossy().into_owned();
    assert_blocked(&jail(&off, &["exec-written", &evil]), "EPERM");
    assert_blocked(&jail(&off, &["exec-proc-fd", &evil]), "EPERM");
    let run = jail(&off, &["exec-loader", &format!("{},{evil}", interpreter())]);
    assert_not_escaped(&run);
    assert_blocked(&run, "EPERM");
    assert_killed_for(&jail(&off, &["exec-memfd"]), "seccomp violation");
}

#[test]
fn rootfs_with_namespaces_alone_still_hides_kernel_files_in_proc() {
    if !root() {
        return;
    }
    // A /proc of its own needs the pid namespace; no Landlock, running as root.
    let off = only_layers(&["rootfs", "namespaces"]);
    for file in ["/proc/kallsyms", "/proc/modules", "/proc/sys/kernel/ostype"] {
        assert_blocked(&jail(&off, &["read", file]), "ENOENT");
    }
}

#[test]
fn proc_hides_the_jail_init_from_the_program_without_landlock() {
    if !root() {
        return;
    }
    let mut off = vec!["--disable", "landlock"];
    off.extend(["--disable", "seccomp"]);
    let run = jail(&off, &["other-pids"]);
    assert_eq!(run.stdout.trim(), "RESULT ok none", "{}", run.stderr);
}

#[test]
fn landlock_alone_still_hides_kernel_files_in_proc() {
    if !root() {
        return;
    }
    let off = only_layer("landlock");
    for file in ["/proc/kallsyms", "/proc/modules", "/proc/sys/kernel/ostype"] {
        if Path::new(file).exists() {
            assert_blocked(&jail(&off, &["read", file]), "EACCES");
        }
    }
    assert_blocked(&jail(&off, &["other-pids"]), "EACCES");
    let own = jail(&off, &["read", "/proc/self/status"]);
    assert!(own.stdout.contains("RESULT ok"), "{}", own.stdout);
}

#[test]
fn plugin_runs_unprivileged_with_no_capabilities() {
    if !root() {
        return;
    }
    let run = jail(&[], &["whoami"]);
    assert!(
        run.stdout.contains("uid=65533 euid=65533"),
        "{}",
        run.stdout
    );
    for set in ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"] {
        assert!(
            run.stdout.contains(&format!("{set}:\t0000000000000000")),
            "{set} not empty: {}",
            run.stdout
        );
    }
}

#[test]
fn plugin_inherits_no_environment_and_no_fds() {
    if !root() {
        return;
    }
    let run = jail(&["--env", "FAXBOT_ABI=1"], &["env"]);
    assert_eq!(
        run.stdout.trim(),
        "RESULT ok FAXBOT_ABI=1",
        "{}",
        run.stderr
    );
    // 0-2 and the fd read_dir itself opens; nothing else.
    let run = jail(&[], &["fds"]);
    assert_eq!(run.stdout.trim(), "RESULT ok 0,1,2,3", "{}", run.stderr);
}

#[test]
fn plugin_sees_its_own_hostname_not_the_hosts() {
    if !root() {
        return;
    }
    let run = jail(&[], &["hostname"]);
    assert_eq!(run.stdout.trim(), "RESULT ok faxbot-jail");
}

#[test]
fn exit_status_is_the_programs() {
    if !root() {
        return;
    }
    assert_eq!(jail(&[], &["exit", "7"]).code, 7);
    assert_eq!(jail(&[], &["exit", "0"]).code, 0);
}

#[test]
fn every_allowed_syscall_passes_the_filter_with_invalid_arguments() {
    if !root() {
        return;
    }
    // Calls that would act even on invalid arguments are left to the tests above.
    let side_effects = [
        "exit",
        "exit_group",
        "vfork",
        "rt_sigreturn",
        "pause",
        "setsid",
        "kill",
        "tgkill",
        "tkill",
        "clone",
        "execve",
        "execveat",
        "munmap",
        "mremap",
        "brk",
        "mmap",
        "sched_yield",
        "rseq",
        "set_tid_address",
        "close_range",
        "nanosleep",
        "clock_nanosleep",
        "rt_sigtimedwait",
        "wait4",
        "waitid",
        "poll",
        "ppoll",
        "select",
        "pselect6",
        "epoll_wait",
        "epoll_pwait",
        "epoll_pwait2",
        "futex",
        "umask",
    ];
    let mut failures = Vec::new();
    for syscall in allowlist() {
        if side_effects.contains(&syscall.name) || syscall.rule == ArgRule::FailsWithEnosys {
            continue;
        }
        let run = jail(&[], &["syscall", &syscall.nr.to_string()]);
        if run.code > 128 || run.stderr.contains("seccomp violation") {
            failures.push(format!(
                "{} ({}): {}",
                syscall.name,
                syscall.nr,
                run.stderr.trim()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "allowed syscalls were killed:\n{}",
        failures.join("\n")
    );
}

#[test]
fn x32_entry_points_are_refused() {
    if !root() {
        return;
    }
    // getpid through the x32 ABI (nr | 0x40000000): not in the allowlist, so death.
    let run = jail(&[], &["syscall", &(0x4000_0000i64 + 39).to_string()]);
    assert_eq!(
        run.code,
        128 + libc::SIGSYS,
        "{} {}",
        run.stdout,
        run.stderr
    );
}

#[test]
fn seccomp_alone_still_blocks_ptrace_with_every_other_layer_off() {
    if !root() {
        return;
    }
    let off = only_layer("seccomp");
    let run = jail(&off, &["syscall", "101"]);
    assert_killed_for(&run, "seccomp violation");
    assert!(
        run.stderr.contains("WARNING: layer landlock disabled"),
        "disabling is loud: {}",
        run.stderr
    );
}

#[test]
fn rootfs_alone_still_hides_host_files() {
    if !root() {
        return;
    }
    let off = only_layer("rootfs");
    assert_blocked(&jail(&off, &["read", "/etc/shadow"]), "ENOENT");
}

#[test]
fn landlock_alone_still_blocks_host_files_and_tcp() {
    if !root() {
        return;
    }
    let off = only_layer("landlock");
    assert_blocked(&jail(&off, &["read", "/etc/shadow"]), "EACCES");
    assert_blocked(&jail(&off, &["tcp", "127.0.0.1:9"]), "EACCES");
}

#[test]
fn cgroup_alone_still_stops_a_memory_hog() {
    if !root() {
        return;
    }
    let mut off = only_layer("cgroup");
    off.extend(["--memory", "32M"]);
    assert_killed_for(&jail(&off, &["memory-hog"]), "out of memory");
}

#[test]
fn identity_alone_still_refuses_root_actions() {
    if !root() {
        return;
    }
    let off = only_layer("identity");
    assert_blocked(&jail(&off, &["setuid0"]), "EPERM");
    assert_blocked(&jail(&off, &["read", "/etc/shadow"]), "EACCES");
}

#[test]
fn killing_the_jail_leaves_nothing_behind() {
    if !root() {
        return;
    }
    let bind = format!("{}:/app", probe_dir().display());
    let mut child = Command::new(JAIL)
        .args([
            "--ro",
            &bind,
            "--",
            "/app/faxbot-jail-probe",
            "spin",
            "killing-the-jail-marker",
        ])
        .spawn()
        .expect("spawn");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let jail_pid = child.id();
    child.kill().expect("SIGKILL faxbot-jail");
    child.wait().expect("reaped");
    std::thread::sleep(std::time::Duration::from_secs(1));
    // No process whose parent chain leads to the killed jail, and no probe still spinning.
    let survivors: Vec<String> = std::fs::read_dir("/proc")
        .expect("proc")
        .flatten()
        .filter_map(|e| {
            let cmdline = std::fs::read_to_string(e.path().join("cmdline")).ok()?;
            let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
            (cmdline.contains("spin\0killing-the-jail-marker") && !stat.contains(" Z "))
                .then(|| format!("{} (jail was {jail_pid})", e.file_name().to_string_lossy()))
        })
        .collect();
    assert!(
        survivors.is_empty(),
        "jailed processes outlived the jail: {survivors:?}"
    );
}

#[test]
fn missing_layer_is_refused_unless_allowed() {
    // A program outside every bind is a setup failure with a clear message, not a weaker run.
    let output = Command::new(JAIL)
        .args(["--ro", "/nonexistent-faxbot-dir", "--", "/bin/true"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(125));
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("faxbot-jail: --ro /nonexistent-faxbot-dir")
    );
}

#[test]
fn a_plugin_directory_under_host_tmp_is_still_bound() {
    if !root() {
        return;
    }
    let dir = tempfile::Builder::new()
        .prefix("faxbot-plugin-")
        .tempdir_in("/tmp")
        .expect("tempdir in /tmp");
    std::fs::copy(PROBE, dir.path().join("probe")).expect("copy probe");
    let output = Command::new(JAIL)
        .arg("--ro")
        .arg(format!("{}:/app", dir.path().display()))
        .args(["--", "/app/probe", "exit", "3"])
        .output()
        .expect("runs");
    assert_eq!(
        output.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_supervisor_spec_fd_path_runs_the_verified_fd() {
    if !root() {
        return;
    }
    use faxbot_jail::{Bind, JailSpec, Program};
    use std::io::Write;
    use std::os::fd::AsRawFd;
    let program = std::fs::File::open(PROBE).expect("open the verified binary once");
    nix::fcntl::fcntl(
        &program,
        nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::empty()),
    )
    .expect("inheritable");
    let mut spec = JailSpec::new(
        Program::Fd(program.as_raw_fd()),
        vec!["probe".into(), "exit".into(), "5".into()],
    );
    spec.ro_binds.push(Bind {
        host: probe_dir(),
        jail: "/app".into(),
    });
    let (reader, mut writer) = std::io::pipe().expect("pipe");
    nix::fcntl::fcntl(
        &reader,
        nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::empty()),
    )
    .expect("inheritable");
    writer
        .write_all(&spec.encode().expect("encode"))
        .expect("write spec");
    drop(writer);
    let output = Command::new(JAIL)
        .args(["--spec-fd", &reader.as_raw_fd().to_string()])
        .output()
        .expect("runs");
    assert_eq!(
        output.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn a_malformed_spec_on_the_spec_fd_is_refused_with_a_reason() {
    use std::io::Write;
    use std::os::fd::AsRawFd;
    let (reader, mut writer) = std::io::pipe().expect("pipe");
    nix::fcntl::fcntl(
        &reader,
        nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::empty()),
    )
    .expect("inheritable");
    writer.write_all(&[9, 0, 0, 0, 0xff, 0xff]).expect("write");
    drop(writer);
    let output = Command::new(JAIL)
        .args(["--spec-fd", &reader.as_raw_fd().to_string()])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(125));
    assert!(String::from_utf8_lossy(&output.stderr).contains("spec is truncated"));
}

#[test]
fn namespaces_alone_still_cut_the_network() {
    if !root() {
        return;
    }
    let off = only_layer("namespaces");
    // Root inside, no seccomp, no Landlock: only the empty network namespace stands between
    // the program and the host's loopback.
    assert_blocked(&jail(&off, &["tcp", "127.0.0.1:22"]), "ENETUNREACH");
}

#[test]
fn rlimits_alone_still_close_inherited_fds() {
    if !root() {
        return;
    }
    let host_file = std::fs::File::open("/etc/hostname").expect("open a host file");
    // F_DUPFD gives a descriptor numbered 20 or above without close-on-exec: it is
    // inherited by faxbot-jail and, without the fd layer, would reach the program.
    let leaked = nix::fcntl::fcntl(&host_file, nix::fcntl::FcntlArg::F_DUPFD(20)).expect("dup");
    assert!(leaked >= 20);
    let off = only_layer("rlimits");
    let run = jail(&off, &["fds"]);
    let _ = nix::unistd::close(leaked);
    assert_eq!(
        run.stdout.trim(),
        "RESULT ok 0,1,2,3",
        "an inherited fd leaked: {}",
        run.stderr
    );
}

/// A copy of the test binaries in a world-readable directory an unprivileged user can bind.
fn world_readable_copy() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::Builder::new()
        .prefix("faxbot-dev-")
        .tempdir()
        .expect("tempdir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    std::fs::copy(PROBE, dir.path().join("probe")).expect("copy");
    dir
}

fn as_developer(args: &[&str]) -> Run {
    let output = Command::new("setpriv")
        .args(["--reuid=1000", "--regid=1000", "--clear-groups", JAIL])
        .args(args)
        .output()
        .expect("setpriv runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[test]
fn an_unprivileged_developer_gets_the_jail_through_a_user_namespace() {
    if !root() || !faxbot_jail::check::user_namespaces_available() {
        eprintln!(
            "SKIP: needs root to switch to a developer uid, and unprivileged user namespaces"
        );
        return;
    }
    let dir = world_readable_copy();
    let bind = format!("{}:/app", dir.path().display());
    // Without a delegated cgroup the cgroup layer is missing: refused unless allowed.
    let refused = as_developer(&["--ro", &bind, "--", "/app/probe", "whoami"]);
    assert_eq!(refused.code, 125, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("cgroup: not available"),
        "{}",
        refused.stderr
    );
    let base = ["--allow-missing", "cgroup", "--ro", &bind, "--"];
    let run = as_developer(&[&base[..], &["/app/probe", "whoami"]].concat());
    assert!(
        run.stdout.contains("uid=65533") && run.stdout.contains("CapEff:\t0000000000000000"),
        "{} {}",
        run.stdout,
        run.stderr
    );
    assert!(
        run.stderr.contains("layer cgroup unavailable"),
        "the lowered minimum is said: {}",
        run.stderr
    );
    assert_blocked(
        &as_developer(&[&base[..], &["/app/probe", "read", "/etc/shadow"]].concat()),
        "ENOENT",
    );
    assert_blocked(
        &as_developer(&[&base[..], &["/app/probe", "tcp", "127.0.0.1:22"]].concat()),
        "EAFNOSUPPORT",
    );
    let killed = as_developer(&[&base[..], &["/app/probe", "syscall", "101"]].concat());
    assert_eq!(killed.code, 128 + libc::SIGSYS, "{}", killed.stderr);
}

#[test]
fn jailed_processes_never_run_as_host_root() {
    if !root() {
        return;
    }
    let bind = format!("{}:/app", probe_dir().display());
    let mut child = Command::new(JAIL)
        .args([
            "--ro",
            &bind,
            "--timeout",
            "5",
            "--",
            "/app/faxbot-jail-probe",
            "spin",
        ])
        .spawn()
        .expect("spawn");
    std::thread::sleep(std::time::Duration::from_millis(400));
    let mut seen = 0;
    for entry in std::fs::read_dir("/proc").expect("proc").flatten() {
        let Ok(cmdline) = std::fs::read_to_string(entry.path().join("cmdline")) else {
            continue;
        };
        if !cmdline.starts_with("/app/faxbot-jail-probe\0spin") {
            continue;
        }
        let status = std::fs::read_to_string(entry.path().join("status")).unwrap_or_default();
        let uid_line = status
            .lines()
            .find(|l| l.starts_with("Uid:"))
            .unwrap_or_default()
            .to_owned();
        assert!(
            !uid_line.split_whitespace().skip(1).any(|u| u == "0"),
            "a jailed process runs as host root: {uid_line}"
        );
        seen += 1;
    }
    child.kill().expect("kill");
    child.wait().expect("wait");
    assert!(seen >= 1, "the jailed program was not found from the host");
}

#[test]
fn plugin_sees_only_the_libraries_it_needs() {
    if !root() {
        return;
    }
    // The probe needs libc, libgcc_s and the loader; any other system library stays hidden.
    let other = [
        "/usr/lib/x86_64-linux-gnu/libz.so.1",
        "/usr/lib/x86_64-linux-gnu/libm.so.6",
    ]
    .into_iter()
    .find(|p| Path::new(p).exists() && !p.ends_with("libm.so.6"))
    .unwrap_or("/usr/lib/x86_64-linux-gnu/libm.so.6");
    if !Path::new(other).exists() {
        eprintln!("SKIP: no other system library to look for");
        return;
    }
    assert_blocked(&jail(&[], &["read", other]), "ENOENT");
    assert_blocked(&jail(&[], &["list", "/usr/lib/x86_64-linux-gnu"]), "EACCES");
}
