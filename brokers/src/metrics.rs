//! `metric.record`: plugins' own metrics, exported on the core's `/metrics` as
//! `faxbot_plugin_metric_<name>` with a `plugin` label. A plugin's series are capped (a
//! plugin cannot blow up the core's memory or the scraper's by inventing label values), its
//! names and labels are checked, and a label value must be plain (no value the redactor
//! would change: no numbers of people, names or dates through a label).

use faxbot_plugin_abi::methods::{MetricKind, MetricSample};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::Mutex;

/// Limits on a plugin's metrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MetricLimits {
    /// Series (name and label set) per plugin.
    pub max_series_per_plugin: usize,
    /// Labels per sample.
    pub max_labels: usize,
    /// Longest name or label name.
    pub max_name_len: usize,
    /// Longest label value.
    pub max_label_value_len: usize,
}

impl Default for MetricLimits {
    fn default() -> Self {
        Self {
            max_series_per_plugin: 200,
            max_labels: 8,
            max_name_len: 64,
            max_label_value_len: 64,
        }
    }
}

/// Why a sample was refused. Names the name or label at fault, never a label's value.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MetricError {
    /// A metric or label name is not `[a-z_][a-z0-9_]*` within the length.
    #[error("{what} `{name}` is not a valid name ([a-z_][a-z0-9_]*, at most {max} characters)")]
    BadName {
        /// `metric` or `label`.
        what: &'static str,
        /// The name (names are the plugin's own identifiers, not data).
        name: String,
        /// The length limit.
        max: usize,
    },
    /// `plugin` is the core's label.
    #[error("the label `plugin` is set by the core")]
    ReservedLabel,
    /// Too many labels.
    #[error("{count} labels; at most {max}")]
    TooManyLabels {
        /// How many.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A label value that is long, not printable, or that the redactor would change.
    #[error(
        "the value of label `{label}` is refused: label values are short plain identifiers, never personal data"
    )]
    BadLabelValue {
        /// The label.
        label: String,
    },
    /// The value is not finite, or a counter went down.
    #[error("metric `{name}`: {reason}")]
    BadValue {
        /// The metric.
        name: String,
        /// Why.
        reason: &'static str,
    },
    /// The name is already a metric of another kind (of this or another plugin).
    #[error("metric `{name}` is already a {existing}")]
    KindConflict {
        /// The metric.
        name: String,
        /// Its kind.
        existing: &'static str,
    },
    /// The plugin reached its series cap.
    #[error("this plugin has reached its cap of {max} metric series")]
    TooManySeries {
        /// The cap.
        max: usize,
    },
}

/// Histogram bucket bounds (seconds-like scale; plugins observe whatever unit they name).
const BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

#[derive(Clone, Debug, Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Clone, Debug)]
enum Value {
    Counter(f64),
    Gauge(f64),
    Histogram(Box<Histogram>),
}

type Labels = BTreeMap<String, String>;

#[derive(Default)]
struct Families {
    kinds: HashMap<String, MetricKind>,
    /// (metric, plugin, labels) → value.
    series: BTreeMap<(String, String, Labels), Value>,
    per_plugin: HashMap<String, usize>,
}

/// Every plugin's metrics.
pub struct PluginMetrics {
    limits: MetricLimits,
    families: Mutex<Families>,
}

fn kind_name(kind: MetricKind) -> &'static str {
    match kind {
        MetricKind::Counter => "counter",
        MetricKind::Gauge => "gauge",
        MetricKind::Histogram => "histogram",
    }
}

impl PluginMetrics {
    /// An empty registry.
    pub fn new(limits: MetricLimits) -> Self {
        Self {
            limits,
            families: Mutex::default(),
        }
    }

    fn check_name(&self, what: &'static str, name: &str) -> Result<(), MetricError> {
        let mut bytes = name.bytes();
        let ok = name.len() <= self.limits.max_name_len
            && bytes
                .next()
                .is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
            && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if ok {
            Ok(())
        } else {
            Err(MetricError::BadName {
                what,
                name: name.chars().take(self.limits.max_name_len).collect(),
                max: self.limits.max_name_len,
            })
        }
    }

    /// Records one sample of `plugin_id`. `is_plain(value)` says whether a label value is
    /// free of anything the redactor would replace.
    pub fn record(
        &self,
        plugin_id: &str,
        sample: &MetricSample,
        is_plain: &dyn Fn(&str) -> bool,
    ) -> Result<(), MetricError> {
        self.check_name("metric", &sample.name)?;
        if sample.labels.len() > self.limits.max_labels {
            return Err(MetricError::TooManyLabels {
                count: sample.labels.len(),
                max: self.limits.max_labels,
            });
        }
        let mut labels = Labels::new();
        for (key, value) in &sample.labels {
            self.check_name("label", key)?;
            if key == "plugin" || key == "le" {
                return Err(MetricError::ReservedLabel);
            }
            let plain = !value.is_empty()
                && value.len() <= self.limits.max_label_value_len
                && value.bytes().all(|b| {
                    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':' | b'/')
                })
                && is_plain(value);
            if !plain {
                return Err(MetricError::BadLabelValue { label: key.clone() });
            }
            labels.insert(key.clone(), value.clone());
        }
        if !sample.value.is_finite() {
            return Err(MetricError::BadValue {
                name: sample.name.clone(),
                reason: "the value is not a finite number",
            });
        }
        if sample.kind == MetricKind::Counter && sample.value < 0.0 {
            return Err(MetricError::BadValue {
                name: sample.name.clone(),
                reason: "a counter only goes up",
            });
        }
        let mut families = self
            .families
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match families.kinds.get(&sample.name) {
            Some(kind) if *kind != sample.kind => {
                return Err(MetricError::KindConflict {
                    name: sample.name.clone(),
                    existing: kind_name(*kind),
                });
            }
            _ => {}
        }
        let key = (sample.name.clone(), plugin_id.to_owned(), labels);
        if !families.series.contains_key(&key) {
            let used = families.per_plugin.get(plugin_id).copied().unwrap_or(0);
            if used >= self.limits.max_series_per_plugin {
                return Err(MetricError::TooManySeries {
                    max: self.limits.max_series_per_plugin,
                });
            }
            families.per_plugin.insert(plugin_id.to_owned(), used + 1);
            families.kinds.insert(sample.name.clone(), sample.kind);
            let initial = match sample.kind {
                MetricKind::Counter => Value::Counter(0.0),
                MetricKind::Gauge => Value::Gauge(0.0),
                MetricKind::Histogram => Value::Histogram(Box::default()),
            };
            families.series.insert(key.clone(), initial);
        }
        if let Some(value) = families.series.get_mut(&key) {
            match value {
                Value::Counter(total) => *total += sample.value,
                Value::Gauge(v) => *v = sample.value,
                Value::Histogram(h) => {
                    for (i, bound) in BUCKETS.iter().enumerate() {
                        if sample.value <= *bound {
                            h.counts[i] += 1;
                        }
                    }
                    h.count += 1;
                    h.sum += sample.value;
                }
            }
        }
        Ok(())
    }

    /// Drops a plugin's series (it was uninstalled).
    pub fn forget(&self, plugin_id: &str) {
        let mut families = self
            .families
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        families.series.retain(|(_, p, _), _| p != plugin_id);
        families.per_plugin.remove(plugin_id);
        let live: std::collections::HashSet<String> =
            families.series.keys().map(|(n, _, _)| n.clone()).collect();
        families.kinds.retain(|n, _| live.contains(n));
    }

    /// The OpenMetrics text of every plugin metric (without the final `# EOF`).
    pub fn render(&self) -> String {
        let families = self
            .families
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut out = String::new();
        let mut current: Option<&str> = None;
        for ((name, plugin, labels), value) in &families.series {
            let family = format!("faxbot_plugin_metric_{name}");
            if current != Some(name.as_str()) {
                let kind = families
                    .kinds
                    .get(name)
                    .copied()
                    .unwrap_or(MetricKind::Gauge);
                let _ = writeln!(out, "# TYPE {family} {}", kind_name(kind));
                let _ = writeln!(
                    out,
                    "# HELP {family} Recorded by plugins through metric.record."
                );
                current = Some(name.as_str());
            }
            let mut set = format!("plugin=\"{}\"", escape(plugin));
            for (k, v) in labels {
                let _ = write!(set, ",{k}=\"{}\"", escape(v));
            }
            match value {
                Value::Counter(total) => {
                    let _ = writeln!(out, "{family}_total{{{set}}} {total}");
                }
                Value::Gauge(v) => {
                    let _ = writeln!(out, "{family}{{{set}}} {v}");
                }
                Value::Histogram(h) => {
                    for (i, bound) in BUCKETS.iter().enumerate() {
                        let _ = writeln!(
                            out,
                            "{family}_bucket{{{set},le=\"{bound}\"}} {}",
                            h.counts[i]
                        );
                    }
                    let _ = writeln!(out, "{family}_bucket{{{set},le=\"+Inf\"}} {}", h.count);
                    let _ = writeln!(out, "{family}_sum{{{set}}} {}", h.sum);
                    let _ = writeln!(out, "{family}_count{{{set}}} {}", h.count);
                }
            }
        }
        out
    }
}

fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(name: &str, kind: MetricKind, value: f64, labels: &[(&str, &str)]) -> MetricSample {
        MetricSample {
            name: name.into(),
            kind,
            value,
            labels: labels
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect(),
        }
    }

    fn plain(_: &str) -> bool {
        true
    }

    #[test]
    fn counters_add_gauges_replace_and_each_series_has_the_plugin_label() {
        let m = PluginMetrics::new(MetricLimits::default());
        let c = sample("posts", MetricKind::Counter, 2.0, &[("outcome", "ok")]);
        m.record("slack", &c, &plain).expect("record");
        m.record("slack", &c, &plain).expect("record");
        m.record("other", &c, &plain).expect("record");
        m.record(
            "slack",
            &sample("queue", MetricKind::Gauge, 5.0, &[]),
            &plain,
        )
        .expect("gauge");
        m.record(
            "slack",
            &sample("queue", MetricKind::Gauge, 3.0, &[]),
            &plain,
        )
        .expect("gauge");
        m.record(
            "slack",
            &sample("took", MetricKind::Histogram, 0.2, &[]),
            &plain,
        )
        .expect("histogram");
        let text = m.render();
        assert!(
            text.contains("# TYPE faxbot_plugin_metric_posts counter"),
            "{text}"
        );
        assert!(
            text.contains("faxbot_plugin_metric_posts_total{plugin=\"slack\",outcome=\"ok\"} 4"),
            "{text}"
        );
        assert!(
            text.contains("faxbot_plugin_metric_posts_total{plugin=\"other\",outcome=\"ok\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("faxbot_plugin_metric_queue{plugin=\"slack\"} 3"),
            "{text}"
        );
        assert!(
            text.contains("faxbot_plugin_metric_took_bucket{plugin=\"slack\",le=\"0.25\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("faxbot_plugin_metric_took_bucket{plugin=\"slack\",le=\"0.1\"} 0"),
            "{text}"
        );
        assert!(
            text.contains("faxbot_plugin_metric_took_count{plugin=\"slack\"} 1"),
            "{text}"
        );
    }

    #[test]
    fn the_series_cap_names_and_label_values_are_enforced() {
        let m = PluginMetrics::new(MetricLimits {
            max_series_per_plugin: 2,
            ..MetricLimits::default()
        });
        for v in ["a", "b"] {
            m.record(
                "p",
                &sample("x", MetricKind::Counter, 1.0, &[("k", v)]),
                &plain,
            )
            .expect("under the cap");
        }
        assert_eq!(
            m.record(
                "p",
                &sample("x", MetricKind::Counter, 1.0, &[("k", "c")]),
                &plain
            ),
            Err(MetricError::TooManySeries { max: 2 })
        );
        // Another plugin has its own cap.
        m.record(
            "q",
            &sample("x", MetricKind::Counter, 1.0, &[("k", "c")]),
            &plain,
        )
        .expect("q's own cap");
        assert!(matches!(
            m.record(
                "q",
                &sample("Bad-Name", MetricKind::Counter, 1.0, &[]),
                &plain
            ),
            Err(MetricError::BadName { .. })
        ));
        assert_eq!(
            m.record(
                "q",
                &sample("y", MetricKind::Gauge, 1.0, &[("plugin", "x")]),
                &plain
            ),
            Err(MetricError::ReservedLabel)
        );
        assert_eq!(
            m.record(
                "q",
                &sample("x", MetricKind::Gauge, 1.0, &[("k", "c")]),
                &plain
            ),
            Err(MetricError::KindConflict {
                name: "x".into(),
                existing: "counter"
            })
        );
        assert!(matches!(
            m.record("q", &sample("z", MetricKind::Counter, -1.0, &[]), &plain),
            Err(MetricError::BadValue { .. })
        ));
        let phi_free = |v: &str| !v.chars().any(|c| c.is_ascii_digit());
        let refused = m.record(
            "q",
            &sample("z", MetricKind::Counter, 1.0, &[("to", "14155550199")]),
            &phi_free,
        );
        assert_eq!(
            refused,
            Err(MetricError::BadLabelValue { label: "to".into() })
        );
        assert!(!refused.expect_err("refused").to_string().contains("1415"));
        assert!(matches!(
            m.record(
                "q",
                &sample("z", MetricKind::Counter, 1.0, &[("to", "a b")]),
                &plain
            ),
            Err(MetricError::BadLabelValue { .. })
        ));
        m.forget("p");
        assert!(!m.render().contains("plugin=\"p\""));
    }
}
