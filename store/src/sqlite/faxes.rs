//! [`FaxStore`] on SQLite, in the same portable SQL as the rest of the store.

use super::{SqliteStore, to_i64, to_u64};
use crate::Result;
use crate::StoreError;
use crate::faxes::{FaxJobRecord, FaxQuery, FaxStore};
use rusqlite::{OptionalExtension, Row, params};

const COLUMNS: &str = "id, tenant_id, direction, transport, remote_sealed, local_sealed, status, \
    provider_id, pages, failure, attempt, document_id, token_hash, token_expires_ms, \
    created_at_ms, updated_at_ms";

fn job(row: &Row<'_>) -> rusqlite::Result<FaxJobRecord> {
    Ok(FaxJobRecord {
        id: row.get(0)?,
        tenant_id: row.get(1)?,
        direction: row.get(2)?,
        transport: row.get(3)?,
        remote_sealed: row.get(4)?,
        local_sealed: row.get(5)?,
        status: row.get(6)?,
        provider_id: row.get(7)?,
        pages: row
            .get::<_, Option<i64>>(8)?
            .and_then(|p| u32::try_from(p).ok()),
        failure: row.get(9)?,
        attempt: u32::try_from(row.get::<_, i64>(10)?).unwrap_or(0),
        document_id: row.get(11)?,
        token_hash: row.get(12)?,
        token_expires_ms: row.get::<_, Option<i64>>(13)?.map(to_u64),
        created_at_ms: to_u64(row.get(14)?),
        updated_at_ms: to_u64(row.get(15)?),
    })
}

impl FaxStore for SqliteStore {
    fn create_fax_job(&self, j: &FaxJobRecord) -> Result<()> {
        self.write(|tx| {
            let exists: Option<String> = tx
                .query_row("SELECT id FROM fax_jobs WHERE id = ?1", params![j.id], |r| r.get(0))
                .optional()?;
            if exists.is_some() {
                return Err(StoreError::Conflict(format!("fax job {} exists", j.id)));
            }
            tx.execute(
                &format!("INSERT INTO fax_jobs ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"),
                params![
                    j.id,
                    j.tenant_id,
                    j.direction,
                    j.transport,
                    j.remote_sealed,
                    j.local_sealed,
                    j.status,
                    j.provider_id,
                    j.pages.map(i64::from),
                    j.failure,
                    i64::from(j.attempt),
                    j.document_id,
                    j.token_hash,
                    j.token_expires_ms.map(to_i64),
                    to_i64(j.created_at_ms),
                    to_i64(j.updated_at_ms),
                ],
            )?;
            Ok(())
        })
    }

    fn fax_job(&self, id: &str) -> Result<Option<FaxJobRecord>> {
        Ok(self
            .lock()
            .query_row(
                &format!("SELECT {COLUMNS} FROM fax_jobs WHERE id = ?1"),
                params![id],
                job,
            )
            .optional()?)
    }

    fn fax_job_by_provider(
        &self,
        transport: &str,
        provider_id: &str,
    ) -> Result<Option<FaxJobRecord>> {
        Ok(self
            .lock()
            .query_row(
                &format!(
                    "SELECT {COLUMNS} FROM fax_jobs WHERE transport = ?1 AND provider_id = ?2 \
                     ORDER BY created_at_ms DESC LIMIT 1"
                ),
                params![transport, provider_id],
                job,
            )
            .optional()?)
    }

    fn fax_jobs(&self, q: &FaxQuery) -> Result<Vec<FaxJobRecord>> {
        let conn = self.lock();
        let before: Option<(i64, String)> = match &q.before_id {
            Some(id) => conn
                .query_row(
                    "SELECT created_at_ms, id FROM fax_jobs WHERE id = ?1",
                    params![id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?,
            None => None,
        };
        let (before_at, before_id) = before.unwrap_or((i64::MAX, String::new()));
        let mut statement = conn.prepare(&format!(
            "SELECT {COLUMNS} FROM fax_jobs
             WHERE (?1 IS NULL OR tenant_id = ?1)
               AND (?2 IS NULL OR status = ?2)
               AND (?3 IS NULL OR direction = ?3)
               AND (created_at_ms < ?4 OR (created_at_ms = ?4 AND id < ?5) OR ?6 = 0)
             ORDER BY created_at_ms DESC, id DESC LIMIT ?7"
        ))?;
        let limit = i64::try_from(q.limit.clamp(1, 500)).unwrap_or(100);
        let rows = statement.query_map(
            params![
                q.tenant_id,
                q.status,
                q.direction,
                before_at,
                before_id,
                i64::from(q.before_id.is_some()),
                limit
            ],
            job,
        )?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn update_fax_job(&self, j: &FaxJobRecord, expected_status: &str) -> Result<bool> {
        self.write(|tx| {
            let changed = tx.execute(
                "UPDATE fax_jobs SET status = ?1, provider_id = ?2, pages = ?3, failure = ?4,
                     attempt = ?5, token_hash = ?6, token_expires_ms = ?7, updated_at_ms = ?8,
                     document_id = ?9
                 WHERE id = ?10 AND status = ?11",
                params![
                    j.status,
                    j.provider_id,
                    j.pages.map(i64::from),
                    j.failure,
                    i64::from(j.attempt),
                    j.token_hash,
                    j.token_expires_ms.map(to_i64),
                    to_i64(j.updated_at_ms),
                    j.document_id,
                    j.id,
                    expected_status
                ],
            )?;
            Ok(changed == 1)
        })
    }

    fn delete_fax_job(&self, id: &str) -> Result<bool> {
        self.write(|tx| Ok(tx.execute("DELETE FROM fax_jobs WHERE id = ?1", params![id])? == 1))
    }

    fn fax_jobs_before(&self, cutoff_ms: u64, limit: usize) -> Result<Vec<FaxJobRecord>> {
        let conn = self.lock();
        let mut statement = conn.prepare(&format!(
            "SELECT {COLUMNS} FROM fax_jobs WHERE created_at_ms < ?1
               AND status IN ('delivered', 'failed', 'cancelled', 'received')
             ORDER BY created_at_ms LIMIT ?2"
        ))?;
        let rows = statement.query_map(
            params![to_i64(cutoff_ms), i64::try_from(limit).unwrap_or(100)],
            job,
        )?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn record_callback(&self, key: &str, at_ms: u64) -> Result<bool> {
        self.write(|tx| {
            let seen: Option<String> = tx
                .query_row(
                    "SELECT idempotency_key FROM fax_callbacks WHERE idempotency_key = ?1",
                    params![key],
                    |r| r.get(0),
                )
                .optional()?;
            if seen.is_some() {
                return Ok(false);
            }
            tx.execute(
                "INSERT INTO fax_callbacks (idempotency_key, at_ms) VALUES (?1, ?2)",
                params![key, to_i64(at_ms)],
            )?;
            Ok(true)
        })
    }

    fn put_secret(&self, scope: &str, name: &str, sealed: &str, at_ms: u64) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO secrets (scope, name, sealed, updated_at_ms) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (scope, name) DO UPDATE SET sealed = excluded.sealed,
                     updated_at_ms = excluded.updated_at_ms",
                params![scope, name, sealed, to_i64(at_ms)],
            )?;
            Ok(())
        })
    }

    fn secret(&self, scope: &str, name: &str) -> Result<Option<String>> {
        Ok(self
            .lock()
            .query_row(
                "SELECT sealed FROM secrets WHERE scope = ?1 AND name = ?2",
                params![scope, name],
                |r| r.get(0),
            )
            .optional()?)
    }

    fn secret_names(&self, scope: &str) -> Result<Vec<String>> {
        let conn = self.lock();
        let mut statement =
            conn.prepare("SELECT name FROM secrets WHERE scope = ?1 ORDER BY name")?;
        let rows = statement.query_map(params![scope], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<Vec<String>>>()?)
    }
}
