//! The command line of `faxbot-jail`, read by hand with `lexopt`.
//!
//! Every plugin start runs this program once, so its own start is part of every launch:
//! clap's derive built and checked the whole command (19 options with their help) on each
//! run, 55 µs warm and ~130 µs on a cold start, about a twentieth of a whole bubblewrap
//! launch. This reader does the same checks (values, repeats, conflicts) in a few µs.

use faxbot_jail::{Layer, parse_size, spec::DEFAULT_JAIL_ID};
use lexopt::prelude::*;
use std::ffi::OsString;

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct Cli {
    pub ro: Vec<String>,
    pub scratch_size: u64,
    pub memory: u64,
    pub pids: u64,
    pub cpu: f64,
    pub nofile: u64,
    pub timeout: u64,
    pub env: Vec<String>,
    pub uid: u32,
    pub gid: u32,
    pub rpc_fd: Option<i32>,
    pub spec_fd: Option<i32>,
    pub prepare_cgroups: Option<usize>,
    pub check: bool,
    pub json: bool,
    pub accounting: bool,
    pub allow_missing: Vec<Layer>,
    pub disable: Vec<Layer>,
    pub program: Vec<String>,
}

impl Default for Cli {
    fn default() -> Self {
        Self {
            ro: Vec::new(),
            scratch_size: 64 << 20,
            memory: 100 << 20,
            pids: 64,
            cpu: 1.0,
            nofile: 256,
            timeout: 0,
            env: Vec::new(),
            uid: DEFAULT_JAIL_ID,
            gid: DEFAULT_JAIL_ID,
            rpc_fd: None,
            spec_fd: None,
            prepare_cgroups: None,
            check: false,
            json: false,
            accounting: false,
            allow_missing: Vec::new(),
            disable: Vec::new(),
            program: Vec::new(),
        }
    }
}

/// The outcome of reading the command line.
#[derive(Debug, PartialEq)]
pub enum Parsed {
    Run(Box<Cli>),
    Help,
    Version,
}

pub const HELP: &str = "\
Run PROGRAM in the faxbot plugin jail: its own cgroup (memory, pids, CPU), namespaces
(mount, pid, net, ipc, uts, cgroup), a fresh read-only root with only the --ro binds,
a size-limited /tmp, minimal /dev and private /proc, rlimits, no inherited fds or
environment, an unprivileged uid with no capabilities, Landlock and a seccomp allowlist.

Exit status: the program's; 128+signal when it was killed (with one stderr line saying
why: seccomp violation and the syscall, out of memory, pids limit, timeout); 125 when the
jail could not be set up or a required layer is missing on this host.

Usage: faxbot-jail [OPTIONS] -- PROGRAM [ARGS]...

Options:
      --ro <HOST_PATH[:JAIL_PATH]>  Read-only bind mount (repeatable); PROGRAM must lie under one
      --scratch-size <SIZE>         Size of the writable /tmp (K, M, G suffixes) [default: 64M]
      --memory <SIZE>               Memory limit, no swap (K, M, G suffixes) [default: 100M]
      --pids <N>                    Process/thread limit [default: 64]
      --cpu <CORES>                 CPU quota in cores [default: 1]
      --nofile <N>                  Open-file limit [default: 256]
      --timeout <SECONDS>           Wall-clock limit, then the whole jail is killed (0 = none) [default: 0]
      --env <KEY=VALUE>             Added to the otherwise empty environment (repeatable)
      --uid <UID>                   Unprivileged uid to run as (never 0) [default: 65533]
      --gid <GID>                   Unprivileged gid to run as (never 0) [default: 65533]
      --rpc-fd <N>                  An inherited fd that becomes fd 3 inside the jail
      --spec-fd <N>                 Read the whole spec (u32 LE length + postcard JailSpec) from fd N
                                    instead of flags
      --prepare-cgroups <N>         Create N spare cgroups ahead of time (so later starts skip the
                                    costly mkdir) and exit
      --accounting                  Also join cgroup v1's freezer and cpuacct controllers (a race-free
                                    kill of the whole cgroup from outside, CPU time billing), as the
                                    supervisor's jails do; the jail itself needs neither
      --check                       Print which layers this host supports and exit (0: all, 1: some
                                    missing)
      --json                        With --check: machine-readable JSON
      --allow-missing <LAYER>       Accept that LAYER is missing on this host (repeatable); said on
                                    stderr when it is
      --disable <LAYER>             Switch LAYER off (repeatable). For tests of layer independence
                                    only: loudly reported
  -h, --help                        Print help
  -V, --version                     Print version

Layers: cgroup, namespaces, rootfs, rlimits, identity, landlock, seccomp.
";

/// Reads `args` (without the program name). Everything after the first `--` is the
/// program and its arguments, taken as they are.
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Parsed, String> {
    let mut args: Vec<OsString> = args.into_iter().collect();
    let mut cli = Cli::default();
    if let Some(separator) = args.iter().position(|a| a == "--") {
        for word in args.split_off(separator).into_iter().skip(1) {
            cli.program.push(owned(word, "PROGRAM [ARGS]")?);
        }
    }
    let mut parser = lexopt::Parser::from_args(args);
    let mut seen: Vec<&'static str> = Vec::new();
    let mut once = |name: &'static str| -> Result<(), String> {
        if seen.contains(&name) {
            return Err(format!("--{name} given more than once"));
        }
        seen.push(name);
        Ok(())
    };
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        match arg {
            Short('h') | Long("help") => return Ok(Parsed::Help),
            Short('V') | Long("version") => return Ok(Parsed::Version),
            Long("ro") => cli.ro.push(text(&mut parser, "ro")?),
            Long("env") => cli.env.push(text(&mut parser, "env")?),
            Long("allow-missing") => cli
                .allow_missing
                .push(layer(&text(&mut parser, "allow-missing")?)?),
            Long("disable") => cli.disable.push(layer(&text(&mut parser, "disable")?)?),
            Long("scratch-size") => {
                once("scratch-size")?;
                cli.scratch_size = size(&mut parser, "scratch-size")?;
            }
            Long("memory") => {
                once("memory")?;
                cli.memory = size(&mut parser, "memory")?;
            }
            Long("pids") => {
                once("pids")?;
                cli.pids = number(&mut parser, "pids")?;
            }
            Long("cpu") => {
                once("cpu")?;
                cli.cpu = number(&mut parser, "cpu")?;
            }
            Long("nofile") => {
                once("nofile")?;
                cli.nofile = number(&mut parser, "nofile")?;
            }
            Long("timeout") => {
                once("timeout")?;
                cli.timeout = number(&mut parser, "timeout")?;
            }
            Long("uid") => {
                once("uid")?;
                cli.uid = number(&mut parser, "uid")?;
            }
            Long("gid") => {
                once("gid")?;
                cli.gid = number(&mut parser, "gid")?;
            }
            Long("rpc-fd") => {
                once("rpc-fd")?;
                cli.rpc_fd = Some(number(&mut parser, "rpc-fd")?);
            }
            Long("spec-fd") => {
                once("spec-fd")?;
                cli.spec_fd = Some(number(&mut parser, "spec-fd")?);
            }
            Long("prepare-cgroups") => {
                once("prepare-cgroups")?;
                cli.prepare_cgroups = Some(number(&mut parser, "prepare-cgroups")?);
            }
            Long("check") => {
                once("check")?;
                cli.check = true;
            }
            Long("json") => {
                once("json")?;
                cli.json = true;
            }
            Long("accounting") => {
                once("accounting")?;
                cli.accounting = true;
            }
            Value(value) => {
                return Err(format!(
                    "unexpected argument {:?}: the program and its arguments go after `--` (usage: faxbot-jail [OPTIONS] -- PROGRAM [ARGS]...)",
                    value.to_string_lossy()
                ));
            }
            other => return Err(other.unexpected().to_string()),
        }
    }
    conflicts(&cli)?;
    Ok(Parsed::Run(Box::new(cli)))
}

fn conflicts(cli: &Cli) -> Result<(), String> {
    let given_program = !cli.program.is_empty();
    if cli.spec_fd.is_some() && (!cli.ro.is_empty() || given_program) {
        return Err(
            "--spec-fd carries the whole spec: it cannot be combined with --ro or a PROGRAM".into(),
        );
    }
    if cli.prepare_cgroups.is_some() && (given_program || cli.spec_fd.is_some() || cli.check) {
        return Err("--prepare-cgroups only prepares cgroups: it cannot be combined with --spec-fd, --check or a PROGRAM".into());
    }
    if cli.json && !cli.check {
        return Err("--json needs --check".into());
    }
    Ok(())
}

fn owned(value: OsString, what: &str) -> Result<String, String> {
    value
        .into_string()
        .map_err(|v| format!("{what} {:?} is not UTF-8", v.to_string_lossy()))
}

fn text(parser: &mut lexopt::Parser, name: &str) -> Result<String, String> {
    let value = parser
        .value()
        .map_err(|_| format!("--{name} needs a value"))?;
    owned(value, &format!("--{name}"))
}

fn number<T: std::str::FromStr>(parser: &mut lexopt::Parser, name: &str) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    let value = text(parser, name)?;
    value
        .parse()
        .map_err(|e| format!("--{name} {value:?}: {e}"))
}

fn size(parser: &mut lexopt::Parser, name: &str) -> Result<u64, String> {
    let value = text(parser, name)?;
    parse_size(&value).map_err(|e| format!("--{name} {value:?}: {e}"))
}

fn layer(text: &str) -> Result<Layer, String> {
    Layer::from_name(text).ok_or_else(|| {
        let names: Vec<_> = Layer::ALL.iter().map(|l| l.name()).collect();
        format!("unknown layer {text:?}; layers are {}", names.join(", "))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(words: &[&str]) -> Result<Cli, String> {
        match parse(words.iter().map(OsString::from))? {
            Parsed::Run(cli) => Ok(*cli),
            other => Err(format!("not a run: {other:?}")),
        }
    }

    #[test]
    fn options_take_their_values_in_both_spellings_and_the_program_follows_the_separator() {
        let cli = run(&[
            "--ro",
            "/srv/app:/app",
            "--memory=64M",
            "--pids",
            "8",
            "--cpu",
            "0.5",
            "--env",
            "A=1",
            "--env=B=2",
            "--allow-missing",
            "landlock",
            "--accounting",
            "--",
            "/app/plugin",
            "--memory",
            "--",
        ])
        .expect("parsed");
        assert_eq!(cli.ro, ["/srv/app:/app"]);
        assert_eq!(cli.memory, 64 << 20);
        assert_eq!((cli.pids, cli.cpu), (8, 0.5));
        assert_eq!(cli.env, ["A=1", "B=2"]);
        assert_eq!(cli.allow_missing, [Layer::Landlock]);
        assert!(cli.accounting);
        // What follows `--` is the program's, options and separators included.
        assert_eq!(cli.program, ["/app/plugin", "--memory", "--"]);
        assert_eq!(cli.scratch_size, 64 << 20, "defaults kept");
    }

    #[test]
    fn bad_command_lines_are_refused_saying_what_is_wrong() {
        let refused = |words: &[&str], says: &str| {
            let error = run(words).expect_err("refused");
            assert!(error.contains(says), "{words:?}: {error}");
        };
        refused(&["--pids", "many"], "--pids \"many\"");
        refused(&["--memory", "12Q"], "--memory");
        refused(&["--pids", "1", "--pids", "2"], "more than once");
        refused(&["--disable", "moat"], "unknown layer \"moat\"");
        refused(&["--uid"], "--uid needs a value");
        refused(&["/bin/true"], "go after `--`");
        refused(&["--frobnicate"], "frobnicate");
        refused(&["--spec-fd", "3", "--", "/bin/true"], "--spec-fd");
        refused(&["--prepare-cgroups", "2", "--check"], "--prepare-cgroups");
        refused(&["--json"], "--json needs --check");
    }

    #[test]
    fn help_and_version_are_answered_before_anything_else() {
        let parsed = |words: &[&str]| parse(words.iter().map(OsString::from)).expect("parsed");
        assert_eq!(parsed(&["--pids", "3", "--help"]), Parsed::Help);
        assert_eq!(parsed(&["-V"]), Parsed::Version);
        for option in [
            "--ro",
            "--spec-fd",
            "--prepare-cgroups",
            "--accounting",
            "--disable",
        ] {
            assert!(HELP.contains(option), "{option} is in the help");
        }
    }
}
