//! The platform's outbound webhooks against the real daemon: an admin subscribes a local
//! HTTPS endpoint (a CA made here, the name pinned by `egress.hosts`) to fax job events; a fax
//! sent through the API arrives there as signed JSON (Standard Webhooks headers, verified
//! here with the secret shown once at creation), projected, with no PHI; an endpoint that
//! keeps failing trips its circuit breaker, so attempts stop instead of hammering it; a
//! removed webhook receives nothing more.

mod support;

use base64::Engine;
use serde_json::json;
use std::sync::atomic::Ordering;
use std::time::Duration;
use support::webhook::{egress_config, webhook};
use support::{Daemon, eventually, init, multipart, write_config};

fn verify(secret: &str, headers: &[(String, String)], body: &str) -> bool {
    let get = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.trim_start_matches("whsec_"))
        .expect("secret");
    let content = format!("{}.{}.{body}", get("webhook-id"), get("webhook-timestamp"));
    let tag = ring::hmac::sign(
        &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key),
        content.as_bytes(),
    );
    let expected = format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(tag.as_ref())
    );
    get("webhook-signature")
        .split(' ')
        .any(|candidate| candidate == expected)
}

#[test]
fn fax_events_arrive_signed_and_phi_free_and_a_failing_endpoint_trips_its_breaker() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("state");
    let admin = init(&dir);
    let hook = webhook();
    write_config(
        &dir,
        &format!(
            "{}[events]\nmax_attempts = 50\nretry_base_ms = 20\n",
            egress_config(&hook, &tmp.path().join("ca.pem"))
        ),
    );
    let daemon = Daemon::start(&dir);
    let c = &daemon.client;

    // Refused: not HTTPS, an internal target, a bad pattern.
    for (url, events) in [
        ("http://hooks.slack.com/platform", json!(["fax.job.*"])),
        ("https://169.254.169.254/latest", json!(["fax.job.*"])),
        ("https://hooks.slack.com/platform", json!(["*"])),
    ] {
        c.post_json(
            "/v1/webhooks",
            &admin,
            &json!({"url": url, "events": events}),
        )
        .expect(422);
    }
    let created = c
        .post_json(
            "/v1/webhooks",
            &admin,
            &json!({"url": "https://hooks.slack.com/platform/events", "events": ["fax.job.*"]}),
        )
        .expect(201)
        .json();
    let id = created["id"].as_str().expect("id").to_owned();
    let secret = created["secret"].as_str().expect("secret").to_owned();
    assert!(secret.starts_with("whsec_"));
    let listed = c.get("/v1/webhooks", &admin).expect(200).text();
    assert!(
        listed.contains(&id) && !listed.contains(&secret),
        "{listed}"
    );

    let canary = "Referral for Quillthal Brixdro, SSN 078-05-1120";
    let (ct, body) = multipart(&[
        ("to", "to", b"+14155550199"),
        ("file", "doc", canary.as_bytes()),
    ]);
    let job = c
        .send("POST", "/v1/faxes", Some(&admin), Some(&ct), &body)
        .expect(202)
        .json()["id"]
        .as_str()
        .expect("id")
        .to_owned();
    eventually(
        Duration::from_secs(30),
        "the delivered event posted",
        || {
            hook.seen
                .lock()
                .expect("lock")
                .iter()
                .any(|(_, b)| b.contains(&job) && b.contains("fax.job.delivered"))
        },
    );
    let seen = hook.seen.lock().expect("lock").clone();
    let headers = hook.headers.lock().expect("lock").clone();
    for ((path, body), headers) in seen.iter().zip(&headers) {
        assert_eq!(path, "/platform/events");
        assert!(verify(&secret, headers, body), "bad signature on {body}");
        assert!(!verify(
            "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            headers,
            body
        ));
        for needle in ["Quillthal", "078-05-1120", "4155550199"] {
            assert!(!body.contains(needle), "{needle} in {body}");
        }
        let parsed: serde_json::Value = serde_json::from_str(body).expect("JSON body");
        assert!(
            parsed["type"]
                .as_str()
                .is_some_and(|t| t.starts_with("fax.job."))
        );
    }

    // A failing endpoint: five attempts in a row, then the breaker holds the rest back.
    hook.status.store(500, Ordering::SeqCst);
    let before = hook.seen.lock().expect("lock").len();
    let (ct, body) = multipart(&[("to", "to", b"+15551230001"), ("file", "doc", b"hi\n")]);
    c.send("POST", "/v1/faxes", Some(&admin), Some(&ct), &body)
        .expect(202);
    eventually(Duration::from_secs(30), "five failed attempts", || {
        hook.seen.lock().expect("lock").len() >= before + 5
    });
    std::thread::sleep(Duration::from_secs(3));
    let attempts = hook.seen.lock().expect("lock").len() - before;
    assert!(
        attempts <= 6,
        "the breaker did not hold deliveries back: {attempts} attempts"
    );

    // Its dead letters are listed like a plugin's (none yet: attempts are far from the limit).
    let dead = c
        .get(&format!("/v1/webhooks/{id}/dead-letters"), &admin)
        .expect(200)
        .json();
    assert!(dead["dead_letters"].is_array(), "{dead}");
    c.get("/v1/webhooks/wh_0000000000000000/dead-letters", &admin)
        .expect(404);
    c.post(
        &format!("/v1/webhooks/{id}/dead-letters/ev_00000000000000000000000000000000/replay"),
        &admin,
    )
    .expect(404);

    // Removed: nothing more is sent, and it is gone from the list.
    c.delete(&format!("/v1/webhooks/{id}"), &admin).expect(204);
    c.delete(&format!("/v1/webhooks/{id}"), &admin).expect(404);
    assert!(
        !c.get("/v1/webhooks", &admin)
            .expect(200)
            .text()
            .contains(&id)
    );
    drop(daemon);
}
