//! What `cargo faxbot test` feeds a plugin and expects back: `faxbot-test.toml` and the
//! recorded core events it names (JSON Lines).

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The scenario file's name in a plugin project.
pub const SCENARIO_FILE: &str = "faxbot-test.toml";
/// Largest events file read.
const MAX_EVENTS_BYTES: u64 = 16 << 20;

/// A whole scenario, with its events loaded.
#[derive(Debug, Default)]
pub struct Scenario {
    /// Recorded core events, in delivery order.
    pub events: Vec<CoreEvent>,
    /// Admin settings passed in the Welcome.
    pub config: BTreeMap<String, serde_json::Value>,
    /// Test values of the plugin's secrets: the harness uses them as the host would, the
    /// plugin never sees them.
    pub secrets: BTreeMap<String, String>,
    /// Answers to `http.fetch`, first matching URL prefix wins.
    pub http: Vec<HttpFixture>,
    /// Route requests to serve and what to expect.
    pub routes: Vec<RouteCase>,
    /// Jobs to run and what to expect.
    pub jobs: Vec<JobCase>,
    /// Answers to `fax.job_status`, by job id.
    pub fax_jobs: Vec<CoreEvent>,
    /// A denied capability call does not fail the run (for testing a plugin's handling
    /// of denials).
    pub allow_denials: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioFile {
    events: Option<PathBuf>,
    #[serde(default)]
    config: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    secrets: BTreeMap<String, String>,
    #[serde(default)]
    http: Vec<HttpFixture>,
    #[serde(default)]
    route: Vec<RouteCase>,
    #[serde(default)]
    job: Vec<JobCase>,
    #[serde(default)]
    fax_job: Vec<CoreEvent>,
    #[serde(default)]
    allow_denials: bool,
}

/// A canned answer to `http.fetch`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpFixture {
    /// Matches requests whose rendered URL starts with this.
    pub url: String,
    /// Response status.
    #[serde(default = "ok_status")]
    pub status: u16,
    /// Response body.
    #[serde(default)]
    pub body: String,
    /// Response headers.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
}

fn ok_status() -> u16 {
    200
}

/// One route request and its expectations.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteCase {
    /// HTTP method.
    pub method: String,
    /// Path below `/ext/<plugin-id>`.
    pub path: String,
    /// Raw query string.
    #[serde(default)]
    pub query: String,
    /// Request body.
    #[serde(default)]
    pub body: String,
    /// Expected status.
    pub expect_status: Option<u16>,
    /// Text the body must contain.
    pub expect_body_contains: Option<String>,
}

/// One job run and its expectations.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobCase {
    /// The job's name.
    pub name: String,
    /// Text the run's summary must contain.
    pub expect_summary_contains: Option<String>,
}

/// An event as the core records it, PHI included: the harness projects it to what a plugin
/// may see, exactly as the host's event bus does (see `canary.rs`).
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CoreEvent {
    /// Dotted topic.
    pub topic: String,
    /// Tenant (default `tenant-test`).
    pub tenant: Option<String>,
    /// Fax job id.
    pub job_id: Option<String>,
    /// `outbound` or `inbound`.
    pub direction: Option<String>,
    /// Job state (default: the topic's last part).
    pub state: Option<String>,
    /// Transport name.
    pub provider: Option<String>,
    /// Pages.
    pub pages: Option<u32>,
    /// Attempt, from 1.
    pub attempt: Option<u32>,
    /// Transmission time.
    pub duration_ms: Option<u64>,
    /// The provider's failure text (free text: may hold PHI; plugins see a category).
    pub failure_detail: Option<String>,
    /// The remote fax number (PHI; plugins see a keyed token).
    pub remote_number: Option<String>,
    /// The patient's name from the cover sheet (PHI; plugins never see it).
    pub patient_name: Option<String>,
    /// How many days before the run the event happened (default 0: now).
    pub days_ago: Option<u32>,
    /// Free-form fields of a custom event (redacted before delivery).
    pub fields: Option<serde_json::Map<String, serde_json::Value>>,
}

/// A scenario problem, with where.
#[derive(Debug, thiserror::Error)]
#[error("{place}: {reason}")]
pub struct ScenarioError {
    /// File and line or field.
    pub place: String,
    /// What is wrong.
    pub reason: String,
}

impl Scenario {
    /// Loads `faxbot-test.toml` from `project` (an empty scenario when it is absent) and
    /// the events file it names, relative to the project.
    pub fn load(project: &Path) -> Result<Self, ScenarioError> {
        let path = project.join(SCENARIO_FILE);
        let file: ScenarioFile = match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text).map_err(|e| ScenarioError {
                place: path.display().to_string(),
                reason: e.to_string(),
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => ScenarioFile::default(),
            Err(e) => {
                return Err(ScenarioError {
                    place: path.display().to_string(),
                    reason: e.to_string(),
                });
            }
        };
        let events = match &file.events {
            Some(relative) => load_events(&project.join(relative))?,
            None => Vec::new(),
        };
        Ok(Self {
            events,
            config: file.config,
            secrets: file.secrets,
            http: file.http,
            routes: file.route,
            jobs: file.job,
            fax_jobs: file.fax_job,
            allow_denials: file.allow_denials,
        })
    }
}

/// Reads recorded core events, one JSON object per line; blank lines and `#` comments are
/// skipped. Every bad line is reported with its number.
pub fn load_events(path: &Path) -> Result<Vec<CoreEvent>, ScenarioError> {
    let place = |line: Option<usize>| match line {
        Some(n) => format!("{} line {n}", path.display()),
        None => path.display().to_string(),
    };
    let meta = std::fs::metadata(path).map_err(|e| ScenarioError {
        place: place(None),
        reason: e.to_string(),
    })?;
    if meta.len() > MAX_EVENTS_BYTES {
        return Err(ScenarioError {
            place: place(None),
            reason: format!(
                "{} bytes is over the {MAX_EVENTS_BYTES}-byte limit",
                meta.len()
            ),
        });
    }
    let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
        place: place(None),
        reason: e.to_string(),
    })?;
    let mut events = Vec::new();
    let mut problems = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match serde_json::from_str::<CoreEvent>(line) {
            Ok(event) if event.topic.is_empty() => {
                problems.push(format!("{}: topic is empty", place(Some(index + 1))));
            }
            Ok(event) => events.push(event),
            Err(e) => problems.push(format!("{}: {e}", place(Some(index + 1)))),
        }
    }
    if problems.is_empty() {
        Ok(events)
    } else {
        Err(ScenarioError {
            place: place(None),
            reason: format!(
                "{} bad line(s):\n  {}",
                problems.len(),
                problems.join("\n  ")
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bad_event_line_is_reported_with_its_number() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("events.jsonl");
        std::fs::write(
            &path,
            "{\"topic\":\"fax.job.sent\",\"job_id\":\"fx_1\"}\n# a comment\n{\"topic\":\"fax.job.sent\",\"colour\":1}\nnot json\n",
        )
        .expect("write");
        let error = load_events(&path).expect_err("two bad lines");
        let text = error.to_string();
        assert!(text.contains("2 bad line(s)"), "{text}");
        assert!(text.contains("line 3: unknown field `colour`"), "{text}");
        assert!(text.contains("line 4:"), "{text}");
    }

    #[test]
    fn a_scenario_with_an_unknown_key_is_refused_with_the_file_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join(SCENARIO_FILE), "evnts = \"x\"\n").expect("write");
        let error = Scenario::load(dir.path()).expect_err("typo");
        assert!(error.to_string().contains("faxbot-test.toml"), "{error}");
        assert!(error.to_string().contains("evnts"), "{error}");
    }
}
