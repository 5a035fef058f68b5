//! URL normalisation: one canonical form for every URL the broker may be asked to fetch.
//!
//! Parsing uses the WHATWG parser of the `url` crate, the same one the host's HTTP client
//! uses, so the host checked here is the host connected to. Spellings that parsers
//! disagree on are refused rather than interpreted.

use faxbot_plugin_abi::secret::{SecretTemplate, Segment};
use std::fmt;
use std::net::IpAddr;

const MAX_URL_LEN: usize = 8192;

/// The host of a normalised URL.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum UrlHost {
    /// Lower-case ASCII (punycode for IDNs), no trailing dot.
    Domain(String),
    /// An IP literal written in its canonical form.
    Ip(IpAddr),
}

/// A URL in canonical form: lower-case scheme and host, IDNA applied, trailing dot removed,
/// explicit port, path with unreserved percent-escapes decoded and other escapes upper-cased.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NormalizedUrl {
    scheme: String,
    host: UrlHost,
    port: u16,
    path: String,
    query: Option<String>,
}

/// Why a URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// Too long to be a reasonable request URL.
    #[error("URL is longer than {MAX_URL_LEN} bytes")]
    TooLong,
    /// Whitespace, control characters or a backslash: parsers disagree on these.
    #[error("URL contains the character {0:?}, which is refused because parsers disagree on it")]
    AmbiguousCharacter(char),
    /// Not a URL at all.
    #[error("not a valid URL: {0}")]
    Invalid(String),
    /// A scheme other than http or https.
    #[error("scheme `{0}` is not allowed")]
    Scheme(String),
    /// `user:pass@host` or any `@` in the authority.
    #[error("URL carries userinfo (`@` in the authority), which is refused")]
    Userinfo,
    /// `#...`: never sent, but a classic way to hide the real host from a reader.
    #[error("URL has a fragment (`#`), which is refused")]
    Fragment,
    /// No host.
    #[error("URL has no host")]
    NoHost,
    /// `http://2130706433/`, `http://0177.0.0.1/`, `http://0x7f.1/`.
    #[error("host `{0}` is an IPv4 address in a non-canonical form (decimal, octal or hex)")]
    AmbiguousIpv4(String),
    /// Empty labels (`a..b`) or a host that is only dots.
    #[error("host `{0}` has an empty label")]
    EmptyLabel(String),
    /// `%2F`, `%5C` or `%00` in the path, or a dot segment left after decoding.
    #[error("path has an encoded slash, backslash, NUL or dot segment, which is refused")]
    AmbiguousPath,
    /// A secret placeholder in the scheme, userinfo, host or port: the checked destination
    /// would not be the one connected to.
    #[error(
        "a secret may appear only in the URL's path or query, never in its scheme, userinfo, host or port"
    )]
    SecretInAuthority,
    /// `https:host/`, `https:///host/`: not `scheme://` directly followed by the host.
    /// WHATWG parsers skip the missing or extra slashes, so where the host begins would
    /// depend on the reader.
    #[error(
        "URL must be written scheme://host/...; missing or extra slashes before the host are refused"
    )]
    AmbiguousAuthority,
}

impl NormalizedUrl {
    /// Parses and normalises `raw`, refusing every ambiguous spelling.
    pub fn parse(raw: &str) -> Result<Self, UrlError> {
        if raw.len() > MAX_URL_LEN {
            return Err(UrlError::TooLong);
        }
        if let Some(c) = raw
            .chars()
            .find(|c| c.is_whitespace() || c.is_control() || *c == '\\')
        {
            return Err(UrlError::AmbiguousCharacter(c));
        }
        let parsed = ::url::Url::parse(raw).map_err(|e| UrlError::Invalid(e.to_string()))?;
        let scheme = parsed.scheme().to_string();
        if scheme != "https" && scheme != "http" {
            return Err(UrlError::Scheme(scheme));
        }
        match raw.split_once("://") {
            Some((written, rest))
                if written.eq_ignore_ascii_case(&scheme) && !rest.starts_with('/') => {}
            _ => return Err(UrlError::AmbiguousAuthority),
        }
        if raw_authority(raw).contains('@')
            || !parsed.username().is_empty()
            || parsed.password().is_some()
        {
            return Err(UrlError::Userinfo);
        }
        if parsed.fragment().is_some() {
            return Err(UrlError::Fragment);
        }
        let host = match parsed.host() {
            None => return Err(UrlError::NoHost),
            Some(::url::Host::Domain(d)) => {
                let d = d.strip_suffix('.').unwrap_or(d);
                if d.is_empty() || d.split('.').any(str::is_empty) {
                    return Err(UrlError::EmptyLabel(d.to_string()));
                }
                UrlHost::Domain(d.to_string())
            }
            Some(::url::Host::Ipv4(ip)) => {
                let written = raw_host(raw);
                let written = written.strip_suffix('.').unwrap_or(written);
                if written != ip.to_string() {
                    return Err(UrlError::AmbiguousIpv4(written.to_string()));
                }
                UrlHost::Ip(IpAddr::V4(ip))
            }
            Some(::url::Host::Ipv6(ip)) => UrlHost::Ip(IpAddr::V6(ip)),
        };
        let port = parsed
            .port_or_known_default()
            .ok_or_else(|| UrlError::Invalid("no port".into()))?;
        let path = normalise_path(parsed.path()).ok_or(UrlError::AmbiguousPath)?;
        Ok(Self {
            scheme,
            host,
            port,
            path,
            query: parsed.query().map(str::to_string),
        })
    }

    /// Normalises the URL of an `http.fetch` request with its secrets still as
    /// placeholders. Secrets may sit only in the path or query, so the destination checked is
    /// the destination connected to; the broker must percent-encode each secret value it
    /// fills into the path, so a value cannot add path segments. The authority ends at the
    /// first `/` or `?` after `scheme://`, and [`NormalizedUrl::parse`] refuses every
    /// spelling (`https:///host`, `https:host`) where a parser would place it elsewhere.
    pub fn parse_template(template: &SecretTemplate) -> Result<Self, UrlError> {
        let mut text = String::new();
        let mut authority_closed = false;
        for segment in &template.0 {
            match segment {
                Segment::Text(t) => {
                    text.push_str(t);
                    if !authority_closed {
                        authority_closed = text
                            .split_once("://")
                            .is_some_and(|(_, rest)| rest.contains(['/', '?']));
                    }
                }
                Segment::Secret(_) | Segment::BodyHmacSha256Hex(_) => {
                    if !authority_closed {
                        return Err(UrlError::SecretInAuthority);
                    }
                    text.push_str("FAXBOT-SECRET");
                }
            }
        }
        Self::parse(&text)
    }

    /// `https` or `http`.
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// The host.
    pub fn host(&self) -> &UrlHost {
        &self.host
    }

    /// The port, explicit or the scheme's default.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The normalised path (always starts with `/`).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The query as sent, without `?`.
    pub fn query(&self) -> Option<&str> {
        self.query.as_deref()
    }

    /// Scheme, host and port only: safe to show in an audit record or a denial, since
    /// paths and queries may carry tokens.
    pub fn origin(&self) -> String {
        match &self.host {
            UrlHost::Domain(d) => format!("{}://{}:{}", self.scheme, d, self.port),
            UrlHost::Ip(IpAddr::V4(ip)) => format!("{}://{}:{}", self.scheme, ip, self.port),
            UrlHost::Ip(IpAddr::V6(ip)) => format!("{}://[{}]:{}", self.scheme, ip, self.port),
        }
    }
}

impl fmt::Display for NormalizedUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.origin(), self.path)?;
        match &self.query {
            Some(q) => write!(f, "?{q}"),
            None => Ok(()),
        }
    }
}

/// The authority as written: between `//` and the first `/`, `?` or `#`.
fn raw_authority(raw: &str) -> &str {
    let after = raw.split_once("//").map_or(raw, |(_, a)| a);
    let end = after.find(['/', '?', '#']).unwrap_or(after.len());
    &after[..end]
}

fn raw_host(raw: &str) -> &str {
    let authority = raw_authority(raw);
    authority.rsplit_once(':').map_or(authority, |(h, _)| h)
}

/// Lower-case ASCII form of a domain (UTS 46 processing, punycode), or None if invalid.
pub(crate) fn ascii_domain(name: &str) -> Option<String> {
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.is_empty() || name.len() > 253 {
        return None;
    }
    let ascii = idna::domain_to_ascii_strict(name).ok()?;
    if ascii.is_empty()
        || ascii.split('.').any(|l| l.is_empty() || l.len() > 63)
        || !ascii
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
    {
        return None;
    }
    Some(ascii)
}

/// Whether a path is `/`-rooted, free of dot segments and empty segments, and made only of
/// RFC 3986 path characters.
pub(crate) fn path_is_clean(path: &str) -> bool {
    let Some(rest) = path.strip_prefix('/') else {
        return false;
    };
    let segments: Vec<&str> = rest.split('/').collect();
    let last = segments.len() - 1;
    segments.iter().enumerate().all(|(i, s)| {
        (!s.is_empty() || i == last)
            && *s != "."
            && *s != ".."
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@%".contains(&b))
    })
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Decodes escapes of unreserved bytes, upper-cases the others, refuses escapes of `/`,
/// `\` and NUL, and refuses dot segments that decoding revealed.
fn normalise_path(path: &str) -> Option<String> {
    let bytes = path.as_bytes();
    let mut out = String::with_capacity(path.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = path.get(i + 1..i + 3)?;
            let value = u8::from_str_radix(hex, 16).ok()?;
            if matches!(value, b'/' | b'\\' | 0) {
                return None;
            }
            if is_unreserved(value) {
                out.push(char::from(value));
            } else {
                out.push('%');
                out.push_str(&hex.to_ascii_uppercase());
            }
            i += 3;
        } else {
            out.push(char::from(bytes[i]));
            i += 1;
        }
    }
    if out.split('/').any(|s| s == "." || s == "..") {
        return None;
    }
    Some(out)
}
