//! Asterisk over AMI (the manager interface, TCP, `Key: Value` lines with CRLF): log in, send
//! `Originate` into the SendFAX dialplan context with an `ActionID`, and follow the fax
//! through `OriginateResponse` and the dialplan's `UserEvent: FaxResult` (JobID, Status,
//! Error, Pages). The connection is kept by a task that reconnects with backoff. An AMI
//! `Response: Success` to an Originate means the call was accepted, not that a fax arrived.

use crate::callback::{CallbackEvent, CallbackRequest};
use crate::error::{CallbackError, SendError, TransportError};
use crate::line_protocol::{self, Message};
use crate::status::FaxStatus;
use crate::transport::{BoxFuture, FaxTransport, Health, SendRequest, Sent, StatusReport};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::{broadcast, oneshot};

const NAME: &str = "asterisk";

/// Asterisk's `FAXSTATUS` values, mapped.
pub fn map_fax_status(status: &str) -> Option<FaxStatus> {
    Some(match status {
        "SUCCESS" => FaxStatus::Delivered,
        "FAILED" | "FAILURE" => FaxStatus::Failed,
        _ => return None,
    })
}

/// Settings and the AMI secret.
#[derive(Clone)]
pub struct AsteriskConfig {
    /// AMI host.
    pub host: String,
    /// AMI port (5038).
    pub port: u16,
    /// AMI user.
    pub username: String,
    /// AMI secret.
    pub password: String,
    /// The dialplan context that runs SendFAX (`faxbot-send`).
    pub context: String,
    /// The PJSIP endpoint of the trunk (`trunk-endpoint`).
    pub trunk: String,
    /// Time to wait for AMI's answer to an action.
    pub answer_timeout: Duration,
    /// Longest wait between reconnects.
    pub max_backoff: Duration,
}

#[derive(Default)]
struct Shared {
    writer: Option<OwnedWriteHalf>,
    logged_in: bool,
    last_error: Option<String>,
    pending: HashMap<String, oneshot::Sender<Message>>,
    by_action: HashMap<String, (String, StatusReport)>,
    action_by_job: HashMap<String, String>,
}

/// The Asterisk transport.
pub struct Asterisk {
    config: AsteriskConfig,
    shared: Arc<tokio::sync::Mutex<Shared>>,
    events: broadcast::Sender<CallbackEvent>,
    counter: Mutex<u64>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Asterisk {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Asterisk {
    /// Starts the connection task (it connects, logs in and reconnects on its own).
    pub fn start(config: AsteriskConfig) -> Result<Self, String> {
        for (what, value) in [
            ("username", &config.username),
            ("context", &config.context),
            ("trunk", &config.trunk),
        ] {
            if value.is_empty() || !line_protocol::safe_value(value) {
                return Err(format!(
                    "asterisk: {what} is empty or has control characters"
                ));
            }
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
            counter: Mutex::new(0),
            task,
        })
    }

    fn action_id(&self, job_id: &str, attempt: u32) -> String {
        let mut counter = self
            .counter
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *counter += 1;
        format!("faxbot:{job_id}:{attempt}:{counter}")
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
            .ok_or_else(|| refused("no TIFF path for the dialplan; nothing was sent"))?;
        if !path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./ -".contains(c))
        {
            return Err(refused(
                "the TIFF path has characters the dialplan cannot take",
            ));
        }
        if !request
            .job_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(refused("the job id has characters AMI cannot carry"));
        }
        let action = self.action_id(&request.job_id, request.attempt);
        let message = format!(
            "Action: Originate\r\nActionID: {action}\r\nChannel: PJSIP/{}@{}\r\nContext: {}\r\nExten: s\r\nPriority: 1\r\nAsync: true\r\nVariable: JOBID={}\r\nVariable: FAXFILE={path}\r\nVariable: FAXATTEMPT={}\r\n\r\n",
            request.to.digits(),
            self.config.trunk,
            self.config.context,
            request.job_id,
            request.attempt
        );
        let (tx, rx) = oneshot::channel();
        {
            let mut shared = self.shared.lock().await;
            if !shared.logged_in {
                return Err(refused("not logged in to AMI; nothing was sent"));
            }
            shared.pending.insert(action.clone(), tx);
            let written = match shared.writer.as_mut() {
                Some(writer) => writer.write_all(message.as_bytes()).await.is_ok(),
                None => false,
            };
            if !written {
                shared.pending.remove(&action);
                return Err(SendError::Uncertain {
                    provider: NAME,
                    reason: "the AMI connection failed while the Originate was written".into(),
                });
            }
            shared.by_action.insert(
                action.clone(),
                (
                    request.job_id.clone(),
                    StatusReport {
                        provider_id: action.clone(),
                        status: FaxStatus::Queued,
                        pages: None,
                        failure: None,
                    },
                ),
            );
            shared
                .action_by_job
                .insert(request.job_id.clone(), action.clone());
        }
        let answer = tokio::time::timeout(self.config.answer_timeout, rx).await;
        let uncertain = |reason: &str| SendError::Uncertain {
            provider: NAME,
            reason: reason.into(),
        };
        match answer {
            Ok(Ok(reply)) if reply.get("Response") == Some("Success") => Ok(Sent {
                provider_id: action,
                status: FaxStatus::Queued,
            }),
            Ok(Ok(_)) => {
                self.shared.lock().await.by_action.remove(&action);
                Err(refused("AMI refused the Originate; nothing was dialled"))
            }
            Ok(Err(_)) => Err(uncertain("the AMI connection closed before the answer")),
            Err(_) => {
                self.shared.lock().await.pending.remove(&action);
                Err(uncertain("no AMI answer in time"))
            }
        }
    }
}

async fn keep_connected(
    config: AsteriskConfig,
    shared: Arc<tokio::sync::Mutex<Shared>>,
    events: broadcast::Sender<CallbackEvent>,
) {
    let mut backoff = Duration::from_secs(1);
    loop {
        let outcome = session(&config, &shared, &events).await;
        {
            let mut state = shared.lock().await;
            state.writer = None;
            state.logged_in = false;
            state.last_error = Some(outcome.clone());
            // Callers waiting on an answer learn the connection is gone.
            state.pending.clear();
        }
        if outcome == "logged in then closed" {
            backoff = Duration::from_secs(1);
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(config.max_backoff);
    }
}

/// One connection: banner, login, then events until it ends. Returns why it ended.
async fn session(
    config: &AsteriskConfig,
    shared: &tokio::sync::Mutex<Shared>,
    events: &broadcast::Sender<CallbackEvent>,
) -> String {
    let stream = match tokio::time::timeout(
        config.answer_timeout,
        TcpStream::connect((config.host.as_str(), config.port)),
    )
    .await
    {
        Ok(Ok(stream)) => stream,
        Ok(Err(e)) => return format!("connect failed ({})", e.kind()),
        Err(_) => return "connect timed out".into(),
    };
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    // The banner (`Asterisk Call Manager/x.y`).
    if tokio::time::timeout(
        config.answer_timeout,
        line_protocol::read_message(&mut reader),
    )
    .await
    .is_err()
    {
        return "no AMI banner".into();
    }
    let login = format!(
        "Action: Login\r\nActionID: login\r\nUsername: {}\r\nSecret: {}\r\nEvents: on\r\n\r\n",
        config.username, config.password
    );
    if !line_protocol::safe_value(&config.password) {
        return "the AMI secret has control characters".into();
    }
    if write.write_all(login.as_bytes()).await.is_err() {
        return "login write failed".into();
    }
    let deadline = tokio::time::Instant::now() + config.answer_timeout;
    loop {
        let message =
            match tokio::time::timeout_at(deadline, line_protocol::read_message(&mut reader)).await
            {
                Ok(Ok(message)) => message,
                Ok(Err(e)) => return format!("login: {e}"),
                Err(_) => return "login: no answer in time".into(),
            };
        if message.get("ActionID") == Some("login") && message.get("Response").is_some() {
            if message.get("Response") != Some("Success") {
                return "login refused (check the AMI user and secret)".into();
            }
            break;
        }
    }
    {
        let mut state = shared.lock().await;
        state.writer = Some(write);
        state.logged_in = true;
        state.last_error = None;
    }
    loop {
        let message = match line_protocol::read_message(&mut reader).await {
            Ok(message) => message,
            Err(line_protocol::ReadError::Closed) => return "logged in then closed".into(),
            Err(e) => return format!("read: {e}"),
        };
        handle(message, shared, events).await;
    }
}

async fn handle(
    message: Message,
    shared: &tokio::sync::Mutex<Shared>,
    events: &broadcast::Sender<CallbackEvent>,
) {
    let mut state = shared.lock().await;
    // Events carry a `Response` header too (OriginateResponse): only a block without
    // `Event` answers an action.
    if message.get("Event").is_none() && message.get("Response").is_some() {
        if let Some(waiter) = message
            .get("ActionID")
            .and_then(|id| state.pending.remove(id))
        {
            let _ = waiter.send(message);
        }
        return;
    }
    let (action, status, pages, failure) = match message.get("Event") {
        Some("OriginateResponse") => {
            let Some(action) = message.get("ActionID").map(str::to_owned) else {
                return;
            };
            if message.get("Response") == Some("Failure") {
                let failure = match message.get("Reason") {
                    Some("5") => "busy",
                    Some("3") | Some("1") => "no_answer",
                    Some("8") => "congestion",
                    _ => "line_error",
                };
                (action, FaxStatus::Failed, None, Some(failure.to_owned()))
            } else {
                (action, FaxStatus::Sending, None, None)
            }
        }
        Some("UserEvent") if message.get("UserEvent") == Some("FaxResult") => {
            let Some(action) = message
                .get("JobID")
                .and_then(|job| state.action_by_job.get(job))
                .cloned()
            else {
                return;
            };
            let Some(status) = message.get("Status").and_then(map_fax_status) else {
                return;
            };
            let failure = (status == FaxStatus::Failed).then(|| "fax_error".to_owned());
            let pages = message.get("Pages").and_then(|p| p.parse().ok());
            (action, status, pages, failure)
        }
        _ => return,
    };
    let Some((job_id, report)) = state.by_action.get_mut(&action) else {
        return;
    };
    if !report.status.may_become(status) {
        return;
    }
    report.status = status;
    report.pages = pages.or(report.pages);
    report.failure = failure.clone();
    let event = CallbackEvent {
        job_id: Some(job_id.clone()),
        pages: report.pages,
        failure,
        ..CallbackEvent::status(action, status)
    };
    let _ = events.send(event);
}

impl FaxTransport for Asterisk {
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
                .by_action
                .get(provider_id)
                .map(|(_, report)| report.clone())
                .ok_or(TransportError::Status {
                    provider: NAME,
                    step: "status",
                    status: "unknown ActionID".into(),
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
            Ok(if state.logged_in {
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
