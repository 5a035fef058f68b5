//! The supervisor only checks grants: it must not build the signature back ends
//! (sequoia-openpgp, sigstore), which faxbot-policy keeps behind cargo features that only
//! the crates verifying packages turn on.

use std::process::Command;

#[test]
fn the_supervisor_builds_neither_sequoia_nor_sigstore() {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "tree",
            "--offline",
            "-p",
            "faxbot-supervisor",
            "-e",
            "normal,build",
            "--prefix",
            "none",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8_lossy(&out.stdout);
    assert!(tree.contains("faxbot-policy"), "{tree}");
    for line in tree.lines() {
        let name = line.split_whitespace().next().unwrap_or("");
        assert!(
            !name.starts_with("sequoia") && !name.starts_with("sigstore"),
            "faxbot-supervisor depends on {line}"
        );
    }
}
