//! One session with the host: the handshake, then the read loop that routes the host's
//! frames (answers to the plugin's calls, new calls, cancels) until Shutdown or close.

use crate::conn::Conn;
use crate::ctx::{Ctx, Shared};
use crate::dispatch::{self, CatchUnwind};
use crate::error::Error;
use crate::grants::Grants;
use crate::handshake;
use crate::plugin::Plugin;
use faxbot_plugin_abi::codec::Compat;
use faxbot_plugin_abi::methods::{
    Ack, DeliverEvent, Health, LogLevel, RunJob, ServeRoute, Shutdown, ShutdownRequest,
};
use faxbot_plugin_abi::{
    ABI_VERSION, Envelope, ErrorCode, FrameError, Kind, Method, RpcError, frame,
};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::UnixStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot, watch};
use tokio::time::Instant;

/// How long a health check may take when the host sets no deadline.
const HEALTH_DEADLINE: Duration = Duration::from_secs(5);
/// Kept back from the host's shutdown deadline to answer it in time.
const SHUTDOWN_MARGIN: Duration = Duration::from_millis(100);

/// Why a session ended other than by the host's Shutdown or a clean close.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The handshake did not complete.
    #[error("handshake with the host failed: {0}")]
    Handshake(String),
    /// The host refused the plugin (unknown id, version mismatch, not approved).
    #[error("the host refused this plugin ({code}): {message}")]
    Rejected {
        /// The host's reject code.
        code: String,
        /// The host's reason.
        message: String,
    },
    /// The plugin's `on_init` hook failed.
    #[error("the plugin's init hook failed: {0}")]
    Init(Error),
    /// The host broke the protocol (a bad frame or envelope); the session cannot go on.
    #[error("the session with the host broke: {0}")]
    Broken(String),
}

#[derive(Clone, Debug, PartialEq)]
enum Readiness {
    Starting,
    Ready,
    Failed(String),
}

type Running = Arc<Mutex<HashMap<u64, oneshot::Sender<()>>>>;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Runs `plugin` on an established socket to the host until the host shuts it down or
/// closes the socket. [`crate::run`] calls this on fd 3; call it yourself only if you build
/// your own runtime. The session runs as a task of the current tokio runtime (it must be
/// called within one); dropping the returned future stops it.
///
/// ```no_run
/// use std::os::fd::FromRawFd;
///
/// #[tokio::main(flavor = "current_thread")]
/// async fn main() -> Result<(), Box<dyn std::error::Error>> {
///     // Prefer faxbot_sdk::run, which checks that fd 3 really is the host's socket.
///     # #[allow(unsafe_code)]
///     let socket = unsafe { std::os::unix::net::UnixStream::from_raw_fd(3) };
///     socket.set_nonblocking(true)?;
///     let stream = tokio::net::UnixStream::from_std(socket)?;
///     faxbot_sdk::serve(faxbot_sdk::Plugin::new("hello", "0.1.0"), stream).await?;
///     Ok(())
/// }
/// ```
pub async fn serve(plugin: Plugin, stream: UnixStream) -> Result<(), SessionError> {
    // The session runs as a task of the runtime, not on the thread that awaits this (often
    // `block_on`'s, which is no runtime worker): the read loop then shares a worker with the
    // handlers it spawns and the I/O driver that wakes it, instead of being woken across
    // threads twice per host call.
    let session = SessionTask(tokio::spawn(run_session(plugin, stream)));
    match session.join().await {
        Ok(outcome) => outcome,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => Err(SessionError::Broken(format!("the session task ended: {e}"))),
    }
}

/// The spawned session, stopped if the future awaiting it is dropped (as it stopped when
/// it ran inside that future).
struct SessionTask(tokio::task::JoinHandle<Result<(), SessionError>>);

impl SessionTask {
    async fn join(mut self) -> Result<Result<(), SessionError>, tokio::task::JoinError> {
        (&mut self.0).await
    }
}

impl Drop for SessionTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Whether a read failed only because the host closed its end (`ECONNRESET` when frames the
/// plugin sent were still unread, `EPIPE`).
fn host_hung_up(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe
    )
}

async fn run_session(plugin: Plugin, mut stream: UnixStream) -> Result<(), SessionError> {
    let welcome = handshake::introduce(&mut stream, &plugin.id, &plugin.version).await?;
    let compat = Compat::for_session(ABI_VERSION, welcome.abi);
    let max_frame = frame::clamp_max_frame(welcome.limits.max_frame);
    let (reader, writer) = stream.into_split();
    let conn = Conn::start(writer, max_frame, welcome.limits.max_in_flight, compat);
    let shared = Arc::new(Shared {
        conn: conn.clone(),
        grants: Grants::new(welcome.capabilities),
        config: crate::Config::new(welcome.config),
        plugin_id: plugin.id.clone(),
        instance_id: welcome.instance_id,
        limits: welcome.limits,
    });
    #[cfg(feature = "tracing")]
    crate::trace::attach(&conn);
    let plugin = Arc::new(plugin);
    let (ready_tx, mut ready_rx) = watch::channel(Readiness::Starting);
    tokio::spawn(initialise(plugin.clone(), shared.clone(), ready_tx));

    let server = Server {
        plugin,
        shared: shared.clone(),
        running: Arc::default(),
        slots: Arc::new(Semaphore::new(shared.limits.max_in_flight.max(1) as usize)),
        ready: ready_rx.clone(),
        compat,
        max_frame,
    };
    // Frames are read here, many per `read`: `FrameReader::next_frame` is cancel-safe (a
    // half-read frame stays in its buffer when another branch of the select wins), so no
    // task of its own and no hop through a channel per frame.
    let mut frames = frame::FrameReader::new(reader, max_frame);
    let (stop_tx, mut stop_rx) = oneshot::channel::<()>();
    let mut stop_tx = Some(stop_tx);
    let mut init_settled = false;
    // While a burst of host frames is handed out, the answers it sets off are held back
    // (corked) and leave in one write once the burst is done.
    let mut cork = None;
    let outcome = loop {
        if cork.is_some() && !frames.has_frame() {
            // Let the calls the burst started run (and queue their answers) first.
            tokio::task::yield_now().await;
            cork = None;
        }
        let body = tokio::select! {
            read = frames.next_frame() => match read {
                Ok(Some(body)) => body,
                Ok(None) => break Ok(()),
                // The host closed its end with frames of ours unread: the kernel reports
                // that as a reset, but it is the same ending as a plain close.
                Err(FrameError::Io(e)) if host_hung_up(&e) => break Ok(()),
                Err(e) => break Err(SessionError::Broken(format!("reading a frame: {e}"))),
            },
            _ = &mut stop_rx => break Ok(()),
            changed = ready_rx.changed(), if !init_settled => {
                let state = ready_rx.borrow_and_update().clone();
                match state {
                    // An init hook that failed because the host went away is not the
                    // plugin's failure: the session simply ended.
                    Readiness::Failed(_) if conn.is_closed() => break Ok(()),
                    Readiness::Failed(why) => break Err(SessionError::Init(Error::internal(why))),
                    Readiness::Ready => init_settled = true,
                    Readiness::Starting => init_settled = changed.is_err(),
                }
                continue;
            }
        };
        let envelope = match Envelope::decode(body) {
            Ok(envelope) => envelope,
            Err(e) => {
                break Err(SessionError::Broken(format!(
                    "an envelope from the host: {e}"
                )));
            }
        };
        if cork.is_none() && frames.has_frame() {
            cork = Some(conn.cork());
        }
        match envelope.kind {
            Kind::Response => conn.complete(envelope.id, envelope.body),
            Kind::Cancel => {
                if let Some(cancel) = lock(&server.running).remove(&envelope.id) {
                    let _ = cancel.send(());
                }
            }
            Kind::Notification => {}
            Kind::Request if envelope.method == Shutdown::NAME => match stop_tx.take() {
                Some(stop) => {
                    tokio::spawn(server.clone().shut_down(envelope, stop));
                }
                // Already stopping: acknowledge again rather than leave the host waiting.
                None => server.answer_later(dispatch::response::<Shutdown>(
                    envelope.id,
                    &Ok(Ack {}),
                    max_frame,
                )),
            },
            Kind::Request => server.accept(envelope),
        }
    };
    drop(cork);
    conn.close();
    outcome
}

async fn initialise(plugin: Arc<Plugin>, shared: Arc<Shared>, ready: watch::Sender<Readiness>) {
    let ctx = Ctx::new(shared.clone(), None);
    let outcome = match &plugin.init {
        None => Ok(()),
        Some(init) => match CatchUnwind::new(init(ctx.clone())).await {
            Ok(result) => result.map_err(|e| e.to_string()),
            Err(panic) => Err(format!("init panicked: {panic}")),
        },
    };
    match outcome {
        Ok(()) => {
            let _ = ready.send(Readiness::Ready);
            warn_about_ungranted(&plugin, &ctx).await;
        }
        Err(why) => {
            let _ = ctx
                .log()
                .write(LogLevel::Error, format!("init failed: {why}"), Vec::new())
                .await;
            shared.conn.flush().await;
            let _ = ready.send(Readiness::Failed(why));
        }
    }
}

/// Tells the author, through the host's log, about handlers the host will never call.
async fn warn_about_ungranted(plugin: &Plugin, ctx: &Ctx) {
    let grants = ctx.grants();
    let mut warnings = Vec::new();
    for r in &plugin.events {
        if !grants.subscribed(&r.pattern) {
            warnings.push(format!(
                "events matching {} are not subscribed; that handler will not be called",
                r.pattern
            ));
        }
    }
    for r in &plugin.routes {
        if !grants.route(&r.path) {
            warnings.push(format!(
                "route {} is not granted; the host will not serve it",
                r.path
            ));
        }
    }
    for j in &plugin.jobs {
        if !grants.job(&j.name) {
            warnings.push(format!(
                "job {} is not granted; the host will not run it",
                j.name
            ));
        }
    }
    for warning in warnings {
        let _ = ctx.log().write(LogLevel::Warn, warning, Vec::new()).await;
    }
}

/// Everything a spawned call needs.
#[derive(Clone)]
struct Server {
    plugin: Arc<Plugin>,
    shared: Arc<Shared>,
    running: Running,
    slots: Arc<Semaphore>,
    ready: watch::Receiver<Readiness>,
    compat: Compat,
    max_frame: u32,
}

impl Server {
    /// Starts serving a host request without blocking the read loop, which must keep
    /// reading the host's answers to the plugin's own calls.
    fn accept(&self, envelope: Envelope) {
        let id = envelope.id;
        if envelope.method == Health::NAME {
            tokio::spawn(self.clone().health(envelope));
            return;
        }
        if !matches!(
            envelope.method.as_str(),
            DeliverEvent::NAME | ServeRoute::NAME | RunJob::NAME
        ) {
            let error = RpcError::unsupported_method(&envelope.method);
            self.answer_later(dispatch::error_response(id, &error));
            return;
        }
        let Ok(slot) = self.slots.clone().try_acquire_owned() else {
            let error = RpcError::new(
                ErrorCode::Unavailable,
                format!(
                    "the plugin has {} calls in flight, its limit",
                    self.shared.limits.max_in_flight
                ),
            );
            self.answer_later(dispatch::error_response(id, &error));
            return;
        };
        let (cancel_tx, cancel_rx) = oneshot::channel();
        lock(&self.running).insert(id, cancel_tx);
        tokio::spawn(self.clone().call(envelope, cancel_rx, slot));
    }

    fn deadline_for(&self, envelope: &Envelope) -> Duration {
        let limits = &self.shared.limits;
        let default_ms = match envelope.method.as_str() {
            DeliverEvent::NAME => limits.event_deadline_ms,
            ServeRoute::NAME => limits.route_deadline_ms,
            RunJob::NAME => limits.job_deadline_ms,
            _ => 5_000,
        };
        let ms = if envelope.deadline_ms == 0 {
            default_ms
        } else {
            envelope.deadline_ms
        };
        Duration::from_millis(u64::from(ms.max(1)))
    }

    async fn call(
        self,
        envelope: Envelope,
        cancelled: oneshot::Receiver<()>,
        _slot: OwnedSemaphorePermit,
    ) {
        let id = envelope.id;
        let method = envelope.method.clone();
        let deadline = Instant::now() + self.deadline_for(&envelope);
        let ctx = Ctx::new(self.shared.clone(), Some(deadline));
        let work = async {
            self.until_ready().await?;
            Ok(dispatch::serve(&self.plugin, ctx, &envelope, self.compat, self.max_frame).await)
        };
        let outcome: Result<Envelope, RpcError> = tokio::select! {
            done = tokio::time::timeout_at(deadline, CatchUnwind::new(work)) => match done {
                Ok(Ok(result)) => result,
                Ok(Err(panic)) => Err(RpcError::new(
                    ErrorCode::Internal,
                    format!("the {method} handler panicked: {panic}"),
                )),
                Err(_) => Err(RpcError::new(
                    ErrorCode::Timeout,
                    format!("the {method} handler did not finish within its deadline"),
                )),
            },
            // Answered even though the host stopped waiting: the answer settles the call,
            // so the host does not count it as owed and hard-stop the plugin.
            _ = cancelled => Err(RpcError::new(
                ErrorCode::Cancelled,
                format!("the host cancelled {method}"),
            )),
        };
        lock(&self.running).remove(&id);
        let response = outcome.unwrap_or_else(|error| dispatch::error_response(id, &error));
        self.answer(response).await;
    }

    async fn until_ready(&self) -> Result<(), RpcError> {
        let mut ready = self.ready.clone();
        let state = ready
            .wait_for(|r| *r != Readiness::Starting)
            .await
            .map(|r| r.clone());
        match state {
            Ok(Readiness::Ready) => Ok(()),
            _ => Err(RpcError::new(
                ErrorCode::Unavailable,
                "the plugin failed to initialise",
            )),
        }
    }

    async fn health(self, envelope: Envelope) {
        let id = envelope.id;
        let deadline = if envelope.deadline_ms == 0 {
            HEALTH_DEADLINE
        } else {
            Duration::from_millis(u64::from(envelope.deadline_ms))
        };
        let until = Instant::now() + deadline;
        // A check that arrives while init runs waits for it, within the check's deadline.
        let mut ready = self.ready.clone();
        let state = tokio::time::timeout_at(until, ready.wait_for(|r| *r != Readiness::Starting))
            .await
            .ok()
            .and_then(Result::ok)
            .map_or(Readiness::Starting, |r| r.clone());
        let response = match state {
            Readiness::Starting => dispatch::response::<Health>(
                id,
                &Ok(faxbot_plugin_abi::methods::HealthReport {
                    ok: false,
                    detail: "init has not finished".to_owned(),
                }),
                self.max_frame,
            ),
            Readiness::Failed(_) => dispatch::response::<Health>(
                id,
                &Ok(faxbot_plugin_abi::methods::HealthReport {
                    ok: false,
                    detail: "init failed".to_owned(),
                }),
                self.max_frame,
            ),
            Readiness::Ready => {
                let ctx = Ctx::new(self.shared.clone(), Some(until));
                match tokio::time::timeout_at(
                    until,
                    dispatch::health(&self.plugin, ctx, &envelope, self.max_frame),
                )
                .await
                {
                    Ok(response) => response,
                    Err(_) => dispatch::error_response(
                        id,
                        &RpcError::new(ErrorCode::Timeout, "the health check did not finish"),
                    ),
                }
            }
        };
        self.answer(response).await;
    }

    /// Runs the shutdown hook within the host's deadline, answers, flushes, then ends the
    /// read loop.
    async fn shut_down(self, envelope: Envelope, stop: oneshot::Sender<()>) {
        let id = envelope.id;
        let budget = match envelope.decode_request_with::<Shutdown>(self.compat) {
            Ok(ShutdownRequest { deadline_ms }) => {
                Duration::from_millis(u64::from(deadline_ms)).saturating_sub(SHUTDOWN_MARGIN)
            }
            Err(_) => Duration::from_secs(1),
        };
        let ctx = Ctx::new(self.shared.clone(), Some(Instant::now() + budget));
        if let Some(hook) = &self.plugin.shutdown {
            let outcome = tokio::time::timeout(budget, CatchUnwind::new(hook(ctx.clone()))).await;
            let problem = match outcome {
                Ok(Ok(Ok(()))) => None,
                Ok(Ok(Err(e))) => Some(format!("the shutdown hook failed: {e}")),
                Ok(Err(panic)) => Some(format!("the shutdown hook panicked: {panic}")),
                Err(_) => Some("the shutdown hook did not finish in time".to_owned()),
            };
            if let Some(problem) = problem {
                let _ = ctx.log().write(LogLevel::Warn, problem, Vec::new()).await;
            }
        }
        self.answer(dispatch::response::<Shutdown>(
            id,
            &Ok(Ack {}),
            self.max_frame,
        ))
        .await;
        self.shared.conn.flush().await;
        let _ = stop.send(());
    }

    async fn answer(&self, response: Envelope) {
        // A failed send means the session is over; nobody is left to answer.
        let _ = self.shared.conn.send(&response).await;
    }

    fn answer_later(&self, response: Envelope) {
        let conn = self.shared.conn.clone();
        tokio::spawn(async move {
            let _ = conn.send(&response).await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    #[tokio::test]
    async fn dropping_serve_stops_the_session_and_closes_its_socket() {
        let (plugin_end, mut host_end) = UnixStream::pair().expect("socket pair");
        let serving = serve(Plugin::new("drop-test", "0.1.0"), plugin_end);
        // The host never answers the Hello, so serve waits (far longer than this).
        let waited = tokio::time::timeout(Duration::from_millis(50), serving).await;
        assert!(waited.is_err(), "serve is still waiting for the Welcome");
        // Dropped: the session task goes with it, and so does its end of the socket.
        let mut sent = Vec::new();
        let closed =
            tokio::time::timeout(Duration::from_secs(2), host_end.read_to_end(&mut sent)).await;
        assert!(
            matches!(closed, Ok(Ok(_))),
            "the plugin's end closed: {closed:?}"
        );
        assert!(!sent.is_empty(), "the Hello went out first");
    }
}
