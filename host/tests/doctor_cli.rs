//! `faxbot doctor` against the real kernel: its report must agree with the jail's own check.

mod support;

use std::process::Command;

#[test]
fn doctor_reports_every_layer_and_agrees_with_the_jail_check() {
    let output = Command::new(env!("CARGO_BIN_EXE_faxbot"))
        .args(["doctor", "--json"])
        .output()
        .expect("faxbot runs");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON report");
    let layers = report["layers"].as_array().expect("layers");
    let names: Vec<&str> = layers.iter().filter_map(|l| l["layer"].as_str()).collect();
    assert_eq!(
        names,
        [
            "cgroup",
            "namespaces",
            "rootfs",
            "rlimits",
            "identity",
            "landlock",
            "seccomp"
        ]
    );
    let complete = layers.iter().all(|l| l["available"] == true);
    assert_eq!(output.status.code(), Some(if complete { 0 } else { 1 }));
    assert_eq!(complete, faxbot_jail::check().complete());
}

/// A plain HTTP server standing in for Phaxio's API: answers `GET …/account/status` with the
/// status in `code` and records the Authorization header it saw.
fn phaxio_api(code: u16) -> (u16, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut request = String::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                request.push_str(&line);
            }
            seen2.lock().expect("lock").push(request);
            let _ = stream.write_all(
                format!("HTTP/1.1 {code} X\r\ncontent-type: application/json\r\ncontent-length: 16\r\nconnection: close\r\n\r\n{{\"success\":true}}")
                    .as_bytes(),
            );
        }
    });
    (port, seen)
}

fn doctor(dir: &std::path::Path) -> (Option<i32>, serde_json::Value, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_faxbot"))
        .args(["doctor", "--json", "--dir"])
        .arg(dir)
        .output()
        .expect("faxbot runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let report = serde_json::from_slice(&output.stdout).unwrap_or(serde_json::Value::Null);
    (output.status.code(), report, text)
}

fn transport<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["transports"]
        .as_array()
        .and_then(|t| t.iter().find(|c| c["transport"] == name))
        .unwrap_or_else(|| panic!("no {name} in {report}"))
}

#[test]
fn doctor_checks_each_configured_transport_with_its_stored_credentials() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("state");
    let admin = support::init(&dir);
    let (port, seen) = phaxio_api(200);
    support::write_config(
        &dir,
        &format!("[transports.phaxio]\nbase_url = \"http://127.0.0.1:{port}/v2.1\"\n"),
    );
    // Configured without credentials: it says which one is missing.
    let (code, report, _) = doctor(&dir);
    assert_eq!(transport(&report, "test")["ok"], true, "{report}");
    let phaxio = transport(&report, "phaxio");
    assert_eq!(phaxio["ok"], false);
    assert!(
        phaxio["detail"]
            .as_str()
            .is_some_and(|d| d.contains("api_key")),
        "{phaxio}"
    );
    assert_eq!(code, Some(1));

    // With credentials set through the API, the check reaches the account status endpoint.
    let daemon = support::Daemon::start(&dir);
    for (key, value) in [
        ("api_key", "doctorkey"),
        ("api_secret", "doctorsecretvalue"),
    ] {
        daemon
            .client
            .send(
                "PUT",
                &format!("/v1/transports/phaxio/secrets/{key}"),
                Some(&admin),
                Some("text/plain"),
                value.as_bytes(),
            )
            .expect(204);
    }
    drop(daemon);
    let (code, report, text) = doctor(&dir);
    assert_eq!(transport(&report, "phaxio")["ok"], true, "{report}");
    assert!(
        !text.contains("doctorsecretvalue"),
        "a credential in the output: {text}"
    );
    let requests = seen.lock().expect("lock").clone();
    assert!(
        requests
            .iter()
            .any(|r| r.starts_with("GET /v2.1/account/status")
                && r.to_ascii_lowercase().contains("authorization: basic")),
        "{requests:?}"
    );
    let layers_complete = faxbot_jail::check().complete();
    assert_eq!(code, Some(if layers_complete { 0 } else { 1 }));

    // Credentials the provider refuses: FAILED, and why.
    let (refusing, _) = phaxio_api(401);
    support::write_config(
        &dir,
        &format!("[transports.phaxio]\nbase_url = \"http://127.0.0.1:{refusing}/v2.1\"\n"),
    );
    let (code, report, _) = doctor(&dir);
    let phaxio = transport(&report, "phaxio");
    assert_eq!(phaxio["ok"], false);
    assert!(
        phaxio["detail"]
            .as_str()
            .is_some_and(|d| d.contains("refused")),
        "{phaxio}"
    );
    assert_eq!(code, Some(1));
}

#[test]
fn doctor_lists_each_runtime_and_whether_it_starts_in_the_jail() {
    if !nix::unistd::Uid::effective().is_root()
        || !std::path::Path::new("/usr/bin/python3").exists()
    {
        eprintln!("skipped: needs root (the jail) and /usr/bin/python3 (scripts/setup)");
        return;
    }
    let python = std::fs::canonicalize("/usr/bin/python3").expect("python3");
    let version = python
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("state");
    let _admin = support::init(&dir);
    support::write_config(
        &dir,
        &format!(
            "[runtimes.python3]\ninterpreter = \"/usr/bin/python3\"\ntrees = [\"/usr/lib/{version}\"]\nargs = [\"-I\", \"-S\", \"-B\"]\n\n[runtimes.python]\ninterpreter = \"/usr/bin/python3\"\n"
        ),
    );
    let (code, report, text) = doctor(&dir);
    let runtimes = report["runtimes"]
        .as_array()
        .unwrap_or_else(|| panic!("{text}"));
    let by_name = |name: &str| {
        runtimes
            .iter()
            .find(|r| r["name"] == name)
            .unwrap_or_else(|| panic!("no {name} in {report:#}"))
    };
    let python3 = by_name("python3");
    assert_eq!(python3["starts"], true, "{report:#}");
    assert_eq!(python3["detail"], "ok");
    // Without its tree bound, the interpreter cannot find its standard library in the jail.
    assert_eq!(by_name("python")["starts"], false, "{report:#}");
    assert_eq!(code, Some(1), "a runtime that fails is a failed check");
}
