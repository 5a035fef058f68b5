//! The authorisation matrix: every endpoint of the table × every scope × platform and
//! tenant keys, against the real daemon. Only the right combinations get past the
//! authorisation layer (anything but 401/403); the rest get 403 (or 401 without a key).
//! Then cross-tenant: a tenant key with every scope is refused (403) on every endpoint that
//! names another tenant's object, and HIPAA tenants only see and install HIPAA plugins.

mod support;

use faxbot_api::auth::Scope;
use faxbot_api::endpoints::{Access, ENDPOINTS, Endpoint};
use serde_json::json;
use support::{Client, Daemon, Publisher, Response, init, tiny_package, trust};

fn make_key(
    c: &Client,
    admin: &str,
    name: &str,
    scopes: &[&str],
    tenant: Option<&str>,
) -> (String, String) {
    let mut body = json!({"name": name, "scopes": scopes});
    if let Some(t) = tenant {
        body["tenant"] = json!(t);
    }
    let made = c.post_json("/v1/keys", admin, &body).expect(201).json();
    (
        made["key"].as_str().expect("key").to_owned(),
        made["id"].as_str().expect("id").to_owned(),
    )
}

/// A request to `endpoint` that is well formed, aimed at `object` (an id) where the path has
/// one; `n` makes bodies unique.
fn call(
    c: &Client,
    e: &Endpoint,
    key: Option<&str>,
    object: &str,
    n: usize,
    own_scope: &str,
) -> Response {
    let path = e.path.replace("{id}", object);
    let body: Option<serde_json::Value> = match (e.method, e.path) {
        ("POST", "/v1/keys") => Some(json!({"name": format!("m{n}"), "scopes": [own_scope]})),
        ("POST", "/v1/tenants") => Some(json!({"id": format!("matrix-{n}")})),
        ("POST", "/v1/trust/keys") => Some(
            json!({"publisher": "x", "tier": "curated", "scheme": "ed25519", "public_key": "bad"}),
        ),
        ("POST", "/v1/trust/revocations") => Some(json!({"package": format!("sha256:{n:064x}")})),
        ("POST", "/v1/plugins") => None,
        ("POST", _) => Some(json!({})),
        _ => None,
    };
    match (e.method, body) {
        ("POST", Some(body)) => c.send(
            "POST",
            &path,
            key,
            Some("application/json"),
            body.to_string().as_bytes(),
        ),
        ("POST", None) => {
            let (ct, body) = support::multipart(&[]);
            c.send("POST", &path, key, Some(&ct), &body)
        }
        (method, _) => c.send(method, &path, key, None, b""),
    }
}

#[test]
fn every_endpoint_admits_exactly_the_scopes_and_key_kinds_it_names() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("state");
    let admin = init(&dir);
    support::write_config(
        &dir,
        "[auth]\nrate_limit_per_second = 1000\nrate_limit_burst = 1000\n",
    );
    let daemon = Daemon::start(&dir);
    let c = &daemon.client;
    c.post_json("/v1/tenants", &admin, &json!({"id": "tenant-a"}))
        .expect(201);

    let mut n = 0;
    for scope in Scope::ALL {
        for tenant in [None, Some("tenant-a")] {
            let (key, _) = make_key(
                c,
                &admin,
                &format!("only-{}", scope.name()),
                &[scope.name()],
                tenant,
            );
            for e in ENDPOINTS {
                n += 1;
                let answer = call(c, e, Some(&key), "nothing-here", n, scope.name());
                if e.access == Access::OwnCredential {
                    // No API key decides these: the request's own signature or token does.
                    let code = answer.json()["code"].as_str().unwrap_or("").to_owned();
                    assert!(
                        code != "missing_scope" && answer.status < 500,
                        "{} {}: {} {code}",
                        e.method,
                        e.path,
                        answer.status
                    );
                    continue;
                }
                let allowed = match e.access {
                    Access::OwnCredential => unreachable!("handled above"),
                    Access::Public | Access::Authenticated => true,
                    Access::Scope(s) => s == scope,
                    Access::PlatformScope(s) => s == scope && tenant.is_none(),
                };
                let who = format!(
                    "{} {} with {} ({})",
                    e.method,
                    e.path,
                    scope.name(),
                    tenant.unwrap_or("platform")
                );
                if allowed {
                    assert!(
                        answer.status != 401 && answer.status != 403,
                        "{who} should pass the authorisation layer: {} {}",
                        answer.status,
                        answer.text()
                    );
                    assert!(
                        answer.status < 500,
                        "{who}: {} {}",
                        answer.status,
                        answer.text()
                    );
                } else {
                    assert_eq!(
                        answer.status,
                        403,
                        "{who} must be refused: {}",
                        answer.text()
                    );
                    let code = answer.json()["code"].as_str().unwrap_or("").to_owned();
                    assert!(
                        code == "missing_scope" || code == "forbidden",
                        "{who}: {code}"
                    );
                }
            }
        }
    }
    for e in ENDPOINTS {
        let answer = call(c, e, None, "nothing-here", 0, "plugins:read");
        if e.access == Access::OwnCredential {
            // Without their own credential they are refused by it, not for a missing key.
            assert!(
                matches!(answer.status, 403 | 404 | 422 | 503),
                "{} {} without its own credential: {}",
                e.method,
                e.path,
                answer.status
            );
        } else if e.access == Access::Public {
            assert!(
                answer.status < 400,
                "{} {} is public: {}",
                e.method,
                e.path,
                answer.status
            );
        } else {
            assert_eq!(answer.status, 401, "{} {} without a key", e.method, e.path);
        }
    }
}

#[test]
fn a_tenant_never_reaches_another_tenants_plugins_or_keys_even_with_every_scope() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("state");
    let admin = init(&dir);
    let publisher = Publisher::new("acme");
    trust(&dir, &publisher.trust_entry("curated"));
    support::write_config(
        &dir,
        "[auth]\nrate_limit_per_second = 1000\nrate_limit_burst = 1000\n",
    );
    let daemon = Daemon::start(&dir);
    let c = &daemon.client;
    for t in ["tenant-a", "tenant-b"] {
        c.post_json("/v1/tenants", &admin, &json!({"id": t}))
            .expect(201);
    }
    let tenant_scopes: Vec<&str> = Scope::ALL.iter().map(|s| s.name()).collect();
    let (a, a_id) = make_key(c, &admin, "a-all", &tenant_scopes, Some("tenant-a"));
    let (b, _) = make_key(c, &admin, "b-all", &tenant_scopes, Some("tenant-b"));

    // Tenant A installs "tiny" (not started).
    let (fxp, sig, _) = tiny_package(&publisher, "tiny", "1.0.0", true);
    let uploaded = c.upload(&a, "", &fxp, &sig).expect(201).json();
    assert_eq!(uploaded["tenant"], "tenant-a");

    // B sees nothing of A's, and every endpoint on A's plugin or key is 403 for B.
    assert_eq!(
        c.get("/v1/plugins", &b).expect(200).json()["plugins"],
        json!([])
    );
    // And tenant A sends a fax.
    let (ct, body) = support::multipart(&[("to", "to", b"+15551230001"), ("file", "f", b"hello")]);
    let fax = c
        .send("POST", "/v1/faxes", Some(&a), Some(&ct), &body)
        .expect(202)
        .json();
    let fax_id = fax["id"].as_str().expect("fax id").to_owned();
    for e in ENDPOINTS.iter().filter(|e| e.tenant_object) {
        let object = if e.path.starts_with("/v1/keys") {
            a_id.as_str()
        } else if e.path.starts_with("/v1/faxes") {
            fax_id.as_str()
        } else {
            "tiny"
        };
        let answer = call(c, e, Some(&b), object, 0, "plugins:read");
        assert_eq!(
            answer.status,
            403,
            "{} {} on tenant-a's object: {}",
            e.method,
            e.path,
            answer.text()
        );
    }
    // B uploading a package under A's plugin id is refused too.
    let (fxp2, sig2, _) = tiny_package(&publisher, "tiny", "2.0.0", true);
    c.upload(&b, "", &fxp2, &sig2)
        .expect_error(403, "forbidden");
    // B's audit view holds none of A's records.
    let audit = c.get("/v1/audit?limit=1000", &b).expect(200).json();
    assert!(
        audit["records"]
            .as_array()
            .expect("records")
            .iter()
            .all(|r| r["tenant"] == "tenant-b"),
        "{audit}"
    );
    // A still has its plugin, untouched, and may act on it.
    c.post_json("/v1/plugins/tiny/approve", &a, &json!({"start": false}))
        .expect(200);
    assert_eq!(
        c.get("/v1/plugins/tiny", &a).expect(200).json()["state"],
        "approved"
    );
    // A tenant cannot make keys for another tenant or for the platform.
    c.post_json(
        "/v1/keys",
        &a,
        &json!({"name": "x", "scopes": ["plugins:read"], "tenant": "tenant-b"}),
    )
    .expect_error(403, "forbidden");
    // The platform admin sees both tenants' objects.
    assert_eq!(
        c.get("/v1/plugins", &admin).json()["plugins"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}

#[test]
fn a_hipaa_tenant_sees_and_installs_only_hipaa_compliant_plugins() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("state");
    let admin = init(&dir);
    let publisher = Publisher::new("acme");
    trust(&dir, &publisher.trust_entry("curated"));
    let daemon = Daemon::start(&dir);
    let c = &daemon.client;
    c.post_json(
        "/v1/tenants",
        &admin,
        &json!({"id": "clinic", "hipaa_mode": true}),
    )
    .expect(201);
    let (clinic, _) = make_key(
        c,
        &admin,
        "clinic",
        &["plugins:read", "plugins:install"],
        Some("clinic"),
    );
    let (not_hipaa, not_hipaa_sig, _) = tiny_package(&publisher, "not-hipaa", "1.0.0", false);
    let refused = c
        .upload(&clinic, "", &not_hipaa, &not_hipaa_sig)
        .expect_error(422, "not_allowed_for_tenant")
        .json();
    assert!(
        refused["message"].as_str().expect("m").contains("HIPAA"),
        "{refused}"
    );
    // Nor may a platform key install it for the clinic.
    c.upload(&admin, "?tenant=clinic", &not_hipaa, &not_hipaa_sig)
        .expect_error(422, "not_allowed_for_tenant");
    let (ok, ok_sig, _) = tiny_package(&publisher, "is-hipaa", "1.0.0", true);
    c.upload(&clinic, "", &ok, &ok_sig).expect(201);
    let listed = c.get("/v1/plugins", &clinic).expect(200).json();
    let ids: Vec<&str> = listed["plugins"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|p| p["id"].as_str())
        .collect();
    assert_eq!(ids, vec!["is-hipaa"]);
    assert_eq!(
        c.get("/v1/plugins", &clinic).json()["plugins"][0]["tenant"],
        "clinic"
    );
}
