//! `faxbot-jail`: runs one program in the faxbot plugin jail, like `bwrap` or `nsjail`.

use clap::Parser;
use faxbot_jail::{self as jail, Bind, JailSpec, Layer, Program, parse_size};
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

/// Exit status when the jail itself could not be set up (the nsjail/bwrap convention).
const SETUP_FAILED: u8 = 125;

/// Run PROGRAM in the faxbot plugin jail: its own cgroup (memory, pids, CPU), namespaces
/// (mount, pid, net, ipc, uts, cgroup), a fresh read-only root with only the --ro binds,
/// a size-limited /tmp, minimal /dev and private /proc, rlimits, no inherited fds or
/// environment, an unprivileged uid with no capabilities, Landlock and a seccomp allowlist.
///
/// Exit status: the program's; 128+signal when it was killed (with one stderr line saying
/// why: seccomp violation and the syscall, out of memory, pids limit, timeout); 125 when the
/// jail could not be set up or a required layer is missing on this host.
#[derive(Debug, Parser)]
#[command(name = "faxbot-jail", version)]
struct Cli {
    /// Read-only bind mount HOST_PATH[:JAIL_PATH] (repeatable); PROGRAM must lie under one.
    #[arg(long = "ro", value_name = "HOST_PATH[:JAIL_PATH]")]
    ro: Vec<String>,
    /// Size of the writable /tmp (K, M, G suffixes).
    #[arg(long, default_value = "64M", value_parser = size)]
    scratch_size: u64,
    /// Memory limit, no swap (K, M, G suffixes).
    #[arg(long, default_value = "100M", value_parser = size)]
    memory: u64,
    /// Process/thread limit.
    #[arg(long, default_value_t = 64)]
    pids: u64,
    /// CPU quota in cores.
    #[arg(long, default_value_t = 1.0)]
    cpu: f64,
    /// Open-file limit.
    #[arg(long, default_value_t = 256)]
    nofile: u64,
    /// Wall-clock limit in seconds, then the whole jail is killed (0 = none).
    #[arg(long, default_value_t = 0)]
    timeout: u64,
    /// KEY=VALUE added to the otherwise empty environment (repeatable).
    #[arg(long = "env", value_name = "KEY=VALUE")]
    env: Vec<String>,
    /// Unprivileged uid to run as (never 0).
    #[arg(long, default_value_t = jail::spec::DEFAULT_JAIL_ID)]
    uid: u32,
    /// Unprivileged gid to run as (never 0).
    #[arg(long, default_value_t = jail::spec::DEFAULT_JAIL_ID)]
    gid: u32,
    /// An inherited fd that becomes fd 3 inside the jail.
    #[arg(long, value_name = "N")]
    rpc_fd: Option<i32>,
    /// Read the whole spec (u32 LE length + postcard JailSpec) from fd N instead of flags.
    #[arg(long, value_name = "N", conflicts_with_all = ["ro", "program"])]
    spec_fd: Option<i32>,
    /// Create N spare cgroups ahead of time (so later starts skip the costly mkdir) and exit.
    #[arg(long, value_name = "N", conflicts_with_all = ["program", "spec_fd", "check"])]
    prepare_cgroups: Option<usize>,
    /// Also join cgroup v1's freezer and cpuacct controllers (a race-free kill of the whole
    /// cgroup from outside, CPU time billing), as the supervisor's jails do. The jail needs
    /// neither: it is killed through its pid namespace.
    #[arg(long)]
    accounting: bool,
    /// Print which layers this host supports and exit (0: all, 1: some missing).
    #[arg(long)]
    check: bool,
    /// With --check: machine-readable JSON.
    #[arg(long, requires = "check")]
    json: bool,
    /// Accept that LAYER is missing on this host (repeatable); said on stderr when it is.
    #[arg(long = "allow-missing", value_name = "LAYER", value_parser = layer)]
    allow_missing: Vec<Layer>,
    /// Switch LAYER off (repeatable). For tests of layer independence only: loudly reported.
    #[arg(long = "disable", value_name = "LAYER", value_parser = layer)]
    disable: Vec<Layer>,
    /// The program and its arguments.
    #[arg(last = true, value_name = "PROGRAM [ARGS]...")]
    program: Vec<String>,
}

fn size(text: &str) -> Result<u64, String> {
    parse_size(text).map_err(|e| e.to_string())
}

fn layer(text: &str) -> Result<Layer, String> {
    Layer::from_name(text).ok_or_else(|| {
        let names: Vec<_> = Layer::ALL.iter().map(|l| l.name()).collect();
        format!("unknown layer {text:?}; layers are {}", names.join(", "))
    })
}

fn spec_from_flags(cli: &Cli) -> Result<JailSpec, String> {
    let Some(program) = cli.program.first() else {
        return Err("no PROGRAM given (usage: faxbot-jail [OPTIONS] -- PROGRAM [ARGS]...)".into());
    };
    let mut binds = Vec::new();
    for ro in &cli.ro {
        let (host, jail) = match ro.split_once(':') {
            Some((h, j)) => (PathBuf::from(h), PathBuf::from(j)),
            None => (PathBuf::from(ro), PathBuf::from(ro)),
        };
        let host = host.canonicalize().map_err(|e| format!("--ro {ro}: {e}"))?;
        binds.push(Bind { host, jail });
    }
    // PROGRAM is a path inside the jail (under a bind's jail path) or on the host.
    let program_path = PathBuf::from(program);
    let host_program = binds
        .iter()
        .find_map(|b| {
            program_path
                .strip_prefix(&b.jail)
                .ok()
                // A bind of the program file itself: `rest` is empty.
                .map(|rest| {
                    if rest.as_os_str().is_empty() {
                        b.host.clone()
                    } else {
                        b.host.join(rest)
                    }
                })
        })
        .unwrap_or_else(|| program_path.clone());
    let host_program = host_program
        .canonicalize()
        .map_err(|e| format!("program {program}: {e}"))?;
    let mut spec = JailSpec::new(Program::Path(host_program), cli.program.clone());
    spec.ro_binds = binds;
    spec.scratch_bytes = cli.scratch_size;
    spec.memory_bytes = cli.memory;
    spec.pids = cli.pids;
    spec.cpu_cores = cli.cpu;
    spec.nofile = cli.nofile;
    spec.timeout_secs = cli.timeout;
    spec.uid = cli.uid;
    spec.gid = cli.gid;
    spec.rpc_fd = cli.rpc_fd;
    for kv in &cli.env {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| format!("--env {kv}: expected KEY=VALUE"))?;
        spec.env.push((k.to_owned(), v.to_owned()));
    }
    spec.allow_missing = cli.allow_missing.clone();
    spec.disabled = cli.disable.clone();
    spec.accounting = cli.accounting;
    Ok(spec)
}

fn spec_from_fd(fd: i32) -> Result<JailSpec, String> {
    if fd < 0 {
        return Err(format!("--spec-fd {fd}: not a file descriptor"));
    }
    let file = std::fs::File::from(
        jail::syscalls::linux::adopt_inherited_fd(fd)
            .map_err(|e| format!("--spec-fd {fd}: {e}"))?,
    );
    let mut bytes = Vec::new();
    file.take(jail::spec::MAX_SPEC_BYTES as u64 + 4)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("--spec-fd {fd}: {e}"))?;
    JailSpec::decode(&bytes).map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let host = jail::probe();
    let support = &host.report;
    if cli.check {
        if cli.json {
            println!(
                "{}",
                serde_json::to_string_pretty(&support).unwrap_or_default()
            );
        } else {
            println!("{:<10} {}", "mode", support.mode);
            for l in &support.layers {
                println!(
                    "{:<10} {:<4} {}",
                    l.layer,
                    if l.available { "ok" } else { "MISSING" },
                    l.detail
                );
            }
        }
        return if support.complete() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        };
    }
    if let Some(count) = cli.prepare_cgroups {
        let prepared =
            faxbot_cgroup::Hierarchy::detect(std::path::Path::new(faxbot_cgroup::CGROUP_MOUNT))
                .and_then(|h| h.prepare_spares(count));
        return match prepared {
            Ok(n) => {
                println!("{n} spare cgroups ready");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("faxbot-jail: cgroup: {e}");
                ExitCode::from(SETUP_FAILED)
            }
        };
    }
    let spec = match cli.spec_fd {
        Some(fd) => spec_from_fd(fd),
        None => spec_from_flags(&cli),
    };
    let spec = match spec {
        Ok(spec) => spec,
        Err(e) => {
            eprintln!("faxbot-jail: {e}");
            return ExitCode::from(SETUP_FAILED);
        }
    };
    match jail::run_probed(&spec, &host) {
        Ok(ending) => {
            if let Some(reason) = &ending.reason {
                eprintln!("faxbot-jail: {reason}");
            }
            ExitCode::from(u8::try_from(ending.exit_code).unwrap_or(SETUP_FAILED))
        }
        Err(e) => {
            eprintln!("faxbot-jail: {e}");
            ExitCode::from(SETUP_FAILED)
        }
    }
}
