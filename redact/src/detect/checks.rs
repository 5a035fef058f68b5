//! Check digits and number-assignment rules that tell a real identifier from a look-alike.

/// The decimal digits of `s`, ignoring separators; `None` if any other character is present.
fn digits(s: &str) -> Option<Vec<u8>> {
    s.bytes()
        .filter(|b| !matches!(b, b' ' | b'-' | b'.'))
        .map(|b| b.is_ascii_digit().then(|| b - b'0'))
        .collect()
}

/// The Luhn (mod 10) check over `digits`, the last one being the check digit.
pub fn luhn_ok(digits: &[u8]) -> bool {
    let mut sum = 0u32;
    for (i, &d) in digits.iter().rev().enumerate() {
        let mut v = u32::from(d);
        if i % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    !digits.is_empty() && sum.is_multiple_of(10)
}

/// A card-like account number: 13 to 19 digits (separators allowed) passing Luhn.
pub fn card_like(s: &str) -> bool {
    digits(s).is_some_and(|d| (13..=19).contains(&d.len()) && luhn_ok(&d))
}

/// A National Provider Identifier: 10 digits starting with 1 or 2 whose Luhn check, computed
/// with the `80840` prefix, holds.
pub fn npi_ok(s: &str) -> bool {
    let Some(d) = digits(s) else { return false };
    if d.len() != 10 || !matches!(d[0], 1 | 2) {
        return false;
    }
    let mut full = vec![8, 0, 8, 4, 0];
    full.extend_from_slice(&d);
    luhn_ok(&full)
}

/// A DEA registration number: two letters and seven digits, where the last digit equals the
/// last digit of (d1 + d3 + d5) + 2 × (d2 + d4 + d6).
pub fn dea_ok(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 9 || !b[0].is_ascii_alphabetic() || !(b[1].is_ascii_alphabetic() || b[1] == b'9')
    {
        return false;
    }
    let Some(d) = digits(&s[2..]) else {
        return false;
    };
    if d.len() != 7 {
        return false;
    }
    let sum = u32::from(d[0] + d[2] + d[4]) + 2 * u32::from(d[1] + d[3] + d[5]);
    sum % 10 == u32::from(d[6])
}

/// A Social Security number that follows the SSA's assignment rules: area not 000, 666 or
/// 900–999; group not 00; serial not 0000.
pub fn ssn_ok(s: &str) -> bool {
    let Some(d) = digits(s) else { return false };
    if d.len() != 9 {
        return false;
    }
    let area = u32::from(d[0]) * 100 + u32::from(d[1]) * 10 + u32::from(d[2]);
    let group = d[3] * 10 + d[4];
    let serial = d[5..].iter().any(|&x| x != 0);
    area != 0 && area != 666 && area < 900 && group != 0 && serial
}

/// A North American number plan telephone number: 10 digits, area code and exchange not
/// starting with 0 or 1.
pub fn nanp_ok(d: &[u8]) -> bool {
    d.len() == 10 && d[0] >= 2 && d[3] >= 2
}

/// A 17-character vehicle identification number whose check digit (position 9) holds.
pub fn vin_ok(s: &str) -> bool {
    const WEIGHTS: [u32; 17] = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];
    let b = s.as_bytes();
    if b.len() != 17 {
        return false;
    }
    let mut sum = 0;
    for (i, &c) in b.iter().enumerate() {
        let v = match c.to_ascii_uppercase() {
            c @ b'0'..=b'9' => u32::from(c - b'0'),
            b'A' | b'J' => 1,
            b'B' | b'K' | b'S' => 2,
            b'C' | b'L' | b'T' => 3,
            b'D' | b'M' | b'U' => 4,
            b'E' | b'N' | b'V' => 5,
            b'F' | b'W' => 6,
            b'G' | b'P' | b'X' => 7,
            b'H' | b'Y' => 8,
            b'R' | b'Z' => 9,
            _ => return false,
        };
        sum += v * WEIGHTS[i];
    }
    let check = match sum % 11 {
        10 => b'X',
        n => b'0' + n as u8,
    };
    b[8].to_ascii_uppercase() == check
}

/// Month 1–12 and day 1–31 (the calendar is not checked further: a near-date is still
/// redacted).
pub fn month_day_ok(month: u32, day: u32) -> bool {
    (1..=12).contains(&month) && (1..=31).contains(&day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_accepts_a_test_card_and_rejects_a_changed_digit() {
        assert!(card_like("4111 1111 1111 1111"));
        assert!(!card_like("4111 1111 1111 1112"));
        assert!(!card_like("4111"));
    }

    #[test]
    fn npi_check_digit_uses_the_80840_prefix() {
        // The CMS worked example: 123456789 has check digit 3.
        assert!(npi_ok("1234567893"));
        assert!(!npi_ok("1234567890"));
        assert!(!npi_ok("3234567893"));
    }

    #[test]
    fn dea_checksum_holds_for_a_valid_number_only() {
        // 1+3+5 + 2*(2+4+6) = 33 -> check digit 3.
        assert!(dea_ok("AB1234563"));
        assert!(!dea_ok("AB1234564"));
        assert!(!dea_ok("A11234563"));
    }

    #[test]
    fn ssn_assignment_rules_reject_impossible_numbers() {
        assert!(ssn_ok("123-45-6789"));
        for bad in [
            "000-12-3456",
            "666-12-3456",
            "912-12-3456",
            "123-00-4567",
            "123-45-0000",
        ] {
            assert!(!ssn_ok(bad), "{bad}");
        }
    }

    #[test]
    fn vin_check_digit_is_verified() {
        assert!(vin_ok("1M8GDM9AXKP042788"));
        assert!(!vin_ok("1M8GDM9A1KP042788"));
    }
}
