//! The daemon reads a keyless publisher's trusted root beside `trust.toml`: with the root
//! present it starts and lists the publisher; with the root named but missing it refuses to
//! start, naming the file. An admin adds a keyless publisher through `POST /v1/trust/keys`.

mod support;

use serde_json::json;
use std::process::Command;
use support::{Daemon, FAXBOT, init};

const IDENTITY: &str =
    "https://github.com/acme/plugin/.github/workflows/release.yml@refs/tags/v1.0.0";
const ISSUER: &str = "https://token.actions.githubusercontent.com";

fn install_root(dir: &std::path::Path) {
    std::fs::create_dir_all(dir.join("sigstore")).expect("dir");
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../policy/testdata/sigstore/production_trusted_root.json"),
        dir.join("sigstore/root.json"),
    )
    .expect("copy root");
}

const KEYLESS: &str = "[sigstore]\ntrusted_root = \"sigstore/root.json\"\n\n[[key]]\npublisher = \"acme\"\ntier = \"curated\"\nsigstore_identity = \"https://github.com/acme/plugin/.github/workflows/release.yml@refs/tags/v1.0.0\"\nsigstore_issuer = \"https://token.actions.githubusercontent.com\"\n";

#[test]
fn a_keyless_publishers_trusted_root_is_read_beside_the_trust_file() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("state");
    let admin = init(&dir);
    std::fs::write(dir.join("trust.toml"), KEYLESS).expect("trust");
    let refused = Command::new(FAXBOT)
        .args(["serve", "--listen", "127.0.0.1:0", "--dir"])
        .arg(&dir)
        .output()
        .expect("faxbot serve");
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("root.json"), "{said}");

    install_root(&dir);
    let daemon = Daemon::start(&dir);
    let trust = daemon.client.get("/v1/trust", &admin).expect(200).text();
    assert!(trust.contains("acme"), "{trust}");
    drop(daemon);
}

#[test]
fn an_admin_trusts_a_keyless_publisher_through_the_api_once_a_trusted_root_is_configured() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("state");
    let admin = init(&dir);
    let daemon = Daemon::start(&dir);
    let trust_file = dir.join("trust.toml");
    let before = std::fs::read_to_string(&trust_file).unwrap_or_default();
    let keyless = json!({
        "publisher": "acme", "tier": "curated", "scheme": "sigstore",
        "sigstore_identity": IDENTITY, "sigstore_issuer": ISSUER,
    });

    // Without [sigstore] trusted_root nothing could verify it: refused, naming what to set.
    let refused = daemon
        .client
        .post_json("/v1/trust/keys", &admin, &keyless)
        .expect_error(422, "invalid_trust_change")
        .text();
    assert!(refused.contains("trusted_root"), "{refused}");
    // Requests that mix the two kinds, or give half an identity, are refused by field.
    for (body, field) in [
        (
            json!({"publisher": "acme", "tier": "curated", "scheme": "sigstore",
                "public_key": "-----BEGIN PUBLIC KEY-----", "sigstore_identity": IDENTITY,
                "sigstore_issuer": ISSUER}),
            "public_key",
        ),
        (
            json!({"publisher": "acme", "tier": "curated", "scheme": "ed25519",
                "sigstore_identity": IDENTITY, "sigstore_issuer": ISSUER}),
            "scheme",
        ),
        (
            json!({"publisher": "acme", "tier": "curated", "scheme": "sigstore",
                "sigstore_identity": IDENTITY}),
            "sigstore_issuer",
        ),
        (
            json!({"publisher": "acme", "tier": "curated", "scheme": "ed25519"}),
            "public_key",
        ),
    ] {
        let error = daemon
            .client
            .post_json("/v1/trust/keys", &admin, &body)
            .expect_error(422, "invalid_trust_change")
            .json();
        assert_eq!(error["field"], field, "{body}: {error}");
    }
    assert_eq!(
        std::fs::read_to_string(&trust_file).unwrap_or_default(),
        before,
        "a refused change writes nothing"
    );

    install_root(&dir);
    std::fs::write(
        &trust_file,
        format!("{before}\n[sigstore]\ntrusted_root = \"sigstore/root.json\"\n"),
    )
    .expect("configure the root");
    let trust = daemon
        .client
        .post_json("/v1/trust/keys", &admin, &keyless)
        .expect(201)
        .json();
    let keys = trust["keys"].as_array().expect("keys");
    assert!(
        keys.iter()
            .any(|k| k["publisher"] == "acme" && k["scheme"] == "sigstore"),
        "{trust}"
    );
    let written = std::fs::read_to_string(&trust_file).expect("trust.toml");
    assert!(
        written.contains(IDENTITY) && written.contains(ISSUER),
        "{written}"
    );
}
