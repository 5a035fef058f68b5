//! Reading a callback's `multipart/form-data` or `application/x-www-form-urlencoded` body
//! into fields and file parts, in wire order, with limits.

use multer::Multipart;

/// Largest callback body parsed (inbound faxes carry the PDF).
pub const MAX_BODY_BYTES: usize = 64 << 20;
/// Most parts or fields in one callback.
pub const MAX_PARTS: usize = 256;

/// A form: text fields and file parts, each list in the order they arrived.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Form {
    /// `(name, value)` text fields.
    pub fields: Vec<(String, String)>,
    /// `(name, bytes)` file parts.
    pub files: Vec<(String, Vec<u8>)>,
}

impl Form {
    /// The first field named `name`.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first file part named `name`.
    pub fn file(&self, name: &str) -> Option<&[u8]> {
        self.files
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }
}

/// Parses a urlencoded body.
pub fn urlencoded(body: &[u8]) -> Result<Form, String> {
    if body.len() > MAX_BODY_BYTES {
        return Err("body too large".into());
    }
    let fields: Vec<(String, String)> = form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if fields.len() > MAX_PARTS {
        return Err(format!("more than {MAX_PARTS} fields"));
    }
    Ok(Form {
        fields,
        files: Vec::new(),
    })
}

/// Parses a multipart body whose `Content-Type` header is `content_type`. A part with a file
/// name is a file part; any other part is a text field (which must be UTF-8).
pub async fn multipart(content_type: &str, body: &[u8]) -> Result<Form, String> {
    if body.len() > MAX_BODY_BYTES {
        return Err("body too large".into());
    }
    let boundary =
        multer::parse_boundary(content_type).map_err(|_| "no multipart boundary".to_owned())?;
    let bytes = bytes_of(body);
    let stream = futures_once(bytes);
    let mut parts = Multipart::new(stream, boundary);
    let mut form = Form::default();
    let mut count = 0;
    while let Some(part) = parts
        .next_field()
        .await
        .map_err(|e| format!("malformed multipart body ({e})"))?
    {
        count += 1;
        if count > MAX_PARTS {
            return Err(format!("more than {MAX_PARTS} parts"));
        }
        let name = part.name().unwrap_or("").to_owned();
        let is_file = part.file_name().is_some();
        let data = part
            .bytes()
            .await
            .map_err(|e| format!("malformed multipart part ({e})"))?;
        if is_file {
            form.files.push((name, data.to_vec()));
        } else {
            let text = String::from_utf8(data.to_vec())
                .map_err(|_| format!("field {name:?} is not UTF-8"))?;
            form.fields.push((name, text));
        }
    }
    Ok(form)
}

fn bytes_of(body: &[u8]) -> multer::bytes::Bytes {
    multer::bytes::Bytes::copy_from_slice(body)
}

fn futures_once(
    bytes: multer::bytes::Bytes,
) -> impl futures_core_stream::Stream<Item = Result<multer::bytes::Bytes, std::io::Error>> {
    futures_core_stream::once(bytes)
}

/// A one-item stream without pulling in a stream utility crate.
mod futures_core_stream {
    pub use futures_core::Stream;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    pub struct Once(Option<multer::bytes::Bytes>);

    pub fn once(bytes: multer::bytes::Bytes) -> Once {
        Once(Some(bytes))
    }

    impl Stream for Once {
        type Item = Result<multer::bytes::Bytes, std::io::Error>;
        fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            Poll::Ready(self.0.take().map(Ok))
        }
    }
}

/// Builds a multipart body (for tests and fake providers): fields, then file parts.
pub fn encode(boundary: &str, fields: &[(&str, &str)], files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, value) in fields {
        out.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    for (name, bytes) in files {
        out.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{name}.pdf\"\r\nContent-Type: application/pdf\r\n\r\n"
            )
            .as_bytes(),
        );
        out.extend_from_slice(bytes);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn multipart_fields_and_files_come_back_in_wire_order() {
        let body = encode("XyZ", &[("b", "2"), ("a", "1")], &[("file", b"%PDF-1.4")]);
        let form = multipart("multipart/form-data; boundary=XyZ", &body)
            .await
            .expect("parses");
        assert_eq!(
            form.fields,
            vec![("b".into(), "2".into()), ("a".into(), "1".into())]
        );
        assert_eq!(form.file("file"), Some(&b"%PDF-1.4"[..]));
    }

    #[tokio::test]
    async fn a_cut_multipart_body_is_refused() {
        let body = encode("XyZ", &[("a", "1")], &[]);
        let cut = &body[..body.len() - 8];
        assert!(
            multipart("multipart/form-data; boundary=XyZ", cut)
                .await
                .is_err()
        );
        assert!(multipart("multipart/form-data", &body).await.is_err());
    }
}
