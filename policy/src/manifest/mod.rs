//! The plugin manifest, `faxbot-plugin.toml`: schema and validation.
//!
//! [`Manifest::parse`] reads the whole document and reports every problem at once, each
//! with its field path (`capabilities.egress[2]: port 0 is not valid`). Unknown fields are
//! errors: a typo must never silently drop a restriction.
//!
//! ```toml
//! id = "slack-notify"
//! name = "Slack notifier"
//! version = "1.2.0"
//! publisher = "acme"
//! description = "Posts fax delivery results to a Slack channel."
//! categories = ["notifications"]
//! hipaa_compliant = true
//! requires_baa = false
//! min_core_version = "0.1.0"
//! entry = "bin/slack-notify"
//! # runtime = "python3"   (only for a script entry; docs/manifest.md)
//!
//! [capabilities]
//! subscribe = ["fax.job.*"]
//! emit = ["plugin.slack-notify.posted"]
//! egress = ["https://hooks.slack.com/services/*"]
//! kv_quota = "1MiB"
//! routes = ["/status"]
//! secrets = ["SLACK_WEBHOOK"]
//! fax_job_status = false
//! jobs = [{ name = "daily", cron = "0 2 * * *" }]
//!
//! [resources]
//! memory = "64MiB"
//! cpu_percent = 50
//! pids = 32
//! scratch = "16MiB"
//!
//! [config.channel]
//! type = "string"
//! required = true
//! max_length = 80
//! description = "Slack channel to post to"
//! ```

mod capabilities;
pub mod config;
pub mod entry;
pub(crate) mod fields;
mod resources;

pub use config::{ConfigField, ConfigKind, ConfigSchema};
pub use entry::{EntryError, EntryKind, check_entry};
pub use resources::{ResourceCeilings, ResourceRequest};

use crate::capability::CapabilitySet;
use crate::package::path::check_relative_path;
use fields::{Fields, Problems};
use std::fmt;

/// The manifest's file name inside a package.
pub const MANIFEST_FILE: &str = "faxbot-plugin.toml";
/// Largest manifest accepted, in bytes.
pub const MAX_MANIFEST_BYTES: usize = 64 * 1024;

/// A validated plugin manifest.
#[derive(Clone, Debug, PartialEq)]
pub struct Manifest {
    /// Unique id: `[a-z][a-z0-9-]*`, 3 to 64 bytes.
    pub id: String,
    /// Display name.
    pub name: String,
    /// The plugin's version.
    pub version: semver::Version,
    /// Publisher identifier (matched against the trust store's publisher keys).
    pub publisher: String,
    /// What the plugin does.
    pub description: String,
    /// Marketplace categories.
    pub categories: Vec<String>,
    /// The publisher states the plugin handles no PHI beyond what its grants expose and
    /// meets the platform's HIPAA rules; HIPAA tenants see only such plugins.
    pub hipaa_compliant: bool,
    /// Using the plugin needs a business associate agreement with the publisher.
    pub requires_baa: bool,
    /// Oldest core version the plugin works with.
    pub min_core_version: semver::Version,
    /// Path of the executable inside the package's `files/`.
    pub entry: String,
    /// The interpreter that runs `entry` when it is a script (`python3`), one the operator
    /// enables in `faxbot.toml`; `None` for a native entry.
    pub runtime: Option<String>,
    /// Capabilities requested.
    pub capabilities: CapabilitySet,
    /// Resources requested.
    pub resources: ResourceRequest,
    /// Admin-set settings.
    pub config: ConfigSchema,
}

/// One problem in a manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// Where: `capabilities.egress[2]`, `version`, `config.channel.type`. Empty for
    /// problems with the document as a whole (a TOML syntax error).
    pub path: String,
    /// What is wrong.
    pub reason: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.reason)
        } else {
            write!(f, "{}: {}", self.path, self.reason)
        }
    }
}

/// Every problem found in a manifest (never empty).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ManifestErrors(pub Vec<FieldError>);

impl ManifestErrors {
    /// Whether some problem is at exactly this path.
    pub fn has(&self, path: &str) -> bool {
        self.0.iter().any(|e| e.path == path)
    }
}

impl fmt::Display for ManifestErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "manifest has {} problem(s)", self.0.len())?;
        for e in &self.0 {
            write!(f, "\n  {e}")?;
        }
        Ok(())
    }
}

fn single(path: &str, reason: impl Into<String>) -> ManifestErrors {
    ManifestErrors(vec![FieldError {
        path: path.to_string(),
        reason: reason.into(),
    }])
}

impl Manifest {
    /// Parses manifest bytes (UTF-8 TOML, at most [`MAX_MANIFEST_BYTES`]).
    pub fn parse_bytes(bytes: &[u8], ceilings: &ResourceCeilings) -> Result<Self, ManifestErrors> {
        if bytes.len() > MAX_MANIFEST_BYTES {
            return Err(single(
                "",
                format!(
                    "manifest is {} bytes; at most {MAX_MANIFEST_BYTES} are allowed",
                    bytes.len()
                ),
            ));
        }
        let text = std::str::from_utf8(bytes).map_err(|e| {
            single(
                "",
                format!("manifest is not UTF-8 (at byte {})", e.valid_up_to()),
            )
        })?;
        Self::parse(text, ceilings)
    }

    /// Parses and validates a manifest, reporting every problem found.
    pub fn parse(text: &str, ceilings: &ResourceCeilings) -> Result<Self, ManifestErrors> {
        if text.len() > MAX_MANIFEST_BYTES {
            return Err(single(
                "",
                format!("manifest is larger than {MAX_MANIFEST_BYTES} bytes"),
            ));
        }
        let table: toml::Table = toml::from_str(text)
            .map_err(|e| single("", format!("not valid TOML: {}", e.message())))?;
        let mut problems = Problems::default();
        let mut f = Fields::new("", table, &mut problems);

        let id = f.string("id", true).unwrap_or_default();
        if !id.is_empty()
            && let Err(why) = check_id(&id)
        {
            f.problems().push("id", why);
        }
        let name = text_field(&mut f, "name", true, 80);
        let version = version_field(&mut f, "version", true);
        let publisher = f.string("publisher", true).unwrap_or_default();
        if !publisher.is_empty()
            && let Err(why) = check_publisher(&publisher)
        {
            f.problems().push("publisher", why);
        }
        let description = text_field(&mut f, "description", false, 2000);
        let categories = categories_field(&mut f);
        let hipaa_compliant = f.boolean("hipaa_compliant", false);
        let requires_baa = f.boolean("requires_baa", false);
        let min_core_version = version_field(&mut f, "min_core_version", true);
        let entry = f.string("entry", true).unwrap_or_default();
        if !entry.is_empty()
            && let Err(why) = check_relative_path(&entry)
        {
            f.problems().push("entry", why.to_string());
        }
        let runtime = f.string("runtime", false);
        if let Some(name) = &runtime
            && let Err(why) = check_runtime_name(name)
        {
            f.problems().push("runtime", why);
        }
        let capabilities = match f.table("capabilities") {
            Some(t) => capabilities::parse(t, &id, ceilings, f.problems()),
            None => CapabilitySet::default(),
        };
        let resources = match f.table("resources") {
            Some(t) => resources::parse(t, ceilings, f.problems()),
            None => ResourceRequest::default_within(ceilings),
        };
        let config = match f.table("config") {
            Some(t) => config::parse_schema(t, f.problems()),
            None => ConfigSchema::default(),
        };
        f.finish();

        let manifest = Manifest {
            id,
            name,
            version: version.unwrap_or_else(|| semver::Version::new(0, 0, 0)),
            publisher,
            description,
            categories,
            hipaa_compliant,
            requires_baa,
            min_core_version: min_core_version.unwrap_or_else(|| semver::Version::new(0, 0, 0)),
            entry,
            runtime,
            capabilities,
            resources,
            config,
        };
        problems.into_result(manifest)
    }

    /// Whether this plugin runs on a core of version `core`.
    pub fn supports_core(&self, core: &semver::Version) -> bool {
        core >= &self.min_core_version
    }
}

/// `[a-z][a-z0-9-]*[a-z0-9]`, 3 to 64 bytes, no `--`.
pub fn check_id(id: &str) -> Result<(), String> {
    let b = id.as_bytes();
    let ok = (3..=64).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[b.len() - 1] != b'-'
        && !id.contains("--");
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{id}` is not a plugin id: 3-64 of a-z, 0-9 and single `-`, starting with a letter"
        ))
    }
}

/// A runtime name: `[a-z][a-z0-9_-]*`, 1 to 32 bytes.
pub fn check_runtime_name(name: &str) -> Result<(), String> {
    let b = name.as_bytes();
    let ok = (1..=32).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_' || *c == b'-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not a runtime name: 1-32 of a-z, 0-9, `_`, `-`, starting with a letter"
        ))
    }
}

/// A publisher identifier: `[a-z0-9][a-z0-9.-]*`, 2 to 64 bytes.
pub fn check_publisher(p: &str) -> Result<(), String> {
    let b = p.as_bytes();
    let ok = (2..=64).contains(&b.len())
        && b[0].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-' || *c == b'.');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{p}` is not a publisher id: 2-64 of a-z, 0-9, `.` and `-`"
        ))
    }
}

fn text_field(f: &mut Fields<'_>, key: &str, required: bool, max: usize) -> String {
    let value = f.string(key, required).unwrap_or_default();
    if required && value.trim().is_empty() && !value.is_empty() {
        let path = f.path(key);
        f.problems().push(path, "must not be blank");
    }
    if value.chars().count() > max {
        let path = f.path(key);
        f.problems()
            .push(path, format!("is longer than {max} characters"));
    }
    if value.chars().any(|c| c.is_control() && c != '\n') {
        let path = f.path(key);
        f.problems().push(path, "contains control characters");
    }
    value
}

fn version_field(f: &mut Fields<'_>, key: &str, required: bool) -> Option<semver::Version> {
    let text = f.string(key, required)?;
    match semver::Version::parse(&text) {
        Ok(v) => Some(v),
        Err(e) => {
            let path = f.path(key);
            f.problems()
                .push(path, format!("`{text}` is not a semantic version: {e}"));
            None
        }
    }
}

fn categories_field(f: &mut Fields<'_>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (path, c) in f.strings("categories", 8) {
        let ok = (1..=32).contains(&c.len())
            && c.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !ok {
            f.problems().push(
                path,
                format!("`{c}` is not a category: 1-32 of a-z, 0-9, `-`"),
            );
        } else if out.contains(&c) {
            f.problems().push(path, format!("`{c}` is listed twice"));
        } else {
            out.push(c);
        }
    }
    out
}
