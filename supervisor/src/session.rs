//! One RPC session over the plugin's socket: multiplexed calls in both directions, each
//! with a deadline, bounded in flight per direction, failed with `unavailable` the moment
//! the plugin goes away so no caller waits forever.

use crate::capability::{AuditSink, CapabilityCheck, CapabilityHandler, DeniedCall};
use crate::metrics::PluginMetrics;
use crate::plugin_cgroup::PluginCgroup;
use faxbot_plugin_abi::envelope::decode_outcome;
use faxbot_plugin_abi::frame::{self, FrameReader, FrameWriter};
use faxbot_plugin_abi::methods::{Direction, direction_of};
use faxbot_plugin_abi::{Envelope, ErrorCode, Kind, Method, RpcError};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::UnixStream;
use tokio::net::unix::OwnedWriteHalf;
use tokio::sync::{Semaphore, oneshot};

type Pending = Arc<Mutex<HashMap<u64, oneshot::Sender<Result<Vec<u8>, RpcError>>>>>;
/// Calls whose caller gave up, by id, with when: the plugin still owes their answer.
type Late = Arc<Mutex<HashMap<u64, tokio::time::Instant>>>;

/// What the host plugs into a session.
#[derive(Clone)]
pub struct SessionHooks {
    /// Checks each plugin call against the grants.
    pub check: Arc<dyn CapabilityCheck>,
    /// Serves permitted plugin calls.
    pub handler: Arc<dyn CapabilityHandler>,
    /// Hears of every denial.
    pub audit: Arc<dyn AuditSink>,
}

/// A live session with one plugin instance.
pub struct Session {
    plugin_id: String,
    outbound: FrameWriter<OwnedWriteHalf>,
    pending: Pending,
    next_id: AtomicU64,
    in_flight: Arc<Semaphore>,
    closed: Arc<AtomicBool>,
    max_frame: u32,
    metrics: Arc<PluginMetrics>,
    late: Late,
    cpu_meter: Option<Arc<PluginCgroup>>,
}

/// What one host-to-plugin call cost.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CallBill {
    /// From the call's start to its outcome.
    pub wall: Duration,
    /// Request bytes sent (the frame with its length prefix).
    pub bytes_out: u64,
    /// Response bytes received (the frame with its length prefix).
    pub bytes_in: u64,
    /// CPU the plugin's cgroup used while the call was open: exact for a plugin serving one
    /// call at a time, shared among calls that overlap. `None` without a cgroup that
    /// accounts CPU.
    pub cpu: Option<Duration>,
}

impl Session {
    /// Starts the session on a stream whose handshake is done. `max_in_flight` bounds the
    /// calls in flight in each direction; `max_frame` is the negotiated frame limit.
    pub fn start(
        stream: UnixStream,
        plugin_id: String,
        max_frame: u32,
        max_in_flight: u32,
        hooks: SessionHooks,
    ) -> Self {
        Self::start_measured(
            stream,
            plugin_id,
            max_frame,
            max_in_flight,
            hooks,
            Arc::default(),
        )
    }

    /// As [`Session::start`], counting calls, errors, latency and denials in `metrics`.
    pub fn start_measured(
        stream: UnixStream,
        plugin_id: String,
        max_frame: u32,
        max_in_flight: u32,
        hooks: SessionHooks,
        metrics: Arc<PluginMetrics>,
    ) -> Self {
        let (read_half, write_half) = stream.into_split();
        let in_flight_limit = max_in_flight.max(1) as usize;
        // Callers write their own frames when the socket is idle; frames queued meanwhile
        // leave together; the flusher task only finishes what a full socket refused.
        let (outbound, flusher) = FrameWriter::new(write_half, max_frame, in_flight_limit * 2);
        let pending: Pending = Arc::new(Mutex::new(HashMap::new()));
        let late: Late = Arc::new(Mutex::new(HashMap::new()));
        let closed = Arc::new(AtomicBool::new(false));

        tokio::spawn(flusher.run());

        let inbound_permits = Arc::new(Semaphore::new(in_flight_limit));
        let reader = Reader {
            plugin_id: plugin_id.clone(),
            pending: pending.clone(),
            closed: closed.clone(),
            outbound: outbound.clone(),
            hooks,
            max_frame,
            metrics: metrics.clone(),
            late: late.clone(),
            serving: Arc::default(),
        };
        tokio::spawn(async move {
            // Many frames per read: a burst of answers costs one syscall, not two each.
            let mut frames = FrameReader::new(read_half, max_frame);
            // While a burst of frames is handed out, the answers and next calls it sets off
            // are held back (corked) and leave in one write once the burst is done.
            let mut cork = None;
            let end = loop {
                if cork.is_some() && !frames.has_frame() {
                    // Let the tasks the burst woke run (and queue their frames) first.
                    tokio::task::yield_now().await;
                    cork = None;
                }
                let body = match frames.next_frame().await {
                    Ok(Some(body)) => body,
                    Ok(None) => break "the plugin closed its socket".to_owned(),
                    Err(e) => break format!("the plugin broke the framing rules: {e}"),
                };
                let envelope = match Envelope::decode(body) {
                    Ok(envelope) => envelope,
                    Err(e) => break format!("the plugin sent an undecodable envelope: {e}"),
                };
                if cork.is_none() && frames.has_frame() {
                    cork = Some(reader.outbound.cork());
                }
                if matches!(envelope.kind, Kind::Request | Kind::Notification) {
                    // Backpressure: past the limit, stop reading until a call finishes.
                    let permit = match inbound_permits.clone().try_acquire_owned() {
                        Ok(permit) => permit,
                        Err(_) => {
                            // The calls being served must be able to answer meanwhile.
                            cork = None;
                            let Ok(permit) = inbound_permits.clone().acquire_owned().await else {
                                break "session closed".to_owned();
                            };
                            permit
                        }
                    };
                    let id = envelope.id;
                    let is_request = envelope.kind == Kind::Request;
                    let serving = reader.clone();
                    let task = tokio::spawn(async move {
                        serving.serve(envelope).await;
                        lock(&serving.serving).remove(&id);
                        drop(permit);
                    });
                    if is_request && !task.is_finished() {
                        lock(&reader.serving).insert(id, task.abort_handle());
                    }
                } else if envelope.kind == Kind::Cancel {
                    // The plugin no longer wants the answer: stop the work, answer nothing.
                    if let Some(task) = lock(&reader.serving).remove(&envelope.id) {
                        task.abort();
                    }
                } else {
                    reader.receive(envelope);
                }
            };
            for (_, task) in lock(&reader.serving).drain() {
                task.abort();
            }
            reader.close(&end);
        });

        Self {
            plugin_id,
            outbound,
            pending,
            next_id: AtomicU64::new(1),
            in_flight: Arc::new(Semaphore::new(in_flight_limit)),
            closed,
            max_frame,
            metrics,
            late,
            cpu_meter: None,
        }
    }

    /// Bills each call's CPU from the plugin's cgroup (two small cgroupfs reads per call).
    pub fn with_cpu_meter(mut self, cgroup: Arc<PluginCgroup>) -> Self {
        self.cpu_meter = Some(cgroup);
        self
    }

    /// How long the oldest timed-out call has gone unanswered, if it is past `grace`: the
    /// plugin is stuck and must be hard-stopped (frozen and killed with its cgroup).
    pub fn overdue(&self, grace: Duration) -> Option<Duration> {
        let now = tokio::time::Instant::now();
        lock(&self.late)
            .values()
            .map(|since| now.duration_since(*since))
            .max()
            .filter(|waited| *waited > grace)
    }

    /// This plugin's counters.
    pub fn metrics(&self) -> &Arc<PluginMetrics> {
        &self.metrics
    }

    /// Whether the plugin's end has gone away.
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Calls method `M` on the plugin and waits at most `deadline` for the answer. Past the
    /// in-flight limit the call waits for a slot (within the same deadline).
    pub async fn call<M: Method>(
        &self,
        request: &M::Request,
        deadline: Duration,
    ) -> Result<M::Response, RpcError> {
        self.call_billed::<M>(request, deadline).await.0
    }

    /// As [`Session::call`], with what the call cost.
    pub async fn call_billed<M: Method>(
        &self,
        request: &M::Request,
        deadline: Duration,
    ) -> (Result<M::Response, RpcError>, CallBill) {
        // One clock read for the whole call: the bill's start and the deadline's base.
        let started = tokio::time::Instant::now();
        let cpu_before = self.cpu_meter.as_ref().and_then(|c| c.cpu());
        let sizes = (AtomicU64::new(0), AtomicU64::new(0));
        self.metrics.call_started();
        let outcome = self
            .call_inner::<M>(request, started, deadline, &sizes)
            .await;
        let cpu = cpu_before.and_then(|before| {
            let after = self.cpu_meter.as_ref()?.cpu()?;
            Some(after.saturating_sub(before))
        });
        let bill = CallBill {
            wall: started.elapsed(),
            bytes_out: sizes.0.load(Ordering::Relaxed),
            bytes_in: sizes.1.load(Ordering::Relaxed),
            cpu,
        };
        self.metrics
            .call_finished(bill.wall, outcome.as_ref().err().map(|e| e.code));
        self.metrics.add_bytes(bill.bytes_out, bill.bytes_in);
        if let Some(cpu) = bill.cpu {
            self.metrics.add_call_cpu(cpu);
        }
        (outcome, bill)
    }

    async fn call_inner<M: Method>(
        &self,
        request: &M::Request,
        started: tokio::time::Instant,
        deadline: Duration,
        sizes: &(AtomicU64, AtomicU64),
    ) -> Result<M::Response, RpcError> {
        // A deadline too far to represent is no deadline (as `tokio::time::timeout` has it).
        let until = started
            .checked_add(deadline)
            .unwrap_or_else(|| started + Duration::from_secs(86_400 * 365 * 30));
        let plugin = &self.plugin_id;
        let permit = tokio::time::timeout_at(until, self.in_flight.acquire())
            .await
            .map_err(|_| {
                RpcError::new(
                    ErrorCode::Timeout,
                    format!(
                        "{}: no call slot free on plugin {plugin:?} within {deadline:?}",
                        M::NAME
                    ),
                )
            })?
            .map_err(|_| unavailable(plugin, "session closed"))?;
        if self.is_closed() {
            return Err(unavailable(plugin, "the session is closed"));
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let deadline_ms = u32::try_from(deadline.as_millis()).unwrap_or(u32::MAX);
        let bytes = Envelope::request::<M>(id, request, deadline_ms, self.max_frame)
            .and_then(|e| e.encode(self.max_frame))
            .map_err(|e| RpcError::new(ErrorCode::Invalid, format!("{}: {e}", M::NAME)))?;
        frame::check_len(
            u32::try_from(bytes.len()).unwrap_or(u32::MAX),
            self.max_frame,
        )
        .map_err(|e| RpcError::new(ErrorCode::Invalid, format!("{}: {e}", M::NAME)))?;
        sizes
            .0
            .store((frame::HEADER_LEN + bytes.len()) as u64, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        lock(&self.pending).insert(id, tx);
        if self.is_closed() {
            lock(&self.pending).remove(&id);
            return Err(unavailable(plugin, "the session is closed"));
        }
        let outcome = tokio::time::timeout_at(until, async {
            if self.outbound.send(&bytes).await.is_err() {
                return Err(unavailable(plugin, "the session's writer stopped"));
            }
            rx.await
                .unwrap_or_else(|_| Err(unavailable(plugin, "the session ended")))
        })
        .await;
        drop(permit);
        let body = match outcome {
            Ok(result) => result?,
            Err(_) => {
                lock(&self.pending).remove(&id);
                lock(&self.late).insert(id, tokio::time::Instant::now());
                if let Ok(cancel) = Envelope::cancel(id).encode(self.max_frame) {
                    // Dropped when the queue is full: the plugin is not reading anyway.
                    let _ = self.outbound.try_send(&cancel);
                }
                return Err(RpcError::new(
                    ErrorCode::Timeout,
                    format!(
                        "{} on plugin {plugin:?}: no answer within {deadline:?}",
                        M::NAME
                    ),
                ));
            }
        };
        sizes.1.store(body.len() as u64 + 4, Ordering::Relaxed);
        decode_outcome::<M::Response>(M::NAME, &body, faxbot_plugin_abi::codec::Compat::Exact)
            .map_err(|e| {
                RpcError::new(
                    ErrorCode::Invalid,
                    format!(
                        "{} on plugin {plugin:?}: undecodable response: {e}",
                        M::NAME
                    ),
                )
            })?
    }
}

/// How long the host serves a plugin call that names no deadline (`deadline_ms` 0).
pub const PLUGIN_CALL_DEFAULT_DEADLINE: Duration = Duration::from_secs(30);

/// The methods a plugin may send as notifications.
const NOTIFIABLE: [&str; 2] = [
    <faxbot_plugin_abi::methods::Log as Method>::NAME,
    <faxbot_plugin_abi::methods::Metric as Method>::NAME,
];

fn unavailable(plugin: &str, why: &str) -> RpcError {
    RpcError::new(ErrorCode::Unavailable, format!("plugin {plugin:?}: {why}"))
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[derive(Clone)]
struct Reader {
    plugin_id: String,
    pending: Pending,
    closed: Arc<AtomicBool>,
    outbound: FrameWriter<OwnedWriteHalf>,
    hooks: SessionHooks,
    max_frame: u32,
    metrics: Arc<PluginMetrics>,
    late: Late,
    /// The plugin's calls being served, by id, so a Cancel can stop one.
    serving: Arc<Mutex<HashMap<u64, tokio::task::AbortHandle>>>,
}

impl Reader {
    fn receive(&self, envelope: Envelope) {
        if envelope.kind == Kind::Response {
            if let Some(tx) = lock(&self.pending).remove(&envelope.id) {
                let _ = tx.send(Ok(envelope.body));
            } else {
                // A late answer: the plugin is slow, not stuck.
                lock(&self.late).remove(&envelope.id);
            }
        }
        // Notifications (log.write, metric.record) and cancels of calls the host is
        // serving need no answer; responses to calls that timed out are dropped.
    }

    async fn serve(&self, envelope: Envelope) {
        let id = envelope.id;
        // Only `log.write` and `metric.record` may come as notifications (docs/abi.md);
        // they pass the same check and reach the handler, but nothing is answered.
        let notification = envelope.kind == Kind::Notification;
        if notification && !NOTIFIABLE.contains(&envelope.method.as_str()) {
            return;
        }
        let outcome = if direction_of(&envelope.method) != Some(Direction::PluginToHost) {
            Err(RpcError::unsupported_method(&envelope.method))
        } else if let Err(denial) = self.hooks.check.permits(&self.plugin_id, &envelope) {
            self.metrics.denied();
            let answer = RpcError::denied(&denial);
            self.hooks.audit.denied(&DeniedCall {
                plugin_id: self.plugin_id.clone(),
                method: envelope.method.clone(),
                denial,
            });
            Err(answer)
        } else {
            // The host stops working for the plugin when the plugin's own deadline passes;
            // a call without one (0: "the method's default") gets the host's default, so no
            // plugin call holds host work without bound.
            let deadline = match envelope.deadline_ms {
                0 => PLUGIN_CALL_DEFAULT_DEADLINE,
                ms => Duration::from_millis(u64::from(ms)),
            };
            let method = envelope.method.clone();
            tokio::time::timeout(
                deadline,
                self.hooks.handler.handle(&self.plugin_id, envelope),
            )
            .await
            .unwrap_or_else(|_| {
                Err(RpcError::new(
                    ErrorCode::Timeout,
                    format!("{method}: not served within the call's {deadline:?} deadline"),
                ))
            })
        };
        if notification {
            return;
        }
        let body = match outcome {
            Ok(body) => Envelope {
                id,
                kind: Kind::Response,
                method: String::new(),
                deadline_ms: 0,
                body,
            }
            .encode(self.max_frame),
            Err(error) => Envelope::error_response(id, &error, self.max_frame)
                .and_then(|e| e.encode(self.max_frame)),
        };
        if let Ok(body) = body {
            let _ = self.outbound.send(&body).await;
        }
    }

    fn close(&self, why: &str) {
        self.closed.store(true, Ordering::Release);
        let waiting: Vec<_> = lock(&self.pending).drain().collect();
        for (_, tx) in waiting {
            let _ = tx.send(Err(unavailable(&self.plugin_id, why)));
        }
    }
}
