//! The architecture's rule for the plugin author's tree: faxbot-sdk depends on tokio,
//! serde, postcard (through faxbot-plugin-abi) and little else — never on the policy, jail,
//! supervisor, HTTP or crypto crates, which belong to the host and to `cargo faxbot`.

const ALLOWED: &[&str] = &[
    "faxbot-plugin-abi",
    "tokio",
    "serde",
    "thiserror",
    "libc",
    "serde_json",
    "tracing-core",
    "tracing-subscriber",
];

#[test]
fn the_sdk_depends_only_on_the_small_allowed_set() {
    let manifest = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
        .expect("read sdk/Cargo.toml");
    let section = manifest
        .split("\n[dependencies]\n")
        .nth(1)
        .and_then(|rest| rest.split("\n[").next())
        .expect("a [dependencies] section");
    let names: Vec<&str> = section
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split('=').next().map(str::trim))
        .collect();
    assert!(!names.is_empty());
    for name in names {
        assert!(
            ALLOWED.contains(&name),
            "faxbot-sdk must not depend on {name}: a plugin's tree stays small"
        );
    }
}
