//! A local HTTPS server standing in for a webhook receiver (Slack): a CA made at test time,
//! a certificate for `hooks.slack.com`, every request recorded (path and body), answered with
//! a status the test can change while it runs.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A local HTTPS server standing in for Slack: records each request (path and body) and
/// answers with `status` (changeable while it runs).
/// One request's headers, lower-case names.
pub type Headers = Vec<(String, String)>;

pub struct Webhook {
    pub port: u16,
    pub ca_pem: String,
    pub seen: Arc<Mutex<Vec<(String, String)>>>,
    /// Each request's headers (lower-case names), in the order of `seen`.
    pub headers: Arc<Mutex<Vec<Headers>>>,
    pub status: Arc<AtomicU16>,
}

pub fn webhook() -> Webhook {
    webhook_for(&["hooks.slack.com"])
}

/// The server with a certificate for `names`.
pub fn webhook_for(names: &[&str]) -> Webhook {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let ca_key = rcgen::KeyPair::generate().expect("ca key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).expect("ca");
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let leaf_key = rcgen::KeyPair::generate().expect("leaf key");
    let leaf =
        rcgen::CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())
            .expect("leaf params")
            .signed_by(&leaf_key, &issuer)
            .expect("leaf");
    let config = Arc::new(
        rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(
                vec![leaf.der().clone()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
            )
            .expect("server config"),
    );
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let status = Arc::new(AtomicU16::new(200));
    let headers = Arc::new(Mutex::new(Vec::new()));
    let (seen2, status2, headers2) = (seen.clone(), status.clone(), headers.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let (config, seen, status) = (config.clone(), seen2.clone(), status2.clone());
            let headers = headers2.clone();
            std::thread::spawn(move || {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                let Ok(conn) = rustls::ServerConnection::new(config) else {
                    return;
                };
                let mut tls = rustls::StreamOwned::new(conn, stream);
                serve(&mut tls, &seen, &headers, &status);
            });
        }
    });
    Webhook {
        port,
        ca_pem: ca.pem(),
        seen,
        headers,
        status,
    }
}

/// Answers requests on one connection (keep-alive) until it closes.
fn serve(
    tls: &mut impl ReadWrite,
    seen: &Mutex<Vec<(String, String)>>,
    all_headers: &Mutex<Vec<Headers>>,
    status: &AtomicU16,
) {
    let mut reader = BufReader::new(tls);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let path = request_line
            .split_whitespace()
            .nth(1)
            .unwrap_or_default()
            .to_owned();
        let mut length = 0usize;
        let mut headers = Headers::new();
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap_or(0);
                }
                headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        // Headers first: a test that saw the body can then read its headers.
        all_headers.lock().expect("lock").push(headers);
        seen.lock()
            .expect("lock")
            .push((path, String::from_utf8_lossy(&body).into_owned()));
        let code = status.load(Ordering::SeqCst);
        let answer =
            format!("HTTP/1.1 {code} X\r\ncontent-length: 2\r\ncontent-type: text/plain\r\n\r\nok");
        let tls = reader.get_mut();
        if tls.write_all(answer.as_bytes()).is_err() || tls.flush().is_err() {
            return;
        }
    }
}

trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

/// The `[egress]` settings that send `hooks.slack.com` to this server: loopback allowed, the
/// test CA trusted (written to `ca_path`), the name pinned to the server's port.
pub fn egress_config(hook: &Webhook, ca_path: &std::path::Path) -> String {
    egress_config_for(hook, ca_path, &["hooks.slack.com"])
}

/// [`egress_config`] pinning each of `names` to the server.
pub fn egress_config_for(hook: &Webhook, ca_path: &std::path::Path, names: &[&str]) -> String {
    std::fs::write(ca_path, &hook.ca_pem).expect("ca file");
    let pins: Vec<String> = names
        .iter()
        .map(|n| format!("\"{n}\" = \"127.0.0.1:{}\"", hook.port))
        .collect();
    format!(
        "[egress]\nallow_internal = [\"127.0.0.1/32\"]\nca_file = \"{}\"\nhosts = {{ {} }}\n",
        ca_path.display(),
        pins.join(", ")
    )
}
