//! faxbot-plugin-abi: every byte a plugin and the faxbot core exchange.
//!
//! This crate is the single source of truth for the wire: framing ([`frame`]), the
//! handshake ([`handshake`]), the [`Envelope`], every method's request and response types
//! ([`methods`]), the error model ([`error`]) and the events a plugin may see ([`event`]).
//! `docs/abi.md` specifies the same in prose and bytes.
//!
//! It must stay small (serde + postcard; tokio only behind the `tokio` feature), must never
//! panic or allocate a peer-announced size on hostile input, and must never define a type
//! able to carry PHI or a secret value.
//!
//! ```
//! use faxbot_plugin_abi::{methods::{KvGet, KvGetRequest}, Envelope, frame};
//!
//! let request = KvGetRequest { key: "counter".into() };
//! let envelope = Envelope::request::<KvGet>(1, &request, 0, frame::DEFAULT_MAX_FRAME)?;
//! let bytes = frame::frame_bytes(&envelope.encode(frame::DEFAULT_MAX_FRAME)?, frame::DEFAULT_MAX_FRAME)?;
//!
//! let body = frame::read_frame(&mut &bytes[..], frame::DEFAULT_MAX_FRAME)?.expect("one frame");
//! let back = Envelope::decode(&body)?;
//! assert_eq!(back.decode_request::<KvGet>()?, request);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod codec;
pub mod envelope;
pub mod error;
pub mod event;
pub mod frame;
pub mod handshake;
pub mod methods;
pub mod secret;
pub mod value;
pub mod version;

pub use envelope::{Envelope, Kind, RequestId};
pub use error::{DecodeError, EncodeError, ErrorCode, FrameError, RpcError};
pub use handshake::{GrantedCapabilities, HandshakeReply, Hello, Limits, Reject, Welcome};
pub use methods::{Direction, Method};
pub use value::Value;
pub use version::{AbiVersion, CURRENT as ABI_VERSION, VersionRange};

#[cfg(test)]
mod roundtrip_tests;
