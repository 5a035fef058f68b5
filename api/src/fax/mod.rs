//! The fax desk: sending and receiving faxes through the configured transports, the
//! documents in their vault, provider callbacks, and the events plugins learn of a fax by.
//!
//! Numbers and documents are PHI: numbers are sealed before they reach the store, documents
//! are encrypted in the vault, and neither appears in an error, a log line, an audit record
//! or an event (events go through `faxbot-events`' projection before any plugin sees them).

mod desk;
pub mod sealer;
pub mod secrets;

pub use desk::{DeskSettings, FaxDesk, FaxError, FaxEvents, FaxJobView, NoEvents, TransportSet};
