//! `/v1/faxes…`, `/v1/callbacks/{transport}…` and `/v1/transports/{name}/secrets/{key}`:
//! the fax API, provider callbacks and write-only transport credentials.

use super::{Caller, PathId};
use crate::error::{ApiError, ErrorBody};
use crate::fax::{FaxDesk, FaxError, FaxJobView};
use crate::state::{AppState, plugin_target};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use faxbot_audit::{Actor, Outcome};
use faxbot_store::FaxQuery;
use faxbot_transports::CallbackRequest;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

/// Largest value of one credential.
const MAX_SECRET_BYTES: usize = 8 << 10;

fn desk(state: &AppState) -> Result<&Arc<FaxDesk>, ApiError> {
    state.fax_desk().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no_fax",
            "this daemon has no fax desk",
        )
    })
}

fn api_error(error: FaxError) -> ApiError {
    match error {
        FaxError::BadNumber(m) => ApiError::invalid("invalid_number", m).with_field("to"),
        FaxError::UnsupportedDocument => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_document",
            "the file must be a PDF or UTF-8 text (decided by its content)",
        )
        .with_field("file"),
        FaxError::TooLarge(limit) => {
            ApiError::too_large(format!("the file is larger than {limit} bytes"))
        }
        FaxError::NoTransport => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no_transport",
            "no fax transport is configured",
        ),
        FaxError::NotFound => ApiError::not_found("no such fax"),
        FaxError::Forbidden => ApiError::forbidden("this fax belongs to another tenant"),
        FaxError::Conflict(m) => ApiError::conflict("fax_state", m),
        FaxError::BadToken => ApiError::new(
            StatusCode::FORBIDDEN,
            "bad_token",
            "the document link is not valid or has expired",
        ),
        FaxError::Unverifiable => ApiError::unauthorized(
            "the callback cannot be verified: the transport has no credentials",
        ),
        FaxError::Callback(faxbot_transports::CallbackError::NotAccepted { .. }) => {
            ApiError::not_found("this transport takes no HTTP callbacks")
        }
        FaxError::Callback(e) if e.is_authentication() => {
            ApiError::unauthorized("the callback's signature does not verify")
        }
        FaxError::Callback(_) => {
            ApiError::invalid("invalid_callback", "the callback body is not understood")
        }
        FaxError::Storage => ApiError::internal("fax storage"),
    }
}

/// The multipart body of a fax (for the OpenAPI document).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct FaxForm {
    /// The destination, E.164 (`+15551234567`).
    to: String,
    /// The document: a PDF or UTF-8 text (sniffed by content).
    #[schema(format = Binary, content_media_type = "application/octet-stream")]
    file: Vec<u8>,
}

async fn read_fax(mut form: Multipart, limit: usize) -> Result<(String, Vec<u8>), ApiError> {
    let mut to = None;
    let mut file = None;
    let too_large = || ApiError::too_large(format!("the file is larger than {limit} bytes"));
    while let Some(mut field) = form.next_field().await.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            ApiError::invalid("invalid_multipart", "the multipart body could not be read")
        }
    })? {
        let name = field.name().unwrap_or("").to_owned();
        let max = match name.as_str() {
            "to" => 64,
            "file" => limit,
            _ => {
                return Err(ApiError::invalid(
                    "invalid_multipart",
                    "unexpected part; the parts are `to` and `file`",
                )
                .with_field("multipart"));
            }
        };
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                too_large()
            } else {
                ApiError::invalid("invalid_multipart", "the multipart body could not be read")
            }
        })? {
            if bytes.len() + chunk.len() > max {
                return Err(if name == "file" {
                    too_large()
                } else {
                    ApiError::invalid("invalid_number", "`to` is too long").with_field("to")
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        match name.as_str() {
            "to" => {
                let text = String::from_utf8(bytes).map_err(|_| {
                    ApiError::invalid("invalid_number", "`to` is not text").with_field("to")
                })?;
                if to.replace(text).is_some() {
                    return Err(ApiError::invalid(
                        "invalid_multipart",
                        "the part `to` appears twice",
                    ));
                }
            }
            _ => {
                if file.replace(bytes).is_some() {
                    return Err(ApiError::invalid(
                        "invalid_multipart",
                        "the part `file` appears twice",
                    ));
                }
            }
        }
    }
    let to = to.ok_or_else(|| {
        ApiError::invalid("invalid_multipart", "the part `to` is missing").with_field("to")
    })?;
    let file = file.ok_or_else(|| {
        ApiError::invalid("invalid_multipart", "the part `file` is missing").with_field("file")
    })?;
    Ok((to, file))
}

/// Send a fax: `to` (E.164) and `file` (PDF or UTF-8 text). Answers 202 with the job; the
/// fax is sent in the background and its progress shows in `GET /v1/faxes/{id}`.
#[utoipa::path(post, path = "/v1/faxes", tag = "faxes", security(("bearer" = [])),
    request_body(content = FaxForm, content_type = "multipart/form-data"),
    responses(
        (status = 202, description = "Accepted", body = FaxJobView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn send(
    State(state): State<AppState>,
    Caller(principal): Caller,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, ApiError> {
    let desk = desk(&state)?;
    let form = form.map_err(|_| {
        ApiError::invalid(
            "invalid_multipart",
            "the body must be multipart/form-data with the parts `to` and `file`",
        )
    })?;
    let (to, file) = read_fax(form, desk.settings().max_document_bytes).await?;
    state
        .audit(
            &principal,
            "fax.send",
            None,
            Outcome::Success,
            json!({"bytes": file.len()}),
        )
        .await?;
    let job = desk
        .submit(principal.tenant.clone(), &to, &file)
        .map_err(api_error)?;
    Ok((StatusCode::ACCEPTED, Json(desk.view(&job))).into_response())
}

/// A fax job.
#[utoipa::path(get, path = "/v1/faxes/{id}", tag = "faxes", security(("bearer" = [])),
    params(("id" = String, Path, description = "The job id")),
    responses((status = 200, body = FaxJobView), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
) -> Result<Json<FaxJobView>, ApiError> {
    let desk = desk(&state)?;
    let job = desk
        .job(principal.tenant.as_deref(), &id)
        .map_err(api_error)?;
    Ok(Json(desk.view(&job)))
}

/// Filters and paging of the job list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct FaxListQuery {
    /// Only jobs in this status.
    pub status: Option<String>,
    /// `outbound` or `inbound`.
    pub direction: Option<String>,
    /// The page after this job id (newest first).
    pub before: Option<String>,
    /// At most this many (1–500, default 100).
    pub limit: Option<usize>,
}

/// A page of fax jobs.
#[derive(Debug, Serialize, ToSchema)]
pub struct FaxList {
    /// The jobs, newest first.
    pub faxes: Vec<FaxJobView>,
    /// The `before` of the next page, when there may be one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// The caller's fax jobs, newest first.
#[utoipa::path(get, path = "/v1/faxes", tag = "faxes", security(("bearer" = [])),
    params(FaxListQuery),
    responses((status = 200, body = FaxList), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Caller(principal): Caller,
    query: Result<Query<FaxListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<FaxList>, ApiError> {
    let desk = desk(&state)?;
    let Query(query) = query.map_err(|_| {
        ApiError::invalid(
            "invalid_query",
            "unknown or malformed query parameters (status, direction, before, limit)",
        )
    })?;
    let limit = query.limit.unwrap_or(100).clamp(1, 500);
    let jobs = desk
        .jobs(&FaxQuery {
            tenant_id: principal.tenant.clone(),
            status: query.status,
            direction: query.direction,
            before_id: query.before,
            limit,
        })
        .map_err(api_error)?;
    let next = (jobs.len() == limit)
        .then(|| jobs.last().map(|j| j.id.clone()))
        .flatten();
    Ok(Json(FaxList {
        faxes: jobs.iter().map(|j| desk.view(j)).collect(),
        next,
    }))
}

/// Cancel a fax not yet sent.
#[utoipa::path(post, path = "/v1/faxes/{id}/cancel", tag = "faxes", security(("bearer" = [])),
    params(("id" = String, Path, description = "The job id")),
    responses((status = 200, body = FaxJobView), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn cancel(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
) -> Result<Json<FaxJobView>, ApiError> {
    let desk = desk(&state)?;
    desk.job(principal.tenant.as_deref(), &id)
        .map_err(api_error)?;
    state
        .audit(
            &principal,
            "fax.cancel",
            None,
            Outcome::Success,
            json!({"job": id}),
        )
        .await?;
    let job = desk
        .cancel(principal.tenant.as_deref(), &id)
        .await
        .map_err(api_error)?;
    Ok(Json(desk.view(&job)))
}

/// The document token of a provider fetch.
#[derive(Debug, Deserialize, IntoParams)]
pub struct DocumentQuery {
    /// The token from the document URL the provider was given.
    pub token: Option<String>,
}

/// A fax's document, for a provider that fetches it: the random, expiring token of the URL
/// it was given is the credential. Never cached; every serve is audited.
#[utoipa::path(get, path = "/v1/faxes/{id}/document", tag = "faxes",
    params(("id" = String, Path, description = "The job id"), DocumentQuery),
    responses((status = 200, description = "The PDF", content_type = "application/pdf"),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn document(
    State(state): State<AppState>,
    PathId(id): PathId,
    Query(query): Query<DocumentQuery>,
) -> Result<Response, ApiError> {
    let desk = desk(&state)?;
    let token = query.token.filter(|t| !t.is_empty()).ok_or_else(|| {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "bad_token",
            "the document link is not valid or has expired",
        )
    })?;
    let outcome = desk.document(&id, &token);
    state
        .audit_as(
            Actor::System,
            None,
            "fax.document.served",
            None,
            if outcome.is_ok() {
                Outcome::Success
            } else {
                Outcome::Denied
            },
            json!({"job": id}),
        )
        .await?;
    let pdf = outcome.map_err(api_error)?;
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/pdf"),
            (header::CACHE_CONTROL, "no-cache, no-store, must-revalidate"),
            (header::PRAGMA, "no-cache"),
            (header::EXPIRES, "0"),
        ],
        pdf,
    )
        .into_response())
}

fn callback_request(
    state_url: &str,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    body: Bytes,
) -> CallbackRequest {
    let path_and_query = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    CallbackRequest {
        url: format!("{}{path_and_query}", state_url.trim_end_matches('/')),
        headers: headers
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: body.to_vec(),
    }
}

/// The providers whose callbacks arrive over HTTP and are verified before anything else.
const SIGNED_CALLBACK_PROVIDERS: [&str; 3] = ["phaxio", "sinch", "signalwire"];

async fn handle_callback(
    state: &AppState,
    transport: &str,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let desk = desk(state)?;
    if !desk.transports().names().iter().any(|n| n == transport) {
        // A provider that signs its callbacks but is not configured here: nothing can be
        // verified, so it is refused like any callback that does not verify (and audited).
        if SIGNED_CALLBACK_PROVIDERS.contains(&transport) {
            let _ = state
                .audit_as(
                    Actor::System,
                    None,
                    "fax.callback.refused",
                    None,
                    Outcome::Denied,
                    json!({"transport": transport, "reason": "the transport is not configured"}),
                )
                .await;
            return Err(api_error(FaxError::Unverifiable));
        }
        return Err(ApiError::not_found("no such transport"));
    }
    let base = desk.settings().public_url.clone().unwrap_or_default();
    let request = callback_request(&base, uri, headers, body);
    match desk.callback(transport, &request).await {
        Ok(applied) => Ok((
            StatusCode::OK,
            Json(json!({"status": "ok", "applied": applied})),
        )
            .into_response()),
        Err(error) => {
            // Refused callbacks are audited without their content; nothing was stored.
            let _ = state
                .audit_as(
                    Actor::System,
                    None,
                    "fax.callback.refused",
                    None,
                    Outcome::Denied,
                    json!({"transport": transport, "reason": error.to_string()}),
                )
                .await;
            Err(api_error(error))
        }
    }
}

/// A provider's status callback. The signature is checked before anything else; a callback
/// that does not verify answers 401 and changes nothing. Duplicates answer 200.
#[utoipa::path(post, path = "/v1/callbacks/{transport}", tag = "faxes",
    params(("transport" = String, Path, description = "phaxio, sinch, signalwire")),
    responses((status = 200, description = "Applied"), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn callback(
    State(state): State<AppState>,
    Path(transport): Path<String>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    handle_callback(&state, &transport, &uri, &headers, body).await
}

/// A provider's inbound-fax callback (the same checks).
#[utoipa::path(post, path = "/v1/callbacks/{transport}/inbound", tag = "faxes",
    params(("transport" = String, Path, description = "phaxio, sinch, signalwire")),
    responses((status = 200, description = "Stored"), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn inbound(
    State(state): State<AppState>,
    Path(transport): Path<String>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    handle_callback(&state, &transport, &uri, &headers, body).await
}

/// The value of a write-only secret from a request body: non-empty text of at most 8 KiB
/// without control characters (`trim`: surrounding white space dropped, for credentials
/// pasted with a newline).
fn secret_value(body: &[u8], trim: bool) -> Result<&str, ApiError> {
    std::str::from_utf8(body)
        .ok()
        .map(|v| if trim { v.trim() } else { v })
        .filter(|v| {
            !v.is_empty() && v.len() <= MAX_SECRET_BYTES && !v.chars().any(char::is_control)
        })
        .ok_or_else(|| {
            ApiError::invalid(
                "invalid_secret",
                "the value must be non-empty text of at most 8 KiB without control characters",
            )
        })
}

/// Stores a secret sealed.
pub(super) fn store_secret(
    desk: &FaxDesk,
    scope: &str,
    name: &str,
    value: &str,
) -> Result<(), ApiError> {
    crate::fax::secrets::put(
        desk.store(),
        desk.sealer(),
        scope,
        name,
        value,
        crate::time::now_ms(),
    )
    .map_err(|_| ApiError::internal("secret store"))
}

/// Set a transport credential (write-only: no API returns a value). The body is the value
/// as text.
#[utoipa::path(put, path = "/v1/transports/{name}/secrets/{key}", tag = "faxes", security(("bearer" = [])),
    params(("name" = String, Path, description = "The transport"), ("key" = String, Path, description = "The credential")),
    request_body(content = String, content_type = "text/plain"),
    responses((status = 204, description = "Stored"), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn put_transport_secret(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path((name, key)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let desk = desk(&state)?;
    let keys = desk
        .transports()
        .secret_keys(&name)
        .ok_or_else(|| ApiError::not_found("no such transport"))?;
    if !keys.contains(&key.as_str()) {
        return Err(ApiError::invalid(
            "unknown_secret",
            format!("{name} takes the credentials {}", keys.join(", ")),
        )
        .with_field("key"));
    }
    let value = secret_value(&body, true)?;
    state
        .audit(
            &principal,
            "transport.secret.set",
            None,
            Outcome::Success,
            json!({"transport": name, "key": key}),
        )
        .await?;
    store_secret(
        desk,
        &crate::fax::secrets::transport_scope(&name),
        &key,
        value,
    )?;
    desk.transports().reload(&name);
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Set a plugin's secret (write-only). The egress broker fills it into outbound requests;
/// the plugin itself never receives it.
#[utoipa::path(put, path = "/v1/plugins/{id}/secrets/{name}", tag = "plugins", security(("bearer" = [])),
    params(("id" = String, Path, description = "The plugin"), ("name" = String, Path, description = "The secret's name")),
    request_body(content = String, content_type = "text/plain"),
    responses((status = 204, description = "Stored"), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn put_plugin_secret(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path((id, name)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let desk = desk(&state)?;
    crate::lifecycle::visible_plugin(&state, &principal, &id)?;
    if !(1..=64).contains(&name.len())
        || !name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(ApiError::invalid(
            "invalid_secret_name",
            "a secret name is A-Z, 0-9 and _, at most 64",
        )
        .with_field("name"));
    }
    let value = secret_value(&body, false)?;
    state
        .audit(
            &principal,
            "plugin.secret.set",
            plugin_target(&id),
            Outcome::Success,
            json!({"secret": name}),
        )
        .await?;
    store_secret(desk, &crate::fax::secrets::plugin_scope(&id), &name, value)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
