//! Identifiers and look-alikes as they are written on real forms, in many formats.
//!
//! Every function returns [`Parts`]: the identifier's labelled pieces and any unlabelled
//! glue (a phone extension, an HL7 component separator).

use super::build::{Parts, phi};
use super::pools::{Place, Pools};
use crate::PhiKind;
use crate::corpus::rng::Rng;

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
const ROMAN: [&str; 12] = [
    "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII",
];
const ORDINAL_WORDS: [&str; 31] = [
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
    "twentieth",
    "twenty-first",
    "twenty-second",
    "twenty-third",
    "twenty-fourth",
    "twenty-fifth",
    "twenty-sixth",
    "twenty-seventh",
    "twenty-eighth",
    "twenty-ninth",
    "thirtieth",
    "thirty-first",
];

/// A calendar date.
#[derive(Debug, Clone, Copy)]
pub struct Ymd {
    pub y: u32,
    pub m: u32,
    pub d: u32,
}

impl Ymd {
    /// A date between `from` and `to` (years, inclusive).
    pub fn random(r: &mut Rng, from: u32, to: u32) -> Ymd {
        let y = r.range(u64::from(from), u64::from(to)) as u32;
        let m = r.range(1, 12) as u32;
        let d = r.range(1, days_in(y, m).into()) as u32;
        Ymd { y, m, d }
    }

    /// A date some days after this one.
    pub fn plus_days(self, n: u32) -> Ymd {
        let mut v = self;
        for _ in 0..n {
            v.d += 1;
            if v.d > u32::from(days_in(v.y, v.m)) {
                v.d = 1;
                v.m += 1;
                if v.m > 12 {
                    v.m = 1;
                    v.y += 1;
                }
            }
        }
        v
    }

    fn weekday(self) -> usize {
        // Sakamoto's method; 0 = Sunday.
        let t = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4];
        let y = if self.m < 3 { self.y - 1 } else { self.y };
        let w = (y + y / 4 - y / 100 + y / 400 + t[(self.m - 1) as usize] + self.d) % 7;
        (w as usize + 6) % 7
    }
}

fn days_in(y: u32, m: u32) -> u8 {
    match m {
        2 if (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn ordinal_suffix(d: u32) -> &'static str {
    match (d % 10, d % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    }
}

/// A date written the way forms and letters write it: numeric with any separator and order,
/// two- and four-digit years, written months (long, short, upper case, Roman), ordinals,
/// weekdays, month and year alone, day and month alone.
pub fn date_text(r: &mut Rng, v: Ymd) -> String {
    let Ymd { y, m, d } = v;
    let mon = MONTHS[(m - 1) as usize];
    let short = &mon[..3];
    let yy = y % 100;
    match r.below(30) {
        0..=4 => format!("{m:02}/{d:02}/{y}"),
        5 => format!("{m}/{d}/{y}"),
        6 => format!("{m}/{d}/{yy:02}"),
        7 => format!("{m:02}-{d:02}-{y}"),
        8 => format!("{y}-{m:02}-{d:02}"),
        9 => format!("{d:02}.{m:02}.{y}"),
        10 => format!("{m:02}.{d:02}.{yy:02}"),
        11 => format!("{mon} {d}, {y}"),
        12 => format!("{short} {d}, {y}"),
        13 => format!("{short}. {d}, {y}"),
        14 => format!("{d} {short} {y}"),
        15 => format!("{d:02}-{}-{y}", short.to_uppercase()),
        16 => format!("{d}-{short}-{yy:02}"),
        17 => format!("{mon} {d}{}, {y}", ordinal_suffix(d)),
        18 => format!("the {d}{} of {mon}, {y}", ordinal_suffix(d)),
        19 => format!("{}, {mon} {d}, {y}", WEEKDAYS[v.weekday()]),
        20 => format!("{d} {mon} {y}"),
        21 => format!("{y}/{m:02}/{d:02}"),
        22 => format!("{m:02} / {d:02} / {y}"),
        23 => format!("{d} {} {y}", ROMAN[(m - 1) as usize]),
        24 => format!("{mon} {d}"),
        25 => format!("{m}/{d}"),
        26 => format!("{mon} {y}"),
        27 => format!("{m:02}/{y}"),
        28 => format!("{mon} {}", ORDINAL_WORDS[(d - 1) as usize]),
        _ => format!("{}{short}{y}", format_args!("{d:02}")).to_uppercase(),
    }
}

/// A date as one labelled piece.
pub fn date(r: &mut Rng, v: Ymd) -> Parts {
    phi(PhiKind::Date, date_text(r, v))
}

/// A date range: two dates, each labelled, or one written range labelled whole.
pub fn date_range(r: &mut Rng, from: Ymd, days: u32) -> Parts {
    let to = from.plus_days(days);
    let mon = MONTHS[(from.m - 1) as usize];
    match r.below(5) {
        0 if from.m == to.m => phi(
            PhiKind::Date,
            format!("{mon} {}\u{2013}{}, {}", from.d, to.d, to.y),
        ),
        1 => vec![
            (Some(PhiKind::Date), format!("{}/{}", from.m, from.d)),
            (None, "-".to_owned()),
            (Some(PhiKind::Date), format!("{}/{}/{}", to.m, to.d, to.y)),
        ],
        2 => vec![
            (None, "from ".to_owned()),
            (Some(PhiKind::Date), date_text(r, from)),
            (None, " to ".to_owned()),
            (Some(PhiKind::Date), date_text(r, to)),
        ],
        _ => {
            let sep = *r.pick(&[" - ", "-", " through ", " to ", "\u{2013}"]);
            let a = format!("{:02}/{:02}/{}", from.m, from.d, from.y);
            let b = format!("{:02}/{:02}/{}", to.m, to.d, to.y);
            vec![
                (Some(PhiKind::Date), a),
                (None, sep.to_owned()),
                (Some(PhiKind::Date), b),
            ]
        }
    }
}

/// HL7 / C-CDA timestamps: YYYYMMDD, sometimes with a time.
pub fn hl7_date(r: &mut Rng, v: Ymd) -> String {
    if r.chance(0.3) {
        format!(
            "{}{:02}{:02}{:02}{:02}",
            v.y,
            v.m,
            v.d,
            r.below(24),
            r.below(60)
        )
    } else {
        format!("{}{:02}{:02}", v.y, v.m, v.d)
    }
}

/// A person's name in one of the forms documents write it, labelled whole (titles and
/// credentials outside the label).
pub fn name(r: &mut Rng, pools: &Pools) -> String {
    let (g, f) = pools.person(r);
    let g = if r.chance(0.08) {
        format!("{g}-{}", pools.given_any(r))
    } else {
        g.to_owned()
    };
    let f = match r.below(20) {
        0 => format!("{f}-{}", pools.family(r)),
        1 => format!("{f} {}", pools.family(r)),
        _ => f.to_owned(),
    };
    let initial = pools
        .given_any(r)
        .chars()
        .next()
        .filter(|c| c.is_alphabetic())
        .unwrap_or('J');
    match r.below(16) {
        0..=5 => format!("{g} {f}"),
        6 => format!("{g} {initial}. {f}"),
        7 => format!("{f}, {g}"),
        8 => format!("{}, {}", f.to_uppercase(), g.to_uppercase()),
        9 => format!("{} {}", g.to_uppercase(), f.to_uppercase()),
        10 => format!("{f}, {g} {initial}."),
        11 => format!("{}. {f}", g.chars().next().unwrap_or('A')),
        12 => format!("{g} {} {f}", pools.given_any(r)),
        13 => format!("{} {}", g.to_lowercase(), f.to_lowercase()),
        14 => format!("{}, {} {initial}", f.to_uppercase(), g.to_uppercase()),
        _ => format!("{g} {f}"),
    }
}

/// A family name alone (`Mrs. Okafor`, `Dr. Lindqvist`).
pub fn surname(r: &mut Rng, pools: &Pools) -> String {
    let f = pools.family(r);
    if r.chance(0.15) {
        f.to_uppercase()
    } else {
        f.to_owned()
    }
}

/// A given name alone (`Spoke with Thandiwe`).
pub fn given(r: &mut Rng, pools: &Pools) -> String {
    pools.given_any(r).to_owned()
}

/// A clinician: title, name and credentials; only the name labelled.
pub fn clinician(r: &mut Rng, pools: &Pools) -> Parts {
    let (g, f) = pools.person(r);
    let cred = *r.pick(&[
        ", MD", " MD", ", M.D.", ", DO", ", NP", " NP-C", ", PA-C", ", RN", ", FNP", ", DPM", "",
    ]);
    match r.below(6) {
        0 => vec![
            (None, "Dr. ".to_owned()),
            (Some(PhiKind::Name), format!("{g} {f}")),
        ],
        1 => vec![
            (None, "Dr ".to_owned()),
            (Some(PhiKind::Name), f.to_owned()),
        ],
        2 => vec![
            (Some(PhiKind::Name), format!("{f}, {g}")),
            (None, cred.to_owned()),
        ],
        3 => vec![
            (
                Some(PhiKind::Name),
                format!("{}. {f}", g.chars().next().unwrap_or('K')),
            ),
            (None, cred.to_owned()),
        ],
        _ => vec![
            (Some(PhiKind::Name), format!("{g} {f}")),
            (None, cred.to_owned()),
        ],
    }
}

/// A NANP number (area code from the place when there is one).
fn nanp(r: &mut Rng, area: Option<&str>) -> (String, String, String) {
    let area = match area {
        Some(a) if r.chance(0.8) => a.to_owned(),
        _ => format!("{}{}", r.range(2, 9), r.digits(2)),
    };
    let exch = if r.chance(0.1) {
        "555".to_owned()
    } else {
        format!("{}{}", r.range(2, 9), r.digits(2))
    };
    (area, exch, r.digits(4))
}

/// A telephone or fax number in one of the ways people write them, with an unlabelled
/// extension now and then.
pub fn phone(r: &mut Rng, kind: PhiKind, area: Option<&str>) -> Parts {
    if r.chance(0.06) {
        let s = match r.below(5) {
            0 => format!("+44 20 {} {}", r.digits(4), r.digits(4)),
            1 => format!("+49 30 {}", r.digits(8)),
            2 => format!("+91 {}{} {}", r.range(7, 9), r.digits(4), r.digits(5)),
            3 => format!("+52 55 {} {}", r.digits(4), r.digits(4)),
            _ => format!(
                "+1 ({}) {}-{}",
                r.range(2, 9) * 100 + 4,
                r.digits(3),
                r.digits(4)
            ),
        };
        return phi(kind, s);
    }
    let (a, e, n) = nanp(r, area);
    let s = match r.below(18) {
        0..=3 => format!("({a}) {e}-{n}"),
        4..=6 => format!("{a}-{e}-{n}"),
        7 => format!("{a}.{e}.{n}"),
        8 => format!("{a} {e} {n}"),
        9 => format!("{a}{e}{n}"),
        10 => format!("+1 {a} {e} {n}"),
        11 => format!("+1-{a}-{e}-{n}"),
        12 => format!("1-{a}-{e}-{n}"),
        13 => format!("1 ({a}) {e}-{n}"),
        14 => format!("({a}){e}-{n}"),
        15 => format!("{a}/{e}-{n}"),
        16 => format!("+1{a}{e}{n}"),
        _ => format!("({a}) {e} - {n}"),
    };
    let mut out = phi(kind, s);
    if kind == PhiKind::Phone && r.chance(0.08) {
        let ext = *r.pick(&[" ext. ", " x", " Ext ", " ext "]);
        out.push((None, format!("{ext}{}", r.digits_between(2, 4))));
    }
    out
}

/// A valid-looking SSN in one of its written forms.
pub fn ssn(r: &mut Rng) -> String {
    let area = loop {
        let a = r.range(1, 899);
        if a != 666 {
            break a;
        }
    };
    let group = r.range(1, 99);
    let serial = r.range(1, 9999);
    match r.below(6) {
        0..=2 => format!("{area:03}-{group:02}-{serial:04}"),
        3 => format!("{area:03} {group:02} {serial:04}"),
        4 => format!("{area:03}{group:02}{serial:04}"),
        _ => format!("{area:03}.{group:02}.{serial:04}"),
    }
}

/// An email address built from a person's name or a handle.
pub fn email(r: &mut Rng, pools: &Pools) -> String {
    let (g, f) = pools.person(r);
    let g = ascii_word(g);
    let f = ascii_word(f);
    let g = if g.is_empty() { "pat".to_owned() } else { g };
    let f = if f.is_empty() { "lee".to_owned() } else { f };
    let local = match r.below(8) {
        0 => format!("{g}.{f}"),
        1 => format!("{}{f}", &g[..1]),
        2 => format!("{g}_{f}{}", r.digits(2)),
        3 => format!("{f}{}", r.range(1, 999)),
        4 => format!("{g}{f}+portal"),
        5 => format!("{}.{}", g.to_uppercase(), f.to_uppercase()),
        6 => format!("{g}-{}", r.digits(4)),
        _ => format!("{f}.{g}"),
    };
    let domain = *r.pick(&[
        "gmail.com",
        "yahoo.com",
        "outlook.com",
        "icloud.com",
        "aol.com",
        "comcast.net",
        "protonmail.ch",
        "hotmail.co.uk",
        "stlukes-health.org",
        "mail.valleyclinic.net",
        "uhs.edu",
        "web.de",
    ]);
    format!("{local}@{domain}")
}

fn ascii_word(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphabetic)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

const LETTERS: &[u8] = b"ABCDEFGHJKLMNPRSTUVWXYZ";

fn letters(r: &mut Rng, n: usize) -> String {
    (0..n).map(|_| char::from(*r.pick(LETTERS))).collect()
}

fn alnum(r: &mut Rng, n: usize) -> String {
    (0..n)
        .map(|_| {
            if r.chance(0.35) {
                char::from(*r.pick(LETTERS))
            } else {
                char::from(b'0' + r.below(10) as u8)
            }
        })
        .collect()
}

/// A medical record number: digits of many lengths, letter prefixes, dashes, check suffixes.
pub fn mrn(r: &mut Rng) -> String {
    match r.below(10) {
        0..=2 => r.digits_between(6, 10),
        3 => format!("{}{}", letters(r, 1), r.digits(7)),
        4 => format!("MR{}", r.digits(6)),
        5 => format!("{}-{}", r.digits(3), r.digits(5)),
        6 => format!("{}-{}-{}", r.digits(2), r.digits(2), r.digits(4)),
        7 => format!("{}{}", r.digits(8), letters(r, 1)),
        8 => format!("00{}", r.digits(7)),
        _ => format!("{}{}", letters(r, 2), r.digits(6)),
    }
}

/// A billing account, encounter or visit number.
pub fn account(r: &mut Rng) -> String {
    match r.below(7) {
        0 | 1 => r.digits_between(8, 12),
        2 => format!("{}{}", letters(r, 1), r.digits(9)),
        3 => format!("{}-{}", r.digits(4), r.digits(6)),
        4 => format!("ACCT{}", r.digits(7)),
        5 => format!("{} {} {}", r.digits(4), r.digits(4), r.digits(4)),
        _ => format!("V{}", r.digits(8)),
    }
}

/// A health plan member, subscriber, policy or group number.
pub fn member_id(r: &mut Rng) -> String {
    match r.below(9) {
        0 | 1 => format!("{}{}", letters(r, 3), r.digits(9)),
        2 => format!("W{}", r.digits(9)),
        3 => {
            // Medicare Beneficiary Identifier: C A AN N A AN N A A N N.
            let s = format!(
                "{}{}{}{}{}{}{}{}{}{}{}",
                r.range(1, 9),
                letters(r, 1),
                alnum(r, 1),
                r.below(10),
                letters(r, 1),
                alnum(r, 1),
                r.below(10),
                letters(r, 1),
                letters(r, 1),
                r.below(10),
                r.below(10)
            );
            if r.chance(0.5) {
                format!("{}-{}-{}", &s[..4], &s[4..7], &s[7..])
            } else {
                s
            }
        }
        4 => format!("{}{}", r.digits(9), letters(r, 1)),
        5 => format!("{} {} {}", letters(r, 3), r.digits(9), r.digits(2)),
        6 => r.digits_between(9, 12),
        7 => format!("{}{}", alnum(r, 4), r.digits(6)),
        _ => format!("{}-{}", letters(r, 2), r.digits(7)),
    }
}

/// A group number.
pub fn group_no(r: &mut Rng) -> String {
    match r.below(4) {
        0 => r.digits_between(5, 8),
        1 => format!("GRP{}", r.digits(5)),
        2 => format!("{}{}", letters(r, 2), r.digits(5)),
        _ => format!("{}-{}", r.digits(3), r.digits(4)),
    }
}

fn luhn_ok(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// A National Provider Identifier with its check digit.
pub fn npi(r: &mut Rng) -> String {
    let body = format!("{}{}", r.range(1, 2), r.digits(8));
    (0..10)
        .map(|c| format!("{body}{c}"))
        .find(|cand| luhn_ok(&format!("80840{cand}")))
        .unwrap_or(body + "0")
}

/// A DEA registration number with its check digit.
pub fn dea(r: &mut Rng, family: &str) -> String {
    let first = *r.pick(&['A', 'B', 'F', 'M', 'G']);
    let second = family
        .chars()
        .next()
        .filter(char::is_ascii_alphabetic)
        .map_or('X', |c| c.to_ascii_uppercase());
    let d: Vec<u32> = (0..6).map(|_| r.below(10) as u32).collect();
    let check = (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10;
    let digits: String = d.iter().map(|x| x.to_string()).collect();
    format!("{first}{second}{digits}{check}")
}

/// A state medical, nursing or driver's licence number.
pub fn licence(r: &mut Rng, state: &str) -> String {
    match r.below(6) {
        0 => format!("{}{}", letters(r, 1), r.digits(5)),
        1 => format!("{state}{}", r.digits(6)),
        2 => format!("{}-{}", state, r.digits(5)),
        3 => r.digits_between(6, 8),
        4 => format!("{}{}", letters(r, 1), r.digits(7)),
        _ => format!("{}{}{}", r.digits(2), letters(r, 2), r.digits(5)),
    }
}

/// A vehicle identification number (17 characters, no I, O or Q) or a plate.
pub fn vehicle(r: &mut Rng) -> String {
    if r.chance(0.6) {
        let chars = b"ABCDEFGHJKLMNPRSTUVWXYZ0123456789";
        (0..17).map(|_| char::from(*r.pick(chars))).collect()
    } else {
        match r.below(3) {
            0 => format!("{}{}{}", r.range(1, 9), letters(r, 3), r.digits(3)),
            1 => format!("{}-{}", letters(r, 3), r.digits(4)),
            _ => format!("{} {}", letters(r, 3), r.digits(3)),
        }
    }
}

/// A device serial number or UDI.
pub fn device(r: &mut Rng) -> String {
    match r.below(4) {
        0 => format!(
            "(01){}(17){}(10){}(21){}",
            r.digits(14),
            r.digits(6),
            alnum(r, 6),
            r.digits(8)
        ),
        1 => format!("{}{}{}", letters(r, 3), r.digits(6), letters(r, 1)),
        2 => format!("SN{}", r.digits(9)),
        _ => format!("{}-{}-{}", alnum(r, 4), alnum(r, 4), alnum(r, 4)),
    }
}

/// An IPv4 or IPv6 address.
pub fn ip(r: &mut Rng) -> String {
    if r.chance(0.8) {
        format!(
            "{}.{}.{}.{}",
            r.range(11, 223),
            r.below(256),
            r.below(256),
            r.range(1, 254)
        )
    } else {
        format!(
            "2001:db8:{:x}:{:x}::{:x}",
            r.below(65536),
            r.below(65536),
            r.range(1, 65535)
        )
    }
}

/// A URL that points at a person (a portal record, a personal page).
pub fn url(r: &mut Rng, pools: &Pools) -> String {
    let f = ascii_word(pools.family(r));
    match r.below(4) {
        0 => format!("https://mychart.{f}health.org/patient/{}", r.digits(7)),
        1 => format!("www.{f}-family.net"),
        2 => format!("https://portal.example-hie.org/records?pid={}", r.digits(8)),
        _ => format!("http://facebook.com/{f}.{}", r.digits(3)),
    }
}

/// A street line: number, direction, name, suffix and unit, or a PO box.
pub fn street(r: &mut Rng, pools: &Pools) -> String {
    if r.chance(0.08) {
        return match r.below(3) {
            0 => format!("PO Box {}", r.range(1, 99999)),
            1 => format!("P.O. Box {}", r.range(1, 9999)),
            _ => format!("RR {} Box {}", r.range(1, 9), r.range(1, 300)),
        };
    }
    let number = match r.below(5) {
        0 => r.range(1, 99).to_string(),
        1 => format!("{}-{}", r.range(100, 999), r.range(10, 99)),
        _ => r.range(100, 29999).to_string(),
    };
    let dir = *r.pick(&[
        "",
        "",
        "",
        "",
        "N ",
        "S. ",
        "East ",
        "W ",
        "NE ",
        "Southwest ",
    ]);
    let name = match r.below(8) {
        0 => {
            let n = r.range(1, 150);
            let suffix = match (n % 10, n % 100) {
                (_, 11..=13) => "th",
                (1, _) => "st",
                (2, _) => "nd",
                (3, _) => "rd",
                _ => "th",
            };
            format!("{n}{suffix}")
        }
        1 => r
            .pick(&[
                "Oak", "Maple", "Cedar", "Willow", "Birch", "Magnolia", "Sycamore", "Aspen",
                "Juniper",
            ])
            .to_string(),
        2 => r
            .pick(&[
                "Lakeview",
                "Hillcrest",
                "Sunset",
                "Ridgeway",
                "Fairview",
                "Brookside",
                "Meadowlark",
                "Cottonwood Creek",
                "Old Mill",
                "Harbor Point",
            ])
            .to_string(),
        3 => r
            .pick(&[
                "Camino del Sol",
                "Calle Luna",
                "Rue Dauphine",
                "Avenida Central",
                "Martin Luther King Jr",
                "Cesar Chavez",
            ])
            .to_string(),
        _ => pools.family(r).to_owned(),
    };
    let suffix = *r.pick(&[
        "St", "Street", "Ave", "Avenue", "Blvd", "Rd", "Road", "Dr", "Drive", "Ln", "Lane", "Ct",
        "Way", "Pkwy", "Hwy", "Pl", "Terrace", "Cir", "Trail", "Loop", "St.", "Ave.",
    ]);
    let unit = match r.below(8) {
        0 => format!(" Apt {}{}", r.range(1, 40), r.pick(&["", "A", "B", "C"])),
        1 => format!(", Unit {}", r.range(1, 300)),
        2 => format!(" #{}", r.range(1, 999)),
        3 => format!(", Suite {}", r.range(100, 900)),
        _ => String::new(),
    };
    let s = format!("{number} {dir}{name} {suffix}{unit}");
    if r.chance(0.12) { s.to_uppercase() } else { s }
}

/// City, state and ZIP as an address's last line: city and ZIP labelled, the state not.
pub fn city_line(r: &mut Rng, place: Place) -> Parts {
    let city = if r.chance(0.15) {
        place.city.to_uppercase()
    } else {
        place.city.to_owned()
    };
    let zip = if r.chance(0.15) {
        format!("{}-{}", place.zip, r.digits(4))
    } else {
        place.zip.to_owned()
    };
    let sep = *r.pick(&[", ", ", ", " ", "  "]);
    let sep2 = *r.pick(&[" ", "  ", " ", ", "]);
    vec![
        (Some(PhiKind::Address), city),
        (None, format!("{sep}{}{sep2}", place.state)),
        (Some(PhiKind::Zip), zip),
    ]
}

/// The number part of an age over 89, in figures or words.
pub fn old_age(r: &mut Rng) -> (u32, String) {
    let n = r.range(90, 104) as u32;
    let words = if r.chance(0.2) {
        let units = [
            "", "-one", "-two", "-three", "-four", "-five", "-six", "-seven", "-eight", "-nine",
        ];
        if n < 100 {
            Some(format!("ninety{}", units[(n - 90) as usize]))
        } else {
            Some(format!(
                "one hundred{}",
                if n > 100 {
                    format!(" and {}", &units[(n - 100) as usize][1..])
                } else {
                    String::new()
                }
            ))
        }
    } else {
        None
    };
    (n, words.unwrap_or_else(|| n.to_string()))
}

/// An age phrase: the number labelled when it is over 89, the phrase around it plain.
/// `sex` is `F` or `M`.
pub fn age_phrase(r: &mut Rng, old: bool, sex: char) -> Parts {
    let (n, num) = if old {
        old_age(r)
    } else {
        let n = r.range(18, 89) as u32;
        (n, n.to_string())
    };
    let kind = old.then_some(PhiKind::Age);
    let words = !num.chars().all(|c| c.is_ascii_digit());
    let woman = sex == 'F';
    let (pre, post): (&str, String) = if words {
        match r.below(3) {
            0 => ("", "-year-old".to_owned()),
            1 => ("", " years old".to_owned()),
            _ => ("aged ", String::new()),
        }
    } else {
        match r.below(16) {
            0 => ("", "-year-old".to_owned()),
            1 => ("", " year old".to_owned()),
            2 => ("", " y/o".to_owned()),
            3 => ("", "yo".to_owned()),
            4 => ("", " y.o.".to_owned()),
            5 => ("age ", String::new()),
            6 => ("aged ", String::new()),
            7 => ("Age: ", String::new()),
            8 => ("", " years of age".to_owned()),
            9 => ("", format!(" YO {sex}")),
            10 => ("", sex.to_string()),
            11 => (
                "",
                format!("-yr-old {}", if woman { "female" } else { "male" }),
            ),
            12 => ("", "yrs".to_owned()),
            13 => ("turned ", " last month".to_owned()),
            14 => ("", format!(" {sex}")),
            _ => ("", " years old".to_owned()),
        }
    };
    let _ = n;
    vec![(None, pre.to_owned()), (kind, num), (None, post)]
}

/// Look-alikes: codes, measurements and numbers that are not PHI.
pub fn decoy(r: &mut Rng) -> String {
    match r.below(24) {
        0 => format!(
            "{}{}.{}",
            char::from(*r.pick(b"EIJKMNRZ")),
            r.range(10, 99),
            r.digits_between(1, 2)
        ),
        1 => format!("CPT {}", r.range(10000, 99499)),
        2 => format!("NDC {}-{}-{}", r.digits(5), r.digits(3), r.digits(2)),
        3 => format!("NDC {}-{}-{}", r.digits(4), r.digits(4), r.digits(2)),
        4 => format!("LOINC {}-{}", r.range(1000, 99999), r.below(10)),
        5 => format!(
            "{} mg",
            r.pick(&["5", "10", "20", "40", "81", "250", "500", "1000"])
        ),
        6 => format!("BP {}/{}", r.range(95, 180), r.range(55, 105)),
        7 => format!("pain {}/10", r.range(0, 10)),
        8 => format!("Page {} of {}", r.range(1, 3), r.range(3, 9)),
        9 => format!("${}.{:02}", r.range(5, 4999), r.below(100)),
        10 => format!("v{}.{}.{}", r.range(1, 12), r.range(0, 30), r.range(0, 99)),
        11 => format!("Job #{}", r.digits(6)),
        12 => format!("Tax ID {}-{}", r.digits(2), r.digits(7)),
        13 => format!("HbA1c {}.{}%", r.range(5, 12), r.below(10)),
        14 => format!("{}:{:02}", r.range(1, 12), r.below(60)),
        15 => format!("Rm {}", r.range(100, 999)),
        16 => format!("Lot {}{}", letters(r, 2), r.digits(5)),
        17 => format!("since {}", r.range(1995, 2024)),
        18 => format!("{} mL/min/1.73m2", r.range(15, 120)),
        19 => format!("strength {}/5", r.range(2, 5)),
        20 => format!("{} tabs #{}", r.range(1, 3), r.range(30, 90)),
        21 => format!("Ref #{}{}", letters(r, 3), r.digits(4)),
        22 => format!("SpO2 {}%", r.range(88, 100)),
        _ => format!("Temp {}.{} F", r.range(97, 102), r.below(10)),
    }
}

/// A diagnosis line that names people's diseases and things named after people.
pub fn eponym(r: &mut Rng) -> &'static str {
    *r.pick(&[
        "Parkinson disease",
        "Crohn's disease",
        "Alzheimer dementia",
        "Hashimoto thyroiditis",
        "Bell's palsy",
        "Graves disease",
        "Guillain-Barre syndrome",
        "Hodgkin lymphoma",
        "Barrett esophagus",
        "Sjogren syndrome",
        "Raynaud phenomenon",
        "Addison disease",
        "Cushing syndrome",
        "Down syndrome",
        "Wilson disease",
        "Meniere disease",
        "Foley catheter",
        "Glasgow Coma Scale 15",
        "Apgar 8/9",
        "Tdap",
        "Bence Jones protein",
        "Kaposi sarcoma",
    ])
}

/// An organisation, drug or place that looks like a name and is not PHI.
pub fn org(r: &mut Rng) -> &'static str {
    *r.pick(&[
        "Mercy General Hospital",
        "St. Vincent Medical Center",
        "Johns Hopkins Hospital",
        "Mayo Clinic",
        "Cleveland Clinic",
        "Kaiser Permanente",
        "Quest Diagnostics",
        "LabCorp",
        "Blue Cross Blue Shield",
        "Aetna",
        "UnitedHealthcare",
        "Humana",
        "CVS Pharmacy",
        "Walgreens",
        "Valley Oncology Associates",
        "Riverside Cardiology Group",
        "Sutter Health",
        "Memorial Hermann",
        "Good Samaritan Hospital",
        "Children's Hospital Colorado",
    ])
}

/// A drug name.
pub fn drug(r: &mut Rng) -> &'static str {
    *r.pick(&[
        "Lisinopril",
        "Metformin",
        "Atorvastatin",
        "Eliquis",
        "Xarelto",
        "Humira",
        "Ozempic",
        "Jardiance",
        "Levothyroxine",
        "Amlodipine",
        "Gabapentin",
        "Warfarin",
        "Keytruda",
        "Prednisone",
        "Furosemide",
        "Entresto",
        "Dupixent",
        "Trulicity",
    ])
}
