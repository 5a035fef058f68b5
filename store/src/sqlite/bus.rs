//! [`BusStore`] on SQLite, in the same portable SQL as the rest of the store.

use super::{SqliteStore, to_i64, to_u64};
use crate::Result;
use crate::bus::{BusEvent, BusStore, FailedAttempt, OutboxEntry};
use rusqlite::{OptionalExtension, Row, Transaction, params};

const ENTRY: &str = "SELECT o.subscriber, o.seq, e.id, e.topic, e.body, e.published_at_ms, \
    o.attempts, o.next_at_ms, o.last_error, o.dead, o.sequence \
    FROM bus_outbox o JOIN bus_events e ON e.id = o.event_id";

fn entry(row: &Row<'_>) -> rusqlite::Result<(OutboxEntry, String)> {
    let body: String = row.get(4)?;
    Ok((
        OutboxEntry {
            subscriber: row.get(0)?,
            seq: to_u64(row.get(1)?),
            sequence: to_u64(row.get(10)?),
            event: BusEvent {
                id: row.get(2)?,
                topic: row.get(3)?,
                body: Vec::new(),
                published_at_ms: to_u64(row.get(5)?),
            },
            attempts: u32::try_from(row.get::<_, i64>(6)?).unwrap_or(u32::MAX),
            next_at_ms: to_u64(row.get(7)?),
            last_error: row.get(8)?,
            dead: row.get::<_, i64>(9)? != 0,
        },
        body,
    ))
}

fn decode((mut entry, body): (OutboxEntry, String)) -> Result<OutboxEntry> {
    entry.event.body = hex::decode(body)
        .map_err(|e| super::corrupt(&format!("bus event {}", entry.event.id), e))?;
    Ok(entry)
}

fn drop_orphan_event(tx: &Transaction<'_>, event_id: &str) -> Result<()> {
    tx.execute(
        "DELETE FROM bus_events WHERE id = ?1 AND NOT EXISTS \
         (SELECT 1 FROM bus_outbox WHERE event_id = ?1)",
        params![event_id],
    )?;
    Ok(())
}

/// Removes a subscriber's rows and cursor, then the events no subscriber is owed any more.
pub(super) fn forget_subscriber(tx: &Transaction<'_>, subscriber: &str) -> Result<()> {
    tx.execute(
        "DELETE FROM bus_outbox WHERE subscriber = ?1",
        params![subscriber],
    )?;
    tx.execute(
        "DELETE FROM bus_cursors WHERE subscriber = ?1",
        params![subscriber],
    )?;
    tx.execute(
        "DELETE FROM bus_events WHERE NOT EXISTS \
         (SELECT 1 FROM bus_outbox WHERE bus_outbox.event_id = bus_events.id)",
        [],
    )?;
    Ok(())
}

impl BusStore for SqliteStore {
    fn bus_publish(&self, event: &BusEvent, subscribers: &[String]) -> Result<()> {
        self.write(|tx| {
            let known: Option<String> = tx
                .query_row(
                    "SELECT id FROM bus_events WHERE id = ?1",
                    params![event.id],
                    |r| r.get(0),
                )
                .optional()?;
            if known.is_some() || subscribers.is_empty() {
                return Ok(());
            }
            tx.execute(
                "INSERT INTO bus_events (id, topic, body, published_at_ms) VALUES (?1, ?2, ?3, ?4)",
                params![
                    event.id,
                    event.topic,
                    hex::encode(&event.body),
                    to_i64(event.published_at_ms)
                ],
            )?;
            let mut next_sequence = tx.prepare_cached(
                "INSERT INTO bus_cursors (subscriber, last_sequence) VALUES (?1, 1) \
                 ON CONFLICT (subscriber) DO UPDATE SET last_sequence = last_sequence + 1 \
                 RETURNING last_sequence",
            )?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO bus_outbox \
                 (subscriber, event_id, attempts, next_at_ms, last_error, dead, sequence) \
                 VALUES (?1, ?2, 0, ?3, NULL, 0, ?4)",
            )?;
            for subscriber in subscribers {
                let sequence: i64 = next_sequence.query_row(params![subscriber], |r| r.get(0))?;
                insert.execute(params![
                    subscriber,
                    event.id,
                    to_i64(event.published_at_ms),
                    sequence
                ])?;
            }
            Ok(())
        })
    }

    fn bus_head(&self, subscriber: &str) -> Result<Option<OutboxEntry>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(&format!(
            "{ENTRY} WHERE o.subscriber = ?1 AND o.dead = 0 ORDER BY o.seq LIMIT 1"
        ))?;
        stmt.query_row(params![subscriber], entry)
            .optional()?
            .map(decode)
            .transpose()
    }

    fn bus_acknowledge_many(&self, acks: &[(String, u64)]) -> Result<()> {
        self.write(|tx| {
            let mut events = Vec::with_capacity(acks.len());
            {
                let mut find = tx.prepare_cached(
                    "SELECT event_id FROM bus_outbox WHERE subscriber = ?1 AND seq = ?2",
                )?;
                let mut delete =
                    tx.prepare_cached("DELETE FROM bus_outbox WHERE subscriber = ?1 AND seq = ?2")?;
                for (subscriber, seq) in acks {
                    let event_id: Option<String> = find
                        .query_row(params![subscriber, to_i64(*seq)], |r| r.get(0))
                        .optional()?;
                    if let Some(event_id) = event_id {
                        delete.execute(params![subscriber, to_i64(*seq)])?;
                        events.push(event_id);
                    }
                }
            }
            events.sort();
            events.dedup();
            for event_id in &events {
                drop_orphan_event(tx, event_id)?;
            }
            Ok(())
        })
    }

    fn bus_fail(&self, subscriber: &str, seq: u64, attempt: &FailedAttempt) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE bus_outbox SET attempts = ?3, next_at_ms = ?4, last_error = ?5, dead = ?6 \
                 WHERE subscriber = ?1 AND seq = ?2",
                params![
                    subscriber,
                    to_i64(seq),
                    i64::from(attempt.attempts),
                    to_i64(attempt.next_at_ms),
                    attempt.error,
                    i64::from(attempt.dead)
                ],
            )?;
            Ok(())
        })
    }

    fn bus_backlog(&self, subscriber: &str) -> Result<u64> {
        let n: i64 = self.reader().query_row(
            "SELECT COUNT(*) FROM bus_outbox WHERE subscriber = ?1 AND dead = 0",
            params![subscriber],
            |r| r.get(0),
        )?;
        Ok(to_u64(n))
    }

    fn bus_subscribers_with_backlog(&self) -> Result<Vec<String>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT DISTINCT subscriber FROM bus_outbox WHERE dead = 0 ORDER BY subscriber",
        )?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn bus_dead_letters(&self, subscriber: &str, limit: usize) -> Result<Vec<OutboxEntry>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(&format!(
            "{ENTRY} WHERE o.subscriber = ?1 AND o.dead = 1 ORDER BY o.seq LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![subscriber, to_i64(limit as u64)], entry)?;
        rows.map(|r| decode(r?)).collect()
    }

    fn bus_replay(&self, subscriber: &str, event_id: &str, now_ms: u64) -> Result<bool> {
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE bus_outbox SET dead = 0, attempts = 0, next_at_ms = ?3, last_error = NULL \
                 WHERE subscriber = ?1 AND event_id = ?2 AND dead = 1",
                params![subscriber, event_id, to_i64(now_ms)],
            )?;
            Ok(n > 0)
        })
    }

    fn bus_discard(&self, subscriber: &str, event_id: &str) -> Result<bool> {
        self.write(|tx| {
            let n = tx.execute(
                "DELETE FROM bus_outbox WHERE subscriber = ?1 AND event_id = ?2 AND dead = 1",
                params![subscriber, event_id],
            )?;
            drop_orphan_event(tx, event_id)?;
            Ok(n > 0)
        })
    }

    fn bus_forget(&self, subscriber: &str) -> Result<()> {
        self.write(|tx| forget_subscriber(tx, subscriber))
    }
}
