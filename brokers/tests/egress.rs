//! The egress broker against a real HTTPS server on loopback (a test CA made at test time):
//! what it sends, what it refuses, and that nothing refused ever reaches a listener.

use faxbot_brokers::egress::{
    AddressPolicy, EgressBroker, EgressError, EgressLimits, HostsLookup, InternalRange,
    PluginEgress, SecretSource, StaticLookup, TlsRoots,
};
use faxbot_plugin_abi::methods::{HttpRequest, OutboundHeader};
use faxbot_plugin_abi::secret::SecretTemplate;
use faxbot_policy::egress::EgressRule;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const HOST: &str = "hooks.partner.test";
const SECRET_PATH: &str = "T0001/B0002/sekritTOKEN42";

struct Secrets;
impl SecretSource for Secrets {
    fn value(&self, plugin: &str, name: &str) -> Option<String> {
        (plugin == "slack" && name == "HOOK").then(|| SECRET_PATH.to_owned())
    }
}

#[derive(Clone, Default)]
struct Seen {
    connections: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<(String, String, String)>>>,
}

struct Server {
    port: u16,
    ca_pem: Vec<u8>,
    seen: Seen,
}

/// An HTTPS server for `names`, answering by path:
/// `/big` a large body, `/headers` huge headers, `/slow` after 3 s,
/// `/redirect-internal` and `/redirect-elsewhere` 302s, anything else 200 "ok".
async fn https_server(names: &[&str]) -> Server {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let ca_key = rcgen::KeyPair::generate().expect("ca key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).expect("ca");
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let leaf_key = rcgen::KeyPair::generate().expect("leaf key");
    let leaf =
        rcgen::CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
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
    let seen = Seen::default();
    let task_seen = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            task_seen.connections.fetch_add(1, Ordering::SeqCst);
            let acceptor = acceptor.clone();
            let seen = task_seen.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = hyper::service::service_fn(
                    move |request: hyper::Request<hyper::body::Incoming>| {
                        let seen = seen.clone();
                        async move {
                            let path = request.uri().path().to_owned();
                            let auth = request
                                .headers()
                                .get("authorization")
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or("")
                                .to_owned();
                            let body = request
                                .into_body()
                                .collect()
                                .await
                                .map(|b| b.to_bytes())
                                .unwrap_or_default();
                            seen.requests.lock().expect("lock").push((
                                path.clone(),
                                auth,
                                String::from_utf8_lossy(&body).into_owned(),
                            ));
                            let mut response =
                                hyper::Response::builder().header("connection", "close");
                            let body = match path.as_str() {
                                "/big" => vec![b'x'; 64 * 1024],
                                "/headers" => {
                                    response = response.header("x-filler", "y".repeat(8000));
                                    b"ok".to_vec()
                                }
                                "/slow" => {
                                    tokio::time::sleep(Duration::from_secs(3)).await;
                                    b"late".to_vec()
                                }
                                "/redirect-internal" => {
                                    response = response.status(302).header(
                                        "location",
                                        "https://internal.partner.test/services/x",
                                    );
                                    Vec::new()
                                }
                                "/redirect-elsewhere" => {
                                    response = response
                                        .status(302)
                                        .header("location", format!("https://{HOST}:{}/other", 0));
                                    Vec::new()
                                }
                                _ => b"ok".to_vec(),
                            };
                            Ok::<_, std::convert::Infallible>(
                                response
                                    .body(Full::new(Bytes::from(body)))
                                    .expect("response"),
                            )
                        }
                    },
                );
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    Server {
        port,
        ca_pem: ca.pem().into_bytes(),
        seen,
    }
}

fn loopback_allowed() -> AddressPolicy {
    AddressPolicy {
        allowed_internal: vec![InternalRange::parse("127.0.0.1/32").expect("range")],
    }
}

fn plugin(port: u16, limits: EgressLimits) -> PluginEgress {
    PluginEgress {
        plugin_id: "slack".into(),
        rules: vec![
            EgressRule::parse(&format!("https://{HOST}:{port}/services/*")).expect("rule"),
            EgressRule::parse(&format!("https://{HOST}:{port}/big")).expect("rule"),
            EgressRule::parse(&format!("https://{HOST}:{port}/headers")).expect("rule"),
            EgressRule::parse(&format!("https://{HOST}:{port}/slow")).expect("rule"),
            EgressRule::parse(&format!("https://{HOST}:{port}/redirect-internal")).expect("rule"),
            EgressRule::parse(&format!("https://internal.partner.test:{port}/services/*"))
                .expect("rule"),
            EgressRule::parse(&format!("https://rebind.partner.test:{port}/services/*"))
                .expect("rule"),
        ],
        limits,
    }
}

fn get(url: SecretTemplate) -> HttpRequest {
    HttpRequest {
        method: "GET".into(),
        url,
        headers: vec![],
        body: vec![],
        timeout_ms: 0,
    }
}

fn lookup(extra: &[(&str, Vec<Vec<IpAddr>>)]) -> Arc<StaticLookup> {
    let mut table =
        StaticLookup::default().with(HOST, vec![vec!["127.0.0.1".parse().expect("ip")]]);
    for (name, answers) in extra {
        table = table.with(name, answers.clone());
    }
    Arc::new(table)
}

fn ip(text: &str) -> IpAddr {
    text.parse().expect("ip")
}

#[tokio::test]
async fn a_webhook_post_reaches_the_server_with_its_secret_filled_in() {
    let server = https_server(&[HOST]).await;
    let broker = EgressBroker::new(
        lookup(&[]),
        loopback_allowed(),
        TlsRoots::Only(vec![server.ca_pem.clone()]),
    );
    let request = HttpRequest {
        method: "POST".into(),
        url: SecretTemplate::text(format!("https://{HOST}:{}/services/", server.port))
            .and_secret("HOOK"),
        headers: vec![OutboundHeader {
            name: "Authorization".into(),
            value: SecretTemplate::text("Bearer ").and_secret("HOOK"),
        }],
        body: br#"{"text":"fax job delivered"}"#.to_vec(),
        timeout_ms: 5_000,
    };
    let (outcome, record) = broker
        .fetch(
            &plugin(server.port, EgressLimits::default()),
            &request,
            &Secrets,
        )
        .await;
    let response = outcome.expect("delivered");
    assert_eq!(
        (response.status, response.body.as_slice()),
        (200, &b"ok"[..])
    );
    let seen = server.seen.requests.lock().expect("lock").clone();
    assert_eq!(seen[0].0, format!("/services/{SECRET_PATH}"));
    assert_eq!(seen[0].1, format!("Bearer {SECRET_PATH}"));
    assert_eq!(
        (record.host.as_str(), record.port, record.status),
        (HOST, server.port, Some(200))
    );
    assert_eq!(record.bytes_out, request.body.len());
    assert!(
        !format!("{record:?}").contains("sekrit"),
        "no secret in the audit record"
    );
}

#[tokio::test]
async fn names_resolving_to_internal_addresses_are_refused_and_never_connected() {
    let server = https_server(&[HOST, "internal.partner.test"]).await;
    let forbidden = [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "224.0.0.1",
        "0.0.0.0",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fd00::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "64:ff9b::a00:1",
        "fd00:ec2::254",
    ];
    for address in forbidden {
        let table = Arc::new(StaticLookup::default().with(HOST, vec![vec![ip(address)]]));
        // No internal range allowed at all: production's rule.
        let broker = EgressBroker::new(
            table,
            AddressPolicy::default(),
            TlsRoots::Only(vec![server.ca_pem.clone()]),
        );
        let url = SecretTemplate::text(format!("https://{HOST}:{}/services/x", server.port));
        let (outcome, record) = broker
            .fetch(
                &plugin(server.port, EgressLimits::default()),
                &get(url),
                &Secrets,
            )
            .await;
        match outcome {
            Err(EgressError::ForbiddenAddress { address: a, .. }) => assert_eq!(a, ip(address)),
            other => panic!("{address}: {other:?}"),
        }
        assert_eq!(record.status, None);
    }
    // One public-looking and one internal address in the same answer: refused as a whole.
    let mixed =
        Arc::new(StaticLookup::default().with(HOST, vec![vec![ip("127.0.0.1"), ip("10.0.0.9")]]));
    let broker = EgressBroker::new(
        mixed,
        loopback_allowed(),
        TlsRoots::Only(vec![server.ca_pem.clone()]),
    );
    let url = SecretTemplate::text(format!("https://{HOST}:{}/services/x", server.port));
    let (outcome, _) = broker
        .fetch(
            &plugin(server.port, EgressLimits::default()),
            &get(url),
            &Secrets,
        )
        .await;
    assert!(
        matches!(outcome, Err(EgressError::ForbiddenAddress { .. })),
        "{outcome:?}"
    );
    assert_eq!(
        server.seen.connections.load(Ordering::SeqCst),
        0,
        "nothing reached the listener"
    );
}

#[tokio::test]
async fn literal_addresses_in_any_spelling_are_checked_like_resolved_ones() {
    let server = https_server(&[HOST]).await;
    let broker = EgressBroker::new(
        lookup(&[]),
        AddressPolicy::default(),
        TlsRoots::Only(vec![server.ca_pem.clone()]),
    );
    let port = server.port;
    for host in [
        "127.0.0.1",
        "2130706433",
        "0x7f000001",
        "0177.0.0.1",
        "[::ffff:127.0.0.1]",
        "169.254.169.254",
    ] {
        let mut plugin = plugin(port, EgressLimits::default());
        if let Ok(rule) = EgressRule::parse(&format!("https://{host}:{port}/")) {
            plugin.rules.push(rule);
        }
        let url = SecretTemplate::text(format!("https://{host}:{port}/"));
        let (outcome, _) = broker.fetch(&plugin, &get(url), &Secrets).await;
        assert!(
            matches!(
                outcome,
                Err(EgressError::ForbiddenAddress { .. }) | Err(EgressError::NotAllowed { .. })
            ),
            "{host}: {outcome:?}"
        );
    }
    assert_eq!(server.seen.connections.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_rebinding_name_is_checked_again_on_its_next_connection() {
    let server = https_server(&["rebind.partner.test"]).await;
    let table = lookup(&[(
        "rebind.partner.test",
        vec![vec![ip("127.0.0.1")], vec![ip("10.0.0.7")]],
    )]);
    let broker = EgressBroker::new(
        table,
        loopback_allowed(),
        TlsRoots::Only(vec![server.ca_pem.clone()]),
    );
    let url = SecretTemplate::text(format!(
        "https://rebind.partner.test:{}/services/x",
        server.port
    ));
    let p = plugin(server.port, EgressLimits::default());
    let (first, _) = broker.fetch(&p, &get(url.clone()), &Secrets).await;
    assert_eq!(first.expect("first answer is allowed").status, 200);
    // The server closed the connection: the next request resolves again and is refused.
    let (second, _) = broker.fetch(&p, &get(url), &Secrets).await;
    assert!(
        matches!(second, Err(EgressError::ForbiddenAddress { .. })),
        "{second:?}"
    );
    assert_eq!(server.seen.connections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn redirects_are_returned_unless_granted_and_then_each_hop_is_checked() {
    let server = https_server(&[HOST, "internal.partner.test"]).await;
    let table = lookup(&[("internal.partner.test", vec![vec![ip("10.1.1.1")]])]);
    let broker = EgressBroker::new(
        table,
        loopback_allowed(),
        TlsRoots::Only(vec![server.ca_pem.clone()]),
    );
    let url = SecretTemplate::text(format!("https://{HOST}:{}/redirect-internal", server.port));
    let (not_followed, _) = broker
        .fetch(
            &plugin(server.port, EgressLimits::default()),
            &get(url.clone()),
            &Secrets,
        )
        .await;
    assert_eq!(not_followed.expect("returned").status, 302);
    let following = EgressLimits {
        max_redirects: 3,
        ..EgressLimits::default()
    };
    let (followed, _) = broker
        .fetch(&plugin(server.port, following), &get(url), &Secrets)
        .await;
    assert!(
        followed.is_err(),
        "the hop to an internal address is refused: {followed:?}"
    );
    assert_eq!(
        server.seen.connections.load(Ordering::SeqCst),
        2,
        "never connected to the internal hop"
    );
}

#[tokio::test]
async fn limits_on_size_time_and_headers_hold() {
    let server = https_server(&[HOST]).await;
    let broker = EgressBroker::new(
        lookup(&[]),
        loopback_allowed(),
        TlsRoots::Only(vec![server.ca_pem.clone()]),
    );
    let limits = EgressLimits {
        max_response_bytes: 16 * 1024,
        max_header_bytes: 4 * 1024,
        max_request_bytes: 1024,
        total_timeout: Duration::from_secs(1),
        ..EgressLimits::default()
    };
    let p = plugin(server.port, limits);
    let at = |path: &str| SecretTemplate::text(format!("https://{HOST}:{}{path}", server.port));
    let (big, _) = broker.fetch(&p, &get(at("/big")), &Secrets).await;
    assert!(
        matches!(big, Err(EgressError::ResponseTooLarge { .. })),
        "{big:?}"
    );
    let (headers, _) = broker.fetch(&p, &get(at("/headers")), &Secrets).await;
    assert!(
        matches!(headers, Err(EgressError::HeadersTooLarge { .. })),
        "{headers:?}"
    );
    let (slow, _) = broker.fetch(&p, &get(at("/slow")), &Secrets).await;
    assert!(matches!(slow, Err(EgressError::Timeout)), "{slow:?}");
    let mut post = get(at("/services/x"));
    post.method = "POST".into();
    post.body = vec![0; 2048];
    let (too_big, _) = broker.fetch(&p, &post, &Secrets).await;
    assert!(
        matches!(too_big, Err(EgressError::RequestTooLarge { .. })),
        "{too_big:?}"
    );
}

#[tokio::test]
async fn a_certificate_for_another_name_or_an_unknown_ca_fails_closed() {
    let server = https_server(&["other.partner.test"]).await;
    let broker = EgressBroker::new(
        lookup(&[]),
        loopback_allowed(),
        TlsRoots::Only(vec![server.ca_pem.clone()]),
    );
    let url = SecretTemplate::text(format!("https://{HOST}:{}/services/x", server.port));
    let (wrong_name, _) = broker
        .fetch(
            &plugin(server.port, EgressLimits::default()),
            &get(url.clone()),
            &Secrets,
        )
        .await;
    assert!(
        matches!(wrong_name, Err(EgressError::Connect)),
        "{wrong_name:?}"
    );
    let stranger = https_server(&[HOST]).await;
    let broker = EgressBroker::new(
        lookup(&[]),
        loopback_allowed(),
        TlsRoots::Only(vec![server.ca_pem.clone()]),
    );
    let url = SecretTemplate::text(format!("https://{HOST}:{}/services/x", stranger.port));
    let (unknown_ca, _) = broker
        .fetch(
            &plugin(stranger.port, EgressLimits::default()),
            &get(url),
            &Secrets,
        )
        .await;
    assert!(
        matches!(unknown_ca, Err(EgressError::Connect)),
        "{unknown_ca:?}"
    );
}

#[tokio::test]
async fn a_destination_no_rule_covers_is_refused_before_resolution() {
    let server = https_server(&[HOST]).await;
    let broker = EgressBroker::new(
        lookup(&[]),
        loopback_allowed(),
        TlsRoots::Only(vec![server.ca_pem.clone()]),
    );
    for path in ["/admin", "/servicesX", "/services/../admin"] {
        let url = SecretTemplate::text(format!("https://{HOST}:{}{path}", server.port));
        let (outcome, _) = broker
            .fetch(
                &plugin(server.port, EgressLimits::default()),
                &get(url),
                &Secrets,
            )
            .await;
        assert!(
            matches!(outcome, Err(EgressError::NotAllowed { .. })),
            "{path}: {outcome:?}"
        );
    }
    assert_eq!(server.seen.connections.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn an_operator_pinned_host_connects_to_its_pinned_port_and_is_still_address_checked() {
    let server = https_server(&[HOST]).await;
    let pinned = |addr: &str| {
        let table = std::collections::HashMap::from([(
            HOST.to_uppercase(),
            addr.parse::<std::net::SocketAddr>().expect("addr"),
        )]);
        Arc::new(HostsLookup::new(table, Arc::new(StaticLookup::default())))
    };
    let rules = PluginEgress {
        plugin_id: "slack".into(),
        rules: vec![EgressRule::parse(&format!("https://{HOST}/services/*")).expect("rule")],
        limits: EgressLimits::default(),
    };
    let request = HttpRequest {
        method: "POST".into(),
        url: SecretTemplate::text(format!("https://{HOST}/services/")).and_secret("HOOK"),
        headers: vec![],
        body: b"{}".to_vec(),
        timeout_ms: 5_000,
    };
    // The URL says 443; the operator's pin sends it to the test server's port.
    let broker = EgressBroker::new(
        pinned(&format!("127.0.0.1:{}", server.port)),
        loopback_allowed(),
        TlsRoots::Only(vec![server.ca_pem.clone()]),
    );
    let (outcome, record) = broker.fetch(&rules, &request, &Secrets).await;
    assert_eq!(outcome.expect("delivered").status, 200);
    assert_eq!((record.host.as_str(), record.port), (HOST, 443));
    assert_eq!(
        server.seen.requests.lock().expect("lock")[0].0,
        format!("/services/{SECRET_PATH}")
    );
    // Without allow_internal the same pin is refused before any connection.
    let before = server.seen.connections.load(Ordering::SeqCst);
    let strict = EgressBroker::new(
        pinned(&format!("127.0.0.1:{}", server.port)),
        AddressPolicy::default(),
        TlsRoots::Only(vec![server.ca_pem.clone()]),
    );
    let (outcome, _) = strict.fetch(&rules, &request, &Secrets).await;
    assert!(outcome.expect_err("refused").is_denial());
    assert_eq!(server.seen.connections.load(Ordering::SeqCst), before);
}
