//! Round-trip properties for every message type, and the malformed-input classes.

use crate::codec;
use crate::envelope::{Envelope, Kind};
use crate::error::{DecodeError, ErrorCode, RpcError};
use crate::event::Event;
use crate::frame::{self, DEFAULT_MAX_FRAME};
use crate::handshake::{HandshakeReply, Hello, MAGIC};
use crate::methods::{self, *};
use crate::version::{AbiVersion, VersionRange};
use proptest::prelude::*;
use serde::{Serialize, de::DeserializeOwned};

/// Encoding, decoding and encoding again gives the same bytes (byte equality also covers
/// floats, where NaN != NaN).
fn assert_round_trip<T: Serialize + DeserializeOwned>(what: &'static str, value: &T) {
    let bytes = codec::encode(what, value, frame::HARD_MAX_FRAME).expect("encode");
    let back: T = codec::decode(what, &bytes).expect("decode");
    let again = codec::encode(what, &back, frame::HARD_MAX_FRAME).expect("re-encode");
    assert_eq!(bytes, again, "{what} did not round-trip");
}

macro_rules! round_trip_props {
    ($($test:ident: $ty:ty),* $(,)?) => {
        proptest! {
            #![proptest_config(ProptestConfig::with_cases(64))]
            $(
                #[test]
                fn $test(value: $ty) {
                    assert_round_trip(stringify!($ty), &value);
                }
            )*
        }
    };
}

round_trip_props! {
    envelope_round_trips: Envelope,
    hello_round_trips: Hello,
    handshake_reply_round_trips: HandshakeReply,
    event_round_trips: Event,
    event_delivery_round_trips: EventDelivery,
    route_request_round_trips: RouteRequest,
    route_response_round_trips: RouteResponse,
    job_run_round_trips: JobRun,
    job_report_round_trips: JobReport,
    health_check_round_trips: HealthCheck,
    health_report_round_trips: HealthReport,
    shutdown_round_trips: ShutdownRequest,
    http_request_round_trips: HttpRequest,
    http_response_round_trips: HttpResponse,
    kv_get_round_trips: KvGetRequest,
    kv_get_response_round_trips: KvGetResponse,
    kv_put_round_trips: KvPutRequest,
    kv_delete_round_trips: KvDeleteRequest,
    kv_delete_response_round_trips: KvDeleteResponse,
    kv_list_round_trips: KvListRequest,
    kv_list_response_round_trips: KvListResponse,
    log_record_round_trips: LogRecord,
    metric_sample_round_trips: MetricSample,
    emit_event_round_trips: EmitEventRequest,
    emit_event_response_round_trips: EmitEventResponse,
    fax_job_status_round_trips: FaxJobStatusRequest,
    fax_job_status_response_round_trips: FaxJobStatusResponse,
    rpc_error_round_trips: RpcError,
    ack_round_trips: Ack,
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn response_outcomes_round_trip(ok: HttpResponse, err: RpcError) {
        assert_round_trip("ok outcome", &Ok::<_, RpcError>(ok));
        assert_round_trip("err outcome", &Err::<HttpResponse, _>(err));
    }

    #[test]
    fn garbage_bodies_never_panic_any_decoder(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = Envelope::decode(&bytes);
        let _ = Hello::decode(&bytes);
        let _ = HandshakeReply::decode(&bytes);
        let _ = codec::decode::<EventDelivery>("EventDelivery", &bytes);
        let _ = codec::decode::<HttpRequest>("HttpRequest", &bytes);
        let _ = codec::decode::<Result<HttpResponse, RpcError>>("outcome", &bytes);
    }
}

fn hello() -> Hello {
    Hello {
        magic: MAGIC,
        abi: VersionRange::exactly(AbiVersion::new(1, 0)),
        plugin_id: "slack-notifier".into(),
        plugin_version: "1.2.0".into(),
        sdk_name: "faxbot-sdk".into(),
        sdk_version: "0.1.0".into(),
        max_frame: DEFAULT_MAX_FRAME,
    }
}

#[test]
fn hello_without_magic_is_refused_as_not_a_plugin() {
    let mut bytes = hello().encode().expect("encode");
    bytes[0] = b'X';
    assert!(matches!(
        Hello::decode(&bytes),
        Err(DecodeError::BadMagic { .. })
    ));
    assert!(matches!(
        Hello::decode(b"GET / HTTP/1.1\r\n"),
        Err(DecodeError::BadMagic { .. })
    ));
}

#[test]
fn truncated_hello_is_refused() {
    let bytes = hello().encode().expect("encode");
    // Cut inside the plugin id string: its declared length runs past the end.
    let cut = &bytes[..12];
    assert!(Hello::decode(cut).is_err());
}

#[test]
fn hello_from_a_plugin_with_another_major_version_decodes_and_fails_negotiation() {
    let mut h = hello();
    h.abi = VersionRange::exactly(AbiVersion::new(2, 0));
    let back = Hello::decode(&h.encode().expect("encode")).expect("decode");
    assert!(
        crate::version::negotiate(VersionRange::exactly(crate::ABI_VERSION), back.abi).is_err()
    );
}

#[test]
fn unknown_method_decodes_as_an_envelope_so_it_can_be_answered_unsupported() {
    let envelope = Envelope {
        id: 42,
        kind: Kind::Request,
        method: "teleport.fax".into(),
        deadline_ms: 0,
        body: vec![1, 2, 3],
    };
    let bytes = envelope.encode(DEFAULT_MAX_FRAME).expect("encode");
    let back = Envelope::decode(&bytes).expect("an unknown method is not a decode failure");
    assert_eq!(methods::direction_of(&back.method), None);
    let reply = Envelope::error_response(
        back.id,
        &RpcError::unsupported_method(&back.method),
        DEFAULT_MAX_FRAME,
    )
    .expect("encode");
    let outcome = reply.decode_response::<KvGet>().expect("decode");
    assert_eq!(outcome.unwrap_err().code, ErrorCode::Unsupported);
}

#[test]
fn overlong_method_name_is_refused() {
    let envelope = Envelope {
        id: 1,
        kind: Kind::Request,
        method: "m".repeat(65),
        deadline_ms: 0,
        body: vec![],
    };
    let bytes = envelope.encode(DEFAULT_MAX_FRAME).expect("encode");
    assert!(matches!(
        Envelope::decode(&bytes),
        Err(DecodeError::Malformed { .. })
    ));
}

#[test]
fn request_body_of_the_wrong_type_is_a_typed_error() {
    let envelope = Envelope::request::<Metric>(
        1,
        &MetricSample {
            name: "x".into(),
            kind: MetricKind::Gauge,
            value: 1.0,
            labels: vec![],
        },
        0,
        DEFAULT_MAX_FRAME,
    )
    .expect("encode");
    // A MetricSample read as an HttpRequest: the method string in the template does not
    // fit; must be an error (or a harmless value), never a panic.
    let _ = envelope.decode_request::<HttpFetch>();
    let mut broken = envelope.clone();
    broken.body = vec![0xff];
    assert!(matches!(
        broken.decode_request::<Metric>(),
        Err(DecodeError::Malformed {
            what: "metric.record",
            ..
        })
    ));
}

#[test]
fn every_method_name_is_unique_and_short() {
    let mut names: Vec<_> = methods::ALL.iter().map(|(n, _)| *n).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), methods::ALL.len());
    assert!(
        names
            .iter()
            .all(|n| n.len() <= crate::envelope::MAX_METHOD_LEN)
    );
}
