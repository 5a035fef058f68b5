//! The jail's specification: what the supervisor (over an fd) or the command line asks for.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The protection layers, in the order they are applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Layer {
    /// Memory, pids and CPU limits on a cgroup of the jail's own.
    Cgroup,
    /// New mount, pid, net, ipc, uts and cgroup namespaces.
    Namespaces,
    /// A fresh tmpfs root with read-only binds; pivot_root.
    Rootfs,
    /// Resource limits, closed fds, empty environment.
    Rlimits,
    /// Unprivileged uid/gid, no capabilities, no_new_privs, pdeathsig.
    Identity,
    /// Landlock filesystem, network and scope rules.
    Landlock,
    /// The seccomp allowlist.
    Seccomp,
}

impl Layer {
    /// Every layer, in application order.
    pub const ALL: [Layer; 7] = [
        Layer::Cgroup,
        Layer::Namespaces,
        Layer::Rootfs,
        Layer::Rlimits,
        Layer::Identity,
        Layer::Landlock,
        Layer::Seccomp,
    ];

    /// The layer's name on the command line.
    pub const fn name(self) -> &'static str {
        match self {
            Layer::Cgroup => "cgroup",
            Layer::Namespaces => "namespaces",
            Layer::Rootfs => "rootfs",
            Layer::Rlimits => "rlimits",
            Layer::Identity => "identity",
            Layer::Landlock => "landlock",
            Layer::Seccomp => "seccomp",
        }
    }

    /// The layer named `name`.
    pub fn from_name(name: &str) -> Option<Layer> {
        Layer::ALL.into_iter().find(|l| l.name() == name)
    }
}

impl std::fmt::Display for Layer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Where the program to run comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Program {
    /// An inherited, already verified file descriptor: executed with `execveat(AT_EMPTY_PATH)`.
    Fd(i32),
    /// A host path (command-line use): opened once by the jail, then executed by fd.
    Path(PathBuf),
}

/// A read-only bind mount.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bind {
    /// Path on the host.
    pub host: PathBuf,
    /// Absolute path inside the jail.
    pub jail: PathBuf,
}

/// Everything the jail needs to know.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JailSpec {
    /// What to run.
    pub program: Program,
    /// argv, including argv[0].
    pub argv: Vec<String>,
    /// The whole environment of the program.
    pub env: Vec<(String, String)>,
    /// Read-only binds; the program must lie under one of them.
    pub ro_binds: Vec<Bind>,
    /// Size of the writable /tmp, bytes.
    pub scratch_bytes: u64,
    /// Memory limit, bytes (no swap).
    pub memory_bytes: u64,
    /// Process/thread limit.
    pub pids: u64,
    /// CPU quota, in cores (1.0 = one full core).
    pub cpu_cores: f64,
    /// Open-file limit.
    pub nofile: u64,
    /// Wall-clock limit, seconds; 0 = none.
    pub timeout_secs: u64,
    /// The unprivileged uid the program runs as (never 0).
    pub uid: u32,
    /// The unprivileged gid the program runs as (never 0).
    pub gid: u32,
    /// An inherited fd that becomes fd 3 in the jail (the RPC socket).
    pub rpc_fd: Option<i32>,
    /// Layers the caller accepts as missing on this kernel (each reported on stderr).
    pub allow_missing: Vec<Layer>,
    /// Layers switched off on purpose (tests of layer independence); loudly reported.
    pub disabled: Vec<Layer>,
    /// Read-only bind sources whose shared objects (an interpreter's extension modules)
    /// may be loaded: their library closures are bound read-only too, as the program's
    /// own are. Each must be one of the `ro_binds`' host paths.
    pub library_dirs: Vec<PathBuf>,
    /// Also put the jail in cgroup v1's accounting controllers where they are mounted on
    /// their own (freezer: a whole-cgroup kill from outside that no fork can race; cpuacct:
    /// CPU time billed), as the supervisor's jails are. Neither limits anything, and the
    /// jail itself needs neither (it is killed through its pid namespace), so a one-off
    /// run leaves them out: two hierarchies fewer to claim, reset and recycle per launch.
    /// No effect on cgroup v2, where one directory has every controller.
    pub accounting: bool,
}

/// The dedicated unprivileged id used when none is given (nobody's neighbour, never 0).
pub const DEFAULT_JAIL_ID: u32 = 65_534 - 1;

impl JailSpec {
    /// A spec with the plugin defaults: 64 MiB /tmp, 100 MiB memory, 64 pids, 1 core,
    /// 256 files, no timeout, accounting controllers joined.
    pub fn new(program: Program, argv: Vec<String>) -> Self {
        Self {
            program,
            argv,
            env: Vec::new(),
            ro_binds: Vec::new(),
            scratch_bytes: 64 << 20,
            memory_bytes: 100 << 20,
            pids: 64,
            cpu_cores: 1.0,
            nofile: 256,
            timeout_secs: 0,
            uid: DEFAULT_JAIL_ID,
            gid: DEFAULT_JAIL_ID,
            rpc_fd: None,
            allow_missing: Vec::new(),
            disabled: Vec::new(),
            library_dirs: Vec::new(),
            accounting: true,
        }
    }

    /// Whether `layer` is to be applied.
    pub fn enabled(&self, layer: Layer) -> bool {
        !self.disabled.contains(&layer)
    }

    /// Checks the spec's own consistency (not the host's support).
    pub fn validate(&self) -> Result<(), SpecError> {
        if self.uid == 0 || self.gid == 0 {
            return Err(SpecError::RootId);
        }
        if self.argv.is_empty() {
            return Err(SpecError::NoArgv);
        }
        for bind in &self.ro_binds {
            if !bind.jail.is_absolute() {
                return Err(SpecError::RelativeJailPath(bind.jail.clone()));
            }
            if bind
                .jail
                .components()
                .any(|c| matches!(c, std::path::Component::ParentDir))
            {
                return Err(SpecError::DotDot(bind.jail.clone()));
            }
            let reserved = ["/", "/tmp", "/dev", "/proc"];
            if reserved
                .iter()
                .any(|r| bind.jail == std::path::Path::new(r))
            {
                return Err(SpecError::Reserved(bind.jail.clone()));
            }
            if let Some(owner) = ["/tmp", "/dev", "/proc"]
                .iter()
                .find(|r| bind.jail.starts_with(r))
            {
                return Err(SpecError::UnderReserved {
                    host: bind.host.clone(),
                    jail: bind.jail.clone(),
                    owner,
                });
            }
        }
        if let Program::Path(p) = &self.program
            && !self.ro_binds.iter().any(|b| p.starts_with(&b.host))
        {
            return Err(SpecError::ProgramOutsideBinds(p.clone()));
        }
        if let Some(dir) = self
            .library_dirs
            .iter()
            .find(|d| !self.ro_binds.iter().any(|b| b.host == **d))
        {
            return Err(SpecError::LibraryDirNotBound(dir.clone()));
        }
        if !(self.cpu_cores > 0.0 && self.cpu_cores <= 1024.0) {
            return Err(SpecError::Cpu(self.cpu_cores));
        }
        if self.memory_bytes < (4 << 20) {
            return Err(SpecError::MemoryTooSmall(self.memory_bytes));
        }
        if self.pids == 0 || self.nofile < 4 {
            return Err(SpecError::Limits);
        }
        for (key, _) in &self.env {
            if key.is_empty() || key.contains('=') || key.contains('\0') {
                return Err(SpecError::EnvKey(key.clone()));
            }
        }
        Ok(())
    }

    /// Encodes the spec as the supervisor sends it: u32 LE length, then postcard.
    pub fn encode(&self) -> Result<Vec<u8>, SpecError> {
        let body = postcard::to_stdvec(self).map_err(|e| SpecError::Encode(e.to_string()))?;
        let len = u32::try_from(body.len()).map_err(|_| SpecError::TooLarge(body.len()))?;
        let mut out = len.to_le_bytes().to_vec();
        out.extend_from_slice(&body);
        Ok(out)
    }

    /// Decodes what [`JailSpec::encode`] produced.
    pub fn decode(bytes: &[u8]) -> Result<Self, SpecError> {
        let (len, body) = bytes.split_at_checked(4).ok_or(SpecError::Truncated)?;
        let mut prefix = [0u8; 4];
        prefix.copy_from_slice(len);
        let len = u32::from_le_bytes(prefix) as usize;
        if len > MAX_SPEC_BYTES {
            return Err(SpecError::TooLarge(len));
        }
        let body = body.get(..len).ok_or(SpecError::Truncated)?;
        postcard::from_bytes(body).map_err(|e| SpecError::Decode(e.to_string()))
    }
}

/// Largest encoded spec accepted.
pub const MAX_SPEC_BYTES: usize = 1 << 20;

/// A spec that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SpecError {
    /// uid or gid 0 asked for.
    #[error("the jailed program may not run as uid or gid 0")]
    RootId,
    /// No argv.
    #[error("no program given")]
    NoArgv,
    /// A bind's jail path is relative.
    #[error("bind target {0:?} must be an absolute path")]
    RelativeJailPath(std::path::PathBuf),
    /// A bind's jail path has `..`.
    #[error("bind target {0:?} may not contain `..`")]
    DotDot(std::path::PathBuf),
    /// A bind over a path the jail provides itself.
    #[error("bind target {0:?} is reserved by the jail")]
    Reserved(std::path::PathBuf),
    /// A bind inside a directory the jail makes itself (a same-path `--ro /tmp/x`).
    #[error(
        "bind target {jail:?} lies inside {owner}, which the jail makes itself (fresh and empty); bind it elsewhere, e.g. --ro {}:/data",
        host.display()
    )]
    UnderReserved {
        /// The host path.
        host: std::path::PathBuf,
        /// The jail path asked for.
        jail: std::path::PathBuf,
        /// The jail's own directory it lies in.
        owner: &'static str,
    },
    /// A library directory that is not bound.
    #[error("library directory {0:?} is not one of the read-only binds")]
    LibraryDirNotBound(std::path::PathBuf),
    /// The program is not under any bind.
    #[error("program {0:?} does not lie under any --ro bind")]
    ProgramOutsideBinds(std::path::PathBuf),
    /// CPU quota out of range.
    #[error("cpu quota {0} is not in (0, 1024] cores")]
    Cpu(f64),
    /// Memory limit too small to start anything.
    #[error("memory limit of {0} bytes is below the 4 MiB minimum")]
    MemoryTooSmall(u64),
    /// pids or nofile out of range.
    #[error("pids must be at least 1 and nofile at least 4")]
    Limits,
    /// An environment key that cannot be passed.
    #[error("environment key {0:?} is empty or contains `=` or NUL")]
    EnvKey(String),
    /// A size with a bad suffix or number.
    #[error("size {0:?} is not a number with an optional K, M or G suffix")]
    Size(String),
    /// The spec did not encode.
    #[error("spec does not encode: {0}")]
    Encode(String),
    /// The spec did not decode.
    #[error("spec does not decode: {0}")]
    Decode(String),
    /// Shorter than its length prefix says.
    #[error("spec is truncated")]
    Truncated,
    /// Over the size limit.
    #[error("spec of {0} bytes exceeds the 1 MiB limit")]
    TooLarge(usize),
}

/// Parses `64M`, `100m`, `1G`, `4096`, `512K` into bytes.
pub fn parse_size(text: &str) -> Result<u64, SpecError> {
    let err = || SpecError::Size(text.to_owned());
    let trimmed = text.trim();
    let (digits, multiplier) = match trimmed.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let m: u64 = match c.to_ascii_uppercase() {
                'K' => 1 << 10,
                'M' => 1 << 20,
                'G' => 1 << 30,
                _ => return Err(err()),
            };
            (&trimmed[..i], m)
        }
        _ => (trimmed, 1),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err());
    }
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(multiplier))
        .ok_or_else(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_accept_k_m_g_suffixes() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("512K"), Ok(512 << 10));
        assert_eq!(parse_size("64M"), Ok(64 << 20));
        assert_eq!(parse_size("1g"), Ok(1 << 30));
        assert!(parse_size("").is_err());
        assert!(parse_size("M").is_err());
        assert!(parse_size("12T").is_err());
        assert!(parse_size("-1M").is_err());
        assert!(parse_size("99999999999999999999G").is_err());
    }

    #[test]
    fn spec_round_trips_through_its_encoding() {
        let mut spec = JailSpec::new(Program::Fd(7), vec!["plugin".into()]);
        spec.rpc_fd = Some(5);
        spec.disabled = vec![Layer::Seccomp];
        let back = JailSpec::decode(&spec.encode().expect("encode")).expect("decode");
        assert_eq!(back, spec);
    }

    #[test]
    fn truncated_or_oversized_spec_is_refused() {
        let spec = JailSpec::new(Program::Fd(7), vec!["plugin".into()]);
        let bytes = spec.encode().expect("encode");
        assert_eq!(
            JailSpec::decode(&bytes[..bytes.len() - 1]),
            Err(SpecError::Truncated)
        );
        assert!(matches!(
            JailSpec::decode(&u32::MAX.to_le_bytes()),
            Err(SpecError::TooLarge(_))
        ));
    }

    #[test]
    fn root_ids_are_refused() {
        let mut spec = JailSpec::new(Program::Fd(7), vec!["p".into()]);
        spec.uid = 0;
        assert_eq!(spec.validate(), Err(SpecError::RootId));
    }

    #[test]
    fn program_outside_every_bind_is_refused() {
        let mut spec = JailSpec::new(Program::Path("/usr/bin/true".into()), vec!["true".into()]);
        spec.ro_binds.push(Bind {
            host: "/opt/plugin".into(),
            jail: "/app".into(),
        });
        assert!(matches!(
            spec.validate(),
            Err(SpecError::ProgramOutsideBinds(_))
        ));
    }

    #[test]
    fn binds_over_jail_owned_paths_are_refused() {
        let mut spec = JailSpec::new(Program::Fd(3), vec!["p".into()]);
        spec.ro_binds.push(Bind {
            host: "/etc".into(),
            jail: "/proc".into(),
        });
        assert!(matches!(spec.validate(), Err(SpecError::Reserved(_))));
        spec.ro_binds[0].jail = "/tmp/x".into();
        let why = spec.validate().expect_err("inside the jail's /tmp");
        assert!(matches!(
            why,
            SpecError::UnderReserved { owner: "/tmp", .. }
        ));
        assert!(why.to_string().contains("e.g. --ro /etc:/data"), "{why}");
        spec.ro_binds[0].jail = "/app/../tmp".into();
        assert!(matches!(spec.validate(), Err(SpecError::DotDot(_))));
    }
}
