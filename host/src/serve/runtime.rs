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
    DeadLetter, DeadLetterAction, LogLine, PluginRuntime, RouteAnswer, RouteCall, RouteFailure,
    RunSpec, RunState, RuntimeFuture, RuntimeMetrics, RuntimeStatus,
};
use faxbot_api::time::now_ms;
use faxbot_audit::AuditTrail;
use faxbot_bus::{Bus, Deliverer, DeliveryError, DeliveryFuture, RetryPolicy, Subscription};
use faxbot_jail::spec::Layer;
use faxbot_store::{BusStore, Store};
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
    /// The event bus plugins' subscriptions are served from.
    bus: std::sync::OnceLock<Arc<Bus>>,
    /// Plugins' scheduled jobs.
    scheduler: crate::serve::jobs::Scheduler,
    /// The platform's outbound webhooks, and the subscribers they are on the bus as.
    webhooks: std::sync::OnceLock<Arc<crate::serve::webhooks::Webhooks>>,
    webhook_subscribers: Mutex<Vec<String>>,
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
        jobs: Arc<dyn faxbot_store::JobStore>,
    ) -> Self {
        Self {
            supervisor: Supervisor::new(),
            jail,
            missing_layers,
            settings,
            capabilities: Arc::new(CoreCapabilities::new(logs.clone(), store.clone())),
            logs,
            audit,
            store,
            last_reasons: Mutex::default(),
            known: Mutex::default(),
            metrics: Mutex::default(),
            bus: std::sync::OnceLock::new(),
            scheduler: crate::serve::jobs::Scheduler::new(jobs),
            webhooks: std::sync::OnceLock::new(),
            webhook_subscribers: Mutex::default(),
        }
    }

    /// Starts the jobs that are due (called every half second): each runs `job.run` on its
    /// plugin with the plugin's job deadline; its outcome and redacted summary are kept, and
    /// a line goes to the plugin's log.
    pub fn run_due_jobs(self: &Arc<Self>) {
        let now = now_ms();
        let jobs = self.capabilities.running_jobs(now);
        let tenants: HashMap<String, Option<String>> = jobs
            .iter()
            .map(|(p, t, _, _)| (p.clone(), t.clone()))
            .collect();
        let runnable: Vec<(String, String, String)> = jobs
            .into_iter()
            .filter(|(plugin, _, _, _)| {
                self.supervisor
                    .status(plugin)
                    .is_ok_and(|s| s.state == State::Running)
            })
            .map(|(p, _, name, cron)| (p, name, cron))
            .collect();
        for run in self.scheduler.due(&runnable, now) {
            let runtime = Arc::clone(self);
            let tenant = tenants.get(&run.plugin_id).cloned().flatten();
            tokio::spawn(async move {
                let request = faxbot_plugin_abi::methods::JobRun {
                    name: run.job.clone(),
                    run_id: run.run_id.clone(),
                    scheduled_at_ms: run.scheduled_ms,
                };
                let (outcome, _) = runtime
                    .supervisor
                    .call_with_default_deadline::<faxbot_plugin_abi::methods::RunJob>(
                        &run.plugin_id,
                        &request,
                    )
                    .await;
                let (verdict, summary) = match outcome {
                    Ok(report) => (
                        "ok".to_owned(),
                        report.summary.map(|s| {
                            let line: String = s.chars().take(500).collect();
                            runtime.logs.redact(tenant.as_deref(), &line)
                        }),
                    ),
                    Err(e) => (e.code.to_string(), None),
                };
                runtime.logs.push(
                    &run.plugin_id,
                    "log",
                    Some(if verdict == "ok" { "info" } else { "warn" }.to_owned()),
                    &format!(
                        "job {} ({}): {verdict}{}",
                        run.job,
                        run.run_id,
                        summary
                            .as_deref()
                            .map(|s| format!(" — {s}"))
                            .unwrap_or_default()
                    ),
                );
                runtime
                    .scheduler
                    .finished(&run, &verdict, summary.as_deref());
            });
        }
    }

    /// Turns the platform's outbound webhooks on (once, after the bus) and subscribes them.
    pub fn enable_webhooks(&self, webhooks: crate::serve::webhooks::Webhooks) {
        let _ = self.webhooks.set(Arc::new(webhooks));
        self.subscribe_webhooks();
    }

    fn subscribe_webhooks(&self) {
        let (Some(bus), Some(webhooks)) = (self.bus.get(), self.webhooks.get()) else {
            return;
        };
        let subscriptions = webhooks.subscriptions();
        let Ok(mut current) = self.webhook_subscribers.lock() else {
            return;
        };
        for old in current.drain(..) {
            bus.unsubscribe(&old);
        }
        for subscription in subscriptions {
            current.push(subscription.subscriber.clone());
            bus.subscribe(subscription);
        }
    }

    /// Turns `fax.job_status` on (once, at start).
    pub fn enable_fax_status(&self, desk: Arc<faxbot_api::fax::FaxDesk>) {
        self.capabilities.enable_fax_status(desk);
    }

    /// Turns the egress broker on for every plugin's `http.fetch` (once, at start).
    pub fn enable_egress(&self, egress: crate::serve::capabilities::Egress) {
        self.capabilities.enable_egress(egress);
    }

    /// Creates the event bus over `store`, projecting with `redactor` and delivering to the
    /// plugins this runtime runs, and resumes the deliveries a previous run left owing
    /// (once, at start).
    pub fn attach_bus(
        self: &Arc<Self>,
        store: Arc<dyn BusStore>,
        redactor: Arc<faxbot_redact::Redactor>,
        policy: RetryPolicy,
    ) -> Result<usize, String> {
        let deliverer = Arc::new(PluginDelivery(Arc::downgrade(self)));
        let bus = Bus::new(store, redactor.clone(), deliverer, policy);
        let _ = self.bus.set(bus.clone());
        self.capabilities
            .enable_events(crate::serve::capabilities::Events {
                bus: bus.clone(),
                redactor,
            });
        bus.resume().map_err(|e| e.to_string())
    }

    /// Publishes `event` on the bus: projected and stored durably for every subscribed
    /// plugin before this returns, then delivered at least once. Returns the event id.
    pub fn publish(&self, event: &faxbot_events::CoreEvent) -> Result<String, String> {
        let bus = self
            .bus
            .get()
            .ok_or_else(|| "this core has no event bus".to_owned())?;
        bus.publish(event).map(|(id, _)| id).map_err(|e| {
            tracing::error!(error = %e, topic = %event.topic(), "an event could not be published");
            e.to_string()
        })
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
            spec.config.clone(),
            &self.settings,
            hooks,
            Arc::new(OutputSink(self.logs.clone())),
            now_ms(),
        )
        .map_err(|e| e.to_string())?;
        self.supervisor.start(config).map_err(|e| e.to_string())?;
        if let Some(bus) = self.bus.get() {
            let patterns: Vec<String> = spec
                .grants
                .live(now_ms())
                .filter_map(|c| match c {
                    faxbot_policy::capability::Capability::Subscribe(p) => Some(p.clone()),
                    _ => None,
                })
                .collect();
            let subscriber = Subscription::plugin_subscriber(&spec.plugin_id);
            if patterns.is_empty() {
                bus.unsubscribe(&subscriber);
            } else {
                bus.subscribe(Subscription {
                    subscriber,
                    tenant: spec.tenant.clone(),
                    patterns,
                });
            }
        }
        self.capabilities.set_running(
            &spec.plugin_id,
            Some((spec.tenant.clone(), spec.grants.clone())),
        );
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
            if let Some(bus) = self.bus.get() {
                bus.unsubscribe(&Subscription::plugin_subscriber(plugin_id));
            }
            self.capabilities.set_running(plugin_id, None);
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

    fn forget_plugin(&self, plugin_id: &str) {
        self.logs.forget(plugin_id);
        self.capabilities.forget(plugin_id);
        self.scheduler.forget(plugin_id);
        if let Some(bus) = self.bus.get()
            && let Err(e) = bus
                .store()
                .bus_forget(&Subscription::plugin_subscriber(plugin_id))
        {
            tracing::error!(plugin = %plugin_id, error = %e, "events owed to an uninstalled plugin not removed");
        }
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

    fn webhooks_changed(&self) {
        self.subscribe_webhooks();
    }

    fn serve_route<'a>(
        &'a self,
        plugin_id: &'a str,
        call: RouteCall,
    ) -> RuntimeFuture<'a, Result<RouteAnswer, RouteFailure>> {
        Box::pin(async move {
            let running = self
                .supervisor
                .status(plugin_id)
                .is_ok_and(|s| s.state == State::Running);
            if !running {
                return Err(RouteFailure::NotRunning);
            }
            let tenant = self
                .capabilities
                .route_granted(plugin_id, &call.path, now_ms())
                .ok_or(RouteFailure::NotGranted)?;
            let request = faxbot_plugin_abi::methods::RouteRequest {
                method: call.method,
                path: call.path,
                query: call.query,
                headers: call.headers,
                body: call.body,
            };
            let (outcome, _) = self
                .supervisor
                .call_with_default_deadline::<faxbot_plugin_abi::methods::ServeRoute>(
                    plugin_id, &request,
                )
                .await;
            let response = outcome.map_err(|e| match e.code {
                faxbot_plugin_abi::ErrorCode::Timeout => RouteFailure::Timeout,
                code => RouteFailure::Failed(code.to_string()),
            })?;
            let is_json = response.headers.iter().any(|(k, v)| {
                k.eq_ignore_ascii_case("content-type") && v.to_ascii_lowercase().contains("json")
            });
            let body = self
                .logs
                .redact_output(tenant.as_deref(), is_json, response.body);
            Ok(RouteAnswer {
                status: response.status,
                headers: response.headers,
                body,
            })
        })
    }

    fn jobs(&self, plugin_id: &str) -> Vec<faxbot_api::runtime::JobView> {
        let jobs: Vec<(String, String)> = self
            .capabilities
            .running_jobs(now_ms())
            .into_iter()
            .filter(|(p, _, _, _)| p == plugin_id)
            .map(|(_, _, name, cron)| (name, cron))
            .collect();
        self.scheduler.view(plugin_id, &jobs)
    }

    fn plugin_metrics(&self) -> String {
        self.capabilities.metrics_text()
    }

    fn dead_letters(&self, subscriber: &str, limit: usize) -> Result<Vec<DeadLetter>, String> {
        let Some(bus) = self.bus.get() else {
            return Ok(Vec::new());
        };
        let entries = bus
            .store()
            .bus_dead_letters(subscriber, limit)
            .map_err(|e| e.to_string())?;
        Ok(entries
            .into_iter()
            .map(|e| DeadLetter {
                event_id: e.event.id,
                topic: e.event.topic,
                sequence: e.sequence,
                attempts: e.attempts,
                last_error: e.last_error,
                published_at: faxbot_api::time::format_ms(e.event.published_at_ms),
            })
            .collect())
    }

    fn dead_letter(
        &self,
        subscriber: &str,
        event_id: &str,
        action: DeadLetterAction,
    ) -> Result<bool, String> {
        let bus = self
            .bus
            .get()
            .ok_or_else(|| "this core has no event bus".to_owned())?;
        match action {
            DeadLetterAction::Replay => bus.replay(subscriber, event_id),
            DeadLetterAction::Discard => bus.store().bus_discard(subscriber, event_id),
        }
        .map_err(|e| e.to_string())
    }
}

/// The bus's deliveries to plugins: through the supervisor, to running plugins only (a
/// plugin that is starting, restarting or quarantined keeps its backlog, attempts unspent).
struct PluginDelivery(std::sync::Weak<SupervisorRuntime>);

impl PluginDelivery {
    fn plugin_id(subscriber: &str) -> Option<&str> {
        subscriber.strip_prefix("plugin:")
    }
}

impl Deliverer for PluginDelivery {
    fn available(&self, subscriber: &str) -> bool {
        if let Some(id) = subscriber.strip_prefix("webhook:") {
            return self
                .0
                .upgrade()
                .and_then(|r| r.webhooks.get().map(|w| w.available(id)))
                .unwrap_or(false);
        }
        let (Some(runtime), Some(plugin)) = (self.0.upgrade(), Self::plugin_id(subscriber)) else {
            return false;
        };
        runtime
            .supervisor
            .status(plugin)
            .is_ok_and(|s| s.state == State::Running)
    }

    fn deliver<'a>(
        &'a self,
        subscriber: &'a str,
        event: faxbot_plugin_abi::event::Event,
        attempt: u32,
    ) -> DeliveryFuture<'a> {
        Box::pin(async move {
            let runtime = self
                .0
                .upgrade()
                .ok_or_else(|| DeliveryError("the core is stopping".into()))?;
            if let Some(id) = subscriber.strip_prefix("webhook:") {
                let (Some(webhooks), Some(egress)) =
                    (runtime.webhooks.get(), runtime.capabilities.egress())
                else {
                    return Err(DeliveryError("webhooks are not enabled".into()));
                };
                return webhooks
                    .deliver(id, event, &egress.broker, egress.limits)
                    .await;
            }
            let plugin = Self::plugin_id(subscriber)
                .ok_or_else(|| DeliveryError("not a plugin subscriber".into()))?;
            let delivery = faxbot_plugin_abi::methods::EventDelivery { event, attempt };
            // The plugin's own words stay out of the outbox: only the error's code is kept.
            runtime
                .supervisor
                .call_with_default_deadline::<faxbot_plugin_abi::methods::DeliverEvent>(
                    plugin, &delivery,
                )
                .await
                .0
                .map(|_| ())
                .map_err(|e| DeliveryError(e.code.to_string()))
        })
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
