//! Byte sizes as admins write them: `1MiB`, `512KiB`, `64MiB`, `1GiB`, or a plain integer.

use std::fmt;

/// A number of bytes, displayed in the largest binary unit that divides it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ByteSize(pub u64);

const UNITS: [(&str, u64); 4] = [
    ("GiB", 1 << 30),
    ("MiB", 1 << 20),
    ("KiB", 1 << 10),
    ("B", 1),
];

impl ByteSize {
    /// Parses `"<n><unit>"` with a binary unit (`B`, `KiB`, `MiB`, `GiB`) or plain digits.
    pub fn parse(text: &str) -> Option<Self> {
        let digits_end = text
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len());
        let (number, unit) = text.split_at(digits_end);
        if number.is_empty() || (number.len() > 1 && number.starts_with('0')) {
            return None;
        }
        let n: u64 = number.parse().ok()?;
        let multiplier = match unit.trim_start() {
            "" => 1,
            u => UNITS.iter().find(|(name, _)| *name == u)?.1,
        };
        n.checked_mul(multiplier).map(ByteSize)
    }
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return f.write_str("0 B");
        }
        for (name, size) in UNITS {
            if self.0.is_multiple_of(size) {
                return write!(f, "{} {name}", self.0 / size);
            }
        }
        write!(f, "{} B", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_units_and_refuse_junk() {
        assert_eq!(ByteSize::parse("1MiB"), Some(ByteSize(1 << 20)));
        assert_eq!(ByteSize::parse("512 KiB"), Some(ByteSize(512 << 10)));
        assert_eq!(ByteSize::parse("4096"), Some(ByteSize(4096)));
        assert_eq!(ByteSize::parse("1MB"), None);
        assert_eq!(ByteSize::parse("-1MiB"), None);
        assert_eq!(ByteSize::parse("01MiB"), None);
        assert_eq!(ByteSize::parse("99999999999GiB"), None);
        assert_eq!(ByteSize(1 << 20).to_string(), "1 MiB");
        assert_eq!(ByteSize(1536).to_string(), "1536 B");
    }
}
