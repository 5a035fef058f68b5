//! `docs/abi.md` shows the bytes of a handshake and a call; this test keeps the document
//! and the encoder in agreement.

#[path = "../examples/wire_dump.rs"]
mod wire_dump;

#[test]
fn abi_spec_worked_examples_match_the_encoder() {
    let spec = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/abi.md"))
        .expect("docs/abi.md is readable");
    for (name, bytes) in wire_dump::worked_examples().expect("examples encode") {
        let block = wire_dump::hex(&bytes);
        assert!(
            spec.contains(&block),
            "docs/abi.md lacks the exact bytes of the {name} example:\n{block}"
        );
    }
}
