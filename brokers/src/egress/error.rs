//! Why an egress request was refused or failed. Each variant is typed for the audit trail;
//! none carries a secret value, a header value or a body.

use std::net::IpAddr;

/// An egress request that did not produce a response.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum EgressError {
    /// The URL is not a valid https URL (with secrets in place).
    #[error("http.fetch: the URL is not valid: {0}")]
    BadUrl(String),
    /// No approved egress rule covers the URL (scheme, host, port, path).
    #[error("http.fetch: no approved egress rule covers {origin}")]
    NotAllowed {
        /// Scheme, host and port (never the path or query: they may hold values).
        origin: String,
    },
    /// A secret's value would change the URL's shape (a `..` segment, an empty value).
    #[error("http.fetch: secret {name:?} cannot be placed there")]
    SecretShape {
        /// The secret's name.
        name: String,
    },
    /// A secret named in the request is not set for this plugin.
    #[error("http.fetch: secret {name:?} has no value set")]
    SecretMissing {
        /// The secret's name.
        name: String,
    },
    /// A header the broker controls, or a name/value HTTP refuses.
    #[error("http.fetch: header {name:?} is not allowed")]
    HeaderRefused {
        /// The header's name.
        name: String,
    },
    /// The method is not one the broker sends.
    #[error("http.fetch: method {0:?} is not allowed")]
    MethodRefused(String),
    /// The name resolved to an address egress may not reach.
    #[error("http.fetch: {host} resolves to {address} ({class}); refused")]
    ForbiddenAddress {
        /// The host name.
        host: String,
        /// The address.
        address: IpAddr,
        /// Its class (loopback, private, metadata, ...).
        class: String,
    },
    /// The name did not resolve.
    #[error("http.fetch: {host} does not resolve")]
    NoAddress {
        /// The host name.
        host: String,
    },
    /// The request body is over the plugin's limit.
    #[error("http.fetch: the request body is {size} bytes, over the limit of {limit}")]
    RequestTooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The response is over the plugin's limit.
    #[error("http.fetch: the response is over the limit of {limit} bytes")]
    ResponseTooLarge {
        /// The limit.
        limit: usize,
    },
    /// The response headers are over the plugin's limit.
    #[error("http.fetch: the response headers are over the limit of {limit} bytes")]
    HeadersTooLarge {
        /// The limit.
        limit: usize,
    },
    /// A redirect the grant does not allow, or to a place the rules do not cover.
    #[error("http.fetch: redirect refused ({0})")]
    Redirect(String),
    /// Connecting or the whole exchange took too long.
    #[error("http.fetch: timed out")]
    Timeout,
    /// TLS failed (the certificate does not verify for the name, ...).
    #[error("http.fetch: TLS or connection failed")]
    Connect,
    /// Anything else the HTTP layer reported.
    #[error("http.fetch: the exchange failed")]
    Failed,
}

impl EgressError {
    /// A short stable name for metrics and audit details.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::BadUrl(_) => "bad_url",
            Self::NotAllowed { .. } => "not_allowed",
            Self::SecretShape { .. } => "secret_shape",
            Self::SecretMissing { .. } => "secret_missing",
            Self::HeaderRefused { .. } => "header_refused",
            Self::MethodRefused(_) => "method_refused",
            Self::ForbiddenAddress { .. } => "forbidden_address",
            Self::NoAddress { .. } => "no_address",
            Self::RequestTooLarge { .. } => "request_too_large",
            Self::ResponseTooLarge { .. } => "response_too_large",
            Self::HeadersTooLarge { .. } => "headers_too_large",
            Self::Redirect(_) => "redirect",
            Self::Timeout => "timeout",
            Self::Connect => "connect",
            Self::Failed => "failed",
        }
    }

    /// Whether the refusal is a policy decision (audited as a denial) rather than a failure.
    pub fn is_denial(&self) -> bool {
        matches!(
            self,
            Self::NotAllowed { .. }
                | Self::SecretShape { .. }
                | Self::HeaderRefused { .. }
                | Self::MethodRefused(_)
                | Self::ForbiddenAddress { .. }
                | Self::Redirect(_)
                | Self::RequestTooLarge { .. }
        )
    }
}
