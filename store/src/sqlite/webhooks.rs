//! [`WebhookStore`] on SQLite.

use super::{SqliteStore, corrupt, to_i64, to_u64};
use crate::Result;
use crate::webhooks::{WebhookRecord, WebhookStore};
use rusqlite::{OptionalExtension, Row, params};

fn row(r: &Row<'_>) -> rusqlite::Result<(String, Option<String>, String, String, i64)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
}

fn decode(
    (id, tenant_id, url, events, at): (String, Option<String>, String, String, i64),
) -> Result<WebhookRecord> {
    Ok(WebhookRecord {
        events: serde_json::from_str(&events).map_err(|e| corrupt(&format!("webhook {id}"), e))?,
        id,
        tenant_id,
        url,
        created_at_ms: to_u64(at),
    })
}

impl WebhookStore for SqliteStore {
    fn create_webhook(&self, w: &WebhookRecord) -> Result<()> {
        let events = serde_json::to_string(&w.events)
            .map_err(|e| corrupt(&format!("webhook {}", w.id), e))?;
        self.write(|tx| {
            tx.execute(
                "INSERT INTO webhooks (id, tenant_id, url, events, created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![w.id, w.tenant_id, w.url, events, to_i64(w.created_at_ms)],
            )?;
            Ok(())
        })
    }

    fn webhooks(&self) -> Result<Vec<WebhookRecord>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT id, tenant_id, url, events, created_at_ms FROM webhooks ORDER BY created_at_ms, id",
        )?;
        let rows = stmt.query_map([], row)?;
        rows.map(|r| decode(r?)).collect()
    }

    fn webhook(&self, id: &str) -> Result<Option<WebhookRecord>> {
        let found = self
            .reader()
            .query_row(
                "SELECT id, tenant_id, url, events, created_at_ms FROM webhooks WHERE id = ?1",
                params![id],
                row,
            )
            .optional()?;
        found.map(decode).transpose()
    }

    fn delete_webhook(&self, id: &str) -> Result<bool> {
        let subscriber = format!("webhook:{id}");
        self.write(|tx| {
            let n = tx.execute("DELETE FROM webhooks WHERE id = ?1", params![id])?;
            super::bus::forget_subscriber(tx, &subscriber)?;
            Ok(n > 0)
        })
    }
}
