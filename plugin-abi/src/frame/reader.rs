//! Buffered frame reading from an async stream: one `read` brings in as many frames as the
//! socket holds, and each is handed out as a slice of the reader's own buffer (no
//! allocation per frame).
//!
//! The limits of [`super::read_frame`] hold: a length prefix is checked against the limit
//! as soon as its four bytes are in, and the buffer grows with the data received (at most
//! [`READ_CHUNK`] per step), never to a size a peer merely announced.

use super::{HEADER_LEN, READ_CHUNK, check_len, clamp_max_frame};
use crate::error::FrameError;
use std::future::poll_fn;
use std::pin::Pin;
use std::task::Poll;
use tokio::io::{AsyncRead, ReadBuf};

/// Buffer a reader starts with; it doubles (up to [`READ_CHUNK`]) each time a read fills it.
const FIRST_BUFFER: usize = 4 * 1024;

/// Reads frames from `R`, many per `read`.
///
/// [`FrameReader::next_frame`] is cancel-safe: dropped before it completes (a branch of
/// `tokio::select!` that lost), it loses nothing, and the next call carries on where it
/// stopped.
#[derive(Debug)]
pub struct FrameReader<R> {
    reader: R,
    buffer: Vec<u8>,
    /// Where the first unreturned byte is.
    start: usize,
    /// Where the received bytes end.
    end: usize,
    max: u32,
}

impl<R: AsyncRead + Unpin> FrameReader<R> {
    /// A reader enforcing `max` bytes per frame body.
    pub fn new(reader: R, max: u32) -> Self {
        Self {
            reader,
            buffer: Vec::new(),
            start: 0,
            end: 0,
            max: clamp_max_frame(max),
        }
    }

    /// Bytes received but not yet returned as frames.
    pub fn buffered(&self) -> usize {
        self.end - self.start
    }

    /// Whether a whole frame is buffered, so [`FrameReader::next_frame`] returns without
    /// reading (a bad prefix counts: the call returns its error at once).
    pub fn has_frame(&self) -> bool {
        let have = self.end - self.start;
        if have < HEADER_LEN {
            return false;
        }
        let mut header = [0u8; HEADER_LEN];
        header.copy_from_slice(&self.buffer[self.start..self.start + HEADER_LEN]);
        match check_len(u32::from_le_bytes(header), self.max) {
            Ok(len) => have >= HEADER_LEN + len,
            Err(_) => true,
        }
    }

    /// The next frame's body; `Ok(None)` when the stream ends cleanly between frames. The
    /// slice lives until the next call.
    pub async fn next_frame(&mut self) -> Result<Option<&[u8]>, FrameError> {
        loop {
            let have = self.end - self.start;
            let needed = if have >= HEADER_LEN {
                let mut header = [0u8; HEADER_LEN];
                header.copy_from_slice(&self.buffer[self.start..self.start + HEADER_LEN]);
                let len = check_len(u32::from_le_bytes(header), self.max)?;
                if have >= HEADER_LEN + len {
                    let body = self.start + HEADER_LEN..self.start + HEADER_LEN + len;
                    self.start = body.end;
                    return Ok(Some(&self.buffer[body]));
                }
                HEADER_LEN + len
            } else {
                HEADER_LEN
            };
            self.make_room(needed - have);
            let got = self.fill().await?;
            if got == 0 {
                return match have {
                    0 => Ok(None),
                    got => Err(FrameError::Truncated {
                        got,
                        expected: needed,
                    }),
                };
            }
        }
    }

    /// One read into the free end of the buffer. Cancel-safe: a read either completes
    /// within one poll (and is counted) or takes nothing.
    async fn fill(&mut self) -> std::io::Result<usize> {
        let Self {
            reader,
            buffer,
            end,
            ..
        } = self;
        let got = poll_fn(|cx| {
            let mut free = ReadBuf::new(&mut buffer[*end..]);
            match Pin::new(&mut *reader).poll_read(cx, &mut free) {
                Poll::Ready(Ok(())) => Poll::Ready(Ok(free.filled().len())),
                Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
                Poll::Pending => Poll::Pending,
            }
        })
        .await?;
        let filled_it = *end + got == buffer.len();
        *end += got;
        if filled_it && buffer.len() < READ_CHUNK {
            // The socket had more than fits: read more at once next time.
            let doubled = (buffer.len() * 2).min(READ_CHUNK);
            buffer.resize(doubled, 0);
        }
        Ok(got)
    }

    /// Makes room for at least `missing.min(READ_CHUNK)` more bytes after those held.
    fn make_room(&mut self, missing: usize) {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
            if self.buffer.len() > READ_CHUNK {
                // A large frame has been consumed: give its memory back.
                self.buffer.truncate(READ_CHUNK);
                self.buffer.shrink_to_fit();
            }
        }
        let step = missing.clamp(1, READ_CHUNK);
        if self.buffer.len() - self.end >= step {
            return;
        }
        if self.start > 0 {
            self.buffer.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.buffer.len() - self.end < step {
            let grown = (self.end + step)
                .max(FIRST_BUFFER)
                .max((self.buffer.len() * 2).min(READ_CHUNK));
            self.buffer.resize(grown, 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{DEFAULT_MAX_FRAME, frame_bytes};
    use tokio::io::AsyncWriteExt;

    fn frames(bodies: &[&[u8]]) -> Vec<u8> {
        bodies
            .iter()
            .flat_map(|b| frame_bytes(b, DEFAULT_MAX_FRAME).expect("frame"))
            .collect()
    }

    async fn all(bytes: &[u8], max: u32) -> Result<Vec<Vec<u8>>, FrameError> {
        let mut reader = FrameReader::new(bytes, max);
        let mut out = Vec::new();
        while let Some(body) = reader.next_frame().await? {
            out.push(body.to_vec());
        }
        Ok(out)
    }

    #[tokio::test]
    async fn many_frames_in_one_buffer_come_out_in_order() {
        let bodies: Vec<Vec<u8>> = (0..1000u32).map(|i| i.to_le_bytes().to_vec()).collect();
        let refs: Vec<&[u8]> = bodies.iter().map(Vec::as_slice).collect();
        let got = all(&frames(&refs), DEFAULT_MAX_FRAME).await.expect("read");
        assert_eq!(got, bodies);
    }

    #[tokio::test]
    async fn has_frame_says_whether_the_next_frame_is_already_in() {
        let bytes = frames(&[b"one", b"two"]);
        let (mut tx, rx) = tokio::io::duplex(64);
        tx.write_all(&bytes[..10]).await.expect("write");
        let mut reader = FrameReader::new(rx, DEFAULT_MAX_FRAME);
        assert!(!reader.has_frame(), "nothing read yet");
        assert_eq!(reader.next_frame().await.expect("one"), Some(&b"one"[..]));
        assert!(!reader.has_frame(), "three bytes of the second frame");
        tx.write_all(&bytes[10..]).await.expect("write");
        assert_eq!(reader.next_frame().await.expect("two"), Some(&b"two"[..]));
        tx.write_all(&bytes).await.expect("write");
        assert_eq!(reader.next_frame().await.expect("one"), Some(&b"one"[..]));
        assert!(reader.has_frame());
    }

    #[tokio::test]
    async fn a_frame_larger_than_the_buffer_grows_it_and_shrinks_it_back() {
        let big = vec![9u8; 3 * READ_CHUNK + 17];
        let bytes = frames(&[b"a", &big, b"b"]);
        let mut reader = FrameReader::new(&bytes[..], DEFAULT_MAX_FRAME);
        assert_eq!(reader.next_frame().await.expect("a"), Some(&b"a"[..]));
        assert_eq!(reader.next_frame().await.expect("big"), Some(&big[..]));
        assert_eq!(reader.next_frame().await.expect("b"), Some(&b"b"[..]));
        assert!(reader.buffer.len() <= READ_CHUNK, "{}", reader.buffer.len());
        assert_eq!(reader.next_frame().await.expect("end"), None);
    }

    #[tokio::test]
    async fn oversized_prefix_is_refused_before_the_body_arrives() {
        let (mut tx, rx) = tokio::io::duplex(64);
        tx.write_all(&u32::MAX.to_le_bytes()).await.expect("write");
        // The writer stays open: the refusal may not wait for more bytes.
        let mut reader = FrameReader::new(rx, DEFAULT_MAX_FRAME);
        let err = reader.next_frame().await.expect_err("refused");
        assert!(
            matches!(err, FrameError::TooLarge { declared, .. } if declared == u64::from(u32::MAX))
        );
        assert!(reader.buffer.len() <= FIRST_BUFFER);
    }

    #[tokio::test]
    async fn zero_length_frame_is_refused() {
        let err = all(&0u32.to_le_bytes(), 64).await.expect_err("refused");
        assert!(matches!(err, FrameError::Empty));
    }

    #[tokio::test]
    async fn end_of_stream_inside_a_header_or_body_is_truncation_with_counts() {
        let err = all(&[5u8, 0], 64).await.expect_err("truncated");
        assert!(matches!(
            err,
            FrameError::Truncated {
                got: 2,
                expected: 4
            }
        ));
        let mut bytes = frames(&[b"ok"]);
        bytes.extend_from_slice(&10u32.to_le_bytes());
        bytes.extend_from_slice(b"abc");
        let err = all(&bytes, 64).await.expect_err("truncated");
        assert!(matches!(
            err,
            FrameError::Truncated {
                got: 7,
                expected: 14
            }
        ));
    }

    #[tokio::test]
    async fn a_read_cancelled_mid_frame_loses_nothing() {
        let (mut tx, rx) = tokio::io::duplex(64);
        let mut reader = FrameReader::new(rx, DEFAULT_MAX_FRAME);
        let bytes = frames(&[b"hello", b"world"]);
        tx.write_all(&bytes[..7]).await.expect("write");
        // Cancelled while the first frame is only half in.
        let waited =
            tokio::time::timeout(std::time::Duration::from_millis(20), reader.next_frame()).await;
        assert!(waited.is_err(), "no whole frame yet");
        tx.write_all(&bytes[7..]).await.expect("write");
        drop(tx);
        assert_eq!(reader.next_frame().await.expect("one"), Some(&b"hello"[..]));
        assert_eq!(reader.next_frame().await.expect("two"), Some(&b"world"[..]));
        assert_eq!(reader.next_frame().await.expect("end"), None);
    }

    proptest::proptest! {
        #[test]
        fn frames_split_anywhere_come_out_whole(
            bodies in proptest::collection::vec(proptest::collection::vec(proptest::num::u8::ANY, 1..300), 1..20),
            chunk in 1usize..64,
        ) {
            let refs: Vec<&[u8]> = bodies.iter().map(Vec::as_slice).collect();
            let bytes = frames(&refs);
            let runtime = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
            let got = runtime.block_on(async {
                let (mut tx, rx) = tokio::io::duplex(chunk);
                let feed = tokio::spawn(async move {
                    for piece in bytes.chunks(chunk) {
                        tx.write_all(piece).await.expect("write");
                    }
                });
                let mut reader = FrameReader::new(rx, DEFAULT_MAX_FRAME);
                let mut out = Vec::new();
                while let Some(body) = reader.next_frame().await.expect("read") {
                    out.push(body.to_vec());
                }
                feed.await.expect("feed");
                out
            });
            proptest::prop_assert_eq!(got, bodies);
        }
    }
}
