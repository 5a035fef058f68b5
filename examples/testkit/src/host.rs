//! The in-memory host: serves and records every capability call a plugin makes.

use crate::now_ms;
use faxbot_plugin_abi::event::{FaxDirection, FaxJobEvent, FaxJobState};
use faxbot_plugin_abi::methods::{
    Ack, EmitEvent, EmitEventRequest, EmitEventResponse, FaxJobStatus, FaxJobStatusResponse,
    HttpFetch, HttpResponse, KvDelete, KvDeleteResponse, KvGet, KvGetResponse, KvList,
    KvListResponse, KvPut, Log, LogRecord, Metric, MetricSample,
};
use faxbot_plugin_abi::{Envelope, ErrorCode, Method, RpcError};
use faxbot_policy::capability::{Denial, Grants, check_call};
use faxbot_policy::manifest::Manifest;
use faxbot_supervisor::capability::{
    AuditSink, CapabilityCheck, CapabilityHandler, DeniedCall, HandlerFuture,
};
use faxbot_supervisor::output::{LogSink, OutputLine};
use faxbot_supervisor::session::SessionHooks;
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// One outbound request the plugin made, as the broker saw it (secrets as placeholders).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fetch {
    /// HTTP method.
    pub method: String,
    /// The URL with secrets shown as `{secret:NAME}`.
    pub url: String,
    /// Headers with secrets shown as `{secret:NAME}` / `{hmac-sha256:NAME}`.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// Statuses the fake egress answers with, in order; `200` once they run out.
#[derive(Default)]
pub struct HttpScript(Mutex<VecDeque<u16>>);

impl HttpScript {
    /// Queues statuses for the next requests.
    pub fn answer(&self, statuses: &[u16]) {
        lock(&self.0).extend(statuses.iter().copied());
    }

    fn next(&self) -> u16 {
        lock(&self.0).pop_front().unwrap_or(200)
    }
}

/// A host holding one plugin's grants and the state its capabilities keep.
pub struct Host {
    /// The grants, as an admin approving everything the manifest asks would give.
    pub grants: Grants,
    /// The plugin's kv namespace.
    pub kv: Mutex<BTreeMap<String, Vec<u8>>>,
    /// `log.write` records.
    pub logs: Mutex<Vec<LogRecord>>,
    /// `metric.record` samples.
    pub metrics: Mutex<Vec<MetricSample>>,
    /// Outbound requests that passed the egress check.
    pub fetches: Mutex<Vec<Fetch>>,
    /// Emitted events.
    pub emitted: Mutex<Vec<EmitEventRequest>>,
    /// Calls the grant check refused.
    pub denials: Mutex<Vec<DeniedCall>>,
    /// The plugin's stdout and stderr lines.
    pub output: Mutex<Vec<OutputLine>>,
    /// How the fake egress answers.
    pub http: HttpScript,
}

impl Host {
    /// A host granting everything `manifest` requests.
    pub fn for_manifest(manifest: &Manifest) -> Arc<Self> {
        let grants = Grants::approve_all(
            manifest.id.clone(),
            manifest.version.clone(),
            manifest.capabilities.to_capabilities(),
            None,
        );
        Arc::new(Self {
            grants,
            kv: Mutex::default(),
            logs: Mutex::default(),
            metrics: Mutex::default(),
            fetches: Mutex::default(),
            emitted: Mutex::default(),
            denials: Mutex::default(),
            output: Mutex::default(),
            http: HttpScript::default(),
        })
    }

    /// The session hooks serving this host.
    pub fn hooks(self: &Arc<Self>) -> SessionHooks {
        SessionHooks {
            check: Arc::new(Shared(self.clone())),
            handler: Arc::new(Shared(self.clone())),
            audit: Arc::new(Shared(self.clone())),
        }
    }

    /// The stdout/stderr sink for a supervised plugin.
    pub fn log_sink(self: &Arc<Self>) -> Arc<dyn LogSink> {
        Arc::new(Shared(self.clone()))
    }

    /// The kv value of `key` as text.
    pub fn kv_text(&self, key: &str) -> Option<String> {
        lock(&self.kv)
            .get(key)
            .map(|v| String::from_utf8_lossy(v).into_owned())
    }

    /// The kv keys, ascending.
    pub fn kv_keys(&self) -> Vec<String> {
        lock(&self.kv).keys().cloned().collect()
    }

    /// A copy of the outbound requests so far.
    pub fn fetched(&self) -> Vec<Fetch> {
        lock(&self.fetches).clone()
    }

    /// A copy of the log records so far.
    pub fn log_records(&self) -> Vec<LogRecord> {
        lock(&self.logs).clone()
    }

    /// A copy of the denials so far.
    pub fn denied(&self) -> Vec<DeniedCall> {
        lock(&self.denials).clone()
    }

    /// Sum of the samples of counter `name`.
    pub fn counter(&self, name: &str) -> f64 {
        lock(&self.metrics)
            .iter()
            .filter(|m| m.name == name)
            .map(|m| m.value)
            .sum()
    }

    fn kv_bytes_after(&self, key: &str, value_len: usize) -> u64 {
        let kv = lock(&self.kv);
        let others: usize = kv
            .iter()
            .filter(|(k, _)| k.as_str() != key)
            .map(|(k, v)| k.len() + v.len())
            .sum();
        (others + key.len() + value_len) as u64
    }
}

struct Shared(Arc<Host>);

impl CapabilityCheck for Shared {
    fn permits(&self, _plugin_id: &str, call: &Envelope) -> Result<(), Denial> {
        let total = |key: &str, len: usize| self.0.kv_bytes_after(key, len);
        check_call(&self.0.grants, call, now_ms(), &total)
    }
}

impl AuditSink for Shared {
    fn denied(&self, call: &DeniedCall) {
        lock(&self.0.denials).push(call.clone());
    }
}

impl LogSink for Shared {
    fn record(&self, line: OutputLine) {
        lock(&self.0.output).push(line);
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

fn request<M: Method>(call: &Envelope) -> Result<M::Request, RpcError> {
    call.decode_request::<M>()
        .map_err(|e| RpcError::new(ErrorCode::Invalid, e.to_string()))
}

impl CapabilityHandler for Shared {
    fn handle<'a>(&'a self, _plugin_id: &'a str, call: Envelope) -> HandlerFuture<'a> {
        Box::pin(async move {
            let host = &self.0;
            match call.method.as_str() {
                KvGet::NAME => {
                    let key = request::<KvGet>(&call)?.key;
                    let value = lock(&host.kv).get(&key).cloned();
                    respond::<KvGet>(&call, Ok(KvGetResponse { value }))
                }
                KvPut::NAME => {
                    let put = request::<KvPut>(&call)?;
                    lock(&host.kv).insert(put.key, put.value);
                    respond::<KvPut>(&call, Ok(Ack {}))
                }
                KvDelete::NAME => {
                    let key = request::<KvDelete>(&call)?.key;
                    let existed = lock(&host.kv).remove(&key).is_some();
                    respond::<KvDelete>(&call, Ok(KvDeleteResponse { existed }))
                }
                KvList::NAME => {
                    let list = request::<KvList>(&call)?;
                    let limit = list.limit.clamp(1, 1000) as usize;
                    let matching: Vec<String> = lock(&host.kv)
                        .keys()
                        .filter(|k| k.starts_with(&list.prefix))
                        .filter(|k| list.after.as_ref().is_none_or(|a| *k > a))
                        .cloned()
                        .collect();
                    let more = matching.len() > limit;
                    let keys = matching.into_iter().take(limit).collect();
                    respond::<KvList>(&call, Ok(KvListResponse { keys, more }))
                }
                Log::NAME => {
                    lock(&host.logs).push(request::<Log>(&call)?);
                    respond::<Log>(&call, Ok(Ack {}))
                }
                Metric::NAME => {
                    lock(&host.metrics).push(request::<Metric>(&call)?);
                    respond::<Metric>(&call, Ok(Ack {}))
                }
                HttpFetch::NAME => {
                    let fetch = request::<HttpFetch>(&call)?;
                    lock(&host.fetches).push(Fetch {
                        method: fetch.method,
                        url: fetch.url.display_redacted(),
                        headers: fetch
                            .headers
                            .iter()
                            .map(|h| (h.name.clone(), h.value.display_redacted()))
                            .collect(),
                        body: fetch.body,
                    });
                    let status = host.http.next();
                    respond::<HttpFetch>(
                        &call,
                        Ok(HttpResponse {
                            status,
                            headers: vec![],
                            body: Vec::new(),
                        }),
                    )
                }
                EmitEvent::NAME => {
                    let emit = request::<EmitEvent>(&call)?;
                    let n = {
                        let mut emitted = lock(&host.emitted);
                        emitted.push(emit);
                        emitted.len()
                    };
                    respond::<EmitEvent>(
                        &call,
                        Ok(EmitEventResponse {
                            event_id: format!("evt-{n}"),
                        }),
                    )
                }
                FaxJobStatus::NAME => {
                    let job_id = request::<FaxJobStatus>(&call)?.job_id;
                    respond::<FaxJobStatus>(
                        &call,
                        Ok(FaxJobStatusResponse {
                            job: FaxJobEvent {
                                job_id,
                                direction: FaxDirection::Outbound,
                                state: FaxJobState::Delivered,
                                provider: "test".into(),
                                pages: Some(1),
                                attempt: 1,
                                queued_at_ms: 0,
                                duration_ms: Some(30_000),
                                failure: None,
                                remote_token: None,
                            },
                            updated_at_ms: 0,
                        }),
                    )
                }
                other => Err(RpcError::unsupported_method(other)),
            }
        })
    }
}
