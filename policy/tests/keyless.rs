//! Keyless Sigstore bundles verified offline against a trusted root, with sigstore-python's
//! published test vectors (`policy/testdata/sigstore/`, see its README): the valid bundles
//! of each version verify, and every tampering is refused with its own reason.
//! `cargo test -p faxbot-policy --features sigstore`.
#![cfg(feature = "sigstore")]

use faxbot_policy::signature::sigstore::{
    KeylessError, KeylessIdentity, TrustedRoot, verify_keyless,
};
use serde_json::Value;
use std::path::PathBuf;

fn data(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/sigstore")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn staging_root() -> TrustedRoot {
    TrustedRoot::parse(&data("staging_trusted_root.json")).expect("the staging root parses")
}

fn william() -> KeylessIdentity {
    KeylessIdentity {
        identity: "william@yossarian.net".into(),
        issuer: "https://github.com/login/oauth".into(),
    }
}

fn verify(artifact: &str, bundle: &[u8], who: &KeylessIdentity) -> Result<(), KeylessError> {
    verify_keyless(&data(artifact), bundle, &staging_root(), who).map(|_| ())
}

/// The bundle's JSON with one field changed.
fn edited(bundle: &str, pointer: &str, value: Value) -> Vec<u8> {
    let mut json: Value = serde_json::from_slice(&data(bundle)).expect("json");
    *json
        .pointer_mut(pointer)
        .unwrap_or_else(|| panic!("{pointer}")) = value;
    serde_json::to_vec(&json).expect("json")
}

fn flip_base64(text: &str) -> String {
    use base64::Engine;
    let e = base64::engine::general_purpose::STANDARD;
    let mut bytes = e.decode(text).expect("base64");
    let last = bytes.len() - 1;
    bytes[last / 2] ^= 1;
    e.encode(bytes)
}

fn field(bundle: &str, pointer: &str) -> String {
    let json: Value = serde_json::from_slice(&data(bundle)).expect("json");
    json.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{pointer}"))
        .to_string()
}

#[test]
fn a_published_v03_bundle_verifies_offline_against_the_staging_root() {
    let verified = verify_keyless(
        &data("bundle_v3.txt"),
        &data("bundle_v3.txt.sigstore"),
        &staging_root(),
        &william(),
    )
    .expect("verifies");
    assert_eq!(verified.signed_at, 1_712_085_549);
    assert_eq!(verified.timestamps_verified, 0);
    verify(
        "bundle_v3_alt.txt",
        &data("bundle_v3_alt.txt.sigstore"),
        &william(),
    )
    .expect("the alternative v0.3 media type verifies");
}

#[test]
fn a_published_v01_bundle_verifies_with_its_signed_entry_timestamp() {
    let who = KeylessIdentity {
        identity: "a@tny.town".into(),
        issuer: "https://github.com/login/oauth".into(),
    };
    verify("bundle.txt", &data("bundle.txt.sigstore"), &who).expect("verifies");
}

#[test]
fn a_tampered_artifact_is_refused() {
    let e = verify("bundle.txt", &data("bundle_v3.txt.sigstore"), &william()).expect_err("refused");
    assert!(matches!(e, KeylessError::Artifact(_)), "{e}");
    assert!(e.to_string().contains("not made for this artifact"), "{e}");
}

#[test]
fn a_bundle_whose_signature_is_not_over_the_artifact_is_refused() {
    let sig = field("bundle_v3.txt.sigstore", "/messageSignature/signature");
    let bundle = edited(
        "bundle_v3.txt.sigstore",
        "/messageSignature/signature",
        Value::String(flip_base64(&sig)),
    );
    let e = verify("bundle_v3.txt", &bundle, &william()).expect_err("refused");
    assert!(matches!(e, KeylessError::Artifact(_)), "{e}");
}

#[test]
fn another_identity_is_refused_naming_both() {
    let who = KeylessIdentity {
        identity: "mallory@example.com".into(),
        issuer: "https://github.com/login/oauth".into(),
    };
    let e = verify("bundle_v3.txt", &data("bundle_v3.txt.sigstore"), &who).expect_err("refused");
    assert_eq!(
        e,
        KeylessError::Identity {
            expected: "mallory@example.com".into(),
            found: "william@yossarian.net".into()
        }
    );
}

#[test]
fn another_oidc_issuer_is_refused_naming_both() {
    let who = KeylessIdentity {
        identity: "william@yossarian.net".into(),
        issuer: "https://token.actions.githubusercontent.com".into(),
    };
    let e = verify("bundle_v3.txt", &data("bundle_v3.txt.sigstore"), &who).expect_err("refused");
    assert_eq!(
        e,
        KeylessError::Issuer {
            expected: "https://token.actions.githubusercontent.com".into(),
            found: "https://github.com/login/oauth".into()
        }
    );
}

#[test]
fn a_forged_signed_entry_timestamp_is_refused() {
    let set = field(
        "bundle_v3.txt.sigstore",
        "/verificationMaterial/tlogEntries/0/inclusionPromise/signedEntryTimestamp",
    );
    let bundle = edited(
        "bundle_v3.txt.sigstore",
        "/verificationMaterial/tlogEntries/0/inclusionPromise/signedEntryTimestamp",
        Value::String(flip_base64(&set)),
    );
    let e = verify("bundle_v3.txt", &bundle, &william()).expect_err("refused");
    assert!(e.to_string().contains("(SET)"), "{e}");
}

#[test]
fn a_moved_integrated_time_breaks_the_signed_entry_timestamp() {
    let bundle = edited(
        "bundle_v3.txt.sigstore",
        "/verificationMaterial/tlogEntries/0/integratedTime",
        Value::String("1712085000".into()),
    );
    let e = verify("bundle_v3.txt", &bundle, &william()).expect_err("refused");
    assert!(matches!(e, KeylessError::Tlog(_)), "{e}");
}

#[test]
fn a_forged_inclusion_proof_is_refused() {
    let hash = field(
        "bundle_v3.txt.sigstore",
        "/verificationMaterial/tlogEntries/0/inclusionProof/hashes/3",
    );
    let bundle = edited(
        "bundle_v3.txt.sigstore",
        "/verificationMaterial/tlogEntries/0/inclusionProof/hashes/3",
        Value::String(flip_base64(&hash)),
    );
    let e = verify("bundle_v3.txt", &bundle, &william()).expect_err("refused");
    assert!(e.to_string().contains("inclusion proof"), "{e}");
}

#[test]
fn a_checkpoint_for_another_root_or_with_a_forged_signature_is_refused() {
    let pointer = "/verificationMaterial/tlogEntries/0/inclusionProof/checkpoint/envelope";
    let envelope = field("bundle_v3.txt.sigstore", pointer);
    let other_size = envelope.replacen("\n25901138\n", "\n25901139\n", 1);
    let e = verify(
        "bundle_v3.txt",
        &edited("bundle_v3.txt.sigstore", pointer, Value::String(other_size)),
        &william(),
    )
    .expect_err("refused");
    assert!(e.to_string().contains("checkpoint"), "{e}");
    let (text, sig_line) = envelope.split_once("\n\n").expect("note");
    let (prefix, sig) = sig_line.trim_end().rsplit_once(' ').expect("signature");
    let forged = format!("{text}\n\n{prefix} {}\n", flip_base64(sig));
    let e = verify(
        "bundle_v3.txt",
        &edited("bundle_v3.txt.sigstore", pointer, Value::String(forged)),
        &william(),
    )
    .expect_err("refused");
    assert!(e.to_string().contains("no valid signature"), "{e}");
}

#[test]
fn an_inclusion_proof_without_a_checkpoint_is_refused() {
    let e = verify(
        "bundle_no_checkpoint.txt",
        &data("bundle_no_checkpoint.txt.sigstore"),
        &william(),
    )
    .expect_err("refused");
    assert!(e.to_string().contains("no checkpoint"), "{e}");
}

#[test]
fn an_entry_recording_another_artifact_is_refused() {
    // CVE-2022-36056: a log entry that does not match the bundle's artifact.
    let e = verify(
        "bundle_cve_2022_36056.txt",
        &data("bundle_cve_2022_36056.txt.sigstore"),
        &william(),
    )
    .expect_err("refused");
    assert!(
        matches!(e, KeylessError::Artifact(_) | KeylessError::Tlog(_)),
        "{e}"
    );
}

#[test]
fn a_certificate_not_chaining_to_the_roots_authority_is_refused() {
    // Swap the staging Fulcio chain for the timestamp authority's chain.
    let mut root: Value = serde_json::from_slice(&data("staging_trusted_root.json")).expect("json");
    let tsa_chain = root["timestampAuthorities"][0]["certChain"].clone();
    root["certificateAuthorities"][0]["certChain"] = tsa_chain;
    let root = TrustedRoot::parse(&serde_json::to_vec(&root).expect("json")).expect("parses");
    let e = verify_keyless(
        &data("bundle_v3.txt"),
        &data("bundle_v3.txt.sigstore"),
        &root,
        &william(),
    )
    .expect_err("refused");
    assert!(matches!(e, KeylessError::Chain { .. }), "{e}");
}

#[test]
fn an_authority_not_trusted_at_signing_time_is_refused() {
    let mut root: Value = serde_json::from_slice(&data("staging_trusted_root.json")).expect("json");
    root["certificateAuthorities"][0]["validFor"]["end"] =
        Value::String("2023-01-01T00:00:00Z".into());
    let root = TrustedRoot::parse(&serde_json::to_vec(&root).expect("json")).expect("parses");
    let e = verify_keyless(
        &data("bundle_v3.txt"),
        &data("bundle_v3.txt.sigstore"),
        &root,
        &william(),
    )
    .expect_err("refused");
    assert!(e.to_string().contains("not trusted at that time"), "{e}");
}

#[test]
fn a_log_not_in_the_trusted_root_is_refused() {
    let mut root: Value = serde_json::from_slice(&data("staging_trusted_root.json")).expect("json");
    root["tlogs"].as_array_mut().expect("tlogs").remove(0);
    let root = TrustedRoot::parse(&serde_json::to_vec(&root).expect("json")).expect("parses");
    let e = verify_keyless(
        &data("bundle_v3.txt"),
        &data("bundle_v3.txt.sigstore"),
        &root,
        &william(),
    )
    .expect_err("refused");
    assert!(
        e.to_string()
            .contains("not a transparency log of the trusted root"),
        "{e}"
    );
}

#[test]
fn a_ct_log_not_in_the_trusted_root_leaves_no_valid_sct() {
    let mut root: Value = serde_json::from_slice(&data("staging_trusted_root.json")).expect("json");
    root["ctlogs"] = Value::Array(Vec::new());
    let root = TrustedRoot::parse(&serde_json::to_vec(&root).expect("json")).expect("parses");
    let e = verify_keyless(
        &data("bundle_v3.txt"),
        &data("bundle_v3.txt.sigstore"),
        &root,
        &william(),
    )
    .expect_err("refused");
    assert!(matches!(e, KeylessError::Sct(_)), "{e}");
}

#[test]
fn a_key_based_bundle_is_not_keyless() {
    let bundle = serde_json::json!({
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": { "publicKey": { "hint": "x" }, "tlogEntries": [] },
        "messageSignature": { "signature": "AAAA" }
    });
    let e =
        verify("bundle_v3.txt", bundle.to_string().as_bytes(), &william()).expect_err("refused");
    assert_eq!(e, KeylessError::NotKeyless);
}

// ---- A local Sigstore built at test time: what no published vector covers ----

mod common;
use common::local_sigstore::{LocalSigstore, SIGNING_TIME, Signing};

const GITHUB: &str = "https://token.actions.githubusercontent.com";
const WORKFLOW: &str =
    "https://github.com/acme/plugin/.github/workflows/release.yml@refs/tags/v1.0.0";

fn local_root(s: &LocalSigstore) -> TrustedRoot {
    TrustedRoot::parse(s.trusted_root_json().as_bytes()).expect("local root parses")
}

fn workflow() -> KeylessIdentity {
    KeylessIdentity {
        identity: WORKFLOW.into(),
        issuer: GITHUB.into(),
    }
}

#[test]
fn a_bundle_from_the_local_sigstore_verifies_with_a_workflow_identity() {
    let sigstore = LocalSigstore::new();
    let bundle = sigstore.sign(b"artifact", &Signing::new(WORKFLOW, GITHUB));
    let verified = verify_keyless(
        b"artifact",
        bundle.as_bytes(),
        &local_root(&sigstore),
        &workflow(),
    )
    .expect("verifies");
    assert_eq!(verified.signed_at, SIGNING_TIME);
}

#[test]
fn a_certificate_expired_at_the_integrated_time_is_refused() {
    let sigstore = LocalSigstore::new();
    let mut signing = Signing::new(WORKFLOW, GITHUB);
    signing.integrated_time = SIGNING_TIME + 2 * 86_400;
    let bundle = sigstore.sign(b"artifact", &signing);
    let e = verify_keyless(
        b"artifact",
        bundle.as_bytes(),
        &local_root(&sigstore),
        &workflow(),
    )
    .expect_err("refused");
    assert!(matches!(e, KeylessError::CertificateTime { .. }), "{e}");
    assert!(e.to_string().contains("2025-01-03T12:00:00Z"), "{e}");
}

#[test]
fn a_certificate_not_yet_valid_at_the_integrated_time_is_refused() {
    let sigstore = LocalSigstore::new();
    let mut signing = Signing::new(WORKFLOW, GITHUB);
    signing.not_before = (2025, 6, 1);
    signing.not_after = (2025, 6, 2);
    let bundle = sigstore.sign(b"artifact", &signing);
    let e = verify_keyless(
        b"artifact",
        bundle.as_bytes(),
        &local_root(&sigstore),
        &workflow(),
    )
    .expect_err("refused");
    assert!(matches!(e, KeylessError::CertificateTime { .. }), "{e}");
}

#[test]
fn a_bundle_from_another_sigstore_is_refused_by_this_root() {
    let ours = LocalSigstore::new();
    let theirs = LocalSigstore::new();
    let bundle = theirs.sign(b"artifact", &Signing::new(WORKFLOW, GITHUB));
    let e = verify_keyless(
        b"artifact",
        bundle.as_bytes(),
        &local_root(&ours),
        &workflow(),
    )
    .expect_err("refused");
    assert!(matches!(e, KeylessError::Tlog(_)), "{e}");
}

#[test]
fn a_certificate_from_another_ca_is_refused_even_with_this_roots_logs() {
    let ours = LocalSigstore::new();
    let theirs = LocalSigstore::new();
    let bundle = ours.sign(b"artifact", &Signing::new(WORKFLOW, GITHUB));
    let mut root: Value = serde_json::from_str(&ours.trusted_root_json()).expect("json");
    let other: Value = serde_json::from_str(&theirs.trusted_root_json()).expect("json");
    root["certificateAuthorities"] = other["certificateAuthorities"].clone();
    let root = TrustedRoot::parse(&serde_json::to_vec(&root).expect("json")).expect("parses");
    let e =
        verify_keyless(b"artifact", bundle.as_bytes(), &root, &workflow()).expect_err("refused");
    assert!(matches!(e, KeylessError::Chain { .. }), "{e}");
}

// ---- RFC 3161 signed timestamps (sigstore-python's tsa/ vectors) ----

fn tsa_root(edit: impl FnOnce(&mut Value)) -> TrustedRoot {
    let mut root: Value = serde_json::from_slice(&data("staging_trusted_root.json")).expect("json");
    let ca: Value = serde_json::from_slice(&data("tsa/ca.json")).expect("json");
    root["timestampAuthorities"] = Value::Array(vec![ca]);
    edit(&mut root);
    TrustedRoot::parse(&serde_json::to_vec(&root).expect("json")).expect("parses")
}

fn alexis() -> KeylessIdentity {
    KeylessIdentity {
        identity: "alexis.challande@trailofbits.com".into(),
        issuer: "https://accounts.google.com".into(),
    }
}

#[test]
fn a_bundle_with_signed_timestamps_verifies_against_the_roots_timestamp_authority() {
    let verified = verify_keyless(
        &data("tsa/bundle.txt"),
        &data("tsa/bundle.txt.sigstore"),
        &tsa_root(|_| {}),
        &alexis(),
    )
    .expect("verifies");
    // The second token stamps other content (SHA-512 of "hello"): it adds no time.
    assert_eq!(verified.timestamps_verified, 1);
}

fn without_set(bundle: &[u8]) -> Vec<u8> {
    let mut bundle: Value = serde_json::from_slice(bundle).expect("json");
    let entry = bundle["verificationMaterial"]["tlogEntries"][0]
        .as_object_mut()
        .expect("entry");
    entry.remove("inclusionPromise");
    entry.remove("integratedTime");
    serde_json::to_vec(&bundle).expect("json")
}

#[test]
fn a_signed_timestamp_alone_is_a_trusted_signing_time() {
    let verified = verify_keyless(
        &data("tsa/bundle.txt"),
        &without_set(&data("tsa/bundle.txt.sigstore")),
        &tsa_root(|_| {}),
        &alexis(),
    )
    .expect("verifies with the timestamps' time");
    assert_eq!(verified.signed_at, 1_730_370_219);
}

#[test]
fn a_timestamp_authority_not_trusted_at_the_stamped_time_is_refused() {
    let root = tsa_root(|r| {
        r["timestampAuthorities"][0]["validFor"]["end"] =
            Value::String("2024-10-31T00:00:00Z".into())
    });
    let e = verify_keyless(
        &data("tsa/bundle.txt"),
        &without_set(&data("tsa/bundle.txt.sigstore")),
        &root,
        &alexis(),
    )
    .expect_err("refused");
    assert!(matches!(e, KeylessError::NoTime(_)), "{e}");
    assert!(e.to_string().contains("not trusted at"), "{e}");
}

#[test]
fn signed_timestamps_from_an_authority_not_in_the_root_give_no_signing_time() {
    let root = tsa_root(|r| r["timestampAuthorities"] = Value::Array(Vec::new()));
    let e = verify_keyless(
        &data("tsa/bundle.txt"),
        &without_set(&data("tsa/bundle.txt.sigstore")),
        &root,
        &alexis(),
    )
    .expect_err("refused");
    assert!(matches!(e, KeylessError::NoTime(_)), "{e}");
    assert!(e.to_string().contains("no timestamp authorities"), "{e}");
}

#[test]
fn a_forged_signed_timestamp_gives_no_signing_time() {
    let pointer =
        "/verificationMaterial/timestampVerificationData/rfc3161Timestamps/0/signedTimestamp";
    let token = field("tsa/bundle.txt.sigstore", pointer);
    use base64::Engine;
    let e64 = base64::engine::general_purpose::STANDARD;
    let mut bytes = e64.decode(&token).expect("base64");
    let n = bytes.len();
    bytes[n - 10] ^= 1; // inside the signature, the last field
    let bundle = edited(
        "tsa/bundle.txt.sigstore",
        pointer,
        Value::String(e64.encode(bytes)),
    );
    // With the SET, the forged stamp is no signing time: only the integrated time counts.
    let verified = verify_keyless(
        &data("tsa/bundle.txt"),
        &bundle,
        &tsa_root(|_| {}),
        &alexis(),
    )
    .expect("verifies on the SET's time");
    assert_eq!(verified.timestamps_verified, 0);
    // Without it, nothing says when the signature was made.
    let e = verify_keyless(
        &data("tsa/bundle.txt"),
        &without_set(&bundle),
        &tsa_root(|_| {}),
        &alexis(),
    )
    .expect_err("refused");
    assert!(matches!(e, KeylessError::NoTime(_)), "{e}");
    assert!(e.to_string().contains("signature"), "{e}");
}

/// cosign's older keyless `--bundle` form of the same signature, as cosign v2 (or v3 with
/// `--new-bundle-format=false`) writes it.
fn cosign_legacy(bundle: &str) -> String {
    use base64::Engine;
    let e64 = base64::engine::general_purpose::STANDARD;
    let b: Value = serde_json::from_str(bundle).expect("json");
    let entry = &b["verificationMaterial"]["tlogEntries"][0];
    let der = e64
        .decode(
            b["verificationMaterial"]["certificate"]["rawBytes"]
                .as_str()
                .expect("cert"),
        )
        .expect("der");
    let pem = format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        e64.encode(der)
    );
    let log_id = e64
        .decode(entry["logId"]["keyId"].as_str().expect("log id"))
        .expect("b64");
    serde_json::json!({
        "base64Signature": b["messageSignature"]["signature"],
        "cert": e64.encode(pem),
        "rekorBundle": {
            "SignedEntryTimestamp": entry["inclusionPromise"]["signedEntryTimestamp"],
            "Payload": {
                "body": entry["canonicalizedBody"],
                "integratedTime": entry["integratedTime"].as_str().expect("t").parse::<i64>().expect("int"),
                "logIndex": entry["logIndex"].as_str().expect("i").parse::<i64>().expect("int"),
                "logID": log_id.iter().map(|b| format!("{b:02x}")).collect::<String>(),
            }
        }
    })
    .to_string()
}

#[test]
fn cosign_older_keyless_bundle_form_verifies_on_its_signed_entry_timestamp() {
    let published = String::from_utf8(data("bundle_v3.txt.sigstore")).expect("utf-8");
    let legacy = cosign_legacy(&published);
    verify("bundle_v3.txt", legacy.as_bytes(), &william()).expect("verifies");
    let e = verify("bundle.txt", legacy.as_bytes(), &william()).expect_err("tampered");
    assert!(matches!(e, KeylessError::Artifact(_)), "{e}");
    let mut forged: Value = serde_json::from_str(&legacy).expect("json");
    let set = forged["rekorBundle"]["SignedEntryTimestamp"]
        .as_str()
        .expect("set")
        .to_string();
    forged["rekorBundle"]["SignedEntryTimestamp"] = Value::String(flip_base64(&set));
    let e = verify("bundle_v3.txt", forged.to_string().as_bytes(), &william()).expect_err("forged");
    assert!(e.to_string().contains("(SET)"), "{e}");
}

#[test]
fn a_log_not_trusted_at_the_stamped_time_is_refused_without_a_set() {
    let root = tsa_root(|r| {
        r["tlogs"][0]["publicKey"]["validFor"]["end"] = Value::String("2024-01-01T00:00:00Z".into())
    });
    let e = verify_keyless(
        &data("tsa/bundle.txt"),
        &without_set(&data("tsa/bundle.txt.sigstore")),
        &root,
        &alexis(),
    )
    .expect_err("refused");
    assert!(
        e.to_string().contains("not trusted at the signing time"),
        "{e}"
    );
}

// ---- Hostile bytes never panic ----

mod hostile {
    use super::*;
    use base64::Engine;
    use proptest::prelude::*;

    const FIELDS: &[&str] = &[
        "/verificationMaterial/certificate/rawBytes",
        "/verificationMaterial/tlogEntries/0/canonicalizedBody",
        "/verificationMaterial/tlogEntries/0/inclusionPromise/signedEntryTimestamp",
        "/verificationMaterial/timestampVerificationData/rfc3161Timestamps/0/signedTimestamp",
        "/messageSignature/signature",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn corrupted_certificates_bodies_signatures_and_timestamps_never_verify_or_panic(
            field in 0..FIELDS.len(),
            position in any::<prop::sample::Index>(),
            xor in 1u8..=255,
            truncate in any::<bool>(),
        ) {
            let e64 = base64::engine::general_purpose::STANDARD;
            let pointer = FIELDS[field];
            let mut bytes = e64.decode(field_of(pointer)).expect("base64");
            let i = position.index(bytes.len());
            if truncate {
                bytes.truncate(i);
            } else {
                bytes[i] ^= xor;
            }
            let bundle = edited("tsa/bundle.txt.sigstore", pointer, Value::String(e64.encode(&bytes)));
            let root = tsa_root(|_| {});
            let result = verify_keyless(&data("tsa/bundle.txt"), &bundle, &root, &alexis());
            // A corrupted timestamp is no signing time (or, changed outside what its
            // signature covers, e.g. its embedded certificates, which are not used, still
            // the same one), and the SET's time still is: the bundle stays valid. Any
            // other change must be refused.
            if pointer.ends_with("signedTimestamp") {
                let verified = result.expect("verifies on the SET's time");
                prop_assert_eq!(verified.signed_at, 1_730_370_219);
            } else {
                prop_assert!(result.is_err(), "{pointer} byte {i} changed, still verified");
            }
        }
    }

    fn field_of(pointer: &str) -> String {
        field("tsa/bundle.txt.sigstore", pointer)
    }
}

// ---- A real GitHub Actions release, against the production root ----

#[test]
fn a_github_actions_release_bundle_verifies_against_the_production_root() {
    let root = TrustedRoot::parse(&data("production_trusted_root.json")).expect("parses");
    let release = KeylessIdentity {
        identity: "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2"
            .into(),
        issuer: "https://token.actions.githubusercontent.com".into(),
    };
    verify_keyless(
        &data("bundle_v3_github.whl"),
        &data("bundle_v3_github.whl.sigstore"),
        &root,
        &release,
    )
    .expect("verifies");
    let other_tag = KeylessIdentity {
        identity: "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.3"
            .into(),
        ..release.clone()
    };
    let e = verify_keyless(
        &data("bundle_v3_github.whl"),
        &data("bundle_v3_github.whl.sigstore"),
        &root,
        &other_tag,
    )
    .expect_err("another tag's workflow");
    assert!(matches!(e, KeylessError::Identity { .. }), "{e}");
    let e = verify_keyless(
        &data("bundle_v3_github.whl"),
        &data("bundle_v3_github.whl.sigstore"),
        &staging_root(),
        &release,
    )
    .expect_err("not the staging root's");
    assert!(matches!(e, KeylessError::Tlog(_)), "{e}");
}
