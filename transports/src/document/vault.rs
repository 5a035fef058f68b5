//! Documents at rest: each encrypted with AES-256-GCM under a key of its own, that key
//! wrapped (AES-256-GCM) by a key-encryption key the daemon derives from the core's key
//! material. The document id is bound into both as associated data, so a stored file moved
//! under another id does not decrypt. Deleting a document deletes its wrapped key with it.
//!
//! File layout: `FXDOC1` (6 bytes), wrap nonce (12), wrapped key (32 + 16 tag), data nonce
//! (12), ciphertext + tag.

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use std::io::Write;
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 6] = b"FXDOC1";
const TAG: usize = 16;
const HEADER: usize = MAGIC.len() + NONCE_LEN + 32 + TAG + NONCE_LEN;

/// Why a document could not be stored or read. Messages name the id, never the content.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// An id that is not `[A-Za-z0-9_-]{1,64}`.
    #[error("document id {0:?} is not a valid id")]
    BadId(String),
    /// No such document.
    #[error("document {0}: not found")]
    NotFound(String),
    /// The file is not a vault file, or was altered, or belongs to another id or key.
    #[error("document {0}: does not decrypt (altered, moved or another key)")]
    Corrupt(String),
    /// The system's randomness failed.
    #[error("no randomness for a document key")]
    Random,
    /// An I/O error.
    #[error("document {id}: {source}")]
    Io {
        /// The document.
        id: String,
        /// What failed.
        source: std::io::Error,
    },
}

/// Encrypted document storage in one directory (0700).
pub struct DocumentVault {
    dir: PathBuf,
    kek: LessSafeKey,
    random: SystemRandom,
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn key(bytes: &[u8]) -> Option<LessSafeKey> {
    UnboundKey::new(&AES_256_GCM, bytes)
        .ok()
        .map(LessSafeKey::new)
}

impl DocumentVault {
    /// A vault in `dir` (created 0700 if missing) under the key-encryption key `kek`.
    pub fn open(dir: &Path, kek: [u8; 32]) -> Result<Self, VaultError> {
        let io = |source| VaultError::Io {
            id: String::from("(vault)"),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(io)?;
        }
        Ok(Self {
            dir: dir.to_owned(),
            kek: key(&kek).ok_or(VaultError::Random)?,
            random: SystemRandom::new(),
        })
    }

    fn path(&self, id: &str) -> Result<PathBuf, VaultError> {
        if !valid_id(id) {
            return Err(VaultError::BadId(id.chars().take(64).collect()));
        }
        Ok(self.dir.join(format!("{id}.fxdoc")))
    }

    fn nonce(&self) -> Result<[u8; NONCE_LEN], VaultError> {
        let mut nonce = [0u8; NONCE_LEN];
        self.random
            .fill(&mut nonce)
            .map_err(|_| VaultError::Random)?;
        Ok(nonce)
    }

    /// Encrypts `bytes` as document `id` (written to a temporary file, synced, renamed).
    pub fn put(&self, id: &str, bytes: &[u8]) -> Result<(), VaultError> {
        let path = self.path(id)?;
        let mut data_key = [0u8; 32];
        self.random
            .fill(&mut data_key)
            .map_err(|_| VaultError::Random)?;
        let data = key(&data_key).ok_or(VaultError::Random)?;
        let (wrap_nonce, data_nonce) = (self.nonce()?, self.nonce()?);
        let mut wrapped = data_key.to_vec();
        self.kek
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(wrap_nonce),
                Aad::from(id.as_bytes()),
                &mut wrapped,
            )
            .map_err(|_| VaultError::Random)?;
        let mut sealed = bytes.to_vec();
        data.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(data_nonce),
            Aad::from(id.as_bytes()),
            &mut sealed,
        )
        .map_err(|_| VaultError::Random)?;
        let io = |source| VaultError::Io {
            id: id.to_owned(),
            source,
        };
        let partial = path.with_extension("fxdoc.partial");
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode_0600()
            .open(&partial)
            .map_err(io)?;
        for chunk in [&MAGIC[..], &wrap_nonce, &wrapped, &data_nonce, &sealed] {
            file.write_all(chunk).map_err(io)?;
        }
        file.sync_all().map_err(io)?;
        std::fs::rename(&partial, &path).map_err(io)
    }

    /// Decrypts document `id`.
    pub fn get(&self, id: &str) -> Result<Vec<u8>, VaultError> {
        let path = self.path(id)?;
        let mut raw = std::fs::read(&path).map_err(|source| match source.kind() {
            std::io::ErrorKind::NotFound => VaultError::NotFound(id.to_owned()),
            _ => VaultError::Io {
                id: id.to_owned(),
                source,
            },
        })?;
        let corrupt = || VaultError::Corrupt(id.to_owned());
        if raw.len() < HEADER + TAG || &raw[..MAGIC.len()] != MAGIC {
            return Err(corrupt());
        }
        let mut at = MAGIC.len();
        let wrap_nonce: [u8; NONCE_LEN] =
            raw[at..at + NONCE_LEN].try_into().map_err(|_| corrupt())?;
        at += NONCE_LEN;
        let mut wrapped = raw[at..at + 32 + TAG].to_vec();
        at += 32 + TAG;
        let data_nonce: [u8; NONCE_LEN] =
            raw[at..at + NONCE_LEN].try_into().map_err(|_| corrupt())?;
        at += NONCE_LEN;
        let data_key = self
            .kek
            .open_in_place(
                Nonce::assume_unique_for_key(wrap_nonce),
                Aad::from(id.as_bytes()),
                &mut wrapped,
            )
            .map_err(|_| corrupt())?;
        let data = key(data_key).ok_or_else(corrupt)?;
        let sealed = &mut raw[at..];
        let plain = data
            .open_in_place(
                Nonce::assume_unique_for_key(data_nonce),
                Aad::from(id.as_bytes()),
                sealed,
            )
            .map_err(|_| corrupt())?;
        Ok(plain.to_vec())
    }

    /// Deletes document `id` (its wrapped key goes with it). Deleting a missing one is fine.
    pub fn delete(&self, id: &str) -> Result<(), VaultError> {
        match std::fs::remove_file(self.path(id)?) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(VaultError::Io {
                id: id.to_owned(),
                source,
            }),
        }
    }

    /// The ids of documents last written before `cutoff` (for the retention purge).
    pub fn older_than(&self, cutoff: std::time::SystemTime) -> Result<Vec<String>, VaultError> {
        let io = |source| VaultError::Io {
            id: "(vault)".into(),
            source,
        };
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&self.dir).map_err(io)? {
            let entry = entry.map_err(io)?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(id) = name.strip_suffix(".fxdoc") else {
                continue;
            };
            let modified = entry.metadata().and_then(|m| m.modified()).map_err(io)?;
            if modified < cutoff && valid_id(id) {
                out.push(id.to_owned());
            }
        }
        Ok(out)
    }
}

trait Mode0600 {
    fn mode_0600(&mut self) -> &mut Self;
}

impl Mode0600 for std::fs::OpenOptions {
    fn mode_0600(&mut self) -> &mut Self {
        use std::os::unix::fs::OpenOptionsExt;
        self.mode(0o600)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"Patient: Quillthal Brixdro, DOB 1941-02-03";

    fn vault(dir: &Path, kek: u8) -> DocumentVault {
        DocumentVault::open(dir, [kek; 32]).expect("vault")
    }

    #[test]
    fn a_stored_document_is_encrypted_on_disk_and_reads_back() {
        let tmp = std::env::temp_dir().join(format!("fxvault-{}", std::process::id()));
        let v = vault(&tmp, 1);
        v.put("fx_1", SECRET).expect("put");
        let raw = std::fs::read(tmp.join("fx_1.fxdoc")).expect("raw");
        assert!(!raw.windows(9).any(|w| w == b"Quillthal"));
        assert_eq!(v.get("fx_1").expect("get"), SECRET);
        std::fs::remove_dir_all(&tmp).ok();
    }

    #[test]
    fn a_moved_altered_or_foreign_document_does_not_decrypt() {
        let tmp = std::env::temp_dir().join(format!("fxvault2-{}", std::process::id()));
        let v = vault(&tmp, 1);
        v.put("fx_1", SECRET).expect("put");
        std::fs::copy(tmp.join("fx_1.fxdoc"), tmp.join("fx_2.fxdoc")).expect("copy");
        assert!(matches!(v.get("fx_2"), Err(VaultError::Corrupt(_))));
        assert!(matches!(
            vault(&tmp, 2).get("fx_1"),
            Err(VaultError::Corrupt(_))
        ));
        let mut raw = std::fs::read(tmp.join("fx_1.fxdoc")).expect("raw");
        let last = raw.len() - 1;
        raw[last] ^= 1;
        std::fs::write(tmp.join("fx_1.fxdoc"), raw).expect("tamper");
        assert!(matches!(v.get("fx_1"), Err(VaultError::Corrupt(_))));
        assert!(matches!(v.get("../etc/passwd"), Err(VaultError::BadId(_))));
        v.delete("fx_1").expect("delete");
        assert!(matches!(v.get("fx_1"), Err(VaultError::NotFound(_))));
        std::fs::remove_dir_all(&tmp).ok();
    }
}
