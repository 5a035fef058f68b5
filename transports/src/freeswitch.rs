//! FreeSWITCH over the event socket (ESL, inbound mode, TCP): `auth`, a subscription to the
//! events that carry fax results, `bgapi originate {vars}sofia/gateway/<gw>/<number>
//! &txfax(<tiff>)` with our own Job-UUID, then the job's `BACKGROUND_JOB` event and the
//! channel's `CHANNEL_HANGUP_COMPLETE` carrying `fax_success` (1 or 0),
//! `fax_result_text` and `fax_document_transferred_pages`. The connection is kept by a task
//! that reconnects with backoff. `+OK Job-UUID` means accepted, not delivered.

use crate::callback::{CallbackEvent, CallbackRequest};
use crate::error::{CallbackError, SendError, TransportError};
use crate::line_protocol::{self, Message};
use crate::status::FaxStatus;
use crate::transport::{BoxFuture, FaxTransport, Health, SendRequest, Sent, StatusReport};
use ring::rand::{SecureRandom, SystemRandom};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::{broadcast, oneshot};

const NAME: &str = "freeswitch";

/// mod_spandsp's `fax_success`, mapped.
pub fn map_fax_success(value: &str) -> Option<FaxStatus> {
    Some(match value {
        "1" => FaxStatus::Delivered,
        "0" => FaxStatus::Failed,
        _ => return None,
    })
}

/// Settings and the ESL password.
#[derive(Clone)]
pub struct FreeSwitchConfig {
    /// ESL host.
    pub host: String,
    /// ESL port (8021).
    pub port: u16,
    /// ESL password.
    pub password: String,
    /// The sofia gateway faxes leave through.
    pub gateway: String,
    /// Caller id number presented.
    pub caller_id: String,
    /// Request T.38.
    pub t38: bool,
    /// Time to wait for ESL's reply to a command.
    pub answer_timeout: Duration,
    /// Longest wait between reconnects.
    pub max_backoff: Duration,
}

#[derive(Default)]
struct Shared {
    writer: Option<OwnedWriteHalf>,
    ready: bool,
    last_error: Option<String>,
    replies: VecDeque<oneshot::Sender<Message>>,
    by_job_uuid: HashMap<String, (String, StatusReport)>,
    uuid_by_job: HashMap<String, String>,
}

/// The FreeSWITCH transport.
pub struct FreeSwitch {
    config: FreeSwitchConfig,
    shared: Arc<tokio::sync::Mutex<Shared>>,
    events: broadcast::Sender<CallbackEvent>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FreeSwitch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn uuid() -> Result<String, ()> {
    let mut bytes = [0u8; 16];
    SystemRandom::new().fill(&mut bytes).map_err(|_| ())?;
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let h = hex::encode(bytes);
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    ))
}

fn plain(value: &str, extra: &str) -> bool {
    !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || extra.contains(c))
}

impl FreeSwitch {
    /// Starts the connection task.
    pub fn start(config: FreeSwitchConfig) -> Result<Self, String> {
        if !plain(&config.gateway, "_.-") {
            return Err("freeswitch: the gateway name must be [A-Za-z0-9_.-]+".into());
        }
        if !plain(&config.caller_id, "+") {
            return Err("freeswitch: the caller id must be digits".into());
        }
        let shared = Arc::new(tokio::sync::Mutex::new(Shared::default()));
        let (events, _) = broadcast::channel(1024);
        let task = tokio::spawn(keep_connected(
            config.clone(),
            Arc::clone(&shared),
            events.clone(),
        ));
        Ok(Self {
            config,
            shared,
            events,
            task,
        })
    }

    async fn do_send(&self, request: &SendRequest) -> Result<Sent, SendError> {
        let refused = |reason: &str| SendError::Refused {
            provider: NAME,
            reason: reason.into(),
        };
        let path = request
            .document
            .path
            .as_ref()
            .and_then(|p| p.to_str())
            .ok_or_else(|| refused("no TIFF path for txfax; nothing was sent"))?;
        if !plain(path, "_./-") {
            return Err(refused("the TIFF path must be [A-Za-z0-9_./-]+"));
        }
        if !plain(&request.job_id, "_-") {
            return Err(refused("the job id has characters ESL cannot carry"));
        }
        let job_uuid = uuid().map_err(|()| refused("no randomness for a Job-UUID"))?;
        let t38 = if self.config.t38 {
            ",fax_enable_t38_request=true,fax_enable_t38=true"
        } else {
            ""
        };
        let command = format!(
            "bgapi originate {{origination_caller_id_number={},faxbot_job_id={},faxbot_attempt={}{t38}}}sofia/gateway/{}/{} &txfax({path})\nJob-UUID: {job_uuid}\n\n",
            self.config.caller_id,
            request.job_id,
            request.attempt,
            self.config.gateway,
            request.to.digits()
        );
        let (tx, rx) = oneshot::channel();
        {
            let mut shared = self.shared.lock().await;
            if !shared.ready {
                return Err(refused(
                    "not connected to the event socket; nothing was sent",
                ));
            }
            shared.replies.push_back(tx);
            let written = match shared.writer.as_mut() {
                Some(writer) => writer.write_all(command.as_bytes()).await.is_ok(),
                None => false,
            };
            if !written {
                shared.replies.pop_back();
                return Err(SendError::Uncertain {
                    provider: NAME,
                    reason: "the connection failed while bgapi was written".into(),
                });
            }
            shared.by_job_uuid.insert(
                job_uuid.clone(),
                (
                    request.job_id.clone(),
                    StatusReport {
                        provider_id: job_uuid.clone(),
                        status: FaxStatus::Queued,
                        pages: None,
                        failure: None,
                    },
                ),
            );
            shared
                .uuid_by_job
                .insert(request.job_id.clone(), job_uuid.clone());
        }
        let uncertain = |reason: &str| SendError::Uncertain {
            provider: NAME,
            reason: reason.into(),
        };
        match tokio::time::timeout(self.config.answer_timeout, rx).await {
            Ok(Ok(reply)) => {
                let text = reply.get("Reply-Text").unwrap_or("");
                if text == format!("+OK Job-UUID: {job_uuid}") {
                    Ok(Sent {
                        provider_id: job_uuid,
                        status: FaxStatus::Queued,
                    })
                } else if text.starts_with("-ERR") {
                    self.shared.lock().await.by_job_uuid.remove(&job_uuid);
                    Err(refused(
                        "the event socket refused bgapi; nothing was dialled",
                    ))
                } else {
                    Err(uncertain("an unexpected reply to bgapi"))
                }
            }
            Ok(Err(_)) => Err(uncertain("the connection closed before the reply")),
            Err(_) => Err(uncertain("no reply in time")),
        }
    }
}

async fn keep_connected(
    config: FreeSwitchConfig,
    shared: Arc<tokio::sync::Mutex<Shared>>,
    events: broadcast::Sender<CallbackEvent>,
) {
    let mut backoff = Duration::from_secs(1);
    loop {
        let (outcome, was_ready) = session(&config, &shared, &events).await;
        {
            let mut state = shared.lock().await;
            state.writer = None;
            state.ready = false;
            state.last_error = Some(outcome);
            state.replies.clear();
        }
        if was_ready {
            backoff = Duration::from_secs(1);
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(config.max_backoff);
    }
}

async fn expect_ok(
    reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
    timeout: Duration,
    what: &str,
) -> Result<(), String> {
    loop {
        let message = match tokio::time::timeout(timeout, line_protocol::read_message(reader)).await
        {
            Ok(Ok(m)) => m,
            Ok(Err(e)) => return Err(format!("{what}: {e}")),
            Err(_) => return Err(format!("{what}: no reply in time")),
        };
        if message.get("Content-Type") == Some("command/reply") {
            return if message
                .get("Reply-Text")
                .is_some_and(|t| t.starts_with("+OK"))
            {
                Ok(())
            } else {
                Err(format!("{what}: refused"))
            };
        }
    }
}

async fn session(
    config: &FreeSwitchConfig,
    shared: &tokio::sync::Mutex<Shared>,
    events: &broadcast::Sender<CallbackEvent>,
) -> (String, bool) {
    let stream = match tokio::time::timeout(
        config.answer_timeout,
        TcpStream::connect((config.host.as_str(), config.port)),
    )
    .await
    {
        Ok(Ok(stream)) => stream,
        Ok(Err(e)) => return (format!("connect failed ({})", e.kind()), false),
        Err(_) => return ("connect timed out".into(), false),
    };
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    match tokio::time::timeout(
        config.answer_timeout,
        line_protocol::read_message(&mut reader),
    )
    .await
    {
        Ok(Ok(m)) if m.get("Content-Type") == Some("auth/request") => {}
        _ => return ("no auth/request greeting".into(), false),
    }
    if !line_protocol::safe_value(&config.password) {
        return ("the ESL password has control characters".into(), false);
    }
    if write
        .write_all(format!("auth {}\n\n", config.password).as_bytes())
        .await
        .is_err()
    {
        return ("auth write failed".into(), false);
    }
    if let Err(e) = expect_ok(&mut reader, config.answer_timeout, "auth").await {
        return (format!("{e} (check the ESL password)"), false);
    }
    if write
        .write_all(b"event plain BACKGROUND_JOB CHANNEL_HANGUP_COMPLETE\n\n")
        .await
        .is_err()
    {
        return ("event subscription write failed".into(), false);
    }
    if let Err(e) = expect_ok(&mut reader, config.answer_timeout, "event subscription").await {
        return (e, false);
    }
    {
        let mut state = shared.lock().await;
        state.writer = Some(write);
        state.ready = true;
        state.last_error = None;
    }
    loop {
        let message = match line_protocol::read_message(&mut reader).await {
            Ok(m) => m,
            Err(e) => return (format!("read: {e}"), true),
        };
        match message.get("Content-Type") {
            Some("command/reply") | Some("api/response") => {
                if let Some(waiter) = shared.lock().await.replies.pop_front() {
                    let _ = waiter.send(message);
                }
            }
            Some("text/event-plain") => {
                if let Ok(headers) = message.body_headers() {
                    event(&headers, &message, shared, events).await;
                }
            }
            Some("text/disconnect-notice") => return ("the server disconnected".into(), true),
            _ => {}
        }
    }
}

async fn event(
    headers: &[(String, String)],
    message: &Message,
    shared: &tokio::sync::Mutex<Shared>,
    events: &broadcast::Sender<CallbackEvent>,
) {
    let get = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let mut state = shared.lock().await;
    let (job_uuid, status, pages, failure) = match get("Event-Name") {
        Some("BACKGROUND_JOB") => {
            let Some(job_uuid) = get("Job-UUID").map(str::to_owned) else {
                return;
            };
            // The event's own body (after its headers) is the command's result.
            let text = String::from_utf8_lossy(&message.body);
            let result = text.split("\n\n").nth(1).unwrap_or("").trim().to_owned();
            if result.starts_with("-ERR") {
                let failure = if result.contains("USER_BUSY") {
                    "busy"
                } else if result.contains("NO_ANSWER") || result.contains("NO_USER_RESPONSE") {
                    "no_answer"
                } else {
                    "line_error"
                };
                (job_uuid, FaxStatus::Failed, None, Some(failure.to_owned()))
            } else {
                (job_uuid, FaxStatus::Sending, None, None)
            }
        }
        Some("CHANNEL_HANGUP_COMPLETE") => {
            let Some(job_uuid) = get("variable_faxbot_job_id")
                .and_then(|job| state.uuid_by_job.get(job))
                .cloned()
            else {
                return;
            };
            let Some(status) = get("variable_fax_success").and_then(map_fax_success) else {
                return;
            };
            let pages = get("variable_fax_document_transferred_pages").and_then(|p| p.parse().ok());
            let failure = (status == FaxStatus::Failed).then(|| "fax_error".to_owned());
            (job_uuid, status, pages, failure)
        }
        _ => return,
    };
    let Some((job_id, report)) = state.by_job_uuid.get_mut(&job_uuid) else {
        return;
    };
    if !report.status.may_become(status) {
        return;
    }
    report.status = status;
    report.pages = pages.or(report.pages);
    report.failure = failure.clone();
    let _ = events.send(CallbackEvent {
        job_id: Some(job_id.clone()),
        pages: report.pages,
        failure,
        ..CallbackEvent::status(job_uuid, status)
    });
}

impl FaxTransport for FreeSwitch {
    fn name(&self) -> &'static str {
        NAME
    }
    fn send<'a>(&'a self, request: &'a SendRequest) -> BoxFuture<'a, Result<Sent, SendError>> {
        Box::pin(self.do_send(request))
    }
    fn status<'a>(
        &'a self,
        provider_id: &'a str,
    ) -> BoxFuture<'a, Result<StatusReport, TransportError>> {
        Box::pin(async move {
            self.shared
                .lock()
                .await
                .by_job_uuid
                .get(provider_id)
                .map(|(_, r)| r.clone())
                .ok_or(TransportError::Status {
                    provider: NAME,
                    step: "status",
                    status: "unknown Job-UUID".into(),
                })
        })
    }
    fn cancel<'a>(&'a self, _provider_id: &'a str) -> BoxFuture<'a, Result<(), TransportError>> {
        Box::pin(async {
            Err(TransportError::Unsupported {
                provider: NAME,
                step: "cancel",
            })
        })
    }
    fn callback<'a>(
        &'a self,
        _request: &'a CallbackRequest,
    ) -> BoxFuture<'a, Result<Vec<CallbackEvent>, CallbackError>> {
        Box::pin(async { Err(CallbackError::NotAccepted { provider: NAME }) })
    }
    fn health(&self) -> BoxFuture<'_, Result<Health, TransportError>> {
        Box::pin(async move {
            let state = self.shared.lock().await;
            Ok(if state.ready {
                Health::Ok
            } else {
                Health::Degraded(
                    state
                        .last_error
                        .clone()
                        .unwrap_or_else(|| "not connected yet".into()),
                )
            })
        })
    }
    fn subscribe(&self) -> Option<broadcast::Receiver<CallbackEvent>> {
        Some(self.events.subscribe())
    }
}
