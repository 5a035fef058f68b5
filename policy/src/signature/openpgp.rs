//! OpenPGP detached signatures (sequoia-openpgp, pure-Rust crypto back end).
//!
//! The operator's trust store holds the publisher's certificate; a signature verifies only
//! if a signing-capable key of that certificate, valid under sequoia's standard policy at
//! the verification time, made it over the package's signing payload.

use super::{Scheme, SignatureError};
use crate::package::PackageDigest;
use pgp::KeyHandle;
use pgp::cert::Cert;
use pgp::parse::Parse;
use pgp::parse::stream::{
    DetachedVerifierBuilder, MessageLayer, MessageStructure, VerificationError, VerificationHelper,
};
use pgp::policy::StandardPolicy;
use sequoia_openpgp as pgp;
use std::time::{Duration, UNIX_EPOCH};

fn malformed(detail: impl Into<String>) -> SignatureError {
    SignatureError::Malformed {
        scheme: Scheme::Openpgp,
        detail: detail.into(),
    }
}

fn bad(detail: impl Into<String>) -> SignatureError {
    SignatureError::BadSignature {
        scheme: Scheme::Openpgp,
        detail: detail.into(),
    }
}

/// A publisher's OpenPGP certificate (public keys only).
#[derive(Clone, Debug, PartialEq)]
pub struct OpenPgpCert(Cert);

impl OpenPgpCert {
    /// Parses an armoured or binary certificate. Secret key material is refused: the trust
    /// store holds public keys only.
    pub fn parse(bytes: &[u8]) -> Result<Self, SignatureError> {
        let cert = Cert::from_bytes(bytes).map_err(|e| malformed(format!("certificate: {e}")))?;
        if cert.is_tsk() {
            return Err(malformed("certificate contains secret key material"));
        }
        Ok(Self(cert))
    }

    /// The certificate's primary key fingerprint, upper-case hex.
    pub fn fingerprint(&self) -> String {
        self.0.fingerprint().to_hex()
    }

    /// The identities of every key in the certificate, primary key and subkeys: each
    /// fingerprint and key id. Revoking any of them revokes the certificate.
    pub fn key_identities(&self) -> Vec<crate::trust::KeyIdentity> {
        use crate::trust::KeyIdentity;
        let mut out = Vec::new();
        for key in self.0.keys() {
            let fingerprint = key.key().fingerprint();
            out.push(KeyIdentity::OpenpgpFingerprint(
                fingerprint.as_bytes().to_vec(),
            ));
            if let Ok(id) = <[u8; 8]>::try_from(pgp::KeyID::from(&fingerprint).as_bytes()) {
                out.push(KeyIdentity::OpenpgpKeyId(id));
            }
        }
        out
    }

    /// The sequoia certificate.
    pub fn cert(&self) -> &Cert {
        &self.0
    }

    /// Verifies a detached signature (armoured or binary) over a package digest, as of
    /// `now_ms` (key expiry and revocation are judged at that time).
    pub fn verify(
        &self,
        digest: &PackageDigest,
        signature: &[u8],
        now_ms: u64,
    ) -> Result<(), SignatureError> {
        let policy = StandardPolicy::new();
        let at = UNIX_EPOCH + Duration::from_millis(now_ms);
        // OpenPGP judges a key at the signature's creation time, which the signer picks.
        // A package is trusted only if the signing key is alive and unrevoked now.
        let alive: Vec<pgp::Fingerprint> = self
            .0
            .keys()
            .with_policy(&policy, Some(at))
            .alive()
            .revoked(false)
            .for_signing()
            .map(|ka| ka.key().fingerprint())
            .collect();
        let helper = Helper {
            cert: &self.0,
            outcome: None,
            signer: None,
        };
        let builder = DetachedVerifierBuilder::from_bytes(signature)
            .map_err(|e| malformed(format!("signature: {e}")))?;
        let mut verifier = builder
            .with_policy(&policy, Some(at), helper)
            .map_err(|e| malformed(format!("signature: {e}")))?;
        let result = verifier.verify_bytes(digest.signing_payload());
        let outcome = verifier.helper_ref().outcome.clone();
        let signer = verifier.helper_ref().signer.clone();
        match (result, outcome) {
            (Ok(()), _) => match signer {
                Some(fp) if alive.contains(&fp) => Ok(()),
                _ => Err(bad(
                    "the signing key is expired, revoked or not signing-capable at verification time",
                )),
            },
            (Err(_), Some(reason)) => Err(bad(reason)),
            (Err(e), None) => Err(bad(e.to_string())),
        }
    }
}

struct Helper<'a> {
    cert: &'a Cert,
    /// Why the signature group failed, in words, when it did.
    outcome: Option<String>,
    /// The (sub)key that made the good signature.
    signer: Option<pgp::Fingerprint>,
}

impl VerificationHelper for Helper<'_> {
    fn get_certs(&mut self, _ids: &[KeyHandle]) -> pgp::Result<Vec<Cert>> {
        Ok(vec![self.cert.clone()])
    }

    fn check(&mut self, structure: MessageStructure) -> pgp::Result<()> {
        let mut reason = String::from("no signature found");
        for layer in structure.into_iter() {
            let MessageLayer::SignatureGroup { results } = layer else {
                reason = "unexpected message structure (compression or encryption)".into();
                continue;
            };
            for result in results {
                match result {
                    Ok(good) => {
                        self.signer = Some(good.ka.key().fingerprint());
                        return Ok(());
                    }
                    Err(e) => reason = describe(&e),
                }
            }
        }
        self.outcome = Some(reason.clone());
        Err(pgp::Error::InvalidOperation(reason).into())
    }
}

fn describe(e: &VerificationError<'_>) -> String {
    match e {
        VerificationError::MissingKey { .. } => {
            "made by a key that is not in the publisher's certificate".into()
        }
        VerificationError::UnboundKey { error, .. } => {
            format!("the signing key is not bound to the certificate: {error}")
        }
        VerificationError::BadKey { error, .. } => {
            format!(
                "the signing key is not valid at verification time (expired, revoked or not signing-capable): {error}"
            )
        }
        VerificationError::BadSignature { error, .. } => {
            format!("the signature does not match this package: {error}")
        }
        VerificationError::MalformedSignature { error, .. } => {
            format!("the signature is malformed: {error}")
        }
        VerificationError::UnknownSignature { .. } => "unknown signature type".into(),
        _ => "the signature did not verify".into(),
    }
}
