//! What can go wrong talking to a provider, in the terms the core acts on.

/// Why a send did not produce an accepted fax.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The provider refused the request in a documented way: nothing was sent, and sending
    /// again (after fixing the cause) is safe.
    #[error("{provider}: refused ({reason})")]
    Refused {
        /// The transport.
        provider: &'static str,
        /// The documented refusal (HTTP status and the provider's error class).
        reason: String,
    },
    /// The outcome is unknown (time-out, cut connection, 5xx, an answer that does not
    /// parse): the fax may be on its way. It is never sent again automatically.
    #[error(
        "{provider}: outcome unknown ({reason}); the fax may have been sent and is not retried"
    )]
    Uncertain {
        /// The transport.
        provider: &'static str,
        /// What happened.
        reason: String,
    },
    /// The transport is not usable as configured (missing credential, bad setting).
    #[error("{provider}: not configured: {reason}")]
    NotConfigured {
        /// The transport.
        provider: &'static str,
        /// What is missing.
        reason: String,
    },
}

impl SendError {
    /// Whether the fax certainly did not leave (a retry cannot duplicate it).
    pub fn nothing_was_sent(&self) -> bool {
        matches!(self, Self::Refused { .. } | Self::NotConfigured { .. })
    }
}

/// A status look-up, cancel or health check that failed.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// The provider could not be reached or did not answer in time.
    #[error("{provider}: {step}: unreachable ({reason})")]
    Unreachable {
        /// The transport.
        provider: &'static str,
        /// Which operation.
        step: &'static str,
        /// What happened.
        reason: String,
    },
    /// The provider answered with an error.
    #[error("{provider}: {step}: the provider answered {status}")]
    Status {
        /// The transport.
        provider: &'static str,
        /// Which operation.
        step: &'static str,
        /// HTTP status or protocol reply class.
        status: String,
    },
    /// The provider's answer did not have the documented shape.
    #[error("{provider}: {step}: malformed answer ({reason})")]
    Malformed {
        /// The transport.
        provider: &'static str,
        /// Which operation.
        step: &'static str,
        /// What was wrong (a shape, never a value).
        reason: String,
    },
    /// The transport does not offer this operation.
    #[error("{provider}: {step} is not supported by this transport")]
    Unsupported {
        /// The transport.
        provider: &'static str,
        /// Which operation.
        step: &'static str,
    },
    /// A credential or setting is missing.
    #[error("{provider}: not configured: {reason}")]
    NotConfigured {
        /// The transport.
        provider: &'static str,
        /// What is missing.
        reason: String,
    },
}

/// Why a provider callback was refused. Every variant answers 401 or 400 and stores nothing.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CallbackError {
    /// No signature header (or credentials) where the provider always sends one.
    #[error("{provider} callback: no {header}")]
    MissingSignature {
        /// The transport.
        provider: &'static str,
        /// The header that was expected.
        header: &'static str,
    },
    /// The signature does not verify.
    #[error("{provider} callback: signature does not verify")]
    BadSignature {
        /// The transport.
        provider: &'static str,
    },
    /// The transport has no secret to verify callbacks with: refuse rather than trust.
    #[error("{provider} callback: no {secret} is set, so no callback can be verified")]
    NoSecret {
        /// The transport.
        provider: &'static str,
        /// Which secret.
        secret: &'static str,
    },
    /// The body does not have the documented shape.
    #[error("{provider} callback: {reason}")]
    Malformed {
        /// The transport.
        provider: &'static str,
        /// What is wrong (a shape, never a value).
        reason: String,
    },
    /// This transport receives no HTTP callbacks.
    #[error("{provider} has no HTTP callbacks")]
    NotAccepted {
        /// The transport.
        provider: &'static str,
    },
}

impl CallbackError {
    /// Whether the refusal is an authentication failure (401) rather than a bad body (400).
    pub fn is_authentication(&self) -> bool {
        matches!(
            self,
            Self::MissingSignature { .. } | Self::BadSignature { .. } | Self::NoSecret { .. }
        )
    }
}
