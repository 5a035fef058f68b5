//! The one call check (`capability::check_call`): every ABI method mapped to the actions it
//! needs, each decided against the grants. The supervisor, the examples' test host and
//! `cargo faxbot test` all use it.

use faxbot_plugin_abi::Envelope;
use faxbot_plugin_abi::methods::{
    HttpFetch, HttpRequest, KvPut, KvPutRequest, Log, LogLevel, LogRecord, OutboundHeader,
};
use faxbot_plugin_abi::secret::SecretTemplate;
use faxbot_policy::capability::{
    Capability, CapabilityKind, Denial, DenialRule, Grants, check_call,
};
use faxbot_policy::egress::EgressRule;
use faxbot_policy::egress::UrlError;

const MAX: u32 = 1 << 20;

fn grants() -> Grants {
    let requested = vec![
        Capability::Egress(EgressRule::parse("https://hooks.slack.com/services/*").expect("rule")),
        Capability::Secret("SLACK_PATH".into()),
        Capability::KvQuota(100),
        Capability::Emit("plugin.demo.*".into()),
    ];
    Grants::approve_all("demo", semver::Version::new(1, 0, 0), requested, None)
}

fn fetch(url: SecretTemplate, header_secret: Option<&str>) -> Envelope {
    let request = HttpRequest {
        method: "POST".into(),
        url,
        headers: header_secret
            .map(|s| OutboundHeader {
                name: "x-sig".into(),
                value: SecretTemplate::text("").and_secret(s),
            })
            .into_iter()
            .collect(),
        body: Vec::new(),
        timeout_ms: 1000,
    };
    Envelope::request::<HttpFetch>(1, &request, 1000, MAX).expect("envelope")
}

fn none(_: &str, _: usize) -> u64 {
    0
}

#[test]
fn egress_is_checked_on_the_template_and_every_secret_must_be_granted() {
    let g = grants();
    let ok = fetch(
        SecretTemplate::text("https://hooks.slack.com/services/").and_secret("SLACK_PATH"),
        None,
    );
    assert_eq!(check_call(&g, &ok, 0, &none), Ok(()));
    let other_host = fetch(
        SecretTemplate::text("https://hooks.slack.com.evil.test/services/x"),
        None,
    );
    assert!(check_call(&g, &other_host, 0, &none).is_err());
    let secret_host = fetch(
        SecretTemplate::text("https://")
            .and_secret("SLACK_PATH")
            .and_text("/x"),
        None,
    );
    let why = check_call(&g, &secret_host, 0, &none).expect_err("a secret may not pick the host");
    assert_eq!(
        why,
        Denial::new(CapabilityKind::Egress, DenialRule::SecretInAuthority)
    );
    assert!(why.to_string().contains("http.egress"), "{why}");
    let ungranted_secret = fetch(
        SecretTemplate::text("https://hooks.slack.com/services/x"),
        Some("AWS_KEY"),
    );
    let why = check_call(&g, &ungranted_secret, 0, &none).expect_err("secret not granted");
    assert_eq!(
        why.rule,
        DenialRule::SecretNotGranted {
            name: Some("AWS_KEY".into())
        },
        "the audit hears which secret, typed"
    );
    let why = why.to_string();
    assert!(why.starts_with("secrets denied"), "{why}");
    assert!(
        !why.contains("AWS_KEY"),
        "no request values in the reason: {why}"
    );
}

/// Templates whose secret sits in the URL's authority: the host, a host suffix, the port,
/// the userinfo, or past extra slashes a WHATWG parser skips to find the host.
fn secret_in_authority() -> Vec<SecretTemplate> {
    let t = SecretTemplate::text;
    vec![
        t("https://")
            .and_secret("SLACK_PATH")
            .and_text("/services/x"),
        t("https://hooks.slack.com")
            .and_secret("SLACK_PATH")
            .and_text("/services/x"),
        t("https://hooks.slack.com:")
            .and_secret("SLACK_PATH")
            .and_text("/services/x"),
        t("https://")
            .and_secret("SLACK_PATH")
            .and_text("@hooks.slack.com/services/x"),
        t("https://u:")
            .and_secret("SLACK_PATH")
            .and_text("@hooks.slack.com/services/x"),
        t("https:///")
            .and_secret("SLACK_PATH")
            .and_text(".slack.com/services/x"),
        t("https:").and_secret("SLACK_PATH").and_text("/services/x"),
    ]
}

#[test]
fn a_secret_in_the_url_authority_is_refused_by_the_call_check() {
    let g = grants();
    for template in secret_in_authority() {
        let why = check_call(&g, &fetch(template.clone(), None), 0, &none)
            .expect_err("a secret may never choose the host, port or userinfo");
        assert_eq!(why.capability, Some(CapabilityKind::Egress), "{template:?}");
        assert!(
            matches!(
                why.rule,
                DenialRule::SecretInAuthority
                    | DenialRule::UrlRefused {
                        problem: UrlError::AmbiguousAuthority
                    }
            ),
            "{template:?}: {why}"
        );
        assert!(why.to_string().starts_with("http.egress denied"), "{why}");
    }
}

#[test]
fn extra_slashes_before_the_host_cannot_hide_a_secret_host() {
    // `https:///x.slack.com/` is read by WHATWG parsers as host `x.slack.com`: with a secret
    // right after the slashes, its value would become the host.
    let template = SecretTemplate::text("https:///")
        .and_secret("SLACK_PATH")
        .and_text(".hooks.slack.com/services/x");
    let g = Grants::approve_all(
        "demo",
        semver::Version::new(1, 0, 0),
        vec![
            Capability::Egress(EgressRule::parse("https://*.hooks.slack.com/").expect("rule")),
            Capability::Secret("SLACK_PATH".into()),
        ],
        None,
    );
    assert!(check_call(&g, &fetch(template, None), 0, &none).is_err());
}

#[test]
fn kv_writes_are_held_to_the_quota_and_logs_need_no_grant() {
    let g = grants();
    let put = |len: usize| {
        Envelope::request::<KvPut>(
            2,
            &KvPutRequest {
                key: "k".into(),
                value: vec![0; len],
            },
            1000,
            MAX,
        )
        .expect("envelope")
    };
    let total = |key: &str, len: usize| (key.len() + len) as u64;
    assert_eq!(check_call(&g, &put(99), 0, &total), Ok(()));
    let why = check_call(&g, &put(100), 0, &total).expect_err("over quota");
    assert_eq!(
        why.rule,
        DenialRule::KvQuota {
            used: 101,
            quota: 100
        }
    );
    assert!(why.to_string().contains("quota"), "{why}");
    let log = Envelope::request::<Log>(
        3,
        &LogRecord {
            level: LogLevel::Info,
            message: "hi".into(),
            fields: Vec::new(),
        },
        1000,
        MAX,
    )
    .expect("envelope");
    assert_eq!(check_call(&g, &log, 0, &none), Ok(()));
}

#[test]
fn a_method_no_capability_covers_is_denied() {
    let log = Envelope::request::<Log>(
        3,
        &LogRecord {
            level: LogLevel::Info,
            message: "hi".into(),
            fields: Vec::new(),
        },
        1000,
        MAX,
    )
    .expect("envelope");
    let unknown = Envelope {
        method: "fs.read".into(),
        ..log
    };
    assert_eq!(
        check_call(&grants(), &unknown, 0, &none),
        Err(Denial {
            capability: None,
            rule: DenialRule::NoCapabilityCovers
        })
    );
}
