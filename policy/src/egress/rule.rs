//! Parsing and matching of one egress rule.

use super::url::{NormalizedUrl, UrlHost, ascii_domain, path_is_clean};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The only scheme a rule may name: the broker verifies TLS on every request.
pub const SCHEME: &str = "https";
const DEFAULT_PORT: u16 = 443;
const MAX_RULE_LEN: usize = 1024;

/// Which hosts a rule allows.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum HostPattern {
    /// Exactly this host name (lower-case ASCII, punycode for IDNs, no trailing dot).
    Exact(String),
    /// Any host strictly below this registrable domain (`*.example.com` matches
    /// `a.example.com` and `a.b.example.com`, not `example.com`).
    Suffix(String),
    /// Exactly this IP literal.
    Ip(IpAddr),
}

/// One allowed destination: `https://host[:port][/path-prefix[*]]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EgressRule {
    host: HostPattern,
    port: u16,
    path_prefix: Option<String>,
}

/// Why a rule was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// The rule is too long.
    #[error("rule is longer than {MAX_RULE_LEN} bytes")]
    TooLong,
    /// Whitespace, control characters or characters never allowed in a rule.
    #[error("rule contains the character {0:?}, which is not allowed in an egress rule")]
    BadCharacter(char),
    /// No `scheme://`.
    #[error("rule must start with https://")]
    MissingScheme,
    /// A scheme other than https.
    #[error("scheme `{0}` is not allowed: egress must use https")]
    SchemeNotAllowed(String),
    /// The host part is empty.
    #[error("rule has no host")]
    MissingHost,
    /// The port is not a number in 1..=65535.
    #[error("port {0} is not valid")]
    BadPort(String),
    /// A wildcard other than a leading `*.` label.
    #[error("host `{0}`: a wildcard is allowed only as a leading `*.` label")]
    MisplacedWildcard(String),
    /// `*.com`, `*.co.uk`: a wildcard over a public suffix.
    #[error("host `*.{0}`: a wildcard must sit below a registrable domain, not a public suffix")]
    WildcardOverPublicSuffix(String),
    /// A wildcard over an IP address.
    #[error("host `*.{0}`: a wildcard cannot cover an IP address")]
    WildcardOverIp(String),
    /// The host is not a valid domain name.
    #[error("host `{0}` is not a valid domain name")]
    BadHost(String),
    /// A host name that a URL parser would read as an IPv4 number.
    #[error("host `{0}` looks like a numeric IPv4 form; write the address as a.b.c.d")]
    NumericHost(String),
    /// A single-label host such as `localhost` or `com`.
    #[error("host `{0}` must have at least two labels")]
    SingleLabelHost(String),
    /// The IPv6 literal does not parse.
    #[error("`[{0}]` is not a valid IPv6 address")]
    BadIpv6(String),
    /// A path with a `*` other than at the end, dot segments or unsupported characters.
    #[error("path prefix `{0}` is not valid: use plain segments, with `*` only at the end")]
    BadPath(String),
}

impl EgressRule {
    /// Parses a rule such as `https://hooks.slack.com/services/*` or
    /// `https://*.example.com:8443/api/`.
    pub fn parse(text: &str) -> Result<Self, RuleError> {
        if text.len() > MAX_RULE_LEN {
            return Err(RuleError::TooLong);
        }
        if let Some(c) = text
            .chars()
            .find(|c| c.is_whitespace() || c.is_control() || matches!(c, '@' | '\\' | '?' | '#'))
        {
            return Err(RuleError::BadCharacter(c));
        }
        let (scheme, rest) = text.split_once("://").ok_or(RuleError::MissingScheme)?;
        if !scheme.eq_ignore_ascii_case(SCHEME) {
            return Err(RuleError::SchemeNotAllowed(scheme.to_string()));
        }
        let (authority, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        let (host_text, port_text) = split_host_port(authority)?;
        let port = match port_text {
            None => DEFAULT_PORT,
            Some(p) => match p.parse::<u16>() {
                Ok(0) | Err(_) => return Err(RuleError::BadPort(p.to_string())),
                Ok(n) => n,
            },
        };
        let host = parse_host_pattern(host_text)?;
        let path_prefix = parse_path_prefix(path)?;
        Ok(Self {
            host,
            port,
            path_prefix,
        })
    }

    /// The hosts this rule allows.
    pub fn host(&self) -> &HostPattern {
        &self.host
    }

    /// The port this rule allows.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The path prefix, if the rule limits paths.
    pub fn path_prefix(&self) -> Option<&str> {
        self.path_prefix.as_deref()
    }

    /// Whether this rule allows a request to `url`.
    pub fn matches(&self, url: &NormalizedUrl) -> bool {
        url.scheme() == SCHEME
            && url.port() == self.port
            && host_matches(&self.host, url.host())
            && self
                .path_prefix
                .as_deref()
                .is_none_or(|prefix| path_under(prefix, url.path()))
    }

    /// Whether every request this rule allows is also allowed by `wider`: a granted rule
    /// must be covered by a requested one.
    pub fn is_covered_by(&self, wider: &EgressRule) -> bool {
        if self.port != wider.port {
            return false;
        }
        let host_ok = match (&wider.host, &self.host) {
            (a, b) if a == b => true,
            (HostPattern::Suffix(w), HostPattern::Exact(n)) => is_strictly_below(n, w),
            (HostPattern::Suffix(w), HostPattern::Suffix(n)) => is_strictly_below(n, w),
            _ => false,
        };
        let path_ok = match (&wider.path_prefix, &self.path_prefix) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(w), Some(n)) => path_under(w, n),
        };
        host_ok && path_ok
    }
}

fn split_host_port(authority: &str) -> Result<(&str, Option<&str>), RuleError> {
    if authority.is_empty() {
        return Err(RuleError::MissingHost);
    }
    if let Some(inner) = authority.strip_prefix('[') {
        let (v6, after) = inner
            .split_once(']')
            .ok_or_else(|| RuleError::BadIpv6(inner.to_string()))?;
        return match after {
            "" => Ok((&authority[..v6.len() + 2], None)),
            p => match p.strip_prefix(':') {
                Some(port) => Ok((&authority[..v6.len() + 2], Some(port))),
                None => Err(RuleError::BadIpv6(v6.to_string())),
            },
        };
    }
    Ok(match authority.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (authority, None),
    })
}

fn parse_host_pattern(text: &str) -> Result<HostPattern, RuleError> {
    if text.is_empty() {
        return Err(RuleError::MissingHost);
    }
    if let Some(v6) = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
        return v6
            .parse::<Ipv6Addr>()
            .map(|ip| HostPattern::Ip(IpAddr::V6(ip)))
            .map_err(|_| RuleError::BadIpv6(v6.to_string()));
    }
    let (wildcard, name) = match text.strip_prefix("*.") {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    if name.contains('*') {
        return Err(RuleError::MisplacedWildcard(text.to_string()));
    }
    if let Ok(ip) = name.parse::<Ipv4Addr>() {
        if wildcard {
            return Err(RuleError::WildcardOverIp(name.to_string()));
        }
        return Ok(HostPattern::Ip(IpAddr::V4(ip)));
    }
    let ascii = ascii_domain(name).ok_or_else(|| RuleError::BadHost(text.to_string()))?;
    if last_label_is_numeric(&ascii) {
        return Err(RuleError::NumericHost(text.to_string()));
    }
    if wildcard {
        // psl::domain_str gives the registrable domain; a public suffix has none.
        if psl::domain_str(&ascii).is_none() {
            return Err(RuleError::WildcardOverPublicSuffix(ascii));
        }
        return Ok(HostPattern::Suffix(ascii));
    }
    if !ascii.contains('.') {
        return Err(RuleError::SingleLabelHost(text.to_string()));
    }
    Ok(HostPattern::Exact(ascii))
}

/// `1.2.3`, `0x7f.1`, `2130706433`: a WHATWG URL parser turns these into IPv4 addresses.
fn last_label_is_numeric(host: &str) -> bool {
    let last = host.rsplit('.').next().unwrap_or(host);
    !last.is_empty()
        && (last.bytes().all(|b| b.is_ascii_digit())
            || last
                .strip_prefix("0x")
                .is_some_and(|h| h.bytes().all(|b| b.is_ascii_hexdigit())))
}

fn parse_path_prefix(path: &str) -> Result<Option<String>, RuleError> {
    let bad = || RuleError::BadPath(path.to_string());
    if path.is_empty() {
        return Ok(None);
    }
    let prefix = path.strip_suffix('*').unwrap_or(path);
    if prefix.contains('*') || prefix.contains('%') || !path_is_clean(prefix) {
        return Err(bad());
    }
    if prefix == "/" {
        return Ok(None);
    }
    Ok(Some(prefix.to_string()))
}

fn host_matches(pattern: &HostPattern, host: &UrlHost) -> bool {
    match (pattern, host) {
        (HostPattern::Exact(p), UrlHost::Domain(h)) => p == h,
        (HostPattern::Suffix(p), UrlHost::Domain(h)) => is_strictly_below(h, p),
        (HostPattern::Ip(p), UrlHost::Ip(h)) => p == h,
        _ => false,
    }
}

fn is_strictly_below(host: &str, domain: &str) -> bool {
    host.len() > domain.len() + 1
        && host.ends_with(domain)
        && host.as_bytes()[host.len() - domain.len() - 1] == b'.'
}

/// A prefix ending in `/` matches by plain prefix; otherwise it matches the path itself or
/// anything below it as a segment (`/services` matches `/services/x`, never `/servicesX`).
fn path_under(prefix: &str, path: &str) -> bool {
    if prefix.ends_with('/') {
        return path.starts_with(prefix);
    }
    path == prefix
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/'))
}

impl fmt::Display for EgressRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{SCHEME}://")?;
        match &self.host {
            HostPattern::Exact(h) => write!(f, "{h}")?,
            HostPattern::Suffix(h) => write!(f, "*.{h}")?,
            HostPattern::Ip(IpAddr::V4(ip)) => write!(f, "{ip}")?,
            HostPattern::Ip(IpAddr::V6(ip)) => write!(f, "[{ip}]")?,
        }
        write!(f, ":{}", self.port)?;
        match &self.path_prefix {
            Some(p) => write!(f, "{p}*"),
            None => Ok(()),
        }
    }
}

impl TryFrom<String> for EgressRule {
    type Error = RuleError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<EgressRule> for String {
    fn from(r: EgressRule) -> Self {
        r.to_string()
    }
}

impl std::str::FromStr for EgressRule {
    type Err = RuleError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}
