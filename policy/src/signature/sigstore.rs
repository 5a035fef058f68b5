//! Sigstore signatures verified with the publisher's public key, offline.
//!
//! Two forms are accepted:
//! - a cosign blob signature (`cosign sign-blob --key`): base64 of the signature bytes;
//! - a Sigstore bundle (JSON, `application/vnd.dev.sigstore.bundle*`, or the older cosign
//!   `--bundle` form) whose signature was made with a key.
//!
//! Keyless bundles (a Fulcio certificate instead of a key) are refused with
//! [`SignatureError::KeylessUnsupported`]: verifying them needs the Fulcio chain, the
//! Rekor inclusion proof and signed timestamps against a trust root, and the `sigstore`
//! crate's verifier neither works offline nor checks the Rekor proof. Transparency-log
//! entries in key-based bundles are not checked either; trust comes from the operator's
//! key. See `docs/trust.md`.

use super::{Scheme, SignatureError};
use crate::package::{PackageDigest, sha256};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use sigstore::crypto::{CosignVerificationKey, Signature};

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
            let sig = bundle_signature(trimmed, &payload)?;
            return self.check(&sig, &payload);
        }
        let sig = STANDARD
            .decode(trimmed)
            .map_err(|_| malformed("blob signature is not base64"))?;
        self.check(&sig, &payload)
    }

    fn check(&self, sig: &[u8], payload: &[u8]) -> Result<(), SignatureError> {
        self.key
            .verify_signature(Signature::Raw(sig), payload)
            .map_err(|_| SignatureError::BadSignature {
                scheme: Scheme::Sigstore,
                detail: "the signature was not made by this key over this package".into(),
            })
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

/// Extracts the raw signature from a bundle after checking it is key-based and made for
/// this payload.
fn bundle_signature(json: &[u8], payload: &[u8]) -> Result<Vec<u8>, SignatureError> {
    if json.len() > 1 << 20 {
        return Err(malformed("bundle is larger than 1 MiB"));
    }
    let bundle: Bundle = serde_json::from_slice(json)
        .map_err(|e| malformed(format!("bundle is not valid JSON: {e}")))?;
    if bundle.cert.as_deref().is_some_and(|c| !c.is_empty()) {
        return Err(SignatureError::KeylessUnsupported);
    }
    if let Some(material) = &bundle.verification_material
        && (material.get("certificate").is_some() || material.get("x509CertificateChain").is_some())
    {
        return Err(SignatureError::KeylessUnsupported);
    }
    if bundle.dsse_envelope.is_some() {
        return Err(SignatureError::UnsupportedBundle(
            "DSSE envelopes (attestations) are not package signatures".into(),
        ));
    }
    if let Some(b64) = bundle.base64_signature {
        return STANDARD
            .decode(b64.trim())
            .map_err(|_| malformed("base64Signature is not base64"));
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
        if d.algorithm != "SHA2_256" {
            return Err(SignatureError::UnsupportedBundle(format!(
                "message digest algorithm `{}`",
                d.algorithm.chars().take(40).collect::<String>()
            )));
        }
        let recorded = STANDARD
            .decode(d.digest.trim())
            .map_err(|_| malformed("messageDigest is not base64"))?;
        if recorded != sha256(payload) {
            return Err(SignatureError::BundleDigestMismatch);
        }
    }
    STANDARD
        .decode(message.signature.trim())
        .map_err(|_| malformed("messageSignature.signature is not base64"))
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
