//! The platform's outbound webhooks as bus subscribers (`webhook:<id>`): each event, already
//! projected (no PHI), is POSTed as JSON to the admin's HTTPS endpoint through the egress
//! broker (the same rule, resolution and address checks as a plugin's requests), signed in
//! the Standard Webhooks scheme (`webhook-id`, `webhook-timestamp`, `webhook-signature:
//! v1,<base64 HMAC-SHA256 over "id.timestamp.body">`, keyed with the base64 part of the
//! `whsec_` secret), so receivers can use that scheme's libraries. The bus retries with
//! backoff and dead-letters; a circuit breaker per endpoint stops attempts for a minute after
//! five failures in a row (the backlog waits, attempts unspent), then lets one through.

use base64::Engine;
use faxbot_brokers::egress::{EgressBroker, EgressLimits, PluginEgress, SecretSource};
use faxbot_bus::DeliveryError;
use faxbot_plugin_abi::event::Event;
use faxbot_plugin_abi::methods::{HttpRequest, OutboundHeader};
use faxbot_plugin_abi::secret::SecretTemplate;
use faxbot_policy::egress::EgressRule;
use faxbot_store::WebhookStore;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Failures in a row that open an endpoint's breaker.
const BREAKER_FAILURES: u32 = 5;
/// How long an open breaker holds deliveries back, ms.
const BREAKER_OPEN_MS: u64 = 60_000;

#[derive(Default, Clone, Copy)]
struct Breaker {
    failures: u32,
    open_until_ms: u64,
}

/// Where a webhook's signing secret comes from, by webhook id (the sealed secret store).
pub type SigningSecrets = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Signs and sends webhook deliveries.
pub struct Webhooks {
    store: Arc<dyn WebhookStore>,
    secret: SigningSecrets,
    breakers: Mutex<HashMap<String, Breaker>>,
}

struct NoSecrets;
impl SecretSource for NoSecrets {
    fn value(&self, _: &str, _: &str) -> Option<String> {
        None
    }
}

/// The Standard Webhooks signature of `body` sent as message `id` at `timestamp` (seconds),
/// with a `whsec_<base64>` secret: `v1,<base64>`.
pub fn sign(secret: &str, id: &str, timestamp: u64, body: &[u8]) -> Option<String> {
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.strip_prefix("whsec_")?)
        .ok()?;
    let mut content = format!("{id}.{timestamp}.").into_bytes();
    content.extend_from_slice(body);
    let tag = ring::hmac::sign(
        &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key),
        &content,
    );
    Some(format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(tag.as_ref())
    ))
}

/// The JSON a receiver gets for `event`.
pub fn body(event: &Event) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "type": event.topic,
        "timestamp": faxbot_api::time::format_ms(event.occurred_at_ms),
        "data": {
            "id": event.id,
            "topic": event.topic,
            "tenant_id": event.tenant_id,
            "sequence": event.sequence,
            "occurred_at_ms": event.occurred_at_ms,
            "payload": event.payload,
        },
    }))
    .unwrap_or_default()
}

impl Webhooks {
    /// Webhooks from `store`, their secrets from `secret(id)`.
    pub fn new(store: Arc<dyn WebhookStore>, secret: SigningSecrets) -> Self {
        Self {
            store,
            secret,
            breakers: Mutex::default(),
        }
    }

    /// The subscriptions to give the bus: (subscriber, tenant, patterns).
    pub fn subscriptions(&self) -> Vec<faxbot_bus::Subscription> {
        self.store
            .webhooks()
            .unwrap_or_default()
            .into_iter()
            .map(|w| faxbot_bus::Subscription {
                subscriber: format!("webhook:{}", w.id),
                tenant: w.tenant_id,
                patterns: w.events,
            })
            .collect()
    }

    /// Whether the endpoint's breaker lets a delivery through now.
    pub fn available(&self, id: &str) -> bool {
        let now = faxbot_api::time::now_ms();
        self.breakers
            .lock()
            .map(|b| b.get(id).is_none_or(|b| b.open_until_ms <= now))
            .unwrap_or(true)
    }

    fn record(&self, id: &str, ok: bool) {
        let Ok(mut breakers) = self.breakers.lock() else {
            return;
        };
        let breaker = breakers.entry(id.to_owned()).or_default();
        if ok {
            *breaker = Breaker::default();
            return;
        }
        breaker.failures += 1;
        if breaker.failures >= BREAKER_FAILURES {
            breaker.open_until_ms = faxbot_api::time::now_ms() + BREAKER_OPEN_MS;
            tracing::warn!(webhook = %id, failures = breaker.failures, "webhook endpoint failing: deliveries held for a minute");
        }
    }

    /// Delivers `event` to webhook `id` through `broker`, within the operator's egress
    /// `limits`.
    pub async fn deliver(
        &self,
        id: &str,
        event: Event,
        broker: &EgressBroker,
        limits: EgressLimits,
    ) -> Result<(), DeliveryError> {
        let record = self
            .store
            .webhook(id)
            .ok()
            .flatten()
            .ok_or_else(|| DeliveryError("webhook removed".into()))?;
        let secret = (self.secret)(id).ok_or_else(|| DeliveryError("no signing secret".into()))?;
        let rule = EgressRule::parse(&record.url)
            .map_err(|_| DeliveryError("endpoint refused by the egress rules".into()))?;
        let body = body(&event);
        let timestamp = faxbot_api::time::now_ms() / 1000;
        let signature = sign(&secret, &event.id, timestamp, &body)
            .ok_or_else(|| DeliveryError("signing secret unreadable".into()))?;
        let header = |name: &str, value: String| OutboundHeader {
            name: name.to_owned(),
            value: SecretTemplate::text(value),
        };
        let request = HttpRequest {
            method: "POST".into(),
            url: SecretTemplate::text(record.url.clone()),
            headers: vec![
                header("content-type", "application/json".into()),
                header("webhook-id", event.id.clone()),
                header("webhook-timestamp", timestamp.to_string()),
                header("webhook-signature", signature),
            ],
            body,
            timeout_ms: 10_000,
        };
        let who = PluginEgress {
            plugin_id: format!("webhook:{id}"),
            rules: vec![rule],
            limits,
        };
        let (outcome, _) = broker.fetch(&who, &request, &NoSecrets).await;
        let result = match outcome {
            Ok(response) if (200..300).contains(&response.status) => Ok(()),
            Ok(response) => Err(DeliveryError(format!("http {}", response.status))),
            Err(e) => Err(DeliveryError(e.kind().to_owned())),
        };
        self.record(id, result.is_ok());
        result
    }
}

#[cfg(test)]
mod tests {
    use super::sign;

    #[test]
    fn the_signature_matches_the_standard_webhooks_reference_vector() {
        // The Standard Webhooks specification's example (msg_p5jXN8AQM9LWM0D4loKWxJek,
        // timestamp 1614265330, body {"test": 2432232314}).
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let signature = sign(
            secret,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(
            signature.as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
        assert_eq!(sign("not-whsec", "m", 1, b""), None);
    }
}
