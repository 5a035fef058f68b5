//! The grant check of every plugin call, on `faxbot-policy`'s rules: each method is mapped
//! to the actions it needs (`http.fetch` needs the egress rule for its destination and each
//! secret it names; `kv.put` needs a quota holding the total after the write, ...) and each
//! action is checked against the admin's grants at the moment of the call, so an expired
//! or revoked grant is denied from then on.

use crate::capability::CapabilityCheck;
use faxbot_plugin_abi::methods::{
    EmitEvent, FaxJobStatus, HttpFetch, KvDelete, KvGet, KvList, KvPut, Log, Metric,
};
use faxbot_plugin_abi::{Envelope, Method};
use faxbot_policy::capability::{Action, Decision, Grants, check};
use faxbot_policy::egress::NormalizedUrl;
use std::sync::{Arc, RwLock};

/// How many bytes a plugin's kv data would hold after writing `value_len` bytes at `key`
/// (the host's kv store knows; the check needs it for the quota).
pub type KvTotalAfter = dyn Fn(&str, &str, usize) -> u64 + Send + Sync;

/// Checks one plugin call against `grants` at `now_ms`. `Err` names the capability that is
/// missing and why, never a request value (URLs, keys and topics may carry identifiers).
pub fn check_call(
    grants: &Grants,
    call: &Envelope,
    now_ms: u64,
    kv_total_after: &dyn Fn(&str, usize) -> u64,
) -> Result<(), String> {
    let decide = |action: Action<'_>| match check(grants, &action, now_ms) {
        Decision::Allow => Ok(()),
        Decision::Deny(denial) => Err(denial.to_string()),
    };
    let undecodable = |e: faxbot_plugin_abi::DecodeError| format!("{}: {e}", call.method);
    match call.method.as_str() {
        m if m == Log::NAME || m == Metric::NAME => Ok(()),
        m if m == KvGet::NAME || m == KvList::NAME || m == KvDelete::NAME => decide(Action::KvRead),
        m if m == KvPut::NAME => {
            let put = call.decode_request::<KvPut>().map_err(undecodable)?;
            decide(Action::KvWrite {
                total_bytes_after: kv_total_after(&put.key, put.value.len()),
            })
        }
        m if m == EmitEvent::NAME => {
            let emit = call.decode_request::<EmitEvent>().map_err(undecodable)?;
            decide(Action::EmitEvent { topic: &emit.topic })
        }
        m if m == FaxJobStatus::NAME => decide(Action::FaxJobStatus),
        m if m == HttpFetch::NAME => {
            let request = call.decode_request::<HttpFetch>().map_err(undecodable)?;
            let names = request
                .url
                .secret_names()
                .chain(request.headers.iter().flat_map(|h| h.value.secret_names()));
            for name in names {
                decide(Action::UseSecret { name })?;
            }
            // The destination is checked with secrets as placeholders: a secret value can
            // never steer where the request goes.
            let url = NormalizedUrl::parse_template(&request.url)
                .map_err(|e| format!("http.egress denied: {e}"))?;
            decide(Action::Egress { url: &url })
        }
        other => Err(format!("no capability covers {other}")),
    }
}

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
    fn permits(&self, plugin_id: &str, call: &Envelope) -> Result<(), String> {
        let grants = self
            .grants
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if grants.plugin_id() != plugin_id {
            return Err(format!(
                "the grants in force belong to another plugin than {plugin_id:?}"
            ));
        }
        let total = |key: &str, len: usize| (self.kv_total_after)(plugin_id, key, len);
        check_call(&grants, call, now_ms(), &total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faxbot_plugin_abi::methods::{
        EmitEventRequest, HttpRequest, KvPutRequest, LogLevel, LogRecord, OutboundHeader,
    };
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

    fn fetch(url: SecretTemplate, header_secret: Option<&str>) -> Envelope {
        let request = HttpRequest {
            method: "POST".into(),
            url,
            headers: header_secret
                .map(|s| OutboundHeader {
                    name: "x-sig".into(),
                    value: SecretTemplate::text("").and_secret(s),
                })
                .into_iter()
                .collect(),
            body: Vec::new(),
            timeout_ms: 1000,
        };
        Envelope::request::<HttpFetch>(1, &request, 1000, MAX).expect("envelope")
    }

    fn none(_: &str, _: usize) -> u64 {
        0
    }

    #[test]
    fn egress_is_checked_on_the_template_and_every_secret_must_be_granted() {
        let g = grants(None);
        let ok = fetch(
            SecretTemplate::text("https://hooks.slack.com/services/").and_secret("SLACK_PATH"),
            None,
        );
        assert_eq!(check_call(&g, &ok, 0, &none), Ok(()));
        let other_host = fetch(
            SecretTemplate::text("https://hooks.slack.com.evil.test/services/x"),
            None,
        );
        assert!(check_call(&g, &other_host, 0, &none).is_err());
        let secret_host = fetch(
            SecretTemplate::text("https://")
                .and_secret("SLACK_PATH")
                .and_text("/x"),
            None,
        );
        let why =
            check_call(&g, &secret_host, 0, &none).expect_err("a secret may not pick the host");
        assert!(why.contains("http.egress"), "{why}");
        let ungranted_secret = fetch(
            SecretTemplate::text("https://hooks.slack.com/services/x"),
            Some("AWS_KEY"),
        );
        let why = check_call(&g, &ungranted_secret, 0, &none).expect_err("secret not granted");
        assert!(why.starts_with("secrets denied"), "{why}");
        assert!(
            !why.contains("AWS_KEY"),
            "no request values in the reason: {why}"
        );
    }

    #[test]
    fn kv_writes_are_held_to_the_quota_and_logs_need_no_grant() {
        let g = grants(None);
        let put = |len: usize| {
            Envelope::request::<KvPut>(
                2,
                &KvPutRequest {
                    key: "k".into(),
                    value: vec![0; len],
                },
                1000,
                MAX,
            )
            .expect("envelope")
        };
        let total = |key: &str, len: usize| (key.len() + len) as u64;
        assert_eq!(check_call(&g, &put(99), 0, &total), Ok(()));
        let why = check_call(&g, &put(100), 0, &total).expect_err("over quota");
        assert!(why.contains("quota"), "{why}");
        let log = Envelope::request::<Log>(
            3,
            &LogRecord {
                level: LogLevel::Info,
                message: "hi".into(),
                fields: Vec::new(),
            },
            1000,
            MAX,
        )
        .expect("envelope");
        assert_eq!(check_call(&g, &log, 0, &none), Ok(()));
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
        assert!(
            checker.permits("other", &emit).is_err(),
            "grants are per plugin"
        );
        *live.write().expect("lock") = grants(Some(1));
        let why = checker.permits("demo", &emit).expect_err("expired");
        assert!(why.contains("expired"), "{why}");
        let unknown = Envelope {
            method: "fs.read".into(),
            ..emit
        };
        assert!(checker.permits("demo", &unknown).is_err());
        let _ = Grant::permanent(Capability::FaxJobStatus);
    }
}
