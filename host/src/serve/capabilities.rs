//! The core's answers to plugin calls, until the brokers exist (issue 19): `log.write`
//! lines go to the plugin's redacted log, `metric.record` samples are counted, and every
//! other capability is answered `unavailable`, honestly, instead of pretending. Denials of
//! the grant check are recorded in the audit trail.

use crate::serve::logs::LogBuffer;
use faxbot_audit::{Action, Actor, AuditEvent, AuditTrail, Outcome, Target};
use faxbot_plugin_abi::methods::{Ack, Log, LogLevel, Metric};
use faxbot_plugin_abi::{Envelope, ErrorCode, Method, RpcError};
use faxbot_supervisor::capability::{AuditSink, CapabilityHandler, DeniedCall, HandlerFuture};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Serves the capabilities the core has today.
pub struct CoreCapabilities {
    logs: Arc<LogBuffer>,
    metric_samples: AtomicU64,
}

impl CoreCapabilities {
    /// Plugin log calls go to `logs`.
    pub fn new(logs: Arc<LogBuffer>) -> Self {
        Self {
            logs,
            metric_samples: AtomicU64::new(0),
        }
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
