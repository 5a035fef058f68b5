//! The event bus's durable outbox: each published event once (already projected, so it holds
//! no PHI), and one row per subscriber that still owes a delivery. An event is on disk, with
//! every subscriber's row, before its publisher is answered; a row leaves the outbox only when
//! the subscriber acknowledged it or an admin discarded its dead letter.

use crate::Result;

/// One event as the bus stores it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BusEvent {
    /// The stable event id (the idempotency key a subscriber sees on every attempt).
    pub id: String,
    /// Its topic.
    pub topic: String,
    /// The projected event, encoded by the bus.
    pub body: Vec<u8>,
    /// When it was published, ms.
    pub published_at_ms: u64,
}

/// A delivery a subscriber still owes, or a dead letter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxEntry {
    /// The subscriber (`plugin:<id>`, `webhook:<id>`).
    pub subscriber: String,
    /// Position in the outbox: deliveries to one subscriber go in this order.
    pub seq: u64,
    /// The event's position in this subscriber's stream: 1, 2, 3, ... in publish order.
    pub sequence: u64,
    /// The event.
    pub event: BusEvent,
    /// Attempts made so far.
    pub attempts: u32,
    /// Not before this time, ms (backoff).
    pub next_at_ms: u64,
    /// Why the last attempt failed (a category, never a payload).
    pub last_error: Option<String>,
    /// Whether the retries are exhausted.
    pub dead: bool,
}

/// The outcome of a failed attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailedAttempt {
    /// Attempts made, this one included.
    pub attempts: u32,
    /// When to try again, ms.
    pub next_at_ms: u64,
    /// Why it failed.
    pub error: String,
    /// Give up: the entry becomes a dead letter.
    pub dead: bool,
}

/// The bus's side of the state store.
pub trait BusStore: Send + Sync {
    /// Stores `event` and one outbox row for each of `subscribers`, in one transaction.
    /// Publishing the same event id twice is a no-op the second time.
    fn bus_publish(&self, event: &BusEvent, subscribers: &[String]) -> Result<()>;
    /// The oldest live (not dead) entry a subscriber owes.
    fn bus_head(&self, subscriber: &str) -> Result<Option<OutboxEntry>>;
    /// Removes an acknowledged entry (and its event once no subscriber owes it).
    fn bus_acknowledge(&self, subscriber: &str, seq: u64) -> Result<()> {
        self.bus_acknowledge_many(&[(subscriber.to_owned(), seq)])
    }
    /// Removes many acknowledged entries in one transaction (the bus's group commit).
    fn bus_acknowledge_many(&self, acks: &[(String, u64)]) -> Result<()>;
    /// Records a failed attempt.
    fn bus_fail(&self, subscriber: &str, seq: u64, attempt: &FailedAttempt) -> Result<()>;
    /// Entries a subscriber still owes, live ones (not dead letters).
    fn bus_backlog(&self, subscriber: &str) -> Result<u64>;
    /// Every subscriber with a live entry.
    fn bus_subscribers_with_backlog(&self) -> Result<Vec<String>>;
    /// A subscriber's dead letters, oldest first, at most `limit`.
    fn bus_dead_letters(&self, subscriber: &str, limit: usize) -> Result<Vec<OutboxEntry>>;
    /// Makes a dead letter live again (attempts from zero, due now); whether it existed.
    fn bus_replay(&self, subscriber: &str, event_id: &str, now_ms: u64) -> Result<bool>;
    /// Drops a dead letter; whether it existed.
    fn bus_discard(&self, subscriber: &str, event_id: &str) -> Result<bool>;
    /// Drops everything a subscriber is owed, dead letters and its sequence included (its
    /// plugin was uninstalled, its webhook removed).
    fn bus_forget(&self, subscriber: &str) -> Result<()>;
}
