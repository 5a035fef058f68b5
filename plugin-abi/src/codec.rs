//! Message bodies: postcard encoding with the ABI's forward-compatibility rule.
//!
//! Rule (see `docs/abi.md`, "Compatibility"): a minor version may append fields to the end
//! of a top-level message, and only of types whose all-zero-bytes encoding is their default
//! (`Option` = `None`, sequences and strings empty, integers 0, `bool` false). So
//!
//! * every decoder ignores bytes after the fields it knows (a newer peer's additions), and
//! * a side whose own minor is above the negotiated one reads fields the older peer did
//!   not send as zero bytes, i.e. their defaults ([`Compat::OlderPeer`]).
//!
//! Between peers of the same minor ([`Compat::Exact`]) nothing is padded, so a message cut
//! short inside its frame is a decode error. Both rules live here and nowhere else.

use crate::error::{DecodeError, EncodeError};
use serde::{Serialize, de::DeserializeOwned};

/// How many appended fields an older peer's message may lack and still decode.
pub const MAX_APPENDED_FIELDS: usize = 32;

/// Encodes a message body, refusing one larger than `max` bytes.
pub fn encode<T: Serialize>(
    what: &'static str,
    message: &T,
    max: u32,
) -> Result<Vec<u8>, EncodeError> {
    let bytes = postcard::to_stdvec(message).map_err(|e| EncodeError::Serialize {
        what,
        reason: e.to_string(),
    })?;
    if bytes.len() > max as usize {
        return Err(EncodeError::TooLarge {
            what,
            len: bytes.len(),
            max,
        });
    }
    Ok(bytes)
}

/// How to read a peer's messages, from the negotiated version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Compat {
    /// The peer speaks our minor (or a newer one): every field we know must be present.
    #[default]
    Exact,
    /// The session runs at a minor below ours: fields added since may be missing.
    OlderPeer,
}

impl Compat {
    /// The rule for a session at `negotiated` run by a side that implements `own`.
    pub fn for_session(own: crate::AbiVersion, negotiated: crate::AbiVersion) -> Self {
        if own.minor > negotiated.minor {
            Self::OlderPeer
        } else {
            Self::Exact
        }
    }
}

/// Decodes a message body from a peer of the same minor: trailing bytes (a newer peer's
/// appended fields) are ignored; missing bytes are an error.
pub fn decode<T: DeserializeOwned>(what: &'static str, bytes: &[u8]) -> Result<T, DecodeError> {
    decode_with(what, bytes, Compat::Exact)
}

/// Decodes a message body under the compatibility rule for `compat`.
pub fn decode_with<T: DeserializeOwned>(
    what: &'static str,
    bytes: &[u8],
    compat: Compat,
) -> Result<T, DecodeError> {
    let padded;
    let input = match compat {
        Compat::Exact => bytes,
        Compat::OlderPeer => {
            let mut buf = Vec::with_capacity(bytes.len() + MAX_APPENDED_FIELDS);
            buf.extend_from_slice(bytes);
            buf.resize(bytes.len() + MAX_APPENDED_FIELDS, 0);
            padded = buf;
            &padded
        }
    };
    let result = crate::value::with_depth_limit(|| postcard::take_from_bytes::<T>(input));
    match result {
        Ok((message, _rest)) => Ok(message),
        Err(DepthOr::TooDeep(max)) => Err(DecodeError::TooDeep { max }),
        Err(DepthOr::Postcard(e)) => Err(DecodeError::Malformed {
            what,
            reason: e.to_string(),
        }),
    }
}

/// A decode failure: either the nesting guard tripped or postcard refused the bytes.
pub(crate) enum DepthOr {
    TooDeep(usize),
    Postcard(postcard::Error),
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct V1 {
        id: u64,
        name: String,
    }

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct V2 {
        id: u64,
        name: String,
        retries: Option<u32>,
        tags: Vec<String>,
        urgent: bool,
    }

    #[test]
    fn older_decoder_ignores_fields_a_newer_peer_appended() {
        let newer = V2 {
            id: 7,
            name: "a".into(),
            retries: Some(3),
            tags: vec!["x".into()],
            urgent: true,
        };
        let bytes = encode("V2", &newer, 1024).expect("encode");
        let older: V1 = decode("V1", &bytes).expect("decode");
        assert_eq!(
            older,
            V1 {
                id: 7,
                name: "a".into()
            }
        );
    }

    #[test]
    fn newer_decoder_reads_missing_appended_fields_as_defaults() {
        let bytes = encode(
            "V1",
            &V1 {
                id: 9,
                name: "b".into(),
            },
            1024,
        )
        .expect("encode");
        assert!(
            decode::<V2>("V2", &bytes).is_err(),
            "a same-version peer must send every field"
        );
        let newer: V2 = decode_with("V2", &bytes, Compat::OlderPeer).expect("decode");
        assert_eq!(
            newer,
            V2 {
                id: 9,
                name: "b".into(),
                retries: None,
                tags: vec![],
                urgent: false
            }
        );
    }

    #[test]
    fn oversized_message_is_refused_at_encode() {
        let err = encode("blob", &vec![0u8; 100], 50).unwrap_err();
        assert!(matches!(err, EncodeError::TooLarge { len, max: 50, .. } if len > 50));
    }

    #[test]
    fn garbage_is_a_typed_error_naming_the_message() {
        // A string whose declared length runs past the end of the body.
        let err = decode::<V1>("V1", &[1, 0xff, 0xff, 0x7f]).unwrap_err();
        match err {
            DecodeError::Malformed { what, .. } => assert_eq!(what, "V1"),
            other => panic!("unexpected {other:?}"),
        }
    }
}
