//! `/v1/trust…`: the operator's trust store, changed through the API (platform keys with
//! `trust:manage`). A revocation stops the plugins it affects at once.

use super::{Caller, JsonBody};
use crate::error::{ApiError, ErrorBody};
use crate::lifecycle;
use crate::state::AppState;
use crate::trust_file::{self, NewTrustedKey};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use faxbot_audit::{Outcome, Target};
use faxbot_policy::package::PackageDigest;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

/// A trusted key as listed.
#[derive(Serialize, ToSchema)]
pub struct TrustedKeyView {
    /// Fingerprint, as signature files name it.
    pub fingerprint: String,
    /// Publisher it signs for.
    pub publisher: String,
    /// `curated`, `verified` or `community`.
    pub tier: String,
    /// `ed25519`, `openpgp` or `sigstore`.
    pub scheme: String,
    /// The operator's note.
    pub note: String,
}

/// The trust store.
#[derive(Serialize, ToSchema)]
pub struct TrustView {
    /// Trusted keys.
    pub keys: Vec<TrustedKeyView>,
    /// Revoked key fingerprints.
    pub revoked_keys: Vec<String>,
    /// Revoked package digests.
    pub revoked_packages: Vec<String>,
}

fn trust_error(e: trust_file::TrustFileError) -> ApiError {
    match e {
        trust_file::TrustFileError::Invalid(e) => {
            ApiError::invalid("invalid_trust_change", e.to_string())
        }
        other => {
            tracing::error!(error = %other, "trust store file");
            ApiError::internal("writing the trust store")
        }
    }
}

/// The trust store in force.
#[utoipa::path(get, path = "/v1/trust", tag = "trust", security(("bearer" = [])),
    responses((status = 200, body = TrustView), (status = 403, body = ErrorBody)))]
pub async fn show(State(state): State<AppState>) -> Result<Json<TrustView>, ApiError> {
    let trust = state.trust();
    let (revoked_keys, revoked_packages) = state.trust_revocations();
    Ok(Json(TrustView {
        keys: trust
            .keys()
            .iter()
            .map(|(fp, k)| TrustedKeyView {
                fingerprint: fp.clone(),
                publisher: k.publisher.clone(),
                tier: k.tier.to_string(),
                scheme: k.key.scheme().to_string(),
                note: k.note.clone(),
            })
            .collect(),
        revoked_keys,
        revoked_packages,
    }))
}

/// A key to trust.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddTrustedKey {
    /// The publisher it signs for (a manifest's `publisher`).
    pub publisher: String,
    /// `curated`, `verified` or `community`.
    pub tier: String,
    /// `ed25519`, `openpgp` or `sigstore`.
    pub scheme: String,
    /// The public key: `ed25519:<base64>`, an armoured OpenPGP certificate, or a PEM key.
    /// Absent for a keyless sigstore publisher.
    #[serde(default)]
    pub public_key: String,
    /// A keyless sigstore publisher (`scheme` `sigstore`, no `public_key`): the exact
    /// identity its Fulcio certificates carry (a workflow URL or an e-mail address).
    /// Needs `[sigstore] trusted_root` in `trust.toml`.
    #[serde(default)]
    pub sigstore_identity: Option<String>,
    /// With `sigstore_identity`: the OIDC issuer that vouched for it.
    #[serde(default)]
    pub sigstore_issuer: Option<String>,
    /// A note.
    #[serde(default)]
    pub note: String,
}

impl AddTrustedKey {
    /// The keyless identity and issuer, when the request names one; an error saying what is
    /// wrong with a request that mixes the two kinds or lacks a key.
    fn keyless(&self) -> Result<Option<(&str, &str)>, ApiError> {
        let invalid = |field: &'static str, message: &'static str| {
            Err(ApiError::invalid("invalid_trust_change", message).with_field(field))
        };
        match (&self.sigstore_identity, &self.sigstore_issuer) {
            (None, None) if self.public_key.trim().is_empty() => invalid(
                "public_key",
                "public_key: required (or sigstore_identity and sigstore_issuer for a keyless sigstore publisher)",
            ),
            (None, None) => Ok(None),
            (Some(_), Some(_)) if self.scheme != "sigstore" => invalid(
                "scheme",
                "scheme: a keyless publisher (sigstore_identity) is scheme sigstore",
            ),
            (Some(_), Some(_)) if !self.public_key.is_empty() => invalid(
                "public_key",
                "public_key: a keyless publisher has none; give either a key or sigstore_identity and sigstore_issuer",
            ),
            (Some(identity), Some(issuer)) => Ok(Some((identity, issuer))),
            (None, Some(_)) => invalid(
                "sigstore_identity",
                "sigstore_identity: required with sigstore_issuer",
            ),
            (Some(_), None) => invalid(
                "sigstore_issuer",
                "sigstore_issuer: required with sigstore_identity",
            ),
        }
    }
}

/// Trust a publisher key (written to `DIR/trust.toml`).
#[utoipa::path(post, path = "/v1/trust/keys", tag = "trust", security(("bearer" = [])),
    request_body = AddTrustedKey,
    responses((status = 201, body = TrustView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_key(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(request): JsonBody<AddTrustedKey>,
) -> Result<(StatusCode, Json<TrustView>), ApiError> {
    if !matches!(request.scheme.as_str(), "ed25519" | "openpgp" | "sigstore") {
        return Err(ApiError::invalid(
            "invalid_trust_change",
            "scheme: ed25519, openpgp or sigstore",
        )
        .with_field("scheme"));
    }
    let keyless = request.keyless()?;
    let _guard = state.lifecycle_lock().await;
    // The change is parsed back before it is written: an invalid key writes nothing.
    state
        .audit(
            &principal,
            "trust.key.add",
            None,
            Outcome::Success,
            json!({
                "publisher": request.publisher,
                "tier": request.tier,
                "scheme": request.scheme,
                "keyless": keyless.is_some(),
            }),
        )
        .await?;
    let store = trust_file::add_key(
        state.trust_path(),
        &NewTrustedKey {
            publisher: &request.publisher,
            tier: &request.tier,
            scheme: &request.scheme,
            public_key: &request.public_key,
            keyless,
            note: &request.note,
        },
    )
    .map_err(trust_error)?;
    state.set_trust(store);
    drop(_guard);
    Ok((StatusCode::CREATED, show(State(state)).await?))
}

/// A revocation: a key fingerprint or a package digest (or both).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Revocation {
    /// A signing key's fingerprint.
    pub key: Option<String>,
    /// A package digest, `sha256:…`.
    pub package: Option<String>,
    /// Why (audited).
    pub reason: Option<String>,
}

/// What a revocation did.
#[derive(Serialize, ToSchema)]
pub struct RevocationOutcome {
    /// Plugins stopped and disabled because of it.
    pub stopped: Vec<String>,
}

/// Revoke a key or a package digest: written to the trust store, and every running plugin
/// signed by that key (or with that digest) is stopped and disabled at once.
#[utoipa::path(post, path = "/v1/trust/revocations", tag = "trust", security(("bearer" = [])),
    request_body = Revocation,
    responses((status = 200, body = RevocationOutcome), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn revoke(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(request): JsonBody<Revocation>,
) -> Result<Json<RevocationOutcome>, ApiError> {
    let key = request
        .key
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty());
    let package = request
        .package
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty());
    if key.is_none() && package.is_none() {
        return Err(ApiError::invalid(
            "invalid_revocation",
            "give `key` (a fingerprint) or `package` (a digest)",
        ));
    }
    if let Some(k) = key
        && (k.len() > 200 || k.chars().any(|c| c.is_control() || c.is_whitespace()))
    {
        return Err(
            ApiError::invalid("invalid_revocation", "key: not a key fingerprint").with_field("key"),
        );
    }
    if let Some(p) = package
        && PackageDigest::parse(p).is_err()
    {
        return Err(ApiError::invalid(
            "invalid_revocation",
            "package: not a package digest (sha256:<64 hex>)",
        )
        .with_field("package"));
    }
    {
        let _guard = state.lifecycle_lock().await;
        state
            .audit(
                &principal,
                "trust.revoke",
                Target::new("trust", "store").ok(),
                Outcome::Success,
                json!({"key": key, "package": package, "reason": request.reason}),
            )
            .await?;
        let mut store = None;
        if let Some(k) = key {
            store = Some(trust_file::revoke_key(state.trust_path(), k).map_err(trust_error)?);
        }
        if let Some(p) = package {
            store = Some(trust_file::revoke_package(state.trust_path(), p).map_err(trust_error)?);
        }
        if let Some(store) = store {
            state.set_trust(store);
        }
    }
    let stopped = lifecycle::enforce_trust(&state).await?;
    Ok(Json(RevocationOutcome { stopped }))
}
