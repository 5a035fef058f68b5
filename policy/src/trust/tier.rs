//! Trust tiers of publisher keys, and what an install requires.

use serde::{Deserialize, Serialize};
use std::fmt;

/// How much the operator trusts a publisher key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrustTier {
    /// Anyone the operator chose to add, unreviewed.
    Community,
    /// A publisher whose identity the operator (or its marketplace) verified.
    Verified,
    /// Reviewed and curated plugins: the marketplace's default requirement.
    Curated,
}

impl fmt::Display for TrustTier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TrustTier::Community => "community",
            TrustTier::Verified => "verified",
            TrustTier::Curated => "curated",
        })
    }
}

/// The lowest tier an install accepts (`marketplace.trust_tier`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TierRequirement {
    /// Curated keys only (the default).
    #[default]
    CuratedOnly,
    /// Verified or curated keys.
    VerifiedOrCurated,
    /// Any key in the trust store.
    Any,
}

impl TierRequirement {
    /// Whether a key of `tier` satisfies the requirement.
    pub fn allows(self, tier: TrustTier) -> bool {
        match self {
            TierRequirement::CuratedOnly => tier == TrustTier::Curated,
            TierRequirement::VerifiedOrCurated => tier >= TrustTier::Verified,
            TierRequirement::Any => true,
        }
    }
}

impl fmt::Display for TierRequirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TierRequirement::CuratedOnly => "curated_only",
            TierRequirement::VerifiedOrCurated => "verified_or_curated",
            TierRequirement::Any => "any",
        })
    }
}
