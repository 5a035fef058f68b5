//! What the host provides to serve a plugin's calls: the grant check, the handler and the
//! audit sink that hears of every refusal.

use faxbot_plugin_abi::{Envelope, RpcError};
use faxbot_policy::capability::Denial;
use std::future::Future;
use std::pin::Pin;

/// The boxed future a [`CapabilityHandler`] returns: the postcard-encoded
/// `Result<Response, RpcError>` body of the response, or an error.
pub type HandlerFuture<'a> = Pin<Box<dyn Future<Output = Result<Vec<u8>, RpcError>> + Send + 'a>>;

/// Decides whether a plugin call is covered by the plugin's grants. The supervisor asks
/// before the handler sees the call; a refusal is answered `denied` and audited.
pub trait CapabilityCheck: Send + Sync {
    /// `Ok(())` when the grants permit the call, else the typed denial: which capability,
    /// which rule (no request values: they may carry PHI).
    fn permits(&self, plugin_id: &str, call: &Envelope) -> Result<(), Denial>;
}

/// Serves a permitted plugin call (kv, http broker, event emit, ...).
pub trait CapabilityHandler: Send + Sync {
    /// Answers `call`; the returned bytes are the encoded `Result<Response, RpcError>`
    /// of the call's method (as `Envelope::response` builds).
    fn handle<'a>(&'a self, plugin_id: &'a str, call: Envelope) -> HandlerFuture<'a>;
}

/// A refused plugin call, as reported to the audit sink.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeniedCall {
    /// The plugin that called.
    pub plugin_id: String,
    /// The method it called.
    pub method: String,
    /// Which capability it lacked and which rule refused it, typed.
    pub denial: Denial,
}

/// Hears of every denied call.
pub trait AuditSink: Send + Sync {
    /// Records one denial.
    fn denied(&self, call: &DeniedCall);
}
