//! HTTP routes a plugin serves under the host's `/ext/<plugin-id>/` prefix: the request a
//! handler receives and the response it returns.

use crate::error::Error;
use faxbot_plugin_abi::methods::{RouteRequest, RouteResponse};
use std::fmt;

/// An HTTP method.
///
/// ```
/// use faxbot_sdk::HttpMethod;
///
/// assert_eq!(HttpMethod::parse("GET"), Some(HttpMethod::Get));
/// assert_eq!(HttpMethod::Post.to_string(), "POST");
/// assert_eq!(HttpMethod::parse("get"), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HttpMethod {
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `PATCH`
    Patch,
    /// `DELETE`
    Delete,
    /// `HEAD`
    Head,
}

impl HttpMethod {
    /// The method's name on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Patch => "PATCH",
            Self::Delete => "DELETE",
            Self::Head => "HEAD",
        }
    }

    /// The method named `name` (exact, upper-case).
    pub fn parse(name: &str) -> Option<Self> {
        [
            Self::Get,
            Self::Post,
            Self::Put,
            Self::Patch,
            Self::Delete,
            Self::Head,
        ]
        .into_iter()
        .find(|m| m.as_str() == name)
    }
}

impl fmt::Display for HttpMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A request to one of the plugin's routes. The host has removed credentials and cookies.
///
/// ```
/// use faxbot_sdk::route::Request;
///
/// let request = Request::new("GET", "/status")
///     .with_query("days=7&name=a%20b")
///     .with_header("Accept", "application/json");
/// assert_eq!(request.query_param("days").as_deref(), Some("7"));
/// assert_eq!(request.query_param("name").as_deref(), Some("a b"));
/// assert_eq!(request.header("accept"), Some("application/json"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// The HTTP method as sent.
    pub method: String,
    /// The path below the plugin's prefix, starting with `/`.
    pub path: String,
    /// The raw query string, without `?`.
    pub query: String,
    /// The request headers.
    pub headers: Vec<(String, String)>,
    /// The request body.
    pub body: Vec<u8>,
}

impl Request {
    /// A request with no query, headers or body (for tests of handlers).
    pub fn new(method: impl Into<String>, path: impl Into<String>) -> Self {
        Self {
            method: method.into(),
            path: path.into(),
            query: String::new(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// The request with `query` as its query string.
    pub fn with_query(mut self, query: impl Into<String>) -> Self {
        self.query = query.into();
        self
    }

    /// The request with one more header.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The request with `body` as its body.
    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The first query parameter named `name`, percent-decoded (`+` is a space).
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query.split('&').find_map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(key) == name).then(|| percent_decode(value))
        })
    }

    /// The body parsed as JSON.
    #[cfg(feature = "json")]
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_slice(&self.body)
            .map_err(|e| Error::invalid(format!("request body is not the expected JSON: {e}")))
    }

    pub(crate) fn from_wire(request: RouteRequest) -> Self {
        Self {
            method: request.method,
            path: request.path,
            query: request.query,
            headers: request.headers,
            body: request.body,
        }
    }
}

/// A route's answer.
///
/// ```
/// use faxbot_sdk::route::Response;
///
/// let ok = Response::text("all good");
/// assert_eq!(ok.status, 200);
/// let created = Response::new(201).header("Location", "/items/7");
/// assert_eq!(created.headers, vec![("Location".to_owned(), "/items/7".to_owned())]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// The HTTP status code.
    pub status: u16,
    /// Response headers (the host drops hop-by-hop and security-sensitive ones).
    pub headers: Vec<(String, String)>,
    /// The body (redacted by the host on its way out).
    pub body: Vec<u8>,
}

impl Response {
    /// An empty response with `status`.
    pub fn new(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// `200` with a plain-text body.
    pub fn text(body: impl Into<String>) -> Self {
        Self::new(200)
            .header("Content-Type", "text/plain; charset=utf-8")
            .body(body.into())
    }

    /// `200` with `value` as a JSON body.
    #[cfg(feature = "json")]
    pub fn json<T: serde::Serialize + ?Sized>(value: &T) -> Result<Self, Error> {
        let body = serde_json::to_vec(value).map_err(|e| Error::internal(format!("JSON: {e}")))?;
        Ok(Self::new(200)
            .header("Content-Type", "application/json")
            .body(body))
    }

    /// The response with its status set to `status`.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    /// The response with one more header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The response with `body` as its body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    pub(crate) fn into_wire(self) -> RouteResponse {
        RouteResponse {
            status: self.status,
            headers: self.headers,
            body: self.body,
        }
    }
}

/// Decodes `%XX` escapes and `+`; malformed escapes are kept as written.
fn percent_decode(input: &str) -> String {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = |b: u8| (b as char).to_digit(16);
                let high = bytes.get(i + 1).copied().and_then(hex);
                let low = bytes.get(i + 2).copied().and_then(hex);
                if let (Some(h), Some(l)) = (high, low) {
                    out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
                    i += 3;
                    continue;
                }
                out.push(b'%');
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding_handles_escapes_plus_and_junk() {
        assert_eq!(percent_decode("a%20b+c"), "a b c");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
        assert_eq!(percent_decode("%4"), "%4");
        assert_eq!(percent_decode("%41"), "A");
    }

    #[test]
    fn missing_query_parameter_is_none() {
        let request = Request::new("GET", "/").with_query("a=1&b");
        assert_eq!(request.query_param("b").as_deref(), Some(""));
        assert_eq!(request.query_param("c"), None);
    }
}
