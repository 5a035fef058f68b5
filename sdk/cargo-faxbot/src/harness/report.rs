//! The report of a harness run: what was fed, what came back, what the plugin did, and the
//! verdict.

use super::canary::Leak;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

/// One host-to-plugin call of the run.
#[derive(Clone, Debug, Serialize)]
pub struct Fed {
    /// `event.deliver`, `route.serve` or `job.run`.
    pub method: String,
    /// What was fed (topic, `GET /status`, job name).
    pub what: String,
    /// Wall time, ms.
    pub wall_ms: f64,
    /// CPU the plugin used during the call, ms, where the cgroup accounts it.
    pub cpu_ms: Option<f64>,
    /// `ok`, or the error/expectation that failed.
    pub outcome: String,
}

/// Latency of one method over the run.
#[derive(Clone, Debug, Serialize)]
pub struct Latency {
    /// Calls.
    pub count: usize,
    /// Median, ms.
    pub p50_ms: f64,
    /// Slowest, ms.
    pub max_ms: f64,
}

/// The whole report.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Plugin id.
    pub plugin: String,
    /// Plugin version.
    pub version: String,
    /// Whether the run passed.
    pub passed: bool,
    /// Why it did not.
    pub failures: Vec<String>,
    /// Every call fed to the plugin.
    pub fed: Vec<Fed>,
    /// Events not delivered because the manifest does not subscribe to them.
    pub not_subscribed: Vec<String>,
    /// Latency per method.
    pub latency: BTreeMap<String, Latency>,
    /// Capability calls the plugin made, by method.
    pub capability_calls: BTreeMap<String, u64>,
    /// Capability calls denied: method and reason.
    pub denials: Vec<(String, String)>,
    /// Peak memory of the plugin's cgroup, bytes.
    pub peak_memory_bytes: Option<u64>,
    /// CPU the plugin used over the run, ms.
    pub cpu_ms: Option<f64>,
    /// Restarts during the run (a crash or a hard stop).
    pub restarts: u32,
    /// Log lines (`log.write`, stdout, stderr).
    pub log_lines: Vec<String>,
    /// PHI canaries planted in what the plugin was fed.
    pub canaries_planted: usize,
    /// Canaries found in what the plugin saw or sent (must be empty).
    pub leaks: Vec<Leak>,
    /// `--record`: the least-privilege `[capabilities]` section.
    pub recorded_capabilities: Option<String>,
}

/// Median and max per method of the fed calls.
pub fn latencies(fed: &[Fed]) -> BTreeMap<String, Latency> {
    let mut by_method: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for call in fed {
        by_method
            .entry(call.method.clone())
            .or_default()
            .push(call.wall_ms);
    }
    by_method
        .into_iter()
        .map(|(method, mut times)| {
            times.sort_by(f64::total_cmp);
            let latency = Latency {
                count: times.len(),
                p50_ms: times[times.len() / 2],
                max_ms: times[times.len() - 1],
            };
            (method, latency)
        })
        .collect()
}

/// Milliseconds with microsecond precision.
pub fn ms(d: Duration) -> f64 {
    (d.as_micros() as f64) / 1000.0
}

impl Report {
    /// The human-readable report.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "plugin {} {}", self.plugin, self.version);
        for call in &self.fed {
            let cpu = call
                .cpu_ms
                .map(|c| format!(", cpu {c:.1} ms"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {:<14} {:<28} {:>8.1} ms{cpu}  {}",
                call.method, call.what, call.wall_ms, call.outcome
            );
        }
        for topic in &self.not_subscribed {
            let _ = writeln!(
                out,
                "  (not delivered: the manifest does not subscribe to {topic})"
            );
        }
        let _ = writeln!(out, "latency:");
        for (method, l) in &self.latency {
            let _ = writeln!(
                out,
                "  {method:<14} {} calls, p50 {:.1} ms, max {:.1} ms",
                l.count, l.p50_ms, l.max_ms
            );
        }
        let calls = self
            .capability_calls
            .iter()
            .map(|(m, n)| format!("{m} x{n}"))
            .collect::<Vec<_>>()
            .join(", ");
        let _ = writeln!(
            out,
            "capability calls: {}",
            if calls.is_empty() {
                "none".into()
            } else {
                calls
            }
        );
        let _ = writeln!(out, "denials: {}", self.denials.len());
        for (method, reason) in &self.denials {
            let _ = writeln!(out, "  {method}: {reason}");
        }
        let memory = self
            .peak_memory_bytes
            .map(|b| format!("{:.1} MiB", b as f64 / f64::from(1u32 << 20)))
            .unwrap_or_else(|| "not accounted".into());
        let cpu = self
            .cpu_ms
            .map(|c| format!("{c:.1} ms"))
            .unwrap_or_else(|| "not accounted".into());
        let _ = writeln!(
            out,
            "peak memory: {memory}; cpu: {cpu}; restarts: {}",
            self.restarts
        );
        let _ = writeln!(out, "log lines: {}", self.log_lines.len());
        for line in self.log_lines.iter().take(20) {
            let _ = writeln!(out, "  {line}");
        }
        if self.log_lines.len() > 20 {
            let _ = writeln!(out, "  ... {} more", self.log_lines.len() - 20);
        }
        let _ = writeln!(
            out,
            "PHI canaries: {} planted, {} leaked",
            self.canaries_planted,
            self.leaks.len()
        );
        for leak in &self.leaks {
            let _ = writeln!(
                out,
                "  LEAK: a {} canary reached {}",
                leak.canary, leak.place
            );
        }
        if let Some(section) = &self.recorded_capabilities {
            let _ = writeln!(out, "least-privilege capabilities for this run:\n{section}");
        }
        if self.passed {
            let _ = writeln!(out, "PASS");
        } else {
            let _ = writeln!(out, "FAIL");
            for failure in &self.failures {
                let _ = writeln!(out, "  {failure}");
            }
        }
        out
    }
}
