//! faxbot-api: the core daemon's HTTP API.
//!
//! * [`router`]: every route, registered with its OpenAPI description so `/openapi.json`
//!   cannot drift from what is served; JSON errors `{code, message, field?}` ([`error`]).
//! * [`auth`]: API keys (256-bit secrets, stored as keyed hashes, compared in constant
//!   time), scopes, tenants, expiry, revocation, per-key rate limits. [`endpoints`] is the
//!   table of which access each route needs; one layer enforces it before any handler runs.
//! * [`lifecycle`]: the plugin lifecycle's rules (verify before writing, review, approve
//!   narrower grants, four-eyes, upgrade diff, revocation, reconcile), every admin action
//!   recorded in the audit trail before it is done.
//! * [`runtime::PluginRuntime`]: what runs plugins, implemented by the daemon with the
//!   supervisor and the jail. This crate never reaches the jail.
//!
//! It must never put an API key's secret, PHI or a stack trace in a response, a log line or
//! an audit record, and never act on a plugin when the audit trail refuses the record.

pub mod auth;
pub mod endpoints;
pub mod error;
pub mod fax;
mod grants;
pub mod lifecycle;
pub mod metrics;
mod routes;
pub mod runtime;
pub mod state;
pub mod text;
pub mod time;
pub mod trust_file;
pub mod views;

pub use routes::router;
pub use state::{ApiSettings, AppParts, AppState};
