//! The real daemon for tests: `faxbot init` and `faxbot serve` as child processes on a
//! loopback port, a small HTTP/1.1 client over a plain TCP socket (so tests can also send
//! what no well-behaved client would), and signed plugin packages made with a key the test
//! generates.

#![allow(dead_code)]

pub mod webhook;

use faxbot_policy::manifest::ResourceCeilings;
use faxbot_policy::package::PackageBuilder;
use faxbot_policy::signature::SignatureFile;
use faxbot_policy::signature::ed25519::Ed25519Keypair;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub const FAXBOT: &str = env!("CARGO_BIN_EXE_faxbot");

/// The cargo target profile directory the faxbot binary was built into.
pub fn profile_dir() -> PathBuf {
    Path::new(FAXBOT).parent().expect("bin dir").to_owned()
}

fn cargo_build(args: &[&str]) {
    let target = profile_dir().parent().expect("target dir").to_owned();
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.arg("build").args(args).env("CARGO_TARGET_DIR", target);
    if profile_dir().file_name().is_some_and(|n| n == "release") {
        cmd.arg("--release");
    }
    let status = cmd.status().expect("cargo runs");
    assert!(status.success(), "cargo build {args:?} failed");
}

/// `faxbot-jail` beside `faxbot` (built if this test run did not build it).
pub fn ensure_jail() -> PathBuf {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            let jail = profile_dir().join("faxbot-jail");
            if !jail.is_file() {
                cargo_build(&["-p", "faxbot-jail", "--bin", "faxbot-jail"]);
            }
            jail
        })
        .clone()
}

/// The bytes of an example plugin's binary, built if needed.
pub fn example_binary(package: &str) -> Vec<u8> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = LOCK
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let path = profile_dir().join(package);
    if !path.is_file() {
        cargo_build(&["-p", package, "--bin", package]);
    }
    std::fs::read(&path).expect("example binary")
}

pub fn is_root() -> bool {
    nix::unistd::Uid::effective().is_root()
}

/// An HTTP response.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "status {} body is not JSON ({e}): {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Asserts the status, showing the body when it differs.
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(self.status, status, "body: {}", self.text());
        self
    }

    /// Asserts an API error with this status and code.
    pub fn expect_error(self, status: u16, code: &str) -> Self {
        let body = self.json();
        assert_eq!(self.status, status, "body: {body}");
        assert_eq!(body["code"], code, "body: {body}");
        assert!(body["message"].is_string(), "body: {body}");
        self
    }
}

/// Parses a raw HTTP/1.1 response (Content-Length, chunked, or to the end).
pub fn parse_response(raw: &[u8]) -> Response {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("status line");
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let rest = &raw[split + 4..];
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    let body = if chunked {
        let mut body = Vec::new();
        let mut at = 0;
        while let Some(end) = rest[at..].windows(2).position(|w| w == b"\r\n") {
            let size =
                usize::from_str_radix(String::from_utf8_lossy(&rest[at..at + end]).trim(), 16)
                    .unwrap_or(0);
            at += end + 2;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&rest[at..(at + size).min(rest.len())]);
            at += size + 2;
        }
        body
    } else {
        let len = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse::<usize>().ok())
            .unwrap_or(rest.len());
        rest[..len.min(rest.len())].to_vec()
    };
    Response {
        status,
        headers,
        body,
    }
}

/// A client of one daemon.
#[derive(Clone, Debug)]
pub struct Client {
    pub port: u16,
}

impl Client {
    pub fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(120)))
            .expect("timeout");
        stream
    }

    /// Sends raw bytes; `None` when the connection closed without an answer (a crash).
    pub fn raw_opt(&self, bytes: &[u8]) -> Option<Response> {
        let mut stream = self.connect();
        let _ = stream.write_all(bytes);
        let mut raw = Vec::new();
        let _ = stream.read_to_end(&mut raw);
        (!raw.is_empty()).then(|| parse_response(&raw))
    }

    /// Sends raw bytes and reads the whole answer (the server closes the connection). A
    /// server may answer early (a 413 for a declared length past its limit) and close before
    /// the body is written: the write then fails, and the answer is still read.
    pub fn raw(&self, bytes: &[u8]) -> Response {
        let mut stream = self.connect();
        let written = stream.write_all(bytes);
        let mut raw = Vec::new();
        let _ = stream.read_to_end(&mut raw);
        assert!(
            !raw.is_empty(),
            "no answer (the write {}): the server closed without one",
            if written.is_ok() {
                "succeeded"
            } else {
                "failed"
            }
        );
        parse_response(&raw)
    }

    /// [`Client::send`] that tolerates the daemon dying mid-request.
    pub fn send_opt(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Option<Response> {
        self.raw_opt(&request_bytes(method, path, key, content_type, body))
    }

    pub fn send(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Response {
        self.raw(&request_bytes(method, path, key, content_type, body))
    }

    pub fn get(&self, path: &str, key: &str) -> Response {
        self.send("GET", path, Some(key), None, b"")
    }

    pub fn post_json(&self, path: &str, key: &str, body: &serde_json::Value) -> Response {
        self.send(
            "POST",
            path,
            Some(key),
            Some("application/json"),
            body.to_string().as_bytes(),
        )
    }

    pub fn post(&self, path: &str, key: &str) -> Response {
        self.send("POST", path, Some(key), None, b"")
    }

    pub fn delete(&self, path: &str, key: &str) -> Response {
        self.send("DELETE", path, Some(key), None, b"")
    }

    /// `POST /v1/plugins` (plus `query`) with a package and a signature.
    pub fn upload(&self, key: &str, query: &str, package: &[u8], signature: &[u8]) -> Response {
        let (content_type, body) = multipart(&[
            ("package", "plugin.fxp", package),
            ("signature", "plugin.fxp.sig", signature),
        ]);
        self.send(
            "POST",
            &format!("/v1/plugins{query}"),
            Some(key),
            Some(&content_type),
            &body,
        )
    }

    /// Polls `GET /v1/plugins/{id}` until `done` holds, or panics after `limit`.
    pub fn wait_for(
        &self,
        key: &str,
        id: &str,
        limit: Duration,
        what: &str,
        done: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let started = Instant::now();
        loop {
            let view = self.get(&format!("/v1/plugins/{id}"), key).json();
            if done(&view) {
                return view;
            }
            assert!(
                started.elapsed() < limit,
                "{id} did not become {what} within {limit:?}: {view:#}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// The bytes of one HTTP/1.1 request with `Connection: close`.
pub fn request_bytes(
    method: &str,
    path: &str,
    key: Option<&str>,
    content_type: Option<&str>,
    body: &[u8],
) -> Vec<u8> {
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(key) = key {
        head.push_str(&format!("Authorization: Bearer {key}\r\n"));
    }
    if let Some(ct) = content_type {
        head.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// A `multipart/form-data` body of `(name, filename, bytes)` parts.
pub fn multipart(parts: &[(&str, &str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "faxbot-test-boundary-7d1c";
    let mut body = Vec::new();
    for (name, filename, bytes) in parts {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// `faxbot init --dir DIR`; the admin key it printed.
pub fn init(dir: &Path) -> String {
    let out = Command::new(FAXBOT)
        .args(["init", "--dir"])
        .arg(dir)
        .output()
        .expect("faxbot init");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "init failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "init prints exactly one line: {stdout:?}");
    lines[0]
        .strip_prefix("admin key: ")
        .unwrap_or_else(|| panic!("not `admin key: KEY`: {stdout:?}"))
        .to_owned()
}

/// A running `faxbot serve`.
pub struct Daemon {
    pub dir: PathBuf,
    pub client: Client,
    pub url: String,
    child: Option<Child>,
}

impl Daemon {
    /// Starts `faxbot serve --dir DIR --listen 127.0.0.1:0` with `env` and waits for its
    /// `listening on` line.
    pub fn start_with_env(dir: &Path, env: &[(&str, &str)]) -> Daemon {
        Self::start_command(Command::new(FAXBOT), dir, env)
    }

    /// Starts the daemon through `command`, whose arguments so far end with the path of
    /// the faxbot binary (a `setpriv … faxbot` or `sh -c … faxbot` wrapper that runs it as
    /// another user); `command`'s pid must become the daemon's (the wrapper execs it).
    pub fn start_command(mut command: Command, dir: &Path, env: &[(&str, &str)]) -> Daemon {
        ensure_jail();
        let stderr = std::fs::File::create(dir.with_extension("stderr.log")).expect("stderr log");
        let mut child = command
            .args(["serve", "--dir"])
            .arg(dir)
            .args(["--listen", "127.0.0.1:0"])
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(stderr))
            .spawn()
            .expect("faxbot serve");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let _ = tx.send(line);
            }
        });
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| {
                let _ = child.kill();
                panic!(
                    "no `listening on` line; stderr: {}",
                    std::fs::read_to_string(dir.with_extension("stderr.log")).unwrap_or_default()
                )
            });
        let url = line
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("first line is not `listening on URL`: {line:?}"))
            .to_owned();
        let port: u16 = url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {url:?}"));
        assert_ne!(port, 0, "the line shows the real port");
        Daemon {
            dir: dir.to_owned(),
            client: Client { port },
            url,
            child: Some(child),
        }
    }

    pub fn start(dir: &Path) -> Daemon {
        Self::start_with_env(dir, &[])
    }

    pub fn pid(&self) -> i32 {
        self.child.as_ref().map_or(0, |c| c.id() as i32)
    }

    pub fn signal(&self, signal: nix::sys::signal::Signal) {
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(self.pid()), signal).expect("signal");
    }

    /// SIGTERM and wait; the exit status.
    pub fn stop(mut self) -> std::process::ExitStatus {
        self.signal(nix::sys::signal::Signal::SIGTERM);
        self.child.take().expect("child").wait().expect("wait")
    }

    /// Waits for the process to end on its own (a crash point).
    pub fn wait(mut self) -> std::process::ExitStatus {
        self.child.take().expect("child").wait().expect("wait")
    }

    pub fn kill(mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.dir.with_extension("stderr.log")).unwrap_or_default()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(child.id() as i32),
                nix::sys::signal::Signal::SIGTERM,
            );
            let deadline = Instant::now() + Duration::from_secs(15);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A publisher with a fresh Ed25519 key.
pub struct Publisher {
    pub name: String,
    pub key: Ed25519Keypair,
}

impl Publisher {
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            key: Ed25519Keypair::generate().expect("key"),
        }
    }

    pub fn fingerprint(&self) -> String {
        self.key.public_key().fingerprint()
    }

    /// A `[[key]]` entry of `trust.toml`.
    pub fn trust_entry(&self, tier: &str) -> String {
        format!(
            "[[key]]\npublisher = \"{}\"\ntier = \"{tier}\"\ned25519 = \"{}\"\n",
            self.name,
            self.key.public_key()
        )
    }

    /// A signed package of `manifest` with `files`: (fxp, signature, digest).
    pub fn package(
        &self,
        manifest: &str,
        files: &[(&str, &[u8], bool)],
    ) -> (Vec<u8>, Vec<u8>, String) {
        let mut builder = PackageBuilder::new(manifest.as_bytes().to_vec());
        for (path, bytes, exec) in files {
            builder
                .add_file(path, bytes.to_vec(), *exec)
                .expect("add file");
        }
        let fxp = builder
            .build(&ResourceCeilings::default())
            .expect("package builds");
        let digest = builder.digest();
        let sig = SignatureFile::ed25519(&self.key, &digest).to_toml();
        (fxp, sig.into_bytes(), digest.to_string())
    }
}

/// The status-route example's manifest at `version`, with `extra` lines appended to its
/// `[capabilities]` table.
pub fn status_route_manifest(publisher: &str, version: &str, hipaa: bool, extra: &str) -> String {
    format!(
        "id = \"status-route\"\nname = \"Status route\"\nversion = \"{version}\"\npublisher = \"{publisher}\"\n\
         description = \"Serves GET /status.\"\nhipaa_compliant = {hipaa}\nmin_core_version = \"0.1.0\"\n\
         entry = \"bin/faxbot-example-status-route\"\n\n[capabilities]\nsubscribe = [\"fax.job.*\"]\n\
         routes = [\"/status\", \"/status/job\"]\nkv_quota = \"16KiB\"\nfax_job_status = true\n{extra}\n\
         [resources]\nmemory = \"64MiB\"\npids = 16\n"
    )
}

/// A signed status-route package (the real example binary).
pub fn status_route_package(
    publisher: &Publisher,
    version: &str,
    extra: &str,
) -> (Vec<u8>, Vec<u8>, String) {
    let binary = example_binary("faxbot-example-status-route");
    publisher.package(
        &status_route_manifest(&publisher.name, version, true, extra),
        &[("bin/faxbot-example-status-route", &binary, true)],
    )
}

/// A small package whose entry is a shell script (never run in these tests).
pub fn tiny_package(
    publisher: &Publisher,
    id: &str,
    version: &str,
    hipaa: bool,
) -> (Vec<u8>, Vec<u8>, String) {
    let manifest = format!(
        "id = \"{id}\"\nname = \"Tiny\"\nversion = \"{version}\"\npublisher = \"{}\"\nhipaa_compliant = {hipaa}\n\
         min_core_version = \"0.1.0\"\nentry = \"bin/run\"\n\n[capabilities]\nkv_quota = \"4KiB\"\n\
         egress = [\"https://hooks.example.com/services/*\"]\n",
        publisher.name
    );
    publisher.package(&manifest, &[("bin/run", b"#!/bin/sh\nexit 0\n", true)])
}

/// Writes `text` as the daemon's config file (before it starts).
pub fn write_config(dir: &Path, text: &str) {
    std::fs::write(dir.join("faxbot.toml"), text).expect("config");
}

/// Appends to the trust store file.
pub fn trust(dir: &Path, entry: &str) {
    let path = dir.join("trust.toml");
    let mut text = std::fs::read_to_string(&path).unwrap_or_default();
    text.push_str(entry);
    std::fs::write(&path, text).expect("trust store");
}

/// One process, from `/proc`.
#[derive(Clone, Debug)]
pub struct Proc {
    pub pid: i32,
    pub ppid: i32,
    pub comm: String,
    pub uid: u32,
    pub no_new_privs: bool,
    pub seccomp: u32,
}

fn read_proc(pid: i32) -> Option<Proc> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .map(|l| l[name.len()..].trim().to_owned())
    };
    Some(Proc {
        pid,
        ppid: field("PPid:")?.parse().ok()?,
        comm: field("Name:")?,
        uid: field("Uid:")?.split_whitespace().nth(1)?.parse().ok()?,
        no_new_privs: field("NoNewPrivs:").is_some_and(|v| v == "1"),
        seccomp: field("Seccomp:").and_then(|v| v.parse().ok()).unwrap_or(0),
    })
}

/// Every descendant of `root`.
pub fn descendants(root: i32) -> Vec<Proc> {
    let all: Vec<Proc> = std::fs::read_dir("/proc")
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
                .filter_map(read_proc)
                .collect()
        })
        .unwrap_or_default();
    let mut out = Vec::new();
    let mut frontier = vec![root];
    while let Some(parent) = frontier.pop() {
        for p in all.iter().filter(|p| p.ppid == parent) {
            frontier.push(p.pid);
            out.push(p.clone());
        }
    }
    out
}

/// The jailed plugin processes under a daemon: unprivileged, no_new_privs, seccomp filter.
pub fn jailed_plugins(daemon_pid: i32) -> Vec<Proc> {
    descendants(daemon_pid)
        .into_iter()
        .filter(|p| p.uid != 0 && p.no_new_privs && p.seccomp == 2)
        .collect()
}

/// Waits until `check` holds, or panics naming `what`.
pub fn eventually(limit: Duration, what: &str, check: impl Fn() -> bool) {
    let started = Instant::now();
    while !check() {
        assert!(started.elapsed() < limit, "not {what} within {limit:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The manifest text of example `name` (`examples/NAME/faxbot-plugin.toml`).
pub fn example_manifest(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(format!("../examples/{name}/faxbot-plugin.toml")),
    )
    .expect("example manifest")
}

/// Uploads example `name` (its real binary, `manifest` as given) signed by `publisher`, and
/// sets each of `secrets` (name, value) write-only. Approving is left to the test.
pub fn upload_example(
    c: &Client,
    key: &str,
    publisher: &Publisher,
    name: &str,
    manifest: &str,
    secrets: &[(&str, &str)],
) {
    let program = format!("faxbot-example-{name}");
    let binary = example_binary(&program);
    let (fxp, sig, _) = publisher.package(manifest, &[(&format!("bin/{program}"), &binary, true)]);
    c.upload(key, "", &fxp, &sig).expect(201);
    for (secret, value) in secrets {
        c.send(
            "PUT",
            &format!("/v1/plugins/{name}/secrets/{secret}"),
            Some(key),
            Some("text/plain"),
            value.as_bytes(),
        )
        .expect(204);
    }
}

/// Waits until plugin `name` runs and answers its health checks.
pub fn wait_healthy(c: &Client, key: &str, name: &str) {
    eventually(Duration::from_secs(30), &format!("{name} running"), || {
        c.get(&format!("/v1/plugins/{name}"), key).json()["health"] == "healthy"
    });
}
