//! Encode + decode of typical messages, frame header included: the per-call CPU cost the
//! wire adds on each side. Run with `cargo bench -p faxbot-plugin-abi`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use faxbot_plugin_abi::event::{Event, EventPayload, FaxDirection, FaxJobEvent, FaxJobState};
use faxbot_plugin_abi::frame::{self, DEFAULT_MAX_FRAME};
use faxbot_plugin_abi::methods::*;
use faxbot_plugin_abi::secret::SecretTemplate;
use faxbot_plugin_abi::{Envelope, Method};
use std::hint::black_box;

fn event() -> EventDelivery {
    EventDelivery {
        event: Event {
            id: "evt_01HZX3M4Q8J9K2".into(),
            topic: "fax.job.delivered".into(),
            tenant_id: "tenant_7f3a".into(),
            sequence: 1_234_567,
            occurred_at_ms: 1_764_000_000_000,
            payload: EventPayload::FaxJob(FaxJobEvent {
                job_id: "fj_01HZX3M4Q8J9K2".into(),
                direction: FaxDirection::Outbound,
                state: FaxJobState::Delivered,
                provider: "phaxio".into(),
                pages: Some(3),
                attempt: 1,
                queued_at_ms: 1_763_999_990_000,
                duration_ms: Some(48_200),
                failure: None,
                remote_token: Some("tok_5b1e9d0c3a7f".into()),
            }),
        },
        attempt: 1,
    }
}

fn http() -> HttpRequest {
    HttpRequest {
        method: "POST".into(),
        url: SecretTemplate::text("https://hooks.slack.com/services/").and_secret("SLACK_PATH"),
        headers: vec![OutboundHeader {
            name: "content-type".into(),
            value: "application/json".into(),
        }],
        body: br#"{"text":"Fax fj_01HZX3M4Q8J9K2 delivered (3 pages)"}"#.to_vec(),
        timeout_ms: 5_000,
    }
}

fn round_trip<M: Method>(id: u64, request: &M::Request) -> M::Request {
    let envelope = Envelope::request::<M>(id, request, 0, DEFAULT_MAX_FRAME).expect("encode");
    let framed = frame::frame_bytes(
        &envelope.encode(DEFAULT_MAX_FRAME).expect("encode"),
        DEFAULT_MAX_FRAME,
    )
    .expect("frame");
    let body = frame::read_frame(&mut &framed[..], DEFAULT_MAX_FRAME)
        .expect("read")
        .expect("one frame");
    Envelope::decode(&body)
        .expect("decode")
        .decode_request::<M>()
        .expect("decode body")
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("abi_encode_decode");
    group.throughput(Throughput::Elements(1));

    let empty = HealthCheck {};
    group.bench_function("health_check_empty", |b| {
        b.iter(|| round_trip::<Health>(black_box(7), black_box(&empty)))
    });
    let kv = KvGetRequest {
        key: "digest:2026-11-24".into(),
    };
    group.bench_function("kv_get", |b| {
        b.iter(|| round_trip::<KvGet>(black_box(7), black_box(&kv)))
    });
    let ev = event();
    group.bench_function("event_deliver_fax_job", |b| {
        b.iter(|| round_trip::<DeliverEvent>(black_box(7), black_box(&ev)))
    });
    let req = http();
    group.bench_function("http_fetch_slack", |b| {
        b.iter(|| round_trip::<HttpFetch>(black_box(7), black_box(&req)))
    });
    let big = KvPutRequest {
        key: "blob".into(),
        value: vec![0x5a; 64 * 1024],
    };
    group.bench_function("kv_put_64k", |b| {
        b.iter(|| round_trip::<KvPut>(black_box(7), black_box(&big)))
    });
    group.finish();

    // Baseline in the same run: framing alone (prefix + copy out) of the already-encoded
    // body of the same messages, i.e. what the wire costs without postcard.
    let mut baseline = c.benchmark_group("baseline_frame_copy_only");
    baseline.throughput(Throughput::Elements(1));
    for (name, body) in [
        ("event_deliver_fax_job", encoded::<DeliverEvent>(&ev)),
        ("http_fetch_slack", encoded::<HttpFetch>(&req)),
        ("kv_put_64k", encoded::<KvPut>(&big)),
    ] {
        baseline.bench_function(name, |b| {
            b.iter(|| {
                let framed =
                    frame::frame_bytes(black_box(&body), DEFAULT_MAX_FRAME).expect("frame");
                frame::read_frame(&mut &framed[..], DEFAULT_MAX_FRAME)
                    .expect("read")
                    .expect("one frame")
            })
        });
    }
    baseline.finish();
}

fn encoded<M: Method>(request: &M::Request) -> Vec<u8> {
    Envelope::request::<M>(7, request, 0, DEFAULT_MAX_FRAME)
        .expect("encode")
        .encode(DEFAULT_MAX_FRAME)
        .expect("encode")
}

criterion_group!(benches, bench);
criterion_main!(benches);
