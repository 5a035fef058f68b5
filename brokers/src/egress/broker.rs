//! The egress broker: one `http.fetch`, from the plugin's request to the response it gets.

use super::address_policy::AddressPolicy;
use super::error::EgressError;
use super::limits::EgressLimits;
use super::render::{SecretSource, render};
use super::resolver::{CheckedResolver, Lookup, ResolveRefusal};
use faxbot_plugin_abi::methods::{Header, HttpRequest, HttpResponse};
use faxbot_policy::egress::{EgressRule, NormalizedUrl, first_match};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Methods the broker sends.
const METHODS: &[&str] = &["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"];

/// Which certificate authorities the broker trusts.
#[derive(Clone, Debug, Default)]
pub enum TlsRoots {
    /// The system's roots (honouring `SSL_CERT_FILE` as other tools on the host do).
    #[default]
    System,
    /// Only these PEM certificates (the operator's CA bundle; a test CA).
    Only(Vec<Vec<u8>>),
}

/// What the broker needs to know of one plugin.
#[derive(Clone, Debug)]
pub struct PluginEgress {
    /// The plugin.
    pub plugin_id: String,
    /// The egress rules its live grants hold.
    pub rules: Vec<EgressRule>,
    /// Its limits.
    pub limits: EgressLimits,
}

/// What the audit trail records of one request: never a secret, a query or a body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EgressRecord {
    /// The plugin.
    pub plugin_id: String,
    /// The method.
    pub method: String,
    /// The host (as the URL names it).
    pub host: String,
    /// The port.
    pub port: u16,
    /// The response status, when there was a response.
    pub status: Option<u16>,
    /// Request body bytes sent.
    pub bytes_out: usize,
    /// Response body bytes received.
    pub bytes_in: usize,
    /// Wall time, ms.
    pub duration_ms: u64,
}

/// A plugin's client with the limits and rules it was built for.
type CachedClient = (EgressLimits, Vec<EgressRule>, reqwest::Client);

/// The egress broker.
pub struct EgressBroker {
    lookup: Arc<dyn Lookup>,
    policy: AddressPolicy,
    roots: TlsRoots,
    /// Per plugin: the limits and rules a client was built with (its redirect check holds
    /// the rules), and the client.
    clients: Mutex<HashMap<String, CachedClient>>,
}

fn origin(url: &url::Url) -> String {
    format!(
        "{}://{}:{}",
        url.scheme(),
        url.host_str().unwrap_or(""),
        url.port_or_known_default().unwrap_or(0)
    )
}

/// Checks `url` against `rules` and, when its host is an address literal, that address.
fn check_destination(
    url: &url::Url,
    rules: &[EgressRule],
    policy: &AddressPolicy,
) -> Result<(), EgressError> {
    if url.scheme() != "https" {
        return Err(EgressError::NotAllowed {
            origin: origin(url),
        });
    }
    let normalized =
        NormalizedUrl::parse(url.as_str()).map_err(|e| EgressError::BadUrl(e.to_string()))?;
    if first_match(rules, &normalized).is_none() {
        return Err(EgressError::NotAllowed {
            origin: origin(url),
        });
    }
    let literal = match url.host() {
        Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
        _ => None,
    };
    if let Some(address) = literal {
        policy
            .check(address)
            .map_err(|class| EgressError::ForbiddenAddress {
                host: address.to_string(),
                address,
                class,
            })?;
    }
    Ok(())
}

fn from_reqwest(error: &reqwest::Error) -> EgressError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if let Some(refusal) = current.downcast_ref::<ResolveRefusal>() {
            return match refusal {
                ResolveRefusal::Forbidden {
                    host,
                    address,
                    class,
                } => EgressError::ForbiddenAddress {
                    host: host.clone(),
                    address: *address,
                    class: class.clone(),
                },
                ResolveRefusal::NoAddress { host } => EgressError::NoAddress { host: host.clone() },
            };
        }
        if let Some(refused) = current.downcast_ref::<EgressError>() {
            return refused.clone();
        }
        source = current.source();
    }
    if error.is_timeout() {
        EgressError::Timeout
    } else if error.is_redirect() {
        EgressError::Redirect("too many or not allowed".into())
    } else if error.is_connect() {
        EgressError::Connect
    } else {
        EgressError::Failed
    }
}

impl EgressBroker {
    /// A broker resolving with `lookup`, reaching what `policy` allows, trusting `roots`.
    pub fn new(lookup: Arc<dyn Lookup>, policy: AddressPolicy, roots: TlsRoots) -> Self {
        Self {
            lookup,
            policy,
            roots,
            clients: Mutex::new(HashMap::new()),
        }
    }

    fn client(&self, plugin: &PluginEgress) -> Result<reqwest::Client, EgressError> {
        let mut clients = self
            .clients
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // A grant change (upgrade, expiry) changes the rules: the redirect check must never
        // run on rules the plugin no longer holds, so a client is reused only for the same ones.
        if let Some((limits, rules, client)) = clients.get(&plugin.plugin_id)
            && *limits == plugin.limits
            && *rules == plugin.rules
        {
            return Ok(client.clone());
        }
        let rules = plugin.rules.clone();
        let policy = self.policy.clone();
        let max_redirects = plugin.limits.max_redirects;
        let redirect = if max_redirects == 0 {
            reqwest::redirect::Policy::none()
        } else {
            reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() > max_redirects {
                    return attempt.error(EgressError::Redirect("too many hops".into()));
                }
                match check_destination(attempt.url(), &rules, &policy) {
                    Ok(()) => attempt.follow(),
                    Err(refused) => attempt.error(refused),
                }
            })
        };
        let mut builder = reqwest::Client::builder()
            .dns_resolver(Arc::new(CheckedResolver {
                lookup: Arc::clone(&self.lookup),
                policy: self.policy.clone(),
            }))
            .redirect(redirect)
            .connect_timeout(plugin.limits.connect_timeout)
            .timeout(plugin.limits.total_timeout)
            .no_proxy()
            .https_only(true)
            .pool_idle_timeout(Duration::from_secs(30))
            .user_agent("faxbot-egress");
        if let TlsRoots::Only(pems) = &self.roots {
            let mut certificates = Vec::new();
            for pem in pems {
                let found =
                    reqwest::Certificate::from_pem_bundle(pem).map_err(|_| EgressError::Connect)?;
                certificates.extend(found);
            }
            builder = builder.tls_certs_only(certificates);
        }
        let client = builder.build().map_err(|_| EgressError::Failed)?;
        clients.insert(
            plugin.plugin_id.clone(),
            (plugin.limits, plugin.rules.clone(), client.clone()),
        );
        Ok(client)
    }

    /// Sends `request` for `plugin` with its secrets from `secrets`. Returns the outcome and
    /// the audit record (written for refusals too).
    pub async fn fetch(
        &self,
        plugin: &PluginEgress,
        request: &HttpRequest,
        secrets: &dyn SecretSource,
    ) -> (Result<HttpResponse, EgressError>, EgressRecord) {
        let started = Instant::now();
        let mut record = EgressRecord {
            plugin_id: plugin.plugin_id.clone(),
            method: request.method.chars().take(16).collect(),
            host: String::new(),
            port: 0,
            status: None,
            bytes_out: request.body.len(),
            bytes_in: 0,
            duration_ms: 0,
        };
        let outcome = self.exchange(plugin, request, secrets, &mut record).await;
        record.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        (outcome, record)
    }

    async fn exchange(
        &self,
        plugin: &PluginEgress,
        request: &HttpRequest,
        secrets: &dyn SecretSource,
        record: &mut EgressRecord,
    ) -> Result<HttpResponse, EgressError> {
        let method = request.method.to_ascii_uppercase();
        if !METHODS.contains(&method.as_str()) {
            return Err(EgressError::MethodRefused(record.method.clone()));
        }
        if request.body.len() > plugin.limits.max_request_bytes {
            return Err(EgressError::RequestTooLarge {
                size: request.body.len(),
                limit: plugin.limits.max_request_bytes,
            });
        }
        let rendered = render(&plugin.plugin_id, request, secrets)?;
        record.host = rendered.url.host_str().unwrap_or("").to_owned();
        record.port = rendered.url.port_or_known_default().unwrap_or(0);
        // The rules are checked again with the secrets in place: a path-suffix secret must
        // still land under the rule's path.
        check_destination(&rendered.url, &plugin.rules, &self.policy)?;
        let client = self.client(plugin)?;
        let method = reqwest::Method::from_bytes(method.as_bytes())
            .map_err(|_| EgressError::MethodRefused(record.method.clone()))?;
        let mut outbound = client.request(method, rendered.url.clone());
        for (name, value) in rendered.headers {
            outbound = outbound.header(name, value);
        }
        if request.timeout_ms > 0 {
            let asked = Duration::from_millis(u64::from(request.timeout_ms));
            outbound = outbound.timeout(asked.min(plugin.limits.total_timeout));
        }
        let mut response = outbound
            .body(request.body.clone())
            .send()
            .await
            .map_err(|e| from_reqwest(&e))?;
        record.status = Some(response.status().as_u16());
        let mut header_bytes = 0usize;
        let mut headers = Vec::with_capacity(response.headers().len());
        for (name, value) in response.headers() {
            header_bytes += name.as_str().len() + value.len() + 4;
            if header_bytes > plugin.limits.max_header_bytes {
                return Err(EgressError::HeadersTooLarge {
                    limit: plugin.limits.max_header_bytes,
                });
            }
            let header: Header = (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            );
            headers.push(header);
        }
        let limit = plugin.limits.max_response_bytes;
        if response.content_length().is_some_and(|n| n > limit as u64) {
            return Err(EgressError::ResponseTooLarge { limit });
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| from_reqwest(&e))? {
            if body.len() + chunk.len() > limit {
                return Err(EgressError::ResponseTooLarge { limit });
            }
            body.extend_from_slice(&chunk);
        }
        record.bytes_in = body.len();
        Ok(HttpResponse {
            status: response.status().as_u16(),
            headers,
            body,
        })
    }
}
