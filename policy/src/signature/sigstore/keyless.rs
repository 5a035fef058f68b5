//! Keyless Sigstore verification, offline, against an operator-supplied trusted root: a
//! bundle (v0.1–v0.3) is accepted only if, in this order,
//! 1. its recorded digest and signature are over this artifact, with the certificate's key;
//! 2. its Rekor entry is from a log of the root, records this artifact, signature and
//!    certificate, and is proven by the log (SET and/or inclusion proof with a signed
//!    checkpoint);
//! 3. RFC 3161 timestamps, where present, are verified: each one signed by a timestamp
//!    authority of the root over this signature adds a trusted signing time; one that does
//!    not verify adds none (as sigstore-python and sigstore-go treat them), and is named
//!    when no trusted time remains;
//! 4. at each trusted signing time (the SET's integrated time, each timestamp), the
//!    certificate chains to a Fulcio authority of the root and is a valid code-signing
//!    certificate;
//! 5. an embedded SCT verifies with a CT log of the root;
//! 6. the certificate names the trusted identity and OIDC issuer.
//!
//! Nothing is fetched and "now" plays no part: a Fulcio certificate is judged at the
//! time the log (or a timestamp authority) vouches the signature existed.

use super::bundle::Bundle;
use super::fulcio::{self, Cert};
use super::identity::{self, KeylessIdentity};
use super::trusted_root::TrustedRoot;
use super::{crypto, rekor, sct, timestamp};

/// Why a keyless bundle is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeylessError {
    /// The trusted root does not parse or cannot verify anything.
    #[error("sigstore trusted root is invalid: {0}")]
    TrustedRoot(String),
    /// The bundle does not parse or lacks what its version requires.
    #[error("sigstore bundle is malformed: {0}")]
    Bundle(String),
    /// A bundle or entry form not verified here.
    #[error("unsupported sigstore bundle: {0}")]
    Unsupported(String),
    /// A key-based bundle given where a keyless one is expected.
    #[error(
        "the sigstore bundle is key-based (verificationMaterial.publicKey), not keyless: trust the publisher's key instead"
    )]
    NotKeyless,
    /// The bundle was made for other content.
    #[error("the sigstore bundle was not made for this artifact: {0}")]
    Artifact(String),
    /// The signing certificate is malformed or not a code-signing leaf.
    #[error("the signing certificate is refused: {0}")]
    Certificate(String),
    /// The certificate does not chain to an authority of the root at the signing time.
    #[error(
        "the signing certificate does not chain to a certificate authority of the trusted root at signing time {time}: {detail}"
    )]
    Chain {
        /// The signing time.
        time: String,
        /// Why, per authority.
        detail: String,
    },
    /// The certificate was not valid at the signing time.
    #[error(
        "the signing certificate was not valid at signing time {time} (valid from {not_before} to {not_after})"
    )]
    CertificateTime {
        /// The signing time.
        time: String,
        /// Its notBefore.
        not_before: String,
        /// Its notAfter.
        not_after: String,
    },
    /// No SCT verifies.
    #[error("no signed certificate timestamp verifies with a CT log of the trusted root: {0}")]
    Sct(String),
    /// The transparency-log entry does not verify.
    #[error("the transparency log entry is refused: {0}")]
    Tlog(String),
    /// A signed timestamp does not verify.
    #[error("an RFC 3161 signed timestamp is refused: {0}")]
    Timestamp(String),
    /// Nothing trusted says when the signature was made.
    #[error(
        "no trusted signing time: the bundle has neither a verified signed entry timestamp (SET) nor a verified RFC 3161 timestamp{0}"
    )]
    NoTime(String),
    /// The certificate names another identity.
    #[error("the certificate identity is {found}, not the trusted {expected}")]
    Identity {
        /// What the operator trusts.
        expected: String,
        /// What the certificate names.
        found: String,
    },
    /// The certificate names another OIDC issuer.
    #[error("the certificate's OIDC issuer is {found}, not the trusted {expected}")]
    Issuer {
        /// What the operator trusts.
        expected: String,
        /// What the certificate names.
        found: String,
    },
}

/// What a verified keyless bundle established.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeylessVerified {
    /// The identity and issuer it was checked against.
    pub identity: KeylessIdentity,
    /// The signing time used (Unix seconds; the earliest trusted one).
    pub signed_at: i64,
    /// The Rekor log index of the entry.
    pub log_index: i64,
    /// How many RFC 3161 timestamps verified (each a signing time the certificate was
    /// checked at).
    pub timestamps_verified: usize,
}

/// Verifies a keyless bundle over `artifact` (the bytes that were signed) for `identity`.
pub fn verify_keyless(
    artifact: &[u8],
    bundle_json: &[u8],
    root: &TrustedRoot,
    identity: &KeylessIdentity,
) -> Result<KeylessVerified, KeylessError> {
    let bundle = Bundle::parse(bundle_json)?;
    let leaf = Cert::parse(&bundle.leaf)
        .map_err(|e| KeylessError::Certificate(format!("the signing certificate is {e}")))?;
    check_artifact(artifact, &bundle, &leaf)?;

    let entry = &bundle.entry;
    let log = rekor::find_log(root, entry)?;
    rekor::check_body(entry, artifact, &bundle.signature, &bundle.leaf)?;
    let mut times = Vec::new();
    if let Some(set) = &entry.set {
        rekor::verify_set(entry, set, log)?;
        if !log.valid_for.contains(entry.integrated_time) {
            return Err(KeylessError::Tlog(format!(
                "log {} is not trusted at the entry's integrated time {}",
                log.name,
                format_time(entry.integrated_time)
            )));
        }
        times.push(entry.integrated_time);
    }
    if let Some(proof) = &entry.proof {
        rekor::verify_inclusion(proof, &entry.body)?;
        rekor::verify_checkpoint(proof, log)?;
    }
    let mut refused = Vec::new();
    for token in &bundle.timestamps {
        match timestamp::verify(token, &bundle.signature, root) {
            Ok(t) => times.push(t),
            Err(e) => refused.push(e.to_string()),
        }
    }
    let signed_at = times.iter().copied().min().ok_or_else(|| {
        KeylessError::NoTime(if refused.is_empty() {
            String::new()
        } else {
            format!(" ({})", refused.join("; "))
        })
    })?;

    if entry.set.is_none()
        && let Some(t) = times.iter().find(|t| !log.valid_for.contains(**t))
    {
        return Err(KeylessError::Tlog(format!(
            "log {} is not trusted at the signing time {}",
            log.name,
            format_time(*t)
        )));
    }
    let mut issuer = None;
    for t in &times {
        issuer = Some(fulcio::verify_chain(&leaf, root, *t)?);
        fulcio::check_leaf(&leaf, *t)?;
    }
    let issuer = issuer.ok_or_else(|| KeylessError::NoTime(String::new()))?;
    sct::verify(&leaf, &issuer, root)?;
    identity::check(&leaf, identity)?;
    Ok(KeylessVerified {
        identity: identity.clone(),
        signed_at,
        log_index: entry.log_index,
        timestamps_verified: times.len() - usize::from(entry.set.is_some()),
    })
}

/// The bundle's digest (if any) and signature are over `artifact`, by the certificate's
/// key. The signature's hash is the recorded digest's (sigstore signs a P-384 key's
/// artifact with SHA-256 when it records SHA2_256), else the key's usual one.
fn check_artifact(artifact: &[u8], bundle: &Bundle, leaf: &Cert) -> Result<(), KeylessError> {
    let (kind, _) = crypto::parse_spki(&leaf.spki)
        .map_err(|e| KeylessError::Certificate(format!("its {e}")))?;
    let mut hash = kind.default_hash();
    if let Some((algorithm, recorded)) = &bundle.message_digest {
        let expected = super::message_digest(algorithm, artifact)
            .map_err(|e| KeylessError::Unsupported(e.to_string()))?;
        if *recorded != expected {
            return Err(KeylessError::Artifact(format!(
                "its messageDigest ({algorithm}) is of other content"
            )));
        }
        hash = match algorithm.as_str() {
            "SHA2_384" => crypto::Hash::Sha384,
            "SHA2_512" => crypto::Hash::Sha512,
            _ => crypto::Hash::Sha256,
        };
    }
    crypto::verify(&leaf.spki, hash, artifact, &bundle.signature).map_err(|_| {
        KeylessError::Artifact(
            "its signature does not verify over the artifact with the certificate's key".into(),
        )
    })
}

/// A Unix time as RFC 3339 UTC, for messages.
pub(crate) fn format_time(t: i64) -> String {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_format_as_rfc3339() {
        assert_eq!(format_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_time(1_712_085_549), "2024-04-02T19:19:09Z");
        assert_eq!(
            super::super::trusted_root::parse_rfc3339(&format_time(1_709_164_800)),
            Ok(1_709_164_800)
        );
    }
}
