//! Fax documents in the core: what an upload is (sniffed by content), text rendered to PDF,
//! and every document stored encrypted at rest.

pub mod convert;
pub mod render;
pub mod sniff;
pub mod tiff;
pub mod vault;

pub use render::text_to_pdf;
pub use sniff::{Sniffed, sniff};
pub use vault::{DocumentVault, VaultError};
