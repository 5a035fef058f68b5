//! Grants: approval as a subset of the request, the check of every capability, expiry,
//! upgrades and risk summaries.

use faxbot_policy::capability::{
    Action, Capability, CapabilityKind, Decision, DenialRule, Grant, GrantError, Grants, JobSpec,
    RiskLevel, check, upgrade_diff,
};
use faxbot_policy::egress::{EgressRule, NormalizedUrl, UrlHost};

fn rule(s: &str) -> EgressRule {
    EgressRule::parse(s).expect("rule")
}

fn v(s: &str) -> semver::Version {
    semver::Version::parse(s).expect("version")
}

fn requested() -> Vec<Capability> {
    vec![
        Capability::Subscribe("fax.job.*".into()),
        Capability::Emit("plugin.slack.posted".into()),
        Capability::Egress(rule("https://*.slack.com/")),
        Capability::KvQuota(1 << 20),
        Capability::Route("/hooks/*".into()),
        Capability::Job(JobSpec {
            name: "daily".into(),
            cron: "0 2 * * *".into(),
        }),
        Capability::Secret("SLACK_WEBHOOK".into()),
        Capability::FaxJobStatus,
    ]
}

fn all() -> Grants {
    Grants::approve_all("slack", v("1.0.0"), requested(), None)
}

fn denied_because(d: Decision) -> DenialRule {
    match d {
        Decision::Deny(denial) => denial.rule,
        Decision::Allow => panic!("expected a denial"),
    }
}

#[test]
fn every_capability_is_allowed_by_its_grant_and_only_by_it() {
    let g = all();
    let url = NormalizedUrl::parse("https://hooks.slack.com/services/x").expect("url");
    let other = NormalizedUrl::parse("https://evil.test/").expect("url");
    let allowed = [
        Action::ReceiveEvent {
            topic: "fax.job.sent",
        },
        Action::EmitEvent {
            topic: "plugin.slack.posted",
        },
        Action::Egress { url: &url },
        Action::KvRead,
        Action::KvWrite {
            total_bytes_after: 1 << 20,
        },
        Action::ServeRoute { path: "/hooks/a" },
        Action::RunJob { name: "daily" },
        Action::UseSecret {
            name: "SLACK_WEBHOOK",
        },
        Action::FaxJobStatus,
    ];
    for a in &allowed {
        assert_eq!(check(&g, a, 0), Decision::Allow, "{a:?}");
    }
    let refused = [
        Action::ReceiveEvent {
            topic: "fax.inbound.received",
        },
        Action::EmitEvent {
            topic: "plugin.slack.other",
        },
        Action::Egress { url: &other },
        Action::ServeRoute { path: "/hooks" },
        Action::RunJob { name: "hourly" },
        Action::UseSecret { name: "OTHER" },
    ];
    let rules = [
        DenialRule::TopicNotGranted,
        DenialRule::TopicNotGranted,
        DenialRule::EgressNotAllowed {
            scheme: "https".into(),
            host: UrlHost::Domain("evil.test".into()),
            port: 443,
        },
        DenialRule::NotGranted,
        DenialRule::NotGranted,
        DenialRule::SecretNotGranted {
            name: Some("OTHER".into()),
        },
    ];
    for (a, rule) in refused.iter().zip(rules) {
        assert_eq!(denied_because(check(&g, a, 0)), rule, "{a:?}");
    }
    let none = Grants::approve("slack", v("1.0.0"), requested(), vec![]).expect("empty is fine");
    for a in &allowed {
        assert!(
            !check(&none, a, 0).is_allowed(),
            "nothing is granted by default: {a:?}"
        );
    }
}

#[test]
fn a_plugin_cannot_emit_outside_its_own_namespace_even_if_granted() {
    let g = Grants::approve_all(
        "slack",
        v("1.0.0"),
        vec![Capability::Emit("plugin.slack.*".into())],
        None,
    );
    let d = check(
        &g,
        &Action::EmitEvent {
            topic: "plugin.other.x",
        },
        0,
    );
    assert_eq!(denied_because(d), DenialRule::OutsideOwnNamespace);
    let d = check(
        &g,
        &Action::EmitEvent {
            topic: "fax.job.sent",
        },
        0,
    );
    assert_eq!(denied_because(d), DenialRule::OutsideOwnNamespace);
}

#[test]
fn a_kv_write_past_the_quota_is_denied_with_the_quota() {
    let d = check(
        &all(),
        &Action::KvWrite {
            total_bytes_after: (1 << 20) + 1,
        },
        0,
    );
    assert_eq!(
        denied_because(d),
        DenialRule::KvQuota {
            quota: 1 << 20,
            used: (1 << 20) + 1
        }
    );
}

#[test]
fn an_expired_grant_is_a_denied_grant() {
    let g = Grants::approve(
        "slack",
        v("1.0.0"),
        requested(),
        vec![Grant::until(
            Capability::Secret("SLACK_WEBHOOK".into()),
            1_000,
        )],
    )
    .expect("subset");
    let use_secret = Action::UseSecret {
        name: "SLACK_WEBHOOK",
    };
    assert!(check(&g, &use_secret, 999).is_allowed());
    assert_eq!(
        denied_because(check(&g, &use_secret, 1_000)),
        DenialRule::Expired { at_ms: 1_000 }
    );
    assert_eq!(g.next_expiry(0), Some(1_000));
    assert_eq!(g.next_expiry(1_000), None);
    assert!(g.to_abi(999).secrets.contains(&"SLACK_WEBHOOK".to_string()));
    assert!(g.to_abi(1_000).secrets.is_empty());
}

#[test]
fn an_admin_can_narrow_a_request_but_never_widen_it() {
    let narrower = vec![
        Grant::permanent(Capability::Subscribe("fax.job.delivered".into())),
        Grant::permanent(Capability::Egress(rule(
            "https://hooks.slack.com/services/",
        ))),
        Grant::permanent(Capability::KvQuota(4096)),
        Grant::permanent(Capability::Route("/hooks/in".into())),
    ];
    let g = Grants::approve("slack", v("1.0.0"), requested(), narrower).expect("narrower is fine");
    let url = NormalizedUrl::parse("https://api.slack.com/").expect("url");
    assert!(!check(&g, &Action::Egress { url: &url }, 0).is_allowed());

    for wider in [
        Capability::Subscribe("fax.*".into()),
        Capability::Egress(rule("https://slack.com/")),
        Capability::Egress(rule("https://hooks.slack.com:8443/")),
        Capability::KvQuota((1 << 20) + 1),
        Capability::Route("/*".into()),
        Capability::Job(JobSpec {
            name: "daily".into(),
            cron: "* * * * *".into(),
        }),
        Capability::Secret("AWS_KEY".into()),
        Capability::Emit("plugin.other.*".into()),
    ] {
        let e = Grants::approve(
            "slack",
            v("1.0.0"),
            requested(),
            vec![Grant::permanent(wider.clone())],
        )
        .expect_err("wider than asked");
        assert_eq!(e, GrantError::NotRequested(wider.to_string()));
    }
}

#[test]
fn stored_grants_that_widen_the_request_are_refused_on_load() {
    let json = r#"{"plugin_id":"slack","plugin_version":"1.0.0","requested":[],
        "granted":[{"capability":{"kind":"secret","value":"AWS_KEY"},"expires_at_ms":null}]}"#;
    let e = serde_json::from_str::<Grants>(json).expect_err("refused");
    assert!(e.to_string().contains("not covered"), "{e}");
    let ok = serde_json::to_string(&all()).expect("serialises");
    assert_eq!(
        serde_json::from_str::<Grants>(&ok).expect("round trip"),
        all()
    );
}

#[test]
fn grants_convert_to_the_abi_welcome_form() {
    let abi = all().to_abi(0);
    assert_eq!(abi.event_subscriptions, vec!["fax.job.*"]);
    assert_eq!(abi.emit_events, vec!["plugin.slack.posted"]);
    assert_eq!(abi.egress, vec!["https://*.slack.com:443"]);
    assert_eq!(abi.kv_quota_bytes, 1 << 20);
    assert_eq!(abi.routes, vec!["/hooks/*"]);
    assert_eq!(abi.jobs[0].name, "daily");
    assert_eq!(abi.secrets, vec!["SLACK_WEBHOOK"]);
    assert!(abi.fax_job_status);
}

#[test]
fn an_upgrade_lists_exactly_what_is_new() {
    let installed = Grants::approve(
        "slack",
        v("1.0.0"),
        requested(),
        requested()
            .into_iter()
            .filter(|c| !matches!(c, Capability::FaxJobStatus))
            .map(Grant::permanent)
            .collect(),
    )
    .expect("subset");
    let mut next = requested();
    next.retain(|c| !matches!(c, Capability::Route(_)));
    next.push(Capability::Secret("SLACK_SIGNING".into()));
    next.push(Capability::Egress(rule(
        "https://hooks.slack.com/services/",
    )));
    next.push(Capability::Egress(rule("https://api.github.com/")));
    next.push(Capability::KvQuota(2 << 20));
    next.retain(|c| *c != Capability::KvQuota(1 << 20));

    let diff = upgrade_diff(&installed, &next, 0);
    assert_eq!(
        diff.new,
        vec![
            Capability::Secret("SLACK_SIGNING".into()),
            Capability::Egress(rule("https://api.github.com/")),
            Capability::KvQuota(2 << 20),
        ]
    );
    assert!(diff.needs_reapproval());
    assert_eq!(diff.still_not_granted, vec![Capability::FaxJobStatus]);
    assert!(
        diff.dropped
            .iter()
            .any(|g| matches!(g.capability, Capability::Route(_)))
    );
    let carried = diff.carried_grants(&installed, v("1.1.0"), next.clone());
    assert!(
        carried
            .granted()
            .iter()
            .all(|g| !matches!(g.capability, Capability::Route(_)))
    );
    let url = NormalizedUrl::parse("https://api.github.com/").expect("url");
    assert!(
        !check(&carried, &Action::Egress { url: &url }, 0).is_allowed(),
        "new needs approval"
    );
    let approved = carried
        .with_additional(vec![Grant::permanent(Capability::Egress(rule(
            "https://api.github.com/",
        )))])
        .expect("requested");
    assert!(check(&approved, &Action::Egress { url: &url }, 0).is_allowed());
}

#[test]
fn an_upgrade_asking_for_nothing_new_runs_without_reapproval() {
    let diff = upgrade_diff(&all(), &requested(), 0);
    assert!(!diff.needs_reapproval());
    assert_eq!(diff.carried_over.len(), requested().len());
    assert!(diff.dropped.is_empty());
}

#[test]
fn risk_summaries_say_what_an_admin_is_approving() {
    let cases = [
        (
            Capability::Egress(rule("https://hooks.slack.com/")),
            "can send HTTPS requests to hooks.slack.com, any path",
        ),
        (
            Capability::Egress(rule("https://*.example.com:8443/api/")),
            "can send HTTPS requests to any host under example.com on port 8443, paths under /api/",
        ),
        (Capability::KvQuota(1 << 20), "can store up to 1 MiB"),
        (
            Capability::Secret("SLACK_WEBHOOK".into()),
            "can use the secret SLACK_WEBHOOK in outbound requests (the plugin never sees its value)",
        ),
        (
            Capability::Route("/status".into()),
            "serves HTTP requests from authenticated API clients at /ext/slack/status",
        ),
    ];
    for (c, want) in cases {
        assert_eq!(c.risk_summary("slack"), want);
    }
    assert_eq!(
        Capability::Egress(rule("https://a.example.com/")).risk_level(),
        RiskLevel::High
    );
    assert_eq!(Capability::KvQuota(1).risk_level(), RiskLevel::Low);
    for c in requested() {
        assert!(!c.risk_summary("slack").is_empty());
    }
}

#[test]
fn denial_messages_name_the_capability_and_no_request_data() {
    let url = NormalizedUrl::parse("https://evil.test/patient/12345?ssn=1").expect("url");
    let Decision::Deny(d) = check(&all(), &Action::Egress { url: &url }, 0) else {
        panic!("denied expected");
    };
    let text = d.to_string();
    assert_eq!(text, "http.egress denied: no grant allows this");
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn topic() -> impl Strategy<Value = String> {
        "[a-c]{1,2}(\\.[a-c]{1,2}){0,3}"
    }

    proptest! {
        #[test]
        fn a_covered_subscription_never_receives_a_topic_the_wider_one_would_not(
            wide in topic(), narrow in topic(), t in topic(), wide_wild: bool, narrow_wild: bool
        ) {
            let w = if wide_wild { format!("{wide}.*") } else { wide };
            let n = if narrow_wild { format!("{narrow}.*") } else { narrow };
            let wc = Capability::Subscribe(w.clone());
            let nc = Capability::Subscribe(n.clone());
            if nc.is_covered_by(&wc) {
                let gw = Grants::approve_all("p1x", v("1.0.0"), vec![wc], None);
                let gn = Grants::approve_all("p1x", v("1.0.0"), vec![nc], None);
                let a = Action::ReceiveEvent { topic: &t };
                if check(&gn, &a, 0).is_allowed() {
                    prop_assert!(check(&gw, &a, 0).is_allowed(), "{n} covered by {w} but {t}");
                }
            }
        }

        #[test]
        fn expiry_is_exact(expires in 1u64..u64::MAX, now: u64) {
            let g = Grants::approve("p1x", v("1.0.0"), vec![Capability::FaxJobStatus],
                vec![Grant::until(Capability::FaxJobStatus, expires)]).expect("subset");
            prop_assert_eq!(check(&g, &Action::FaxJobStatus, now).is_allowed(), now < expires);
        }
    }
}

#[test]
fn a_denial_names_its_capability_and_rule_and_repeats_no_request_value() {
    let g = Grants::approve_all("slack", v("1.0.0"), vec![], None);
    let url = NormalizedUrl::parse("https://evil.test/patient/12345?mrn=777").expect("url");
    let cases = [
        (
            Action::ReceiveEvent {
                topic: "fax.job.patient-12345",
            },
            CapabilityKind::Subscribe,
        ),
        (Action::Egress { url: &url }, CapabilityKind::Egress),
        (
            Action::ServeRoute {
                path: "/patient/12345",
            },
            CapabilityKind::Routes,
        ),
        (Action::RunJob { name: "job-12345" }, CapabilityKind::Jobs),
        (
            Action::UseSecret {
                name: "mrn 12345 777",
            },
            CapabilityKind::Secrets,
        ),
    ];
    for (action, kind) in cases {
        let Decision::Deny(denial) = check(&g, &action, 0) else {
            panic!("{action:?} must be denied");
        };
        assert_eq!(denial.capability, Some(kind), "{action:?}");
        let text = denial.to_string();
        assert!(text.starts_with(kind.name()), "{text}");
        assert!(
            !text.contains("12345") && !text.contains("777"),
            "a denial repeats no request value: {text}"
        );
    }
    assert_eq!(
        denied_because(check(&g, &Action::UseSecret { name: "mrn 12345" }, 0)),
        DenialRule::SecretNotGranted { name: None },
        "only a well-formed secret name is kept"
    );
}
