//! faxbot-brokers: what a plugin's capability calls actually do inside the core. A plugin's
//! only power is what these brokers do for it, after the supervisor's grant check passed.
//!
//! - [`egress`]: `http.fetch` — HTTPS only, to what an approved egress rule allows; the name
//!   resolved by the broker, every resolved address checked by
//!   `faxbot_policy::address::check_resolved`, the connection pinned to a checked address;
//!   secrets filled in by handle on the way out (a plugin never holds one); redirects only
//!   when granted, each hop checked like the first; limits on sizes and time.
//! - [`emit`]: `event.emit` — the payload held to what the projection can redact (no bytes,
//!   bounded depth, count and size) before the event reaches the bus.
//! - [`kv`]: `kv.*` — the plugin's own namespace in the store, the quota charged in the
//!   write's own transaction, sizes limited, listing by prefix in pages.
//! - [`metrics`]: `metric.record` — plugins' metrics for `/metrics`, with a `plugin` label,
//!   a series cap per plugin, checked names and plain label values.
//!
//! Never: a secret value in an error, a log line or anything returned to a plugin; a
//! connection to an address that was not checked; a request the rules do not cover.

pub mod egress;
pub mod emit;
pub mod kv;
pub mod metrics;
pub mod rate;
