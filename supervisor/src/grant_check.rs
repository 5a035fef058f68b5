//! The grant check of every plugin call: [`GrantCheck`] holds one plugin's grants, which the
//! host may replace at any moment, and asks `faxbot-policy`'s one call check
//! ([`faxbot_policy::capability::check_call`]) at the moment of each call, so an expired or
//! revoked grant is denied from then on.

use crate::capability::CapabilityCheck;
use faxbot_plugin_abi::Envelope;
use faxbot_policy::capability::{Denial, DenialRule, Grants, check_call};
use std::sync::{Arc, RwLock};

/// How many bytes a plugin's kv data would hold after writing `value_len` bytes at `key`
/// (the host's kv store knows; the check needs it for the quota).
pub type KvTotalAfter = dyn Fn(&str, &str, usize) -> u64 + Send + Sync;

/// A [`CapabilityCheck`] over one plugin's grants, which the host may replace at any time
/// (approval of an upgrade, a revocation).
pub struct GrantCheck {
    grants: Arc<RwLock<Grants>>,
    kv_total_after: Arc<KvTotalAfter>,
}

impl GrantCheck {
    /// Checks calls against `grants`; `kv_total_after(plugin, key, len)` reports the kv total
    /// a write would reach.
    pub fn new(grants: Arc<RwLock<Grants>>, kv_total_after: Arc<KvTotalAfter>) -> Self {
        Self {
            grants,
            kv_total_after,
        }
    }
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

impl CapabilityCheck for GrantCheck {
    fn permits(&self, plugin_id: &str, call: &Envelope) -> Result<(), Denial> {
        let grants = self
            .grants
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if grants.plugin_id() != plugin_id {
            return Err(Denial {
                capability: None,
                rule: DenialRule::GrantsOfAnotherPlugin,
            });
        }
        let total = |key: &str, len: usize| (self.kv_total_after)(plugin_id, key, len);
        check_call(&grants, call, now_ms(), &total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faxbot_plugin_abi::methods::{EmitEvent, EmitEventRequest, HttpFetch, HttpRequest};
    use faxbot_plugin_abi::secret::SecretTemplate;
    use faxbot_policy::capability::{Capability, Grant};
    use faxbot_policy::egress::EgressRule;

    const MAX: u32 = 1 << 20;

    fn grants(expires_at_ms: Option<u64>) -> Grants {
        let requested = vec![
            Capability::Egress(
                EgressRule::parse("https://hooks.slack.com/services/*").expect("rule"),
            ),
            Capability::Secret("SLACK_PATH".into()),
            Capability::KvQuota(100),
            Capability::Emit("plugin.demo.*".into()),
        ];
        Grants::approve_all(
            "demo",
            semver::Version::new(1, 0, 0),
            requested,
            expires_at_ms,
        )
    }

    fn fetch(url: SecretTemplate) -> Envelope {
        let request = HttpRequest {
            method: "POST".into(),
            url,
            headers: Vec::new(),
            body: Vec::new(),
            timeout_ms: 1000,
        };
        Envelope::request::<HttpFetch>(1, &request, 1000, MAX).expect("envelope")
    }

    #[test]
    fn grant_check_refuses_a_secret_in_the_url_authority() {
        let checker = GrantCheck::new(
            Arc::new(RwLock::new(grants(None))),
            Arc::new(|_: &str, _: &str, _: usize| 0),
        );
        let t = SecretTemplate::text;
        let granted = fetch(t("https://hooks.slack.com/services/").and_secret("SLACK_PATH"));
        assert_eq!(checker.permits("demo", &granted), Ok(()));
        for template in [
            t("https://")
                .and_secret("SLACK_PATH")
                .and_text("/services/x"),
            t("https://hooks.slack.com:")
                .and_secret("SLACK_PATH")
                .and_text("/x"),
            t("https://a:")
                .and_secret("SLACK_PATH")
                .and_text("@hooks.slack.com/x"),
            t("https:///")
                .and_secret("SLACK_PATH")
                .and_text(".slack.com/services/x"),
        ] {
            let why = checker
                .permits("demo", &fetch(template.clone()))
                .expect_err("a secret may not choose the destination");
            assert!(
                why.to_string().starts_with("http.egress denied"),
                "{template:?}: {why}"
            );
        }
    }

    #[test]
    fn an_expired_grant_denies_and_a_replaced_grant_set_takes_effect_at_once() {
        let emit = Envelope::request::<EmitEvent>(
            4,
            &EmitEventRequest {
                topic: "plugin.demo.done".into(),
                fields: Vec::new(),
            },
            1000,
            MAX,
        )
        .expect("envelope");
        let live = Arc::new(RwLock::new(grants(Some(u64::MAX))));
        let checker = GrantCheck::new(live.clone(), Arc::new(|_: &str, _: &str, _: usize| 0));
        assert_eq!(checker.permits("demo", &emit), Ok(()));
        assert_eq!(
            checker.permits("other", &emit).map_err(|d| d.rule),
            Err(DenialRule::GrantsOfAnotherPlugin),
            "grants are per plugin"
        );
        *live.write().expect("lock") = grants(Some(1));
        let why = checker.permits("demo", &emit).expect_err("expired");
        assert_eq!(why.rule, DenialRule::Expired { at_ms: 1 });
        assert!(why.to_string().contains("expired"), "{why}");
        let unknown = Envelope {
            method: "fs.read".into(),
            ..emit
        };
        assert!(checker.permits("demo", &unknown).is_err());
        let _ = Grant::permanent(Capability::FaxJobStatus);
    }
}
