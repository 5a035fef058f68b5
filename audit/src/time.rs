//! Record times: microseconds since the Unix epoch, written and read as RFC 3339 UTC
//! (`2026-11-24T22:36:08.123456Z`). No calendar crate: the conversion is the civil-from-days
//! algorithm, exact for the proleptic Gregorian calendar.

use std::fmt;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

/// A point in time with microsecond resolution, UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    micros: i64,
}

/// A timestamp string that is not RFC 3339 UTC in the accepted forms.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "time {input:?}: {rule} (expected YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ or \
     YYYY-MM-DDTHH:MM:SS.ffffffZ)"
)]
pub struct TimestampError {
    input: String,
    rule: &'static str,
}

impl Timestamp {
    /// The current time from the system clock (a clock before 1970 reads as the epoch).
    pub fn now() -> Self {
        let micros = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        Self { micros }
    }

    /// From microseconds since the Unix epoch.
    pub fn from_unix_micros(micros: i64) -> Self {
        Self { micros }
    }

    /// Microseconds since the Unix epoch.
    pub fn unix_micros(self) -> i64 {
        self.micros
    }
}

/// Days since 1970-01-01 to (year, month, day). Hinnant's `civil_from_days`.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// (year, month, day) to days since 1970-01-01. Hinnant's `days_from_civil`.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.micros.div_euclid(1_000_000);
        let frac = self.micros.rem_euclid(1_000_000);
        let days = secs.div_euclid(86_400);
        let sod = secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{frac:06}Z",
            sod / 3600,
            (sod / 60) % 60,
            sod % 60
        )
    }
}

impl FromStr for Timestamp {
    type Err = TimestampError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let fail = |rule| TimestampError {
            input: input.chars().take(40).collect(),
            rule,
        };
        let b = input.as_bytes();
        let digits = |range: std::ops::Range<usize>| -> Result<i64, TimestampError> {
            let part = b.get(range).ok_or_else(|| fail("too short"))?;
            if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
                return Err(fail("expected digits"));
            }
            Ok(part
                .iter()
                .fold(0i64, |acc, c| acc * 10 + i64::from(c - b'0')))
        };
        let sep = |at: usize, want: u8, rule| {
            if b.get(at) == Some(&want) {
                Ok(())
            } else {
                Err(fail(rule))
            }
        };
        let year = digits(0..4)?;
        sep(4, b'-', "expected '-' after the year")?;
        let month = digits(5..7)? as u32;
        sep(7, b'-', "expected '-' after the month")?;
        let day = digits(8..10)? as u32;
        if !(1..=12).contains(&month) {
            return Err(fail("month out of range"));
        }
        if day == 0 || day > days_in_month(year, month) {
            return Err(fail("day out of range for the month"));
        }
        let mut micros = days_from_civil(year, month, day) * 86_400 * 1_000_000;
        if b.len() == 10 {
            return Ok(Self { micros });
        }
        sep(10, b'T', "expected 'T' between date and time")?;
        let hour = digits(11..13)?;
        sep(13, b':', "expected ':' after the hour")?;
        let minute = digits(14..16)?;
        sep(16, b':', "expected ':' after the minutes")?;
        let second = digits(17..19)?;
        if hour > 23 || minute > 59 || second > 59 {
            return Err(fail("time of day out of range"));
        }
        micros += (hour * 3600 + minute * 60 + second) * 1_000_000;
        let mut at = 19;
        if b.get(at) == Some(&b'.') {
            let start = at + 1;
            let mut end = start;
            while b.get(end).is_some_and(u8::is_ascii_digit) {
                end += 1;
            }
            if end == start || end - start > 9 {
                return Err(fail("fraction must have 1 to 9 digits"));
            }
            let mut frac = digits(start..end.min(start + 6))?;
            for _ in (end - start)..6 {
                frac *= 10;
            }
            micros += frac;
            at = end;
        }
        sep(at, b'Z', "time must be UTC and end in 'Z'")?;
        if at + 1 != b.len() {
            return Err(fail("unexpected characters after 'Z'"));
        }
        Ok(Self { micros })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip_through_rfc3339() {
        for micros in [
            0,
            1,
            951_782_400_000_000,   // 2000-02-29
            1_795_559_768_123_456, // 2026-11-24
            4_107_542_399_999_999, // 2100-02-28T23:59:59.999999
        ] {
            let t = Timestamp::from_unix_micros(micros);
            let text = t.to_string();
            assert_eq!(text.parse::<Timestamp>(), Ok(t), "{text}");
        }
        assert_eq!(
            Timestamp::from_unix_micros(951_782_400_000_000).to_string(),
            "2000-02-29T00:00:00.000000Z"
        );
    }

    #[test]
    fn dates_and_short_forms_parse() {
        let day: Timestamp = "2026-11-24".parse().expect("date");
        let midnight: Timestamp = "2026-11-24T00:00:00Z".parse().expect("time");
        assert_eq!(day, midnight);
        let ms: Timestamp = "2026-11-24T00:00:00.5Z".parse().expect("fraction");
        assert_eq!(ms.unix_micros() - day.unix_micros(), 500_000);
    }

    #[test]
    fn malformed_times_are_rejected_with_the_rule() {
        for bad in [
            "2026-13-01",
            "2026-02-30",
            "2026-11-24T25:00:00Z",
            "2026-11-24T10:00:00",
            "2026-11-24T10:00:00+01:00",
            "yesterday",
            "",
        ] {
            assert!(bad.parse::<Timestamp>().is_err(), "{bad:?} should fail");
        }
    }
}
