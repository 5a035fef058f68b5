//! The head checkpoint: a small file beside the trail naming its trail id, last committed
//! sequence number and that record's MAC, authenticated with the chain key.
//!
//! A chain alone cannot show that records were cut off its end: a prefix of a valid chain is a
//! valid chain. The head can: it is rewritten (in place, one `pwrite`) after every group commit,
//! always *after* the records it names are on disk, so the trail is never legitimately shorter
//! than its head. It is not fsynced: after a power loss it may lag behind the trail, which is
//! harmless; it can never run ahead. A trail shorter than its head has lost records.
//!
//! Limit: someone who can write the state directory and kept an old head file can roll both
//! back together. Anchoring the head outside the machine is the cure; see docs/audit.md.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::Path;

use ring::hmac;

use super::record::{MAC_LEN, Mac, TRAIL_ID_LEN, TrailId};

const MAGIC: &str = "faxbot-audit-head v1";
const LABEL: &[u8] = b"faxbot-audit head v1";

/// Length of the head line: magic, trail id, 20-digit sequence, record MAC, head MAC, newline.
pub const HEAD_LEN: usize =
    MAGIC.len() + 1 + 2 * TRAIL_ID_LEN + 1 + 20 + 1 + 2 * MAC_LEN + 1 + 2 * MAC_LEN + 1;

/// The trail's last committed record, as the head file names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Head {
    /// The trail it belongs to.
    pub trail_id: TrailId,
    /// Last committed sequence number.
    pub seq: u64,
    /// That record's chain MAC.
    pub mac: Mac,
}

/// Why a head file was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeadProblem {
    /// Not a head line.
    Malformed,
    /// Its MAC was not made with this key, or a field was changed.
    Forged,
}

fn head_mac(key: &hmac::Key, head: &Head) -> Mac {
    let mut ctx = hmac::Context::with_key(key);
    ctx.update(LABEL);
    ctx.update(&head.trail_id);
    ctx.update(&head.seq.to_be_bytes());
    ctx.update(&head.mac);
    let mut out = [0u8; MAC_LEN];
    out.copy_from_slice(&ctx.sign().as_ref()[..MAC_LEN]);
    out
}

impl Head {
    /// The head line, exactly [`HEAD_LEN`] bytes.
    pub fn encode(&self, key: &hmac::Key) -> Vec<u8> {
        format!(
            "{MAGIC} {} {:020} {} {}\n",
            hex::encode(self.trail_id),
            self.seq,
            hex::encode(self.mac),
            hex::encode(head_mac(key, self))
        )
        .into_bytes()
    }

    /// Parses and authenticates a head line.
    pub fn decode(key: &hmac::Key, bytes: &[u8]) -> Result<Self, HeadProblem> {
        if bytes.len() != HEAD_LEN {
            return Err(HeadProblem::Malformed);
        }
        let text = std::str::from_utf8(bytes).map_err(|_| HeadProblem::Malformed)?;
        let rest = text
            .strip_suffix('\n')
            .and_then(|t| t.strip_prefix(MAGIC))
            .and_then(|t| t.strip_prefix(' '))
            .ok_or(HeadProblem::Malformed)?;
        let parts: Vec<&str> = rest.split(' ').collect();
        let [id_hex, seq_text, mac_hex, head_hex] = parts[..] else {
            return Err(HeadProblem::Malformed);
        };
        let mut head = Head {
            trail_id: [0; TRAIL_ID_LEN],
            seq: seq_text.parse().map_err(|_| HeadProblem::Malformed)?,
            mac: [0; MAC_LEN],
        };
        hex::decode_to_slice(id_hex, &mut head.trail_id).map_err(|_| HeadProblem::Malformed)?;
        hex::decode_to_slice(mac_hex, &mut head.mac).map_err(|_| HeadProblem::Malformed)?;
        let mut found = [0u8; MAC_LEN];
        hex::decode_to_slice(head_hex, &mut found).map_err(|_| HeadProblem::Malformed)?;
        if head_mac(key, &head) != found {
            return Err(HeadProblem::Forged);
        }
        Ok(head)
    }

    /// Reads the head file; `Ok(None)` when there is none.
    pub fn read(path: &Path, key: &hmac::Key) -> io::Result<Option<Result<Self, HeadProblem>>> {
        match std::fs::read(path) {
            Ok(bytes) => Ok(Some(Self::decode(key, &bytes))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// The open head file of a trail being written.
#[derive(Debug)]
pub struct HeadFile {
    file: File,
}

impl HeadFile {
    /// Opens (creating, mode 0600) the head file for writing.
    pub fn open(path: &Path) -> io::Result<Self> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)?;
        Ok(Self { file })
    }

    /// Overwrites the head in place. The line has a fixed length, so one `pwrite` replaces it.
    pub fn store(&self, key: &hmac::Key, head: &Head) -> io::Result<()> {
        let line = head.encode(key);
        // Every head line has the same length, so the file never holds more than one.
        self.file.write_all_at(&line, 0)
    }

    /// Flushes the head to disk (used once at creation and after a repair).
    pub fn sync(&self) -> io::Result<()> {
        self.file.sync_all()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_head_round_trips_and_an_edited_one_is_forged() {
        let key = hmac::Key::new(hmac::HMAC_SHA256, &[5u8; 32]);
        let head = Head {
            trail_id: [1; TRAIL_ID_LEN],
            seq: 42,
            mac: [2; MAC_LEN],
        };
        let line = head.encode(&key);
        assert_eq!(line.len(), HEAD_LEN);
        assert_eq!(Head::decode(&key, &line), Ok(head));
        let edited = String::from_utf8(line)
            .expect("ascii")
            .replace("00000000000000000042", "00000000000000000041");
        assert_eq!(
            Head::decode(&key, edited.as_bytes()),
            Err(HeadProblem::Forged)
        );
    }
}
