//! Per-plugin limits on an egress request.

use std::time::Duration;

/// Limits on one `http.fetch`; each is a per-plugin setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EgressLimits {
    /// Largest request body, bytes.
    pub max_request_bytes: usize,
    /// Largest response body, bytes.
    pub max_response_bytes: usize,
    /// Largest total size of the response headers, bytes.
    pub max_header_bytes: usize,
    /// Time to connect (TCP and TLS).
    pub connect_timeout: Duration,
    /// Time for the whole exchange (a plugin may ask for less, never more).
    pub total_timeout: Duration,
    /// Redirects followed when the grant allows them (0: none).
    pub max_redirects: usize,
}

impl Default for EgressLimits {
    fn default() -> Self {
        Self {
            max_request_bytes: 1 << 20,
            max_response_bytes: 4 << 20,
            max_header_bytes: 64 << 10,
            connect_timeout: Duration::from_secs(5),
            total_timeout: Duration::from_secs(30),
            max_redirects: 0,
        }
    }
}
