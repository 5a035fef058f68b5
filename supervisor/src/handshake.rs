//! The host side of the handshake: read `Hello` within a deadline, answer `Welcome` or
//! `Reject`, and say in words why a plugin was refused.

use faxbot_plugin_abi::frame::{self, DEFAULT_MAX_FRAME};
use faxbot_plugin_abi::handshake::{RejectCode, Welcome};
use faxbot_plugin_abi::version::{VersionRange, negotiate};
use faxbot_plugin_abi::{
    AbiVersion, DecodeError, FrameError, GrantedCapabilities, HandshakeReply, Hello, Limits,
    Reject, Value,
};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};

/// What the host offers a plugin it starts.
#[derive(Clone, Debug)]
pub struct HandshakeTerms {
    /// The plugin id the installed package declares; a Hello naming another is refused.
    pub plugin_id: String,
    /// ABI versions the host speaks.
    pub host_abi: VersionRange,
    /// This instance's id, for logs and metrics.
    pub instance_id: String,
    /// What the admin granted.
    pub capabilities: GrantedCapabilities,
    /// Admin-set configuration.
    pub config: Vec<(String, Value)>,
    /// Limits and deadlines in force.
    pub limits: Limits,
    /// How long the plugin has to say Hello.
    pub hello_deadline: Duration,
}

/// Why a handshake failed; each message is meant for an admin to read.
#[derive(Debug, thiserror::Error)]
pub enum HandshakeError {
    /// No Hello within the deadline.
    #[error("plugin {plugin_id:?} sent no Hello within {waited_ms} ms")]
    NoHello {
        /// The plugin.
        plugin_id: String,
        /// The deadline that passed.
        waited_ms: u128,
    },
    /// The socket closed before a Hello.
    #[error("plugin {plugin_id:?} closed its socket before sending Hello")]
    Closed {
        /// The plugin.
        plugin_id: String,
    },
    /// The first frame was not a valid frame.
    #[error("plugin {plugin_id:?} sent a bad first frame: {source}")]
    BadFrame {
        /// The plugin.
        plugin_id: String,
        /// The framing rule broken.
        source: FrameError,
    },
    /// The first frame was not a Hello.
    #[error("plugin {plugin_id:?} sent a malformed Hello: {source}")]
    BadHello {
        /// The plugin.
        plugin_id: String,
        /// What did not decode.
        source: DecodeError,
    },
    /// The Hello named another plugin.
    #[error("plugin {expected:?} introduced itself as {got:?}")]
    IdentityMismatch {
        /// The installed package's id.
        expected: String,
        /// The id in the Hello.
        got: String,
    },
    /// No common ABI version.
    #[error("plugin {plugin_id:?} refused: {reason}")]
    VersionMismatch {
        /// The plugin.
        plugin_id: String,
        /// The ranges on both sides.
        reason: String,
    },
    /// The reply could not be written.
    #[error("plugin {plugin_id:?}: writing the handshake reply failed: {reason}")]
    Reply {
        /// The plugin.
        plugin_id: String,
        /// The encode or write failure.
        reason: String,
    },
}

/// A completed handshake.
#[derive(Clone, Debug)]
pub struct Agreed {
    /// What the plugin said.
    pub hello: Hello,
    /// The version both speak.
    pub abi: AbiVersion,
    /// The frame limit in force: the smaller of both offers.
    pub max_frame: u32,
}

/// Runs the host side of the handshake on `stream`.
pub async fn accept<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    terms: &HandshakeTerms,
) -> Result<Agreed, HandshakeError> {
    let plugin_id = terms.plugin_id.clone();
    let first = tokio::time::timeout(
        terms.hello_deadline,
        frame::read_frame_async(stream, DEFAULT_MAX_FRAME),
    )
    .await
    .map_err(|_| HandshakeError::NoHello {
        plugin_id: plugin_id.clone(),
        waited_ms: terms.hello_deadline.as_millis(),
    })?;
    let body = match first {
        Ok(Some(body)) => body,
        Ok(None) => return Err(HandshakeError::Closed { plugin_id }),
        Err(source) => return Err(HandshakeError::BadFrame { plugin_id, source }),
    };
    let hello = match Hello::decode(&body) {
        Ok(hello) => hello,
        Err(source) => {
            let message = format!("malformed Hello: {source}");
            reject(stream, RejectCode::Malformed, message).await;
            return Err(HandshakeError::BadHello { plugin_id, source });
        }
    };
    if hello.plugin_id != terms.plugin_id {
        let message = format!(
            "Hello names plugin {:?}, the installed package is {:?}",
            hello.plugin_id, terms.plugin_id
        );
        reject(stream, RejectCode::IdentityMismatch, message).await;
        return Err(HandshakeError::IdentityMismatch {
            expected: plugin_id,
            got: hello.plugin_id,
        });
    }
    let abi = match negotiate(terms.host_abi, hello.abi) {
        Ok(abi) => abi,
        Err(mismatch) => {
            reject(stream, RejectCode::VersionMismatch, mismatch.to_string()).await;
            return Err(HandshakeError::VersionMismatch {
                plugin_id,
                reason: mismatch.to_string(),
            });
        }
    };
    let max_frame = frame::clamp_max_frame(terms.limits.max_frame.min(hello.max_frame));
    let mut limits = terms.limits.clone();
    limits.max_frame = max_frame;
    let welcome = HandshakeReply::Welcome(Welcome {
        abi,
        instance_id: terms.instance_id.clone(),
        capabilities: terms.capabilities.clone(),
        config: terms.config.clone(),
        limits,
    });
    let written = match welcome.encode(DEFAULT_MAX_FRAME) {
        Ok(bytes) => frame::write_frame_async(stream, &bytes, DEFAULT_MAX_FRAME)
            .await
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    written.map_err(|reason| HandshakeError::Reply {
        plugin_id: plugin_id.clone(),
        reason,
    })?;
    Ok(Agreed {
        hello,
        abi,
        max_frame,
    })
}

/// Best effort: tells the plugin why it is refused before the socket closes.
async fn reject<S: AsyncWrite + Unpin>(stream: &mut S, code: RejectCode, message: String) {
    let reply = HandshakeReply::Reject(Reject { code, message });
    if let Ok(bytes) = reply.encode(DEFAULT_MAX_FRAME) {
        let _ = frame::write_frame_async(stream, &bytes, DEFAULT_MAX_FRAME).await;
    }
}
