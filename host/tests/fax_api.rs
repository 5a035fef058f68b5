//! The fax API against the real daemon on loopback with the test transport (the default of a
//! fresh `faxbot init`), and a signed-callback transport configured in `faxbot.toml`.

mod support;

use serde_json::json;
use std::time::{Duration, Instant};
use support::{Client, Daemon, init, multipart};

fn send(c: &Client, key: &str, to: &str, file: &[u8]) -> support::Response {
    let (ct, body) = multipart(&[("to", "to", to.as_bytes()), ("file", "doc", file)]);
    c.send("POST", "/v1/faxes", Some(key), Some(&ct), &body)
}

fn wait_status(c: &Client, key: &str, id: &str, want: &str) -> serde_json::Value {
    let started = Instant::now();
    loop {
        let view = c.get(&format!("/v1/faxes/{id}"), key).expect(200).json();
        if view["status"] == want {
            return view;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{id} did not become {want}: {view}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_text_fax_is_accepted_and_delivered_by_the_test_transport() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("state");
    let admin = init(&dir);
    let daemon = Daemon::start(&dir);
    let c = &daemon.client;
    let accepted = send(
        c,
        &admin,
        "+15551230001",
        b"Referral for Quillthal Brixdro\n",
    )
    .expect(202)
    .json();
    let id = accepted["id"].as_str().expect("id").to_owned();
    assert_eq!(accepted["status"], "queued");
    assert!(
        !accepted.to_string().contains("5551230001"),
        "the number is masked: {accepted}"
    );
    let done = wait_status(c, &admin, &id, "delivered");
    assert_eq!(done["transport"], "test");
    let failed = send(c, &admin, "+15551230000", b"%PDF-1.4\n%%EOF\n")
        .expect(202)
        .json();
    let failed_id = failed["id"].as_str().expect("id").to_owned();
    let view = wait_status(c, &admin, &failed_id, "failed");
    assert!(view["failure"].is_string(), "{view}");
    let list = c.get("/v1/faxes?limit=10", &admin).expect(200).json();
    assert_eq!(list["faxes"].as_array().map(Vec::len), Some(2));
    // The document is stored encrypted: no plain text of it under the state directory.
    for entry in walk(&dir) {
        let bytes = std::fs::read(&entry).unwrap_or_default();
        assert!(
            !bytes.windows(9).any(|w| w == b"Quillthal"),
            "{} holds the document in plain text",
            entry.display()
        );
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn bad_requests_get_the_right_status_and_no_phi_back() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("state");
    let admin = init(&dir);
    support::write_config(&dir, "[fax]\nmax_document = \"2KiB\"\n");
    let daemon = Daemon::start(&dir);
    let c = &daemon.client;
    let bad = send(c, &admin, "5551230001", b"hello").expect(422).json();
    assert!(!bad.to_string().contains("5551230001"), "{bad}");
    send(c, &admin, "+15551230001", b"\x89PNG\r\n\x1a\nbinary").expect(415);
    send(c, &admin, "+15551230001", &vec![b'a'; 4096]).expect(413);
    let (ct, body) = multipart(&[("to", "to", b"+15551230001")]);
    c.send("POST", "/v1/faxes", Some(&admin), Some(&ct), &body)
        .expect(422);
    c.get("/v1/faxes/fx_nope", &admin).expect(404);
    let (ct, body) = multipart(&[("to", "to", b"+15551230001"), ("file", "f", b"hi")]);
    c.send("POST", "/v1/faxes", None, Some(&ct), &body)
        .expect(401);
}

#[test]
fn another_tenants_fax_is_forbidden_and_a_read_key_cannot_send() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("state");
    let admin = init(&dir);
    let daemon = Daemon::start(&dir);
    let c = &daemon.client;
    for t in ["tenant-a", "tenant-b"] {
        c.post_json("/v1/tenants", &admin, &json!({"id": t}))
            .expect(201);
    }
    let key = |tenant: &str, scopes: &[&str]| {
        c.post_json(
            "/v1/keys",
            &admin,
            &json!({"name": format!("{tenant}-{}", scopes.join("-")), "scopes": scopes, "tenant": tenant}),
        )
        .expect(201)
        .json()["key"]
            .as_str()
            .expect("key")
            .to_owned()
    };
    let a = key("tenant-a", &["fax:send", "fax:read"]);
    let b = key("tenant-b", &["fax:send", "fax:read"]);
    let reader = key("tenant-a", &["fax:read"]);
    let id = send(c, &a, "+15551230001", b"hello").expect(202).json()["id"]
        .as_str()
        .expect("id")
        .to_owned();
    c.get(&format!("/v1/faxes/{id}"), &b).expect(403);
    c.post(&format!("/v1/faxes/{id}/cancel"), &b).expect(403);
    c.get(&format!("/v1/faxes/{id}"), &reader).expect(200);
    send(c, &reader, "+15551230001", b"hello").expect(403);
    assert_eq!(
        c.get("/v1/faxes", &b).expect(200).json()["faxes"]
            .as_array()
            .map(Vec::len),
        Some(0)
    );
}

#[test]
fn a_callback_that_does_not_verify_is_refused_and_changes_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("state");
    let admin = init(&dir);
    support::write_config(
        &dir,
        "public_url = \"https://fax.example.test\"\n[transports.signalwire]\nbase_url = \"http://127.0.0.1:9/api/laml/2010-04-01\"\nproject_id = \"p1\"\nfrom = \"+15550000001\"\n",
    );
    let daemon = Daemon::start(&dir);
    let c = &daemon.client;
    // Before its credentials are set the transport cannot verify anything: 401, not accepted.
    let early = c.send(
        "POST",
        "/v1/callbacks/signalwire?job_id=fx_1",
        None,
        Some("application/x-www-form-urlencoded"),
        b"FaxSid=FX1&FaxStatus=delivered",
    );
    assert_eq!(early.status, 401, "{}", early.text());
    // The test transport takes no HTTP callbacks at all.
    c.send("POST", "/v1/callbacks/test", None, Some("text/plain"), b"x")
        .expect(404);
    // Credentials are write-only and only the documented keys are taken.
    c.send(
        "PUT",
        "/v1/transports/signalwire/secrets/api_token",
        Some(&admin),
        Some("text/plain"),
        b"tok",
    )
    .expect(204);
    c.send(
        "PUT",
        "/v1/transports/signalwire/secrets/signing_key",
        Some(&admin),
        Some("text/plain"),
        b"sign-key",
    )
    .expect(204);
    c.send(
        "PUT",
        "/v1/transports/signalwire/secrets/password",
        Some(&admin),
        Some("text/plain"),
        b"x",
    )
    .expect(422);
    c.send(
        "PUT",
        "/v1/transports/nope/secrets/x",
        Some(&admin),
        Some("text/plain"),
        b"x",
    )
    .expect(404);
    let form = b"FaxSid=FX1&FaxStatus=delivered";
    let unsigned = c.send(
        "POST",
        "/v1/callbacks/signalwire?job_id=fx_1",
        None,
        Some("application/x-www-form-urlencoded"),
        form,
    );
    assert_eq!(unsigned.status, 401, "{}", unsigned.text());
    let raw = support::request_bytes(
        "POST",
        "/v1/callbacks/signalwire?job_id=fx_1",
        None,
        Some("application/x-www-form-urlencoded"),
        form,
    );
    let forged = String::from_utf8_lossy(&raw).replacen(
        "\r\n\r\n",
        "\r\nX-SignalWire-Signature: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n",
        1,
    );
    assert_eq!(c.raw(forged.as_bytes()).status, 401);
    // A correctly signed callback for a job nobody sent verifies, and names no job.
    let signed = faxbot_transports::signalwire::form_signature(
        "sign-key",
        "https://fax.example.test/v1/callbacks/signalwire?job_id=fx_1",
        &[
            ("FaxSid".to_owned(), "FX1".to_owned()),
            ("FaxStatus".to_owned(), "delivered".to_owned()),
        ],
    );
    let good = String::from_utf8_lossy(&raw).replacen(
        "\r\n\r\n",
        &format!("\r\nX-SignalWire-Signature: {signed}\r\n\r\n"),
        1,
    );
    let answer = c.raw(good.as_bytes());
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(answer.json()["applied"], 0);
}

#[test]
fn a_callback_for_a_signing_provider_that_is_not_configured_is_401_and_audited() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("state");
    let admin = init(&dir);
    let daemon = Daemon::start(&dir);
    let c = &daemon.client;
    for path in [
        "/v1/callbacks/phaxio",
        "/v1/callbacks/phaxio/inbound",
        "/v1/callbacks/sinch",
        "/v1/callbacks/signalwire",
    ] {
        let r = c.send(
            "POST",
            path,
            None,
            Some("application/x-www-form-urlencoded"),
            b"FaxSid=FX1&FaxStatus=delivered",
        );
        assert_eq!(r.status, 401, "{path}: {}", r.text());
    }
    c.send("POST", "/v1/callbacks/nope", None, Some("text/plain"), b"x")
        .expect(404);
    let audit = c
        .get("/v1/audit?action=fax.callback.refused&limit=10", &admin)
        .expect(200)
        .text();
    assert!(audit.contains("not configured"), "{audit}");
}
