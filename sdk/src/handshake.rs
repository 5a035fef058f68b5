//! The plugin side of the handshake: say Hello, read Welcome or Reject.

use crate::session::SessionError;
use faxbot_plugin_abi::frame::{self, DEFAULT_MAX_FRAME, HARD_MAX_FRAME};
use faxbot_plugin_abi::handshake::{MAGIC, Welcome};
use faxbot_plugin_abi::version::VersionRange;
use faxbot_plugin_abi::{ABI_VERSION, HandshakeReply, Hello};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};

/// How long the SDK waits for the host's answer to its Hello.
const REPLY_DEADLINE: Duration = Duration::from_secs(30);

/// The SDK's name as it introduces itself.
pub const SDK_NAME: &str = "faxbot-sdk";
/// The SDK's version as it introduces itself.
pub const SDK_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The Hello this SDK sends for plugin `id` at `version`.
pub(crate) fn hello(id: &str, version: &str) -> Hello {
    Hello {
        magic: MAGIC,
        abi: VersionRange::exactly(ABI_VERSION),
        plugin_id: id.to_owned(),
        plugin_version: version.to_owned(),
        sdk_name: SDK_NAME.to_owned(),
        sdk_version: SDK_VERSION.to_owned(),
        max_frame: HARD_MAX_FRAME,
    }
}

/// Sends Hello and returns the host's Welcome.
pub(crate) async fn introduce<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    id: &str,
    version: &str,
) -> Result<Welcome, SessionError> {
    let body = hello(id, version)
        .encode()
        .map_err(|e| SessionError::Handshake(format!("Hello does not encode: {e}")))?;
    frame::write_frame_async(stream, &body, DEFAULT_MAX_FRAME)
        .await
        .map_err(|e| SessionError::Handshake(format!("sending Hello failed: {e}")))?;
    let reply = tokio::time::timeout(
        REPLY_DEADLINE,
        frame::read_frame_async(stream, DEFAULT_MAX_FRAME),
    )
    .await
    .map_err(|_| {
        SessionError::Handshake(format!(
            "the host did not answer Hello within {} s",
            REPLY_DEADLINE.as_secs()
        ))
    })?
    .map_err(|e| SessionError::Handshake(format!("reading the host's reply failed: {e}")))?
    .ok_or_else(|| SessionError::Handshake("the host closed the socket after Hello".to_owned()))?;
    match HandshakeReply::decode(&reply)
        .map_err(|e| SessionError::Handshake(format!("the host's reply does not decode: {e}")))?
    {
        HandshakeReply::Welcome(welcome) => {
            if welcome.abi.major != ABI_VERSION.major || welcome.abi > ABI_VERSION {
                return Err(SessionError::Handshake(format!(
                    "the host chose ABI {}, this SDK speaks {}",
                    welcome.abi, ABI_VERSION
                )));
            }
            Ok(welcome)
        }
        HandshakeReply::Reject(reject) => Err(SessionError::Rejected {
            code: format!("{:?}", reject.code),
            message: reject.message,
        }),
    }
}
