//! Sigstore signatures verified with the publisher's public key, offline.
//!
//! Two forms are accepted:
//! - a cosign blob signature (`cosign sign-blob --key`): base64 of the signature bytes;
//! - a Sigstore bundle (JSON, `application/vnd.dev.sigstore.bundle*` v0.1–v0.3, or the
//!   older cosign `--bundle` form, whose `cert` may carry the base64 of the signing key's
//!   PEM) whose signature was made with a key. Its `messageDigest` may be SHA2_256,
//!   SHA2_384 or SHA2_512.
//!
//! Ed25519 keys verify both pure Ed25519 and Ed25519ph (SHA-512 prehash, RFC 8032), the
//! mode cosign uses for Ed25519 keys by default.
//!
//! A keyless bundle (a Fulcio certificate instead of a key) presented for a key-based
//! trust entry is refused with [`SignatureError::KeylessUnsupported`]; keyless bundles
//! are verified against a trusted root and an identity by [`keyless`]. Transparency-log
//! entries in key-based bundles are not checked; trust comes from the operator's key. See
//! `docs/trust.md`.

mod bundle;
mod crypto;
mod der;
mod fulcio;
pub mod identity;
mod keyless;
mod rekor;
mod sct;
mod timestamp;
pub mod trusted_root;

pub use identity::KeylessIdentity;
pub(crate) use keyless::format_time;
pub use keyless::{KeylessError, KeylessVerified, verify_keyless};
pub use trusted_root::TrustedRoot;

use super::{Scheme, SignatureError};
use crate::package::{PackageDigest, sha256};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use sigstore::crypto::{CosignVerificationKey, Signature};

/// The DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410), before the 32 key bytes.
const ED25519_SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

fn malformed(detail: impl Into<String>) -> SignatureError {
    SignatureError::Malformed {
        scheme: Scheme::Sigstore,
        detail: detail.into(),
    }
}

/// A publisher's Sigstore/cosign public key (PEM: ECDSA P-256/P-384, Ed25519 or RSA).
#[derive(Clone, Debug)]
pub struct SigstoreKey {
    key: CosignVerificationKey,
    der: Vec<u8>,
    fingerprint: String,
}

impl PartialEq for SigstoreKey {
    fn eq(&self, other: &Self) -> bool {
        self.fingerprint == other.fingerprint
    }
}

impl SigstoreKey {
    /// Parses a PEM public key (`-----BEGIN PUBLIC KEY-----`).
    pub fn from_pem(pem: &str) -> Result<Self, SignatureError> {
        let key = CosignVerificationKey::try_from_pem(pem.trim().as_bytes())
            .map_err(|e| malformed(format!("public key: {e}")))?;
        let der = crate::trust::pem_der(pem).ok_or_else(|| malformed("public key is not PEM"))?;
        Ok(Self {
            key,
            fingerprint: format!("sigstore:{}", hex::encode(&sha256(&der)[..16])),
            der,
        })
    }

    /// `sigstore:<hex of the first 16 bytes of SHA-256 of the key's DER>`.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Verifies a cosign blob signature (base64) or a bundle (JSON) over a package digest.
    pub fn verify(&self, digest: &PackageDigest, signature: &[u8]) -> Result<(), SignatureError> {
        let payload = digest.signing_payload();
        let trimmed = signature.trim_ascii();
        if trimmed.first() == Some(&b'{') {
            let sig = match bundle_signature(trimmed, &payload)? {
                BundleSignature::Key { signature, key_der } => {
                    if key_der.as_ref().is_some_and(|der| *der != self.der) {
                        return Err(SignatureError::BadSignature {
                            scheme: Scheme::Sigstore,
                            detail: "the bundle carries another public key than the trusted one"
                                .into(),
                        });
                    }
                    signature
                }
                BundleSignature::Keyless => return Err(SignatureError::KeylessUnsupported),
            };
            return self.check(&sig, &payload);
        }
        let sig = STANDARD
            .decode(trimmed)
            .map_err(|_| malformed("blob signature is not base64"))?;
        self.check(&sig, &payload)
    }

    fn check(&self, sig: &[u8], payload: &[u8]) -> Result<(), SignatureError> {
        if self
            .key
            .verify_signature(Signature::Raw(sig), payload)
            .is_ok()
        {
            return Ok(());
        }
        if let Some(raw) = self.ed25519_raw()
            && ed25519ph_verifies(&raw, sig, payload)
        {
            return Ok(());
        }
        Err(SignatureError::BadSignature {
            scheme: Scheme::Sigstore,
            detail: "the signature was not made by this key over this package".into(),
        })
    }

    /// The raw 32-byte key when this is an Ed25519 key.
    fn ed25519_raw(&self) -> Option<[u8; 32]> {
        if !matches!(self.key, CosignVerificationKey::ED25519(_)) {
            return None;
        }
        self.der
            .strip_prefix(&ED25519_SPKI_PREFIX[..])
            .and_then(|raw| raw.try_into().ok())
    }
}

/// Ed25519ph (RFC 8032 §5.1, SHA-512 prehash, empty context): what cosign signs with an
/// Ed25519 key unless told otherwise.
fn ed25519ph_verifies(key: &[u8; 32], sig: &[u8], payload: &[u8]) -> bool {
    use ed25519_dalek::{Digest, Sha512, VerifyingKey};
    let Ok(key) = VerifyingKey::from_bytes(key) else {
        return false;
    };
    let Ok(sig) = ed25519_dalek::Signature::from_slice(sig) else {
        return false;
    };
    let mut prehash = Sha512::new();
    prehash.update(payload);
    key.verify_prehashed_strict(prehash, None, &sig).is_ok()
}

/// What a bundle's verification material says about its signer.
enum BundleSignature {
    /// A key-based bundle: the raw signature, and the DER of the public key it carries, if
    /// it carries one (the older cosign form's `cert`).
    Key {
        signature: Vec<u8>,
        key_der: Option<Vec<u8>>,
    },
    /// A certificate: a keyless bundle.
    Keyless,
}

/// Whether signature bytes are a keyless bundle (a certificate, not a key, in its
/// verification material); anything that does not parse as such is not.
pub fn is_keyless_bundle(signature: &[u8]) -> bool {
    let trimmed = signature.trim_ascii();
    trimmed.first() == Some(&b'{')
        && matches!(
            bundle_signature_kind(trimmed),
            Some(BundleSignatureKind::Certificate)
        )
}

/// Whether a bundle's verification material is a certificate (keyless) or a key.
fn bundle_signature_kind(json: &[u8]) -> Option<BundleSignatureKind> {
    let bundle: Bundle = serde_json::from_slice(json).ok()?;
    if let Some(material) = &bundle.verification_material
        && (material.get("certificate").is_some() || material.get("x509CertificateChain").is_some())
    {
        return Some(BundleSignatureKind::Certificate);
    }
    bundle.cert.as_deref().and_then(|c| old_form_cert(c).ok())
}

/// The SHA-2 digest a bundle's `messageDigest.algorithm` names, of `payload`.
pub(crate) fn message_digest(algorithm: &str, payload: &[u8]) -> Result<Vec<u8>, SignatureError> {
    let alg = match algorithm {
        "SHA2_256" => &ring::digest::SHA256,
        "SHA2_384" => &ring::digest::SHA384,
        "SHA2_512" => &ring::digest::SHA512,
        other => {
            return Err(SignatureError::UnsupportedBundle(format!(
                "message digest algorithm `{}` (SHA2_256, SHA2_384 and SHA2_512 are verified)",
                other.chars().take(40).collect::<String>()
            )));
        }
    };
    Ok(ring::digest::digest(alg, payload).as_ref().to_vec())
}

/// The older cosign `--bundle` form's `cert`: empty, a PEM (or the base64 of a PEM)
/// public key, or a certificate.
fn old_form_cert(cert: &str) -> Result<BundleSignatureKind, SignatureError> {
    let cert = cert.trim();
    if cert.is_empty() {
        return Ok(BundleSignatureKind::NoKey);
    }
    let pem = if cert.starts_with("-----BEGIN") {
        cert.to_string()
    } else {
        let decoded = STANDARD
            .decode(cert)
            .map_err(|_| malformed("the bundle's `cert` is neither PEM nor base64 of a PEM"))?;
        String::from_utf8(decoded)
            .map_err(|_| malformed("the bundle's `cert` does not decode to PEM text"))?
    };
    let pem = pem.trim();
    if pem.starts_with("-----BEGIN CERTIFICATE-----") {
        return Ok(BundleSignatureKind::Certificate);
    }
    if pem.starts_with("-----BEGIN PUBLIC KEY-----") {
        return crate::trust::pem_der(pem)
            .map(BundleSignatureKind::PublicKey)
            .ok_or_else(|| malformed("the bundle's `cert` public key PEM does not decode"));
    }
    Err(malformed(
        "the bundle's `cert` is neither a public key nor a certificate PEM",
    ))
}

enum BundleSignatureKind {
    NoKey,
    PublicKey(Vec<u8>),
    Certificate,
}

impl SigstoreKey {
    /// The DER of the SubjectPublicKeyInfo.
    pub fn der(&self) -> &[u8] {
        &self.der
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Bundle {
    media_type: Option<String>,
    verification_material: Option<serde_json::Value>,
    message_signature: Option<MessageSignature>,
    dsse_envelope: Option<serde_json::Value>,
    // The older cosign `--bundle` form.
    base64_signature: Option<String>,
    cert: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MessageSignature {
    message_digest: Option<MessageDigest>,
    signature: String,
}

#[derive(Deserialize)]
struct MessageDigest {
    algorithm: String,
    digest: String,
}

/// Extracts the raw signature from a bundle after checking it was made for this payload,
/// and says whether it is key-based or keyless.
fn bundle_signature(json: &[u8], payload: &[u8]) -> Result<BundleSignature, SignatureError> {
    if json.len() > 1 << 20 {
        return Err(malformed("bundle is larger than 1 MiB"));
    }
    let bundle: Bundle = serde_json::from_slice(json)
        .map_err(|e| malformed(format!("bundle is not valid JSON: {e}")))?;
    let mut key_der = None;
    if let Some(cert) = bundle.cert.as_deref() {
        match old_form_cert(cert)? {
            BundleSignatureKind::NoKey => {}
            BundleSignatureKind::PublicKey(der) => key_der = Some(der),
            BundleSignatureKind::Certificate => return Ok(BundleSignature::Keyless),
        }
    }
    if let Some(material) = &bundle.verification_material
        && (material.get("certificate").is_some() || material.get("x509CertificateChain").is_some())
    {
        return Ok(BundleSignature::Keyless);
    }
    if bundle.dsse_envelope.is_some() {
        return Err(SignatureError::UnsupportedBundle(
            "DSSE envelopes (attestations) are not package signatures".into(),
        ));
    }
    if let Some(b64) = bundle.base64_signature {
        let signature = STANDARD
            .decode(b64.trim())
            .map_err(|_| malformed("base64Signature is not base64"))?;
        return Ok(BundleSignature::Key { signature, key_der });
    }
    match bundle.media_type.as_deref() {
        Some(m) if m.starts_with("application/vnd.dev.sigstore.bundle") => {}
        Some(m) => {
            let shown: String = m.chars().take(80).collect();
            return Err(SignatureError::UnsupportedBundle(format!(
                "media type `{shown}`"
            )));
        }
        None => return Err(SignatureError::UnsupportedBundle("no mediaType".into())),
    }
    let message = bundle
        .message_signature
        .ok_or_else(|| SignatureError::UnsupportedBundle("no messageSignature".into()))?;
    if let Some(d) = message.message_digest {
        let expected = message_digest(&d.algorithm, payload)?;
        let recorded = STANDARD
            .decode(d.digest.trim())
            .map_err(|_| malformed("messageDigest is not base64"))?;
        if recorded != expected {
            return Err(SignatureError::BundleDigestMismatch);
        }
    }
    let signature = STANDARD
        .decode(message.signature.trim())
        .map_err(|_| malformed("messageSignature.signature is not base64"))?;
    Ok(BundleSignature::Key { signature, key_der })
}

/// Builds a key-based Sigstore bundle (v0.3 JSON) for a signature over a digest's payload:
/// what `cargo faxbot sign --scheme sigstore` writes.
pub fn key_bundle_json(digest: &PackageDigest, signature: &[u8], key_hint: &str) -> String {
    serde_json::json!({
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": { "publicKey": { "hint": key_hint } },
        "messageSignature": {
            "messageDigest": {
                "algorithm": "SHA2_256",
                "digest": STANDARD.encode(sha256(&digest.signing_payload())),
            },
            "signature": STANDARD.encode(signature),
        }
    })
    .to_string()
}
