//! Ed25519: the native scheme. Keys are 32 bytes; a public key is written
//! `ed25519:<base64>` and identified by its fingerprint `ed25519:<first 16 bytes of the
//! SHA-256 of the key, hex>`.

use super::{Scheme, SignatureError};
use crate::package::{PackageDigest, sha256};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::spki::der::zeroize::Zeroizing;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use std::fmt;

const PREFIX: &str = "ed25519:";

fn malformed(detail: impl Into<String>) -> SignatureError {
    SignatureError::Malformed {
        scheme: Scheme::Ed25519,
        detail: detail.into(),
    }
}

/// A publisher's signing key. Never printed: `Debug` shows only the public half.
pub struct Ed25519Keypair(SigningKey);

impl fmt::Debug for Ed25519Keypair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ed25519Keypair({})", self.public_key().fingerprint())
    }
}

impl Ed25519Keypair {
    /// A new key from the operating system's random number generator.
    pub fn generate() -> Result<Self, SignatureError> {
        let mut seed = [0u8; 32];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut seed)
            .map_err(|_| SignatureError::Random)?;
        let key = SigningKey::from_bytes(&seed);
        seed.fill(0);
        Ok(Self(key))
    }

    /// Reads a PKCS#8 PEM private key (`-----BEGIN PRIVATE KEY-----`).
    pub fn from_pkcs8_pem(pem: &str) -> Result<Self, SignatureError> {
        SigningKey::from_pkcs8_pem(pem)
            .map(Self)
            .map_err(|_| malformed("not an Ed25519 PKCS#8 PEM private key"))
    }

    /// The private key as PKCS#8 PEM, for the publisher to keep. Zeroed when dropped.
    pub fn to_pkcs8_pem(&self) -> Result<Zeroizing<String>, SignatureError> {
        self.0
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|_| malformed("PKCS#8 encoding failed"))
    }

    /// The public half.
    pub fn public_key(&self) -> Ed25519PublicKey {
        Ed25519PublicKey(self.0.verifying_key())
    }

    /// Signs a package digest (its signing payload).
    pub fn sign(&self, digest: &PackageDigest) -> [u8; 64] {
        self.0.sign(&digest.signing_payload()).to_bytes()
    }
}

/// A publisher's Ed25519 public key.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Ed25519PublicKey(VerifyingKey);

impl fmt::Debug for Ed25519PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ed25519PublicKey({self})")
    }
}

impl fmt::Display for Ed25519PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PREFIX}{}", STANDARD.encode(self.0.as_bytes()))
    }
}

impl Ed25519PublicKey {
    /// Parses `ed25519:<base64 of 32 bytes>`. Weak (small-order) keys are refused.
    pub fn parse(text: &str) -> Result<Self, SignatureError> {
        let b64 = text
            .trim()
            .strip_prefix(PREFIX)
            .ok_or_else(|| malformed("public key must start with `ed25519:`"))?;
        let bytes = STANDARD
            .decode(b64)
            .map_err(|_| malformed("public key is not base64"))?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| malformed("public key is not 32 bytes"))?;
        let key = VerifyingKey::from_bytes(&bytes).map_err(|_| malformed("not a curve point"))?;
        if key.is_weak() {
            return Err(malformed("weak (small-order) public key"));
        }
        Ok(Self(key))
    }

    /// `ed25519:<hex of the first 16 bytes of SHA-256 of the key>`.
    pub fn fingerprint(&self) -> String {
        format!("{PREFIX}{}", hex::encode(&sha256(self.0.as_bytes())[..16]))
    }

    /// Verifies a signature over a package digest (strict: no malleable signatures).
    pub fn verify(&self, digest: &PackageDigest, signature: &[u8]) -> Result<(), SignatureError> {
        let bytes: [u8; 64] = signature
            .try_into()
            .map_err(|_| malformed(format!("signature is {} bytes, not 64", signature.len())))?;
        let sig = ed25519_dalek::Signature::from_bytes(&bytes);
        self.0
            .verify_strict(&digest.signing_payload(), &sig)
            .map_err(|_| SignatureError::BadSignature {
                scheme: Scheme::Ed25519,
                detail: "the signature was not made by this key over this package".into(),
            })
    }
}
