//! Egress rules that name internal targets: IP literals outside public unicast and
//! special-use or private-use names. A manifest may not ask for them (unless the operator
//! allows it on a development host); after DNS the broker refuses internal addresses again
//! (`address::check_resolved`), whatever name led there.

use super::rule::{EgressRule, HostPattern};
use crate::address::{AddressClass, classify};
use std::fmt;

/// Names no public resolver answers for, or that name the machine, the local network or a
/// cloud's metadata service: the name itself and everything below it.
/// The most specific entries come first, so the error names them.
const SPECIAL_USE: &[(&str, &str)] = &[
    ("metadata.google.internal", "Google Cloud instance metadata"),
    ("metadata.goog", "Google Cloud instance metadata"),
    ("instance-data.ec2.internal", "AWS instance metadata"),
    ("home.arpa", "home networks (RFC 8375)"),
    ("localhost", "the local machine (RFC 6761)"),
    ("local", "multicast DNS on the local link (RFC 6762)"),
    ("internal", "private-use names (ICANN, 2024)"),
    ("arpa", "infrastructure names (reverse lookups)"),
    ("localdomain", "the local machine's domain"),
    ("test", "testing (RFC 6761)"),
    ("invalid", "names that never resolve (RFC 6761)"),
    ("example", "documentation (RFC 6761)"),
    ("onion", "Tor onion services (RFC 7686)"),
    ("alt", "non-DNS resolution (RFC 9476)"),
];

/// Why an egress rule's target is internal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InternalTarget {
    /// An IP literal that is not public unicast (loopback, private, link-local, cloud
    /// metadata, CGNAT, multicast, unspecified, documentation, reserved; also when hidden
    /// in an IPv6 form such as `::ffff:127.0.0.1` or NAT64).
    Address {
        /// Its class (of the embedded IPv4 address, when one decides it).
        class: AddressClass,
    },
    /// A special-use or private-use name, or a name below one.
    SpecialUseName {
        /// The reserved name.
        name: &'static str,
        /// What it is reserved for.
        reserved_for: &'static str,
    },
}

impl fmt::Display for InternalTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InternalTarget::Address { class } => write!(f, "a {class} address"),
            InternalTarget::SpecialUseName { name, reserved_for } => {
                write!(
                    f,
                    "under the special-use name `{name}`, reserved for {reserved_for}"
                )
            }
        }
    }
}

impl EgressRule {
    /// Whether the rule names an internal target rather than a public host.
    pub fn internal_target(&self) -> Option<InternalTarget> {
        match self.host() {
            HostPattern::Ip(ip) => {
                let class = classify(*ip);
                (!class.is_public()).then_some(InternalTarget::Address { class })
            }
            HostPattern::Exact(name) | HostPattern::Suffix(name) => special_use(name),
        }
    }
}

fn special_use(host: &str) -> Option<InternalTarget> {
    SPECIAL_USE
        .iter()
        .find(|(name, _)| {
            host == *name
                || host
                    .strip_suffix(name)
                    .is_some_and(|rest| rest.ends_with('.'))
        })
        .map(|(name, reserved_for)| InternalTarget::SpecialUseName { name, reserved_for })
}
