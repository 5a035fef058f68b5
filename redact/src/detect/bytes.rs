//! Byte searches shared by the passes: eight bytes at a time in a `u64` (SWAR), every byte of
//! the word tested at once without branches, and the first hit read off the lowest marked
//! byte, so a hit near the start costs one word and a long stretch without one an
//! instruction or two per byte.

/// Eight bytes at a time: `flags` marks (bit 7 of each byte) the bytes of a little-endian
/// word that are hits, and the lowest marked byte is the first hit. Each marker must be
/// exact at least up to the first hit.
#[inline(always)]
fn next_where(
    b: &[u8],
    from: usize,
    flags: impl Fn(u64) -> u64,
    hit: impl Fn(u8) -> bool,
) -> Option<usize> {
    let mut at = from.min(b.len());
    while b.len() - at >= 8 {
        let mut word = [0u8; 8];
        word.copy_from_slice(&b[at..at + 8]);
        let f = flags(u64::from_le_bytes(word));
        if f != 0 {
            return Some(at + (f.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    b[at..].iter().position(|&c| hit(c)).map(|p| at + p)
}

const ONES: u64 = u64::MAX / 255;
const HIGHS: u64 = ONES * 0x80;

/// Bit 7 of every byte of `x` that lies in `lo..=hi` (both below 128): the bytes are
/// compared as 7-bit values with no borrow between them, so every marker is exact.
#[inline(always)]
fn between(x: u64, lo: u8, hi: u8) -> u64 {
    let low7 = x & (ONES * 127);
    // A byte's bit 7 after the add: its low 7 bits are above `hi`; after the second add:
    // at least `lo`. Bytes of 128 and more are masked out by `!x`.
    let above_hi = low7 + ONES * (127 - u64::from(hi));
    let from_lo = low7 + ONES * (128 - u64::from(lo));
    !above_hi & from_lo & !x & HIGHS
}

/// The offset of the first ASCII digit in `b` at or after `from`.
pub fn next_digit(b: &[u8], from: usize) -> Option<usize> {
    next_where(
        b,
        from,
        |x| between(x, b'0', b'9'),
        |c| c.wrapping_sub(b'0') < 10,
    )
}

/// The offset of the first ASCII capital letter in `b` at or after `from`.
pub fn next_upper(b: &[u8], from: usize) -> Option<usize> {
    next_where(
        b,
        from,
        |x| between(x, b'A', b'Z'),
        |c| c.wrapping_sub(b'A') < 26,
    )
}

/// The offset of the first `\n` in `b` at or after `from`.
pub fn next_newline(b: &[u8], from: usize) -> Option<usize> {
    next_where(b, from, |x| between(x, b'\n', b'\n'), |c| c == b'\n')
}

/// The offset of the first `c` (an ASCII byte) in `b` at or after `from`.
pub fn next_byte(b: &[u8], from: usize, c: u8) -> Option<usize> {
    debug_assert!(c < 128);
    next_where(b, from, |x| between(x, c, c), |x| x == c)
}

/// Whether `b` holds two spaces in a row.
pub fn has_two_spaces(b: &[u8]) -> bool {
    let mut at = 0;
    // Each word and the word one byte further on: a space in both at the same place.
    while b.len() - at >= 9 {
        let mut here = [0u8; 8];
        let mut next = [0u8; 8];
        here.copy_from_slice(&b[at..at + 8]);
        next.copy_from_slice(&b[at + 1..at + 9]);
        let pair = between(u64::from_le_bytes(here), b' ', b' ')
            & between(u64::from_le_bytes(next), b' ', b' ');
        if pair != 0 {
            return true;
        }
        at += 8;
    }
    b[at..].windows(2).any(|w| w == b"  ")
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

    #[test]
    fn two_spaces_are_found_at_every_offset_and_one_space_is_not() {
        for len in 0..40 {
            for at in 0..len {
                let mut line = vec![b'x'; len];
                line[at] = b' ';
                assert!(!has_two_spaces(&line), "one space at {at} of {len}");
                if at + 1 < len {
                    line[at + 1] = b' ';
                    assert!(has_two_spaces(&line), "two spaces at {at} of {len}");
                    line[at + 1] = b'\t';
                    assert!(!has_two_spaces(&line), "a space and a tab at {at} of {len}");
                }
            }
        }
        assert!(!has_two_spaces(b" x x x x x x x x x x x x "));
    }

    #[test]
    fn the_word_at_a_time_tests_agree_with_the_byte_tests_on_every_byte_value() {
        for c in 0..=255u8 {
            for at in 0..8 {
                // The byte alone among fillers that are no hit (ASCII and not).
                for filler in [b'a', b'/', b':', b'@', b'[', 0xFF, 0x00, 0x7F] {
                    let mut w = [filler; 8];
                    w[at] = c;
                    let expect = |hit: &dyn Fn(u8) -> bool| w.iter().position(|&x| hit(x));
                    assert_eq!(
                        next_digit(&w, 0),
                        expect(&|x| x.is_ascii_digit()),
                        "{c} at {at}"
                    );
                    assert_eq!(
                        next_upper(&w, 0),
                        expect(&|x| x.is_ascii_uppercase()),
                        "{c} at {at}"
                    );
                    assert_eq!(next_newline(&w, 0), expect(&|x| x == b'\n'), "{c} at {at}");
                    for sep in [b'|', b'^', b'~', b'\r', 0x00, 0x7F] {
                        assert_eq!(next_byte(&w, 0, sep), expect(&|x| x == sep), "{c} at {at}");
                    }
                }
            }
        }
    }
}
