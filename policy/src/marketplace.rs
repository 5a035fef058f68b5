//! Marketplace rules as pure functions: what a tenant sees and what may be installed.
//!
//! Defaults are closed: `marketplace.enabled = false`,
//! `marketplace.remote_install_enabled = false`, `marketplace.trust_tier = "curated_only"`.
//! A tenant in HIPAA mode sees and installs only plugins whose manifest says
//! `hipaa_compliant = true`.

use crate::trust::{TierRequirement, TrustTier};
use serde::Deserialize;

/// The operator's `[marketplace]` settings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MarketplaceSettings {
    /// Whether the marketplace catalogue is shown at all.
    pub enabled: bool,
    /// Whether plugins may be fetched and installed from the marketplace (as opposed to
    /// packages an admin uploads).
    pub remote_install_enabled: bool,
    /// The lowest key tier any install accepts.
    pub trust_tier: TierRequirement,
}

impl MarketplaceSettings {
    /// Parses a `[marketplace]` table's body; missing keys keep their closed defaults and
    /// unknown keys are refused.
    pub fn parse(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|e| format!("marketplace settings: {}", e.message()))
    }
}

/// What the rules need to know about a tenant.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tenant {
    /// The tenant handles PHI under HIPAA rules.
    pub hipaa_mode: bool,
}

/// A plugin as the catalogue or an upload presents it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listing {
    /// Plugin id.
    pub plugin_id: String,
    /// The manifest's `hipaa_compliant`.
    pub hipaa_compliant: bool,
    /// Tier of the key that signed it.
    pub tier: TrustTier,
}

/// Where an install comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InstallSource {
    /// A package an admin uploaded.
    Upload,
    /// A package fetched from the marketplace.
    Marketplace,
}

/// Why a listing is hidden or an install refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MarketplaceDenial {
    /// `marketplace.enabled = false`.
    #[error("the marketplace is disabled (marketplace.enabled = false)")]
    Disabled,
    /// `marketplace.remote_install_enabled = false`.
    #[error(
        "installing from the marketplace is disabled (marketplace.remote_install_enabled = false)"
    )]
    RemoteInstallDisabled,
    /// The signing key's tier is below `marketplace.trust_tier`.
    #[error("the plugin's signing tier {tier} is below marketplace.trust_tier = {required}")]
    TierNotAllowed {
        /// The listing's tier.
        tier: TrustTier,
        /// The setting.
        required: TierRequirement,
    },
    /// A HIPAA tenant and a plugin not marked HIPAA-compliant.
    #[error("the tenant is in HIPAA mode and the plugin is not marked hipaa_compliant")]
    NotHipaaCompliant,
}

fn tenant_and_tier(
    settings: &MarketplaceSettings,
    tenant: Tenant,
    listing: &Listing,
) -> Result<(), MarketplaceDenial> {
    if tenant.hipaa_mode && !listing.hipaa_compliant {
        return Err(MarketplaceDenial::NotHipaaCompliant);
    }
    if !settings.trust_tier.allows(listing.tier) {
        return Err(MarketplaceDenial::TierNotAllowed {
            tier: listing.tier,
            required: settings.trust_tier,
        });
    }
    Ok(())
}

/// Whether a catalogue listing is shown to a tenant.
pub fn check_visible(
    settings: &MarketplaceSettings,
    tenant: Tenant,
    listing: &Listing,
) -> Result<(), MarketplaceDenial> {
    if !settings.enabled {
        return Err(MarketplaceDenial::Disabled);
    }
    tenant_and_tier(settings, tenant, listing)
}

/// The listings a tenant sees, in the given order.
pub fn visible_listings<'a>(
    settings: &MarketplaceSettings,
    tenant: Tenant,
    listings: &'a [Listing],
) -> Vec<&'a Listing> {
    listings
        .iter()
        .filter(|l| check_visible(settings, tenant, l).is_ok())
        .collect()
}

/// Whether a plugin may be installed for a tenant from `source`.
pub fn check_install(
    settings: &MarketplaceSettings,
    tenant: Tenant,
    listing: &Listing,
    source: InstallSource,
) -> Result<(), MarketplaceDenial> {
    if source == InstallSource::Marketplace {
        if !settings.enabled {
            return Err(MarketplaceDenial::Disabled);
        }
        if !settings.remote_install_enabled {
            return Err(MarketplaceDenial::RemoteInstallDisabled);
        }
    }
    tenant_and_tier(settings, tenant, listing)
}
