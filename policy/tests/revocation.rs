//! Revocations that cannot silently miss: every documented spelling of a key in
//! `[revoked] keys` revokes it, a subkey revokes its certificate's signatures, and an entry
//! that names no key refuses the whole trust store, naming where it is.

mod common;

use common::{Raw, package_with};
use faxbot_policy::manifest::ResourceCeilings;
use faxbot_policy::package::{Package, PackageLimits, read_package};
use faxbot_policy::signature::SignatureFile;
use faxbot_policy::signature::ed25519::Ed25519Keypair;
use faxbot_policy::trust::{
    KeyIdentity, PublicKey, TierRequirement, TrustError, TrustStore, TrustTier, TrustedKey,
};

const ANY: TierRequirement = TierRequirement::Any;

fn package(extra: &[u8]) -> Package {
    let bytes = package_with(vec![Raw::file("files/data", extra)]);
    read_package(
        &bytes[..],
        &PackageLimits::default(),
        &ResourceCeilings::default(),
    )
    .expect("valid")
}

fn trusting(key: PublicKey, revoked: &str) -> Result<TrustStore, String> {
    let mut store = TrustStore::new();
    store
        .add_key(TrustedKey {
            publisher: "acme".into(),
            tier: TrustTier::Curated,
            key,
            note: String::new(),
        })
        .expect("add");
    store.revoke_key(revoked).map_err(|e| e.to_string())?;
    Ok(store)
}

fn assert_revoked(store: &TrustStore, package: &Package, sig: &SignatureFile, spelling: &str) {
    assert!(
        matches!(
            store.verify(package, Some(sig), ANY, 0),
            Err(TrustError::RevokedKey(_))
        ),
        "revoked as {spelling:?}: {:?}",
        store.verify(package, Some(sig), ANY, 0)
    );
}

#[test]
fn an_ed25519_key_is_revoked_whatever_the_case_or_the_form_of_its_entry() {
    let key = Ed25519Keypair::generate().expect("rng");
    let p = package(b"ed");
    let sig = SignatureFile::ed25519(&key, &p.digest());
    let fingerprint = key.public_key().fingerprint();
    for spelling in [
        fingerprint.clone(),
        fingerprint.to_uppercase(),
        format!("  {fingerprint}  "),
        key.public_key().to_string(),
        key.public_key().to_string().replace("ed25519:", "ED25519:"),
    ] {
        let store = trusting(PublicKey::Ed25519(key.public_key()), &spelling).expect(&spelling);
        assert_revoked(&store, &p, &sig, &spelling);
    }
    let untouched = trusting(
        PublicKey::Ed25519(key.public_key()),
        "ed25519:00112233445566778899aabbccddeeff",
    )
    .expect("another key");
    assert!(untouched.verify(&p, Some(&sig), ANY, 0).is_ok());
}

#[test]
fn a_revocation_also_stops_an_installed_plugin_named_in_another_spelling() {
    let key = Ed25519Keypair::generate().expect("rng");
    let p = package(b"installed");
    let sig = SignatureFile::ed25519(&key, &p.digest());
    let store = trusting(
        PublicKey::Ed25519(key.public_key()),
        "ed25519:ffffffffffffffffffffffffffffffff",
    )
    .expect("store");
    let verified = store.verify(&p, Some(&sig), ANY, 0).expect("installed");
    let mut later = store.clone();
    later
        .revoke_key(&key.public_key().fingerprint().to_uppercase())
        .expect("fingerprint");
    assert!(matches!(
        later.recheck(&verified, ANY),
        Err(TrustError::RevokedKey(_))
    ));
}

#[test]
fn a_trust_store_entry_that_names_no_key_is_refused_with_its_path() {
    let text = r#"
[revoked]
keys = [
  "ed25519:00112233445566778899aabbccddeeff",
  "0xDEADBEEFDEADBEEF",
  "release key 2024",
  "ed25519:not-base64!",
  "00112233445566778899aabbccddeeff",
  "",
]
"#;
    let e = TrustStore::parse_named("trust.toml", text).expect_err("refused");
    assert_eq!(e.0.len(), 4, "{e}");
    assert!(e.0[0].starts_with("trust.toml revoked.keys[2]: "), "{e}");
    assert!(e.0[0].contains("names no key"), "{e}");
    assert!(e.0[1].starts_with("trust.toml revoked.keys[3]: "), "{e}");
    assert!(e.0[2].starts_with("trust.toml revoked.keys[4]: "), "{e}");
    assert!(
        e.0[2].contains("`ed25519:` or `sigstore:` prefix"),
        "an unprefixed 32-digit value is ambiguous: {e}"
    );
    assert!(e.0[3].starts_with("trust.toml revoked.keys[5]: "), "{e}");
}

#[test]
fn key_spellings_parse_to_one_canonical_identity() {
    let fp = "0123456789ABCDEF0123456789ABCDEF01234567";
    let spaced = "0123 4567 89AB CDEF 0123  4567 89AB CDEF 0123 4567";
    for spelling in [
        fp.to_owned(),
        fp.to_lowercase(),
        spaced.to_owned(),
        format!("0x{fp}"),
        format!("openpgp:{}", fp.to_lowercase()),
    ] {
        let id = KeyIdentity::parse(&spelling).expect(&spelling);
        assert_eq!(id.to_string(), fp, "{spelling}");
        assert_eq!(
            id.openpgp_key_id().map(|k| k.to_string()).as_deref(),
            Some("89ABCDEF01234567")
        );
    }
    assert_eq!(
        KeyIdentity::parse("89abcdef 01234567").expect("key id"),
        KeyIdentity::parse("0x89ABCDEF01234567").expect("key id")
    );
    assert_eq!(
        KeyIdentity::parse("SIGSTORE:00112233445566778899AABBCCDDEEFF")
            .expect("sigstore")
            .to_string(),
        "sigstore:00112233445566778899aabbccddeeff"
    );
}

#[cfg(feature = "openpgp")]
mod openpgp {
    use super::*;
    use common::signers::PgpPublisher;
    use faxbot_policy::signature::Scheme;
    use faxbot_policy::signature::openpgp::OpenPgpCert;
    use sequoia_openpgp::policy::StandardPolicy;

    /// The fingerprint as `gpg --fingerprint` prints it: groups of four, two spaces in the
    /// middle.
    fn gpg_style(hex: &str) -> String {
        let groups: Vec<&str> = (0..hex.len() / 4).map(|i| &hex[i * 4..i * 4 + 4]).collect();
        format!("{}  {}", groups[..5].join(" "), groups[5..].join(" "))
    }

    #[test]
    fn an_openpgp_certificate_is_revoked_by_any_spelling_of_any_of_its_keys() {
        let publisher = PgpPublisher::new(None);
        let p = package(b"pgp");
        let sig = SignatureFile {
            scheme: Scheme::Openpgp,
            digest: p.digest(),
            key: publisher.fingerprint(),
            signature: publisher.sign(&p.digest()),
        };
        let policy = StandardPolicy::new();
        let signing_subkey = publisher
            .cert
            .keys()
            .subkeys()
            .with_policy(&policy, None)
            .for_signing()
            .next()
            .expect("a signing subkey")
            .key()
            .fingerprint();
        let primary = publisher.fingerprint();
        let primary_id = sequoia_openpgp::KeyID::from(publisher.cert.fingerprint()).to_hex();
        let subkey = signing_subkey.to_hex();
        let subkey_id = sequoia_openpgp::KeyID::from(&signing_subkey).to_hex();
        assert_ne!(
            primary, subkey,
            "general-purpose certificates sign with a subkey"
        );
        for spelling in [
            primary.clone(),
            primary.to_lowercase(),
            gpg_style(&primary),
            primary_id.clone(),
            format!("0x{}", primary_id.to_lowercase()),
            subkey.clone(),
            subkey.to_lowercase(),
            gpg_style(&subkey),
            subkey_id.clone(),
        ] {
            let cert = OpenPgpCert::parse(&publisher.public_armored).expect("cert");
            let store = trusting(PublicKey::Openpgp(Box::new(cert)), &spelling).expect(&spelling);
            assert_revoked(&store, &p, &sig, &spelling);
        }
        let cert = OpenPgpCert::parse(&publisher.public_armored).expect("cert");
        let other = PgpPublisher::new(None).fingerprint();
        let store = trusting(PublicKey::Openpgp(Box::new(cert)), &other).expect("other");
        let now = u64::try_from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("clock")
                .as_millis(),
        )
        .expect("fits");
        assert!(store.verify(&p, Some(&sig), ANY, now).is_ok());
        let mut lower = sig.clone();
        lower.key = primary.to_lowercase();
        assert!(
            store.verify(&p, Some(&lower), ANY, now).is_ok(),
            "a signature file may spell the fingerprint in lower case too"
        );
    }
}

#[cfg(feature = "sigstore")]
mod sigstore {
    use super::*;
    use common::signers::CosignPublisher;
    use faxbot_policy::signature::Scheme;
    use faxbot_policy::signature::sigstore::SigstoreKey;

    #[test]
    fn a_sigstore_key_is_revoked_by_its_fingerprint_in_any_case_or_by_its_pem() {
        let publisher = CosignPublisher::new();
        let p = package(b"cosign");
        let key = SigstoreKey::from_pem(&publisher.public_pem).expect("pem");
        let sig = SignatureFile {
            scheme: Scheme::Sigstore,
            digest: p.digest(),
            key: key.fingerprint().to_owned(),
            signature: publisher.sign_blob(&p.digest()),
        };
        for spelling in [
            key.fingerprint().to_owned(),
            key.fingerprint().to_uppercase(),
            publisher.public_pem.clone(),
        ] {
            let trusted = SigstoreKey::from_pem(&publisher.public_pem).expect("pem");
            let store =
                trusting(PublicKey::Sigstore(Box::new(trusted)), &spelling).expect(&spelling);
            assert_revoked(&store, &p, &sig, &spelling);
        }
    }
}
