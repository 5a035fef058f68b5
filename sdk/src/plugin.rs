//! The plugin value: its identity and the handlers it registers.

use crate::ctx::Ctx;
use crate::error::Error;
use crate::route::{HttpMethod, Request, Response};
use faxbot_plugin_abi::event::{Event, EventPayload, FaxJobEvent, topic_matches};
use faxbot_plugin_abi::methods::JobRun;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

pub(crate) type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;
pub(crate) type EventFn = Arc<dyn Fn(Ctx, Event) -> BoxFuture<Result<(), Error>> + Send + Sync>;
pub(crate) type RouteFn =
    Arc<dyn Fn(Ctx, Request) -> BoxFuture<Result<Response, Error>> + Send + Sync>;
pub(crate) type JobFn =
    Arc<dyn Fn(Ctx, JobRun) -> BoxFuture<Result<Option<String>, Error>> + Send + Sync>;
pub(crate) type HookFn = Arc<dyn Fn(Ctx) -> BoxFuture<Result<(), Error>> + Send + Sync>;
pub(crate) type HealthFn = Arc<dyn Fn(Ctx) -> BoxFuture<Health> + Send + Sync>;

/// What a job handler may return as its one-line summary for the admin: nothing (`()`),
/// a `String`, a `&'static str` or an `Option<String>`.
///
/// ```
/// use faxbot_sdk::Plugin;
///
/// let plugin = Plugin::new("daily-digest", "0.1.0")
///     .job("quiet", |_ctx, _run| async move { Ok(()) })
///     .job("chatty", |_ctx, run| async move { Ok(format!("ran {}", run.run_id)) });
/// # let _ = plugin;
/// ```
pub trait JobSummary {
    /// The summary, if any.
    fn into_summary(self) -> Option<String>;
}

impl JobSummary for () {
    fn into_summary(self) -> Option<String> {
        None
    }
}
impl JobSummary for String {
    fn into_summary(self) -> Option<String> {
        Some(self)
    }
}
impl JobSummary for &'static str {
    fn into_summary(self) -> Option<String> {
        Some(self.to_owned())
    }
}
impl JobSummary for Option<String> {
    fn into_summary(self) -> Option<String> {
        self
    }
}

/// A plugin's own account of its health, answered to the host's `health.check`.
///
/// ```
/// use faxbot_sdk::{Health, Plugin};
///
/// let plugin = Plugin::new("status-route", "0.1.0").on_health(|ctx| async move {
///     match ctx.kv().get("last-error").await {
///         Ok(None) => Health::ok("no errors"),
///         Ok(Some(_)) => Health::failing("the last webhook post failed"),
///         Err(e) => Health::failing(format!("kv: {e}")),
///     }
/// });
/// # let _ = plugin;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Health {
    /// Whether the plugin considers itself healthy.
    pub ok: bool,
    /// Detail for the admin.
    pub detail: String,
}

impl Health {
    /// Healthy, with a detail line.
    pub fn ok(detail: impl Into<String>) -> Self {
        Self {
            ok: true,
            detail: detail.into(),
        }
    }

    /// Unhealthy, with the reason.
    pub fn failing(reason: impl Into<String>) -> Self {
        Self {
            ok: false,
            detail: reason.into(),
        }
    }
}

/// A fax job event with its job typed, as [`Plugin::on_fax_job`] hands it over.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaxJobUpdate {
    /// The event's id: the idempotency key (delivery is at least once).
    pub event_id: String,
    /// The event's topic, e.g. `fax.job.delivered`.
    pub topic: String,
    /// The tenant (an opaque id).
    pub tenant_id: String,
    /// When it happened, ms since the Unix epoch.
    pub occurred_at_ms: u64,
    /// The job: ids, state, provider, counts and timings; never a number, name or content.
    pub job: FaxJobEvent,
}

pub(crate) struct EventRoute {
    pub(crate) pattern: String,
    pub(crate) handler: EventFn,
}

pub(crate) struct HttpRoute {
    pub(crate) method: HttpMethod,
    pub(crate) path: String,
    pub(crate) handler: RouteFn,
}

pub(crate) struct NamedJob {
    pub(crate) name: String,
    pub(crate) handler: JobFn,
}

/// A plugin: its id and version (which must equal its manifest's) and its handlers.
/// Build one with [`Plugin::new`] and the registration methods, then hand it to
/// [`crate::run`].
///
/// Handlers are async closures taking a [`Ctx`] (the capability clients) and the typed
/// input. A handler's error travels to the host with its ABI code ([`Error::code`]); a
/// handler that panics is answered `internal` and the plugin keeps serving. When the host
/// cancels a call, or its deadline passes, the handler's future is dropped at its next
/// `.await`.
///
/// ```
/// use faxbot_sdk::{Plugin, HttpMethod, route::Response};
///
/// let plugin = Plugin::new("status-route", "0.1.0")
///     .on_event("fax.job.*", |ctx, event| async move {
///         ctx.log().info(format!("saw {}", event.topic)).await?;
///         Ok(())
///     })
///     .route(HttpMethod::Get, "/status", |_ctx, _request| async move {
///         Ok(Response::text("ok"))
///     })
///     .job("digest", |_ctx, run| async move { Ok(format!("run {}", run.run_id)) });
/// assert_eq!(plugin.id(), "status-route");
/// ```
pub struct Plugin {
    pub(crate) id: String,
    pub(crate) version: String,
    pub(crate) events: Vec<EventRoute>,
    pub(crate) routes: Vec<HttpRoute>,
    pub(crate) jobs: Vec<NamedJob>,
    pub(crate) init: Option<HookFn>,
    pub(crate) shutdown: Option<HookFn>,
    pub(crate) health: Option<HealthFn>,
}

impl Plugin {
    /// A plugin with no handlers. `id` and `version` must equal the `id` and `version` of
    /// the plugin's `faxbot-plugin.toml`: the host refuses a plugin that introduces itself
    /// as anything else. `env!("CARGO_PKG_VERSION")` keeps the version in one place.
    pub fn new(id: impl Into<String>, version: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            version: version.into(),
            events: Vec::new(),
            routes: Vec::new(),
            jobs: Vec::new(),
            init: None,
            shutdown: None,
            health: None,
        }
    }

    /// The plugin's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The plugin's version.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Handles events whose topic matches `pattern`: a topic, or a prefix ending in `.*`
    /// (`fax.job.*` matches `fax.job.sent`). The first registered pattern that matches an
    /// event wins. The manifest must subscribe to the events (`capabilities.events`).
    ///
    /// Delivery is at least once: use `event.id` to skip an event already handled.
    pub fn on_event<F, Fut>(mut self, pattern: impl Into<String>, handler: F) -> Self
    where
        F: Fn(Ctx, Event) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), Error>> + Send + 'static,
    {
        self.events.push(EventRoute {
            pattern: pattern.into(),
            handler: Arc::new(move |ctx, event| Box::pin(handler(ctx, event))),
        });
        self
    }

    /// Handles fax job events whose topic matches `pattern` (`fax.job.*`, `fax.job.failed`)
    /// with the job typed: like [`Plugin::on_event`], without matching on the payload. An
    /// event on a matching topic that carries no fax job is refused as invalid.
    ///
    /// ```
    /// use faxbot_sdk::Plugin;
    ///
    /// let plugin = Plugin::new("slack-notifier", "0.1.0").on_fax_job("fax.job.*", |ctx, update| async move {
    ///     let line = format!("job {} is {}", update.job.job_id, update.job.state.name());
    ///     ctx.log().info(line).await
    /// });
    /// # let _ = plugin;
    /// ```
    pub fn on_fax_job<F, Fut>(self, pattern: impl Into<String>, handler: F) -> Self
    where
        F: Fn(Ctx, FaxJobUpdate) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), Error>> + Send + 'static,
    {
        let handler = Arc::new(handler);
        self.on_event(pattern, move |ctx, event: Event| {
            let handler = handler.clone();
            async move {
                match event.payload {
                    EventPayload::FaxJob(job) => {
                        let update = FaxJobUpdate {
                            event_id: event.id,
                            topic: event.topic,
                            tenant_id: event.tenant_id,
                            occurred_at_ms: event.occurred_at_ms,
                            job,
                        };
                        handler(ctx, update).await
                    }
                    _ => Err(Error::invalid(format!(
                        "event {} on {} carries no fax job",
                        event.id, event.topic
                    ))),
                }
            }
        })
    }

    /// Serves `method path` under the host's `/ext/<plugin-id>/` prefix (`path` starts with
    /// `/`). An unknown path is answered `404`, a known path with another method `405`.
    pub fn route<F, Fut>(mut self, method: HttpMethod, path: impl Into<String>, handler: F) -> Self
    where
        F: Fn(Ctx, Request) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Response, Error>> + Send + 'static,
    {
        self.routes.push(HttpRoute {
            method,
            path: path.into(),
            handler: Arc::new(move |ctx, request| Box::pin(handler(ctx, request))),
        });
        self
    }

    /// Runs the job `name` when the host's scheduler fires it (the schedule is the
    /// manifest's `capabilities.jobs` cron). The handler's value becomes the run's summary.
    pub fn job<F, Fut, S>(mut self, name: impl Into<String>, handler: F) -> Self
    where
        F: Fn(Ctx, JobRun) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<S, Error>> + Send + 'static,
        S: JobSummary + 'static,
    {
        let handler = Arc::new(handler);
        self.jobs.push(NamedJob {
            name: name.into(),
            handler: Arc::new(move |ctx, run| {
                let handler = handler.clone();
                Box::pin(async move { handler(ctx, run).await.map(JobSummary::into_summary) })
            }),
        });
        self
    }

    /// Runs once after the host's Welcome, before any event, route or job is served. An
    /// error stops the plugin (the host sees the message and restarts it with backoff).
    pub fn on_init<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(Ctx) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), Error>> + Send + 'static,
    {
        self.init = Some(Arc::new(move |ctx| Box::pin(hook(ctx))));
        self
    }

    /// Runs when the host asks the plugin to stop, within the host's shutdown deadline.
    pub fn on_shutdown<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(Ctx) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), Error>> + Send + 'static,
    {
        self.shutdown = Some(Arc::new(move |ctx| Box::pin(hook(ctx))));
        self
    }

    /// Answers the host's health checks; without it the SDK answers healthy.
    pub fn on_health<F, Fut>(mut self, check: F) -> Self
    where
        F: Fn(Ctx) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Health> + Send + 'static,
    {
        self.health = Some(Arc::new(move |ctx| Box::pin(check(ctx))));
        self
    }

    /// The handler for an event on `topic`.
    pub(crate) fn event_handler(&self, topic: &str) -> Option<&EventFn> {
        self.events
            .iter()
            .find(|r| topic_matches(&r.pattern, topic))
            .map(|r| &r.handler)
    }

    /// One line per registered handler, for the standalone help text and warnings.
    pub(crate) fn describe(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for r in &self.events {
            lines.push(format!("event   {}", r.pattern));
        }
        for r in &self.routes {
            lines.push(format!("route   {} {}", r.method, r.path));
        }
        for j in &self.jobs {
            lines.push(format!("job     {}", j.name));
        }
        lines
    }
}
