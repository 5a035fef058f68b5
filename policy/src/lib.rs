//! faxbot-policy: what a plugin may do, decided as pure functions.
//!
//! Manifests, capability grants, egress rules, resolved-address classes, the package
//! format, signature verification, the operator's trust store and marketplace rules.
//! Nothing here performs I/O beyond reading the bytes it is given, and nothing here
//! enforces: the supervisor and the host do, by asking these functions. Every check fails
//! closed and says precisely why.
//!
//! The API that tools such as `cargo faxbot` use:
//! - [`manifest::Manifest::parse`]: parse and validate `faxbot-plugin.toml`, all problems
//!   at once with field paths;
//! - [`package::PackageBuilder`]: build a deterministic `.fxp` from a manifest and files;
//!   [`package::read_package`]: read one back from untrusted bytes;
//!   [`package::Package::digest`] / [`package::canonical_digest`]: the package identity;
//! - [`signature::ed25519`]: key generation, signing and verification;
//! - [`trust::TrustStore::verify`]: the install-time and start-time verdict.
//!
//! The host additionally uses [`capability::check`] on every plugin call,
//! [`egress::NormalizedUrl`] and [`egress::EgressRule`] in the HTTP broker,
//! [`address::check_resolved`] after DNS resolution, and [`marketplace`] for listings.

pub mod address;
pub mod capability;
pub mod egress;
pub mod manifest;
pub mod marketplace;
pub mod package;
pub mod signature;
pub mod size;
pub mod trust;
