//! Detached signatures over a package's canonical digest, in three schemes:
//! Ed25519 (native, always built), OpenPGP (cargo feature `openpgp`) and Sigstore
//! (key-based, cargo feature `sigstore`). Each scheme verifies the same bytes,
//! [`crate::package::PackageDigest::signing_payload`]. A scheme whose feature is off is
//! refused with [`SignatureError::SchemeNotBuilt`], never skipped.
//!
//! A signature travels beside the package as a small TOML file (`<package>.fxp.sig`, see
//! [`SignatureFile`]) that names the scheme, the digest it was made for and the signing
//! key's fingerprint. Which keys are trusted is the trust store's business, not this
//! module's.

pub mod ed25519;
mod file;
#[cfg(feature = "openpgp")]
pub mod openpgp;
#[cfg(feature = "sigstore")]
pub mod sigstore;

pub use file::{SignatureFile, SignatureFileError};

use std::fmt;

/// A signature scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    /// Ed25519 over the signing payload (`cargo faxbot sign`).
    Ed25519,
    /// An OpenPGP detached signature (binary or ASCII-armoured).
    Openpgp,
    /// A Sigstore signature: a cosign blob signature or a Sigstore bundle, verified with
    /// the publisher's public key.
    Sigstore,
}

impl Scheme {
    /// The cargo feature of `faxbot-policy` that builds this scheme's verifier (`None`:
    /// always built).
    pub fn feature(self) -> Option<&'static str> {
        match self {
            Scheme::Ed25519 => None,
            Scheme::Openpgp => Some("openpgp"),
            Scheme::Sigstore => Some("sigstore"),
        }
    }

    /// Whether this build can verify the scheme.
    pub fn is_built(self) -> bool {
        match self {
            Scheme::Ed25519 => true,
            Scheme::Openpgp => cfg!(feature = "openpgp"),
            Scheme::Sigstore => cfg!(feature = "sigstore"),
        }
    }

    /// `Ok(())` when this build verifies the scheme, else [`SignatureError::SchemeNotBuilt`].
    pub fn ensure_built(self) -> Result<(), SignatureError> {
        match self.feature() {
            Some(feature) if !self.is_built() => Err(SignatureError::SchemeNotBuilt {
                scheme: self,
                feature,
            }),
            _ => Ok(()),
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Scheme::Ed25519 => "ed25519",
            Scheme::Openpgp => "openpgp",
            Scheme::Sigstore => "sigstore",
        })
    }
}

/// Why a signature did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The signature or key bytes do not parse.
    #[error("{scheme} signature or key is malformed: {detail}")]
    Malformed {
        /// The scheme.
        scheme: Scheme,
        /// What did not parse.
        detail: String,
    },
    /// The signature is well formed but does not verify with the key over the payload.
    #[error("{scheme} signature does not verify: {detail}")]
    BadSignature {
        /// The scheme.
        scheme: Scheme,
        /// What failed.
        detail: String,
    },
    /// A bundle whose recorded digest is not the payload's.
    #[error("the sigstore bundle was made for other content (its message digest differs)")]
    BundleDigestMismatch,
    /// A keyless (certificate-based) Sigstore bundle presented for a key-based trust entry.
    #[error(
        "a keyless sigstore bundle (a Fulcio certificate) was presented for a key-based trust entry: trust the publisher's identity with `sigstore_identity` and `sigstore_issuer`, or sign with the trusted key"
    )]
    KeylessUnsupported,
    /// A keyless Sigstore bundle that does not verify (feature `sigstore`).
    #[cfg(feature = "sigstore")]
    #[error("keyless sigstore bundle refused: {0}")]
    Keyless(#[from] sigstore::KeylessError),
    /// A bundle form this crate does not verify (DSSE envelopes, unknown versions).
    #[error("unsupported sigstore bundle: {0}")]
    UnsupportedBundle(String),
    /// The scheme's verifier is not in this build: its cargo feature is off.
    #[error(
        "{scheme} signatures cannot be verified by this build: faxbot-policy was built without its `{feature}` feature"
    )]
    SchemeNotBuilt {
        /// The scheme.
        scheme: Scheme,
        /// The `faxbot-policy` cargo feature that builds it.
        feature: &'static str,
    },
    /// The system's random number generator failed (key generation only).
    #[error("the system random number generator failed")]
    Random,
}
