//! The platform's outbound webhooks: an admin subscribes an HTTPS endpoint to core event
//! topics; deliveries are signed in the Standard Webhooks scheme with a secret shown once,
//! at creation, and sealed in the secret store afterwards. A tenant key subscribes to its own
//! tenant's events; a platform key to every tenant's. Each change is audited (the endpoint
//! by its host only: a URL's path may carry a token).

use super::{Caller, JsonBody, PathId};
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use base64::Engine;
use faxbot_audit::Outcome;
use faxbot_store::WebhookRecord;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A new subscription.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhook {
    /// The HTTPS endpoint (no wildcards; its host must be a public name or address).
    pub url: String,
    /// Topic patterns of core events (`fax.job.*`, `fax.inbound.received`).
    pub events: Vec<String>,
}

/// A subscription as the API shows it (never its secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookView {
    /// `wh_…`.
    pub id: String,
    /// Its tenant; absent for a platform-wide one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// The endpoint.
    pub url: String,
    /// Topic patterns.
    pub events: Vec<String>,
    /// Created, RFC 3339.
    pub created_at: String,
}

/// The answer to a creation: the view and, this once, the signing secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedWebhook {
    /// The subscription.
    #[serde(flatten)]
    pub webhook: WebhookView,
    /// `whsec_<base64>`: verify `webhook-signature` with it (Standard Webhooks). Shown once.
    pub secret: String,
}

/// Every subscription.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookList {
    /// Oldest first.
    pub webhooks: Vec<WebhookView>,
}

fn view(w: WebhookRecord) -> WebhookView {
    WebhookView {
        id: w.id,
        tenant: w.tenant_id,
        url: w.url,
        events: w.events,
        created_at: crate::time::format_ms(w.created_at_ms),
    }
}

fn store(state: &AppState) -> Result<&std::sync::Arc<dyn faxbot_store::WebhookStore>, ApiError> {
    state
        .webhooks()
        .ok_or_else(|| ApiError::not_found("this core has no webhooks"))
}

fn random_bytes<const N: usize>() -> Result<[u8; N], ApiError> {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; N];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| ApiError::internal("random"))?;
    Ok(bytes)
}

/// Subscribe an HTTPS endpoint to core events.
#[utoipa::path(post, path = "/v1/webhooks", tag = "webhooks", security(("bearer" = [])),
    request_body = CreateWebhook,
    responses((status = 201, body = CreatedWebhook), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(request): JsonBody<CreateWebhook>,
) -> Result<(StatusCode, Json<CreatedWebhook>), ApiError> {
    let webhooks = store(&state)?;
    let desk = state
        .fax_desk()
        .ok_or_else(|| ApiError::not_found("this core has no secret store"))?;
    let rule = faxbot_policy::egress::EgressRule::parse(&request.url)
        .map_err(|e| ApiError::invalid("invalid_url", format!("url: {e}")).with_field("url"))?;
    // Refused here like a manifest's egress rule naming one: the metadata service, private
    // ranges, special-use names. (Resolution is checked again at every delivery.)
    if let Some(internal) = rule.internal_target() {
        return Err(ApiError::invalid(
            "internal_target",
            format!("url: the endpoint is {internal}; webhooks go to public hosts only"),
        )
        .with_field("url"));
    }
    if request.url.contains('*') || request.url.contains("{secret") {
        return Err(ApiError::invalid(
            "invalid_url",
            "url: a webhook endpoint has no wildcards or placeholders",
        )
        .with_field("url"));
    }
    if request.events.is_empty() || request.events.len() > 32 {
        return Err(
            ApiError::invalid("invalid_events", "events: between 1 and 32 topic patterns")
                .with_field("events"),
        );
    }
    for (i, pattern) in request.events.iter().enumerate() {
        faxbot_policy::capability::names::topic_pattern(pattern).map_err(|e| {
            ApiError::invalid("invalid_events", format!("events[{i}]: {e}")).with_field("events")
        })?;
    }
    // The authority only: a path may carry a token.
    let host = request.url.split('/').nth(2).unwrap_or_default().to_owned();
    let id = format!("wh_{}", hex::encode(random_bytes::<8>()?));
    let secret = format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(random_bytes::<32>()?)
    );
    let record = WebhookRecord {
        id: id.clone(),
        tenant_id: principal.tenant.clone(),
        url: request.url.clone(),
        events: request.events.clone(),
        created_at_ms: crate::time::now_ms(),
    };
    state
        .audit(
            &principal,
            "webhook.create",
            None,
            Outcome::Success,
            serde_json::json!({"webhook": id, "host": host, "events": request.events}),
        )
        .await?;
    super::faxes::store_secret(
        desk,
        &crate::fax::secrets::webhook_scope(&id),
        crate::fax::secrets::WEBHOOK_SECRET_NAME,
        &secret,
    )?;
    webhooks.create_webhook(&record)?;
    state.runtime().webhooks_changed();
    Ok((
        StatusCode::CREATED,
        Json(CreatedWebhook {
            webhook: view(record),
            secret,
        }),
    ))
}

/// The subscriptions this key may see.
#[utoipa::path(get, path = "/v1/webhooks", tag = "webhooks", security(("bearer" = [])),
    responses((status = 200, body = WebhookList), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Caller(principal): Caller,
) -> Result<Json<WebhookList>, ApiError> {
    let webhooks = store(&state)?
        .webhooks()?
        .into_iter()
        .filter(|w| principal.may_access(w.tenant_id.as_deref()))
        .map(view)
        .collect();
    Ok(Json(WebhookList { webhooks }))
}

/// Remove a subscription and the deliveries it is still owed.
#[utoipa::path(delete, path = "/v1/webhooks/{id}", tag = "webhooks", security(("bearer" = [])),
    params(("id" = String, Path, description = "Webhook id")),
    responses((status = 204, description = "Removed"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
) -> Result<StatusCode, ApiError> {
    let webhooks = store(&state)?;
    let record = webhooks
        .webhook(&id)?
        .ok_or_else(|| ApiError::not_found("no webhook with that id"))?;
    if !principal.may_access(record.tenant_id.as_deref()) {
        return Err(ApiError::forbidden("the webhook belongs to another tenant"));
    }
    state
        .audit(
            &principal,
            "webhook.delete",
            None,
            Outcome::Success,
            serde_json::json!({"webhook": id}),
        )
        .await?;
    webhooks.delete_webhook(&id)?;
    state.runtime().webhooks_changed();
    Ok(StatusCode::NO_CONTENT)
}

fn visible_webhook(
    state: &AppState,
    principal: &crate::auth::Principal,
    id: &str,
) -> Result<WebhookRecord, ApiError> {
    let record = store(state)?
        .webhook(id)?
        .ok_or_else(|| ApiError::not_found("no webhook with that id"))?;
    if !principal.may_access(record.tenant_id.as_deref()) {
        return Err(ApiError::forbidden("the webhook belongs to another tenant"));
    }
    Ok(record)
}

/// The events the bus gave up delivering to this webhook.
#[utoipa::path(get, path = "/v1/webhooks/{id}/dead-letters", tag = "webhooks", security(("bearer" = [])),
    params(("id" = String, Path, description = "Webhook id")),
    responses((status = 200, body = super::dead_letters::DeadLetterList), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn dead_letters(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
) -> Result<Json<super::dead_letters::DeadLetterList>, ApiError> {
    visible_webhook(&state, &principal, &id)?;
    let dead_letters = state
        .runtime()
        .dead_letters(&format!("webhook:{id}"), 1000)
        .map_err(|_| ApiError::internal("event outbox"))?;
    Ok(Json(super::dead_letters::DeadLetterList { dead_letters }))
}

/// Deliver a webhook's dead letter again, from the first attempt.
#[utoipa::path(post, path = "/v1/webhooks/{id}/dead-letters/{event_id}/replay", tag = "webhooks", security(("bearer" = [])),
    params(("id" = String, Path, description = "Webhook id"), ("event_id" = String, Path, description = "The event's id")),
    responses((status = 204, description = "Queued again"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn replay_dead_letter(
    State(state): State<AppState>,
    Caller(principal): Caller,
    axum::extract::Path((id, event_id)): axum::extract::Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    change_dead_letter(
        &state,
        &principal,
        &id,
        &event_id,
        crate::runtime::DeadLetterAction::Replay,
    )
    .await
}

/// Drop a webhook's dead letter for good.
#[utoipa::path(delete, path = "/v1/webhooks/{id}/dead-letters/{event_id}", tag = "webhooks", security(("bearer" = [])),
    params(("id" = String, Path, description = "Webhook id"), ("event_id" = String, Path, description = "The event's id")),
    responses((status = 204, description = "Discarded"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn discard_dead_letter(
    State(state): State<AppState>,
    Caller(principal): Caller,
    axum::extract::Path((id, event_id)): axum::extract::Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    change_dead_letter(
        &state,
        &principal,
        &id,
        &event_id,
        crate::runtime::DeadLetterAction::Discard,
    )
    .await
}

async fn change_dead_letter(
    state: &AppState,
    principal: &crate::auth::Principal,
    id: &str,
    event_id: &str,
    action: crate::runtime::DeadLetterAction,
) -> Result<StatusCode, ApiError> {
    visible_webhook(state, principal, id)?;
    super::dead_letters::change(
        state,
        principal,
        &format!("webhook:{id}"),
        None,
        event_id,
        action,
    )
    .await
}
