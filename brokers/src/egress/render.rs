//! Filling secrets into an outbound request: the plugin names them, the broker puts their
//! values in on the way out. Where a value goes decides how it is encoded, so a value can
//! never change the request's shape:
//! - in the URL's query: percent-encoded as a query component;
//! - in the middle of the path: percent-encoded as one segment (a `/` in it is encoded);
//! - as the path's last part (the template's text ends in `/` and nothing but a query follows):
//!   a **path suffix** — the value may hold several segments (a Slack webhook's `T…/B…/x`),
//!   each percent-encoded, none empty, `.` or `..`; the URL with the value in place is then
//!   checked against the egress rules again by the broker;
//! - in a header value: as is, refused if HTTP refuses it (CR, LF, NUL);
//! - `BodyHmacSha256Hex`: lower-case hex HMAC-SHA256 of the body keyed with the secret.
//!
//! Secrets can never sit in the scheme, host or port: the grant check refuses such a
//! template before the broker sees it, and the broker checks again.

use super::error::EgressError;
use faxbot_plugin_abi::methods::HttpRequest;
use faxbot_plugin_abi::secret::{SecretTemplate, Segment};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use ring::hmac;

/// Everything but RFC 3986 unreserved characters is encoded.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Headers the broker sets itself or that change the framing: a plugin may not send them.
const BROKER_HEADERS: &[&str] = &[
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "upgrade",
    "te",
    "trailer",
    "expect",
    "proxy-authorization",
    "proxy-connection",
];

/// Where a plugin's secret values come from (the daemon's encrypted secret store).
pub trait SecretSource: Send + Sync {
    /// The value of `plugin_id`'s secret `name`, if one is set.
    fn value(&self, plugin_id: &str, name: &str) -> Option<String>;
}

/// A request with its secrets in place, ready to send.
#[derive(Debug)]
pub struct Rendered {
    /// The URL, secrets filled in.
    pub url: url::Url,
    /// Header names and values, secrets filled in.
    pub headers: Vec<(reqwest::header::HeaderName, reqwest::header::HeaderValue)>,
}

fn secret(secrets: &dyn SecretSource, plugin_id: &str, name: &str) -> Result<String, EgressError> {
    secrets
        .value(plugin_id, name)
        .ok_or_else(|| EgressError::SecretMissing {
            name: name.to_owned(),
        })
}

fn body_hmac(key: &str, body: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key.as_bytes());
    hex::encode(hmac::sign(&key, body).as_ref())
}

fn dot_segment(piece: &str) -> bool {
    piece == "." || piece == ".."
}

/// The URL of `template` with its secrets encoded for where each sits.
fn render_url(
    template: &SecretTemplate,
    body: &[u8],
    secrets: &dyn SecretSource,
    plugin_id: &str,
) -> Result<String, EgressError> {
    let mut out = String::new();
    let last = template.0.len().saturating_sub(1);
    for (index, segment) in template.0.iter().enumerate() {
        let authority_closed = out
            .split_once("://")
            .is_some_and(|(_, rest)| rest.contains(['/', '?']));
        match segment {
            Segment::Text(text) => out.push_str(text),
            Segment::Secret(name) | Segment::BodyHmacSha256Hex(name) => {
                if !authority_closed {
                    return Err(EgressError::NotAllowed {
                        origin: "a secret in the URL's authority".into(),
                    });
                }
                let value = match segment {
                    Segment::BodyHmacSha256Hex(_) => {
                        body_hmac(&secret(secrets, plugin_id, name)?, body)
                    }
                    _ => secret(secrets, plugin_id, name)?,
                };
                let shape = || EgressError::SecretShape { name: name.clone() };
                if value.is_empty() {
                    return Err(shape());
                }
                let in_query = out.contains('?');
                let rest_is_query = template.0[index + 1..].iter().all(|s| match s {
                    Segment::Text(t) => t.is_empty() || t.starts_with('?'),
                    _ => false,
                });
                if in_query {
                    out.extend(utf8_percent_encode(&value, COMPONENT));
                } else if out.ends_with('/') && (index == last || rest_is_query) {
                    let pieces: Vec<&str> = value.split('/').collect();
                    if pieces.iter().any(|p| p.is_empty() || dot_segment(p)) {
                        return Err(shape());
                    }
                    let encoded: Vec<String> = pieces
                        .iter()
                        .map(|p| utf8_percent_encode(p, COMPONENT).to_string())
                        .collect();
                    out.push_str(&encoded.join("/"));
                } else {
                    if dot_segment(&value) {
                        return Err(shape());
                    }
                    out.extend(utf8_percent_encode(&value, COMPONENT));
                }
            }
        }
    }
    Ok(out)
}

fn render_header_value(
    template: &SecretTemplate,
    body: &[u8],
    secrets: &dyn SecretSource,
    plugin_id: &str,
) -> Result<String, EgressError> {
    let mut out = String::new();
    for segment in &template.0 {
        match segment {
            Segment::Text(text) => out.push_str(text),
            Segment::Secret(name) => out.push_str(&secret(secrets, plugin_id, name)?),
            Segment::BodyHmacSha256Hex(name) => {
                out.push_str(&body_hmac(&secret(secrets, plugin_id, name)?, body));
            }
        }
    }
    Ok(out)
}

/// `request` with `plugin_id`'s secrets in place.
pub fn render(
    plugin_id: &str,
    request: &HttpRequest,
    secrets: &dyn SecretSource,
) -> Result<Rendered, EgressError> {
    let text = render_url(&request.url, &request.body, secrets, plugin_id)?;
    let url = url::Url::parse(&text).map_err(|e| EgressError::BadUrl(e.to_string()))?;
    // The destination with the values in place must be the one the template names with
    // placeholders: no value, however spelled, may move the request to another host.
    let placeholders: String = request
        .url
        .0
        .iter()
        .map(|s| match s {
            Segment::Text(t) => t.as_str(),
            _ => "faxbot-secret",
        })
        .collect();
    let template =
        url::Url::parse(&placeholders).map_err(|e| EgressError::BadUrl(e.to_string()))?;
    if (
        template.scheme(),
        template.host(),
        template.port_or_known_default(),
    ) != (url.scheme(), url.host(), url.port_or_known_default())
        || !text.starts_with(&format!("{}://", url.scheme()))
        || text[url.scheme().len() + 3..].starts_with(['/', '\\'])
    {
        return Err(EgressError::NotAllowed {
            origin: "a secret that changes the destination".into(),
        });
    }
    if url.scheme() != "https" {
        return Err(EgressError::BadUrl("only https is allowed".into()));
    }
    if !url.username().is_empty() || url.password().is_some() || url.fragment().is_some() {
        return Err(EgressError::BadUrl(
            "credentials and fragments are not allowed in the URL".into(),
        ));
    }
    let mut headers = Vec::with_capacity(request.headers.len());
    for header in &request.headers {
        let lower = header.name.to_ascii_lowercase();
        let refused = || EgressError::HeaderRefused {
            name: header.name.chars().take(64).collect(),
        };
        if BROKER_HEADERS.contains(&lower.as_str()) || lower.starts_with("proxy-") {
            return Err(refused());
        }
        let name =
            reqwest::header::HeaderName::from_bytes(lower.as_bytes()).map_err(|_| refused())?;
        let value = render_header_value(&header.value, &request.body, secrets, plugin_id)?;
        let value = reqwest::header::HeaderValue::from_str(&value).map_err(|_| refused())?;
        headers.push((name, value));
    }
    Ok(Rendered { url, headers })
}

#[cfg(test)]
mod tests {
    use super::*;
    use faxbot_plugin_abi::methods::OutboundHeader;

    struct Secrets;
    impl SecretSource for Secrets {
        fn value(&self, _plugin: &str, name: &str) -> Option<String> {
            match name {
                "HOOK" => Some("T0001/B0002/xyzSECRET".into()),
                "TOKEN" => Some("a b/c?d#e".into()),
                "DOTS" => Some("..".into()),
                "CRLF" => Some("x\r\nInjected: 1".into()),
                "EVIL_SUFFIX" => Some("ok/../../admin".into()),
                _ => None,
            }
        }
    }

    fn request(url: SecretTemplate) -> HttpRequest {
        HttpRequest {
            method: "POST".into(),
            url,
            headers: vec![],
            body: b"{}".to_vec(),
            timeout_ms: 0,
        }
    }

    #[test]
    fn a_webhook_path_suffix_keeps_its_segments_and_cannot_climb() {
        let url = SecretTemplate::text("https://hooks.slack.com/services/").and_secret("HOOK");
        let rendered = render("p", &request(url), &Secrets).expect("renders");
        assert_eq!(
            rendered.url.as_str(),
            "https://hooks.slack.com/services/T0001/B0002/xyzSECRET"
        );
        let evil =
            SecretTemplate::text("https://hooks.slack.com/services/").and_secret("EVIL_SUFFIX");
        assert!(matches!(
            render("p", &request(evil), &Secrets),
            Err(EgressError::SecretShape { .. })
        ));
    }

    #[test]
    fn a_secret_mid_path_or_in_the_query_is_one_encoded_component() {
        let url = SecretTemplate::text("https://api.example.com/v1/")
            .and_secret("TOKEN")
            .and_text("/items?key=")
            .and_secret("TOKEN");
        let rendered = render("p", &request(url), &Secrets).expect("renders");
        assert_eq!(
            rendered.url.as_str(),
            "https://api.example.com/v1/a%20b%2Fc%3Fd%23e/items?key=a%20b%2Fc%3Fd%23e"
        );
        assert_eq!(rendered.url.host_str(), Some("api.example.com"));
        let dots = SecretTemplate::text("https://api.example.com/v1/")
            .and_secret("DOTS")
            .and_text("/x");
        assert!(matches!(
            render("p", &request(dots), &Secrets),
            Err(EgressError::SecretShape { .. })
        ));
    }

    #[test]
    fn a_secret_in_the_authority_or_a_missing_secret_is_refused() {
        for url in [
            SecretTemplate::text("https://").and_secret("TOKEN"),
            SecretTemplate::text("https://api.example.com").and_secret("TOKEN"),
            SecretTemplate::text("https://user:")
                .and_secret("TOKEN")
                .and_text("@x.com/"),
            // WHATWG parsers skip extra slashes (and backslashes) before the host.
            SecretTemplate::text("https:///").and_secret("TOKEN"),
            SecretTemplate::text("https:\\\\").and_secret("TOKEN"),
            SecretTemplate::text("https:////").and_secret("TOKEN"),
        ] {
            assert!(
                matches!(
                    render("p", &request(url.clone()), &Secrets),
                    Err(EgressError::NotAllowed { .. } | EgressError::BadUrl(_))
                ),
                "{}",
                url.display_redacted()
            );
        }
        let missing = SecretTemplate::text("https://a.example/").and_secret("NOPE");
        let err = render("p", &request(missing), &Secrets).expect_err("missing");
        assert_eq!(
            err,
            EgressError::SecretMissing {
                name: "NOPE".into()
            }
        );
    }

    #[test]
    fn header_injection_and_broker_headers_are_refused() {
        let mut r = request(SecretTemplate::text("https://a.example/"));
        r.headers.push(OutboundHeader {
            name: "X-Token".into(),
            value: SecretTemplate::default().and_secret("CRLF"),
        });
        let err = render("p", &r, &Secrets).expect_err("crlf");
        assert!(matches!(err, EgressError::HeaderRefused { .. }));
        assert!(!err.to_string().contains("Injected"), "{err}");
        for name in ["Host", "Content-Length", "Transfer-Encoding", "Proxy-Foo"] {
            let mut r = request(SecretTemplate::text("https://a.example/"));
            r.headers.push(OutboundHeader {
                name: name.into(),
                value: SecretTemplate::text("x"),
            });
            assert!(render("p", &r, &Secrets).is_err(), "{name}");
        }
    }

    #[test]
    fn plain_http_and_userinfo_are_refused() {
        for text in [
            "http://a.example/",
            "https://u:p@a.example/",
            "https://a.example/#f",
        ] {
            assert!(
                render("p", &request(SecretTemplate::text(text)), &Secrets).is_err(),
                "{text}"
            );
        }
    }
}
