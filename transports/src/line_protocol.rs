//! The `Key: Value` line protocols of Asterisk's AMI and FreeSWITCH's event socket: a message
//! is header lines ended by an empty line (AMI with CRLF, ESL with LF), optionally followed
//! by `Content-Length` bytes of body (ESL). Reading is bounded: a peer cannot make the core
//! buffer without limit.

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt};

/// Longest header line.
pub const MAX_LINE: usize = 8 * 1024;
/// Most header lines in one message.
pub const MAX_HEADERS: usize = 256;
/// Largest body (ESL event bodies).
pub const MAX_BODY: usize = 1 << 20;

/// One message: its headers in order, and its body.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Message {
    /// `(name, value)` pairs, in order (names may repeat).
    pub headers: Vec<(String, String)>,
    /// The body (`Content-Length` bytes), empty when there is none.
    pub body: Vec<u8>,
}

impl Message {
    /// The first header named `name` (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Parses a body that is itself `Key: Value` lines (ESL's `text/event-plain`); values
    /// are percent-decoded as ESL sends them.
    pub fn body_headers(&self) -> Result<Vec<(String, String)>, ReadError> {
        let text = std::str::from_utf8(&self.body).map_err(|_| ReadError::NotUtf8)?;
        let mut out = Vec::new();
        for line in text.lines() {
            if line.is_empty() {
                break;
            }
            let (name, value) = split(line)?;
            let decoded = url::form_urlencoded::parse(format!("v={value}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
            out.push((name, decoded));
        }
        Ok(out)
    }
}

/// Why a message could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The connection closed.
    #[error("the connection closed")]
    Closed,
    /// An I/O error.
    #[error("read failed: {0}")]
    Io(#[from] std::io::Error),
    /// A line over [`MAX_LINE`].
    #[error("a line longer than {MAX_LINE} bytes")]
    LineTooLong,
    /// More than [`MAX_HEADERS`] lines.
    #[error("more than {MAX_HEADERS} header lines")]
    TooManyHeaders,
    /// A `Content-Length` over [`MAX_BODY`] or not a number.
    #[error("a bad Content-Length")]
    BadLength,
    /// A line without `: `.
    #[error("a header line without a colon")]
    NoColon,
    /// Not UTF-8.
    #[error("not UTF-8")]
    NotUtf8,
}

fn split(line: &str) -> Result<(String, String), ReadError> {
    let (name, value) = line.split_once(':').ok_or(ReadError::NoColon)?;
    Ok((name.trim().to_owned(), value.trim_start().to_owned()))
}

/// Reads one line (without its `\n` or `\r\n`), bounded by [`MAX_LINE`].
pub async fn read_line<R: AsyncBufRead + Unpin>(reader: &mut R) -> Result<String, ReadError> {
    let mut line = Vec::new();
    let read = (&mut *reader)
        .take(MAX_LINE as u64 + 2)
        .read_until(b'\n', &mut line)
        .await?;
    if read == 0 {
        return Err(ReadError::Closed);
    }
    if line.last() != Some(&b'\n') {
        return Err(if line.len() > MAX_LINE {
            ReadError::LineTooLong
        } else {
            ReadError::Closed
        });
    }
    line.pop();
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    String::from_utf8(line).map_err(|_| ReadError::NotUtf8)
}

/// Reads one message: header lines up to an empty line, then `Content-Length` bytes.
/// Leading empty lines are skipped. A line that is not `Key: Value` (AMI's greeting banner)
/// is kept as a header named `""`.
pub async fn read_message<R: AsyncBufRead + Unpin>(reader: &mut R) -> Result<Message, ReadError> {
    let mut message = Message::default();
    loop {
        let line = read_line(reader).await?;
        if line.is_empty() {
            if message.headers.is_empty() {
                continue;
            }
            break;
        }
        if message.headers.len() >= MAX_HEADERS {
            return Err(ReadError::TooManyHeaders);
        }
        match split(&line) {
            Ok(pair) => message.headers.push(pair),
            Err(_) => message.headers.push((String::new(), line)),
        }
        if message.headers.len() == 1 && message.headers[0].0.is_empty() {
            // A banner line stands alone.
            return Ok(message);
        }
    }
    if let Some(length) = message.get("Content-Length") {
        let length: usize = length.trim().parse().map_err(|_| ReadError::BadLength)?;
        if length > MAX_BODY {
            return Err(ReadError::BadLength);
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).await?;
        message.body = body;
    }
    Ok(message)
}

/// Whether `value` may go into a header line: no CR, LF or other control characters.
pub fn safe_value(value: &str) -> bool {
    !value.chars().any(char::is_control) && value.len() <= 1024
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn messages_are_read_with_their_bodies() {
        let wire = b"Asterisk Call Manager/7.0.3\r\nResponse: Success\r\nActionID: a1\r\n\r\nContent-Type: text/event-plain\nContent-Length: 5\n\nhello";
        let mut reader = tokio::io::BufReader::new(&wire[..]);
        let banner = read_message(&mut reader).await.expect("banner");
        assert_eq!(banner.headers[0].1, "Asterisk Call Manager/7.0.3");
        let reply = read_message(&mut reader).await.expect("reply");
        assert_eq!(reply.get("actionid"), Some("a1"));
        let event = read_message(&mut reader).await.expect("event");
        assert_eq!(event.body, b"hello");
        assert!(matches!(
            read_message(&mut reader).await,
            Err(ReadError::Closed)
        ));
    }

    #[tokio::test]
    async fn an_endless_line_is_refused_not_buffered() {
        let wire = vec![b'a'; MAX_LINE * 4];
        let mut reader = tokio::io::BufReader::new(&wire[..]);
        assert!(matches!(
            read_message(&mut reader).await,
            Err(ReadError::LineTooLong)
        ));
    }

    #[test]
    fn header_injection_is_refused() {
        assert!(safe_value("JOBID=fx_1"));
        assert!(!safe_value("x\r\nAction: Command"));
    }
}
