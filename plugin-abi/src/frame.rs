//! Length-prefixed framing.
//!
//! A frame is a 4-byte little-endian unsigned length `N` followed by `N` bytes of body
//! (one postcard-encoded message). `N` is checked against the limit in force *before* any
//! buffer of that size exists, so a hostile prefix cannot make the reader allocate.
//!
//! For long-lived async streams (the RPC session on both ends), [`FrameReader`] takes many
//! frames per `read` and [`FrameWriter`] sends many frames per `write`, with the same
//! bytes on the wire as one [`write_frame`] per frame.

use crate::error::FrameError;
use std::io::{self, Read, Write};

/// Bytes of the length prefix.
pub const HEADER_LEN: usize = 4;
/// Frame body limit until the handshake has negotiated one (1 MiB).
pub const DEFAULT_MAX_FRAME: u32 = 1024 * 1024;
/// No negotiation may raise the body limit above this (16 MiB).
pub const HARD_MAX_FRAME: u32 = 16 * 1024 * 1024;
/// Bytes read per step while a large body arrives, so memory grows with data received.
const READ_CHUNK: usize = 64 * 1024;

/// Clamps a requested limit into `1..=HARD_MAX_FRAME`.
pub fn clamp_max_frame(requested: u32) -> u32 {
    requested.clamp(1, HARD_MAX_FRAME)
}

/// Checks a length prefix against the limit.
pub fn check_len(declared: u32, max: u32) -> Result<usize, FrameError> {
    let max = clamp_max_frame(max);
    if declared == 0 {
        return Err(FrameError::Empty);
    }
    if declared > max {
        return Err(FrameError::TooLarge {
            declared: u64::from(declared),
            max,
        });
    }
    Ok(declared as usize)
}

/// Prepends the length prefix to `body`.
pub fn frame_bytes(body: &[u8], max: u32) -> Result<Vec<u8>, FrameError> {
    let declared = u32::try_from(body.len()).map_err(|_| FrameError::TooLarge {
        declared: body.len() as u64,
        max: clamp_max_frame(max),
    })?;
    check_len(declared, max)?;
    let mut out = Vec::with_capacity(HEADER_LEN + body.len());
    out.extend_from_slice(&declared.to_le_bytes());
    out.extend_from_slice(body);
    Ok(out)
}

/// Writes one frame and flushes.
pub fn write_frame<W: Write>(writer: &mut W, body: &[u8], max: u32) -> Result<(), FrameError> {
    let framed = frame_bytes(body, max)?;
    writer.write_all(&framed)?;
    writer.flush()?;
    Ok(())
}

/// Reads one frame's body. `Ok(None)` means the stream ended cleanly between frames.
pub fn read_frame<R: Read>(reader: &mut R, max: u32) -> Result<Option<Vec<u8>>, FrameError> {
    let mut header = [0u8; HEADER_LEN];
    let got = read_full(reader, &mut header)?;
    if got == 0 {
        return Ok(None);
    }
    if got < HEADER_LEN {
        return Err(FrameError::Truncated {
            got,
            expected: HEADER_LEN,
        });
    }
    let len = check_len(u32::from_le_bytes(header), max)?;
    let mut body = Vec::with_capacity(len.min(READ_CHUNK));
    while body.len() < len {
        let start = body.len();
        let step = (len - start).min(READ_CHUNK);
        body.resize(start + step, 0);
        let got = read_full(reader, &mut body[start..])?;
        if got < step {
            return Err(FrameError::Truncated {
                got: HEADER_LEN + start + got,
                expected: HEADER_LEN + len,
            });
        }
    }
    Ok(Some(body))
}

fn read_full<R: Read>(reader: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Splits frames out of bytes that arrive in arbitrary pieces (for event loops that read
/// whatever the socket has).
#[derive(Debug)]
pub struct FrameDecoder {
    buffer: Vec<u8>,
    max: u32,
}

impl FrameDecoder {
    /// A decoder enforcing `max` bytes per frame body.
    pub fn new(max: u32) -> Self {
        Self {
            buffer: Vec::new(),
            max: clamp_max_frame(max),
        }
    }

    /// Changes the limit (after the handshake negotiated one).
    pub fn set_max(&mut self, max: u32) {
        self.max = clamp_max_frame(max);
    }

    /// Appends received bytes.
    pub fn extend(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    /// Takes the next complete frame body, if one is buffered. A bad prefix is an error
    /// as soon as its four bytes are in, before the body arrives.
    pub fn next_frame(&mut self) -> Result<Option<Vec<u8>>, FrameError> {
        if self.buffer.len() < HEADER_LEN {
            return Ok(None);
        }
        let mut header = [0u8; HEADER_LEN];
        header.copy_from_slice(&self.buffer[..HEADER_LEN]);
        let len = check_len(u32::from_le_bytes(header), self.max)?;
        if self.buffer.len() < HEADER_LEN + len {
            return Ok(None);
        }
        let body = self.buffer[HEADER_LEN..HEADER_LEN + len].to_vec();
        self.buffer.drain(..HEADER_LEN + len);
        Ok(Some(body))
    }

    /// Bytes received but not yet returned as frames.
    pub fn buffered(&self) -> usize {
        self.buffer.len()
    }

    /// At end of stream: an error if a partial frame is left over.
    pub fn finish(&self) -> Result<(), FrameError> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let expected = if self.buffer.len() < HEADER_LEN {
            HEADER_LEN
        } else {
            let mut header = [0u8; HEADER_LEN];
            header.copy_from_slice(&self.buffer[..HEADER_LEN]);
            HEADER_LEN + u32::from_le_bytes(header) as usize
        };
        Err(FrameError::Truncated {
            got: self.buffer.len(),
            expected,
        })
    }
}

#[cfg(feature = "tokio")]
mod async_io {
    use super::{HEADER_LEN, READ_CHUNK, check_len, frame_bytes};
    use crate::error::FrameError;
    use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

    /// Reads one frame body from an async stream; `Ok(None)` at a clean end of stream.
    pub async fn read_frame_async<R: AsyncRead + Unpin>(
        reader: &mut R,
        max: u32,
    ) -> Result<Option<Vec<u8>>, FrameError> {
        let mut header = [0u8; HEADER_LEN];
        let mut got = 0;
        while got < HEADER_LEN {
            let n = reader.read(&mut header[got..]).await?;
            if n == 0 {
                if got == 0 {
                    return Ok(None);
                }
                return Err(FrameError::Truncated {
                    got,
                    expected: HEADER_LEN,
                });
            }
            got += n;
        }
        let len = check_len(u32::from_le_bytes(header), max)?;
        let mut body = Vec::with_capacity(len.min(READ_CHUNK));
        while body.len() < len {
            let start = body.len();
            let step = (len - start).min(READ_CHUNK);
            body.resize(start + step, 0);
            let mut filled = start;
            while filled < start + step {
                let n = reader.read(&mut body[filled..start + step]).await?;
                if n == 0 {
                    return Err(FrameError::Truncated {
                        got: HEADER_LEN + filled,
                        expected: HEADER_LEN + len,
                    });
                }
                filled += n;
            }
        }
        Ok(Some(body))
    }

    /// Writes one frame to an async stream and flushes it.
    pub async fn write_frame_async<W: AsyncWrite + Unpin>(
        writer: &mut W,
        body: &[u8],
        max: u32,
    ) -> Result<(), FrameError> {
        let framed = frame_bytes(body, max)?;
        writer.write_all(&framed).await?;
        writer.flush().await?;
        Ok(())
    }
}

#[cfg(feature = "tokio")]
pub use async_io::{read_frame_async, write_frame_async};

#[cfg(feature = "tokio")]
mod reader;
#[cfg(feature = "tokio")]
mod writer;
#[cfg(feature = "tokio")]
pub use reader::FrameReader;
#[cfg(feature = "tokio")]
pub use writer::{Cork, Flusher, FrameWriter, SendError};

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn frame_round_trips() {
        let framed = frame_bytes(b"hello", DEFAULT_MAX_FRAME).expect("frame");
        assert_eq!(&framed[..4], &5u32.to_le_bytes());
        let body = read_frame(&mut Cursor::new(framed), DEFAULT_MAX_FRAME).expect("read");
        assert_eq!(body.as_deref(), Some(&b"hello"[..]));
    }

    #[test]
    fn oversized_prefix_is_refused_before_reading_the_body() {
        // Announces 4 GiB - 1 but sends nothing more: must fail on the prefix alone.
        let bytes = u32::MAX.to_le_bytes();
        let err = read_frame(&mut Cursor::new(bytes), DEFAULT_MAX_FRAME).unwrap_err();
        assert!(matches!(err, FrameError::TooLarge { declared, max }
            if declared == u64::from(u32::MAX) && max == DEFAULT_MAX_FRAME));
    }

    #[test]
    fn negotiated_limit_cannot_exceed_the_hard_ceiling() {
        let bytes = (HARD_MAX_FRAME + 1).to_le_bytes();
        let err = read_frame(&mut Cursor::new(bytes), u32::MAX).unwrap_err();
        assert!(matches!(err, FrameError::TooLarge { max, .. } if max == HARD_MAX_FRAME));
    }

    #[test]
    fn zero_length_frame_is_refused() {
        let err = read_frame(&mut Cursor::new(0u32.to_le_bytes()), 64).unwrap_err();
        assert!(matches!(err, FrameError::Empty));
    }

    #[test]
    fn truncated_header_is_reported() {
        let err = read_frame(&mut Cursor::new([5u8, 0]), 64).unwrap_err();
        assert!(matches!(
            err,
            FrameError::Truncated {
                got: 2,
                expected: 4
            }
        ));
    }

    #[test]
    fn truncated_body_is_reported_with_counts() {
        let mut bytes = 10u32.to_le_bytes().to_vec();
        bytes.extend_from_slice(b"abc");
        let err = read_frame(&mut Cursor::new(bytes), 64).unwrap_err();
        assert!(matches!(
            err,
            FrameError::Truncated {
                got: 7,
                expected: 14
            }
        ));
    }

    #[test]
    fn clean_end_of_stream_between_frames_is_none() {
        assert!(
            read_frame(&mut Cursor::new(Vec::new()), 64)
                .expect("eof")
                .is_none()
        );
    }

    #[test]
    fn writer_refuses_a_body_over_the_limit() {
        let mut sink = Vec::new();
        let err = write_frame(&mut sink, &[0u8; 65], 64).unwrap_err();
        assert!(matches!(err, FrameError::TooLarge { declared: 65, .. }));
        assert!(
            sink.is_empty(),
            "nothing may be written for a refused frame"
        );
    }

    #[test]
    fn decoder_splits_frames_arriving_byte_by_byte() {
        let mut stream = frame_bytes(b"one", 64).expect("frame");
        stream.extend(frame_bytes(b"two!", 64).expect("frame"));
        let mut decoder = FrameDecoder::new(64);
        let mut out = Vec::new();
        for byte in stream {
            decoder.extend(&[byte]);
            while let Some(frame) = decoder.next_frame().expect("decode") {
                out.push(frame);
            }
        }
        assert_eq!(out, vec![b"one".to_vec(), b"two!".to_vec()]);
        decoder.finish().expect("nothing left over");
    }

    #[test]
    fn decoder_refuses_oversized_prefix_without_waiting_for_body() {
        let mut decoder = FrameDecoder::new(64);
        decoder.extend(&1000u32.to_le_bytes());
        assert!(matches!(
            decoder.next_frame(),
            Err(FrameError::TooLarge { declared: 1000, .. })
        ));
    }

    #[test]
    fn decoder_reports_partial_frame_at_end_of_stream() {
        let mut decoder = FrameDecoder::new(64);
        decoder.extend(&[3, 0, 0, 0, b'a']);
        assert!(decoder.next_frame().expect("partial").is_none());
        assert!(matches!(
            decoder.finish(),
            Err(FrameError::Truncated {
                got: 5,
                expected: 7
            })
        ));
    }

    proptest::proptest! {
        #[test]
        fn any_body_within_limit_round_trips(body in proptest::collection::vec(proptest::num::u8::ANY, 1..2048)) {
            let framed = frame_bytes(&body, 4096).expect("frame");
            let back = read_frame(&mut Cursor::new(framed), 4096).expect("read");
            proptest::prop_assert_eq!(back, Some(body));
        }

        #[test]
        fn arbitrary_bytes_never_panic_the_decoder(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let mut decoder = FrameDecoder::new(128);
            decoder.extend(&bytes);
            while let Ok(Some(_)) = decoder.next_frame() {}
            let _ = read_frame(&mut Cursor::new(&bytes), 128);
        }
    }
}
