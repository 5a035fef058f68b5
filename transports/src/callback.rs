//! Provider callbacks: the request as the HTTP layer received it, and the events in it.

use crate::status::FaxStatus;

/// A callback as received: the full URL the provider was given (public URL, path and query,
/// exactly as the provider signs it), the headers and the raw body.
#[derive(Clone, Debug)]
pub struct CallbackRequest {
    /// `public_url` + path + `?query`.
    pub url: String,
    /// Header names (lower-case) and values.
    pub headers: Vec<(String, String)>,
    /// The raw body.
    pub body: Vec<u8>,
}

impl CallbackRequest {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The media type of the body, lower-case, without parameters.
    pub fn media_type(&self) -> String {
        self.header("content-type")
            .and_then(|v| v.split(';').next())
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    }
}

/// What a callback reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallbackKind {
    /// A status change of a fax the core sent.
    Status,
    /// A fax was received.
    Inbound,
}

impl CallbackKind {
    /// The name used in idempotency keys.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Status => "status",
            Self::Inbound => "inbound",
        }
    }
}

/// One event from a provider. Numbers and the document are PHI: they stay in the core.
#[derive(Clone, PartialEq, Eq)]
pub struct CallbackEvent {
    /// Status change or received fax.
    pub kind: CallbackKind,
    /// The provider's id of the fax.
    pub provider_id: String,
    /// The core's job id, where the protocol carries it back (AMI, ESL, callback query).
    pub job_id: Option<String>,
    /// Mapped status.
    pub status: FaxStatus,
    /// Pages, when reported.
    pub pages: Option<u32>,
    /// The provider's failure class, when it failed.
    pub failure: Option<String>,
    /// The sender's number (inbound).
    pub from: Option<String>,
    /// The receiving number (inbound).
    pub to: Option<String>,
    /// The received document (inbound), when the provider delivered it in the callback.
    pub document: Option<Vec<u8>>,
}

impl CallbackEvent {
    /// A status event for `provider_id`.
    pub fn status(provider_id: impl Into<String>, status: FaxStatus) -> Self {
        Self {
            kind: CallbackKind::Status,
            provider_id: provider_id.into(),
            job_id: None,
            status,
            pages: None,
            failure: None,
            from: None,
            to: None,
            document: None,
        }
    }

    /// The idempotency key: one stored event per provider id, kind and status.
    pub fn idempotency_key(&self, transport: &str) -> String {
        format!(
            "{transport}:{}:{}:{}",
            self.provider_id,
            self.kind.name(),
            self.status.name()
        )
    }
}

impl std::fmt::Debug for CallbackEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallbackEvent")
            .field("kind", &self.kind)
            .field("provider_id", &self.provider_id)
            .field("job_id", &self.job_id)
            .field("status", &self.status)
            .field("pages", &self.pages)
            .field("failure", &self.failure)
            .field("document_bytes", &self.document.as_ref().map(Vec::len))
            .finish_non_exhaustive()
    }
}
