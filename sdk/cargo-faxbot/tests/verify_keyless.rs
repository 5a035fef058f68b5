//! The contract scripts outside the project rely on: `cargo faxbot verify-blob FILE
//! --bundle B --trusted-root R --certificate-identity SAN --certificate-oidc-issuer I`
//! exits 0 only when the keyless bundle verifies, and `cargo faxbot verify PKG
//! --trust-store trust.toml` accepts a keyless publisher's bundle through `[sigstore]
//! trusted_root` (relative to the store) and `sigstore_identity`/`sigstore_issuer`.

#[path = "../../../policy/tests/common/local_sigstore.rs"]
mod local_sigstore;

use faxbot_policy::manifest::ResourceCeilings;
use faxbot_policy::package::PackageBuilder;
use local_sigstore::{LocalSigstore, Signing};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const TOOL: &str = env!("CARGO_BIN_EXE_cargo-faxbot");
const GITHUB: &str = "https://token.actions.githubusercontent.com";
const WORKFLOW: &str =
    "https://github.com/acme/plugin/.github/workflows/release.yml@refs/tags/v1.0.0";
const MANIFEST: &str = r#"id = "hello-plugin"
name = "Hello"
version = "1.0.0"
publisher = "acme"
min_core_version = "0.1.0"
entry = "bin/plugin"
hipaa_compliant = true

[capabilities]
subscribe = ["fax.job.*"]
"#;

fn run(args: &[&str]) -> Output {
    Command::new(TOOL).args(args).output().expect("runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

struct Fixture {
    _dir: tempfile::TempDir,
    dir: PathBuf,
    sigstore: LocalSigstore,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().to_path_buf();
    let sigstore = LocalSigstore::new();
    std::fs::create_dir(path.join("roots")).expect("mkdir");
    std::fs::write(
        path.join("roots/trusted_root.json"),
        sigstore.trusted_root_json(),
    )
    .expect("root");
    Fixture {
        _dir: dir,
        dir: path,
        sigstore,
    }
}

fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

fn verify_blob(f: &Fixture, file: &Path, bundle: &Path, identity: &str, issuer: &str) -> Output {
    run(&[
        "faxbot",
        "verify-blob",
        p(file),
        "--bundle",
        p(bundle),
        "--trusted-root",
        p(&f.dir.join("roots/trusted_root.json")),
        "--certificate-identity",
        identity,
        "--certificate-oidc-issuer",
        issuer,
    ])
}

#[test]
fn verify_blob_exits_zero_only_when_everything_verifies() {
    let f = fixture();
    let file = f.dir.join("artifact.txt");
    std::fs::write(&file, b"release notes").expect("write");
    let bundle = f.dir.join("artifact.txt.sigstore.json");
    std::fs::write(
        &bundle,
        f.sigstore
            .sign(b"release notes", &Signing::new(WORKFLOW, GITHUB)),
    )
    .expect("write");

    let ok = verify_blob(&f, &file, &bundle, WORKFLOW, GITHUB);
    assert!(ok.status.success(), "{}", text(&ok));

    let wrong_identity = verify_blob(&f, &file, &bundle, "someone@else.test", GITHUB);
    assert_eq!(
        wrong_identity.status.code(),
        Some(1),
        "{}",
        text(&wrong_identity)
    );
    assert!(
        text(&wrong_identity).contains("certificate identity"),
        "{}",
        text(&wrong_identity)
    );

    let wrong_issuer = verify_blob(&f, &file, &bundle, WORKFLOW, "https://gitlab.com");
    assert_eq!(
        wrong_issuer.status.code(),
        Some(1),
        "{}",
        text(&wrong_issuer)
    );

    std::fs::write(&file, b"release notes, edited").expect("tamper");
    let tampered = verify_blob(&f, &file, &bundle, WORKFLOW, GITHUB);
    assert_eq!(tampered.status.code(), Some(1), "{}", text(&tampered));
    assert!(
        text(&tampered).contains("not made for this artifact"),
        "{}",
        text(&tampered)
    );
}

#[test]
fn verify_blob_with_a_missing_argument_fails() {
    let f = fixture();
    let out = run(&[
        "faxbot",
        "verify-blob",
        p(&f.dir.join("x")),
        "--bundle",
        "b",
    ]);
    assert!(!out.status.success());
}

fn package(f: &Fixture) -> (PathBuf, faxbot_policy::package::PackageDigest) {
    let mut builder = PackageBuilder::new(MANIFEST.as_bytes().to_vec());
    builder
        .add_file("bin/plugin", b"#!/bin/true\n".to_vec(), true)
        .expect("entry");
    let bytes = builder
        .build(&ResourceCeilings::default())
        .expect("package");
    let path = f.dir.join("hello-plugin-1.0.0.fxp");
    std::fs::write(&path, bytes).expect("write");
    (path, builder.digest())
}

fn trust_store(f: &Fixture, identity: &str) -> PathBuf {
    let path = f.dir.join("trust.toml");
    std::fs::write(
        &path,
        format!(
            "[sigstore]\ntrusted_root = \"roots/trusted_root.json\"\n\n[[key]]\npublisher = \"acme\"\ntier = \"curated\"\nsigstore_identity = \"{identity}\"\nsigstore_issuer = \"{GITHUB}\"\n"
        ),
    )
    .expect("write");
    path
}

#[test]
fn verify_accepts_a_keyless_publishers_package_through_the_trust_store() {
    let f = fixture();
    let (pkg, digest) = package(&f);
    let bundle = f
        .sigstore
        .sign(&digest.signing_payload(), &Signing::new(WORKFLOW, GITHUB));
    // The signature file carrying the bundle …
    let sig = faxbot_policy::signature::SignatureFile {
        scheme: faxbot_policy::signature::Scheme::Sigstore,
        digest,
        key: WORKFLOW.into(),
        signature: bundle.clone().into_bytes(),
    };
    std::fs::write(f.dir.join("hello-plugin-1.0.0.fxp.sig"), sig.to_toml()).expect("sig");
    let store = trust_store(&f, WORKFLOW);
    let out = run(&["faxbot", "verify", p(&pkg), "--trust-store", p(&store)]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains(WORKFLOW), "{}", text(&out));
    // … or the bundle file exactly as the publisher's tool wrote it.
    let raw = f.dir.join("payload.sigstore.json");
    std::fs::write(&raw, &bundle).expect("bundle");
    let out = run(&[
        "faxbot",
        "verify",
        p(&pkg),
        "--sig",
        p(&raw),
        "--trust-store",
        p(&store),
    ]);
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn verify_refuses_a_keyless_bundle_from_an_identity_the_store_does_not_trust() {
    let f = fixture();
    let (pkg, digest) = package(&f);
    let bundle = f
        .sigstore
        .sign(&digest.signing_payload(), &Signing::new(WORKFLOW, GITHUB));
    let raw = f.dir.join("payload.sigstore.json");
    std::fs::write(&raw, &bundle).expect("bundle");
    let store = trust_store(
        &f,
        "https://github.com/acme/plugin/.github/workflows/other.yml@refs/heads/main",
    );
    let out = run(&[
        "faxbot",
        "verify",
        p(&pkg),
        "--sig",
        p(&raw),
        "--trust-store",
        p(&store),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("certificate identity"),
        "{}",
        text(&out)
    );
}
