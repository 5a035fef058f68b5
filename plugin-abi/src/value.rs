//! A small self-contained value type for plugin configuration and plugin-emitted event
//! fields, with a nesting limit enforced while decoding (a deeply nested list in a 1 MiB
//! frame would otherwise overflow the decoder's stack).

use crate::codec::DepthOr;
use serde::{Deserialize, Deserializer, Serialize};
use std::cell::Cell;

/// Deepest nesting of [`Value`]s a decoder accepts.
pub const MAX_VALUE_DEPTH: usize = 32;

/// A configuration or event-field value.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Value {
    /// No value.
    Null,
    /// A boolean.
    Bool(bool),
    /// A signed integer.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// UTF-8 text.
    Text(String),
    /// Raw bytes.
    Bytes(#[serde(with = "serde_bytes")] Vec<u8>),
    /// An ordered list.
    List(Vec<Value>),
    /// Ordered key/value pairs (keys unique by convention; the first wins).
    Map(Vec<(String, Value)>),
}

impl Value {
    /// The text, if this is `Text`.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::Text(s) => Some(s),
            _ => None,
        }
    }

    /// The integer, if this is `Int`.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Self::Int(n) => Some(*n),
            _ => None,
        }
    }

    /// The boolean, if this is `Bool`.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Self::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// Looks a key up in a `Map`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Self::Map(pairs) => pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Self::Text(s.to_owned())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Self::Text(s)
    }
}
impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Self::Int(n)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Self::Bool(b)
    }
}

/// Looks a key up in a list of pairs (config, event fields).
pub fn lookup<'a>(pairs: &'a [(String, Value)], key: &str) -> Option<&'a Value> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

#[derive(Deserialize)]
#[serde(rename = "Value")]
enum ValueRepr {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
    Bytes(#[serde(with = "serde_bytes")] Vec<u8>),
    List(Vec<Value>),
    Map(Vec<(String, Value)>),
}

thread_local! {
    static DEPTH: Cell<usize> = const { Cell::new(0) };
    static TRIPPED: Cell<bool> = const { Cell::new(false) };
}

struct DepthGuard;

impl DepthGuard {
    fn enter() -> Option<Self> {
        DEPTH.with(|d| {
            if d.get() >= MAX_VALUE_DEPTH {
                TRIPPED.with(|t| t.set(true));
                None
            } else {
                d.set(d.get() + 1);
                Some(DepthGuard)
            }
        })
    }
}

impl Drop for DepthGuard {
    fn drop(&mut self) {
        DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let Some(_guard) = DepthGuard::enter() else {
            return Err(serde::de::Error::custom("value nested too deeply"));
        };
        Ok(match ValueRepr::deserialize(d)? {
            ValueRepr::Null => Value::Null,
            ValueRepr::Bool(b) => Value::Bool(b),
            ValueRepr::Int(n) => Value::Int(n),
            ValueRepr::Float(x) => Value::Float(x),
            ValueRepr::Text(s) => Value::Text(s),
            ValueRepr::Bytes(b) => Value::Bytes(b),
            ValueRepr::List(l) => Value::List(l),
            ValueRepr::Map(m) => Value::Map(m),
        })
    }
}

/// Runs a postcard decode with a fresh nesting counter and tells a tripped nesting limit
/// apart from other decode failures.
pub(crate) fn with_depth_limit<T>(
    decode: impl FnOnce() -> Result<T, postcard::Error>,
) -> Result<T, DepthOr> {
    DEPTH.with(|d| d.set(0));
    TRIPPED.with(|t| t.set(false));
    let result = decode();
    let tripped = TRIPPED.with(|t| t.replace(false));
    match result {
        Ok(v) => Ok(v),
        Err(_) if tripped => Err(DepthOr::TooDeep(MAX_VALUE_DEPTH)),
        Err(e) => Err(DepthOr::Postcard(e)),
    }
}

#[cfg(test)]
pub(crate) mod strategy {
    use super::Value;
    use proptest::prelude::*;

    /// Values nested a few levels, for round-trip properties.
    pub fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::Int),
            any::<f64>().prop_map(Value::Float),
            ".{0,12}".prop_map(Value::Text),
            proptest::collection::vec(any::<u8>(), 0..16).prop_map(Value::Bytes),
        ];
        leaf.prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::List),
                proptest::collection::vec((".{0,6}", inner), 0..4).prop_map(Value::Map),
            ]
        })
    }

    /// Named values, as in configs and event fields.
    pub fn fields() -> impl Strategy<Value = Vec<(String, Value)>> {
        proptest::collection::vec(("[a-z_]{1,8}", value()), 0..4)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec;
    use crate::error::DecodeError;

    fn nested(depth: usize) -> Value {
        let mut v = Value::Null;
        for _ in 0..depth {
            v = Value::List(vec![v]);
        }
        v
    }

    #[test]
    fn value_at_the_nesting_limit_decodes() {
        let v = nested(MAX_VALUE_DEPTH - 1);
        let bytes = codec::encode("Value", &v, 1 << 20).expect("encode");
        assert_eq!(codec::decode::<Value>("Value", &bytes).expect("decode"), v);
    }

    #[test]
    fn deeply_nested_value_is_refused_without_overflowing_the_stack() {
        // 200k levels of `List([..])` is 2 bytes per level: well inside one frame.
        let mut bytes = Vec::new();
        for _ in 0..200_000 {
            bytes.extend_from_slice(&[6, 1]);
        }
        bytes.push(0);
        let err = codec::decode::<Value>("Value", &bytes).unwrap_err();
        assert_eq!(
            err,
            DecodeError::TooDeep {
                max: MAX_VALUE_DEPTH
            }
        );
    }

    #[test]
    fn depth_counter_resets_between_decodes() {
        let v = nested(MAX_VALUE_DEPTH - 1);
        let bytes = codec::encode("Value", &v, 1 << 20).expect("encode");
        for _ in 0..3 {
            codec::decode::<Value>("Value", &bytes).expect("decode");
        }
    }
}
