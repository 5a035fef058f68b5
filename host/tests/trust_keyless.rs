//! The daemon reads a keyless publisher's trusted root beside `trust.toml`: with the root
//! present it starts and lists the publisher; with the root named but missing it refuses to
//! start, naming the file.

mod support;

use std::process::Command;
use support::{Daemon, FAXBOT, init};

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

    std::fs::create_dir_all(dir.join("sigstore")).expect("dir");
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../policy/testdata/sigstore/production_trusted_root.json"),
        dir.join("sigstore/root.json"),
    )
    .expect("copy root");
    let daemon = Daemon::start(&dir);
    let trust = daemon.client.get("/v1/trust", &admin).expect(200).text();
    assert!(trust.contains("acme"), "{trust}");
    drop(daemon);
}
