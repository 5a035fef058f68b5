//! faxbot-example-testkit: the one test host the example plugins' tests and the SDK's
//! tests share.
//!
//! Each example's grants come from its own `faxbot-plugin.toml`, parsed and approved by
//! `faxbot-policy` and checked on every call by the policy crate's one call check
//! (`faxbot_policy::capability::check_call`), the check the supervisor's `GrantCheck` makes; the capabilities (kv, HTTP egress, logs, metrics, emit, fax status) are served
//! from memory and recorded so tests can look at exactly what a plugin did. Plugins run
//! through the real `faxbot-supervisor` session, unjailed or in the real `faxbot-jail`.
//!
//! The SDK's tests use [`Host::for_granted`] (grants as a Welcome lists them, no manifest)
//! and [`accept`] with their own handshake terms.
//!
//! Test-only: it must never be a dependency of a plugin (it is a dev-dependency of
//! `faxbot-sdk`; it depends on the supervisor and the policy crate, never on the SDK).

#![deny(missing_docs)]

mod host;
mod start;

pub use host::{Fetch, Host, HttpScript};
pub use start::{Running, accept, can_jail, jail_binary, start, start_jailed, supervised_jailed};

use faxbot_plugin_abi::event::{Event, EventPayload, FaxDirection, FaxJobEvent, FaxJobState};
use faxbot_policy::manifest::{Manifest, ResourceCeilings};
use std::path::Path;

/// Reads and validates the manifest at `dir/faxbot-plugin.toml`; panics with every problem.
pub fn manifest(dir: &Path) -> Manifest {
    let path = dir.join("faxbot-plugin.toml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    Manifest::parse(&text, &ResourceCeilings::default())
        .unwrap_or_else(|errors| panic!("{}: {errors}", path.display()))
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// A fax job event as the core would deliver it: no number, name or content.
pub fn fax_event(id: &str, state: FaxJobState, occurred_at_ms: u64) -> Event {
    Event {
        id: id.to_owned(),
        topic: format!("fax.job.{}", state.name()),
        tenant_id: "tenant-1".to_owned(),
        sequence: 1,
        occurred_at_ms,
        payload: EventPayload::FaxJob(FaxJobEvent {
            job_id: format!("job-{id}"),
            direction: FaxDirection::Outbound,
            state,
            provider: "test".to_owned(),
            pages: Some(3),
            attempt: 1,
            queued_at_ms: occurred_at_ms.saturating_sub(60_000),
            duration_ms: Some(42_000),
            failure: (state == FaxJobState::Failed).then(|| "busy".to_owned()),
            remote_token: Some("rt-5f1c".to_owned()),
        }),
    }
}
