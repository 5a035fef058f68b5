//! faxbot-sdk: the library a plugin author builds a faxbot plugin with.
//!
//! A plugin is a [`Plugin`] value that registers handlers — events by topic pattern, HTTP
//! routes, named jobs, and optional init, shutdown and health hooks — and one call,
//! [`run`], runs it. Handlers are async and receive a [`Ctx`] whose typed clients reach
//! the host's capabilities: [`Ctx::http`], [`Ctx::kv`], [`Ctx::log`], [`Ctx::metrics`],
//! [`Ctx::emit`], [`Ctx::fax_status`] and [`Ctx::secret`] handles. A call the plugin was
//! not granted fails with [`Error::Denied`] naming the capability; nothing panics.
//!
//! ```no_run
//! use faxbot_sdk::{HttpMethod, Plugin, route::Response};
//!
//! fn main() -> std::process::ExitCode {
//!     faxbot_sdk::run(
//!         Plugin::new("status-route", env!("CARGO_PKG_VERSION"))
//!             .route(HttpMethod::Get, "/status", |ctx, _request| async move {
//!                 let served = ctx.kv().get_u64("served").await?.unwrap_or(0) + 1;
//!                 ctx.kv().put_u64("served", served).await?;
//!                 Ok(Response::text(format!("ok, {served} requests served\n")))
//!             }),
//!     )
//! }
//! ```
//!
//! The plugin never touches the wire: the SDK says Hello, multiplexes calls in both
//! directions by id, honours the host's deadlines and cancels, answers health checks, and
//! exits cleanly on shutdown or when the host closes the socket. Started by hand (no host
//! socket on fd 3), the binary says what it is and how to test it, and exits with status
//! 64.
//!
//! What this crate must never do: hold or ask for a secret's value, add dependencies a
//! plugin does not need (no policy, jail, HTTP or crypto crates: the host does those), or
//! panic on anything the host sends.

#![deny(missing_docs)]

mod config;
mod conn;
mod ctx;
mod dispatch;
mod error;
mod grants;
mod handshake;
pub mod http;
mod kv;
mod log;
mod metrics;
mod plugin;
mod retry;
pub mod route;
mod secret;
mod session;
mod standalone;
#[cfg(feature = "tracing")]
pub mod trace;
mod transport;

pub use config::Config;
pub use ctx::Ctx;
pub use error::{Error, Result};
pub use grants::Grants;
pub use handshake::{SDK_NAME, SDK_VERSION};
pub use kv::Kv;
pub use log::Log;
pub use metrics::Metrics;
pub use plugin::{FaxJobUpdate, Health, JobSummary, Plugin};
pub use retry::Backoff;
pub use route::HttpMethod;
pub use secret::{Secret, Template};
pub use session::{SessionError, serve};
pub use standalone::EXIT_NO_HOST;

/// The wire types, for what the SDK passes through unchanged (events, job runs).
pub use faxbot_plugin_abi as abi;
pub use faxbot_plugin_abi::event::{
    CustomEvent, Event, EventPayload, FaxDirection, FaxJobEvent, FaxJobState, PluginLifecycleEvent,
};
pub use faxbot_plugin_abi::methods::{FaxJobStatusResponse, JobRun, LogLevel, MetricKind};
pub use faxbot_plugin_abi::{ErrorCode, Value};

use std::process::ExitCode;

/// Runs `plugin`: takes the host's socket on fd 3, starts a tokio runtime, serves until the
/// host shuts the plugin down or closes the socket, and returns the process's exit status.
///
/// - Started by a host: exits `0` after a shutdown or close, `1` (with the reason on
///   stderr, which the host keeps as a log line) when the host refused it, its init hook
///   failed or the session broke.
/// - Started by hand (fd 3 is not a Unix stream socket): prints what the plugin is and how
///   to test it, and exits with [`EXIT_NO_HOST`] (64).
///
/// ```no_run
/// fn main() -> std::process::ExitCode {
///     faxbot_sdk::run(faxbot_sdk::Plugin::new("hello", "0.1.0"))
/// }
/// ```
pub fn run(plugin: Plugin) -> ExitCode {
    let Some(socket) = transport::take_host_socket() else {
        eprint!("{}", standalone::explanation(&plugin));
        return ExitCode::from(EXIT_NO_HOST);
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(4)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("{}: cannot start the async runtime: {e}", plugin.id);
            return ExitCode::FAILURE;
        }
    };
    let id = plugin.id.clone();
    let outcome = runtime.block_on(async move {
        socket
            .set_nonblocking(true)
            .map_err(|e| SessionError::Handshake(format!("fd 3: {e}")))?;
        let stream = tokio::net::UnixStream::from_std(socket)
            .map_err(|e| SessionError::Handshake(format!("fd 3: {e}")))?;
        serve(plugin, stream).await
    });
    // Handlers still running after the session ended have nobody to answer to.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{id}: {e}");
            ExitCode::FAILURE
        }
    }
}
