//! The core's answers to plugin calls, after the supervisor's grant check passed:
//! `http.fetch` through the egress broker (every request, allowed or refused, an audit record
//! written before the answer); `kv.*` in the plugin's namespace of the store, the quota
//! charged in the write's transaction; `log.write` rate-limited into the plugin's redacted
//! log; `metric.record` into the plugin metrics on `/metrics`; `event.emit` checked and
//! published durably on the bus (projected, so redacted, for every subscriber);
//! `fax.job_status` for the plugin's own tenant's jobs, projected like an event. Denials of
//! the grant check are recorded in the trail.

use crate::serve::logs::LogBuffer;
use faxbot_audit::{Action, Actor, AuditEvent, AuditTrail, Outcome, Target};
use faxbot_brokers::egress::{EgressBroker, EgressError, EgressLimits, PluginEgress, SecretSource};
use faxbot_brokers::emit::{EmitLimits, check_fields};
use faxbot_brokers::kv::{KvBroker, KvError, KvLimits};
use faxbot_brokers::metrics::{MetricLimits, PluginMetrics};
use faxbot_brokers::rate::{Admit, Rate, RateLimiter};
use faxbot_plugin_abi::methods::{
    Ack, EmitEvent, EmitEventResponse, FaxJobStatus, FaxJobStatusResponse, HttpFetch, KvDelete,
    KvDeleteResponse, KvGet, KvGetResponse, KvList, KvListResponse, KvPut, Log, LogLevel, Metric,
};
use faxbot_plugin_abi::{Envelope, ErrorCode, Method, RpcError};
use faxbot_policy::capability::{Capability, Grants};
use faxbot_policy::egress::EgressRule;
use faxbot_supervisor::capability::{AuditSink, CapabilityHandler, DeniedCall, HandlerFuture};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// `log.write` calls a plugin may make: 100 a second, 500 at once.
const LOG_RATE: Rate = Rate {
    per_second: 100.0,
    burst: 500.0,
};

/// What the core knows of a running plugin, for its brokers.
#[derive(Clone)]
struct Running {
    tenant: Option<String>,
    grants: Grants,
}

/// Serves every capability a plugin can be granted.
pub struct CoreCapabilities {
    logs: Arc<LogBuffer>,
    log_rate: RateLimiter,
    metrics: PluginMetrics,
    metric_refusals: AtomicU64,
    kv: KvBroker,
    egress: std::sync::OnceLock<Egress>,
    events: std::sync::OnceLock<Events>,
    fax_desk: std::sync::OnceLock<Arc<faxbot_api::fax::FaxDesk>>,
    running: std::sync::Mutex<HashMap<String, Running>>,
}

/// The bus emitted events go to, and the redactor projections use.
pub struct Events {
    /// The bus.
    pub bus: Arc<faxbot_bus::Bus>,
    /// The projection's redactor.
    pub redactor: Arc<faxbot_redact::Redactor>,
}

/// The egress broker as the daemon wires it: the broker, where secret values come from, and
/// the trail every request is recorded in.
pub struct Egress {
    /// The broker.
    pub broker: EgressBroker,
    /// Plugins' secrets (sealed in the store).
    pub secrets: Arc<dyn SecretSource>,
    /// The audit trail.
    pub trail: AuditTrail,
    /// Limits for every plugin, and per-plugin overrides.
    pub limits: EgressLimits,
    /// Per-plugin limits.
    pub plugin_limits: HashMap<String, EgressLimits>,
}

impl CoreCapabilities {
    /// Plugin log calls go to `logs`, kv data to `store`.
    pub fn new(logs: Arc<LogBuffer>, store: Arc<dyn faxbot_store::Store>) -> Self {
        Self {
            logs,
            log_rate: RateLimiter::new(LOG_RATE),
            metrics: PluginMetrics::new(MetricLimits::default()),
            metric_refusals: AtomicU64::new(0),
            kv: KvBroker::new(store, KvLimits::default()),
            egress: std::sync::OnceLock::new(),
            events: std::sync::OnceLock::new(),
            fax_desk: std::sync::OnceLock::new(),
            running: std::sync::Mutex::default(),
        }
    }

    /// The egress broker, when enabled (webhook deliveries use it too).
    pub fn egress(&self) -> Option<&Egress> {
        self.egress.get()
    }

    /// Turns `event.emit` on (once, at start).
    pub fn enable_events(&self, events: Events) {
        let _ = self.events.set(events);
    }

    /// Turns `fax.job_status` on (once, at start).
    pub fn enable_fax_status(&self, desk: Arc<faxbot_api::fax::FaxDesk>) {
        let _ = self.fax_desk.set(desk);
    }

    /// The plugins' metrics as OpenMetrics text, for `/metrics`.
    pub fn metrics_text(&self) -> String {
        self.metrics.render()
    }

    /// Whether a running plugin's live grants cover the route `path`, and its tenant.
    pub fn route_granted(
        &self,
        plugin_id: &str,
        path: &str,
        now_ms: u64,
    ) -> Option<Option<String>> {
        let running = self.running(plugin_id)?;
        running
            .grants
            .live(now_ms)
            .any(|c| matches!(c, Capability::Route(p) if faxbot_policy::capability::names::route_matches(p, path)))
            .then_some(running.tenant)
    }

    /// Every running plugin's live jobs: (plugin, job name, cron), and its tenant.
    pub fn running_jobs(&self, now_ms: u64) -> Vec<(String, Option<String>, String, String)> {
        let Ok(map) = self.running.lock() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (plugin, running) in map.iter() {
            for capability in running.grants.live(now_ms) {
                if let Capability::Job(job) = capability {
                    out.push((
                        plugin.clone(),
                        running.tenant.clone(),
                        job.name.clone(),
                        job.cron.clone(),
                    ));
                }
            }
        }
        out
    }

    fn running(&self, plugin_id: &str) -> Option<Running> {
        self.running
            .lock()
            .ok()
            .and_then(|m| m.get(plugin_id).cloned())
    }

    /// Turns `http.fetch` on (once, at start).
    pub fn enable_egress(&self, egress: Egress) {
        let _ = self.egress.set(egress);
    }

    /// The tenant and grants of a running plugin (`None`: it stopped), for the brokers.
    pub fn set_running(&self, plugin_id: &str, running: Option<(Option<String>, Grants)>) {
        if let Ok(mut map) = self.running.lock() {
            match running {
                Some((tenant, grants)) => {
                    map.insert(plugin_id.to_owned(), Running { tenant, grants })
                }
                None => map.remove(plugin_id),
            };
        }
    }

    /// Drops what the brokers keep of an uninstalled plugin (its metric series, its rate).
    pub fn forget(&self, plugin_id: &str) {
        self.metrics.forget(plugin_id);
        self.log_rate.forget(plugin_id);
    }

    async fn kv(&self, plugin_id: &str, call: &Envelope) -> Result<Vec<u8>, RpcError> {
        let invalid =
            |e: faxbot_plugin_abi::DecodeError| RpcError::new(ErrorCode::Invalid, e.to_string());
        let refused = |e: KvError| {
            let code = match e {
                KvError::OverQuota { .. } => ErrorCode::QuotaExceeded,
                KvError::Store => ErrorCode::Unavailable,
                _ => ErrorCode::Invalid,
            };
            RpcError::new(code, e.to_string())
        };
        match call.method.as_str() {
            m if m == KvGet::NAME => {
                let req = call.decode_request::<KvGet>().map_err(invalid)?;
                let value = self.kv.get(plugin_id, &req.key).await.map_err(refused);
                respond::<KvGet>(call, value.map(|value| KvGetResponse { value }))
            }
            m if m == KvPut::NAME => {
                let req = call.decode_request::<KvPut>().map_err(invalid)?;
                let quota = self
                    .running(plugin_id)
                    .map(|r| {
                        r.grants
                            .live(faxbot_api::time::now_ms())
                            .filter_map(|c| match c {
                                Capability::KvQuota(q) => Some(*q),
                                _ => None,
                            })
                            .max()
                            .unwrap_or(0)
                    })
                    .unwrap_or(0);
                let written = self
                    .kv
                    .put(plugin_id, &req.key, req.value, quota)
                    .await
                    .map_err(refused);
                respond::<KvPut>(call, written.map(|_| Ack {}))
            }
            m if m == KvDelete::NAME => {
                let req = call.decode_request::<KvDelete>().map_err(invalid)?;
                let existed = self.kv.delete(plugin_id, &req.key).await.map_err(refused);
                respond::<KvDelete>(call, existed.map(|existed| KvDeleteResponse { existed }))
            }
            _ => {
                let req = call.decode_request::<KvList>().map_err(invalid)?;
                let page = self
                    .kv
                    .list(plugin_id, &req.prefix, req.after.as_deref(), req.limit)
                    .await
                    .map_err(refused);
                respond::<KvList>(
                    call,
                    page.map(|p| KvListResponse {
                        keys: p.keys,
                        more: p.more,
                    }),
                )
            }
        }
    }

    async fn emit(&self, plugin_id: &str, call: &Envelope) -> Result<Vec<u8>, RpcError> {
        let events = self.events.get().ok_or_else(|| {
            RpcError::new(
                ErrorCode::Unavailable,
                "event.emit: this core has no event bus",
            )
        })?;
        let req = call
            .decode_request::<EmitEvent>()
            .map_err(|e| RpcError::new(ErrorCode::Invalid, e.to_string()))?;
        let fields = check_fields(req.fields, &EmitLimits::default())
            .map_err(|e| RpcError::new(ErrorCode::Invalid, format!("event.emit: {e}")))?;
        let tenant = self
            .running(plugin_id)
            .and_then(|r| r.tenant)
            .unwrap_or_else(|| "platform".to_owned());
        let event = faxbot_events::CoreEvent::Custom {
            topic: req.topic,
            tenant,
            source_plugin: plugin_id.to_owned(),
            occurred_at_ms: faxbot_api::time::now_ms(),
            fields,
        };
        let bus = events.bus.clone();
        // The outbox write is a blocking store transaction: off the async workers.
        let published = tokio::task::spawn_blocking(move || bus.publish(&event))
            .await
            .map_err(|_| RpcError::new(ErrorCode::Unavailable, "event.emit: the bus failed"))?
            .map(|(event_id, _)| EmitEventResponse { event_id })
            .map_err(|e| {
                tracing::error!(plugin = %plugin_id, error = %e, "an emitted event could not be published");
                RpcError::new(ErrorCode::Unavailable, "event.emit: the event could not be stored")
            });
        respond::<EmitEvent>(call, published)
    }

    fn fax_status(&self, plugin_id: &str, call: &Envelope) -> Result<Vec<u8>, RpcError> {
        let req = call
            .decode_request::<FaxJobStatus>()
            .map_err(|e| RpcError::new(ErrorCode::Invalid, e.to_string()))?;
        let (Some(desk), Some(events)) = (self.fax_desk.get(), self.events.get()) else {
            return Err(RpcError::new(
                ErrorCode::Unavailable,
                "fax.job_status: this core has no fax desk",
            ));
        };
        let tenant = self.running(plugin_id).and_then(|r| r.tenant);
        // Another tenant's job is answered exactly like a missing one.
        let not_found = || RpcError::new(ErrorCode::NotFound, "no such fax job");
        let job = desk
            .job(tenant.as_deref(), &req.job_id)
            .map_err(|_| not_found())?;
        let record = desk.core_record(&job).ok_or_else(not_found)?;
        let answer = FaxJobStatusResponse {
            job: faxbot_events::fax_job(&events.redactor, &record),
            updated_at_ms: job.updated_at_ms,
        };
        respond::<FaxJobStatus>(call, Ok(answer))
    }

    async fn fetch(&self, plugin_id: &str, call: &Envelope) -> Result<Vec<u8>, RpcError> {
        let egress = self.egress.get().ok_or_else(|| {
            RpcError::new(
                ErrorCode::Unavailable,
                "http.fetch: this core has no egress broker",
            )
        })?;
        let request = call
            .decode_request::<HttpFetch>()
            .map_err(|e| RpcError::new(ErrorCode::Invalid, e.to_string()))?;
        let now = faxbot_api::time::now_ms();
        let rules: Vec<EgressRule> = self
            .running(plugin_id)
            .map(|r| {
                r.grants
                    .live(now)
                    .filter_map(|c| match c {
                        Capability::Egress(rule) => Some(rule.clone()),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        let plugin = PluginEgress {
            plugin_id: plugin_id.to_owned(),
            rules,
            limits: egress
                .plugin_limits
                .get(plugin_id)
                .copied()
                .unwrap_or(egress.limits),
        };
        let (outcome, record) = egress
            .broker
            .fetch(&plugin, &request, egress.secrets.as_ref())
            .await;
        let details = serde_json::json!({
            "method": record.method,
            "host": record.host,
            "port": record.port,
            "status": record.status,
            "bytes_out": record.bytes_out,
            "bytes_in": record.bytes_in,
            "duration_ms": record.duration_ms,
            "refused": outcome.as_ref().err().map(|e| e.kind()),
        });
        let denied = outcome.as_ref().err().is_some_and(|e| e.is_denial());
        let action = if denied {
            "plugin.http.denied"
        } else {
            "plugin.http.fetch"
        };
        // The request is recorded before its answer reaches the plugin; when the record
        // cannot be made or written, the answer is refused.
        let refused = || {
            RpcError::new(
                ErrorCode::Unavailable,
                "http.fetch: the audit trail refused the record",
            )
        };
        let action = Action::new(action).map_err(|_| refused())?;
        let actor = Actor::plugin(plugin_id.to_owned()).unwrap_or(Actor::System);
        let outcome_kind = match (&outcome, denied) {
            (Ok(_), _) => Outcome::Success,
            (Err(_), true) => Outcome::Denied,
            (Err(_), false) => Outcome::Failed,
        };
        let mut event = AuditEvent::new(actor, action, outcome_kind).with_details(details);
        if let Ok(target) = Target::plugin(plugin_id.to_owned()) {
            event = event.with_target(target);
        }
        egress.trail.record(event).await.map_err(|_| refused())?;
        let answer = outcome.map_err(|e| {
            let code = if e.is_denial() {
                ErrorCode::Denied
            } else if e == EgressError::Timeout {
                ErrorCode::Timeout
            } else {
                ErrorCode::Unavailable
            };
            RpcError::new(code, e.to_string())
        });
        respond::<HttpFetch>(call, answer)
    }
}

fn level_name(level: LogLevel) -> &'static str {
    match level {
        LogLevel::Trace => "trace",
        LogLevel::Debug => "debug",
        LogLevel::Info => "info",
        LogLevel::Warn => "warn",
        LogLevel::Error => "error",
    }
}

fn respond<M: Method>(
    call: &Envelope,
    outcome: Result<M::Response, RpcError>,
) -> Result<Vec<u8>, RpcError> {
    Envelope::response::<M>(call.id, &outcome, 16 << 20)
        .map(|e| e.body)
        .map_err(|e| RpcError::new(ErrorCode::Internal, e.to_string()))
}

impl CapabilityHandler for CoreCapabilities {
    fn handle<'a>(&'a self, plugin_id: &'a str, call: Envelope) -> HandlerFuture<'a> {
        Box::pin(async move {
            match call.method.as_str() {
                m if m == Log::NAME => {
                    let record = call
                        .decode_request::<Log>()
                        .map_err(|e| RpcError::new(ErrorCode::Invalid, e.to_string()))?;
                    let Admit::Yes { dropped_before } = self.log_rate.admit(plugin_id) else {
                        return respond::<Log>(
                            &call,
                            Err(RpcError::new(
                                ErrorCode::QuotaExceeded,
                                "log.write: over the rate of 100 lines a second",
                            )),
                        );
                    };
                    let mut text = String::new();
                    if dropped_before > 0 {
                        text.push_str(&format!(
                            "[{dropped_before} log calls dropped by the rate limit] "
                        ));
                    }
                    text.push_str(&record.message);
                    for (k, v) in record.fields.iter().take(32) {
                        text.push_str(&format!(" {k}={v}"));
                    }
                    self.logs.push(
                        plugin_id,
                        "log",
                        Some(level_name(record.level).to_owned()),
                        &text,
                    );
                    respond::<Log>(&call, Ok(Ack {}))
                }
                m if m == Metric::NAME => {
                    let sample = call
                        .decode_request::<Metric>()
                        .map_err(|e| RpcError::new(ErrorCode::Invalid, e.to_string()))?;
                    let tenant = self.running(plugin_id).and_then(|r| r.tenant);
                    let is_plain = |value: &str| self.logs.is_plain(tenant.as_deref(), value);
                    let recorded = self.metrics.record(plugin_id, &sample, &is_plain);
                    if recorded.is_err() {
                        self.metric_refusals.fetch_add(1, Ordering::Relaxed);
                    }
                    respond::<Metric>(
                        &call,
                        recorded.map(|()| Ack {}).map_err(|e| {
                            RpcError::new(ErrorCode::Invalid, format!("metric.record: {e}"))
                        }),
                    )
                }
                m if m == KvGet::NAME
                    || m == KvPut::NAME
                    || m == KvDelete::NAME
                    || m == KvList::NAME =>
                {
                    self.kv(plugin_id, &call).await
                }
                m if m == EmitEvent::NAME => self.emit(plugin_id, &call).await,
                m if m == FaxJobStatus::NAME => self.fax_status(plugin_id, &call),
                m if m == HttpFetch::NAME => self.fetch(plugin_id, &call).await,
                other => Err(RpcError::new(
                    ErrorCode::Unsupported,
                    format!("{other}: not a method a plugin can call"),
                )),
            }
        })
    }
}

/// Records each denied plugin call in the audit trail (the call is refused either way).
pub struct DenialAudit {
    pub trail: AuditTrail,
    pub tenant: Option<String>,
}

impl AuditSink for DenialAudit {
    fn denied(&self, denial: &DeniedCall) {
        let Ok(action) = Action::new("plugin.call.denied") else {
            return;
        };
        let actor = Actor::plugin(denial.plugin_id.clone()).unwrap_or(Actor::System);
        let mut event = AuditEvent::new(actor, action, Outcome::Denied).with_details({
            // Typed: the capability, the rule's code and the rule's own fields.
            let mut details = denial.denial.audit_details();
            if let Some(map) = details.as_object_mut() {
                map.insert("method".into(), serde_json::json!(denial.method));
            }
            details
        });
        if let Ok(target) = Target::plugin(denial.plugin_id.clone()) {
            event = event.with_target(target);
        }
        if let Some(tenant) = self
            .tenant
            .as_deref()
            .and_then(|t| faxbot_audit::TenantId::new(t).ok())
        {
            event = event.with_tenant(tenant);
        }
        let trail = self.trail.clone();
        tokio::spawn(async move {
            if let Err(e) = trail.record(event).await {
                tracing::error!(error = %e, "audit trail refused a denial record");
            }
        });
    }
}
