//! The local grant check: a call the host's Welcome did not grant fails here with
//! [`Error::Denied`] before a byte is sent. The host checks again (it is the authority; the
//! SDK only saves the round trip and names the capability clearly).

use crate::error::Error;
use faxbot_plugin_abi::GrantedCapabilities;
use faxbot_plugin_abi::event::topic_matches;

/// What the admin granted this plugin instance, as the host's Welcome said.
///
/// ```
/// use faxbot_sdk::Grants;
/// use faxbot_sdk::abi::GrantedCapabilities;
///
/// let grants = Grants::new(GrantedCapabilities { kv_quota_bytes: 1024, ..Default::default() });
/// assert!(grants.kv().is_ok());
/// assert_eq!(grants.fax_job_status().unwrap_err().to_string(),
///            "capability not granted: fax.job_status");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Grants(GrantedCapabilities);

impl Grants {
    /// Wraps the granted set.
    pub fn new(granted: GrantedCapabilities) -> Self {
        Self(granted)
    }

    /// The granted set as the host sent it.
    pub fn granted(&self) -> &GrantedCapabilities {
        &self.0
    }

    /// Key-value storage: granted when the quota is above zero.
    pub fn kv(&self) -> Result<(), Error> {
        if self.0.kv_quota_bytes > 0 {
            Ok(())
        } else {
            Err(Error::denied("kv"))
        }
    }

    /// Outbound HTTP: granted when at least one egress rule is. Which URLs a rule allows is
    /// the host broker's decision.
    pub fn egress(&self) -> Result<(), Error> {
        if self.0.egress.is_empty() {
            Err(Error::denied("http.egress"))
        } else {
            Ok(())
        }
    }

    /// Use of the secret `name` in an outbound template.
    pub fn secret(&self, name: &str) -> Result<(), Error> {
        if self.0.secrets.iter().any(|s| s == name) {
            Ok(())
        } else {
            Err(Error::denied(format!("secret {name}")))
        }
    }

    /// Emitting an event on `topic`.
    pub fn emit(&self, topic: &str) -> Result<(), Error> {
        if self
            .0
            .emit_events
            .iter()
            .any(|pattern| topic_matches(pattern, topic))
        {
            Ok(())
        } else {
            Err(Error::denied(format!("event.emit to {topic}")))
        }
    }

    /// Looking up fax job status.
    pub fn fax_job_status(&self) -> Result<(), Error> {
        if self.0.fax_job_status {
            Ok(())
        } else {
            Err(Error::denied("fax.job_status"))
        }
    }

    /// Whether the host will deliver events on `topic` (some subscription matches it).
    pub fn subscribed(&self, topic_or_pattern: &str) -> bool {
        self.0
            .event_subscriptions
            .iter()
            .any(|granted| granted == topic_or_pattern || topic_matches(granted, topic_or_pattern))
    }

    /// Whether the route `path` is granted: exactly, or by a grant ending in `/*` that
    /// covers everything below its prefix.
    pub fn route(&self, path: &str) -> bool {
        self.0
            .routes
            .iter()
            .any(|granted| match granted.strip_suffix("/*") {
                Some(prefix) => path
                    .strip_prefix(prefix)
                    .is_some_and(|rest| rest.len() > 1 && rest.starts_with('/')),
                None => granted == path,
            })
    }

    /// Whether the job `name` is granted.
    pub fn job(&self, name: &str) -> bool {
        self.0.jobs.iter().any(|j| j.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_granted_by_default() {
        let grants = Grants::default();
        assert_eq!(grants.kv(), Err(Error::denied("kv")));
        assert_eq!(grants.egress(), Err(Error::denied("http.egress")));
        assert_eq!(grants.secret("T"), Err(Error::denied("secret T")));
        assert_eq!(
            grants.emit("plugin.p.x"),
            Err(Error::denied("event.emit to plugin.p.x"))
        );
        assert!(grants.fax_job_status().is_err());
        assert!(!grants.subscribed("fax.job.sent"));
    }

    #[test]
    fn emit_grant_is_matched_by_pattern() {
        let grants = Grants::new(GrantedCapabilities {
            emit_events: vec!["plugin.p.*".into()],
            ..Default::default()
        });
        assert!(grants.emit("plugin.p.done").is_ok());
        assert!(grants.emit("plugin.q.done").is_err());
        assert!(grants.emit("plugin.p").is_err());
    }

    #[test]
    fn a_route_grant_ending_in_a_wildcard_covers_paths_below_it() {
        let grants = Grants::new(GrantedCapabilities {
            routes: vec!["/status".into(), "/jobs/*".into()],
            ..Default::default()
        });
        assert!(grants.route("/status"));
        assert!(!grants.route("/status/x"));
        assert!(grants.route("/jobs/42"));
        assert!(!grants.route("/jobs"));
        assert!(!grants.route("/jobsx/1"));
    }

    #[test]
    fn a_subscription_covers_narrower_patterns_and_topics() {
        let grants = Grants::new(GrantedCapabilities {
            event_subscriptions: vec!["fax.*".into()],
            ..Default::default()
        });
        assert!(grants.subscribed("fax.job.sent"));
        assert!(grants.subscribed("fax.job.*"));
        assert!(!grants.subscribed("plugin.lifecycle"));
    }
}
