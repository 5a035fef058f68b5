//! The in-memory host: checks every capability call with the policy crate's one call check,
//! serves it from memory and records it. The examples' tests and the SDK's tests share it.

use crate::now_ms;
use faxbot_plugin_abi::event::{FaxDirection, FaxJobEvent, FaxJobState};
use faxbot_plugin_abi::methods::{
    Ack, EmitEvent, EmitEventRequest, EmitEventResponse, FaxJobStatus, FaxJobStatusResponse,
    HttpFetch, HttpRequest, HttpResponse, KvDelete, KvDeleteResponse, KvGet, KvGetResponse, KvList,
    KvListResponse, KvPut, Log, LogRecord, Metric, MetricSample,
};
use faxbot_plugin_abi::{Envelope, ErrorCode, GrantedCapabilities, Method, RpcError};
use faxbot_policy::capability::{
    Capability, Denial, DenialRule, Grants, JobSpec, check_call, method_capability,
};
use faxbot_policy::egress::EgressRule;
use faxbot_policy::manifest::Manifest;
use faxbot_supervisor::capability::{
    AuditSink, CapabilityCheck, CapabilityHandler, DeniedCall, HandlerFuture,
};
use faxbot_supervisor::output::{LogSink, OutputLine};
use faxbot_supervisor::session::SessionHooks;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

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

impl From<&HttpRequest> for Fetch {
    fn from(request: &HttpRequest) -> Self {
        Self {
            method: request.method.clone(),
            url: request.url.display_redacted(),
            headers: request
                .headers
                .iter()
                .map(|h| (h.name.clone(), h.value.display_redacted()))
                .collect(),
            body: request.body.clone(),
        }
    }
}

/// How the fake egress answers: queued statuses first, then the default status (200
/// unless set). Every answer's body is `fetched <URL with secrets as placeholders>`.
pub struct HttpScript {
    queued: Mutex<VecDeque<u16>>,
    default_status: Mutex<u16>,
}

impl Default for HttpScript {
    fn default() -> Self {
        Self {
            queued: Mutex::default(),
            default_status: Mutex::new(200),
        }
    }
}

impl HttpScript {
    /// Queues statuses for the next requests.
    pub fn answer(&self, statuses: &[u16]) {
        lock(&self.queued).extend(statuses.iter().copied());
    }

    /// The status answered once the queue is empty.
    pub fn answer_by_default(&self, status: u16) {
        *lock(&self.default_status) = status;
    }

    fn next(&self) -> u16 {
        lock(&self.queued)
            .pop_front()
            .unwrap_or_else(|| *lock(&self.default_status))
    }
}

/// A host holding one plugin's grants and the state its capabilities keep.
pub struct Host {
    /// The grants the one call check holds every call to.
    pub grants: Grants,
    /// The plugin's kv namespace.
    pub kv: Mutex<BTreeMap<String, Vec<u8>>>,
    /// `log.write` records.
    pub logs: Mutex<Vec<LogRecord>>,
    /// `metric.record` samples.
    pub metrics: Mutex<Vec<MetricSample>>,
    /// Outbound requests that passed the check, as sent (secrets as placeholders).
    pub fetches: Mutex<Vec<HttpRequest>>,
    /// Emitted events.
    pub emitted: Mutex<Vec<EmitEventRequest>>,
    /// Calls the check refused, as the supervisor reported them to the audit sink.
    pub denials: Mutex<Vec<DeniedCall>>,
    /// Every call the handler served: the method and the deadline the plugin gave it.
    pub served: Mutex<Vec<(String, u32)>>,
    /// The plugin's stdout and stderr lines.
    pub output: Mutex<Vec<OutputLine>>,
    /// How the fake egress answers.
    pub http: HttpScript,
    refused: Mutex<BTreeSet<String>>,
    stalled: Mutex<BTreeMap<String, Duration>>,
    events_emitted: Mutex<u64>,
}

impl Host {
    fn with_grants(grants: Grants) -> Arc<Self> {
        Arc::new(Self {
            grants,
            kv: Mutex::default(),
            logs: Mutex::default(),
            metrics: Mutex::default(),
            fetches: Mutex::default(),
            emitted: Mutex::default(),
            denials: Mutex::default(),
            served: Mutex::default(),
            output: Mutex::default(),
            http: HttpScript::default(),
            refused: Mutex::default(),
            stalled: Mutex::default(),
            events_emitted: Mutex::new(0),
        })
    }

    /// A host granting everything `manifest` requests.
    pub fn for_manifest(manifest: &Manifest) -> Arc<Self> {
        Self::with_grants(Grants::approve_all(
            manifest.id.clone(),
            manifest.version.clone(),
            manifest.capabilities.to_capabilities(),
            None,
        ))
    }

    /// A host granting `plugin_id` exactly what a Welcome's `granted` lists (for tests
    /// that speak the wire without a manifest). Panics on an egress rule that does not
    /// parse: the test wrote it.
    pub fn for_granted(plugin_id: &str, granted: &GrantedCapabilities) -> Arc<Self> {
        let mut capabilities = Vec::new();
        let patterns = |list: &[String], make: fn(String) -> Capability| {
            list.iter().cloned().map(make).collect::<Vec<_>>()
        };
        capabilities.extend(patterns(
            &granted.event_subscriptions,
            Capability::Subscribe,
        ));
        capabilities.extend(patterns(&granted.emit_events, Capability::Emit));
        capabilities.extend(granted.egress.iter().map(|rule| {
            Capability::Egress(
                EgressRule::parse(rule).unwrap_or_else(|e| panic!("egress grant {rule}: {e}")),
            )
        }));
        if granted.kv_quota_bytes > 0 {
            capabilities.push(Capability::KvQuota(granted.kv_quota_bytes));
        }
        capabilities.extend(patterns(&granted.routes, Capability::Route));
        capabilities.extend(granted.jobs.iter().map(|j| {
            Capability::Job(JobSpec {
                name: j.name.clone(),
                cron: j.cron.clone(),
            })
        }));
        capabilities.extend(patterns(&granted.secrets, Capability::Secret));
        if granted.fax_job_status {
            capabilities.push(Capability::FaxJobStatus);
        }
        Self::with_grants(Grants::approve_all(
            plugin_id,
            semver::Version::new(0, 0, 0),
            capabilities,
            None,
        ))
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

    /// From now on the host refuses `method` whatever the grants say (a host-side denial
    /// the plugin's own grant view cannot predict).
    pub fn refuse(&self, method: &str) {
        lock(&self.refused).insert(method.to_owned());
    }

    /// From now on `kv.get` of `key` answers only after `delay` (a stalled store).
    pub fn stall_kv_get(&self, key: &str, delay: Duration) {
        lock(&self.stalled).insert(key.to_owned(), delay);
    }

    /// Numbers the next emitted event `evt-<first>` (then `first + 1`, ...).
    pub fn number_events_from(&self, first: u64) {
        *lock(&self.events_emitted) = first.saturating_sub(1);
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

    /// The outbound requests so far, with secrets shown as placeholders.
    pub fn fetched(&self) -> Vec<Fetch> {
        lock(&self.fetches).iter().map(Fetch::from).collect()
    }

    /// A copy of the log records so far.
    pub fn log_records(&self) -> Vec<LogRecord> {
        lock(&self.logs).clone()
    }

    /// A copy of the denials so far.
    pub fn denied(&self) -> Vec<DeniedCall> {
        lock(&self.denials).clone()
    }

    /// The methods the handler served, in order.
    pub fn served_methods(&self) -> Vec<String> {
        lock(&self.served).iter().map(|(m, _)| m.clone()).collect()
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

    fn check(&self, call: &Envelope) -> Result<(), Denial> {
        if lock(&self.refused).contains(&call.method) {
            return Err(Denial {
                capability: method_capability(&call.method),
                rule: DenialRule::NotGranted,
            });
        }
        let total = |key: &str, len: usize| self.kv_bytes_after(key, len);
        check_call(&self.grants, call, now_ms(), &total)
    }

    async fn serve(&self, call: &Envelope) -> Result<Vec<u8>, RpcError> {
        match call.method.as_str() {
            KvGet::NAME => {
                let key = request::<KvGet>(call)?.key;
                let stall = lock(&self.stalled).get(&key).copied();
                if let Some(delay) = stall {
                    tokio::time::sleep(delay).await;
                }
                let value = lock(&self.kv).get(&key).cloned();
                respond::<KvGet>(call, Ok(KvGetResponse { value }))
            }
            KvPut::NAME => {
                let put = request::<KvPut>(call)?;
                lock(&self.kv).insert(put.key, put.value);
                respond::<KvPut>(call, Ok(Ack {}))
            }
            KvDelete::NAME => {
                let key = request::<KvDelete>(call)?.key;
                let existed = lock(&self.kv).remove(&key).is_some();
                respond::<KvDelete>(call, Ok(KvDeleteResponse { existed }))
            }
            KvList::NAME => {
                let list = request::<KvList>(call)?;
                let limit = list.limit.clamp(1, 1000) as usize;
                let matching: Vec<String> = lock(&self.kv)
                    .keys()
                    .filter(|k| k.starts_with(&list.prefix))
                    .filter(|k| list.after.as_ref().is_none_or(|a| *k > a))
                    .cloned()
                    .collect();
                let more = matching.len() > limit;
                let keys = matching.into_iter().take(limit).collect();
                respond::<KvList>(call, Ok(KvListResponse { keys, more }))
            }
            Log::NAME => {
                lock(&self.logs).push(request::<Log>(call)?);
                respond::<Log>(call, Ok(Ack {}))
            }
            Metric::NAME => {
                lock(&self.metrics).push(request::<Metric>(call)?);
                respond::<Metric>(call, Ok(Ack {}))
            }
            HttpFetch::NAME => {
                let fetch = request::<HttpFetch>(call)?;
                let body = format!("fetched {}", fetch.url.display_redacted()).into_bytes();
                lock(&self.fetches).push(fetch);
                let status = self.http.next();
                respond::<HttpFetch>(
                    call,
                    Ok(HttpResponse {
                        status,
                        headers: vec![],
                        body,
                    }),
                )
            }
            EmitEvent::NAME => {
                let emit = request::<EmitEvent>(call)?;
                lock(&self.emitted).push(emit);
                let n = {
                    let mut count = lock(&self.events_emitted);
                    *count += 1;
                    *count
                };
                respond::<EmitEvent>(
                    call,
                    Ok(EmitEventResponse {
                        event_id: format!("evt-{n}"),
                    }),
                )
            }
            FaxJobStatus::NAME => {
                let job_id = request::<FaxJobStatus>(call)?.job_id;
                respond::<FaxJobStatus>(
                    call,
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
    }
}

struct Shared(Arc<Host>);

impl CapabilityCheck for Shared {
    fn permits(&self, _plugin_id: &str, call: &Envelope) -> Result<(), Denial> {
        self.0.check(call)
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
            lock(&self.0.served).push((call.method.clone(), call.deadline_ms));
            self.0.serve(&call).await
        })
    }
}
