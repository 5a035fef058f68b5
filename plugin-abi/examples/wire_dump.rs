//! Prints the frames of a handshake and one call in hex: the worked examples of
//! `docs/abi.md` come from here, and a test checks the document against the encoder.
//! Run with `cargo run -p faxbot-plugin-abi --example wire_dump`.

use faxbot_plugin_abi::handshake::{
    GrantedCapabilities, HandshakeReply, Hello, Limits, MAGIC, Welcome,
};
use faxbot_plugin_abi::methods::{KvGet, KvGetRequest, KvGetResponse};
use faxbot_plugin_abi::{AbiVersion, Envelope, Value, VersionRange, frame};

/// One worked example: its name and the complete frame bytes.
pub type Example = (&'static str, Vec<u8>);

/// The worked examples of `docs/abi.md`.
pub fn worked_examples() -> Result<Vec<Example>, Box<dyn std::error::Error>> {
    let max = frame::DEFAULT_MAX_FRAME;
    let hello = Hello {
        magic: MAGIC,
        abi: VersionRange::exactly(AbiVersion::new(1, 0)),
        plugin_id: "status-route".into(),
        plugin_version: "1.0.0".into(),
        sdk_name: "faxbot-sdk".into(),
        sdk_version: "0.1.0".into(),
        max_frame: max,
    };
    let welcome = HandshakeReply::Welcome(Welcome {
        abi: AbiVersion::new(1, 0),
        instance_id: "i-1".into(),
        capabilities: GrantedCapabilities {
            routes: vec!["/status".into()],
            ..Default::default()
        },
        config: vec![("greeting".into(), Value::Text("hi".into()))],
        limits: Limits::default(),
    });
    let request = Envelope::request::<KvGet>(1, &KvGetRequest { key: "n".into() }, 5000, max)?;
    let response = Envelope::response::<KvGet>(
        1,
        &Ok(KvGetResponse {
            value: Some(b"7".to_vec()),
        }),
        max,
    )?;
    let mut out = Vec::new();
    for (name, body) in [
        ("hello", hello.encode()?),
        ("welcome", welcome.encode(max)?),
        ("kv.get request", request.encode(max)?),
        ("kv.get response", response.encode(max)?),
    ] {
        out.push((name, frame::frame_bytes(&body, max)?));
    }
    Ok(out)
}

/// Lower-case hex, 16 bytes a line, as printed in `docs/abi.md`.
pub fn hex(bytes: &[u8]) -> String {
    bytes
        .chunks(16)
        .map(|line| {
            line.iter()
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[allow(dead_code)]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    for (name, bytes) in worked_examples()? {
        println!("{name}:\n{}\n", hex(&bytes));
    }
    Ok(())
}
