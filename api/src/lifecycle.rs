//! The plugin lifecycle's rules: upload (verify before writing anything), review, approve
//! (narrower grants, expiry, four-eyes), reject, start, stop, restart, clear a quarantine,
//! uninstall, upgrade with its grant diff, revocation, reconcile at start.
//!
//! Every admin action is recorded in the audit trail before it is done; when the trail
//! refuses, the action is refused (503). State changes run one at a time (the lifecycle
//! lock), so two admins cannot interleave an approval and an uninstall.

use crate::auth::{Principal, Scope};
use crate::error::ApiError;
use crate::runtime::{RunSpec, RunState, RuntimeStatus};
use crate::state::{AppState, plugin_target};
use crate::time::{format_ms, now_ms, parse_rfc3339_ms};
use crate::views::{
    ApprovalView, CapabilityView, GrantView, ManifestView, PluginView, ReviewView, UpgradeView,
};
use axum::http::StatusCode;
use faxbot_audit::{Actor, Outcome};
use faxbot_policy::capability::{Capability, Grant, Grants, upgrade_diff};
use faxbot_policy::manifest::Manifest;
use faxbot_policy::marketplace::{self, InstallSource, Listing};
use faxbot_policy::package::{Package, canonical_digest, read_package};
use faxbot_policy::signature::SignatureFile;
use faxbot_store::{ApprovalRecord, DesiredState, PackageArea, PluginRecord, VersionRecord};
use serde_json::json;
use std::collections::BTreeSet;
use std::sync::Arc;

/// Fault-injection points for the crash-safety test: when the environment variable
/// `FAXBOT_CRASH_AT` names one, the process kills itself with SIGKILL there.
pub fn crash_point(name: &str) {
    if std::env::var("FAXBOT_CRASH_AT").is_ok_and(|v| v == name) {
        // SIGKILL: no destructor, no flush, as a power cut or the OOM killer would.
        let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGKILL);
        std::process::abort();
    }
}

/// An upload's parts.
pub struct Upload {
    /// The `.fxp` bytes.
    pub package: Vec<u8>,
    /// The `.fxp.sig` bytes.
    pub signature: Vec<u8>,
    /// A platform key may install for a tenant.
    pub tenant: Option<String>,
    /// Force a downgrade.
    pub force: bool,
    /// The reason for a forced downgrade.
    pub reason: Option<String>,
}

/// The approve body.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveRequest {
    /// The grants approved: a list of capabilities as the review shows them, or an object in
    /// the manifest's `[capabilities]` form. Absent: everything requested.
    #[schema(value_type = Object)]
    pub grants: Option<serde_json::Value>,
    /// When every grant of this approval expires, RFC 3339.
    pub expires_at: Option<String>,
    /// Start the plugin once approved (default true).
    pub start: Option<bool>,
    /// Granted route patterns anyone may call without a key (`/ext/{id}/...`); every other
    /// route needs a key with `route_scope`. Default: none public.
    pub public_routes: Option<Vec<String>>,
    /// The scope a key needs to call the plugin's private routes (default `plugins:read`).
    pub route_scope: Option<String>,
}

/// Who may call the routes, from an approval request: public patterns must be granted routes.
fn route_access(
    request: &ApproveRequest,
    chosen: &[Grant],
) -> Result<faxbot_store::RouteAccess, ApiError> {
    let granted: Vec<&str> = chosen
        .iter()
        .filter_map(|g| match &g.capability {
            Capability::Route(r) => Some(r.as_str()),
            _ => None,
        })
        .collect();
    let public = request.public_routes.clone().unwrap_or_default();
    for (i, route) in public.iter().enumerate() {
        if !granted.contains(&route.as_str()) {
            return Err(ApiError::invalid(
                "route_not_granted",
                format!("public_routes[{i}]: `{route}` is not one of the routes granted"),
            )
            .with_field("public_routes"));
        }
    }
    let scope = request
        .route_scope
        .clone()
        .unwrap_or_else(|| crate::auth::Scope::PluginsRead.name().to_owned());
    if crate::auth::Scope::parse(&scope).is_none() {
        return Err(ApiError::invalid(
            "unknown_scope",
            format!("route_scope: `{scope}` is not a scope"),
        )
        .with_field("route_scope"));
    }
    Ok(faxbot_store::RouteAccess { public, scope })
}

/// A stored version's manifest, parsed once per package digest (the digest covers the bytes).
fn parse_manifest(state: &AppState, version: &VersionRecord) -> Result<Arc<Manifest>, ApiError> {
    let digest = version.verified.digest;
    if let Some(manifest) = state.cached_manifest(&digest) {
        return Ok(manifest);
    }
    let manifest = Manifest::parse_bytes(&version.manifest, &state.settings().ceilings).map_err(|e| {
        tracing::error!(plugin = %version.plugin_id, error = %e, "stored manifest no longer parses");
        ApiError::internal("reading the stored manifest")
    })?;
    Ok(state.cache_manifest(digest, manifest))
}

/// The tenant the principal acts for on an install: its own, or for a platform key, the one
/// it names (which must exist).
fn install_tenant(
    state: &AppState,
    principal: &Principal,
    requested: Option<String>,
) -> Result<Option<String>, ApiError> {
    match (&principal.tenant, requested) {
        (Some(mine), None) => Ok(Some(mine.clone())),
        (Some(mine), Some(other)) if *mine == other => Ok(Some(other)),
        (Some(_), Some(_)) => Err(ApiError::forbidden(
            "a tenant key installs only for its own tenant",
        )),
        (None, None) => Ok(None),
        (None, Some(t)) => {
            if state.store().tenant(&t)?.is_none() {
                return Err(
                    ApiError::invalid("unknown_tenant", "no tenant with that id")
                        .with_field("tenant"),
                );
            }
            Ok(Some(t))
        }
    }
}

fn tenant_hipaa(state: &AppState, tenant: Option<&str>) -> Result<bool, ApiError> {
    Ok(match tenant {
        Some(t) => state.store().tenant(t)?.is_some_and(|t| t.hipaa_mode),
        None => false,
    })
}

/// Loads a plugin the principal may act on: 404 when absent, 403 when another tenant's.
pub fn visible_plugin(
    state: &AppState,
    principal: &Principal,
    id: &str,
) -> Result<PluginRecord, ApiError> {
    let plugin = if faxbot_policy::manifest::check_id(id).is_ok() {
        state.store().plugin(id)?
    } else {
        None
    };
    let plugin = plugin.ok_or_else(|| ApiError::not_found("no plugin with that id"))?;
    if !principal.may_access(plugin.tenant.as_deref()) {
        return Err(ApiError::forbidden("the plugin belongs to another tenant"));
    }
    Ok(plugin)
}

fn verify_upload(
    state: &AppState,
    upload: &Upload,
) -> Result<(Package, faxbot_policy::trust::Verified), ApiError> {
    let settings = state.settings();
    let package = read_package(
        &upload.package[..],
        &settings.package_limits,
        &settings.ceilings,
    )
    .map_err(|e| ApiError::invalid("package_invalid", e.to_string()).with_field("package"))?;
    let signature = SignatureFile::parse(&upload.signature).map_err(|e| {
        ApiError::invalid("signature_invalid", e.to_string()).with_field("signature")
    })?;
    let verified = state
        .trust()
        .verify(
            &package,
            Some(&signature),
            settings.marketplace.trust_tier,
            now_ms(),
        )
        .map_err(|e| {
            ApiError::invalid("package_untrusted", e.to_string()).with_field("signature")
        })?;
    let manifest = package.manifest();
    if manifest.min_core_version > *state.core_version() {
        return Err(ApiError::invalid(
            "core_too_old",
            format!(
                "the plugin needs core {} or newer; this is {}",
                manifest.min_core_version,
                state.core_version()
            ),
        ));
    }
    Ok((package, verified))
}

/// `POST /v1/plugins`.
pub async fn install(
    state: &AppState,
    principal: &Principal,
    upload: Upload,
) -> Result<(StatusCode, PluginView), ApiError> {
    let checked = verify_upload(state, &upload);
    let (package, verified) = match checked {
        Ok(ok) => ok,
        Err(refusal) => {
            state
                .audit(
                    principal,
                    "plugin.upload",
                    None,
                    Outcome::Denied,
                    json!({"code": refusal.body.code, "reason": refusal.body.message}),
                )
                .await?;
            return Err(refusal);
        }
    };
    let manifest = package.manifest().clone();
    let id = manifest.id.clone();
    let tenant = install_tenant(state, principal, upload.tenant.clone())?;
    let listing = Listing {
        plugin_id: id.clone(),
        hipaa_compliant: manifest.hipaa_compliant,
        tier: verified.tier,
    };
    let settings = state.settings();
    let hipaa = tenant_hipaa(state, tenant.as_deref())?;
    if let Err(denial) = marketplace::check_install(
        &settings.marketplace,
        marketplace::Tenant { hipaa_mode: hipaa },
        &listing,
        InstallSource::Upload,
    ) {
        state
            .audit(
                principal,
                "plugin.upload",
                plugin_target(&id),
                Outcome::Denied,
                json!({"reason": denial.to_string()}),
            )
            .await?;
        return Err(ApiError::invalid(
            "not_allowed_for_tenant",
            denial.to_string(),
        ));
    }

    let _guard = state.lifecycle_lock().await;
    let existing = state.store().plugin(&id)?;
    let now = now_ms();
    let digest_hex = hex::encode(verified.digest.0);
    let files_dir = PackageArea::files_dir_for(&id, &digest_hex).map_err(|_| {
        ApiError::invalid("package_invalid", "the plugin id cannot name a directory")
    })?;
    let mut version = VersionRecord {
        plugin_id: id.clone(),
        version: manifest.version.to_string(),
        verified: verified.clone(),
        manifest: package.manifest_bytes().to_vec(),
        files_dir: files_dir.clone(),
        uploaded_by: principal.key_id.clone(),
        uploaded_at_ms: now,
        grants: None,
        approved_at_ms: None,
        note: None,
    };
    let details = json!({
        "version": version.version,
        "digest": verified.digest.to_string(),
        "key": verified.key,
        "publisher": verified.publisher,
        "tier": verified.tier.to_string(),
    });

    let Some(plugin) = existing else {
        // A first install: pending approval.
        state
            .audit(
                principal,
                "plugin.upload",
                plugin_target(&id),
                Outcome::Success,
                details,
            )
            .await?;
        let staged = state.packages().stage(package.files()).map_err(store_io)?;
        crash_point("install.staged");
        state
            .packages()
            .commit(staged, &files_dir)
            .map_err(store_io)?;
        crash_point("install.renamed");
        let record = PluginRecord {
            id: id.clone(),
            tenant,
            desired: DesiredState::PendingApproval,
            reason: None,
            active_version: None,
            pending_version: Some(version.version.clone()),
            created_at_ms: now,
            updated_at_ms: now,
        };
        state
            .store()
            .install_new(&record, &version)
            .map_err(|e| undo_files(state, &files_dir, e))?;
        crash_point("install.committed");
        let plugin = state.store().plugin(&id)?.unwrap_or(record);
        return Ok((StatusCode::CREATED, plugin_view(state, &plugin)?));
    };

    // The same id exists: an upgrade, a downgrade, or a conflict.
    if !principal.may_access(plugin.tenant.as_deref()) {
        state
            .audit(
                principal,
                "plugin.upload",
                plugin_target(&id),
                Outcome::Denied,
                json!({"reason": "the plugin id belongs to another tenant"}),
            )
            .await?;
        return Err(ApiError::forbidden(
            "a plugin with this id belongs to another tenant",
        ));
    }
    if let Some(pending) = &plugin.pending_version {
        return Err(ApiError::conflict(
            "approval_pending",
            format!("version {pending} is waiting for approval; approve or reject it first"),
        ));
    }
    let Some(active_version) = plugin.active_version.clone() else {
        return Err(ApiError::conflict(
            "conflict",
            "the plugin has no installed version",
        ));
    };
    let active = state
        .store()
        .version(&id, &active_version)?
        .ok_or_else(|| ApiError::internal("reading the installed version"))?;
    let installed_semver = semver::Version::parse(&active.version)
        .map_err(|_| ApiError::internal("reading the installed version"))?;
    if manifest.version == installed_semver {
        return Err(ApiError::conflict(
            "version_installed",
            format!("version {} is already installed", manifest.version),
        ));
    }
    let downgrade = manifest.version < installed_semver;
    if downgrade {
        let reason = upload
            .reason
            .as_deref()
            .and_then(|r| crate::text::plain(r, 500))
            .unwrap_or_default();
        if !upload.force || reason.is_empty() || !principal.has(Scope::PluginsApprove) {
            state
                .audit(
                    principal,
                    "plugin.downgrade",
                    plugin_target(&id),
                    Outcome::Denied,
                    json!({"from": active.version, "to": version.version}),
                )
                .await?;
            return Err(ApiError::conflict(
                "downgrade_refused",
                format!(
                    "version {} is older than the installed {}; a key with plugins:approve may force it with force=true and a reason",
                    manifest.version, active.version
                ),
            ));
        }
        version.note = Some(reason);
    }
    let installed_grants = active
        .grants
        .clone()
        .ok_or_else(|| ApiError::internal("reading the installed grants"))?;
    let requested = manifest.capabilities.to_capabilities();
    let diff = upgrade_diff(&installed_grants, &requested, now);
    let mut details = details;
    details["from"] = json!(active.version);
    details["new_capabilities"] =
        json!(diff.new.iter().map(ToString::to_string).collect::<Vec<_>>());
    if let Some(note) = &version.note {
        details["forced_reason"] = json!(note);
    }
    if diff.needs_reapproval() || downgrade {
        // Waits for approval; the installed version keeps running.
        state
            .audit(
                principal,
                "plugin.upgrade.uploaded",
                plugin_target(&id),
                Outcome::Success,
                details,
            )
            .await?;
        let staged = state.packages().stage(package.files()).map_err(store_io)?;
        state
            .packages()
            .commit(staged, &files_dir)
            .map_err(store_io)?;
        crash_point("upgrade.renamed");
        state
            .store()
            .add_pending_version(&version, now)
            .map_err(|e| undo_files(state, &files_dir, e))?;
        crash_point("upgrade.committed");
    } else {
        // Asks for nothing new: the carried-over grants apply and it replaces the old one.
        state
            .audit(
                principal,
                "plugin.upgrade.applied",
                plugin_target(&id),
                Outcome::Success,
                details,
            )
            .await?;
        let grants = diff.carried_grants(&installed_grants, manifest.version.clone(), requested);
        version.grants = Some(grants);
        version.approved_at_ms = Some(now);
        let staged = state.packages().stage(package.files()).map_err(store_io)?;
        state
            .packages()
            .commit(staged, &files_dir)
            .map_err(store_io)?;
        crash_point("upgrade.renamed");
        let old = state
            .store()
            .replace_active_version(&version, now)
            .map_err(|e| undo_files(state, &files_dir, e))?;
        crash_point("upgrade.committed");
        if let Some(old) = old
            && old.files_dir != version.files_dir
        {
            let _ = state.packages().remove(&old.files_dir);
        }
        if plugin.desired == DesiredState::Running {
            state.runtime().stop(&id).await;
            let _ = start_checked(state, &id).await;
        }
    }
    let plugin = state
        .store()
        .plugin(&id)?
        .ok_or_else(|| ApiError::internal("reading the plugin"))?;
    Ok((StatusCode::CREATED, plugin_view(state, &plugin)?))
}

/// A version row that was not committed: its files, just moved in, go again (the sweep at
/// the next start would find them otherwise).
fn undo_files(state: &AppState, files_dir: &str, error: faxbot_store::StoreError) -> ApiError {
    let referenced = state
        .store()
        .all_versions()
        .map(|all| all.iter().any(|v| v.files_dir == files_dir))
        .unwrap_or(true);
    if !referenced {
        let _ = state.packages().remove(files_dir);
    }
    error.into()
}

fn store_io(error: faxbot_store::StoreError) -> ApiError {
    tracing::error!(error = %error, "package area");
    ApiError::internal("storing the package files")
}

/// The capabilities an approval grants: the body's (narrower) set or everything requested,
/// each with the body's expiry.
fn chosen_grants(
    request: &ApproveRequest,
    requested: &[Capability],
    now: u64,
) -> Result<Vec<Grant>, ApiError> {
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
    let capabilities = match &request.grants {
        Some(value) => crate::grants::parse_grants(value)?,
        None => requested.to_vec(),
    };
    Ok(capabilities
        .into_iter()
        .map(|capability| Grant {
            capability,
            expires_at_ms,
        })
        .collect())
}

fn same_grants(a: &[Grant], b: &[Grant]) -> bool {
    let key = |g: &Grant| serde_json::to_string(g).unwrap_or_default();
    a.iter().map(key).collect::<BTreeSet<_>>() == b.iter().map(key).collect::<BTreeSet<_>>()
}

/// `POST /v1/plugins/{id}/approve`.
pub async fn approve(
    state: &AppState,
    principal: &Principal,
    id: &str,
    request: ApproveRequest,
) -> Result<PluginView, ApiError> {
    let _guard = state.lifecycle_lock().await;
    let plugin = visible_plugin(state, principal, id)?;
    let Some(pending) = plugin.pending_version.clone() else {
        return Err(ApiError::conflict(
            "not_pending",
            "no version of this plugin is waiting for approval",
        ));
    };
    let version = state
        .store()
        .version(id, &pending)?
        .ok_or_else(|| ApiError::internal("reading the pending version"))?;
    let manifest = parse_manifest(state, &version)?;
    let settings = state.settings();
    if let Err(e) = state
        .trust()
        .recheck(&version.verified, settings.marketplace.trust_tier)
    {
        return Err(ApiError::conflict("package_untrusted", e.to_string()));
    }
    let now = now_ms();
    let requested = manifest.capabilities.to_capabilities();
    let chosen = chosen_grants(&request, &requested, now)?;
    let grants =
        Grants::approve(id, manifest.version.clone(), requested, chosen.clone()).map_err(|e| {
            ApiError::invalid("grant_not_requested", e.to_string()).with_field("grants")
        })?;
    let routes = route_access(&request, &chosen)?;
    let required = if settings.four_eyes { 2 } else { 1 };
    if settings.four_eyes && principal.key_id == version.uploaded_by {
        state
            .audit(
                principal,
                "plugin.approve",
                plugin_target(id),
                Outcome::Denied,
                json!({"version": pending, "reason": "four-eyes: the uploader may not approve"}),
            )
            .await?;
        return Err(ApiError::forbidden(
            "approvals.four_eyes is on: the key that uploaded a version may not approve it",
        ));
    }
    let earlier = state.store().approvals(id, &pending)?;
    if earlier.iter().any(|a| a.principal == principal.key_id) {
        return Err(ApiError::conflict(
            "already_approved",
            "this key has already approved this version; a second approval must come from another key",
        ));
    }
    if let Some(first) = earlier.first()
        && !same_grants(&first.grants, &chosen)
    {
        return Err(ApiError::conflict(
            "approval_mismatch",
            "the grants differ from the first approval's; approve the same set, or reject and start over",
        ));
    }
    let complete = earlier.len() + 1 >= required;
    state
        .audit(
            principal,
            if complete {
                "plugin.approve"
            } else {
                "plugin.approve.partial"
            },
            plugin_target(id),
            Outcome::Success,
            json!({
                "version": pending,
                "grants": chosen.iter().map(|g| g.capability.to_string()).collect::<Vec<_>>(),
                "expires_at": request.expires_at,
                "approvals": earlier.len() + 1,
                "required": required,
                "public_routes": routes.public,
                "route_scope": routes.scope,
            }),
        )
        .await?;
    if !complete {
        state.store().record_approval(&ApprovalRecord {
            plugin_id: id.to_owned(),
            version: pending.clone(),
            principal: principal.key_id.clone(),
            grants: chosen,
            at_ms: now,
        })?;
        crash_point("approve.recorded");
    } else {
        // The approval that completes is not recorded on its own: activation is one
        // transaction, so a crash leaves the version pending (approve again) or active.
        let start = request.start.unwrap_or(true);
        let desired = match (plugin.active_version.is_some(), plugin.desired) {
            (false, _) if start => DesiredState::Running,
            (false, _) => DesiredState::Approved,
            (true, DesiredState::Disabled) => DesiredState::Approved,
            (true, DesiredState::Running) if !start => DesiredState::Approved,
            (true, other) => other,
        };
        state.store().set_route_access(id, &routes)?;
        let old = state
            .store()
            .activate_pending(id, &pending, &grants, desired, now)?;
        crash_point("approve.committed");
        if let Some(old) = old
            && old.files_dir != version.files_dir
        {
            if plugin.desired == DesiredState::Running {
                state.runtime().stop(id).await;
            }
            let _ = state.packages().remove(&old.files_dir);
        }
        if desired == DesiredState::Running {
            state.runtime().stop(id).await;
            let _ = start_checked(state, id).await;
        }
    }
    let plugin = state
        .store()
        .plugin(id)?
        .ok_or_else(|| ApiError::internal("reading the plugin"))?;
    plugin_view(state, &plugin)
}

/// `POST /v1/plugins/{id}/reject`.
pub async fn reject(
    state: &AppState,
    principal: &Principal,
    id: &str,
    reason: Option<String>,
) -> Result<Option<PluginView>, ApiError> {
    let _guard = state.lifecycle_lock().await;
    let plugin = visible_plugin(state, principal, id)?;
    let Some(pending) = plugin.pending_version.clone() else {
        return Err(ApiError::conflict(
            "not_pending",
            "no version of this plugin is waiting for approval",
        ));
    };
    state
        .audit(
            principal,
            "plugin.reject",
            plugin_target(id),
            Outcome::Success,
            json!({"version": pending, "reason": reason}),
        )
        .await?;
    let removed = state.store().reject_pending(id, &pending)?;
    let still_used = state
        .store()
        .versions(id)?
        .iter()
        .any(|v| v.files_dir == removed.files_dir);
    if !still_used {
        let _ = state.packages().remove(&removed.files_dir);
    }
    match state.store().plugin(id)? {
        Some(plugin) => Ok(Some(plugin_view(state, &plugin)?)),
        None => Ok(None),
    }
}

/// Checks an approved plugin may start now (trust recheck, files still hash to the
/// verified digest) and starts it. The error says why not.
pub async fn start_checked(state: &AppState, id: &str) -> Result<(), String> {
    let result = prepare_start(state, id);
    let result = match result {
        Ok(spec) => state.runtime().start(spec).await,
        Err(e) => Err(e),
    };
    match &result {
        Ok(()) => state.clear_start_failure(id),
        Err(why) => {
            tracing::warn!(plugin = id, reason = %why, "plugin not started");
            state.set_start_failure(id, why.clone());
        }
    }
    result
}

fn prepare_start(state: &AppState, id: &str) -> Result<RunSpec, String> {
    let plugin = state
        .store()
        .plugin(id)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("plugin {id} is not installed"))?;
    let active = plugin
        .active_version
        .ok_or_else(|| "the plugin has no approved version".to_owned())?;
    let version = state
        .store()
        .version(id, &active)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| "the approved version is missing".to_owned())?;
    let grants = version
        .grants
        .clone()
        .ok_or_else(|| "the approved version has no grants".to_owned())?;
    state
        .trust()
        .recheck(&version.verified, state.settings().marketplace.trust_tier)
        .map_err(|e| format!("trust check failed: {e}"))?;
    let files = state
        .packages()
        .read_files(&version.files_dir)
        .map_err(|e| format!("reading the installed files failed: {e}"))?;
    let digest = canonical_digest(&version.manifest, &files);
    if digest != version.verified.digest {
        return Err(format!(
            "the installed files hash to {digest}, not the verified {}; reinstall the plugin",
            version.verified.digest
        ));
    }
    let manifest = Manifest::parse_bytes(&version.manifest, &state.settings().ceilings)
        .map_err(|e| format!("the stored manifest does not parse: {e}"))?;
    let files = state
        .packages()
        .path_of(&version.files_dir)
        .map_err(|e| e.to_string())?;
    let config = plugin_config_values(state, id, &manifest)?;
    Ok(RunSpec {
        plugin_id: id.to_owned(),
        tenant: plugin.tenant,
        manifest,
        grants,
        files,
        config,
    })
}

/// `POST /v1/plugins/{id}/start`.
pub async fn start(
    state: &AppState,
    principal: &Principal,
    id: &str,
) -> Result<PluginView, ApiError> {
    let _guard = state.lifecycle_lock().await;
    let plugin = visible_plugin(state, principal, id)?;
    if plugin.active_version.is_none() {
        return Err(ApiError::conflict(
            "not_approved",
            "the plugin has no approved version to start",
        ));
    }
    if plugin.desired == DesiredState::Running && is_up(state.runtime().status(id).as_ref()) {
        return Err(ApiError::conflict(
            "already_running",
            "the plugin is already running",
        ));
    }
    state
        .audit(
            principal,
            "plugin.start",
            plugin_target(id),
            Outcome::Success,
            json!({}),
        )
        .await?;
    state.runtime().stop(id).await;
    if let Err(why) = start_checked(state, id).await {
        return Err(ApiError::conflict("start_failed", why));
    }
    state
        .store()
        .set_desired(id, DesiredState::Running, None, now_ms())?;
    current_view(state, id)
}

fn is_up(status: Option<&RuntimeStatus>) -> bool {
    status.is_some_and(|s| {
        matches!(
            s.state,
            RunState::Starting | RunState::Running | RunState::Restarting
        )
    })
}

/// `POST /v1/plugins/{id}/stop`.
pub async fn stop(
    state: &AppState,
    principal: &Principal,
    id: &str,
) -> Result<PluginView, ApiError> {
    let _guard = state.lifecycle_lock().await;
    let plugin = visible_plugin(state, principal, id)?;
    if plugin.active_version.is_none() {
        return Err(ApiError::conflict(
            "not_approved",
            "the plugin has no approved version",
        ));
    }
    state
        .audit(
            principal,
            "plugin.stop",
            plugin_target(id),
            Outcome::Success,
            json!({}),
        )
        .await?;
    state.runtime().stop(id).await;
    if plugin.desired != DesiredState::Disabled {
        state
            .store()
            .set_desired(id, DesiredState::Stopped, None, now_ms())?;
    }
    current_view(state, id)
}

/// `POST /v1/plugins/{id}/restart`.
pub async fn restart(
    state: &AppState,
    principal: &Principal,
    id: &str,
) -> Result<PluginView, ApiError> {
    let _guard = state.lifecycle_lock().await;
    let plugin = visible_plugin(state, principal, id)?;
    if plugin.desired != DesiredState::Running {
        return Err(ApiError::conflict(
            "not_running",
            "only a plugin asked to run can be restarted; start it",
        ));
    }
    state
        .audit(
            principal,
            "plugin.restart",
            plugin_target(id),
            Outcome::Success,
            json!({}),
        )
        .await?;
    state.runtime().stop(id).await;
    start_checked(state, id)
        .await
        .map_err(|why| ApiError::conflict("start_failed", why))?;
    current_view(state, id)
}

/// `POST /v1/plugins/{id}/quarantine/clear`.
pub async fn clear_quarantine(
    state: &AppState,
    principal: &Principal,
    id: &str,
) -> Result<PluginView, ApiError> {
    let _guard = state.lifecycle_lock().await;
    visible_plugin(state, principal, id)?;
    let quarantined = state
        .runtime()
        .status(id)
        .is_some_and(|s| s.state == RunState::Quarantined);
    if !quarantined {
        return Err(ApiError::conflict(
            "not_quarantined",
            "the plugin is not quarantined",
        ));
    }
    state
        .audit(
            principal,
            "plugin.quarantine.clear",
            plugin_target(id),
            Outcome::Success,
            json!({}),
        )
        .await?;
    state
        .runtime()
        .clear_quarantine(id)
        .map_err(|why| ApiError::conflict("not_quarantined", why))?;
    current_view(state, id)
}

/// `DELETE /v1/plugins/{id}`.
pub async fn uninstall(
    state: &AppState,
    principal: &Principal,
    id: &str,
    purge: bool,
) -> Result<(), ApiError> {
    let _guard = state.lifecycle_lock().await;
    visible_plugin(state, principal, id)?;
    state
        .audit(
            principal,
            "plugin.uninstall",
            plugin_target(id),
            Outcome::Success,
            json!({"purge": purge}),
        )
        .await?;
    state.runtime().stop(id).await;
    crash_point("uninstall.stopped");
    let removed = state.store().uninstall(id, purge)?;
    crash_point("uninstall.committed");
    for version in removed {
        let _ = state.packages().remove(&version.files_dir);
    }
    state.runtime().forget_plugin(id);
    state.clear_start_failure(id);
    Ok(())
}

fn current_view(state: &AppState, id: &str) -> Result<PluginView, ApiError> {
    let plugin = state
        .store()
        .plugin(id)?
        .ok_or_else(|| ApiError::not_found("no plugin with that id"))?;
    plugin_view(state, &plugin)
}

/// The state shown for a plugin: the admin's wish combined with what the runtime reports.
pub fn shown_state(
    plugin: &PluginRecord,
    status: Option<&RuntimeStatus>,
    start_failure: Option<&str>,
) -> (&'static str, &'static str) {
    match plugin.desired {
        DesiredState::PendingApproval => ("pending_approval", "stopped"),
        DesiredState::Approved => ("approved", "stopped"),
        DesiredState::Stopped => ("stopped", "stopped"),
        DesiredState::Disabled => ("disabled", "stopped"),
        DesiredState::Running => match status.map(|s| s.state) {
            Some(RunState::Running) => ("running", "healthy"),
            Some(RunState::Starting) if start_failure.is_none() => ("running", "starting"),
            Some(RunState::Restarting) => ("failed", "restarting"),
            Some(RunState::Quarantined) => ("quarantined", "quarantined"),
            _ => (
                "failed",
                if start_failure.is_some() {
                    "stopped"
                } else {
                    "unknown"
                },
            ),
        },
    }
}

/// The full view of a plugin.
pub fn plugin_view(state: &AppState, plugin: &PluginRecord) -> Result<PluginView, ApiError> {
    let now = now_ms();
    let status = state.runtime().status(&plugin.id);
    let failure = state.start_failure(&plugin.id);
    let (shown, health) = shown_state(plugin, status.as_ref(), failure.as_deref());
    let active = match &plugin.active_version {
        Some(v) => state.store().version(&plugin.id, v)?,
        None => None,
    };
    let pending = match &plugin.pending_version {
        Some(v) => state.store().version(&plugin.id, v)?,
        None => None,
    };
    let shown_version = active
        .as_ref()
        .or(pending.as_ref())
        .ok_or_else(|| ApiError::internal("reading the plugin's versions"))?;
    let manifest = parse_manifest(state, shown_version)?;
    let mut requested: Vec<CapabilityView> = manifest
        .capabilities
        .to_capabilities()
        .iter()
        .map(|c| CapabilityView::of(c, &plugin.id))
        .collect();
    requested.sort_by_key(|c| risk_rank(&c.risk));
    let granted = active
        .as_ref()
        .and_then(|v| v.grants.as_ref())
        .map(|g| g.granted().iter().map(|g| GrantView::of(g, now)).collect())
        .unwrap_or_default();
    let review = match &pending {
        Some(p) => Some(review_view(state, plugin, p, active.as_ref(), now)?),
        None => None,
    };
    let last_exit_reason =
        failure.or_else(|| status.as_ref().and_then(|s| s.last_exit_reason.clone()));
    Ok(PluginView {
        id: plugin.id.clone(),
        tenant: plugin.tenant.clone(),
        state: shown.to_owned(),
        reason: plugin.reason.clone(),
        version: plugin.active_version.clone(),
        pending_version: plugin.pending_version.clone(),
        name: manifest.name.clone(),
        publisher: manifest.publisher.clone(),
        hipaa_compliant: manifest.hipaa_compliant,
        requested,
        granted,
        health: health.to_owned(),
        restarts: status.as_ref().map_or(0, |s| s.restarts),
        last_exit_reason,
        metrics: status.map(|s| s.metrics).unwrap_or_default(),
        jobs: state.runtime().jobs(&plugin.id),
        digest: shown_version.verified.digest.to_string(),
        review,
        created_at: format_ms(plugin.created_at_ms),
        updated_at: format_ms(plugin.updated_at_ms),
    })
}

fn risk_rank(risk: &str) -> u8 {
    match risk {
        "high" => 0,
        "medium" => 1,
        _ => 2,
    }
}

fn review_view(
    state: &AppState,
    plugin: &PluginRecord,
    pending: &VersionRecord,
    active: Option<&VersionRecord>,
    now: u64,
) -> Result<ReviewView, ApiError> {
    let manifest = parse_manifest(state, pending)?;
    let requested_caps = manifest.capabilities.to_capabilities();
    let mut requested: Vec<CapabilityView> = requested_caps
        .iter()
        .map(|c| CapabilityView::of(c, &plugin.id))
        .collect();
    requested.sort_by_key(|c| risk_rank(&c.risk));
    let risk = requested
        .first()
        .map_or_else(|| "none".to_owned(), |c| c.risk.clone());
    let upgrade = active.and_then(|a| {
        a.grants.as_ref().map(|g| {
            let diff = upgrade_diff(g, &requested_caps, now);
            UpgradeView::of(&diff, &a.version, &plugin.id, now)
        })
    });
    let approvals = state
        .store()
        .approvals(&plugin.id, &pending.version)?
        .into_iter()
        .map(|a| ApprovalView {
            principal: a.principal,
            at: format_ms(a.at_ms),
        })
        .collect();
    let v = &pending.verified;
    Ok(ReviewView {
        version: pending.version.clone(),
        manifest: ManifestView::of(&manifest),
        requested,
        risk,
        publisher: v.publisher.clone(),
        key: v.key.clone(),
        tier: v.tier.to_string(),
        scheme: v.scheme.to_string(),
        digest: v.digest.to_string(),
        upgrade,
        approvals_required: if state.settings().four_eyes { 2 } else { 1 },
        approvals,
        uploaded_by: pending.uploaded_by.clone(),
        uploaded_at: format_ms(pending.uploaded_at_ms),
        note: pending.note.clone(),
    })
}

/// Every plugin's view (served from memory while nothing changed, at most half a second
/// old); [`visible`] picks what a key may see.
pub fn all_views(state: &AppState) -> Result<Arc<Vec<PluginView>>, ApiError> {
    state.plugin_views(|| {
        state
            .store()
            .plugins()?
            .iter()
            .map(|plugin| plugin_view(state, plugin))
            .collect()
    })
}

/// Whether `principal` sees `view` in lists: its tenant's plugins (all for a platform key),
/// for a HIPAA tenant only HIPAA-compliant ones.
pub fn visible(principal: &Principal, hipaa: bool, view: &PluginView) -> bool {
    principal.may_access(view.tenant.as_deref()) && (!hipaa || view.hipaa_compliant)
}

/// Whether the principal's tenant is in HIPAA mode.
pub fn principal_hipaa(state: &AppState, principal: &Principal) -> Result<bool, ApiError> {
    tenant_hipaa(state, principal.tenant.as_deref())
}

/// Stops and disables every plugin whose approved version the trust store no longer
/// accepts (a revoked key or package, a removed key, a tier now below the requirement).
/// Returns the ids stopped. Each is audited as the core's own action.
pub async fn enforce_trust(state: &AppState) -> Result<Vec<String>, ApiError> {
    let trust = state.trust();
    let tier = state.settings().marketplace.trust_tier;
    let mut stopped = Vec::new();
    for plugin in state.store().plugins()? {
        if !matches!(
            plugin.desired,
            DesiredState::Running | DesiredState::Approved | DesiredState::Stopped
        ) {
            continue;
        }
        let Some(active) = &plugin.active_version else {
            continue;
        };
        let Some(version) = state.store().version(&plugin.id, active)? else {
            continue;
        };
        let Err(why) = trust.recheck(&version.verified, tier) else {
            continue;
        };
        state
            .audit_as(
                Actor::System,
                plugin.tenant.as_deref(),
                "plugin.disable",
                plugin_target(&plugin.id),
                Outcome::Success,
                json!({"version": active, "reason": why.to_string()}),
            )
            .await?;
        state.runtime().stop(&plugin.id).await;
        state.store().set_desired(
            &plugin.id,
            DesiredState::Disabled,
            Some(&format!("no longer trusted: {why}")),
            now_ms(),
        )?;
        stopped.push(plugin.id.clone());
        state.changed();
    }
    Ok(stopped)
}

/// At start: clear what a crash left in the package area, then start every plugin an admin
/// asked to run. A plugin that cannot start is shown as failed with the reason.
pub async fn reconcile(state: &AppState) -> Result<faxbot_store::SweepReport, ApiError> {
    let _guard = state.lifecycle_lock().await;
    let referenced: BTreeSet<String> = state
        .store()
        .all_versions()?
        .into_iter()
        .map(|v| v.files_dir)
        .collect();
    let report = state.packages().sweep(&referenced).map_err(store_io)?;
    for plugin in state.store().plugins()? {
        if plugin.desired == DesiredState::Running {
            let _ = start_checked(state, &plugin.id).await;
        }
    }
    drop(_guard);
    enforce_trust(state).await?;
    Ok(report)
}

/// Grants that expired since `since_ms`: audits each plugin's expiry and restarts it with the
/// grants still live, so what it was told it may do shrinks at that moment (its calls are
/// denied from the instant of expiry by the grant check either way). Returns the plugins
/// restarted.
pub async fn expire_grants(
    state: &AppState,
    since_ms: u64,
    now: u64,
) -> Result<Vec<String>, ApiError> {
    let mut restarted = Vec::new();
    for plugin in state.store().plugins()? {
        let Some(active) = &plugin.active_version else {
            continue;
        };
        let Some(version) = state.store().version(&plugin.id, active)? else {
            continue;
        };
        let Some(grants) = &version.grants else {
            continue;
        };
        let expired: Vec<String> = grants
            .granted()
            .iter()
            .filter(|g| g.expires_at_ms.is_some_and(|t| t > since_ms && t <= now))
            .map(|g| g.capability.to_string())
            .collect();
        if expired.is_empty() {
            continue;
        }
        let _guard = state.lifecycle_lock().await;
        state
            .audit_as(
                Actor::System,
                plugin.tenant.as_deref(),
                "plugin.grant.expired",
                plugin_target(&plugin.id),
                Outcome::Success,
                json!({"version": active, "expired": expired}),
            )
            .await?;
        if plugin.desired == DesiredState::Running {
            state.runtime().stop(&plugin.id).await;
            let _ = start_checked(state, &plugin.id).await;
            restarted.push(plugin.id.clone());
        }
    }
    Ok(restarted)
}

/// Which installed plugins are in which shown state (for `/metrics`).
pub fn states(state: &AppState) -> Vec<(String, &'static str)> {
    let Ok(plugins) = state.store().plugins() else {
        return Vec::new();
    };
    plugins
        .iter()
        .map(|p| {
            let status = state.runtime().status(&p.id);
            let failure = state.start_failure(&p.id);
            (
                p.id.clone(),
                shown_state(p, status.as_ref(), failure.as_deref()).0,
            )
        })
        .collect()
}

/// A JSON configuration object as the manifest's settings: each value by the setting's kind.
pub fn config_from_json(
    value: &serde_json::Value,
) -> Result<Vec<(String, faxbot_plugin_abi::Value)>, String> {
    let object = value
        .as_object()
        .ok_or_else(|| "the configuration must be a JSON object of settings".to_owned())?;
    Ok(object
        .iter()
        .map(|(k, v)| (k.clone(), faxbot_events::json_to_value(v.clone())))
        .collect())
}

/// The handshake configuration of plugin `id`: its stored values checked against
/// `manifest`'s `[config]`, defaults filled in. A required setting that is not set, or a
/// stored value the (upgraded) manifest no longer takes, refuses the start with the
/// setting's name.
pub fn plugin_config_values(
    state: &AppState,
    id: &str,
    manifest: &Manifest,
) -> Result<Vec<(String, faxbot_plugin_abi::Value)>, String> {
    let stored = state
        .store()
        .plugin_config(id)
        .map_err(|e| e.to_string())?
        .map(|text| serde_json::from_str::<serde_json::Value>(&text))
        .transpose()
        .map_err(|e| format!("the stored configuration does not parse: {e}"))?;
    let values = match stored {
        Some(value) => config_from_json(&value)?,
        None => Vec::new(),
    };
    manifest.config.validate(&values).map_err(|e| {
        format!("the plugin's configuration is incomplete or invalid ({e}); set it with PUT /v1/plugins/{id}/config")
    })
}
