//! The plugin's end of a live session: numbering and sending its own calls, matching the
//! host's answers to them by id, and the single writer every frame goes through (a
//! [`FrameWriter`]: a sender finding the socket idle writes its frame itself, frames sent
//! meanwhile leave together in one write).

use crate::error::Error;
use faxbot_plugin_abi::codec::Compat;
use faxbot_plugin_abi::envelope::decode_outcome;
use faxbot_plugin_abi::frame::{Cork, FrameWriter, SendError};
use faxbot_plugin_abi::{Envelope, Method};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::unix::OwnedWriteHalf;
use tokio::sync::{Semaphore, oneshot};

/// Frames queued for the writer before senders wait.
const OUTBOUND_QUEUE: usize = 256;

type Pending = Mutex<HashMap<u64, oneshot::Sender<Vec<u8>>>>;

/// Calls from the plugin to the host, and the way out for every frame.
pub(crate) struct Conn {
    outbound: FrameWriter<OwnedWriteHalf>,
    pending: Pending,
    next_id: AtomicU64,
    slots: Semaphore,
    closed: AtomicBool,
    max_frame: u32,
    compat: Compat,
    #[cfg(feature = "tracing")]
    dropped: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Conn {
    /// Starts the writer on `writer` (its flusher task closes the connection when the
    /// socket fails) and returns the connection.
    pub(crate) fn start(
        writer: OwnedWriteHalf,
        max_frame: u32,
        max_in_flight: u32,
        compat: Compat,
    ) -> Arc<Self> {
        let (outbound, flusher) = FrameWriter::new(writer, max_frame, OUTBOUND_QUEUE);
        let conn = Arc::new(Self {
            outbound,
            pending: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(1),
            slots: Semaphore::new(max_in_flight.max(1) as usize),
            closed: AtomicBool::new(false),
            max_frame,
            compat,
            #[cfg(feature = "tracing")]
            dropped: AtomicU64::new(0),
        });
        let weak = Arc::downgrade(&conn);
        tokio::spawn(async move {
            flusher.run().await;
            if let Some(conn) = weak.upgrade() {
                conn.close();
            }
        });
        conn
    }

    /// Whether the session has ended.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Ends the session: every call waiting for an answer fails as unavailable.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        lock(&self.pending).clear();
        self.slots.close();
    }

    /// Sends an envelope (writes it now if the socket is idle, else queues it).
    pub(crate) async fn send(&self, envelope: &Envelope) -> Result<(), Error> {
        let body = self.encode(envelope)?;
        self.outbound
            .send(&body)
            .await
            .map_err(|e| refused(envelope, e))
    }

    /// Holds frames back until the cork is dropped, then sends what queued in one write.
    pub(crate) fn cork(&self) -> Cork<OwnedWriteHalf> {
        self.outbound.cork()
    }

    /// Waits until everything queued so far has been written.
    pub(crate) async fn flush(&self) {
        self.outbound.flush().await;
    }

    fn encode(&self, envelope: &Envelope) -> Result<Vec<u8>, Error> {
        envelope
            .encode(self.max_frame)
            .map_err(|e| Error::invalid(format!("{}: {e}", describe(envelope))))
    }

    /// Sends a notification for `M` (`log.write`, `metric.record`) without waiting for
    /// queue space: dropped and counted when the queue is full, so code that may not block
    /// (a `tracing` layer) never stalls on the host.
    #[cfg(feature = "tracing")]
    pub(crate) fn notify_now<M: Method>(&self, request: &M::Request) -> Result<(), Error> {
        if self.is_closed() {
            return Err(closed());
        }
        let envelope = Envelope::notification::<M>(request, self.max_frame)
            .map_err(|e| Error::invalid(format!("{}: {e}", M::NAME)))?;
        let body = self.encode(&envelope)?;
        match self.outbound.try_send(&body) {
            Ok(()) => Ok(()),
            Err(SendError::Full { .. }) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
                Err(Error::QuotaExceeded(format!(
                    "{}: the outbound queue is full; the notification was dropped",
                    M::NAME
                )))
            }
            Err(e) => Err(refused(&envelope, e)),
        }
    }

    /// Notifications dropped by [`Conn::notify_now`] because the queue was full.
    #[cfg(feature = "tracing")]
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Calls method `M` on the host and waits at most `deadline` for the answer. When the
    /// deadline passes, or the calling future is dropped, the host is sent a Cancel.
    pub(crate) async fn call<M: Method>(
        &self,
        request: &M::Request,
        deadline: Duration,
    ) -> Result<M::Response, Error> {
        let started = tokio::time::Instant::now();
        if self.is_closed() {
            return Err(closed());
        }
        let _slot = tokio::time::timeout(deadline, self.slots.acquire())
            .await
            .map_err(|_| {
                Error::Timeout(format!(
                    "{}: no call slot free within {} ms",
                    M::NAME,
                    deadline.as_millis()
                ))
            })?
            .map_err(|_| closed())?;
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let deadline_ms = u32::try_from(deadline.as_millis()).unwrap_or(u32::MAX);
        let envelope = Envelope::request::<M>(id, request, deadline_ms, self.max_frame)
            .map_err(|e| Error::invalid(format!("{}: {e}", M::NAME)))?;
        let body = self.encode(&envelope)?;
        let (tx, rx) = oneshot::channel();
        lock(&self.pending).insert(id, tx);
        let guard = CancelOnDrop {
            conn: self,
            id,
            armed: true,
        };
        if self.is_closed() {
            return Err(closed());
        }
        let remaining = deadline.saturating_sub(started.elapsed());
        let answer = tokio::time::timeout(remaining, async {
            self.outbound
                .send(&body)
                .await
                .map_err(|e| refused(&envelope, e))?;
            rx.await.map_err(|_| closed())
        })
        .await;
        let body = match answer {
            Ok(Ok(body)) => body,
            Ok(Err(e)) => return Err(e),
            Err(_) => {
                return Err(Error::Timeout(format!(
                    "{}: no answer from the host within {} ms",
                    M::NAME,
                    deadline.as_millis()
                )));
            }
        };
        guard.disarm();
        match decode_outcome::<M::Response>(M::NAME, &body, self.compat) {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(error)) => Err(Error::from_host(M::NAME, error)),
            Err(e) => Err(Error::internal(format!(
                "{}: the host's answer does not decode: {e}",
                M::NAME
            ))),
        }
    }

    /// Hands a response body from the host to the call waiting for it.
    pub(crate) fn complete(&self, id: u64, body: Vec<u8>) {
        if let Some(tx) = lock(&self.pending).remove(&id) {
            let _ = tx.send(body);
        }
    }
}

/// Cancels a plugin call at the host when the caller stops waiting for it.
struct CancelOnDrop<'a> {
    conn: &'a Conn,
    id: u64,
    armed: bool,
}

impl CancelOnDrop<'_> {
    fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for CancelOnDrop<'_> {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        if lock(&self.conn.pending).remove(&self.id).is_some()
            && !self.conn.is_closed()
            && let Ok(body) = self.conn.encode(&Envelope::cancel(self.id))
        {
            let _ = self.conn.outbound.try_send(&body);
        }
    }
}

fn closed() -> Error {
    Error::Unavailable("the session with the host has ended".to_owned())
}

/// The writer did not take `envelope`: a frame over the limit is the caller's error, a
/// stopped writer means the session is over.
fn refused(envelope: &Envelope, error: SendError) -> Error {
    match error {
        SendError::Frame(e) => Error::invalid(format!("{}: {e}", describe(envelope))),
        _ => closed(),
    }
}

fn describe(envelope: &Envelope) -> String {
    if envelope.method.is_empty() {
        format!("{:?} {}", envelope.kind, envelope.id)
    } else {
        envelope.method.clone()
    }
}
