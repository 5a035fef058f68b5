//! Validation of five-field cron schedules (minute hour day-of-month month day-of-week, UTC).
//! The host's scheduler interprets them; here a schedule is only checked to be well formed.

const FIELDS: [(&str, u32, u32); 5] = [
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day of month", 1, 31),
    ("month", 1, 12),
    ("day of week", 0, 7),
];

/// Checks a schedule such as `0 2 * * *` or `*/15 8-18 * * 1-5`.
pub fn validate(schedule: &str) -> Result<(), String> {
    let parts: Vec<&str> = schedule.split_ascii_whitespace().collect();
    if parts.len() != 5 {
        return Err(format!(
            "`{schedule}` must have 5 fields (minute hour day-of-month month day-of-week), found {}",
            parts.len()
        ));
    }
    for (part, (name, lo, hi)) in parts.iter().zip(FIELDS) {
        for item in part.split(',') {
            validate_item(item, lo, hi)
                .map_err(|why| format!("`{schedule}`: {name} field `{part}` {why}"))?;
        }
    }
    Ok(())
}

fn number(text: &str, lo: u32, hi: u32) -> Result<u32, String> {
    if text.is_empty() || text.len() > 2 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("has `{text}`, which is not a number"));
    }
    let n: u32 = text
        .parse()
        .map_err(|_| format!("has `{text}`, which is not a number"))?;
    if n < lo || n > hi {
        return Err(format!("has {n}, outside {lo}-{hi}"));
    }
    Ok(n)
}

fn validate_item(item: &str, lo: u32, hi: u32) -> Result<(), String> {
    let (range, step) = match item.split_once('/') {
        Some((r, s)) => (r, Some(s)),
        None => (item, None),
    };
    if let Some(step) = step {
        let n = number(step, 1, hi.max(1))?;
        if n == 0 {
            return Err("has a step of 0".into());
        }
    }
    if range == "*" {
        return Ok(());
    }
    match range.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (number(a, lo, hi)?, number(b, lo, hi)?);
            if a > b {
                return Err(format!("has the backwards range {a}-{b}"));
            }
            Ok(())
        }
        None => number(range, lo, hi).map(|_| ()),
    }
}

#[cfg(test)]
mod tests {
    use super::validate;

    #[test]
    fn well_formed_schedules_pass_and_broken_ones_say_which_field() {
        assert!(validate("0 2 * * *").is_ok());
        assert!(validate("*/15 8-18 * * 1-5").is_ok());
        assert!(validate("0,30 * 1 1,6 0").is_ok());
        assert!(validate("0 2 * *").is_err());
        let e = validate("60 2 * * *").unwrap_err();
        assert!(e.contains("minute"), "{e}");
        assert!(validate("0 2 * * 8").is_err());
        assert!(validate("*/0 * * * *").is_err());
        assert!(validate("5-1 * * * *").is_err());
        assert!(validate("@daily").is_err());
    }
}
