//! Upgrades: what a new version asks for beyond what the installed one was approved for.

use super::{Capability, Grant, Grants};

/// The difference between an installed plugin's grants and a new version's request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpgradeDiff {
    /// Requested now, and neither requested by the installed version nor covered by a
    /// live grant: the new version must not run until an admin approves these.
    pub new: Vec<Capability>,
    /// Requested before and now, but not granted (declined or expired). They stay denied;
    /// listed so the admin can reconsider, not blocking.
    pub still_not_granted: Vec<Capability>,
    /// Live grants the new version still asks for: they carry over.
    pub carried_over: Vec<Grant>,
    /// Grants the new version no longer asks for: they are dropped.
    pub dropped: Vec<Grant>,
}

impl UpgradeDiff {
    /// Whether the new version needs re-approval before it runs.
    pub fn needs_reapproval(&self) -> bool {
        !self.new.is_empty()
    }

    /// The new version's grants: the carried-over ones only. Approving anything in `new`
    /// goes through [`Grants::with_additional`].
    pub fn carried_grants(
        &self,
        installed: &Grants,
        new_version: semver::Version,
        new_request: Vec<Capability>,
    ) -> Grants {
        // Carried-over grants are covered by the new request by construction.
        Grants::from_parts(
            installed.plugin_id().to_string(),
            new_version,
            new_request,
            self.carried_over.clone(),
        )
    }
}

/// Compares a new version's request with the installed version's grants.
pub fn upgrade_diff(installed: &Grants, new_request: &[Capability], now_ms: u64) -> UpgradeDiff {
    let live: Vec<&Capability> = installed.live(now_ms).collect();
    let mut new = Vec::new();
    let mut still_not_granted = Vec::new();
    for wanted in new_request {
        if live.iter().any(|g| wanted.is_covered_by(g)) {
            continue;
        }
        if installed
            .requested()
            .iter()
            .any(|r| wanted.is_covered_by(r))
        {
            still_not_granted.push(wanted.clone());
        } else {
            new.push(wanted.clone());
        }
    }
    let (carried_over, dropped) = installed
        .granted()
        .iter()
        .filter(|g| g.is_live(now_ms))
        .cloned()
        .partition(|g| new_request.iter().any(|r| g.capability.is_covered_by(r)));
    UpgradeDiff {
        new,
        still_not_granted,
        carried_over,
        dropped,
    }
}
