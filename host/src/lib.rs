//! faxbot-host: the privileged core daemon's library — audit trail, PHI redaction, brokers,
//! HTTP API and the `faxbot` command.

pub mod audit;
pub mod keys;
