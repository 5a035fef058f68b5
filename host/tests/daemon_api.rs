//! `faxbot init` and `faxbot serve` against the real binary on loopback: the contract's
//! output lines, keys and scopes, JSON errors, health, metrics, the OpenAPI document, config
//! validation, SIGHUP and SIGTERM.

mod support;

use serde_json::json;
use std::time::Duration;
use support::{Daemon, init, write_config};

fn fresh() -> (tempfile::TempDir, std::path::PathBuf, String) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("state");
    let key = init(&dir);
    (tmp, dir, key)
}

#[test]
fn init_prints_one_admin_key_line_creates_a_private_directory_and_never_overwrites() {
    use std::os::unix::fs::PermissionsExt;
    let (_tmp, dir, key) = fresh();
    assert!(key.starts_with("fxb_") && key.len() > 80, "{key}");
    let mode = std::fs::metadata(&dir).expect("dir").permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
    for file in ["faxbot.toml", "core.key", "trust.toml", "state.db"] {
        assert!(dir.join(file).is_file(), "{file} missing");
    }
    let config_before = std::fs::read(dir.join("faxbot.toml")).expect("config");
    let core_key_before = std::fs::read(dir.join("core.key")).expect("core key");
    let again = std::process::Command::new(support::FAXBOT)
        .args(["init", "--dir"])
        .arg(&dir)
        .output()
        .expect("init again");
    assert!(again.status.success());
    assert!(
        !String::from_utf8_lossy(&again.stdout).contains("admin key:"),
        "a second init shows no key"
    );
    assert_eq!(
        std::fs::read(dir.join("faxbot.toml")).expect("config"),
        config_before
    );
    assert_eq!(
        std::fs::read(dir.join("core.key")).expect("key"),
        core_key_before
    );
    // The key is stored only hashed.
    let db = std::fs::read(dir.join("state.db")).expect("db");
    let secret = key.rsplit('_').next().expect("secret");
    assert!(
        !db.windows(secret.len()).any(|w| w == secret.as_bytes()),
        "the secret is not in the database"
    );
}

#[test]
fn serve_prints_the_real_port_and_answers_health_readiness_and_openapi() {
    let (_tmp, dir, key) = fresh();
    let daemon = Daemon::start(&dir);
    assert!(
        daemon.url.starts_with("http://127.0.0.1:"),
        "{}",
        daemon.url
    );
    let c = &daemon.client;
    assert_eq!(
        c.send("GET", "/healthz", None, None, b"")
            .expect(200)
            .json()["status"],
        "ok"
    );
    let ready = c.send("GET", "/readyz", None, None, b"").json();
    assert_eq!(ready["store"], true, "{ready}");
    assert_eq!(ready["audit"], true, "{ready}");
    let doc = c
        .send("GET", "/openapi.json", None, None, b"")
        .expect(200)
        .json();
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "{}",
        doc["openapi"]
    );
    // Every route of the authorisation table is in the document, and nothing else.
    let paths = doc["paths"].as_object().expect("paths");
    let mut documented = Vec::new();
    for (path, item) in paths {
        for method in item.as_object().expect("item").keys() {
            documented.push((method.to_uppercase(), path.clone()));
        }
    }
    let mut table: Vec<(String, String)> = faxbot_api::endpoints::ENDPOINTS
        .iter()
        .map(|e| (e.method.to_owned(), e.path.to_owned()))
        .collect();
    documented.sort();
    table.sort();
    assert_eq!(documented, table);
    assert!(
        doc["paths"]["/v1/plugins"]["post"]["requestBody"]["content"]["multipart/form-data"]
            .is_object()
    );
    let who = c.get("/v1/whoami", &key).expect(200).json();
    assert_eq!(who["scopes"].as_array().map(Vec::len), Some(9));
    assert!(
        who.get("tenant").is_none(),
        "the first key is a platform key"
    );
}

#[test]
fn missing_bad_revoked_and_expired_keys_get_401_and_each_failure_is_audited_without_the_secret() {
    let (_tmp, dir, key) = fresh();
    let daemon = Daemon::start(&dir);
    let c = &daemon.client;
    c.send("GET", "/v1/plugins", None, None, b"")
        .expect_error(401, "unauthorized");
    c.send("GET", "/v1/plugins", Some("not-a-key"), None, b"")
        .expect_error(401, "unauthorized");
    let forged = format!("{}{}", &key[..key.len() - 4], "0000");
    c.get("/v1/plugins", &forged)
        .expect_error(401, "unauthorized");
    let basic = c.raw(
        format!("GET /v1/plugins HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Basic {key}\r\n\r\n").as_bytes(),
    );
    assert_eq!(basic.status, 401);

    let made = c
        .post_json(
            "/v1/keys",
            &key,
            &json!({"name": "short", "scopes": ["plugins:read"]}),
        )
        .expect(201)
        .json();
    let second = made["key"].as_str().expect("key").to_owned();
    c.get("/v1/plugins", &second).expect(200);
    c.delete(
        &format!("/v1/keys/{}", made["id"].as_str().expect("id")),
        &key,
    )
    .expect(204);
    let revoked = c
        .get("/v1/plugins", &second)
        .expect_error(401, "unauthorized")
        .json();
    assert!(
        revoked["message"]
            .as_str()
            .expect("msg")
            .contains("revoked"),
        "{revoked}"
    );

    let audit = c
        .get("/v1/audit?action=auth.failed&limit=1000", &key)
        .expect(200)
        .json();
    let records = audit["records"].as_array().expect("records");
    assert!(records.len() >= 4, "{audit}");
    let text = audit.to_string();
    assert!(
        !text.contains(&forged[forged.len() - 40..]),
        "no presented secret in the trail"
    );
    assert!(
        !text.contains(&second[second.len() - 40..]),
        "no presented secret in the trail"
    );
}

#[test]
fn a_key_grants_only_scopes_it_has_and_a_missing_scope_is_403() {
    let (_tmp, dir, key) = fresh();
    let daemon = Daemon::start(&dir);
    let c = &daemon.client;
    let reader = c
        .post_json(
            "/v1/keys",
            &key,
            &json!({"name": "reader", "scopes": ["plugins:read", "keys:manage"]}),
        )
        .expect(201)
        .json()["key"]
        .as_str()
        .expect("key")
        .to_owned();
    c.post_json(
        "/v1/keys",
        &reader,
        &json!({"name": "x", "scopes": ["plugins:install"]}),
    )
    .expect_error(403, "forbidden");
    c.post_json(
        "/v1/keys",
        &reader,
        &json!({"name": "x", "scopes": ["plugins:read"]}),
    )
    .expect(201);
    c.get("/v1/audit", &reader)
        .expect_error(403, "missing_scope");
    c.post_json("/v1/keys", &key, &json!({"name": "x", "scopes": ["root"]}))
        .expect_error(422, "invalid_key");
    c.post_json(
        "/v1/keys",
        &key,
        &json!({"name": "x", "scopes": ["plugins:read"], "expires_at": "2001-01-01T00:00:00Z"}),
    )
    .expect_error(422, "invalid_expiry");
    c.post_json(
        "/v1/keys",
        &key,
        &json!({"name": "x", "scopes": ["plugins:read"], "extra": 1}),
    )
    .expect_error(422, "invalid_json");
    // A key that expires stops working at its time.
    let soon = faxbot_api::time::format_ms(faxbot_api::time::now_ms() + 1500);
    let brief = c
        .post_json(
            "/v1/keys",
            &key,
            &json!({"name": "brief", "scopes": ["plugins:read"], "expires_at": soon}),
        )
        .expect(201)
        .json()["key"]
        .as_str()
        .expect("key")
        .to_owned();
    c.get("/v1/plugins", &brief).expect(200);
    std::thread::sleep(Duration::from_millis(1800));
    let expired = c
        .get("/v1/plugins", &brief)
        .expect_error(401, "unauthorized")
        .json();
    assert!(
        expired["message"].as_str().expect("m").contains("expired"),
        "{expired}"
    );
}

#[test]
fn a_key_past_its_rate_limit_gets_429_with_retry_after() {
    let (_tmp, dir, key) = fresh();
    write_config(
        &dir,
        "[auth]\nrate_limit_per_second = 1\nrate_limit_burst = 3\n",
    );
    let daemon = Daemon::start(&dir);
    let c = &daemon.client;
    for _ in 0..3 {
        c.get("/v1/whoami", &key).expect(200);
    }
    let limited = c.get("/v1/whoami", &key).expect_error(429, "rate_limited");
    let retry: u64 = limited
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!(retry >= 1);
    // Public endpoints are not held to a key's limit.
    c.send("GET", "/healthz", None, None, b"").expect(200);
}

#[test]
fn metrics_count_requests_by_route_template_and_status() {
    let (_tmp, dir, key) = fresh();
    let daemon = Daemon::start(&dir);
    let c = &daemon.client;
    c.get("/v1/plugins/no-such-plugin", &key)
        .expect_error(404, "not_found");
    c.get("/v1/plugins/another-one", &key).expect(404);
    c.send("GET", "/v1/plugins", None, None, b"").expect(401);
    let text = c
        .send("GET", "/metrics", None, None, b"")
        .expect(200)
        .text();
    assert!(
        text.contains(
            r#"faxbot_http_requests_total{method="GET",route="/v1/plugins/{id}",status="404"} 2"#
        ),
        "{text}"
    );
    assert!(
        text.contains(r#"route="/v1/plugins",status="401"} 1"#),
        "{text}"
    );
    assert!(
        text.contains("faxbot_http_request_duration_seconds_bucket"),
        "{text}"
    );
    assert!(
        text.contains(r#"faxbot_plugins{state="running"} 0"#),
        "{text}"
    );
    assert!(!text.contains("no-such-plugin"), "ids never become labels");
}

#[test]
fn an_invalid_config_is_refused_with_every_problem_listed() {
    let (_tmp, dir, _key) = fresh();
    write_config(
        &dir,
        "[server]\nlisten = \"here\"\ncolour = \"blue\"\n[approvals]\nfour_eyes = 2\n",
    );
    let out = std::process::Command::new(support::FAXBOT)
        .args(["serve", "--dir"])
        .arg(&dir)
        .output()
        .expect("serve");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    for needle in [
        "server.listen",
        "server.colour: unknown setting",
        "approvals.four_eyes",
    ] {
        assert!(err.contains(needle), "{needle} not in {err}");
    }
    assert!(out.stdout.is_empty(), "nothing listened");
}

#[test]
fn plaintext_on_a_non_loopback_address_is_refused_unless_the_operator_says_so() {
    let (_tmp, dir, _key) = fresh();
    let out = std::process::Command::new(support::FAXBOT)
        .args(["serve", "--dir"])
        .arg(&dir)
        .args(["--listen", "0.0.0.0:0"])
        .output()
        .expect("serve");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("refusing to serve plaintext"));
}

#[test]
fn sigterm_exits_cleanly_and_sighup_reloads_live_settings() {
    let (_tmp, dir, key) = fresh();
    let daemon = Daemon::start(&dir);
    let c = daemon.client.clone();
    for _ in 0..5 {
        c.get("/v1/whoami", &key).expect(200);
    }
    write_config(
        &dir,
        "[auth]\nrate_limit_per_second = 1\nrate_limit_burst = 1\n",
    );
    daemon.signal(nix::sys::signal::Signal::SIGHUP);
    let started = std::time::Instant::now();
    let mut limited = false;
    while started.elapsed() < Duration::from_secs(10) && !limited {
        limited = c.get("/v1/whoami", &key).status == 429;
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(limited, "the new rate limit applied after SIGHUP");
    let status = daemon.stop();
    assert!(status.success(), "{status:?}");
    let trail = std::process::Command::new(support::FAXBOT)
        .args(["audit", "--state-dir"])
        .arg(&dir)
        .arg("verify")
        .output()
        .expect("verify");
    assert!(
        trail.status.success(),
        "{}",
        String::from_utf8_lossy(&trail.stderr)
    );
}

#[test]
fn with_tls_configured_it_serves_https_only_and_the_cli_trusts_a_given_ca() {
    let (tmp, dir, key) = fresh();
    let ca_key = rcgen::KeyPair::generate().expect("ca key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).expect("ca");
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let leaf_key = rcgen::KeyPair::generate().expect("leaf key");
    let leaf = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .expect("leaf params")
        .signed_by(&leaf_key, &issuer)
        .expect("leaf");
    let cert = tmp.path().join("cert.pem");
    let tls_key = tmp.path().join("key.pem");
    let ca_file = tmp.path().join("ca.pem");
    std::fs::write(&cert, leaf.pem()).expect("cert");
    std::fs::write(&tls_key, leaf_key.serialize_pem()).expect("key");
    std::fs::write(&ca_file, ca.pem()).expect("ca");
    write_config(
        &dir,
        &format!(
            "[server.tls]\ncert = \"{}\"\nkey = \"{}\"\n",
            cert.display(),
            tls_key.display()
        ),
    );
    let daemon = Daemon::start(&dir);
    assert!(
        daemon.url.starts_with("https://127.0.0.1:"),
        "{}",
        daemon.url
    );
    // Plaintext HTTP to the TLS port gets no API answer.
    let mut stream = daemon.client.connect();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let _ = std::io::Write::write_all(&mut stream, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    let mut raw = Vec::new();
    let _ = std::io::Read::read_to_end(&mut stream, &mut raw);
    assert!(
        !String::from_utf8_lossy(&raw).contains("\"ok\""),
        "plaintext was served"
    );
    // The CLI over https with the CA.
    let out = std::process::Command::new(support::FAXBOT)
        .args([
            "plugin",
            "list",
            "--json",
            "--url",
            &daemon.url,
            "--ca-cert",
        ])
        .arg(&ca_file)
        .env("FAXBOT_API_KEY", &key)
        .output()
        .expect("cli");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(list["plugins"], json!([]));
    // Without the CA the certificate is not trusted.
    let untrusted = std::process::Command::new(support::FAXBOT)
        .args(["plugin", "list", "--url", &daemon.url])
        .env("FAXBOT_API_KEY", &key)
        .output()
        .expect("cli");
    assert!(!untrusted.status.success());
}

#[test]
fn a_flood_of_failed_authentications_is_summarised_in_the_audit_trail() {
    let (_tmp, dir, key) = fresh();
    let daemon = Daemon::start(&dir);
    let c = &daemon.client;
    for _ in 0..400 {
        c.send("GET", "/v1/plugins", Some("fxb_nope"), None, b"")
            .expect(401);
    }
    std::thread::sleep(Duration::from_millis(1200));
    c.send("GET", "/v1/plugins", Some("fxb_nope"), None, b"")
        .expect(401);
    let audit = c
        .get("/v1/audit?action=auth.failed&limit=1000", &key)
        .expect(200)
        .json();
    let matched = audit["matched"].as_u64().expect("matched");
    assert!(matched < 400, "{matched} records for 401 failures");
    let suppressed: u64 = audit["records"]
        .as_array()
        .expect("records")
        .iter()
        .filter_map(|r| r["details"]["suppressed_before"].as_u64())
        .sum();
    assert_eq!(
        matched + suppressed,
        401,
        "every failure is recorded or counted"
    );
}
