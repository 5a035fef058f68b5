//! The operator's trust store: which publisher keys are trusted, at which tier, and what
//! has been revoked. It works fully offline: keys are configured, never fetched, and
//! nothing is bound to a URL.
//!
//! [`TrustStore::verify`] is the install-time verdict on a package and its signature;
//! [`TrustStore::recheck`] runs before every start, so revoking a key or a package digest
//! stops a plugin that is already installed. Both fail closed with a precise
//! [`TrustError`].

mod key_id;
mod store;
mod tier;

#[cfg(feature = "sigstore")]
pub(crate) use key_id::pem_der;
pub use key_id::{KeyIdentity, KeyIdentityError};
pub use store::{PublicKey, TrustStore, TrustStoreError, TrustedKey};
pub use tier::{TierRequirement, TrustTier};

use crate::package::PackageDigest;
use crate::signature::{Scheme, SignatureError};

/// What verification established, kept with the installed plugin for [`TrustStore::recheck`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Verified {
    /// The package digest.
    pub digest: PackageDigest,
    /// Fingerprint of the key that signed it.
    pub key: String,
    /// The publisher that key belongs to.
    pub publisher: String,
    /// The key's tier at verification time.
    pub tier: TrustTier,
    /// The signature scheme.
    pub scheme: Scheme,
}

/// Why a package is not trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrustError {
    /// No signature at all.
    #[error("package {0} is unsigned; only signed packages are installed")]
    Unsigned(PackageDigest),
    /// The signing key is not in the trust store.
    #[error("signing key {0} is not in the trust store")]
    UnknownKey(String),
    /// The signing key is revoked.
    #[error("signing key {0} is revoked")]
    RevokedKey(String),
    /// This package digest is revoked.
    #[error("package {0} is revoked")]
    RevokedPackage(PackageDigest),
    /// The signature was made for another package.
    #[error("signature is for package {signed}, but this package is {actual}")]
    DigestMismatch {
        /// What the signature file says was signed.
        signed: PackageDigest,
        /// The package's own digest.
        actual: PackageDigest,
    },
    /// The signature file names a key of another scheme.
    #[error("signature scheme {scheme} does not match key {key}")]
    SchemeMismatch {
        /// The signature's scheme.
        scheme: Scheme,
        /// The key named.
        key: String,
    },
    /// The signature does not verify.
    #[error("signature rejected: {0}")]
    Signature(#[from] SignatureError),
    /// The key's tier is below what the operator allows.
    #[error("signing key {key} is of tier {tier}, and this install requires {required}")]
    TierNotAllowed {
        /// The key.
        key: String,
        /// Its tier.
        tier: TrustTier,
        /// What is required.
        required: TierRequirement,
    },
    /// The key belongs to another publisher than the manifest names.
    #[error(
        "signing key {key} belongs to publisher `{key_publisher}`, but the manifest names `{manifest_publisher}`"
    )]
    PublisherMismatch {
        /// The key.
        key: String,
        /// Its publisher.
        key_publisher: String,
        /// The manifest's publisher.
        manifest_publisher: String,
    },
}
