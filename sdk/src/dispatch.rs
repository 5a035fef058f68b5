//! Serving one host call: decode its request, run the plugin's handler under the call's
//! deadline, and build the one response the host is owed (even when the handler panics).

use crate::ctx::Ctx;
use crate::plugin::{Health, Plugin};
use crate::route::{HttpMethod, Request, Response};
use faxbot_plugin_abi::codec::Compat;
use faxbot_plugin_abi::methods::{
    Ack, DeliverEvent, Health as HealthMethod, HealthReport, JobReport, LogLevel, RunJob,
    ServeRoute,
};
use faxbot_plugin_abi::{Envelope, ErrorCode, Method, RpcError};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The response to host call `id` of method `M`, or an error response when it does not
/// fit in a frame.
pub(crate) fn response<M: Method>(
    id: u64,
    outcome: &Result<M::Response, RpcError>,
    max_frame: u32,
) -> Envelope {
    if let Err(error) = outcome {
        return error_response(id, error);
    }
    Envelope::response::<M>(id, outcome, max_frame).unwrap_or_else(|e| {
        error_response(
            id,
            &RpcError::new(ErrorCode::Internal, format!("{}: {e}", M::NAME)),
        )
    })
}

/// Longest error message sent to the host; longer ones are cut (at a char boundary).
const MAX_ERROR_MESSAGE: usize = 4096;

/// An error response to host call `id`.
pub(crate) fn error_response(id: u64, error: &RpcError) -> Envelope {
    let mut error = error.clone();
    if error.message.len() > MAX_ERROR_MESSAGE {
        let mut end = MAX_ERROR_MESSAGE;
        while !error.message.is_char_boundary(end) {
            end -= 1;
        }
        error.message.truncate(end);
        error.message.push_str(" [cut]");
    }
    let error = &error;
    Envelope {
        id,
        kind: faxbot_plugin_abi::Kind::Response,
        method: String::new(),
        deadline_ms: 0,
        body: faxbot_plugin_abi::codec::encode("error response", &Err::<(), _>(error), u32::MAX)
            .unwrap_or_default(),
    }
}

fn decode<M: Method>(envelope: &Envelope, compat: Compat) -> Result<M::Request, RpcError> {
    envelope.decode_request_with::<M>(compat).map_err(|e| {
        RpcError::new(
            ErrorCode::Invalid,
            format!("{} request does not decode: {e}", M::NAME),
        )
    })
}

/// Runs the handler for `envelope` (an event, route or job call) and returns the response.
pub(crate) async fn serve(
    plugin: &Plugin,
    ctx: Ctx,
    envelope: &Envelope,
    compat: Compat,
    max_frame: u32,
) -> Envelope {
    let id = envelope.id;
    match envelope.method.as_str() {
        DeliverEvent::NAME => {
            let outcome = deliver(plugin, ctx, envelope, compat).await;
            response::<DeliverEvent>(id, &outcome, max_frame)
        }
        ServeRoute::NAME => {
            let outcome = route(plugin, ctx, envelope, compat).await;
            response::<ServeRoute>(id, &outcome, max_frame)
        }
        RunJob::NAME => {
            let outcome = job(plugin, ctx, envelope, compat).await;
            response::<RunJob>(id, &outcome, max_frame)
        }
        other => error_response(id, &RpcError::unsupported_method(other)),
    }
}

async fn deliver(
    plugin: &Plugin,
    ctx: Ctx,
    envelope: &Envelope,
    compat: Compat,
) -> Result<Ack, RpcError> {
    let delivery = decode::<DeliverEvent>(envelope, compat)?;
    let Some(handler) = plugin.event_handler(&delivery.event.topic) else {
        // Subscribed but unhandled: acknowledge, so the host does not redeliver forever.
        let _ = ctx
            .log()
            .write(
                LogLevel::Warn,
                format!(
                    "no handler registered for event topic {}",
                    delivery.event.topic
                ),
                Vec::new(),
            )
            .await;
        return Ok(Ack {});
    };
    handler(ctx.with_attempt(delivery.attempt), delivery.event)
        .await
        .map(|()| Ack {})
        .map_err(|e| e.to_rpc())
}

async fn route(
    plugin: &Plugin,
    ctx: Ctx,
    envelope: &Envelope,
    compat: Compat,
) -> Result<faxbot_plugin_abi::methods::RouteResponse, RpcError> {
    let request = Request::from_wire(decode::<ServeRoute>(envelope, compat)?);
    let on_path: Vec<_> = plugin
        .routes
        .iter()
        .filter(|r| r.path == request.path)
        .collect();
    if on_path.is_empty() {
        return Ok(Response::new(404)
            .header("Content-Type", "text/plain; charset=utf-8")
            .body("no such route\n")
            .into_wire());
    }
    let method = HttpMethod::parse(&request.method);
    let Some(found) = on_path.iter().find(|r| Some(r.method) == method) else {
        let allow: Vec<_> = on_path.iter().map(|r| r.method.as_str()).collect();
        return Ok(Response::new(405)
            .header("Allow", allow.join(", "))
            .into_wire());
    };
    (found.handler)(ctx, request)
        .await
        .map(Response::into_wire)
        .map_err(|e| e.to_rpc())
}

async fn job(
    plugin: &Plugin,
    ctx: Ctx,
    envelope: &Envelope,
    compat: Compat,
) -> Result<JobReport, RpcError> {
    let run = decode::<RunJob>(envelope, compat)?;
    let Some(found) = plugin.jobs.iter().find(|j| j.name == run.name) else {
        return Err(RpcError::new(
            ErrorCode::NotFound,
            format!("no job named {:?} is registered", run.name),
        ));
    };
    (found.handler)(ctx, run)
        .await
        .map(|summary| JobReport { summary })
        .map_err(|e| e.to_rpc())
}

/// Answers `health.check` with the plugin's own check, or healthy when it has none.
pub(crate) async fn health(
    plugin: &Plugin,
    ctx: Ctx,
    envelope: &Envelope,
    max_frame: u32,
) -> Envelope {
    let report = match &plugin.health {
        None => Health::ok(""),
        Some(check) => match CatchUnwind::new(check(ctx)).await {
            Ok(health) => health,
            Err(panic) => Health::failing(format!("the health check panicked: {panic}")),
        },
    };
    let outcome = Ok(HealthReport {
        ok: report.ok,
        detail: report.detail,
    });
    response::<HealthMethod>(envelope.id, &outcome, max_frame)
}

/// Turns a panic inside a handler into an error value, so the host still gets an answer
/// and the plugin keeps serving its other calls.
pub(crate) struct CatchUnwind<F> {
    inner: Pin<Box<F>>,
}

impl<F: Future> CatchUnwind<F> {
    pub(crate) fn new(future: F) -> Self {
        Self {
            inner: Box::pin(future),
        }
    }
}

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, String>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.get_mut().inner.as_mut();
        match std::panic::catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(value)) => Poll::Ready(Ok(value)),
            Err(payload) => Poll::Ready(Err(panic_message(payload.as_ref()))),
        }
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with a non-text payload".to_owned()
    }
}
