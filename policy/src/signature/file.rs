//! The signature file that travels beside a package (`<package>.fxp.sig`).
//!
//! ```toml
//! format = "faxbot-signature-v1"
//! scheme = "ed25519"                 # or "openpgp", "sigstore"
//! digest = "sha256:…"                # the package digest that was signed
//! key = "ed25519:…"                  # fingerprint of the signing key
//! signature = "…"                    # ed25519: base64 of 64 bytes; openpgp: armoured
//!                                    # signature, or base64 of a binary one; sigstore:
//!                                    # base64 blob signature or bundle JSON
//! ```

use super::Scheme;
use super::ed25519::Ed25519Keypair;
use crate::package::PackageDigest;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

const FORMAT: &str = "faxbot-signature-v1";
const MAX_FILE: usize = 1 << 20;

/// A detached signature with what it claims to sign and who claims to have signed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureFile {
    /// The scheme.
    pub scheme: Scheme,
    /// The digest the signer signed; compared with the package's own digest.
    pub digest: PackageDigest,
    /// Fingerprint of the signing key, looked up in the trust store.
    pub key: String,
    /// Signature bytes as the scheme reads them (raw 64 bytes for ed25519, the armoured
    /// text or the binary packets for OpenPGP, the base64 text or bundle JSON for
    /// Sigstore).
    pub signature: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    format: String,
    scheme: Scheme,
    digest: String,
    key: String,
    signature: String,
}

/// A signature file that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureFileError {
    /// Too large to be a signature.
    #[error("signature file is larger than {MAX_FILE} bytes")]
    TooLarge,
    /// Not the expected TOML.
    #[error("signature file is malformed: {0}")]
    Malformed(String),
    /// Another format version.
    #[error("signature file format `{0}` is not {FORMAT}")]
    Format(String),
}

impl SignatureFile {
    /// Signs `digest` with an Ed25519 key.
    pub fn ed25519(key: &Ed25519Keypair, digest: &PackageDigest) -> Self {
        Self {
            scheme: Scheme::Ed25519,
            digest: *digest,
            key: key.public_key().fingerprint(),
            signature: key.sign(digest).to_vec(),
        }
    }

    /// Parses a signature file.
    pub fn parse(bytes: &[u8]) -> Result<Self, SignatureFileError> {
        if bytes.len() > MAX_FILE {
            return Err(SignatureFileError::TooLarge);
        }
        let text = std::str::from_utf8(bytes)
            .map_err(|_| SignatureFileError::Malformed("not UTF-8".into()))?;
        let wire: Wire = toml::from_str(text)
            .map_err(|e| SignatureFileError::Malformed(e.message().to_string()))?;
        if wire.format != FORMAT {
            return Err(SignatureFileError::Format(
                wire.format.chars().take(40).collect(),
            ));
        }
        let digest = PackageDigest::parse(&wire.digest)
            .map_err(|e| SignatureFileError::Malformed(e.to_string()))?;
        let signature = match wire.scheme {
            Scheme::Ed25519 => STANDARD.decode(wire.signature.trim()).map_err(|_| {
                SignatureFileError::Malformed("ed25519 signature is not base64".into())
            })?,
            Scheme::Openpgp => openpgp_signature(wire.signature)?,
            Scheme::Sigstore => wire.signature.into_bytes(),
        };
        Ok(Self {
            scheme: wire.scheme,
            digest,
            key: wire.key,
            signature,
        })
    }

    /// The file's TOML text.
    pub fn to_toml(&self) -> String {
        let signature = match self.scheme {
            Scheme::Ed25519 => STANDARD.encode(&self.signature),
            Scheme::Openpgp if !is_armoured(&self.signature) => STANDARD.encode(&self.signature),
            Scheme::Openpgp | Scheme::Sigstore => {
                String::from_utf8_lossy(&self.signature).into_owned()
            }
        };
        let wire = Wire {
            format: FORMAT.into(),
            scheme: self.scheme,
            digest: self.digest.to_string(),
            key: self.key.clone(),
            signature,
        };
        // Serialising plain strings cannot fail.
        toml::to_string(&wire).unwrap_or_default()
    }
}

/// Whether OpenPGP signature bytes are ASCII armour (`-----BEGIN PGP …`).
fn is_armoured(bytes: &[u8]) -> bool {
    bytes.trim_ascii_start().starts_with(b"-----BEGIN PGP ")
}

/// An OpenPGP signature as the file carries it: armoured text as is, or the base64 of a
/// binary (unarmoured) signature, as `gpg --detach-sign` writes it, decoded to its packets.
fn openpgp_signature(text: String) -> Result<Vec<u8>, SignatureFileError> {
    if is_armoured(text.as_bytes()) {
        return Ok(text.into_bytes());
    }
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    match STANDARD.decode(compact) {
        Ok(binary) if !binary.is_empty() => Ok(binary),
        _ => Err(SignatureFileError::Malformed(
            "openpgp signature is neither ASCII armour (-----BEGIN PGP SIGNATURE-----) nor the base64 of a binary signature".into(),
        )),
    }
}
