//! The router: every route registered with its OpenAPI description (utoipa-axum, so the
//! document cannot drift from the routes), the authorisation layer that enforces
//! [`crate::endpoints::ENDPOINTS`], and the outer layer that times requests out, gives them
//! ids and counts them.

mod audit;
mod dead_letters;
mod ext;
mod faxes;
mod health;
mod keys;
mod plugin_config;
mod plugins;
mod trust;
mod webhooks;

use crate::auth::{AuthFailure, Principal, check_key, parse_token};
use crate::endpoints::{self, Access};
use crate::error::ApiError;
use crate::state::AppState;
use crate::time::now_ms;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header, request::Parts};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use faxbot_audit::{Actor, Outcome};
use serde::de::DeserializeOwned;
use serde_json::json;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The OpenAPI document's frame; the paths come from the routes.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "faxbot core API",
        description = "The faxbot core daemon's HTTP API: plugin install, review, approval and operation; API keys and tenants; the trust store; the audit trail. Requests authenticate with `Authorization: Bearer <key>`. Errors are JSON `{code, message, field?}`.",
        license(name = "Apache-2.0")
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "health", description = "Liveness, readiness, metrics, this document"),
        (name = "plugins", description = "The plugin lifecycle"),
        (name = "keys", description = "API keys and tenants"),
        (name = "trust", description = "The trust store"),
        (name = "audit", description = "The audit trail"),
        (name = "faxes", description = "Sending and receiving faxes; provider callbacks")
    )
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("fxb_<id>_<secret>")
                    .build(),
            ),
        );
    }
}

/// Builds the router over `state`.
pub fn router(state: AppState) -> Router {
    let settings = state.settings();
    let (upload_schemas, upload_paths, upload_router) = routes!(plugins::upload, plugins::list);
    let upload_router = upload_router.layer(DefaultBodyLimit::max(settings.upload_limit));
    let (fax_schemas, fax_paths, fax_router) = routes!(faxes::send, faxes::list);
    let fax_router = fax_router.layer(DefaultBodyLimit::max(settings.upload_limit));
    let (cb_schemas, cb_paths, cb_router) = routes!(faxes::callback);
    let cb_router = cb_router.layer(DefaultBodyLimit::max(settings.upload_limit));
    let (inbound_schemas, inbound_paths, inbound_router) = routes!(faxes::inbound);
    let inbound_router = inbound_router.layer(DefaultBodyLimit::max(settings.upload_limit));
    let (router, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(health::metrics))
        .routes(routes!(health::openapi_json))
        .routes(routes!(keys::whoami))
        .routes((upload_schemas, upload_paths, upload_router))
        .routes(routes!(plugins::show, plugins::uninstall))
        .routes(routes!(plugins::logs))
        .routes(routes!(plugin_config::show, plugin_config::set))
        .routes(routes!(dead_letters::list))
        .routes(routes!(dead_letters::replay))
        .routes(routes!(dead_letters::discard))
        .routes(routes!(plugins::approve))
        .routes(routes!(plugins::reject))
        .routes(routes!(plugins::start))
        .routes(routes!(plugins::stop))
        .routes(routes!(plugins::restart))
        .routes(routes!(plugins::clear_quarantine))
        .routes(routes!(audit::query))
        .routes(routes!(keys::list, keys::create))
        .routes(routes!(keys::revoke))
        .routes(routes!(keys::list_tenants, keys::create_tenant))
        .routes(routes!(trust::show))
        .routes(routes!(trust::add_key))
        .routes(routes!(trust::revoke))
        .routes((fax_schemas, fax_paths, fax_router))
        .routes(routes!(faxes::show))
        .routes(routes!(faxes::cancel))
        .routes(routes!(faxes::document))
        .routes((cb_schemas, cb_paths, cb_router))
        .routes((inbound_schemas, inbound_paths, inbound_router))
        .routes(routes!(faxes::put_transport_secret))
        .routes(routes!(faxes::put_plugin_secret))
        .routes(routes!(webhooks::create, webhooks::list))
        .routes(routes!(webhooks::delete))
        .routes(routes!(webhooks::dead_letters))
        .routes(routes!(webhooks::replay_dead_letter))
        .routes(routes!(webhooks::discard_dead_letter))
        .split_for_parts();
    state.set_openapi_json(doc.to_json().unwrap_or_else(|_| "{}".to_owned()));
    // Plugin routes decide their access from the approval, so they sit beside the table's
    // authorisation layer and check access themselves.
    let ext = Router::new().route("/ext/{id}/{*path}", axum::routing::any(ext::serve));
    router
        .route_layer(middleware::from_fn_with_state(state.clone(), authorize))
        .merge(ext)
        .fallback(unrouted)
        .layer(DefaultBodyLimit::max(settings.json_limit))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

async fn unrouted(method: Method) -> ApiError {
    if method == Method::GET || method == Method::POST || method == Method::DELETE {
        ApiError::not_found("no such route")
    } else {
        ApiError::new(
            axum::http::StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "this method is not served here",
        )
    }
}

static NEXT_REQUEST: AtomicU64 = AtomicU64::new(1);

/// Room for multipart boundaries and part headers above the upload limit.
const MULTIPART_OVERHEAD: u64 = 64 << 10;

fn request_id(headers: &HeaderMap) -> HeaderValue {
    let given = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            (1..=64).contains(&v.len())
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        });
    let id = match given {
        Some(v) => v.to_owned(),
        None => format!(
            "req-{:x}-{}",
            std::process::id(),
            NEXT_REQUEST.fetch_add(1, Ordering::Relaxed)
        ),
    };
    HeaderValue::from_str(&id).unwrap_or_else(|_| HeaderValue::from_static("req"))
}

/// The method as a bounded label.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::DELETE => "DELETE",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

/// A routed template as the endpoint table's own `&'static str`.
fn route_label(path: &str) -> Option<&'static str> {
    endpoints::ENDPOINTS
        .iter()
        .find(|e| e.path == path)
        .map(|e| e.path)
}

/// Outermost layer: a request id, a deadline (uploads get a longer one), and the counters.
async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(request.method());
    let id = request_id(request.headers());
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .and_then(|m| route_label(m.as_str()));
    let settings = state.settings();
    // Uploads (plugins, faxes, provider callbacks carrying documents) get the upload limit.
    let is_upload = request.method() == Method::POST
        && matches!(request.uri().path(), "/v1/plugins" | "/v1/faxes")
        || request.method() == Method::POST && request.uri().path().starts_with("/v1/callbacks/");
    // A declared length past the limit is refused before a byte of the body is read.
    let limit = if is_upload {
        settings.upload_limit
    } else {
        settings.json_limit
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64 + MULTIPART_OVERHEAD) {
        let mut response = ApiError::too_large("the request body is larger than the server allows")
            .into_response();
        response.headers_mut().insert("x-request-id", id);
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        state
            .metrics()
            .observe(method, route.unwrap_or("unmatched"), 413, started.elapsed());
        return response;
    }
    let deadline = Duration::from_millis(if is_upload {
        settings.upload_timeout_ms
    } else {
        settings.request_timeout_ms
    });
    let mut response = match tokio::time::timeout(deadline, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            "the request took longer than the server allows",
        )
        .into_response(),
    };
    let route = route
        .or_else(|| response.extensions().get::<RoutedAs>().map(|r| r.0))
        .unwrap_or("unmatched");
    state
        .metrics()
        .observe(method, route, response.status().as_u16(), started.elapsed());
    response.headers_mut().insert("x-request-id", id);
    response
}

/// The route template a response was served for (set by the authorisation layer, where the
/// matched path is known).
#[derive(Clone, Copy, Debug)]
struct RoutedAs(&'static str);

/// Authenticates, checks the endpoint's access rule and the key's rate limit, and hands
/// the handler a [`Principal`].
async fn authorize(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let path = request
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_default();
    let Some(endpoint) = endpoints::find(request.method().as_str(), &path) else {
        // A route that is not in the table is never served.
        if endpoints::ENDPOINTS.iter().any(|e| e.path == path) {
            return ApiError::new(
                axum::http::StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this method is not served here",
            )
            .into_response();
        }
        return ApiError::not_found("no such route").into_response();
    };
    let mut response = match check_access(&state, endpoint.access, request.headers()).await {
        Ok(principal) => {
            if let Some(principal) = principal {
                request.extensions_mut().insert(principal);
            }
            next.run(request).await
        }
        Err(error) => error.into_response(),
    };
    response.extensions_mut().insert(RoutedAs(endpoint.path));
    response
}

async fn check_access(
    state: &AppState,
    access: Access,
    headers: &HeaderMap,
) -> Result<Option<Principal>, ApiError> {
    if matches!(access, Access::Public | Access::OwnCredential) {
        return Ok(None);
    }
    let principal = match authenticate(state, headers) {
        Ok(p) => p,
        Err((failure, key_id)) => {
            // Audited without the presented secret; refused whether or not the trail takes it.
            // A flood is summarised, so guessing cannot fill the disk with records.
            if let Some(suppressed) = state.failure_audit_allowed() {
                let _ = state
                    .audit_as(
                        Actor::System,
                        None,
                        "auth.failed",
                        None,
                        Outcome::Denied,
                        json!({"reason": failure.name(), "key_id": key_id, "suppressed_before": suppressed}),
                    )
                    .await;
            }
            return Err(ApiError::unauthorized(failure.reason()));
        }
    };
    // The key's rate limit comes before anything else it could make the core do.
    state
        .limiter()
        .take(&principal.key_id)
        .map_err(ApiError::rate_limited)?;
    let (scope, platform_only) = match access {
        Access::Public | Access::OwnCredential | Access::Authenticated => (None, false),
        Access::Scope(s) => (Some(s), false),
        Access::PlatformScope(s) => (Some(s), true),
    };
    if let Some(scope) = scope
        && !principal.has(scope)
    {
        let _ = state
            .audit(
                &principal,
                "auth.denied",
                None,
                Outcome::Denied,
                json!({"missing_scope": scope.name()}),
            )
            .await;
        return Err(ApiError::missing_scope(scope.name()));
    }
    if platform_only && !principal.is_platform() {
        return Err(ApiError::forbidden(
            "this endpoint needs a platform key (one without a tenant)",
        ));
    }
    Ok(Some(principal))
}

fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Principal, (AuthFailure, Option<String>)> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err((AuthFailure::Missing, None));
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| {
            let (scheme, rest) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
        })
        .ok_or((AuthFailure::Malformed, None))?;
    let (id, secret) = parse_token(token).ok_or((AuthFailure::Malformed, None))?;
    let record = match state.api_key(id) {
        Ok(Some(record)) => record,
        Ok(None) => return Err((AuthFailure::UnknownKey, Some(id.to_owned()))),
        Err(e) => {
            tracing::error!(error = %e, "reading an API key");
            return Err((AuthFailure::UnknownKey, Some(id.to_owned())));
        }
    };
    check_key(state.hasher(), &record, secret, now_ms()).map_err(|f| (f, Some(id.to_owned())))
}

/// The authenticated caller, as the authorisation layer left it.
pub struct Caller(pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<Principal>()
            .cloned()
            .map(Caller)
            .ok_or_else(|| ApiError::unauthorized("no Authorization: Bearer header"))
    }
}

/// A JSON body whose errors are the API's: 413 past the limit, 422 (without echoing any
/// value) when it does not parse or does not fit. An empty body is `T::default()`.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Default> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(request, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::too_large("the request body is larger than the server allows")
            } else {
                ApiError::invalid("invalid_body", "the request body could not be read")
            }
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(JsonBody(T::default()));
        }
        serde_json::from_slice(&bytes).map(JsonBody).map_err(|e| {
            let kind = match e.classify() {
                serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                    "is not valid JSON"
                }
                _ => "does not fit this endpoint (a missing, unknown or mistyped field)",
            };
            ApiError::invalid(
                "invalid_json",
                format!(
                    "the request body {kind} (line {}, column {})",
                    e.line(),
                    e.column()
                ),
            )
        })
    }
}

/// A path segment id, refused (404) when it could not name anything (`..`, NUL, non-ASCII,
/// too long) before any lookup.
pub struct PathId(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PathId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let axum::extract::Path(id) =
            axum::extract::Path::<String>::from_request_parts(parts, state)
                .await
                .map_err(|_| ApiError::not_found("no object with that id"))?;
        let plain = (1..=128).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            && !id.contains("..");
        if !plain {
            return Err(ApiError::not_found("no object with that id"));
        }
        Ok(PathId(id))
    }
}
