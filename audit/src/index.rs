//! The sparse index beside the trail: one entry per [`INDEX_STRIDE`] records giving the
//! record's sequence number, time, byte offset and its predecessor's MAC — enough to start a
//! chain-checked read in the middle of the trail. Queries with `since` use it to skip the part
//! of the trail that is older.
//!
//! Each 88-byte entry is authenticated with the chain key and bound to the trail id, so an
//! edited or foreign entry is ignored (reading stops at the first entry that fails), never
//! trusted. The index is rebuilt from the verified trail at every open and appended after
//! group commits without fsync; a missing, stale or cut-short index only makes queries read
//! more of the trail, it never changes their answer.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use ring::hmac;

use super::record::{MAC_LEN, Mac, TrailId};

/// One index entry per this many records (for seq 1, 1 + STRIDE, 1 + 2·STRIDE, …).
pub const INDEX_STRIDE: u64 = 1024;

const LABEL: &[u8] = b"faxbot-audit index v1";
const ENTRY_LEN: usize = 8 + 8 + 8 + MAC_LEN + MAC_LEN;

/// Where a record starts, and what it chains to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexEntry {
    /// The record's sequence number.
    pub seq: u64,
    /// The record's time, µs since the epoch.
    pub time_micros: i64,
    /// Byte offset of the record's line in the trail.
    pub offset: u64,
    /// MAC of the record before it (the header MAC for seq 1).
    pub prev_mac: Mac,
}

/// True for the sequence numbers that get an index entry.
pub fn is_indexed(seq: u64) -> bool {
    seq % INDEX_STRIDE == 1
}

fn entry_mac(key: &hmac::Key, trail_id: &TrailId, fields: &[u8]) -> Mac {
    let mut ctx = hmac::Context::with_key(key);
    ctx.update(LABEL);
    ctx.update(trail_id);
    ctx.update(fields);
    let mut out = [0u8; MAC_LEN];
    out.copy_from_slice(&ctx.sign().as_ref()[..MAC_LEN]);
    out
}

fn encode(key: &hmac::Key, trail_id: &TrailId, e: &IndexEntry, out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(&e.seq.to_be_bytes());
    out.extend_from_slice(&e.time_micros.to_be_bytes());
    out.extend_from_slice(&e.offset.to_be_bytes());
    out.extend_from_slice(&e.prev_mac);
    let mac = entry_mac(key, trail_id, &out[start..]);
    out.extend_from_slice(&mac);
}

/// Reads the index, keeping entries up to the first one that is cut short, fails its MAC, or
/// does not follow its predecessor in sequence, time and offset. A missing file is empty.
pub fn read_index(path: &Path, key: &hmac::Key, trail_id: &TrailId) -> Vec<IndexEntry> {
    let Ok(bytes) = std::fs::read(path) else {
        return Vec::new();
    };
    let mut entries: Vec<IndexEntry> = Vec::new();
    for chunk in bytes.chunks_exact(ENTRY_LEN) {
        let (fields, mac) = chunk.split_at(ENTRY_LEN - MAC_LEN);
        if entry_mac(key, trail_id, fields) != mac {
            break;
        }
        let word = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&fields[i * 8..i * 8 + 8]);
            b
        };
        let mut prev_mac = [0u8; MAC_LEN];
        prev_mac.copy_from_slice(&fields[24..24 + MAC_LEN]);
        let entry = IndexEntry {
            seq: u64::from_be_bytes(word(0)),
            time_micros: i64::from_be_bytes(word(1)),
            offset: u64::from_be_bytes(word(2)),
            prev_mac,
        };
        if let Some(last) = entries.last()
            && (entry.seq <= last.seq
                || entry.time_micros < last.time_micros
                || entry.offset <= last.offset)
        {
            break;
        }
        entries.push(entry);
    }
    entries
}

/// The last entry whose record is strictly older than `since_micros`: every record before it
/// is older too, so a query for `since` may start reading there.
pub fn start_for(entries: &[IndexEntry], since_micros: i64) -> Option<&IndexEntry> {
    let n = entries.partition_point(|e| e.time_micros < since_micros);
    n.checked_sub(1).map(|i| &entries[i])
}

/// The index file of a trail being written.
#[derive(Debug)]
pub struct IndexFile {
    file: File,
    buf: Vec<u8>,
}

impl IndexFile {
    /// Creates (or empties) the index file and writes `entries` into it.
    pub fn rebuild(
        path: &Path,
        key: &hmac::Key,
        trail_id: &TrailId,
        entries: &[IndexEntry],
    ) -> io::Result<Self> {
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(path)?;
        let mut index = Self {
            file,
            buf: Vec::new(),
        };
        index.append(key, trail_id, entries)?;
        Ok(index)
    }

    /// Appends entries (not fsynced: the index is rebuilt from the trail at every open).
    pub fn append(
        &mut self,
        key: &hmac::Key,
        trail_id: &TrailId,
        entries: &[IndexEntry],
    ) -> io::Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        self.buf.clear();
        for e in entries {
            encode(key, trail_id, e, &mut self.buf);
        }
        self.file.write_all(&self.buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: u64, time_micros: i64) -> IndexEntry {
        IndexEntry {
            seq,
            time_micros,
            offset: seq * 100,
            prev_mac: [seq as u8; MAC_LEN],
        }
    }

    #[test]
    fn entries_round_trip_and_reading_stops_at_a_forged_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("index");
        let key = hmac::Key::new(hmac::HMAC_SHA256, &[4u8; 32]);
        let trail = [6u8; 16];
        let entries = [entry(1, 10), entry(1025, 20), entry(2049, 30)];
        IndexFile::rebuild(&path, &key, &trail, &entries).expect("write");
        assert_eq!(read_index(&path, &key, &trail), entries);
        assert!(
            read_index(&path, &key, &[7u8; 16]).is_empty(),
            "another trail's index"
        );

        let mut bytes = std::fs::read(&path).expect("read");
        bytes[ENTRY_LEN + 20] ^= 1; // the second entry's offset
        std::fs::write(&path, &bytes).expect("write");
        assert_eq!(read_index(&path, &key, &trail), entries[..1]);
    }

    #[test]
    fn the_start_is_the_last_entry_strictly_older_than_since() {
        let entries = [
            entry(1, 10),
            entry(1025, 20),
            entry(2049, 20),
            entry(3073, 30),
        ];
        assert_eq!(start_for(&entries, 5), None);
        assert_eq!(start_for(&entries, 10), None);
        assert_eq!(start_for(&entries, 11).map(|e| e.seq), Some(1));
        assert_eq!(start_for(&entries, 20).map(|e| e.seq), Some(1));
        assert_eq!(start_for(&entries, 25).map(|e| e.seq), Some(2049));
        assert_eq!(start_for(&entries, 99).map(|e| e.seq), Some(3073));
    }
}
