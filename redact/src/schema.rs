//! The structured layer's declarations: for one record type, what each field is.

use std::collections::HashMap;

use crate::PhiKind;

/// What to do with one field of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldRule {
    /// Not PHI by construction (a status, a count, an enum): kept as it is, subtree and all.
    Keep,
    /// Removed from the record.
    Drop,
    /// Every scalar in it replaced by a keyed token `[KIND:tok_…]`, stable per tenant and
    /// value.
    Pseudonymise(PhiKind),
    /// Strings (and numbers) pass the free-text detector; objects and arrays are walked.
    FreeText,
}

/// The field rules of one record or event type. Fields are named by their dotted path from
/// the root (`contact.email`; array elements share their array's path), or by `*.key` for a
/// key at any depth. A field no rule names is [`FieldRule::FreeText`]: unknown fields are
/// searched, never trusted.
#[derive(Debug, Clone)]
pub struct RecordSchema {
    name: String,
    rules: HashMap<String, FieldRule>,
}

impl RecordSchema {
    /// A schema with no field rules: everything is free text.
    pub fn new(name: impl Into<String>) -> Self {
        RecordSchema {
            name: name.into(),
            rules: HashMap::new(),
        }
    }

    /// Adds a rule for `path` (`a.b.c`, or `*.key` for `key` at any depth).
    pub fn field(mut self, path: &str, rule: FieldRule) -> Self {
        self.rules.insert(path.to_owned(), rule);
        self
    }

    /// The record type's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The explicit rule for the field at `path` whose own key is `key`, if any: the exact
    /// path first, then `*.key` (keys compared case-insensitively there).
    pub fn rule_for(&self, path: &str, key: &str) -> Option<FieldRule> {
        if let Some(rule) = self.rules.get(path) {
            return Some(*rule);
        }
        if self.rules.is_empty() {
            return None;
        }
        let mut any = String::with_capacity(2 + key.len());
        any.push_str("*.");
        any.extend(key.chars().map(|c| c.to_ascii_lowercase()));
        self.rules.get(&any).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_paths_win_over_any_depth_keys_and_unknown_fields_have_no_rule() {
        let s = RecordSchema::new("fax.job")
            .field("to", FieldRule::Pseudonymise(PhiKind::Fax))
            .field("*.email", FieldRule::Pseudonymise(PhiKind::Email))
            .field("meta.email", FieldRule::Drop);
        assert_eq!(
            s.rule_for("to", "to"),
            Some(FieldRule::Pseudonymise(PhiKind::Fax))
        );
        assert_eq!(s.rule_for("meta.email", "email"), Some(FieldRule::Drop));
        assert_eq!(
            s.rule_for("contact.Email", "Email"),
            Some(FieldRule::Pseudonymise(PhiKind::Email))
        );
        assert_eq!(s.rule_for("note", "note"), None);
    }
}
