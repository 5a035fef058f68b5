//! `/v1/whoami`, `/v1/keys…`, `/v1/tenants`: API keys and tenants.
//!
//! A key can only make keys with scopes it has itself, for its own tenant (a platform key
//! for any tenant or the platform), so no key can mint a stronger one.

use super::{Caller, JsonBody, PathId};
use crate::auth::Scope;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;
use crate::time::{format_ms, now_ms, parse_rfc3339_ms};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use faxbot_audit::{Outcome, Target};
use faxbot_store::{ApiKeyRecord, Tenant};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

/// Who a key is.
#[derive(Serialize, ToSchema)]
pub struct WhoAmI {
    /// The key's public id.
    pub key_id: String,
    /// Its tenant; absent for a platform key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// Its scopes.
    pub scopes: Vec<String>,
}

/// The calling key: id, tenant, scopes.
#[utoipa::path(get, path = "/v1/whoami", tag = "keys", security(("bearer" = [])),
    responses((status = 200, body = WhoAmI), (status = 401, body = ErrorBody)))]
pub async fn whoami(Caller(principal): Caller) -> Json<WhoAmI> {
    Json(WhoAmI {
        key_id: principal.key_id,
        tenant: principal.tenant,
        scopes: principal
            .scopes
            .iter()
            .map(|s| s.name().to_owned())
            .collect(),
    })
}

/// A key as listed (never its secret or hash).
#[derive(Serialize, ToSchema)]
pub struct KeyView {
    /// Public id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Tenant; absent for a platform key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// Scopes.
    pub scopes: Vec<String>,
    /// Created, RFC 3339.
    pub created_at: String,
    /// The key that created it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// Expiry, RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// Revocation time, RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
}

impl KeyView {
    fn of(k: &ApiKeyRecord) -> Self {
        Self {
            id: k.id.clone(),
            name: k.name.clone(),
            tenant: k.tenant.clone(),
            scopes: k.scopes.clone(),
            created_at: format_ms(k.created_at_ms),
            created_by: k.created_by.clone(),
            expires_at: k.expires_at_ms.map(format_ms),
            revoked_at: k.revoked_at_ms.map(format_ms),
        }
    }
}

/// A list of keys.
#[derive(Serialize, ToSchema)]
pub struct KeyList {
    /// The keys this key may see (its tenant's, or all for a platform key).
    pub keys: Vec<KeyView>,
}

/// The keys of the caller's tenant (every key for a platform key).
#[utoipa::path(get, path = "/v1/keys", tag = "keys", security(("bearer" = [])),
    responses((status = 200, body = KeyList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Caller(principal): Caller,
) -> Result<Json<KeyList>, ApiError> {
    let keys = state
        .store()
        .api_keys()?
        .iter()
        .filter(|k| principal.may_access(k.tenant.as_deref()))
        .map(KeyView::of)
        .collect();
    Ok(Json(KeyList { keys }))
}

/// A key to create.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateKey {
    /// A name for people (1–80 characters).
    pub name: String,
    /// Scopes; each must be one the creating key has.
    pub scopes: Vec<String>,
    /// The tenant; a tenant key may only name its own (the default).
    pub tenant: Option<String>,
    /// When it stops working, RFC 3339.
    pub expires_at: Option<String>,
}

/// A created key: the only time its secret is shown.
#[derive(Serialize, ToSchema)]
pub struct CreatedKey {
    /// The key, `fxb_<id>_<secret>`: store it now, it is not shown again.
    pub key: String,
    /// Its record.
    #[serde(flatten)]
    pub record: KeyView,
}

/// Create a key. Its scopes must be a subset of the caller's; a tenant key creates keys for
/// its own tenant only.
#[utoipa::path(post, path = "/v1/keys", tag = "keys", security(("bearer" = [])),
    request_body = CreateKey,
    responses((status = 201, body = CreatedKey), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(request): JsonBody<CreateKey>,
) -> Result<(StatusCode, Json<CreatedKey>), ApiError> {
    let name = crate::text::plain(&request.name, 80).ok_or_else(|| {
        ApiError::invalid(
            "invalid_key",
            "name: 1 to 80 characters, no control or invisible formatting characters",
        )
        .with_field("name")
    })?;
    let mut scopes = Vec::new();
    for (i, s) in request.scopes.iter().enumerate() {
        let scope = Scope::parse(s).ok_or_else(|| {
            ApiError::invalid("invalid_key", format!("scopes[{i}]: not a scope (plugins:read, plugins:install, plugins:approve, plugins:operate, trust:manage, audit:read, keys:manage, fax:send, fax:read)"))
                .with_field(format!("scopes[{i}]"))
        })?;
        if !principal.has(scope) {
            return Err(ApiError::forbidden(format!(
                "a key can only grant scopes it has; this one lacks {scope}"
            )));
        }
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    if scopes.is_empty() {
        return Err(
            ApiError::invalid("invalid_key", "scopes: give at least one").with_field("scopes"),
        );
    }
    let tenant = match (&principal.tenant, request.tenant) {
        (Some(mine), None) => Some(mine.clone()),
        (Some(mine), Some(t)) if *mine == t => Some(t),
        (Some(_), Some(_)) => {
            return Err(ApiError::forbidden(
                "a tenant key creates keys for its own tenant only",
            ));
        }
        (None, Some(t)) => {
            if state.store().tenant(&t)?.is_none() {
                return Err(
                    ApiError::invalid("unknown_tenant", "no tenant with that id")
                        .with_field("tenant"),
                );
            }
            Some(t)
        }
        (None, None) => None,
    };
    let now = now_ms();
    let expires_at_ms = match &request.expires_at {
        Some(text) => {
            let at = parse_rfc3339_ms(text).map_err(|why| {
                ApiError::invalid("invalid_expiry", format!("expires_at: {why}"))
                    .with_field("expires_at")
            })?;
            if at <= now {
                return Err(
                    ApiError::invalid("invalid_expiry", "expires_at is in the past")
                        .with_field("expires_at"),
                );
            }
            Some(at)
        }
        None => None,
    };
    let new = state
        .hasher()
        .generate()
        .map_err(|_| ApiError::internal("drawing random bytes"))?;
    let record = ApiKeyRecord {
        id: new.id.clone(),
        name,
        tenant,
        scopes: scopes.iter().map(|s| s.name().to_owned()).collect(),
        secret_hash: new.secret_hash.clone(),
        created_at_ms: now,
        created_by: Some(principal.key_id.clone()),
        expires_at_ms,
        revoked_at_ms: None,
    };
    state
        .audit(
            &principal,
            "key.create",
            Target::new("api_key", &new.id).ok(),
            Outcome::Success,
            json!({"key_tenant": record.tenant, "scopes": record.scopes, "expires_at": request.expires_at}),
        )
        .await?;
    state.store().create_api_key(&record)?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedKey {
            key: new.token,
            record: KeyView::of(&record),
        }),
    ))
}

/// Revoke a key: it stops working at once.
#[utoipa::path(delete, path = "/v1/keys/{id}", tag = "keys", security(("bearer" = [])),
    params(("id" = String, Path, description = "The key's public id")),
    responses((status = 204, description = "Revoked"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
) -> Result<StatusCode, ApiError> {
    let key = state
        .store()
        .api_key(&id)?
        .ok_or_else(|| ApiError::not_found("no key with that id"))?;
    if !principal.may_access(key.tenant.as_deref()) {
        return Err(ApiError::forbidden("the key belongs to another tenant"));
    }
    state
        .audit(
            &principal,
            "key.revoke",
            Target::new("api_key", &id).ok(),
            Outcome::Success,
            json!({}),
        )
        .await?;
    state.store().revoke_api_key(&id, now_ms())?;
    state.forget_key(&id);
    Ok(StatusCode::NO_CONTENT)
}

/// A tenant.
#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct TenantView {
    /// Its id: 1–64 of letters, digits, `.`, `_`, `-`.
    pub id: String,
    /// It handles PHI under HIPAA rules: only HIPAA-compliant plugins for it.
    #[serde(default)]
    pub hipaa_mode: bool,
}

/// A list of tenants.
#[derive(Serialize, ToSchema)]
pub struct TenantList {
    /// The tenants.
    pub tenants: Vec<TenantView>,
}

/// Every tenant (platform keys).
#[utoipa::path(get, path = "/v1/tenants", tag = "keys", security(("bearer" = [])),
    responses((status = 200, body = TenantList), (status = 403, body = ErrorBody)))]
pub async fn list_tenants(State(state): State<AppState>) -> Result<Json<TenantList>, ApiError> {
    Ok(Json(TenantList {
        tenants: state
            .store()
            .tenants()?
            .into_iter()
            .map(|t| TenantView {
                id: t.id,
                hipaa_mode: t.hipaa_mode,
            })
            .collect(),
    }))
}

/// Create a tenant (platform keys).
#[utoipa::path(post, path = "/v1/tenants", tag = "keys", security(("bearer" = [])),
    request_body = TenantView,
    responses((status = 201, body = TenantView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_tenant(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(request): JsonBody<TenantView>,
) -> Result<(StatusCode, Json<TenantView>), ApiError> {
    let id_ok = faxbot_audit::TenantId::new(request.id.clone()).is_ok();
    if !id_ok {
        return Err(ApiError::invalid(
            "invalid_tenant",
            "id: 1 to 64 of letters, digits, '.', '_' and '-'",
        )
        .with_field("id"));
    }
    state
        .audit(
            &principal,
            "tenant.create",
            Target::new("tenant", &request.id).ok(),
            Outcome::Success,
            json!({"hipaa_mode": request.hipaa_mode}),
        )
        .await?;
    state.store().create_tenant(&Tenant {
        id: request.id.clone(),
        hipaa_mode: request.hipaa_mode,
        created_at_ms: now_ms(),
    })?;
    Ok((StatusCode::CREATED, Json(request)))
}
