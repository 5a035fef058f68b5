//! The `[resources]` table: what a plugin asks for, within the host's ceilings.

use super::fields::{Fields, Problems};
use crate::size::ByteSize;
use toml::{Table, Value};

/// The most the host gives any plugin; set by the operator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceCeilings {
    /// Memory limit ceiling, bytes.
    pub memory_bytes: u64,
    /// CPU ceiling, percent of one core.
    pub cpu_percent: u32,
    /// Process/thread count ceiling.
    pub pids: u32,
    /// Writable scratch space ceiling, bytes.
    pub scratch_bytes: u64,
    /// Key-value quota ceiling, bytes.
    pub kv_quota_bytes: u64,
    /// Whether manifests may name internal egress targets (loopback, private and other
    /// non-public IP literals; special-use names such as `localhost`, `*.internal`,
    /// `*.test`). Off by default; only for a development host whose plugins talk to local
    /// test servers. The broker still refuses internal addresses after DNS.
    pub allow_internal_egress: bool,
}

impl Default for ResourceCeilings {
    fn default() -> Self {
        Self {
            memory_bytes: 1 << 30,
            cpu_percent: 200,
            pids: 256,
            scratch_bytes: 256 << 20,
            kv_quota_bytes: 64 << 20,
            allow_internal_egress: false,
        }
    }
}

/// What a plugin asks for. Defaults (the platform's per-plugin defaults) are used for
/// fields a manifest leaves out, clamped to the ceilings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceRequest {
    /// Memory limit, bytes.
    pub memory_bytes: u64,
    /// CPU limit, percent of one core.
    pub cpu_percent: u32,
    /// Process/thread count limit.
    pub pids: u32,
    /// Writable scratch space, bytes.
    pub scratch_bytes: u64,
}

impl ResourceRequest {
    /// The platform defaults (100 MiB, 100 % of a core, 64 pids, 16 MiB scratch), each no
    /// higher than its ceiling.
    pub fn default_within(c: &ResourceCeilings) -> Self {
        Self {
            memory_bytes: (100 << 20u64).min(c.memory_bytes),
            cpu_percent: 100u32.min(c.cpu_percent),
            pids: 64u32.min(c.pids),
            scratch_bytes: (16 << 20u64).min(c.scratch_bytes),
        }
    }
}

fn size(f: &mut Fields<'_>, key: &str, ceiling: u64, default: u64) -> u64 {
    let path = f.path(key);
    let bytes = match f.take(key) {
        None => return default,
        Some(Value::String(s)) => match ByteSize::parse(&s) {
            Some(b) => b.0,
            None => {
                f.problems().push(
                    path,
                    format!("`{s}` is not a size (use B, KiB, MiB or GiB)"),
                );
                return default;
            }
        },
        Some(Value::Integer(n)) if n >= 0 => n.unsigned_abs(),
        Some(_) => {
            f.problems().push(path, "must be a size such as \"64MiB\"");
            return default;
        }
    };
    if bytes == 0 || bytes > ceiling {
        f.problems().push(
            path,
            format!(
                "{} is outside what the host allows (1 B to {})",
                ByteSize(bytes),
                ByteSize(ceiling)
            ),
        );
        return default;
    }
    bytes
}

fn count(f: &mut Fields<'_>, key: &str, ceiling: u32, default: u32) -> u32 {
    let Some(n) = f.integer(key) else {
        return default;
    };
    match u32::try_from(n) {
        Ok(v) if v >= 1 && v <= ceiling => v,
        _ => {
            let path = f.path(key);
            f.problems().push(
                path,
                format!("{n} is outside what the host allows (1 to {ceiling})"),
            );
            default
        }
    }
}

pub(super) fn parse(
    table: Table,
    c: &ResourceCeilings,
    problems: &mut Problems,
) -> ResourceRequest {
    let d = ResourceRequest::default_within(c);
    let mut f = Fields::new("resources", table, problems);
    let out = ResourceRequest {
        memory_bytes: size(&mut f, "memory", c.memory_bytes, d.memory_bytes),
        cpu_percent: count(&mut f, "cpu_percent", c.cpu_percent, d.cpu_percent),
        pids: count(&mut f, "pids", c.pids, d.pids),
        scratch_bytes: size(&mut f, "scratch", c.scratch_bytes, d.scratch_bytes),
    };
    f.finish();
    out
}
