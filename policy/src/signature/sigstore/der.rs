//! A minimal DER reader and writer: tag, length, content. The typed decoders
//! (`x509-cert`) keep a certificate's bytes private; the checks that must see or rebuild
//! exact bytes (the to-be-signed part, a certificate without its SCT extension, a CMS
//! structure's signed attributes) take them apart with this.

/// One DER element.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tlv<'a> {
    /// The identifier octet (only low tag numbers occur in what is read here).
    pub tag: u8,
    /// The content octets.
    pub content: &'a [u8],
    /// The whole element: identifier, length and content.
    pub raw: &'a [u8],
}

/// Reads one element from the front of `input`; `None` when it is not minimal DER.
pub(crate) fn read(input: &[u8]) -> Option<(Tlv<'_>, &[u8])> {
    let (&tag, rest) = input.split_first()?;
    if tag & 0x1f == 0x1f {
        return None;
    }
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let (bytes, after) = rest.split_at_checked(n)?;
        rest = after;
        if bytes[0] == 0 {
            return None;
        }
        let mut len = 0usize;
        for b in bytes {
            len = len.checked_mul(256)?.checked_add(usize::from(*b))?;
        }
        if len < 0x80 {
            return None;
        }
        len
    };
    let (content, after) = rest.split_at_checked(len)?;
    let raw = &input[..input.len() - after.len()];
    Some((Tlv { tag, content, raw }, after))
}

/// Reads exactly one element filling `input`.
pub(crate) fn read_one(input: &[u8]) -> Option<Tlv<'_>> {
    match read(input)? {
        (tlv, []) => Some(tlv),
        _ => None,
    }
}

/// The elements inside a constructed element's content.
pub(crate) fn children(mut content: &[u8]) -> Option<Vec<Tlv<'_>>> {
    let mut out = Vec::new();
    while !content.is_empty() {
        let (tlv, rest) = read(content)?;
        out.push(tlv);
        content = rest;
    }
    Some(out)
}

/// Encodes one element.
pub(crate) fn encode(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_lengths_round_trip() {
        for len in [0usize, 5, 127, 128, 300, 70_000] {
            let content = vec![7u8; len];
            let encoded = encode(0x30, &content);
            let tlv = read_one(&encoded).expect("reads back");
            assert_eq!(tlv.tag, 0x30);
            assert_eq!(tlv.content.len(), len);
            assert_eq!(tlv.raw, &encoded[..]);
        }
    }

    #[test]
    fn non_minimal_or_truncated_lengths_are_refused() {
        assert!(
            read(&[0x30, 0x81, 0x05, 1, 2, 3, 4, 5]).is_none(),
            "long form for a short length"
        );
        assert!(
            read(&[0x30, 0x82, 0x00, 0x80]).is_none(),
            "leading zero length octet"
        );
        assert!(
            read(&[0x30, 0x05, 1, 2]).is_none(),
            "content shorter than its length"
        );
        assert!(read_one(&[0x05, 0x00, 0x05]).is_none(), "trailing bytes");
    }
}
