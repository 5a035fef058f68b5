//! daily-digest: counts fax job events in kv (per UTC day and state) and, from the `digest`
//! cron job (07:00 UTC), posts yesterday's totals once to a Slack incoming webhook, emits
//! `plugin.daily-digest.sent` and clears the day's counters.
//!
//! - Once a day: a `sent:<day>` marker makes a re-run of the job for the same day a no-op,
//!   so a retried or duplicated run never posts twice.
//! - Counters stay until a digest for their day was posted: a failed post is retried by
//!   the next run.
//! - Delivery is at least once, so a redelivered event may be counted twice; the digest is
//!   a summary, not an audit record.
//! - Logs go through `tracing`, forwarded to the host by the SDK's layer.

use faxbot_sdk::{Backoff, Ctx, Error, FaxJobUpdate, HttpMethod, JobRun, Plugin, Template, Value};
use serde::Serialize;
use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::Duration;

const DAY_MS: u64 = 86_400_000;
const WEBHOOK_BASE: &str = "https://hooks.slack.com/services/";
const WEBHOOK_SECRET: &str = "DIGEST_WEBHOOK_PATH";
const SENT_TOPIC: &str = "plugin.daily-digest.sent";

fn count_key(day: u64, state: &str) -> String {
    format!("count:{day}:{state}")
}

/// `YYYY-MM-DD` of a day number since the Unix epoch (proleptic Gregorian, UTC).
fn date(day: u64) -> String {
    // Howard Hinnant's civil_from_days.
    let z = i64::try_from(day).unwrap_or(i64::MAX / 2) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

async fn count(ctx: Ctx, update: FaxJobUpdate) -> Result<(), Error> {
    let key = count_key(update.occurred_at_ms / DAY_MS, update.job.state.name());
    let n = ctx.kv().get_u64(&key).await?.unwrap_or(0);
    ctx.kv().put_u64(&key, n + 1).await
}

/// Every counter of `day`, by state.
async fn totals(ctx: &Ctx, day: u64) -> Result<BTreeMap<String, u64>, Error> {
    let prefix = format!("count:{day}:");
    let mut totals = BTreeMap::new();
    let mut after: Option<String> = None;
    loop {
        let page = ctx.kv().list(&prefix, after.as_deref(), 100).await?;
        for key in &page.keys {
            let state = key.trim_start_matches(&prefix).to_owned();
            totals.insert(state, ctx.kv().get_u64(key).await?.unwrap_or(0));
        }
        after = page.keys.last().cloned();
        if !page.more || after.is_none() {
            return Ok(totals);
        }
    }
}

#[derive(Serialize)]
struct SlackMessage {
    text: String,
}

fn summary_text(date: &str, totals: &BTreeMap<String, u64>) -> String {
    let total: u64 = totals.values().sum();
    if total == 0 {
        return format!("Fax digest for {date}: no fax events.");
    }
    let parts: Vec<String> = totals
        .iter()
        .map(|(state, n)| format!("{state} {n}"))
        .collect();
    format!(
        "Fax digest for {date}: {total} events ({})",
        parts.join(", ")
    )
}

async fn post(ctx: &Ctx, text: String) -> Result<(), Error> {
    let webhook = Template::text(WEBHOOK_BASE).secret(&ctx.secret(WEBHOOK_SECRET)?);
    let body = SlackMessage { text };
    Backoff::new(4, Duration::from_millis(500), Duration::from_secs(4))
        .retry(ctx, |_| async {
            let response = ctx
                .http()
                .request(HttpMethod::Post, webhook.clone())
                .json(&body)?
                .send()
                .await?;
            if response.is_success() {
                Ok(())
            } else if response.is_retryable() {
                Err(Error::Unavailable(format!(
                    "the webhook answered {}",
                    response.status
                )))
            } else {
                Err(Error::invalid(format!(
                    "the webhook refused the digest: {}",
                    response.status
                )))
            }
        })
        .await
}

async fn digest(ctx: Ctx, run: JobRun) -> Result<String, Error> {
    let day = (run.scheduled_at_ms / DAY_MS).saturating_sub(1);
    let date = date(day);
    let marker = format!("sent:{day}");
    if ctx.kv().get(&marker).await?.is_some() {
        tracing::info!(day = %date, "digest already sent");
        return Ok(format!("digest for {date} was already sent"));
    }
    let totals = totals(&ctx, day).await?;
    let text = summary_text(&date, &totals);
    post(&ctx, text.clone()).await?;
    ctx.kv()
        .put(&marker, run.run_id.clone().into_bytes())
        .await?;
    let total: u64 = totals.values().sum();
    ctx.emit(
        SENT_TOPIC,
        vec![
            ("date".into(), Value::from(date.clone())),
            (
                "events".into(),
                Value::Int(i64::try_from(total).unwrap_or(i64::MAX)),
            ),
        ],
    )
    .await?;
    for state in totals.keys() {
        ctx.kv().delete(&count_key(day, state)).await?;
    }
    tracing::info!(day = %date, events = total, "digest sent");
    Ok(text)
}

fn main() -> ExitCode {
    // The host's log is the only log a jailed plugin has.
    if let Err(e) = faxbot_sdk::trace::install() {
        eprintln!("daily-digest: tracing is not forwarded to the host: {e}");
    }
    faxbot_sdk::run(
        Plugin::new("daily-digest", env!("CARGO_PKG_VERSION"))
            .on_fax_job("fax.job.*", count)
            .job("digest", digest),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers_become_dates() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(19_723), "2024-01-01");
        assert_eq!(date(19_782), "2024-02-29");
        assert_eq!(date(20_788), "2026-12-01");
    }

    #[test]
    fn the_summary_lists_states_in_order() {
        let mut totals = BTreeMap::new();
        totals.insert("failed".to_owned(), 2);
        totals.insert("delivered".to_owned(), 5);
        assert_eq!(
            summary_text("2026-12-01", &totals),
            "Fax digest for 2026-12-01: 7 events (delivered 5, failed 2)"
        );
        assert_eq!(
            summary_text("2026-12-01", &BTreeMap::new()),
            "Fax digest for 2026-12-01: no fax events."
        );
    }
}
