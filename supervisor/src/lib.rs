//! faxbot-supervisor: the jail that confines each plugin process ([`jail`], run through the
//! `faxbot-jail` binary) and the supervisor that spawns, talks to, watches and restarts
//! those processes ([`supervisor`], [`session`], [`handshake`], [`launch`]).
//!
//! Neither may fail open: the jail never runs a plugin with a layer silently missing (a
//! layer the kernel lacks is an error unless the caller named it in `allow_missing`), and
//! the supervisor checks every plugin call against its grants before the host sees it.

pub mod capability;
pub mod grant_check;
pub mod handshake;
pub mod jail;
pub mod launch;
pub mod metrics;
pub mod output;
pub mod plugin_cgroup;
pub mod session;
pub mod supervisor;
