//! ABI versions and their negotiation.
//!
//! A major version must match exactly; minors only add (methods, event payloads, trailing
//! optional fields). The host picks the highest minor both sides speak.

use serde::{Deserialize, Serialize};
use std::fmt;

/// One ABI version, `major.minor`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct AbiVersion {
    /// Incompatible revisions of the wire.
    pub major: u16,
    /// Compatible additions within a major.
    pub minor: u16,
}

/// The version this crate implements.
pub const CURRENT: AbiVersion = AbiVersion { major: 1, minor: 0 };

impl AbiVersion {
    /// A version from its parts.
    pub const fn new(major: u16, minor: u16) -> Self {
        Self { major, minor }
    }
}

impl fmt::Display for AbiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// An inclusive range of versions a peer speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct VersionRange {
    /// Oldest version spoken.
    pub min: AbiVersion,
    /// Newest version spoken.
    pub max: AbiVersion,
}

impl VersionRange {
    /// The range containing only `v`.
    pub const fn exactly(v: AbiVersion) -> Self {
        Self { min: v, max: v }
    }

    /// Whether `v` lies inside the range.
    pub fn contains(&self, v: AbiVersion) -> bool {
        self.min <= v && v <= self.max
    }
}

impl fmt::Display for VersionRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.min == self.max {
            write!(f, "{}", self.min)
        } else {
            write!(f, "{}..={}", self.min, self.max)
        }
    }
}

/// Why two version ranges have no version in common.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionMismatch {
    /// A range whose minimum is above its maximum.
    #[error("version range {0} is empty (min is above max)")]
    EmptyRange(VersionRange),
    /// No version lies in both ranges.
    #[error("plugin speaks ABI {plugin}, host speaks ABI {host}: no common version")]
    NoOverlap {
        /// What the plugin offered.
        plugin: VersionRange,
        /// What the host speaks.
        host: VersionRange,
    },
}

/// Picks the highest version both ranges contain.
pub fn negotiate(host: VersionRange, plugin: VersionRange) -> Result<AbiVersion, VersionMismatch> {
    if plugin.min > plugin.max {
        return Err(VersionMismatch::EmptyRange(plugin));
    }
    if host.min > host.max {
        return Err(VersionMismatch::EmptyRange(host));
    }
    let chosen = host.max.min(plugin.max);
    if host.contains(chosen) && plugin.contains(chosen) {
        Ok(chosen)
    } else {
        Err(VersionMismatch::NoOverlap { plugin, host })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(a: (u16, u16), b: (u16, u16)) -> VersionRange {
        VersionRange {
            min: AbiVersion::new(a.0, a.1),
            max: AbiVersion::new(b.0, b.1),
        }
    }

    #[test]
    fn highest_common_minor_is_chosen() {
        let host = range((1, 0), (1, 3));
        let plugin = range((1, 1), (1, 5));
        assert_eq!(negotiate(host, plugin), Ok(AbiVersion::new(1, 3)));
    }

    #[test]
    fn different_major_versions_do_not_negotiate() {
        let host = range((1, 0), (1, 9));
        let plugin = range((2, 0), (2, 1));
        assert!(matches!(
            negotiate(host, plugin),
            Err(VersionMismatch::NoOverlap { .. })
        ));
    }

    #[test]
    fn plugin_newer_than_host_gets_host_maximum() {
        let host = range((1, 0), (1, 0));
        let plugin = range((1, 0), (1, 7));
        assert_eq!(negotiate(host, plugin), Ok(AbiVersion::new(1, 0)));
    }

    #[test]
    fn inverted_range_is_refused() {
        let host = range((1, 0), (1, 0));
        let plugin = range((1, 4), (1, 0));
        assert!(matches!(
            negotiate(host, plugin),
            Err(VersionMismatch::EmptyRange(_))
        ));
    }

    proptest::proptest! {
        #[test]
        fn negotiated_version_lies_in_both_ranges(host: VersionRange, plugin: VersionRange) {
            if let Ok(v) = negotiate(host, plugin) {
                proptest::prop_assert!(host.contains(v) && plugin.contains(v));
            }
        }
    }
}
