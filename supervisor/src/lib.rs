//! faxbot-supervisor: the jail that confines each plugin process (and, in later work, the
//! supervisor that spawns, talks to, watches and restarts those processes).
//!
//! The jail must never run a plugin with a layer silently missing: a layer the kernel lacks
//! is an error unless the caller named it in `allow_missing`.

pub mod capability;
pub mod handshake;
pub mod jail;
pub mod launch;
pub mod metrics;
pub mod output;
pub mod session;
pub mod supervisor;
