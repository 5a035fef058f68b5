//! Walking a TOML table while collecting every problem with its field path.

use super::{FieldError, ManifestErrors};
use toml::{Table, Value};

/// Collects problems as a TOML document is read, so a manifest's author sees them all.
#[derive(Default)]
pub(crate) struct Problems(pub(crate) Vec<FieldError>);

impl Problems {
    pub(crate) fn push(&mut self, path: impl Into<String>, reason: impl Into<String>) {
        self.0.push(FieldError {
            path: path.into(),
            reason: reason.into(),
        });
    }

    pub(crate) fn into_result<T>(self, value: T) -> Result<T, ManifestErrors> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(ManifestErrors(self.0))
        }
    }
}

/// A table being read: takes known keys out and reports the ones left as unknown.
pub(crate) struct Fields<'a> {
    prefix: String,
    table: Table,
    problems: &'a mut Problems,
}

pub(crate) fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "a string",
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a float",
        Value::Boolean(_) => "a boolean",
        Value::Datetime(_) => "a datetime",
        Value::Array(_) => "an array",
        Value::Table(_) => "a table",
    }
}

impl<'a> Fields<'a> {
    pub(crate) fn new(prefix: &str, table: Table, problems: &'a mut Problems) -> Self {
        Self {
            prefix: prefix.to_string(),
            table,
            problems,
        }
    }

    pub(crate) fn path(&self, key: &str) -> String {
        join(&self.prefix, key)
    }

    pub(crate) fn problems(&mut self) -> &mut Problems {
        self.problems
    }

    pub(crate) fn take(&mut self, key: &str) -> Option<Value> {
        self.table.remove(key)
    }

    fn wrong_type(&mut self, key: &str, want: &str, got: &Value) {
        let path = self.path(key);
        let got = type_name(got);
        self.problems
            .push(path, format!("must be {want}, not {got}"));
    }

    pub(crate) fn string(&mut self, key: &str, required: bool) -> Option<String> {
        match self.take(key) {
            Some(Value::String(s)) => Some(s),
            Some(other) => {
                self.wrong_type(key, "a string", &other);
                None
            }
            None => {
                if required {
                    let path = self.path(key);
                    self.problems.push(path, "is required");
                }
                None
            }
        }
    }

    pub(crate) fn boolean(&mut self, key: &str, default: bool) -> bool {
        match self.take(key) {
            Some(Value::Boolean(b)) => b,
            Some(other) => {
                self.wrong_type(key, "true or false", &other);
                default
            }
            None => default,
        }
    }

    pub(crate) fn integer(&mut self, key: &str) -> Option<i64> {
        match self.take(key) {
            Some(Value::Integer(i)) => Some(i),
            Some(other) => {
                self.wrong_type(key, "an integer", &other);
                None
            }
            None => None,
        }
    }

    pub(crate) fn table(&mut self, key: &str) -> Option<Table> {
        match self.take(key) {
            Some(Value::Table(t)) => Some(t),
            Some(other) => {
                self.wrong_type(key, "a table", &other);
                None
            }
            None => None,
        }
    }

    pub(crate) fn array(&mut self, key: &str) -> Vec<Value> {
        match self.take(key) {
            Some(Value::Array(a)) => a,
            Some(other) => {
                self.wrong_type(key, "an array", &other);
                Vec::new()
            }
            None => Vec::new(),
        }
    }

    /// An array of strings: each element's problems are reported with its index.
    pub(crate) fn strings(&mut self, key: &str, max: usize) -> Vec<(String, String)> {
        let items = self.array(key);
        let base = self.path(key);
        if items.len() > max {
            self.problems.push(
                base.clone(),
                format!("has {} entries; at most {max} are allowed", items.len()),
            );
        }
        let mut out = Vec::new();
        for (i, item) in items.into_iter().enumerate().take(max) {
            let path = format!("{base}[{i}]");
            match item {
                Value::String(s) => out.push((path, s)),
                other => {
                    let got = type_name(&other);
                    self.problems
                        .push(path, format!("must be a string, not {got}"));
                }
            }
        }
        out
    }

    /// Reports every key nobody asked for: a typo must not silently drop a setting.
    pub(crate) fn finish(self) {
        for key in self.table.keys() {
            self.problems
                .push(join(&self.prefix, key), "is not a known field");
        }
    }
}
