//! The conformance host's end of a plugin's socket after the handshake: raw envelopes, so
//! it can send what a typed session never would (unknown methods, bad bodies, stray
//! responses, notifications of the wrong kind). A reader task answers the plugin's own calls
//! and records them: `log.write` and `metric.record` with `Ack`, `kv.*` from a store in
//! memory, anything else `unavailable` (`cargo faxbot test` is where egress, events and fax
//! status are served from fixtures).

use faxbot_plugin_abi::methods::{
    Ack, KvDelete, KvDeleteResponse, KvGet, KvGetResponse, KvList, KvListResponse, KvPut, Log,
    Metric,
};
use faxbot_plugin_abi::{Envelope, ErrorCode, Kind, Method, RpcError, codec, frame};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::UnixStream;
use tokio::net::unix::OwnedWriteHalf;
use tokio::sync::mpsc;

/// What the plugin sent of its own accord.
#[derive(Debug, Default)]
pub struct PluginTraffic {
    /// Ids of its requests, in arrival order.
    pub request_ids: Vec<u64>,
    /// Methods it sent as notifications.
    pub notifications: Vec<String>,
    /// Why its side of the socket ended, once it has.
    pub ended: Option<String>,
}

/// The host's end of a running session.
pub struct Peer {
    writer: Arc<tokio::sync::Mutex<OwnedWriteHalf>>,
    inbox: mpsc::UnboundedReceiver<Envelope>,
    /// What the plugin sent by itself.
    pub traffic: Arc<Mutex<PluginTraffic>>,
    max_frame: u32,
}

/// How a call came back.
#[derive(Debug)]
pub enum Answer {
    /// `Ok`, with the encoded response after the tag.
    Ok(Vec<u8>),
    /// `Err`.
    Err(RpcError),
    /// A response body that is not a `Result` of an `RpcError`.
    Undecodable(String),
    /// No response within the wait.
    Silent,
}

impl Answer {
    /// The error code, when the call failed.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Answer::Err(e) => Some(e.code),
            _ => None,
        }
    }

    /// In words, for a report.
    pub fn describe(&self) -> String {
        match self {
            Answer::Ok(_) => "answered Ok".to_owned(),
            Answer::Err(e) => format!("answered {} ({})", e.code.name(), e.code.as_u16()),
            Answer::Undecodable(why) => format!("answered with an undecodable body: {why}"),
            Answer::Silent => "not answered".to_owned(),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Peer {
    /// Takes over `stream` (handshake done, frame limit `max_frame`).
    pub fn start(stream: UnixStream, max_frame: u32) -> Self {
        let (mut reader, writer) = stream.into_split();
        let writer = Arc::new(tokio::sync::Mutex::new(writer));
        let traffic: Arc<Mutex<PluginTraffic>> = Arc::default();
        let (tx, inbox) = mpsc::unbounded_channel();
        let (answers, seen) = (writer.clone(), traffic.clone());
        let mut kv = BTreeMap::new();
        tokio::spawn(async move {
            let end = loop {
                let body = match frame::read_frame_async(&mut reader, max_frame).await {
                    Ok(Some(body)) => body,
                    Ok(None) => break "the plugin closed its socket".to_owned(),
                    Err(e) => break format!("the plugin broke the framing rules: {e}"),
                };
                let envelope = match Envelope::decode(&body) {
                    Ok(envelope) => envelope,
                    Err(e) => break format!("the plugin sent an undecodable envelope: {e}"),
                };
                match envelope.kind {
                    Kind::Request => {
                        lock(&seen).request_ids.push(envelope.id);
                        let reply = answer_plugin(&envelope, &mut kv, max_frame);
                        if let Ok(bytes) = reply {
                            let mut w = answers.lock().await;
                            let _ = frame::write_frame_async(&mut *w, &bytes, max_frame).await;
                        }
                    }
                    Kind::Notification => lock(&seen).notifications.push(envelope.method),
                    Kind::Response | Kind::Cancel => {
                        let _ = tx.send(envelope);
                    }
                }
            };
            lock(&seen).ended = Some(end);
        });
        Self {
            writer,
            inbox,
            traffic,
            max_frame,
        }
    }

    /// Sends one envelope as is.
    pub async fn send(&self, envelope: &Envelope) -> Result<(), String> {
        let bytes = envelope.encode(self.max_frame).map_err(|e| e.to_string())?;
        let mut w = self.writer.lock().await;
        frame::write_frame_async(&mut *w, &bytes, self.max_frame)
            .await
            .map_err(|e| format!("writing to the plugin: {e}"))
    }

    /// Sends request `id` and waits `wait` for its response (other envelopes are dropped).
    pub async fn call(
        &mut self,
        id: u64,
        method: &str,
        deadline_ms: u32,
        body: Vec<u8>,
        wait: Duration,
    ) -> Answer {
        let request = Envelope {
            id,
            kind: Kind::Request,
            method: method.to_owned(),
            deadline_ms,
            body,
        };
        if self.send(&request).await.is_err() {
            return Answer::Silent;
        }
        self.answer_to(id, wait).await
    }

    /// Waits `wait` for the response to `id`.
    pub async fn answer_to(&mut self, id: u64, wait: Duration) -> Answer {
        let until = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(until, self.inbox.recv()).await {
                Ok(Some(envelope)) if envelope.kind == Kind::Response && envelope.id == id => {
                    return outcome(&envelope.body);
                }
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => return Answer::Silent,
            }
        }
    }

    /// Waits `wait` for the responses to every id of `ids`, in whatever order they come.
    pub async fn answers_to(&mut self, ids: &[u64], wait: Duration) -> Vec<(u64, Answer)> {
        let until = tokio::time::Instant::now() + wait;
        let mut got = Vec::new();
        while got.len() < ids.len() {
            match tokio::time::timeout_at(until, self.inbox.recv()).await {
                Ok(Some(envelope))
                    if envelope.kind == Kind::Response
                        && ids.contains(&envelope.id)
                        && !got.iter().any(|(id, _)| *id == envelope.id) =>
                {
                    got.push((envelope.id, outcome(&envelope.body)));
                }
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => break,
            }
        }
        got
    }

    /// Any response that arrives within `wait` (for "nothing is answered" checks).
    pub async fn any_response(&mut self, wait: Duration) -> Option<Envelope> {
        let until = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(until, self.inbox.recv()).await {
                Ok(Some(envelope)) if envelope.kind == Kind::Response => return Some(envelope),
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => return None,
            }
        }
    }
}

/// Splits a response body into its outcome.
pub fn outcome(body: &[u8]) -> Answer {
    match body.first() {
        Some(0) => Answer::Ok(body[1..].to_vec()),
        Some(1) => match codec::decode::<RpcError>("RpcError", &body[1..]) {
            Ok(error) => Answer::Err(error),
            Err(e) => Answer::Undecodable(e.to_string()),
        },
        Some(tag) => Answer::Undecodable(format!("Result tag {tag} (must be 00 or 01)")),
        None => Answer::Undecodable("an empty body".to_owned()),
    }
}

fn invalid(method: &str, e: impl std::fmt::Display) -> RpcError {
    RpcError::new(
        ErrorCode::Invalid,
        format!("{method}: the request does not decode: {e}"),
    )
}

/// The conformance host's answer to a plugin call.
fn answer_plugin(
    call: &Envelope,
    kv: &mut BTreeMap<String, Vec<u8>>,
    max_frame: u32,
) -> Result<Vec<u8>, String> {
    let id = call.id;
    let response = match call.method.as_str() {
        m if m == Log::NAME => Envelope::response::<Log>(id, &Ok(Ack {}), max_frame),
        m if m == Metric::NAME => Envelope::response::<Metric>(id, &Ok(Ack {}), max_frame),
        m if m == KvGet::NAME => {
            let outcome = call
                .decode_request::<KvGet>()
                .map(|r| KvGetResponse {
                    value: kv.get(&r.key).cloned(),
                })
                .map_err(|e| invalid(m, e));
            Envelope::response::<KvGet>(id, &outcome, max_frame)
        }
        m if m == KvPut::NAME => {
            let outcome = call
                .decode_request::<KvPut>()
                .map(|r| {
                    kv.insert(r.key, r.value);
                    Ack {}
                })
                .map_err(|e| invalid(m, e));
            Envelope::response::<KvPut>(id, &outcome, max_frame)
        }
        m if m == KvDelete::NAME => {
            let outcome = call
                .decode_request::<KvDelete>()
                .map(|r| KvDeleteResponse {
                    existed: kv.remove(&r.key).is_some(),
                })
                .map_err(|e| invalid(m, e));
            Envelope::response::<KvDelete>(id, &outcome, max_frame)
        }
        m if m == KvList::NAME => {
            let outcome = call
                .decode_request::<KvList>()
                .map(|r| {
                    let limit = r.limit.clamp(1, 1000) as usize;
                    let matching: Vec<String> = kv
                        .keys()
                        .filter(|k| k.starts_with(&r.prefix))
                        .filter(|k| r.after.as_ref().is_none_or(|a| *k > a))
                        .take(limit + 1)
                        .cloned()
                        .collect();
                    KvListResponse {
                        more: matching.len() > limit,
                        keys: matching.into_iter().take(limit).collect(),
                    }
                })
                .map_err(|e| invalid(m, e));
            Envelope::response::<KvList>(id, &outcome, max_frame)
        }
        other => Envelope::error_response(
            id,
            &RpcError::new(
                ErrorCode::Unavailable,
                format!("{other}: the conformance host does not serve it (cargo faxbot test does)"),
            ),
            max_frame,
        ),
    }
    .map_err(|e| e.to_string())?;
    response.encode(max_frame).map_err(|e| e.to_string())
}
