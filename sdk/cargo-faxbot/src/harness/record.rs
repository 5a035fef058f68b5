//! `cargo faxbot test --record`: the least-privilege `[capabilities]` section for what the
//! plugin actually did in the run.

use super::host::Record;
use faxbot_policy::capability::JobSpec;
use faxbot_policy::egress::EgressRule;
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// What a run used, beyond what the plugin's own calls show.
#[derive(Debug, Default)]
pub struct Used {
    /// Topics of events delivered and acknowledged.
    pub topics: BTreeSet<String>,
    /// Routes served without a 404/405/5xx.
    pub routes: BTreeSet<String>,
    /// Jobs run successfully, with their manifest schedules.
    pub jobs: Vec<JobSpec>,
}

/// The smallest kv quota, as a manifest size, that holds `peak` bytes: the next power of two,
/// at least 4 KiB, so normal growth does not trip it at once.
pub fn quota_for(peak: u64) -> Option<String> {
    if peak == 0 {
        return None;
    }
    let bytes = peak.next_power_of_two().max(4096);
    Some(if bytes.is_multiple_of(1 << 20) {
        format!("{}MiB", bytes >> 20)
    } else {
        format!("{}KiB", bytes >> 10)
    })
}

/// An egress rule covering `url`'s origin and first path segment, unless that segment is
/// a secret's placeholder or looks like a secret's value (then only the origin), so no
/// secret value is ever printed.
fn egress_rule(url: &faxbot_policy::egress::NormalizedUrl, secret_values: &[&str]) -> String {
    let origin = url.origin();
    let first = url
        .path()
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or("");
    let from_secret = first.contains("FAXBOT-SECRET")
        || secret_values
            .iter()
            .any(|s| !first.is_empty() && s.contains(first));
    let candidate = if first.is_empty() || from_secret {
        format!("{origin}/*")
    } else {
        format!("{origin}/{first}/*")
    };
    match EgressRule::parse(&candidate) {
        Ok(rule) => rule.to_string(),
        Err(_) => origin,
    }
}

/// The `[capabilities]` TOML for the run.
pub fn least_privilege(record: &Record, used: &Used, secret_values: &[&str]) -> String {
    let list = |items: &BTreeSet<String>| {
        items
            .iter()
            .map(|i| format!("{i:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let egress: BTreeSet<String> = record
        .fetched
        .iter()
        .map(|url| egress_rule(url, secret_values))
        .collect();
    let mut out = String::from("[capabilities]\n");
    let mut line = |key: &str, value: String| {
        let _ = writeln!(out, "{key} = {value}");
    };
    if !used.topics.is_empty() {
        line("subscribe", format!("[{}]", list(&used.topics)));
    }
    if !record.emitted.is_empty() {
        line("emit", format!("[{}]", list(&record.emitted)));
    }
    if !egress.is_empty() {
        line("egress", format!("[{}]", list(&egress)));
    }
    if let Some(quota) = quota_for(record.kv_peak_bytes) {
        line("kv_quota", format!("{quota:?}"));
    }
    if !used.routes.is_empty() {
        line("routes", format!("[{}]", list(&used.routes)));
    }
    if !record.secrets_used.is_empty() {
        line("secrets", format!("[{}]", list(&record.secrets_used)));
    }
    if record.fax_status_used {
        line("fax_job_status", "true".into());
    }
    if !used.jobs.is_empty() {
        let jobs = used
            .jobs
            .iter()
            .map(|j| format!("{{ name = {:?}, cron = {:?} }}", j.name, j.cron))
            .collect::<Vec<_>>()
            .join(", ");
        line("jobs", format!("[{jobs}]"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use faxbot_policy::egress::NormalizedUrl;

    #[test]
    fn quotas_round_up_to_a_power_of_two_of_at_least_4_kib() {
        assert_eq!(quota_for(0), None);
        assert_eq!(quota_for(10).as_deref(), Some("4KiB"));
        assert_eq!(quota_for(5000).as_deref(), Some("8KiB"));
        assert_eq!(quota_for(1 << 20).as_deref(), Some("1MiB"));
    }

    #[test]
    fn egress_never_prints_a_path_that_came_from_a_secret() {
        let url =
            NormalizedUrl::parse("https://hooks.slack.com/services/T0/B0/sekrit").expect("url");
        assert_eq!(
            egress_rule(&url, &[]),
            "https://hooks.slack.com:443/services/*"
        );
        let url = NormalizedUrl::parse("https://hooks.example.test/sekrit-token/x").expect("url");
        let rule = egress_rule(&url, &["https://hooks.example.test/sekrit-token/x"]);
        assert!(!rule.contains("sekrit"), "{rule}");
    }

    #[test]
    fn the_section_lists_only_what_was_used_and_parses_as_a_manifest_section() {
        let mut record = Record {
            kv_peak_bytes: 300,
            ..Record::default()
        };
        record.emitted.insert("plugin.demo.posted".into());
        record
            .fetched
            .push(NormalizedUrl::parse("https://api.example.test/v1/items").expect("url"));
        let used = Used {
            topics: ["fax.job.delivered".to_owned()].into(),
            routes: BTreeSet::new(),
            jobs: vec![JobSpec {
                name: "digest".into(),
                cron: "0 2 * * *".into(),
            }],
        };
        let text = least_privilege(&record, &used, &[]);
        let table: toml::Table = toml::from_str(&text).expect("valid TOML");
        let caps = table["capabilities"].as_table().expect("table");
        assert_eq!(caps["subscribe"].as_array().map(Vec::len), Some(1));
        assert_eq!(caps["kv_quota"].as_str(), Some("4KiB"));
        assert_eq!(
            caps["egress"][0].as_str(),
            Some("https://api.example.test:443/v1/*")
        );
        assert!(!caps.contains_key("routes"));
        assert!(!caps.contains_key("secrets"));
    }
}
