//! The seam between the trail and the PHI redactor: every event's details pass a
//! [`DetailsRedactor`] before they are encoded, so nothing reaches the disk unredacted. The
//! trail cannot be opened without one.
//!
//! [`PhiRedactor`] is the one the core uses: the PHI redactor of `faxbot-redact`, with
//! details fields named like identifiers (`patient`, `ssn`, `to`, …) replaced by per-tenant
//! tokens and every other string passing the free-text detector.
//!
//! [`WithholdStrings`] is the most conservative redactor: it keeps the details' shape, numbers
//! and booleans and replaces every string value by `"[WITHHELD]"`. It suits details that carry
//! only counts and flags.

use faxbot_redact::{
    FieldRule, PSEUDONYM_KEY_LABEL, PhiKind, PseudonymKey, RecordSchema, Redactor,
};
use serde_json::Value;

use super::event::TenantId;
use crate::keys::KeyMaterial;

/// Removes PHI and secrets from an event's details before the trail writes them.
///
/// Implementations must be total: whatever the input, the output must be safe to store. A
/// redactor that cannot decide about a value must drop it.
pub trait DetailsRedactor: Send + Sync + 'static {
    /// Returns the details with every PHI value removed or replaced. `tenant` is the event's
    /// tenant, for redactors that issue per-tenant pseudonymous tokens.
    fn redact_details(&self, tenant: Option<&TenantId>, details: Value) -> Value;
}

/// The PHI redactor behind the audit trail. Details fields whose name says what they hold
/// (at any depth: `patient`, `name`, `ssn`, `dob`, `mrn`, `phone`, `fax`, `to`, `from`,
/// `email`, `address`) become keyed tokens, stable per tenant and value, so records about the
/// same fax number can be correlated without storing it; everything else is free text for the
/// detector (fail closed: an unknown field is searched, never trusted).
#[derive(Debug)]
pub struct PhiRedactor {
    redactor: Redactor,
    schema: RecordSchema,
}

impl PhiRedactor {
    /// A redactor whose tokens are keyed by the core's key material
    /// (`derive("faxbot pseudonyms v1")`).
    pub fn new(keys: &KeyMaterial) -> Self {
        Self::with_redactor(Redactor::new(PseudonymKey::new(
            keys.derive(PSEUDONYM_KEY_LABEL),
        )))
    }

    /// Uses `redactor` (e.g. shared with the rest of the core) with the audit details schema.
    pub fn with_redactor(redactor: Redactor) -> Self {
        PhiRedactor {
            redactor,
            schema: audit_details_schema(),
        }
    }
}

/// The field rules of audit details: identifier-named fields at any depth are tokenised.
pub fn audit_details_schema() -> RecordSchema {
    let rules = [
        ("patient", PhiKind::Name),
        ("patient_name", PhiKind::Name),
        ("name", PhiKind::Name),
        ("ssn", PhiKind::Ssn),
        ("dob", PhiKind::Date),
        ("date_of_birth", PhiKind::Date),
        ("mrn", PhiKind::Mrn),
        ("phone", PhiKind::Phone),
        ("fax", PhiKind::Fax),
        ("fax_number", PhiKind::Fax),
        ("to", PhiKind::Fax),
        ("from", PhiKind::Fax),
        ("email", PhiKind::Email),
        ("address", PhiKind::Address),
        ("member_id", PhiKind::HealthPlan),
    ];
    rules
        .into_iter()
        .fold(RecordSchema::new("audit.details"), |schema, (key, kind)| {
            schema.field(&format!("*.{key}"), FieldRule::Pseudonymise(kind))
        })
}

impl DetailsRedactor for PhiRedactor {
    fn redact_details(&self, tenant: Option<&TenantId>, details: Value) -> Value {
        self.redactor
            .redact_value(tenant.map(TenantId::as_str), &self.schema, details)
    }
}

/// Keeps structure, numbers, booleans and nulls; replaces every string by `"[WITHHELD]"`.
/// Object keys are kept: they are field names chosen by the code, not data.
#[derive(Debug, Clone, Copy, Default)]
pub struct WithholdStrings;

/// What [`WithholdStrings`] puts in place of a string.
pub const WITHHELD: &str = "[WITHHELD]";

impl DetailsRedactor for WithholdStrings {
    fn redact_details(&self, _tenant: Option<&TenantId>, details: Value) -> Value {
        withhold(details)
    }
}

fn withhold(value: Value) -> Value {
    match value {
        Value::String(_) => Value::String(WITHHELD.to_owned()),
        Value::Array(items) => Value::Array(items.into_iter().map(withhold).collect()),
        Value::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (k, withhold(v))).collect())
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phi_redactor_tokenises_named_fields_and_searches_the_rest() {
        let dir = tempfile::tempdir().expect("tempdir");
        let keys = KeyMaterial::load_or_create(dir.path()).expect("keys");
        let r = PhiRedactor::new(&keys);
        let tenant = TenantId::new("clinic-7").expect("tenant");
        let details = serde_json::json!({
            "to": "+1 (555) 867-5309",
            "pages": 3,
            "note": "callback 555-867-5309 for Patient: Jane Doe",
            "nested": {"patient": {"first": "Jane", "last": "Doe"}}
        });
        let out = r.redact_details(Some(&tenant), details.clone());
        let text = out.to_string();
        for phi in ["867", "Jane", "Doe"] {
            assert!(!text.contains(phi), "{phi} survived: {text}");
        }
        assert_eq!(out["pages"], 3);
        assert_eq!(out["note"], "callback [PHONE] for Patient: [NAME]");
        assert!(
            out["to"]
                .as_str()
                .is_some_and(|t| t.starts_with("[FAX:tok_"))
        );
        // Stable per tenant, different across tenants.
        assert_eq!(out, r.redact_details(Some(&tenant), details.clone()));
        let other = TenantId::new("clinic-8").expect("tenant");
        assert_ne!(out["to"], r.redact_details(Some(&other), details)["to"]);
    }

    #[test]
    fn withhold_strings_keeps_shape_and_numbers_but_no_text() {
        let details = serde_json::json!({
            "patient": "Jane Doe",
            "pages": 3,
            "to": ["+1 555 123 4567"],
            "nested": {"ok": true, "note": "DOB 01/02/1960"}
        });
        let out = WithholdStrings.redact_details(None, details);
        assert_eq!(
            out,
            serde_json::json!({
                "patient": WITHHELD,
                "pages": 3,
                "to": [WITHHELD],
                "nested": {"ok": true, "note": WITHHELD}
            })
        );
    }
}
