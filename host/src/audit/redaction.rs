//! The seam between the trail and the PHI redactor: every event's details pass a
//! [`DetailsRedactor`] before they are encoded, so nothing reaches the disk unredacted. The
//! trail cannot be opened without one.
//!
//! [`WithholdStrings`] is the conservative redactor: it keeps the details' shape, numbers and
//! booleans and replaces every string value by `"[WITHHELD]"`. It is right where details carry
//! only counts and flags, and it is the fallback until a caller wires the full redactor.

use serde_json::Value;

use super::event::TenantId;

/// Removes PHI and secrets from an event's details before the trail writes them.
///
/// Implementations must be total: whatever the input, the output must be safe to store. A
/// redactor that cannot decide about a value must drop it.
pub trait DetailsRedactor: Send + Sync + 'static {
    /// Returns the details with every PHI value removed or replaced. `tenant` is the event's
    /// tenant, for redactors that issue per-tenant pseudonymous tokens.
    fn redact_details(&self, tenant: Option<&TenantId>, details: Value) -> Value;
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
