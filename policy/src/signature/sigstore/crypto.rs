//! Signature verification with a public key given as DER SubjectPublicKeyInfo, as the
//! trusted root and certificates carry them: ECDSA P-256/P-384, Ed25519, RSA PKCS#1 v1.5
//! (ring).

use super::der;
use ring::signature::{self, UnparsedPublicKey, VerificationAlgorithm};

/// The hash a signature was made with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

const EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
const ED25519: &[u8] = &[0x2b, 0x65, 0x70];
const RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

/// The key kinds verified here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyKind {
    P256,
    P384,
    Ed25519,
    Rsa,
}

impl KeyKind {
    /// The hash Sigstore pairs with the key for artifact signatures.
    pub(crate) fn default_hash(self) -> Hash {
        match self {
            KeyKind::P384 => Hash::Sha384,
            KeyKind::P256 | KeyKind::Rsa | KeyKind::Ed25519 => Hash::Sha256,
        }
    }
}

/// Splits a SubjectPublicKeyInfo into its key kind and key bytes.
pub(crate) fn parse_spki(spki: &[u8]) -> Result<(KeyKind, &[u8]), String> {
    let bad = || "public key is not a DER SubjectPublicKeyInfo".to_string();
    let outer = der::read_one(spki)
        .filter(|t| t.tag == 0x30)
        .ok_or_else(bad)?;
    let parts = der::children(outer.content).ok_or_else(bad)?;
    let [alg, key] = parts.as_slice() else {
        return Err(bad());
    };
    let alg_parts = der::children(alg.content).ok_or_else(bad)?;
    let oid = alg_parts
        .first()
        .filter(|t| t.tag == 0x06)
        .ok_or_else(bad)?;
    if key.tag != 0x03 || key.content.first() != Some(&0) {
        return Err(bad());
    }
    let bits = &key.content[1..];
    let kind = match oid.content {
        EC_PUBLIC_KEY => match alg_parts.get(1).map(|p| p.content) {
            Some(P256) => KeyKind::P256,
            Some(P384) => KeyKind::P384,
            _ => return Err("an ECDSA key on a curve other than P-256 or P-384".into()),
        },
        ED25519 => KeyKind::Ed25519,
        RSA => KeyKind::Rsa,
        _ => return Err("a public key of an unsupported algorithm".into()),
    };
    Ok((kind, bits))
}

/// Verifies `signature` over `message` with the key, hashing with `hash`.
pub(crate) fn verify(
    spki: &[u8],
    hash: Hash,
    message: &[u8],
    signature: &[u8],
) -> Result<(), String> {
    let (kind, key) = parse_spki(spki)?;
    let alg: &'static dyn VerificationAlgorithm = match (kind, hash) {
        (KeyKind::P256, Hash::Sha256) => &signature::ECDSA_P256_SHA256_ASN1,
        (KeyKind::P256, Hash::Sha384) => &signature::ECDSA_P256_SHA384_ASN1,
        (KeyKind::P384, Hash::Sha256) => &signature::ECDSA_P384_SHA256_ASN1,
        (KeyKind::P384, Hash::Sha384) => &signature::ECDSA_P384_SHA384_ASN1,
        (KeyKind::Ed25519, _) => &signature::ED25519,
        (KeyKind::Rsa, Hash::Sha256) => &signature::RSA_PKCS1_2048_8192_SHA256,
        (KeyKind::Rsa, Hash::Sha384) => &signature::RSA_PKCS1_2048_8192_SHA384,
        (KeyKind::Rsa, Hash::Sha512) => &signature::RSA_PKCS1_2048_8192_SHA512,
        (kind, hash) => return Err(format!("{kind:?} keys with {hash:?} are not verified")),
    };
    UnparsedPublicKey::new(alg, key)
        .verify(message, signature)
        .map_err(|_| "the signature does not verify".to_string())
}

/// The hash a certificate or CMS signature algorithm OID names.
pub(crate) fn signature_algorithm_hash(oid: &[u8]) -> Option<Hash> {
    // ecdsa-with-SHA256/384/512, sha256/384/512WithRSAEncryption, Ed25519.
    match oid {
        [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02] => Some(Hash::Sha256),
        [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03] => Some(Hash::Sha384),
        [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04] => Some(Hash::Sha512),
        [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b] => Some(Hash::Sha256),
        [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c] => Some(Hash::Sha384),
        [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d] => Some(Hash::Sha512),
        ED25519 => Some(Hash::Sha512),
        _ => None,
    }
}

/// The digest of `data`.
pub(crate) fn digest(hash: Hash, data: &[u8]) -> Vec<u8> {
    let alg = match hash {
        Hash::Sha256 => &ring::digest::SHA256,
        Hash::Sha384 => &ring::digest::SHA384,
        Hash::Sha512 => &ring::digest::SHA512,
    };
    ring::digest::digest(alg, data).as_ref().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::rand::SystemRandom;
    use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};

    fn p256_spki(point: &[u8]) -> Vec<u8> {
        let alg = der::encode(
            0x30,
            &[der::encode(0x06, EC_PUBLIC_KEY), der::encode(0x06, P256)].concat(),
        );
        let mut bits = vec![0];
        bits.extend_from_slice(point);
        der::encode(0x30, &[alg, der::encode(0x03, &bits)].concat())
    }

    #[test]
    fn an_ecdsa_signature_verifies_only_over_its_message() {
        let rng = SystemRandom::new();
        let pkcs8 =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).expect("key");
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng)
            .expect("pair");
        let spki = p256_spki(pair.public_key().as_ref());
        let sig = pair.sign(&rng, b"message").expect("sign");
        assert_eq!(parse_spki(&spki).expect("spki").0, KeyKind::P256);
        verify(&spki, Hash::Sha256, b"message", sig.as_ref()).expect("verifies");
        assert!(verify(&spki, Hash::Sha256, b"massage", sig.as_ref()).is_err());
        assert!(parse_spki(b"\x30\x00").is_err());
    }
}
