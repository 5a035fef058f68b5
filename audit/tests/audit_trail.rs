//! The trail's behaviour on real files: records round-trip with every field, queries filter,
//! export writes JSON Lines, many concurrent writers share fsyncs without losing or
//! duplicating a record, a second writer is refused, and PHI in details never reaches the disk.

use std::collections::BTreeSet;
use std::fs;
use std::path::PathBuf;
use std::sync::Arc;

use faxbot_audit::keys::KeyMaterial;
use faxbot_audit::{
    self as audit, Action, Actor, AuditError, AuditEvent, AuditTrail, CorrelationId, Filter,
    Outcome, Target, TenantId, Timestamp, WithholdStrings,
};

struct Fixture {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    keys: KeyMaterial,
}

fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().expect("tempdir");
    let keys = KeyMaterial::load_or_create(tmp.path()).expect("keys");
    let dir = tmp.path().join(audit::AUDIT_DIR_NAME);
    Fixture {
        _tmp: tmp,
        dir,
        keys,
    }
}

impl Fixture {
    fn open(&self) -> AuditTrail {
        AuditTrail::open(&self.dir, &self.keys, Arc::new(WithholdStrings))
            .expect("open trail")
            .0
    }

    fn all(&self, filter: &Filter) -> Vec<audit::AuditRecord> {
        let mut out = Vec::new();
        audit::query(&self.dir, &self.keys.audit_chain_key(), filter, |r| {
            out.push(r.clone());
            Ok(())
        })
        .expect("query");
        out
    }
}

fn event(actor: &str, action: &str, outcome: Outcome) -> AuditEvent {
    AuditEvent::new(
        actor.parse().expect("actor"),
        Action::new(action).expect("action"),
        outcome,
    )
}

#[test]
fn a_new_trail_starts_with_its_creation_record_and_reopening_continues_the_chain() {
    let f = fixture();
    let (trail, report) =
        AuditTrail::open(&f.dir, &f.keys, Arc::new(WithholdStrings)).expect("create");
    assert!(report.created);
    assert_eq!(report.records, 1);
    let receipt = trail
        .record_blocking(event("system", "core.started", Outcome::Success))
        .expect("record");
    assert_eq!(receipt.seq, 2);
    drop(trail);
    let (trail, report) =
        AuditTrail::open(&f.dir, &f.keys, Arc::new(WithholdStrings)).expect("reopen");
    assert!(!report.created);
    assert_eq!(report.records, 2);
    assert_eq!(report.repaired, None);
    let receipt = trail
        .record_blocking(event("system", "core.stopped", Outcome::Success))
        .expect("record");
    assert_eq!(receipt.seq, 3);
    drop(trail);
    let records = f.all(&Filter::default());
    let actions: Vec<_> = records
        .iter()
        .map(|r| r.action.as_str().to_owned())
        .collect();
    assert_eq!(
        actions,
        ["audit.trail_created", "core.started", "core.stopped"]
    );
    assert_eq!(
        audit::verify_trail(&f.dir, &f.keys.audit_chain_key())
            .expect("verify")
            .records,
        3
    );
}

#[test]
fn every_field_round_trips_through_the_file() {
    let f = fixture();
    let trail = f.open();
    let sent = AuditEvent::new(
        Actor::api_key("k_77").expect("actor"),
        Action::new("plugin.install.approved").expect("action"),
        Outcome::Denied,
    )
    .with_tenant(TenantId::new("clinic-7").expect("tenant"))
    .with_target(Target::plugin("com.example.slack").expect("target"))
    .with_correlation_id(CorrelationId::new("req:01HZX").expect("corr"))
    .with_details(serde_json::json!({"grants": 3, "hipaa": true}));
    let before = Timestamp::now();
    let receipt = trail.record_blocking(sent.clone()).expect("record");
    drop(trail);
    let got = f
        .all(&Filter::default())
        .into_iter()
        .find(|r| r.seq == receipt.seq)
        .expect("record found");
    assert_eq!(got.actor, sent.actor);
    assert_eq!(got.tenant, sent.tenant);
    assert_eq!(got.action, sent.action);
    assert_eq!(got.target, sent.target);
    assert_eq!(got.outcome, sent.outcome);
    assert_eq!(got.correlation_id, sent.correlation_id);
    assert_eq!(got.details, sent.details);
    assert_eq!(got.time, receipt.time);
    assert!(got.time >= before);
}

#[test]
fn queries_filter_by_time_actor_action_plugin_tenant_and_outcome() {
    let f = fixture();
    let trail = f.open();
    let slack = || Target::plugin("com.example.slack").expect("target");
    let r1 = trail
        .record_blocking(
            event("api_key:k_1", "plugin.install.approved", Outcome::Success)
                .with_target(slack())
                .with_tenant(TenantId::new("t1").expect("tenant")),
        )
        .expect("record");
    std::thread::sleep(std::time::Duration::from_millis(5));
    let r2 = trail
        .record_blocking(
            event(
                "plugin:com.example.slack",
                "capability.http.fetch",
                Outcome::Denied,
            )
            .with_tenant(TenantId::new("t2").expect("tenant")),
        )
        .expect("record");
    std::thread::sleep(std::time::Duration::from_millis(5));
    let r3 = trail
        .record_blocking(event(
            "plugin:com.other",
            "capability.kv.set",
            Outcome::Failed,
        ))
        .expect("record");
    drop(trail);

    let seqs = |filter: Filter| -> Vec<u64> { f.all(&filter).iter().map(|r| r.seq).collect() };
    assert_eq!(
        seqs(Filter {
            actor: Some("api_key:k_1".parse().expect("actor")),
            ..Filter::default()
        }),
        [r1.seq]
    );
    assert_eq!(
        seqs(Filter {
            plugin: Some("com.example.slack".into()),
            ..Filter::default()
        }),
        [r1.seq, r2.seq],
        "by the plugin or about it"
    );
    assert_eq!(
        seqs(Filter {
            action: Some("capability.*".into()),
            ..Filter::default()
        }),
        [r2.seq, r3.seq]
    );
    assert_eq!(
        seqs(Filter {
            action: Some("capability".into()),
            ..Filter::default()
        }),
        Vec::<u64>::new(),
        "an action without `.*` matches exactly"
    );
    assert_eq!(
        seqs(Filter {
            outcome: Some(Outcome::Denied),
            ..Filter::default()
        }),
        [r2.seq]
    );
    assert_eq!(
        seqs(Filter {
            tenant: Some(TenantId::new("t1").expect("tenant")),
            ..Filter::default()
        }),
        [r1.seq]
    );
    assert_eq!(
        seqs(Filter {
            since: Some(r2.time),
            until: Some(r3.time),
            ..Filter::default()
        }),
        [r2.seq],
        "since is inclusive, until exclusive"
    );
}

#[test]
fn export_writes_one_json_object_per_record_with_its_mac() {
    let f = fixture();
    let trail = f.open();
    for i in 0..3 {
        trail
            .record_blocking(
                event("system", "core.tick", Outcome::Success)
                    .with_details(serde_json::json!({"i": i})),
            )
            .expect("record");
    }
    drop(trail);
    let mut out = Vec::new();
    let summary = audit::export_json_lines(
        &f.dir,
        &f.keys.audit_chain_key(),
        &Filter {
            action: Some("core.tick".into()),
            ..Filter::default()
        },
        &mut out,
    )
    .expect("export");
    assert_eq!((summary.scanned, summary.matched), (4, 3));
    let text = String::from_utf8(out).expect("utf-8");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines.len(), 3);
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(line["action"], "core.tick");
        assert_eq!(line["details"]["i"], i);
        assert_eq!(line["seq"], i + 2);
        assert_eq!(line["mac"].as_str().map(str::len), Some(64));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_writers_share_fsyncs_and_lose_no_record() {
    const WRITERS: u64 = 64;
    const EACH: u64 = 40;
    let f = fixture();
    let trail = f.open();
    let mut tasks = Vec::new();
    for w in 0..WRITERS {
        let trail = trail.clone();
        tasks.push(tokio::spawn(async move {
            let mut receipts = Vec::new();
            for n in 0..EACH {
                let e = event(
                    &format!("plugin:w{w}"),
                    "capability.kv.set",
                    Outcome::Success,
                )
                .with_details(serde_json::json!({"n": n}));
                receipts.push(trail.record(e).await.expect("record"));
            }
            receipts
        }));
    }
    let mut seqs = BTreeSet::new();
    for task in tasks {
        for receipt in task.await.expect("writer") {
            assert!(
                seqs.insert(receipt.seq),
                "seq {} acknowledged twice",
                receipt.seq
            );
        }
    }
    drop(trail);
    let expected: BTreeSet<u64> = (2..2 + WRITERS * EACH).collect();
    assert_eq!(seqs, expected, "every record acknowledged exactly once");

    let records = f.all(&Filter::default());
    assert_eq!(records.len() as u64, 1 + WRITERS * EACH);
    // Each writer's own records are in its order.
    for w in 0..WRITERS {
        let actor = Actor::plugin(format!("w{w}")).expect("actor");
        let ns: Vec<_> = records
            .iter()
            .filter(|r| r.actor == actor)
            .map(|r| r.details["n"].as_u64().expect("n"))
            .collect();
        assert_eq!(ns, (0..EACH).collect::<Vec<_>>());
    }
    // A batch's records share one commit time, so fewer distinct times than records means
    // writers shared fsyncs.
    let batches: BTreeSet<_> = records.iter().map(|r| r.time).collect();
    assert!(
        (batches.len() as u64) < WRITERS * EACH / 4,
        "{} commits for {} records: no group commit",
        batches.len(),
        WRITERS * EACH
    );
    audit::verify_trail(&f.dir, &f.keys.audit_chain_key()).expect("verifies");
}

#[test]
fn a_second_writer_on_the_same_trail_is_refused() {
    let f = fixture();
    let _first = f.open();
    match AuditTrail::open(&f.dir, &f.keys, Arc::new(WithholdStrings)) {
        Err(AuditError::Busy { .. }) => {}
        other => panic!("expected Busy, got {:?}", other.map(|(_, r)| r)),
    }
}

#[test]
fn phi_in_details_never_reaches_the_disk() {
    let f = fixture();
    let trail = f.open();
    let phi = [
        "Jane Q. Doe",
        "123-45-6789",
        "+1 (555) 867-5309",
        "jane.doe@example.com",
        "MRN 00451234",
        "1960-02-29",
        "42 Wallaby Way, Sydney",
    ];
    trail
        .record_blocking(
            event("api_key:k_1", "fax.job.sent", Outcome::Success)
                .with_tenant(TenantId::new("clinic-7").expect("tenant"))
                .with_details(serde_json::json!({
                    "patient": phi[0],
                    "ssn": phi[1],
                    "to": [phi[2]],
                    "contact": {"email": phi[3], "note": format!("{} born {}", phi[4], phi[5])},
                    "address": phi[6],
                    "pages": 3,
                })),
        )
        .expect("record");
    drop(trail);
    let mut on_disk = Vec::new();
    for entry in fs::read_dir(&f.dir).expect("dir") {
        on_disk.extend(fs::read(entry.expect("entry").path()).expect("read"));
    }
    let text = String::from_utf8_lossy(&on_disk);
    for value in phi {
        assert!(!text.contains(value), "{value:?} reached the disk");
    }
    // The non-PHI shape survives.
    assert!(text.contains("\"pages\":3"), "{text}");
}

#[test]
fn invalid_identifiers_are_refused_before_anything_is_written() {
    let f = fixture();
    let trail = f.open();
    assert!(TenantId::new("Jane Doe").is_err());
    assert!("plugin:bad id".parse::<Actor>().is_err());
    // An actor built from its variant, skipping the checked constructor, is still refused.
    let unchecked = AuditEvent::new(
        Actor::Plugin("Jane Doe".into()),
        Action::new("capability.kv.set").expect("action"),
        Outcome::Success,
    );
    match trail.record_blocking(unchecked) {
        Err(AuditError::Field(e)) => assert!(!e.to_string().contains("Jane"), "{e}"),
        other => panic!("an unchecked actor was not refused: {other:?}"),
    }
    drop(trail);
    assert_eq!(f.all(&Filter::default()).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_since_a_recent_time_starts_at_the_index_and_gives_the_full_scan_answer() {
    let f = fixture();
    let trail = f.open();
    let burst = |writers: u64, each: u64, action: &'static str| {
        let trail = trail.clone();
        async move {
            let tasks: Vec<_> = (0..writers)
                .map(|w| {
                    let trail = trail.clone();
                    tokio::spawn(async move {
                        for n in 0..each {
                            let e = event(&format!("plugin:w{w}"), action, Outcome::Success)
                                .with_details(serde_json::json!({"n": n}));
                            trail.record(e).await.expect("record");
                        }
                    })
                })
                .collect();
            for t in tasks {
                t.await.expect("writer");
            }
        }
    };
    burst(64, 60, "core.old").await;
    std::thread::sleep(std::time::Duration::from_millis(5));
    let since = Timestamp::now();
    burst(4, 25, "core.new").await;
    drop(trail);

    let key = f.keys.audit_chain_key();
    let filter = Filter {
        since: Some(since),
        ..Filter::default()
    };
    let run = || {
        let mut seqs = Vec::new();
        let summary = audit::query(&f.dir, &key, &filter, |r| {
            assert_eq!(r.action.as_str(), "core.new");
            seqs.push(r.seq);
            Ok(())
        })
        .expect("query");
        (seqs, summary)
    };
    let (seqs, summary) = run();
    assert_eq!(seqs, (3842..3942).collect::<Vec<u64>>());
    assert!(
        summary.scanned < audit::INDEX_STRIDE + 100,
        "read {} records: the index was not used",
        summary.scanned
    );

    // A damaged index is not trusted: the same answer, from a full scan.
    let index_path = f.dir.join(audit::INDEX_FILE_NAME);
    let mut bytes = fs::read(&index_path).expect("index");
    assert_eq!(
        bytes.len(),
        4 * 88,
        "entries for seq 1, 1025, 2049 and 3073"
    );
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    bytes[88 + 5] ^= 0xff;
    fs::write(&index_path, &bytes).expect("damage index");
    let (seqs_full, summary_full) = run();
    assert_eq!(seqs_full, seqs);
    assert_eq!(summary_full.scanned, 3941);
}

#[test]
fn an_event_too_large_for_one_record_is_refused_and_nothing_is_written() {
    let f = fixture();
    let trail = f.open();
    let huge = vec![0u8; 3_000_000]; // ~6 MB of JSON numbers: over the 4 MiB record limit
    let result = trail.record_blocking(
        event("system", "core.dump", Outcome::Success).with_details(serde_json::json!(huge)),
    );
    assert!(
        matches!(result, Err(AuditError::TooLarge { .. })),
        "{result:?}"
    );
    trail
        .record_blocking(event("system", "core.after", Outcome::Success))
        .expect("the trail still works");
    drop(trail);
    let actions: Vec<_> = f
        .all(&Filter::default())
        .iter()
        .map(|r| r.action.as_str().to_owned())
        .collect();
    assert_eq!(actions, ["audit.trail_created", "core.after"]);
}

#[test]
fn a_crash_while_creating_the_trail_leaves_a_trail_that_opens() {
    let f = fixture();
    drop(f.open());
    let path = f.dir.join(audit::TRAIL_FILE_NAME);
    let header_and_more = fs::read(&path).expect("read");
    // As if the process died after 20 bytes of the header and before any head was written.
    fs::write(&path, &header_and_more[..20]).expect("cut");
    fs::remove_file(f.dir.join(audit::HEAD_FILE_NAME)).expect("no head yet");
    let (_trail, report) =
        AuditTrail::open(&f.dir, &f.keys, Arc::new(WithholdStrings)).expect("re-create");
    assert!(report.created);
    assert_eq!(report.records, 1);
}

#[test]
fn details_nested_too_deep_to_read_back_are_refused() {
    let f = fixture();
    let trail = f.open();
    let mut deep = serde_json::json!(1);
    for _ in 0..200 {
        deep = serde_json::json!([deep]);
    }
    let result =
        trail.record_blocking(event("system", "core.deep", Outcome::Success).with_details(deep));
    assert!(
        matches!(result, Err(AuditError::TooDeep { .. })),
        "{result:?}"
    );
    let mut ok = serde_json::json!(1);
    for _ in 0..audit::MAX_DETAILS_DEPTH {
        ok = serde_json::json!({ "a": ok });
    }
    trail
        .record_blocking(event("system", "core.nested", Outcome::Success).with_details(ok))
        .expect("the limit itself is allowed");
    drop(trail);
    audit::verify_trail(&f.dir, &f.keys.audit_chain_key()).expect("what was written reads back");
}
