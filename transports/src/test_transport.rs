//! The in-process test transport: the embedded default of a fresh `faxbot init`. It sends
//! nothing anywhere. A fax goes `queued` → `sending` → `sent` → `delivered` within a few
//! seconds, except to numbers ending in `0000`, which end `failed` (`no_answer`). Progress is
//! published on [`FaxTransport::subscribe`] as a real transport's callbacks would be.

use crate::callback::{CallbackEvent, CallbackRequest};
use crate::error::{CallbackError, SendError, TransportError};
use crate::status::FaxStatus;
use crate::transport::{BoxFuture, FaxTransport, Health, SendRequest, Sent, StatusReport};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::broadcast;

const NAME: &str = "test";

/// How fast the test transport moves a fax along.
#[derive(Clone, Copy, Debug)]
pub struct TestTiming {
    /// Wait before each step (`sending`, `sent`, then the final status).
    pub step: Duration,
}

impl Default for TestTiming {
    fn default() -> Self {
        Self {
            step: Duration::from_millis(300),
        }
    }
}

#[derive(Default)]
struct Faxes {
    by_id: HashMap<String, StatusReport>,
}

/// The test transport.
pub struct TestTransport {
    timing: TestTiming,
    faxes: Arc<Mutex<Faxes>>,
    events: broadcast::Sender<CallbackEvent>,
    next: AtomicU64,
}

impl TestTransport {
    /// A test transport with `timing`.
    pub fn new(timing: TestTiming) -> Self {
        let (events, _) = broadcast::channel(1024);
        Self {
            timing,
            faxes: Arc::new(Mutex::new(Faxes::default())),
            events,
            next: AtomicU64::new(1),
        }
    }

    /// Whether a fax to `digits` ends `failed`.
    pub fn fails(number: &str) -> bool {
        number.ends_with("0000")
    }
}

impl Default for TestTransport {
    fn default() -> Self {
        Self::new(TestTiming::default())
    }
}

fn lock(faxes: &Mutex<Faxes>) -> std::sync::MutexGuard<'_, Faxes> {
    faxes
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Moves `id` to `status` unless it is already final (a cancel may have won); publishes it.
fn advance(
    faxes: &Mutex<Faxes>,
    events: &broadcast::Sender<CallbackEvent>,
    id: &str,
    job_id: &str,
    status: FaxStatus,
    pages: Option<u32>,
    failure: Option<&str>,
) -> bool {
    let mut faxes = lock(faxes);
    let Some(report) = faxes.by_id.get_mut(id) else {
        return false;
    };
    if !report.status.may_become(status) {
        return false;
    }
    report.status = status;
    report.pages = pages.or(report.pages);
    report.failure = failure.map(str::to_owned);
    let event = CallbackEvent {
        job_id: Some(job_id.to_owned()),
        pages: report.pages,
        failure: report.failure.clone(),
        ..CallbackEvent::status(id, status)
    };
    drop(faxes);
    // No subscriber is fine: status look-ups still see the progress.
    let _ = events.send(event);
    true
}

impl FaxTransport for TestTransport {
    fn name(&self) -> &'static str {
        NAME
    }

    fn send<'a>(&'a self, request: &'a SendRequest) -> BoxFuture<'a, Result<Sent, SendError>> {
        Box::pin(async move {
            let id = format!("test-{}", self.next.fetch_add(1, Ordering::Relaxed));
            lock(&self.faxes).by_id.insert(
                id.clone(),
                StatusReport {
                    provider_id: id.clone(),
                    status: FaxStatus::Queued,
                    pages: None,
                    failure: None,
                },
            );
            let faxes = Arc::clone(&self.faxes);
            let events = self.events.clone();
            let step = self.timing.step;
            let fails = Self::fails(request.to.as_str());
            let pages = u32::try_from(request.document.bytes.len() / 4096 + 1).unwrap_or(1);
            let (fax_id, job_id) = (id.clone(), request.job_id.clone());
            tokio::spawn(async move {
                let go = |status, pages, failure| {
                    advance(&faxes, &events, &fax_id, &job_id, status, pages, failure)
                };
                tokio::time::sleep(step).await;
                if !go(FaxStatus::Sending, None, None) {
                    return;
                }
                tokio::time::sleep(step).await;
                if fails {
                    go(FaxStatus::Failed, None, Some("no_answer"));
                    return;
                }
                if !go(FaxStatus::Sent, Some(pages), None) {
                    return;
                }
                tokio::time::sleep(step).await;
                go(FaxStatus::Delivered, Some(pages), None);
            });
            Ok(Sent {
                provider_id: id,
                status: FaxStatus::Queued,
            })
        })
    }

    fn status<'a>(
        &'a self,
        provider_id: &'a str,
    ) -> BoxFuture<'a, Result<StatusReport, TransportError>> {
        Box::pin(async move {
            lock(&self.faxes)
                .by_id
                .get(provider_id)
                .cloned()
                .ok_or(TransportError::Status {
                    provider: NAME,
                    step: "status",
                    status: "unknown fax".into(),
                })
        })
    }

    fn cancel<'a>(&'a self, provider_id: &'a str) -> BoxFuture<'a, Result<(), TransportError>> {
        Box::pin(async move {
            let cancelled = advance(
                &self.faxes,
                &self.events,
                provider_id,
                "",
                FaxStatus::Cancelled,
                None,
                None,
            );
            if cancelled {
                Ok(())
            } else {
                Err(TransportError::Status {
                    provider: NAME,
                    step: "cancel",
                    status: "unknown or already final".into(),
                })
            }
        })
    }

    fn callback<'a>(
        &'a self,
        _request: &'a CallbackRequest,
    ) -> BoxFuture<'a, Result<Vec<CallbackEvent>, CallbackError>> {
        Box::pin(async { Err(CallbackError::NotAccepted { provider: NAME }) })
    }

    fn health(&self) -> BoxFuture<'_, Result<Health, TransportError>> {
        Box::pin(async { Ok(Health::Ok) })
    }

    fn subscribe(&self) -> Option<broadcast::Receiver<CallbackEvent>> {
        Some(self.events.subscribe())
    }
}
