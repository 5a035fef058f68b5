//! The error model: stable codes on the wire and the typed errors of this crate.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A stable error code carried in every failed response.
///
/// On the wire a code is a `u16`; codes this version does not know decode as
/// [`ErrorCode::Other`], so a newer peer's codes never break an older decoder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The caller lacks a grant for this call.
    Denied,
    /// The request is malformed or violates a rule.
    Invalid,
    /// The named thing does not exist.
    NotFound,
    /// A quota (storage, rate, size) would be exceeded.
    QuotaExceeded,
    /// The deadline passed before an answer.
    Timeout,
    /// The peer or a dependency is not available (for example the plugin died).
    Unavailable,
    /// The method or feature is not supported at the negotiated version.
    Unsupported,
    /// A bug or unexpected failure on the answering side.
    Internal,
    /// The caller cancelled the call.
    Cancelled,
    /// A code newer than this version of the ABI.
    Other(u16),
}

impl ErrorCode {
    /// The code's number on the wire.
    pub const fn as_u16(self) -> u16 {
        match self {
            Self::Denied => 1,
            Self::Invalid => 2,
            Self::NotFound => 3,
            Self::QuotaExceeded => 4,
            Self::Timeout => 5,
            Self::Unavailable => 6,
            Self::Unsupported => 7,
            Self::Internal => 8,
            Self::Cancelled => 9,
            Self::Other(n) => n,
        }
    }

    /// The code for a number read off the wire.
    pub const fn from_u16(n: u16) -> Self {
        match n {
            1 => Self::Denied,
            2 => Self::Invalid,
            3 => Self::NotFound,
            4 => Self::QuotaExceeded,
            5 => Self::Timeout,
            6 => Self::Unavailable,
            7 => Self::Unsupported,
            8 => Self::Internal,
            9 => Self::Cancelled,
            other => Self::Other(other),
        }
    }

    /// A short lower-case name, as used in logs and metrics.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Denied => "denied",
            Self::Invalid => "invalid",
            Self::NotFound => "not_found",
            Self::QuotaExceeded => "quota_exceeded",
            Self::Timeout => "timeout",
            Self::Unavailable => "unavailable",
            Self::Unsupported => "unsupported",
            Self::Internal => "internal",
            Self::Cancelled => "cancelled",
            Self::Other(_) => "other",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Other(n) => write!(f, "error code {n}"),
            known => f.write_str(known.name()),
        }
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u16(self.as_u16())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        u16::deserialize(d).map(Self::from_u16)
    }
}

#[cfg(test)]
impl proptest::arbitrary::Arbitrary for ErrorCode {
    type Parameters = ();
    type Strategy = proptest::strategy::Map<std::ops::RangeInclusive<u16>, fn(u16) -> Self>;
    fn arbitrary_with(_: ()) -> Self::Strategy {
        use proptest::strategy::Strategy;
        (0..=u16::MAX).prop_map(Self::from_u16)
    }
}

/// A failed call, as carried in a response.
///
/// The message is for people (the admin, the plugin author); it never holds PHI or a
/// secret value, because the side that writes it passes it through its redactor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
#[error("{code}: {message}")]
pub struct RpcError {
    /// The stable code a program can branch on.
    pub code: ErrorCode,
    /// What went wrong, in words.
    pub message: String,
}

impl RpcError {
    /// An error with the given code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// A `denied` error naming the capability that was missing.
    pub fn denied(capability: impl fmt::Display) -> Self {
        Self::new(
            ErrorCode::Denied,
            format!("capability not granted: {capability}"),
        )
    }

    /// An `unsupported` error for a method this side does not know.
    pub fn unsupported_method(method: &str) -> Self {
        Self::new(
            ErrorCode::Unsupported,
            format!("method {method:?} is not supported"),
        )
    }
}

/// A frame could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The length prefix announces more than the negotiated maximum.
    #[error("frame of {declared} bytes exceeds the maximum of {max} bytes")]
    TooLarge {
        /// The length the prefix announced.
        declared: u64,
        /// The limit in force.
        max: u32,
    },
    /// A zero-length frame; every message has at least one byte.
    #[error("empty frame (length prefix 0)")]
    Empty,
    /// The stream ended in the middle of a frame.
    #[error("stream ended inside a frame: got {got} of {expected} bytes")]
    Truncated {
        /// Bytes received.
        got: usize,
        /// Bytes the frame needed (prefix included).
        expected: usize,
    },
    /// The underlying stream failed.
    #[error("frame I/O failed: {0}")]
    Io(#[from] std::io::Error),
}

/// A frame's bytes did not decode as the expected message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Postcard refused the bytes.
    #[error("{what} does not decode: {reason}")]
    Malformed {
        /// Which message was expected.
        what: &'static str,
        /// Postcard's account of the problem.
        reason: String,
    },
    /// A handshake frame that does not start with the faxbot magic bytes.
    #[error("not a faxbot handshake: expected magic {expected:?}, got {got:02x?}")]
    BadMagic {
        /// The magic this version expects.
        expected: &'static str,
        /// The first bytes seen.
        got: Vec<u8>,
    },
    /// A value nested deeper than the decoder allows.
    #[error("value nested deeper than {max} levels")]
    TooDeep {
        /// The nesting limit.
        max: usize,
    },
}

/// A message could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// Serialization failed (a type the format cannot express).
    #[error("{what} does not encode: {reason}")]
    Serialize {
        /// Which message.
        what: &'static str,
        /// Postcard's account.
        reason: String,
    },
    /// The encoded message is larger than a frame may be.
    #[error("{what} encodes to {len} bytes, over the frame maximum of {max} bytes")]
    TooLarge {
        /// Which message.
        what: &'static str,
        /// Its encoded length.
        len: usize,
        /// The limit in force.
        max: u32,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_code_round_trips_through_its_number() {
        for n in 0..=20u16 {
            assert_eq!(ErrorCode::from_u16(n).as_u16(), n);
        }
    }

    #[test]
    fn unknown_code_from_a_newer_peer_is_kept_not_refused() {
        let bytes = postcard::to_stdvec(&4711u16).expect("encode");
        let code: ErrorCode = postcard::from_bytes(&bytes).expect("decode");
        assert_eq!(code, ErrorCode::Other(4711));
    }
}
