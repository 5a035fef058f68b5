//! The embedded back end: one SQLite database (bundled), WAL journal, full sync, foreign keys
//! on. One connection behind a mutex: the core's admin traffic is light, and a single writer
//! is what SQLite wants anyway.

mod bus;
mod faxes;
mod jobs;
mod webhooks;

use crate::migrations::{LATEST, MIGRATIONS};
use crate::model::{
    ApiKeyRecord, ApprovalRecord, DesiredState, KvPage, KvWrite, PluginRecord, RouteAccess, Tenant,
    VersionRecord,
};
use crate::{Result, Store, StoreError};
use faxbot_policy::capability::{Grant, Grants};
use faxbot_policy::trust::Verified;
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};
use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// The state database file's name inside the state directory.
pub const DATABASE_FILE_NAME: &str = "state.db";

/// Read connections beside the one writer (WAL lets them read while it writes).
const READERS: usize = 4;

/// The SQLite store.
pub struct SqliteStore {
    conn: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next_reader: std::sync::atomic::AtomicUsize,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").finish_non_exhaustive()
    }
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn corrupt(what: &str, reason: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        what: what.to_owned(),
        reason: reason.to_string(),
    }
}

impl SqliteStore {
    /// Opens (or creates) the database at `path` and brings its schema up to date.
    /// Refuses a database whose schema is newer than this binary's.
    pub fn open(path: &Path) -> Result<Self> {
        let conn = Connection::open(path)?;
        let mut store = Self::with_connection(conn)?;
        for _ in 0..READERS {
            let reader = Connection::open(path)?;
            reader.busy_timeout(Duration::from_secs(5))?;
            reader.execute_batch("PRAGMA query_only = ON;")?;
            store.readers.push(Mutex::new(reader));
        }
        Ok(store)
    }

    /// An in-memory database (tests and tools).
    pub fn open_in_memory() -> Result<Self> {
        Self::with_connection(Connection::open_in_memory()?)
    }

    fn with_connection(mut conn: Connection) -> Result<Self> {
        conn.busy_timeout(Duration::from_secs(5))?;
        // WAL: readers do not block the writer; FULL: a committed transaction survives a
        // power cut, not only a process crash.
        let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")?;
        migrate(&mut conn)?;
        Ok(Self {
            conn: Mutex::new(conn),
            readers: Vec::new(),
            next_reader: std::sync::atomic::AtomicUsize::new(0),
        })
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<u32> {
        read_version(&self.lock())
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A read connection: a free reader if there is one, else the next in turn (an
    /// in-memory store has none and reads on the writer).
    fn reader(&self) -> MutexGuard<'_, Connection> {
        if self.readers.is_empty() {
            return self.lock();
        }
        for reader in &self.readers {
            if let Ok(guard) = reader.try_lock() {
                return guard;
            }
        }
        let i = self
            .next_reader
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            % self.readers.len();
        self.readers[i]
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }
}

fn read_version(conn: &Connection) -> Result<u32> {
    let version: Option<i64> = conn
        .query_row("SELECT MAX(version) FROM schema_version", [], |r| r.get(0))
        .optional()?
        .flatten();
    Ok(u32::try_from(version.unwrap_or(0)).unwrap_or(u32::MAX))
}

fn migrate(conn: &mut Connection) -> Result<()> {
    conn.execute_batch("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")?;
    let found = read_version(conn)?;
    if found > LATEST {
        return Err(StoreError::SchemaTooNew {
            found,
            supported: LATEST,
        });
    }
    for (index, statements) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let version = index as u32 + 1;
        let tx = conn.transaction()?;
        tx.execute_batch(statements)?;
        tx.execute(
            "INSERT INTO schema_version (version) VALUES (?1)",
            params![version],
        )?;
        tx.commit()?;
    }
    Ok(())
}

fn tenant_row(row: &Row<'_>) -> rusqlite::Result<Tenant> {
    Ok(Tenant {
        id: row.get(0)?,
        hipaa_mode: row.get::<_, i64>(1)? != 0,
        created_at_ms: to_u64(row.get(2)?),
    })
}

const KEY_COLUMNS: &str = "id, name, tenant_id, scopes, secret_hash, created_at_ms, created_by, expires_at_ms, revoked_at_ms";

fn key_row(row: &Row<'_>) -> rusqlite::Result<(ApiKeyRecord, String)> {
    let scopes: String = row.get(3)?;
    let hash: String = row.get(4)?;
    Ok((
        ApiKeyRecord {
            id: row.get(0)?,
            name: row.get(1)?,
            tenant: row.get(2)?,
            scopes: scopes
                .split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            secret_hash: Vec::new(),
            created_at_ms: to_u64(row.get(5)?),
            created_by: row.get(6)?,
            expires_at_ms: row.get::<_, Option<i64>>(7)?.map(to_u64),
            revoked_at_ms: row.get::<_, Option<i64>>(8)?.map(to_u64),
        },
        hash,
    ))
}

fn decode_key((mut key, hash): (ApiKeyRecord, String)) -> Result<ApiKeyRecord> {
    key.secret_hash =
        hex::decode(&hash).map_err(|e| corrupt(&format!("api key {} hash", key.id), e))?;
    Ok(key)
}

const PLUGIN_COLUMNS: &str =
    "id, tenant_id, desired, reason, active_version, pending_version, created_at_ms, updated_at_ms";

fn plugin_row(row: &Row<'_>) -> rusqlite::Result<(PluginRecord, String)> {
    Ok((
        PluginRecord {
            id: row.get(0)?,
            tenant: row.get(1)?,
            desired: DesiredState::PendingApproval,
            reason: row.get(3)?,
            active_version: row.get(4)?,
            pending_version: row.get(5)?,
            created_at_ms: to_u64(row.get(6)?),
            updated_at_ms: to_u64(row.get(7)?),
        },
        row.get(2)?,
    ))
}

fn decode_plugin((mut plugin, desired): (PluginRecord, String)) -> Result<PluginRecord> {
    plugin.desired = DesiredState::parse(&desired)
        .ok_or_else(|| corrupt(&format!("plugin {} state", plugin.id), &desired))?;
    Ok(plugin)
}

const VERSION_COLUMNS: &str = "plugin_id, version, verified, manifest, files_dir, uploaded_by, uploaded_at_ms, grants, approved_at_ms, note";

struct RawVersion {
    plugin_id: String,
    version: String,
    verified: String,
    manifest: String,
    files_dir: String,
    uploaded_by: String,
    uploaded_at_ms: i64,
    grants: Option<String>,
    approved_at_ms: Option<i64>,
    note: Option<String>,
}

fn version_row(row: &Row<'_>) -> rusqlite::Result<RawVersion> {
    Ok(RawVersion {
        plugin_id: row.get(0)?,
        version: row.get(1)?,
        verified: row.get(2)?,
        manifest: row.get(3)?,
        files_dir: row.get(4)?,
        uploaded_by: row.get(5)?,
        uploaded_at_ms: row.get(6)?,
        grants: row.get(7)?,
        approved_at_ms: row.get(8)?,
        note: row.get(9)?,
    })
}

fn decode_version(raw: RawVersion) -> Result<VersionRecord> {
    let what = |field: &str| format!("plugin {} {} {field}", raw.plugin_id, raw.version);
    let verified: Verified =
        serde_json::from_str(&raw.verified).map_err(|e| corrupt(&what("verification"), e))?;
    let grants: Option<Grants> = match &raw.grants {
        Some(text) => Some(serde_json::from_str(text).map_err(|e| corrupt(&what("grants"), e))?),
        None => None,
    };
    Ok(VersionRecord {
        plugin_id: raw.plugin_id,
        version: raw.version,
        verified,
        manifest: raw.manifest.into_bytes(),
        files_dir: raw.files_dir,
        uploaded_by: raw.uploaded_by,
        uploaded_at_ms: to_u64(raw.uploaded_at_ms),
        grants,
        approved_at_ms: raw.approved_at_ms.map(to_u64),
        note: raw.note,
    })
}

fn encode_json<T: serde::Serialize>(what: &str, value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| corrupt(what, e))
}

fn manifest_text(version: &VersionRecord) -> Result<String> {
    String::from_utf8(version.manifest.clone()).map_err(|e| {
        corrupt(
            &format!("plugin {} {} manifest", version.plugin_id, version.version),
            e,
        )
    })
}

fn insert_version(tx: &Transaction<'_>, v: &VersionRecord) -> Result<()> {
    let grants = match &v.grants {
        Some(g) => Some(encode_json("grants", g)?),
        None => None,
    };
    let inserted = tx.execute(
        &format!(
            "INSERT INTO plugin_versions ({VERSION_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
             ON CONFLICT (plugin_id, version) DO NOTHING"
        ),
        params![
            v.plugin_id,
            v.version,
            encode_json("verification", &v.verified)?,
            manifest_text(v)?,
            v.files_dir,
            v.uploaded_by,
            to_i64(v.uploaded_at_ms),
            grants,
            v.approved_at_ms.map(to_i64),
            v.note,
        ],
    )?;
    if inserted == 0 {
        return Err(StoreError::Conflict(format!(
            "plugin {} version {} is already stored",
            v.plugin_id, v.version
        )));
    }
    Ok(())
}

fn get_plugin(conn: &Connection, id: &str) -> Result<Option<PluginRecord>> {
    conn.prepare_cached(&format!(
        "SELECT {PLUGIN_COLUMNS} FROM plugins WHERE id = ?1"
    ))?
    .query_row(params![id], plugin_row)
    .optional()?
    .map(decode_plugin)
    .transpose()
}

fn require_plugin(conn: &Connection, id: &str) -> Result<PluginRecord> {
    get_plugin(conn, id)?.ok_or_else(|| StoreError::NotFound(format!("no plugin {id:?}")))
}

fn get_version(conn: &Connection, plugin_id: &str, version: &str) -> Result<Option<VersionRecord>> {
    conn.prepare_cached(&format!(
        "SELECT {VERSION_COLUMNS} FROM plugin_versions WHERE plugin_id = ?1 AND version = ?2"
    ))?
    .query_row(params![plugin_id, version], version_row)
    .optional()?
    .map(decode_version)
    .transpose()
}

fn delete_version(tx: &Transaction<'_>, plugin_id: &str, version: &str) -> Result<()> {
    tx.execute(
        "DELETE FROM approvals WHERE plugin_id = ?1 AND version = ?2",
        params![plugin_id, version],
    )?;
    tx.execute(
        "DELETE FROM plugin_versions WHERE plugin_id = ?1 AND version = ?2",
        params![plugin_id, version],
    )?;
    Ok(())
}

impl Store for SqliteStore {
    fn create_tenant(&self, tenant: &Tenant) -> Result<()> {
        self.write(|tx| {
            let n = tx.execute(
                "INSERT INTO tenants (id, hipaa_mode, created_at_ms) VALUES (?1, ?2, ?3)
                 ON CONFLICT (id) DO NOTHING",
                params![
                    tenant.id,
                    i64::from(tenant.hipaa_mode),
                    to_i64(tenant.created_at_ms)
                ],
            )?;
            if n == 0 {
                return Err(StoreError::Conflict(format!(
                    "tenant {:?} exists",
                    tenant.id
                )));
            }
            Ok(())
        })
    }

    fn tenant(&self, id: &str) -> Result<Option<Tenant>> {
        Ok(self
            .lock()
            .query_row(
                "SELECT id, hipaa_mode, created_at_ms FROM tenants WHERE id = ?1",
                params![id],
                tenant_row,
            )
            .optional()?)
    }

    fn tenants(&self) -> Result<Vec<Tenant>> {
        let conn = self.reader();
        let mut stmt =
            conn.prepare_cached("SELECT id, hipaa_mode, created_at_ms FROM tenants ORDER BY id")?;
        let rows = stmt.query_map([], tenant_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn create_api_key(&self, key: &ApiKeyRecord) -> Result<()> {
        self.write(|tx| {
            let n = tx.execute(
                &format!(
                    "INSERT INTO api_keys ({KEY_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                     ON CONFLICT (id) DO NOTHING"
                ),
                params![
                    key.id,
                    key.name,
                    key.tenant,
                    key.scopes.join(" "),
                    hex::encode(&key.secret_hash),
                    to_i64(key.created_at_ms),
                    key.created_by,
                    key.expires_at_ms.map(to_i64),
                    key.revoked_at_ms.map(to_i64),
                ],
            )?;
            if n == 0 {
                return Err(StoreError::Conflict(format!("api key {:?} exists", key.id)));
            }
            Ok(())
        })
    }

    fn api_key(&self, id: &str) -> Result<Option<ApiKeyRecord>> {
        self.reader()
            .prepare_cached(&format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE id = ?1"))?
            .query_row(params![id], key_row)
            .optional()?
            .map(decode_key)
            .transpose()
    }

    fn api_keys(&self) -> Result<Vec<ApiKeyRecord>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {KEY_COLUMNS} FROM api_keys ORDER BY created_at_ms, id"
        ))?;
        let rows = stmt.query_map([], key_row)?;
        rows.map(|r| decode_key(r?)).collect()
    }

    fn revoke_api_key(&self, id: &str, at_ms: u64) -> Result<bool> {
        self.write(|tx| {
            let exists: Option<String> = tx
                .query_row("SELECT id FROM api_keys WHERE id = ?1", params![id], |r| {
                    r.get(0)
                })
                .optional()?;
            if exists.is_none() {
                return Ok(false);
            }
            tx.execute(
                "UPDATE api_keys SET revoked_at_ms = ?2 WHERE id = ?1 AND revoked_at_ms IS NULL",
                params![id, to_i64(at_ms)],
            )?;
            Ok(true)
        })
    }

    fn plugin(&self, id: &str) -> Result<Option<PluginRecord>> {
        get_plugin(&self.reader(), id)
    }

    fn plugins(&self) -> Result<Vec<PluginRecord>> {
        let conn = self.reader();
        let mut stmt =
            conn.prepare_cached(&format!("SELECT {PLUGIN_COLUMNS} FROM plugins ORDER BY id"))?;
        let rows = stmt.query_map([], plugin_row)?;
        rows.map(|r| decode_plugin(r?)).collect()
    }

    fn version(&self, plugin_id: &str, version: &str) -> Result<Option<VersionRecord>> {
        get_version(&self.reader(), plugin_id, version)
    }

    fn versions(&self, plugin_id: &str) -> Result<Vec<VersionRecord>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {VERSION_COLUMNS} FROM plugin_versions WHERE plugin_id = ?1 ORDER BY uploaded_at_ms, version"
        ))?;
        let rows = stmt.query_map(params![plugin_id], version_row)?;
        rows.map(|r| decode_version(r?)).collect()
    }

    fn all_versions(&self) -> Result<Vec<VersionRecord>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {VERSION_COLUMNS} FROM plugin_versions ORDER BY plugin_id, version"
        ))?;
        let rows = stmt.query_map([], version_row)?;
        rows.map(|r| decode_version(r?)).collect()
    }

    fn install_new(&self, plugin: &PluginRecord, version: &VersionRecord) -> Result<()> {
        self.write(|tx| {
            let n = tx.execute(
                &format!(
                    "INSERT INTO plugins ({PLUGIN_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                     ON CONFLICT (id) DO NOTHING"
                ),
                params![
                    plugin.id,
                    plugin.tenant,
                    plugin.desired.as_str(),
                    plugin.reason,
                    plugin.active_version,
                    plugin.pending_version,
                    to_i64(plugin.created_at_ms),
                    to_i64(plugin.updated_at_ms),
                ],
            )?;
            if n == 0 {
                return Err(StoreError::Conflict(format!(
                    "plugin {:?} is already installed",
                    plugin.id
                )));
            }
            insert_version(tx, version)
        })
    }

    fn add_pending_version(&self, version: &VersionRecord, at_ms: u64) -> Result<()> {
        self.write(|tx| {
            let plugin = require_plugin(tx, &version.plugin_id)?;
            if let Some(pending) = &plugin.pending_version {
                return Err(StoreError::Conflict(format!(
                    "plugin {:?} already has version {pending} waiting for approval; approve or reject it first",
                    plugin.id
                )));
            }
            insert_version(tx, version)?;
            tx.execute(
                "UPDATE plugins SET pending_version = ?2, updated_at_ms = ?3 WHERE id = ?1",
                params![version.plugin_id, version.version, to_i64(at_ms)],
            )?;
            Ok(())
        })
    }

    fn replace_active_version(
        &self,
        version: &VersionRecord,
        at_ms: u64,
    ) -> Result<Option<VersionRecord>> {
        self.write(|tx| {
            let plugin = require_plugin(tx, &version.plugin_id)?;
            if let Some(pending) = &plugin.pending_version {
                return Err(StoreError::Conflict(format!(
                    "plugin {:?} has version {pending} waiting for approval; approve or reject it first",
                    plugin.id
                )));
            }
            let old = match &plugin.active_version {
                Some(v) => get_version(tx, &plugin.id, v)?,
                None => None,
            };
            if let Some(old) = &old {
                delete_version(tx, &old.plugin_id, &old.version)?;
            }
            insert_version(tx, version)?;
            tx.execute(
                "UPDATE plugins SET active_version = ?2, updated_at_ms = ?3 WHERE id = ?1",
                params![version.plugin_id, version.version, to_i64(at_ms)],
            )?;
            Ok(old)
        })
    }

    fn record_approval(&self, approval: &ApprovalRecord) -> Result<()> {
        self.write(|tx| {
            let n = tx.execute(
                "INSERT INTO approvals (plugin_id, version, principal, grants, at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (plugin_id, version, principal) DO NOTHING",
                params![
                    approval.plugin_id,
                    approval.version,
                    approval.principal,
                    encode_json("approval grants", &approval.grants)?,
                    to_i64(approval.at_ms),
                ],
            )?;
            if n == 0 {
                return Err(StoreError::Conflict(format!(
                    "key {} has already approved plugin {:?} version {}",
                    approval.principal, approval.plugin_id, approval.version
                )));
            }
            Ok(())
        })
    }

    fn approvals(&self, plugin_id: &str, version: &str) -> Result<Vec<ApprovalRecord>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT plugin_id, version, principal, grants, at_ms FROM approvals
             WHERE plugin_id = ?1 AND version = ?2 ORDER BY at_ms, principal",
        )?;
        let rows = stmt.query_map(params![plugin_id, version], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, i64>(4)?,
            ))
        })?;
        rows.map(|r| {
            let (plugin_id, version, principal, grants, at_ms) = r?;
            let grants: Vec<Grant> = serde_json::from_str(&grants)
                .map_err(|e| corrupt(&format!("approval of {plugin_id} {version}"), e))?;
            Ok(ApprovalRecord {
                plugin_id,
                version,
                principal,
                grants,
                at_ms: to_u64(at_ms),
            })
        })
        .collect()
    }

    fn activate_pending(
        &self,
        plugin_id: &str,
        version: &str,
        grants: &Grants,
        desired: DesiredState,
        at_ms: u64,
    ) -> Result<Option<VersionRecord>> {
        self.write(|tx| {
            let plugin = require_plugin(tx, plugin_id)?;
            if plugin.pending_version.as_deref() != Some(version) {
                return Err(StoreError::Conflict(format!(
                    "plugin {plugin_id:?} has no version {version} waiting for approval"
                )));
            }
            let old = match &plugin.active_version {
                Some(v) if v != version => get_version(tx, plugin_id, v)?,
                _ => None,
            };
            if let Some(old) = &old {
                delete_version(tx, plugin_id, &old.version)?;
            }
            tx.execute(
                "DELETE FROM approvals WHERE plugin_id = ?1",
                params![plugin_id],
            )?;
            tx.execute(
                "UPDATE plugin_versions SET grants = ?3, approved_at_ms = ?4
                 WHERE plugin_id = ?1 AND version = ?2",
                params![
                    plugin_id,
                    version,
                    encode_json("grants", grants)?,
                    to_i64(at_ms)
                ],
            )?;
            tx.execute(
                "UPDATE plugins SET active_version = ?2, pending_version = NULL, desired = ?3,
                 reason = NULL, updated_at_ms = ?4 WHERE id = ?1",
                params![plugin_id, version, desired.as_str(), to_i64(at_ms)],
            )?;
            Ok(old)
        })
    }

    fn reject_pending(&self, plugin_id: &str, version: &str) -> Result<VersionRecord> {
        self.write(|tx| {
            let plugin = require_plugin(tx, plugin_id)?;
            if plugin.pending_version.as_deref() != Some(version) {
                return Err(StoreError::Conflict(format!(
                    "plugin {plugin_id:?} has no version {version} waiting for approval"
                )));
            }
            let removed = get_version(tx, plugin_id, version)?.ok_or_else(|| {
                StoreError::NotFound(format!("plugin {plugin_id:?} version {version}"))
            })?;
            delete_version(tx, plugin_id, version)?;
            if plugin.active_version.is_none() {
                tx.execute("DELETE FROM plugins WHERE id = ?1", params![plugin_id])?;
            } else {
                tx.execute(
                    "UPDATE plugins SET pending_version = NULL WHERE id = ?1",
                    params![plugin_id],
                )?;
            }
            Ok(removed)
        })
    }

    fn set_desired(
        &self,
        plugin_id: &str,
        desired: DesiredState,
        reason: Option<&str>,
        at_ms: u64,
    ) -> Result<()> {
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE plugins SET desired = ?2, reason = ?3, updated_at_ms = ?4 WHERE id = ?1",
                params![plugin_id, desired.as_str(), reason, to_i64(at_ms)],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("no plugin {plugin_id:?}")));
            }
            Ok(())
        })
    }

    fn uninstall(&self, plugin_id: &str, purge: bool) -> Result<Vec<VersionRecord>> {
        self.write(|tx| {
            require_plugin(tx, plugin_id)?;
            let versions = {
                let mut stmt = tx.prepare_cached(&format!(
                    "SELECT {VERSION_COLUMNS} FROM plugin_versions WHERE plugin_id = ?1"
                ))?;
                let rows = stmt.query_map(params![plugin_id], version_row)?;
                rows.map(|r| decode_version(r?))
                    .collect::<Result<Vec<_>>>()?
            };
            tx.execute(
                "DELETE FROM approvals WHERE plugin_id = ?1",
                params![plugin_id],
            )?;
            tx.execute(
                "DELETE FROM plugin_versions WHERE plugin_id = ?1",
                params![plugin_id],
            )?;
            tx.execute("DELETE FROM plugins WHERE id = ?1", params![plugin_id])?;
            if purge {
                tx.execute(
                    "DELETE FROM plugin_kv WHERE plugin_id = ?1",
                    params![plugin_id],
                )?;
            }
            Ok(versions)
        })
    }

    fn kv_put(&self, plugin_id: &str, key: &str, value: &[u8], quota: u64) -> Result<KvWrite> {
        let bytes = (key.len() + value.len()) as u64;
        self.write(|tx| {
            let others: Option<i64> = tx.query_row(
                "SELECT SUM(bytes) FROM plugin_kv WHERE plugin_id = ?1 AND kv_key <> ?2",
                params![plugin_id, key],
                |r| r.get(0),
            )?;
            let total = to_u64(others.unwrap_or(0)).saturating_add(bytes);
            if total > quota {
                return Ok(KvWrite::OverQuota {
                    total_bytes_after: total,
                    quota,
                });
            }
            tx.execute(
                "INSERT INTO plugin_kv (plugin_id, kv_key, kv_value, bytes) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (plugin_id, kv_key) DO UPDATE SET kv_value = excluded.kv_value, bytes = excluded.bytes",
                params![plugin_id, key, hex::encode(value), to_i64(bytes)],
            )?;
            Ok(KvWrite::Written { total_bytes: total })
        })
    }

    fn kv_delete(&self, plugin_id: &str, key: &str) -> Result<bool> {
        self.write(|tx| {
            let n = tx.execute(
                "DELETE FROM plugin_kv WHERE plugin_id = ?1 AND kv_key = ?2",
                params![plugin_id, key],
            )?;
            Ok(n > 0)
        })
    }

    fn kv_list(
        &self,
        plugin_id: &str,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<KvPage> {
        // Keys are TEXT with the binary collation, so ORDER BY is byte order, and every key
        // with the prefix sorts at or after the prefix itself and before any key without it.
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT kv_key FROM plugin_kv WHERE plugin_id = ?1 AND kv_key >= ?2
             AND (?3 IS NULL OR kv_key > ?3) ORDER BY kv_key LIMIT ?4",
        )?;
        let fetch = to_i64(limit as u64 + 1);
        let rows = stmt.query_map(params![plugin_id, prefix, after, fetch], |r| {
            r.get::<_, String>(0)
        })?;
        let mut keys = Vec::new();
        let mut more = false;
        for row in rows {
            let key = row?;
            if !key.starts_with(prefix) {
                break;
            }
            if keys.len() == limit {
                more = true;
                break;
            }
            keys.push(key);
        }
        Ok(KvPage { keys, more })
    }

    fn kv_get(&self, plugin_id: &str, key: &str) -> Result<Option<Vec<u8>>> {
        let value: Option<String> = self
            .lock()
            .query_row(
                "SELECT kv_value FROM plugin_kv WHERE plugin_id = ?1 AND kv_key = ?2",
                params![plugin_id, key],
                |r| r.get(0),
            )
            .optional()?;
        value
            .map(|v| hex::decode(v).map_err(|e| corrupt(&format!("kv of plugin {plugin_id}"), e)))
            .transpose()
    }

    fn kv_usage(&self, plugin_id: &str) -> Result<u64> {
        let total: Option<i64> = self.reader().query_row(
            "SELECT SUM(bytes) FROM plugin_kv WHERE plugin_id = ?1",
            params![plugin_id],
            |r| r.get(0),
        )?;
        Ok(to_u64(total.unwrap_or(0)))
    }

    fn set_plugin_config(&self, plugin_id: &str, config_json: &str, at_ms: u64) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO plugin_config (plugin_id, config_json, updated_at_ms) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (plugin_id) DO UPDATE SET config_json = excluded.config_json, updated_at_ms = excluded.updated_at_ms",
                params![plugin_id, config_json, to_i64(at_ms)],
            )?;
            Ok(())
        })
    }

    fn plugin_config(&self, plugin_id: &str) -> Result<Option<String>> {
        Ok(self
            .reader()
            .query_row(
                "SELECT config_json FROM plugin_config WHERE plugin_id = ?1",
                params![plugin_id],
                |r| r.get(0),
            )
            .optional()?)
    }

    fn set_route_access(&self, plugin_id: &str, access: &RouteAccess) -> Result<()> {
        let public = serde_json::to_string(&access.public)
            .map_err(|e| corrupt(&format!("route access of {plugin_id}"), e))?;
        self.write(|tx| {
            tx.execute(
                "INSERT INTO plugin_route_access (plugin_id, public_routes, scope) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (plugin_id) DO UPDATE SET public_routes = excluded.public_routes, scope = excluded.scope",
                params![plugin_id, public, access.scope],
            )?;
            Ok(())
        })
    }

    fn route_access(&self, plugin_id: &str) -> Result<Option<RouteAccess>> {
        let row: Option<(String, String)> = self
            .reader()
            .query_row(
                "SELECT public_routes, scope FROM plugin_route_access WHERE plugin_id = ?1",
                params![plugin_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        row.map(|(public, scope)| {
            Ok(RouteAccess {
                public: serde_json::from_str(&public)
                    .map_err(|e| corrupt(&format!("route access of {plugin_id}"), e))?,
                scope,
            })
        })
        .transpose()
    }

    fn ping(&self) -> Result<()> {
        let one: i64 = self.reader().query_row("SELECT 1", [], |r| r.get(0))?;
        if one != 1 {
            return Err(corrupt("ping", "SELECT 1 did not answer 1"));
        }
        Ok(())
    }
}
