//! faxbot-policy: what a plugin may do, decided as pure functions.
//!
//! Manifests, capability grants, egress rules, resolved-address classes, the package
//! format, signature verification, the operator's trust store and marketplace rules.
//! Nothing here performs I/O beyond reading the bytes it is given, with one exception:
//! [`package::read_package_to_dir`] streams a package's files into a staging directory the
//! caller names, so reading a package costs bounded memory whatever it unpacks to. Nothing
//! here enforces: the supervisor and the host do, by asking these functions. Every check
//! fails closed and says precisely why.
//!
//! Cargo features: `openpgp` (sequoia-openpgp) and `sigstore` (sigstore) build those
//! signature back ends; both are off by default, so a crate that only checks grants (the
//! supervisor) does not compile them. A build without a scheme's feature refuses packages
//! signed with it and trust-store keys of it, naming the feature; it never skips them.
//!
//! The API that tools such as `cargo faxbot` use:
//! - [`manifest::Manifest::parse`]: parse and validate `faxbot-plugin.toml`, all problems
//!   at once with field paths;
//! - [`package::PackageBuilder`]: build a deterministic `.fxp` from a manifest and files;
//!   [`package::read_package_to_dir`] (to a staging directory, bounded memory),
//!   [`package::inspect_package`] (digest and manifest only) and [`package::read_package`]
//!   (in memory, small packages): read one back from untrusted bytes;
//!   [`package::Package::digest`] / [`package::canonical_digest`]: the package identity;
//! - [`signature::ed25519`]: key generation, signing and verification;
//! - [`trust::TrustStore::verify`]: the install-time and start-time verdict.
//!
//! ```
//! use faxbot_policy::manifest::ResourceCeilings;
//! use faxbot_policy::package::{PackageBuilder, PackageLimits, read_package};
//! use faxbot_policy::signature::{SignatureFile, ed25519::Ed25519Keypair};
//! use faxbot_policy::trust::{PublicKey, TierRequirement, TrustStore, TrustTier, TrustedKey};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let manifest = br#"
//! id = "hello-plugin"
//! name = "Hello"
//! version = "1.0.0"
//! publisher = "acme"
//! min_core_version = "0.1.0"
//! entry = "bin/hello"
//! "#;
//! let ceilings = ResourceCeilings::default();
//! // `cargo faxbot pack`: deterministic .fxp bytes from files the caller read.
//! let mut builder = PackageBuilder::new(manifest.to_vec());
//! builder.add_file("bin/hello", b"#!/bin/true\n".to_vec(), true)?;
//! let fxp = builder.build(&ceilings)?;
//!
//! // `cargo faxbot keygen` / `sign`: a detached signature over the canonical digest.
//! let key = Ed25519Keypair::generate()?;
//! let sig = SignatureFile::ed25519(&key, &builder.digest()).to_toml();
//!
//! // The host, at install: read hostile bytes, then ask the operator's trust store.
//! let package = read_package(&fxp[..], &PackageLimits::default(), &ceilings)?;
//! let mut store = TrustStore::new();
//! store.add_key(TrustedKey {
//!     publisher: "acme".into(),
//!     tier: TrustTier::Curated,
//!     key: PublicKey::Ed25519(key.public_key()),
//!     note: String::new(),
//! })?;
//! let sig = SignatureFile::parse(sig.as_bytes())?;
//! let verified = store.verify(&package, Some(&sig), TierRequirement::CuratedOnly, 0)?;
//! assert_eq!(verified.digest, package.digest());
//! # Ok(())
//! # }
//! ```
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
