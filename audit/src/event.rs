//! What a caller hands the trail: an [`AuditEvent`] — who ([`Actor`]) did what ([`Action`]) to
//! what ([`Target`]) for which tenant, with which [`Outcome`], under which correlation id, plus
//! structured details.
//!
//! Every field but `details` is an identifier with a narrow character set, checked on
//! construction, so free text (and with it PHI) cannot ride in through them. `details` is free
//! JSON and passes the redactor before it is written. Validation errors never echo the value:
//! it might be the very PHI the rule keeps out.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A field of an event that breaks its rule. The value itself is not echoed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "audit event field `{field}`: {rule} (value of {len} bytes not shown: it may hold PHI{at})",
    at = match .position { Some(p) => format!("; first bad byte at {p}"), None => String::new() }
)]
pub struct FieldError {
    /// The field's name.
    pub field: &'static str,
    /// The rule it breaks.
    pub rule: &'static str,
    /// The value's length in bytes.
    pub len: usize,
    /// The first offending byte, when one byte is to blame.
    pub position: Option<usize>,
}

/// Checks `value` against a charset and length; the shared rule of every identifier field.
fn check_ident(
    field: &'static str,
    value: &str,
    max: usize,
    allowed: fn(u8) -> bool,
    rule: &'static str,
) -> Result<(), FieldError> {
    let fail = |rule, position| FieldError {
        field,
        rule,
        len: value.len(),
        position,
    };
    if value.is_empty() {
        return Err(fail("must not be empty", None));
    }
    if value.len() > max {
        return Err(fail("is too long", None));
    }
    if let Some(p) = value.bytes().position(|b| !allowed(b)) {
        return Err(fail(rule, Some(p)));
    }
    Ok(())
}

fn id_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')
}

fn action_byte(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.')
}

fn correlation_byte(b: u8) -> bool {
    id_byte(b) || b == b':'
}

macro_rules! ident_type {
    ($(#[$doc:meta])* $name:ident, $field:literal, $max:expr, $allowed:path, $rule:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Checks the value against the field's rule.
            pub fn new(value: impl Into<String>) -> Result<Self, FieldError> {
                let value = value.into();
                check_ident($field, &value, $max, $allowed, $rule)?;
                Ok(Self(value))
            }

            /// The identifier as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl FromStr for $name {
            type Err = FieldError;
            fn from_str(s: &str) -> Result<Self, FieldError> {
                Self::new(s)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                Self::new(text).map_err(serde::de::Error::custom)
            }
        }
    };
}

ident_type!(
    /// A tenant id: 1–64 of `A-Z a-z 0-9 - _ .`.
    TenantId, "tenant", 64, id_byte, "only letters, digits, '-', '_' and '.' are allowed"
);
ident_type!(
    /// What happened, as a dotted lowercase name: `plugin.install.approved`,
    /// `capability.http.fetch`, `audit.tail_repaired`. 1–96 of `a-z 0-9 - _ .`.
    Action, "action", 96, action_byte, "only lowercase letters, digits, '-', '_' and '.' are allowed"
);
ident_type!(
    /// A correlation id tying records of one request or job together: 1–128 of
    /// `A-Z a-z 0-9 - _ . :`.
    CorrelationId, "correlation_id", 128, correlation_byte,
    "only letters, digits, '-', '_', '.' and ':' are allowed"
);

/// Who did it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Actor {
    /// A client authenticated by an API key; holds the key's id, never the key.
    ApiKey(String),
    /// The core itself (start-up, repair, scheduled work).
    System,
    /// A plugin, by its id.
    Plugin(String),
}

impl Actor {
    /// An API key's id (1–128 of `A-Z a-z 0-9 - _ .`).
    pub fn api_key(id: impl Into<String>) -> Result<Self, FieldError> {
        let id = id.into();
        check_ident(
            "actor",
            &id,
            128,
            id_byte,
            "only letters, digits, '-', '_' and '.' are allowed",
        )?;
        Ok(Self::ApiKey(id))
    }

    /// A plugin's id (1–128 of `A-Z a-z 0-9 - _ .`).
    pub fn plugin(id: impl Into<String>) -> Result<Self, FieldError> {
        let id = id.into();
        check_ident(
            "actor",
            &id,
            128,
            id_byte,
            "only letters, digits, '-', '_' and '.' are allowed",
        )?;
        Ok(Self::Plugin(id))
    }
}

impl Actor {
    /// Checks the id of an actor built directly from its variant (the constructors check
    /// already); the trail calls this before writing, so an unchecked id never reaches disk.
    pub fn validate(&self) -> Result<(), FieldError> {
        match self {
            Actor::System => Ok(()),
            Actor::ApiKey(id) | Actor::Plugin(id) => check_ident(
                "actor",
                id,
                128,
                id_byte,
                "only letters, digits, '-', '_' and '.' are allowed",
            ),
        }
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::ApiKey(id) => write!(f, "api_key:{id}"),
            Actor::System => f.write_str("system"),
            Actor::Plugin(id) => write!(f, "plugin:{id}"),
        }
    }
}

impl FromStr for Actor {
    type Err = FieldError;

    /// Parses `system`, `api_key:<id>` or `plugin:<id>`.
    fn from_str(s: &str) -> Result<Self, FieldError> {
        if s == "system" {
            return Ok(Actor::System);
        }
        match s.split_once(':') {
            Some(("api_key", id)) => Actor::api_key(id),
            Some(("plugin", id)) => Actor::plugin(id),
            _ => Err(FieldError {
                field: "actor",
                rule: "must be `system`, `api_key:<id>` or `plugin:<id>`",
                len: s.len(),
                position: None,
            }),
        }
    }
}

impl Serialize for Actor {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Actor {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// What the action was done to, as `kind:id` — `plugin:com.example.slack`, `fax_job:J-1042`,
/// `api_key:k_77`, `trail:audit`. Kind: 1–32 of `a-z 0-9 _`; id: 1–128 of
/// `A-Z a-z 0-9 - _ . : / @`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Target {
    kind: String,
    id: String,
}

fn target_kind_byte(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'
}

fn target_id_byte(b: u8) -> bool {
    id_byte(b) || matches!(b, b':' | b'/' | b'@')
}

impl Target {
    /// A target of the given kind and id.
    pub fn new(kind: impl Into<String>, id: impl Into<String>) -> Result<Self, FieldError> {
        let (kind, id) = (kind.into(), id.into());
        check_ident(
            "target",
            &kind,
            32,
            target_kind_byte,
            "kind: only a-z, 0-9 and '_' are allowed",
        )?;
        check_ident(
            "target",
            &id,
            128,
            target_id_byte,
            "id: only letters, digits, '-', '_', '.', ':', '/' and '@' are allowed",
        )?;
        Ok(Self { kind, id })
    }

    /// A plugin as the target.
    pub fn plugin(id: impl Into<String>) -> Result<Self, FieldError> {
        Self::new("plugin", id)
    }

    /// The target's kind (`plugin`, `fax_job`, …).
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The target's id within its kind.
    pub fn id(&self) -> &str {
        &self.id
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind, self.id)
    }
}

impl FromStr for Target {
    type Err = FieldError;

    fn from_str(s: &str) -> Result<Self, FieldError> {
        match s.split_once(':') {
            Some((kind, id)) => Target::new(kind, id),
            None => Err(FieldError {
                field: "target",
                rule: "must be `<kind>:<id>`",
                len: s.len(),
                position: None,
            }),
        }
    }
}

impl Serialize for Target {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Target {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// How it ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Allowed and done (or, recorded before acting, allowed and about to be done).
    Success,
    /// Refused by policy: a missing grant, a failed check, an unapproved plugin.
    Denied,
    /// Attempted and failed for a reason other than policy.
    Failed,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Outcome::Success => "success",
            Outcome::Denied => "denied",
            Outcome::Failed => "failed",
        })
    }
}

impl FromStr for Outcome {
    type Err = FieldError;

    fn from_str(s: &str) -> Result<Self, FieldError> {
        match s {
            "success" => Ok(Outcome::Success),
            "denied" => Ok(Outcome::Denied),
            "failed" => Ok(Outcome::Failed),
            _ => Err(FieldError {
                field: "outcome",
                rule: "must be `success`, `denied` or `failed`",
                len: s.len(),
                position: None,
            }),
        }
    }
}

/// One thing to record. Build it with [`AuditEvent::new`] and the `with_*` methods; the trail
/// adds the sequence number, time and chain MAC when it commits.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditEvent {
    /// Who did it.
    pub actor: Actor,
    /// On whose behalf (the tenant whose data or configuration is concerned).
    pub tenant: Option<TenantId>,
    /// What happened.
    pub action: Action,
    /// What it was done to.
    pub target: Option<Target>,
    /// How it ended.
    pub outcome: Outcome,
    /// Ties records of one request or job together.
    pub correlation_id: Option<CorrelationId>,
    /// Structured details; redacted before they are written. `Null` when there are none.
    pub details: serde_json::Value,
}

impl AuditEvent {
    /// An event with no tenant, target, correlation id or details.
    pub fn new(actor: Actor, action: Action, outcome: Outcome) -> Self {
        Self {
            actor,
            tenant: None,
            action,
            target: None,
            outcome,
            correlation_id: None,
            details: serde_json::Value::Null,
        }
    }

    /// Sets the tenant.
    pub fn with_tenant(mut self, tenant: TenantId) -> Self {
        self.tenant = Some(tenant);
        self
    }

    /// Sets the target.
    pub fn with_target(mut self, target: Target) -> Self {
        self.target = Some(target);
        self
    }

    /// Sets the correlation id.
    pub fn with_correlation_id(mut self, id: CorrelationId) -> Self {
        self.correlation_id = Some(id);
        self
    }

    /// Sets the structured details (they pass the redactor before they are written).
    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_refuse_free_text_without_echoing_it() {
        let err = TenantId::new("Jane Doe 555-12-3456").expect_err("spaces are refused");
        let text = err.to_string();
        assert!(text.contains("tenant"), "{text}");
        assert!(!text.contains("Jane"), "{text}");
        assert!(!text.contains("3456"), "{text}");
        assert!(Action::new("Plugin.Install").is_err());
        assert!(Action::new("plugin.install.approved").is_ok());
        assert!(Target::new("fax_job", "J-1042").is_ok());
        assert!(Target::new("fax job", "J-1042").is_err());
    }

    #[test]
    fn actors_and_targets_round_trip_through_text() {
        for actor in [
            Actor::System,
            Actor::api_key("k_77").expect("id"),
            Actor::plugin("com.example.slack").expect("id"),
        ] {
            assert_eq!(actor.to_string().parse::<Actor>(), Ok(actor));
        }
        let target = Target::plugin("com.example.slack").expect("id");
        assert_eq!(target.to_string(), "plugin:com.example.slack");
        assert_eq!(target.to_string().parse::<Target>(), Ok(target));
        assert!("root".parse::<Actor>().is_err());
    }
}
