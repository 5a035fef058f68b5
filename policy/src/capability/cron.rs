//! Five-field cron schedules (minute hour day-of-month month day-of-week, UTC): validation,
//! and [`Schedule::next_after`], which the host's job scheduler runs them by. As in Vixie
//! cron, when both day fields are restricted a day matches if either does; day of week 0 and
//! 7 are both Sunday.

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

/// A parsed schedule: the allowed values of each field as bit sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    minutes: u64,
    hours: u32,
    days: u32,
    months: u16,
    weekdays: u8,
    days_restricted: bool,
    weekdays_restricted: bool,
}

fn bits(part: &str, lo: u32, hi: u32) -> u64 {
    let mut set = 0u64;
    for item in part.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => (r, s.parse::<u32>().unwrap_or(1).max(1)),
            None => (item, 1),
        };
        let (a, b) = if range == "*" {
            (lo, hi)
        } else if let Some((a, b)) = range.split_once('-') {
            (a.parse().unwrap_or(lo), b.parse().unwrap_or(hi))
        } else {
            let n = range.parse().unwrap_or(lo);
            // `N/S` runs from N to the end of the field, as in Vixie cron.
            (n, if item.contains('/') { hi } else { n })
        };
        let mut v = a;
        while v <= b {
            set |= 1 << v;
            v += step;
        }
    }
    set
}

const MINUTE_MS: u64 = 60_000;
const DAY_MS: u64 = 86_400_000;

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

impl Schedule {
    /// Parses a schedule; the error says which field is wrong, as [`validate`] does.
    pub fn parse(schedule: &str) -> Result<Self, String> {
        validate(schedule)?;
        let parts: Vec<&str> = schedule.split_ascii_whitespace().collect();
        let mut weekdays = bits(parts[4], 0, 7) as u8;
        if weekdays & (1 << 7) != 0 {
            weekdays = (weekdays | 1) & 0x7f;
        }
        Ok(Self {
            minutes: bits(parts[0], 0, 59),
            hours: bits(parts[1], 0, 23) as u32,
            days: bits(parts[2], 1, 31) as u32,
            months: bits(parts[3], 1, 12) as u16,
            weekdays,
            days_restricted: !parts[2].starts_with('*'),
            weekdays_restricted: !parts[4].starts_with('*'),
        })
    }

    fn day_matches(&self, day_index: i64, day_of_month: u32) -> bool {
        // 1970-01-01 was a Thursday (4).
        let weekday = (day_index + 4).rem_euclid(7) as u32;
        let by_month = self.days & (1 << day_of_month) != 0;
        let by_week = self.weekdays & (1 << weekday) != 0;
        match (self.days_restricted, self.weekdays_restricted) {
            (true, true) => by_month || by_week,
            (true, false) => by_month,
            (false, true) => by_week,
            (false, false) => true,
        }
    }

    /// The first time the schedule fires strictly after `after_ms` (ms since the epoch), on
    /// a whole minute; `None` when it never does within five years (`0 0 31 2 *`).
    pub fn next_after(&self, after_ms: u64) -> Option<u64> {
        let mut t = (after_ms / MINUTE_MS + 1) * MINUTE_MS;
        let limit = t + 5 * 366 * DAY_MS;
        while t < limit {
            let day_index = i64::try_from(t / DAY_MS).ok()?;
            let (year, month, day) = civil_from_days(day_index);
            if self.months & (1 << month) == 0 {
                let (y, m) = if month == 12 {
                    (year + 1, 1)
                } else {
                    (year, month + 1)
                };
                t = u64::try_from(days_from_civil(y, m, 1)).ok()? * DAY_MS;
                continue;
            }
            if !self.day_matches(day_index, day) {
                t = (t / DAY_MS + 1) * DAY_MS;
                continue;
            }
            let minute_of_day = (t % DAY_MS) / MINUTE_MS;
            let (hour, minute) = ((minute_of_day / 60) as u32, (minute_of_day % 60) as u32);
            if self.hours & (1 << hour) == 0 {
                t = (t / 3_600_000 + 1) * 3_600_000;
                continue;
            }
            if self.minutes & (1 << minute) == 0 {
                t += MINUTE_MS;
                continue;
            }
            return Some(t);
        }
        None
    }

    /// The last time the schedule fired at or before `now_ms` and after `since_ms`, if any:
    /// what a scheduler that was down runs once on coming back (not once per missed time).
    pub fn last_missed(&self, since_ms: u64, now_ms: u64) -> Option<u64> {
        let mut last = None;
        let mut t = since_ms;
        while let Some(next) = self.next_after(t) {
            if next > now_ms {
                break;
            }
            last = Some(next);
            t = next;
        }
        last
    }
}

#[cfg(test)]
mod tests {
    use super::{Schedule, days_from_civil, validate};

    fn at(y: i64, mo: u32, d: u32, h: u64, mi: u64) -> u64 {
        days_from_civil(y, mo, d) as u64 * 86_400_000 + h * 3_600_000 + mi * 60_000
    }

    #[test]
    fn next_after_finds_the_next_matching_minute_in_utc() {
        let daily = Schedule::parse("0 2 * * *").expect("parse");
        assert_eq!(
            daily.next_after(at(2026, 12, 5, 1, 59)),
            Some(at(2026, 12, 5, 2, 0))
        );
        assert_eq!(
            daily.next_after(at(2026, 12, 5, 2, 0)),
            Some(at(2026, 12, 6, 2, 0))
        );
        assert_eq!(
            daily.next_after(at(2026, 12, 31, 3, 0)),
            Some(at(2027, 1, 1, 2, 0))
        );
        let office = Schedule::parse("*/15 8-18 * * 1-5").expect("parse");
        // 2026-12-05 is a Saturday: the next is Monday 08:00.
        assert_eq!(
            office.next_after(at(2026, 12, 5, 12, 0)),
            Some(at(2026, 12, 7, 8, 0))
        );
        assert_eq!(
            office.next_after(at(2026, 12, 7, 8, 7)),
            Some(at(2026, 12, 7, 8, 15))
        );
        assert_eq!(
            office.next_after(at(2026, 12, 7, 18, 45)),
            Some(at(2026, 12, 8, 8, 0))
        );
        let leap = Schedule::parse("0 0 29 2 *").expect("parse");
        assert_eq!(
            leap.next_after(at(2026, 12, 5, 0, 0)),
            Some(at(2028, 2, 29, 0, 0))
        );
        assert_eq!(
            Schedule::parse("0 0 31 2 *").expect("parse").next_after(0),
            None
        );
        // Both day fields restricted: either matches (the 1st, or any Sunday; 7 is Sunday).
        let either = Schedule::parse("0 0 1 * 7").expect("parse");
        assert_eq!(
            either.next_after(at(2026, 12, 2, 0, 0)),
            Some(at(2026, 12, 6, 0, 0))
        );
        assert_eq!(
            either.next_after(at(2026, 12, 27, 0, 0)),
            Some(at(2027, 1, 1, 0, 0))
        );
    }

    #[test]
    fn a_scheduler_that_was_down_runs_the_last_missed_time_once() {
        let hourly = Schedule::parse("0 * * * *").expect("parse");
        let since = at(2026, 12, 5, 1, 0);
        assert_eq!(
            hourly.last_missed(since, at(2026, 12, 5, 5, 30)),
            Some(at(2026, 12, 5, 5, 0))
        );
        assert_eq!(hourly.last_missed(since, at(2026, 12, 5, 1, 59)), None);
    }

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
