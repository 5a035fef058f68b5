//! Every method: its name on the wire, its direction and its request/response types.

use crate::event::{Event, FaxJobEvent};
use crate::secret::SecretTemplate;
use crate::value::Value;
use serde::{Deserialize, Serialize, de::DeserializeOwned};

/// Which side calls a method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// The host calls, the plugin answers.
    HostToPlugin,
    /// The plugin calls, the host answers.
    PluginToHost,
}

/// A method of the ABI.
pub trait Method {
    /// Its name on the wire.
    const NAME: &'static str;
    /// Who calls it.
    const DIRECTION: Direction;
    /// What the caller sends.
    type Request: Serialize + DeserializeOwned + Send + 'static;
    /// What a successful answer holds.
    type Response: Serialize + DeserializeOwned + Send + 'static;
}

macro_rules! methods {
    ($( $(#[$doc:meta])* $marker:ident = $name:literal, $dir:ident, $req:ty => $resp:ty; )*) => {
        $(
            $(#[$doc])*
            #[derive(Debug, Clone, Copy)]
            pub enum $marker {}
            impl Method for $marker {
                const NAME: &'static str = $name;
                const DIRECTION: Direction = Direction::$dir;
                type Request = $req;
                type Response = $resp;
            }
        )*

        /// Every method name this version defines, with its direction.
        pub const ALL: &[(&str, Direction)] = &[ $( ($name, Direction::$dir), )* ];
    };
}

methods! {
    /// Deliver one event the plugin subscribed to.
    DeliverEvent = "event.deliver", HostToPlugin, EventDelivery => Ack;
    /// Serve an HTTP request to one of the plugin's routes.
    ServeRoute = "route.serve", HostToPlugin, RouteRequest => RouteResponse;
    /// Run a scheduled job.
    RunJob = "job.run", HostToPlugin, JobRun => JobReport;
    /// Liveness probe.
    Health = "health.check", HostToPlugin, HealthCheck => HealthReport;
    /// Stop within the deadline; the host kills the plugin afterwards.
    Shutdown = "plugin.shutdown", HostToPlugin, ShutdownRequest => Ack;

    /// Send an HTTP request through the host's egress broker.
    HttpFetch = "http.fetch", PluginToHost, HttpRequest => HttpResponse;
    /// Read a key.
    KvGet = "kv.get", PluginToHost, KvGetRequest => KvGetResponse;
    /// Write a key.
    KvPut = "kv.put", PluginToHost, KvPutRequest => Ack;
    /// Delete a key.
    KvDelete = "kv.delete", PluginToHost, KvDeleteRequest => KvDeleteResponse;
    /// List keys by prefix.
    KvList = "kv.list", PluginToHost, KvListRequest => KvListResponse;
    /// Write a log record (may be sent as a notification).
    Log = "log.write", PluginToHost, LogRecord => Ack;
    /// Record a metric sample (may be sent as a notification).
    Metric = "metric.record", PluginToHost, MetricSample => Ack;
    /// Emit an event onto the bus.
    EmitEvent = "event.emit", PluginToHost, EmitEventRequest => EmitEventResponse;
    /// Look up a fax job's status.
    FaxJobStatus = "fax.job_status", PluginToHost, FaxJobStatusRequest => FaxJobStatusResponse;
}

/// The direction of a method name, if this version defines it.
pub fn direction_of(method: &str) -> Option<Direction> {
    ALL.iter().find(|(n, _)| *n == method).map(|(_, d)| *d)
}

/// Methods that may be sent as notifications (no response).
pub const NOTIFICATION_METHODS: &[&str] = &[Log::NAME, Metric::NAME];

/// An empty success.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct Ack {}

/// `event.deliver` request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct EventDelivery {
    /// The event.
    pub event: Event,
    /// Delivery attempt, from 1; above 1 means an earlier attempt was not acknowledged.
    pub attempt: u32,
}

/// A header of an HTTP request or response served by a plugin.
pub type Header = (String, String);

/// `route.serve` request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct RouteRequest {
    /// HTTP method.
    pub method: String,
    /// Path below the plugin's prefix, starting with `/`.
    pub path: String,
    /// Raw query string without `?`.
    pub query: String,
    /// Request headers after the host removed credentials and cookies.
    pub headers: Vec<Header>,
    /// Request body.
    #[serde(with = "serde_bytes")]
    pub body: Vec<u8>,
}

/// `route.serve` response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct RouteResponse {
    /// HTTP status code.
    pub status: u16,
    /// Response headers (the host drops hop-by-hop and security-sensitive ones).
    pub headers: Vec<Header>,
    /// Response body (redacted by the host on the way out).
    #[serde(with = "serde_bytes")]
    pub body: Vec<u8>,
}

/// `job.run` request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct JobRun {
    /// The job's name, as granted.
    pub name: String,
    /// Unique id of this run.
    pub run_id: String,
    /// When the schedule fired, ms since the epoch.
    pub scheduled_at_ms: u64,
}

/// `job.run` response.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct JobReport {
    /// A one-line summary for the admin.
    pub summary: Option<String>,
}

/// `health.check` request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct HealthCheck {}

/// `health.check` response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct HealthReport {
    /// Whether the plugin considers itself healthy.
    pub ok: bool,
    /// Detail for the admin.
    pub detail: String,
}

/// `plugin.shutdown` request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct ShutdownRequest {
    /// Milliseconds the plugin has before it is killed.
    pub deadline_ms: u32,
}

/// A header of an outbound request: its value may name secrets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct OutboundHeader {
    /// Header name.
    pub name: String,
    /// Header value, secrets filled in by the broker.
    pub value: SecretTemplate,
}

/// `http.fetch` request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct HttpRequest {
    /// HTTP method.
    pub method: String,
    /// Absolute URL; secrets in it are filled in by the broker after the egress check,
    /// which runs on the URL with secrets still as placeholders.
    pub url: SecretTemplate,
    /// Request headers.
    pub headers: Vec<OutboundHeader>,
    /// Request body.
    #[serde(with = "serde_bytes")]
    pub body: Vec<u8>,
    /// Milliseconds the plugin will wait; the broker caps it.
    pub timeout_ms: u32,
}

/// `http.fetch` response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct HttpResponse {
    /// HTTP status code.
    pub status: u16,
    /// Response headers.
    pub headers: Vec<Header>,
    /// Response body, up to the broker's size limit.
    #[serde(with = "serde_bytes")]
    pub body: Vec<u8>,
}

/// `kv.get` request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct KvGetRequest {
    /// The key, within the plugin's own namespace.
    pub key: String,
}

/// `kv.get` response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct KvGetResponse {
    /// The value, if the key exists.
    #[serde(with = "serde_bytes")]
    pub value: Option<Vec<u8>>,
}

/// `kv.put` request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct KvPutRequest {
    /// The key.
    pub key: String,
    /// The value.
    #[serde(with = "serde_bytes")]
    pub value: Vec<u8>,
}

/// `kv.delete` request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct KvDeleteRequest {
    /// The key.
    pub key: String,
}

/// `kv.delete` response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct KvDeleteResponse {
    /// Whether the key existed.
    pub existed: bool,
}

/// `kv.list` request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct KvListRequest {
    /// Only keys starting with this.
    pub prefix: String,
    /// Only keys after this one (for paging).
    pub after: Option<String>,
    /// At most this many keys (the host caps it).
    pub limit: u32,
}

/// `kv.list` response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct KvListResponse {
    /// Keys in ascending byte order.
    pub keys: Vec<String>,
    /// Whether more keys follow the last one.
    pub more: bool,
}

/// Severity of a log record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub enum LogLevel {
    /// Very detailed.
    Trace,
    /// Detailed.
    Debug,
    /// Routine.
    Info,
    /// Something unexpected.
    Warn,
    /// Something failed.
    Error,
}

/// `log.write` request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct LogRecord {
    /// Severity.
    pub level: LogLevel,
    /// The message (size-limited and redacted by the host).
    pub message: String,
    /// Structured fields.
    pub fields: Vec<(String, String)>,
}

/// Kind of a metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub enum MetricKind {
    /// Monotonic count; the value is added.
    Counter,
    /// Point-in-time value; the value replaces.
    Gauge,
    /// One observation of a distribution.
    Histogram,
}

/// `metric.record` request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct MetricSample {
    /// Metric name (`[a-z_][a-z0-9_]*`), prefixed by the host with the plugin id.
    pub name: String,
    /// Counter, gauge or histogram.
    pub kind: MetricKind,
    /// The value.
    pub value: f64,
    /// Labels (the host limits their number and cardinality).
    pub labels: Vec<(String, String)>,
}

/// `event.emit` request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct EmitEventRequest {
    /// Topic, which must lie under `plugin.<plugin-id>.` and match a granted pattern.
    pub topic: String,
    /// Fields.
    #[cfg_attr(test, proptest(strategy = "crate::value::strategy::fields()"))]
    pub fields: Vec<(String, Value)>,
}

/// `event.emit` response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct EmitEventResponse {
    /// The id the host gave the event.
    pub event_id: String,
}

/// `fax.job_status` request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct FaxJobStatusRequest {
    /// The job id, as seen in an event.
    pub job_id: String,
}

/// `fax.job_status` response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct FaxJobStatusResponse {
    /// The job's latest state, in the same PHI-free shape as its events.
    pub job: FaxJobEvent,
    /// When that state was reached, ms since the epoch.
    pub updated_at_ms: u64,
}
