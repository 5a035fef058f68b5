//! faxbot-bus: the core's event bus. A published event is projected once (the PHI boundary
//! of `faxbot-events`), then written with one outbox row per matching subscription in one
//! store transaction before the publisher is answered. One worker per subscriber delivers
//! its rows one at a time, in order, at least once (the event id is the idempotency key),
//! retrying with exponential backoff and jitter up to a limit, after which the row becomes a
//! dead letter an admin can replay or discard. A subscriber that is not running keeps its
//! backlog; the worker resumes when it comes back, and after a restart of the core.
//!
//! Never: an unprojected event on disk or on the wire; an event delivered out of order
//! within a subscription; an event dropped without being acknowledged or discarded.

mod acks;
pub mod retry;
pub mod subscription;
mod worker;

pub use retry::RetryPolicy;
pub use subscription::Subscription;

use faxbot_events::CoreEvent;
use faxbot_plugin_abi::event::Event;
use faxbot_redact::Redactor;
use faxbot_store::{BusEvent, BusStore};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, RwLock};
use tokio::sync::Notify;

/// Why a delivery attempt failed: a category, never a payload.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DeliveryError(pub String);

/// The future a delivery attempt returns.
pub type DeliveryFuture<'a> = Pin<Box<dyn Future<Output = Result<(), DeliveryError>> + Send + 'a>>;

/// Where the bus's deliveries go (the host wires plugins and webhooks behind it).
pub trait Deliverer: Send + Sync {
    /// Whether `subscriber` can take a delivery now (a plugin that is not running cannot;
    /// its backlog waits without spending attempts).
    fn available(&self, subscriber: &str) -> bool;
    /// Delivers `event` (attempt from 1) and resolves when the subscriber acknowledged it.
    fn deliver<'a>(&'a self, subscriber: &'a str, event: Event, attempt: u32)
    -> DeliveryFuture<'a>;
}

/// Why publishing failed; the event was not stored and the publisher must treat it as such.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The projection refused the event.
    #[error("the event could not be projected: {0}")]
    Projection(#[from] faxbot_events::ProjectionError),
    /// The event could not be encoded.
    #[error("the event could not be encoded: {0}")]
    Encode(String),
    /// The outbox could not be written.
    #[error("the event outbox could not be written: {0}")]
    Store(#[from] faxbot_store::StoreError),
}

/// The bus.
pub struct Bus {
    store: Arc<dyn BusStore>,
    redactor: Arc<Redactor>,
    deliverer: Arc<dyn Deliverer>,
    policy: RetryPolicy,
    subscriptions: RwLock<HashMap<String, Subscription>>,
    workers: Mutex<HashMap<String, Arc<Notify>>>,
    acks: acks::AckWriter,
}

impl Bus {
    /// A bus storing its outbox in `store`, projecting with `redactor`, delivering through
    /// `deliverer`.
    pub fn new(
        store: Arc<dyn BusStore>,
        redactor: Arc<Redactor>,
        deliverer: Arc<dyn Deliverer>,
        policy: RetryPolicy,
    ) -> Arc<Self> {
        Arc::new(Self {
            acks: acks::AckWriter::start(store.clone()),
            store,
            redactor,
            deliverer,
            policy,
            subscriptions: RwLock::default(),
            workers: Mutex::default(),
        })
    }

    /// Starts workers for every subscriber that still owes deliveries (after a restart).
    pub fn resume(self: &Arc<Self>) -> Result<usize, faxbot_store::StoreError> {
        let owing = self.store.bus_subscribers_with_backlog()?;
        for subscriber in &owing {
            self.wake(subscriber);
        }
        Ok(owing.len())
    }

    /// Adds or replaces a subscription; its events from now on are kept for it.
    pub fn subscribe(self: &Arc<Self>, subscription: Subscription) {
        let name = subscription.subscriber.clone();
        if let Ok(mut subs) = self.subscriptions.write() {
            subs.insert(name.clone(), subscription);
        }
        self.wake(&name);
    }

    /// Removes a subscription: no new events are kept for it (its backlog stays, delivered
    /// when it is back, or discarded by [`Bus::forget`]).
    pub fn unsubscribe(&self, subscriber: &str) {
        if let Ok(mut subs) = self.subscriptions.write() {
            subs.remove(subscriber);
        }
    }

    /// Tells the subscriber's worker something changed (it came back, a dead letter was
    /// replayed).
    pub fn wake(self: &Arc<Self>, subscriber: &str) {
        let notify = {
            let Ok(mut workers) = self.workers.lock() else {
                return;
            };
            if let Some(n) = workers.get(subscriber) {
                n.clone()
            } else {
                let n = Arc::new(Notify::new());
                workers.insert(subscriber.to_owned(), n.clone());
                tokio::spawn(worker::run(self.clone(), subscriber.to_owned(), n.clone()));
                n
            }
        };
        notify.notify_one();
    }

    /// Publishes `event`: projected, and stored for every matching subscription before this
    /// returns. Returns the event id and how many subscriptions it was stored for.
    pub fn publish(self: &Arc<Self>, event: &CoreEvent) -> Result<(String, usize), PublishError> {
        let id = new_event_id();
        let topic = event.topic();
        let subscribers: Vec<String> = self
            .subscriptions
            .read()
            .map(|subs| {
                subs.values()
                    .filter(|s| s.wants(&topic, event.tenant()))
                    .map(|s| s.subscriber.clone())
                    .collect()
            })
            .unwrap_or_default();
        if subscribers.is_empty() {
            return Ok((id, 0));
        }
        // Projected once; each subscriber's sequence is filled in at delivery.
        let projected = faxbot_events::project(&self.redactor, event, id.clone(), 0)?;
        let body =
            postcard::to_stdvec(&projected).map_err(|e| PublishError::Encode(e.to_string()))?;
        self.store.bus_publish(
            &BusEvent {
                id: id.clone(),
                topic,
                body,
                published_at_ms: now_ms(),
            },
            &subscribers,
        )?;
        for subscriber in &subscribers {
            self.wake(subscriber);
        }
        Ok((id, subscribers.len()))
    }

    /// The store the outbox lives in (dead letters are read and changed through it).
    pub fn store(&self) -> &dyn BusStore {
        self.store.as_ref()
    }

    /// Replays a dead letter and wakes its worker; whether it existed.
    pub fn replay(
        self: &Arc<Self>,
        subscriber: &str,
        event_id: &str,
    ) -> Result<bool, faxbot_store::StoreError> {
        let replayed = self.store.bus_replay(subscriber, event_id, now_ms())?;
        if replayed {
            self.wake(subscriber);
        }
        Ok(replayed)
    }
}

/// A fresh event id: `ev_` and 128 random bits.
fn new_event_id() -> String {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 16];
    // A failing system RNG leaves the id unique enough through the time and a counter.
    if ring::rand::SystemRandom::new().fill(&mut bytes).is_err() {
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        bytes[..8].copy_from_slice(&now_ms().to_be_bytes());
        bytes[8..].copy_from_slice(&n.to_be_bytes());
    }
    format!("ev_{}", hex::encode(bytes))
}

pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}
