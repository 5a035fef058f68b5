//! Signatures in all three schemes, the trust store's verdicts with their precise reasons,
//! revocation at start, and the marketplace rules. The OpenPGP and Sigstore tests need
//! faxbot-policy's `openpgp` and `sigstore` features (`cargo test -p faxbot-policy
//! --all-features`, or the workspace's tests, where cargo-faxbot turns them on); without
//! them, the tests of the lean build check that those schemes are refused by name.

mod common;

#[cfg(feature = "sigstore")]
use common::signers::CosignPublisher;
#[cfg(feature = "openpgp")]
use common::signers::PgpPublisher;
use common::{MANIFEST, Raw, package_with};
use faxbot_policy::manifest::ResourceCeilings;
use faxbot_policy::marketplace::{
    InstallSource, Listing, MarketplaceDenial, MarketplaceSettings, Tenant, check_install,
    check_visible, visible_listings,
};
use faxbot_policy::package::{Package, PackageDigest, PackageLimits, read_package};
use faxbot_policy::signature::ed25519::{Ed25519Keypair, Ed25519PublicKey};
#[cfg(feature = "openpgp")]
use faxbot_policy::signature::openpgp::OpenPgpCert;
#[cfg(feature = "sigstore")]
use faxbot_policy::signature::sigstore::{SigstoreKey, key_bundle_json};
use faxbot_policy::signature::{Scheme, SignatureError, SignatureFile};
use faxbot_policy::trust::{
    PublicKey, TierRequirement, TrustError, TrustStore, TrustTier, TrustedKey,
};
use std::time::{SystemTime, UNIX_EPOCH};

fn now_ms() -> u64 {
    u64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
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

fn store_with(key: PublicKey, tier: TrustTier) -> TrustStore {
    let mut s = TrustStore::new();
    s.add_key(TrustedKey {
        publisher: "acme".into(),
        tier,
        key,
        note: String::new(),
    })
    .expect("add");
    s
}

const ANY: TierRequirement = TierRequirement::Any;

// ---- Ed25519 ----

#[test]
fn ed25519_signature_verifies_and_survives_the_signature_file() {
    let key = Ed25519Keypair::generate().expect("rng");
    let p = package(b"a");
    let sig = SignatureFile::ed25519(&key, &p.digest());
    let parsed = SignatureFile::parse(sig.to_toml().as_bytes()).expect("parses");
    assert_eq!(parsed, sig);
    let store = store_with(PublicKey::Ed25519(key.public_key()), TrustTier::Curated);
    let v = store
        .verify(&p, Some(&parsed), TierRequirement::CuratedOnly, now_ms())
        .expect("trusted");
    assert_eq!(v.key, key.public_key().fingerprint());
    assert_eq!(v.scheme, Scheme::Ed25519);
    assert_eq!(v.publisher, "acme");
}

#[test]
fn ed25519_keys_round_trip_through_pem_and_text() {
    let key = Ed25519Keypair::generate().expect("rng");
    let pem = key.to_pkcs8_pem().expect("pem");
    let again = Ed25519Keypair::from_pkcs8_pem(&pem).expect("parse");
    assert_eq!(again.public_key(), key.public_key());
    let text = key.public_key().to_string();
    assert!(text.starts_with("ed25519:"));
    assert_eq!(
        Ed25519PublicKey::parse(&text).expect("parse"),
        key.public_key()
    );
    assert!(
        !format!("{key:?}").contains(pem.as_str()),
        "Debug never shows the private key"
    );
}

#[test]
fn ed25519_signature_by_another_key_or_over_another_package_is_bad() {
    let key = Ed25519Keypair::generate().expect("rng");
    let other = Ed25519Keypair::generate().expect("rng");
    let d = package(b"a").digest();
    let sig = key.sign(&d);
    assert!(key.public_key().verify(&d, &sig).is_ok());
    assert!(matches!(
        other.public_key().verify(&d, &sig),
        Err(SignatureError::BadSignature { .. })
    ));
    let d2 = package(b"b").digest();
    assert!(matches!(
        key.public_key().verify(&d2, &sig),
        Err(SignatureError::BadSignature { .. })
    ));
    let mut flipped = sig;
    flipped[10] ^= 1;
    assert!(key.public_key().verify(&d, &flipped).is_err());
    assert!(matches!(
        key.public_key().verify(&d, &sig[..63]),
        Err(SignatureError::Malformed { .. })
    ));
}

#[test]
fn malformed_and_weak_ed25519_public_keys_are_refused() {
    assert!(Ed25519PublicKey::parse("ed25519:AAAA").is_err());
    assert!(Ed25519PublicKey::parse("rsa:AAAA").is_err());
    // The identity point has small order: anything "verifies" under weak keys.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    use base64::Engine;
    let text = format!(
        "ed25519:{}",
        base64::engine::general_purpose::STANDARD.encode(identity)
    );
    assert!(Ed25519PublicKey::parse(&text).is_err());
}

// ---- OpenPGP ----

#[cfg(feature = "openpgp")]
#[test]
fn openpgp_detached_signature_verifies_through_the_trust_store() {
    let publisher = PgpPublisher::new(None);
    let p = package(b"pgp");
    let sig = SignatureFile {
        scheme: Scheme::Openpgp,
        digest: p.digest(),
        key: publisher.fingerprint(),
        signature: publisher.sign(&p.digest()),
    };
    let parsed = SignatureFile::parse(sig.to_toml().as_bytes()).expect("parses");
    let cert = OpenPgpCert::parse(&publisher.public_armored).expect("cert");
    assert_eq!(cert.fingerprint(), publisher.fingerprint());
    let store = store_with(PublicKey::Openpgp(Box::new(cert)), TrustTier::Verified);
    let v = store
        .verify(
            &p,
            Some(&parsed),
            TierRequirement::VerifiedOrCurated,
            now_ms(),
        )
        .expect("trusted");
    assert_eq!(v.scheme, Scheme::Openpgp);
}

#[cfg(feature = "openpgp")]
#[test]
fn openpgp_signature_by_another_certificate_is_refused_with_the_reason() {
    let publisher = PgpPublisher::new(None);
    let impostor = PgpPublisher::new(None);
    let d = package(b"pgp").digest();
    let cert = OpenPgpCert::parse(&publisher.public_armored).expect("cert");
    let e = cert
        .verify(&d, &impostor.sign(&d), now_ms())
        .expect_err("impostor");
    assert!(
        e.to_string().contains("not in the publisher's certificate"),
        "{e}"
    );
    let e = cert
        .verify(&package(b"other").digest(), &publisher.sign(&d), now_ms())
        .expect_err("other package");
    assert!(matches!(e, SignatureError::BadSignature { .. }), "{e}");
}

#[cfg(feature = "openpgp")]
#[test]
fn openpgp_signature_from_an_expired_key_is_refused() {
    let publisher = PgpPublisher::new(Some(std::time::Duration::from_secs(3600)));
    let d = package(b"pgp").digest();
    let sig = publisher.sign(&d);
    let cert = OpenPgpCert::parse(&publisher.public_armored).expect("cert");
    assert!(cert.verify(&d, &sig, now_ms()).is_ok());
    let in_a_year = now_ms() + 365 * 24 * 3600 * 1000;
    let e = cert.verify(&d, &sig, in_a_year).expect_err("expired");
    assert!(matches!(e, SignatureError::BadSignature { .. }), "{e}");
}

#[cfg(feature = "openpgp")]
#[test]
fn a_certificate_with_secret_keys_is_refused_for_the_trust_store() {
    let publisher = PgpPublisher::new(None);
    use sequoia_openpgp::serialize::SerializeInto;
    let tsk = publisher.cert.as_tsk().armored().to_vec().expect("tsk");
    assert!(matches!(
        OpenPgpCert::parse(&tsk),
        Err(SignatureError::Malformed { .. })
    ));
    assert!(OpenPgpCert::parse(b"not a cert").is_err());
}

// ---- Sigstore ----

#[cfg(feature = "sigstore")]
#[test]
fn cosign_blob_signature_verifies_with_the_publishers_key() {
    let publisher = CosignPublisher::new();
    let p = package(b"cosign");
    let key = SigstoreKey::from_pem(&publisher.public_pem).expect("pem");
    assert!(
        key.verify(&p.digest(), &publisher.sign_blob(&p.digest()))
            .is_ok()
    );
    let sig = SignatureFile {
        scheme: Scheme::Sigstore,
        digest: p.digest(),
        key: key.fingerprint().to_string(),
        signature: publisher.sign_blob(&p.digest()),
    };
    let store = store_with(PublicKey::Sigstore(Box::new(key)), TrustTier::Curated);
    store
        .verify(
            &p,
            Some(&SignatureFile::parse(sig.to_toml().as_bytes()).expect("parse")),
            TierRequirement::CuratedOnly,
            now_ms(),
        )
        .expect("trusted");
}

#[cfg(feature = "sigstore")]
#[test]
fn a_key_based_sigstore_bundle_verifies_and_a_tampered_one_does_not() {
    let publisher = CosignPublisher::new();
    let d = package(b"bundle").digest();
    let key = SigstoreKey::from_pem(&publisher.public_pem).expect("pem");
    let bundle = key_bundle_json(&d, &publisher.sign_raw(&d), key.fingerprint());
    assert!(key.verify(&d, bundle.as_bytes()).is_ok());
    let other = package(b"other").digest();
    assert_eq!(
        key.verify(&other, bundle.as_bytes()),
        Err(SignatureError::BundleDigestMismatch)
    );
    let wrong_sig = key_bundle_json(&d, &publisher.sign_raw(&other), key.fingerprint());
    assert!(matches!(
        key.verify(&d, wrong_sig.as_bytes()),
        Err(SignatureError::BadSignature { .. })
    ));
    let old_form = serde_json::json!({
        "base64Signature": String::from_utf8(publisher.sign_blob(&d)).expect("ascii"),
        "cert": "",
    });
    assert!(key.verify(&d, old_form.to_string().as_bytes()).is_ok());
}

#[cfg(feature = "sigstore")]
#[test]
fn keyless_sigstore_bundles_presented_for_a_key_entry_are_refused() {
    let publisher = CosignPublisher::new();
    let d = package(b"keyless").digest();
    let key = SigstoreKey::from_pem(&publisher.public_pem).expect("pem");
    let keyless = serde_json::json!({
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": { "certificate": { "rawBytes": "MIIB" }, "tlogEntries": [] },
        "messageSignature": { "signature": "AAAA" }
    });
    assert_eq!(
        key.verify(&d, keyless.to_string().as_bytes()),
        Err(SignatureError::KeylessUnsupported)
    );
    let old_keyless = serde_json::json!({ "base64Signature": "AAAA", "cert": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUIKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=" });
    assert_eq!(
        key.verify(&d, old_keyless.to_string().as_bytes()),
        Err(SignatureError::KeylessUnsupported)
    );
    let dsse = serde_json::json!({
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": { "publicKey": { "hint": "x" } },
        "dsseEnvelope": { "payload": "", "signatures": [] }
    });
    assert!(matches!(
        key.verify(&d, dsse.to_string().as_bytes()),
        Err(SignatureError::UnsupportedBundle(_))
    ));
}

#[cfg(feature = "sigstore")]
#[test]
fn a_cosign_signature_by_another_key_is_refused() {
    let publisher = CosignPublisher::new();
    let impostor = CosignPublisher::new();
    let d = package(b"x").digest();
    let key = SigstoreKey::from_pem(&publisher.public_pem).expect("pem");
    assert!(matches!(
        key.verify(&d, &impostor.sign_blob(&d)),
        Err(SignatureError::BadSignature { .. })
    ));
    assert!(matches!(
        key.verify(&d, b"!!!"),
        Err(SignatureError::Malformed { .. })
    ));
    assert!(
        SigstoreKey::from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----")
            .is_err()
    );
}

// ---- a lean build: schemes whose feature is off ----

#[cfg(not(feature = "openpgp"))]
#[test]
fn an_openpgp_signed_package_is_refused_by_a_build_without_the_openpgp_feature() {
    let f = fixture(TrustTier::Curated);
    let sig = SignatureFile {
        scheme: Scheme::Openpgp,
        digest: f.package.digest(),
        key: "0123456789ABCDEF0123456789ABCDEF01234567".into(),
        signature: b"-----BEGIN PGP SIGNATURE-----".to_vec(),
    };
    let parsed = SignatureFile::parse(sig.to_toml().as_bytes()).expect("the file still parses");
    let e = f
        .store
        .verify(&f.package, Some(&parsed), ANY, 0)
        .expect_err("refused");
    assert_eq!(
        e,
        TrustError::Signature(SignatureError::SchemeNotBuilt {
            scheme: Scheme::Openpgp,
            feature: "openpgp"
        })
    );
    assert!(e.to_string().contains("`openpgp` feature"), "{e}");
}

#[cfg(not(feature = "sigstore"))]
#[test]
fn a_sigstore_signed_package_is_refused_by_a_build_without_the_sigstore_feature() {
    let f = fixture(TrustTier::Curated);
    let mut sig = f.sig.clone();
    sig.scheme = Scheme::Sigstore;
    let e = f
        .store
        .verify(&f.package, Some(&sig), ANY, 0)
        .expect_err("refused");
    assert_eq!(
        e,
        TrustError::Signature(SignatureError::SchemeNotBuilt {
            scheme: Scheme::Sigstore,
            feature: "sigstore"
        })
    );
    assert!(e.to_string().contains("`sigstore` feature"), "{e}");
}

#[cfg(not(any(feature = "openpgp", feature = "sigstore")))]
#[test]
fn a_trust_store_with_keys_this_build_cannot_use_is_refused_naming_the_features() {
    let text = r#"
[[key]]
publisher = "acme"
tier = "curated"
openpgp = """-----BEGIN PGP PUBLIC KEY BLOCK-----"""

[[key]]
publisher = "acme"
tier = "curated"
sigstore = """-----BEGIN PUBLIC KEY-----"""
"#;
    let e = TrustStore::parse(text).expect_err("refused, not silently dropped");
    assert_eq!(e.0.len(), 2, "{e}");
    assert!(
        e.0[0].starts_with("key[0]: ") && e.0[0].contains("`openpgp` feature"),
        "{e}"
    );
    assert!(
        e.0[1].starts_with("key[1]: ") && e.0[1].contains("`sigstore` feature"),
        "{e}"
    );
}

// ---- the trust store's verdicts ----

struct Fixture {
    key: Ed25519Keypair,
    package: Package,
    sig: SignatureFile,
    store: TrustStore,
}

fn fixture(tier: TrustTier) -> Fixture {
    let key = Ed25519Keypair::generate().expect("rng");
    let package = package(b"fixture");
    let sig = SignatureFile::ed25519(&key, &package.digest());
    let store = store_with(PublicKey::Ed25519(key.public_key()), tier);
    Fixture {
        key,
        package,
        sig,
        store,
    }
}

#[test]
fn an_unsigned_package_is_refused() {
    let f = fixture(TrustTier::Curated);
    assert_eq!(
        f.store.verify(&f.package, None, ANY, 0),
        Err(TrustError::Unsigned(f.package.digest()))
    );
}

#[test]
fn a_signature_by_an_unknown_key_is_refused() {
    let f = fixture(TrustTier::Curated);
    let stranger = Ed25519Keypair::generate().expect("rng");
    let sig = SignatureFile::ed25519(&stranger, &f.package.digest());
    assert_eq!(
        f.store.verify(&f.package, Some(&sig), ANY, 0),
        Err(TrustError::UnknownKey(stranger.public_key().fingerprint()))
    );
}

#[test]
fn a_signature_for_another_package_is_a_digest_mismatch() {
    let f = fixture(TrustTier::Curated);
    let other = package(b"other");
    let sig = SignatureFile::ed25519(&f.key, &other.digest());
    assert_eq!(
        f.store.verify(&f.package, Some(&sig), ANY, 0),
        Err(TrustError::DigestMismatch {
            signed: other.digest(),
            actual: f.package.digest()
        })
    );
}

#[test]
fn a_signature_file_lying_about_its_digest_fails_verification() {
    let f = fixture(TrustTier::Curated);
    let other = package(b"other");
    let mut sig = SignatureFile::ed25519(&f.key, &other.digest());
    sig.digest = f.package.digest();
    assert!(matches!(
        f.store.verify(&f.package, Some(&sig), ANY, 0),
        Err(TrustError::Signature(SignatureError::BadSignature {
            scheme: Scheme::Ed25519,
            ..
        }))
    ));
}

#[test]
fn a_revoked_key_is_refused() {
    let mut f = fixture(TrustTier::Curated);
    f.store
        .revoke_key(&f.key.public_key().fingerprint())
        .expect("a fingerprint");
    assert_eq!(
        f.store.verify(&f.package, Some(&f.sig), ANY, 0),
        Err(TrustError::RevokedKey(f.key.public_key().fingerprint()))
    );
}

#[test]
fn a_revoked_package_is_refused_even_with_a_good_signature() {
    let mut f = fixture(TrustTier::Curated);
    f.store.revoke_package(f.package.digest());
    assert_eq!(
        f.store.verify(&f.package, Some(&f.sig), ANY, 0),
        Err(TrustError::RevokedPackage(f.package.digest()))
    );
}

#[test]
fn a_key_below_the_required_tier_is_refused() {
    let f = fixture(TrustTier::Community);
    assert!(matches!(
        f.store
            .verify(&f.package, Some(&f.sig), TierRequirement::CuratedOnly, 0),
        Err(TrustError::TierNotAllowed {
            tier: TrustTier::Community,
            required: TierRequirement::CuratedOnly,
            ..
        })
    ));
    assert!(f.store.verify(&f.package, Some(&f.sig), ANY, 0).is_ok());
    assert!(TierRequirement::VerifiedOrCurated.allows(TrustTier::Verified));
    assert!(!TierRequirement::VerifiedOrCurated.allows(TrustTier::Community));
    assert!(!TierRequirement::default().allows(TrustTier::Verified));
}

#[test]
fn a_key_of_another_publisher_cannot_sign_for_this_one() {
    let key = Ed25519Keypair::generate().expect("rng");
    let mut store = TrustStore::new();
    store
        .add_key(TrustedKey {
            publisher: "rival".into(),
            tier: TrustTier::Curated,
            key: PublicKey::Ed25519(key.public_key()),
            note: String::new(),
        })
        .expect("add");
    let p = package(b"x");
    let sig = SignatureFile::ed25519(&key, &p.digest());
    assert!(matches!(
        store.verify(&p, Some(&sig), ANY, 0),
        Err(TrustError::PublisherMismatch { .. })
    ));
}

#[cfg(feature = "sigstore")]
#[test]
fn a_signature_claiming_another_scheme_than_its_key_is_refused() {
    let f = fixture(TrustTier::Curated);
    let mut sig = f.sig.clone();
    sig.scheme = Scheme::Sigstore;
    assert!(matches!(
        f.store.verify(&f.package, Some(&sig), ANY, 0),
        Err(TrustError::SchemeMismatch { .. })
    ));
}

#[test]
fn revocation_after_install_stops_the_plugin_at_its_next_start() {
    let mut f = fixture(TrustTier::Curated);
    let verified = f
        .store
        .verify(&f.package, Some(&f.sig), TierRequirement::CuratedOnly, 0)
        .expect("installed");
    assert_eq!(
        f.store.recheck(&verified, TierRequirement::CuratedOnly),
        Ok(())
    );
    f.store.revoke_package(f.package.digest());
    assert_eq!(
        f.store.recheck(&verified, TierRequirement::CuratedOnly),
        Err(TrustError::RevokedPackage(f.package.digest()))
    );
    let mut g = fixture(TrustTier::Curated);
    let verified = g
        .store
        .verify(&g.package, Some(&g.sig), ANY, 0)
        .expect("installed");
    g.store.revoke_key(&verified.key).expect("a fingerprint");
    assert_eq!(
        g.store.recheck(&verified, ANY),
        Err(TrustError::RevokedKey(verified.key.clone()))
    );
    let empty = TrustStore::new();
    assert!(
        matches!(
            empty.recheck(&verified, ANY),
            Err(TrustError::UnknownKey(_))
        ),
        "a removed key stops it too"
    );
}

#[cfg(all(feature = "openpgp", feature = "sigstore"))]
#[test]
fn the_trust_store_file_parses_all_three_key_kinds_and_revocations() {
    let ed = Ed25519Keypair::generate().expect("rng");
    let pgp = PgpPublisher::new(None);
    let cosign = CosignPublisher::new();
    let revoked = package(b"bad").digest();
    let text = format!(
        r#"
[[key]]
publisher = "acme"
tier = "curated"
ed25519 = "{}"
note = "release key"

[[key]]
publisher = "acme"
tier = "verified"
openpgp = """{}"""

[[key]]
publisher = "globex"
tier = "community"
sigstore = """{}"""

[revoked]
keys = ["ed25519:00112233445566778899aabbccddeeff"]
packages = ["{revoked}"]
"#,
        ed.public_key(),
        String::from_utf8(pgp.public_armored.clone()).expect("ascii"),
        cosign.public_pem,
    );
    let store = TrustStore::parse(&text).expect("parses");
    assert_eq!(store.keys().len(), 3);
    assert_eq!(
        store.keys()[&ed.public_key().fingerprint()].tier,
        TrustTier::Curated
    );
    assert_eq!(store.keys()[&pgp.fingerprint()].tier, TrustTier::Verified);
    let p = package(b"bad");
    assert_eq!(p.digest(), revoked);
    let sig = SignatureFile::ed25519(&ed, &p.digest());
    assert_eq!(
        store.verify(&p, Some(&sig), ANY, 0),
        Err(TrustError::RevokedPackage(revoked))
    );
}

#[test]
fn a_broken_trust_store_file_lists_every_problem() {
    let text = r#"
[[key]]
publisher = "acme"
tier = "curated"
ed25519 = "ed25519:nope"

[[key]]
publisher = "acme"
tier = "curated"

[revoked]
packages = ["md5:abc"]
"#;
    let e = TrustStore::parse(text).expect_err("broken");
    assert_eq!(e.0.len(), 3, "{e}");
    assert!(e.0[0].starts_with("key[0]"), "{e}");
    assert!(e.0[1].starts_with("key[1]: give exactly one"), "{e}");
    assert!(e.0[2].starts_with("revoked.packages[0]"), "{e}");
    assert!(TrustStore::parse("[[key]]\npublisher = \"a\"\ntier = \"gold\"\n").is_err());
    assert!(
        TrustStore::parse("url = \"https://keys.example\"").is_err(),
        "nothing binds to a URL"
    );
}

#[test]
fn a_malformed_signature_file_is_refused() {
    assert!(SignatureFile::parse(b"scheme = \"ed25519\"").is_err());
    let f = fixture(TrustTier::Curated);
    let text = f
        .sig
        .to_toml()
        .replace("faxbot-signature-v1", "faxbot-signature-v9");
    assert!(SignatureFile::parse(text.as_bytes()).is_err());
    let text = f
        .sig
        .to_toml()
        .replace("scheme = \"ed25519\"", "scheme = \"md5\"");
    assert!(SignatureFile::parse(text.as_bytes()).is_err());
    assert!(SignatureFile::parse(&vec![b' '; 2 << 20]).is_err());
}

// ---- marketplace ----

fn listing(hipaa: bool, tier: TrustTier) -> Listing {
    Listing {
        plugin_id: "p1x".into(),
        hipaa_compliant: hipaa,
        tier,
    }
}

#[test]
fn marketplace_defaults_are_closed() {
    let s = MarketplaceSettings::default();
    assert!(!s.enabled);
    assert!(!s.remote_install_enabled);
    assert_eq!(s.trust_tier, TierRequirement::CuratedOnly);
    assert_eq!(MarketplaceSettings::parse("").expect("empty"), s);
    let l = listing(true, TrustTier::Curated);
    assert_eq!(
        check_visible(&s, Tenant::default(), &l),
        Err(MarketplaceDenial::Disabled)
    );
    assert_eq!(
        check_install(&s, Tenant::default(), &l, InstallSource::Marketplace),
        Err(MarketplaceDenial::Disabled)
    );
    assert_eq!(
        check_install(&s, Tenant::default(), &l, InstallSource::Upload),
        Ok(())
    );
    assert_eq!(
        check_install(
            &s,
            Tenant::default(),
            &listing(true, TrustTier::Verified),
            InstallSource::Upload
        ),
        Err(MarketplaceDenial::TierNotAllowed {
            tier: TrustTier::Verified,
            required: TierRequirement::CuratedOnly
        })
    );
}

#[test]
fn remote_install_needs_its_own_switch() {
    let s = MarketplaceSettings::parse("enabled = true").expect("parse");
    let l = listing(true, TrustTier::Curated);
    assert_eq!(check_visible(&s, Tenant::default(), &l), Ok(()));
    assert_eq!(
        check_install(&s, Tenant::default(), &l, InstallSource::Marketplace),
        Err(MarketplaceDenial::RemoteInstallDisabled)
    );
    let s =
        MarketplaceSettings::parse("enabled = true\nremote_install_enabled = true").expect("parse");
    assert_eq!(
        check_install(&s, Tenant::default(), &l, InstallSource::Marketplace),
        Ok(())
    );
}

#[test]
fn hipaa_tenants_see_and_install_only_hipaa_compliant_plugins() {
    let s = MarketplaceSettings::parse(
        "enabled = true\nremote_install_enabled = true\ntrust_tier = \"any\"",
    )
    .expect("parse");
    let hipaa = Tenant { hipaa_mode: true };
    let listings = vec![
        listing(true, TrustTier::Community),
        listing(false, TrustTier::Curated),
    ];
    assert_eq!(visible_listings(&s, hipaa, &listings), vec![&listings[0]]);
    assert_eq!(visible_listings(&s, Tenant::default(), &listings).len(), 2);
    for source in [InstallSource::Upload, InstallSource::Marketplace] {
        assert_eq!(
            check_install(&s, hipaa, &listings[1], source),
            Err(MarketplaceDenial::NotHipaaCompliant)
        );
    }
}

#[test]
fn unknown_marketplace_settings_are_refused() {
    assert!(MarketplaceSettings::parse("enable = true").is_err());
    assert!(MarketplaceSettings::parse("trust_tier = \"everything\"").is_err());
}

#[test]
fn the_manifest_fixture_is_hipaa_compliant() {
    assert!(MANIFEST.contains("hipaa_compliant = true"));
    let d: PackageDigest = package(b"x").digest();
    assert!(d.to_string().starts_with("sha256:"));
}
