//! The daemon's benchmarks for `docs/benchmarks.md`, side by side in one run
//! (`scripts/bench-daemon` builds everything in release and runs this):
//!
//! 1. an authenticated `GET /v1/plugins` under load (wrk, 64 connections) against a bare hyper
//!    hello-world on the same machine;
//! 2. upload-to-running of the status-route example (upload, approve at once, until healthy);
//! 3. the daemon's RSS with 200 installed idle plugins.
//!
//! Usage: `daemon_bench FAXBOT HELLO_HYPER STATUS_ROUTE_BINARY`.

#[path = "bench_support/mod.rs"]
mod bench_support;

use bench_support::start;

use faxbot_policy::manifest::ResourceCeilings;
use faxbot_policy::package::PackageBuilder;
use faxbot_policy::signature::SignatureFile;
use faxbot_policy::signature::ed25519::Ed25519Keypair;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

fn request(
    port: u16,
    method: &str,
    path: &str,
    key: &str,
    ct: Option<&str>,
    body: &[u8],
) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {key}\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(ct) = ct {
        head.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).expect("write");
    s.write_all(body).expect("write");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn multipart(package: &[u8], signature: &[u8]) -> (String, Vec<u8>) {
    let b = "bench-boundary";
    let mut body = Vec::new();
    for (name, bytes) in [("package", package), ("signature", signature)] {
        body.extend_from_slice(
            format!(
                "--{b}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"f\"\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{b}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={b}"), body)
}

fn package(
    key: &Ed25519Keypair,
    manifest: &str,
    files: &[(&str, &[u8], bool)],
) -> (Vec<u8>, Vec<u8>) {
    let mut builder = PackageBuilder::new(manifest.as_bytes().to_vec());
    for (path, bytes, exec) in files {
        builder.add_file(path, bytes.to_vec(), *exec).expect("file");
    }
    let fxp = builder
        .build(&ResourceCeilings::default())
        .expect("package");
    let sig = SignatureFile::ed25519(key, &builder.digest()).to_toml();
    (fxp, sig.into_bytes())
}

struct Wrk {
    rps: f64,
    p50: String,
    p99: String,
}

fn wrk(port: u16, path: &str, key: &str) -> Wrk {
    let out = Command::new("wrk")
        .args(["-t2", "-c64", "-d10s", "--latency", "-H"])
        .arg(format!("Authorization: Bearer {key}"))
        .arg(format!("http://127.0.0.1:{port}{path}"))
        .output()
        .expect("wrk (apt-get install wrk)");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let find = |prefix: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(prefix))
            .and_then(|l| l.split_whitespace().nth(1))
            .unwrap_or("?")
            .to_owned()
    };
    if text.contains("Non-2xx") {
        eprintln!("wrk saw non-2xx answers:\n{text}");
    }
    Wrk {
        rps: find("Requests/sec:").parse().unwrap_or(0.0),
        p50: find("50%"),
        p99: find("99%"),
    }
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

fn main() {
    let args: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    let [faxbot, hello, status_route] = args.as_slice() else {
        eprintln!("usage: daemon_bench FAXBOT HELLO_HYPER STATUS_ROUTE_BINARY");
        std::process::exit(2);
    };
    let tmp = std::env::temp_dir().join(format!("faxbot-bench-{}", std::process::id()));
    let dir = tmp.join("state");
    std::fs::create_dir_all(&tmp).expect("tmp");
    let init = Command::new(faxbot)
        .args(["init", "--dir"])
        .arg(&dir)
        .output()
        .expect("init");
    let key = String::from_utf8_lossy(&init.stdout)
        .trim()
        .trim_start_matches("admin key: ")
        .to_owned();
    let publisher = Ed25519Keypair::generate().expect("key");
    std::fs::write(
        dir.join("trust.toml"),
        format!(
            "[[key]]\npublisher = \"bench\"\ntier = \"curated\"\ned25519 = \"{}\"\n",
            publisher.public_key()
        ),
    )
    .expect("trust");
    std::fs::write(
        dir.join("faxbot.toml"),
        "[auth]\nrate_limit_per_second = 1000000\nrate_limit_burst = 1000000\n",
    )
    .expect("config");
    let dir_arg = dir.to_str().expect("utf-8");
    let (mut daemon, port) = start(
        faxbot,
        &["serve", "--dir", dir_arg, "--listen", "127.0.0.1:0"],
    );
    let rss_empty = rss_kib(daemon.id());

    // 2. Upload to running.
    let binary = std::fs::read(status_route).expect("status-route binary");
    let manifest = "id = \"status-route\"\nname = \"Status route\"\nversion = \"0.1.0\"\npublisher = \"bench\"\n\
        hipaa_compliant = true\nmin_core_version = \"0.1.0\"\nentry = \"bin/status-route\"\n\n[capabilities]\n\
        subscribe = [\"fax.job.*\"]\nroutes = [\"/status\"]\nkv_quota = \"16KiB\"\n";
    let (fxp, sig) = package(&publisher, manifest, &[("bin/status-route", &binary, true)]);
    let (ct, body) = multipart(&fxp, &sig);
    let t0 = Instant::now();
    let (status, answer) = request(port, "POST", "/v1/plugins", &key, Some(&ct), &body);
    assert_eq!(status, 201, "{answer}");
    let uploaded = t0.elapsed();
    let (status, answer) = request(
        port,
        "POST",
        "/v1/plugins/status-route/approve",
        &key,
        None,
        b"",
    );
    assert_eq!(status, 200, "{answer}");
    let approved = t0.elapsed();
    loop {
        let (_, view) = request(port, "GET", "/v1/plugins/status-route", &key, None, b"");
        if view.contains("\"health\":\"healthy\"") {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "not running: {view}"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    let running = t0.elapsed();
    println!("## upload to running ({} KiB package)", fxp.len() / 1024);
    println!(
        "upload answered 201: {:.1} ms",
        uploaded.as_secs_f64() * 1e3
    );
    println!(
        "approve answered:    {:.1} ms",
        approved.as_secs_f64() * 1e3
    );
    println!("running (healthy):   {:.1} ms", running.as_secs_f64() * 1e3);

    // 1. Throughput, side by side.
    let (mut bare, bare_port) = start(hello, &["127.0.0.1:0"]);
    let daemon_run = wrk(port, "/v1/plugins", &key);
    let bare_run = wrk(bare_port, "/", &key);
    let _ = bare.kill();
    println!("## GET /v1/plugins (authenticated, 1 plugin) vs bare hyper, wrk -t2 -c64 -d10s");
    println!(
        "daemon: {:.0} req/s, p50 {}, p99 {}",
        daemon_run.rps, daemon_run.p50, daemon_run.p99
    );
    println!(
        "hyper:  {:.0} req/s, p50 {}, p99 {}",
        bare_run.rps, bare_run.p50, bare_run.p99
    );
    println!("ratio:  {:.2}", daemon_run.rps / bare_run.rps.max(1.0));

    // 3. RSS with 200 installed idle plugins.
    let rss_before = rss_kib(daemon.id());
    for i in 0..200 {
        let manifest = format!(
            "id = \"idle-{i}\"\nname = \"Idle\"\nversion = \"1.0.0\"\npublisher = \"bench\"\nhipaa_compliant = true\n\
             min_core_version = \"0.1.0\"\nentry = \"bin/run\"\n\n[capabilities]\nkv_quota = \"4KiB\"\n"
        );
        let (fxp, sig) = package(&publisher, &manifest, &[("bin/run", b"#!/bin/sh\n", true)]);
        let (ct, body) = multipart(&fxp, &sig);
        let (status, answer) = request(port, "POST", "/v1/plugins", &key, Some(&ct), &body);
        assert_eq!(status, 201, "{answer}");
        let (status, answer) = request(
            port,
            "POST",
            &format!("/v1/plugins/idle-{i}/approve"),
            &key,
            Some("application/json"),
            br#"{"start": false}"#,
        );
        assert_eq!(status, 200, "{answer}");
    }
    let list_started = Instant::now();
    let (status, _) = request(port, "GET", "/v1/plugins", &key, None, b"");
    assert_eq!(status, 200);
    let list_201 = list_started.elapsed();
    let rss_after = rss_kib(daemon.id());
    println!("## RSS");
    println!("fresh daemon:                 {} KiB", rss_empty);
    println!("after the load runs:          {} KiB", rss_before);
    println!("with 200 more installed idle: {} KiB", rss_after);
    println!(
        "GET /v1/plugins of 201:       {:.1} ms",
        list_201.as_secs_f64() * 1e3
    );
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(daemon.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    );
    let _ = daemon.wait();
    let _ = std::fs::remove_dir_all(&tmp);
}
