//! Byte searches shared by the passes, written so the compiler can vectorise the common case
//! (a long stretch without what is looked for): whole 32-byte chunks are tested branch-free
//! and skipped, and only the chunk holding a hit is walked byte by byte.

/// The offset of the first ASCII digit in `b` at or after `from`.
pub fn next_digit(b: &[u8], from: usize) -> Option<usize> {
    let mut at = from.min(b.len());
    while b.len() - at >= 32 {
        let chunk = &b[at..at + 32];
        if chunk
            .iter()
            .fold(false, |acc, &c| acc | (c.wrapping_sub(b'0') < 10))
        {
            break;
        }
        at += 32;
    }
    b[at..].iter().position(u8::is_ascii_digit).map(|p| at + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_digit_is_found_across_chunks_and_at_the_edges() {
        let mut text = vec![b'a'; 100];
        assert_eq!(next_digit(&text, 0), None);
        for at in [0, 31, 32, 33, 63, 64, 99] {
            text[at] = b'7';
            assert_eq!(next_digit(&text, 0), Some(at), "digit at {at}");
            assert_eq!(next_digit(&text, at), Some(at));
            assert_eq!(next_digit(&text, at + 1), None);
            text[at] = b'a';
        }
        assert_eq!(next_digit(b"12", 5), None);
    }
}
