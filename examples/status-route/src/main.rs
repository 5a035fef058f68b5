//! status-route: serves `GET /status` under the host's `/ext/status-route/` prefix with how
//! many fax events of each state the plugin has seen, and `GET /status/job?id=<job id>`
//! with one job's current state (through the `fax.job_status` capability).
//!
//! It stores only counters; events carry no PHI, and neither do its answers.

use faxbot_sdk::route::{Request, Response};
use faxbot_sdk::{Ctx, Error, FaxJobUpdate, HttpMethod, Plugin};
use serde::Serialize;
use std::collections::BTreeMap;
use std::process::ExitCode;

/// The fax states a count is kept for, in the order `/status` lists them.
const STATES: [&str; 7] = [
    "queued",
    "sending",
    "sent",
    "delivered",
    "failed",
    "received",
    "cancelled",
];

#[derive(Serialize)]
struct Status<'a> {
    plugin: &'a str,
    instance: &'a str,
    status: &'static str,
    events: BTreeMap<&'static str, u64>,
    last_event_at_ms: Option<u64>,
}

#[derive(Serialize)]
struct JobStatus {
    job_id: String,
    state: &'static str,
    provider: String,
    pages: Option<u32>,
    attempt: u32,
    updated_at_ms: u64,
}

async fn count(ctx: Ctx, update: FaxJobUpdate) -> Result<(), Error> {
    let kv = ctx.kv();
    let key = format!("count:{}", update.job.state.name());
    let seen = kv.get_u64(&key).await?.unwrap_or(0);
    kv.put_u64(&key, seen + 1).await?;
    let last = kv.get_u64("last_event_at_ms").await?.unwrap_or(0);
    if update.occurred_at_ms > last {
        kv.put_u64("last_event_at_ms", update.occurred_at_ms)
            .await?;
    }
    Ok(())
}

async fn status(ctx: Ctx, _request: Request) -> Result<Response, Error> {
    let kv = ctx.kv();
    let mut events = BTreeMap::new();
    for state in STATES {
        events.insert(
            state,
            kv.get_u64(&format!("count:{state}")).await?.unwrap_or(0),
        );
    }
    Response::json(&Status {
        plugin: ctx.plugin_id(),
        instance: ctx.instance_id(),
        status: "ok",
        events,
        last_event_at_ms: kv.get_u64("last_event_at_ms").await?,
    })
}

async fn job_status(ctx: Ctx, request: Request) -> Result<Response, Error> {
    let Some(id) = request.query_param("id").filter(|id| !id.is_empty()) else {
        return Ok(Response::new(400).body("query parameter `id` is required\n"));
    };
    let found = match ctx.fax_status(id).await {
        Ok(found) => found,
        Err(Error::NotFound(_)) => return Ok(Response::new(404).body("no such job\n")),
        Err(e) => return Err(e),
    };
    Response::json(&JobStatus {
        job_id: found.job.job_id,
        state: found.job.state.name(),
        provider: found.job.provider,
        pages: found.job.pages,
        attempt: found.job.attempt,
        updated_at_ms: found.updated_at_ms,
    })
}

fn main() -> ExitCode {
    faxbot_sdk::run(
        Plugin::new("status-route", env!("CARGO_PKG_VERSION"))
            .on_fax_job("fax.job.*", count)
            .route(HttpMethod::Get, "/status", status)
            .route(HttpMethod::Get, "/status/job", job_status),
    )
}
