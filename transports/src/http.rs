//! The HTTP side shared by the cloud providers: a client with time limits, base URLs that
//! must be HTTPS (plain HTTP only on loopback, where the tests' fake providers listen), and
//! the classification of a create's outcome into accepted, refused or uncertain.

use crate::error::{SendError, TransportError};
use std::time::Duration;

/// Time limits for provider calls.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    /// Connecting.
    pub connect: Duration,
    /// The whole request, answer included.
    pub total: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(10),
            total: Duration::from_secs(60),
        }
    }
}

/// Largest provider answer read, bytes (a fax object is a few KiB; an inbound document is
/// fetched by other means).
pub const MAX_ANSWER_BYTES: usize = 1 << 20;

/// A provider client: no redirects followed, no proxies, bounded time.
pub fn client(timeouts: Timeouts) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .connect_timeout(timeouts.connect)
        .timeout(timeouts.total)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .https_only(false)
        .build()
        .map_err(|e| format!("building the HTTP client: {e}"))
}

/// Checks a provider base URL: `https://`, or `http://` to a loopback address only.
pub fn base_url(provider: &'static str, text: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(text).map_err(|e| format!("{provider} base_url: {e}"))?;
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d == "localhost",
        None => false,
    };
    match url.scheme() {
        "https" => Ok(url),
        "http" if loopback => Ok(url),
        "http" => Err(format!(
            "{provider} base_url: plain http is allowed only to a loopback address"
        )),
        other => Err(format!(
            "{provider} base_url: scheme {other:?} is not http(s)"
        )),
    }
}

/// `base` joined with `path` segments (each percent-encoded).
pub fn endpoint(base: &url::Url, segments: &[&str]) -> url::Url {
    let mut url = base.clone();
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty();
        for segment in segments {
            path.push(segment);
        }
    }
    url
}

/// A provider's answer: status and at most [`MAX_ANSWER_BYTES`] of body.
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl Answer {
    /// The body as JSON, or why it is not.
    pub fn json(&self) -> Result<serde_json::Value, String> {
        serde_json::from_slice(&self.body).map_err(|e| format!("answer is not JSON ({e})"))
    }
}

/// Sends `request` and reads the answer (bounded).
pub async fn exchange(request: reqwest::RequestBuilder) -> Result<Answer, reqwest::Error> {
    let mut response = request.send().await?;
    let status = response.status().as_u16();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = MAX_ANSWER_BYTES.saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if room < chunk.len() {
            break;
        }
    }
    Ok(Answer { status, body })
}

/// What a failed create means: a connection that never opened sent nothing; anything later
/// (a time-out, a cut answer) may hide an accepted fax.
pub fn send_failure(provider: &'static str, error: &reqwest::Error) -> SendError {
    if error.is_connect() {
        SendError::Refused {
            provider,
            reason: "could not connect; nothing was sent".into(),
        }
    } else if error.is_timeout() {
        SendError::Uncertain {
            provider,
            reason: "no answer in time".into(),
        }
    } else {
        SendError::Uncertain {
            provider,
            reason: "the connection failed after the request was sent".into(),
        }
    }
}

/// A failed look-up, cancel or health check.
pub fn call_failure(
    provider: &'static str,
    step: &'static str,
    error: &reqwest::Error,
) -> TransportError {
    let reason = if error.is_timeout() {
        "no answer in time"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "the connection failed"
    };
    TransportError::Unreachable {
        provider,
        step,
        reason: reason.into(),
    }
}

/// A non-2xx answer to a look-up, cancel or health check.
pub fn status_failure(provider: &'static str, step: &'static str, status: u16) -> TransportError {
    TransportError::Status {
        provider,
        step,
        status: format!("HTTP {status}"),
    }
}

/// Constant-time equality of two byte strings (length may leak, content does not).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_base_urls_must_be_https_except_on_loopback() {
        assert!(base_url("phaxio", "https://api.phaxio.com/v2").is_ok());
        assert!(base_url("phaxio", "http://127.0.0.1:8080/v2").is_ok());
        assert!(base_url("phaxio", "http://[::1]:8080/v2").is_ok());
        assert!(base_url("phaxio", "http://api.phaxio.com/v2").is_err());
        assert!(base_url("phaxio", "ftp://127.0.0.1/").is_err());
    }

    #[test]
    fn endpoint_segments_are_encoded_and_cannot_climb() {
        let base = url::Url::parse("https://p.example/v2").expect("url");
        let url = endpoint(&base, &["faxes", "../admin", "cancel"]);
        assert_eq!(url.as_str(), "https://p.example/v2/faxes/..%2Fadmin/cancel");
    }
}
