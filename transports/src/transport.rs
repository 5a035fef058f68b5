//! The one trait every transport implements, and what goes in and out of it.

use crate::callback::{CallbackEvent, CallbackRequest};
use crate::error::{CallbackError, SendError, TransportError};
use crate::number::E164;
use crate::status::FaxStatus;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use tokio::sync::broadcast;

/// A boxed future, so the trait stays object-safe (`Arc<dyn FaxTransport>`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The document's format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocumentKind {
    /// PDF (what the cloud providers take).
    Pdf,
    /// TIFF, G3/G4 (what SIP and FreeSWITCH send).
    Tiff,
}

/// The document of a fax, as each kind of transport needs it.
#[derive(Clone)]
pub struct Document {
    /// Its format.
    pub kind: DocumentKind,
    /// Its bytes (uploaded by providers that take a file part).
    pub bytes: Arc<[u8]>,
    /// A file the PBX can read (Asterisk's and FreeSWITCH's dialplans read a path).
    pub path: Option<PathBuf>,
    /// The daemon's tokenised, expiring URL for providers that fetch the document.
    pub url: Option<String>,
}

impl std::fmt::Debug for Document {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Document")
            .field("kind", &self.kind)
            .field("bytes", &self.bytes.len())
            .field("path", &self.path.is_some())
            .field("url", &self.url.is_some())
            .finish()
    }
}

/// One fax to send.
#[derive(Clone, Debug)]
pub struct SendRequest {
    /// The core's job id (opaque, no PHI).
    pub job_id: String,
    /// The destination.
    pub to: E164,
    /// The document.
    pub document: Document,
    /// The URL the provider calls back with status (public URL + callback path + query).
    pub callback_url: Option<String>,
    /// Which attempt this is, from 1 (part of idempotency keys where a protocol has them).
    pub attempt: u32,
}

/// A send the provider accepted. Acceptance is not delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sent {
    /// The provider's id for the fax (status look-ups and callbacks name it).
    pub provider_id: String,
    /// The status the provider reported on acceptance.
    pub status: FaxStatus,
}

/// A fax's status as the provider reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusReport {
    /// The provider's id.
    pub provider_id: String,
    /// Mapped status.
    pub status: FaxStatus,
    /// Pages, once known.
    pub pages: Option<u32>,
    /// The provider's failure class (`busy`, `no_answer`, `lineError`, ...), not free text.
    pub failure: Option<String>,
}

/// What a health check found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Health {
    /// Reachable, and the credentials were accepted.
    Ok,
    /// Reachable but not usable, and why (no credential or number in it).
    Degraded(String),
}

/// A fax transport.
pub trait FaxTransport: Send + Sync {
    /// Its name (`phaxio`, `sinch`, `signalwire`, `asterisk`, `freeswitch`, `test`).
    fn name(&self) -> &'static str;

    /// Sends one fax. See [`SendError`] for what a failure means for retrying.
    fn send<'a>(&'a self, request: &'a SendRequest) -> BoxFuture<'a, Result<Sent, SendError>>;

    /// Looks a fax up by the provider's id.
    fn status<'a>(
        &'a self,
        provider_id: &'a str,
    ) -> BoxFuture<'a, Result<StatusReport, TransportError>>;

    /// Asks the provider to cancel a fax not yet completed.
    fn cancel<'a>(&'a self, provider_id: &'a str) -> BoxFuture<'a, Result<(), TransportError>>;

    /// Verifies a callback's signature (before anything else in it is parsed), then parses
    /// it into events. A refusal stores nothing and answers 401 (or 400 for a bad body).
    fn callback<'a>(
        &'a self,
        request: &'a CallbackRequest,
    ) -> BoxFuture<'a, Result<Vec<CallbackEvent>, CallbackError>>;

    /// Whether the provider is reachable and accepts the credentials.
    fn health(&self) -> BoxFuture<'_, Result<Health, TransportError>>;

    /// Events the transport learns of on its own connection (AMI, ESL, the test
    /// transport), rather than through HTTP callbacks. `None` for HTTP providers.
    fn subscribe(&self) -> Option<broadcast::Receiver<CallbackEvent>> {
        None
    }
}
