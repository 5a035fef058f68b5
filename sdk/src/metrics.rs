//! Metrics, sent as `metric.record` calls; the host prefixes names with the plugin's id.

use crate::ctx::Ctx;
use crate::error::Error;
use faxbot_plugin_abi::methods::{Metric, MetricKind, MetricSample};
use std::time::Duration;

/// How long a sample may wait for the host's acknowledgement.
const METRIC_DEADLINE: Duration = Duration::from_secs(2);

/// The metrics client. Names are `[a-z_][a-z0-9_]*`; a bad name fails locally with
/// [`Error::Invalid`] and is not sent.
///
/// ```no_run
/// # async fn f(ctx: faxbot_sdk::Ctx) -> faxbot_sdk::Result<()> {
/// let metrics = ctx.metrics();
/// metrics.counter("webhooks_sent", 1.0).await?;
/// metrics.gauge("queue_depth", 3.0).await?;
/// metrics
///     .record("webhook_ms", faxbot_sdk::MetricKind::Histogram, 120.0,
///             vec![("status".into(), "200".into())])
///     .await?;
/// # Ok(()) }
/// ```
pub struct Metrics<'a> {
    ctx: &'a Ctx,
}

impl<'a> Metrics<'a> {
    pub(crate) fn new(ctx: &'a Ctx) -> Self {
        Self { ctx }
    }

    /// Records one sample with labels.
    pub async fn record(
        &self,
        name: &str,
        kind: MetricKind,
        value: f64,
        labels: Vec<(String, String)>,
    ) -> Result<(), Error> {
        check_name(name)?;
        if !value.is_finite() {
            return Err(Error::invalid(format!(
                "metric {name}: value is not finite"
            )));
        }
        let sample = MetricSample {
            name: name.to_owned(),
            kind,
            value,
            labels,
        };
        self.ctx
            .shared
            .conn
            .call::<Metric>(&sample, self.ctx.call_deadline(METRIC_DEADLINE))
            .await?;
        Ok(())
    }

    /// Adds `by` to the counter `name`.
    pub async fn counter(&self, name: &str, by: f64) -> Result<(), Error> {
        self.record(name, MetricKind::Counter, by, Vec::new()).await
    }

    /// Sets the gauge `name`.
    pub async fn gauge(&self, name: &str, value: f64) -> Result<(), Error> {
        self.record(name, MetricKind::Gauge, value, Vec::new())
            .await
    }

    /// Observes `value` in the histogram `name`.
    pub async fn histogram(&self, name: &str, value: f64) -> Result<(), Error> {
        self.record(name, MetricKind::Histogram, value, Vec::new())
            .await
    }
}

/// Checks a metric name against `[a-z_][a-z0-9_]*` (at most 64 bytes).
pub(crate) fn check_name(name: &str) -> Result<(), Error> {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if first_ok && rest_ok && name.len() <= 64 {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "metric name {name:?} must match [a-z_][a-z0-9_]* (at most 64 bytes)"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::check_name;

    #[test]
    fn metric_names_follow_the_abi_rule() {
        assert!(check_name("webhooks_sent").is_ok());
        assert!(check_name("_x1").is_ok());
        assert!(check_name("").is_err());
        assert!(check_name("1x").is_err());
        assert!(check_name("Webhooks").is_err());
        assert!(check_name("a.b").is_err());
        assert!(check_name(&"a".repeat(65)).is_err());
    }
}
