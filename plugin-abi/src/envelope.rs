//! The envelope every frame after the handshake carries.

use crate::codec::{self, Compat};
use crate::error::{DecodeError, EncodeError, RpcError};
use crate::methods::Method;
use serde::{Deserialize, Serialize, de::DeserializeOwned};

/// Identifies a call within one session and one direction of calls. Each side numbers
/// its own requests from 1; a response or cancel carries the id of the request it
/// answers, so ids from the two sides never collide in meaning.
pub type RequestId = u64;

/// Longest method name accepted on the wire.
pub const MAX_METHOD_LEN: usize = 64;

/// What an envelope is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub enum Kind {
    /// A call that expects exactly one response with the same id.
    Request,
    /// The answer to a request.
    Response,
    /// A call that expects no response (used for `log.write` and `metric.record`).
    Notification,
    /// The caller no longer wants the answer to request `id`.
    Cancel,
}

/// One message after the handshake.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct Envelope {
    /// The request this envelope is or refers to.
    pub id: RequestId,
    /// Request, response, notification or cancel.
    pub kind: Kind,
    /// The method name for requests and notifications; empty for responses and cancels.
    pub method: String,
    /// For requests: milliseconds the caller will wait. 0 = the default: for a host call
    /// the `Limits` deadline of its method, for a plugin's call the host's 30 s
    /// (docs/abi.md §5). 0 on responses, cancels and notifications.
    pub deadline_ms: u32,
    /// The method's postcard-encoded request, or for a response the encoded
    /// `Result<Response, RpcError>`; empty for cancels.
    #[serde(with = "serde_bytes")]
    pub body: Vec<u8>,
}

impl Envelope {
    /// A request for method `M`.
    pub fn request<M: Method>(
        id: RequestId,
        request: &M::Request,
        deadline_ms: u32,
        max: u32,
    ) -> Result<Self, EncodeError> {
        Ok(Self {
            id,
            kind: Kind::Request,
            method: M::NAME.to_owned(),
            deadline_ms,
            body: codec::encode(M::NAME, request, max)?,
        })
    }

    /// A notification for method `M` (no response will come).
    pub fn notification<M: Method>(request: &M::Request, max: u32) -> Result<Self, EncodeError> {
        Ok(Self {
            id: 0,
            kind: Kind::Notification,
            method: M::NAME.to_owned(),
            deadline_ms: 0,
            body: codec::encode(M::NAME, request, max)?,
        })
    }

    /// The response to request `id`.
    pub fn response<M: Method>(
        id: RequestId,
        outcome: &Result<M::Response, RpcError>,
        max: u32,
    ) -> Result<Self, EncodeError> {
        Ok(Self {
            id,
            kind: Kind::Response,
            method: String::new(),
            deadline_ms: 0,
            body: codec::encode(M::NAME, outcome, max)?,
        })
    }

    /// An error response to request `id`, for when the method is unknown or its request
    /// did not decode.
    pub fn error_response(id: RequestId, error: &RpcError, max: u32) -> Result<Self, EncodeError> {
        let outcome: Result<(), &RpcError> = Err(error);
        Ok(Self {
            id,
            kind: Kind::Response,
            method: String::new(),
            deadline_ms: 0,
            body: codec::encode("error response", &outcome, max)?,
        })
    }

    /// A cancel of request `id`.
    pub fn cancel(id: RequestId) -> Self {
        Self {
            id,
            kind: Kind::Cancel,
            method: String::new(),
            deadline_ms: 0,
            body: Vec::new(),
        }
    }

    /// Encodes the envelope as a frame body.
    pub fn encode(&self, max: u32) -> Result<Vec<u8>, EncodeError> {
        codec::encode("envelope", self, max)
    }

    /// Decodes a frame body as an envelope and checks its shape.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let envelope: Self = codec::decode("envelope", bytes)?;
        if envelope.method.len() > MAX_METHOD_LEN {
            return Err(DecodeError::Malformed {
                what: "envelope",
                reason: format!(
                    "method name of {} bytes exceeds {MAX_METHOD_LEN}",
                    envelope.method.len()
                ),
            });
        }
        Ok(envelope)
    }

    /// Decodes this request's body as `M`'s request type (peer of the same minor).
    pub fn decode_request<M: Method>(&self) -> Result<M::Request, DecodeError> {
        self.decode_request_with::<M>(Compat::Exact)
    }

    /// Decodes this request's body as `M`'s request type under `compat`.
    pub fn decode_request_with<M: Method>(
        &self,
        compat: Compat,
    ) -> Result<M::Request, DecodeError> {
        codec::decode_with(M::NAME, &self.body, compat)
    }

    /// Decodes this response's body as `M`'s outcome (peer of the same minor).
    pub fn decode_response<M: Method>(&self) -> Result<Result<M::Response, RpcError>, DecodeError> {
        decode_outcome::<M::Response>(M::NAME, &self.body, Compat::Exact)
    }

    /// Decodes this response's body as `M`'s outcome under `compat`.
    pub fn decode_response_with<M: Method>(
        &self,
        compat: Compat,
    ) -> Result<Result<M::Response, RpcError>, DecodeError> {
        decode_outcome::<M::Response>(M::NAME, &self.body, compat)
    }
}

/// Decodes a response body as `Result<T, RpcError>`.
pub fn decode_outcome<T: DeserializeOwned>(
    what: &'static str,
    body: &[u8],
    compat: Compat,
) -> Result<Result<T, RpcError>, DecodeError> {
    codec::decode_with(what, body, compat)
}
