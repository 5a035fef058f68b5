//! Durable event delivery against an in-memory channel, side by side in one run: the same
//! events, to the same subscribers (1, and spread over 50), each acknowledged at once by an
//! in-process subscriber (so the figure is the bus's own cost: projection, the outbox writes
//! and reads, the workers). The in-memory baseline is what delivery would cost without
//! durability: a tokio channel per subscriber and a task draining it.
//!
//! Run: `cargo bench -p faxbot-bus --bench throughput` (release). Prints one table.

use faxbot_bus::{Bus, Deliverer, DeliveryFuture, RetryPolicy, Subscription};
use faxbot_events::CoreEvent;
use faxbot_plugin_abi::event::Event;
use faxbot_redact::{PseudonymKey, Redactor};
use faxbot_store::{BusStore, SqliteStore};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

struct Counter(AtomicU64);

impl Deliverer for Counter {
    fn available(&self, _: &str) -> bool {
        true
    }
    fn deliver<'a>(&'a self, _: &'a str, event: Event, _: u32) -> DeliveryFuture<'a> {
        std::hint::black_box(event);
        self.0.fetch_add(1, Ordering::Relaxed);
        Box::pin(async { Ok(()) })
    }
}

fn event(n: u64) -> CoreEvent {
    let mut fields = serde_json::Map::new();
    fields.insert("n".into(), serde_json::json!(n));
    fields.insert("state".into(), serde_json::json!("delivered"));
    CoreEvent::Custom {
        topic: "plugin.bench.tick".into(),
        tenant: "t1".into(),
        source_plugin: "bench".into(),
        occurred_at_ms: 1,
        fields,
    }
}

fn subscriptions(n: usize) -> Vec<Subscription> {
    (0..n)
        .map(|i| Subscription {
            subscriber: format!("plugin:p{i}"),
            tenant: Some("t1".into()),
            patterns: vec!["plugin.bench.*".into()],
        })
        .collect()
}

/// Durable: publish `events`, wait until every subscriber acknowledged every one.
async fn durable(subscribers: usize, events: u64) -> (f64, f64) {
    let dir = tempfile::tempdir().expect("dir");
    let store: Arc<dyn BusStore> =
        Arc::new(SqliteStore::open(&dir.path().join("state.db")).expect("store"));
    let counter = Arc::new(Counter(AtomicU64::new(0)));
    let redactor = Arc::new(Redactor::new(PseudonymKey::new([3; 32])));
    let bus = Bus::new(store, redactor, counter.clone(), RetryPolicy::default());
    for s in subscriptions(subscribers) {
        bus.subscribe(s);
    }
    let want = events * subscribers as u64;
    let started = Instant::now();
    let publisher = {
        let bus = bus.clone();
        tokio::task::spawn_blocking(move || {
            let t = Instant::now();
            for n in 0..events {
                bus.publish(&event(n)).expect("publish");
            }
            t.elapsed()
        })
    };
    let publish_time = publisher.await.expect("publisher");
    while counter.0.load(Ordering::Relaxed) < want {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    // The last acknowledgements are written after the deliveries were counted.
    loop {
        let owed: u64 = (0..subscribers)
            .map(|i| {
                bus.store()
                    .bus_backlog(&format!("plugin:p{i}"))
                    .expect("backlog")
            })
            .sum();
        if owed == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let total = started.elapsed().as_secs_f64();
    (
        want as f64 / total,
        events as f64 / publish_time.as_secs_f64(),
    )
}

/// In memory: a channel per subscriber and a task draining it into the same subscriber.
async fn in_memory(subscribers: usize, events: u64) -> f64 {
    let counter = Arc::new(Counter(AtomicU64::new(0)));
    let redactor = Arc::new(Redactor::new(PseudonymKey::new([3; 32])));
    let mut senders = Vec::new();
    let mut tasks = Vec::new();
    for i in 0..subscribers {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Event>(1024);
        senders.push(tx);
        let counter = counter.clone();
        let name = format!("plugin:p{i}");
        tasks.push(tokio::spawn(async move {
            while let Some(event) = rx.recv().await {
                let _ = counter.deliver(&name, event, 1).await;
            }
        }));
    }
    let started = Instant::now();
    for n in 0..events {
        // The same projection the bus does, once per event.
        let projected =
            faxbot_events::project(&redactor, &event(n), format!("ev_{n}"), n).expect("project");
        for tx in &senders {
            tx.send(projected.clone()).await.expect("send");
        }
    }
    drop(senders);
    for t in tasks {
        t.await.expect("task");
    }
    (events * subscribers as u64) as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "| subscribers | events | durable deliveries/s | publishes/s | in-memory deliveries/s | durable/in-memory |"
    );
    println!("|---|---|---|---|---|---|");
    for (subscribers, events) in [(1usize, 2_000u64), (50, 200)] {
        let (durable_rate, publish_rate) = runtime.block_on(durable(subscribers, events));
        let memory_rate = runtime.block_on(in_memory(subscribers, events));
        println!(
            "| {subscribers} | {events} | {durable_rate:.0} | {publish_rate:.0} | {memory_rate:.0} | {:.3} |",
            durable_rate / memory_rate
        );
    }
}
