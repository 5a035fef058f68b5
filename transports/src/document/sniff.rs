//! What an uploaded document is, decided by its bytes, never by its name or declared type.

/// An upload's kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sniffed {
    /// A PDF (`%PDF-` at the start, `%%EOF` near the end).
    Pdf,
    /// UTF-8 text without control characters other than tab, CR, LF and form feed.
    Text,
    /// Anything else: refused (415).
    Other,
}

/// Sniffs `bytes`.
pub fn sniff(bytes: &[u8]) -> Sniffed {
    if bytes.starts_with(b"%PDF-") {
        let tail = &bytes[bytes.len().saturating_sub(1024)..];
        return if tail.windows(5).any(|w| w == b"%%EOF") {
            Sniffed::Pdf
        } else {
            Sniffed::Other
        };
    }
    match std::str::from_utf8(bytes) {
        Ok(text)
            if !text.is_empty()
                && !text
                    .chars()
                    .any(|c| c.is_control() && !matches!(c, '\t' | '\r' | '\n' | '\u{c}')) =>
        {
            Sniffed::Text
        }
        _ => Sniffed::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_sniffed_by_content_not_by_name() {
        assert_eq!(sniff(b"%PDF-1.7\n1 0 obj\n%%EOF\n"), Sniffed::Pdf);
        assert_eq!(sniff(b"%PDF-1.7 truncated"), Sniffed::Other);
        assert_eq!(
            sniff("Referral for Jos\u{e9}\nPage 2\u{c}".as_bytes()),
            Sniffed::Text
        );
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n"), Sniffed::Other);
        assert_eq!(sniff(b"MZ\x90\x00"), Sniffed::Other);
        assert_eq!(sniff(b""), Sniffed::Other);
        assert_eq!(sniff(&[0xff, 0xfe, 0x00]), Sniffed::Other);
    }
}
