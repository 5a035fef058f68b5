//! Egress rules: which outbound HTTPS requests a plugin's grants allow.
//!
//! A rule names a scheme, a host (exact, a `*.` suffix of a registrable domain, or an IP
//! literal), a port and an optional path prefix. Requests are matched only after
//! [`NormalizedUrl::parse`] has brought the URL to one canonical form and refused every
//! ambiguous spelling (userinfo, backslashes, fragments, numeric IPv4 forms, encoded
//! slashes), so what is checked is exactly what the broker will connect to.

mod internal;
mod rule;
mod url;

pub use internal::InternalTarget;
pub use rule::{EgressRule, HostPattern, RuleError};
pub use url::{NormalizedUrl, UrlError, UrlHost};

/// The first rule in `rules` that allows `url`, if any.
pub fn first_match<'r>(rules: &'r [EgressRule], url: &NormalizedUrl) -> Option<&'r EgressRule> {
    rules.iter().find(|r| r.matches(url))
}
