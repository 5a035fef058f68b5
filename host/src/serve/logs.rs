//! Plugin logs as the API serves them: each plugin's stdout and stderr lines and its
//! `log.write` calls, redacted (PHI spans replaced by tenant-keyed tokens) before they are
//! kept, in a bounded ring per plugin.

use faxbot_api::runtime::LogLine;
use faxbot_api::time::{format_ms, now_ms};
use faxbot_redact::Redactor;
use faxbot_supervisor::output::{LogSink, OutputLine, OutputStream};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

/// Lines kept per plugin; older ones are dropped.
pub const LINES_PER_PLUGIN: usize = 2000;
/// Longest line kept, characters (after redaction).
const MAX_LINE_CHARS: usize = 4096;

/// Every plugin's recent log lines.
pub struct LogBuffer {
    redactor: Redactor,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    next_seq: u64,
    plugins: HashMap<String, (Option<String>, VecDeque<LogLine>)>,
}

impl LogBuffer {
    /// An empty buffer redacting with `redactor`.
    pub fn new(redactor: Redactor) -> Self {
        Self {
            redactor,
            inner: Mutex::new(Inner {
                next_seq: 1,
                plugins: HashMap::new(),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Sets the tenant a plugin's lines are redacted for (its tokens are per tenant).
    pub fn set_tenant(&self, plugin_id: &str, tenant: Option<String>) {
        self.lock()
            .plugins
            .entry(plugin_id.to_owned())
            .or_default()
            .0 = tenant;
    }

    /// `text` redacted for `tenant`.
    pub fn redact(&self, tenant: Option<&str>, text: &str) -> String {
        self.redactor.redact_text(tenant, text).text
    }

    /// A plugin's answer body redacted for `tenant`, whatever it says its content is: JSON
    /// (`is_json` and parsing) through the redactor's own walk — string values, keys, and
    /// numbers that look like identifiers — so it stays JSON; any other UTF-8 as text; only a
    /// body that is not UTF-8 (an image) passes as it is.
    pub fn redact_output(&self, tenant: Option<&str>, is_json: bool, body: Vec<u8>) -> Vec<u8> {
        let json = is_json
            .then(|| serde_json::from_slice::<serde_json::Value>(&body).ok())
            .flatten();
        if let Some(value) = json {
            let schema = faxbot_redact::RecordSchema::new("plugin-output");
            return serde_json::to_vec(&self.redactor.redact_value(tenant, &schema, value))
                .unwrap_or_default();
        }
        match String::from_utf8(body) {
            Ok(text) => self.redact(tenant, &text).into_bytes(),
            Err(raw) => raw.into_bytes(),
        }
    }

    /// Whether the redactor leaves `value` as it is (nothing in it looks like PHI).
    pub fn is_plain(&self, tenant: Option<&str>, value: &str) -> bool {
        self.redactor.redact_text(tenant, value).text == value
    }

    /// Keeps one line, redacted.
    pub fn push(&self, plugin_id: &str, stream: &str, level: Option<String>, text: &str) {
        let tenant = self
            .lock()
            .plugins
            .get(plugin_id)
            .and_then(|(t, _)| t.clone());
        let redacted = self.redactor.redact_text(tenant.as_deref(), text).text;
        let line: String = redacted.chars().take(MAX_LINE_CHARS).collect();
        let mut inner = self.lock();
        let seq = inner.next_seq;
        inner.next_seq += 1;
        let (_, lines) = inner.plugins.entry(plugin_id.to_owned()).or_default();
        if lines.len() >= LINES_PER_PLUGIN {
            lines.pop_front();
        }
        lines.push_back(LogLine {
            seq,
            time: format_ms(now_ms()),
            stream: stream.to_owned(),
            level,
            line,
        });
    }

    /// Lines of `plugin_id` after `after`, at most `limit`.
    pub fn page(&self, plugin_id: &str, after: u64, limit: usize) -> Vec<LogLine> {
        self.lock()
            .plugins
            .get(plugin_id)
            .map(|(_, lines)| {
                lines
                    .iter()
                    .filter(|l| l.seq > after)
                    .take(limit)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Drops a plugin's lines.
    pub fn forget(&self, plugin_id: &str) {
        self.lock().plugins.remove(plugin_id);
    }
}

/// The supervisor's sink for one plugin's stdout and stderr.
pub struct OutputSink(pub Arc<LogBuffer>);

impl LogSink for OutputSink {
    fn record(&self, line: OutputLine) {
        let stream = match line.stream {
            OutputStream::Stdout => "stdout",
            OutputStream::Stderr => "stderr",
        };
        let mut text = line.line;
        if line.truncated {
            text.push_str(" [cut]");
        }
        if line.dropped_before > 0 {
            text = format!(
                "[{} lines dropped by the rate limit] {text}",
                line.dropped_before
            );
        }
        self.0.push(&line.plugin_id, stream, None, &text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faxbot_redact::PseudonymKey;

    #[test]
    fn plugin_output_is_redacted_whatever_content_type_it_claims() {
        let buffer = LogBuffer::new(Redactor::new(PseudonymKey::new([1; 32])));
        let phi = "patient SSN 123-45-6789";
        // Text labelled as anything but JSON is still text.
        let out = buffer.redact_output(None, false, phi.as_bytes().to_vec());
        assert!(!String::from_utf8_lossy(&out).contains("123-45-6789"));
        // JSON: values and keys, and it stays JSON.
        let doc = format!(r#"{{"{phi}": "{phi}", "n": 1}}"#);
        let out = buffer.redact_output(None, true, doc.into_bytes());
        let parsed: serde_json::Value = serde_json::from_slice(&out).expect("still JSON");
        assert!(!parsed.to_string().contains("123-45-6789"), "{parsed}");
        assert_eq!(parsed["n"], 1);
        // Bytes that are not UTF-8 pass untouched.
        let raw = vec![0xff, 0xfe, 0x00, 0x01];
        assert_eq!(buffer.redact_output(None, false, raw.clone()), raw);
    }

    #[test]
    fn lines_are_redacted_paged_and_bounded() {
        let buffer = LogBuffer::new(Redactor::new(PseudonymKey::new([1; 32])));
        buffer.set_tenant("demo", Some("t1".into()));
        buffer.push("demo", "stdout", None, "patient SSN 123-45-6789 sent");
        let page = buffer.page("demo", 0, 10);
        assert_eq!(page.len(), 1);
        assert!(!page[0].line.contains("123-45-6789"), "{}", page[0].line);
        for i in 0..LINES_PER_PLUGIN + 5 {
            buffer.push("demo", "stderr", None, &format!("line {i}"));
        }
        let all = buffer.page("demo", 0, usize::MAX);
        assert_eq!(all.len(), LINES_PER_PLUGIN);
        let after = all[9].seq;
        assert_eq!(buffer.page("demo", after, 5)[0].seq, after + 1);
        buffer.forget("demo");
        assert!(buffer.page("demo", 0, 10).is_empty());
    }
}
