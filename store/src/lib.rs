//! faxbot-store: the core daemon's state, behind one interface.
//!
//! * [`Store`]: every state change the domain makes (tenants, API keys, plugins, their
//!   versions, grants and approvals, plugin kv data), each operation one transaction. The
//!   domain code (the `api` crate) talks only to this trait; it never sees SQL.
//! * [`SqliteStore`]: the embedded back end (rusqlite, bundled SQLite, WAL). Its SQL is
//!   plain standard SQL (no `INSERT OR REPLACE`, no `AUTOINCREMENT`, no rowids), so a
//!   PostgreSQL back end for several hosts can implement the same trait.
//! * [`migrations`]: versioned schema migrations applied at open; a database written by a
//!   newer binary is refused, never downgraded.
//! * [`PackageArea`]: where installed plugins' files live. An install stages the files in a
//!   temporary directory and moves them in with one rename; the version row is committed
//!   after that rename, and [`PackageArea::sweep`] removes at start whatever a crash left
//!   between the two, so a crash leaves the old state or the new one, never a mix.
//!
//! It must never hold an API key's secret (only its keyed hash), and nothing here decides
//! policy: the rows hold what the domain decided.

pub mod bus;
mod error;
pub mod faxes;
pub mod files;
pub mod jobs;
pub mod migrations;
mod model;
mod sqlite;
pub mod webhooks;

pub use bus::{BusEvent, BusStore, FailedAttempt, OutboxEntry};
pub use error::StoreError;
pub use faxes::{FaxJobRecord, FaxQuery, FaxStore};
pub use files::{PackageArea, Staged, SweepReport};
pub use jobs::{JobState, JobStore};
pub use model::{
    ApiKeyRecord, ApprovalRecord, DesiredState, KvPage, KvWrite, PluginRecord, RouteAccess, Tenant,
    VersionRecord,
};
pub use sqlite::{DATABASE_FILE_NAME, SqliteStore};
pub use webhooks::{WebhookRecord, WebhookStore};

/// The store's result type.
pub type Result<T> = std::result::Result<T, StoreError>;

/// Every state change and read of the core's state. Each method is atomic: it applies all
/// of its change or none of it.
pub trait Store: Send + Sync {
    // --- tenants -------------------------------------------------------------------------

    /// Creates a tenant; [`StoreError::Conflict`] if the id exists.
    fn create_tenant(&self, tenant: &Tenant) -> Result<()>;
    /// One tenant.
    fn tenant(&self, id: &str) -> Result<Option<Tenant>>;
    /// Every tenant, by id.
    fn tenants(&self) -> Result<Vec<Tenant>>;

    // --- API keys ------------------------------------------------------------------------

    /// Stores a new key (its hash only); [`StoreError::Conflict`] if the id exists.
    fn create_api_key(&self, key: &ApiKeyRecord) -> Result<()>;
    /// One key by its public id.
    fn api_key(&self, id: &str) -> Result<Option<ApiKeyRecord>>;
    /// Every key, by creation time.
    fn api_keys(&self) -> Result<Vec<ApiKeyRecord>>;
    /// Marks a key revoked at `at_ms`; `false` when there is no such key. Revoking twice
    /// keeps the first time.
    fn revoke_api_key(&self, id: &str, at_ms: u64) -> Result<bool>;

    // --- plugins -------------------------------------------------------------------------

    /// One plugin.
    fn plugin(&self, id: &str) -> Result<Option<PluginRecord>>;
    /// Every plugin, by id.
    fn plugins(&self) -> Result<Vec<PluginRecord>>;
    /// One stored version of a plugin.
    fn version(&self, plugin_id: &str, version: &str) -> Result<Option<VersionRecord>>;
    /// Every stored version of a plugin (the active one and a pending one).
    fn versions(&self, plugin_id: &str) -> Result<Vec<VersionRecord>>;
    /// Every stored version of every plugin (for the package area's sweep).
    fn all_versions(&self) -> Result<Vec<VersionRecord>>;

    /// A first install: the plugin row and its version, pending approval.
    /// [`StoreError::Conflict`] if the plugin exists.
    fn install_new(&self, plugin: &PluginRecord, version: &VersionRecord) -> Result<()>;
    /// An upgrade that waits for approval: the version is stored as the plugin's pending
    /// version while the active one stays. [`StoreError::Conflict`] if one is pending.
    fn add_pending_version(&self, version: &VersionRecord, at_ms: u64) -> Result<()>;
    /// An upgrade that needs no new approval: `version` (with its carried-over grants)
    /// replaces the active version at once. Returns the replaced version, whose files the
    /// caller removes.
    fn replace_active_version(
        &self,
        version: &VersionRecord,
        at_ms: u64,
    ) -> Result<Option<VersionRecord>>;
    /// Records one principal's approval of a pending version; [`StoreError::Conflict`] if
    /// this principal already approved it.
    fn record_approval(&self, approval: &ApprovalRecord) -> Result<()>;
    /// The approvals recorded for a version, oldest first.
    fn approvals(&self, plugin_id: &str, version: &str) -> Result<Vec<ApprovalRecord>>;
    /// Completes an approval: the pending `version` gets `grants` and becomes active with
    /// state `desired`; the previous active version and every approval of the plugin go.
    /// Returns the replaced version, whose files the caller removes.
    fn activate_pending(
        &self,
        plugin_id: &str,
        version: &str,
        grants: &faxbot_policy::capability::Grants,
        desired: DesiredState,
        at_ms: u64,
    ) -> Result<Option<VersionRecord>>;
    /// Rejects a pending version: it and its approvals go; a plugin left with no version
    /// goes too. Returns the removed version.
    fn reject_pending(&self, plugin_id: &str, version: &str) -> Result<VersionRecord>;
    /// Sets the state an admin (or a revocation) asked for, with the reason shown.
    fn set_desired(
        &self,
        plugin_id: &str,
        desired: DesiredState,
        reason: Option<&str>,
        at_ms: u64,
    ) -> Result<()>;
    /// Removes a plugin, its versions and approvals, and with `purge` its kv data. Returns
    /// the removed versions, whose files the caller removes.
    fn uninstall(&self, plugin_id: &str, purge: bool) -> Result<Vec<VersionRecord>>;

    // --- plugin data ---------------------------------------------------------------------

    /// Stores a kv value of a plugin (the kv broker's storage) if the plugin's kv data,
    /// keys and values, would then hold at most `quota` bytes. The check and the write are
    /// one transaction: two racing writes cannot both pass a quota only one of them fits.
    fn kv_put(&self, plugin_id: &str, key: &str, value: &[u8], quota: u64) -> Result<KvWrite>;
    /// Removes a kv key; whether it existed.
    fn kv_delete(&self, plugin_id: &str, key: &str) -> Result<bool>;
    /// Keys starting with `prefix`, strictly after `after` when given, in ascending byte
    /// order, at most `limit` of them, and whether more follow.
    fn kv_list(
        &self,
        plugin_id: &str,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<KvPage>;
    /// Reads a kv value of a plugin.
    fn kv_get(&self, plugin_id: &str, key: &str) -> Result<Option<Vec<u8>>>;
    /// Bytes of kv data (keys and values) a plugin holds.
    fn kv_usage(&self, plugin_id: &str) -> Result<u64>;

    /// Stores a plugin's admin-set configuration (a JSON object, already validated).
    fn set_plugin_config(&self, plugin_id: &str, config_json: &str, at_ms: u64) -> Result<()>;
    /// A plugin's admin-set configuration; `None` when never set.
    fn plugin_config(&self, plugin_id: &str) -> Result<Option<String>>;

    /// Sets who may call a plugin's routes (at approval).
    fn set_route_access(&self, plugin_id: &str, access: &RouteAccess) -> Result<()>;
    /// Who may call a plugin's routes; `None` before its first approval set it.
    fn route_access(&self, plugin_id: &str) -> Result<Option<RouteAccess>>;

    // --- health --------------------------------------------------------------------------

    /// Checks the store answers (for `/readyz`).
    fn ping(&self) -> Result<()>;
}
