//! What each capability lets a plugin do, in words an admin can act on.

use super::Capability;
use crate::egress::HostPattern;
use crate::size::ByteSize;
use std::fmt;
use std::net::IpAddr;

/// How much a capability exposes, for ordering an approval screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum RiskLevel {
    /// Contained inside the host (storage quota, schedules).
    Low,
    /// Sees or produces platform data, or is reachable by API clients.
    Medium,
    /// Can send data off the host, or acts with a credential.
    High,
}

impl Capability {
    /// How much this capability exposes.
    pub fn risk_level(&self) -> RiskLevel {
        match self {
            Capability::Egress(_) | Capability::Secret(_) => RiskLevel::High,
            Capability::Subscribe(_)
            | Capability::Emit(_)
            | Capability::Route(_)
            | Capability::FaxJobStatus => RiskLevel::Medium,
            Capability::KvQuota(_) | Capability::Job(_) => RiskLevel::Low,
        }
    }

    /// One sentence saying what the capability lets the plugin do.
    pub fn risk_summary(&self, plugin_id: &str) -> String {
        match self {
            Capability::Subscribe(p) => format!(
                "receives every event whose topic matches `{p}` (fax job states and metadata, never fax numbers or documents)"
            ),
            Capability::Emit(p) => {
                format!("can publish events matching `{p}` that other subscribed plugins receive")
            }
            Capability::Egress(rule) => {
                let host = match rule.host() {
                    HostPattern::Exact(h) => h.clone(),
                    HostPattern::Suffix(h) => format!("any host under {h}"),
                    HostPattern::Ip(IpAddr::V4(ip)) => format!("the IP address {ip}"),
                    HostPattern::Ip(IpAddr::V6(ip)) => format!("the IP address {ip}"),
                };
                let port = if rule.port() == 443 {
                    String::new()
                } else {
                    format!(" on port {}", rule.port())
                };
                let path = match rule.path_prefix() {
                    Some(p) => format!(", paths under {p}"),
                    None => ", any path".to_string(),
                };
                format!("can send HTTPS requests to {host}{port}{path}")
            }
            Capability::KvQuota(n) => format!("can store up to {}", ByteSize(*n)),
            Capability::Route(r) => format!(
                "serves HTTP requests from authenticated API clients at /ext/{plugin_id}{}",
                r.strip_suffix("/*").map_or(r.clone(), |p| format!("{p}/ and below"))
            ),
            Capability::Job(j) => {
                format!("runs job `{}` on the schedule `{}` (UTC)", j.name, j.cron)
            }
            Capability::Secret(s) => format!(
                "can use the secret {s} in outbound requests (the plugin never sees its value)"
            ),
            Capability::FaxJobStatus => {
                "can look up the status of any fax job of the tenant by id (no numbers or documents)"
                    .to_string()
            }
        }
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = self.kind();
        match self {
            Capability::Subscribe(p) | Capability::Emit(p) | Capability::Route(p) => {
                write!(f, "{kind} `{p}`")
            }
            Capability::Egress(rule) => write!(f, "{kind} `{rule}`"),
            Capability::KvQuota(n) => write!(f, "{kind} {}", ByteSize(*n)),
            Capability::Job(j) => write!(f, "{kind} `{}` `{}`", j.name, j.cron),
            Capability::Secret(s) => write!(f, "{kind} `{s}`"),
            Capability::FaxJobStatus => write!(f, "{kind}"),
        }
    }
}
