//! One subscriber's delivery loop: the head of its outbox, one at a time, in order.

use crate::retry::jitter;
use crate::{Bus, now_ms};
use faxbot_plugin_abi::event::Event;
use faxbot_store::{FailedAttempt, OutboxEntry, StoreError};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// How long a worker waiting for its subscriber (down, or backing off) sleeps before it looks
/// again on its own.
const IDLE_POLL: Duration = Duration::from_millis(500);
/// How long a worker with nothing owed sleeps: every new entry (a publish, a replay) wakes it,
/// so this only bounds how long a missed wake-up could go unnoticed.
const EMPTY_POLL: Duration = Duration::from_secs(30);

pub(crate) async fn run(bus: Arc<Bus>, subscriber: String, wake: Arc<Notify>) {
    loop {
        let head = {
            let (bus, subscriber) = (bus.clone(), subscriber.clone());
            blocking(move || bus.store.bus_head(&subscriber)).await
        };
        let entry = match head {
            Ok(Some(entry)) => entry,
            Ok(None) => {
                wait(&wake, EMPTY_POLL).await;
                continue;
            }
            Err(e) => {
                tracing::error!(subscriber = %subscriber, error = %e, "event bus: the outbox could not be read");
                wait(&wake, IDLE_POLL).await;
                continue;
            }
        };
        let now = now_ms();
        if entry.next_at_ms > now {
            wait(
                &wake,
                Duration::from_millis(entry.next_at_ms - now).min(IDLE_POLL),
            )
            .await;
            continue;
        }
        if !bus.deliverer.available(&subscriber) {
            wait(&wake, IDLE_POLL).await;
            continue;
        }
        attempt(&bus, &subscriber, entry).await;
    }
}

async fn attempt(bus: &Arc<Bus>, subscriber: &str, entry: OutboxEntry) {
    let attempt = entry.attempts.saturating_add(1);
    let outcome = match postcard::from_bytes::<Event>(&entry.event.body) {
        Ok(mut event) => {
            event.sequence = entry.sequence;
            match tokio::time::timeout(
                bus.policy.attempt_timeout,
                bus.deliverer.deliver(subscriber, event, attempt),
            )
            .await
            {
                Ok(result) => result.map_err(|e| e.0),
                Err(_) => Err("timeout".to_owned()),
            }
        }
        // A body this build cannot read will never deliver: straight to the dead letters.
        Err(_) => Err("undecodable".to_owned()),
    };
    let (bus2, subscriber2, seq) = (bus.clone(), subscriber.to_owned(), entry.seq);
    let written = match outcome {
        Ok(()) => bus.acks.acknowledge(subscriber, seq).await,
        Err(error) => {
            let dead = error == "undecodable" || bus.policy.exhausted(attempt);
            let wait = bus.policy.backoff(attempt, jitter());
            let failed = FailedAttempt {
                attempts: attempt,
                next_at_ms: now_ms()
                    .saturating_add(u64::try_from(wait.as_millis()).unwrap_or(u64::MAX)),
                error: error.clone(),
                dead,
            };
            if dead {
                tracing::warn!(subscriber = %subscriber, event = %entry.event.id, attempts = attempt, error = %error, "event bus: delivery gave up; the event is a dead letter");
            }
            blocking(move || bus2.store.bus_fail(&subscriber2, seq, &failed)).await
        }
    };
    if let Err(e) = written {
        tracing::error!(subscriber = %subscriber, error = %e, "event bus: the outbox could not be updated");
        tokio::time::sleep(IDLE_POLL).await;
    }
}

async fn wait(wake: &Notify, at_most: Duration) {
    let _ = tokio::time::timeout(at_most, wake.notified()).await;
}

async fn blocking<T: Send + 'static>(
    op: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(op)
        .await
        .unwrap_or_else(|e| Err(StoreError::Conflict(format!("outbox task failed: {e}"))))
}
