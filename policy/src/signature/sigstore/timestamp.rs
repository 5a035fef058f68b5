//! RFC 3161 signed timestamps over the bundle's signature.

use super::KeylessError;
use super::trusted_root::TrustedRoot;

/// Verifies one timestamp token and returns its time (Unix seconds).
pub(crate) fn verify(
    _token: &[u8],
    _signature: &[u8],
    _root: &TrustedRoot,
) -> Result<i64, KeylessError> {
    Err(KeylessError::Unsupported(
        "RFC 3161 signed timestamps are not verified by this build".into(),
    ))
}
