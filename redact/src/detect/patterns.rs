//! The pattern table: every candidate the detector looks for, as one regular expression per
//! rule, all compiled into a single multi-pattern automaton. Order matters: where two patterns
//! match at the same position the earlier one wins, so look-alikes to suppress come first,
//! then identifiers with a cue word, then the bare formats.
//!
//! Patterns are ASCII (Unicode is off), so the automaton stays a small, fast DFA; the only
//! non-ASCII bytes they take are whole characters inside names (see [`NAME_TOKEN`]), so every
//! match starts and ends on a character boundary of any UTF-8 text.

use crate::PhiKind;

/// What to do with a match of one pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// A non-PHI look-alike: consume it so no other pattern matches inside it.
    Suppress,
    /// A machine-made token (a fax job id, an RFC 3339 timestamp): suppressed like a
    /// look-alike, and a letter inside it (the timestamp's closing `Z`) is never OCR damage.
    Machine,
    /// The match is the identifier.
    Plain(PhiKind),
    /// A URL: trim trailing sentence punctuation.
    Url,
    /// `ddd-dd-dddd` or `ddd dd dddd`: an SSN when the assignment rules hold.
    Ssn,
    /// A telephone number; FAX when the nearest cue before it says so.
    Phone,
    /// An international `+CC …` number: 8 to 15 digits.
    IntlPhone,
    /// `ddd-dddd`: a local number, only right after a phone or fax cue.
    LocalPhone,
    /// Ten bare digits: an NPI when its check digit holds, else a NANP phone number.
    TenDigits,
    /// 13–19 digits in groups: an account number when Luhn holds.
    Card,
    /// Two letters and seven digits: a DEA number when its checksum holds.
    Dea,
    /// Seventeen characters: a VIN when its check digit holds.
    Vin,
    /// IPv6 in full or compressed form (must hold a digit).
    Ipv6,
    /// `m/d/y`, `d.m.y`, `m-d-yy`: month and day must be plausible either way round.
    NumericDate,
    /// `yyyy-mm-dd`.
    IsoDate,
    /// `mm/yyyy`.
    MonthYear,
    /// `m/d` without a year: only after a date cue word.
    ShortDate,
    /// A cue word, a separator and a value; the span is the value alone.
    Cue(CueValue),
    /// Two or three name-shaped words without a cue: a name when the dictionaries say so.
    NamePair,
}

/// What follows a cue word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CueValue {
    /// An identifier of this kind (at least one digit, four characters or more).
    Id(PhiKind),
    /// A phone-like number of this kind (PHONE or FAX).
    Number(PhiKind),
    /// A date in any numeric form.
    Date,
    /// A name; `strong` cues accept any name-shaped words, weak ones need a dictionary hit.
    Name {
        /// Whether the cue alone makes the words a name.
        strong: bool,
    },
}

/// One entry of the table: the full pattern, the cue-word part alone (for cue rules, to find
/// where the value starts) and the rule.
pub struct Pattern {
    /// The whole pattern.
    pub regex: String,
    /// For cue rules: the cue alternation, matched anchored at the match start.
    pub cue: Option<String>,
    /// What a match means.
    pub rule: Rule,
}

const STATES: &str = "AL|AK|AZ|AR|CA|CO|CT|DE|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|DC|PR";

const MONTHS: &str = "January|February|March|April|May|June|July|August|September|October|November|December|JANUARY|FEBRUARY|MARCH|APRIL|MAY|JUNE|JULY|AUGUST|SEPTEMBER|OCTOBER|NOVEMBER|DECEMBER|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec|JAN|FEB|MAR|APR|JUN|JUL|AUG|SEPT|SEP|OCT|NOV|DEC";

/// Days of the month in words, as in "March fourteenth".
const ORDINAL_WORDS: &str = "(?i:(?:twenty|thirty)-?[ \t]?(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|thirtieth)";

/// Street suffixes: the common ones, then the rest of USPS Publication 28's list (Appendix
/// C1) and its abbreviations, less the words a clinical text uses otherwise (Center,
/// Station, Point, Pass, Rest, Union, Light, Well, Port, Course…).
const STREET_SUFFIX: &str = "Street|St|Avenue|Ave|Av|Road|Rd|Boulevard|Blvd|Drive|Dr|Lane|Ln|Way|Court|Ct|Place|Pl|Terrace|Ter|Circle|Cir|Parkway|Pkwy|Highway|Hwy|Square|Sq|Trail|Trl|Loop|Route|Rte|Pike|Plaza|Plz|Row|Alley|Crossing|Xing|Run|Path|Walk|Ridge|Heights|Hts|Anex|Arcade|Bayou|Byu|Beach|Bch|Bluffs?|Blfs?|Bottom|Btm|Branch|Brch|Bridge|Brg|Brooks?|Brks?|Burgs?|Bgs?|Bypass|Byp|Camp|Cp|Canyon|Cyn|Cape|Cpe|Causeway|Cswy|Cliffs?|Clfs?|Corners?|Cors?|Courts|Cts|Coves?|Cvs?|Creek|Crk|Crescent|Cres|Crest|Crst|Crossroads?|Xrds?|Curve|Curv|Dale|Dl|Divide|Dv|Drives|Drs|Estates?|Ests?|Expressway|Expy|Extensions?|Exts|Falls|Fls|Ferry|Fry|Fields?|Flds?|Flats?|Flts?|Fords?|Frds?|Forest|Frst|Forges?|Frgs?|Forks?|Frks?|Fort|Ft|Freeway|Fwy|Gardens?|Gdns?|Gateway|Gtwy|Glens?|Glns?|Greens?|Grns?|Groves?|Grvs?|Harbors?|Hbrs?|Haven|Hvn|Hills?|Hls?|Hollow|Holw|Inlet|Inlt|Islands?|Iss?|Isle|Junctions?|Jcts?|Keys?|Kys?|Knolls?|Knls?|Lakes?|Lks?|Landing|Lndg|Lodge|Ldg|Mall|Manors?|Mnrs?|Meadows?|Mdws?|Mews|Mills?|Mls?|Motorway|Mtwy|Mount|Mountains?|Mtns?|Orchard|Orch|Oval|Overpass|Opas|Parks|Parkways|Pkwys|Passage|Psge|Pines?|Pnes?|Plains?|Plns?|Prairie|Pr|Ranch|Rnch|Rapids?|Rpds?|Ridges|Rdgs|River|Riv|Roads|Rds|Shoals?|Shls?|Shores?|Shrs?|Skyway|Skwy|Springs?|Spgs?|Spurs?|Stream|Strm|Streets|Sts|Summit|Smt|Trace|Trce|Trafficway|Trfy|Tunnel|Tunl|Turnpike|Tpke|Underpass|Upas|Valleys?|Vlys?|Viaduct|Via|Views?|Vws?|Villages?|Vlgs?|Ville|Vl|Vista|Vis|Walks|Wall|Ways";

/// Between a cue word and its value: quotes (JSON), `:`, `=`, `#`, `-`, `no.`, spaces.
/// A line may break around the `:` or `#` (`Group⏎#: 815743`), never without one.
const SEP: &str = r#"(?:\.?(?:[ \t]*\([^)\n0-9]{1,40}\))?[ \t]*["']?[ \t]*(?:\n?[ \t]*[:=#]{1,2}[ \t]*\n?|-(?:[ \t]|$)|\b(?i:no\.?|number|num|nbr)\b[ \t]*:?(?:[ \t]*(?i:is|was)\b)?)?[ \t]*#?[ \t]*["']?[ \t]*)"#;

/// One word of a name: capitalised, all caps, an initial; hyphens and apostrophes inside.
///
/// After its first (ASCII capital) letter a word may hold any non-ASCII bytes, so "José" and
/// "Müller" are whole words: `(?-u:[\x80-\xFF])` takes every byte of a multi-byte
/// character, so a match still ends on a character boundary.
pub const NAME_TOKEN: &str = r"(?:(?:[A-Z]|(?-u:[\xC3-\xC5][\x80-\xBF]))(?:[A-Za-z]|(?-u:[\x80-\xFF]))*(?:['-](?:[A-Z]|(?-u:[\x80-\xFF]))(?:[A-Za-z]|(?-u:[\x80-\xFF]))*)*(?:\b|(?-u:[\x80-\xFF])|$)\.?)";

/// A cue phrase whose words may be joined by a space, `_`, `-` or nothing (`member_id`,
/// `MemberID`), matched case-insensitively at a word start.
fn cue(words: &[&str]) -> String {
    let alts: Vec<String> = words
        .iter()
        .map(|w| {
            w.replace('.', r"\.")
                .replace('(', r"\(")
                .replace(')', r"\)")
                .split(' ')
                .collect::<Vec<_>>()
                .join(r"[ _-]?")
        })
        .collect();
    format!(r"\b(?i:{})", alts.join("|"))
}

fn cue_pattern(words: &[&str], value: &str, rule: CueValue) -> Pattern {
    let c = cue(words);
    Pattern {
        regex: format!("{c}{SEP}{value}"),
        cue: Some(format!("{c}{SEP}")),
        rule: Rule::Cue(rule),
    }
}

fn plain(regex: &str, rule: Rule) -> Pattern {
    Pattern {
        regex: regex.to_owned(),
        cue: None,
        rule,
    }
}

/// The whole table, in priority order.
pub fn table() -> Vec<Pattern> {
    // One group of letters, digits and hyphens, then up to two more groups after single
    // spaces when they start with a digit (`KYY 74981Z994`, `MAG 828369371 97`).
    let id_value =
        r"[A-Za-z0-9](?:[A-Za-z0-9-]{2,30})[A-Za-z0-9]\b(?:[ ][0-9][0-9A-Za-z-]{0,15}\b){0,2}";
    // A space inside a number is a single one: two or more are a form's column gap
    // (`FX47525288        07/22/2025` is a claim number, then a date).
    let number_value = r"\+?[0-9(](?:[0-9()./-]|[ ][0-9()./-]){5,22}[0-9](?:[ \t]*(?i:ext\.?|x)[ \t]*[0-9]{1,6})?\b";
    let date_value = r"[0-9]{1,4}(?:[/.-]|[ ]{1,2})?[0-9]{1,2}(?:[/.-]|[ ]{1,2})?[0-9]{2,4}\b";
    // The words of a name are joined by one space (or a comma and one space): two spaces
    // or a tab separate the columns of a form.
    // A nickname in quotes may stand between them (`Naël 'Georges' Laroche`).
    let name_seq = format!(r#"{NAME_TOKEN}['"]?(?:,?[ \t]['"]?{NAME_TOKEN}['"]?){{0,4}}"#);
    let ext = r"(?:[ \t]*,?[ \t]*(?i:ext\.?|extension|x|\#)[ \t]*[0-9]{1,6}\b)?";

    vec![
        // --- non-PHI look-alikes, consumed first ---
        // Our fax job ids (fj_ + Crockford base32), machine timestamps (RFC 3339 with a time).
        plain(r"\bfj_[0-9A-Za-z]{6,40}\b", Rule::Machine),
        plain(
            r"\b[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?(?:Z|[+-][0-9]{2}:?[0-9]{2})",
            Rule::Machine,
        ),
        // Prices, dosages and lab quantities, page counts, CPT codes, blood pressure, ICD-10.
        plain(
            r"\$[ \t]?[0-9]{1,3}(?:,[0-9]{3})*(?:\.[0-9]{2})?|\$[0-9]+(?:\.[0-9]{2})?",
            Rule::Suppress,
        ),
        plain(
            r"\b[0-9]+(?:\.[0-9]+)?[ \t]?(?:mg|mcg|g|kg|ml|mL|L|units?|IU|mEq|mmol/L|mg/dL|g/dL|mmHg|bpm|cm|mm|lbs?|oz|tabs?|tablets?|capsules?|caps|puffs?|drops?|days?|weeks?|months?|hours?|hrs?|min|minutes?|years?|yrs?|%)\b",
            Rule::Suppress,
        ),
        plain(
            r"\b(?i:pages?|pg)[ \t]*[:#]?[ \t]*[0-9]+(?:[ \t]*(?i:of|/)[ \t]*[0-9]+)?\b",
            Rule::Suppress,
        ),
        plain(
            r"\b(?i:CPT|HCPCS)(?:[ \t]+(?i:codes?))?[ \t]*[:#]?[ \t]*[0-9]{4}[0-9A-Z](?:[ \t]*,[ \t]*[0-9]{4}[0-9A-Z])*\b",
            Rule::Suppress,
        ),
        plain(
            r"\b(?i:version|ver\.?|v)[ \t]*[=:]?[ \t]*[0-9]+\.[0-9]+(?:\.[0-9]+){1,2}\b",
            Rule::Suppress,
        ),
        plain(
            r"\b(?i:BP|blood pressure)[ \t]*:?[ \t]*[0-9]{2,3}/[0-9]{2,3}\b",
            Rule::Suppress,
        ),
        plain(
            r"\b[A-TV-Z][0-9][0-9AB](?:\.[0-9A-Z]{1,4})?\b",
            Rule::Suppress,
        ),
        // --- web and network ---
        plain(
            r"(?i:https?://|www\.)[A-Za-z0-9./?=&%#:_~+@!$,;*()-]+",
            Rule::Url,
        ),
        // Email addresses are not here: their local part could start any word, which would
        // keep the automaton alive everywhere. `email.rs` finds them from the `@`.
        // --- identifiers after a cue word ---
        // The last four of an SSN, the cue's words broken across a line or `SSN` read as
        // `5SN` by OCR (`Last 4⏎SSN: 8470`, `Last⏎4 SSN: 9708`, `Last 4 5SN:2132`).
        {
            let c = r"\b(?i:last[ \t]*\r?\n?[ \t]*(?:4|four)(?:[ \t]+digits)?(?:[ \t]+of)?[ \t]*\r?\n?[ \t]*(?:ssn|5sn|s5n|55n|ss#|social(?:[ \t]+security)?))";
            Pattern {
                regex: format!(r"{c}{SEP}(?:[Xx*]{{3}}[ -]?[Xx*]{{2}}[ -]?)?[0-9]{{4}}\b"),
                cue: Some(format!("{c}{SEP}")),
                rule: Rule::Cue(CueValue::Id(PhiKind::Ssn)),
            }
        },
        // The last four of an SSN, which forms and consent letters ask for on their own.
        cue_pattern(
            &[
                "last 4 of ssn",
                "last 4 of social security number",
                "last 4 of social security",
                "last 4 of social",
                "last 4 ssn",
                "last 4 digits of ssn",
                "last 4 digits of social security number",
                "last four of ssn",
                "last four ssn",
                "last four digits of ssn",
                "last four of social security number",
                "ssn last 4",
                "ssn last four",
                "ssn (last 4)",
                "ssn (last four)",
                "ssn last 4 digits",
                "ss# last 4",
            ],
            r"(?:[Xx*]{3}[ -]?[Xx*]{2}[ -]?)?[0-9]{4}\b",
            CueValue::Id(PhiKind::Ssn),
        ),
        cue_pattern(
            &[
                "ssn",
                "5sn",
                "s5n",
                "ss#",
                "social security number",
                "social security no",
                "social security #",
                "social security",
                "soc sec no",
                "soc sec #",
                "soc sec",
            ],
            r"[0-9Xx*]{3}[ -]?[0-9Xx*]{2}[ -]?[0-9]{4}\b",
            CueValue::Id(PhiKind::Ssn),
        ),
        cue_pattern(
            &[
                "medical record number",
                "medical record no",
                "medical record #",
                "medical record",
                "med rec no",
                "med rec #",
                "med rec",
                "mrn",
                "m.r.n.",
                "chart number",
                "chart no",
                "chart #",
                "chart",
                "patient id",
                "patient #",
                "patient no",
                "pt id",
                "pt #",
                "mr #",
                "mr no",
                "mr number",
                "record number",
                "record no",
                "record #",
                "unit number",
                "unit no",
                "hospital number",
                "hospital no",
                "hosp no",
                "hosp #",
                "emr id",
                "emr #",
                "ehr id",
                "patient number",
                "our ref",
                "our reference",
                "your ref",
                "your reference",
                "ref #",
                "ref no",
                "ref number",
                "reference #",
                "reference no",
                "reference number",
            ],
            id_value,
            CueValue::Id(PhiKind::Mrn),
        ),
        cue_pattern(
            &[
                "member id",
                "member number",
                "member no",
                "member #",
                "member",
                "subscriber id",
                "subscriber number",
                "subscriber #",
                "subscriber",
                "policy number",
                "policy no",
                "policy #",
                "policy",
                "group number",
                "group no",
                "group #",
                "group",
                "insurance id",
                "insurance number",
                "insurance #",
                "ins id",
                "ins #",
                "ins",
                "plan id",
                "beneficiary id",
                "medicaid id",
                "medicaid #",
                "medicaid",
                "medicare id",
                "medicare #",
                "medicare",
                "mbi",
                "hicn",
                "health plan id",
                "health plan number",
            ],
            id_value,
            CueValue::Id(PhiKind::HealthPlan),
        ),
        cue_pattern(
            &[
                "account number",
                "account no",
                "account #",
                "account",
                "acct no",
                "acct #",
                "acct.",
                "acct",
                "a/c",
                "claim number",
                "claim no",
                "claim #",
                "claim id",
                "claim",
                "billing id",
                "billing #",
                "billing acct",
                "fin",
                "har",
                "encounter number",
                "encounter #",
                "encounter id",
                "visit number",
                "visit #",
                "visit id",
                "csn",
            ],
            id_value,
            CueValue::Id(PhiKind::Account),
        ),
        cue_pattern(
            &[
                "dea number",
                "dea no",
                "dea #",
                "dea registration",
                "dea",
                "npi number",
                "npi no",
                "npi #",
                "npi",
                "state license number",
                "state license",
                "medical license number",
                "medical license",
                "license number",
                "license no",
                "license #",
                "license",
                "lic no",
                "lic #",
                "lic.",
                "lic",
                "certificate number",
                "certificate #",
                "driver's license",
                "drivers license",
                "dl #",
                "dl no",
            ],
            &format!(r"(?:[0-9]{{1,3}}\.[0-9]{{4,10}}\b|{id_value})"),
            CueValue::Id(PhiKind::License),
        ),
        // Licence plates: short letter and digit groups (`ANT 515`, `YWB510`).
        cue_pattern(
            &[
                "license plate number",
                "license plate",
                "vehicle plate",
                "plate number",
                "plate #",
                "plate",
                "tag number",
                "tag #",
            ],
            r"[A-Z0-9]{1,4}(?:[ -]?[A-Z0-9]{1,4})?\b",
            CueValue::Id(PhiKind::Vehicle),
        ),
        cue_pattern(
            &[
                "vin number",
                "vin #",
                "vin",
                "vehicle id",
                "license plate number",
                "license plate",
                "plate number",
                "plate #",
                "plate",
                "tag number",
                "tag #",
            ],
            id_value,
            CueValue::Id(PhiKind::Vehicle),
        ),
        cue_pattern(
            &[
                "serial number",
                "serial no",
                "serial #",
                "serial",
                "s/n",
                "sn",
                "device id",
                "device serial",
                "device #",
                "udi",
                "imei",
                "implant id",
            ],
            id_value,
            CueValue::Id(PhiKind::Device),
        ),
        // Any other identifier introduced as one ("ID: W123456789", "Case #: 88-2041").
        cue_pattern(
            &[
                "id",
                "id number",
                "identifier",
                "accession number",
                "accession no",
                "accession #",
                "accession",
                "requisition number",
                "requisition #",
                "requisition",
                "req #",
                "req no",
                "specimen id",
                "specimen #",
                "specimen no",
                "rx number",
                "rx no",
                "rx #",
                "prescription number",
                "prescription #",
                "order number",
                "order #",
                "authorization number",
                "authorization #",
                "auth #",
                "case number",
                "case no",
                "case #",
                "reference id",
            ],
            id_value,
            CueValue::Id(PhiKind::Id),
        ),
        cue_pattern(
            &["zip code", "zipcode", "zip", "postal code"],
            r"[0-9]{5}(?:-[0-9]{4})?\b",
            CueValue::Id(PhiKind::Zip),
        ),
        cue_pattern(
            &["fax number", "fax no", "fax #", "fax", "facsimile", "fx"],
            number_value,
            CueValue::Number(PhiKind::Fax),
        ),
        cue_pattern(
            &[
                "phone number",
                "phone no",
                "phone #",
                "phone",
                "telephone",
                "tel",
                "cell",
                "mobile",
                "ph",
                "call back number",
                "callback number",
                "callback",
                "contact number",
            ],
            number_value,
            CueValue::Number(PhiKind::Phone),
        ),
        cue_pattern(
            &[
                "date of birth",
                "birth date",
                "birthdate",
                "dob",
                "d.o.b.",
                "born",
                "date of service",
                "dos",
                "date of death",
                "dod",
                "admit date",
                "admission date",
                "discharge date",
                "service date",
            ],
            date_value,
            CueValue::Date,
        ),
        // --- names after a cue word ---
        Pattern {
            regex: format!(
                r"\b(?:Dr|DR|Mr|MR|Mrs|MRS|Ms|MS|Mx|Miss|MISS|Prof)(?:\.[ \t]*|[ \t]+){name_seq}"
            ),
            cue: Some(
                r"\b(?:Dr|DR|Mr|MR|Mrs|MRS|Ms|MS|Mx|Miss|MISS|Prof)(?:\.[ \t]*|[ \t]+)".to_owned(),
            ),
            rule: Rule::Cue(CueValue::Name { strong: true }),
        },
        {
            let c = cue(&[
                "patient name",
                "patient",
                "pt name",
                "pt",
                "name",
                "insured",
                "insured name",
                "subscriber name",
                "member name",
                "guarantor",
                "attn",
                "attention",
                "electronically signed by",
                "signed by",
                "signed",
                "signature",
                "caregiver",
                "emergency contact",
                "next of kin",
                "mother",
                "father",
                "spouse",
                "husband",
                "wife",
                "guardian",
                "physician",
                "referring physician",
                "referring provider",
                "ordering physician",
                "ordering provider",
                "attending physician",
                "attending",
                "provider",
                "prescriber",
                "pcp",
                "nurse",
                "contact person",
                "daughter",
                "son",
                "brother",
                "sister",
                "grandson",
                "granddaughter",
                "authorized by",
                "reviewed by",
                "patient_name",
                "full name",
                "office contact",
                "laboratory director",
                "lab director",
                "medical director",
                "injured person",
                "injured party",
                "claimant",
                "driver",
                "ordering practitioner",
                "practitioner",
                "treating provider",
                "treating physician",
                "beneficiary",
                "member",
                "representative",
                "sent by",
                "dictated by",
                "seen by",
                "accompanied by",
                "name and address",
                "lives with a spouse",
                "lives with",
                "my mother",
                "my father",
                "caller id",
                "caller name",
                "caller",
                "sender name",
                "sender",
                "recipient name",
                "recipient",
                "other names used",
                "aka",
                "also known as",
            ]);
            // A form's label may end in `|` (a table's cell) or a line break after the `:`.
            let sep = r#"(?:[ \t]*\([^)\n0-9]{1,40}\))?(?:"[ \t]*:[ \t]*"|[ \t]*[:|][ \t]*\n[ \t]*|[ \t]*[:#=,|-][ \t]*"?|[ \t]+"?)"#;
            Pattern {
                regex: format!(r"{c}{sep}{name_seq}"),
                cue: Some(format!(r"{c}{sep}")),
                rule: Rule::Cue(CueValue::Name { strong: true }),
            }
        },
        {
            let c = cue(&[
                "re",
                "regarding",
                "to",
                "from",
                "cc",
                "contact",
                "for",
                "with",
                "spoke with",
                "call",
                "called",
                "calling",
                "referring",
                "notified",
                "informed",
                "per",
            ]);
            let sep = r"(?:[ \t]*:[ \t]*|[ \t]+)";
            Pattern {
                regex: format!(r"{c}{sep}{name_seq}"),
                cue: Some(format!(r"{c}{sep}")),
                rule: Rule::Cue(CueValue::Name { strong: false }),
            }
        },
        // --- addresses ---
        plain(
            &format!(
                r"\b[0-9]{{1,6}}(?:-[0-9]{{1,4}})?[A-Za-z]?[ \t]+(?:[NSEW]\.?[ \t]+|(?:North|South|East|West)[ \t]+)?(?:(?:[A-Z0-9]|(?-u:[\xC3-\xDF][\x80-\xBF]))(?:[A-Za-z0-9'.-]|(?-u:[\xC3-\xDF][\x80-\xBF]))*[ \t]+|(?:de|del|la|las|los|das|dos|da|du|van|von|el|le)[ \t]+){{1,5}}(?i:{STREET_SUFFIX})\b\.?(?:,?[ \t]+(?:[NSEW]|NE|NW|SE|SW)\b\.?)?(?:,?[ \t]*(?:(?i:apt|apartment|unit|suite|ste|bldg|building|fl|floor|rm|room)\.?[ \t\n]*#?|\#[ \t]*)[A-Za-z0-9-]+\b)?"
            ),
            Rule::Plain(PhiKind::Address),
        ),
        plain(
            r"\b(?i:P\.?[ \t]?O\.?[ \t]*Box|Post Office Box|(?:RR|Rural Route|HC)[ \t]*[0-9]{1,3}[ \t]+Box)[ \t]+[0-9]+\b",
            Rule::Plain(PhiKind::Address),
        ),
        // Military mail (`PSC 1385 Box 3551`, `CMR 402 Box 17`, `Unit 2050 Box 4190`).
        plain(
            r"\b(?:PSC|CMR|UNIT|Unit)[ \t]*[0-9]{1,5},?[ \t]+(?i:box)[ \t]+[0-9]{1,5}\b",
            Rule::Plain(PhiKind::Address),
        ),
        // A county or parish by name (`Halvorson County`, `St. Tammany Parish`).
        plain(
            r"\b(?:[A-Z][A-Za-z'.-]+[ \t]+){1,2}(?:County|COUNTY|Parish|PARISH|Borough)\b",
            Rule::Plain(PhiKind::Address),
        ),
        // A house number and capitalised street words, whatever the suffix, when a unit
        // follows (`23056 Nienow Unions Unit 32`, `9469 Schimmel Dam, Suite 167`).
        plain(
            r"\b[0-9]{1,6}(?:-[0-9]{1,4})?[A-Za-z]?[ \t]+(?:[A-Z][A-Za-z'.-]*[ \t]+){0,3}[A-Z][A-Za-z'.-]*,?[ \t]*\n?[ \t]*(?:(?i:apt|apartment|unit|suite|ste)\.?[ \t]*\n?[ \t]*#?[ \t]*|\#[ \t]*)[A-Za-z0-9-]*[0-9][A-Za-z0-9-]*\b",
            Rule::Plain(PhiKind::Address),
        ),
        plain(
            &format!(
                r"\b(?:[A-Z][A-Za-z.'-]*[ \t]+){{0,2}}[A-Z][A-Za-z.'-]*,[ \t]*(?:{STATES})\.?[ \t]+[0-9]{{5}}(?:-[0-9]{{4}})?\b"
            ),
            Rule::Plain(PhiKind::Address),
        ),
        plain(
            &format!(r"\b(?:{STATES})[ \t]+[0-9]{{5}}(?:-[0-9]{{4}})?\b"),
            Rule::Plain(PhiKind::Zip),
        ),
        plain(r"\b[0-9]{5}-[0-9]{4}\b", Rule::Plain(PhiKind::Zip)),
        // --- numbers with a shape of their own ---
        plain(
            r"\b(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\b",
            Rule::Plain(PhiKind::Ip),
        ),
        plain(
            r"\b(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}\b|\b(?:[0-9A-Fa-f]{1,4}:){1,6}:(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,5})?",
            Rule::Ipv6,
        ),
        plain(
            r"\b[0-9]{3}-[0-9]{2}-[0-9]{4}\b|\b[0-9]{3} [0-9]{2} [0-9]{4}\b|\b[0-9]{3}\.[0-9]{2}\.[0-9]{4}\b",
            Rule::Ssn,
        ),
        plain(
            &format!(
                r"(?:\+1[-. \n]?|\b1[-. \n])?(?:\([0-9]{{3}}\)[ \t\n]?[-.]?[ \t\n]?|\b[0-9]{{3}}(?:[ \t]?[-./][ \t\n]?|[ \t\n]))[0-9]{{3}}(?:[ \t]?[-.][ \t\n]?|[ \t\n])[0-9]{{4}}\b{ext}"
            ),
            Rule::Phone,
        ),
        plain(&format!(r"\+1[-. ]?[0-9]{{10}}\b{ext}"), Rule::Phone),
        // The same ten digits grouped six and four (`+1 618876 1895`, `(988)-875-7633`).
        plain(
            &format!(r"\+1[-. ]?[0-9]{{6}}[-. ][0-9]{{4}}\b{ext}"),
            Rule::Phone,
        ),
        plain(
            &format!(r"\([0-9]{{3}}\)-[0-9]{{3}}-[0-9]{{4}}\b{ext}"),
            Rule::Phone,
        ),
        plain(
            r"\+[2-9][0-9]{0,2}(?:[-. \n]?\(?[0-9]{1,5}\)?){2,5}\b",
            Rule::IntlPhone,
        ),
        // The same dialled from the US: 011, the country code, the number.
        plain(
            r"\b011[-. ]?[1-9][0-9]{0,2}(?:[-. \n]?\(?[0-9]{1,5}\)?){2,5}\b",
            Rule::IntlPhone,
        ),
        plain(
            r"\(01\)[0-9]{14}(?:\([0-9]{2}\)[A-Za-z0-9]{1,20}){0,4}",
            Rule::Plain(PhiKind::Device),
        ),
        plain(
            r"\b[1-9][AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9][0-9]-?[AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9][0-9]-?[AC-HJKMNP-RT-Y]{2}[0-9]{2}\b",
            Rule::Plain(PhiKind::HealthPlan),
        ),
        plain(r"\b[A-HJ-NPR-Z0-9]{17}\b", Rule::Vin),
        plain(r"\b[A-Z][A-Z9][0-9]{7}\b", Rule::Dea),
        plain(
            r"\b[0-9]{4}(?:[ -]?[0-9]{4}){2}[ -]?[0-9]{1,7}\b",
            Rule::Card,
        ),
        plain(r"\b[0-9]{10}\b", Rule::TenDigits),
        plain(r"\b[0-9]{6}[ ][0-9]{4}\b", Rule::TenDigits),
        // --- dates ---
        plain(r"\b[0-9]{4}[-/.][0-9]{1,2}[-/.][0-9]{1,2}\b", Rule::IsoDate),
        plain(
            r"\b[0-9]{1,2}[/.-][0-9]{1,2}[/.-](?:[0-9]{4}|[0-9]{2})\b",
            Rule::NumericDate,
        ),
        // Written months: an optional weekday, the month, a day (or a day range, or an
        // ordinal in words) and an optional year; lines may break anywhere between words.
        plain(
            &format!(
                r"\b(?:(?i:mon|tues|wednes|thurs|fri|satur|sun)day,?[ \t\n]*)?(?:{MONTHS})\.?[ \t\n]+(?:[0-9]{{1,2}}(?:st|nd|rd|th)?\b(?:[ \t]*(?:-|(?-u:\xE2\x80\x93))[ \t]*[0-9]{{1,2}}\b)?(?:,?[ \t\n]+[0-9]{{4}}\b)?|[0-9]{{4}}\b|{ORDINAL_WORDS}\b)"
            ),
            Rule::Plain(PhiKind::Date),
        ),
        plain(
            &format!(
                r"\b(?:(?i:the)[ \t\n]+)?(?:0?[1-9]|[12][0-9]|3[01])(?:st|nd|rd|th)?[ \t\n]+(?:of[ \t\n]+)?(?:{MONTHS})\b\.?(?:,?[ \t\n]+[0-9]{{4}}\b)?"
            ),
            Rule::Plain(PhiKind::Date),
        ),
        // 28-Feb-20, 04-AUG-2020, 13MAR2022, 5 VIII 2020 (Roman months), 12 / 31 / 1916.
        plain(
            &format!(r"\b[0-9]{{1,2}}[-. ]?(?:{MONTHS})[-. ]?(?:[0-9]{{4}}|[0-9]{{2}})\b"),
            Rule::Plain(PhiKind::Date),
        ),
        plain(
            r"\b(?:0?[1-9]|[12][0-9]|3[01])[ \t]+(?:I|II|III|IV|V|VI|VII|VIII|IX|X|XI|XII)[ \t]+[0-9]{4}\b",
            Rule::Plain(PhiKind::Date),
        ),
        plain(
            r"\b(?:0?[1-9]|1[0-2])[ \t]*/[ \t]*(?:0?[1-9]|[12][0-9]|3[01])[ \t]*/[ \t]*(?:[0-9]{4}|[0-9]{2})\b",
            Rule::Plain(PhiKind::Date),
        ),
        // `08 14 2025`: month, day and a four-digit year parted by single spaces.
        plain(
            r"\b(?:0?[1-9]|1[0-2]) (?:0?[1-9]|[12][0-9]|3[01]) (?:19|20)[0-9]{2}\b",
            Rule::Plain(PhiKind::Date),
        ),
        plain(r"\b[0-9]{1,2}/[0-9]{4}\b", Rule::MonthYear),
        plain(r"\b[0-9]{1,2}/[0-9]{1,2}\b", Rule::ShortDate),
        plain(r"\b[0-9]{3}-[0-9]{4}\b", Rule::LocalPhone),
        // --- names without a cue: two name-shaped words, checked against the dictionaries ---
        plain(
            &format!(r"\b{NAME_TOKEN}(?:[ \t]+[A-Z]\.?)?,?[ \t]+{NAME_TOKEN}"),
            Rule::NamePair,
        ),
    ]
}
