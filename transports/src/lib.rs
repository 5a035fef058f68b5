//! faxbot-transports: the fax transports the core sends and receives faxes through — Phaxio
//! (v2), Sinch Fax API v3, SignalWire's compatibility Fax API, Asterisk over AMI, FreeSWITCH
//! over ESL, and an in-process test transport — behind one trait, [`FaxTransport`].
//!
//! Transports see PHI (numbers, documents, provider messages); this crate never depends on
//! the plugin ABI. What plugins learn of a fax goes through `faxbot-events`' projection only.
//!
//! Rules every transport keeps:
//! - A create that timed out, was cut off or got a 5xx is [`SendError::Uncertain`]: the fax
//!   may be on its way and is never sent again automatically. Only a documented refusal is
//!   [`SendError::Refused`] (nothing was sent).
//! - Every provider status maps onto [`FaxStatus`]; none passes through unmapped.
//! - A callback's signature is checked before anything else in it is parsed; a URL that
//!   arrives inside a callback is never fetched.
//! - Error messages name the provider, the step and the HTTP status or protocol reply, never
//!   a number, a document or a credential.

pub mod asterisk;
pub mod callback;
pub mod document;
pub mod error;
pub mod freeswitch;
pub mod http;
pub mod line_protocol;
pub mod multipart;
pub mod number;
pub mod phaxio;
pub mod signalwire;
pub mod sinch;
pub mod status;
pub mod test_transport;
pub mod transport;

pub use callback::{CallbackEvent, CallbackKind, CallbackRequest};
pub use error::{CallbackError, SendError, TransportError};
pub use number::{E164, NumberError};
pub use status::FaxStatus;
pub use transport::{
    Document, DocumentKind, FaxTransport, Health, SendRequest, Sent, StatusReport,
};
