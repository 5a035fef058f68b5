//! The harness host: the grant check (the policy crate's, as a real host applies it), the
//! capability handler answering from fixtures, and the recorder of everything the plugin
//! did.

use super::canary::{Canaries, Leak, fax_job_record, find_leaks};
use super::scenario::Scenario;
use faxbot_plugin_abi::methods::{
    Ack, EmitEvent, EmitEventRequest, EmitEventResponse, FaxJobStatus, FaxJobStatusRequest,
    FaxJobStatusResponse, HttpFetch, HttpRequest, HttpResponse, KvDelete, KvDeleteRequest,
    KvDeleteResponse, KvGet, KvGetRequest, KvGetResponse, KvList, KvListRequest, KvListResponse,
    KvPut, KvPutRequest, Log, LogRecord, Metric, MetricSample,
};
use faxbot_plugin_abi::secret::{SecretTemplate, Segment};
use faxbot_plugin_abi::{Envelope, ErrorCode, Method, RpcError};
use faxbot_policy::capability::{Denial, Grants, check_call};
use faxbot_policy::egress::NormalizedUrl;
use faxbot_redact::Redactor;
use faxbot_supervisor::capability::{
    AuditSink, CapabilityCheck, CapabilityHandler, DeniedCall, HandlerFuture,
};
use faxbot_supervisor::output::{LogSink, OutputLine};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

/// What the plugin did during a run.
#[derive(Debug, Default)]
pub struct Record {
    /// Capability calls served, by method.
    pub calls: BTreeMap<String, u64>,
    /// Calls denied: method and reason.
    pub denials: Vec<(String, String)>,
    /// `log.write` records and stdout/stderr lines.
    pub log_lines: Vec<String>,
    /// Problems that fail the run (an unanswerable fetch, ...).
    pub problems: Vec<String>,
    /// Canaries found in what the plugin sent.
    pub leaks: Vec<Leak>,
    /// For `--record`: URLs fetched (normalised), secrets used, topics emitted.
    pub fetched: Vec<NormalizedUrl>,
    /// Secret names used.
    pub secrets_used: BTreeSet<String>,
    /// Topics emitted.
    pub emitted: BTreeSet<String>,
    /// Most kv bytes held at once.
    pub kv_peak_bytes: u64,
    /// Whether fax job status was asked.
    pub fax_status_used: bool,
}

/// The host side of a harness run.
pub struct HarnessHost {
    grants: Grants,
    scenario: Scenario,
    redactor: Arc<Redactor>,
    canaries: Mutex<Vec<Canaries>>,
    kv: Mutex<BTreeMap<String, Vec<u8>>>,
    /// Everything recorded.
    pub record: Mutex<Record>,
    next_event: Mutex<u64>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

use super::now_ms;

impl HarnessHost {
    /// A host granting `grants`, answering from `scenario`.
    pub fn new(grants: Grants, scenario: Scenario, redactor: Arc<Redactor>) -> Self {
        Self {
            grants,
            scenario,
            redactor,
            canaries: Mutex::new(Vec::new()),
            kv: Mutex::new(BTreeMap::new()),
            record: Mutex::default(),
            next_event: Mutex::new(0),
        }
    }

    /// The grants in force.
    pub fn grants(&self) -> &Grants {
        &self.grants
    }

    /// The scenario.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// Remembers canaries planted in what the plugin will see.
    pub fn add_canaries(&self, canaries: Canaries) {
        lock(&self.canaries).push(canaries);
    }

    /// Searches `bytes` for planted canaries and records any as leaks from `place`.
    pub fn scan(&self, place: &str, bytes: &[u8]) {
        let leaks = find_leaks(place, bytes, &lock(&self.canaries));
        if !leaks.is_empty() {
            lock(&self.record).leaks.extend(leaks);
        }
    }

    /// Records a problem that fails the run.
    pub fn problem(&self, text: String) {
        lock(&self.record).problems.push(text);
    }

    fn kv_total_after(&self, key: &str, value_len: usize) -> u64 {
        let kv = lock(&self.kv);
        let current: u64 = kv
            .iter()
            .filter(|(k, _)| k.as_str() != key)
            .map(|(k, v)| (k.len() + v.len()) as u64)
            .sum();
        current + (key.len() + value_len) as u64
    }

    /// The host's one call check (`faxbot_policy::capability::check_call`, as the
    /// supervisor's `GrantCheck` makes it), with this run's kv.
    fn actions_allowed(&self, call: &Envelope) -> Result<(), Denial> {
        let total = |key: &str, len: usize| self.kv_total_after(key, len);
        check_call(&self.grants, call, now_ms(), &total)
    }

    /// A template rendered with the scenario's secret values, as the host's broker does.
    fn render(&self, template: &SecretTemplate, body: &[u8]) -> Result<String, String> {
        let mut out = String::new();
        for segment in &template.0 {
            match segment {
                Segment::Text(text) => out.push_str(text),
                Segment::Secret(name) => out.push_str(self.secret(name)?),
                Segment::BodyHmacSha256Hex(name) => {
                    let key = ring::hmac::Key::new(
                        ring::hmac::HMAC_SHA256,
                        self.secret(name)?.as_bytes(),
                    );
                    out.push_str(&hex::encode(ring::hmac::sign(&key, body).as_ref()));
                }
            }
        }
        Ok(out)
    }

    fn secret(&self, name: &str) -> Result<&str, String> {
        self.scenario
            .secrets
            .get(name)
            .map(String::as_str)
            .ok_or_else(|| {
                format!(
                    "secret {name:?} has no test value: add it under [secrets] in faxbot-test.toml"
                )
            })
    }

    fn serve(&self, call: &Envelope) -> Result<Vec<u8>, RpcError> {
        let max = faxbot_plugin_abi::frame::DEFAULT_MAX_FRAME;
        let bad =
            |e: faxbot_plugin_abi::DecodeError| RpcError::new(ErrorCode::Invalid, e.to_string());
        let encode = |r: Result<Envelope, faxbot_plugin_abi::EncodeError>| {
            r.map(|e| e.body)
                .map_err(|e| RpcError::new(ErrorCode::Internal, e.to_string()))
        };
        match call.method.as_str() {
            m if m == KvGet::NAME => {
                let get: KvGetRequest = call.decode_request::<KvGet>().map_err(bad)?;
                let value = lock(&self.kv).get(&get.key).cloned();
                encode(Envelope::response::<KvGet>(
                    call.id,
                    &Ok(KvGetResponse { value }),
                    max,
                ))
            }
            m if m == KvPut::NAME => {
                let put: KvPutRequest = call.decode_request::<KvPut>().map_err(bad)?;
                let total = {
                    let mut kv = lock(&self.kv);
                    kv.insert(put.key, put.value);
                    kv.iter()
                        .map(|(k, v)| (k.len() + v.len()) as u64)
                        .sum::<u64>()
                };
                let mut record = lock(&self.record);
                record.kv_peak_bytes = record.kv_peak_bytes.max(total);
                drop(record);
                encode(Envelope::response::<KvPut>(call.id, &Ok(Ack {}), max))
            }
            m if m == KvDelete::NAME => {
                let delete: KvDeleteRequest = call.decode_request::<KvDelete>().map_err(bad)?;
                let existed = lock(&self.kv).remove(&delete.key).is_some();
                encode(Envelope::response::<KvDelete>(
                    call.id,
                    &Ok(KvDeleteResponse { existed }),
                    max,
                ))
            }
            m if m == KvList::NAME => {
                let list: KvListRequest = call.decode_request::<KvList>().map_err(bad)?;
                let kv = lock(&self.kv);
                let limit = list.limit.clamp(1, 1000) as usize;
                let mut keys: Vec<String> = kv
                    .keys()
                    .filter(|k| k.starts_with(&list.prefix))
                    .filter(|k| {
                        list.after
                            .as_ref()
                            .is_none_or(|after| k.as_str() > after.as_str())
                    })
                    .take(limit + 1)
                    .cloned()
                    .collect();
                let more = keys.len() > limit;
                keys.truncate(limit);
                encode(Envelope::response::<KvList>(
                    call.id,
                    &Ok(KvListResponse { keys, more }),
                    max,
                ))
            }
            m if m == Log::NAME => {
                let log: LogRecord = call.decode_request::<Log>().map_err(bad)?;
                let mut line = format!("[{:?}] {}", log.level, log.message);
                for (k, v) in &log.fields {
                    line.push_str(&format!(" {k}={v}"));
                }
                lock(&self.record).log_lines.push(line);
                encode(Envelope::response::<Log>(call.id, &Ok(Ack {}), max))
            }
            m if m == Metric::NAME => {
                let _: MetricSample = call.decode_request::<Metric>().map_err(bad)?;
                encode(Envelope::response::<Metric>(call.id, &Ok(Ack {}), max))
            }
            m if m == EmitEvent::NAME => {
                let emit: EmitEventRequest = call.decode_request::<EmitEvent>().map_err(bad)?;
                let mut next = lock(&self.next_event);
                *next += 1;
                let event_id = format!("ev_harness_{next}");
                drop(next);
                lock(&self.record).emitted.insert(emit.topic);
                encode(Envelope::response::<EmitEvent>(
                    call.id,
                    &Ok(EmitEventResponse { event_id }),
                    max,
                ))
            }
            m if m == FaxJobStatus::NAME => {
                let ask: FaxJobStatusRequest =
                    call.decode_request::<FaxJobStatus>().map_err(bad)?;
                lock(&self.record).fax_status_used = true;
                let found = self
                    .scenario
                    .fax_jobs
                    .iter()
                    .find(|j| j.job_id.as_deref() == Some(ask.job_id.as_str()));
                let outcome = match found {
                    Some(job) => fax_job_record(job, now_ms())
                        .map(|record| FaxJobStatusResponse {
                            job: faxbot_events::fax_job(&self.redactor, &record),
                            updated_at_ms: now_ms(),
                        })
                        .map_err(|e| RpcError::new(ErrorCode::Internal, e)),
                    None => Err(RpcError::new(
                        ErrorCode::NotFound,
                        "no such fax job (add it under [[fax_job]] in faxbot-test.toml)",
                    )),
                };
                encode(Envelope::response::<FaxJobStatus>(call.id, &outcome, max))
            }
            m if m == HttpFetch::NAME => {
                let request: HttpRequest = call.decode_request::<HttpFetch>().map_err(bad)?;
                let url = self
                    .render(&request.url, &request.body)
                    .map_err(|e| RpcError::new(ErrorCode::Invalid, e))?;
                let mut headers = Vec::new();
                for header in &request.headers {
                    let value = self
                        .render(&header.value, &request.body)
                        .map_err(|e| RpcError::new(ErrorCode::Invalid, e))?;
                    headers.push((header.name.clone(), value));
                }
                let mut record = lock(&self.record);
                record.secrets_used.extend(template_secrets(&request));
                if let Ok(normalized) = NormalizedUrl::parse_template(&request.url) {
                    record.fetched.push(normalized);
                }
                drop(record);
                let fixture = self.scenario.http.iter().find(|f| url.starts_with(&f.url));
                let outcome = match fixture {
                    Some(f) => Ok(HttpResponse {
                        status: f.status,
                        headers: f
                            .headers
                            .iter()
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect(),
                        body: f.body.clone().into_bytes(),
                    }),
                    None => {
                        // The URL may carry a secret: name only its origin.
                        let origin = NormalizedUrl::parse(&url)
                            .map(|u| u.origin())
                            .unwrap_or_else(|_| "an unparsable URL".into());
                        self.problem(format!(
                            "http.fetch to {origin} had no fixture: add an [[http]] entry to faxbot-test.toml"
                        ));
                        Err(RpcError::new(
                            ErrorCode::Unavailable,
                            "no fixture for this URL",
                        ))
                    }
                };
                encode(Envelope::response::<HttpFetch>(call.id, &outcome, max))
            }
            other => Err(RpcError::unsupported_method(other)),
        }
    }
}

fn template_secrets(request: &HttpRequest) -> Vec<String> {
    request
        .url
        .secret_names()
        .chain(request.headers.iter().flat_map(|h| h.value.secret_names()))
        .map(str::to_owned)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// The supervisor's hooks, backed by one shared [`HarnessHost`].
#[derive(Clone)]
pub struct Hooks(pub Arc<HarnessHost>);

impl CapabilityCheck for Hooks {
    fn permits(&self, _plugin_id: &str, call: &Envelope) -> Result<(), Denial> {
        self.0.actions_allowed(call)
    }
}

impl CapabilityHandler for Hooks {
    fn handle<'a>(&'a self, _plugin_id: &'a str, call: Envelope) -> HandlerFuture<'a> {
        Box::pin(async move {
            self.0.scan(&call.method, &call.body);
            *lock(&self.0.record)
                .calls
                .entry(call.method.clone())
                .or_default() += 1;
            self.0.serve(&call)
        })
    }
}

impl AuditSink for Hooks {
    fn denied(&self, call: &DeniedCall) {
        lock(&self.0.record)
            .denials
            .push((call.method.clone(), call.denial.to_string()));
    }
}

impl LogSink for Hooks {
    fn record(&self, line: OutputLine) {
        self.0.scan("stdout/stderr", line.line.as_bytes());
        lock(&self.0.record).log_lines.push(line.line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::canary::run_redactor;
    use faxbot_plugin_abi::methods::HttpRequest;
    use faxbot_policy::capability::{Capability, CapabilityKind, DenialRule};
    use faxbot_policy::egress::EgressRule;

    fn hooks() -> Hooks {
        let grants = Grants::approve_all(
            "harness-demo",
            semver::Version::new(1, 0, 0),
            vec![
                Capability::Egress(EgressRule::parse("https://api.example.com/").expect("rule")),
                Capability::Secret("API_TOKEN".into()),
            ],
            None,
        );
        let host = HarnessHost::new(grants, Scenario::default(), Arc::new(run_redactor(1)));
        Hooks(Arc::new(host))
    }

    /// A `GET` of `url` as the plugin's SDK would send it.
    fn fetch(url: SecretTemplate) -> Envelope {
        let get = HttpRequest {
            url,
            method: "GET".into(),
            body: vec![],
            headers: vec![],
            timeout_ms: 500,
        };
        Envelope::request::<HttpFetch>(7, &get, 500, faxbot_plugin_abi::frame::DEFAULT_MAX_FRAME)
            .expect("envelope")
    }

    #[test]
    fn the_harness_refuses_a_secret_in_the_url_authority_as_the_host_does() {
        let hooks = hooks();
        let in_path = SecretTemplate::text("https://api.example.com/v1?t=").and_secret("API_TOKEN");
        assert_eq!(hooks.permits("harness-demo", &fetch(in_path)), Ok(()));
        let hostile = [
            SecretTemplate::text("https://api.")
                .and_secret("API_TOKEN")
                .and_text("/v1"),
            SecretTemplate::text("https://api.example.com:").and_secret("API_TOKEN"),
            SecretTemplate::text("https://")
                .and_secret("API_TOKEN")
                .and_text("@api.example.com/"),
            SecretTemplate::text("https:///")
                .and_secret("API_TOKEN")
                .and_text(".example.com/"),
        ];
        for template in hostile {
            let denial = hooks.permits("harness-demo", &fetch(template.clone()));
            assert!(
                matches!(
                    denial,
                    Err(Denial {
                        capability: Some(CapabilityKind::Egress),
                        rule: DenialRule::SecretInAuthority | DenialRule::UrlRefused { .. },
                    })
                ),
                "{template:?}: {denial:?}"
            );
        }
    }
}
