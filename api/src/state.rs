//! What every handler shares: the store, the audit trail, the trust store, the settings that
//! may change on SIGHUP, the plugin runtime, and the API's own counters.

use crate::auth::{KeyHasher, Principal, RateLimiter};
use crate::error::ApiError;
use crate::metrics::HttpMetrics;
use crate::runtime::PluginRuntime;
use faxbot_audit::{Action, Actor, AuditEvent, AuditTrail, Outcome, Target, TenantId};
use faxbot_policy::manifest::Manifest;
use faxbot_policy::manifest::ResourceCeilings;
use faxbot_policy::marketplace::MarketplaceSettings;
use faxbot_policy::package::PackageDigest;
use faxbot_policy::package::PackageLimits;
use faxbot_policy::trust::TrustStore;
use faxbot_store::{ApiKeyRecord, PackageArea, Store};
use ring::hmac;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

/// Most manifests and API keys kept in memory.
const MAX_CACHED: usize = 4096;

/// Failed authentications recorded one by one per second (and in a burst); past that they
/// are counted into the next record, so a flood of guesses cannot fill the trail's disk.
const FAILURE_AUDITS_PER_SECOND: u32 = 20;
const FAILURE_AUDIT_BURST: u32 = 200;

/// Settings the API applies. Those marked live change on SIGHUP; the rest at restart.
#[derive(Clone, Debug)]
pub struct ApiSettings {
    /// Installs need two approvals from two principals, neither the uploader (live).
    pub four_eyes: bool,
    /// Marketplace rules: the tier uploads need, HIPAA filtering (live).
    pub marketplace: MarketplaceSettings,
    /// Requests per second per key (live).
    pub rate_per_second: u32,
    /// Burst per key (live).
    pub rate_burst: u32,
    /// The most any plugin may ask for.
    pub ceilings: ResourceCeilings,
    /// Package reader limits.
    pub package_limits: PackageLimits,
    /// Largest upload body, bytes.
    pub upload_limit: usize,
    /// Largest other request body, bytes.
    pub json_limit: usize,
    /// Longest a request (other than an upload) may take, ms.
    pub request_timeout_ms: u64,
    /// Longest an upload may take, ms.
    pub upload_timeout_ms: u64,
}

impl Default for ApiSettings {
    fn default() -> Self {
        Self {
            four_eyes: false,
            marketplace: MarketplaceSettings::default(),
            rate_per_second: 50,
            rate_burst: 100,
            ceilings: ResourceCeilings::default(),
            package_limits: PackageLimits {
                max_compressed_bytes: 64 << 20,
                ..PackageLimits::default()
            },
            upload_limit: 64 << 20,
            json_limit: 64 << 10,
            request_timeout_ms: 30_000,
            upload_timeout_ms: 300_000,
        }
    }
}

/// The state handlers share. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn Store>,
    audit: AuditTrail,
    audit_key: hmac::Key,
    packages: PackageArea,
    trust: RwLock<crate::trust_file::TrustFile>,
    trust_path: PathBuf,
    settings: RwLock<ApiSettings>,
    runtime: Arc<dyn PluginRuntime>,
    hasher: KeyHasher,
    limiter: RateLimiter,
    metrics: HttpMetrics,
    lifecycle: tokio::sync::Mutex<()>,
    core_version: semver::Version,
    start_failures: std::sync::Mutex<std::collections::HashMap<String, String>>,
    openapi: std::sync::OnceLock<String>,
    audit_failed: std::sync::atomic::AtomicBool,
    failure_audits: RateLimiter,
    failures_suppressed: std::sync::atomic::AtomicU64,
    manifests: RwLock<HashMap<PackageDigest, Arc<Manifest>>>,
    keys: RwLock<HashMap<String, ApiKeyRecord>>,
    fax: std::sync::OnceLock<Arc<crate::fax::FaxDesk>>,
    webhooks: std::sync::OnceLock<Arc<dyn faxbot_store::WebhookStore>>,
    generation: std::sync::atomic::AtomicU64,
    views: std::sync::Mutex<Option<CachedViews>>,
}

struct CachedViews {
    generation: u64,
    at: std::time::Instant,
    views: Arc<Vec<crate::views::PluginView>>,
}

/// How long a plugin list is served from memory when nothing changed through the API: the
/// runtime's own changes (a crash, a quarantine) show within this.
const VIEW_TTL: std::time::Duration = std::time::Duration::from_millis(500);

/// The lifecycle lock; releasing it marks every cached plugin view stale.
pub struct LifecycleGuard<'a> {
    _guard: tokio::sync::MutexGuard<'a, ()>,
    state: &'a AppState,
}

impl Drop for LifecycleGuard<'_> {
    fn drop(&mut self) {
        self.state.changed();
    }
}

/// The parts [`AppState::new`] takes.
pub struct AppParts {
    /// The state store.
    pub store: Arc<dyn Store>,
    /// The audit trail (open for writing).
    pub audit: AuditTrail,
    /// The trail's chain key (for `GET /v1/audit`).
    pub audit_key: hmac::Key,
    /// Where plugin files live.
    pub packages: PackageArea,
    /// The trust store as read at start.
    pub trust: crate::trust_file::TrustFile,
    /// Its file (`DIR/trust.toml`), rewritten by the trust endpoints.
    pub trust_path: PathBuf,
    /// Settings.
    pub settings: ApiSettings,
    /// The plugin runtime.
    pub runtime: Arc<dyn PluginRuntime>,
    /// The API key hasher.
    pub hasher: KeyHasher,
    /// This core's version (a manifest's `min_core_version` is checked against it).
    pub core_version: semver::Version,
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl AppState {
    /// The shared state.
    pub fn new(parts: AppParts) -> Self {
        let limiter = RateLimiter::new(parts.settings.rate_per_second, parts.settings.rate_burst);
        Self {
            inner: Arc::new(Inner {
                store: parts.store,
                audit: parts.audit,
                audit_key: parts.audit_key,
                packages: parts.packages,
                trust: RwLock::new(parts.trust),
                trust_path: parts.trust_path,
                settings: RwLock::new(parts.settings),
                runtime: parts.runtime,
                hasher: parts.hasher,
                limiter,
                metrics: HttpMetrics::new(),
                lifecycle: tokio::sync::Mutex::new(()),
                core_version: parts.core_version,
                start_failures: std::sync::Mutex::default(),
                openapi: std::sync::OnceLock::new(),
                audit_failed: std::sync::atomic::AtomicBool::new(false),
                failure_audits: RateLimiter::new(FAILURE_AUDITS_PER_SECOND, FAILURE_AUDIT_BURST),
                failures_suppressed: std::sync::atomic::AtomicU64::new(0),
                manifests: RwLock::default(),
                keys: RwLock::default(),
                fax: std::sync::OnceLock::new(),
                webhooks: std::sync::OnceLock::new(),
                generation: std::sync::atomic::AtomicU64::new(0),
                views: std::sync::Mutex::default(),
            }),
        }
    }

    /// The store.
    pub fn store(&self) -> &dyn Store {
        self.inner.store.as_ref()
    }

    /// The audit trail.
    pub fn audit_trail(&self) -> &AuditTrail {
        &self.inner.audit
    }

    /// The audit chain key.
    pub fn audit_key(&self) -> &hmac::Key {
        &self.inner.audit_key
    }

    /// The package area.
    pub fn packages(&self) -> &PackageArea {
        &self.inner.packages
    }

    /// A copy of the trust store now in force.
    pub fn trust(&self) -> TrustStore {
        read(&self.inner.trust).store.clone()
    }

    /// The revoked key fingerprints and package digests in force.
    pub fn trust_revocations(&self) -> (Vec<String>, Vec<String>) {
        let t = read(&self.inner.trust);
        (t.revoked_keys.clone(), t.revoked_packages.clone())
    }

    /// Replaces the trust store (after a change through the API, or SIGHUP).
    pub fn set_trust(&self, trust: crate::trust_file::TrustFile) {
        *write(&self.inner.trust) = trust;
        self.changed();
    }

    /// The trust store's file.
    pub fn trust_path(&self) -> &std::path::Path {
        &self.inner.trust_path
    }

    /// A copy of the settings now in force.
    pub fn settings(&self) -> ApiSettings {
        read(&self.inner.settings).clone()
    }

    /// Applies new live settings (SIGHUP): four-eyes, marketplace, rate limits.
    pub fn reload_settings(&self, new: &ApiSettings) {
        let mut s = write(&self.inner.settings);
        s.four_eyes = new.four_eyes;
        s.marketplace = new.marketplace.clone();
        s.rate_per_second = new.rate_per_second;
        s.rate_burst = new.rate_burst;
        self.inner
            .limiter
            .set_limits(new.rate_per_second, new.rate_burst);
        drop(s);
        self.changed();
    }

    /// Installs the fax desk (once, at start).
    pub fn set_fax_desk(&self, desk: Arc<crate::fax::FaxDesk>) {
        let _ = self.inner.fax.set(desk);
    }

    /// Turns the webhook API on (once, at start).
    pub fn set_webhooks(&self, store: Arc<dyn faxbot_store::WebhookStore>) {
        let _ = self.inner.webhooks.set(store);
    }

    /// The webhook subscriptions, when the daemon has them.
    pub fn webhooks(&self) -> Option<&Arc<dyn faxbot_store::WebhookStore>> {
        self.inner.webhooks.get()
    }

    /// The fax desk, when the daemon has one.
    pub fn fax_desk(&self) -> Option<&Arc<crate::fax::FaxDesk>> {
        self.inner.fax.get()
    }

    /// The plugin runtime.
    pub fn runtime(&self) -> &dyn PluginRuntime {
        self.inner.runtime.as_ref()
    }

    /// The key hasher.
    pub fn hasher(&self) -> &KeyHasher {
        &self.inner.hasher
    }

    /// The per-key rate limiter.
    pub fn limiter(&self) -> &RateLimiter {
        &self.inner.limiter
    }

    /// The HTTP counters.
    pub fn metrics(&self) -> &HttpMetrics {
        &self.inner.metrics
    }

    /// This core's version.
    pub fn core_version(&self) -> &semver::Version {
        &self.inner.core_version
    }

    /// Why a plugin could not be started, if its last start failed before the runtime ran it.
    pub fn start_failure(&self, id: &str) -> Option<String> {
        self.inner
            .start_failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(id)
            .cloned()
    }

    /// Remembers why a plugin could not be started.
    pub fn set_start_failure(&self, id: &str, why: String) {
        self.inner
            .start_failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(id.to_owned(), why);
        self.changed();
    }

    /// Forgets a start failure (the plugin started, or is gone).
    pub fn clear_start_failure(&self, id: &str) {
        self.inner
            .start_failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(id);
        self.changed();
    }

    /// The OpenAPI document, set once when the router is built.
    pub fn openapi_json(&self) -> &str {
        self.inner.openapi.get().map_or("{}", String::as_str)
    }

    pub(crate) fn set_openapi_json(&self, json: String) {
        let _ = self.inner.openapi.set(json);
    }

    /// A manifest parsed before, by package digest.
    pub fn cached_manifest(&self, digest: &PackageDigest) -> Option<Arc<Manifest>> {
        read(&self.inner.manifests).get(digest).cloned()
    }

    /// Keeps a parsed manifest (bounded: the cache is emptied past 4096 entries).
    pub fn cache_manifest(&self, digest: PackageDigest, manifest: Manifest) -> Arc<Manifest> {
        let manifest = Arc::new(manifest);
        let mut cache = write(&self.inner.manifests);
        if cache.len() >= MAX_CACHED {
            cache.clear();
        }
        cache.insert(digest, manifest.clone());
        manifest
    }

    /// An API key record, from memory when it was read before. Revocation goes through
    /// [`AppState::forget_key`], so a revoked key is never served from here.
    pub fn api_key(&self, id: &str) -> Result<Option<ApiKeyRecord>, faxbot_store::StoreError> {
        if let Some(record) = read(&self.inner.keys).get(id) {
            return Ok(Some(record.clone()));
        }
        let record = self.store().api_key(id)?;
        if let Some(record) = &record {
            let mut cache = write(&self.inner.keys);
            if cache.len() >= MAX_CACHED {
                cache.clear();
            }
            cache.insert(id.to_owned(), record.clone());
        }
        Ok(record)
    }

    /// Drops a key from memory (after it was revoked in the store).
    pub fn forget_key(&self, id: &str) {
        write(&self.inner.keys).remove(id);
    }

    /// Whether a failed authentication gets its own audit record now: `Some(n)` with the
    /// failures left unrecorded since the last one, `None` (counted) past the flood limit.
    pub fn failure_audit_allowed(&self) -> Option<u64> {
        use std::sync::atomic::Ordering;
        match self.inner.failure_audits.take("auth-failures") {
            Ok(()) => Some(self.inner.failures_suppressed.swap(0, Ordering::Relaxed)),
            Err(_) => {
                self.inner
                    .failures_suppressed
                    .fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }

    /// Whether the audit trail has refused a record since start (readiness fails then).
    pub fn audit_has_failed(&self) -> bool {
        self.inner
            .audit_failed
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Serialises plugin state changes: one lifecycle action at a time.
    pub async fn lifecycle_lock(&self) -> LifecycleGuard<'_> {
        LifecycleGuard {
            _guard: self.inner.lifecycle.lock().await,
            state: self,
        }
    }

    /// Marks every cached plugin view stale (something changed).
    pub fn changed(&self) {
        self.inner
            .generation
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    }

    /// Every plugin's view, from memory when nothing changed through the API and the copy is
    /// younger than half a second; else built by `build` and kept.
    pub fn plugin_views(
        &self,
        build: impl FnOnce() -> Result<Vec<crate::views::PluginView>, ApiError>,
    ) -> Result<Arc<Vec<crate::views::PluginView>>, ApiError> {
        let generation = self
            .inner
            .generation
            .load(std::sync::atomic::Ordering::Acquire);
        {
            let cache = self
                .inner
                .views
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(c) = cache.as_ref()
                && c.generation == generation
                && c.at.elapsed() < VIEW_TTL
            {
                return Ok(c.views.clone());
            }
        }
        let views = Arc::new(build()?);
        *self
            .inner
            .views
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(CachedViews {
            generation,
            at: std::time::Instant::now(),
            views: views.clone(),
        });
        Ok(views)
    }

    /// Records an admin action before it is done. `Err(503)` when the trail refuses: the
    /// caller must then not act.
    pub async fn audit(
        &self,
        principal: &Principal,
        action: &str,
        target: Option<Target>,
        outcome: Outcome,
        details: serde_json::Value,
    ) -> Result<(), ApiError> {
        self.audit_as(
            principal.actor(),
            principal.tenant.as_deref(),
            action,
            target,
            outcome,
            details,
        )
        .await
    }

    /// [`AppState::audit`] with an explicit actor (the core itself, for revocations and
    /// start-up).
    pub async fn audit_as(
        &self,
        actor: Actor,
        tenant: Option<&str>,
        action: &str,
        target: Option<Target>,
        outcome: Outcome,
        details: serde_json::Value,
    ) -> Result<(), ApiError> {
        let action = Action::new(action).map_err(|e| {
            tracing::error!(error = %e, "audit action name");
            ApiError::audit_unavailable()
        })?;
        let mut event = AuditEvent::new(actor, action, outcome).with_details(details);
        if let Some(tenant) = tenant.and_then(|t| TenantId::new(t).ok()) {
            event = event.with_tenant(tenant);
        }
        if let Some(target) = target {
            event = event.with_target(target);
        }
        self.inner.audit.record(event).await.map_err(|e| {
            self.inner
                .audit_failed
                .store(true, std::sync::atomic::Ordering::Relaxed);
            tracing::error!(error = %e, "audit trail refused a record; the action is refused");
            ApiError::audit_unavailable()
        })?;
        Ok(())
    }
}

/// A plugin as an audit target; ids that do not fit the target rule (never stored ones) are
/// left out rather than refused.
pub fn plugin_target(id: &str) -> Option<Target> {
    Target::plugin(id).ok()
}
