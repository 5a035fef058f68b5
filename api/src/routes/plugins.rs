//! `/v1/plugins…`: the plugin lifecycle.

use super::{Caller, JsonBody, PathId};
use crate::error::{ApiError, ErrorBody};
use crate::lifecycle::{self, ApproveRequest, Upload};
use crate::state::AppState;
use crate::views::{LogPage, PluginList, PluginView};
use axum::Json;
use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// Largest signature file accepted.
const MAX_SIGNATURE_BYTES: usize = 256 << 10;

/// Options of an upload.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UploadOptions {
    /// A platform key installing for a tenant names it here.
    pub tenant: Option<String>,
    /// Force a downgrade (needs `plugins:approve` and a reason).
    pub force: Option<bool>,
    /// Why a downgrade is forced (kept with the version and audited).
    pub reason: Option<String>,
}

/// The multipart body of an upload (for the OpenAPI document).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The `.fxp` package.
    #[schema(format = Binary, content_media_type = "application/octet-stream")]
    package: Vec<u8>,
    /// Its `.fxp.sig` signature file.
    #[schema(format = Binary, content_media_type = "application/octet-stream")]
    signature: Vec<u8>,
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::too_large("the upload is larger than the server allows")
    } else {
        ApiError::invalid("invalid_multipart", "the multipart body could not be read")
    }
}

async fn read_upload(mut form: Multipart, limit: usize) -> Result<(Vec<u8>, Vec<u8>), ApiError> {
    let mut package = None;
    let mut signature = None;
    while let Some(mut field) = form.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or("").to_owned();
        let (slot, max) = match name.as_str() {
            "package" => (&mut package, limit),
            "signature" => (&mut signature, MAX_SIGNATURE_BYTES),
            _ => {
                return Err(ApiError::invalid(
                    "invalid_multipart",
                    "unexpected part; the parts are `package` and `signature`",
                )
                .with_field("multipart"));
            }
        };
        if slot.is_some() {
            return Err(ApiError::invalid(
                "invalid_multipart",
                format!("the part `{name}` appears twice"),
            )
            .with_field(name));
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
            if bytes.len() + chunk.len() > max {
                return Err(ApiError::too_large(format!(
                    "the part `{name}` is larger than {max} bytes"
                )));
            }
            bytes.extend_from_slice(&chunk);
        }
        *slot = Some(bytes);
    }
    let package = package.ok_or_else(|| {
        ApiError::invalid(
            "invalid_multipart",
            "the part `package` (the .fxp) is missing",
        )
        .with_field("package")
    })?;
    let signature = signature.ok_or_else(|| {
        ApiError::invalid(
            "invalid_multipart",
            "the part `signature` (the .fxp.sig) is missing",
        )
        .with_field("signature")
    })?;
    Ok((package, signature))
}

/// Upload a signed package: verified against the trust store and the marketplace rules
/// before anything is written. A new plugin (or an upgrade asking for more) waits in
/// `pending_approval` with a review; an upgrade asking for nothing new replaces the
/// installed version at once.
#[utoipa::path(post, path = "/v1/plugins", tag = "plugins", security(("bearer" = [])),
    params(UploadOptions),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Uploaded", body = PluginView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, description = "A version is pending, the version exists, or a downgrade", body = ErrorBody),
        (status = 413, body = ErrorBody),
        (status = 422, description = "The package or signature is refused", body = ErrorBody)))]
pub async fn upload(
    State(state): State<AppState>,
    Caller(principal): Caller,
    options: Result<Query<UploadOptions>, axum::extract::rejection::QueryRejection>,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, ApiError> {
    let Query(options) = options.map_err(|_| {
        ApiError::invalid(
            "invalid_query",
            "unknown or malformed query parameters (tenant, force, reason)",
        )
    })?;
    let form = form.map_err(|_| {
        ApiError::invalid(
            "invalid_multipart",
            "the body must be multipart/form-data with the parts `package` and `signature`",
        )
    })?;
    let (package, signature) = read_upload(form, state.settings().upload_limit).await?;
    let (status, view) = lifecycle::install(
        &state,
        &principal,
        Upload {
            package,
            signature,
            tenant: options.tenant,
            force: options.force.unwrap_or(false),
            reason: options.reason,
        },
    )
    .await?;
    Ok((status, Json(view)).into_response())
}

/// The plugins this key may see.
#[utoipa::path(get, path = "/v1/plugins", tag = "plugins", security(("bearer" = [])),
    responses((status = 200, body = PluginList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Caller(principal): Caller,
) -> Result<Response, ApiError> {
    /// `PluginList`, by reference into the shared views.
    #[derive(serde::Serialize)]
    struct Listed<'a> {
        plugins: Vec<&'a PluginView>,
    }
    let hipaa = lifecycle::principal_hipaa(&state, &principal)?;
    let views = lifecycle::all_views(&state)?;
    let plugins = views
        .iter()
        .filter(|v| lifecycle::visible(&principal, hipaa, v))
        .collect();
    Ok(Json(Listed { plugins }).into_response())
}

/// One plugin: state, versions, requested and granted capabilities, health, restarts, last
/// exit reason, metrics, and a pending version's review.
#[utoipa::path(get, path = "/v1/plugins/{id}", tag = "plugins", security(("bearer" = [])),
    params(("id" = String, Path, description = "Plugin id")),
    responses((status = 200, body = PluginView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
) -> Result<Json<PluginView>, ApiError> {
    let plugin = lifecycle::visible_plugin(&state, &principal, &id)?;
    Ok(Json(lifecycle::plugin_view(&state, &plugin)?))
}

/// Options of an uninstall.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UninstallOptions {
    /// Also delete the plugin's stored data (kv).
    pub purge: Option<bool>,
}

/// Stop and remove a plugin; with `purge=true` its stored data goes too.
#[utoipa::path(delete, path = "/v1/plugins/{id}", tag = "plugins", security(("bearer" = [])),
    params(("id" = String, Path, description = "Plugin id"), UninstallOptions),
    responses((status = 204, description = "Removed"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn uninstall(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
    options: Result<Query<UninstallOptions>, axum::extract::rejection::QueryRejection>,
) -> Result<StatusCode, ApiError> {
    let Query(options) = options.map_err(|_| {
        ApiError::invalid(
            "invalid_query",
            "the only query parameter is purge=true|false",
        )
    })?;
    lifecycle::uninstall(&state, &principal, &id, options.purge.unwrap_or(false)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Paging of logs.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct LogOptions {
    /// Lines after this sequence number (0: from the oldest kept).
    pub after: Option<u64>,
    /// At most this many lines (default 100, at most 1000).
    pub limit: Option<usize>,
}

/// The plugin's output and log calls, redacted, oldest first.
#[utoipa::path(get, path = "/v1/plugins/{id}/logs", tag = "plugins", security(("bearer" = [])),
    params(("id" = String, Path, description = "Plugin id"), LogOptions),
    responses((status = 200, body = LogPage), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn logs(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
    options: Result<Query<LogOptions>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<LogPage>, ApiError> {
    let Query(options) = options.map_err(|_| {
        ApiError::invalid("invalid_query", "the query parameters are after and limit")
    })?;
    lifecycle::visible_plugin(&state, &principal, &id)?;
    let after = options.after.unwrap_or(0);
    let lines = state
        .runtime()
        .logs(&id, after, options.limit.unwrap_or(100).clamp(1, 1000));
    let next_after = lines.last().map_or(after, |l| l.seq);
    Ok(Json(LogPage { lines, next_after }))
}

/// Approve the pending version: everything requested, or a narrower set (anything wider is
/// refused), optionally until a time. With `approvals.four_eyes` two keys must approve,
/// neither the uploader.
#[utoipa::path(post, path = "/v1/plugins/{id}/approve", tag = "plugins", security(("bearer" = [])),
    params(("id" = String, Path, description = "Plugin id")),
    request_body(content = ApproveRequest, description = "Optional; without it everything requested is approved"),
    responses((status = 200, body = PluginView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn approve(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
    JsonBody(request): JsonBody<ApproveRequest>,
) -> Result<Json<PluginView>, ApiError> {
    Ok(Json(
        lifecycle::approve(&state, &principal, &id, request).await?,
    ))
}

/// The reject body.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectRequest {
    /// Why (audited).
    pub reason: Option<String>,
}

/// The outcome of a rejection.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct RejectOutcome {
    /// `rejected`.
    pub status: String,
    /// The plugin, when it still has an installed version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plugin: Option<PluginView>,
}

/// Reject the pending version: it is removed; a first install disappears, an upgrade's
/// installed version stays.
#[utoipa::path(post, path = "/v1/plugins/{id}/reject", tag = "plugins", security(("bearer" = [])),
    params(("id" = String, Path, description = "Plugin id")),
    request_body(content = RejectRequest, description = "Optional"),
    responses((status = 200, body = RejectOutcome), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn reject(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
    JsonBody(request): JsonBody<RejectRequest>,
) -> Result<Json<RejectOutcome>, ApiError> {
    let reason = match request.reason.as_deref() {
        None => None,
        Some(r) => Some(crate::text::plain(r, 500).ok_or_else(|| {
            ApiError::invalid(
                "invalid_reason",
                "reason: 1 to 500 characters, no control or invisible formatting characters",
            )
            .with_field("reason")
        })?),
    };
    let plugin = lifecycle::reject(&state, &principal, &id, reason).await?;
    Ok(Json(RejectOutcome {
        status: "rejected".to_owned(),
        plugin,
    }))
}

/// Start an approved plugin (its trust and files are checked again first).
#[utoipa::path(post, path = "/v1/plugins/{id}/start", tag = "plugins", security(("bearer" = [])),
    params(("id" = String, Path, description = "Plugin id")),
    responses((status = 200, body = PluginView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn start(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
) -> Result<Json<PluginView>, ApiError> {
    Ok(Json(lifecycle::start(&state, &principal, &id).await?))
}

/// Stop a plugin (shutdown call, then kill).
#[utoipa::path(post, path = "/v1/plugins/{id}/stop", tag = "plugins", security(("bearer" = [])),
    params(("id" = String, Path, description = "Plugin id")),
    responses((status = 200, body = PluginView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn stop(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
) -> Result<Json<PluginView>, ApiError> {
    Ok(Json(lifecycle::stop(&state, &principal, &id).await?))
}

/// Stop and start a running plugin.
#[utoipa::path(post, path = "/v1/plugins/{id}/restart", tag = "plugins", security(("bearer" = [])),
    params(("id" = String, Path, description = "Plugin id")),
    responses((status = 200, body = PluginView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn restart(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
) -> Result<Json<PluginView>, ApiError> {
    Ok(Json(lifecycle::restart(&state, &principal, &id).await?))
}

/// Lift a quarantine: the plugin starts again with a fresh crash history.
#[utoipa::path(post, path = "/v1/plugins/{id}/quarantine/clear", tag = "plugins", security(("bearer" = [])),
    params(("id" = String, Path, description = "Plugin id")),
    responses((status = 200, body = PluginView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn clear_quarantine(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
) -> Result<Json<PluginView>, ApiError> {
    Ok(Json(
        lifecycle::clear_quarantine(&state, &principal, &id).await?,
    ))
}
