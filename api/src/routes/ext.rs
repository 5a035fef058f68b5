//! `/ext/{plugin}/{path}`: a plugin's own HTTP routes, served by its `route.serve`. A route
//! is private — a key with the scope the admin set at approval, of the plugin's tenant —
//! unless the admin made it public at approval. The request reaches the plugin without
//! credentials, cookies or hop-by-hop headers, within the body limit; the answer comes back
//! size-limited, with only content headers passed and the browser told not to run it (the
//! API's origin serves it). A plugin that is not running is a 503 with `Retry-After`.
//!
//! Public routes share one rate bucket per plugin (the per-key rate); private ones are held
//! to their key's.
//!
//! These routes are not in the endpoint table (their access depends on the approval, not on
//! the path), so this handler authenticates itself, through the same check as the table.

use super::check_access;
use crate::endpoints::Access;
use crate::error::ApiError;
use crate::runtime::{RouteCall, RouteFailure};
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Largest answer passed back from a plugin.
const MAX_ANSWER_BYTES: usize = 1 << 20;
/// How long a client should wait before retrying a plugin that is not running.
const RETRY_AFTER_SECS: &str = "5";

/// Request headers a plugin may see (everything else, credentials first, is dropped).
const PASSED_REQUEST_HEADERS: &[&str] = &[
    "accept",
    "accept-language",
    "content-type",
    "if-modified-since",
    "if-none-match",
    "user-agent",
    "x-request-id",
];

/// Answer headers a plugin may set.
const PASSED_ANSWER_HEADERS: &[&str] = &[
    "cache-control",
    "content-language",
    "content-type",
    "etag",
    "last-modified",
];

fn plain_id(id: &str) -> bool {
    faxbot_policy::manifest::check_id(id).is_ok()
}

fn plain_path(path: &str) -> bool {
    path.len() <= 1024
        && path.starts_with('/')
        && !path.split('/').any(|s| s == ".." || s == ".")
        && !path.contains("//")
        && path.bytes().all(|b| b.is_ascii_graphic())
}

/// Serves a plugin route.
pub async fn serve(
    State(state): State<AppState>,
    Path((id, rest)): Path<(String, String)>,
    request: Request,
) -> Response {
    match route(&state, &id, &rest, request).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

async fn route(
    state: &AppState,
    id: &str,
    rest: &str,
    request: Request,
) -> Result<Response, ApiError> {
    let path = format!("/{rest}");
    if !plain_id(id) || !plain_path(&path) {
        return Err(ApiError::not_found("no such route"));
    }
    let plugin = state
        .store()
        .plugin(id)?
        .ok_or_else(|| ApiError::not_found("no such route"))?;
    let access = state.store().route_access(id)?.unwrap_or_default();
    let public = access
        .public
        .iter()
        .any(|p| faxbot_policy::capability::names::route_matches(p, &path));
    if public {
        // No key to hold to its rate: a public route has one bucket per plugin, at the keys'
        // rate, so an anonymous flood cannot keep the plugin busy for everyone.
        state
            .limiter()
            .take(&format!("public-route:{id}"))
            .map_err(ApiError::rate_limited)?;
    } else {
        let scope =
            crate::auth::Scope::parse(&access.scope).unwrap_or(crate::auth::Scope::PluginsRead);
        let principal = check_access(state, Access::Scope(scope), request.headers())
            .await?
            .ok_or_else(|| ApiError::unauthorized("this route needs an API key"))?;
        if !principal.may_access(plugin.tenant.as_deref()) {
            return Err(ApiError::forbidden("the plugin belongs to another tenant"));
        }
    }
    let (parts, body) = request.into_parts();
    let limit = state.settings().json_limit;
    let body = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| ApiError::too_large("the request body is larger than a plugin route takes"))?;
    let headers = parts
        .headers
        .iter()
        .filter(|(name, _)| PASSED_REQUEST_HEADERS.contains(&name.as_str()))
        .filter_map(|(name, value)| {
            Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
        })
        .collect();
    let call = RouteCall {
        method: parts.method.as_str().to_owned(),
        path,
        query: parts.uri.query().unwrap_or_default().to_owned(),
        headers,
        body: body.to_vec(),
    };
    let answer = match state.runtime().serve_route(id, call).await {
        Ok(answer) => answer,
        Err(RouteFailure::NotRunning) => {
            let mut response = ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "plugin_unavailable",
                "the plugin is not running; retry later",
            )
            .into_response();
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from_static(RETRY_AFTER_SECS),
            );
            return Ok(response);
        }
        Err(RouteFailure::NotGranted) => return Err(ApiError::not_found("no such route")),
        Err(RouteFailure::Timeout) => {
            return Err(ApiError::new(
                StatusCode::GATEWAY_TIMEOUT,
                "plugin_timeout",
                "the plugin did not answer in time",
            ));
        }
        Err(RouteFailure::Failed(code)) => {
            return Err(ApiError::new(
                StatusCode::BAD_GATEWAY,
                "plugin_failed",
                format!("the plugin failed to answer ({code})"),
            ));
        }
    };
    let bad_gateway =
        |why: &str| ApiError::new(StatusCode::BAD_GATEWAY, "plugin_bad_answer", why.to_owned());
    let status = StatusCode::from_u16(answer.status)
        .ok()
        .filter(|s| (200..=599).contains(&s.as_u16()))
        .ok_or_else(|| bad_gateway("the plugin answered an invalid status"))?;
    if answer.body.len() > MAX_ANSWER_BYTES {
        return Err(bad_gateway("the plugin's answer is larger than allowed"));
    }
    let mut response = Response::new(Body::from(answer.body));
    *response.status_mut() = status;
    let out = response.headers_mut();
    for (name, value) in &answer.headers {
        let lower = name.to_ascii_lowercase();
        if !PASSED_ANSWER_HEADERS.contains(&lower.as_str()) {
            continue;
        }
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(lower.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            out.insert(name, value);
        }
    }
    out.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    out.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    Ok(response)
}
