//! The signing certificate and its chain: the leaf must chain, through a certificate
//! authority of the trusted root, to that authority's root, with every certificate valid
//! at the signing time (never "now": a Fulcio certificate lives ten minutes), the CAs
//! being CAs that may sign certificates, and the leaf a code-signing certificate.

use super::trusted_root::{TrustedAuthority, TrustedRoot};
use super::{KeylessError, crypto, der, format_time};
use x509_cert::Certificate;
use x509_cert::der::asn1::ObjectIdentifier;
use x509_cert::der::{Decode, Encode};
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, KeyUsage};

const KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.15");
const BASIC_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");
const EXT_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");
const CODE_SIGNING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.3");

/// A parsed certificate with the exact bytes the checks need.
#[derive(Clone, Debug)]
pub(crate) struct Cert {
    /// The decoded certificate.
    pub cert: Certificate,
    /// The to-be-signed part, exactly as signed.
    pub tbs: Vec<u8>,
    /// The subject's public key, DER SubjectPublicKeyInfo.
    pub spki: Vec<u8>,
    /// Validity, Unix seconds.
    pub not_before: i64,
    pub not_after: i64,
    subject: Vec<u8>,
    issuer: Vec<u8>,
}

impl Cert {
    /// Parses a DER certificate.
    pub(crate) fn parse(der_bytes: &[u8]) -> Result<Self, String> {
        let cert = Certificate::from_der(der_bytes).map_err(|e| format!("not DER X.509: {e}"))?;
        let outer = der::read_one(der_bytes).ok_or("not DER")?;
        let tbs = der::children(outer.content)
            .and_then(|parts| parts.first().map(|t| t.raw.to_vec()))
            .ok_or("no to-be-signed part")?;
        let t = cert.tbs_certificate();
        let encode_err = |e: x509_cert::der::Error| format!("does not re-encode: {e}");
        let secs = |time: &x509_cert::time::Time| {
            i64::try_from(time.to_unix_duration().as_secs()).unwrap_or(i64::MAX)
        };
        Ok(Cert {
            tbs,
            spki: t.subject_public_key_info().to_der().map_err(encode_err)?,
            not_before: secs(&t.validity().not_before),
            not_after: secs(&t.validity().not_after),
            subject: t.subject().to_der().map_err(encode_err)?,
            issuer: t.issuer().to_der().map_err(encode_err)?,
            cert,
        })
    }

    /// An extension's criticality and value, by OID.
    pub(crate) fn extension(&self, oid: &ObjectIdentifier) -> Option<(bool, &[u8])> {
        self.cert
            .tbs_certificate()
            .extensions()?
            .iter()
            .find(|e| e.extn_id == *oid)
            .map(|e| (e.critical, e.extn_value.as_bytes()))
    }

    /// Whether `t` is inside the certificate's validity.
    pub(crate) fn valid_at(&self, t: i64) -> bool {
        self.not_before <= t && t <= self.not_after
    }

    /// Checks that `issuer` issued this certificate: names and signature.
    pub(crate) fn check_issued_by(&self, issuer: &Cert) -> Result<(), String> {
        if self.issuer != issuer.subject {
            return Err("its issuer is not the authority's subject".into());
        }
        let alg = self.cert.signature_algorithm().oid;
        let hash = crypto::signature_algorithm_hash(alg.as_bytes())
            .ok_or_else(|| format!("signature algorithm {alg} is not verified"))?;
        crypto::verify(
            &issuer.spki,
            hash,
            &self.tbs,
            self.cert.signature().raw_bytes(),
        )
        .map_err(|e| format!("the authority's signature on it: {e}"))
    }

    pub(crate) fn is_ca(&self) -> Result<bool, String> {
        match self.extension(&BASIC_CONSTRAINTS) {
            None => Ok(false),
            Some((_, v)) => BasicConstraints::from_der(v)
                .map(|b| b.ca)
                .map_err(|e| format!("basicConstraints: {e}")),
        }
    }

    pub(crate) fn key_usage(&self) -> Result<Option<KeyUsage>, String> {
        self.extension(&KEY_USAGE)
            .map(|(_, v)| KeyUsage::from_der(v).map_err(|e| format!("keyUsage: {e}")))
            .transpose()
    }
}

impl Cert {
    /// Whether the extended key usage names `purpose`.
    pub(crate) fn has_extended_key_usage(
        &self,
        purpose: &ObjectIdentifier,
    ) -> Result<bool, String> {
        match self.extension(&EXT_KEY_USAGE) {
            Some((_, v)) => ExtendedKeyUsage::from_der(v)
                .map(|eku| eku.0.contains(purpose))
                .map_err(|e| format!("extKeyUsage: {e}")),
            None => Ok(false),
        }
    }
}

/// Checks the leaf chains through a certificate authority of the root trusted at `t`,
/// every certificate of the chain valid at `t`; returns the leaf's issuer.
pub(crate) fn verify_chain(leaf: &Cert, root: &TrustedRoot, t: i64) -> Result<Cert, KeylessError> {
    let mut reasons = Vec::new();
    for ca in &root.certificate_authorities {
        if !ca.valid_for.contains(t) {
            reasons.push(format!("{}: not trusted at that time", ca.name));
            continue;
        }
        match chain_through(leaf, ca, t) {
            Ok(issuer) => return Ok(issuer),
            Err(e) => reasons.push(format!("{}: {e}", ca.name)),
        }
    }
    Err(KeylessError::Chain {
        time: format_time(t),
        detail: reasons.join("; "),
    })
}

fn chain_through(leaf: &Cert, ca: &TrustedAuthority, t: i64) -> Result<Cert, String> {
    let certs = ca
        .chain
        .iter()
        .map(|d| Cert::parse(d))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("a trusted root certificate: {e}"))?;
    let issuer = certs.first().ok_or("an empty chain")?;
    leaf.check_issued_by(issuer)?;
    check_authorities(&certs, t)?;
    Ok(issuer.clone())
}

/// Each certificate is valid at `t`, a CA that may sign certificates, and issued by the
/// next (the last by itself).
pub(crate) fn check_authorities(certs: &[Cert], t: i64) -> Result<(), String> {
    for (i, cert) in certs.iter().enumerate() {
        if !cert.valid_at(t) {
            return Err(format!(
                "authority certificate {i} is not valid then (valid {} to {})",
                format_time(cert.not_before),
                format_time(cert.not_after)
            ));
        }
        if !cert.is_ca()? {
            return Err(format!("authority certificate {i} is not a CA"));
        }
        if cert.key_usage()?.is_some_and(|ku| !ku.key_cert_sign()) {
            return Err(format!(
                "authority certificate {i} may not sign certificates"
            ));
        }
        let parent = certs.get(i + 1).unwrap_or(cert);
        cert.check_issued_by(parent)
            .map_err(|e| format!("authority certificate {i}: {e}"))?;
    }
    Ok(())
}

/// The leaf is a code-signing end-entity certificate valid at `t`.
pub(crate) fn check_leaf(leaf: &Cert, t: i64) -> Result<(), KeylessError> {
    if !leaf.valid_at(t) {
        return Err(KeylessError::CertificateTime {
            time: format_time(t),
            not_before: format_time(leaf.not_before),
            not_after: format_time(leaf.not_after),
        });
    }
    let bad = |d: String| KeylessError::Certificate(d);
    if leaf.is_ca().map_err(bad)? {
        return Err(bad("the signing certificate is a CA certificate".into()));
    }
    match leaf.key_usage().map_err(bad)? {
        Some(ku) if ku.digital_signature() => {}
        _ => {
            return Err(bad(
                "the signing certificate's keyUsage lacks digitalSignature".into(),
            ));
        }
    }
    if !leaf.has_extended_key_usage(&CODE_SIGNING).map_err(bad)? {
        return Err(bad(
            "the signing certificate's extKeyUsage lacks codeSigning".into(),
        ));
    }
    Ok(())
}
