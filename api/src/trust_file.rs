//! Changes to the operator's trust store file (`DIR/trust.toml`, format in `docs/trust.md`)
//! made through the API: add a key, revoke a key or a package digest. Each change rewrites
//! the whole file atomically (a new file, fsync, rename, fsync the directory) and is parsed
//! back with the policy crate's parser before it takes effect, so the file on disk is always
//! one the daemon accepts at its next start. Comments in the file do not survive a change.

use faxbot_policy::trust::{TrustStore, TrustStoreError};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use toml::{Table, Value};

/// Why a trust file change failed.
#[derive(Debug, thiserror::Error)]
pub enum TrustFileError {
    /// The file could not be read or written.
    #[error("trust store {path}: {action}: {source}")]
    Io {
        /// The file.
        path: String,
        /// What was being done.
        action: &'static str,
        /// Why.
        source: std::io::Error,
    },
    /// The file (or the change) does not parse as a trust store.
    #[error(transparent)]
    Invalid(#[from] TrustStoreError),
}

fn io(path: &Path, action: &'static str) -> impl FnOnce(std::io::Error) -> TrustFileError {
    let path = path.display().to_string();
    move |source| TrustFileError::Io {
        path,
        action,
        source,
    }
}

/// A parsed trust file: the store, and the revocations as listed (the store does not
/// expose them).
#[derive(Clone, Debug, Default)]
pub struct TrustFile {
    /// The store the policy crate parsed.
    pub store: TrustStore,
    /// `[revoked] keys`.
    pub revoked_keys: Vec<String>,
    /// `[revoked] packages`.
    pub revoked_packages: Vec<String>,
}

/// Parses the trust file at `path` from `text`; files it names (`[sigstore] trusted_root`)
/// are read relative to its directory.
fn parse(path: &Path, text: &str) -> Result<TrustFile, TrustFileError> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let store = TrustStore::parse_with_files(&path.display().to_string(), text, |relative| {
        fs::read(dir.join(relative)).map_err(|e| e.to_string())
    })?;
    let table: Table = text.parse().map_err(|e: toml::de::Error| {
        TrustFileError::Invalid(TrustStoreError(vec![e.message().to_owned()]))
    })?;
    let list = |name: &str| -> Vec<String> {
        table
            .get("revoked")
            .and_then(|r| r.get(name))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    Ok(TrustFile {
        store,
        revoked_keys: list("keys"),
        revoked_packages: list("packages"),
    })
}

/// Reads and parses the trust file; a missing file is an empty store.
pub fn load(path: &Path) -> Result<TrustFile, TrustFileError> {
    match fs::read_to_string(path) {
        Ok(text) => parse(path, &text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(TrustFile::default()),
        Err(e) => Err(io(path, "read")(e)),
    }
}

fn load_table(path: &Path) -> Result<Table, TrustFileError> {
    match fs::read_to_string(path) {
        Ok(text) => text
            .parse::<Table>()
            .map_err(|e| TrustFileError::Invalid(TrustStoreError(vec![e.message().to_owned()]))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Table::new()),
        Err(e) => Err(io(path, "read")(e)),
    }
}

fn write_atomically(path: &Path, text: &str) -> Result<(), TrustFileError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(".trust.toml.new");
    let _ = fs::remove_file(&tmp);
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(io(&tmp, "create"))?;
    file.write_all(text.as_bytes()).map_err(io(&tmp, "write"))?;
    file.sync_all().map_err(io(&tmp, "fsync"))?;
    fs::rename(&tmp, path).map_err(io(path, "replace"))?;
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io(dir, "fsync directory"))?;
    Ok(())
}

fn apply(path: &Path, change: impl FnOnce(&mut Table)) -> Result<TrustFile, TrustFileError> {
    let mut table = load_table(path)?;
    change(&mut table);
    let text = toml::to_string(&table).map_err(|e| {
        TrustFileError::Invalid(TrustStoreError(vec![format!(
            "cannot write the store: {e}"
        )]))
    })?;
    let parsed = parse(path, &text)?;
    write_atomically(path, &text)?;
    Ok(parsed)
}

fn push_revoked(table: &mut Table, list: &str, value: &str) {
    let revoked = table
        .entry("revoked")
        .or_insert_with(|| Value::Table(Table::new()));
    if let Value::Table(revoked) = revoked {
        let entries = revoked
            .entry(list)
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(items) = entries
            && !items.iter().any(|v| v.as_str() == Some(value))
        {
            items.push(Value::String(value.to_owned()));
        }
    }
}

/// Adds `fingerprint` to `[revoked] keys`; returns the new store.
pub fn revoke_key(path: &Path, fingerprint: &str) -> Result<TrustFile, TrustFileError> {
    apply(path, |t| push_revoked(t, "keys", fingerprint))
}

/// Adds `digest` to `[revoked] packages`; returns the new store.
pub fn revoke_package(path: &Path, digest: &str) -> Result<TrustFile, TrustFileError> {
    apply(path, |t| push_revoked(t, "packages", digest))
}

/// A key entry to add.
pub struct NewTrustedKey<'a> {
    /// Its publisher.
    pub publisher: &'a str,
    /// `curated`, `verified` or `community`.
    pub tier: &'a str,
    /// `ed25519`, `openpgp` or `sigstore`.
    pub scheme: &'a str,
    /// The public key in that scheme's text form (unused for a keyless publisher).
    pub public_key: &'a str,
    /// A keyless sigstore publisher: its certificate identity and OIDC issuer.
    pub keyless: Option<(&'a str, &'a str)>,
    /// The operator's note.
    pub note: &'a str,
}

/// Adds a `[[key]]` entry; returns the new store (the parser refuses a bad key, a duplicate
/// fingerprint or a bad publisher, and nothing is written then).
pub fn add_key(path: &Path, key: &NewTrustedKey<'_>) -> Result<TrustFile, TrustFileError> {
    apply(path, |t| {
        let mut entry = Table::new();
        entry.insert("publisher".into(), Value::String(key.publisher.to_owned()));
        entry.insert("tier".into(), Value::String(key.tier.to_owned()));
        match key.keyless {
            Some((identity, issuer)) => {
                entry.insert(
                    "sigstore_identity".into(),
                    Value::String(identity.to_owned()),
                );
                entry.insert("sigstore_issuer".into(), Value::String(issuer.to_owned()));
            }
            None => {
                entry.insert(
                    key.scheme.to_owned(),
                    Value::String(key.public_key.to_owned()),
                );
            }
        }
        if !key.note.is_empty() {
            entry.insert("note".into(), Value::String(key.note.to_owned()));
        }
        let keys = t.entry("key").or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(items) = keys {
            items.push(Value::Table(entry));
        }
    })
}
