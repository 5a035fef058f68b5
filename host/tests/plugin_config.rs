//! Admin-set plugin configuration against the real daemon, and the webhook-relay example
//! end to end with it: the relay's required `url` is refused until set; a value of the wrong
//! type, an unknown setting or a URL too long is a 422 naming the setting (never its value);
//! once set, the relay forwards fax job events to a local HTTPS receiver (a CA made here,
//! the name pinned by `egress.hosts`) with the body signed by the host's broker under the
//! secret the plugin never holds, and no PHI in what arrives.
//!
//! The jail needs root (CI runs as root); without it this test says so and passes nothing.

mod support;

use serde_json::json;
use std::time::Duration;
use support::webhook::{egress_config_for, webhook_for};
use support::{Daemon, Publisher, eventually, init, is_root, multipart, trust, write_config};

const KEY: &str = "relay-signing-key-for-the-test";

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[test]
fn webhook_relay_forwards_signed_events_once_its_admin_set_config_is_valid() {
    if !is_root() {
        eprintln!("skipped: running plugins in the jail needs root");
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("state");
    let admin = init(&dir);
    let hook = webhook_for(&["relay.example.com"]);
    write_config(
        &dir,
        &egress_config_for(&hook, &tmp.path().join("ca.pem"), &["relay.example.com"]),
    );
    let publisher = Publisher::new("faxbot-examples");
    trust(&dir, &publisher.trust_entry("curated"));
    let daemon = Daemon::start(&dir);
    let c = &daemon.client;
    support::upload_example(
        c,
        &admin,
        &publisher,
        "webhook-relay",
        &support::example_manifest("webhook-relay"),
        &[("RELAY_SIGNING_KEY", KEY)],
    );
    // Approved without its required url: it cannot start, and says why.
    let approved = c
        .post_json("/v1/plugins/webhook-relay/approve", &admin, &json!({}))
        .expect(200)
        .json();
    assert_ne!(approved["health"], "healthy", "{approved}");
    eventually(Duration::from_secs(10), "the reason shown", || {
        c.get("/v1/plugins/webhook-relay", &admin).json()["last_exit_reason"]
            .as_str()
            .is_some_and(|r| r.contains("config.url"))
    });

    // Refused values name the setting, never the value.
    let secretish = "https://relay.example.com/hooks/Quillthal";
    for body in [
        json!({"url": 42}),
        json!({"url": secretish, "nope": true}),
        json!({"url": format!("{secretish}{}", "x".repeat(600))}),
        json!(["not", "an", "object"]),
    ] {
        let refused = c
            .send(
                "PUT",
                "/v1/plugins/webhook-relay/config",
                Some(&admin),
                Some("application/json"),
                body.to_string().as_bytes(),
            )
            .expect(422)
            .text();
        assert!(!refused.contains("Quillthal"), "{refused}");
    }
    let config = json!({"url": "https://relay.example.com/hooks/faxbot", "topics": ["fax.job.*"]});
    c.send(
        "PUT",
        "/v1/plugins/webhook-relay/config",
        Some(&admin),
        Some("application/json"),
        config.to_string().as_bytes(),
    )
    .expect(200);
    assert_eq!(
        c.get("/v1/plugins/webhook-relay/config", &admin)
            .expect(200)
            .json(),
        config
    );
    // Approved to run, it starts as soon as its configuration is valid.
    support::wait_healthy(c, &admin, "webhook-relay");

    let (ct, body) = multipart(&[
        ("to", "to", b"+14155550199"),
        (
            "file",
            "doc",
            b"Referral for Quillthal Brixdro, SSN 078-05-1120\n",
        ),
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
        "the delivered event relayed",
        || {
            hook.seen
                .lock()
                .expect("lock")
                .iter()
                .any(|(_, b)| b.contains(&job) && b.contains("delivered"))
        },
    );
    let seen = hook.seen.lock().expect("lock").clone();
    let headers = hook.headers.lock().expect("lock").clone();
    for ((path, body), headers) in seen.iter().zip(&headers) {
        assert_eq!(path, "/hooks/faxbot");
        let expected = format!("sha256={}", hex_hmac(KEY.as_bytes(), body.as_bytes()));
        assert_eq!(
            header(headers, "x-faxbot-signature"),
            Some(expected.as_str())
        );
        for needle in ["Quillthal", "078-05-1120", "4155550199", KEY] {
            assert!(!body.contains(needle), "{needle} in {body}");
        }
    }
    drop(daemon);
}

fn hex_hmac(key: &[u8], body: &[u8]) -> String {
    let tag = ring::hmac::sign(&ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key), body);
    tag.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}
