//! Whose signature it is: the signing certificate's subject alternative name (an email,
//! a URI such as a CI workflow's, or Fulcio's username otherName) and the OIDC issuer
//! Fulcio recorded (extension 1.3.6.1.4.1.57264.1.8, or the older .1.1), compared exactly
//! with what the operator trusts.

use super::fulcio::Cert;
use super::{KeylessError, der};
use x509_cert::der::Decode;
use x509_cert::der::asn1::ObjectIdentifier;
use x509_cert::ext::pkix::name::GeneralName;

const SUBJECT_ALT_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");
const ISSUER_V2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.8");
const ISSUER_V1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.1");
const USERNAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.7");

/// The keyless publisher an operator trusts: a certificate identity and its OIDC issuer.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeylessIdentity {
    /// The certificate's subject alternative name, exactly (`release@acme.test`,
    /// `https://github.com/acme/plugin/.github/workflows/release.yml@refs/tags/v1.0.0`).
    pub identity: String,
    /// The OIDC issuer, exactly (`https://token.actions.githubusercontent.com`).
    pub issuer: String,
}

/// Every subject alternative name of the certificate, as text.
pub(crate) fn subject_alt_names(leaf: &Cert) -> Result<Vec<String>, KeylessError> {
    let Some((_, value)) = leaf.extension(&SUBJECT_ALT_NAME) else {
        return Ok(Vec::new());
    };
    let names = Vec::<GeneralName>::from_der(value)
        .map_err(|e| KeylessError::Certificate(format!("subjectAltName: {e}")))?;
    Ok(names
        .iter()
        .filter_map(|n| match n {
            GeneralName::Rfc822Name(s) | GeneralName::DnsName(s) => Some(s.to_string()),
            GeneralName::UniformResourceIdentifier(s) => Some(s.to_string()),
            GeneralName::OtherName(o) if o.type_id == USERNAME => {
                std::str::from_utf8(o.value.value())
                    .ok()
                    .map(str::to_string)
            }
            _ => None,
        })
        .collect())
}

/// The OIDC issuer Fulcio recorded.
pub(crate) fn oidc_issuer(leaf: &Cert) -> Result<Option<String>, KeylessError> {
    let bad = || KeylessError::Certificate("the OIDC issuer extension is not UTF-8 text".into());
    if let Some((_, value)) = leaf.extension(&ISSUER_V2) {
        let text = der::read_one(value)
            .filter(|t| t.tag == 0x0c)
            .and_then(|t| std::str::from_utf8(t.content).ok())
            .ok_or_else(bad)?;
        return Ok(Some(text.to_string()));
    }
    if let Some((_, value)) = leaf.extension(&ISSUER_V1) {
        return std::str::from_utf8(value)
            .map(|s| Some(s.to_string()))
            .map_err(|_| bad());
    }
    Ok(None)
}

/// The certificate names the trusted identity and issuer.
pub(crate) fn check(leaf: &Cert, want: &KeylessIdentity) -> Result<(), KeylessError> {
    let names = subject_alt_names(leaf)?;
    if !names.contains(&want.identity) {
        return Err(KeylessError::Identity {
            expected: want.identity.clone(),
            found: if names.is_empty() {
                "no subject alternative name".into()
            } else {
                names.join(", ")
            },
        });
    }
    let issuer = oidc_issuer(leaf)?;
    if issuer.as_deref() != Some(want.issuer.as_str()) {
        return Err(KeylessError::Issuer {
            expected: want.issuer.clone(),
            found: issuer.unwrap_or_else(|| "no OIDC issuer extension".into()),
        });
    }
    Ok(())
}
