//! Typed denials: which capability a refused call needed and which rule refused it.
//!
//! A [`Denial`] goes to the host's audit hook as it is, and its `Display` is the message
//! for people (the plugin's `denied` error, a log line). It never holds a secret value,
//! a path, a query, a topic, a kv key or a body: only the capability, the rule and a
//! bounded class of value (an egress origin, a well-formed secret name, byte counts, an
//! expiry time). The message repeats none of the values that came from the request (the
//! origin, the secret name): the typed fields carry them to the audit record.

use super::names;
use crate::egress::{NormalizedUrl, UrlError, UrlHost};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The kinds of capability, as manifests, denials and audit records name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum CapabilityKind {
    /// `events.subscribe`.
    Subscribe,
    /// `events.emit`.
    Emit,
    /// `http.egress`.
    Egress,
    /// `kv.quota`.
    KvQuota,
    /// `routes`.
    Routes,
    /// `jobs`.
    Jobs,
    /// `secrets`.
    Secrets,
    /// `fax.job_status`.
    FaxJobStatus,
}

impl CapabilityKind {
    /// The name used in manifests, denials and audit records.
    pub fn name(self) -> &'static str {
        match self {
            CapabilityKind::Subscribe => "events.subscribe",
            CapabilityKind::Emit => "events.emit",
            CapabilityKind::Egress => "http.egress",
            CapabilityKind::KvQuota => "kv.quota",
            CapabilityKind::Routes => "routes",
            CapabilityKind::Jobs => "jobs",
            CapabilityKind::Secrets => "secrets",
            CapabilityKind::FaxJobStatus => "fax.job_status",
        }
    }
}

impl fmt::Display for CapabilityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which rule refused a call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DenialRule {
    /// No grant covers the action (a route, a job, fax job status, kv without a quota).
    NotGranted,
    /// No granted subscription or emit pattern covers the topic (the topic is not kept:
    /// topics may carry identifiers).
    TopicNotGranted,
    /// An emitted topic outside `plugin.<own id>.`.
    OutsideOwnNamespace,
    /// No egress rule allows this origin. Only scheme, host and port are kept; the path
    /// and query may carry tokens.
    EgressNotAllowed {
        /// `https` or `http`.
        scheme: String,
        /// The normalised host.
        host: UrlHost,
        /// The port, explicit or the scheme's default.
        port: u16,
    },
    /// The request URL was refused before any rule was asked (ambiguous spellings,
    /// userinfo, fragments, ...).
    UrlRefused {
        /// What is wrong with it.
        problem: UrlError,
    },
    /// A secret placeholder in the URL's scheme, userinfo, host or port: a secret may never
    /// choose where a request goes.
    SecretInAuthority,
    /// The request names a secret that is not granted.
    SecretNotGranted {
        /// The name asked for, kept only when it is a well-formed secret name
        /// (upper-case letters, digits and `_`, at most 64): anything else the plugin
        /// wrote there is not repeated.
        name: Option<String>,
    },
    /// A kv write would take the plugin's data past its quota.
    KvQuota {
        /// Bytes the data would hold after the write.
        used: u64,
        /// The quota in force, bytes.
        quota: u64,
    },
    /// A grant covered the action, but it expired at this time.
    Expired {
        /// The latest expiry among the grants that would have allowed it, ms since the
        /// Unix epoch.
        at_ms: u64,
    },
    /// The grants in force belong to another plugin than the caller.
    GrantsOfAnotherPlugin,
    /// The method is not one a plugin may call with a capability.
    NoCapabilityCovers,
    /// The request body does not decode as the method's request.
    Undecodable,
}

impl DenialRule {
    /// [`DenialRule::EgressNotAllowed`] for the origin of `url`.
    pub fn egress_not_allowed(url: &NormalizedUrl) -> Self {
        DenialRule::EgressNotAllowed {
            scheme: url.scheme().to_owned(),
            host: url.host().clone(),
            port: url.port(),
        }
    }

    /// [`DenialRule::SecretNotGranted`] keeping `name` only if it is a well-formed secret
    /// name.
    pub fn secret_not_granted(name: &str) -> Self {
        DenialRule::SecretNotGranted {
            name: names::secret(name).ok().map(|()| name.to_owned()),
        }
    }

    /// The rule for a URL [`NormalizedUrl::parse_template`] refused.
    pub fn url_refused(problem: UrlError) -> Self {
        match problem {
            UrlError::SecretInAuthority => DenialRule::SecretInAuthority,
            problem => DenialRule::UrlRefused { problem },
        }
    }
}

impl fmt::Display for DenialRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DenialRule::NotGranted => f.write_str("no grant allows this"),
            DenialRule::TopicNotGranted => f.write_str("no granted pattern covers this topic"),
            DenialRule::OutsideOwnNamespace => {
                f.write_str("plugins may emit only topics under plugin.<own id>.")
            }
            // The origin is request data: the audit record has it, typed; people read
            // which capability and rule.
            DenialRule::EgressNotAllowed { .. } => f.write_str("no grant allows this"),
            DenialRule::UrlRefused { problem } => write!(f, "{problem}"),
            DenialRule::SecretInAuthority => write!(f, "{}", UrlError::SecretInAuthority),
            // The name is not repeated to people: the audit record has it, typed.
            DenialRule::SecretNotGranted { .. } => {
                f.write_str("the request names a secret that is not granted")
            }
            DenialRule::KvQuota { used, quota } => {
                write!(f, "{used} bytes would exceed the quota of {quota}")
            }
            DenialRule::Expired { at_ms } => write!(f, "the grant expired at {at_ms} ms"),
            DenialRule::GrantsOfAnotherPlugin => {
                f.write_str("the grants in force belong to another plugin")
            }
            DenialRule::NoCapabilityCovers => f.write_str("no capability covers this method"),
            DenialRule::Undecodable => {
                f.write_str("the request does not decode as this method's request")
            }
        }
    }
}

/// A refused plugin action: the capability it needed (none for a method no capability
/// covers) and the rule that refused it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct Denial {
    /// The capability the action needed.
    pub capability: Option<CapabilityKind>,
    /// Why it was refused.
    pub rule: DenialRule,
}

impl Denial {
    /// A denial of an action that needed `capability`.
    pub fn new(capability: CapabilityKind, rule: DenialRule) -> Self {
        Self {
            capability: Some(capability),
            rule,
        }
    }
}

impl DenialRule {
    /// A stable name of the rule, for audit records and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            DenialRule::NotGranted => "not_granted",
            DenialRule::TopicNotGranted => "topic_not_granted",
            DenialRule::OutsideOwnNamespace => "outside_own_namespace",
            DenialRule::EgressNotAllowed { .. } => "egress_not_allowed",
            DenialRule::UrlRefused { .. } => "url_refused",
            DenialRule::SecretInAuthority => "secret_in_authority",
            DenialRule::SecretNotGranted { .. } => "secret_not_granted",
            DenialRule::KvQuota { .. } => "kv_quota",
            DenialRule::Expired { .. } => "expired",
            DenialRule::GrantsOfAnotherPlugin => "grants_of_another_plugin",
            DenialRule::NoCapabilityCovers => "no_capability_covers",
            DenialRule::Undecodable => "undecodable",
        }
    }
}

impl Denial {
    /// The denial as structured audit details: the capability, the rule's code, the
    /// rule's own fields (origin, secret name, quota, expiry) and the sentence for people.
    /// Nothing here repeats a request value the rule did not keep on purpose.
    pub fn audit_details(&self) -> serde_json::Value {
        let mut details = serde_json::json!({
            "capability": self.capability.map(|c| c.to_string()),
            "rule": self.rule.code(),
            "reason": self.to_string(),
        });
        let extra = match &self.rule {
            DenialRule::EgressNotAllowed { scheme, host, port } => serde_json::json!({
                "scheme": scheme,
                "host": match host {
                    UrlHost::Domain(name) => name.clone(),
                    UrlHost::Ip(ip) => ip.to_string(),
                },
                "port": port,
            }),
            DenialRule::SecretNotGranted { name } => serde_json::json!({ "secret": name }),
            DenialRule::KvQuota { used, quota } => {
                serde_json::json!({ "used_bytes": used, "quota_bytes": quota })
            }
            DenialRule::Expired { at_ms } => serde_json::json!({ "expired_at_ms": at_ms }),
            DenialRule::UrlRefused { problem } => {
                serde_json::json!({ "problem": problem.to_string() })
            }
            _ => serde_json::Value::Null,
        };
        if let (Some(map), serde_json::Value::Object(extra)) = (details.as_object_mut(), extra) {
            map.extend(extra);
        }
        details
    }
}

impl fmt::Display for Denial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.capability {
            Some(capability) => write!(f, "{capability} denied: {}", self.rule),
            None => write!(f, "denied: {}", self.rule),
        }
    }
}
