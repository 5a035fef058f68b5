//! Key identities: the one canonical form of every way an operator or a tool spells "this
//! key", so a revocation matches however it was written.
//!
//! Accepted spellings (letter case and, for OpenPGP, spaces do not matter):
//!
//! | spelling | identity |
//! |---|---|
//! | `ed25519:` + 32 hex digits | an Ed25519 fingerprint |
//! | `ed25519:` + base64 of the 32-byte public key | that key's fingerprint |
//! | `sigstore:` + 32 hex digits | a Sigstore key fingerprint |
//! | a PEM public key (`-----BEGIN PUBLIC KEY-----`) | that key's Sigstore fingerprint |
//! | 40 or 64 hex digits, optionally `openpgp:` or `0x` first, spaces anywhere (as `gpg --fingerprint` prints them) | an OpenPGP v4 or v6 fingerprint, of a primary key or a subkey |
//! | 16 hex digits, the same decorations | an OpenPGP key id (of a primary key or a subkey) |
//! | `sigstore-identity:` + a certificate identity (SAN), exactly | a keyless Sigstore publisher |
//!
//! Anything else names no key and is refused, never kept as a string that matches nothing.

use crate::package::sha256;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::fmt;

/// One key, in its canonical form.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyIdentity {
    /// `ed25519:<hex of the first 16 bytes of SHA-256 of the public key>`.
    Ed25519([u8; 16]),
    /// `sigstore:<hex of the first 16 bytes of SHA-256 of the public key's DER>`.
    Sigstore([u8; 16]),
    /// An OpenPGP fingerprint (20 bytes for v4, 32 for v6), primary key or subkey.
    OpenpgpFingerprint(Vec<u8>),
    /// An OpenPGP key id (8 bytes), primary key or subkey.
    OpenpgpKeyId([u8; 8]),
    /// A keyless Sigstore publisher's certificate identity (SAN), exactly as written.
    SigstoreIdentity(String),
}

/// A spelling that names no key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{shown}` names no key: {why}")]
pub struct KeyIdentityError {
    /// The text, escaped and shortened.
    pub shown: String,
    /// What would have been accepted.
    pub why: &'static str,
}

const FORMS: &str = "give ed25519:<32 hex digits or base64 public key>, sigstore:<32 hex digits> or a PEM public key, an OpenPGP fingerprint (40 or 64 hex digits) or key id (16 hex digits), or sigstore-identity:<SAN> (or the exact sigstore_identity of a keyless [[key]])";

impl KeyIdentity {
    /// Parses any accepted spelling.
    pub fn parse(text: &str) -> Result<Self, KeyIdentityError> {
        let refuse = |why| KeyIdentityError {
            shown: text.chars().take(80).flat_map(char::escape_debug).collect(),
            why,
        };
        let trimmed = text.trim();
        if trimmed.starts_with("-----BEGIN PUBLIC KEY-----") {
            return pem_der(trimmed)
                .map(|der| KeyIdentity::Sigstore(first16(&sha256(&der))))
                .ok_or_else(|| refuse("the PEM public key does not decode"));
        }
        if let Some(rest) = strip_prefix_ignore_case(trimmed, "ed25519:") {
            if let Some(fp) = hex_bytes::<16>(rest) {
                return Ok(KeyIdentity::Ed25519(fp));
            }
            return match STANDARD.decode(rest) {
                Ok(key) if key.len() == 32 => Ok(KeyIdentity::Ed25519(first16(&sha256(&key)))),
                _ => Err(refuse(
                    "after `ed25519:` give 32 hex digits (a fingerprint) or the base64 of the 32-byte public key",
                )),
            };
        }
        if let Some(rest) = strip_prefix_ignore_case(trimmed, "sigstore-identity:") {
            return if rest.is_empty() || rest.trim() != rest {
                Err(refuse(
                    "after `sigstore-identity:` give the certificate identity (SAN) exactly",
                ))
            } else {
                Ok(KeyIdentity::SigstoreIdentity(rest.to_string()))
            };
        }
        if let Some(rest) = strip_prefix_ignore_case(trimmed, "sigstore:") {
            return hex_bytes::<16>(rest)
                .map(KeyIdentity::Sigstore)
                .ok_or_else(|| refuse("after `sigstore:` give 32 hex digits (a fingerprint)"));
        }
        let openpgp = strip_prefix_ignore_case(trimmed, "openpgp:").unwrap_or(trimmed);
        let openpgp = strip_prefix_ignore_case(openpgp, "0x").unwrap_or(openpgp);
        let digits: String = openpgp.chars().filter(|c| !c.is_whitespace()).collect();
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) || digits.is_empty() {
            return Err(refuse(FORMS));
        }
        match digits.len() {
            16 => hex_bytes::<8>(&digits).map(KeyIdentity::OpenpgpKeyId),
            40 | 64 => hex::decode(&digits).ok().map(KeyIdentity::OpenpgpFingerprint),
            32 => {
                return Err(refuse(
                    "32 hex digits are an Ed25519 or Sigstore fingerprint: write the `ed25519:` or `sigstore:` prefix",
                ));
            }
            _ => None,
        }
        .ok_or_else(|| refuse(FORMS))
    }

    /// The OpenPGP key id a fingerprint has (the last 8 bytes of a v4 fingerprint, the
    /// first 8 of a v6 one); `None` for other identities.
    pub fn openpgp_key_id(&self) -> Option<KeyIdentity> {
        let KeyIdentity::OpenpgpFingerprint(fp) = self else {
            return None;
        };
        let id = match fp.len() {
            20 => &fp[12..],
            32 => &fp[..8],
            _ => return None,
        };
        id.try_into().ok().map(KeyIdentity::OpenpgpKeyId)
    }
}

impl fmt::Display for KeyIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyIdentity::Ed25519(fp) => write!(f, "ed25519:{}", hex::encode(fp)),
            KeyIdentity::Sigstore(fp) => write!(f, "sigstore:{}", hex::encode(fp)),
            KeyIdentity::OpenpgpFingerprint(fp) => f.write_str(&hex::encode_upper(fp)),
            KeyIdentity::OpenpgpKeyId(id) => f.write_str(&hex::encode_upper(id)),
            KeyIdentity::SigstoreIdentity(san) => write!(f, "sigstore-identity:{san}"),
        }
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

fn hex_bytes<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.len() != N * 2 {
        return None;
    }
    hex::decode(text).ok()?.try_into().ok()
}

fn first16(hash: &[u8; 32]) -> [u8; 16] {
    let mut out = [0u8; 16];
    out.copy_from_slice(&hash[..16]);
    out
}

/// The DER inside a PEM block.
pub(crate) fn pem_der(pem: &str) -> Option<Vec<u8>> {
    let body: String = pem
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("-----"))
        .collect();
    STANDARD.decode(body).ok().filter(|der| !der.is_empty())
}
