//! The API's [`PluginRuntime`] on the real supervisor: each approved plugin runs jailed
//! (`faxbot-jail` beside the `faxbot` binary) with `PluginConfig::for_manifest`, its calls
//! checked by `GrantCheck` against the approved grants, served by the core's capabilities,
//! its denials audited and its output redacted into the plugin log.
//!
//! It refuses to start anything while a jail layer the operator did not allow to be missing
//! is absent: fail closed.

use crate::serve::capabilities::{CoreCapabilities, DenialAudit};
use crate::serve::logs::{LogBuffer, OutputSink};
use faxbot_api::runtime::{
    LogLine, PluginRuntime, RunSpec, RunState, RuntimeFuture, RuntimeMetrics, RuntimeStatus,
};
use faxbot_api::time::now_ms;
use faxbot_audit::AuditTrail;
use faxbot_jail::spec::Layer;
use faxbot_store::Store;
use faxbot_supervisor::grant_check::GrantCheck;
use faxbot_supervisor::plugin_config::{OperatorSettings, PluginFiles};
use faxbot_supervisor::session::SessionHooks;
use faxbot_supervisor::supervisor::{PluginConfig, State, Supervisor};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};

/// Runs plugins under the supervisor.
pub struct SupervisorRuntime {
    supervisor: Supervisor,
    jail: Option<PathBuf>,
    missing_layers: Vec<String>,
    settings: OperatorSettings,
    logs: Arc<LogBuffer>,
    capabilities: Arc<CoreCapabilities>,
    audit: AuditTrail,
    store: Arc<dyn Store>,
    last_reasons: Mutex<HashMap<String, String>>,
    known: Mutex<Vec<String>>,
    metrics: Mutex<HashMap<String, RuntimeMetrics>>,
    /// Each started plugin's tenant and grants: who hears which event.
    subscribers: Mutex<HashMap<String, (Option<String>, faxbot_policy::capability::Grants)>>,
    /// Projects core events to what a plugin may see.
    projector: std::sync::OnceLock<Arc<faxbot_redact::Redactor>>,
    next_event: std::sync::atomic::AtomicU64,
}

impl SupervisorRuntime {
    /// A runtime using `jail` (`None` when the program was not found), refusing to start
    /// plugins while any of `missing_layers` (layers absent and not allowed missing) is
    /// non-empty.
    pub fn new(
        jail: Option<PathBuf>,
        missing_layers: Vec<String>,
        settings: OperatorSettings,
        logs: Arc<LogBuffer>,
        audit: AuditTrail,
        store: Arc<dyn Store>,
    ) -> Self {
        Self {
            supervisor: Supervisor::new(),
            jail,
            missing_layers,
            settings,
            capabilities: Arc::new(CoreCapabilities::new(logs.clone())),
            logs,
            audit,
            store,
            last_reasons: Mutex::default(),
            known: Mutex::default(),
            metrics: Mutex::default(),
            subscribers: Mutex::default(),
            projector: std::sync::OnceLock::new(),
            next_event: std::sync::atomic::AtomicU64::new(1),
        }
    }

    /// Turns the egress broker on for every plugin's `http.fetch` (once, at start).
    pub fn enable_egress(&self, egress: crate::serve::capabilities::Egress) {
        self.capabilities.enable_egress(egress);
    }

    /// Sets the redactor events are projected with (once, at start).
    pub fn set_projector(&self, redactor: Arc<faxbot_redact::Redactor>) {
        let _ = self.projector.set(redactor);
    }

    /// Delivers `event`, projected, to every running plugin whose live grants subscribe to
    /// its topic and whose tenant owns it (a platform plugin hears every tenant). At most
    /// once and best effort: the durable outbox of the event bus is not built yet.
    pub fn deliver(self: &Arc<Self>, event: faxbot_events::CoreEvent) {
        let Some(redactor) = self.projector.get().cloned() else {
            return;
        };
        let topic = event.topic();
        let now = now_ms();
        let listeners: Vec<String> = self
            .subscribers
            .lock()
            .map(|s| {
                s.iter()
                    .filter(|(_, (tenant, grants))| {
                        tenant.as_deref().is_none_or(|t| t == event.tenant())
                            && grants.live(now).any(|c| {
                                matches!(c, faxbot_policy::capability::Capability::Subscribe(p)
                                    if faxbot_plugin_abi::event::topic_matches(p, &topic))
                            })
                    })
                    .map(|(id, _)| id.clone())
                    .collect()
            })
            .unwrap_or_default();
        for plugin in listeners {
            let sequence = self
                .next_event
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Ok(projected) =
                faxbot_events::project(&redactor, &event, format!("ev_{sequence:08}"), sequence)
            else {
                continue;
            };
            let runtime = Arc::clone(self);
            tokio::spawn(async move {
                let delivery = faxbot_plugin_abi::methods::EventDelivery {
                    event: projected,
                    attempt: 1,
                };
                let outcome = runtime
                    .supervisor
                    .call::<faxbot_plugin_abi::methods::DeliverEvent>(
                        &plugin,
                        &delivery,
                        std::time::Duration::from_secs(5),
                    )
                    .await;
                if let Err(e) = outcome {
                    tracing::debug!(plugin = %plugin, error = %e, "event delivery failed");
                }
            });
        }
    }

    /// Stops every plugin (SIGTERM).
    pub async fn stop_all(&self) {
        let ids = self.known.lock().map(|k| k.clone()).unwrap_or_default();
        for id in ids {
            self.supervisor.stop(&id).await.ok();
        }
    }

    fn remember_reason(&self, id: &str, state: &State) {
        let reason = match state {
            State::Backoff { reason } | State::Quarantined { reason } => reason,
            _ => return,
        };
        if let Ok(mut reasons) = self.last_reasons.lock() {
            reasons.insert(id.to_owned(), reason.clone());
        }
    }

    /// Notes the exit reasons of plugins now restarting or quarantined, so they are still
    /// shown after the plugin recovers, and reads each plugin's counters and cgroup usage
    /// once for every request that shows them until the next sample (called twice a second).
    pub fn sample(&self) {
        let ids = self.known.lock().map(|k| k.clone()).unwrap_or_default();
        for id in ids {
            if let Ok(status) = self.supervisor.status(&id) {
                self.remember_reason(&id, &status.state);
            }
            let metrics = self.read_metrics(&id);
            if let Ok(mut cache) = self.metrics.lock() {
                cache.insert(id, metrics);
            }
        }
    }

    fn read_metrics(&self, plugin_id: &str) -> RuntimeMetrics {
        self.supervisor
            .metrics(plugin_id)
            .map(|m| RuntimeMetrics {
                calls: m.calls,
                errors: m.errors.values().sum(),
                denials: m.denials,
                in_flight: m.in_flight,
                memory_bytes: m.memory_bytes,
                cpu_ms: m
                    .cpu_time
                    .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
            })
            .unwrap_or_default()
    }

    fn launch(&self, spec: RunSpec) -> Result<(), String> {
        self.ready()?;
        if let Ok(status) = self.supervisor.status(&spec.plugin_id)
            && matches!(status.state, State::Quarantined { .. })
        {
            return Err("the plugin is quarantined; clear the quarantine to start it".to_owned());
        }
        let jail = self
            .jail
            .clone()
            .ok_or_else(|| "the faxbot-jail program is not installed beside faxbot".to_owned())?;
        let files = PluginFiles {
            jail,
            entry: spec.files.join(&spec.manifest.entry),
            app_dir: spec.files.clone(),
        };
        let grants = Arc::new(RwLock::new(spec.grants.clone()));
        let store = self.store.clone();
        let kv_total_after = Arc::new(move |plugin: &str, key: &str, len: usize| {
            store.kv_usage(plugin).unwrap_or(u64::MAX) + (key.len() + len) as u64
        });
        let hooks = SessionHooks {
            check: Arc::new(GrantCheck::new(grants, kv_total_after)),
            handler: self.capabilities.clone(),
            audit: Arc::new(DenialAudit {
                trail: self.audit.clone(),
                tenant: spec.tenant.clone(),
            }),
        };
        self.logs.set_tenant(&spec.plugin_id, spec.tenant.clone());
        let config = PluginConfig::for_manifest(
            &spec.manifest,
            &spec.grants,
            &files,
            Vec::new(),
            &self.settings,
            hooks,
            Arc::new(OutputSink(self.logs.clone())),
            now_ms(),
        )
        .map_err(|e| e.to_string())?;
        self.supervisor.start(config).map_err(|e| e.to_string())?;
        if let Ok(mut subscribers) = self.subscribers.lock() {
            subscribers.insert(
                spec.plugin_id.clone(),
                (spec.tenant.clone(), spec.grants.clone()),
            );
        }
        self.capabilities
            .set_grants(&spec.plugin_id, Some(spec.grants.clone()));
        if let Ok(mut known) = self.known.lock()
            && !known.contains(&spec.plugin_id)
        {
            known.push(spec.plugin_id.clone());
        }
        if let Ok(mut reasons) = self.last_reasons.lock() {
            reasons.remove(&spec.plugin_id);
        }
        Ok(())
    }
}

impl PluginRuntime for SupervisorRuntime {
    fn start(&self, spec: RunSpec) -> RuntimeFuture<'_, Result<(), String>> {
        Box::pin(async move { self.launch(spec) })
    }

    fn stop<'a>(&'a self, plugin_id: &'a str) -> RuntimeFuture<'a, ()> {
        Box::pin(async move {
            if let Ok(status) = self.supervisor.status(plugin_id) {
                self.remember_reason(plugin_id, &status.state);
            }
            let _ = self.supervisor.stop(plugin_id).await;
            if let Ok(mut subscribers) = self.subscribers.lock() {
                subscribers.remove(plugin_id);
            }
            self.capabilities.set_grants(plugin_id, None);
        })
    }

    fn status(&self, plugin_id: &str) -> Option<RuntimeStatus> {
        let status = self.supervisor.status(plugin_id).ok()?;
        self.remember_reason(plugin_id, &status.state);
        let state = match status.state {
            State::Starting => RunState::Starting,
            State::Running => RunState::Running,
            State::Backoff { .. } => RunState::Restarting,
            State::Quarantined { .. } => RunState::Quarantined,
            State::Stopped => RunState::Stopped,
        };
        let metrics = self
            .supervisor
            .metrics(plugin_id)
            .map(|m| RuntimeMetrics {
                calls: m.calls,
                errors: m.errors.values().sum(),
                denials: m.denials,
                in_flight: m.in_flight,
                memory_bytes: m.memory_bytes,
                cpu_ms: m
                    .cpu_time
                    .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
            })
            .unwrap_or_default();
        Some(RuntimeStatus {
            state,
            restarts: status.restarts,
            last_exit_reason: self
                .last_reasons
                .lock()
                .ok()
                .and_then(|r| r.get(plugin_id).cloned()),
            metrics,
        })
    }

    fn clear_quarantine(&self, plugin_id: &str) -> Result<(), String> {
        self.supervisor.clear(plugin_id).map_err(|e| e.to_string())
    }

    fn logs(&self, plugin_id: &str, after: u64, limit: usize) -> Vec<LogLine> {
        self.logs.page(plugin_id, after, limit)
    }

    fn forget_logs(&self, plugin_id: &str) {
        self.logs.forget(plugin_id);
        if let Ok(mut reasons) = self.last_reasons.lock() {
            reasons.remove(plugin_id);
        }
    }

    fn ready(&self) -> Result<(), String> {
        if self.jail.is_none() {
            return Err("the faxbot-jail program is not installed beside faxbot".to_owned());
        }
        if !self.missing_layers.is_empty() {
            return Err(format!(
                "jail layers missing on this host: {} (see `faxbot doctor`; plugins.allow_missing_layers can accept them, announced)",
                self.missing_layers.join(", ")
            ));
        }
        Ok(())
    }

    fn plugin_ids(&self) -> Vec<String> {
        self.known.lock().map(|k| k.clone()).unwrap_or_default()
    }
}

/// The layers this host lacks that the operator did not allow missing.
pub fn missing_layers(allow_missing: &[Layer]) -> (Vec<String>, Vec<String>) {
    let report = faxbot_jail::check();
    let mut refused = Vec::new();
    let mut allowed = Vec::new();
    for layer in Layer::ALL {
        if !report.available(layer) {
            let line = format!("{} ({})", layer.name(), report.detail(layer));
            if allow_missing.contains(&layer) {
                allowed.push(line);
            } else {
                refused.push(line);
            }
        }
    }
    (refused, allowed)
}
