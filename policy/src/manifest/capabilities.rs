//! The `[capabilities]` table.

use super::fields::{Fields, Problems};
use super::resources::ResourceCeilings;
use crate::capability::{CapabilitySet, JobSpec, cron, names};
use crate::egress::EgressRule;
use crate::size::ByteSize;
use toml::{Table, Value};

const MAX_ITEMS: usize = 64;

pub(super) fn parse(
    table: Table,
    plugin_id: &str,
    ceilings: &ResourceCeilings,
    problems: &mut Problems,
) -> CapabilitySet {
    let mut f = Fields::new("capabilities", table, problems);
    let subscribe = names_list(&mut f, "subscribe", names::topic_pattern);
    let emit = names_list(&mut f, "emit", |p| names::emit_pattern(p, plugin_id));
    let mut egress: Vec<EgressRule> = Vec::new();
    for (path, text) in f.strings("egress", MAX_ITEMS) {
        match EgressRule::parse(&text) {
            Ok(rule) if egress.contains(&rule) => {
                f.problems().push(path, format!("`{rule}` is listed twice"));
            }
            Ok(rule) => match rule.internal_target() {
                Some(target) if !ceilings.allow_internal_egress => f.problems().push(
                    path,
                    format!(
                        "`{rule}` names an internal target ({target}): egress may reach only public hosts"
                    ),
                ),
                _ => egress.push(rule),
            },
            Err(e) => f.problems().push(path, e.to_string()),
        }
    }
    let set = CapabilitySet {
        subscribe,
        emit,
        egress,
        kv_quota_bytes: kv_quota(&mut f, ceilings),
        routes: names_list(&mut f, "routes", names::route),
        secrets: names_list(&mut f, "secrets", names::secret),
        jobs: jobs(&mut f),
        fax_job_status: f.boolean("fax_job_status", false),
    };
    f.finish();
    set
}

fn names_list(
    f: &mut Fields<'_>,
    key: &str,
    check: impl Fn(&str) -> Result<(), String>,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (path, item) in f.strings(key, MAX_ITEMS) {
        if let Err(why) = check(&item) {
            f.problems().push(path, why);
        } else if out.contains(&item) {
            f.problems().push(path, format!("`{item}` is listed twice"));
        } else {
            out.push(item);
        }
    }
    out
}

fn kv_quota(f: &mut Fields<'_>, ceilings: &ResourceCeilings) -> u64 {
    let path = f.path("kv_quota");
    let bytes = match f.take("kv_quota") {
        None => return 0,
        Some(Value::String(s)) => match ByteSize::parse(&s) {
            Some(b) => b.0,
            None => {
                f.problems().push(
                    path,
                    format!("`{s}` is not a size (use B, KiB, MiB or GiB)"),
                );
                return 0;
            }
        },
        Some(Value::Integer(n)) if n >= 0 => n.unsigned_abs(),
        Some(_) => {
            f.problems()
                .push(path, "must be a size such as \"1MiB\" or a byte count");
            return 0;
        }
    };
    if bytes > ceilings.kv_quota_bytes {
        f.problems().push(
            path,
            format!(
                "{} is more than the host allows ({})",
                ByteSize(bytes),
                ByteSize(ceilings.kv_quota_bytes)
            ),
        );
        return 0;
    }
    bytes
}

fn jobs(f: &mut Fields<'_>) -> Vec<JobSpec> {
    let base = f.path("jobs");
    let items = f.array("jobs");
    if items.len() > MAX_ITEMS {
        f.problems().push(
            base.clone(),
            format!(
                "has {} entries; at most {MAX_ITEMS} are allowed",
                items.len()
            ),
        );
    }
    let mut out: Vec<JobSpec> = Vec::new();
    for (i, item) in items.into_iter().enumerate().take(MAX_ITEMS) {
        let path = format!("{base}[{i}]");
        let Value::Table(t) = item else {
            f.problems()
                .push(path, "must be a table with `name` and `cron`");
            continue;
        };
        let mut jf = Fields::new(&path, t, f.problems());
        let name = jf.string("name", true);
        let schedule = jf.string("cron", true);
        let mut ok = name.is_some() && schedule.is_some();
        if let Some(n) = &name
            && let Err(why) = names::job_name(n)
        {
            let p = jf.path("name");
            jf.problems().push(p, why);
            ok = false;
        }
        if let Some(c) = &schedule
            && let Err(why) = cron::validate(c)
        {
            let p = jf.path("cron");
            jf.problems().push(p, why);
            ok = false;
        }
        jf.finish();
        if let (true, Some(name), Some(cron)) = (ok, name, schedule) {
            if out.iter().any(|j| j.name == name) {
                f.problems().push(
                    format!("{path}.name"),
                    format!("job `{name}` is listed twice"),
                );
            } else {
                out.push(JobSpec { name, cron });
            }
        }
    }
    out
}
