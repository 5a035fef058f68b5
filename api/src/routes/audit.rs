//! `GET /v1/audit`: the audit trail by time, actor, plugin, action and outcome. Every record
//! returned was checked against the chain on the way. A tenant key sees only its tenant's
//! records.

use super::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Query, State};
use faxbot_audit::{Actor, Filter, Outcome, TenantId, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use utoipa::{IntoParams, ToSchema};

/// Filters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Records at or after this time (RFC 3339 UTC, or a date).
    pub since: Option<String>,
    /// Records before this time.
    pub until: Option<String>,
    /// `system`, `api_key:<id>` or `plugin:<id>`.
    pub actor: Option<String>,
    /// An action, or a family ending in `.*` (`plugin.*`).
    pub action: Option<String>,
    /// Records by or about this plugin.
    pub plugin: Option<String>,
    /// `success`, `denied` or `failed`.
    pub outcome: Option<String>,
    /// At most this many records, the most recent (default 100, at most 1000).
    pub limit: Option<usize>,
}

/// Matching records.
#[derive(Serialize, ToSchema)]
pub struct AuditPage {
    /// The records, oldest first.
    #[schema(value_type = Vec<Object>)]
    pub records: Vec<serde_json::Value>,
    /// Records read.
    pub scanned: u64,
    /// Records that matched (more than returned when `truncated`).
    pub matched: u64,
    /// Older matches were left out to keep to `limit`.
    pub truncated: bool,
}

fn bad(field: &str, why: &str) -> ApiError {
    ApiError::invalid("invalid_query", format!("{field}: {why}")).with_field(field)
}

/// Query the audit trail.
#[utoipa::path(get, path = "/v1/audit", tag = "audit", security(("bearer" = [])),
    params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn query(
    State(state): State<AppState>,
    Caller(principal): Caller,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<AuditPage>, ApiError> {
    let Query(q) = query.map_err(|_| {
        ApiError::invalid("invalid_query", "unknown or malformed query parameters (since, until, actor, action, plugin, outcome, limit)")
    })?;
    let time = |field: &str, v: &Option<String>| -> Result<Option<Timestamp>, ApiError> {
        v.as_deref()
            .map(|t| {
                crate::time::parse_rfc3339_ms(t)
                    .map(|ms| {
                        Timestamp::from_unix_micros(i64::try_from(ms).unwrap_or(i64::MAX) * 1000)
                    })
                    .map_err(|why| bad(field, &why))
            })
            .transpose()
    };
    let filter = Filter {
        since: time("since", &q.since)?,
        until: time("until", &q.until)?,
        actor: q
            .actor
            .as_deref()
            .map(|a| {
                a.parse::<Actor>()
                    .map_err(|_| bad("actor", "system, api_key:<id> or plugin:<id>"))
            })
            .transpose()?,
        action: q.action.clone(),
        plugin: q.plugin.clone(),
        outcome: q
            .outcome
            .as_deref()
            .map(|o| {
                o.parse::<Outcome>()
                    .map_err(|_| bad("outcome", "success, denied or failed"))
            })
            .transpose()?,
        tenant: match &principal.tenant {
            Some(t) => Some(
                TenantId::new(t.clone())
                    .map_err(|_| ApiError::internal("reading the key's tenant"))?,
            ),
            None => None,
        },
    };
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let dir = state.audit_trail().dir().to_path_buf();
    let key = state.audit_key().clone();
    let result = tokio::task::spawn_blocking(move || {
        let mut kept: VecDeque<serde_json::Value> = VecDeque::new();
        let summary = faxbot_audit::query(&dir, &key, &filter, |record| {
            if kept.len() == limit {
                kept.pop_front();
            }
            kept.push_back(serde_json::to_value(record).map_err(std::io::Error::other)?);
            Ok(())
        });
        summary.map(|s| (kept, s))
    })
    .await
    .map_err(|_| ApiError::internal("reading the audit trail"))?;
    let (records, summary) = result.map_err(|e| {
        tracing::error!(error = %e, "audit query");
        ApiError::internal("reading the audit trail")
    })?;
    Ok(Json(AuditPage {
        truncated: summary.matched > records.len() as u64,
        records: records.into_iter().collect(),
        scanned: summary.scanned,
        matched: summary.matched,
    }))
}
