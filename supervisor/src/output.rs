//! A plugin's stdout and stderr as structured, limited log records for the host's log sink.
//!
//! Lines longer than the limit are cut (the rest of the line is discarded, not buffered);
//! past the rate limit lines are counted and dropped, and the next record that gets through
//! says how many were lost. The host redacts records before storing them.

use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt};

/// Which stream a line came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputStream {
    /// The plugin's stdout.
    Stdout,
    /// The plugin's stderr.
    Stderr,
}

/// One line of plugin output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputLine {
    /// The plugin.
    pub plugin_id: String,
    /// The running instance.
    pub instance_id: String,
    /// stdout or stderr.
    pub stream: OutputStream,
    /// The line (lossy UTF-8, without its newline), at most the line limit.
    pub line: String,
    /// Whether the line was cut at the limit.
    pub truncated: bool,
    /// Lines dropped by the rate limit just before this one.
    pub dropped_before: u64,
}

/// Receives plugin output; provided by the host.
pub trait LogSink: Send + Sync {
    /// Records one line.
    fn record(&self, line: OutputLine);
}

/// Limits on plugin output.
#[derive(Clone, Copy, Debug)]
pub struct OutputLimits {
    /// Longest line kept, bytes.
    pub max_line: usize,
    /// Lines per second passed on; the rest are counted and dropped.
    pub lines_per_second: u32,
}

impl Default for OutputLimits {
    fn default() -> Self {
        Self {
            max_line: 4096,
            lines_per_second: 100,
        }
    }
}

struct Limiter {
    window_start: Instant,
    in_window: u32,
    dropped: u64,
}

/// Reads `reader` to its end, passing lines to `sink` within `limits`.
pub async fn forward<R: AsyncRead + Unpin>(
    mut reader: R,
    stream: OutputStream,
    plugin_id: String,
    instance_id: String,
    limits: OutputLimits,
    sink: Arc<dyn LogSink>,
) {
    let max_line = limits.max_line.max(1);
    let mut chunk = vec![0u8; 8192];
    let mut line: Vec<u8> = Vec::new();
    let mut truncated = false;
    let mut limiter = Limiter {
        window_start: Instant::now(),
        in_window: 0,
        dropped: 0,
    };
    let emit = |line: &mut Vec<u8>, truncated: &mut bool, limiter: &mut Limiter| {
        let now = Instant::now();
        if now.duration_since(limiter.window_start) >= Duration::from_secs(1) {
            limiter.window_start = now;
            limiter.in_window = 0;
        }
        if limiter.in_window >= limits.lines_per_second {
            limiter.dropped += 1;
        } else {
            limiter.in_window += 1;
            sink.record(OutputLine {
                plugin_id: plugin_id.clone(),
                instance_id: instance_id.clone(),
                stream,
                line: String::from_utf8_lossy(line).into_owned(),
                truncated: *truncated,
                dropped_before: std::mem::take(&mut limiter.dropped),
            });
        }
        line.clear();
        *truncated = false;
    };
    loop {
        let n = match reader.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        for &byte in &chunk[..n] {
            if byte == b'\n' {
                emit(&mut line, &mut truncated, &mut limiter);
            } else if line.len() < max_line {
                line.push(byte);
            } else {
                truncated = true;
            }
        }
    }
    if !line.is_empty() {
        emit(&mut line, &mut truncated, &mut limiter);
    }
    if limiter.dropped > 0 {
        // The stream ended inside a dropping window: say how much was lost.
        sink.record(OutputLine {
            plugin_id,
            instance_id,
            stream,
            line: String::new(),
            truncated: false,
            dropped_before: limiter.dropped,
        });
    }
}
