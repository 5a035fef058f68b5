//! `event.emit`: a plugin's event, checked before it reaches the bus. The grant check has
//! already matched the topic against the plugin's granted patterns under `plugin.<id>.`;
//! here the payload is held to a shape the projection can redact (no bytes, bounded depth,
//! count and size), since a plugin's output is untrusted input. Redaction itself happens in
//! the projection, for every subscriber alike.

use faxbot_events::CustomFields;
use faxbot_plugin_abi::Value;

/// Limits on an emitted event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EmitLimits {
    /// Fields at the top level.
    pub max_fields: usize,
    /// Nesting of lists and maps.
    pub max_depth: usize,
    /// The fields as JSON, bytes.
    pub max_bytes: usize,
    /// Longest field name.
    pub max_key_len: usize,
}

impl Default for EmitLimits {
    fn default() -> Self {
        Self {
            max_fields: 64,
            max_depth: 8,
            max_bytes: 64 * 1024,
            max_key_len: 64,
        }
    }
}

/// Why an emitted event was refused; names fields, never their values.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EmitError {
    /// Too many fields.
    #[error("{count} fields; an event has at most {max}")]
    TooManyFields {
        /// How many.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A field name is empty, too long, or repeated.
    #[error("field name #{index} is empty, longer than {max} characters, or repeated")]
    BadKey {
        /// Its position.
        index: usize,
        /// The limit.
        max: usize,
    },
    /// Raw bytes cannot be redacted, so they cannot be published.
    #[error("field `{field}` holds bytes; events carry text, numbers, lists and maps only")]
    Bytes {
        /// The top-level field.
        field: String,
    },
    /// Nested deeper than allowed.
    #[error("field `{field}` nests deeper than {max} levels")]
    TooDeep {
        /// The top-level field.
        field: String,
        /// The limit.
        max: usize,
    },
    /// Larger than allowed.
    #[error("the event's fields are {size} bytes as JSON; at most {max}")]
    TooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        max: usize,
    },
}

/// The fields of an emitted event as the bus takes them, or why not.
pub fn check_fields(
    fields: Vec<(String, Value)>,
    limits: &EmitLimits,
) -> Result<CustomFields, EmitError> {
    if fields.len() > limits.max_fields {
        return Err(EmitError::TooManyFields {
            count: fields.len(),
            max: limits.max_fields,
        });
    }
    let mut out = CustomFields::new();
    for (index, (key, value)) in fields.into_iter().enumerate() {
        if key.is_empty() || key.chars().count() > limits.max_key_len || out.contains_key(&key) {
            return Err(EmitError::BadKey {
                index,
                max: limits.max_key_len,
            });
        }
        let json = to_json(value, 0, limits.max_depth).map_err(|problem| match problem {
            Problem::Bytes => EmitError::Bytes { field: key.clone() },
            Problem::Deep => EmitError::TooDeep {
                field: key.clone(),
                max: limits.max_depth,
            },
        })?;
        out.insert(key, json);
    }
    let size = serde_json::to_vec(&out)
        .map(|v| v.len())
        .unwrap_or(usize::MAX);
    if size > limits.max_bytes {
        return Err(EmitError::TooLarge {
            size,
            max: limits.max_bytes,
        });
    }
    Ok(out)
}

enum Problem {
    Bytes,
    Deep,
}

fn to_json(value: Value, depth: usize, max_depth: usize) -> Result<serde_json::Value, Problem> {
    if depth > max_depth {
        return Err(Problem::Deep);
    }
    Ok(match value {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(b),
        Value::Int(i) => serde_json::Value::from(i),
        Value::Float(f) => serde_json::Number::from_f64(f)
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null),
        Value::Text(s) => serde_json::Value::String(s),
        Value::Bytes(_) => return Err(Problem::Bytes),
        Value::List(items) => serde_json::Value::Array(
            items
                .into_iter()
                .map(|v| to_json(v, depth + 1, max_depth))
                .collect::<Result<_, _>>()?,
        ),
        Value::Map(entries) => {
            let mut map = serde_json::Map::new();
            for (k, v) in entries {
                map.insert(k, to_json(v, depth + 1, max_depth)?);
            }
            serde_json::Value::Object(map)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_fields_pass_as_json() {
        let fields = check_fields(
            vec![
                ("count".into(), Value::Int(3)),
                ("ok".into(), Value::Bool(true)),
                (
                    "tags".into(),
                    Value::List(vec![Value::Text("a".into()), Value::Float(f64::NAN)]),
                ),
            ],
            &EmitLimits::default(),
        )
        .expect("valid");
        assert_eq!(
            serde_json::Value::Object(fields),
            serde_json::json!({"count": 3, "ok": true, "tags": ["a", null]})
        );
    }

    #[test]
    fn bytes_depth_size_and_keys_are_refused_naming_the_field_not_the_value() {
        let limits = EmitLimits {
            max_fields: 2,
            max_depth: 2,
            max_bytes: 40,
            max_key_len: 8,
        };
        let secret = "078-05-1120";
        let err = check_fields(
            vec![("blob".into(), Value::Bytes(secret.as_bytes().to_vec()))],
            &limits,
        )
        .expect_err("bytes");
        assert_eq!(
            err,
            EmitError::Bytes {
                field: "blob".into()
            }
        );
        let deep = Value::List(vec![Value::List(vec![Value::List(vec![Value::Null])])]);
        assert!(matches!(
            check_fields(vec![("d".into(), deep)], &limits),
            Err(EmitError::TooDeep { .. })
        ));
        let big = check_fields(
            vec![(
                "t".into(),
                Value::Text(format!("{secret}{}", "x".repeat(40))),
            )],
            &limits,
        )
        .expect_err("too large");
        assert!(!big.to_string().contains(secret));
        assert!(matches!(
            check_fields(
                vec![("a".into(), Value::Null), ("a".into(), Value::Null)],
                &limits
            ),
            Err(EmitError::BadKey { index: 1, .. })
        ));
        assert!(matches!(
            check_fields(vec![("a".into(), Value::Null); 3], &limits),
            Err(EmitError::TooManyFields { count: 3, max: 2 })
        ));
    }
}
