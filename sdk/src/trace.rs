//! A `tracing` layer that forwards events to the host's log (feature `tracing`).
//!
//! Events become `log.write` notifications with the event's fields as structured fields.
//! Sending never blocks: when the outbound queue is full the record is dropped and counted,
//! so logging cannot stall a handler. Before the session starts and after it ends, events
//! go nowhere.

use crate::conn::Conn;
use faxbot_plugin_abi::methods::{Log, LogLevel, LogRecord};
use std::fmt::Debug;
use std::sync::{Arc, Mutex, Weak};
use tracing_core::field::{Field, Visit};
use tracing_core::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

static SINK: Mutex<Option<Weak<Conn>>> = Mutex::new(None);

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Points the layer at the live session.
pub(crate) fn attach(conn: &Arc<Conn>) {
    *lock(&SINK) = Some(Arc::downgrade(conn));
}

/// The layer. Add it to a `tracing_subscriber` registry, or call [`install`].
///
/// ```
/// use tracing_subscriber::layer::SubscriberExt;
///
/// let subscriber = tracing_subscriber::registry().with(faxbot_sdk::trace::HostLayer::new());
/// tracing::subscriber::with_default(subscriber, || tracing::info!(count = 3, "digest sent"));
/// ```
#[derive(Clone, Debug, Default)]
pub struct HostLayer {
    _private: (),
}

impl HostLayer {
    /// A layer forwarding every event to the host's log.
    pub fn new() -> Self {
        Self::default()
    }
}

/// Installs a global subscriber that forwards every `tracing` event to the host's log.
/// Fails if a global subscriber is already set.
///
/// ```no_run
/// faxbot_sdk::trace::install().expect("no other subscriber");
/// tracing::info!("from now on this reaches the host");
/// ```
pub fn install() -> Result<(), tracing_core::dispatcher::SetGlobalDefaultError> {
    use tracing_subscriber::layer::SubscriberExt;
    let subscriber = tracing_subscriber::registry().with(HostLayer::new());
    tracing_core::dispatcher::set_global_default(tracing_core::Dispatch::new(subscriber))
}

/// Records dropped since the session started because the outbound queue was full.
pub fn dropped_records() -> u64 {
    lock(&SINK)
        .as_ref()
        .and_then(Weak::upgrade)
        .map_or(0, |conn| conn.dropped())
}

impl<S: Subscriber> Layer<S> for HostLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let Some(conn) = lock(&SINK).as_ref().and_then(Weak::upgrade) else {
            return;
        };
        let mut visitor = Fields::default();
        event.record(&mut visitor);
        visitor
            .fields
            .push(("target".to_owned(), event.metadata().target().to_owned()));
        let record = LogRecord {
            level: level(*event.metadata().level()),
            message: visitor.message,
            fields: visitor.fields,
        };
        let _ = conn.notify_now::<Log>(&record);
    }
}

fn level(level: Level) -> LogLevel {
    match level {
        Level::TRACE => LogLevel::Trace,
        Level::DEBUG => LogLevel::Debug,
        Level::INFO => LogLevel::Info,
        Level::WARN => LogLevel::Warn,
        Level::ERROR => LogLevel::Error,
    }
}

#[derive(Default)]
struct Fields {
    message: String,
    fields: Vec<(String, String)>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            value.clone_into(&mut self.message);
        } else {
            self.fields
                .push((field.name().to_owned(), value.to_owned()));
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        if field.name() == "message" {
            self.message = format!("{value:?}");
        } else {
            self.fields
                .push((field.name().to_owned(), format!("{value:?}")));
        }
    }
}
