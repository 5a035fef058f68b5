//! Conformance of the encoder and decoders with the rules `docs/abi.md` states in words
//! (§3 varints and nesting, §5 envelope shapes, §7.1 error codes). Each test is named after
//! the rule; it fails when the code and the text disagree.

use faxbot_plugin_abi::codec;
use faxbot_plugin_abi::envelope::MAX_METHOD_LEN;
use faxbot_plugin_abi::methods::{Log, LogLevel, LogRecord};
use faxbot_plugin_abi::value::MAX_VALUE_DEPTH;
use faxbot_plugin_abi::{DecodeError, Envelope, ErrorCode, Kind, RpcError, Value};

const SPEC: &str = include_str!("../../docs/abi.md");

fn spec_says(words: &str) {
    let flat = SPEC.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains(words),
        "docs/abi.md no longer says {words:?}: update the text and this test together"
    );
}

#[test]
fn a_varint_is_at_most_3_bytes_for_u16_5_for_u32_and_10_for_u64() {
    spec_says("at most 3 bytes for `u16`, 5 for `u32`, 10 for `u64`");
    assert_eq!(
        postcard::to_stdvec(&u16::MAX).expect("u16"),
        [0xff, 0xff, 0x03]
    );
    assert_eq!(postcard::to_stdvec(&u32::MAX).expect("u32").len(), 5);
    assert_eq!(postcard::to_stdvec(&u64::MAX).expect("u64").len(), 10);
    // One byte more than the maximum is an error even when it encodes a small number.
    assert!(codec::decode::<u16>("u16", &[0x80, 0x80, 0x80, 0x00]).is_err());
    assert!(codec::decode::<u32>("u32", &[0x80, 0x80, 0x80, 0x80, 0x80, 0x00]).is_err());
    let mut eleven = vec![0x80u8; 10];
    eleven.push(0);
    assert!(codec::decode::<u64>("u64", &eleven).is_err());
}

#[test]
fn a_varint_whose_value_exceeds_its_type_is_a_decode_error() {
    spec_says("a value past the type's range is a decode error");
    assert!(codec::decode::<u16>("u16", &[0xff, 0xff, 0x04]).is_err());
    assert!(codec::decode::<u32>("u32", &[0xff, 0xff, 0xff, 0xff, 0x10]).is_err());
    let mut over = vec![0xffu8; 9];
    over.push(0x02);
    assert!(codec::decode::<u64>("u64", &over).is_err());
}

#[test]
fn encoders_write_the_shortest_varint_and_decoders_accept_overlong_ones_within_the_maximum() {
    spec_says("Encoders write the shortest form");
    spec_says("Decoders accept an overlong form");
    for n in [0u32, 1, 127, 128, 16_383, 16_384, 1_048_576, u32::MAX] {
        let bytes = postcard::to_stdvec(&n).expect("encode");
        assert_eq!(
            bytes.last().map(|b| *b != 0 || n == 0),
            Some(true),
            "{n}: {bytes:?}"
        );
        assert_eq!(
            bytes.len(),
            (32 - n.leading_zeros()).div_ceil(7).max(1) as usize
        );
    }
    assert_eq!(codec::decode::<u32>("u32", &[0x80, 0x00]), Ok(0));
    assert_eq!(
        codec::decode::<u32>("u32", &[0x81, 0x80, 0x80, 0x80, 0x00]),
        Ok(1)
    );
    assert_eq!(
        codec::decode::<String>("String", &[0x81, 0x00, b'a']),
        Ok("a".to_owned())
    );
}

#[test]
fn bool_and_option_tags_other_than_0_or_1_are_decode_errors() {
    spec_says("any other tag byte is a decode error");
    assert!(codec::decode::<bool>("bool", &[2]).is_err());
    assert!(codec::decode::<Option<u8>>("Option", &[2, 0]).is_err());
}

fn nested(levels: usize) -> Value {
    let mut value = Value::Null;
    for _ in 1..levels {
        value = Value::List(vec![value]);
    }
    value
}

#[test]
fn a_value_nested_32_levels_decodes_and_33_levels_is_refused() {
    spec_says("a `Value` that is not a `List` or `Map` is 1 level");
    assert_eq!(MAX_VALUE_DEPTH, 32);
    let at_limit = codec::encode("Value", &nested(32), 1 << 20).expect("encode");
    assert_eq!(at_limit[..31], [6u8, 1].repeat(16)[..31]);
    assert_eq!(codec::decode::<Value>("Value", &at_limit), Ok(nested(32)));
    let over = codec::encode("Value", &nested(33), 1 << 20).expect("encode");
    assert_eq!(
        codec::decode::<Value>("Value", &over),
        Err(DecodeError::TooDeep { max: 32 })
    );
    // The limit is per value: each config entry or field starts again at level 1.
    let fields = vec![("a".to_owned(), nested(32)), ("b".to_owned(), nested(32))];
    let bytes = codec::encode("fields", &fields, 1 << 20).expect("encode");
    assert!(codec::decode::<Vec<(String, Value)>>("fields", &bytes).is_ok());
}

#[test]
fn a_notification_carries_id_0_and_deadline_0() {
    spec_says("A Notification carries `id` 0");
    let record = LogRecord {
        level: LogLevel::Info,
        message: "m".into(),
        fields: Vec::new(),
    };
    let note = Envelope::notification::<Log>(&record, 1 << 20).expect("notification");
    assert_eq!(
        (note.id, note.kind, note.deadline_ms),
        (0, Kind::Notification, 0)
    );
    assert_eq!(note.method, "log.write");
}

#[test]
fn responses_and_cancels_carry_an_empty_method_and_deadline_0() {
    spec_says("Responses and Cancels carry `method` \"\" and `deadline_ms` 0");
    let cancel = Envelope::cancel(7);
    assert_eq!(
        (
            cancel.id,
            cancel.kind,
            cancel.method.as_str(),
            cancel.deadline_ms
        ),
        (7, Kind::Cancel, "", 0)
    );
    assert!(cancel.body.is_empty());
    let error = RpcError::new(ErrorCode::Invalid, "x");
    let response = Envelope::error_response(9, &error, 1 << 20).expect("response");
    assert_eq!(
        (
            response.kind,
            response.method.as_str(),
            response.deadline_ms
        ),
        (Kind::Response, "", 0)
    );
    // `01` Err, `02` invalid, `01 78` "x".
    assert_eq!(response.body, [1, 2, 1, b'x']);
}

#[test]
fn a_method_name_of_64_bytes_decodes_and_65_ends_the_session() {
    spec_says("at most 64 bytes");
    assert_eq!(MAX_METHOD_LEN, 64);
    for (len, ok) in [(64, true), (65, false)] {
        let envelope = Envelope {
            id: 1,
            kind: Kind::Request,
            method: "m".repeat(len),
            deadline_ms: 0,
            body: Vec::new(),
        };
        let bytes = envelope.encode(1 << 20).expect("encode");
        assert_eq!(Envelope::decode(&bytes).is_ok(), ok, "{len} bytes");
    }
}

#[test]
fn an_unknown_error_code_decodes_and_keeps_its_number() {
    spec_says("Decoders must accept codes they do not know");
    let outcome: Result<(), (u16, String)> = Err((4242, "newer".into()));
    let bytes = postcard::to_stdvec(&outcome).expect("encode");
    let decoded: Result<(), RpcError> = codec::decode("outcome", &bytes).expect("decode");
    let error = decoded.expect_err("a failure");
    assert_eq!(error.code, ErrorCode::Other(4242));
    assert_eq!(error.code.as_u16(), 4242);
}

#[test]
fn an_rpc_error_is_a_code_and_a_message_and_nothing_else() {
    spec_says("RpcError { code: u16, message: String }");
    let bytes = postcard::to_stdvec(&RpcError::new(ErrorCode::Timeout, "t")).expect("encode");
    assert_eq!(bytes, [5, 1, b't']);
}
