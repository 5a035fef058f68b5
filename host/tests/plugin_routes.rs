//! Plugin routes in the real daemon with the real status-route example jailed: `/status`
//! made public at approval answers without a key and counts the fax events the plugin
//! received (events through the bus, counters in kv); `/status/job` stays private (a key with
//! the route scope of the plugin's tenant) and answers a fax job's state through
//! `fax.job_status`; another tenant's key, a missing key, an ungranted path and a path
//! escaping the prefix are refused; a stopped plugin is a 503 with `Retry-After`; a public
//! route that is not granted is refused at approval.
//!
//! The jail needs root (CI runs as root); without it this test says so and passes nothing.

mod support;

use serde_json::json;
use std::time::Duration;
use support::{
    Daemon, Publisher, eventually, init, is_root, multipart, status_route_package, trust,
};

#[test]
fn routes_are_private_unless_made_public_and_answer_through_the_plugin() {
    if !is_root() {
        eprintln!("skipped: running plugins in the jail needs root");
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("state");
    let admin = init(&dir);
    let publisher = Publisher::new("faxbot-examples");
    trust(&dir, &publisher.trust_entry("curated"));
    let daemon = Daemon::start(&dir);
    let c = &daemon.client;
    let (fxp, sig, _) = status_route_package(&publisher, "0.1.0", "");
    c.upload(&admin, "", &fxp, &sig).expect(201);
    c.post_json(
        "/v1/plugins/status-route/approve",
        &admin,
        &json!({"public_routes": ["/nope"]}),
    )
    .expect_error(422, "route_not_granted");
    c.post_json(
        "/v1/plugins/status-route/approve",
        &admin,
        &json!({"public_routes": ["/status"], "route_scope": "fax:read"}),
    )
    .expect(200);
    eventually(Duration::from_secs(30), "status-route running", || {
        c.get("/v1/plugins/status-route", &admin).json()["health"] == "healthy"
    });

    // A fax, so the plugin has events to count and a job to look up.
    let (ct, body) = multipart(&[("to", "to", b"+15551230001"), ("file", "doc", b"hello\n")]);
    let fax = c
        .send("POST", "/v1/faxes", Some(&admin), Some(&ct), &body)
        .expect(202)
        .json();
    let job = fax["id"].as_str().expect("id").to_owned();

    // Public: no key needed; the counters come from the events it received.
    eventually(
        Duration::from_secs(30),
        "the delivered event counted",
        || {
            let r = c.send("GET", "/ext/status-route/status", None, None, b"");
            r.status == 200 && r.json()["events"]["delivered"] == 1
        },
    );
    let public = c.send("GET", "/ext/status-route/status", None, None, b"");
    assert_eq!(public.header("x-content-type-options"), Some("nosniff"));
    assert!(
        public
            .header("content-security-policy")
            .is_some_and(|v| v.contains("sandbox"))
    );

    // Private: a key with the route scope; the job's state through fax.job_status.
    let path = format!("/ext/status-route/status/job?id={job}");
    assert_eq!(c.send("GET", &path, None, None, b"").status, 401);
    let answer = c.get(&path, &admin).expect(200).json();
    assert_eq!(answer["job_id"], job.as_str());
    assert_eq!(answer["state"], "delivered");
    assert!(!answer.to_string().contains("5551230001"), "{answer}");
    // A key without the scope the admin set, and another tenant's key, are refused.
    let reader = c
        .post_json(
            "/v1/keys",
            &admin,
            &json!({"name": "reader", "scopes": ["plugins:read"]}),
        )
        .expect(201)
        .json()["key"]
        .as_str()
        .expect("key")
        .to_owned();
    assert_eq!(c.get(&path, &reader).status, 403);
    c.post_json("/v1/tenants", &admin, &json!({"id": "clinic-b"}))
        .expect(201);
    let other = c
        .post_json(
            "/v1/keys",
            &admin,
            &json!({"name": "b", "scopes": ["fax:read"], "tenant": "clinic-b"}),
        )
        .expect(201)
        .json()["key"]
        .as_str()
        .expect("key")
        .to_owned();
    let other_tenant = c.get(&path, &other);
    assert_eq!(other_tenant.status, 403, "{}", other_tenant.text());
    // Paths the plugin was not granted, or that climb out of its prefix.
    assert_eq!(c.get("/ext/status-route/secret", &admin).status, 404);
    assert_eq!(
        c.get("/ext/status-route/status/../../v1/keys", &admin)
            .status,
        404
    );
    assert_eq!(c.get("/ext/no-such-plugin/status", &admin).status, 404);

    // An anonymous flood of the public route is held to the per-plugin rate: 429s, with
    // Retry-After, while keyed callers are unaffected.
    let statuses: Vec<u16> = (0..200)
        .map(|_| {
            c.send("GET", "/ext/status-route/status", None, None, b"")
                .status
        })
        .collect();
    assert!(statuses.contains(&429), "no 429 in a flood: {statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 429),
        "{statuses:?}"
    );
    c.get(&path, &admin).expect(200);

    // Stopped: 503 with Retry-After (once the flood's bucket has refilled: a 429 until then).
    c.post("/v1/plugins/status-route/stop", &admin).expect(200);
    let mut down = c.send("GET", "/ext/status-route/status", None, None, b"");
    for _ in 0..50 {
        if down.status != 429 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        down = c.send("GET", "/ext/status-route/status", None, None, b"");
    }
    assert_eq!(down.status, 503, "{}", down.text());
    assert!(down.header("retry-after").is_some());
    drop(daemon);
}
