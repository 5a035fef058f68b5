//! A small host for the SDK's tests: the real supervisor's session and handshake, with an
//! in-memory capability handler that records every call it serves.

#![allow(dead_code)]

use faxbot_plugin_abi::event::{Event, EventPayload, FaxDirection, FaxJobEvent, FaxJobState};
use faxbot_plugin_abi::methods::{
    Ack, EmitEvent, EmitEventRequest, EmitEventResponse, FaxJobStatus, FaxJobStatusResponse,
    HttpFetch, HttpRequest, HttpResponse, KvDelete, KvDeleteResponse, KvGet, KvGetResponse, KvList,
    KvListResponse, KvPut, Log, LogRecord, Metric, MetricSample,
};
use faxbot_plugin_abi::version::VersionRange;
use faxbot_plugin_abi::{
    ABI_VERSION, Envelope, ErrorCode, GrantedCapabilities, Limits, Method, RpcError, Value,
};
use faxbot_policy::capability::{CapabilityKind, Denial, DenialRule};
use faxbot_supervisor::capability::{
    AuditSink, CapabilityCheck, CapabilityHandler, DeniedCall, HandlerFuture,
};
use faxbot_supervisor::handshake::{self, HandshakeTerms};
use faxbot_supervisor::launch::{Launched, Launcher, UnjailedLauncherForTests};
use faxbot_supervisor::session::{Session, SessionHooks};
use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const PLUGIN_ID: &str = "sdk-test";
pub const PLUGIN: &str = env!("CARGO_BIN_EXE_faxbot-sdk-test-plugin");

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// What the test host has seen and holds.
#[derive(Default)]
pub struct Host {
    pub kv: Mutex<BTreeMap<String, Vec<u8>>>,
    pub logs: Mutex<Vec<LogRecord>>,
    pub metrics: Mutex<Vec<MetricSample>>,
    pub fetches: Mutex<Vec<HttpRequest>>,
    pub emitted: Mutex<Vec<EmitEventRequest>>,
    /// Every call the handler served: method and the deadline the plugin gave it.
    pub served: Mutex<Vec<(String, u32)>>,
    pub denials: Mutex<Vec<DeniedCall>>,
    /// Methods the host's own grant check refuses.
    pub refuse: Mutex<HashSet<String>>,
}

impl Host {
    pub fn kv_value(&self, key: &str) -> Option<String> {
        lock(&self.kv)
            .get(key)
            .map(|v| String::from_utf8_lossy(v).into_owned())
    }

    pub fn served_methods(&self) -> Vec<String> {
        lock(&self.served).iter().map(|(m, _)| m.clone()).collect()
    }

    pub fn refuse(&self, method: &str) {
        lock(&self.refuse).insert(method.to_owned());
    }
}

pub struct Shared(pub Arc<Host>);

impl CapabilityCheck for Shared {
    fn permits(&self, _plugin_id: &str, call: &Envelope) -> Result<(), Denial> {
        if lock(&self.0.refuse).contains(&call.method) {
            Err(Denial {
                capability: call
                    .method
                    .starts_with("kv.")
                    .then_some(CapabilityKind::KvQuota),
                rule: DenialRule::NotGranted,
            })
        } else {
            Ok(())
        }
    }
}

impl AuditSink for Shared {
    fn denied(&self, call: &DeniedCall) {
        lock(&self.0.denials).push(call.clone());
    }
}

fn respond<M: Method>(
    call: &Envelope,
    outcome: Result<M::Response, RpcError>,
) -> Result<Vec<u8>, RpcError> {
    Envelope::response::<M>(call.id, &outcome, 1 << 20)
        .map(|e| e.body)
        .map_err(|e| RpcError::new(ErrorCode::Internal, e.to_string()))
}

fn request<M: Method>(call: &Envelope) -> Result<M::Request, RpcError> {
    call.decode_request::<M>()
        .map_err(|e| RpcError::new(ErrorCode::Invalid, e.to_string()))
}

impl CapabilityHandler for Shared {
    fn handle<'a>(&'a self, _plugin_id: &'a str, call: Envelope) -> HandlerFuture<'a> {
        let host = self.0.clone();
        Box::pin(async move {
            lock(&host.served).push((call.method.clone(), call.deadline_ms));
            match call.method.as_str() {
                KvGet::NAME => {
                    let key = request::<KvGet>(&call)?.key;
                    if key == "hang" {
                        tokio::time::sleep(Duration::from_secs(10)).await;
                    }
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
                    let keys: Vec<String> = lock(&host.kv)
                        .keys()
                        .filter(|k| k.starts_with(&list.prefix))
                        .filter(|k| list.after.as_ref().is_none_or(|a| *k > a))
                        .take(list.limit as usize)
                        .cloned()
                        .collect();
                    respond::<KvList>(&call, Ok(KvListResponse { keys, more: false }))
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
                    let url = fetch.url.display_redacted();
                    lock(&host.fetches).push(fetch);
                    respond::<HttpFetch>(
                        &call,
                        Ok(HttpResponse {
                            status: 202,
                            headers: vec![],
                            body: format!("fetched {url}").into_bytes(),
                        }),
                    )
                }
                EmitEvent::NAME => {
                    lock(&host.emitted).push(request::<EmitEvent>(&call)?);
                    respond::<EmitEvent>(
                        &call,
                        Ok(EmitEventResponse {
                            event_id: "evt-7".into(),
                        }),
                    )
                }
                FaxJobStatus::NAME => {
                    let job_id = request::<FaxJobStatus>(&call)?.job_id;
                    respond::<FaxJobStatus>(
                        &call,
                        Ok(FaxJobStatusResponse {
                            job: fax_job(&job_id, FaxJobState::Delivered),
                            updated_at_ms: 1,
                        }),
                    )
                }
                other => Err(RpcError::unsupported_method(other)),
            }
        })
    }
}

pub fn hooks(host: &Arc<Host>) -> SessionHooks {
    SessionHooks {
        check: Arc::new(Shared(host.clone())),
        handler: Arc::new(Shared(host.clone())),
        audit: Arc::new(Shared(host.clone())),
    }
}

/// Every capability granted (with one secret, one emit pattern, one route and job set).
pub fn all_grants() -> GrantedCapabilities {
    GrantedCapabilities {
        event_subscriptions: vec!["fax.job.*".into(), "plugin.lifecycle".into()],
        egress: vec!["https://hooks.example.com:443/*".into()],
        kv_quota_bytes: 1 << 20,
        routes: vec!["/echo".into(), "/fail".into()],
        jobs: Vec::new(),
        secrets: vec!["HOOK_TOKEN".into()],
        emit_events: vec![format!("plugin.{PLUGIN_ID}.*")],
        fax_job_status: true,
    }
}

pub fn terms(grants: GrantedCapabilities, config: Vec<(String, Value)>) -> HandshakeTerms {
    HandshakeTerms {
        plugin_id: PLUGIN_ID.to_owned(),
        host_abi: VersionRange::exactly(ABI_VERSION),
        instance_id: "inst-1".to_owned(),
        capabilities: grants,
        config,
        limits: Limits::default(),
        hello_deadline: Duration::from_secs(5),
    }
}

pub fn launch_as(id: &str) -> Launched {
    UnjailedLauncherForTests {
        program: PLUGIN.into(),
        args: vec![id.to_owned()],
    }
    .launch()
    .expect("the SDK test plugin starts")
}

/// A started plugin with its session, after a successful handshake.
pub struct Running {
    pub launched: Launched,
    pub session: Session,
    pub host: Arc<Host>,
}

pub async fn start(grants: GrantedCapabilities, config: Vec<(String, Value)>) -> Running {
    let host = Arc::new(Host::default());
    start_with(host, grants, config).await
}

pub async fn start_with(
    host: Arc<Host>,
    grants: GrantedCapabilities,
    config: Vec<(String, Value)>,
) -> Running {
    start_with_terms(host, terms(grants, config)).await
}

pub async fn start_with_terms(host: Arc<Host>, terms: HandshakeTerms) -> Running {
    let mut launched = launch_as(PLUGIN_ID);
    let agreed = handshake::accept(&mut launched.stream, &terms)
        .await
        .expect("the SDK completes the handshake");
    assert_eq!(agreed.hello.sdk_name, "faxbot-sdk");
    let stream = std::mem::replace(
        &mut launched.stream,
        tokio::net::UnixStream::pair().expect("placeholder").0,
    );
    let session = Session::start(
        stream,
        PLUGIN_ID.to_owned(),
        agreed.max_frame,
        64,
        hooks(&host),
    );
    Running {
        launched,
        session,
        host,
    }
}

pub fn fax_job(job_id: &str, state: FaxJobState) -> FaxJobEvent {
    FaxJobEvent {
        job_id: job_id.to_owned(),
        direction: FaxDirection::Outbound,
        state,
        provider: "test".into(),
        pages: Some(2),
        attempt: 1,
        queued_at_ms: 1,
        duration_ms: None,
        failure: None,
        remote_token: None,
    }
}

pub fn event(id: &str, topic: &str) -> Event {
    Event {
        id: id.to_owned(),
        topic: topic.to_owned(),
        tenant_id: "t1".into(),
        sequence: 1,
        occurred_at_ms: 1,
        payload: EventPayload::FaxJob(fax_job("job-1", FaxJobState::Sent)),
    }
}
