//! A plugin's admin-set configuration: the values of the settings its manifest declares under
//! `[config]`, checked against that schema (types, bounds, required settings, unknown keys)
//! before anything is stored, handed to the plugin in the handshake. A running plugin is
//! restarted to take them. The audit record names the settings changed, never their values.

use super::{Caller, PathId};
use crate::error::{ApiError, ErrorBody};
use crate::lifecycle;
use crate::state::{AppState, plugin_target};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use faxbot_audit::Outcome;
use faxbot_policy::manifest::Manifest;

fn manifest_of(
    state: &AppState,
    id: &str,
    plugin: &faxbot_store::PluginRecord,
) -> Result<Manifest, ApiError> {
    let version = plugin
        .active_version
        .clone()
        .or_else(|| plugin.pending_version.clone())
        .ok_or_else(|| ApiError::conflict("no_version", "the plugin has no version"))?;
    let record = state
        .store()
        .version(id, &version)?
        .ok_or_else(|| ApiError::internal("reading the plugin's version"))?;
    Manifest::parse_bytes(&record.manifest, &state.settings().ceilings)
        .map_err(|_| ApiError::internal("reading the stored manifest"))
}

/// The plugin's configuration as the admin set it (defaults are not shown).
#[utoipa::path(get, path = "/v1/plugins/{id}/config", tag = "plugins", security(("bearer" = [])),
    params(("id" = String, Path, description = "Plugin id")),
    responses((status = 200, description = "The settings set, as a JSON object"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
) -> Result<Json<serde_json::Value>, ApiError> {
    lifecycle::visible_plugin(&state, &principal, &id)?;
    let stored = state.store().plugin_config(&id)?;
    let value = stored
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_else(|| serde_json::json!({}));
    Ok(Json(value))
}

/// Replace the plugin's configuration (a JSON object of its `[config]` settings); a running
/// plugin restarts with it.
#[utoipa::path(put, path = "/v1/plugins/{id}/config", tag = "plugins", security(("bearer" = [])),
    params(("id" = String, Path, description = "Plugin id")),
    request_body(content = Object, content_type = "application/json"),
    responses((status = 200, description = "Stored; the settings set"), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
    body: Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let plugin = lifecycle::visible_plugin(&state, &principal, &id)?;
    let value: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::invalid("invalid_json", format!("the body is not JSON: {e}")))?;
    let values =
        lifecycle::config_from_json(&value).map_err(|e| ApiError::invalid("invalid_config", e))?;
    let manifest = manifest_of(&state, &id, &plugin)?;
    manifest
        .config
        .validate(&values)
        .map_err(|e| ApiError::invalid("invalid_config", e.to_string()))?;
    let keys: Vec<&String> = value
        .as_object()
        .map(|o| o.keys().collect())
        .unwrap_or_default();
    state
        .audit(
            &principal,
            "plugin.config.set",
            plugin_target(&id),
            Outcome::Success,
            serde_json::json!({"settings": keys}),
        )
        .await?;
    state
        .store()
        .set_plugin_config(&id, &value.to_string(), crate::time::now_ms())?;
    if plugin.desired == faxbot_store::DesiredState::Running {
        state.runtime().stop(&id).await;
        if let Err(e) = lifecycle::start_checked(&state, &id).await {
            tracing::warn!(plugin = %id, error = %e, "restart with the new configuration failed");
        }
    }
    Ok(Json(value))
}
