//! Times on the API: RFC 3339 in, RFC 3339 UTC out, milliseconds since the Unix epoch inside.

use faxbot_audit::Timestamp;

/// Now, ms since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// `ms` as RFC 3339 UTC (`2026-11-24T10:00:00.000000Z`).
pub fn format_ms(ms: u64) -> String {
    Timestamp::from_unix_micros(i64::try_from(ms.saturating_mul(1000)).unwrap_or(i64::MAX))
        .to_string()
}

/// Parses RFC 3339 with `Z` or a `±HH:MM` offset (or a bare date, as UTC midnight) into ms
/// since the epoch. The error names the rule, never more than the first 40 characters.
pub fn parse_rfc3339_ms(text: &str) -> Result<u64, String> {
    let (utc_text, offset_secs) = split_offset(text)?;
    let t: Timestamp = utc_text
        .parse()
        .map_err(|e: faxbot_audit::TimestampError| e.to_string())?;
    let micros = t.unix_micros() - offset_secs * 1_000_000;
    u64::try_from(micros / 1000).map_err(|_| "time is before 1970".to_owned())
}

fn split_offset(text: &str) -> Result<(String, i64), String> {
    let b = text.as_bytes();
    if b.len() >= 25 && matches!(b[b.len() - 6], b'+' | b'-') && b[b.len() - 3] == b':' {
        let (head, offset) = text.split_at(text.len() - 6);
        let sign = if offset.starts_with('-') { -1 } else { 1 };
        let hours: i64 = offset[1..3]
            .parse()
            .map_err(|_| "bad UTC offset hours".to_owned())?;
        let minutes: i64 = offset[4..6]
            .parse()
            .map_err(|_| "bad UTC offset minutes".to_owned())?;
        if hours > 23 || minutes > 59 {
            return Err("UTC offset out of range".to_owned());
        }
        return Ok((format!("{head}Z"), sign * (hours * 3600 + minutes * 60)));
    }
    if let Some(head) = text.strip_suffix("+00:00") {
        return Ok((format!("{head}Z"), 0));
    }
    Ok((text.to_owned(), 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_folded_into_utc() {
        let utc = parse_rfc3339_ms("2030-01-01T12:00:00Z").expect("utc");
        let plus = parse_rfc3339_ms("2030-01-01T13:30:00+01:30").expect("offset");
        let minus = parse_rfc3339_ms("2030-01-01T07:00:00-05:00").expect("offset");
        assert_eq!(utc, plus);
        assert_eq!(utc, minus);
        assert!(parse_rfc3339_ms("tomorrow").is_err());
        assert!(parse_rfc3339_ms("2030-01-01T12:00:00+25:00").is_err());
        assert_eq!(format_ms(0), "1970-01-01T00:00:00.000000Z");
    }
}
