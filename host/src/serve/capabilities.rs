//! The core's answers to plugin calls: `http.fetch` through the egress broker (every
//! request, allowed or refused, an audit record written before the answer), `log.write`
//! lines to the plugin's redacted log, `metric.record` samples counted; every other
//! capability (kv, emit, fax job status: issue 19's brokers) is answered `unavailable`,
//! honestly, instead of pretending. Denials of the grant check are recorded in the trail.

use crate::serve::logs::LogBuffer;
use faxbot_audit::{Action, Actor, AuditEvent, AuditTrail, Outcome, Target};
use faxbot_brokers::egress::{EgressBroker, EgressError, EgressLimits, PluginEgress, SecretSource};
use faxbot_plugin_abi::methods::{Ack, HttpFetch, Log, LogLevel, Metric};
use faxbot_plugin_abi::{Envelope, ErrorCode, Method, RpcError};
use faxbot_policy::capability::{Capability, Grants};
use faxbot_policy::egress::EgressRule;
use faxbot_supervisor::capability::{AuditSink, CapabilityHandler, DeniedCall, HandlerFuture};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Serves the capabilities the core has today.
pub struct CoreCapabilities {
    logs: Arc<LogBuffer>,
    metric_samples: AtomicU64,
    egress: std::sync::OnceLock<Egress>,
    grants: std::sync::Mutex<HashMap<String, Grants>>,
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
}

impl CoreCapabilities {
    /// Plugin log calls go to `logs`.
    pub fn new(logs: Arc<LogBuffer>) -> Self {
        Self {
            logs,
            metric_samples: AtomicU64::new(0),
            egress: std::sync::OnceLock::new(),
            grants: std::sync::Mutex::default(),
        }
    }

    /// Turns `http.fetch` on (once, at start).
    pub fn enable_egress(&self, egress: Egress) {
        let _ = self.egress.set(egress);
    }

    /// The grants a running plugin holds (`None`: it stopped), for the brokers.
    pub fn set_grants(&self, plugin_id: &str, grants: Option<Grants>) {
        if let Ok(mut map) = self.grants.lock() {
            match grants {
                Some(g) => map.insert(plugin_id.to_owned(), g),
                None => map.remove(plugin_id),
            };
        }
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
            .grants
            .lock()
            .ok()
            .and_then(|m| m.get(plugin_id).cloned())
            .map(|g| {
                g.live(now)
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
            limits: EgressLimits::default(),
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
                    let mut text = record.message;
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
                    self.metric_samples.fetch_add(1, Ordering::Relaxed);
                    respond::<Metric>(&call, Ok(Ack {}))
                }
                m if m == HttpFetch::NAME => self.fetch(plugin_id, &call).await,
                other => Err(RpcError::new(
                    ErrorCode::Unavailable,
                    format!(
                        "{other}: this core does not provide that capability yet (its broker is not built)"
                    ),
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
