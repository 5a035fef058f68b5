//! Document templates: cover sheets, referrals, lab results, prior authorisations, JSON event
//! payloads and log lines, each filled with labelled identifiers and unlabelled look-alikes.

use super::rng::Rng;
use super::values as v;
use super::{DocKind, Document};
use crate::{PhiKind, Span};

/// A document being written: text, and the labelled spans in it.
struct Doc {
    text: String,
    spans: Vec<Span>,
}

impl Doc {
    fn new() -> Self {
        Doc {
            text: String::with_capacity(2048),
            spans: Vec::new(),
        }
    }

    /// Plain text (not PHI).
    fn t(&mut self, s: &str) -> &mut Self {
        self.text.push_str(s);
        self
    }

    /// One of `choices`, as plain text.
    fn one(&mut self, r: &mut Rng, choices: &[&str]) -> &mut Self {
        let choice: &&str = r.pick(choices);
        self.t(choice)
    }

    /// A labelled identifier.
    fn p(&mut self, kind: PhiKind, value: &str) -> &mut Self {
        let start = self.text.len();
        self.text.push_str(value);
        self.spans.push(Span::new(start, self.text.len(), kind));
        self
    }

    /// A street line, `City, ST ZIP`, labelled ADDRESS, ADDRESS and ZIP.
    fn address(&mut self, r: &mut Rng, between: &str) -> &mut Self {
        let (city, state, zip) = v::city_state_zip(r);
        self.p(PhiKind::Address, &v::street(r))
            .t(between)
            .p(PhiKind::Address, &city)
            .t(&format!(", {state} "))
            .p(PhiKind::Zip, &zip)
    }

    fn done(self, id: usize, kind: DocKind) -> Document {
        Document {
            id,
            kind,
            text: self.text,
            spans: self.spans,
        }
    }
}

const ORGS: &[&str] = &[
    "Riverside Cardiology Associates",
    "Mercy General Hospital",
    "Northside Family Medicine",
    "Lakeview Orthopedics Group",
    "Blue Cross Blue Shield",
    "Summit Imaging Center",
    "St. Mary Medical Center",
    "Valley Oncology Partners",
];

const LABS: &[(&str, &str, &str)] = &[
    ("Glucose", "mg/dL", "70-99"),
    ("HbA1c", "%", "4.0-5.6"),
    ("Sodium", "mmol/L", "135-145"),
    ("Potassium", "mmol/L", "3.5-5.1"),
    ("Creatinine", "mg/dL", "0.6-1.2"),
    ("Hemoglobin", "g/dL", "12.0-16.0"),
    ("WBC", "K/uL", "4.5-11.0"),
    ("LDL Cholesterol", "mg/dL", "<100"),
    ("TSH", "mIU/L", "0.4-4.0"),
];

/// Capitalised phrases that are not names: eponymous conditions, organisations named after
/// people, brand drugs, titles.
const NOT_NAMES: &[&str] = &[
    "Parkinson disease",
    "Hodgkin lymphoma",
    "Crohn's disease",
    "Graves disease",
    "Bell's palsy",
    "Alzheimer's dementia",
    "Cushing syndrome",
    "Addison disease",
    "Johns Hopkins Hospital",
    "Mayo Clinic",
    "Cleveland Clinic",
    "Kaiser Permanente",
    "Scripps Health",
    "Lipitor",
    "Eliquis",
    "Medical Director",
    "Nurse Practitioner",
    "Prior Authorization Department",
    "Utilization Review",
    "Lab Results",
    "Emergency Department",
    "Physical Therapy",
];

/// Non-PHI look-alikes: numbers and codes a careless detector would take for identifiers.
fn lookalike(r: &mut Rng) -> String {
    match r.below(22) {
        16 => format!("History of {}", r.pick(NOT_NAMES)),
        17 => format!("Seen at {} in {}", r.pick(NOT_NAMES), r.range(1990, 2025)),
        18 => format!(
            "Appointment at {}:{:02} {}",
            r.range(1, 12),
            r.below(60),
            r.pick(&["AM", "PM", "am"])
        ),
        19 => format!(
            "Room {}{}, Suite {}",
            r.range(100, 499),
            r.pick(&["", "A", "B"]),
            r.range(100, 900)
        ),
        20 => format!(
            "Lot {}F{}A, exp {}/{}",
            r.digits(2),
            r.digits(2),
            r.range(1, 12),
            r.range(2026, 2030)
        ),
        21 => format!(
            "{} mg/kg over {} minutes, {} mL",
            r.range(1, 20),
            r.range(15, 90),
            r.range(50, 2000)
        ),
        0 => format!("Job fj_01H{}{}", r.digits(4), "ZX3M4Q8J"),
        1 => format!(
            "Dx: {}",
            r.pick(&[
                "E11.9", "I10", "J45.909", "M54.5", "Z79.4", "F41.1", "N18.3"
            ])
        ),
        2 => format!(
            "CPT {}",
            r.pick(&["99213", "99214", "72148", "93000", "80053"])
        ),
        3 => format!(
            "{} {} mg {}",
            r.pick(&["Metformin", "Lisinopril", "Atorvastatin", "Gabapentin"]),
            r.pick(&["5", "10", "20", "500", "850"]),
            r.pick(&["daily", "BID", "at bedtime"])
        ),
        4 => format!("Page {} of {}", r.range(1, 3), r.range(3, 9)),
        5 => format!("Copay ${}.{:02}", r.range(5, 250), r.below(100)),
        6 => format!("symptoms since {}", r.range(1995, 2025)),
        7 => format!(
            "BP {}/{}, HR {} bpm",
            r.range(100, 160),
            r.range(60, 100),
            r.range(55, 110)
        ),
        8 => format!("NDC 0093-{}-{}", r.digits(4), r.digits(2)),
        9 => format!("Qty #{} , Refills: {}", r.range(10, 90), r.range(0, 5)),
        10 => format!("Follow up in {} weeks", r.range(2, 12)),
        11 => format!("LOINC {}-{}", r.digits(4), r.digits(1)),
        12 => format!("Total due ${},{:03}.00", r.range(1, 9), r.below(1000)),
        13 => format!(
            "Weight {} lbs, BMI {}.{}",
            r.range(100, 280),
            r.range(18, 40),
            r.below(10)
        ),
        14 => format!(
            "{} tablets by mouth every {} hours",
            r.range(1, 2),
            r.pick(&["4", "6", "8"])
        ),
        _ => format!(
            "eGFR {} mL/min, {}% saturation",
            r.range(30, 110),
            r.range(88, 100)
        ),
    }
}

pub fn cover_sheet(r: &mut Rng, id: usize) -> Document {
    let mut d = Doc::new();
    d.one(
        r,
        &["FAX COVER SHEET\n", "FACSIMILE TRANSMITTAL\n", "Fax\n"],
    );
    d.t("Date: ").p(PhiKind::Date, &v::date(r)).t("\n");
    d.t("To: Dr. ")
        .p(PhiKind::Name, &v::doctor(r))
        .t(&format!(" | {}\n", r.pick(ORGS)));
    d.t("Fax: ").p(PhiKind::Fax, &v::phone(r)).t("\n");
    if r.chance(0.5) {
        d.t("Phone: ").p(PhiKind::Phone, &v::phone(r)).t("\n");
    }
    d.t("From: ")
        .p(PhiKind::Name, &v::full_name(r))
        .t(&format!(", {}\n", r.pick(ORGS)));
    d.one(r, &["Fax #: ", "Fax Number: ", "F: "])
        .p(PhiKind::Fax, &v::phone(r))
        .t("\n");
    d.t(&format!("Pages: {} (including cover)\n", r.range(2, 12)));
    d.t("RE: ")
        .p(PhiKind::Name, &v::full_name(r))
        .t(", DOB ")
        .p(PhiKind::Date, &v::date(r))
        .t("\n");
    d.t(&lookalike(r)).t("\n");
    if r.chance(0.4) {
        d.t("Please call ")
            .p(PhiKind::Phone, &v::phone(r))
            .t(" with questions.\n");
    }
    if r.chance(0.2) {
        d.t("Sender direct line: ")
            .p(PhiKind::Phone, &v::intl_phone(r))
            .t("\n");
    }
    d.t("CONFIDENTIALITY NOTICE: This facsimile contains protected health information. If you received it in error, notify the sender and destroy all copies.\n");
    d.done(id, DocKind::CoverSheet)
}

pub fn referral(r: &mut Rng, id: usize) -> Document {
    let mut d = Doc::new();
    d.t(&format!("{}\n", r.pick(ORGS)));
    d.address(r, "\n").t("\n");
    d.t("Tel ")
        .p(PhiKind::Phone, &v::phone(r))
        .t(" / Fax ")
        .p(PhiKind::Fax, &v::phone(r))
        .t("\n\n");
    d.p(PhiKind::Date, &v::date(r)).t("\n\n");
    let (g, f) = (v::given(r), v::family(r));
    d.t("RE: Referral for ")
        .p(PhiKind::Name, &format!("{g} {f}"))
        .t("\n");
    d.one(r, &["Patient: ", "Patient Name: ", "PATIENT: ", "Pt: "])
        .p(PhiKind::Name, &v::full_name(r));
    d.one(r, &["   DOB: ", "  D.O.B. ", "  Date of Birth: "])
        .p(PhiKind::Date, &v::date(r));
    d.one(
        r,
        &["   MRN: ", "  Medical Record #: ", "  Chart # ", "  MRN "],
    )
    .p(PhiKind::Mrn, &v::mrn(r))
    .t("\n");
    d.t("Address: ").address(r, ", ").t("\n");
    d.one(r, &["Home phone: ", "Cell: ", "Mobile: ", "Tel: "])
        .p(PhiKind::Phone, &v::phone(r));
    d.t("   Email: ").p(PhiKind::Email, &v::email(r)).t("\n");
    d.t(&format!("Insurance: {} ", r.pick(ORGS)));
    d.one(r, &["Member ID: ", "Member #: ", "Subscriber ID "])
        .p(PhiKind::HealthPlan, &v::member_id(r));
    d.one(r, &["  Group #: ", "  Group Number: "])
        .p(PhiKind::HealthPlan, &v::digits_id(r))
        .t("\n\n");
    d.t("Dear Dr. ").p(PhiKind::Name, &v::family(r)).t(",\n\n");
    d.t("I am referring ")
        .p(PhiKind::Name, &format!("{g} {f}"))
        .t(", seen in clinic on ")
        .p(PhiKind::Date, &v::date(r));
    d.t(&format!(
        ", for evaluation of chest pain. {}. {}. ",
        lookalike(r),
        lookalike(r)
    ));
    d.t("Last visit ").p(PhiKind::Date, &v::date(r)).t(". ");
    d.t(&format!("{}. ", lookalike(r)));
    if r.chance(0.5) {
        d.t("Her daughter, ")
            .p(PhiKind::Name, &format!("{} {}", v::given(r), f))
            .t(", can be reached at ")
            .p(PhiKind::Phone, &v::phone(r))
            .t(". ");
    }
    if r.chance(0.3) {
        d.t("Injured in a motor vehicle accident; vehicle VIN ")
            .p(PhiKind::Vehicle, &v::vin(r))
            .t(", plate # ")
            .p(PhiKind::Vehicle, &v::plate(r))
            .t(". ");
    }
    if r.chance(0.3) {
        d.t("Pacemaker serial #: ")
            .p(PhiKind::Device, &v::device(r))
            .t(". ");
    }
    if r.chance(0.3) {
        d.t("SSN on file: ").p(PhiKind::Ssn, &v::ssn(r)).t(". ");
    }
    d.t("\n\nSincerely,\nDr. ")
        .p(PhiKind::Name, &v::doctor(r))
        .t(", MD\n");
    d.t("NPI: ")
        .p(PhiKind::License, &v::npi(r))
        .t("  DEA: ")
        .p(PhiKind::License, &v::dea(r));
    if r.chance(0.5) {
        d.t("  State License #: ")
            .p(PhiKind::License, &v::state_license(r));
    }
    d.t("\n");
    d.done(id, DocKind::Referral)
}

pub fn lab_result(r: &mut Rng, id: usize) -> Document {
    let mut d = Doc::new();
    d.t(&format!(
        "{} LABORATORY REPORT        Page 1 of {}\n",
        r.pick(&["SUMMIT", "QUEST", "VALLEY"]),
        r.range(1, 3)
    ));
    d.one(r, &["Patient Name: ", "Name: ", "PATIENT: "])
        .p(PhiKind::Name, &v::full_name(r));
    d.t(&format!("   Sex: {}   DOB: ", r.pick(&["F", "M"])))
        .p(PhiKind::Date, &v::date(r))
        .t("\n");
    d.t("MRN: ")
        .p(PhiKind::Mrn, &v::mrn(r))
        .one(r, &["   Acct #: ", "   Account No. "])
        .p(PhiKind::Account, &v::account(r))
        .t("\n");
    d.t("Collected: ")
        .p(PhiKind::Date, &v::date(r))
        .t(&format!(
            " {:02}:{:02}   Reported: ",
            r.range(6, 18),
            r.below(60)
        ))
        .p(PhiKind::Date, &v::date(r))
        .t("\n");
    d.t("Ordering Physician: ")
        .p(PhiKind::Name, &v::doctor(r))
        .t("  NPI ")
        .p(PhiKind::License, &v::npi(r))
        .t("\n");
    d.t("Test                Result   Units     Reference\n");
    for _ in 0..r.range(4, 8) {
        let (name, unit, range) = r.pick(LABS);
        d.t(&format!(
            "{name:<20}{:<9}{unit:<10}{range}\n",
            format!("{}.{}", r.range(1, 200), r.below(10))
        ));
    }
    d.t(&format!("Comment: {}. {}.\n", lookalike(r), lookalike(r)));
    if r.chance(0.5) {
        d.t("Results released to patient portal ")
            .p(PhiKind::Url, &v::url(r))
            .t("\n");
    }
    d.t("Critical values called to ")
        .p(PhiKind::Name, &v::full_name(r))
        .t(" at ")
        .p(PhiKind::Phone, &v::phone(r))
        .t(" on ")
        .p(PhiKind::Date, &v::date(r))
        .t(".\n");
    d.done(id, DocKind::LabResult)
}

pub fn prior_auth(r: &mut Rng, id: usize) -> Document {
    let mut d = Doc::new();
    d.t("PRIOR AUTHORIZATION REQUEST\n");
    d.t(&format!("Plan: {}\n", r.pick(ORGS)));
    d.t("Member Name: ")
        .p(PhiKind::Name, &v::full_name(r))
        .t("\n");
    d.t("Member ID: ").p(PhiKind::HealthPlan, &v::member_id(r));
    if r.chance(0.5) {
        d.t("   MBI ").p(PhiKind::HealthPlan, &v::mbi(r));
    }
    d.t("\nPolicy #: ")
        .p(PhiKind::HealthPlan, &v::member_id(r))
        .t("\n");
    d.t("DOB: ")
        .p(PhiKind::Date, &v::date(r))
        .t("   Phone: ")
        .p(PhiKind::Phone, &v::phone(r))
        .t("\n");
    d.t("SSN: ").p(PhiKind::Ssn, &v::ssn(r)).t("\n");
    d.t("Requesting Provider: Dr. ")
        .p(PhiKind::Name, &v::doctor(r))
        .t("   NPI: ")
        .p(PhiKind::License, &v::npi(r))
        .t("   Fax: ")
        .p(PhiKind::Fax, &v::phone(r))
        .t("\n");
    d.t(&format!(
        "Service: MRI lumbar spine, {}; {}\n",
        lookalike(r),
        lookalike(r)
    ));
    d.t("Requested date of service: ")
        .p(PhiKind::Date, &v::date(r))
        .t("\n");
    if r.chance(0.4) {
        d.t("Card on file: ")
            .p(PhiKind::Account, &v::card(r))
            .t("\n");
    }
    if r.chance(0.4) {
        d.t("Implant UDI: ")
            .p(PhiKind::Device, &v::device(r))
            .t("\n");
    }
    if r.chance(0.5) {
        // No cue at all: a name opening a sentence.
        d.p(PhiKind::Name, &format!("{} {}", v::given(r), v::family(r)))
            .t(" was seen today. ");
    }
    if r.chance(0.3) {
        d.t("Mrs. ")
            .p(PhiKind::Name, &v::family(r))
            .t(" agrees with the plan. ");
    }
    d.t("Notes: Patient ")
        .p(PhiKind::Name, &format!("{} {}", v::given(r), v::family(r)));
    d.t(&format!(
        " reports low back pain {}. {}.\n",
        lookalike(r),
        lookalike(r)
    ));
    d.t("Contact: ")
        .p(PhiKind::Email, &v::email(r))
        .t(" or ")
        .p(PhiKind::Phone, &v::phone(r))
        .t("\n");
    d.t("Mailing address: ").address(r, ", ").t("\n");
    d.done(id, DocKind::PriorAuth)
}

pub fn json_event(r: &mut Rng, id: usize) -> Document {
    let mut d = Doc::new();
    d.t(&format!(
        r#"{{"event":"fax.received","job_id":"fj_01H{}ZX3M4Q8","pages":{},"from":""#,
        r.digits(4),
        r.range(1, 20)
    ));
    d.p(PhiKind::Fax, &v::phone(r))
        .t(r#"","to":""#)
        .p(PhiKind::Fax, &v::phone(r));
    d.t(r#"","received_at":"2026-11-24T10:22:01Z","patient":{"name":""#)
        .p(PhiKind::Name, &v::full_name(r));
    d.t(r#"","dob":""#).p(PhiKind::Date, &v::date(r));
    d.t(r#"","mrn":""#).p(PhiKind::Mrn, &v::mrn(r));
    d.t(r#"","phone":""#).p(PhiKind::Phone, &v::phone(r));
    d.t(r#"","email":""#).p(PhiKind::Email, &v::email(r));
    d.t(r#""},"client_ip":""#).p(PhiKind::Ip, &v::ip(r));
    d.t(&format!(
        r#"","dx":"{}","cpt":"{}","status":"delivered","#,
        r.pick(&["E11.9", "I10", "M54.5"]),
        r.pick(&["99213", "72148"])
    ));
    d.t(r#""note":"Call "#)
        .p(PhiKind::Name, &format!("{} {}", v::given(r), v::family(r)))
        .t(" at ")
        .p(PhiKind::Phone, &v::phone(r))
        .t(r#" re: results""#);
    d.t("}\n");
    d.done(id, DocKind::JsonEvent)
}

pub fn log_lines(r: &mut Rng, id: usize) -> Document {
    let mut d = Doc::new();
    for i in 0..r.range(4, 9) {
        let ts = format!(
            "2026-11-{:02}T{:02}:{:02}:{:02}.{}Z",
            r.range(1, 28),
            r.range(0, 23),
            r.below(60),
            r.below(60),
            r.digits(3)
        );
        d.t(&ts);
        match (i + r.below(6)) % 6 {
            0 => {
                d.t(&format!(
                    " INFO fax.sent job=fj_01H{}ZX3M4Q8 to=",
                    r.digits(4)
                ))
                .p(PhiKind::Fax, &v::phone(r));
                d.t(&format!(
                    " pages={} latency_ms={}\n",
                    r.range(1, 30),
                    r.range(80, 4000)
                ));
            }
            1 => {
                d.t(&format!(
                    " WARN delivery.retry attempt={} reason=busy remote=",
                    r.range(1, 5)
                ))
                .p(PhiKind::Ip, &v::ip(r))
                .t("\n");
            }
            2 => {
                d.t(" ERROR ocr.failed patient=\"")
                    .p(PhiKind::Name, &v::full_name(r))
                    .t("\" mrn=")
                    .p(PhiKind::Mrn, &v::mrn(r))
                    .t("\n");
            }
            3 => {
                d.t(" INFO email.sent to=")
                    .p(PhiKind::Email, &v::email(r))
                    .t(" subject=\"Results for ")
                    .p(PhiKind::Name, &format!("{} {}", v::given(r), v::family(r)))
                    .t("\"\n");
            }
            4 => {
                d.t(&format!(
                    " DEBUG http.request method=GET status={} bytes={} url=",
                    r.pick(&["200", "404", "503"]),
                    r.range(100, 90000)
                ))
                .p(PhiKind::Url, &v::url(r))
                .t("\n");
            }
            _ => {
                d.t(&format!(
                    " INFO plugin.call plugin=slack-notify version=2.{}.{} duration_ms={} {}\n",
                    r.below(20),
                    r.below(20),
                    r.range(1, 900),
                    lookalike(r)
                ));
            }
        }
    }
    d.done(id, DocKind::LogLines)
}
