//! The bus against a real SQLite outbox: order, at least once, backoff, dead letters, a
//! subscriber that is down, a restart of the core, and PHI never stored or delivered.

use faxbot_bus::{Bus, Deliverer, DeliveryError, DeliveryFuture, RetryPolicy, Subscription};
use faxbot_events::CoreEvent;
use faxbot_plugin_abi::event::{Event, EventPayload};
use faxbot_redact::{PseudonymKey, Redactor};
use faxbot_store::{BusStore, SqliteStore};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A subscriber that records what it receives and fails the first attempts of the events
/// named in `fail_first`.
#[derive(Default)]
struct Recorder {
    received: Mutex<Vec<(String, Event, u32)>>,
    fail_first: Mutex<HashMap<String, u32>>,
    down: AtomicBool,
}

impl Deliverer for Recorder {
    fn available(&self, _subscriber: &str) -> bool {
        !self.down.load(Ordering::SeqCst)
    }

    fn deliver<'a>(
        &'a self,
        subscriber: &'a str,
        event: Event,
        attempt: u32,
    ) -> DeliveryFuture<'a> {
        Box::pin(async move {
            let fail = self
                .fail_first
                .lock()
                .expect("lock")
                .get(&field(&event, "n"))
                .copied()
                .unwrap_or(0);
            self.received
                .lock()
                .expect("lock")
                .push((subscriber.to_owned(), event, attempt));
            if attempt <= fail {
                Err(DeliveryError("refused".into()))
            } else {
                Ok(())
            }
        })
    }
}

fn field(event: &Event, name: &str) -> String {
    match &event.payload {
        EventPayload::Custom(c) => c
            .fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| format!("{v:?}"))
            .unwrap_or_default(),
        _ => String::new(),
    }
}

fn custom(n: u64, note: &str) -> CoreEvent {
    let mut fields = serde_json::Map::new();
    fields.insert("n".into(), serde_json::json!(format!("n{n}")));
    fields.insert("note".into(), serde_json::json!(note));
    CoreEvent::Custom {
        topic: "plugin.src.thing".into(),
        tenant: "t1".into(),
        source_plugin: "src".into(),
        occurred_at_ms: 1,
        fields,
    }
}

fn fast() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        base: Duration::from_millis(5),
        cap: Duration::from_millis(20),
        attempt_timeout: Duration::from_secs(2),
    }
}

fn bus(path: &std::path::Path, to: Arc<Recorder>) -> Arc<Bus> {
    let store: Arc<dyn BusStore> = Arc::new(SqliteStore::open(path).expect("store"));
    let redactor = Arc::new(Redactor::new(PseudonymKey::new([7; 32])));
    Bus::new(store, redactor, to, fast())
}

fn subscription(name: &str) -> Subscription {
    Subscription {
        subscriber: name.into(),
        tenant: Some("t1".into()),
        patterns: vec!["plugin.src.*".into()],
    }
}

async fn until(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..500 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_arrive_in_order_once_acknowledged_with_sequences_counting_up() {
    let dir = tempfile::tempdir().expect("dir");
    let rec = Arc::new(Recorder::default());
    let bus = bus(&dir.path().join("state.db"), rec.clone());
    bus.subscribe(subscription("plugin:a"));
    let mut ids = Vec::new();
    let mut sample = None;
    for n in 1..=3 {
        let (id, stored) = bus.publish(&custom(n, "ok")).expect("publish");
        assert_eq!(stored, 1);
        ids.push(id);
        if sample.is_none() {
            tokio::time::sleep(Duration::from_millis(100)).await;
            sample = rec
                .received
                .lock()
                .expect("lock")
                .first()
                .map(|(_, e, _)| field(e, "n"));
            // The second event fails twice before it is taken: the third must wait for it.
            let key = sample
                .clone()
                .expect("the first event arrived")
                .replace("n1", "n2");
            rec.fail_first.lock().expect("lock").insert(key, 2);
        }
    }
    until("three acknowledged events", || {
        bus.store().bus_backlog("plugin:a").expect("backlog") == 0
    })
    .await;
    let received = rec.received.lock().expect("lock").clone();
    let order: Vec<(String, u32)> = received
        .iter()
        .map(|(_, e, a)| (e.id.clone(), *a))
        .collect();
    assert_eq!(
        order,
        vec![
            (ids[0].clone(), 1),
            (ids[1].clone(), 1),
            (ids[1].clone(), 2),
            (ids[1].clone(), 3),
            (ids[2].clone(), 1)
        ]
    );
    let sequences: Vec<u64> = received.iter().map(|(_, e, _)| e.sequence).collect();
    assert_eq!(sequences, vec![1, 2, 2, 2, 3]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_that_keeps_failing_becomes_a_dead_letter_and_can_be_replayed() {
    let dir = tempfile::tempdir().expect("dir");
    let rec = Arc::new(Recorder::default());
    rec.down.store(true, Ordering::SeqCst);
    let bus = bus(&dir.path().join("state.db"), rec.clone());
    bus.subscribe(subscription("plugin:a"));
    let (id, _) = bus.publish(&custom(1, "x")).expect("publish");
    bus.publish(&custom(2, "y")).expect("publish");
    // Every attempt at the first event fails (its projected field is what the plugin sees).
    let head = bus
        .store()
        .bus_head("plugin:a")
        .expect("head")
        .expect("entry");
    let event: Event = postcard::from_bytes(&head.event.body).expect("decode");
    rec.fail_first
        .lock()
        .expect("lock")
        .insert(field(&event, "n"), 99);
    rec.down.store(false, Ordering::SeqCst);
    bus.wake("plugin:a");
    until("a dead letter and the next event delivered", || {
        !bus.store()
            .bus_dead_letters("plugin:a", 10)
            .expect("dead")
            .is_empty()
            && bus.store().bus_backlog("plugin:a").expect("backlog") == 0
    })
    .await;
    let dead = bus.store().bus_dead_letters("plugin:a", 10).expect("dead");
    assert_eq!(
        (dead[0].event.id.as_str(), dead[0].attempts),
        (id.as_str(), 3)
    );
    rec.fail_first.lock().expect("lock").clear();
    assert!(bus.replay("plugin:a", &id).expect("replay"));
    until("the replayed event acknowledged", || {
        bus.store()
            .bus_dead_letters("plugin:a", 10)
            .expect("dead")
            .is_empty()
            && bus.store().bus_backlog("plugin:a").expect("backlog") == 0
    })
    .await;
    let attempts_of_first = rec
        .received
        .lock()
        .expect("lock")
        .iter()
        .filter(|(_, e, _)| e.id == id)
        .count();
    assert_eq!(attempts_of_first, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backlog_kept_while_the_subscriber_is_down_survives_a_restart_and_drains() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("state.db");
    let rec = Arc::new(Recorder::default());
    rec.down.store(true, Ordering::SeqCst);
    {
        let first = bus(&path, rec.clone());
        first.subscribe(subscription("plugin:a"));
        for n in 0..200 {
            first.publish(&custom(n, "backlog")).expect("publish");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(rec.received.lock().expect("lock").is_empty());
    }
    // A new core over the same database, the subscriber back.
    let rec2 = Arc::new(Recorder::default());
    let second = bus(&path, rec2.clone());
    assert_eq!(second.resume().expect("resume"), 1);
    until("the backlog drained", || {
        second.store().bus_backlog("plugin:a").expect("backlog") == 0
    })
    .await;
    let received = rec2.received.lock().expect("lock");
    assert_eq!(received.len(), 200);
    assert!(received.iter().all(|(_, _, attempt)| *attempt == 1));
    assert!(
        received
            .windows(2)
            .all(|w| w[0].1.sequence + 1 == w[1].1.sequence)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phi_in_an_emitted_event_is_never_written_to_the_outbox() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("state.db");
    let rec = Arc::new(Recorder::default());
    rec.down.store(true, Ordering::SeqCst);
    let bus = bus(&path, rec.clone());
    bus.subscribe(subscription("plugin:a"));
    let canary = "Patient Jane Canaryfield, DOB 03/14/1961, SSN 078-05-1120, phone +1 415 555 0199";
    bus.publish(&custom(1, canary)).expect("publish");
    let mut bytes = std::fs::read(&path).expect("db");
    bytes.extend(std::fs::read(dir.path().join("state.db-wal")).unwrap_or_default());
    assert!(bytes.len() > 1000, "the outbox holds the event");
    for needle in ["Canaryfield", "078-05-1120", "555 0199", "03/14/1961"] {
        let hexed = hex::encode(needle.as_bytes());
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
                && !bytes.windows(hexed.len()).any(|w| w == hexed.as_bytes()),
            "{needle} reached the database"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ten_thousand_event_backlog_drains_in_order_after_the_subscriber_comes_back() {
    // On tmpfs where there is one: the point is the outbox's logic at this size, not the
    // disk's fsync rate (the benchmark measures that).
    let base = if std::path::Path::new("/dev/shm").is_dir() {
        tempfile::tempdir_in("/dev/shm")
    } else {
        tempfile::tempdir()
    }
    .expect("dir");
    let path = base.path().join("state.db");
    let rec = Arc::new(Recorder::default());
    rec.down.store(true, Ordering::SeqCst);
    let bus = bus(&path, rec.clone());
    bus.subscribe(subscription("plugin:a"));
    bus.subscribe(subscription("plugin:b"));
    for n in 0..10_000 {
        bus.publish(&custom(n, "x")).expect("publish");
    }
    assert_eq!(
        bus.store().bus_backlog("plugin:a").expect("backlog"),
        10_000
    );
    rec.down.store(false, Ordering::SeqCst);
    bus.wake("plugin:a");
    bus.wake("plugin:b");
    for _ in 0..6_000 {
        if bus.store().bus_backlog("plugin:a").expect("backlog") == 0
            && bus.store().bus_backlog("plugin:b").expect("backlog") == 0
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let received = rec.received.lock().expect("lock");
    for subscriber in ["plugin:a", "plugin:b"] {
        let sequences: Vec<u64> = received
            .iter()
            .filter(|(s, _, _)| s == subscriber)
            .map(|(_, e, _)| e.sequence)
            .collect();
        assert_eq!(sequences.len(), 10_000, "{subscriber}: every event once");
        assert!(
            sequences.windows(2).all(|w| w[0] + 1 == w[1]),
            "{subscriber}: in order"
        );
    }
}

/// A subscriber that takes `stall` to answer its first `slow` deliveries.
struct Sleepy {
    calls: std::sync::atomic::AtomicU32,
    slow: u32,
    stall: Duration,
    acked: Mutex<Vec<(String, u32)>>,
}

impl Deliverer for Sleepy {
    fn available(&self, _: &str) -> bool {
        true
    }
    fn deliver<'a>(&'a self, _: &'a str, event: Event, attempt: u32) -> DeliveryFuture<'a> {
        Box::pin(async move {
            let n = self.calls.fetch_add(1, Ordering::SeqCst);
            if n < self.slow {
                tokio::time::sleep(self.stall).await;
            }
            self.acked.lock().expect("lock").push((event.id, attempt));
            Ok(())
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_that_times_out_is_retried_and_counted_as_a_failed_attempt() {
    let dir = tempfile::tempdir().expect("dir");
    let store: Arc<dyn BusStore> =
        Arc::new(SqliteStore::open(&dir.path().join("state.db")).expect("store"));
    let sleepy = Arc::new(Sleepy {
        calls: std::sync::atomic::AtomicU32::new(0),
        slow: 2,
        stall: Duration::from_secs(5),
        acked: Mutex::default(),
    });
    let policy = RetryPolicy {
        attempt_timeout: Duration::from_millis(100),
        ..fast()
    };
    let bus = Bus::new(
        store,
        Arc::new(Redactor::new(PseudonymKey::new([7; 32]))),
        sleepy.clone(),
        policy,
    );
    bus.subscribe(subscription("plugin:a"));
    let (id, _) = bus.publish(&custom(1, "x")).expect("publish");
    until("the event acknowledged on its third attempt", || {
        bus.store().bus_backlog("plugin:a").expect("backlog") == 0
    })
    .await;
    // The two timed-out attempts never acknowledged; the third did, numbered 3.
    let acked = sleepy.acked.lock().expect("lock").clone();
    assert_eq!(acked, vec![(id, 3)]);
}
