//! E.164 fax numbers.

use std::fmt;

/// A validated E.164 number: `+`, a non-zero country digit, 7 to 15 digits in all.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct E164(String);

/// Why a number is not E.164. The message never repeats the number (it is PHI).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NumberError {
    /// It does not start with `+`.
    #[error("a fax number must be E.164: it starts with `+`")]
    NoPlus,
    /// Something other than a digit follows the `+`.
    #[error("a fax number must be E.164: only digits after the `+`")]
    NotDigits,
    /// Too short or too long.
    #[error("a fax number must be E.164: 7 to 15 digits, {0} given")]
    Length(usize),
    /// Country codes never start with 0.
    #[error("a fax number must be E.164: the country code cannot start with 0")]
    LeadingZero,
}

impl E164 {
    /// Validates `text` (surrounding whitespace ignored; nothing else is normalised).
    pub fn parse(text: &str) -> Result<Self, NumberError> {
        let text = text.trim();
        let digits = text.strip_prefix('+').ok_or(NumberError::NoPlus)?;
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(NumberError::NotDigits);
        }
        if !(7..=15).contains(&digits.len()) {
            return Err(NumberError::Length(digits.len()));
        }
        if digits.starts_with('0') {
            return Err(NumberError::LeadingZero);
        }
        Ok(Self(text.to_owned()))
    }

    /// The number, `+` and digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The digits without the `+` (what SIP dial strings take).
    pub fn digits(&self) -> &str {
        &self.0[1..]
    }
}

impl fmt::Debug for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Debug output ends up in logs: never the number itself.
        write!(f, "E164(<{} digits>)", self.0.len() - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::{E164, NumberError};

    #[test]
    fn e164_numbers_are_accepted_and_others_refused_without_echoing_them() {
        assert_eq!(
            E164::parse("+15551234567").map(|n| n.digits().len()),
            Ok(11)
        );
        assert_eq!(E164::parse("15551234567"), Err(NumberError::NoPlus));
        assert_eq!(E164::parse("+1 555 123"), Err(NumberError::NotDigits));
        assert_eq!(E164::parse("+123"), Err(NumberError::Length(3)));
        assert_eq!(E164::parse("+0123456789"), Err(NumberError::LeadingZero));
        let err = E164::parse("+1555x1234567").unwrap_err().to_string();
        assert!(!err.contains("1555"), "{err}");
        assert!(!format!("{:?}", E164::parse("+15551234567")).contains("555"));
    }
}
