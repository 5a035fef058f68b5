//! Reading a trail back while checking its chain: [`ChainReader`] yields records in order and
//! stops at the first one that breaks the chain, naming its position and the reason
//! ([`ChainBreak`]). [`verify_trail`] runs it over a whole trail and checks the head.

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use ring::hmac;

use super::head::{Head, HeadProblem};
use super::index::IndexEntry;
use super::record::{
    self, AuditRecord, HeaderProblem, LineProblem, Mac, TrailId, parse_header, parse_record_line,
};
use super::{HEAD_FILE_NAME, TRAIL_FILE_NAME};

/// Why the chain breaks at a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BreakReason {
    /// The file does not start with a faxbot audit header.
    HeaderMalformed,
    /// The header was not made with this key: another installation's trail, or a forgery.
    HeaderForged,
    /// A line that is not a record.
    Malformed(String),
    /// The record's MAC does not match its content and its predecessor: it was edited, or
    /// forged without the key, or it follows a different predecessor.
    MacMismatch,
    /// A sequence number other than the next one: a record was deleted, reordered or replayed.
    SequenceMismatch {
        /// The sequence number found in the record.
        found: u64,
    },
    /// The record's time is earlier than its predecessor's.
    TimeWentBackwards,
    /// The file ends inside a record (no line end): a write interrupted by a crash.
    TornTail {
        /// How many bytes the incomplete record has.
        bytes: u64,
    },
    /// The trail ends before the record its head checkpoint names: records were cut off.
    MissingTail {
        /// The last sequence number the head says was committed.
        head_seq: u64,
    },
    /// The head checkpoint belongs to another trail.
    WrongTrail {
        /// The trail id in the trail's header.
        trail: String,
        /// The trail id in the head file.
        head: String,
    },
    /// The head checkpoint names a record whose MAC differs: the history was rewritten.
    HeadMismatch,
    /// The head file is malformed, or not authenticated by this key.
    HeadForged,
    /// The head file is missing although the trail has records past its creation.
    HeadMissing,
}

impl fmt::Display for BreakReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BreakReason::HeaderMalformed => f.write_str("the file does not start with a faxbot audit header"),
            BreakReason::HeaderForged => f.write_str(
                "the header's MAC does not match this key: the file belongs to another installation or was forged",
            ),
            BreakReason::Malformed(why) => write!(f, "not a record: {why}"),
            BreakReason::MacMismatch => f.write_str(
                "MAC mismatch: the record was edited, forged without the key, or does not follow its predecessor",
            ),
            BreakReason::SequenceMismatch { found } => write!(
                f,
                "found sequence number {found}: a record was deleted, reordered or replayed"
            ),
            BreakReason::TimeWentBackwards => {
                f.write_str("time is earlier than the previous record's")
            }
            BreakReason::TornTail { bytes } => write!(
                f,
                "the file ends inside a record ({bytes} bytes without a line end): a torn write from a crash"
            ),
            BreakReason::MissingTail { head_seq } => write!(
                f,
                "the trail ends here but its head checkpoint says record {head_seq} was committed: records were cut off the end"
            ),
            BreakReason::WrongTrail { trail, head } => write!(
                f,
                "the trail file is trail {trail} but the head checkpoint is for trail {head}: the file was swapped"
            ),
            BreakReason::HeadMismatch => f.write_str(
                "the head checkpoint's MAC for this record differs: the history was rewritten",
            ),
            BreakReason::HeadForged => {
                f.write_str("the head checkpoint is malformed or not made with this key")
            }
            BreakReason::HeadMissing => f.write_str(
                "the head checkpoint is missing although the trail has records past its creation",
            ),
        }
    }
}

/// The first place where a trail's chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audit trail broken at record seq {seq} (line {line}, byte {offset}): {reason}")]
pub struct ChainBreak {
    /// The sequence number the record at this position should have.
    pub seq: u64,
    /// The 1-based line of the file (the header is line 1).
    pub line: u64,
    /// The byte offset where the bad line starts.
    pub offset: u64,
    /// What is wrong.
    pub reason: BreakReason,
}

/// Reading a trail failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The chain breaks.
    #[error(transparent)]
    Break(#[from] ChainBreak),
    /// The file could not be read.
    #[error("audit trail {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The underlying error.
        source: io::Error,
    },
}

/// Where a [`ChainReader`] stands: after the header, or after the last good record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainPosition {
    /// The trail's id.
    pub trail_id: TrailId,
    /// Sequence number of the last good record (0 right after the header).
    pub seq: u64,
    /// MAC of the last good record (the header's MAC right after the header).
    pub mac: Mac,
    /// Byte offset just after the last good record.
    pub offset: u64,
    /// Time of the last good record, in microseconds (`i64::MIN` when none).
    pub time_micros: i64,
}

/// Reads records in order, checking each against its predecessor.
pub struct ChainReader<R> {
    reader: R,
    key: hmac::Key,
    path: String,
    line: u64,
    buf: Vec<u8>,
    position: ChainPosition,
}

impl ChainReader<BufReader<File>> {
    /// Opens a trail file and checks its header.
    pub fn open(path: &Path, key: hmac::Key) -> Result<Self, ReadError> {
        let file = File::open(path).map_err(|source| ReadError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::new(
            BufReader::with_capacity(1 << 16, file),
            key,
            path.display().to_string(),
        )
    }
}

impl<R: BufRead + Seek> ChainReader<R> {
    /// Continues reading at an index entry: the next record returned must be `entry.seq`,
    /// starting at `entry.offset` and chained to `entry.prev_mac`. Records before it are not
    /// read (and so not checked).
    pub fn seek_to(&mut self, entry: &IndexEntry) -> Result<(), ReadError> {
        self.reader
            .seek(SeekFrom::Start(entry.offset))
            .map_err(|source| ReadError::Io {
                path: self.path.clone(),
                source,
            })?;
        self.line = entry.seq;
        self.position.seq = entry.seq - 1;
        self.position.mac = entry.prev_mac;
        self.position.offset = entry.offset;
        self.position.time_micros = i64::MIN;
        Ok(())
    }
}

impl<R: BufRead> ChainReader<R> {
    /// Reads and checks the header from `reader`; `path` names the source in errors.
    pub fn new(mut reader: R, key: hmac::Key, path: String) -> Result<Self, ReadError> {
        let mut buf = Vec::with_capacity(record::HEADER_LEN);
        let io_err = |source| ReadError::Io {
            path: path.clone(),
            source,
        };
        (&mut reader)
            .take(record::HEADER_LEN as u64)
            .read_until(b'\n', &mut buf)
            .map_err(io_err)?;
        let broken = |reason| ChainBreak {
            seq: 0,
            line: 1,
            offset: 0,
            reason,
        };
        let (trail_id, seed) = parse_header(&key, &buf).map_err(|p| {
            broken(match p {
                HeaderProblem::Malformed => BreakReason::HeaderMalformed,
                HeaderProblem::Forged => BreakReason::HeaderForged,
            })
        })?;
        let offset = buf.len() as u64;
        Ok(Self {
            reader,
            key,
            path,
            line: 1,
            buf,
            position: ChainPosition {
                trail_id,
                seq: 0,
                mac: seed,
                offset,
                time_micros: i64::MIN,
            },
        })
    }

    /// Where the reader stands: after the last record it returned.
    pub fn position(&self) -> ChainPosition {
        self.position
    }

    /// The next record, `Ok(None)` at a clean end of file, or the break.
    pub fn next_record(&mut self) -> Result<Option<AuditRecord>, ReadError> {
        self.buf.clear();
        // Bounded: a line longer than any record could be is refused, not buffered.
        let n = (&mut self.reader)
            .take(record::MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut self.buf)
            .map_err(|source| ReadError::Io {
                path: self.path.clone(),
                source,
            })?;
        if n == 0 {
            return Ok(None);
        }
        let pos = &mut self.position;
        let broken = |reason| ChainBreak {
            seq: pos.seq + 1,
            line: self.line + 1,
            offset: pos.offset,
            reason,
        };
        if self.buf.last() != Some(&b'\n') {
            if n > record::MAX_LINE_BYTES {
                return Err(broken(BreakReason::Malformed(format!(
                    "line longer than the {} byte limit",
                    record::MAX_LINE_BYTES
                )))
                .into());
            }
            return Err(broken(BreakReason::TornTail { bytes: n as u64 }).into());
        }
        let record = parse_record_line(&self.key, &pos.mac, &self.buf).map_err(|p| {
            broken(match p {
                LineProblem::Malformed(why) => BreakReason::Malformed(why),
                LineProblem::MacMismatch => BreakReason::MacMismatch,
            })
        });
        let record = match record {
            Ok(record) => record,
            Err(mac_break) => {
                // Name a deleted, reordered or replayed record by its sequence number when the
                // line still reads as a record.
                if let Some(found) = sequence_of(&self.buf)
                    && found != pos.seq + 1
                {
                    return Err(broken(BreakReason::SequenceMismatch { found }).into());
                }
                return Err(mac_break.into());
            }
        };
        if record.seq != pos.seq + 1 {
            return Err(broken(BreakReason::SequenceMismatch { found: record.seq }).into());
        }
        if record.time.unix_micros() < pos.time_micros {
            return Err(broken(BreakReason::TimeWentBackwards).into());
        }
        self.line += 1;
        pos.seq = record.seq;
        pos.mac = record.mac;
        pos.offset += n as u64;
        pos.time_micros = record.time.unix_micros();
        Ok(Some(record))
    }
}

/// The `seq` of a record line, read without authenticating it (for naming a break only).
fn sequence_of(line: &[u8]) -> Option<u64> {
    let body = line.get(2 * record::MAC_LEN + 1..)?;
    let rest = body.strip_prefix(b"{\"seq\":")?;
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()
}

/// A trail that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedTrail {
    /// The trail's id, hex.
    pub trail_id: String,
    /// Number of records (= last sequence number).
    pub records: u64,
    /// The head checkpoint's sequence number (may lag behind after a power loss).
    pub head_seq: Option<u64>,
}

/// Checks a whole trail in `dir`: header, every record's sequence, time and MAC, and the head
/// checkpoint. Returns the first break.
pub fn verify_trail(dir: &Path, key: &hmac::Key) -> Result<VerifiedTrail, ReadError> {
    let mut reader = ChainReader::open(&dir.join(TRAIL_FILE_NAME), key.clone())?;
    let head = read_head(dir, key)?;
    let mut head_mac_seen = None;
    while let Some(record) = reader.next_record()? {
        if head.is_some_and(|h| h.seq == record.seq) {
            head_mac_seen = Some(record.mac);
        }
    }
    let end = reader.position();
    check_head(&end, head.as_ref(), head_mac_seen)?;
    Ok(VerifiedTrail {
        trail_id: hex::encode(end.trail_id),
        records: end.seq,
        head_seq: head.map(|h| h.seq),
    })
}

/// Reads the head file of the trail in `dir`, mapping a bad one to a break.
pub(crate) fn read_head(dir: &Path, key: &hmac::Key) -> Result<Option<Head>, ReadError> {
    let path = dir.join(HEAD_FILE_NAME);
    match Head::read(&path, key) {
        Ok(None) => Ok(None),
        Ok(Some(Ok(head))) => Ok(Some(head)),
        Ok(Some(Err(HeadProblem::Malformed | HeadProblem::Forged))) => Err(ChainBreak {
            seq: 0,
            line: 0,
            offset: 0,
            reason: BreakReason::HeadForged,
        }
        .into()),
        Err(source) => Err(ReadError::Io {
            path: path.display().to_string(),
            source,
        }),
    }
}

/// Checks the end of a clean chain against the head checkpoint.
pub(crate) fn check_head(
    end: &ChainPosition,
    head: Option<&Head>,
    head_mac_seen: Option<Mac>,
) -> Result<(), ChainBreak> {
    let at_end = |reason| ChainBreak {
        seq: end.seq + 1,
        line: end.seq + 2,
        offset: end.offset,
        reason,
    };
    let Some(head) = head else {
        // Created but crashed before the first head write: at most the creation record.
        return if end.seq <= 1 {
            Ok(())
        } else {
            Err(at_end(BreakReason::HeadMissing))
        };
    };
    if head.trail_id != end.trail_id {
        return Err(ChainBreak {
            seq: 0,
            line: 1,
            offset: 0,
            reason: BreakReason::WrongTrail {
                trail: hex::encode(end.trail_id),
                head: hex::encode(head.trail_id),
            },
        });
    }
    if head.seq > end.seq {
        return Err(at_end(BreakReason::MissingTail { head_seq: head.seq }));
    }
    if head.seq > 0 && head_mac_seen != Some(head.mac) {
        return Err(ChainBreak {
            seq: head.seq,
            line: head.seq + 1,
            offset: 0,
            reason: BreakReason::HeadMismatch,
        });
    }
    Ok(())
}
