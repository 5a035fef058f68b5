//! Spawn-to-exit time of a trivial program under `faxbot-jail` (the default plugin jail,
//! all seven layers) and under `bwrap` with comparable isolation, interleaved in one run.
//! Hot: back-to-back launches. Cold: each launch after an idle pause.
//!
//! Two programs: the dynamically linked `faxbot-jail-probe` (bwrap gets the library
//! directories bound) and a static C `exit 0` built here with `cc -static` (bwrap gets only
//! its directory bound), when a C compiler with a static libc is installed.
//!
//! `cargo bench -p faxbot-jail --bench jail_start` (root; bubblewrap from
//! scripts/setup). Options: `--runs N` (default 200), `--cold N` (default 20),
//! `--idle-ms MS` (default 60). Under `cargo test --benches` (argument `--test`
//! or no `--bench`) it does a quick smoke pass of 3 runs each.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn arg(args: &[String], name: &str, default: u64) -> u64 {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn target_dir() -> PathBuf {
    // benches run from target/<profile>/deps; the binaries live one level up.
    let exe = std::env::current_exe().expect("current exe");
    exe.parent()
        .and_then(Path::parent)
        .expect("target dir")
        .to_path_buf()
}

fn launch(cmd: &mut Command) -> Duration {
    let start = Instant::now();
    let status = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("spawn");
    let elapsed = start.elapsed();
    assert!(status.success(), "launch failed: {cmd:?} -> {status}");
    elapsed
}

/// One program both sandboxes run: its directory (bound read-only at /app), its argv
/// inside, and whether it needs the host's libraries.
struct Program {
    name: &'static str,
    dir: PathBuf,
    argv: Vec<String>,
    dynamic: bool,
}

fn faxbot_jail(jail: &Path, program: &Program) -> Command {
    let mut cmd = Command::new(jail);
    cmd.arg("--ro")
        .arg(format!("{}:/app", program.dir.display()))
        .arg("--")
        .args(&program.argv);
    cmd
}

fn bwrap(program: &Program) -> Command {
    let mut cmd = Command::new("bwrap");
    cmd.args(["--unshare-all", "--die-with-parent", "--new-session"])
        .arg("--ro-bind")
        .arg(&program.dir)
        .arg("/app");
    if program.dynamic {
        for lib in ["/usr/lib", "/usr/lib64", "/lib", "/lib64"] {
            if Path::new(lib).exists() {
                cmd.args(["--ro-bind", lib, lib]);
            }
        }
    }
    cmd.args(["--tmpfs", "/tmp", "--proc", "/proc", "--dev", "/dev", "--"])
        .args(&program.argv);
    cmd
}

/// `exit 0` in C, linked statically into a fresh directory; `None` without `cc -static`.
fn static_exit0() -> Option<(tempfile::TempDir, PathBuf)> {
    let dir = tempfile::tempdir().ok()?;
    let source = dir.path().join("exit0.c");
    std::fs::write(&source, "int main(void) { return 0; }\n").ok()?;
    let binary = dir.path().join("exit0");
    let built = Command::new("cc")
        .args(["-static", "-O2", "-o"])
        .arg(&binary)
        .arg(&source)
        .status()
        .is_ok_and(|s| s.success());
    std::fs::remove_file(&source).ok()?;
    // The jail's uid must be able to traverse to it.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).ok()?;
    built.then(|| {
        let path = dir.path().to_path_buf();
        (dir, path)
    })
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn summary(name: &str, mut samples: Vec<Duration>) -> (Duration, Duration) {
    if samples.is_empty() {
        return (Duration::ZERO, Duration::ZERO);
    }
    samples.sort_unstable();
    let (p50, p99) = (percentile(&samples, 0.5), percentile(&samples, 0.99));
    println!(
        "{name:<28} n={:<4} median={:>8.2} ms  p99={:>8.2} ms  min={:>6.2} ms",
        samples.len(),
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        samples[0].as_secs_f64() * 1e3
    );
    (p50, p99)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let smoke = !args.iter().any(|a| a == "--bench");
    let runs = if smoke { 3 } else { arg(&args, "--runs", 200) };
    let cold = if smoke { 1 } else { arg(&args, "--cold", 20) };
    let idle = Duration::from_millis(if smoke {
        10
    } else {
        arg(&args, "--idle-ms", 60)
    });
    let dir = target_dir();
    let have_bwrap = Command::new("bwrap")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !nix_is_root() {
        println!("jail_start: SKIP (needs root)");
        return;
    }
    let jail = dir.join("faxbot-jail");
    let mut programs = vec![Program {
        name: "dynamic probe",
        dir: dir.clone(),
        argv: vec!["/app/faxbot-jail-probe".into(), "exit".into(), "0".into()],
        dynamic: true,
    }];
    let built = static_exit0();
    match &built {
        Some((_, path)) => programs.push(Program {
            name: "static exit0",
            dir: path.clone(),
            argv: vec!["/app/exit0".into()],
            dynamic: false,
        }),
        None => println!("jail_start: no `cc -static`, the static program is left out"),
    }
    for program in &programs {
        compare(&jail, program, have_bwrap, runs, cold, idle);
    }
}

/// Runs `program` under both sandboxes, launch by launch, hot then cold, and prints both.
fn compare(jail: &Path, program: &Program, have_bwrap: bool, runs: u64, cold: u64, idle: Duration) {
    let (mut jail_hot, mut bwrap_hot) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        jail_hot.push(launch(&mut faxbot_jail(jail, program)));
        if have_bwrap {
            bwrap_hot.push(launch(&mut bwrap(program)));
        }
    }
    let (mut jail_cold, mut bwrap_cold) = (Vec::new(), Vec::new());
    for _ in 0..cold {
        std::thread::sleep(idle);
        jail_cold.push(launch(&mut faxbot_jail(jail, program)));
        if have_bwrap {
            std::thread::sleep(idle);
            bwrap_cold.push(launch(&mut bwrap(program)));
        }
    }
    let name = program.name;
    println!("-- {name}");
    let (jh50, jh99) = summary("faxbot-jail hot", jail_hot);
    // (a run with --runs 0 measures only cold starts)
    let (jc50, jc99) = summary("faxbot-jail cold", jail_cold);
    if have_bwrap {
        let (bh50, bh99) = summary("bwrap hot", bwrap_hot);
        let (bc50, bc99) = summary("bwrap cold", bwrap_cold);
        let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
        println!(
            "SUMMARY jail_start {name}: hot median ratio faxbot-jail/bwrap = {:.2} (p99 {:.2}); cold ({} ms idle) median ratio = {:.2} (p99 {:.2})",
            ratio(jh50, bh50),
            ratio(jh99, bh99),
            idle.as_millis(),
            ratio(jc50, bc50),
            ratio(jc99, bc99)
        );
    } else {
        println!("SUMMARY jail_start: bwrap not installed, no baseline (run scripts/setup)");
    }
}

fn nix_is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false)
}
