//! `faxbot-jail`: runs one program in the faxbot plugin jail, like `bwrap` or `nsjail`.

use faxbot_jail::{self as jail, Bind, JailSpec, Program};
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

mod args;

use args::{Cli, HELP, Parsed};

/// Exit status when the jail itself could not be set up (the nsjail/bwrap convention).
const SETUP_FAILED: u8 = 125;

/// Exit status of a command line that could not be read (clap's and getopt's convention).
const USAGE: u8 = 2;

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
    let cli = match args::parse(std::env::args_os().skip(1)) {
        Ok(Parsed::Run(cli)) => cli,
        Ok(Parsed::Help) => {
            print!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Ok(Parsed::Version) => {
            println!("faxbot-jail {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!(
                "faxbot-jail: {e}\nUsage: faxbot-jail [OPTIONS] -- PROGRAM [ARGS]... (see --help)"
            );
            return ExitCode::from(USAGE);
        }
    };
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
