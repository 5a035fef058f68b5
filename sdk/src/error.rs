//! The one error type of the SDK: what a capability call returns and what a handler gives
//! back, each mapping to a stable ABI error code.

use faxbot_plugin_abi::{ErrorCode, RpcError};

/// A failed capability call, or a handler's failure reported to the host.
///
/// Every variant maps to an ABI [`ErrorCode`] ([`Error::code`]). Messages say what failed and
/// where; like everything a plugin sends, the host redacts them before anyone reads them, but
/// a plugin should still keep values it received out of them.
///
/// ```
/// use faxbot_sdk::{Error, ErrorCode};
///
/// let error = Error::denied("kv");
/// assert_eq!(error.code(), ErrorCode::Denied);
/// assert_eq!(error.to_string(), "capability not granted: kv");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The plugin was not granted the capability (decided locally from the grants in the
    /// host's Welcome, or by the host).
    #[error("capability not granted: {capability}")]
    Denied {
        /// The capability that is missing, e.g. `kv`, `secret SLACK_TOKEN`,
        /// `event.emit to plugin.x.done`.
        capability: String,
    },
    /// A request was malformed or broke a rule (a bad metric name, a missing config key).
    #[error("invalid: {0}")]
    Invalid(String),
    /// The named thing does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// A quota (storage, rate, size) was reached.
    #[error("quota exceeded: {0}")]
    QuotaExceeded(String),
    /// No answer came within the deadline.
    #[error("timed out: {0}")]
    Timeout(String),
    /// The host (or the session to it) is not available.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// The call was cancelled.
    #[error("cancelled: {0}")]
    Cancelled(String),
    /// The peer does not support the method at the negotiated ABI version.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// An unexpected failure.
    #[error("internal error: {0}")]
    Internal(String),
    /// The host answered with an error code this SDK version does not know.
    #[error("error code {code}: {message}")]
    Other {
        /// The code on the wire.
        code: u16,
        /// The host's message.
        message: String,
    },
}

/// Shorthand for results whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A `denied` error naming the missing capability.
    pub fn denied(capability: impl Into<String>) -> Self {
        Self::Denied {
            capability: capability.into(),
        }
    }

    /// An `invalid` error: the input broke a rule.
    ///
    /// ```
    /// # use faxbot_sdk::Error;
    /// let e = Error::invalid("query parameter `days` must be a number");
    /// assert_eq!(e.code(), faxbot_sdk::ErrorCode::Invalid);
    /// ```
    pub fn invalid(message: impl std::fmt::Display) -> Self {
        Self::Invalid(message.to_string())
    }

    /// A `not_found` error.
    pub fn not_found(message: impl std::fmt::Display) -> Self {
        Self::NotFound(message.to_string())
    }

    /// An `internal` error: for failures a handler does not expect.
    ///
    /// ```
    /// # use faxbot_sdk::Error;
    /// let parsed: Result<u32, Error> = "x".parse::<u32>().map_err(Error::internal);
    /// assert!(parsed.is_err());
    /// ```
    pub fn internal(message: impl std::fmt::Display) -> Self {
        Self::Internal(message.to_string())
    }

    /// The ABI error code this error travels as.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Denied { .. } => ErrorCode::Denied,
            Self::Invalid(_) => ErrorCode::Invalid,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::QuotaExceeded(_) => ErrorCode::QuotaExceeded,
            Self::Timeout(_) => ErrorCode::Timeout,
            Self::Unavailable(_) => ErrorCode::Unavailable,
            Self::Cancelled(_) => ErrorCode::Cancelled,
            Self::Unsupported(_) => ErrorCode::Unsupported,
            Self::Internal(_) => ErrorCode::Internal,
            Self::Other { code, .. } => ErrorCode::Other(*code),
        }
    }

    /// Whether trying again later may succeed (a timeout, an unavailable host or
    /// dependency, a quota that may free up). Denials and invalid requests never will.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Timeout(_) | Self::Unavailable(_) | Self::QuotaExceeded(_)
        )
    }

    /// The error as it travels in a response to the host.
    pub fn to_rpc(&self) -> RpcError {
        let message = match self {
            Self::Denied { capability } => return RpcError::denied(capability),
            Self::Other { message, .. } => message.clone(),
            Self::Invalid(m)
            | Self::NotFound(m)
            | Self::QuotaExceeded(m)
            | Self::Timeout(m)
            | Self::Unavailable(m)
            | Self::Cancelled(m)
            | Self::Unsupported(m)
            | Self::Internal(m) => m.clone(),
        };
        RpcError::new(self.code(), message)
    }

    /// The error a host's answer `error` to a call of `method` becomes.
    pub(crate) fn from_host(method: &str, error: RpcError) -> Self {
        let RpcError { code, message } = error;
        match code {
            ErrorCode::Denied => Self::Denied {
                capability: message
                    .strip_prefix("capability not granted: ")
                    .map_or_else(|| format!("{method}: {message}"), str::to_owned),
            },
            ErrorCode::Invalid => Self::Invalid(format!("{method}: {message}")),
            ErrorCode::NotFound => Self::NotFound(format!("{method}: {message}")),
            ErrorCode::QuotaExceeded => Self::QuotaExceeded(format!("{method}: {message}")),
            ErrorCode::Timeout => Self::Timeout(format!("{method}: {message}")),
            ErrorCode::Unavailable => Self::Unavailable(format!("{method}: {message}")),
            ErrorCode::Unsupported => Self::Unsupported(format!("{method}: {message}")),
            ErrorCode::Internal => Self::Internal(format!("{method}: {message}")),
            ErrorCode::Cancelled => Self::Cancelled(format!("{method}: {message}")),
            ErrorCode::Other(code) => Self::Other {
                code,
                message: format!("{method}: {message}"),
            },
        }
    }
}

impl From<RpcError> for Error {
    fn from(error: RpcError) -> Self {
        Self::from_host("host", error)
    }
}

#[cfg(feature = "json")]
impl From<serde_json::Error> for Error {
    fn from(error: serde_json::Error) -> Self {
        Self::Invalid(format!("JSON: {error}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_denial_keeps_the_capability_name() {
        let error = Error::from_host("kv.get", RpcError::denied("kv"));
        assert_eq!(error, Error::denied("kv"));
    }

    #[test]
    fn every_error_travels_with_its_own_code() {
        let errors = [
            Error::denied("kv"),
            Error::invalid("x"),
            Error::not_found("x"),
            Error::QuotaExceeded("x".into()),
            Error::Timeout("x".into()),
            Error::Unavailable("x".into()),
            Error::Cancelled("x".into()),
            Error::Unsupported("x".into()),
            Error::internal("x"),
            Error::Other {
                code: 77,
                message: "x".into(),
            },
        ];
        for error in errors {
            let rpc = error.to_rpc();
            assert_eq!(rpc.code, error.code());
            let back = Error::from_host("m", rpc);
            assert_eq!(back.code(), error.code(), "{error}");
        }
    }

    #[test]
    fn only_transient_failures_are_retryable() {
        assert!(Error::Timeout("t".into()).is_retryable());
        assert!(Error::Unavailable("u".into()).is_retryable());
        assert!(!Error::denied("kv").is_retryable());
        assert!(!Error::invalid("bad").is_retryable());
    }
}
