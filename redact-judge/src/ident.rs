//! Identifiers in the many forms a fax carries them. Each function writes one identifier into
//! a [`Builder`] (with its label) and returns nothing a caller must check; generated numbers
//! are drawn until the corpus's split owns them, so that the two splits share no value.

use faxbot_redact::PhiKind;

use crate::doc::Builder;
use crate::pools::Pools;
use crate::rng::Rng;

/// The generator's state: its random stream and the split's lists.
#[derive(Debug)]
pub struct Gen<'p> {
    /// The random stream.
    pub rng: Rng,
    /// The split's value lists.
    pub pools: &'p Pools,
}

/// A calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date {
    /// Year.
    pub y: u32,
    /// Month, 1–12.
    pub m: u32,
    /// Day, 1–31.
    pub d: u32,
}

/// A person, with the parts of a name a document may show.
#[derive(Debug, Clone)]
pub struct Person {
    /// Given name.
    pub given: String,
    /// Middle name, if any.
    pub middle: Option<String>,
    /// Family name (may carry a particle, a hyphen or an apostrophe).
    pub family: String,
    /// `M` or `F`.
    pub sex: char,
    /// Date of birth.
    pub dob: Date,
    /// Whether the name is in Latin letters.
    pub latin: bool,
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const PARTICLES: &[&str] = &[
    "van", "van der", "van den", "de", "de la", "del", "da", "dos", "von", "bin", "ibn", "Al-",
    "al-", "El-", "O'", "Mc", "Mac", "ben", "ter", "du", "di", "Le", "St.", "Abu", "D'",
];
const SUFFIXES: &[&str] = &["Jr.", "Sr.", "II", "III", "IV", "Jr"];
const TLDS: &[&str] = &["com", "net", "org", "us", "info", "me", "co", "io"];
const MAIL_HOSTS: &[&str] = &[
    "gmail.com",
    "yahoo.com",
    "outlook.com",
    "hotmail.com",
    "aol.com",
    "icloud.com",
    "comcast.net",
    "verizon.net",
    "att.net",
    "protonmail.com",
    "msn.com",
    "live.com",
    "me.com",
    "gmx.com",
    "mail.com",
    "sbcglobal.net",
    "charter.net",
    "cox.net",
    "earthlink.net",
    "ymail.com",
];
const ONES: [&str; 10] = [
    "", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
];

/// ASCII letters of `s` only, lower-cased (for e-mail and URL local parts).
fn ascii_slug(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn initial(s: &str) -> String {
    s.chars()
        .find(|c| c.is_alphabetic())
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default()
}

fn days_in(y: u32, m: u32) -> u32 {
    match m {
        2 if (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Day of week, 0 = Monday (Sakamoto's method).
fn weekday(d: Date) -> usize {
    const T: [u32; 12] = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4];
    let y = if d.m < 3 { d.y - 1 } else { d.y };
    let w = (y + y / 4 - y / 100 + y / 400 + T[(d.m - 1) as usize] + d.d) % 7; // 0 = Sunday
    ((w + 6) % 7) as usize
}

fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

impl Date {
    /// `yyyymmdd`: the calendar day, as the split rule sees it.
    pub fn key(self) -> String {
        format!("date:{}{:02}{:02}", self.y, self.m, self.d)
    }

    /// Days after this date (month lengths respected; `n` ≤ 60).
    pub fn plus(self, n: u32) -> Date {
        let mut d = self;
        for _ in 0..n {
            d.d += 1;
            if d.d > days_in(d.y, d.m) {
                d.d = 1;
                d.m += 1;
                if d.m > 12 {
                    d.m = 1;
                    d.y += 1;
                }
            }
        }
        d
    }
}

impl<'p> Gen<'p> {
    /// A generator over `pools`.
    pub fn new(rng: Rng, pools: &'p Pools) -> Gen<'p> {
        Gen { rng, pools }
    }

    /// Draws values with `make` until the split owns one (disjoint splits for generated values).
    pub fn own(&mut self, mut make: impl FnMut(&mut Rng) -> String) -> String {
        let mut v = make(&mut self.rng);
        for _ in 0..64 {
            if self.pools.split.owns(&v) {
                break;
            }
            v = make(&mut self.rng);
        }
        v
    }

    /// A cue word from the split's half of `choices`.
    pub fn cue(&mut self, choices: &[&'static str]) -> &'static str {
        self.pools.cue(&mut self.rng, choices)
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.rng.chance(p)
    }

    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        self.rng.pick(items)
    }

    /// A date in the years `lo..=hi`.
    pub fn date(&mut self, lo: u32, hi: u32) -> Date {
        loop {
            let y = self.rng.range(u64::from(lo), u64::from(hi)) as u32;
            let m = self.rng.range(1, 12) as u32;
            let d = self.rng.range(1, u64::from(days_in(y, m))) as u32;
            let date = Date { y, m, d };
            if self.pools.split.owns(&date.key()) {
                return date;
            }
        }
    }

    /// A person of some origin.
    pub fn person(&mut self) -> Person {
        let origin = self.pools.origin(&mut self.rng).clone();
        let given = (*self.rng.pick(&origin.given)).to_owned();
        let mut family = (*self.rng.pick(&origin.family)).to_owned();
        let middle = if self.rng.chance(0.35) {
            Some((*self.rng.pick(&origin.given)).to_owned())
        } else {
            None
        };
        if origin.latin {
            let r = self.rng.below(100);
            if r < 8 {
                let second = self.rng.pick(&origin.family);
                family = format!("{family}-{second}");
            } else if r < 15 {
                let p = self.cue(PARTICLES);
                let stem = self.rng.pick(&origin.family);
                family = if p.ends_with(['\'', '-']) || p == "Mc" || p == "Mac" {
                    format!("{p}{stem}")
                } else {
                    format!("{p} {stem}")
                };
            }
        }
        let sex = if self.rng.chance(0.5) { 'F' } else { 'M' };
        let dob = self.date(1926, 2022);
        Person {
            given,
            middle,
            family,
            sex,
            dob,
            latin: origin.latin,
        }
    }

    /// Writes `p`'s name in a form chosen at random; returns the form.
    pub fn name(&mut self, b: &mut Builder, p: &Person) -> &'static str {
        const FORMS: &[&str] = &[
            "given_family",
            "given_family",
            "given_family",
            "given_middle_family",
            "given_initial_family",
            "family_comma_given",
            "family_comma_given",
            "family_comma_given_caps",
            "caps",
            "initial_family",
            "initials_family",
            "family_given",
            "given_family_suffix",
            "lower",
            "family_comma_given_initial",
            "given_family_caps",
            "nickname",
            "baby",
        ];
        let form = *self.pick(FORMS);
        self.name_as(b, p, form);
        form
    }

    /// Writes `p`'s name in `form`.
    pub fn name_as(&mut self, b: &mut Builder, p: &Person, form: &str) {
        if form == "baby" {
            // a newborn before naming: only the family name identifies
            b.t(self.cue(&["Baby Boy ", "Baby Girl ", "BB ", "BG ", "Infant "]));
            b.phi(PhiKind::Name, form, &p.family);
            return;
        }
        let mid = p.middle.clone().unwrap_or_else(|| p.given.clone());
        let v = match form {
            "given_middle_family" => format!("{} {} {}", p.given, mid, p.family),
            "given_initial_family" => format!("{} {}. {}", p.given, initial(&mid), p.family),
            "family_comma_given" => format!("{}, {}", p.family, p.given),
            "family_comma_given_initial" => format!("{}, {} {}.", p.family, p.given, initial(&mid)),
            "family_comma_given_caps" => format!("{}, {}", p.family, p.given).to_uppercase(),
            "caps" => format!("{} {}", p.given, p.family).to_uppercase(),
            "initial_family" => format!("{}. {}", initial(&p.given), p.family),
            "initials_family" => format!("{}.{}. {}", initial(&p.given), initial(&mid), p.family),
            "family_given" => format!("{} {}", p.family, p.given),
            "given_family_caps" => format!("{} {}", p.given, p.family.to_uppercase()),
            "nickname" => {
                // a middle name used as a call name, or the first syllable of the given name
                let nick = match &p.middle {
                    Some(m) => m.clone(),
                    None => p.given.chars().take(4).collect(),
                };
                format!("{} '{nick}' {}", p.given, p.family)
            }
            "given_family_suffix" => {
                let s = *self.pick(SUFFIXES);
                format!("{} {} {s}", p.given, p.family)
            }
            "lower" => format!("{} {}", p.given, p.family).to_lowercase(),
            "family" => p.family.clone(),
            "family_caps" => p.family.to_uppercase(),
            "given" => p.given.clone(),
            "hl7" => {
                let mut v = format!("{}^{}", p.family, p.given).to_uppercase();
                if let Some(m) = &p.middle {
                    v.push('^');
                    v.push_str(&m.to_uppercase());
                }
                v
            }
            "initials" => format!("{}.{}.", initial(&p.given), initial(&p.family)),
            _ => format!("{} {}", p.given, p.family),
        };
        b.phi(PhiKind::Name, form, &v);
    }

    /// A clinician: `Dr. Family`, `Given Family, MD`, `FAMILY, GIVEN MD`…
    pub fn clinician(&mut self, b: &mut Builder) {
        let p = self.person();
        let cred = *self.pick(&[
            "MD", "DO", "NP", "PA-C", "RN", "MD, PhD", "FNP-BC", "PharmD", "DPM",
        ]);
        match self.rng.below(6) {
            0 => {
                b.t("Dr. ");
                self.name_as(b, &p, "family");
            }
            1 => {
                b.t("Dr. ");
                self.name_as(b, &p, "given_family");
            }
            2 => {
                self.name_as(b, &p, "family_comma_given_caps");
                b.t(" ").t(cred);
            }
            3 => {
                self.name_as(b, &p, "initial_family");
                b.t(", ").t(cred);
            }
            _ => {
                self.name(b, &p);
                b.t(", ").t(cred);
            }
        }
    }

    /// Writes `d` in a form chosen at random (never a year alone); returns the form.
    pub fn date_any(&mut self, b: &mut Builder, d: Date) -> &'static str {
        const FORMS: &[&str] = &[
            "mdy_slash",
            "mdy_slash",
            "mdy_slash",
            "m_d_yy",
            "mdy_dash",
            "dmy_dot",
            "iso",
            "written",
            "written_abbr",
            "written_abbr_dot",
            "dmy_written",
            "dd_mon_yyyy",
            "d_mon_yy",
            "ordinal",
            "month_day",
            "m_d",
            "weekday_written",
            "mdy_spaced",
            "yyyymmdd",
            "mdy_slash_yy0",
            "month_year",
            "mm_yyyy",
            "mdyyyy_compact",
            "ordinal_of",
            "ymd_slash",
            "dmy_slash",
            "mon_dd_yyyy_dash",
            "mdy_dot_yy",
            "written_caps",
            "written_no_comma",
            "mdy_spaced_slash",
            "d_month",
            "dmy_dash_yy",
            "iso_nopad",
            "m_d_yy_dash",
        ];
        let form = *self.pick(FORMS);
        self.date_as(b, d, form);
        form
    }

    /// The text of `d` in `form`.
    pub fn date_text(&mut self, d: Date, form: &str) -> String {
        let mon = MONTHS[(d.m - 1) as usize];
        let abbr = &mon[..3];
        let yy = d.y % 100;
        match form {
            "m_d_yy" => format!("{}/{}/{:02}", d.m, d.d, yy),
            "mdy_slash_yy0" => format!("{:02}/{:02}/{:02}", d.m, d.d, yy),
            "mdy_dash" => format!("{:02}-{:02}-{}", d.m, d.d, d.y),
            "dmy_dot" => format!("{:02}.{:02}.{}", d.d, d.m, d.y),
            "iso" => format!("{}-{:02}-{:02}", d.y, d.m, d.d),
            "written" => format!("{mon} {}, {}", d.d, d.y),
            "written_abbr" => format!("{abbr} {}, {}", d.d, d.y),
            "written_abbr_dot" => format!("{abbr}. {} {}", d.d, d.y),
            "dmy_written" => format!("{} {mon} {}", d.d, d.y),
            "dd_mon_yyyy" => format!("{:02}-{}-{}", d.d, abbr.to_uppercase(), d.y),
            "d_mon_yy" => format!("{}-{abbr}-{:02}", d.d, yy),
            "ordinal" => format!("{mon} {}, {}", ordinal(d.d), d.y),
            "ordinal_of" => format!("{} of {mon} {}", ordinal(d.d), d.y),
            "month_day" => format!("{mon} {}", d.d),
            "m_d" => format!("{}/{}", d.m, d.d),
            "weekday_written" => format!("{}, {mon} {}, {}", WEEKDAYS[weekday(d)], d.d, d.y),
            "mdy_spaced" => format!("{:02} {:02} {}", d.m, d.d, d.y),
            "yyyymmdd" | "hl7_ts" => format!("{}{:02}{:02}", d.y, d.m, d.d),
            "hl7_ts_time" => format!(
                "{}{:02}{:02}{:02}{:02}",
                d.y,
                d.m,
                d.d,
                self.rng.below(24),
                self.rng.below(60)
            ),
            "month_year" => format!("{mon} {}", d.y),
            "mm_yyyy" => format!("{:02}/{}", d.m, d.y),
            "mdyyyy_compact" => format!("{:02}{:02}{}", d.m, d.d, d.y),
            "ymd_slash" => format!("{}/{:02}/{:02}", d.y, d.m, d.d),
            "dmy_slash" => format!("{:02}/{:02}/{}", d.d, d.m, d.y),
            "mon_dd_yyyy_dash" => format!("{abbr}-{:02}-{}", d.d, d.y),
            "mdy_dot_yy" => format!("{:02}.{:02}.{:02}", d.m, d.d, yy),
            "written_caps" => format!("{} {}, {}", mon.to_uppercase(), d.d, d.y),
            "written_no_comma" => format!("{mon} {} {}", d.d, d.y),
            "mdy_spaced_slash" => format!("{:02} / {:02} / {}", d.m, d.d, d.y),
            "d_month" => format!("{} {mon}", d.d),
            "dmy_dash_yy" => format!("{:02}-{:02}-{:02}", d.d, d.m, yy),
            "iso_nopad" => format!("{}-{}-{}", d.y, d.m, d.d),
            "m_d_yy_dash" => format!("{}-{}-{:02}", d.m, d.d, yy),
            _ => format!("{:02}/{:02}/{}", d.m, d.d, d.y),
        }
    }

    /// Writes `d` in `form`.
    pub fn date_as(&mut self, b: &mut Builder, d: Date, form: &str) {
        let v = self.own_date(d, form);
        b.phi(PhiKind::Date, form, &v);
    }

    /// The text of `d` in `form`, moved forward until the split owns it. A date belongs to a
    /// split as a calendar day (so one person's birth date stays the same in every form); forms
    /// that drop the day or the century, or put the day first, must also be owned as written,
    /// since they could read as another split's date.
    fn own_date(&mut self, d: Date, form: &str) -> String {
        const AS_WRITTEN_TOO: &[&str] = &[
            "month_year",
            "mm_yyyy",
            "month_day",
            "m_d",
            "d_month",
            "m_d_yy",
            "mdy_slash_yy0",
            "d_mon_yy",
            "mdy_dot_yy",
            "dmy_dash_yy",
            "hl7_ts_time",
            "m_d_yy_dash",
        ];
        // day-first numeric forms read as another date month-first: both days must be owned
        const DAY_FIRST: &[&str] = &["dmy_dot", "dmy_slash", "dmy_dash_yy"];
        let split = self.pools.split;
        let check_text = AS_WRITTEN_TOO.contains(&form);
        let day_first = DAY_FIRST.contains(&form);
        let mut cur = d;
        let mut v = self.date_text(cur, form);
        // a form without a day (March 2021) changes only once a month: walk up to two years
        for _ in 0..800 {
            let swapped = Date {
                y: cur.y,
                m: cur.d,
                d: cur.m,
            };
            if split.owns(&cur.key())
                && (!check_text || split.owns(&v))
                && (!day_first || cur.d > 12 || split.owns(&swapped.key()))
            {
                break;
            }
            cur = cur.plus(1);
            v = self.date_text(cur, form);
        }
        v
    }

    /// A date range: `03/04/2021 - 03/09/2021`, `from 3/4/21 to 3/9/21`, `March 4-9, 2021`.
    pub fn date_range(&mut self, b: &mut Builder, from: Date) {
        let to = from.plus(1 + self.rng.below(20) as u32);
        match self.rng.below(4) {
            0 => {
                self.date_as(b, from, "mdy_slash");
                b.t(self.cue(&[" - ", "-", " to ", " thru ", " – "]));
                self.date_as(b, to, "mdy_slash");
            }
            1 => {
                b.t("from ");
                self.date_as(b, from, "m_d_yy");
                b.t(" to ");
                self.date_as(b, to, "m_d_yy");
            }
            2 if from.m == to.m => {
                let v = self.own(|r| {
                    let _ = r;
                    format!(
                        "{} {}-{}, {}",
                        MONTHS[(from.m - 1) as usize],
                        from.d,
                        to.d,
                        from.y
                    )
                });
                b.phi(PhiKind::Date, "written_day_range", &v);
            }
            _ => {
                self.date_as(b, from, "m_d");
                b.t("–");
                self.date_as(b, to, "mdy_slash");
            }
        }
    }

    /// An age over 89 in one of many phrasings; only the number is labelled.
    pub fn age_over_89(&mut self, b: &mut Builder, sex: char) {
        let age: u32 = self
            .own(|r| r.range(90, 108).to_string())
            .parse()
            .unwrap_or(90);
        let words = age_words(age);
        let (noun, pron) = if sex == 'F' {
            ("woman", "She")
        } else {
            ("man", "He")
        };
        match self.rng.below(18) {
            14 => {
                b.t("Age/Sex: ");
                b.phi(PhiKind::Age, "age_sex_slash", &age.to_string());
                b.t(&format!("/{sex}"));
            }
            15 => {
                b.phi(PhiKind::Age, "n_sex_glued", &age.to_string());
                b.t(&format!("{sex} "));
            }
            16 => {
                b.t("(age ");
                b.phi(PhiKind::Age, "paren_age_n", &age.to_string());
                b.t(")");
            }
            17 => {
                b.t("a ");
                b.phi(PhiKind::Age, "n_yr_old_dashed", &age.to_string());
                b.t(&format!("-yr-old {noun}"));
            }
            0 => {
                b.t("a ");
                b.phi(PhiKind::Age, "n_year_old", &age.to_string());
                b.t(&format!("-year-old {noun}"));
            }
            1 => {
                b.phi(PhiKind::Age, "n_yo", &age.to_string());
                b.t(&format!(" y/o {sex}"));
            }
            2 => {
                b.t("Age: ");
                b.phi(PhiKind::Age, "cue_age", &age.to_string());
            }
            3 => {
                b.t(&format!("{pron} is "));
                b.phi(PhiKind::Age, "n_years_old", &age.to_string());
                b.t(" years old");
            }
            4 => {
                b.t("aged ");
                b.phi(PhiKind::Age, "aged_n", &age.to_string());
            }
            5 => {
                b.phi(PhiKind::Age, "n_yo_glued", &age.to_string());
                b.t(&format!("yo{sex}"));
            }
            6 => {
                b.t("a ");
                b.phi(PhiKind::Age, "words_year_old", &words);
                b.t(&format!("-year-old {noun}"));
            }
            7 => {
                b.phi(PhiKind::Age, "words_years_of_age", &words);
                b.t(" years of age");
            }
            8 => {
                b.t("AGE ");
                b.phi(PhiKind::Age, "cue_age_caps", &age.to_string());
                b.t(" YRS");
            }
            9 => {
                b.phi(PhiKind::Age, "n_yr_old", &age.to_string());
                b.t(" yr old");
            }
            10 => {
                b.t("(");
                b.phi(PhiKind::Age, "paren_n_sex", &age.to_string());
                b.t(&format!(" {sex})"));
            }
            11 => {
                b.t(&format!("{pron} turned "));
                b.phi(PhiKind::Age, "turned_n", &age.to_string());
                b.t(" last month");
            }
            12 => {
                b.phi(PhiKind::Age, "n_y_o_dotted", &age.to_string());
                b.t(" y.o.");
            }
            _ => {
                b.t("age ");
                b.phi(PhiKind::Age, "age_n_lower", &age.to_string());
            }
        }
    }

    /// A NANP number as digits (area, exchange, line), valid shape.
    fn nanp(r: &mut Rng) -> (String, String, String) {
        let area = format!("{}{}", r.range(2, 9), r.digits(2));
        let area = if &area[1..] == "11" {
            format!("{}12", &area[..1])
        } else {
            area
        };
        let exch = format!("{}{}", r.range(2, 9), r.digits(2));
        let exch = if &exch[1..] == "11" {
            format!("{}12", &exch[..1])
        } else {
            exch
        };
        (area, exch, r.digits(4))
    }

    /// The text of a phone or fax number in some format.
    pub fn phone_text(&mut self) -> (String, &'static str) {
        let intl = self.chance(0.12);
        let form_n = self.rng.below(if intl { 7 } else { 16 });
        let mut form = "";
        let v = self.own(|r| {
            if intl {
                let (v, f) = match form_n {
                    0 => (format!("+44 20 {} {}", r.digits(4), r.digits(4)), "intl_uk"),
                    1 => (
                        format!("+49 {} {}", r.range(30, 89), r.digits(7)),
                        "intl_de",
                    ),
                    2 => (
                        format!(
                            "+33 {} {} {} {} {}",
                            r.range(1, 9),
                            r.digits(2),
                            r.digits(2),
                            r.digits(2),
                            r.digits(2)
                        ),
                        "intl_fr",
                    ),
                    3 => (
                        format!("+91 {}{} {}", r.range(6, 9), r.digits(4), r.digits(5)),
                        "intl_in",
                    ),
                    4 => (format!("+52 55 {} {}", r.digits(4), r.digits(4)), "intl_mx"),
                    5 => (
                        format!("011 44 161 {} {}", r.digits(3), r.digits(4)),
                        "intl_011",
                    ),
                    _ => (
                        format!(
                            "+234 {}{} {} {}",
                            r.range(7, 9),
                            r.digits(2),
                            r.digits(3),
                            r.digits(4)
                        ),
                        "intl_ng",
                    ),
                };
                form = f;
                return v;
            }
            let (a, e, l) = Self::nanp(r);
            let (v, f) = match form_n {
                0 => (format!("({a}) {e}-{l}"), "paren"),
                1 => (format!("{a}-{e}-{l}"), "dash"),
                2 => (format!("{a}.{e}.{l}"), "dot"),
                3 => (format!("{a} {e} {l}"), "space"),
                4 => (format!("{a}{e}{l}"), "digits"),
                5 => (format!("+1 {a} {e} {l}"), "plus1_space"),
                6 => (format!("1-{a}-{e}-{l}"), "one_dash"),
                7 => (format!("+1 ({a}) {e}-{l}"), "plus1_paren"),
                8 => (format!("({a}) {e}-{l} ext. {}", r.digits(3)), "ext"),
                9 => (format!("{a}-{e}-{l} x{}", r.digits(4)), "x_ext"),
                10 => (format!("{a}/{e}-{l}"), "slash"),
                11 => (format!("({a}){e}-{l}"), "paren_tight"),
                12 => (format!("+1-{a}-{e}-{l}"), "plus1_dash"),
                13 => (format!("+1.{a}.{e}.{l}"), "plus1_dot"),
                14 => (format!("({a})-{e}-{l}"), "paren_dash"),
                _ => (format!("{a} {e}-{l}"), "space_dash"),
            };
            form = f;
            v
        });
        (v, form)
    }

    /// A phone number.
    pub fn phone(&mut self, b: &mut Builder) {
        let (v, form) = self.phone_text();
        b.phi(PhiKind::Phone, form, &v);
    }

    /// A fax number.
    pub fn fax(&mut self, b: &mut Builder) {
        let (v, form) = self.phone_text();
        b.phi(PhiKind::Fax, form, &v);
    }

    /// An SSN: `123-45-6789`, `123 45 6789` or nine digits.
    pub fn ssn(&mut self, b: &mut Builder) {
        let f = self.rng.below(4);
        let v = self.own(|r| {
            let mut area = r.range(1, 899);
            if area == 666 {
                area = 667;
            }
            let group = r.range(1, 99);
            let serial = r.range(1, 9999);
            match f {
                0 | 1 => format!("{area:03}-{group:02}-{serial:04}"),
                2 => format!("{area:03} {group:02} {serial:04}"),
                _ => format!("{area:03}{group:02}{serial:04}"),
            }
        });
        b.phi(PhiKind::Ssn, ["dash", "dash", "space", "digits"][f], &v);
    }

    /// A medical record number in one of many issuers' shapes.
    pub fn mrn_text(&mut self) -> (String, &'static str) {
        let f = self.rng.below(10);
        let v = self.own(|r| match f {
            0 => r.digits(8),
            1 => format!("{}{}", r.letters(1), r.digits(7)),
            2 => format!("{}-{}", r.range(2010, 2025), r.digits(6)),
            3 => format!("{}-{}-{}", r.digits(4), r.digits(4), r.digits(1)),
            4 => format!("{}{}", r.letters(2), r.digits(7)),
            5 => format!("{}{}", "00", r.digits(7)),
            6 => format!("{}-{}-{}", r.letters(2), r.digits(5), r.letters(1)),
            7 => format!("{}{}{}", r.letters(1), r.digits(3), r.letters(3)),
            8 => r.digits(10),
            _ => format!(
                "{}{}{}{}",
                r.digits(2),
                r.letters(1),
                r.digits(5),
                r.letters(1)
            ),
        });
        let form = [
            "digits8",
            "letter_digits7",
            "year_dash_digits",
            "4_4_1",
            "letters2_digits7",
            "zero_padded",
            "ll_ddddd_l",
            "l_ddd_lll",
            "digits10",
            "dd_l_ddddd_l",
        ][f];
        (v, form)
    }

    /// A medical record number.
    pub fn mrn(&mut self, b: &mut Builder) {
        let (v, form) = self.mrn_text();
        b.phi(PhiKind::Mrn, form, &v);
    }

    /// An account number: billing, visit/encounter, or a card number.
    pub fn account(&mut self, b: &mut Builder) {
        let f = self.rng.below(7);
        let v = self.own(|r| match f {
            0 => r.digits(11),
            1 => format!("{}-{}-{}", r.digits(4), r.digits(2), r.digits(5)),
            2 => format!("V{}", r.digits(11)),
            3 => format!("{}-{}-{}", r.letters(2), r.range(2018, 2026), r.digits(4)),
            4 => luhn_card(r),
            5 => format!("{}{}", r.letters(3), r.digits(9)),
            _ => format!("{}{}", r.digits(3), r.letters(1)) + &r.digits(6),
        });
        let form = [
            "digits11",
            "4_2_5",
            "v_digits11",
            "ll_year_dddd",
            "card16",
            "lll_digits9",
            "ddd_l_dddddd",
        ][f];
        b.phi(PhiKind::Account, form, &v);
    }

    /// A health plan member, subscriber, group or policy number, or a Medicare MBI.
    pub fn health_plan(&mut self, b: &mut Builder) {
        let f = self.rng.below(9);
        let v = self.own(|r| match f {
            0 => format!("{}{}", r.letters(3), r.digits(9)),
            1 => format!("W{}", r.digits(9)),
            2 => r.digits(11),
            3 => mbi(r),
            4 => format!("{}{}", r.letters(2), r.digits(8)),
            5 => format!("{}-{}-{}", r.letters(3), r.digits(5), r.letters(1)),
            6 => format!("{}{}{}", r.digits(3), r.letters(2), r.digits(4)),
            7 => format!("{}{}-{}", r.letters(1), r.digits(8), r.digits(2)),
            _ => format!("{}", r.range(100_000, 9_999_999)),
        });
        let form = [
            "lll_digits9",
            "w_digits9",
            "digits11",
            "mbi",
            "ll_digits8",
            "lll_ddddd_l",
            "ddd_ll_dddd",
            "l_8_2",
            "group_digits",
        ][f];
        b.phi(PhiKind::HealthPlan, form, &v);
    }

    /// A licence number: NPI, DEA, state medical licence or driver's licence.
    pub fn license(&mut self, b: &mut Builder, which: &str) {
        let (v, form) = match which {
            "npi" => (self.own(npi), "npi"),
            "dea" => (self.own(dea), "dea"),
            "state" => {
                let f = self.rng.below(4);
                let v = self.own(|r| match f {
                    0 => format!("{}{}", r.letters(1), r.digits(5)),
                    1 => format!("MD{}", r.digits(6)),
                    2 => r.digits(10),
                    _ => format!("{}.{}", r.digits(2), r.digits(6)),
                });
                (v, ["l_ddddd", "md_digits6", "digits10", "dd_dot_6"][f])
            }
            _ => {
                let f = self.rng.below(3);
                let v = self.own(|r| match f {
                    0 => format!("{}{}", r.letters(1), r.digits(7)),
                    1 => format!(
                        "{}-{}-{}",
                        r.letters(1).to_string() + &r.digits(3),
                        r.digits(4),
                        r.digits(4)
                    ),
                    _ => r.digits(9),
                });
                (v, ["dl_l_digits7", "dl_dashed", "dl_digits9"][f])
            }
        };
        b.phi(PhiKind::License, form, &v);
    }

    /// A street address line, with or without a unit.
    pub fn street(&mut self, b: &mut Builder) {
        let f = self.rng.below(9);
        let pools = self.pools;
        let stems = &pools.street_stems;
        let suffixes = &pools.street_suffixes;
        let v = self.own(|r| {
            let stem = *r.pick(stems);
            let long = *r.pick(suffixes);
            let short = *r.pick(&[
                "St", "Ave", "Rd", "Dr", "Ln", "Blvd", "Ct", "Pkwy", "Way", "Pl", "Ter", "Cir",
                "Hwy",
            ]);
            let dir = *r.pick(&["N", "S", "E", "W", "NE", "SW", "North", "West"]);
            let num = r.range(1, 29999);
            if r.chance(0.08) {
                return if r.chance(0.5) {
                    format!("RR {} Box {}", r.range(1, 9), r.range(1, 300))
                } else {
                    format!("PSC {} Box {}", r.range(1000, 9999), r.range(1, 9999))
                };
            }
            match f {
                0 => format!("{num} {stem} {long}"),
                1 => format!("{num} {dir} {stem} {short}."),
                2 => format!(
                    "{num} {stem} {short}, Apt {}{}",
                    r.range(1, 40),
                    r.letters(1)
                ),
                3 => format!("PO Box {}", r.range(10, 99999)),
                4 => format!("{num} {stem} {long}, Suite {}", r.range(100, 999)),
                5 => format!("{num} {} {short}", ordinal(r.range(1, 120) as u32)),
                6 => format!("{num} {} {}", stem.to_uppercase(), short.to_uppercase()),
                7 => format!("{num}-{} {stem} {short} #{}", r.range(1, 9), r.range(1, 30)),
                _ => format!("{num} {stem} {long} Unit {}", r.range(1, 300)),
            }
        });
        let form = [
            "num_stem_long",
            "num_dir_stem_short",
            "apt",
            "po_box",
            "suite",
            "numbered_street",
            "caps",
            "hyphen_num_hash",
            "unit",
        ][f];
        let form = if v.starts_with("RR ") || v.starts_with("PSC ") {
            "rural_route_or_military"
        } else {
            form
        };
        b.phi(PhiKind::Address, form, &v);
    }

    /// A US city (labelled ADDRESS) and its state (not an identifier); returns the state.
    pub fn city(&mut self, b: &mut Builder, caps: bool) -> &'static str {
        let (city, st) = *self.rng.pick(&self.pools.us_cities);
        let v = if caps {
            city.to_uppercase()
        } else {
            city.to_owned()
        };
        b.phi(
            PhiKind::Address,
            if caps { "city_caps" } else { "city" },
            &v,
        );
        st
    }

    /// A city outside the US (labelled ADDRESS) and its country (not labelled).
    pub fn world_city(&mut self, b: &mut Builder) -> &'static str {
        let (city, country) = *self.rng.pick(&self.pools.world_cities);
        b.phi(PhiKind::Address, "world_city", city);
        country
    }

    /// A ZIP code, five digits or ZIP+4.
    pub fn zip(&mut self, b: &mut Builder) {
        let plus4 = self.chance(0.3);
        let v = self.own(|r| {
            let z = format!("{:05}", r.range(1001, 99950));
            if plus4 {
                format!("{z}-{}", r.digits(4))
            } else {
                z
            }
        });
        b.phi(PhiKind::Zip, if plus4 { "zip9" } else { "zip5" }, &v);
    }

    /// `street, City, ST ZIP` on one line or two.
    pub fn full_address(&mut self, b: &mut Builder, two_lines: bool) {
        self.street(b);
        b.t(if two_lines {
            "\n"
        } else {
            self.cue(&[", ", " ", " - ", ",  "])
        });
        let caps = self.chance(0.2);
        let st = self.city(b, caps);
        let state = if self.chance(0.15) {
            state_name(st)
        } else {
            st
        };
        b.t(self.cue(&[", ", " ", ",  "]))
            .t(state)
            .t(self.cue(&[" ", "  ", ", ", "   "]));
        self.zip(b);
    }

    /// A county (a subdivision smaller than a state: labelled ADDRESS).
    pub fn county(&mut self, b: &mut Builder) {
        let pools = self.pools;
        let stem = *self.rng.pick(&pools.street_stems);
        let v = if self.chance(0.2) {
            format!("{} COUNTY", stem.to_uppercase())
        } else {
            format!("{stem} County")
        };
        b.phi(PhiKind::Address, "county", &v);
    }

    /// An address abroad: street, postcode (labelled ZIP) and city, country.
    pub fn world_address(&mut self, b: &mut Builder) {
        let pools = self.pools;
        let (city, country) = *self.rng.pick(&pools.world_cities);
        let v = self.own(|r| {
            let stem = *r.pick(&pools.street_stems);
            match r.below(3) {
                0 => format!("{} {stem} Road", r.range(1, 300)),
                1 => format!("{stem}str. {}", r.range(1, 120)),
                _ => format!("{} Rue {stem}", r.range(1, 120)),
            }
        });
        b.phi(PhiKind::Address, "world_street", &v);
        b.t(", ");
        let pc = self.own(|r| match r.below(3) {
            0 => r.digits(5),
            1 => format!(
                "{}{} {}{}",
                r.letters(2),
                r.range(1, 20),
                r.range(1, 9),
                r.letters(2)
            ),
            _ => format!("{}-{}", r.digits(2), r.digits(3)),
        });
        b.phi(PhiKind::Zip, "postcode_foreign", &pc);
        b.t(" ");
        b.phi(PhiKind::Address, "world_city", city);
        b.t(", ").t(country);
    }

    /// An e-mail address built from a person's name.
    pub fn email(&mut self, b: &mut Builder, p: &Person) {
        let given = ascii_slug(&p.given);
        let family = ascii_slug(&p.family);
        let (given, family) = if given.is_empty() || family.is_empty() {
            (format!("user{}", self.rng.digits(3)), "mail".to_owned())
        } else {
            (given, family)
        };
        let f = self.rng.below(6);
        let host = *self.pick(MAIL_HOSTS);
        let tld = *self.pick(TLDS);
        let v = self.own(|r| match f {
            0 => format!("{given}.{family}@{host}"),
            1 => format!("{}{family}{}@{host}", &given[..1], r.digits(2)),
            2 => format!("{family}_{given}@{family}-family.{tld}"),
            3 => format!(
                "{}.{family}@{}health.org",
                &given[..1],
                r.letters(3).to_lowercase()
            ),
            4 => format!("{given}{}@{host}", r.range(1940, 2005)),
            _ => format!("{}{}@{host}", given.to_uppercase(), family.to_uppercase()),
        });
        b.phi(
            PhiKind::Email,
            [
                "dot",
                "initial_digits",
                "family_domain",
                "work",
                "given_year",
                "caps",
            ][f],
            &v,
        );
    }

    /// A web address that points at a person (portal links, personal sites).
    pub fn url(&mut self, b: &mut Builder, p: &Person) {
        let slug = ascii_slug(&p.family);
        let f = self.rng.below(4);
        let v = self.own(|r| {
            // a name in another script has no ASCII slug: the site is named by letters then
            let family = if slug.is_empty() {
                r.letters(6).to_lowercase()
            } else {
                slug.clone()
            };
            match f {
                0 => format!("https://www.{family}{}.com", r.digits(2)),
                1 => format!(
                    "https://portal.mychart-{}.org/p/{}",
                    r.letters(3).to_lowercase(),
                    r.digits(9)
                ),
                2 => format!("www.{family}-family.net/{}", ascii_slug(&p.given)),
                _ => format!(
                    "http://{}.{family}.me/records?id={}",
                    r.letters(2).to_lowercase(),
                    r.digits(7)
                ),
            }
        });
        b.phi(
            PhiKind::Url,
            ["personal_site", "portal_link", "www_path", "query"][f],
            &v,
        );
    }

    /// An IPv4 or IPv6 address.
    pub fn ip(&mut self, b: &mut Builder) {
        let v6 = self.chance(0.25);
        let v = self.own(|r| {
            if v6 {
                format!(
                    "2001:db8:{:x}:{:x}::{:x}",
                    r.range(1, 0xffff),
                    r.range(1, 0xffff),
                    r.range(1, 0xffff)
                )
            } else {
                format!(
                    "{}.{}.{}.{}",
                    r.range(11, 223),
                    r.range(0, 255),
                    r.range(0, 255),
                    r.range(1, 254)
                )
            }
        });
        b.phi(PhiKind::Ip, if v6 { "ipv6" } else { "ipv4" }, &v);
    }

    /// A VIN or a licence plate.
    pub fn vehicle(&mut self, b: &mut Builder, vin: bool) {
        if vin {
            let v = self.own(vin_text);
            b.phi(PhiKind::Vehicle, "vin", &v);
        } else {
            let f = self.rng.below(3);
            let v = self.own(|r| match f {
                0 => format!("{}{}{}", r.range(1, 9), r.letters(3), r.digits(3)),
                1 => format!("{}-{}", r.letters(3), r.digits(4)),
                _ => format!("{} {}", r.letters(3), r.digits(3)),
            });
            b.phi(
                PhiKind::Vehicle,
                ["plate_ca", "plate_dash", "plate_space"][f],
                &v,
            );
        }
    }

    /// A device serial or UDI.
    pub fn device(&mut self, b: &mut Builder) {
        let f = self.rng.below(4);
        let v = self.own(|r| match f {
            0 => format!("{}{}{}", r.letters(3), r.digits(6), r.letters(1)),
            1 => format!(
                "{}-{}",
                r.letters(2).to_string() + &r.digits(3),
                r.digits(5)
            ),
            2 => format!(
                "(01){}(17){}(21){}",
                r.digits(14),
                r.digits(6),
                r.letters(2).to_string() + &r.digits(6)
            ),
            _ => format!("SN{}", r.digits(10)),
        });
        b.phi(
            PhiKind::Device,
            ["lll_6_l", "serial_dashed", "udi_gs1", "sn_digits"][f],
            &v,
        );
    }

    /// An other unique number: passport, employee or student id.
    pub fn other_id(&mut self, b: &mut Builder) {
        let v = self.own(|r| format!("{}{}", r.letters(1), r.digits(8)));
        b.phi(PhiKind::Id, "l_digits8", &v);
    }
}

/// A state's name from its postal abbreviation (states are not identifiers).
fn state_name(abbr: &'static str) -> &'static str {
    const STATES: &[(&str, &str)] = &[
        ("CA", "California"),
        ("NY", "New York"),
        ("TX", "Texas"),
        ("FL", "Florida"),
        ("IL", "Illinois"),
        ("MA", "Massachusetts"),
        ("PA", "Pennsylvania"),
        ("OH", "Ohio"),
        ("MI", "Michigan"),
        ("WA", "Washington"),
        ("GA", "Georgia"),
        ("NC", "North Carolina"),
        ("MN", "Minnesota"),
        ("AZ", "Arizona"),
        ("CO", "Colorado"),
        ("OR", "Oregon"),
    ];
    STATES
        .iter()
        .find(|(a, _)| *a == abbr)
        .map_or(abbr, |(_, n)| *n)
}

fn age_words(n: u32) -> String {
    let tens = match n / 10 {
        9 => "ninety",
        10 => "one hundred",
        _ => "one hundred ten",
    };
    let ones = ONES[(n % 10) as usize];
    match (n / 10, ones) {
        (9, "") => tens.to_owned(),
        (9, o) => format!("{tens}-{o}"),
        (_, "") => tens.to_owned(),
        (_, o) => format!("{tens} and {o}"),
    }
}

/// Luhn check digit of `digits` (as if one more digit followed).
fn luhn_digit(digits: &str) -> u32 {
    let mut sum = 0;
    for (i, c) in digits.chars().rev().enumerate() {
        let mut d = c.to_digit(10).unwrap_or(0);
        if i % 2 == 0 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    (10 - sum % 10) % 10
}

/// A card-like number with a valid Luhn digit, grouped in fours.
fn luhn_card(r: &mut Rng) -> String {
    let body = format!("{}{}", r.pick(&["4", "51", "37", "60"]), r.digits(14));
    let body = &body[..15];
    let full = format!("{body}{}", luhn_digit(body));
    let groups: Vec<&str> = (0..4).map(|i| &full[i * 4..i * 4 + 4]).collect();
    if r.chance(0.5) {
        groups.join(" ")
    } else {
        groups.join("-")
    }
}

/// An NPI: ten digits, the last a Luhn digit over `80840` and the first nine.
fn npi(r: &mut Rng) -> String {
    let body = format!("{}{}", r.range(1, 2), r.digits(8));
    let check = luhn_digit(&format!("80840{body}"));
    format!("{body}{check}")
}

/// A DEA number: two letters, six digits and a check digit.
fn dea(r: &mut Rng) -> String {
    let first = *r.pick(&['A', 'B', 'F', 'G', 'M']);
    let second = r.letters(1);
    let d: Vec<u32> = (0..6).map(|_| r.below(10) as u32).collect();
    let check = (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10;
    let digits: String = d.iter().map(|x| char::from(b'0' + *x as u8)).collect();
    format!("{first}{second}{digits}{check}")
}

/// A Medicare Beneficiary Identifier: `1EG4-TE5-MK73` shape.
fn mbi(r: &mut Rng) -> String {
    const A: &[u8] = b"ACDEFGHJKMNPQRTUVWXY";
    let mut a = || char::from(*r.pick(A));
    let c1 = a();
    let c2 = a();
    let c3 = a();
    let c4 = a();
    let c5 = a();
    let c6 = a();
    let n = |r: &mut Rng| char::from(b'0' + r.below(10) as u8);
    let s = format!(
        "{}{c1}{}{}-{c2}{}{}-{c3}{c4}{}{}",
        r.range(1, 9),
        if r.chance(0.5) { c5 } else { n(r) },
        n(r),
        if r.chance(0.5) { c6 } else { n(r) },
        n(r),
        n(r),
        n(r)
    );
    if r.chance(0.5) { s.replace('-', "") } else { s }
}

/// A 17-character VIN (no I, O, Q) with a valid check digit.
fn vin_text(r: &mut Rng) -> String {
    const CH: &[u8] = b"ABCDEFGHJKLMNPRSTUVWXYZ0123456789";
    const W: [u32; 17] = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];
    let mut v: Vec<u8> = (0..17).map(|_| *r.pick(CH)).collect();
    let val = |c: u8| -> u32 {
        match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'A'..=b'H' => u32::from(c - b'A') + 1,
            b'J'..=b'N' => u32::from(c - b'J') + 1,
            b'P' => 7,
            b'R' => 9,
            b'S'..=b'Z' => u32::from(c - b'S') + 2,
            _ => 0,
        }
    };
    let sum: u32 = v.iter().enumerate().map(|(i, c)| val(*c) * W[i]).sum();
    let check = sum % 11;
    v[8] = if check == 10 {
        b'X'
    } else {
        b'0' + check as u8
    };
    String::from_utf8(v).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npi_and_dea_check_digits_are_valid() {
        let mut r = Rng::new(1);
        for _ in 0..100 {
            let n = npi(&mut r);
            assert_eq!(n.len(), 10);
            assert_eq!(
                luhn_digit(&format!("80840{}", &n[..9])),
                n[9..].parse::<u32>().unwrap()
            );
            let d = dea(&mut r);
            let digits: Vec<u32> = d[2..].chars().map(|c| c.to_digit(10).unwrap()).collect();
            let check =
                (digits[0] + digits[2] + digits[4] + 2 * (digits[1] + digits[3] + digits[5])) % 10;
            assert_eq!(check, digits[6]);
        }
    }

    #[test]
    fn weekday_of_known_dates() {
        assert_eq!(
            WEEKDAYS[weekday(Date {
                y: 2026,
                m: 12,
                d: 5
            })],
            "Saturday"
        );
        assert_eq!(
            WEEKDAYS[weekday(Date {
                y: 2000,
                m: 2,
                d: 29
            })],
            "Tuesday"
        );
    }

    #[test]
    fn ages_in_words_read_as_english() {
        assert_eq!(age_words(90), "ninety");
        assert_eq!(age_words(97), "ninety-seven");
        assert_eq!(age_words(103), "one hundred and three");
    }
}
