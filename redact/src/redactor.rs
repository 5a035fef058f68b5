//! [`Redactor`]: the one object every path out of the core calls.

use serde_json::{Map, Value};

use crate::schema::{FieldRule, RecordSchema};
use crate::span::Span;
use crate::token::PseudonymKey;
use crate::{Detector, PhiKind};

/// How free-text spans are replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TextReplacement {
    /// `[PHONE]`: says what was there, nothing more.
    #[default]
    Label,
    /// `[PHONE:tok_3f9a1c2b5d7e]`: a keyed token, stable per tenant and value.
    Token,
}

/// Redacted text and the spans that were replaced (offsets into the original text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redacted {
    /// The text with every span replaced.
    pub text: String,
    /// What was replaced, sorted and merged.
    pub spans: Vec<Span>,
}

/// What replaces a subtree nested deeper than [`MAX_DEPTH`].
const TOO_DEEP: &str = "[REDACTED:TOO_DEEP]";

/// JSON nested deeper than this is replaced whole rather than walked.
pub const MAX_DEPTH: usize = 64;

/// The redactor: the free-text detector plus the pseudonym key. Build one at start-up and
/// share it (it is `Send + Sync`).
///
/// ```
/// use faxbot_redact::{FieldRule, PhiKind, PseudonymKey, RecordSchema, Redactor};
///
/// let redactor = Redactor::new(PseudonymKey::new([7; 32]));
/// let out = redactor.redact_text(Some("clinic-1"), "Patient: Jane Doe, cell 555-867-5309");
/// assert_eq!(out.text, "Patient: [NAME], cell [PHONE]");
///
/// let schema = RecordSchema::new("fax.received")
///     .field("from", FieldRule::Pseudonymise(PhiKind::Fax))
///     .field("pages", FieldRule::Keep);
/// let event = serde_json::json!({"from": "555-867-5309", "pages": 3, "note": "DOB 01/02/1960"});
/// let safe = redactor.redact_value(Some("clinic-1"), &schema, event);
/// assert!(safe["from"].as_str().unwrap().starts_with("[FAX:tok_"));
/// assert_eq!(safe["note"], "DOB [DATE]");
/// ```
#[derive(Debug)]
pub struct Redactor {
    detector: Detector,
    key: PseudonymKey,
    text_replacement: TextReplacement,
}

impl Redactor {
    /// A redactor with the bundled detector, replacing free-text spans by labels.
    pub fn new(key: PseudonymKey) -> Self {
        Redactor {
            detector: Detector::new(),
            key,
            text_replacement: TextReplacement::Label,
        }
    }

    /// Replaces free-text spans as `replacement` says.
    pub fn with_text_replacement(mut self, replacement: TextReplacement) -> Self {
        self.text_replacement = replacement;
        self
    }

    /// The free-text detector.
    pub fn detector(&self) -> &Detector {
        &self.detector
    }

    /// The token for `value` of `kind` in `tenant`, as it appears in redacted output:
    /// `[KIND:tok_…]`.
    pub fn token(&self, tenant: Option<&str>, kind: PhiKind, value: &str) -> String {
        format!("[{}:{}]", kind.label(), self.key.token(tenant, kind, value))
    }

    /// Finds the PHI in `text` and replaces each span whole. Nothing of a span survives.
    pub fn redact_text(&self, tenant: Option<&str>, text: &str) -> Redacted {
        let spans = self.detector.find(text);
        let text = self.replace(tenant, text, &spans);
        Redacted { text, spans }
    }

    fn replace(&self, tenant: Option<&str>, text: &str, spans: &[Span]) -> String {
        if spans.is_empty() {
            return text.to_owned();
        }
        let mut out = String::with_capacity(text.len() + 8 * spans.len());
        let mut at = 0;
        for s in spans {
            out.push_str(&text[at..s.start]);
            match self.text_replacement {
                TextReplacement::Label => out.push_str(s.kind.placeholder()),
                TextReplacement::Token => {
                    out.push_str(&self.token(tenant, s.kind, &text[s.start..s.end]))
                }
            }
            at = s.end;
        }
        out.push_str(&text[at..]);
        out
    }

    /// Redacts a JSON record by `schema`: dropped fields go, pseudonymised ones become tokens,
    /// kept ones stay, and everything else — including every field the schema does not name
    /// and object keys that hold PHI — passes the free-text detector.
    pub fn redact_value(&self, tenant: Option<&str>, schema: &RecordSchema, value: Value) -> Value {
        let mut path = String::new();
        self.walk(tenant, schema, &mut path, value, FieldRule::FreeText, 0)
            .unwrap_or(Value::Null)
    }

    /// Returns `None` when the value is to be dropped.
    fn walk(
        &self,
        tenant: Option<&str>,
        schema: &RecordSchema,
        path: &mut String,
        value: Value,
        rule: FieldRule,
        depth: usize,
    ) -> Option<Value> {
        if depth > MAX_DEPTH {
            return Some(Value::String(TOO_DEEP.to_owned()));
        }
        match rule {
            FieldRule::Keep => Some(value),
            FieldRule::Drop => None,
            FieldRule::Pseudonymise(kind) => Some(self.pseudonymise(tenant, kind, value, depth)),
            FieldRule::FreeText => Some(match value {
                Value::String(s) => Value::String(self.free_text(tenant, s)),
                Value::Number(n) => {
                    let s = n.to_string();
                    if self.detector.find(&s).is_empty() {
                        Value::Number(n)
                    } else {
                        Value::String(self.free_text(tenant, s))
                    }
                }
                Value::Array(items) => Value::Array(
                    items
                        .into_iter()
                        .filter_map(|v| self.walk(tenant, schema, path, v, rule, depth + 1))
                        .collect(),
                ),
                Value::Object(map) => {
                    let mut out = Map::with_capacity(map.len());
                    for (key, v) in map {
                        let len = path.len();
                        if !path.is_empty() {
                            path.push('.');
                        }
                        path.push_str(&key);
                        let child = schema.rule_for(path, &key).unwrap_or(FieldRule::FreeText);
                        let kept = self.walk(tenant, schema, path, v, child, depth + 1);
                        path.truncate(len);
                        if let Some(v) = kept {
                            out.insert(self.redact_key(tenant, key), v);
                        }
                    }
                    Value::Object(out)
                }
                other => other,
            }),
        }
    }

    fn free_text(&self, tenant: Option<&str>, s: String) -> String {
        let spans = self.detector.find(&s);
        if spans.is_empty() {
            s
        } else {
            self.replace(tenant, &s, &spans)
        }
    }

    /// Keys are usually field names, but a map keyed by phone number is PHI in its keys: a
    /// key with PHI becomes its token, so distinct keys stay distinct.
    fn redact_key(&self, tenant: Option<&str>, key: String) -> String {
        match self.detector.find(&key).first() {
            None => key,
            Some(s) => self.token(tenant, s.kind, &key),
        }
    }

    fn pseudonymise(
        &self,
        tenant: Option<&str>,
        kind: PhiKind,
        value: Value,
        depth: usize,
    ) -> Value {
        if depth > MAX_DEPTH {
            return Value::String(TOO_DEEP.to_owned());
        }
        match value {
            Value::String(s) => Value::String(self.token(tenant, kind, &s)),
            Value::Number(n) => Value::String(self.token(tenant, kind, &n.to_string())),
            Value::Array(items) => Value::Array(
                items
                    .into_iter()
                    .map(|v| self.pseudonymise(tenant, kind, v, depth + 1))
                    .collect(),
            ),
            Value::Object(map) => Value::Object(
                map.into_iter()
                    .map(|(k, v)| {
                        let k = self.redact_key(tenant, k);
                        (k, self.pseudonymise(tenant, kind, v, depth + 1))
                    })
                    .collect(),
            ),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn redactor() -> Redactor {
        Redactor::new(PseudonymKey::new([3; 32]))
    }

    #[test]
    fn redacted_text_keeps_the_rest_and_replaces_whole_spans() {
        let out = redactor().redact_text(None, "Fax 555-867-5309, 3 pages, MRN: 00451234.");
        assert_eq!(out.text, "Fax [FAX], 3 pages, MRN: [MRN].");
        assert_eq!(out.spans.len(), 2);
    }

    #[test]
    fn token_mode_gives_the_same_token_for_the_same_value_in_one_tenant() {
        let r = redactor().with_text_replacement(TextReplacement::Token);
        let a = r.redact_text(Some("t1"), "call 555-867-5309");
        let b = r.redact_text(Some("t1"), "call (555) 867-5309");
        let c = r.redact_text(Some("t2"), "call 555-867-5309");
        assert_eq!(a.text, b.text);
        assert_ne!(a.text, c.text);
        assert!(a.text.starts_with("call [PHONE:tok_"), "{}", a.text);
    }

    #[test]
    fn schema_rules_apply_and_unknown_fields_are_free_text() {
        let schema = RecordSchema::new("fax.received")
            .field("from", FieldRule::Pseudonymise(PhiKind::Fax))
            .field("patient", FieldRule::Drop)
            .field("status", FieldRule::Keep)
            .field("*.email", FieldRule::Pseudonymise(PhiKind::Email));
        let out = redactor().redact_value(
            Some("t1"),
            &schema,
            json!({
                "from": ["555-867-5309", 5558675309u64],
                "patient": {"name": "Jane Doe"},
                "status": "delivered",
                "contact": {"Email": "a@b.example"},
                "note": "SSN 123-45-6789",
                "callback": 5558675309u64,
                "by_number": {"555-867-5309": 2},
                "pages": 3
            }),
        );
        let text = out.to_string();
        for leaked in ["867", "Jane", "a@b", "6789"] {
            assert!(!text.contains(leaked), "{leaked} in {text}");
        }
        assert!(out.get("patient").is_none());
        assert_eq!(out["status"], "delivered");
        assert_eq!(out["pages"], 3);
        assert_eq!(out["note"], "SSN [SSN]");
        assert_eq!(out["callback"], "[PHONE]");
        assert_eq!(out["from"][0], out["from"][1]);
        assert!(
            out["contact"]["Email"]
                .as_str()
                .is_some_and(|s| s.starts_with("[EMAIL:tok_"))
        );
    }

    #[test]
    fn absurdly_deep_json_is_replaced_not_walked() {
        let mut v = json!("Patient: Jane Doe");
        for _ in 0..(MAX_DEPTH + 5) {
            v = json!([v]);
        }
        let out = redactor()
            .redact_value(None, &RecordSchema::new("x"), v)
            .to_string();
        assert!(out.contains(TOO_DEEP) && !out.contains("Jane"));
    }
}
