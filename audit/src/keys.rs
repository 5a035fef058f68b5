//! The core's key material: one 32-byte secret in a `0600` file in the state directory, from
//! which every keyed function of the core (the audit chain's HMAC, pseudonym tokens, …) derives
//! its own key with HKDF-SHA256 and a purpose label.
//!
//! The file is created on first use with `O_EXCL` and mode `0600`, written and fsynced before it
//! is used. On load it must be a regular file (not a symlink) that neither the group nor others
//! may read or write; anything else is refused, because a key that others could read proves
//! nothing. The key's bytes never appear in `Debug`, errors or logs.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use ring::rand::{SecureRandom, SystemRandom};
use ring::{hkdf, hmac};

/// The key file's name inside the state directory.
pub const KEY_FILE_NAME: &str = "core.key";

/// Length of the core secret in bytes.
pub const KEY_LEN: usize = 32;

/// The HKDF label of the audit trail's chain key.
const AUDIT_CHAIN_LABEL: &str = "faxbot audit chain v1";

/// Why the key material could not be created or loaded.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// A file system call on the key file or the state directory failed.
    #[error("key file {path}: {action}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What was being done.
        action: &'static str,
        /// The underlying error.
        source: io::Error,
    },
    /// The key file may be read or written by its group or others.
    #[error(
        "key file {path}: mode {mode:04o} lets group or others access it; it must be 0600 \
         (run `chmod 600 {path}` after checking nobody copied it)"
    )]
    TooOpen {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The key file is not a regular file (a symlink, a directory, a device…).
    #[error("key file {path}: must be a regular file, found {kind}")]
    NotRegular {
        /// The key file.
        path: PathBuf,
        /// What was found instead.
        kind: &'static str,
    },
    /// The key file belongs to another user, who could read or replace it.
    #[error(
        "key file {path}: owned by uid {owner}, must be owned by uid {expected} (this process)"
    )]
    WrongOwner {
        /// The key file.
        path: PathBuf,
        /// Its owner.
        owner: u32,
        /// The process's effective uid.
        expected: u32,
    },
    /// The key file has the wrong length.
    #[error("key file {path}: must hold exactly {KEY_LEN} bytes, found {len}")]
    WrongLength {
        /// The key file.
        path: PathBuf,
        /// Its length in bytes.
        len: u64,
    },
    /// The system random number generator failed.
    #[error("key file {path}: the system random number generator failed")]
    Random {
        /// The key file that was being created.
        path: PathBuf,
    },
}

/// The core's secret, loaded from (or created in) the state directory.
pub struct KeyMaterial {
    secret: [u8; KEY_LEN],
    path: PathBuf,
}

impl fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyMaterial")
            .field("path", &self.path)
            .field("secret", &"<redacted>")
            .finish()
    }
}

impl KeyMaterial {
    /// Loads `state_dir/core.key`, creating the directory (`0700`) and the key (`0600`, random)
    /// if they do not exist yet. Refuses a key file that is group- or world-accessible.
    pub fn load_or_create(state_dir: &Path) -> Result<Self, KeyError> {
        let path = state_dir.join(KEY_FILE_NAME);
        match fs::symlink_metadata(&path) {
            Ok(_) => Self::load(&path),
            Err(e) if e.kind() == io::ErrorKind::NotFound => match Self::create(state_dir, &path) {
                // Another process created it between our look and our create: use theirs.
                Err(KeyError::Io { source, .. })
                    if source.kind() == io::ErrorKind::AlreadyExists =>
                {
                    Self::load(&path)
                }
                other => other,
            },
            Err(source) => Err(KeyError::Io {
                path,
                action: "inspect",
                source,
            }),
        }
    }

    /// Loads an existing key file, checking its type, owner, mode and length on the opened
    /// file itself (no window between the check and the read).
    pub fn load(path: &Path) -> Result<Self, KeyError> {
        let io_err = |action: &'static str| {
            let path = path.to_path_buf();
            move |source| KeyError::Io {
                path,
                action,
                source,
            }
        };
        // O_NOFOLLOW refuses a symlink; O_NONBLOCK keeps a planted FIFO from hanging us.
        let mut file = match OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(path)
        {
            Ok(file) => file,
            Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
                return Err(KeyError::NotRegular {
                    path: path.to_path_buf(),
                    kind: "a symbolic link",
                });
            }
            Err(e) => return Err(io_err("open")(e)),
        };
        let meta = file.metadata().map_err(io_err("inspect"))?;
        let file_type = meta.file_type();
        if !file_type.is_file() {
            let kind = if file_type.is_dir() {
                "a directory"
            } else {
                "a special file"
            };
            return Err(KeyError::NotRegular {
                path: path.to_path_buf(),
                kind,
            });
        }
        let expected = nix::unistd::geteuid().as_raw();
        if meta.uid() != expected {
            return Err(KeyError::WrongOwner {
                path: path.to_path_buf(),
                owner: meta.uid(),
                expected,
            });
        }
        let mode = meta.mode() & 0o7777;
        if mode & 0o077 != 0 {
            return Err(KeyError::TooOpen {
                path: path.to_path_buf(),
                mode,
            });
        }
        if meta.len() != KEY_LEN as u64 {
            return Err(KeyError::WrongLength {
                path: path.to_path_buf(),
                len: meta.len(),
            });
        }
        let mut secret = [0u8; KEY_LEN];
        file.read_exact(&mut secret).map_err(io_err("read"))?;
        Ok(Self {
            secret,
            path: path.to_path_buf(),
        })
    }

    fn create(state_dir: &Path, path: &Path) -> Result<Self, KeyError> {
        let io_err = |at: &Path, action: &'static str| {
            let path = at.to_path_buf();
            move |source| KeyError::Io {
                path,
                action,
                source,
            }
        };
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(state_dir)
            .map_err(io_err(state_dir, "create state directory"))?;
        let mut secret = [0u8; KEY_LEN];
        SystemRandom::new()
            .fill(&mut secret)
            .map_err(|_| KeyError::Random {
                path: path.to_path_buf(),
            })?;
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(path)
            .map_err(io_err(path, "create"))?;
        // The umask can only remove bits, but make the mode exact regardless.
        file.set_permissions(fs::Permissions::from_mode(0o600))
            .map_err(io_err(path, "set mode 0600"))?;
        file.write_all(&secret).map_err(io_err(path, "write"))?;
        file.sync_all().map_err(io_err(path, "fsync"))?;
        File::open(state_dir)
            .and_then(|dir| dir.sync_all())
            .map_err(io_err(state_dir, "fsync state directory"))?;
        Ok(Self {
            secret,
            path: path.to_path_buf(),
        })
    }

    /// The key file this material was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Derives a 32-byte key for one purpose. Distinct labels give independent keys; the
    /// label should name the purpose and a version, e.g. `"faxbot pseudonyms v1"`.
    pub fn derive(&self, label: &str) -> [u8; 32] {
        struct Len32;
        impl hkdf::KeyType for Len32 {
            fn len(&self) -> usize {
                32
            }
        }
        let salt = hkdf::Salt::new(hkdf::HKDF_SHA256, b"faxbot core key material");
        let prk = salt.extract(&self.secret);
        let info = [label.as_bytes()];
        let mut out = [0u8; 32];
        // `expand` fails only for an output longer than 255 hash lengths, and `fill` only
        // when the lengths differ; both are fixed at 32 here.
        if let Ok(okm) = prk.expand(&info, Len32)
            && okm.fill(&mut out).is_ok()
        {
            return out;
        }
        unreachable!("HKDF-SHA256 expand to 32 bytes cannot fail")
    }

    /// The HMAC-SHA256 key that chains the audit trail's records.
    pub fn audit_chain_key(&self) -> hmac::Key {
        hmac::Key::new(hmac::HMAC_SHA256, &self.derive(AUDIT_CHAIN_LABEL))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_key_file_is_created_with_mode_0600_and_loads_back_the_same() {
        let dir = tempfile::tempdir().expect("tempdir");
        let state = dir.path().join("state");
        let first = KeyMaterial::load_or_create(&state).expect("create");
        let meta = fs::metadata(state.join(KEY_FILE_NAME)).expect("stat");
        assert_eq!(meta.mode() & 0o777, 0o600);
        assert_eq!(meta.len(), KEY_LEN as u64);
        let second = KeyMaterial::load_or_create(&state).expect("load");
        assert_eq!(first.derive("x"), second.derive("x"));
        assert_ne!(first.derive("x"), first.derive("y"));
    }

    #[test]
    fn a_group_readable_key_file_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        KeyMaterial::load_or_create(dir.path()).expect("create");
        let path = dir.path().join(KEY_FILE_NAME);
        for mode in [0o640, 0o604, 0o620, 0o644] {
            fs::set_permissions(&path, fs::Permissions::from_mode(mode)).expect("chmod");
            match KeyMaterial::load_or_create(dir.path()) {
                Err(KeyError::TooOpen { mode: found, .. }) => assert_eq!(found, mode),
                other => panic!("mode {mode:o} should be refused, got {other:?}"),
            }
        }
    }

    #[test]
    fn a_symlinked_or_short_key_file_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let real = dir.path().join("elsewhere.key");
        fs::write(&real, [7u8; KEY_LEN]).expect("write");
        fs::set_permissions(&real, fs::Permissions::from_mode(0o600)).expect("chmod");
        std::os::unix::fs::symlink(&real, dir.path().join(KEY_FILE_NAME)).expect("symlink");
        assert!(matches!(
            KeyMaterial::load_or_create(dir.path()),
            Err(KeyError::NotRegular { .. })
        ));

        let other = tempfile::tempdir().expect("tempdir");
        let path = other.path().join(KEY_FILE_NAME);
        fs::write(&path, [7u8; 5]).expect("write");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).expect("chmod");
        assert!(matches!(
            KeyMaterial::load_or_create(other.path()),
            Err(KeyError::WrongLength { len: 5, .. })
        ));
    }

    #[test]
    fn a_key_file_owned_by_another_user_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        KeyMaterial::load_or_create(dir.path()).expect("create");
        let path = dir.path().join(KEY_FILE_NAME);
        // Only root can give a file away; as another user this test has nothing to show.
        if !nix::unistd::geteuid().is_root() {
            return;
        }
        let nobody = 65534;
        std::os::unix::fs::chown(&path, Some(nobody), None).expect("chown");
        assert!(matches!(
            KeyMaterial::load_or_create(dir.path()),
            Err(KeyError::WrongOwner {
                owner: 65534,
                expected: 0,
                ..
            })
        ));
    }

    #[test]
    fn a_fifo_in_place_of_the_key_is_refused_without_hanging() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(KEY_FILE_NAME);
        let made = std::process::Command::new("mkfifo")
            .arg("-m")
            .arg("600")
            .arg(&path)
            .status()
            .expect("mkfifo");
        assert!(made.success());
        assert!(matches!(
            KeyMaterial::load_or_create(dir.path()),
            Err(KeyError::NotRegular {
                kind: "a special file",
                ..
            })
        ));
    }

    #[test]
    fn debug_output_never_shows_the_secret() {
        let dir = tempfile::tempdir().expect("tempdir");
        let keys = KeyMaterial::load_or_create(dir.path()).expect("create");
        let shown = format!("{keys:?}");
        assert!(shown.contains("<redacted>"));
        assert!(!shown.contains(&format!("{:?}", keys.secret)));
    }
}
