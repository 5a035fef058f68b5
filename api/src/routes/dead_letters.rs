//! A plugin's dead letters: events the bus gave up delivering after its retry limit, listed,
//! replayed from the first attempt or discarded — each change audited before it is made.

use super::{Caller, PathId};
use crate::error::{ApiError, ErrorBody};
use crate::lifecycle;
use crate::runtime::{DeadLetter, DeadLetterAction};
use crate::state::{AppState, plugin_target};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use faxbot_audit::Outcome;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A page of dead letters.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeadLetterList {
    /// Oldest first.
    pub dead_letters: Vec<DeadLetter>,
}

/// How many to list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DeadLetterOptions {
    /// At most this many (default 100, at most 1000).
    pub limit: Option<usize>,
}

/// The events the bus gave up delivering to this plugin.
#[utoipa::path(get, path = "/v1/plugins/{id}/dead-letters", tag = "plugins", security(("bearer" = [])),
    params(("id" = String, Path, description = "Plugin id"), DeadLetterOptions),
    responses((status = 200, body = DeadLetterList), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
    options: Result<Query<DeadLetterOptions>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<DeadLetterList>, ApiError> {
    let Query(options) = options
        .map_err(|_| ApiError::invalid("invalid_query", "the only query parameter is limit"))?;
    lifecycle::visible_plugin(&state, &principal, &id)?;
    let limit = options.limit.unwrap_or(100).clamp(1, 1000);
    let dead_letters = state
        .runtime()
        .dead_letters(&format!("plugin:{id}"), limit)
        .map_err(|e| {
            tracing::error!(error = %e, "dead letters could not be read");
            ApiError::internal("event outbox")
        })?;
    Ok(Json(DeadLetterList { dead_letters }))
}

/// Deliver a dead letter again, from the first attempt, in its place in the queue's order
/// after whatever is being delivered now.
#[utoipa::path(post, path = "/v1/plugins/{id}/dead-letters/{event_id}/replay", tag = "plugins", security(("bearer" = [])),
    params(("id" = String, Path, description = "Plugin id"), ("event_id" = String, Path, description = "The event's id")),
    responses((status = 204, description = "Queued again"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn replay(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path((id, event_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    act(&state, &principal, &id, &event_id, DeadLetterAction::Replay).await
}

/// Drop a dead letter for good.
#[utoipa::path(delete, path = "/v1/plugins/{id}/dead-letters/{event_id}", tag = "plugins", security(("bearer" = [])),
    params(("id" = String, Path, description = "Plugin id"), ("event_id" = String, Path, description = "The event's id")),
    responses((status = 204, description = "Discarded"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn discard(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path((id, event_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    act(
        &state,
        &principal,
        &id,
        &event_id,
        DeadLetterAction::Discard,
    )
    .await
}

async fn act(
    state: &AppState,
    principal: &crate::auth::Principal,
    id: &str,
    event_id: &str,
    action: DeadLetterAction,
) -> Result<StatusCode, ApiError> {
    lifecycle::visible_plugin(state, principal, id)?;
    change(
        state,
        principal,
        &format!("plugin:{id}"),
        plugin_target(id),
        event_id,
        action,
    )
    .await
}

/// Replays or discards a dead letter of `subscriber` (visibility already checked), audited
/// before it is done.
pub(super) async fn change(
    state: &AppState,
    principal: &crate::auth::Principal,
    subscriber: &str,
    target: Option<faxbot_audit::Target>,
    event_id: &str,
    action: DeadLetterAction,
) -> Result<StatusCode, ApiError> {
    let plain = (4..=64).contains(&event_id.len())
        && event_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !plain {
        return Err(ApiError::not_found("no dead letter with that event id"));
    }
    let name = match action {
        DeadLetterAction::Replay => "dead_letter.replay",
        DeadLetterAction::Discard => "dead_letter.discard",
    };
    state
        .audit(
            principal,
            name,
            target,
            Outcome::Success,
            serde_json::json!({"subscriber": subscriber, "event_id": event_id}),
        )
        .await?;
    match state.runtime().dead_letter(subscriber, event_id, action) {
        Ok(true) => Ok(StatusCode::NO_CONTENT),
        Ok(false) => Err(ApiError::not_found("no dead letter with that event id")),
        Err(e) => {
            tracing::error!(error = %e, "a dead letter could not be changed");
            Err(ApiError::internal("event outbox"))
        }
    }
}
