//! The `grants` of an approve body, in either of two forms:
//!
//! * a list of capabilities as the review shows them:
//!   `[{"kind": "subscribe", "value": "fax.job.*"}, {"kind": "kv_quota", "value": 4096}]`;
//! * an object in the manifest's `[capabilities]` form:
//!   `{"subscribe": ["fax.job.*"], "kv_quota": "4KiB", "fax_job_status": true}`.
//!
//! Either is then checked by `Grants::approve`: each grant must be covered by something
//! the plugin requested, so an admin can narrow a request and never widen it.

use crate::error::ApiError;
use faxbot_policy::capability::{Capability, JobSpec};
use faxbot_policy::egress::EgressRule;
use faxbot_policy::size::ByteSize;
use serde_json::Value;

fn bad(field: String, why: &str) -> ApiError {
    ApiError::invalid("invalid_grants", format!("{field}: {why}")).with_field(field)
}

fn strings(value: &Value, field: &str) -> Result<Vec<String>, ApiError> {
    let Value::Array(items) = value else {
        return Err(bad(field.to_owned(), "must be a list of strings"));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, v)| match v {
            Value::String(s) => Ok(s.clone()),
            _ => Err(bad(format!("{field}[{i}]"), "must be a string")),
        })
        .collect()
}

/// Parses the `grants` value of an approve body into capabilities.
pub fn parse_grants(value: &Value) -> Result<Vec<Capability>, ApiError> {
    match value {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                serde_json::from_value::<Capability>(item.clone()).map_err(|_| {
                    bad(
                        format!("grants[{i}]"),
                        "is not a capability ({\"kind\": ..., \"value\": ...} as the review lists them)",
                    )
                })
            })
            .collect(),
        Value::Object(table) => {
            let mut out = Vec::new();
            for (key, v) in table {
                let field = format!("grants.{key}");
                match key.as_str() {
                    "subscribe" => out.extend(strings(v, &field)?.into_iter().map(Capability::Subscribe)),
                    "emit" => out.extend(strings(v, &field)?.into_iter().map(Capability::Emit)),
                    "routes" => out.extend(strings(v, &field)?.into_iter().map(Capability::Route)),
                    "secrets" => out.extend(strings(v, &field)?.into_iter().map(Capability::Secret)),
                    "egress" => {
                        for (i, rule) in strings(v, &field)?.into_iter().enumerate() {
                            let rule = EgressRule::parse(&rule)
                                .map_err(|e| bad(format!("{field}[{i}]"), &e.to_string()))?;
                            out.push(Capability::Egress(rule));
                        }
                    }
                    "kv_quota" => {
                        let bytes = match v {
                            Value::Number(n) => n.as_u64(),
                            Value::String(s) => ByteSize::parse(s).map(|b| b.0),
                            _ => None,
                        }
                        .ok_or_else(|| bad(field.clone(), "must be a size (\"16KiB\") or a number of bytes"))?;
                        if bytes > 0 {
                            out.push(Capability::KvQuota(bytes));
                        }
                    }
                    "jobs" => {
                        let jobs: Vec<JobSpec> = serde_json::from_value(v.clone()).map_err(|_| {
                            bad(field.clone(), "must be a list of {\"name\": ..., \"cron\": ...}")
                        })?;
                        out.extend(jobs.into_iter().map(Capability::Job));
                    }
                    "fax_job_status" => match v {
                        Value::Bool(true) => out.push(Capability::FaxJobStatus),
                        Value::Bool(false) => {}
                        _ => return Err(bad(field, "must be true or false")),
                    },
                    _ => return Err(bad(field, "is not a capability kind (subscribe, emit, egress, kv_quota, routes, jobs, secrets, fax_job_status)")),
                }
            }
            Ok(out)
        }
        _ => Err(bad(
            "grants".to_owned(),
            "must be a list of capabilities or an object in the manifest's [capabilities] form",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn both_forms_give_the_same_capabilities() {
        let list = parse_grants(&json!([
            {"kind": "subscribe", "value": "fax.job.*"},
            {"kind": "kv_quota", "value": 4096},
            {"kind": "fax_job_status"}
        ]))
        .expect("list");
        let table = parse_grants(&json!({
            "subscribe": ["fax.job.*"], "kv_quota": "4KiB", "fax_job_status": true
        }))
        .expect("table");
        let key = |c: &Capability| c.to_string();
        let (mut list, mut table) = (list, table);
        list.sort_by_key(key);
        table.sort_by_key(key);
        assert_eq!(list, table);
    }

    #[test]
    fn unknown_kinds_and_bad_values_name_the_field() {
        let e = parse_grants(&json!({"root": true})).expect_err("unknown");
        assert_eq!(e.body.field.as_deref(), Some("grants.root"));
        let e = parse_grants(&json!({"egress": ["http://x"]})).expect_err("bad rule");
        assert_eq!(e.body.field.as_deref(), Some("grants.egress[0]"));
        let e = parse_grants(&json!([{"kind": "shell"}])).expect_err("bad kind");
        assert_eq!(e.body.field.as_deref(), Some("grants[0]"));
        assert!(parse_grants(&json!("all")).is_err());
    }
}
