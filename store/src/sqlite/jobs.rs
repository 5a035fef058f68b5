//! [`JobStore`] on SQLite.

use super::{SqliteStore, to_i64, to_u64};
use crate::Result;
use crate::jobs::{JobState, JobStore};
use rusqlite::{OptionalExtension, params};

impl JobStore for SqliteStore {
    fn job_state(&self, plugin_id: &str, job: &str) -> Result<Option<JobState>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT last_scheduled_ms, last_started_ms, last_finished_ms, last_outcome, last_summary \
             FROM plugin_jobs WHERE plugin_id = ?1 AND job = ?2",
        )?;
        Ok(stmt
            .query_row(params![plugin_id, job], |r| {
                Ok(JobState {
                    plugin_id: plugin_id.to_owned(),
                    job: job.to_owned(),
                    last_scheduled_ms: r.get::<_, Option<i64>>(0)?.map(to_u64),
                    last_started_ms: r.get::<_, Option<i64>>(1)?.map(to_u64),
                    last_finished_ms: r.get::<_, Option<i64>>(2)?.map(to_u64),
                    last_outcome: r.get(3)?,
                    last_summary: r.get(4)?,
                })
            })
            .optional()?)
    }

    fn job_started(
        &self,
        plugin_id: &str,
        job: &str,
        scheduled_ms: u64,
        started_ms: u64,
    ) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO plugin_jobs (plugin_id, job, last_scheduled_ms, last_started_ms, \
                 last_finished_ms, last_outcome, last_summary) VALUES (?1, ?2, ?3, ?4, NULL, NULL, NULL) \
                 ON CONFLICT (plugin_id, job) DO UPDATE SET last_scheduled_ms = excluded.last_scheduled_ms, \
                 last_started_ms = excluded.last_started_ms, last_finished_ms = NULL",
                params![plugin_id, job, to_i64(scheduled_ms), to_i64(started_ms)],
            )?;
            Ok(())
        })
    }

    fn job_finished(
        &self,
        plugin_id: &str,
        job: &str,
        finished_ms: u64,
        outcome: &str,
        summary: Option<&str>,
    ) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE plugin_jobs SET last_finished_ms = ?3, last_outcome = ?4, last_summary = ?5 \
                 WHERE plugin_id = ?1 AND job = ?2",
                params![plugin_id, job, to_i64(finished_ms), outcome, summary],
            )?;
            Ok(())
        })
    }

    fn forget_jobs(&self, plugin_id: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "DELETE FROM plugin_jobs WHERE plugin_id = ?1",
                params![plugin_id],
            )?;
            Ok(())
        })
    }
}
