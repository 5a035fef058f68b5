//! slack-notifier: on `fax.job.*` events, posts a one-line message to a Slack incoming
//! webhook.
//!
//! - The webhook URL's path is the secret `SLACK_WEBHOOK_PATH`: the plugin names it, the
//!   host's broker fills it in after checking the URL against the egress allowlist
//!   (`https://hooks.slack.com/services/*`), so the plugin never holds the credential.
//! - Transient failures (timeouts, 429, 5xx) are retried with exponential backoff within the
//!   event's deadline; if all tries fail the handler fails and the host redelivers later.
//! - No PHI can be in a message: events carry none, and the message uses only the job id,
//!   state, provider, page count, attempt and failure category.
//! - A redelivered event that was already posted is not posted again (the ids of recently
//!   posted events are kept in kv).

use faxbot_sdk::abi::event::FaxJobEvent;
use faxbot_sdk::{Backoff, Ctx, Error, FaxJobUpdate, HttpMethod, Plugin, Template};
use serde::Serialize;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Where Slack incoming webhooks live; the rest of the URL is the secret.
const WEBHOOK_BASE: &str = "https://hooks.slack.com/services/";
/// The secret holding the webhook's path.
const WEBHOOK_SECRET: &str = "SLACK_WEBHOOK_PATH";
/// The kv key listing recently posted event ids, newest last.
const RECENT_KEY: &str = "recently-posted";
/// How many posted event ids are remembered for deduplication.
const RECENT_MAX: usize = 128;

#[derive(Serialize)]
struct SlackMessage {
    text: String,
}

/// The message for a job event: identifiers and counts only.
fn message(job: &FaxJobEvent) -> String {
    let mut text = format!(
        "Fax job {} {} via {}",
        job.job_id,
        job.state.name(),
        job.provider
    );
    if let Some(pages) = job.pages {
        text.push_str(&format!(
            ", {pages} page{}",
            if pages == 1 { "" } else { "s" }
        ));
    }
    if job.attempt > 1 {
        text.push_str(&format!(", attempt {}", job.attempt));
    }
    if let Some(failure) = &job.failure {
        text.push_str(&format!(" (reason: {failure})"));
    }
    text
}

/// Whether the admin's `notify_on` list (all states when unset) includes this state.
fn wanted(ctx: &Ctx, state: &str) -> bool {
    match ctx.config().get("notify_on") {
        Some(faxbot_sdk::Value::List(states)) => states.iter().any(|s| s.as_str() == Some(state)),
        _ => true,
    }
}

async fn recently_posted(ctx: &Ctx) -> Result<Vec<String>, Error> {
    Ok(ctx
        .kv()
        .get(RECENT_KEY)
        .await?
        .map(|bytes| {
            String::from_utf8_lossy(&bytes)
                .lines()
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default())
}

async fn remember(ctx: &Ctx, mut recent: Vec<String>, event_id: &str) -> Result<(), Error> {
    recent.push(event_id.to_owned());
    let excess = recent.len().saturating_sub(RECENT_MAX);
    recent.drain(..excess);
    ctx.kv()
        .put(RECENT_KEY, recent.join("\n").into_bytes())
        .await
}

async fn post(ctx: &Ctx, text: String) -> Result<(), Error> {
    let webhook = Template::text(WEBHOOK_BASE).secret(&ctx.secret(WEBHOOK_SECRET)?);
    let attempts = u32::try_from(ctx.config().int_or("max_attempts", 4).clamp(1, 8)).unwrap_or(4);
    let policy = Backoff::new(attempts, Duration::from_millis(200), Duration::from_secs(2));
    let body = SlackMessage { text };
    policy
        .retry(ctx, |_attempt| async {
            let response = ctx
                .http()
                .request(HttpMethod::Post, webhook.clone())
                .json(&body)?
                .timeout(Duration::from_secs(3))
                .send()
                .await?;
            if response.is_success() {
                Ok(())
            } else if response.is_retryable() {
                Err(Error::Unavailable(format!(
                    "Slack answered {}",
                    response.status
                )))
            } else {
                Err(Error::invalid(format!(
                    "Slack refused the message: {}",
                    response.status
                )))
            }
        })
        .await
}

async fn notify(ctx: Ctx, update: FaxJobUpdate) -> Result<(), Error> {
    let job = &update.job;
    if !wanted(&ctx, job.state.name()) {
        return Ok(());
    }
    let recent = recently_posted(&ctx).await?;
    if recent.contains(&update.event_id) {
        return Ok(());
    }
    let started = Instant::now();
    match post(&ctx, message(job)).await {
        Ok(()) => {
            ctx.metrics().counter("messages_posted", 1.0).await?;
            ctx.metrics()
                .histogram("post_ms", started.elapsed().as_secs_f64() * 1000.0)
                .await?;
            remember(&ctx, recent, &update.event_id).await
        }
        Err(error) => {
            ctx.metrics().counter("post_failures", 1.0).await?;
            ctx.log()
                .warn(format!(
                    "posting event {} to Slack failed: {error}",
                    update.event_id
                ))
                .await?;
            Err(error)
        }
    }
}

fn main() -> ExitCode {
    faxbot_sdk::run(
        Plugin::new("slack-notifier", env!("CARGO_PKG_VERSION")).on_fax_job("fax.job.*", notify),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use faxbot_sdk::abi::event::{FaxDirection, FaxJobState};

    #[test]
    fn the_message_holds_identifiers_and_counts_only() {
        let job = FaxJobEvent {
            job_id: "job-7".into(),
            direction: FaxDirection::Outbound,
            state: FaxJobState::Failed,
            provider: "phaxio".into(),
            pages: Some(1),
            attempt: 2,
            queued_at_ms: 0,
            duration_ms: None,
            failure: Some("busy".into()),
            remote_token: Some("rt-secret-ish".into()),
        };
        assert_eq!(
            message(&job),
            "Fax job job-7 failed via phaxio, 1 page, attempt 2 (reason: busy)"
        );
    }
}
