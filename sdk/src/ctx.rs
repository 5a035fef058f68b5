//! The context every handler receives: the capability clients, the grants, the config and
//! the deadline of the call being served.

use crate::config::Config;
use crate::conn::Conn;
use crate::error::Error;
use crate::grants::Grants;
use crate::http::Http;
use crate::kv::Kv;
use crate::log::Log;
use crate::metrics::Metrics;
use crate::secret::Secret;
use faxbot_plugin_abi::methods::{
    EmitEvent, EmitEventRequest, FaxJobStatus, FaxJobStatusRequest, FaxJobStatusResponse,
};
use faxbot_plugin_abi::{Limits, Value};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// How long a capability call waits for the host when the handler has no nearer deadline.
pub(crate) const DEFAULT_CALL_DEADLINE: Duration = Duration::from_secs(10);

/// Session-wide state every [`Ctx`] shares.
pub(crate) struct Shared {
    pub(crate) conn: Arc<Conn>,
    pub(crate) grants: Grants,
    pub(crate) config: Config,
    pub(crate) plugin_id: String,
    pub(crate) instance_id: String,
    pub(crate) limits: Limits,
}

/// What a handler can do: call the host's capabilities, read its grants and config.
///
/// Every capability call is checked against the grants of the host's Welcome first; a call
/// the plugin was not granted fails with [`Error::Denied`] naming the capability, and is
/// never sent. Calls made while serving a host call share that call's deadline.
///
/// ```no_run
/// # async fn handler(ctx: faxbot_sdk::Ctx) -> faxbot_sdk::Result<()> {
/// let seen = ctx.kv().get_u64("seen").await?.unwrap_or(0);
/// ctx.kv().put_u64("seen", seen + 1).await?;
/// ctx.metrics().counter("events_seen", 1.0).await?;
/// ctx.log().info(format!("seen {} events", seen + 1)).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Ctx {
    pub(crate) shared: Arc<Shared>,
    deadline: Option<Instant>,
    attempt: Option<u32>,
}

impl Ctx {
    pub(crate) fn new(shared: Arc<Shared>, deadline: Option<Instant>) -> Self {
        Self {
            shared,
            deadline,
            attempt: None,
        }
    }

    pub(crate) fn with_attempt(mut self, attempt: u32) -> Self {
        self.attempt = Some(attempt);
        self
    }

    /// Key-value storage in the plugin's own namespace (needs a kv grant).
    pub fn kv(&self) -> Kv<'_> {
        Kv::new(self)
    }

    /// Outbound HTTP through the host's egress broker (needs an egress grant).
    pub fn http(&self) -> Http<'_> {
        Http::new(self)
    }

    /// Structured logs to the host's log.
    pub fn log(&self) -> Log<'_> {
        Log::new(self)
    }

    /// Metrics, prefixed by the host with the plugin's id.
    pub fn metrics(&self) -> Metrics<'_> {
        Metrics::new(self)
    }

    /// A handle to the granted secret `name`, for use in outbound templates. The plugin never
    /// sees the value: the host's broker fills it in on the way out.
    ///
    /// ```no_run
    /// # async fn f(ctx: faxbot_sdk::Ctx) -> faxbot_sdk::Result<()> {
    /// let token = ctx.secret("SLACK_TOKEN")?;
    /// ctx.http()
    ///     .post("https://hooks.slack.com/services/T0/B0")
    ///     .header("Authorization", faxbot_sdk::Template::text("Bearer ").secret(&token))
    ///     .body(b"{}".to_vec())
    ///     .send()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn secret(&self, name: &str) -> Result<Secret, Error> {
        self.shared.grants.secret(name)?;
        Ok(Secret::new(name))
    }

    /// Emits an event on `topic` (which must lie under `plugin.<plugin-id>.` and match a
    /// granted `emit` pattern); returns the id the host gave it.
    ///
    /// ```no_run
    /// # async fn f(ctx: faxbot_sdk::Ctx) -> faxbot_sdk::Result<()> {
    /// use faxbot_sdk::Value;
    /// let id = ctx
    ///     .emit("plugin.daily-digest.sent", vec![("events".into(), Value::Int(42))])
    ///     .await?;
    /// # let _ = id; Ok(()) }
    /// ```
    pub async fn emit(
        &self,
        topic: impl Into<String>,
        fields: Vec<(String, Value)>,
    ) -> Result<String, Error> {
        let topic = topic.into();
        self.shared.grants.emit(&topic)?;
        let request = EmitEventRequest { topic, fields };
        let response = self
            .shared
            .conn
            .call::<EmitEvent>(&request, self.call_deadline(DEFAULT_CALL_DEADLINE))
            .await?;
        Ok(response.event_id)
    }

    /// The latest state of the fax job `job_id` (an id seen in an event), in the same
    /// PHI-free shape as its events. Needs the `fax_job_status` grant.
    pub async fn fax_status(
        &self,
        job_id: impl Into<String>,
    ) -> Result<FaxJobStatusResponse, Error> {
        self.shared.grants.fax_job_status()?;
        let request = FaxJobStatusRequest {
            job_id: job_id.into(),
        };
        self.shared
            .conn
            .call::<FaxJobStatus>(&request, self.call_deadline(DEFAULT_CALL_DEADLINE))
            .await
    }

    /// The admin's settings for this plugin.
    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    /// What the host granted this instance.
    pub fn grants(&self) -> &Grants {
        &self.shared.grants
    }

    /// The plugin's id.
    pub fn plugin_id(&self) -> &str {
        &self.shared.plugin_id
    }

    /// This run's instance id, as the host names it in its logs.
    pub fn instance_id(&self) -> &str {
        &self.shared.instance_id
    }

    /// The limits the host set for this instance.
    pub fn limits(&self) -> &Limits {
        &self.shared.limits
    }

    /// Time left before the host stops waiting for the call being served, if any.
    pub fn remaining(&self) -> Option<Duration> {
        self.deadline
            .map(|d| d.saturating_duration_since(Instant::now()))
    }

    /// For an event handler: which delivery attempt this is (from 1; above 1 means an
    /// earlier delivery was not acknowledged).
    pub fn delivery_attempt(&self) -> Option<u32> {
        self.attempt
    }

    /// The deadline for one capability call: `default`, or less if the call being served
    /// ends sooner (never zero, so the call fails as a timeout rather than not at all).
    pub(crate) fn call_deadline(&self, default: Duration) -> Duration {
        match self.remaining() {
            Some(left) => default.min(left).max(Duration::from_millis(1)),
            None => default,
        }
    }
}
