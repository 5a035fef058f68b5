//! faxbot-supervisor: runs each plugin process through the jail ([`jail`], the `faxbot-jail`
//! crate and program, re-exported) and the supervisor that spawns, talks to, watches and restarts
//! those processes ([`supervisor`], [`session`], [`handshake`], [`launch`]).
//!
//! Neither may fail open: the jail never runs a plugin with a layer silently missing (a
//! layer the kernel lacks is an error unless the caller named it in `allow_missing`), and
//! the supervisor checks every plugin call against its grants before the host sees it.

pub use faxbot_jail as jail;

pub mod capability;
pub mod grant_check;
pub mod handshake;
pub mod launch;
pub mod metrics;
pub mod output;
pub mod plugin_cgroup;
pub mod plugin_config;
pub mod runtime;
pub mod session;
pub mod supervisor;
