//! The egress broker's added latency per request: the same GET to the same local HTTPS
//! server (keep-alive, a CA made here) through `EgressBroker::fetch` — rule match, secret
//! rendering, checked resolution, the pinned connection, limits — and through a direct
//! reqwest (hyper) client with connection reuse, interleaved in rounds in one run.
//!
//! Run: `cargo bench -p faxbot-brokers --bench egress_latency` (release). Prints one table.

use faxbot_brokers::egress::{
    AddressPolicy, EgressBroker, EgressLimits, InternalRange, PluginEgress, SecretSource,
    StaticLookup, TlsRoots,
};
use faxbot_plugin_abi::methods::HttpRequest;
use faxbot_plugin_abi::secret::SecretTemplate;
use faxbot_policy::egress::EgressRule;
use http_body_util::Full;
use hyper::body::Bytes;
use std::sync::Arc;
use std::time::{Duration, Instant};

const HOST: &str = "hooks.partner.example";
const ROUNDS: usize = 10;
const PER_ROUND: usize = 200;

struct NoSecrets;
impl SecretSource for NoSecrets {
    fn value(&self, _: &str, _: &str) -> Option<String> {
        None
    }
}

async fn server() -> (u16, Vec<u8>) {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let ca_key = rcgen::KeyPair::generate().expect("ca key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).expect("ca");
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let leaf_key = rcgen::KeyPair::generate().expect("leaf key");
    let leaf = rcgen::CertificateParams::new(vec![HOST.to_owned()])
        .expect("leaf params")
        .signed_by(&leaf_key, &issuer)
        .expect("leaf");
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
        )
        .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = hyper::service::service_fn(|_req| async {
                    Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(
                        Bytes::from_static(b"ok"),
                    )))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    (port, ca.pem().into_bytes())
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1e6
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let (port, ca_pem) = server().await;
        let url = format!("https://{HOST}:{port}/services/x");
        let broker = EgressBroker::new(
            Arc::new(
                StaticLookup::default().with(HOST, vec![vec!["127.0.0.1".parse().expect("ip")]]),
            ),
            AddressPolicy {
                allowed_internal: vec![InternalRange::parse("127.0.0.1/32").expect("range")],
            },
            TlsRoots::Only(vec![ca_pem.clone()]),
        );
        let plugin = PluginEgress {
            plugin_id: "bench".into(),
            rules: vec![
                EgressRule::parse(&format!("https://{HOST}:{port}/services/*")).expect("rule"),
            ],
            limits: EgressLimits::default(),
        };
        let request = HttpRequest {
            method: "GET".into(),
            url: SecretTemplate::text(url.clone()),
            headers: vec![],
            body: vec![],
            timeout_ms: 5_000,
        };
        let direct = reqwest::Client::builder()
            .tls_certs_only(vec![reqwest::Certificate::from_pem(&ca_pem).expect("ca")])
            .resolve(HOST, "127.0.0.1:0".parse().expect("addr"))
            .build()
            .expect("client");
        // Warm both: handshakes and pools.
        for _ in 0..20 {
            let (r, _) = broker.fetch(&plugin, &request, &NoSecrets).await;
            r.expect("broker warm-up");
            direct
                .get(&url)
                .send()
                .await
                .expect("direct")
                .bytes()
                .await
                .expect("body");
        }
        let (mut through_broker, mut straight) = (Vec::new(), Vec::new());
        for _ in 0..ROUNDS {
            for _ in 0..PER_ROUND {
                let t = Instant::now();
                let (r, _) = broker.fetch(&plugin, &request, &NoSecrets).await;
                r.expect("broker");
                through_broker.push(t.elapsed());
            }
            for _ in 0..PER_ROUND {
                let t = Instant::now();
                direct
                    .get(&url)
                    .send()
                    .await
                    .expect("direct")
                    .bytes()
                    .await
                    .expect("body");
                straight.push(t.elapsed());
            }
        }
        through_broker.sort();
        straight.sort();
        println!("| client | requests | p50 µs | p99 µs |");
        println!("|---|---|---|---|");
        for (name, v) in [
            ("egress broker", &through_broker),
            ("direct reqwest/hyper", &straight),
        ] {
            println!(
                "| {name} | {} | {:.0} | {:.0} |",
                v.len(),
                percentile(v, 0.5),
                percentile(v, 0.99)
            );
        }
        println!(
            "added p50: {:.0} µs",
            percentile(&through_broker, 0.5) - percentile(&straight, 0.5)
        );
    });
}
