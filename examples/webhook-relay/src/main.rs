//! webhook-relay: forwards selected events to the configured HTTPS endpoint as JSON, signed
//! with an HMAC-SHA256 of the body keyed by the secret `RELAY_SIGNING_KEY`.
//!
//! Request: `POST <config.url>` with the event as JSON and the headers
//! `X-Faxbot-Event` (topic), `X-Faxbot-Delivery` (event id; receivers deduplicate on it,
//! delivery is at least once), `X-Faxbot-Timestamp` (ms) and
//! `X-Faxbot-Signature: sha256=<hex>`. The body contains the event id and time, so the
//! signature also covers them. The host's broker computes the signature: the plugin names
//! the key and never holds it.
//!
//! Transient failures (timeouts, 408/425/429, 5xx) are retried with exponential backoff
//! within the event's deadline; after the last try the event fails and the host
//! redelivers it later. Other statuses are a refusal and are not retried.

use faxbot_sdk::abi::event::topic_matches;
use faxbot_sdk::{Backoff, Ctx, Error, Event, HttpMethod, Plugin, Template, Value};
use std::process::ExitCode;
use std::time::Duration;

/// The secret keying the signature.
const SIGNING_KEY: &str = "RELAY_SIGNING_KEY";

/// Whether the admin's `topics` patterns (all when unset) select `topic`.
fn selected(ctx: &Ctx, topic: &str) -> bool {
    match ctx.config().get("topics") {
        Some(Value::List(patterns)) => patterns
            .iter()
            .filter_map(Value::as_str)
            .any(|pattern| topic_matches(pattern, topic)),
        _ => true,
    }
}

async fn relay(ctx: Ctx, event: Event) -> Result<(), Error> {
    if !selected(&ctx, &event.topic) {
        return Ok(());
    }
    let url = ctx.config().require_str("url")?.to_owned();
    let key = ctx.secret(SIGNING_KEY)?;
    let body = json_body(&event)?;
    let attempts = u32::try_from(ctx.config().int_or("max_attempts", 5).clamp(1, 10)).unwrap_or(5);
    let policy = Backoff::new(attempts, Duration::from_millis(250), Duration::from_secs(2));
    let outcome = policy
        .retry(&ctx, |attempt| {
            let request = ctx
                .http()
                .request(HttpMethod::Post, url.as_str())
                .header("Content-Type", "application/json")
                .header("X-Faxbot-Event", event.topic.as_str())
                .header("X-Faxbot-Delivery", event.id.as_str())
                .header("X-Faxbot-Timestamp", event.occurred_at_ms.to_string())
                .header("X-Faxbot-Attempt", attempt.to_string())
                .header(
                    "X-Faxbot-Signature",
                    Template::text("sha256=").body_hmac_sha256(&key),
                )
                .body(body.clone())
                .timeout(Duration::from_secs(3));
            async move {
                let response = request.send().await?;
                if response.is_success() {
                    Ok(response.status)
                } else if response.is_retryable() {
                    Err(Error::Unavailable(format!(
                        "the endpoint answered {}",
                        response.status
                    )))
                } else {
                    Err(Error::invalid(format!(
                        "the endpoint refused the event: {}",
                        response.status
                    )))
                }
            }
        })
        .await;
    match outcome {
        Ok(_) => ctx.metrics().counter("events_relayed", 1.0).await,
        Err(error) => {
            ctx.metrics().counter("relay_failures", 1.0).await?;
            ctx.log()
                .warn(format!("relaying event {} failed: {error}", event.id))
                .await?;
            Err(error)
        }
    }
}

/// The event as the receiver gets it.
#[derive(serde::Serialize)]
struct Relayed<'a> {
    id: &'a str,
    topic: &'a str,
    tenant_id: &'a str,
    occurred_at_ms: u64,
    payload: &'a faxbot_sdk::EventPayload,
}

fn json_body(event: &Event) -> Result<Vec<u8>, Error> {
    let relayed = Relayed {
        id: &event.id,
        topic: &event.topic,
        tenant_id: &event.tenant_id,
        occurred_at_ms: event.occurred_at_ms,
        payload: &event.payload,
    };
    serde_json::to_vec(&relayed)
        .map_err(|e| Error::internal(format!("event {} as JSON: {e}", event.id)))
}

fn main() -> ExitCode {
    faxbot_sdk::run(
        Plugin::new("webhook-relay", env!("CARGO_PKG_VERSION"))
            .on_event("fax.job.*", relay)
            .on_event("fax.inbound.received", relay),
    )
}
