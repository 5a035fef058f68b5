//! Why a store operation failed.

use std::path::PathBuf;

/// Why a store operation failed. Messages name the object and the rule, never a secret.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database was written by a newer binary; this one will not touch it.
    #[error(
        "the state database has schema version {found}, newer than the {supported} this binary knows; \
         run the newer faxbot or restore a backup"
    )]
    SchemaTooNew {
        /// The database's version.
        found: u32,
        /// The newest version this binary knows.
        supported: u32,
    },
    /// A row that must be unique exists already, or a state change does not fit the state.
    #[error("{0}")]
    Conflict(String),
    /// A row the operation needs is missing.
    #[error("{0}")]
    NotFound(String),
    /// A stored value does not decode (a damaged or hand-edited database).
    #[error("stored {what} does not decode: {reason}")]
    Corrupt {
        /// Which value.
        what: String,
        /// Why.
        reason: String,
    },
    /// The database failed.
    #[error("state database: {0}")]
    Database(#[from] rusqlite::Error),
    /// A file system call in the package area failed.
    #[error("package area {path}: {action}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What was being done.
        action: &'static str,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A package file's path is not a plain relative path.
    #[error("package file path {0:?} is not a plain relative path")]
    BadPath(String),
}

impl StoreError {
    pub(crate) fn io(
        path: impl Into<PathBuf>,
        action: &'static str,
    ) -> impl FnOnce(std::io::Error) -> StoreError {
        let path = path.into();
        move |source| StoreError::Io {
            path,
            action,
            source,
        }
    }
}
