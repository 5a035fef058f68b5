//! Egress rules and URL normalisation against the classic tricks: each test names the
//! attack it stops.

use faxbot_policy::egress::{
    EgressRule, HostPattern, NormalizedUrl, RuleError, UrlError, first_match,
};

fn rule(s: &str) -> EgressRule {
    EgressRule::parse(s).unwrap_or_else(|e| panic!("rule {s}: {e}"))
}

fn allowed(rule_text: &str, url: &str) -> bool {
    match NormalizedUrl::parse(url) {
        Ok(u) => rule(rule_text).matches(&u),
        Err(_) => false,
    }
}

const SLACK: &str = "https://hooks.slack.com/services/*";

#[test]
fn the_plain_request_is_allowed() {
    assert!(allowed(SLACK, "https://hooks.slack.com/services/T0/B0/xyz"));
    assert!(allowed(
        SLACK,
        "https://hooks.slack.com:443/services/T0?x=1"
    ));
}

#[test]
fn a_suffix_of_the_allowed_host_on_another_domain_is_refused() {
    assert!(!allowed(
        SLACK,
        "https://hooks.slack.com.evil.test/services/x"
    ));
}

#[test]
fn a_fragment_hiding_the_real_host_is_refused() {
    assert_eq!(
        NormalizedUrl::parse("https://evil.test#@hooks.slack.com/services/x"),
        Err(UrlError::Fragment)
    );
    assert!(!allowed(
        SLACK,
        "https://evil.test#@hooks.slack.com/services/x"
    ));
}

#[test]
fn userinfo_in_any_form_is_refused() {
    for url in [
        "https://hooks.slack.com@evil.test/services/x",
        "https://user:pass@hooks.slack.com/services/x",
        "https://@hooks.slack.com/services/x",
        "https://hooks.slack.com:443@evil.test/services/x",
        "https://evil.test%40hooks.slack.com/services/x",
    ] {
        assert!(NormalizedUrl::parse(url).is_err(), "{url}");
        assert!(!allowed(SLACK, url), "{url}");
    }
    assert_eq!(
        NormalizedUrl::parse("https://user@hooks.slack.com/services/x"),
        Err(UrlError::Userinfo)
    );
}

#[test]
fn backslashes_that_parsers_disagree_on_are_refused() {
    for url in [
        "https://hooks.slack.com\\@evil.test/services/x",
        "https://evil.test\\hooks.slack.com/services/x",
        "https:\\\\hooks.slack.com/services/x",
    ] {
        assert_eq!(
            NormalizedUrl::parse(url),
            Err(UrlError::AmbiguousCharacter('\\')),
            "{url}"
        );
    }
}

#[test]
fn mixed_case_and_a_trailing_dot_normalise_to_the_same_host() {
    assert!(allowed(SLACK, "HTTPS://Hooks.SLACK.com/services/x"));
    assert!(allowed(SLACK, "https://hooks.slack.com./services/x"));
    assert!(allowed(SLACK, "https://hooks.slack.com:443/services/x"));
    // Path case is significant: the rule names /services.
    assert!(!allowed(SLACK, "https://hooks.slack.com/SERVICES/x"));
}

#[test]
fn unicode_look_alike_hosts_do_not_match_the_ascii_host() {
    // Cyrillic "а" (U+0430) in "slаck".
    let url = NormalizedUrl::parse("https://hooks.sl\u{430}ck.com/services/x").expect("parses");
    match url.host() {
        faxbot_policy::egress::UrlHost::Domain(d) => assert!(d.contains("xn--"), "{d}"),
        other => panic!("{other:?}"),
    }
    assert!(!rule(SLACK).matches(&url));
    // Greek omicron in "hοοks".
    assert!(!allowed(
        SLACK,
        "https://h\u{3bf}\u{3bf}ks.slack.com/services/x"
    ));
}

#[test]
fn fullwidth_letters_map_to_ascii_as_the_http_client_would() {
    // UTS 46 maps fullwidth forms to ASCII; the client connects to hooks.slack.com.
    assert!(allowed(SLACK, "https://\u{ff48}ooks.slack.com/services/x"));
}

#[test]
fn a_rule_for_a_unicode_host_matches_its_punycode_form() {
    let r = rule("https://bücher.example/api/");
    assert_eq!(
        r.host(),
        &HostPattern::Exact("xn--bcher-kva.example".into())
    );
    assert!(r.matches(&NormalizedUrl::parse("https://xn--bcher-kva.example/api/x").expect("ok")));
    assert!(r.matches(&NormalizedUrl::parse("https://BÜCHER.example/api/x").expect("ok")));
}

#[test]
fn ipv4_mapped_ipv6_loopback_is_not_a_domain_or_another_ip() {
    assert!(!allowed(SLACK, "https://[::ffff:127.0.0.1]/services/x"));
    assert!(!allowed(
        "https://127.0.0.1/",
        "https://[::ffff:127.0.0.1]/"
    ));
    assert!(allowed(
        "https://[::ffff:127.0.0.1]/",
        "https://[::ffff:7f00:1]/"
    ));
}

#[test]
fn decimal_octal_and_hex_ipv4_forms_are_refused() {
    for (url, written) in [
        ("https://2130706433/", "2130706433"),
        ("https://0177.0.0.1/", "0177.0.0.1"),
        ("https://0x7f.0.0.1/", "0x7f.0.0.1"),
        ("https://127.1/", "127.1"),
        ("https://017700000001/", "017700000001"),
    ] {
        assert_eq!(
            NormalizedUrl::parse(url),
            Err(UrlError::AmbiguousIpv4(written.to_string())),
            "{url}"
        );
    }
    // Even a rule naming 127.0.0.1 does not let an obfuscated form through.
    assert!(!allowed("https://127.0.0.1/", "https://2130706433/"));
}

#[test]
fn ip_literals_match_only_a_rule_naming_that_ip() {
    assert!(allowed("https://203.0.113.7/", "https://203.0.113.7/x"));
    assert!(!allowed("https://203.0.113.7/", "https://203.0.113.8/x"));
    assert!(!allowed("https://*.example.com/", "https://203.0.113.7/x"));
    assert!(allowed(
        "https://[2001:db8::1]:8443/",
        "https://[2001:DB8:0::1]:8443/"
    ));
}

#[test]
fn percent_encoding_is_normalised_before_prefix_matching() {
    // %73 is "s": the request is really for /services/.
    assert!(allowed(SLACK, "https://hooks.slack.com/%73ervices/x"));
    let u = NormalizedUrl::parse("https://hooks.slack.com/services/a%2fb").err();
    assert_eq!(u, Some(UrlError::AmbiguousPath));
    assert_eq!(
        NormalizedUrl::parse("https://hooks.slack.com/services/..%5Cadmin").err(),
        Some(UrlError::AmbiguousPath)
    );
    assert_eq!(
        NormalizedUrl::parse("https://hooks.slack.com/services/%00").err(),
        Some(UrlError::AmbiguousPath)
    );
    let lower = NormalizedUrl::parse("https://hooks.slack.com/services/%e2%82%ac").expect("ok");
    assert_eq!(lower.path(), "/services/%E2%82%AC");
}

#[test]
fn dot_segments_cannot_climb_out_of_the_path_prefix() {
    assert!(!allowed(SLACK, "https://hooks.slack.com/services/../admin"));
    assert!(!allowed(
        SLACK,
        "https://hooks.slack.com/services/%2e%2e/admin"
    ));
    assert!(!allowed(
        SLACK,
        "https://hooks.slack.com/services/.%2E/admin"
    ));
}

#[test]
fn a_path_prefix_matches_on_segment_boundaries() {
    let r = "https://api.example.com/v1";
    assert!(allowed(r, "https://api.example.com/v1"));
    assert!(allowed(r, "https://api.example.com/v1/x"));
    assert!(!allowed(r, "https://api.example.com/v10"));
    assert!(!allowed(r, "https://api.example.com/v1x/y"));
}

#[test]
fn scheme_and_port_must_match_exactly() {
    assert!(!allowed(SLACK, "http://hooks.slack.com/services/x"));
    assert!(!allowed(SLACK, "https://hooks.slack.com:8443/services/x"));
    assert!(allowed(
        "https://api.example.com:8443/",
        "https://api.example.com:8443/x"
    ));
    assert!(!allowed(
        "https://api.example.com:8443/",
        "https://api.example.com/x"
    ));
}

#[test]
fn a_wildcard_matches_subdomains_but_not_the_domain_or_lookalike_suffixes() {
    let r = "https://*.example.com/";
    assert!(allowed(r, "https://a.example.com/"));
    assert!(allowed(r, "https://a.b.example.com/"));
    assert!(!allowed(r, "https://example.com/"));
    assert!(!allowed(r, "https://badexample.com/"));
    assert!(!allowed(r, "https://a.example.com.evil.test/"));
}

#[test]
fn bare_tld_and_public_suffix_wildcards_are_refused() {
    for (text, suffix) in [
        ("https://*.com/", "com"),
        ("https://*.co.uk/", "co.uk"),
        ("https://*.github.io/", "github.io"),
    ] {
        assert_eq!(
            EgressRule::parse(text),
            Err(RuleError::WildcardOverPublicSuffix(suffix.to_string())),
            "{text}"
        );
    }
    assert!(EgressRule::parse("https://*/").is_err());
    assert!(EgressRule::parse("https://*.example.co.uk/").is_ok());
    assert_eq!(
        EgressRule::parse("https://a.*.example.com/"),
        Err(RuleError::MisplacedWildcard("a.*.example.com".into()))
    );
    assert_eq!(
        EgressRule::parse("https://*.10.0.0.1/"),
        Err(RuleError::WildcardOverIp("10.0.0.1".into()))
    );
}

#[test]
fn malformed_rules_say_what_is_wrong() {
    assert_eq!(
        EgressRule::parse("https://x.example.com:0/"),
        Err(RuleError::BadPort("0".into()))
    );
    assert_eq!(
        EgressRule::parse("https://x.example.com:0/").map_err(|e| e.to_string()),
        Err("port 0 is not valid".to_string())
    );
    assert_eq!(
        EgressRule::parse("https://x.example.com:65536/"),
        Err(RuleError::BadPort("65536".into()))
    );
    assert_eq!(
        EgressRule::parse("http://x.example.com/"),
        Err(RuleError::SchemeNotAllowed("http".into()))
    );
    assert_eq!(
        EgressRule::parse("x.example.com"),
        Err(RuleError::MissingScheme)
    );
    assert_eq!(
        EgressRule::parse("https://u@x.example.com/"),
        Err(RuleError::BadCharacter('@'))
    );
    assert_eq!(
        EgressRule::parse("https://localhost/"),
        Err(RuleError::SingleLabelHost("localhost".into()))
    );
    assert_eq!(
        EgressRule::parse("https://1.2.3/"),
        Err(RuleError::NumericHost("1.2.3".into()))
    );
    assert!(matches!(
        EgressRule::parse("https://x.example.com/a/*/b"),
        Err(RuleError::BadPath(_))
    ));
    assert!(matches!(
        EgressRule::parse("https://x.example.com/a/../b"),
        Err(RuleError::BadPath(_))
    ));
}

#[test]
fn rules_print_canonically_and_round_trip() {
    let r = rule("HTTPS://Hooks.Slack.com./services/*");
    assert_eq!(r.to_string(), "https://hooks.slack.com:443/services/*");
    assert_eq!(rule(&r.to_string()), r);
    assert_eq!(rule("https://[::1]:8443").to_string(), "https://[::1]:8443");
}

#[test]
fn first_match_returns_the_rule_that_allowed_the_request() {
    let rules = vec![rule("https://a.example.com/"), rule(SLACK)];
    let url = NormalizedUrl::parse("https://hooks.slack.com/services/x").expect("ok");
    assert_eq!(first_match(&rules, &url), Some(&rules[1]));
    let other = NormalizedUrl::parse("https://b.example.com/").expect("ok");
    assert_eq!(first_match(&rules, &other), None);
}

#[test]
fn a_narrower_rule_is_covered_and_a_wider_one_is_not() {
    let wide = rule("https://*.example.com/api/");
    assert!(rule("https://a.example.com/api/v1/").is_covered_by(&wide));
    assert!(rule("https://*.a.example.com/api/").is_covered_by(&wide));
    assert!(!rule("https://example.com/api/").is_covered_by(&wide));
    assert!(!rule("https://a.example.com/").is_covered_by(&wide));
    assert!(!rule("https://a.example.com:8443/api/").is_covered_by(&wide));
    assert!(!wide.is_covered_by(&rule("https://a.example.com/api/")));
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn parsing_never_panics(s in ".{0,200}") {
            let _ = NormalizedUrl::parse(&s);
            let _ = EgressRule::parse(&s);
        }

        #[test]
        fn any_host_that_is_not_the_rule_host_or_below_it_is_refused(label in "[a-z0-9]{1,12}", tld in "(com|net|test)") {
            let host = format!("{label}.{tld}");
            prop_assume!(host != "slack.com");
            let url = format!("https://hooks.slack.com.{host}/services/x");
            prop_assert!(!allowed(SLACK, &url));
            let url = format!("https://{host}/services/hooks.slack.com");
            prop_assert!(!allowed(SLACK, &url));
        }

        #[test]
        fn normalised_urls_are_a_fixed_point(host in "[a-z]{1,10}\\.(com|org)", path in "(/[a-zA-Z0-9._~-]{1,8}){0,4}") {
            let first = NormalizedUrl::parse(&format!("https://{host}{path}")).expect("valid");
            let again = NormalizedUrl::parse(&first.to_string()).expect("valid");
            prop_assert_eq!(first, again);
        }

        #[test]
        fn a_rule_covered_by_another_allows_nothing_the_other_refuses(
            sub in "[a-z]{1,6}", seg in "[a-z]{1,6}", rest in "[a-z]{0,6}"
        ) {
            let wide = rule("https://*.example.com/api/");
            let narrow = rule(&format!("https://{sub}.example.com/api/{seg}/"));
            prop_assert!(narrow.is_covered_by(&wide));
            let url = NormalizedUrl::parse(&format!("https://{sub}.example.com/api/{seg}/{rest}")).expect("valid");
            prop_assert!(narrow.matches(&url));
            prop_assert!(wide.matches(&url));
        }
    }
}

mod templates {
    use super::*;
    use faxbot_plugin_abi::secret::SecretTemplate;

    #[test]
    fn a_secret_in_the_path_or_query_is_matched_with_its_placeholder() {
        let t = SecretTemplate::text("https://hooks.slack.com/services/").and_secret("SLACK_PATH");
        let url = NormalizedUrl::parse_template(&t).expect("ok");
        assert!(rule(SLACK).matches(&url));
        let t = SecretTemplate::text("https://api.example.com/v1?token=").and_secret("TOKEN");
        assert!(NormalizedUrl::parse_template(&t).is_ok());
    }

    #[test]
    fn a_secret_in_the_host_cannot_steer_the_destination() {
        for t in [
            SecretTemplate::text("https://")
                .and_secret("HOST")
                .and_text("/services/x"),
            SecretTemplate::text("https://hooks.slack.com")
                .and_secret("SUFFIX")
                .and_text("/services/x"),
            SecretTemplate::text("https://hooks.slack.com:").and_secret("PORT"),
            SecretTemplate::default().and_secret("WHOLE_URL"),
        ] {
            assert_eq!(
                NormalizedUrl::parse_template(&t),
                Err(UrlError::SecretInAuthority),
                "{t:?}"
            );
        }
    }
}

#[test]
fn missing_or_extra_slashes_before_the_host_are_refused() {
    for url in [
        "https:///hooks.slack.com/services/x",
        "https:////hooks.slack.com/services/x",
        "https:hooks.slack.com/services/x",
        "https:/hooks.slack.com/services/x",
    ] {
        assert_eq!(
            NormalizedUrl::parse(url),
            Err(UrlError::AmbiguousAuthority),
            "{url}"
        );
        assert!(!allowed(SLACK, url), "{url}");
    }
    assert!(NormalizedUrl::parse("HTTPS://hooks.slack.com/services/x").is_ok());
}
