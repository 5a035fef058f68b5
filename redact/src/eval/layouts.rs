//! Document families, each after the layout of real forms and messages: fax cover sheets,
//! referral letters, lab reports, HL7 v2 messages, FHIR JSON, C-CDA XML, discharge summaries,
//! prior authorisations, platform logs, and faxed pages as OCR returns them.

use super::build::{Doc, Parts, phi, plain};
use super::pools::{Place, Pools};
use super::values::{self as v, Ymd};
use crate::PhiKind;
use crate::corpus::rng::Rng;

/// The patient a document is about, and the facts every family draws on.
pub struct Ctx<'a> {
    pub pools: &'a Pools,
    pub given: &'static str,
    pub family: &'static str,
    /// The name as this document first writes it.
    pub full: String,
    pub sex: char,
    pub dob: Ymd,
    pub today: Ymd,
    pub old: bool,
    pub place: Place,
    pub street: String,
    pub mrn: String,
}

impl<'a> Ctx<'a> {
    pub fn new(r: &mut Rng, pools: &'a Pools) -> Self {
        let (given, family) = pools.person(r);
        let full = match r.below(8) {
            0 => format!("{family}, {given}"),
            1 => format!("{}, {}", family.to_uppercase(), given.to_uppercase()),
            2 => format!("{} {}", given.to_uppercase(), family.to_uppercase()),
            _ => format!("{given} {family}"),
        };
        let today = Ymd::random(r, 2019, 2025);
        let old = r.chance(0.18);
        let age = if old {
            r.range(90, 103)
        } else {
            r.range(1, 89)
        } as u32;
        let mut dob = Ymd::random(r, today.y - age - 1, today.y - age - 1);
        if dob.m == 2 && dob.d == 29 {
            dob.d = 28;
        }
        let place = pools.place(r);
        let street = v::street(r, pools);
        Ctx {
            pools,
            given,
            family,
            full,
            sex: if r.chance(0.5) { 'F' } else { 'M' },
            dob,
            today,
            old,
            place,
            street,
            mrn: v::mrn(r),
        }
    }

    /// A later mention of the patient: title and family name, the given name, or the name
    /// again.
    fn again(&self, r: &mut Rng) -> Parts {
        let title = if self.sex == 'F' {
            *r.pick(&["Ms. ", "Mrs. ", "Ms "])
        } else {
            *r.pick(&["Mr. ", "Mr "])
        };
        match r.below(5) {
            0 | 1 => vec![
                (None, title.to_owned()),
                (Some(PhiKind::Name), self.family.to_owned()),
            ],
            2 => phi(PhiKind::Name, self.given),
            3 => phi(PhiKind::Name, format!("{} {}", self.given, self.family)),
            _ => plain(*r.pick(&["the patient", "she/he", "pt"])),
        }
    }

    fn pronoun(&self) -> &'static str {
        if self.sex == 'F' { "She" } else { "He" }
    }

    fn area(&self) -> Option<&'static str> {
        Some(self.place.area)
    }

    fn visit(&self, r: &mut Rng, back: u32) -> Ymd {
        let y = self
            .today
            .y
            .saturating_sub(r.below(u64::from(back) + 1) as u32);
        let mut d = Ymd::random(r, y, y);
        if d.y == self.today.y && d.m > self.today.m {
            d.m = self.today.m;
            d.d = d.d.min(28);
        }
        d
    }
}

/// A date range starting up to `back` years ago, `lo..=hi` days long.
fn span(r: &mut Rng, c: &Ctx, back: u32, lo: u64, hi: u64) -> Parts {
    let from = c.visit(r, back);
    let days = r.range(lo, hi) as u32;
    v::date_range(r, from, days)
}

/// A date `lo..=hi` days after `day`.
fn later(r: &mut Rng, day: Ymd, lo: u32, hi: u32) -> Parts {
    let n = r.range(u64::from(lo), u64::from(hi)) as u32;
    v::date(r, day.plus_days(n))
}

fn cue<'s>(r: &mut Rng, cues: &[&'s str]) -> &'s str {
    *r.pick(cues)
}

const MRN_CUES: [&str; 14] = [
    "MRN: ",
    "MRN ",
    "MRN#: ",
    "MR #: ",
    "Med Rec No. ",
    "Medical Record Number: ",
    "Chart #: ",
    "Patient ID: ",
    "Pt ID ",
    "Hosp. No.: ",
    "Unit No: ",
    "EMR ID: ",
    "Record #",
    "ID: ",
];
const DOB_CUES: [&str; 8] = [
    "DOB: ",
    "D.O.B. ",
    "Date of Birth: ",
    "Birthdate: ",
    "DOB ",
    "Born ",
    "Birth Date: ",
    "dob: ",
];
const PHONE_CUES: [&str; 9] = [
    "Phone: ",
    "Tel: ",
    "Ph ",
    "Cell: ",
    "Home phone ",
    "(H) ",
    "Mobile: ",
    "Telephone: ",
    "Contact: ",
];
const FAX_CUES: [&str; 7] = [
    "Fax: ",
    "FAX ",
    "F: ",
    "Fax #: ",
    "Facsimile: ",
    "fax ",
    "Return fax: ",
];
const MEMBER_CUES: [&str; 8] = [
    "Member ID: ",
    "Subscriber ID: ",
    "Policy #: ",
    "Insurance ID ",
    "ID#: ",
    "Medicare ID: ",
    "Medicaid #: ",
    "Member #",
];
const ACCOUNT_CUES: [&str; 7] = [
    "Acct #: ",
    "Account No. ",
    "FIN: ",
    "Encounter #: ",
    "Visit ID: ",
    "HAR: ",
    "Billing Acct ",
];

fn mrn_line(r: &mut Rng, d: &mut Doc, c: &Ctx) {
    d.t(cue(r, &MRN_CUES)).p(PhiKind::Mrn, &c.mrn);
}

fn dob_line(r: &mut Rng, d: &mut Doc, c: &Ctx) {
    d.t(cue(r, &DOB_CUES)).v(&v::date(r, c.dob));
}

fn address_block(r: &mut Rng, d: &mut Doc, c: &Ctx, sep: &str) {
    d.p(PhiKind::Address, &c.street)
        .t(sep)
        .v(&v::city_line(r, c.place));
}

fn decoys(r: &mut Rng, d: &mut Doc, n: u64) {
    for i in 0..r.range(1, n) {
        if i > 0 {
            d.t(*r.pick(&["; ", ", ", "  ", "\n"]));
        }
        d.t(&v::decoy(r));
    }
}

fn provider(r: &mut Rng, d: &mut Doc, c: &Ctx, with_ids: bool) {
    d.v(&v::clinician(r, c.pools));
    if with_ids {
        match r.below(3) {
            0 => d.t("  NPI: ").p(PhiKind::License, &v::npi(r)),
            1 => d.t(" (NPI ").p(PhiKind::License, &v::npi(r)).t(")"),
            _ => d
                .t("  DEA ")
                .p(PhiKind::License, &v::dea(r, c.family))
                .t("  Lic# ")
                .p(PhiKind::License, &v::licence(r, c.place.state)),
        };
    }
}

/// A fax cover sheet.
pub fn cover_sheet(r: &mut Rng, c: &Ctx) -> Doc {
    let mut d = Doc::default();
    let org = v::org(r);
    d.t(*r.pick(&[
        "FAX TRANSMITTAL\n",
        "*** CONFIDENTIAL FAX ***\n",
        "Fax Cover Sheet\n",
        "FACSIMILE\n",
    ]));
    d.t(org).t("\n");
    d.t("Date: ").v(&v::date(r, c.today)).t("\n");
    d.t(*r.pick(&["To: ", "TO: ", "Attn: ", "Recipient: "]));
    provider(r, &mut d, c, false);
    d.t("\n");
    d.t(cue(r, &FAX_CUES))
        .v(&v::phone(r, PhiKind::Fax, c.area()))
        .t(*r.pick(&["   ", "\n"]));
    d.t(cue(r, &PHONE_CUES))
        .v(&v::phone(r, PhiKind::Phone, c.area()))
        .t("\n");
    d.t(*r.pick(&["From: ", "FROM: ", "Sender: "]));
    provider(r, &mut d, c, false);
    d.t(", ").t(v::org(r)).t("\n");
    d.t(cue(r, &FAX_CUES))
        .v(&v::phone(r, PhiKind::Fax, None))
        .t("  ")
        .t(cue(r, &PHONE_CUES))
        .v(&v::phone(r, PhiKind::Phone, None))
        .t("\n");
    d.t(&v::decoy(r)).t("\n");
    d.t(*r.pick(&["RE: ", "Re: ", "Regarding: ", "Patient: "]))
        .p(PhiKind::Name, &c.full)
        .t(*r.pick(&["  ", ", ", " / "]));
    dob_line(r, &mut d, c);
    if r.chance(0.6) {
        d.t("  ");
        mrn_line(r, &mut d, c);
    }
    d.t("\n");
    if r.chance(0.4) {
        d.t("Callback: ")
            .v(&v::phone(r, PhiKind::Phone, c.area()))
            .t(" or email ")
            .p(PhiKind::Email, &v::email(r, c.pools))
            .t("\n");
    }
    d.t("Message: ");
    d.t(*r.pick(&[
        "Please see attached records for ",
        "Attached are the notes requested for ",
        "Urgent: labs for ",
    ]));
    d.v(&c.again(r)).t(". ");
    decoys(r, &mut d, 3);
    d.t("\n\nThe documents accompanying this facsimile contain confidential information. If you received this in error please call ")
        .v(&v::phone(r, PhiKind::Phone, None))
        .t(" and destroy all copies.\n");
    d
}

/// A referral letter in prose.
pub fn referral(r: &mut Rng, c: &Ctx) -> Doc {
    let mut d = Doc::default();
    d.t(v::org(r)).t("\n");
    d.p(PhiKind::Address, &v::street(r, c.pools)).t("\n");
    let clinic_place = c.pools.place(r);
    d.v(&v::city_line(r, clinic_place)).t("\n");
    d.t("Tel ")
        .v(&v::phone(r, PhiKind::Phone, Some(clinic_place.area)))
        .t(" | ")
        .t(cue(r, &FAX_CUES))
        .v(&v::phone(r, PhiKind::Fax, Some(clinic_place.area)))
        .t("\n\n");
    d.v(&v::date(r, c.today)).t("\n\n");
    d.t("Dear ");
    let doc = v::clinician(r, c.pools);
    d.v(&doc).t(",\n\n");
    let (pre, age_parts) = (
        *r.pick(&[
            "I am referring ",
            "Thank you for seeing ",
            "I would appreciate your evaluation of ",
        ]),
        v::age_phrase(r, c.old, c.sex),
    );
    d.t(pre).p(PhiKind::Name, &c.full).t(" (");
    dob_line(r, &mut d, c);
    d.t("), a ").v(&age_parts).t(" ");
    d.t(if c.sex == 'F' { "woman" } else { "man" });
    d.t(" with ")
        .t(v::eponym(r))
        .t(" and ")
        .t(&v::decoy(r))
        .t(". ");
    d.t(c.pronoun()).t(" was last seen in clinic on ");
    let seen = c.visit(r, 1);
    d.v(&v::date(r, seen)).t(". ");
    if r.chance(0.5) {
        d.t("Current medications include ")
            .t(v::drug(r))
            .t(" ")
            .t(&v::decoy(r))
            .t(". ");
    }
    d.v(&c.again(r)).t(" lives with ");
    let rel = *r.pick(&[
        "her daughter ",
        "his son ",
        "a niece, ",
        "the spouse, ",
        "grandson ",
    ]);
    d.t(rel)
        .p(PhiKind::Name, &v::name(r, c.pools))
        .t(", who can be reached at ");
    d.v(&v::phone(r, PhiKind::Phone, c.area())).t(". ");
    if r.chance(0.5) {
        d.t("Home address: ");
        address_block(r, &mut d, c, ", ");
        d.t(". ");
    }
    d.t("Insurance: ").t(v::org(r)).t(", ");
    d.t(cue(r, &MEMBER_CUES))
        .p(PhiKind::HealthPlan, &v::member_id(r));
    d.t(".\n\n");
    if r.chance(0.4) {
        d.t("Prior imaging ")
            .v(&span(r, c, 2, 1, 20))
            .t(" was unremarkable. ");
    }
    d.t("Please call me with any questions.\n\nSincerely,\n\n");
    provider(r, &mut d, c, true);
    d.t("\n");
    d
}

/// A laboratory report: header block and a results table with reference ranges.
pub fn lab_report(r: &mut Rng, c: &Ctx) -> Doc {
    let mut d = Doc::default();
    d.t(v::org(r)).t(" - LABORATORY REPORT\n");
    d.t("Patient: ").p(PhiKind::Name, &c.full);
    d.t("    Sex: ").t(&c.sex.to_string()).t("   Age: ");
    if c.old {
        d.v(&vec![
            (Some(PhiKind::Age), v::old_age(r).1),
            (None, "Y".to_owned()),
        ]);
    } else {
        d.t(&format!("{}Y", r.range(1, 89)));
    }
    d.t("\n");
    dob_line(r, &mut d, c);
    d.t("    ");
    mrn_line(r, &mut d, c);
    d.t("\n");
    d.t(*r.pick(&["Accession: ", "Specimen ID: ", "Req #: "]))
        .p(
            PhiKind::Id,
            &format!("{}{}", r.pick(&["A", "S", "L", "24-"]), r.digits(8)),
        )
        .t("    ")
        .t(cue(r, &ACCOUNT_CUES))
        .p(PhiKind::Account, &v::account(r))
        .t("\n");
    let collected = c.visit(r, 0);
    d.t("Collected: ")
        .v(&v::date(r, collected))
        .t(&format!(" {}:{:02}", r.range(6, 18), r.below(60)))
        .t("   Received: ")
        .v(&v::date(r, collected))
        .t("   Reported: ")
        .v(&later(r, collected, 0, 2))
        .t("\n");
    d.t("Ordering: ");
    let ids = r.chance(0.7);
    provider(r, &mut d, c, ids);
    d.t("\n\nTEST                 RESULT   FLAG  UNITS      REFERENCE\n");
    let tests = [
        ("Glucose", "mg/dL", "70-99"),
        ("Sodium", "mmol/L", "136-145"),
        ("Potassium", "mmol/L", "3.5-5.1"),
        ("Creatinine", "mg/dL", "0.60-1.20"),
        ("eGFR", "mL/min/1.73m2", ">60"),
        ("WBC", "10^3/uL", "4.0-11.0"),
        ("Hemoglobin", "g/dL", "12.0-16.0"),
        ("Platelets", "10^3/uL", "150-400"),
        ("TSH", "uIU/mL", "0.45-4.50"),
        ("LDL Cholesterol", "mg/dL", "<100"),
        ("INR", "", "0.9-1.1"),
        ("Hemoglobin A1c", "%", "4.0-5.6"),
    ];
    for _ in 0..r.range(3, 8) {
        let (name, unit, range) = *r.pick(&tests);
        let value = format!("{}.{}", r.range(1, 180), r.below(10));
        let flag = *r.pick(&["", "", "H", "L", "HH"]);
        d.t(&format!(
            "{name:<20} {value:>7}  {flag:<4}  {unit:<10} {range}\n"
        ));
    }
    d.t(&format!(
        "LOINC {}-{}  CPT {}\n",
        r.range(1000, 99999),
        r.below(10),
        r.range(80000, 89999)
    ));
    if r.chance(0.5) {
        d.t("Critical value called to ")
            .p(PhiKind::Name, &v::name(r, c.pools))
            .t(", RN at ")
            .t(&format!("{}:{:02}", r.range(1, 12), r.below(60)))
            .t(" on ")
            .v(&v::date(r, collected))
            .t(", read back verified.\n");
    }
    d.t("Performing lab: ").t(v::org(r)).t(", ");
    let lab_place = c.pools.place(r);
    d.p(PhiKind::Address, &v::street(r, c.pools))
        .t(", ")
        .v(&v::city_line(r, lab_place));
    d.t("  CLIA ")
        .t(&format!("{}D{}", r.digits(2), r.digits(7)))
        .t("\n");
    d
}

/// An HL7 v2 message: MSH, PID, NK1, PV1, IN1 and OBX segments.
pub fn hl7(r: &mut Rng, c: &Ctx) -> Doc {
    let mut d = Doc::default();
    let nl = if r.chance(0.5) { "\r\n" } else { "\n" };
    let stamp = format!(
        "{}{:02}{:02}{:02}{:02}{:02}",
        c.today.y,
        c.today.m,
        c.today.d,
        r.below(24),
        r.below(60),
        r.below(60)
    );
    d.t(&format!(
        "MSH|^~\\&|{}|{}|FAXBOT|RECV|{stamp}||{}|MSG{}|P|2.5.1{nl}",
        r.pick(&["EPIC", "CERNER", "MEDITECH", "ATHENA"]),
        r.pick(&["MERCYGEN", "STVINCENT", "VALLEYLAB"]),
        r.pick(&["ORU^R01", "ADT^A04", "ADT^A08", "ORM^O01"]),
        r.digits(8)
    ));
    let mid = v::given(r, c.pools);
    d.t("PID|1||")
        .p(PhiKind::Mrn, &c.mrn)
        .t(&format!("^^^{}^MR", r.pick(&["MRGH", "HOSP", "EPI"])));
    if r.chance(0.4) {
        d.t("~").p(PhiKind::Ssn, &v::ssn(r)).t("^^^USSSA^SS");
    }
    d.t("||")
        .p(PhiKind::Name, &c.family.to_uppercase())
        .t("^")
        .p(PhiKind::Name, &c.given.to_uppercase());
    if r.chance(0.5) {
        d.t("^").p(PhiKind::Name, &mid.to_uppercase());
    }
    d.t("||")
        .p(PhiKind::Date, &v::hl7_date(r, c.dob))
        .t(&format!("|{}|||", c.sex))
        .p(PhiKind::Address, &c.street.to_uppercase())
        .t("^^")
        .p(PhiKind::Address, &c.place.city.to_uppercase())
        .t(&format!("^{}^", c.place.state))
        .p(PhiKind::Zip, c.place.zip)
        .t("^USA||");
    let (a, e, n) = (c.place.area, r.range(200, 999), r.digits(4));
    match r.below(3) {
        0 => d.p(PhiKind::Phone, &format!("({a}){e}-{n}")),
        1 => d
            .t("^PRN^PH^^1^")
            .p(PhiKind::Phone, a)
            .t("^")
            .p(PhiKind::Phone, &format!("{e}{n}")),
        _ => d.p(PhiKind::Phone, &format!("{a}{e}{n}")),
    };
    d.t("|||||")
        .p(PhiKind::Account, &v::account(r))
        .t("|")
        .p(PhiKind::Ssn, &v::ssn(r).replace(['-', ' ', '.'], ""))
        .t(nl);
    if r.chance(0.7) {
        let (g, f) = c.pools.person(r);
        d.t("NK1|1|")
            .p(PhiKind::Name, &f.to_uppercase())
            .t("^")
            .p(PhiKind::Name, &g.to_uppercase())
            .t(&format!(
                "|{}|",
                r.pick(&["SPO^Spouse", "DAU^Daughter", "SON^Son", "SIS^Sister"])
            ))
            .t("||")
            .v(&v::phone(r, PhiKind::Phone, c.area()))
            .t(nl);
    }
    let attending_f = c.pools.family(r);
    let attending_g = c.pools.given_any(r);
    d.t(&format!("PV1|1|{}|", r.pick(&["I", "O", "E"])))
        .t(&format!(
            "{}^{}^{}||||",
            r.pick(&["4W", "ICU", "ED"]),
            r.range(100, 499),
            r.pick(&["A", "B"])
        ))
        .p(PhiKind::License, &v::npi(r))
        .t("^")
        .p(PhiKind::Name, &attending_f.to_uppercase())
        .t("^")
        .p(PhiKind::Name, &attending_g.to_uppercase())
        .t("^^^MD||||||||||||")
        .p(PhiKind::Account, &v::account(r))
        .t("|||||||||||||||||||||||||")
        .p(PhiKind::Date, &{
            let day = c.visit(r, 0);
            v::hl7_date(r, day)
        })
        .t(nl);
    if r.chance(0.6) {
        d.t(&format!(
            "IN1|1|{}|{}|",
            r.pick(&["BCBS01", "AETNA", "MCR"]),
            r.digits(5)
        ))
        .t(v::org(r))
        .t("||||")
        // IN1-8 group number, IN1-16 insured's name, IN1-17 relationship, IN1-18 insured's
        // date of birth, IN1-36 policy number.
        .p(PhiKind::HealthPlan, &v::group_no(r))
        .t("||||||||")
        .p(PhiKind::Name, &c.family.to_uppercase())
        .t("^")
        .p(PhiKind::Name, &c.given.to_uppercase())
        .t("|SEL|")
        .p(PhiKind::Date, &v::hl7_date(r, c.dob))
        .t("||||||||||||||||||")
        .p(PhiKind::HealthPlan, &v::member_id(r))
        .t(nl);
    }
    for i in 1..=r.range(1, 4) {
        let code = r.pick(&[
            ("2345-7", "Glucose", "mg/dL", "70-99"),
            ("2160-0", "Creatinine", "mg/dL", "0.6-1.2"),
            ("718-7", "Hemoglobin", "g/dL", "12-16"),
            ("4548-4", "Hemoglobin A1c", "%", "4.0-5.6"),
        ]);
        // OBX-14, the time of the observation, is a date of the patient's care: PHI.
        d.t(&format!(
            "OBX|{i}|NM|{}^{}^LN||{}.{}|{}|{}|N|||F|||",
            code.0,
            code.1,
            r.range(1, 150),
            r.below(10),
            code.2,
            code.3
        ))
        .p(PhiKind::Date, &stamp)
        .t(nl);
    }
    d
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned())
}

/// A FHIR Patient (sometimes inside a Bundle with an Observation), as JSON.
pub fn fhir(r: &mut Rng, c: &Ctx) -> Doc {
    let mut d = Doc::default();
    let pretty = r.chance(0.5);
    let (nl, ind) = if pretty { ("\n", "  ") } else { ("", "") };
    let q = |d: &mut Doc, kind: PhiKind, s: &str| {
        let quoted = json_str(s);
        d.t("\"").p(kind, &quoted[1..quoted.len() - 1]).t("\"");
    };
    d.t("{").t(nl);
    d.t(ind).t("\"resourceType\": \"Patient\",").t(nl);
    d.t(ind).t(&format!("\"id\": \"{}\",", r.digits(6))).t(nl);
    d.t(ind)
        .t("\"identifier\": [{\"system\": \"urn:oid:2.16.840.1.113883.3.")
        .t(&r.digits(4))
        .t("\", \"type\": {\"text\": \"MRN\"}, \"value\": ");
    q(&mut d, PhiKind::Mrn, &c.mrn);
    d.t("}");
    if r.chance(0.4) {
        d.t(", {\"system\": \"http://hl7.org/fhir/sid/us-ssn\", \"value\": ");
        q(&mut d, PhiKind::Ssn, &v::ssn(r));
        d.t("}");
    }
    if r.chance(0.4) {
        d.t(", {\"system\": \"http://hl7.org/fhir/sid/us-mbi\", \"value\": ");
        q(&mut d, PhiKind::HealthPlan, &v::member_id(r));
        d.t("}");
    }
    d.t("],").t(nl);
    d.t(ind)
        .t("\"name\": [{\"use\": \"official\", \"family\": ");
    q(&mut d, PhiKind::Name, c.family);
    d.t(", \"given\": [");
    q(&mut d, PhiKind::Name, c.given);
    if r.chance(0.4) {
        d.t(", ");
        q(&mut d, PhiKind::Name, &v::given(r, c.pools));
    }
    d.t("]}],").t(nl);
    d.t(ind)
        .t("\"telecom\": [{\"system\": \"phone\", \"value\": ");
    let ph = v::phone(r, PhiKind::Phone, c.area());
    q(&mut d, PhiKind::Phone, &ph[0].1);
    d.t(", \"use\": \"home\"}");
    if r.chance(0.5) {
        d.t(", {\"system\": \"email\", \"value\": ");
        q(&mut d, PhiKind::Email, &v::email(r, c.pools));
        d.t("}");
    }
    d.t("],").t(nl);
    d.t(ind)
        .t(&format!(
            "\"gender\": \"{}\",",
            if c.sex == 'F' { "female" } else { "male" }
        ))
        .t(nl);
    d.t(ind).t("\"birthDate\": ");
    q(
        &mut d,
        PhiKind::Date,
        &format!("{}-{:02}-{:02}", c.dob.y, c.dob.m, c.dob.d),
    );
    d.t(",").t(nl);
    d.t(ind).t("\"address\": [{\"line\": [");
    q(&mut d, PhiKind::Address, &c.street);
    d.t("], \"city\": ");
    q(&mut d, PhiKind::Address, c.place.city);
    d.t(&format!(
        ", \"state\": \"{}\", \"postalCode\": ",
        c.place.state
    ));
    q(&mut d, PhiKind::Zip, c.place.zip);
    d.t("}],").t(nl);
    d.t(ind).t("\"generalPractitioner\": [{\"display\": ");
    let gp = c.pools.person(r);
    q(
        &mut d,
        PhiKind::Name,
        &format!("Dr. {} {}", gp.0, gp.1)[4..],
    );
    d.t("}],").t(nl);
    if c.old && r.chance(0.5) {
        d.t(ind)
            .t("\"extension\": [{\"url\": \"age\", \"valueInteger\": ");
        d.p(PhiKind::Age, &v::old_age(r).0.to_string());
        d.t("}],").t(nl);
    }
    d.t(ind).t(&format!(
        "\"meta\": {{\"versionId\": \"{}\", \"lastUpdated\": \"{}-{:02}-{:02}T{:02}:{:02}:{:02}.{}Z\"}}",
        r.range(1, 9),
        c.today.y,
        c.today.m,
        c.today.d,
        r.below(24),
        r.below(60),
        r.below(60),
        r.digits(3)
    ));
    d.t(nl).t("}");
    d
}

/// A C-CDA header fragment (XML): recordTarget with ids, address, telecom, name, birth time.
pub fn ccda(r: &mut Rng, c: &Ctx) -> Doc {
    let mut d = Doc::default();
    d.t("<ClinicalDocument xmlns=\"urn:hl7-org:v3\">\n  <effectiveTime value=\"");
    d.t(&format!(
        "{}{:02}{:02}{:02}{:02}00-0500",
        c.today.y,
        c.today.m,
        c.today.d,
        r.below(24),
        r.below(60)
    ));
    d.t(
        "\"/>\n  <recordTarget><patientRole>\n    <id root=\"2.16.840.1.113883.19.5\" extension=\"",
    )
    .p(PhiKind::Mrn, &c.mrn)
    .t("\"/>\n");
    if r.chance(0.5) {
        d.t("    <id root=\"2.16.840.1.113883.4.1\" extension=\"")
            .p(PhiKind::Ssn, &v::ssn(r))
            .t("\"/>\n");
    }
    d.t("    <addr use=\"HP\"><streetAddressLine>")
        .p(PhiKind::Address, &c.street)
        .t("</streetAddressLine><city>")
        .p(PhiKind::Address, c.place.city)
        .t(&format!(
            "</city><state>{}</state><postalCode>",
            c.place.state
        ))
        .p(PhiKind::Zip, c.place.zip)
        .t("</postalCode></addr>\n");
    let ph = v::phone(r, PhiKind::Phone, c.area());
    d.t("    <telecom value=\"tel:")
        .p(PhiKind::Phone, &ph[0].1)
        .t("\" use=\"HP\"/>\n");
    if r.chance(0.4) {
        d.t("    <telecom value=\"mailto:")
            .p(PhiKind::Email, &v::email(r, c.pools))
            .t("\"/>\n");
    }
    d.t("    <patient><name><given>")
        .p(PhiKind::Name, c.given)
        .t("</given><family>")
        .p(PhiKind::Name, c.family)
        .t("</family></name>\n");
    d.t(&format!(
        "      <administrativeGenderCode code=\"{}\" codeSystem=\"2.16.840.1.113883.5.1\"/>\n",
        c.sex
    ));
    d.t("      <birthTime value=\"")
        .p(
            PhiKind::Date,
            &format!("{}{:02}{:02}", c.dob.y, c.dob.m, c.dob.d),
        )
        .t("\"/>\n    </patient>\n  </patientRole></recordTarget>\n");
    d.t("  <author><assignedAuthor><id root=\"2.16.840.1.113883.4.6\" extension=\"")
        .p(PhiKind::License, &v::npi(r))
        .t("\"/><assignedPerson><name><prefix>Dr.</prefix><given>");
    let (g, f) = c.pools.person(r);
    d.p(PhiKind::Name, g)
        .t("</given><family>")
        .p(PhiKind::Name, f)
        .t("</family></name></assignedPerson></assignedAuthor></author>\n");
    d.t(&format!(
        "  <component><section><code code=\"{}\" codeSystem=\"2.16.840.1.113883.6.1\"/><text>",
        r.pick(&["11450-4", "10160-0", "48765-2"])
    ));
    d.t(v::eponym(r))
        .t("; ")
        .t(v::drug(r))
        .t(" ")
        .t(&v::decoy(r));
    d.t("</text></section></component>\n</ClinicalDocument>\n");
    d
}

/// A discharge summary in prose with section headers.
pub fn discharge(r: &mut Rng, c: &Ctx) -> Doc {
    let mut d = Doc::default();
    d.t("DISCHARGE SUMMARY\n\n");
    d.t("Name: ").p(PhiKind::Name, &c.full).t("   ");
    mrn_line(r, &mut d, c);
    d.t("   ");
    d.t(cue(r, &ACCOUNT_CUES))
        .p(PhiKind::Account, &v::account(r))
        .t("\n");
    let adm = c.visit(r, 0);
    let los = r.range(1, 14) as u32;
    d.t(*r.pick(&["Admission Date: ", "Admitted: ", "Date of admission: "]))
        .v(&v::date(r, adm))
        .t(*r.pick(&["   ", "\n"]))
        .t(*r.pick(&["Discharge Date: ", "Discharged: ", "D/C date: "]))
        .v(&v::date(r, adm.plus_days(los)))
        .t("\n");
    d.t("Attending: ");
    provider(r, &mut d, c, false);
    d.t("\n\nHISTORY OF PRESENT ILLNESS:\n");
    d.v(&c.again(r))
        .t(" is a ")
        .v(&v::age_phrase(r, c.old, c.sex));
    d.t(*r.pick(&[" with a history of ", " with ", " known for "]));
    d.t(v::eponym(r)).t(" who presented on ");
    d.v(&v::date(r, adm)).t(" with ").t(&v::decoy(r)).t(". ");
    if r.chance(0.5) {
        d.t("Seen previously at ").t(v::org(r)).t(" ");
        d.v(&span(r, c, 2, 1, 6)).t(". ");
    }
    d.t("\n\nHOSPITAL COURSE:\n");
    d.t("Started on ")
        .t(v::drug(r))
        .t(" ")
        .t(&v::decoy(r))
        .t(". ");
    let mention = c.again(r);
    d.v(&mention).t(" improved. ");
    d.t("Cardiology (Dr. ")
        .p(PhiKind::Name, &v::surname(r, c.pools))
        .t(") agreed. ");
    if r.chance(0.5) {
        let nurse = v::given(r, c.pools);
        d.t("Discussed with ")
            .p(PhiKind::Name, &nurse)
            .t(" from case management; ");
    }
    d.t("family meeting with ");
    d.p(PhiKind::Name, &v::name(r, c.pools));
    d.t(" (")
        .t(*r.pick(&["daughter", "son", "wife", "husband", "POA", "neighbor"]))
        .t(", ");
    d.v(&v::phone(r, PhiKind::Phone, c.area())).t(").\n\n");
    d.t("DISPOSITION: ")
        .t(*r.pick(&["Home with services to ", "SNF: ", "Discharged home to "]));
    address_block(r, &mut d, c, ", ");
    d.t("\nFOLLOW-UP: ");
    provider(r, &mut d, c, false);
    d.t(" on ").v(&later(r, adm, los + 5, los + 30));
    d.t(&format!(
        " at {}:{:02} {}",
        r.range(1, 12),
        r.pick(&[0, 15, 30, 45]),
        r.pick(&["AM", "PM"])
    ));
    d.t(", ").v(&v::phone(r, PhiKind::Phone, c.area())).t(".\n");
    if r.chance(0.3) {
        d.t("Device: pacemaker S/N ")
            .p(PhiKind::Device, &v::device(r))
            .t(".\n");
    }
    d.t("Electronically signed by ");
    provider(r, &mut d, c, false);
    d.t(" on ").v(&v::date(r, adm.plus_days(los))).t("\n");
    d
}

/// A prior authorisation request form.
pub fn prior_auth(r: &mut Rng, c: &Ctx) -> Doc {
    let mut d = Doc::default();
    d.t(v::org(r)).t(" PRIOR AUTHORIZATION REQUEST\n");
    d.t("Fax completed form to ")
        .v(&v::phone(r, PhiKind::Fax, None))
        .t("\n\n");
    d.t("MEMBER INFORMATION\n");
    d.t("Last Name: ")
        .p(PhiKind::Name, c.family)
        .t("   First: ")
        .p(PhiKind::Name, c.given)
        .t("\n");
    dob_line(r, &mut d, c);
    d.t("   ")
        .t(cue(r, &MEMBER_CUES))
        .p(PhiKind::HealthPlan, &v::member_id(r));
    d.t("   Group #: ")
        .p(PhiKind::HealthPlan, &v::group_no(r))
        .t("\n");
    d.t("Address: ");
    address_block(r, &mut d, c, ", ");
    d.t("\n");
    d.t(cue(r, &PHONE_CUES))
        .v(&v::phone(r, PhiKind::Phone, c.area()))
        .t("\n");
    if r.chance(0.5) {
        d.t("SSN (last 4 not accepted): ")
            .p(PhiKind::Ssn, &v::ssn(r))
            .t("\n");
    }
    d.t("\nPRESCRIBER\n");
    provider(r, &mut d, c, true);
    d.t("\n")
        .t(cue(r, &PHONE_CUES))
        .v(&v::phone(r, PhiKind::Phone, None));
    d.t("  ")
        .t(cue(r, &FAX_CUES))
        .v(&v::phone(r, PhiKind::Fax, None))
        .t("\n");
    d.t("\nMEDICATION: ")
        .t(v::drug(r))
        .t(" ")
        .t(&v::decoy(r))
        .t("  ");
    d.t(&format!(
        "NDC {}-{}-{}",
        r.digits(5),
        r.digits(4),
        r.digits(1)
    ))
    .t("\n");
    d.t("Diagnosis: ")
        .t(v::eponym(r))
        .t(" (")
        .t(&v::decoy(r))
        .t(")\n");
    d.t("Previous therapies tried: ").t(v::drug(r)).t(" ");
    d.v(&span(r, c, 3, 30, 120)).t("\n");
    d.t("Case #: ")
        .p(PhiKind::Id, &format!("PA-{}-{}", c.today.y, r.digits(6)))
        .t("\n");
    d.t("Date of request: ").v(&v::date(r, c.today)).t("\n");
    d.t("Prescriber signature: ");
    d.v(&v::clinician(r, c.pools)).t("\n");
    d
}

/// Platform log lines and a JSON event: timestamps and job ids (not PHI) around numbers,
/// addresses and names that are.
pub fn logs(r: &mut Rng, c: &Ctx) -> Doc {
    let mut d = Doc::default();
    for _ in 0..r.range(3, 8) {
        let ts = format!(
            "{}-{:02}-{:02}T{:02}:{:02}:{:02}.{}Z",
            c.today.y,
            c.today.m,
            c.today.d,
            r.below(24),
            r.below(60),
            r.below(60),
            r.digits(3)
        );
        d.t(&ts)
            .t(*r.pick(&[" INFO ", " WARN ", " level=info ", " DEBUG "]));
        match r.below(8) {
            0 => {
                d.t(&format!("fax.received job=fx_{} from=", r.digits(8)));
                let n = format!("+1{}{}{}", c.place.area, r.range(200, 999), r.digits(4));
                d.p(PhiKind::Fax, &n)
                    .t(&format!(" pages={}", r.range(1, 30)));
            }
            1 => {
                d.t("delivery failed to=");
                d.v(&v::phone(r, PhiKind::Fax, None));
                d.t(&format!(" attempt={} code=BUSY", r.range(1, 5)));
            }
            2 => {
                d.t("login ok user=")
                    .p(PhiKind::Email, &v::email(r, c.pools))
                    .t(" ip=")
                    .p(PhiKind::Ip, &v::ip(r));
            }
            3 => {
                d.t("ocr.extracted patient=\"")
                    .p(PhiKind::Name, &c.full)
                    .t("\" dob=")
                    .p(
                        PhiKind::Date,
                        &format!("{}-{:02}-{:02}", c.dob.y, c.dob.m, c.dob.d),
                    )
                    .t(" mrn=")
                    .p(PhiKind::Mrn, &c.mrn);
            }
            4 => {
                d.t(&format!(
                    "plugin=route-by-npi version={}.{}.{} latency_ms={} npi=",
                    r.range(0, 3),
                    r.range(0, 20),
                    r.range(0, 9),
                    r.range(3, 900)
                ))
                .p(PhiKind::License, &v::npi(r));
            }
            5 => {
                d.t("event={\"type\":\"fax.status\",\"to\":\"");
                d.p(
                    PhiKind::Fax,
                    &format!("{}{}{}", c.place.area, r.range(200, 999), r.digits(4)),
                );
                d.t(&format!(
                    "\",\"status\":\"delivered\",\"duration_s\":{},\"ts\":{}}}",
                    r.range(10, 600),
                    1_600_000_000 + r.below(200_000_000)
                ));
            }
            6 => {
                d.t("callback requested phone=")
                    .v(&v::phone(r, PhiKind::Phone, c.area()))
                    .t(" ref=")
                    .t(&format!("{:x}", r.next_u64()));
            }
            _ => {
                d.t("http 200 GET /v1/faxes/")
                    .t(&format!("{:x}", r.next_u64()))
                    .t(" client=")
                    .p(PhiKind::Ip, &v::ip(r))
                    .t(" ua=faxbot-cli/")
                    .t(&format!(
                        "{}.{}.{}",
                        r.range(1, 3),
                        r.range(0, 12),
                        r.range(0, 9)
                    ));
            }
        }
        d.t("\n");
    }
    d
}

/// A free-text clinic note without labels before most identifiers: names, numbers and dates
/// that only their shape and their neighbours give away.
pub fn progress_note(r: &mut Rng, c: &Ctx) -> Doc {
    let mut d = Doc::default();
    let header = match r.below(3) {
        0 => format!("{}  {}  ", c.full.to_uppercase(), c.sex),
        1 => format!("{}  ", c.full),
        _ => String::new(),
    };
    if header.is_empty() {
        d.t("Progress note\n");
    } else {
        let name_end = header.find("  ").unwrap_or(header.len());
        d.p(PhiKind::Name, &header[..name_end])
            .t(&header[name_end..]);
        d.p(PhiKind::Mrn, &c.mrn)
            .t("  ")
            .v(&v::date(r, c.dob))
            .t("\n");
    }
    let seen = c.visit(r, 0);
    d.v(&v::date(r, seen)).t(" - ");
    d.t(*r.pick(&["Seen today for ", "F/u visit: ", "Telehealth: "]));
    d.t(v::eponym(r)).t(". ");
    d.v(&v::age_phrase(r, c.old, c.sex)).t(". ");
    let friend = v::given(r, c.pools);
    d.t(*r.pick(&["Accompanied by ", "Came in with ", "Daughter "]))
        .p(PhiKind::Name, &friend)
        .t(*r.pick(&[" who drives her. ", ", caregiver. ", ". "]));
    d.p(PhiKind::Name, c.family)
        .t(*r.pick(&[" reports ", " denies ", " states "]))
        .t(&v::decoy(r))
        .t(". ");
    d.t("Call back ")
        .v(&v::phone(r, PhiKind::Phone, c.area()))
        .t(" after ")
        .t(&format!("{}pm", r.range(1, 6)))
        .t(". ");
    if r.chance(0.5) {
        d.t("Pharmacy ")
            .t(v::org(r))
            .t(" ")
            .v(&v::phone(r, PhiKind::Phone, c.area()))
            .t(". ");
    }
    d.t("Labs ")
        .v(&v::date(r, seen))
        .t(": ")
        .t(&v::decoy(r))
        .t(". ");
    if r.chance(0.5) {
        d.t("Ins ").p(PhiKind::HealthPlan, &v::member_id(r)).t(". ");
    }
    if r.chance(0.4) {
        d.t("Lives on ")
            .p(PhiKind::Address, &c.street)
            .t(" in ")
            .p(PhiKind::Address, c.place.city)
            .t(". ");
    }
    if r.chance(0.3) {
        d.t("Drives; plate ")
            .p(PhiKind::Vehicle, &v::vehicle(r))
            .t(". ");
    }
    if r.chance(0.3) {
        d.t("Portal: ").p(PhiKind::Url, &v::url(r, c.pools)).t(" ");
    }
    if r.chance(0.3) {
        d.t("Rx #").p(PhiKind::Id, &r.digits(7)).t(" refilled. ");
    }
    d.t("RTC ").v(&later(r, seen, 7, 90)).t(". ");
    d.v(&v::clinician(r, c.pools)).t("\n");
    d
}
