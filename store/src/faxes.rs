//! Fax jobs, the idempotency keys of provider callbacks, and write-only secrets (transport
//! credentials, plugins' secrets) — stored sealed: the numbers of a fax and every secret are
//! encrypted by the domain before they reach a row, so the database never holds them plain.

use crate::Result;

/// A fax job's row. `remote_sealed` and `local_sealed` hold the numbers sealed by the
/// domain (PHI); the other fields are identifiers, states and counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaxJobRecord {
    /// The job id (`fx_…`).
    pub id: String,
    /// The owning tenant (`None`: platform).
    pub tenant_id: Option<String>,
    /// `outbound` or `inbound`.
    pub direction: String,
    /// The transport's name.
    pub transport: String,
    /// The remote party's number, sealed.
    pub remote_sealed: Option<String>,
    /// Our number (inbound), sealed.
    pub local_sealed: Option<String>,
    /// `queued`, `sending`, `sent`, `delivered`, `failed`, `cancelled`, `received`.
    pub status: String,
    /// The provider's id of the fax.
    pub provider_id: Option<String>,
    /// Pages.
    pub pages: Option<u32>,
    /// The failure class.
    pub failure: Option<String>,
    /// Send attempts.
    pub attempt: u32,
    /// The stored document's id in the document vault.
    pub document_id: Option<String>,
    /// Keyed hash of the document URL token (providers that fetch).
    pub token_hash: Option<String>,
    /// When that token expires, ms.
    pub token_expires_ms: Option<u64>,
    /// Created, ms.
    pub created_at_ms: u64,
    /// Last change, ms.
    pub updated_at_ms: u64,
}

/// A page of fax jobs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FaxQuery {
    /// Only this tenant's jobs (`None`: all, for platform keys).
    pub tenant_id: Option<String>,
    /// Only jobs in this status.
    pub status: Option<String>,
    /// Only this direction.
    pub direction: Option<String>,
    /// Jobs created before this job (paging, newest first).
    pub before_id: Option<String>,
    /// At most this many.
    pub limit: usize,
}

/// The fax side of the state store.
pub trait FaxStore: Send + Sync {
    /// Stores a new job; `Conflict` if the id exists.
    fn create_fax_job(&self, job: &FaxJobRecord) -> Result<()>;
    /// One job.
    fn fax_job(&self, id: &str) -> Result<Option<FaxJobRecord>>;
    /// The job a transport knows by `provider_id`.
    fn fax_job_by_provider(
        &self,
        transport: &str,
        provider_id: &str,
    ) -> Result<Option<FaxJobRecord>>;
    /// Jobs, newest first.
    fn fax_jobs(&self, query: &FaxQuery) -> Result<Vec<FaxJobRecord>>;
    /// Writes a job's mutable fields (status, provider id, pages, failure, attempt, token)
    /// if its status is still `expected_status` (compare-and-set); `false` when another
    /// change came first.
    fn update_fax_job(&self, job: &FaxJobRecord, expected_status: &str) -> Result<bool>;
    /// Removes a job.
    fn delete_fax_job(&self, id: &str) -> Result<bool>;
    /// Jobs created before `cutoff_ms` in a final status (the retention purge).
    fn fax_jobs_before(&self, cutoff_ms: u64, limit: usize) -> Result<Vec<FaxJobRecord>>;
    /// Records a callback's idempotency key; `false` when it was seen before.
    fn record_callback(&self, key: &str, at_ms: u64) -> Result<bool>;
    /// Stores (or replaces) a sealed secret.
    fn put_secret(&self, scope: &str, name: &str, sealed: &str, at_ms: u64) -> Result<()>;
    /// A sealed secret.
    fn secret(&self, scope: &str, name: &str) -> Result<Option<String>>;
    /// The names of a scope's secrets (never their values).
    fn secret_names(&self, scope: &str) -> Result<Vec<String>>;
}
