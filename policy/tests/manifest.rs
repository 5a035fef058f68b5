//! Manifest parsing: a good manifest, and every problem reported at once with its path.

use faxbot_plugin_abi::Value;
use faxbot_policy::manifest::{ConfigKind, Manifest, ResourceCeilings};

pub const GOOD: &str = r#"
id = "slack-notify"
name = "Slack notifier"
version = "1.2.0"
publisher = "acme"
description = "Posts fax delivery results to Slack."
categories = ["notifications"]
hipaa_compliant = true
requires_baa = false
min_core_version = "0.1.0"
entry = "bin/slack-notify"

[capabilities]
subscribe = ["fax.job.*"]
emit = ["plugin.slack-notify.posted"]
egress = ["https://hooks.slack.com/services/*"]
kv_quota = "1MiB"
routes = ["/status"]
secrets = ["SLACK_WEBHOOK"]
fax_job_status = true
jobs = [{ name = "daily", cron = "0 2 * * *" }]

[resources]
memory = "64MiB"
cpu_percent = 50
pids = 32
scratch = "16MiB"

[config.channel]
type = "string"
required = true
max_length = 80
description = "Slack channel"

[config.retries]
type = "integer"
min = 0
max = 5
default = 2
"#;

fn parse(text: &str) -> Result<Manifest, faxbot_policy::manifest::ManifestErrors> {
    Manifest::parse(text, &ResourceCeilings::default())
}

#[test]
fn a_complete_manifest_parses_into_its_fields() {
    let m = parse(GOOD).expect("valid");
    assert_eq!(m.id, "slack-notify");
    assert_eq!(m.version, semver::Version::new(1, 2, 0));
    assert!(m.hipaa_compliant);
    assert_eq!(m.entry, "bin/slack-notify");
    assert_eq!(m.capabilities.kv_quota_bytes, 1 << 20);
    assert_eq!(
        m.capabilities.egress[0].to_string(),
        "https://hooks.slack.com:443/services/*"
    );
    assert_eq!(m.capabilities.jobs[0].cron, "0 2 * * *");
    assert_eq!(m.resources.memory_bytes, 64 << 20);
    assert_eq!(m.capabilities.to_capabilities().len(), 8);
    assert_eq!(
        m.config.0["channel"].kind,
        ConfigKind::String { max_length: 80 }
    );
    assert!(m.supports_core(&semver::Version::new(0, 1, 0)));
    assert!(!m.supports_core(&semver::Version::new(0, 0, 9)));
}

#[test]
fn every_problem_is_reported_at_once_with_its_field_path() {
    let text = r#"
id = "Bad_ID"
name = "x"
version = "1.2"
publisher = "acme"
min_core_version = "0.1.0"
entry = "../escape"
colour = "blue"

[capabilities]
subscribe = ["*"]
emit = ["fax.job.sent"]
egress = ["https://a.example.com/", "https://*.com/", "https://b.example.com:0/"]
kv_quota = "10TB"
routes = ["status"]
secrets = ["lower"]
jobs = [{ name = "daily", cron = "61 * * * *" }, { name = "x" }]
egres = []

[resources]
memory = "64GiB"
pids = 0
"#;
    let errors = parse(text).expect_err("invalid");
    let rendered = errors.to_string();
    for path in [
        "id",
        "version",
        "entry",
        "colour",
        "capabilities.subscribe[0]",
        "capabilities.emit[0]",
        "capabilities.egress[1]",
        "capabilities.egress[2]",
        "capabilities.kv_quota",
        "capabilities.routes[0]",
        "capabilities.secrets[0]",
        "capabilities.jobs[0].cron",
        "capabilities.jobs[1].cron",
        "capabilities.egres",
        "resources.memory",
        "resources.pids",
    ] {
        assert!(errors.has(path), "no error at {path}:\n{rendered}");
    }
    assert!(
        rendered.contains("capabilities.egress[2]: port 0 is not valid"),
        "{rendered}"
    );
    assert!(!errors.has("capabilities.egress[0]"), "{rendered}");
}

#[test]
fn missing_required_fields_are_each_named() {
    let errors = parse("").expect_err("empty");
    for path in [
        "id",
        "name",
        "version",
        "publisher",
        "min_core_version",
        "entry",
    ] {
        assert!(errors.has(path), "{path}: {errors}");
    }
}

#[test]
fn wrong_types_say_what_was_expected() {
    let errors = parse("id = 5\nhipaa_compliant = \"yes\"\ncapabilities = 3").expect_err("bad");
    let text = errors.to_string();
    assert!(
        text.contains("id: must be a string, not an integer"),
        "{text}"
    );
    assert!(
        text.contains("hipaa_compliant: must be true or false, not a string"),
        "{text}"
    );
    assert!(
        text.contains("capabilities: must be a table, not an integer"),
        "{text}"
    );
}

#[test]
fn a_toml_syntax_error_is_one_problem_without_a_path() {
    let errors = parse("id = ").expect_err("bad");
    assert_eq!(errors.0.len(), 1);
    assert!(errors.0[0].path.is_empty());
    assert!(errors.0[0].reason.starts_with("not valid TOML"));
}

#[test]
fn oversized_and_non_utf8_manifests_are_refused_before_parsing() {
    let big = vec![b'#'; 70 * 1024];
    assert!(Manifest::parse_bytes(&big, &ResourceCeilings::default()).is_err());
    let e = Manifest::parse_bytes(b"id = \"\xff\"", &ResourceCeilings::default()).expect_err("bad");
    assert!(e.to_string().contains("not UTF-8"));
}

#[test]
fn resource_requests_past_the_host_ceilings_are_refused() {
    let ceilings = ResourceCeilings {
        memory_bytes: 128 << 20,
        ..ResourceCeilings::default()
    };
    let text = GOOD.replace("memory = \"64MiB\"", "memory = \"256MiB\"");
    let e = Manifest::parse(&text, &ceilings).expect_err("too much");
    assert!(
        e.to_string()
            .contains("resources.memory: 256 MiB is outside what the host allows (1 B to 128 MiB)"),
        "{e}"
    );
}

#[test]
fn duplicate_capabilities_are_refused() {
    let text = GOOD.replace(
        "secrets = [\"SLACK_WEBHOOK\"]",
        "secrets = [\"SLACK_WEBHOOK\", \"SLACK_WEBHOOK\"]",
    );
    assert!(
        parse(&text)
            .expect_err("dup")
            .has("capabilities.secrets[1]")
    );
}

#[test]
fn config_values_are_checked_against_the_schema_with_defaults_filled_in() {
    let m = parse(GOOD).expect("valid");
    let ok = m
        .config
        .validate(&[("channel".into(), Value::Text("#faxes".into()))])
        .expect("valid");
    assert_eq!(
        ok,
        vec![
            ("channel".to_string(), Value::Text("#faxes".into())),
            ("retries".to_string(), Value::Int(2)),
        ]
    );
    let e = m
        .config
        .validate(&[
            ("retries".into(), Value::Int(9)),
            ("nope".into(), Value::Bool(true)),
        ])
        .expect_err("bad");
    assert!(e.has("config.channel"), "{e}");
    assert!(e.has("config.retries"), "{e}");
    assert!(e.has("config.nope"), "{e}");
    let secret_value = "hunter2-very-secret";
    let e = m
        .config
        .validate(&[("channel".into(), Value::Text(secret_value.repeat(10)))])
        .expect_err("too long");
    assert!(
        !e.to_string().contains(secret_value),
        "values never appear in errors"
    );
}

#[test]
fn a_config_default_of_the_wrong_type_is_a_manifest_error() {
    let text = GOOD.replace("default = 2", "default = \"two\"");
    assert!(parse(&text).expect_err("bad").has("config.retries.default"));
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn arbitrary_text_never_panics_the_parser(s in ".{0,400}") {
            let _ = parse(&s);
        }

        #[test]
        fn every_bad_egress_port_is_reported_at_its_index(idx in 0usize..4, port in prop_oneof![Just(0u32), 65536u32..100000]) {
            let mut rules: Vec<String> = (0..4).map(|i| format!("\"https://h{i}.example.com/\"")).collect();
            rules[idx] = format!("\"https://bad.example.com:{port}/\"");
            let text = GOOD.replace(
                "egress = [\"https://hooks.slack.com/services/*\"]",
                &format!("egress = [{}]", rules.join(", ")),
            );
            let e = parse(&text).expect_err("bad port");
            let path = format!("capabilities.egress[{idx}]");
            prop_assert!(e.has(&path));
            prop_assert_eq!(e.0.len(), 1);
        }

        #[test]
        fn manifests_with_generated_valid_fields_parse(
            id in "[a-z][a-z0-9]{2,20}",
            major in 0u64..50, minor in 0u64..50, patch in 0u64..50,
            topic in "[a-z]{1,8}(\\.[a-z]{1,8}){0,2}",
        ) {
            let text = format!(
                "id = \"{id}\"\nname = \"n\"\nversion = \"{major}.{minor}.{patch}\"\npublisher = \"p1\"\nmin_core_version = \"0.1.0\"\nentry = \"bin/x\"\n[capabilities]\nsubscribe = [\"{topic}.*\"]\nemit = [\"plugin.{id}.{topic}\"]\n"
            );
            let m = parse(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(m.id, id);
            prop_assert_eq!(m.version, semver::Version::new(major, minor, patch));
        }
    }
}

fn with_egress(rules: &[&str]) -> String {
    let list = rules
        .iter()
        .map(|r| format!("{r:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    GOOD.replace(
        "egress = [\"https://hooks.slack.com/services/*\"]",
        &format!("egress = [{list}]"),
    )
}

const INTERNAL: &[&str] = &[
    "https://127.0.0.1/",
    "https://169.254.169.254/latest/meta-data/",
    "https://[::ffff:127.0.0.1]/",
    "https://[::1]:8443/",
    "https://10.0.0.1/",
    "https://172.16.5.4/",
    "https://192.168.1.1/",
    "https://100.64.0.1/",
    "https://[64:ff9b::a00:1]/",
    "https://224.0.0.1/",
    "https://0.0.0.0/",
    "https://[::]/",
    "https://[fe80::1]/",
    "https://[fd00:ec2::254]/",
    "https://100.100.100.200/",
    "https://app.localhost/",
    "https://printer.local/",
    "https://*.corp.internal/",
    "https://router.home.arpa/",
    "https://api.test/",
    "https://x.invalid/",
    "https://docs.example/",
    "https://metadata.google.internal/computeMetadata/v1/",
    "https://metadata.goog/",
    "https://instance-data.ec2.internal/",
];

#[test]
fn egress_rules_naming_internal_targets_are_refused_with_their_path() {
    let e = Manifest::parse(&with_egress(INTERNAL), &ResourceCeilings::default())
        .expect_err("internal targets");
    for (i, rule) in INTERNAL.iter().enumerate() {
        let path = format!("capabilities.egress[{i}]");
        let problem =
            e.0.iter()
                .find(|p| p.path == path)
                .unwrap_or_else(|| panic!("{rule} was accepted: {e}"));
        assert!(
            problem.reason.contains("names an internal target"),
            "{rule}: {problem}"
        );
    }
    assert_eq!(e.0.len(), INTERNAL.len(), "{e}");
    // A bare `localhost` is refused before that: a rule's host needs two labels.
    let e = Manifest::parse(
        &with_egress(&["https://localhost/"]),
        &ResourceCeilings::default(),
    )
    .expect_err("localhost");
    assert!(e.has("capabilities.egress[0]"), "{e}");
}

#[test]
fn numeric_ipv4_spellings_in_egress_rules_are_refused() {
    let numeric = [
        "https://2130706433/",
        "https://0177.0.0.1/",
        "https://0x7f.0.0.1/",
        "https://127.1/",
        "https://0x7f000001/",
    ];
    let allow = ResourceCeilings {
        allow_internal_egress: true,
        ..ResourceCeilings::default()
    };
    let e = Manifest::parse(&with_egress(&numeric), &allow).expect_err("ambiguous spellings");
    for i in 0..numeric.len() {
        assert!(e.has(&format!("capabilities.egress[{i}]")), "{e}");
    }
}

#[test]
fn public_targets_are_accepted_and_an_operator_may_allow_internal_ones_for_development() {
    let public = [
        "https://hooks.slack.com/services/*",
        "https://8.8.8.8/",
        "https://[2606:4700:4700::1111]/",
        "https://*.example.com/",
        "https://localhost.example.com/",
        "https://testing.company.com/",
    ];
    let m = Manifest::parse(&with_egress(&public), &ResourceCeilings::default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(m.capabilities.egress.len(), public.len());
    let dev = ResourceCeilings {
        allow_internal_egress: true,
        ..ResourceCeilings::default()
    };
    let m = Manifest::parse(&with_egress(INTERNAL), &dev).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(m.capabilities.egress.len(), INTERNAL.len());
}
