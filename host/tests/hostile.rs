//! Hostile requests against the real daemon: huge and slow bodies, slow headers, bad JSON,
//! bad multipart, ids with `..`, NUL or Unicode tricks, header floods. Each gets a JSON
//! error with the right status (or the connection is cut), never a 500, never an echo of
//! the input, and the daemon keeps serving.

mod support;

use serde_json::json;
use std::io::{Read, Write};
use std::time::{Duration, Instant};
use support::{Daemon, Response, init, parse_response, write_config};

fn daemon(config: &str) -> (tempfile::TempDir, Daemon, String) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("state");
    let key = init(&dir);
    write_config(&dir, config);
    let daemon = Daemon::start(&dir);
    (tmp, daemon, key)
}

/// Sends `head` and `body` then waits (without closing) for the answer or the close.
fn send_and_wait(d: &Daemon, bytes: &[u8], wait: Duration) -> (Option<Response>, Duration) {
    let mut stream = d.client.connect();
    stream.set_read_timeout(Some(wait)).expect("timeout");
    let started = Instant::now();
    let _ = stream.write_all(bytes);
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let took = started.elapsed();
    if raw.is_empty() {
        (None, took)
    } else {
        (Some(parse_response(&raw)), took)
    }
}

#[test]
fn a_huge_declared_body_is_413_before_it_is_read() {
    let (_tmp, d, key) = daemon("[server]\nupload_limit = \"1MiB\"\n");
    let head = format!(
        "POST /v1/keys HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\nContent-Length: 10000000000\r\n\r\n{{"
    );
    let (answer, took) = send_and_wait(&d, head.as_bytes(), Duration::from_secs(20));
    let answer = answer.expect("an answer");
    assert_eq!(answer.status, 413, "{}", answer.text());
    assert_eq!(answer.json()["code"], "payload_too_large");
    assert!(took < Duration::from_secs(5), "{took:?}");
    // An upload past the upload limit, streamed.
    let big = vec![7u8; 2 << 20];
    let refused = d.client.upload(&key, "", &big, b"sig");
    assert_eq!(refused.status, 413, "{}", refused.text());
    d.client.get("/v1/whoami", &key).expect(200);
}

#[test]
fn a_slow_body_is_cut_off_at_the_request_deadline() {
    let (_tmp, d, key) = daemon("[server]\nrequest_timeout_secs = 2\n");
    let head = format!(
        "POST /v1/keys HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"na"
    );
    let (answer, took) = send_and_wait(&d, head.as_bytes(), Duration::from_secs(20));
    assert!(took < Duration::from_secs(8), "held for {took:?}");
    if let Some(answer) = answer {
        assert_eq!(answer.status, 408, "{}", answer.text());
        assert_eq!(answer.json()["code"], "request_timeout");
    }
    d.client.get("/v1/whoami", &key).expect(200);
}

#[test]
fn slow_headers_are_cut_off_and_do_not_hold_the_daemon() {
    let (_tmp, d, key) = daemon("[server]\nheader_timeout_secs = 1\n");
    let (answer, took) = send_and_wait(
        &d,
        b"GET /v1/whoami HTTP/1.1\r\nHost: x\r\nX-Slow: ",
        Duration::from_secs(20),
    );
    assert!(took < Duration::from_secs(6), "held for {took:?}");
    if let Some(answer) = answer {
        assert!(answer.status >= 400, "{}", answer.status);
    }
    // Many idle connections at once do not stop others being served.
    let idle: Vec<_> = (0..50).map(|_| d.client.connect()).collect();
    d.client.get("/v1/whoami", &key).expect(200);
    drop(idle);
}

#[test]
fn too_many_or_too_large_headers_are_refused() {
    let (_tmp, d, key) = daemon("");
    let mut head = String::from("GET /healthz HTTP/1.1\r\nHost: x\r\n");
    for i in 0..200 {
        head.push_str(&format!("X-H{i}: v\r\n"));
    }
    head.push_str("\r\n");
    let (answer, _) = send_and_wait(&d, head.as_bytes(), Duration::from_secs(10));
    assert!(answer.is_none_or(|a| a.status == 431 || a.status == 400));
    let long = format!(
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(200_000)
    );
    let (answer, _) = send_and_wait(&d, long.as_bytes(), Duration::from_secs(10));
    assert!(answer.is_none_or(|a| a.status == 431 || a.status == 400));
    d.client.get("/v1/whoami", &key).expect(200);
}

#[test]
fn bad_json_is_422_without_echoing_the_input() {
    let (_tmp, d, key) = daemon("");
    let canary = "PATIENT-Jane-Doe-555-12-3456";
    for body in [
        format!("{{\"name\": \"{canary}\""),
        format!("{{\"name\": 5, \"scopes\": [\"{canary}\"]}}"),
        format!("[\"{canary}\"]"),
        "\u{0}\u{0}".to_owned(),
        format!("{{\"name\": \"x\", \"scopes\": [\"plugins:read\"], \"{canary}\": 1}}"),
    ] {
        let answer = d.client.send(
            "POST",
            "/v1/keys",
            Some(&key),
            Some("application/json"),
            body.as_bytes(),
        );
        assert_eq!(answer.status, 422, "{}", answer.text());
        assert_eq!(answer.json()["code"], "invalid_json");
        assert!(!answer.text().contains(canary), "{}", answer.text());
    }
    let nested = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let answer = d.client.send(
        "POST",
        "/v1/plugins/x/approve",
        Some(&key),
        Some("application/json"),
        nested.as_bytes(),
    );
    assert!(
        answer.status == 422 || answer.status == 413,
        "{}",
        answer.status
    );
    d.client.get("/v1/whoami", &key).expect(200);
}

#[test]
fn bad_multipart_is_422_naming_what_is_wrong() {
    let (_tmp, d, key) = daemon("");
    let c = &d.client;
    let garbage = c.send(
        "POST",
        "/v1/plugins",
        Some(&key),
        Some("multipart/form-data; boundary=zz"),
        b"--zz\r\nnonsense",
    );
    assert_eq!(garbage.status, 422, "{}", garbage.text());
    let not_multipart = c.send(
        "POST",
        "/v1/plugins",
        Some(&key),
        Some("application/json"),
        b"{}",
    );
    not_multipart.expect_error(422, "invalid_multipart");
    let (ct, body) = support::multipart(&[("package", "p.fxp", b"x")]);
    let missing = c
        .send("POST", "/v1/plugins", Some(&key), Some(&ct), &body)
        .expect_error(422, "invalid_multipart");
    assert_eq!(missing.json()["field"], "signature");
    let (ct, body) = support::multipart(&[
        ("package", "p", b"x"),
        ("signature", "s", b"y"),
        ("script", "s", b"z"),
    ]);
    c.send("POST", "/v1/plugins", Some(&key), Some(&ct), &body)
        .expect_error(422, "invalid_multipart");
    let (ct, body) = support::multipart(&[
        ("package", "p", b"x"),
        ("package", "p", b"x"),
        ("signature", "s", b"y"),
    ]);
    c.send("POST", "/v1/plugins", Some(&key), Some(&ct), &body)
        .expect_error(422, "invalid_multipart");
    let (ct, body) = support::multipart(&[("package", "p", b"x"), ("signature", "s", b"y")]);
    c.send(
        "POST",
        "/v1/plugins?force=maybe",
        Some(&key),
        Some(&ct),
        &body,
    )
    .expect_error(422, "invalid_query");
    c.send("POST", "/v1/plugins?shell=1", Some(&key), Some(&ct), &body)
        .expect_error(422, "invalid_query");
}

#[test]
fn ids_with_dot_dot_nul_or_unicode_tricks_are_404_and_never_echoed() {
    let (_tmp, d, key) = daemon("");
    for path in [
        "/v1/plugins/..",
        "/v1/plugins/%2e%2e",
        "/v1/plugins/..%2f..%2fetc%2fpasswd",
        "/v1/plugins/a%00b",
        "/v1/plugins/%C3%A9clair",
        "/v1/plugins/sta%E2%80%AEtus",
        "/v1/plugins/%FF%FE",
        "/v1/plugins/status-route%20",
        "/v1/plugins/CANARY-555-12-3456-x",
    ] {
        let answer = d.client.get(path, &key);
        assert_eq!(answer.status, 404, "{path}: {}", answer.text());
        assert_eq!(answer.json()["code"], "not_found", "{path}");
        assert!(
            !answer.text().contains("CANARY") && !answer.text().contains("passwd"),
            "{path}: {}",
            answer.text()
        );
        let deleted = d.client.delete(path, &key);
        assert_eq!(deleted.status, 404, "{path}: {}", deleted.text());
    }
    let long = format!("/v1/plugins/{}", "a".repeat(5000));
    assert_eq!(d.client.get(&long, &key).status, 404);
    d.client
        .delete("/v1/keys/..%2F..", &key)
        .expect_error(404, "not_found");
    // Names with invisible formatting are refused.
    d.client
        .post_json(
            "/v1/keys",
            &key,
            &json!({"name": "ops\u{202E}nimda", "scopes": ["plugins:read"]}),
        )
        .expect_error(422, "invalid_key");
    d.client
        .post_json("/v1/tenants", &key, &json!({"id": "../x"}))
        .expect_error(422, "invalid_tenant");
}

#[test]
fn unknown_routes_and_methods_get_json_errors() {
    let (_tmp, d, key) = daemon("");
    d.client
        .get("/v2/plugins", &key)
        .expect_error(404, "not_found");
    d.client
        .send("PUT", "/v1/plugins", Some(&key), None, b"")
        .expect(405);
    d.client
        .send("PATCH", "/nothing", Some(&key), None, b"")
        .expect(405);
    let garbage = d.client.raw(b"GARBAGE\r\n\r\n");
    assert!(
        garbage.status == 400 || garbage.status == 405,
        "{}",
        garbage.status
    );
}
