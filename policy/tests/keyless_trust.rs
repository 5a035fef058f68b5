//! Keyless publishers in the trust store: `[sigstore] trusted_root` and a `[[key]]` with
//! `sigstore_identity`/`sigstore_issuer` accept that publisher's keyless bundle over the
//! package's signing payload, and nothing else. `cargo test -p faxbot-policy --features
//! sigstore`.
#![cfg(feature = "sigstore")]

mod common;

use common::local_sigstore::{LocalSigstore, Signing};
use common::{Raw, package_with};
use faxbot_policy::manifest::ResourceCeilings;
use faxbot_policy::package::{Package, PackageLimits, read_package};
use faxbot_policy::signature::{Scheme, SignatureError, SignatureFile};
use faxbot_policy::trust::{TierRequirement, TrustError, TrustStore};

const GITHUB: &str = "https://token.actions.githubusercontent.com";
const WORKFLOW: &str =
    "https://github.com/acme/plugin/.github/workflows/release.yml@refs/tags/v1.0.0";

fn package(extra: &[u8]) -> Package {
    let bytes = package_with(vec![Raw::file("files/data", extra)]);
    read_package(
        &bytes[..],
        &PackageLimits::default(),
        &ResourceCeilings::default(),
    )
    .expect("valid")
}

fn store_text(identity: &str, issuer: &str) -> String {
    format!(
        "[sigstore]\ntrusted_root = \"trusted_root.json\"\n\n[[key]]\npublisher = \"acme\"\ntier = \"curated\"\nsigstore_identity = \"{identity}\"\nsigstore_issuer = \"{issuer}\"\n"
    )
}

fn load(text: &str, sigstore: &LocalSigstore) -> TrustStore {
    let root = sigstore.trusted_root_json();
    TrustStore::parse_with_files("trust.toml", text, |path| {
        assert_eq!(path, "trusted_root.json");
        Ok(root.clone().into_bytes())
    })
    .expect("store loads")
}

fn keyless_signature(p: &Package, sigstore: &LocalSigstore, key: &str) -> SignatureFile {
    let bundle = sigstore.sign(
        &p.digest().signing_payload(),
        &Signing::new(WORKFLOW, GITHUB),
    );
    SignatureFile {
        scheme: Scheme::Sigstore,
        digest: p.digest(),
        key: key.into(),
        signature: bundle.into_bytes(),
    }
}

fn verify(store: &TrustStore, p: &Package, sig: &SignatureFile) -> Result<String, TrustError> {
    let parsed = SignatureFile::parse(sig.to_toml().as_bytes()).expect("signature file parses");
    store
        .verify(p, Some(&parsed), TierRequirement::CuratedOnly, 0)
        .map(|v| v.key)
}

#[test]
fn a_keyless_publishers_bundle_over_the_package_is_trusted() {
    let sigstore = LocalSigstore::new();
    let store = load(&store_text(WORKFLOW, GITHUB), &sigstore);
    let p = package(b"keyless");
    let verified =
        verify(&store, &p, &keyless_signature(&p, &sigstore, WORKFLOW)).expect("trusted");
    assert_eq!(verified, WORKFLOW);
}

#[test]
fn a_keyless_bundle_naming_no_key_is_matched_by_the_manifests_publisher() {
    let sigstore = LocalSigstore::new();
    let store = load(&store_text(WORKFLOW, GITHUB), &sigstore);
    let p = package(b"unnamed");
    verify(&store, &p, &keyless_signature(&p, &sigstore, "")).expect("trusted");
}

#[test]
fn a_keyless_bundle_over_another_package_is_refused() {
    let sigstore = LocalSigstore::new();
    let store = load(&store_text(WORKFLOW, GITHUB), &sigstore);
    let p = package(b"one");
    let other = package(b"two");
    let mut sig = keyless_signature(&other, &sigstore, WORKFLOW);
    sig.digest = p.digest();
    let e = verify(&store, &p, &sig).expect_err("refused");
    assert!(e.to_string().contains("not made for this artifact"), "{e}");
}

#[test]
fn a_keyless_bundle_from_another_workflow_is_refused() {
    let sigstore = LocalSigstore::new();
    let other = "https://github.com/acme/plugin/.github/workflows/evil.yml@refs/heads/main";
    let store = load(&store_text(other, GITHUB), &sigstore);
    let p = package(b"wrong identity");
    let e = verify(&store, &p, &keyless_signature(&p, &sigstore, "")).expect_err("refused");
    assert!(e.to_string().contains("evil.yml"), "{e}");
}

#[test]
fn a_keyless_bundle_from_another_issuer_is_refused() {
    let sigstore = LocalSigstore::new();
    let store = load(&store_text(WORKFLOW, "https://gitlab.com"), &sigstore);
    let p = package(b"wrong issuer");
    let e = verify(&store, &p, &keyless_signature(&p, &sigstore, WORKFLOW)).expect_err("refused");
    assert!(e.to_string().contains("OIDC issuer"), "{e}");
}

#[test]
fn a_keyless_bundle_made_with_another_trusted_root_is_refused() {
    let ours = LocalSigstore::new();
    let theirs = LocalSigstore::new();
    let store = load(&store_text(WORKFLOW, GITHUB), &ours);
    let p = package(b"another root");
    let e = verify(&store, &p, &keyless_signature(&p, &theirs, WORKFLOW)).expect_err("refused");
    assert!(
        matches!(e, TrustError::Signature(SignatureError::Keyless(_))),
        "{e}"
    );
}

#[test]
fn a_store_parsed_without_its_files_refuses_keyless_bundles_saying_why() {
    let sigstore = LocalSigstore::new();
    let store = TrustStore::parse(&store_text(WORKFLOW, GITHUB)).expect("parses");
    assert_eq!(store.sigstore_root_path(), Some("trusted_root.json"));
    let p = package(b"unloaded");
    let e = verify(&store, &p, &keyless_signature(&p, &sigstore, WORKFLOW)).expect_err("refused");
    assert!(e.to_string().contains("was not loaded"), "{e}");
}

#[test]
fn a_keyless_publisher_without_a_trusted_root_or_an_issuer_refuses_the_store() {
    let e = TrustStore::parse(&format!(
        "[[key]]\npublisher = \"acme\"\ntier = \"curated\"\nsigstore_identity = \"{WORKFLOW}\"\nsigstore_issuer = \"{GITHUB}\"\n"
    ))
    .expect_err("refused");
    assert!(
        e.to_string().contains("needs [sigstore] trusted_root"),
        "{e}"
    );
    let e = TrustStore::parse(&format!(
        "[sigstore]\ntrusted_root = \"r.json\"\n[[key]]\npublisher = \"acme\"\ntier = \"curated\"\nsigstore_identity = \"{WORKFLOW}\"\n"
    ))
    .expect_err("refused");
    assert!(e.to_string().contains("go together"), "{e}");
}

#[test]
fn an_unreadable_or_invalid_trusted_root_refuses_the_store_naming_it() {
    let text = store_text(WORKFLOW, GITHUB);
    let e = TrustStore::parse_with_files("trust.toml", &text, |_| Err("No such file".into()))
        .expect_err("refused");
    assert!(
        e.to_string()
            .contains("trust.toml sigstore.trusted_root trusted_root.json: No such file"),
        "{e}"
    );
    let e = TrustStore::parse_with_files("trust.toml", &text, |_| Ok(b"{}".to_vec()))
        .expect_err("refused");
    assert!(e.to_string().contains("mediaType"), "{e}");
}

#[test]
fn a_key_based_signature_for_a_keyless_publisher_is_refused() {
    let sigstore = LocalSigstore::new();
    let store = load(&store_text(WORKFLOW, GITHUB), &sigstore);
    let p = package(b"key-based");
    let sig = SignatureFile {
        scheme: Scheme::Sigstore,
        digest: p.digest(),
        key: WORKFLOW.into(),
        signature: b"MEUCIQ==".to_vec(),
    };
    let e = verify(&store, &p, &sig).expect_err("refused");
    assert!(e.to_string().contains("not keyless"), "{e}");
}

#[test]
fn revoking_a_keyless_identity_refuses_its_packages_and_stops_installed_ones() {
    let sigstore = LocalSigstore::new();
    let p = package(b"revoked identity");
    let good = load(&store_text(WORKFLOW, GITHUB), &sigstore);
    let sig = keyless_signature(&p, &sigstore, WORKFLOW);
    let parsed = SignatureFile::parse(sig.to_toml().as_bytes()).expect("parses");
    let verified = good
        .verify(&p, Some(&parsed), TierRequirement::CuratedOnly, 0)
        .expect("trusted before the revocation");
    for spelling in [
        WORKFLOW.to_string(),
        format!("sigstore-identity:{WORKFLOW}"),
    ] {
        let text = format!(
            "{}\n[revoked]\nkeys = [\"{spelling}\"]\n",
            store_text(WORKFLOW, GITHUB)
        );
        let store = load(&text, &sigstore);
        let e = verify(&store, &p, &sig).expect_err("revoked");
        assert!(matches!(e, TrustError::RevokedKey(_)), "{spelling}: {e}");
        let e = verify(&store, &p, &keyless_signature(&p, &sigstore, "")).expect_err("revoked");
        assert!(matches!(e, TrustError::RevokedKey(_)), "{spelling}: {e}");
        let e = store
            .recheck(&verified, TierRequirement::CuratedOnly)
            .expect_err("stopped at its next start");
        assert!(matches!(e, TrustError::RevokedKey(_)), "{spelling}: {e}");
    }
}

#[test]
fn a_revocation_naming_no_key_and_no_keyless_identity_still_refuses_the_store() {
    let text = format!(
        "{}\n[revoked]\nkeys = [\"someone@example.com\"]\n",
        store_text(WORKFLOW, GITHUB)
    );
    let e = TrustStore::parse(&text).expect_err("refused");
    assert!(e.to_string().contains("revoked.keys[0]"), "{e}");
    let e = TrustStore::parse(&format!(
        "{}\n[revoked]\nkeys = [\"sigstore-identity:\"]\n",
        store_text(WORKFLOW, GITHUB)
    ))
    .expect_err("refused");
    assert!(e.to_string().contains("sigstore-identity"), "{e}");
}
