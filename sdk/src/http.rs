//! Outbound HTTP through the host's egress broker: the request leaves only if its URL (with
//! secrets still as placeholders) matches a granted egress rule.

use crate::ctx::Ctx;
use crate::error::Error;
use crate::route::HttpMethod;
use crate::secret::Template;
use faxbot_plugin_abi::methods::{HttpFetch, HttpRequest, OutboundHeader};
use faxbot_plugin_abi::secret::Segment;
use std::time::Duration;

/// How long an outbound request may take unless [`RequestBuilder::timeout`] says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Time the SDK allows the host beyond the request's own timeout to answer.
const BROKER_MARGIN: Duration = Duration::from_secs(1);

/// The HTTP client. Needs an egress grant; secrets in the URL or headers need their own
/// secret grants.
///
/// ```no_run
/// # async fn f(ctx: faxbot_sdk::Ctx) -> faxbot_sdk::Result<()> {
/// let response = ctx.http().get("https://status.example.com/api").send().await?;
/// if response.is_success() { /* ... */ }
/// # Ok(()) }
/// ```
pub struct Http<'a> {
    ctx: &'a Ctx,
}

impl<'a> Http<'a> {
    pub(crate) fn new(ctx: &'a Ctx) -> Self {
        Self { ctx }
    }

    /// A request with `method` to `url`.
    pub fn request(&self, method: HttpMethod, url: impl Into<Template>) -> RequestBuilder<'a> {
        RequestBuilder {
            ctx: self.ctx,
            method,
            url: url.into(),
            headers: Vec::new(),
            body: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// A `GET` request.
    pub fn get(&self, url: impl Into<Template>) -> RequestBuilder<'a> {
        self.request(HttpMethod::Get, url)
    }

    /// A `POST` request.
    pub fn post(&self, url: impl Into<Template>) -> RequestBuilder<'a> {
        self.request(HttpMethod::Post, url)
    }
}

/// An outbound request being built; [`RequestBuilder::send`] sends it.
#[must_use = "a request does nothing until sent"]
pub struct RequestBuilder<'a> {
    ctx: &'a Ctx,
    method: HttpMethod,
    url: Template,
    headers: Vec<(String, Template)>,
    body: Vec<u8>,
    timeout: Duration,
}

impl RequestBuilder<'_> {
    /// Adds a header; its value may name secrets.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<Template>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// Sets the body to `value` as JSON, with `Content-Type: application/json`.
    #[cfg(feature = "json")]
    pub fn json<T: serde::Serialize + ?Sized>(mut self, value: &T) -> Result<Self, Error> {
        self.body = serde_json::to_vec(value).map_err(|e| Error::internal(format!("JSON: {e}")))?;
        Ok(self.header("Content-Type", "application/json"))
    }

    /// How long the request may take (the broker may cap it).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sends the request and waits for the response.
    ///
    /// Fails with [`Error::Denied`] without sending when the plugin has no egress grant or
    /// names a secret it was not granted; the host denies URLs outside its egress rules.
    pub async fn send(self) -> Result<Response, Error> {
        let grants = &self.ctx.shared.grants;
        grants.egress()?;
        for name in self
            .url
            .segments()
            .iter()
            .chain(self.headers.iter().flat_map(|(_, v)| v.segments()))
            .filter_map(|s| match s {
                Segment::Secret(n) | Segment::BodyHmacSha256Hex(n) => Some(n),
                Segment::Text(_) => None,
            })
        {
            grants.secret(name)?;
        }
        let timeout = self.ctx.call_deadline(self.timeout);
        let request = HttpRequest {
            method: self.method.as_str().to_owned(),
            url: self.url.into_wire(),
            headers: self
                .headers
                .into_iter()
                .map(|(name, value)| OutboundHeader {
                    name,
                    value: value.into_wire(),
                })
                .collect(),
            body: self.body,
            timeout_ms: u32::try_from(timeout.as_millis()).unwrap_or(u32::MAX),
        };
        let response = self
            .ctx
            .shared
            .conn
            .call::<HttpFetch>(&request, self.ctx.call_deadline(timeout + BROKER_MARGIN))
            .await?;
        Ok(Response {
            status: response.status,
            headers: response.headers,
            body: response.body,
        })
    }
}

/// The answer to an outbound request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// The HTTP status code.
    pub status: u16,
    /// The response headers.
    pub headers: Vec<(String, String)>,
    /// The body, up to the broker's size limit.
    pub body: Vec<u8>,
}

impl Response {
    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// Whether a later attempt may succeed: 408, 425, 429 or any 5xx.
    pub fn is_retryable(&self) -> bool {
        matches!(self.status, 408 | 425 | 429) || (500..600).contains(&self.status)
    }

    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON.
    #[cfg(feature = "json")]
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_slice(&self.body)
            .map_err(|e| Error::invalid(format!("response body is not the expected JSON: {e}")))
    }
}
