//! The test host checks calls with the policy crate's one call check, exactly as the
//! supervisor's `GrantCheck` does: no drifted copy of it.

use faxbot_example_testkit::Host;
use faxbot_plugin_abi::Envelope;
use faxbot_plugin_abi::methods::{HttpFetch, HttpRequest};
use faxbot_plugin_abi::secret::SecretTemplate;
use faxbot_policy::manifest::{Manifest, ResourceCeilings};

const MANIFEST: &str = r#"
id = "relay-demo"
name = "Relay demo"
version = "0.1.0"
publisher = "acme"
min_core_version = "0.1.0"
entry = "bin/relay"

[capabilities]
egress = ["https://relay.example.com/hooks/*"]
secrets = ["RELAY_TOKEN"]
"#;

fn fetch(url: SecretTemplate) -> Envelope {
    let request = HttpRequest {
        method: "POST".into(),
        url,
        headers: Vec::new(),
        body: Vec::new(),
        timeout_ms: 1000,
    };
    Envelope::request::<HttpFetch>(3, &request, 1000, 1 << 20).expect("envelope")
}

#[test]
fn the_test_host_refuses_a_secret_in_the_url_authority() {
    let manifest = Manifest::parse(MANIFEST, &ResourceCeilings::default()).expect("manifest");
    let check = Host::for_manifest(&manifest).hooks().check;
    let t = SecretTemplate::text;
    let granted = t("https://relay.example.com/hooks/").and_secret("RELAY_TOKEN");
    assert_eq!(check.permits("relay-demo", &fetch(granted)), Ok(()));
    for template in [
        t("https://relay.")
            .and_secret("RELAY_TOKEN")
            .and_text("/hooks/x"),
        t("https://relay.example.com:")
            .and_secret("RELAY_TOKEN")
            .and_text("/hooks/x"),
        t("https://x:")
            .and_secret("RELAY_TOKEN")
            .and_text("@relay.example.com/hooks/x"),
        t("https:///")
            .and_secret("RELAY_TOKEN")
            .and_text(".example.com/hooks/x"),
    ] {
        let why = check
            .permits("relay-demo", &fetch(template.clone()))
            .expect_err("a secret may not choose the destination");
        assert!(
            why.to_string().starts_with("http.egress denied"),
            "{template:?}: {why}"
        );
    }
}
