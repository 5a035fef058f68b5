//! The CLI's HTTP client of the daemon's API: one HTTP/1.1 request per connection over TCP,
//! or TLS (rustls with the system's roots, plus `--ca-cert` for a private CA). The key comes
//! from `FAXBOT_API_KEY` or `--key-file`, never from the command line (where `ps` shows it).
//! Uploads report their progress on stderr.

use anyhow::{Context, Result, anyhow, bail};
use bytes::Bytes;
use clap::Args;
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use hyper::Request;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::{Duration, Instant};

/// How the CLI reaches the daemon.
#[derive(Debug, Args, Clone)]
pub struct ApiArgs {
    /// The daemon's URL.
    #[arg(
        long,
        env = "FAXBOT_URL",
        default_value = "http://127.0.0.1:8750",
        global = true
    )]
    pub url: String,
    /// A file holding the API key (else the FAXBOT_API_KEY environment variable).
    #[arg(long, env = "FAXBOT_API_KEY_FILE", global = true)]
    pub key_file: Option<PathBuf>,
    /// A PEM CA certificate to trust for https (besides the system's roots).
    #[arg(long, env = "FAXBOT_CA_CERT", global = true)]
    pub ca_cert: Option<PathBuf>,
    /// Print the API's JSON instead of tables.
    #[arg(long, global = true)]
    pub json: bool,
}

/// An answer.
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// The body.
    pub body: Bytes,
}

impl Answer {
    /// The body as JSON, or an error naming the status.
    pub fn json(&self) -> Result<serde_json::Value> {
        if self.body.is_empty() {
            return Ok(serde_json::Value::Null);
        }
        serde_json::from_slice(&self.body).with_context(|| {
            format!(
                "the daemon answered {} with a body that is not JSON",
                self.status
            )
        })
    }

    /// `Ok(json)` for 2xx, else an error with the API's code and message.
    pub fn ok(self) -> Result<serde_json::Value> {
        let body = self.json()?;
        if (200..300).contains(&self.status) {
            return Ok(body);
        }
        let code = body["code"].as_str().unwrap_or("error");
        let message = body["message"].as_str().unwrap_or("");
        let field = body["field"]
            .as_str()
            .map(|f| format!(" (field {f})"))
            .unwrap_or_default();
        bail!("{} {code}: {message}{field}", self.status)
    }
}

/// A request body that reports upload progress on stderr.
struct Progress {
    data: Bytes,
    sent: usize,
    started: Instant,
    last: Instant,
    show: bool,
}

const CHUNK: usize = 64 << 10;

impl Body for Progress {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut TaskContext<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if self.sent >= self.data.len() {
            if self.show {
                self.show = false;
                eprintln!(
                    "\ruploaded {} in {:.1} s, waiting for verification…",
                    human(self.data.len()),
                    self.started.elapsed().as_secs_f64()
                );
            }
            return Poll::Ready(None);
        }
        let end = (self.sent + CHUNK).min(self.data.len());
        let chunk = self.data.slice(self.sent..end);
        self.sent = end;
        if self.show && self.last.elapsed() > Duration::from_millis(200) {
            self.last = Instant::now();
            let pct = self.sent * 100 / self.data.len().max(1);
            eprint!(
                "\ruploading {} of {} ({pct}%)",
                human(self.sent),
                human(self.data.len())
            );
            let _ = std::io::stderr().flush();
        }
        Poll::Ready(Some(Ok(Frame::data(chunk))))
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact((self.data.len() - self.sent) as u64)
    }
}

fn human(bytes: usize) -> String {
    if bytes >= 1 << 20 {
        format!("{:.1} MiB", bytes as f64 / f64::from(1u32 << 20))
    } else {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    }
}

/// The API client.
pub struct Api {
    scheme_https: bool,
    host: String,
    port: u16,
    base_path: String,
    key: String,
    tls: Option<tokio_rustls::TlsConnector>,
    runtime: tokio::runtime::Runtime,
    /// Print JSON.
    pub json: bool,
}

fn read_key(args: &ApiArgs) -> Result<String> {
    let key = match &args.key_file {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("reading the API key from {}", path.display()))?,
        None => std::env::var("FAXBOT_API_KEY")
            .map_err(|_| anyhow!("no API key: set FAXBOT_API_KEY or pass --key-file FILE"))?,
    };
    let key = key.trim();
    // `init` prints `admin key: KEY`; a file holding that line works too.
    Ok(key.strip_prefix("admin key: ").unwrap_or(key).to_owned())
}

fn tls_connector(ca_cert: Option<&PathBuf>) -> Result<tokio_rustls::TlsConnector> {
    let mut roots = rustls::RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    for cert in native.certs {
        let _ = roots.add(cert);
    }
    if let Some(path) = ca_cert {
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
            .with_context(|| format!("--ca-cert {}: cannot read", path.display()))?
            .collect::<Result<_, _>>()
            .with_context(|| format!("--ca-cert {}: not PEM certificates", path.display()))?;
        for cert in certs {
            roots.add(cert).with_context(|| {
                format!("--ca-cert {}: not a usable CA certificate", path.display())
            })?;
        }
    }
    let config = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}

impl Api {
    /// A client for `args`.
    pub fn new(args: &ApiArgs) -> Result<Self> {
        crate::serve::install_crypto_provider();
        let url = url::Url::parse(&args.url).with_context(|| format!("--url {:?}", args.url))?;
        let https = match url.scheme() {
            "https" => true,
            "http" => false,
            other => bail!("--url: the scheme must be http or https, not {other}"),
        };
        let host = url
            .host_str()
            .ok_or_else(|| anyhow!("--url has no host"))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let port = url
            .port_or_known_default()
            .unwrap_or(if https { 443 } else { 80 });
        let tls = if https {
            Some(tls_connector(args.ca_cert.as_ref())?)
        } else {
            None
        };
        Ok(Self {
            scheme_https: https,
            host,
            port,
            base_path: url.path().trim_end_matches('/').to_owned(),
            key: read_key(args)?,
            tls,
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("starting the async runtime")?,
            json: args.json,
        })
    }

    /// Sends one request; `body` is `(content type, bytes)`.
    pub fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<(&str, Vec<u8>)>,
        progress: bool,
    ) -> Result<Answer> {
        self.runtime
            .block_on(self.send_async(method, path, body, progress))
    }

    async fn send_async(
        &self,
        method: &str,
        path: &str,
        body: Option<(&str, Vec<u8>)>,
        progress: bool,
    ) -> Result<Answer> {
        let stream = tokio::net::TcpStream::connect((self.host.as_str(), self.port))
            .await
            .with_context(|| {
                format!(
                    "connecting to {}:{} (is faxbot serve running?)",
                    self.host, self.port
                )
            })?;
        let authority = if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        };
        let mut builder = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base_path))
            .header(HOST, authority)
            .header(AUTHORIZATION, format!("Bearer {}", self.key));
        let data = match body {
            Some((content_type, bytes)) => {
                builder = builder.header(CONTENT_TYPE, content_type);
                Bytes::from(bytes)
            }
            None => Bytes::new(),
        };
        let now = Instant::now();
        let body = Progress {
            show: progress && std::io::stderr().is_terminal() && data.len() > CHUNK,
            data,
            sent: 0,
            started: now,
            last: now,
        };
        let request = builder.body(body).context("building the request")?;
        let response = if self.scheme_https {
            let connector = self
                .tls
                .clone()
                .ok_or_else(|| anyhow!("no TLS configuration"))?;
            let name = ServerName::try_from(self.host.clone())
                .map_err(|_| anyhow!("--url: {} is not a valid TLS server name", self.host))?;
            let tls = connector
                .connect(name, stream)
                .await
                .context("TLS handshake with the daemon")?;
            exchange(TokioIo::new(tls), request).await?
        } else {
            exchange(TokioIo::new(stream), request).await?
        };
        Ok(response)
    }

    /// GET, 2xx JSON or an error.
    pub fn get(&self, path: &str) -> Result<serde_json::Value> {
        self.send("GET", path, None, false)?.ok()
    }

    /// POST a JSON body (or none), 2xx JSON or an error.
    pub fn post(&self, path: &str, body: Option<serde_json::Value>) -> Result<serde_json::Value> {
        let body = body.map(|b| ("application/json", b.to_string().into_bytes()));
        self.send("POST", path, body, false)?.ok()
    }

    /// DELETE, 2xx or an error.
    pub fn delete(&self, path: &str) -> Result<serde_json::Value> {
        self.send("DELETE", path, None, false)?.ok()
    }
}

async fn exchange<I>(io: I, request: Request<Progress>) -> Result<Answer>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(io)
        .await
        .context("HTTP handshake with the daemon")?;
    tokio::spawn(connection);
    let response = sender
        .send_request(request)
        .await
        .context("sending the request")?;
    let status = response.status().as_u16();
    let body = response
        .into_body()
        .collect()
        .await
        .context("reading the answer")?
        .to_bytes();
    Ok(Answer { status, body })
}

/// A path segment, percent-encoded.
pub fn segment(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
