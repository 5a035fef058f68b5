//! The writer: [`AuditTrail`] opens (or creates) the trail, repairs a torn tail, and commits
//! records with group commit.
//!
//! Callers' tasks validate, redact and encode their event, then hand it to one committer
//! thread. The committer takes everything queued, gives each record its sequence number, time
//! and MAC, writes the batch with one `write` and makes it durable with one `fdatasync`, then
//! updates the head checkpoint and answers every caller. While it waits on the disk, new
//! records queue up for the next batch, so N concurrent writers share one fsync.
//!
//! Fail closed: a record is acknowledged only after its `fdatasync` returned. If a write or
//! sync fails, the batch's callers get an error, the file is cut back to the last durable
//! record, and the trail refuses every later record (after a failed fsync the kernel's page
//! cache can no longer be trusted to match the disk): restart to recover.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use tokio::sync::oneshot;

use super::chain::{self, BreakReason, ChainBreak, ChainReader, ReadError};
use super::event::{Action, Actor, AuditEvent, Outcome, Target};
use super::head::{Head, HeadFile};
use super::index::{self, IndexEntry, IndexFile};
use super::record::{self, EncodedEvent, Mac, TrailId};
use super::redaction::DetailsRedactor;
use super::time::Timestamp;
use super::{AuditError, HEAD_FILE_NAME, INDEX_FILE_NAME, TRAIL_FILE_NAME};
use crate::keys::KeyMaterial;

/// Largest batch the committer writes with one fsync.
const MAX_BATCH_RECORDS: usize = 4096;

/// Deepest nesting of arrays and objects allowed in details.
pub const MAX_DETAILS_DEPTH: usize = 32;

/// True when `value` nests arrays and objects at most `max` levels deep. Iterative, so a
/// hostile depth cannot overflow the stack here.
fn nesting_within(value: &serde_json::Value, max: usize) -> bool {
    let mut stack = vec![(value, 0usize)];
    while let Some((v, depth)) = stack.pop() {
        let children: Box<dyn Iterator<Item = &serde_json::Value>> = match v {
            serde_json::Value::Array(items) => Box::new(items.iter()),
            serde_json::Value::Object(map) => Box::new(map.values()),
            _ => continue,
        };
        if depth + 1 > max {
            return false;
        }
        stack.extend(children.map(|c| (c, depth + 1)));
    }
    true
}

/// The proof that a record is on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Receipt {
    /// The record's sequence number.
    pub seq: u64,
    /// The record's time.
    pub time: Timestamp,
}

/// A torn tail found and cut off when the trail was opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TailRepair {
    /// The last good record's sequence number; the trail was cut just after it.
    pub last_good_seq: u64,
    /// The file length after the cut.
    pub truncated_to: u64,
    /// How many bytes of incomplete record were removed.
    pub removed_bytes: u64,
    /// The sequence number of the `audit.tail_repaired` record that reports the repair.
    pub reported_as_seq: u64,
}

/// What [`AuditTrail::open`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenReport {
    /// The trail's id, hex.
    pub trail_id: String,
    /// True when the trail was created by this open.
    pub created: bool,
    /// Records in the trail after opening (including any record the open itself wrote).
    pub records: u64,
    /// The torn tail that was repaired, if any.
    pub repaired: Option<TailRepair>,
}

struct Request {
    event: EncodedEvent,
    reply: oneshot::Sender<Result<Receipt, AuditError>>,
}

/// The append-only, hash-chained, group-committed audit trail. Cheap to clone; all clones
/// share one committer. The committer stops when the last clone is dropped.
#[derive(Clone)]
pub struct AuditTrail {
    inner: Arc<Inner>,
}

struct Inner {
    tx: Option<mpsc::Sender<Request>>,
    committer: Mutex<Option<JoinHandle<()>>>,
    redactor: Arc<dyn DetailsRedactor>,
    dir: PathBuf,
}

impl Drop for Inner {
    fn drop(&mut self) {
        drop(self.tx.take());
        let handle = self.committer.lock().ok().and_then(|mut h| h.take());
        if let Some(handle) = handle {
            // A panicked committer has already failed its callers; nothing more to report.
            let _ = handle.join();
        }
    }
}

impl std::fmt::Debug for AuditTrail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditTrail")
            .field("dir", &self.inner.dir)
            .finish_non_exhaustive()
    }
}

impl AuditTrail {
    /// Opens the trail in `dir` (creating it with an `audit.trail_created` record if absent),
    /// verifies the whole chain and the head checkpoint, and cuts off a torn tail, recording
    /// the repair as an `audit.tail_repaired` record before any other. Any other break refuses
    /// the open: a trail that was tampered with is not written to.
    ///
    /// Holds an exclusive lock on the trail file while open; a second writer is refused.
    pub fn open(
        dir: &Path,
        keys: &KeyMaterial,
        redactor: Arc<dyn DetailsRedactor>,
    ) -> Result<(Self, OpenReport), AuditError> {
        let key = keys.audit_chain_key();
        let (committer, report) = Committer::open(dir, key)?;
        let (tx, rx) = mpsc::channel();
        let handle = std::thread::Builder::new()
            .name("audit-committer".into())
            .spawn(move || committer.run(rx))
            .map_err(|source| AuditError::Io {
                path: dir.to_path_buf(),
                action: "start the committer thread",
                source,
            })?;
        let trail = AuditTrail {
            inner: Arc::new(Inner {
                tx: Some(tx),
                committer: Mutex::new(Some(handle)),
                redactor,
                dir: dir.to_path_buf(),
            }),
        };
        Ok((trail, report))
    }

    /// The directory holding the trail.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    fn submit(
        &self,
        event: AuditEvent,
    ) -> Result<oneshot::Receiver<Result<Receipt, AuditError>>, AuditError> {
        event.actor.validate()?;
        // Before the redactor sees them: a recursive redactor must not meet unbounded nesting,
        // and the reader (serde_json, 128 levels) must be able to parse what is written.
        if !nesting_within(&event.details, MAX_DETAILS_DEPTH) {
            return Err(AuditError::TooDeep {
                action: event.action.to_string(),
                limit: MAX_DETAILS_DEPTH,
            });
        }
        let mut event = event;
        let details = std::mem::take(&mut event.details);
        event.details = self
            .inner
            .redactor
            .redact_details(event.tenant.as_ref(), details);
        let encoded = EncodedEvent::encode(&event).map_err(|e| AuditError::Encode {
            action: event.action.to_string(),
            reason: e.classify_name(),
        })?;
        if encoded.too_large() {
            return Err(AuditError::TooLarge {
                action: event.action.to_string(),
                bytes: encoded.encoded_len(),
            });
        }
        let (reply, rx) = oneshot::channel();
        self.inner
            .tx
            .as_ref()
            .ok_or(AuditError::Closed)?
            .send(Request {
                event: encoded,
                reply,
            })
            .map_err(|_| AuditError::Closed)?;
        Ok(rx)
    }

    /// Records an event and returns once it is durably on disk. **Fail closed:** an action
    /// that needs an audit record must not proceed unless this returns `Ok`:
    ///
    /// ```no_run
    /// # use faxbot_audit::{AuditTrail, AuditEvent, AuditError, Actor, Action, Outcome, Target};
    /// # async fn approve(trail: &AuditTrail) -> Result<(), AuditError> {
    /// let event = AuditEvent::new(
    ///     Actor::api_key("k_77")?,
    ///     Action::new("plugin.install.approved")?,
    ///     Outcome::Success,
    /// )
    /// .with_target(Target::plugin("com.example.slack")?);
    /// trail.record(event).await?; // refused here if the trail cannot commit
    /// // ... only now perform the approval ...
    /// # Ok(()) }
    /// ```
    pub async fn record(&self, event: AuditEvent) -> Result<Receipt, AuditError> {
        let rx = self.submit(event)?;
        rx.await.map_err(|_| AuditError::Closed)?
    }

    /// [`record`](Self::record) for synchronous callers. Must not be called from inside an
    /// async task (it blocks the thread until the record is durable).
    pub fn record_blocking(&self, event: AuditEvent) -> Result<Receipt, AuditError> {
        let rx = self.submit(event)?;
        rx.blocking_recv().map_err(|_| AuditError::Closed)?
    }
}

trait ClassifyName {
    fn classify_name(&self) -> &'static str;
}

impl ClassifyName for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "i/o",
            serde_json::error::Category::Syntax => "syntax",
            serde_json::error::Category::Data => "data",
            serde_json::error::Category::Eof => "eof",
        }
    }
}

/// The single writer of the trail file.
struct Committer {
    file: File,
    head_file: HeadFile,
    /// The sparse index; `None` after a write to it failed (queries then read more).
    index: Option<IndexFile>,
    /// Index entries of committed records not yet appended to the index.
    pending_index: Vec<IndexEntry>,
    key: hmac::Key,
    trail_id: TrailId,
    path: PathBuf,
    seq: u64,
    mac: Mac,
    len: u64,
    last_time: Timestamp,
    buf: Vec<u8>,
    failed: Option<String>,
}

impl Committer {
    fn open(dir: &Path, key: hmac::Key) -> Result<(Self, OpenReport), AuditError> {
        let io_err = |path: &Path, action: &'static str| {
            let path = path.to_path_buf();
            move |source| AuditError::Io {
                path,
                action,
                source,
            }
        };
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(io_err(dir, "create the audit directory"))?;
        let path = dir.join(TRAIL_FILE_NAME);
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .mode(0o600)
            .open(&path)
            .map_err(io_err(&path, "open"))?;
        file.try_lock().map_err(|e| match e {
            fs::TryLockError::WouldBlock => AuditError::Busy { path: path.clone() },
            fs::TryLockError::Error(source) => AuditError::Io {
                path: path.clone(),
                action: "lock",
                source,
            },
        })?;
        let head_path = dir.join(HEAD_FILE_NAME);
        let len = file.metadata().map_err(io_err(&path, "stat"))?.len();
        // Shorter than a header: a crash while the trail was being created, unless a head
        // checkpoint says records were committed.
        if len < record::HEADER_LEN as u64 {
            if let Some(head) = chain::read_head(dir, &key).map_err(AuditError::from_read)? {
                // An empty trail beside a head naming records: they were all removed.
                return Err(AuditError::Broken(ChainBreak {
                    seq: 1,
                    line: 1,
                    offset: 0,
                    reason: BreakReason::MissingTail { head_seq: head.seq },
                }));
            }
            if len > 0 {
                file.set_len(0)
                    .map_err(io_err(&path, "discard a half-written header"))?;
            }
            return Self::create(dir, path, file, head_path, key);
        }

        // Verify the whole chain, remembering where the last good record ends.
        // Header first, then the head checkpoint: the same order as `verify_trail`, so both
        // name the same first problem.
        let mut reader = ChainReader::open(&path, key.clone()).map_err(AuditError::from_read)?;
        let head = chain::read_head(dir, &key).map_err(AuditError::from_read)?;
        let mut head_mac_seen = None;
        let mut index_entries = Vec::new();
        let torn = loop {
            let before = reader.position();
            match reader.next_record() {
                Ok(Some(record)) => {
                    if index::is_indexed(record.seq) {
                        index_entries.push(IndexEntry {
                            seq: record.seq,
                            time_micros: record.time.unix_micros(),
                            offset: before.offset,
                            prev_mac: before.mac,
                        });
                    }
                    if head.is_some_and(|h| h.seq == record.seq) {
                        head_mac_seen = Some(record.mac);
                    }
                }
                Ok(None) => break None,
                Err(ReadError::Break(ChainBreak {
                    reason: BreakReason::TornTail { bytes },
                    ..
                })) => break Some(bytes),
                Err(other) => return Err(AuditError::from_read(other)),
            }
        };
        let end = reader.position();
        chain::check_head(&end, head.as_ref(), head_mac_seen).map_err(AuditError::Broken)?;
        let head_file = HeadFile::open(&head_path).map_err(io_err(&head_path, "open"))?;
        let index_path = dir.join(INDEX_FILE_NAME);
        let index = IndexFile::rebuild(&index_path, &key, &end.trail_id, &index_entries)
            .map_err(io_err(&index_path, "rebuild the index"))?;
        let mut committer = Committer {
            file,
            head_file,
            index: Some(index),
            pending_index: Vec::new(),
            key,
            trail_id: end.trail_id,
            path,
            seq: end.seq,
            mac: end.mac,
            len: end.offset,
            last_time: Timestamp::from_unix_micros(end.time_micros.max(0)),
            buf: Vec::with_capacity(1 << 16),
            failed: None,
        };
        let mut report = OpenReport {
            trail_id: hex::encode(end.trail_id),
            created: false,
            records: end.seq,
            repaired: None,
        };
        if let Some(removed_bytes) = torn {
            committer
                .file
                .set_len(end.offset)
                .map_err(io_err(&committer.path, "truncate the torn tail"))?;
            committer
                .file
                .sync_all()
                .map_err(io_err(&committer.path, "fsync after truncating"))?;
            let event = system_event(
                "audit.tail_repaired",
                Outcome::Success,
                serde_json::json!({
                    "last_good_seq": end.seq,
                    "truncated_to_bytes": end.offset,
                    "removed_bytes": removed_bytes,
                }),
            )?;
            let receipt = committer.commit_now(event)?;
            report.records = receipt.seq;
            report.repaired = Some(TailRepair {
                last_good_seq: end.seq,
                truncated_to: end.offset,
                removed_bytes,
                reported_as_seq: receipt.seq,
            });
        } else {
            // The head may lag after a power loss; bring it up to date.
            committer.store_head()?;
        }
        Ok((committer, report))
    }

    fn create(
        dir: &Path,
        path: PathBuf,
        file: File,
        head_path: PathBuf,
        key: hmac::Key,
    ) -> Result<(Self, OpenReport), AuditError> {
        let mut trail_id = [0u8; record::TRAIL_ID_LEN];
        SystemRandom::new()
            .fill(&mut trail_id)
            .map_err(|_| AuditError::Random)?;
        let header = record::header_line(&key, &trail_id);
        let head_file = HeadFile::open(&head_path).map_err(|source| AuditError::Io {
            path: head_path.clone(),
            action: "create",
            source,
        })?;
        let index_path = dir.join(INDEX_FILE_NAME);
        let index = IndexFile::rebuild(&index_path, &key, &trail_id, &[]).map_err(|source| {
            AuditError::Io {
                path: index_path,
                action: "create the index",
                source,
            }
        })?;
        let mut committer = Committer {
            file,
            head_file,
            index: Some(index),
            pending_index: Vec::new(),
            mac: record::header_mac(&key, &trail_id),
            key,
            trail_id,
            path,
            seq: 0,
            len: 0,
            last_time: Timestamp::from_unix_micros(0),
            buf: Vec::with_capacity(1 << 16),
            failed: None,
        };
        committer.write_durably(&header)?;
        committer.len = header.len() as u64;
        let event = system_event(
            "audit.trail_created",
            Outcome::Success,
            serde_json::json!({"format": record::HEADER_MAGIC}),
        )?;
        let receipt = committer.commit_now(event)?;
        committer
            .head_file
            .sync()
            .and_then(|()| File::open(dir)?.sync_all())
            .map_err(|source| AuditError::Io {
                path: dir.to_path_buf(),
                action: "fsync the new trail's directory",
                source,
            })?;
        let report = OpenReport {
            trail_id: hex::encode(trail_id),
            created: true,
            records: receipt.seq,
            repaired: None,
        };
        Ok((committer, report))
    }

    /// Commits one event synchronously (used while opening, before the committer thread runs).
    fn commit_now(&mut self, event: AuditEvent) -> Result<Receipt, AuditError> {
        let encoded = EncodedEvent::encode(&event).map_err(|e| AuditError::Encode {
            action: event.action.to_string(),
            reason: e.classify_name(),
        })?;
        let receipts = self.commit_batch(std::slice::from_ref(&encoded))?;
        self.store_head()?;
        self.store_index();
        receipts.into_iter().next().ok_or(AuditError::Closed)
    }

    fn write_durably(&mut self, bytes: &[u8]) -> Result<(), AuditError> {
        let result = self
            .file
            .write_all(bytes)
            .and_then(|()| self.file.sync_data());
        result.map_err(|source| AuditError::Io {
            path: self.path.clone(),
            action: "append and fdatasync",
            source,
        })
    }

    /// Appends pending index entries. A failure only disables the index: it is an
    /// accelerator, rebuilt at the next open, and queries stay correct without it.
    fn store_index(&mut self) {
        if let Some(index) = &mut self.index
            && index
                .append(&self.key, &self.trail_id, &self.pending_index)
                .is_err()
        {
            self.index = None;
        }
        self.pending_index.clear();
    }

    fn store_head(&mut self) -> Result<(), AuditError> {
        let head = Head {
            trail_id: self.trail_id,
            seq: self.seq,
            mac: self.mac,
        };
        self.head_file
            .store(&self.key, &head)
            .map_err(|source| AuditError::Io {
                path: self.path.with_file_name(HEAD_FILE_NAME),
                action: "update the head checkpoint",
                source,
            })
    }

    /// Chains, writes and syncs a batch; on failure cuts the file back and poisons the trail.
    fn commit_batch(&mut self, events: &[EncodedEvent]) -> Result<Vec<Receipt>, AuditError> {
        if let Some(reason) = &self.failed {
            return Err(AuditError::Unavailable {
                reason: format!("an earlier write failed: {reason}"),
            });
        }
        let now = Timestamp::now();
        let time = now.max(self.last_time);
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        let mut mac = self.mac;
        let mut receipts = Vec::with_capacity(events.len());
        let mut new_entries = Vec::new();
        for (i, event) in events.iter().enumerate() {
            let seq = self.seq + 1 + i as u64;
            if index::is_indexed(seq) {
                new_entries.push(IndexEntry {
                    seq,
                    time_micros: time.unix_micros(),
                    offset: self.len + buf.len() as u64,
                    prev_mac: mac,
                });
            }
            mac = record::append_record_line(&mut buf, &self.key, &mac, seq, time, event);
            receipts.push(Receipt { seq, time });
        }
        let written = self.write_durably(&buf);
        let batch_len = buf.len() as u64;
        self.buf = buf;
        if let Err(error) = written {
            // Cut back what may have reached the page cache, so unacknowledged records do
            // not survive to describe actions that were refused.
            let _ = self
                .file
                .set_len(self.len)
                .and_then(|()| self.file.sync_data());
            self.failed = Some(error.to_string());
            return Err(error);
        }
        self.seq += events.len() as u64;
        self.mac = mac;
        self.len += batch_len;
        self.last_time = time;
        self.pending_index.extend(new_entries);
        Ok(receipts)
    }

    fn run(mut self, rx: mpsc::Receiver<Request>) {
        let mut events = Vec::with_capacity(256);
        let mut replies = Vec::with_capacity(256);
        while let Ok(first) = rx.recv() {
            events.push(first.event);
            replies.push(first.reply);
            while events.len() < MAX_BATCH_RECORDS {
                match rx.try_recv() {
                    Ok(next) => {
                        events.push(next.event);
                        replies.push(next.reply);
                    }
                    Err(_) => break,
                }
            }
            match self.commit_batch(&events) {
                Ok(receipts) => {
                    for (reply, receipt) in replies.drain(..).zip(receipts) {
                        // A caller that stopped waiting still has its record committed.
                        let _ = reply.send(Ok(receipt));
                    }
                    // After the replies: the head is allowed to lag, never to lead, so it
                    // need not delay the callers.
                    if let Err(error) = self.store_head() {
                        // The records are durable and acknowledged; later ones are refused.
                        self.failed = Some(error.to_string());
                    }
                    self.store_index();
                }
                Err(error) => {
                    let reason = error.to_string();
                    for reply in replies.drain(..) {
                        let _ = reply.send(Err(AuditError::Unavailable {
                            reason: reason.clone(),
                        }));
                    }
                }
            }
            events.clear();
        }
    }
}

fn system_event(
    action: &str,
    outcome: Outcome,
    details: serde_json::Value,
) -> Result<AuditEvent, AuditError> {
    Ok(
        AuditEvent::new(Actor::System, Action::new(action)?, outcome)
            .with_target(Target::new("trail", "audit")?)
            .with_details(details),
    )
}
