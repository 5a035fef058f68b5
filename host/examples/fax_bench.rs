//! Faxes accepted per second through `POST /v1/faxes` (test transport: the document sniffed
//! and stored encrypted, the job row durable, the event published on the bus, the audit
//! record written) against the same multipart upload to a bare hyper server that only writes
//! the body to a file, in one run, with the same client: `CONNECTIONS` keep-alive
//! connections, each sending its requests one after another for `SECONDS`.
//!
//! Usage: `fax_bench FAXBOT UPLOAD_HYPER` (see `scripts/bench-fax`).

#[path = "bench_support/mod.rs"]
mod bench_support;

use bench_support::start;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

const CONNECTIONS: usize = 16;
const SECONDS: u64 = 10;

/// A one-page PDF-like document of about 10 KiB (sniffed as PDF by its header).
fn document() -> Vec<u8> {
    let mut doc = b"%PDF-1.4\n".to_vec();
    while doc.len() < 10 * 1024 {
        doc.extend_from_slice(b"% filler line of a benchmark document, no personal data\n");
    }
    doc.extend_from_slice(b"%%EOF\n");
    doc
}

fn request(key: &str, doc: &[u8]) -> Vec<u8> {
    let boundary = "faxbotbenchboundary";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"to\"\r\n\r\n+15551230001\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"doc.pdf\"\r\nContent-Type: application/pdf\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(doc);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let mut out = format!(
        "POST /v1/faxes HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {key}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(&body);
    out
}

/// Reads one HTTP/1.1 response; its status.
fn response(reader: &mut BufReader<TcpStream>) -> u16 {
    let mut line = String::new();
    reader.read_line(&mut line).expect("status line");
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).expect("header");
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).expect("body");
    status
}

struct Run {
    accepted: usize,
    other: usize,
    latencies: Vec<Duration>,
    elapsed: Duration,
}

fn load(port: u16, bytes: &[u8]) -> Run {
    let deadline = Instant::now() + Duration::from_secs(SECONDS);
    let started = Instant::now();
    let threads: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            let bytes = bytes.to_vec();
            std::thread::spawn(move || {
                let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
                stream.set_nodelay(true).expect("nodelay");
                let mut writer = stream.try_clone().expect("clone");
                let mut reader = BufReader::new(stream);
                let (mut accepted, mut other, mut latencies) = (0, 0, Vec::new());
                while Instant::now() < deadline {
                    let t = Instant::now();
                    writer.write_all(&bytes).expect("send");
                    if response(&mut reader) == 202 {
                        accepted += 1;
                    } else {
                        other += 1;
                    }
                    latencies.push(t.elapsed());
                }
                (accepted, other, latencies)
            })
        })
        .collect();
    let mut run = Run {
        accepted: 0,
        other: 0,
        latencies: Vec::new(),
        elapsed: Duration::ZERO,
    };
    for t in threads {
        let (a, o, l) = t.join().expect("thread");
        run.accepted += a;
        run.other += o;
        run.latencies.extend(l);
    }
    run.elapsed = started.elapsed();
    run.latencies.sort();
    run
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1e3
}

fn report(name: &str, run: &Run) -> f64 {
    let rate = run.accepted as f64 / run.elapsed.as_secs_f64();
    println!(
        "| {name} | {rate:.0} | {:.2} | {:.2} | {} |",
        percentile(&run.latencies, 0.5),
        percentile(&run.latencies, 0.99),
        run.other
    );
    rate
}

fn main() {
    let args: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    let [faxbot, upload] = args.as_slice() else {
        eprintln!("usage: fax_bench FAXBOT UPLOAD_HYPER");
        std::process::exit(2);
    };
    let tmp = std::env::temp_dir().join(format!("faxbot-fax-bench-{}", std::process::id()));
    let dir = tmp.join("state");
    std::fs::create_dir_all(tmp.join("uploads")).expect("tmp");
    let init = Command::new(faxbot)
        .args(["init", "--dir"])
        .arg(&dir)
        .output()
        .expect("init");
    let key = String::from_utf8_lossy(&init.stdout)
        .trim()
        .trim_start_matches("admin key: ")
        .to_owned();
    std::fs::write(
        dir.join("faxbot.toml"),
        "[auth]\nrate_limit_per_second = 1000000\nrate_limit_burst = 1000000\n",
    )
    .expect("config");
    let doc = document();
    let bytes = request(&key, &doc);
    let (mut daemon, port) = start(
        faxbot,
        &[
            "serve",
            "--dir",
            dir.to_str().expect("utf-8"),
            "--listen",
            "127.0.0.1:0",
        ],
    );
    let (mut bare, bare_port) = start(upload, &[tmp.join("uploads").to_str().expect("utf-8")]);
    println!(
        "## POST /v1/faxes ({} KiB document, test transport) vs a bare hyper upload-to-file, {CONNECTIONS} connections, {SECONDS} s each",
        doc.len() / 1024
    );
    println!("| server | accepted/s | p50 ms | p99 ms | non-202 |");
    println!("|---|---|---|---|---|");
    let daemon_run = load(port, &bytes);
    let bare_run = load(bare_port, &bytes);
    let daemon_rate = report("faxbot `POST /v1/faxes`", &daemon_run);
    let bare_rate = report("bare hyper, body to a file", &bare_run);
    println!("ratio faxbot / bare: {:.3}", daemon_rate / bare_rate);
    let _ = daemon.kill();
    let _ = bare.kill();
    let _ = daemon.wait();
    let _ = bare.wait();
    let _ = std::fs::remove_dir_all(&tmp);
}
