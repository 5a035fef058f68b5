//! Per-plugin counters the session updates on every call, and the snapshot the host reads.

use faxbot_plugin_abi::ErrorCode;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the latency histogram's buckets, microseconds; a last bucket holds the rest.
pub const LATENCY_BOUNDS_US: [u64; 12] = [
    100, 250, 500, 1_000, 2_500, 5_000, 10_000, 50_000, 100_000, 500_000, 1_000_000, 5_000_000,
];

/// Live counters of one plugin (kept across its restarts).
#[derive(Debug, Default)]
pub struct PluginMetrics {
    calls: AtomicU64,
    in_flight: AtomicI64,
    denials: AtomicU64,
    bytes_out: AtomicU64,
    bytes_in: AtomicU64,
    call_cpu_ns: AtomicU64,
    latency: [AtomicU64; LATENCY_BOUNDS_US.len() + 1],
    errors: Mutex<BTreeMap<&'static str, u64>>,
}

/// A copy of a plugin's counters at one moment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MetricsSnapshot {
    /// Host-to-plugin calls finished (answered or failed).
    pub calls: u64,
    /// Calls failed, by error code name.
    pub errors: BTreeMap<&'static str, u64>,
    /// Calls in flight now.
    pub in_flight: i64,
    /// Plugin calls refused for a missing grant.
    pub denials: u64,
    /// Request bytes sent to the plugin.
    pub bytes_out: u64,
    /// Response bytes received from the plugin.
    pub bytes_in: u64,
    /// Call counts per bucket of [`LATENCY_BOUNDS_US`] (the last is everything above).
    pub latency_buckets: Vec<u64>,
    /// CPU billed to calls (see [`crate::session::CallBill::cpu`]).
    pub call_cpu: Duration,
    /// Restarts after crashes (filled in by the supervisor).
    pub restarts: u32,
    /// The running instance's memory, bytes, from its cgroup (filled in by the supervisor).
    pub memory_bytes: Option<u64>,
    /// The running instance's peak memory, bytes, from its cgroup.
    pub memory_peak_bytes: Option<u64>,
    /// CPU the running instance has used, from its cgroup.
    pub cpu_time: Option<Duration>,
}

impl PluginMetrics {
    /// A call was sent.
    pub fn call_started(&self) {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
    }

    /// A call finished after `wall` (wall time billed to the call), failed with `error` if any.
    pub fn call_finished(&self, wall: Duration, error: Option<ErrorCode>) {
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
        self.calls.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(wall.as_micros()).unwrap_or(u64::MAX);
        let bucket = LATENCY_BOUNDS_US
            .iter()
            .position(|bound| micros <= *bound)
            .unwrap_or(LATENCY_BOUNDS_US.len());
        self.latency[bucket].fetch_add(1, Ordering::Relaxed);
        if let Some(code) = error {
            *self
                .errors
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .entry(code.name())
                .or_default() += 1;
        }
    }

    /// Bytes of one call: request sent, response received (frames with their prefix).
    pub fn add_bytes(&self, out: u64, received: u64) {
        self.bytes_out.fetch_add(out, Ordering::Relaxed);
        self.bytes_in.fetch_add(received, Ordering::Relaxed);
    }

    /// CPU billed to one call.
    pub fn add_call_cpu(&self, cpu: Duration) {
        let nanos = u64::try_from(cpu.as_nanos()).unwrap_or(u64::MAX);
        self.call_cpu_ns.fetch_add(nanos, Ordering::Relaxed);
    }

    /// A plugin call was denied.
    pub fn denied(&self) {
        self.denials.fetch_add(1, Ordering::Relaxed);
    }

    /// The counters now.
    pub fn snapshot(&self) -> MetricsSnapshot {
        MetricsSnapshot {
            calls: self.calls.load(Ordering::Relaxed),
            errors: self
                .errors
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone(),
            in_flight: self.in_flight.load(Ordering::Relaxed),
            denials: self.denials.load(Ordering::Relaxed),
            bytes_out: self.bytes_out.load(Ordering::Relaxed),
            bytes_in: self.bytes_in.load(Ordering::Relaxed),
            latency_buckets: self
                .latency
                .iter()
                .map(|b| b.load(Ordering::Relaxed))
                .collect(),
            call_cpu: Duration::from_nanos(self.call_cpu_ns.load(Ordering::Relaxed)),
            restarts: 0,
            memory_bytes: None,
            memory_peak_bytes: None,
            cpu_time: None,
        }
    }
}
