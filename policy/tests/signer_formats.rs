//! What real signers write, end to end through the trust store: `gpg --detach-sign`
//! (binary) carried as base64 in the signature file, cosign's older `--bundle` form whose
//! `cert` is the base64 of the key's PEM, P-384 keys with SHA2_384 bundles, and Ed25519
//! keys in cosign's default Ed25519ph mode. Signatures are made at test time.
//! `cargo test -p faxbot-policy --features openpgp,sigstore`.
#![cfg(all(feature = "openpgp", feature = "sigstore"))]

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::signers::{CosignPublisher, PgpPublisher};
use common::{Raw, package_with};
use faxbot_policy::manifest::ResourceCeilings;
use faxbot_policy::package::{Package, PackageLimits, read_package};
use faxbot_policy::signature::openpgp::OpenPgpCert;
use faxbot_policy::signature::sigstore::SigstoreKey;
use faxbot_policy::signature::{Scheme, SignatureError, SignatureFile};
use faxbot_policy::trust::{
    PublicKey, TierRequirement, TrustError, TrustStore, TrustTier, TrustedKey,
};
use sigstore::crypto::SigningScheme;

fn now_ms() -> u64 {
    u64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_millis(),
    )
    .expect("fits")
}

fn package(extra: &[u8]) -> Package {
    let bytes = package_with(vec![Raw::file("files/data", extra)]);
    read_package(
        &bytes[..],
        &PackageLimits::default(),
        &ResourceCeilings::default(),
    )
    .expect("valid")
}

fn store_with(key: PublicKey) -> TrustStore {
    let mut s = TrustStore::new();
    s.add_key(TrustedKey {
        publisher: "acme".into(),
        tier: TrustTier::Curated,
        key,
        note: String::new(),
    })
    .expect("add");
    s
}

/// Verifies through the signature file's TOML text, as a host reads it.
fn verify_via_file(
    store: &TrustStore,
    p: &Package,
    scheme: Scheme,
    key: &str,
    signature: Vec<u8>,
    now: u64,
) -> Result<(), TrustError> {
    let sig = SignatureFile {
        scheme,
        digest: p.digest(),
        key: key.to_string(),
        signature,
    };
    let parsed = SignatureFile::parse(sig.to_toml().as_bytes()).expect("the file parses");
    store
        .verify(p, Some(&parsed), TierRequirement::CuratedOnly, now)
        .map(|_| ())
}

// ---- OpenPGP: binary and armoured ----

#[test]
fn a_binary_gpg_signature_travels_as_base64_in_the_signature_file_and_verifies() {
    let publisher = PgpPublisher::new(None);
    let p = package(b"binary pgp");
    let binary = publisher.sign_binary(&p.digest());
    assert_ne!(
        binary.first(),
        Some(&b'-'),
        "the signature is binary packets"
    );
    let cert = OpenPgpCert::parse(&publisher.public_armored).expect("cert");
    let store = store_with(PublicKey::Openpgp(Box::new(cert)));
    let file = SignatureFile {
        scheme: Scheme::Openpgp,
        digest: p.digest(),
        key: publisher.fingerprint(),
        signature: binary.clone(),
    };
    let text = file.to_toml();
    assert!(
        text.contains(&STANDARD.encode(&binary)),
        "written as base64: {text}"
    );
    verify_via_file(
        &store,
        &p,
        Scheme::Openpgp,
        &publisher.fingerprint(),
        binary,
        now_ms(),
    )
    .expect("a binary signature verifies");
    // What a publisher writes by hand: `base64 -w0 package.fxp.payload.sig`.
    let by_hand = format!(
        "format = \"faxbot-signature-v1\"\nscheme = \"openpgp\"\ndigest = \"{}\"\nkey = \"{}\"\nsignature = \"{}\"\n",
        p.digest(),
        publisher.fingerprint(),
        STANDARD.encode(publisher.sign_binary(&p.digest()))
    );
    let parsed = SignatureFile::parse(by_hand.as_bytes()).expect("parses");
    store
        .verify(&p, Some(&parsed), TierRequirement::CuratedOnly, now_ms())
        .expect("verifies");
}

#[test]
fn an_armoured_gpg_signature_still_verifies_as_text() {
    let publisher = PgpPublisher::new(None);
    let p = package(b"armoured pgp");
    let cert = OpenPgpCert::parse(&publisher.public_armored).expect("cert");
    let store = store_with(PublicKey::Openpgp(Box::new(cert)));
    let armoured = publisher.sign(&p.digest());
    let text = SignatureFile {
        scheme: Scheme::Openpgp,
        digest: p.digest(),
        key: publisher.fingerprint(),
        signature: armoured.clone(),
    }
    .to_toml();
    assert!(text.contains("BEGIN PGP SIGNATURE"), "{text}");
    verify_via_file(
        &store,
        &p,
        Scheme::Openpgp,
        &publisher.fingerprint(),
        armoured,
        now_ms(),
    )
    .expect("verifies");
}

#[test]
fn a_binary_gpg_signature_over_another_package_is_refused() {
    let publisher = PgpPublisher::new(None);
    let p = package(b"one");
    let other = package(b"two");
    let cert = OpenPgpCert::parse(&publisher.public_armored).expect("cert");
    let store = store_with(PublicKey::Openpgp(Box::new(cert)));
    let e = verify_via_file(
        &store,
        &p,
        Scheme::Openpgp,
        &publisher.fingerprint(),
        publisher.sign_binary(&other.digest()),
        now_ms(),
    )
    .expect_err("refused");
    assert!(
        matches!(
            e,
            TrustError::Signature(SignatureError::BadSignature {
                scheme: Scheme::Openpgp,
                ..
            })
        ),
        "{e}"
    );
}

#[test]
fn an_openpgp_signature_that_is_neither_armour_nor_base64_is_a_malformed_file() {
    let text = "format = \"faxbot-signature-v1\"\nscheme = \"openpgp\"\ndigest = \"sha256:0000000000000000000000000000000000000000000000000000000000000000\"\nkey = \"0123456789ABCDEF\"\nsignature = \"not a signature!\"\n";
    let e = SignatureFile::parse(text.as_bytes()).expect_err("refused");
    assert!(e.to_string().contains("neither ASCII armour"), "{e}");
}

// ---- cosign's older --bundle form ----

fn pem_base64(pem: &str) -> String {
    STANDARD.encode(pem.as_bytes())
}

#[test]
fn cosign_v3_old_bundle_with_the_keys_pem_in_cert_is_key_based_and_verifies() {
    let publisher = CosignPublisher::new();
    let p = package(b"old bundle");
    let key = SigstoreKey::from_pem(&publisher.public_pem).expect("pem");
    let fingerprint = key.fingerprint().to_string();
    let store = store_with(PublicKey::Sigstore(Box::new(key)));
    // `cosign sign-blob --key cosign.key --new-bundle-format=false --bundle out.json`
    let bundle = serde_json::json!({
        "base64Signature": String::from_utf8(publisher.sign_blob(&p.digest())).expect("ascii"),
        "cert": pem_base64(&publisher.public_pem),
        "rekorBundle": {
            "SignedEntryTimestamp": "MEUCIQ==",
            "Payload": { "body": "", "integratedTime": 1, "logIndex": 1, "logID": "00" }
        }
    });
    verify_via_file(
        &store,
        &p,
        Scheme::Sigstore,
        &fingerprint,
        bundle.to_string().into_bytes(),
        now_ms(),
    )
    .expect("key-based, verified with the trusted key");
}

#[test]
fn cosign_old_bundle_carrying_another_key_is_refused_even_if_the_signature_is_good() {
    let publisher = CosignPublisher::new();
    let stranger = CosignPublisher::new();
    let d = package(b"another key").digest();
    let key = SigstoreKey::from_pem(&publisher.public_pem).expect("pem");
    let bundle = serde_json::json!({
        "base64Signature": String::from_utf8(publisher.sign_blob(&d)).expect("ascii"),
        "cert": pem_base64(&stranger.public_pem),
    });
    let e = key
        .verify(&d, bundle.to_string().as_bytes())
        .expect_err("refused");
    assert!(e.to_string().contains("another public key"), "{e}");
}

#[test]
fn cosign_old_bundle_with_a_certificate_is_keyless_and_refused_for_a_key_entry() {
    let publisher = CosignPublisher::new();
    let d = package(b"cert").digest();
    let key = SigstoreKey::from_pem(&publisher.public_pem).expect("pem");
    let bundle = serde_json::json!({
        "base64Signature": String::from_utf8(publisher.sign_blob(&d)).expect("ascii"),
        "cert": pem_base64("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"),
    });
    assert_eq!(
        key.verify(&d, bundle.to_string().as_bytes()),
        Err(SignatureError::KeylessUnsupported)
    );
}

// ---- P-384 / SHA2_384 ----

fn v03_key_bundle(algorithm: &str, digest: &[u8], signature: &[u8]) -> String {
    serde_json::json!({
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": { "publicKey": { "hint": "release" } },
        "messageSignature": {
            "messageDigest": { "algorithm": algorithm, "digest": STANDARD.encode(digest) },
            "signature": STANDARD.encode(signature),
        }
    })
    .to_string()
}

#[test]
fn a_p384_key_based_v03_bundle_with_a_sha2_384_digest_verifies() {
    let publisher = CosignPublisher::with_scheme(SigningScheme::ECDSA_P384_SHA384_ASN1);
    let p = package(b"p384");
    let key = SigstoreKey::from_pem(&publisher.public_pem).expect("pem");
    let fingerprint = key.fingerprint().to_string();
    let payload = p.digest().signing_payload();
    let sha384 = ring::digest::digest(&ring::digest::SHA384, &payload);
    let bundle = v03_key_bundle(
        "SHA2_384",
        sha384.as_ref(),
        &publisher.sign_raw(&p.digest()),
    );
    let store = store_with(PublicKey::Sigstore(Box::new(key)));
    verify_via_file(
        &store,
        &p,
        Scheme::Sigstore,
        &fingerprint,
        bundle.into_bytes(),
        now_ms(),
    )
    .expect("P-384 with SHA2_384 verifies");
}

#[test]
fn a_sha2_384_bundle_digest_of_other_content_is_a_digest_mismatch() {
    let publisher = CosignPublisher::with_scheme(SigningScheme::ECDSA_P384_SHA384_ASN1);
    let d = package(b"p384 one").digest();
    let other = package(b"p384 two").digest();
    let key = SigstoreKey::from_pem(&publisher.public_pem).expect("pem");
    let sha384 = ring::digest::digest(&ring::digest::SHA384, &other.signing_payload());
    let bundle = v03_key_bundle("SHA2_384", sha384.as_ref(), &publisher.sign_raw(&d));
    assert_eq!(
        key.verify(&d, bundle.as_bytes()),
        Err(SignatureError::BundleDigestMismatch)
    );
    let md5 = v03_key_bundle("MD5", &[0; 16], &publisher.sign_raw(&d));
    let e = key
        .verify(&d, md5.as_bytes())
        .expect_err("unknown algorithm");
    assert!(e.to_string().contains("`MD5`"), "{e}");
}

// ---- Ed25519 and Ed25519ph ----

fn ed25519_pem(key: &ed25519_dalek::VerifyingKey) -> String {
    let mut der = vec![
        0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
    ];
    der.extend_from_slice(key.as_bytes());
    format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        STANDARD.encode(der)
    )
}

fn ed25519_key(seed: u8) -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&[seed; 32])
}

#[test]
fn an_ed25519ph_signature_as_cosign_makes_by_default_verifies() {
    use ed25519_dalek::{Digest, Sha512};
    let signer = ed25519_key(7);
    let p = package(b"ed25519ph");
    let key = SigstoreKey::from_pem(&ed25519_pem(&signer.verifying_key())).expect("pem");
    let fingerprint = key.fingerprint().to_string();
    let mut prehash = Sha512::new();
    prehash.update(p.digest().signing_payload());
    let sig = signer.sign_prehashed(prehash, None).expect("sign");
    let store = store_with(PublicKey::Sigstore(Box::new(key)));
    verify_via_file(
        &store,
        &p,
        Scheme::Sigstore,
        &fingerprint,
        STANDARD.encode(sig.to_bytes()).into_bytes(),
        now_ms(),
    )
    .expect("Ed25519ph verifies");
}

#[test]
fn a_pure_ed25519_cosign_signature_verifies() {
    use ed25519_dalek::Signer;
    let signer = ed25519_key(8);
    let d = package(b"ed25519 pure").digest();
    let key = SigstoreKey::from_pem(&ed25519_pem(&signer.verifying_key())).expect("pem");
    let sig = signer.sign(&d.signing_payload());
    key.verify(&d, STANDARD.encode(sig.to_bytes()).as_bytes())
        .expect("pure Ed25519 verifies");
}

#[test]
fn an_ed25519ph_signature_with_a_context_or_over_other_content_is_refused() {
    use ed25519_dalek::{Digest, Sha512};
    let signer = ed25519_key(9);
    let d = package(b"ph one").digest();
    let other = package(b"ph two").digest();
    let key = SigstoreKey::from_pem(&ed25519_pem(&signer.verifying_key())).expect("pem");
    let mut prehash = Sha512::new();
    prehash.update(other.signing_payload());
    let sig = signer.sign_prehashed(prehash, None).expect("sign");
    assert!(matches!(
        key.verify(&d, STANDARD.encode(sig.to_bytes()).as_bytes()),
        Err(SignatureError::BadSignature { .. })
    ));
    let mut prehash = Sha512::new();
    prehash.update(d.signing_payload());
    let with_context = signer
        .sign_prehashed(prehash, Some(b"other context"))
        .expect("sign");
    assert!(matches!(
        key.verify(&d, STANDARD.encode(with_context.to_bytes()).as_bytes()),
        Err(SignatureError::BadSignature { .. })
    ));
}
