//! Synthetic identifiers in the many formats real faxes use. Every value is made up; check
//! digits are computed so validators see realistic numbers.

use super::rng::Rng;

/// Given names: common ones (most are in the detector's dictionary) and rarer ones (not).
const GIVEN: &[&str] = &[
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Maria",
    "Jose",
    "Luis",
    "Carmen",
    "Wei",
    "Mei",
    "Priya",
    "Raj",
    "Ahmed",
    "Fatima",
    "Olga",
    "Ivan",
    "Hannah",
    "Kevin",
    "Nicole",
    "Brandon",
    "Ashley",
    "Tyler",
    "Megan",
    "Christopher",
    "Angela",
    "Daniel",
    "Rosa",
    "Gloria",
    "Dmitri",
    "Yuki",
    "Kenji",
    "Aisha",
    "Anne",
    "Katherine",
    "Jacqueline",
    "Timothy",
    "Zaid",
    "Nkechi",
    "Thaddeus",
    "Ottoline",
    "Bartholomew",
    "Saoirse",
    "Ximena",
    "Oluwaseun",
    "Tadeusz",
    "Esperanza",
    "Ignatius",
    "Marisol",
    "Leopold",
    "Niamh",
    "Anneliese",
    "Casimir",
    "Delphine",
    "Ezekiel",
    "José",
    "Zoë",
    "Søren",
    "Inês",
];

/// Surnames: common ones and rarer ones, hyphenated and apostrophised among them.
const FAMILY: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Lee",
    "Nguyen",
    "Patel",
    "Kim",
    "Chen",
    "Singh",
    "O'Brien",
    "O'Connor",
    "McDonald",
    "Kowalski",
    "Ivanov",
    "Tanaka",
    "Okafor",
    "Fitzgerald",
    "Ramirez",
    "Sanchez",
    "Rivera",
    "Cohen",
    "Schneider",
    "Rossi",
    "Dubois",
    "Park",
    "Okonkwo",
    "Wojcik",
    "Szymanski",
    "Abernathy",
    "Featherstone",
    "Vanderbilt",
    "Quintanilla",
    "Achterberg",
    "Baptiste",
    "Castellanos",
    "Delacroix",
    "Eszterhas",
    "Fairweather",
    "Gallagher-Ruiz",
    "Halvorsen",
    "Iwasaki",
    "Jovanovic",
    "Kristiansen",
    "Lindqvist",
    "D'Souza",
    "Müller",
    "Núñez",
    "Sørensen",
    "Gómez-Peña",
];

const STREETS: &[&str] = &[
    "Main",
    "Oak",
    "Maple",
    "Cedar",
    "Elm",
    "Washington",
    "Lake",
    "Hill",
    "Park",
    "Pine",
    "Sunset",
    "Riverside",
    "Highland",
    "Jefferson",
    "Lincoln",
    "Martin Luther King Jr",
    "Old Mill",
    "Wallaby",
    "Birchwood",
    "Cherry Blossom",
    "5th",
    "42nd",
    "Third",
];

const SUFFIXES: &[&str] = &[
    "Street",
    "St",
    "St.",
    "Avenue",
    "Ave",
    "Ave.",
    "Road",
    "Rd",
    "Boulevard",
    "Blvd",
    "Drive",
    "Dr",
    "Lane",
    "Ln",
    "Way",
    "Court",
    "Ct",
    "Place",
    "Terrace",
    "Circle",
    "Parkway",
];

const CITIES: &[&str] = &[
    "Springfield",
    "Riverton",
    "Fairview",
    "Madison",
    "Georgetown",
    "Salem",
    "Clinton",
    "Franklin",
    "Greenville",
    "Bristol",
    "Oak Ridge",
    "Cedar Falls",
    "Port Angeles",
    "San Mateo",
    "Lake Oswego",
    "Ann Arbor",
];

const STATES: &[&str] = &[
    "CA", "NY", "TX", "IL", "OH", "PA", "WA", "OR", "MI", "GA", "NC", "FL",
];

const MONTHS: &[&str] = &[
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

const DOMAINS: &[&str] = &[
    "example.com",
    "mail.example.org",
    "clinic.example.net",
    "example.co.uk",
];

/// A person's given name.
pub fn given(r: &mut Rng) -> String {
    r.pick(GIVEN).to_string()
}

/// A person's surname.
pub fn family(r: &mut Rng) -> String {
    r.pick(FAMILY).to_string()
}

/// A full name in one of the formats forms use.
pub fn full_name(r: &mut Rng) -> String {
    let (g, f) = (given(r), family(r));
    let initial = char::from(b'A' + r.below(26) as u8);
    match r.below(9) {
        0 => format!("{g} {initial}. {f}"),
        1 => format!("{}, {}", f.to_uppercase(), g.to_uppercase()),
        2 => format!("{f}, {g}"),
        3 => format!("{} {}", g.to_uppercase(), f.to_uppercase()),
        4 => format!("{g} {f}-{}", family(r)),
        5 => format!("{f}, {g} {initial}."),
        6 => format!("{g} {f} {}", r.pick(&["Jr.", "Sr.", "III", "II"])),
        _ => format!("{g} {f}"),
    }
}

/// A clinician's name as it follows "Dr.".
pub fn doctor(r: &mut Rng) -> String {
    match r.below(3) {
        0 => family(r),
        1 => format!("{} {}", given(r), family(r)),
        _ => format!("{}. {}", char::from(b'A' + r.below(26) as u8), family(r)),
    }
}

fn month_day(r: &mut Rng) -> (u64, u64) {
    (r.range(1, 12), r.range(1, 28))
}

/// A date (not a year alone) in one of many formats.
pub fn date(r: &mut Rng) -> String {
    let (m, d) = month_day(r);
    let y = r.range(1931, 2026);
    let name = MONTHS[(m - 1) as usize];
    match r.below(12) {
        0 => format!("{m:02}/{d:02}/{y}"),
        1 => format!("{m}/{d}/{:02}", y % 100),
        2 => format!("{y}-{m:02}-{d:02}"),
        3 => format!("{m:02}-{d:02}-{y}"),
        4 => format!("{d:02}.{m:02}.{y}"),
        5 => format!("{name} {d}, {y}"),
        6 => format!("{}. {d}, {y}", &name[..3]),
        7 => format!("{d} {name} {y}"),
        8 => format!("{} {d}{} {y}", &name[..3], ordinal(d)),
        9 => format!("{} {y}", name.to_uppercase()),
        10 => format!("{m}/{d}/{y}"),
        _ => format!("{name} {d}"),
    }
}

fn ordinal(d: u64) -> &'static str {
    match d {
        1 | 21 | 31 => "st",
        2 | 22 => "nd",
        3 | 23 => "rd",
        _ => "th",
    }
}

/// A North American phone number in one of the common formats.
pub fn phone(r: &mut Rng) -> String {
    let a = r.range(201, 989);
    let e = r.range(200, 999);
    let n = r.digits(4);
    let ext = if r.chance(0.1) {
        format!(
            " {} {}",
            r.pick(&["ext.", "x", "ext", "Ext."]),
            r.range(10, 9999)
        )
    } else {
        String::new()
    };
    let base = match r.below(9) {
        0 => format!("({a}) {e}-{n}"),
        1 => format!("{a}-{e}-{n}"),
        2 => format!("{a}.{e}.{n}"),
        3 => format!("+1 ({a}) {e}-{n}"),
        4 => format!("+1-{a}-{e}-{n}"),
        5 => format!("1-{a}-{e}-{n}"),
        6 => format!("{a} {e} {n}"),
        7 => format!("+1{a}{e}{n}"),
        _ => format!("({a}){e}-{n}"),
    };
    format!("{base}{ext}")
}

/// A UK or German number, as some faxes carry.
pub fn intl_phone(r: &mut Rng) -> String {
    if r.chance(0.5) {
        format!("+44 20 {} {}", r.digits(4), r.digits(4))
    } else {
        format!("+49 30 {}", r.digits(7))
    }
}

/// An email address.
pub fn email(r: &mut Rng) -> String {
    let g = given(r).to_lowercase().replace('\'', "");
    let f = family(r).to_lowercase().replace('\'', "");
    let d = r.pick(DOMAINS);
    match r.below(4) {
        0 => format!("{g}.{f}@{d}"),
        1 => format!("{}{f}{}@{d}", &g[..1], r.range(1, 99)),
        2 => format!("{g}_{f}+fax@{d}"),
        _ => format!("{f}.{g}{}@{d}", r.range(1960, 2005)),
    }
}

/// An SSN that follows the assignment rules, dashed or spaced.
pub fn ssn(r: &mut Rng) -> String {
    let mut area = r.range(1, 899);
    if area == 666 {
        area = 665;
    }
    let group = r.range(1, 99);
    let serial = r.range(1, 9999);
    if r.chance(0.8) {
        format!("{area:03}-{group:02}-{serial:04}")
    } else {
        format!("{area:03} {group:02} {serial:04}")
    }
}

/// A medical record number.
pub fn mrn(r: &mut Rng) -> String {
    match r.below(4) {
        0 => r.digits(8),
        1 => format!("{}{}", char::from(b'A' + r.below(26) as u8), r.digits(7)),
        2 => format!("{}-{}", r.digits(3), r.digits(5)),
        _ => r.digits_between(6, 10),
    }
}

/// A health plan member id.
pub fn member_id(r: &mut Rng) -> String {
    let letters: String = (0..3)
        .map(|_| char::from(b'A' + r.below(26) as u8))
        .collect();
    match r.below(3) {
        0 => format!("{letters}{}", r.digits(9)),
        1 => format!("W{}", r.digits(9)),
        _ => format!("{}{}", r.digits(3), r.digits(6)),
    }
}

/// A Medicare beneficiary identifier (MBI) in its published character layout.
pub fn mbi(r: &mut Rng) -> String {
    const L: &[u8] = b"ACDEFGHJKMNPQRTUVWXY";
    let l = |r: &mut Rng| char::from(*r.pick(L));
    let an = |r: &mut Rng| {
        if r.chance(0.5) {
            char::from(*r.pick(L))
        } else {
            char::from(b'0' + r.below(10) as u8)
        }
    };
    let n = |r: &mut Rng| char::from(b'0' + r.below(10) as u8);
    let s: String = [
        char::from(b'1' + r.below(9) as u8),
        l(r),
        an(r),
        n(r),
        l(r),
        an(r),
        n(r),
        l(r),
        l(r),
        n(r),
        n(r),
    ]
    .iter()
    .collect();
    s
}

/// An account number.
pub fn account(r: &mut Rng) -> String {
    match r.below(2) {
        0 => format!("{}-{}", r.digits(5), r.digits(4)),
        _ => r.digits_between(7, 12),
    }
}

fn luhn_digit(payload: &[u8]) -> u8 {
    // The check digit that makes payload + digit pass Luhn.
    let mut sum = 0u32;
    for (i, &d) in payload.iter().rev().enumerate() {
        let mut v = u32::from(d);
        if i % 2 == 0 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    ((10 - sum % 10) % 10) as u8
}

/// A 16-digit card-like number passing Luhn, in groups of four.
pub fn card(r: &mut Rng) -> String {
    let mut d: Vec<u8> = vec![4];
    d.extend((0..14).map(|_| r.below(10) as u8));
    let c = luhn_digit(&d);
    d.push(c);
    let s: String = d.iter().map(|x| char::from(b'0' + x)).collect();
    let sep = if r.chance(0.5) { " " } else { "-" };
    format!(
        "{}{sep}{}{sep}{}{sep}{}",
        &s[..4],
        &s[4..8],
        &s[8..12],
        &s[12..]
    )
}

/// An NPI with a valid check digit.
pub fn npi(r: &mut Rng) -> String {
    let mut d: Vec<u8> = vec![1];
    d.extend((0..8).map(|_| r.below(10) as u8));
    let mut full = vec![8, 0, 8, 4, 0];
    full.extend_from_slice(&d);
    d.push(luhn_digit(&full));
    d.iter().map(|x| char::from(b'0' + x)).collect()
}

/// A DEA number with a valid checksum.
pub fn dea(r: &mut Rng) -> String {
    let first = *r.pick(b"ABFGMPR");
    let second = b'A' + r.below(26) as u8;
    let d: Vec<u32> = (0..6).map(|_| r.below(10) as u32).collect();
    let check = (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10;
    let digits: String = d.iter().map(|x| char::from(b'0' + *x as u8)).collect();
    format!("{}{}{digits}{check}", char::from(first), char::from(second))
}

/// A state medical license number.
pub fn state_license(r: &mut Rng) -> String {
    format!(
        "{}{}",
        r.pick(&["A", "MD", "G", "C"]),
        r.digits_between(5, 7)
    )
}

/// A street address line, sometimes with a unit.
pub fn street(r: &mut Rng) -> String {
    let num = r.range(1, 99999);
    let dir = if r.chance(0.2) {
        format!("{} ", r.pick(&["N.", "S", "E.", "W", "North"]))
    } else {
        String::new()
    };
    let unit = match r.below(5) {
        0 => format!(", Apt {}{}", r.range(1, 40), r.pick(&["", "B", "C"])),
        1 => format!(" Suite {}", r.range(100, 990)),
        2 => format!(", Unit {}", r.range(1, 300)),
        3 => format!(" #{}", r.range(1, 50)),
        _ => String::new(),
    };
    let line = format!("{num} {dir}{} {}{unit}", r.pick(STREETS), r.pick(SUFFIXES));
    if r.chance(0.15) {
        line.to_uppercase()
    } else {
        line
    }
}

/// `City, ST` (the city is PHI) and a ZIP code, returned apart so each gets its label.
pub fn city_state_zip(r: &mut Rng) -> (String, String, String) {
    let zip = if r.chance(0.3) {
        format!("{}-{}", r.digits(5), r.digits(4))
    } else {
        r.digits(5)
    };
    (r.pick(CITIES).to_string(), r.pick(STATES).to_string(), zip)
}

/// A patient-portal or records URL.
pub fn url(r: &mut Rng) -> String {
    match r.below(3) {
        0 => format!("https://portal.{}/patient/{}", r.pick(DOMAINS), r.digits(7)),
        1 => format!(
            "http://records.{}/view?id={}&t={}",
            r.pick(DOMAINS),
            r.digits(6),
            r.digits(4)
        ),
        _ => format!("www.{}/p/{}", r.pick(DOMAINS), r.digits(5)),
    }
}

/// An IPv4 or IPv6 address.
pub fn ip(r: &mut Rng) -> String {
    if r.chance(0.8) {
        format!(
            "{}.{}.{}.{}",
            r.range(1, 223),
            r.range(0, 255),
            r.range(0, 255),
            r.range(1, 254)
        )
    } else {
        format!(
            "2001:db8:{:x}:{:x}::{:x}",
            r.below(65535),
            r.below(65535),
            r.range(1, 65535)
        )
    }
}

/// A VIN with a valid check digit.
pub fn vin(r: &mut Rng) -> String {
    const CH: &[u8] = b"ABCDEFGHJKLMNPRSTUVWXYZ0123456789";
    const W: [u32; 17] = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];
    let value = |c: u8| -> u32 {
        match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'A' | b'J' => 1,
            b'B' | b'K' | b'S' => 2,
            b'C' | b'L' | b'T' => 3,
            b'D' | b'M' | b'U' => 4,
            b'E' | b'N' | b'V' => 5,
            b'F' | b'W' => 6,
            b'G' | b'P' | b'X' => 7,
            b'H' | b'Y' => 8,
            _ => 9,
        }
    };
    let mut v: Vec<u8> = (0..17).map(|_| *r.pick(CH)).collect();
    v[0] = b'1';
    let sum: u32 = v
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 8)
        .map(|(i, &c)| value(c) * W[i])
        .sum();
    v[8] = match sum % 11 {
        10 => b'X',
        n => b'0' + n as u8,
    };
    String::from_utf8_lossy(&v).into_owned()
}

/// A licence plate.
pub fn plate(r: &mut Rng) -> String {
    let l: String = (0..3)
        .map(|_| char::from(b'A' + r.below(26) as u8))
        .collect();
    format!("{}{l}{}", r.range(1, 9), r.digits(3))
}

/// A device serial number or UDI.
pub fn device(r: &mut Rng) -> String {
    match r.below(3) {
        0 => format!("PM{}-{}X", r.digits(4), r.digits(2)),
        1 => format!("SN{}", r.digits(9)),
        _ => format!("(01){}(17){}(21){}", r.digits(14), r.digits(6), r.digits(6)),
    }
}

/// A group or plan number: digits only.
pub fn digits_id(r: &mut Rng) -> String {
    r.digits_between(5, 9)
}
