//! The admin's settings for this plugin, as the host's Welcome carried them (already
//! validated by the host against the manifest's `[config]` schema).

use crate::error::Error;
use faxbot_plugin_abi::Value;

/// Admin-set configuration: named values.
///
/// ```
/// use faxbot_sdk::{Config, Value};
///
/// let config = Config::new(vec![
///     ("channel".into(), Value::from("#faxes")),
///     ("max_retries".into(), Value::Int(5)),
/// ]);
/// assert_eq!(config.str("channel"), Some("#faxes"));
/// assert_eq!(config.int_or("max_retries", 3), 5);
/// assert_eq!(config.int_or("missing", 3), 3);
/// assert!(config.require_str("webhook_secret").is_err());
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Config(Vec<(String, Value)>);

impl Config {
    /// Configuration from name/value pairs.
    pub fn new(pairs: Vec<(String, Value)>) -> Self {
        Self(pairs)
    }

    /// The value of `key`, if set.
    pub fn get(&self, key: &str) -> Option<&Value> {
        faxbot_plugin_abi::value::lookup(&self.0, key)
    }

    /// The text value of `key`, if set and text.
    pub fn str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Value::as_str)
    }

    /// The integer value of `key`, if set and an integer.
    pub fn int(&self, key: &str) -> Option<i64> {
        self.get(key).and_then(Value::as_i64)
    }

    /// The boolean value of `key`, if set and a boolean.
    pub fn bool(&self, key: &str) -> Option<bool> {
        self.get(key).and_then(Value::as_bool)
    }

    /// The integer value of `key`, or `default` when it is not set.
    pub fn int_or(&self, key: &str, default: i64) -> i64 {
        self.int(key).unwrap_or(default)
    }

    /// The text value of `key`, or an [`Error::Invalid`] naming the key.
    pub fn require_str(&self, key: &str) -> Result<&str, Error> {
        match self.get(key) {
            Some(Value::Text(s)) => Ok(s),
            Some(_) => Err(Error::invalid(format!("config {key}: expected text"))),
            None => Err(Error::invalid(format!("config {key}: not set"))),
        }
    }

    /// Every pair, in the order the host sent them.
    pub fn pairs(&self) -> &[(String, Value)] {
        &self.0
    }
}
