//! `/metrics` in the Prometheus text format: HTTP requests by route and status and their
//! latency, plugins by state, and each plugin's restarts, calls and denials.
//!
//! Label sets are bounded: routes are the routed templates (`/v1/plugins/{id}`, never the
//! id itself; anything unrouted is `unmatched`), statuses are the status codes the API
//! answers, and plugin labels are the installed plugins' ids, which only admins create.

use crate::runtime::{PluginRuntime, RunState};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::{encode_eof, encode_registry};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::time::Duration;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: &'static str,
    route: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PluginLabels {
    plugin: String,
}

fn latency_histogram() -> Histogram {
    // 0.25 ms .. ~8 s
    Histogram::new(exponential_buckets(0.000_25, 2.0, 16))
}

/// The API's own counters.
#[derive(Debug)]
pub struct HttpMetrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
}

impl Default for HttpMetrics {
    fn default() -> Self {
        Self::new()
    }
}

impl HttpMetrics {
    /// Empty counters.
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        let latency: Family<RouteLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(latency_histogram);
        registry.register(
            "faxbot_http_requests",
            "HTTP requests answered, by method, route template and status",
            requests.clone(),
        );
        registry.register(
            "faxbot_http_request_duration_seconds",
            "HTTP request latency, by method and route template",
            latency.clone(),
        );
        Self {
            registry,
            requests,
            latency,
        }
    }

    /// Counts one answered request.
    /// Counts one answered request. `route` is a routed template (or `unmatched`), so the
    /// label set is bounded by the endpoint table.
    pub fn observe(
        &self,
        method: &'static str,
        route: &'static str,
        status: u16,
        elapsed: Duration,
    ) {
        self.requests
            .get_or_create(&RequestLabels {
                method,
                route,
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels { method, route })
            .observe(elapsed.as_secs_f64());
    }

    /// The text exposition: these counters and the plugins' as `runtime` reports them now.
    pub fn render(
        &self,
        runtime: &dyn PluginRuntime,
        installed: &[(String, &'static str)],
    ) -> String {
        let mut plugins = Registry::default();
        let by_state = Family::<StateLabels, Gauge>::default();
        for state in [
            "pending_approval",
            "approved",
            "running",
            "stopped",
            "quarantined",
            "failed",
            "disabled",
        ] {
            let _ = by_state.get_or_create(&StateLabels {
                state: state.to_owned(),
            });
        }
        for (_, state) in installed {
            by_state
                .get_or_create(&StateLabels {
                    state: (*state).to_owned(),
                })
                .inc();
        }
        plugins.register("faxbot_plugins", "Installed plugins by state", by_state);
        let restarts = Family::<PluginLabels, Counter>::default();
        let calls = Family::<PluginLabels, Counter>::default();
        let denials = Family::<PluginLabels, Counter>::default();
        let up = Family::<PluginLabels, Gauge>::default();
        for (id, _) in installed {
            let Some(status) = runtime.status(id) else {
                continue;
            };
            let labels = PluginLabels { plugin: id.clone() };
            restarts
                .get_or_create(&labels)
                .inc_by(u64::from(status.restarts));
            calls.get_or_create(&labels).inc_by(status.metrics.calls);
            denials
                .get_or_create(&labels)
                .inc_by(status.metrics.denials);
            up.get_or_create(&labels)
                .set(i64::from(status.state == RunState::Running));
        }
        plugins.register(
            "faxbot_plugin_restarts",
            "Restarts of a plugin after crashes",
            restarts,
        );
        plugins.register(
            "faxbot_plugin_calls",
            "Host-to-plugin calls finished",
            calls,
        );
        plugins.register(
            "faxbot_plugin_denials",
            "Plugin calls denied for a missing grant",
            denials,
        );
        plugins.register("faxbot_plugin_up", "1 while a plugin is running", up);
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = encode_registry(&mut out, &self.registry);
        let _ = encode_registry(&mut out, &plugins);
        out.push_str(&runtime.plugin_metrics());
        let _ = encode_eof(&mut out);
        out
    }
}
