//! `/healthz`, `/readyz`, `/metrics`, `/openapi.json`: public, no key.

use crate::error::ApiError;
use crate::lifecycle;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// A health answer.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: String,
}

/// A readiness answer: each check and whether it passed.
#[derive(Serialize, ToSchema)]
pub struct Readiness {
    /// `ready` or `not_ready`.
    pub status: String,
    /// The state store answers.
    pub store: bool,
    /// The audit trail takes records.
    pub audit: bool,
    /// The jail layers plugins need are present.
    pub jail: bool,
    /// What is missing, in words.
    pub problems: Vec<String>,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "health",
    responses((status = 200, description = "Alive", body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok".to_owned(),
    })
}

fn audit_dir_writable(state: &AppState) -> Result<(), String> {
    let dir = state.audit_trail().dir();
    let probe = dir.join(".ready-probe");
    std::fs::write(&probe, b"")
        .and_then(|()| std::fs::remove_file(&probe))
        .map_err(|e| format!("audit directory {} is not writable: {e}", dir.display()))
}

/// Ready for traffic: the store is open, the audit trail writable, the jail's required layers
/// present. 503 otherwise, with the problems listed.
#[utoipa::path(get, path = "/readyz", tag = "health",
    responses((status = 200, description = "Ready", body = Readiness),
              (status = 503, description = "Not ready", body = Readiness)))]
pub async fn readyz(State(state): State<AppState>) -> Response {
    let mut problems = Vec::new();
    let store = match state.store().ping() {
        Ok(()) => true,
        Err(e) => {
            problems.push(format!("state store: {e}"));
            false
        }
    };
    let mut audit = !state.audit_has_failed();
    if !audit {
        problems.push("the audit trail has refused a record since start".to_owned());
    }
    if let Err(why) = audit_dir_writable(&state) {
        problems.push(why);
        audit = false;
    }
    let jail = match state.runtime().ready() {
        Ok(()) => true,
        Err(why) => {
            problems.push(why);
            false
        }
    };
    let ready = store && audit && jail;
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(Readiness {
            status: if ready { "ready" } else { "not_ready" }.to_owned(),
            store,
            audit,
            jail,
            problems,
        }),
    )
        .into_response()
}

/// Prometheus text: requests by route and status, latency, plugins by state, restarts,
/// calls, denials.
#[utoipa::path(get, path = "/metrics", tag = "health",
    responses((status = 200, description = "Prometheus text exposition", content_type = "text/plain", body = String)))]
pub async fn metrics(State(state): State<AppState>) -> Response {
    let states = lifecycle::states(&state);
    let text = state.metrics().render(state.runtime(), &states);
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

/// This document (OpenAPI 3.1, generated from the routes).
#[utoipa::path(get, path = "/openapi.json", tag = "health",
    responses((status = 200, description = "The OpenAPI document", body = Object)))]
pub async fn openapi_json(State(state): State<AppState>) -> Result<Response, ApiError> {
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        state.openapi_json().to_owned(),
    )
        .into_response())
}
