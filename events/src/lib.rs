//! faxbot-events: the events the core publishes ([`CoreEvent`]) and their projection to the
//! event a plugin receives ([`project`]).
//!
//! This crate is the PHI boundary for events. A core event may carry protected health
//! information (the remote number, a patient name from a cover sheet, a provider's free-text
//! failure message, a plugin's untrusted custom fields); what [`project`] returns carries none
//! of it: numbers become keyed pseudonymous tokens, names and file names are dropped, failure
//! text becomes a category, custom fields pass the redactor. The fax transports never depend
//! on the plugin ABI: this crate is the only bridge between them, and it must never grow a
//! path that copies a PHI field through unchanged.

mod core;
mod failure;
mod json;
mod project;

pub use crate::core::{CoreEvent, CustomFields, FaxJobRecord, PluginLifecycleRecord};
pub use failure::failure_category;
pub use json::json_to_value;
pub use project::{ProjectionError, fax_job, project};
