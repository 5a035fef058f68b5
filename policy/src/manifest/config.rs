//! The `[config]` table: settings an admin sets for a plugin, and their validation.

use super::fields::{Fields, Problems, join};
use super::{FieldError, ManifestErrors};
use faxbot_plugin_abi::Value as AbiValue;
use std::collections::BTreeMap;
use toml::{Table, Value};

const MAX_FIELDS: usize = 64;
const MAX_STRING: usize = 4096;

/// The type of one setting.
#[derive(Clone, Debug, PartialEq)]
pub enum ConfigKind {
    /// Text, at most `max_length` characters.
    String {
        /// Longest value accepted.
        max_length: usize,
    },
    /// An integer within bounds.
    Integer {
        /// Smallest value accepted.
        min: i64,
        /// Largest value accepted.
        max: i64,
    },
    /// true or false.
    Boolean,
    /// One of a fixed list of strings.
    Choice {
        /// The allowed values.
        choices: Vec<String>,
    },
    /// A list of strings.
    StringList {
        /// Most entries accepted.
        max_items: usize,
        /// Longest entry accepted.
        max_length: usize,
    },
}

/// One admin-set setting.
#[derive(Clone, Debug, PartialEq)]
pub struct ConfigField {
    /// Its type and bounds.
    pub kind: ConfigKind,
    /// Whether the admin must set it (when it has no default).
    pub required: bool,
    /// The value used when the admin sets none.
    pub default: Option<AbiValue>,
    /// What it is for.
    pub description: String,
}

/// Every setting, by key.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ConfigSchema(pub BTreeMap<String, ConfigField>);

fn key_ok(k: &str) -> bool {
    (1..=64).contains(&k.len())
        && k.as_bytes()[0].is_ascii_lowercase()
        && k.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn usize_of(f: &mut Fields<'_>, key: &str, default: usize, max: usize) -> usize {
    match f.integer(key) {
        None => default,
        Some(n) => match usize::try_from(n) {
            Ok(v) if (1..=max).contains(&v) => v,
            _ => {
                let p = f.path(key);
                f.problems().push(p, format!("must be between 1 and {max}"));
                default
            }
        },
    }
}

pub(super) fn parse_schema(table: Table, problems: &mut Problems) -> ConfigSchema {
    let mut out = BTreeMap::new();
    if table.len() > MAX_FIELDS {
        problems.push(
            "config",
            format!("has {} settings; at most {MAX_FIELDS}", table.len()),
        );
        return ConfigSchema(out);
    }
    for (key, value) in table {
        let path = join("config", &key);
        if !key_ok(&key) {
            problems.push(
                path,
                "a setting name must be 1-64 of a-z, 0-9, `_`, starting with a letter",
            );
            continue;
        }
        let Value::Table(t) = value else {
            problems.push(path, "must be a table with at least `type`");
            continue;
        };
        if let Some(field) = parse_field(&path, t, problems) {
            out.insert(key, field);
        }
    }
    ConfigSchema(out)
}

fn parse_field(path: &str, t: Table, problems: &mut Problems) -> Option<ConfigField> {
    let before = problems.0.len();
    let mut f = Fields::new(path, t, problems);
    let type_name = f.string("type", true);
    let required = f.boolean("required", false);
    let description = f.string("description", false).unwrap_or_default();
    let kind = match type_name.as_deref() {
        Some("string") => ConfigKind::String {
            max_length: usize_of(&mut f, "max_length", 256, MAX_STRING),
        },
        Some("integer") => {
            let min = f.integer("min").unwrap_or(i64::MIN);
            let max = f.integer("max").unwrap_or(i64::MAX);
            if min > max {
                let p = f.path("min");
                f.problems()
                    .push(p, format!("{min} is greater than max {max}"));
            }
            ConfigKind::Integer { min, max }
        }
        Some("boolean") => ConfigKind::Boolean,
        Some("choice") => {
            let choices: Vec<String> = f
                .strings("choices", 64)
                .into_iter()
                .map(|(_, s)| s)
                .collect();
            if choices.is_empty() {
                let p = f.path("choices");
                f.problems()
                    .push(p, "a choice setting needs at least one choice");
            }
            ConfigKind::Choice { choices }
        }
        Some("string_list") => ConfigKind::StringList {
            max_items: usize_of(&mut f, "max_items", 16, 256),
            max_length: usize_of(&mut f, "max_length", 256, MAX_STRING),
        },
        Some(other) => {
            let p = f.path("type");
            f.problems().push(
                p,
                format!("`{other}` is not a setting type (string, integer, boolean, choice, string_list)"),
            );
            ConfigKind::Boolean
        }
        None => ConfigKind::Boolean,
    };
    let default = f.take("default").map(|v| (v, f.path("default")));
    f.finish();
    let default = match default {
        None => None,
        Some((v, p)) => match convert(&kind, &v) {
            Ok(v) => Some(v),
            Err(why) => {
                problems.push(p, why);
                None
            }
        },
    };
    (problems.0.len() == before).then_some(ConfigField {
        kind,
        required,
        default,
        description,
    })
}

fn convert(kind: &ConfigKind, v: &Value) -> Result<AbiValue, String> {
    match (kind, v) {
        (ConfigKind::String { max_length }, Value::String(s)) => string(s, *max_length),
        (ConfigKind::Integer { min, max }, Value::Integer(n)) => integer(*n, *min, *max),
        (ConfigKind::Boolean, Value::Boolean(b)) => Ok(AbiValue::Bool(*b)),
        (ConfigKind::Choice { choices }, Value::String(s)) => choice(s, choices),
        (
            ConfigKind::StringList {
                max_items,
                max_length,
            },
            Value::Array(items),
        ) => {
            let texts: Option<Vec<&str>> = items.iter().map(|i| i.as_str()).collect();
            let texts = texts.ok_or("every entry must be a string")?;
            string_list(&texts, *max_items, *max_length)
        }
        _ => Err(format!("must be {}", kind_words(kind))),
    }
}

fn kind_words(kind: &ConfigKind) -> &'static str {
    match kind {
        ConfigKind::String { .. } => "a string",
        ConfigKind::Integer { .. } => "an integer",
        ConfigKind::Boolean => "true or false",
        ConfigKind::Choice { .. } => "one of the listed choices",
        ConfigKind::StringList { .. } => "a list of strings",
    }
}

fn string(s: &str, max_length: usize) -> Result<AbiValue, String> {
    if s.chars().count() > max_length {
        return Err(format!("is longer than {max_length} characters"));
    }
    if s.chars().any(char::is_control) {
        return Err("contains control characters".into());
    }
    Ok(AbiValue::Text(s.to_string()))
}

fn integer(n: i64, min: i64, max: i64) -> Result<AbiValue, String> {
    if n < min || n > max {
        return Err(format!("{n} is outside {min} to {max}"));
    }
    Ok(AbiValue::Int(n))
}

fn choice(s: &str, choices: &[String]) -> Result<AbiValue, String> {
    if choices.iter().any(|c| c == s) {
        Ok(AbiValue::Text(s.to_string()))
    } else {
        Err(format!("must be one of {}", choices.join(", ")))
    }
}

fn string_list(items: &[&str], max_items: usize, max_length: usize) -> Result<AbiValue, String> {
    if items.len() > max_items {
        return Err(format!("has {} entries; at most {max_items}", items.len()));
    }
    let mut out = Vec::with_capacity(items.len());
    for (i, s) in items.iter().enumerate() {
        out.push(string(s, max_length).map_err(|why| format!("entry {i} {why}"))?);
    }
    Ok(AbiValue::List(out))
}

impl ConfigSchema {
    /// Checks admin-set values against the schema and returns the full configuration for
    /// the handshake: every set value, every default, in key order. Unknown keys, missing
    /// required settings and values of the wrong type or out of bounds are all reported.
    /// Error messages name the setting, never its value (it may be sensitive).
    pub fn validate(
        &self,
        values: &[(String, AbiValue)],
    ) -> Result<Vec<(String, AbiValue)>, ManifestErrors> {
        let mut problems = Vec::new();
        let mut given: BTreeMap<&str, &AbiValue> = BTreeMap::new();
        for (key, value) in values {
            let path = join("config", key);
            if !self.0.contains_key(key) {
                problems.push(FieldError {
                    path,
                    reason: "is not a setting of this plugin".into(),
                });
            } else if given.insert(key, value).is_some() {
                problems.push(FieldError {
                    path,
                    reason: "is set twice".into(),
                });
            }
        }
        let mut out = Vec::new();
        for (key, field) in &self.0 {
            let path = join("config", key);
            match (given.get(key.as_str()), &field.default) {
                (Some(v), _) => match check_value(&field.kind, v) {
                    Ok(()) => out.push((key.clone(), (*v).clone())),
                    Err(reason) => problems.push(FieldError { path, reason }),
                },
                (None, Some(d)) => out.push((key.clone(), d.clone())),
                (None, None) if field.required => {
                    problems.push(FieldError {
                        path,
                        reason: "is required".into(),
                    });
                }
                (None, None) => {}
            }
        }
        if problems.is_empty() {
            Ok(out)
        } else {
            Err(ManifestErrors(problems))
        }
    }
}

fn check_value(kind: &ConfigKind, v: &AbiValue) -> Result<(), String> {
    match (kind, v) {
        (ConfigKind::String { max_length }, AbiValue::Text(s)) => string(s, *max_length).map(drop),
        (ConfigKind::Integer { min, max }, AbiValue::Int(n)) => integer(*n, *min, *max).map(drop),
        (ConfigKind::Boolean, AbiValue::Bool(_)) => Ok(()),
        (ConfigKind::Choice { choices }, AbiValue::Text(s)) => choice(s, choices).map(drop),
        (
            ConfigKind::StringList {
                max_items,
                max_length,
            },
            AbiValue::List(items),
        ) => {
            let texts: Option<Vec<&str>> = items
                .iter()
                .map(|i| match i {
                    AbiValue::Text(s) => Some(s.as_str()),
                    _ => None,
                })
                .collect();
            let texts = texts.ok_or("every entry must be a string")?;
            string_list(&texts, *max_items, *max_length).map(drop)
        }
        _ => Err(format!("must be {}", kind_words(kind))),
    }
}
