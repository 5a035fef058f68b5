//! Byte searches shared by the passes, written so the compiler can vectorise the common case
//! (a long stretch without what is looked for): the first bytes are looked at one by one
//! (hits are often near), then whole 32-byte chunks are tested branch-free and skipped, and
//! only the chunk holding a hit is walked byte by byte.

/// The offset of the first byte of `b` at or after `from` for which `hit` holds.
#[inline(always)]
fn next_where(b: &[u8], from: usize, hit: impl Fn(u8) -> bool) -> Option<usize> {
    let mut at = from.min(b.len());
    let near = (at + 16).min(b.len());
    if let Some(p) = b[at..near].iter().position(|&c| hit(c)) {
        return Some(at + p);
    }
    at = near;
    while b.len() - at >= 32 {
        let chunk = &b[at..at + 32];
        if chunk.iter().fold(false, |acc, &c| acc | hit(c)) {
            break;
        }
        at += 32;
    }
    b[at..].iter().position(|&c| hit(c)).map(|p| at + p)
}

/// The offset of the first ASCII digit in `b` at or after `from`.
pub fn next_digit(b: &[u8], from: usize) -> Option<usize> {
    next_where(b, from, |c| c.wrapping_sub(b'0') < 10)
}

/// The offset of the first ASCII capital letter in `b` at or after `from`.
pub fn next_upper(b: &[u8], from: usize) -> Option<usize> {
    next_where(b, from, |c| c.wrapping_sub(b'A') < 26)
}

/// The offset of the first `\n` in `b` at or after `from`.
pub fn next_newline(b: &[u8], from: usize) -> Option<usize> {
    next_where(b, from, |c| c == b'\n')
}

/// Where the blanks (spaces, tabs) before `at` start, with at most one line break among
/// them: how far back a value on the line above still reads as the one before `at`.
pub fn back_over_blanks_and_one_break(b: &[u8], at: usize) -> usize {
    let blank = |c: u8| c == b' ' || c == b'\t';
    let mut k = at;
    while k > 0 && blank(b[k - 1]) {
        k -= 1;
    }
    if k > 0 && b[k - 1] == b'\n' {
        k -= 1;
        if k > 0 && b[k - 1] == b'\r' {
            k -= 1;
        }
        while k > 0 && blank(b[k - 1]) {
            k -= 1;
        }
    }
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_digit_and_line_break_are_found_near_across_chunks_and_at_the_edges() {
        let mut text = vec![b'a'; 100];
        assert_eq!(next_digit(&text, 0), None);
        assert_eq!(next_newline(&text, 0), None);
        for at in [0, 15, 16, 17, 31, 32, 33, 48, 63, 64, 99] {
            text[at] = b'7';
            assert_eq!(next_digit(&text, 0), Some(at), "digit at {at}");
            assert_eq!(next_digit(&text, at), Some(at));
            assert_eq!(next_digit(&text, at + 1), None);
            text[at] = b'\n';
            assert_eq!(next_newline(&text, 0), Some(at), "break at {at}");
            assert_eq!(next_newline(&text, at + 1), None);
            text[at] = b'a';
        }
        assert_eq!(next_digit(b"12", 5), None);
        assert_eq!(next_upper(b"ab@[`Zc", 0), Some(5));
        assert_eq!(next_upper(b"abc", 0), None);
        assert_eq!(next_newline(b"", 0), None);
    }
}
