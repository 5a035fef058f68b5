//! One writer for a stream that many tasks send frames through, batching what queues up.
//!
//! A sender whose frame finds the stream idle writes it at once, itself, without waking
//! any other task; frames sent while a write is under way are appended to one buffer and
//! leave together in the next write. Only when the socket is full (the peer is slow to
//! read) does the rest go to the [`Flusher`], a future the owner spawns, which waits for
//! the socket and writes on. Frames leave in the order they were accepted and a frame is
//! never interleaved with another.
//!
//! A reader that has just handed out a burst of frames whose answers will follow at once
//! can [`FrameWriter::cork`] the writer: frames accepted while a [`Cork`] lives are only
//! queued, and leave together in one write when the last cork is dropped.
//!
//! Backpressure: at most `capacity` frames are accepted and not yet written;
//! [`FrameWriter::send`] waits for room, [`FrameWriter::try_send`] refuses.

use super::{HEADER_LEN, check_len};
use crate::error::FrameError;
use std::future::poll_fn;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::Notify;

/// Batches a sender writes for others (frames queued while it wrote) before it hands the
/// rest to the flusher.
const DIRECT_BATCHES: usize = 4;

/// Why a frame was not accepted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// The frame breaks the framing rules (empty, or over the limit); nothing was sent.
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// The stream failed or was shut down; nothing more can be sent on it.
    #[error("the stream's writer has stopped")]
    Stopped,
    /// `capacity` frames are already waiting ([`FrameWriter::try_send`] only).
    #[error("{capacity} frames are already queued for the stream")]
    Full {
        /// The writer's queue limit.
        capacity: usize,
    },
}

/// Frames on their way out, with how many they are.
#[derive(Default)]
struct Batch {
    bytes: Vec<u8>,
    written: usize,
    frames: usize,
}

#[derive(Default)]
struct State {
    /// Frames accepted while a write was under way, framed, back to back.
    queued: Vec<u8>,
    queued_frames: usize,
    /// A spent buffer kept for the next batch.
    spare: Vec<u8>,
    /// A batch the socket could not take at once: the flusher's to finish.
    handed: Option<Batch>,
    /// Someone (a sender or the flusher) is writing; others only append.
    busy: bool,
    /// Corks alive: while any is, senders only append.
    corks: usize,
    /// Frames accepted and not yet written.
    outstanding: usize,
    accepted: u64,
    written: u64,
    stopped: bool,
    /// Every [`FrameWriter`] is gone: the flusher ends once all is written.
    abandoned: bool,
    /// Someone waits on `progress` (for room, or for a flush).
    watched: bool,
}

struct Shared<W> {
    /// Touched only by whoever set `busy`, so never contended.
    io: Mutex<Option<W>>,
    state: Mutex<State>,
    capacity: usize,
    max: u32,
    /// Work for the flusher (a handed batch, a stop, the last sender leaving).
    flusher: Notify,
    /// Frames were written, or the writer stopped.
    progress: Notify,
    senders: AtomicUsize,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The sending side; clone it for each task that sends.
pub struct FrameWriter<W> {
    shared: Arc<Shared<W>>,
}

/// Finishes writes the socket could not take at once, and shuts the stream's write side
/// down when the writer stops or every [`FrameWriter`] is gone. Spawn [`Flusher::run`].
pub struct Flusher<W> {
    shared: Arc<Shared<W>>,
}

impl<W: AsyncWrite + Unpin> FrameWriter<W> {
    /// A writer of frames of at most `max` body bytes onto `io`, with at most `capacity`
    /// frames queued, and the flusher that must be spawned beside it.
    pub fn new(io: W, max: u32, capacity: usize) -> (Self, Flusher<W>) {
        let shared = Arc::new(Shared {
            io: Mutex::new(Some(io)),
            state: Mutex::new(State::default()),
            capacity: capacity.max(1),
            max,
            flusher: Notify::new(),
            progress: Notify::new(),
            senders: AtomicUsize::new(1),
        });
        let flusher = Flusher {
            shared: shared.clone(),
        };
        (Self { shared }, flusher)
    }

    /// Sends one frame with body `body`, waiting while `capacity` frames are queued. On
    /// `Ok` the frame is written or will be, in order, unless the stream fails.
    pub async fn send(&self, body: &[u8]) -> Result<(), SendError> {
        let declared = u32::try_from(body.len()).unwrap_or(u32::MAX);
        check_len(declared, self.shared.max)?;
        loop {
            let progress = self.shared.progress.notified();
            tokio::pin!(progress);
            {
                let mut state = lock(&self.shared.state);
                if state.stopped {
                    return Err(SendError::Stopped);
                }
                if state.outstanding < self.shared.capacity {
                    return self.accept(state, declared, body);
                }
                state.watched = true;
                progress.as_mut().enable();
            }
            progress.await;
        }
    }

    /// Sends one frame with body `body` if there is room now.
    pub fn try_send(&self, body: &[u8]) -> Result<(), SendError> {
        let declared = u32::try_from(body.len()).unwrap_or(u32::MAX);
        check_len(declared, self.shared.max)?;
        let state = lock(&self.shared.state);
        if state.stopped {
            return Err(SendError::Stopped);
        }
        if state.outstanding >= self.shared.capacity {
            return Err(SendError::Full {
                capacity: self.shared.capacity,
            });
        }
        self.accept(state, declared, body)
    }

    /// Waits until every frame accepted before this call is written (or the writer stops).
    pub async fn flush(&self) {
        let target = lock(&self.shared.state).accepted;
        loop {
            let progress = self.shared.progress.notified();
            tokio::pin!(progress);
            {
                let mut state = lock(&self.shared.state);
                if state.stopped || state.written >= target {
                    return;
                }
                state.watched = true;
                progress.as_mut().enable();
            }
            progress.await;
        }
    }

    /// Whether the stream failed or was shut down.
    pub fn is_stopped(&self) -> bool {
        lock(&self.shared.state).stopped
    }

    /// Holds frames back (queued, in order) until the returned cork and every other is
    /// dropped; then what queued leaves in one write. Drop it before waiting on anything
    /// that could wait for the peer.
    pub fn cork(&self) -> Cork<W> {
        lock(&self.shared.state).corks += 1;
        Cork {
            shared: self.shared.clone(),
        }
    }

    fn accept(
        &self,
        mut state: MutexGuard<'_, State>,
        declared: u32,
        body: &[u8],
    ) -> Result<(), SendError> {
        state.queued.reserve(HEADER_LEN + body.len());
        state.queued.extend_from_slice(&declared.to_le_bytes());
        state.queued.extend_from_slice(body);
        state.queued_frames += 1;
        state.outstanding += 1;
        state.accepted += 1;
        if state.busy || state.corks > 0 {
            return Ok(());
        }
        state.busy = true;
        let batch = take_queued(&mut state);
        drop(state);
        self.shared.write_now(batch);
        Ok(())
    }
}

/// Holds a [`FrameWriter`]'s frames back while it lives (see [`FrameWriter::cork`]).
pub struct Cork<W: AsyncWrite + Unpin> {
    shared: Arc<Shared<W>>,
}

impl<W: AsyncWrite + Unpin> Drop for Cork<W> {
    fn drop(&mut self) {
        let mut state = lock(&self.shared.state);
        state.corks -= 1;
        if state.abandoned && state.corks == 0 {
            // The flusher waits for the last cork before it shuts the stream down.
            self.shared.flusher.notify_one();
        }
        if state.corks > 0 || state.busy || state.stopped || state.queued.is_empty() {
            return;
        }
        state.busy = true;
        let batch = take_queued(&mut state);
        drop(state);
        self.shared.write_now(batch);
    }
}

impl<W> Clone for FrameWriter<W> {
    fn clone(&self) -> Self {
        self.shared.senders.fetch_add(1, Ordering::Relaxed);
        Self {
            shared: self.shared.clone(),
        }
    }
}

impl<W> Drop for FrameWriter<W> {
    fn drop(&mut self) {
        if self.shared.senders.fetch_sub(1, Ordering::AcqRel) == 1 {
            lock(&self.shared.state).abandoned = true;
            self.shared.flusher.notify_one();
        }
    }
}

fn take_queued(state: &mut State) -> Batch {
    let fresh = std::mem::take(&mut state.spare);
    Batch {
        bytes: std::mem::replace(&mut state.queued, fresh),
        written: 0,
        frames: std::mem::take(&mut state.queued_frames),
    }
}

/// What one attempt to write a batch came to.
enum Wrote {
    All,
    WouldBlock,
    Failed,
}

impl<W: AsyncWrite + Unpin> Shared<W> {
    /// Writes `batch` (and whatever queues meanwhile) without waiting; hands the rest to
    /// the flusher when the socket is full.
    fn write_now(&self, mut batch: Batch) {
        let mut cx = Context::from_waker(Waker::noop());
        let mut batches = 0;
        loop {
            match self.poll_batch(&mut cx, &mut batch) {
                Poll::Ready(Wrote::All) => match self.finish(batch) {
                    Some(next) if batches < DIRECT_BATCHES => {
                        batches += 1;
                        batch = next;
                    }
                    Some(next) => {
                        // Others keep sending: the flusher takes over, so this sender's
                        // task is not kept writing for everyone.
                        lock(&self.state).handed = Some(next);
                        self.flusher.notify_one();
                        return;
                    }
                    None => return,
                },
                Poll::Ready(Wrote::Failed) => return self.stop(),
                Poll::Ready(Wrote::WouldBlock) | Poll::Pending => {
                    lock(&self.state).handed = Some(batch);
                    self.flusher.notify_one();
                    return;
                }
            }
        }
    }

    /// Writes as much of `batch` as the socket takes now.
    fn poll_batch(&self, cx: &mut Context<'_>, batch: &mut Batch) -> Poll<Wrote> {
        let mut io = lock(&self.io);
        let Some(io) = io.as_mut() else {
            return Poll::Ready(Wrote::Failed);
        };
        while batch.written < batch.bytes.len() {
            match Pin::new(&mut *io).poll_write(cx, &batch.bytes[batch.written..]) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Wrote::Failed),
                Poll::Ready(Ok(n)) => batch.written += n,
                Poll::Ready(Err(e)) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Poll::Ready(Err(e)) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    return Poll::Ready(Wrote::WouldBlock);
                }
                Poll::Ready(Err(_)) => return Poll::Ready(Wrote::Failed),
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Wrote::All)
    }

    /// Counts a written batch; the next batch if frames queued meanwhile, else idle.
    fn finish(&self, batch: Batch) -> Option<Batch> {
        let mut state = lock(&self.state);
        state.outstanding -= batch.frames;
        state.written += batch.frames as u64;
        let mut spent = batch.bytes;
        spent.clear();
        // Keep one buffer of reasonable size for the next batch; give large ones back.
        if spent.capacity() <= 64 * 1024 && spent.capacity() > state.spare.capacity() {
            state.spare = spent;
        }
        let watched = std::mem::take(&mut state.watched);
        let next = if state.queued.is_empty() || state.corks > 0 {
            state.busy = false;
            if state.abandoned {
                // Idle with no sender left: the flusher may shut the stream down now.
                self.flusher.notify_one();
            }
            None
        } else {
            Some(take_queued(&mut state))
        };
        drop(state);
        if watched {
            self.progress.notify_waiters();
        }
        next
    }

    fn stop(&self) {
        {
            let mut state = lock(&self.state);
            state.stopped = true;
            state.busy = false;
            state.queued = Vec::new();
            state.handed = None;
        }
        self.progress.notify_waiters();
        self.flusher.notify_one();
    }
}

impl<W: AsyncWrite + Unpin> Flusher<W> {
    /// Runs until the writer stops (a failed write) or every [`FrameWriter`] is gone and
    /// all they sent is written; then shuts the write side down.
    pub async fn run(self) {
        let shared = &*self.shared;
        loop {
            let work = shared.flusher.notified();
            let handed = {
                let mut state = lock(&shared.state);
                if state.stopped || (state.abandoned && !state.busy && state.corks == 0) {
                    break;
                }
                state.handed.take()
            };
            match handed {
                Some(batch) => self.write_waiting(batch).await,
                None => work.await,
            }
        }
        let io = lock(&shared.io).take();
        if let Some(mut io) = io {
            let _ = io.shutdown().await;
        }
    }

    /// Writes `batch` and whatever queues meanwhile, waiting for the socket as needed.
    async fn write_waiting(&self, mut batch: Batch) {
        let shared = &*self.shared;
        loop {
            match poll_fn(|cx| shared.poll_batch(cx, &mut batch)).await {
                Wrote::All => match shared.finish(batch) {
                    Some(next) => batch = next,
                    None => return,
                },
                Wrote::WouldBlock => tokio::task::yield_now().await,
                Wrote::Failed => return shared.stop(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{DEFAULT_MAX_FRAME, FrameReader};
    use std::time::Duration;

    #[tokio::test]
    async fn frames_from_many_senders_arrive_whole_and_each_senders_in_order() {
        let (a, b) = tokio::io::duplex(256);
        let (writer, flusher) = FrameWriter::new(a, DEFAULT_MAX_FRAME, 8);
        tokio::spawn(flusher.run());
        let mut senders = Vec::new();
        for s in 0..8u8 {
            let writer = writer.clone();
            senders.push(tokio::spawn(async move {
                for i in 0..200u8 {
                    writer.send(&[s, i, 0xAB]).await.expect("send");
                }
            }));
        }
        drop(writer);
        let reading = tokio::spawn(async move {
            let mut reader = FrameReader::new(b, DEFAULT_MAX_FRAME);
            let mut next = [0u8; 8];
            let mut count = 0;
            while let Some(body) = reader.next_frame().await.expect("read") {
                assert_eq!(body.len(), 3);
                assert_eq!(body[2], 0xAB);
                assert_eq!(body[1], next[usize::from(body[0])], "sender {}", body[0]);
                next[usize::from(body[0])] += 1;
                count += 1;
            }
            count
        });
        for sender in senders {
            sender.await.expect("sender");
        }
        assert_eq!(
            reading.await.expect("reader"),
            8 * 200,
            "all, then a clean end"
        );
    }

    #[tokio::test]
    async fn a_peer_that_never_reads_holds_senders_at_the_capacity() {
        let (a, _b) = tokio::io::duplex(16);
        let (writer, flusher) = FrameWriter::new(a, DEFAULT_MAX_FRAME, 4);
        tokio::spawn(flusher.run());
        for _ in 0..4 {
            writer.try_send(&[1; 100]).expect("room for four");
        }
        assert!(matches!(
            writer.try_send(&[1; 100]),
            Err(SendError::Full { capacity: 4 })
        ));
        let waited = tokio::time::timeout(Duration::from_millis(50), writer.send(&[1; 100])).await;
        assert!(waited.is_err(), "send waits for room");
    }

    #[tokio::test]
    async fn room_frees_as_the_peer_reads() {
        let (a, b) = tokio::io::duplex(16);
        let (writer, flusher) = FrameWriter::new(a, DEFAULT_MAX_FRAME, 2);
        tokio::spawn(flusher.run());
        let reading = tokio::spawn(async move {
            let mut reader = FrameReader::new(b, DEFAULT_MAX_FRAME);
            let mut n = 0;
            while reader.next_frame().await.expect("read").is_some() {
                n += 1;
            }
            n
        });
        for _ in 0..50 {
            writer.send(&[2; 40]).await.expect("send");
        }
        writer.flush().await;
        drop(writer);
        assert_eq!(reading.await.expect("reader"), 50);
    }

    #[tokio::test]
    async fn a_closed_peer_stops_the_writer_and_wakes_waiting_senders() {
        let (a, b) = tokio::io::duplex(16);
        let (writer, flusher) = FrameWriter::new(a, DEFAULT_MAX_FRAME, 1);
        let flushing = tokio::spawn(flusher.run());
        writer.try_send(&[3; 64]).expect("first");
        let waiting = {
            let writer = writer.clone();
            tokio::spawn(async move { writer.send(&[3; 8]).await })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(b);
        assert!(matches!(
            waiting.await.expect("task"),
            Err(SendError::Stopped)
        ));
        assert!(writer.is_stopped());
        assert!(matches!(writer.send(&[3]).await, Err(SendError::Stopped)));
        tokio::time::timeout(Duration::from_secs(1), flushing)
            .await
            .expect("the flusher ends")
            .expect("flusher");
    }

    #[tokio::test]
    async fn corked_frames_leave_together_when_the_cork_is_dropped() {
        let (a, b) = tokio::io::duplex(1024);
        let (writer, flusher) = FrameWriter::new(a, DEFAULT_MAX_FRAME, 8);
        tokio::spawn(flusher.run());
        let mut reader = FrameReader::new(b, DEFAULT_MAX_FRAME);
        let cork = writer.cork();
        writer.send(b"one").await.expect("one");
        writer.try_send(b"two").expect("two");
        let early = tokio::time::timeout(Duration::from_millis(30), reader.next_frame()).await;
        assert!(early.is_err(), "nothing leaves while corked");
        drop(cork);
        assert_eq!(reader.buffered(), 0);
        assert_eq!(reader.next_frame().await.expect("one"), Some(&b"one"[..]));
        assert_eq!(reader.buffered(), 7, "both frames came in one read");
        assert_eq!(reader.next_frame().await.expect("two"), Some(&b"two"[..]));
        writer.send(b"three").await.expect("uncorked");
        assert_eq!(
            reader.next_frame().await.expect("three"),
            Some(&b"three"[..])
        );
    }

    #[tokio::test]
    async fn frames_corked_past_the_last_sender_still_leave_before_the_stream_ends() {
        let (a, b) = tokio::io::duplex(1024);
        let (writer, flusher) = FrameWriter::new(a, DEFAULT_MAX_FRAME, 8);
        let flushing = tokio::spawn(flusher.run());
        let cork = writer.cork();
        writer.send(b"late").await.expect("queued");
        drop(writer);
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!flushing.is_finished(), "a cork still holds frames");
        drop(cork);
        let mut reader = FrameReader::new(b, DEFAULT_MAX_FRAME);
        assert_eq!(reader.next_frame().await.expect("late"), Some(&b"late"[..]));
        assert_eq!(reader.next_frame().await.expect("end"), None);
        tokio::time::timeout(Duration::from_secs(1), flushing)
            .await
            .expect("the flusher ends")
            .expect("flusher");
    }

    #[tokio::test]
    async fn a_frame_over_the_limit_is_refused_and_nothing_is_written() {
        let (a, b) = tokio::io::duplex(1024);
        let (writer, flusher) = FrameWriter::new(a, 64, 4);
        tokio::spawn(flusher.run());
        assert!(matches!(
            writer.send(&[0; 65]).await,
            Err(SendError::Frame(FrameError::TooLarge { declared: 65, .. }))
        ));
        assert!(matches!(
            writer.try_send(&[]),
            Err(SendError::Frame(FrameError::Empty))
        ));
        drop(writer);
        let mut reader = FrameReader::new(b, 64);
        assert_eq!(reader.next_frame().await.expect("end"), None);
    }
}
