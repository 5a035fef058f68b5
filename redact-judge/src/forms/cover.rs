//! Fax cover sheets: the boxed form most office suites ship, the one-line header a fax server
//! stamps on every page, and a hospital's cover with its confidentiality notice.

use crate::doc::Builder;
use crate::ident::Gen;

const TO: &[&str] = &[
    "To:",
    "TO:",
    "Attn:",
    "ATTENTION:",
    "Recipient:",
    "Deliver to:",
];
const FROM: &[&str] = &["From:", "FROM:", "Sender:", "Sent by:"];
const FAX: &[&str] = &[
    "Fax:",
    "FAX:",
    "Fax #:",
    "Fax No.:",
    "F:",
    "Facsimile:",
    "Fax Number:",
];
const PHONE: &[&str] = &[
    "Phone:",
    "PHONE:",
    "Tel:",
    "Ph:",
    "P:",
    "Telephone:",
    "Phone #:",
    "Office:",
];
const DATE: &[&str] = &["Date:", "DATE:", "Date sent:", "Sent:"];
const RE: &[&str] = &["Re:", "RE:", "Subject:", "Regarding:"];

/// The boxed cover sheet: To/From blocks, numbers, pages, a message.
pub fn boxed(g: &mut Gen, b: &mut Builder) {
    let title = *g.pick(&[
        "FAX",
        "F A X",
        "Fax Transmittal",
        "FACSIMILE COVER SHEET",
        "Fax Cover Sheet",
    ]);
    b.t(title).t("\n\n");
    let to = g.person();
    let from = g.person();
    b.t(g.cue(TO)).t(" ");
    if g.chance(0.5) {
        g.clinician(b);
    } else {
        g.name(b, &to);
    }
    b.t("\t\t").t(g.cue(FROM)).t(" ");
    g.name(b, &from);
    b.t("\n").t(g.cue(FAX)).t(" ");
    g.fax(b);
    b.t("\t\t").t(g.cue(FAX)).t(" ");
    g.fax(b);
    b.t("\n").t(g.cue(PHONE)).t(" ");
    g.phone(b);
    b.t("\t\t").t(g.cue(PHONE)).t(" ");
    g.phone(b);
    b.t("\n").t(g.cue(DATE)).t(" ");
    let d = g.date(2024, 2026);
    g.date_any(b, d);
    b.t("\t\t");
    g.pages(b);
    b.t("\n").t(g.cue(RE)).t(" ");
    let patient = g.person();
    b.t(g.cue(&["Patient ", "Pt ", "", "Records for "]));
    g.name(b, &patient);
    if g.chance(0.6) {
        let (lead, trail) = *g.pick(&[
            (" DOB ", ""),
            (", DOB: ", ""),
            (" (DOB ", ")"),
            (" d.o.b. ", ""),
            (" born ", ""),
        ]);
        b.t(lead);
        g.date_any(b, patient.dob);
        b.t(trail);
    }
    b.t("\n\n");
    let boxes = [
        "[ ] Urgent",
        "[x] For Review",
        "[ ] Please Comment",
        "[ ] Please Reply",
        "[ ] Please Recycle",
    ];
    b.t(&boxes.join("  ")).t("\n\n");
    b.t(g.cue(&["Comments:", "Message:", "Notes:"])).t(" ");
    match g.rng.below(4) {
        0 => {
            b.t("Please see attached records for ");
            g.name(b, &patient);
            b.t(". Call me at ");
            g.phone(b);
            b.t(" with questions.");
        }
        1 => {
            b.t("Attached: labs from ");
            let d2 = g.date(2024, 2026);
            g.date_any(b, d2);
            b.t(" and the ");
            g.any_decoy(b);
            b.t(" order. MRN ");
            g.mrn(b);
            b.t(".");
        }
        2 => {
            b.t("Signed order enclosed. ");
            g.any_decoy(b);
            b.t("; ");
            g.any_decoy(b);
            b.t(". Return fax ");
            g.fax(b);
        }
        _ => {
            b.t("Per your request. ");
            g.clinician(b);
            b.t(" office, ");
            g.full_address(b, false);
        }
    }
    b.t("\n\nThe documents accompanying this facsimile contain confidential health information that is legally privileged. If you are not the intended recipient, please notify the sender immediately at ");
    g.phone(b);
    b.t(" and destroy the documents.\n");
}

/// The header line a fax server prints at the top of each page, then a short body.
pub fn header_line(g: &mut Gen, b: &mut Builder) {
    let pages = g.rng.range(2, 12);
    for page in 1..=g.rng.range(1, 3).min(pages) {
        match g.rng.below(3) {
            0 => {
                let d = g.date(2025, 2026);
                g.date_as(b, d, "mdy_slash");
                b.t(" ");
                g.time_of_day(b);
                b.t("  FROM: ");
                g.fax(b);
                b.t("  TO: ");
                g.fax(b);
                b.t(&format!("  P. {page}/{pages}\n"));
            }
            1 => {
                b.t(&format!("{:>3} ", page));
                let d = g.date(2025, 2026);
                g.date_as(b, d, "dd_mon_yyyy");
                b.t(" ");
                g.time_of_day(b);
                b.t(" ");
                let org = *g.pick(crate::decoy::ORGS);
                b.decoy("ORG", &org.to_uppercase());
                b.t(" ");
                g.fax(b);
                b.t(&format!(" PAGE {page:03}\n"));
            }
            _ => {
                b.t("Received: ");
                let d = g.date(2025, 2026);
                g.date_as(b, d, "weekday_written");
                b.t(" ");
                g.time_of_day(b);
                b.t(" From: ");
                let p = g.person();
                g.name_as(b, &p, "caps");
                b.t(" <");
                g.fax(b);
                b.t(&format!(">  Pg {page} of {pages}\n"));
            }
        }
    }
    b.t("\n");
    let p = g.person();
    b.t(g.cue(&["Pt: ", "PATIENT: ", "Name: ", "Patient Name: ", ""]));
    g.name(b, &p);
    b.t("   ");
    b.t(g.cue(&["DOB: ", "D.O.B. ", "Birthdate: ", "DOB "]));
    g.date_any(b, p.dob);
    b.t("   ");
    b.t(g.cue(&["MRN: ", "MR#: ", "Chart #: ", "Pt ID: ", "Med Rec No. "]));
    g.mrn(b);
    b.t("\n");
    b.t("Ordering: ");
    g.clinician(b);
    b.t("  NPI ");
    g.license(b, "npi");
    b.t("\n");
    g.any_decoy(b);
    b.t("  ");
    g.any_decoy(b);
    b.t("\n");
}

/// A hospital's cover sheet: department block, recipient table, HIPAA notice.
pub fn hospital_notice(g: &mut Gen, b: &mut Builder) {
    let org = g.cue(crate::decoy::ORGS);
    b.decoy("ORG", org).t("\n");
    b.t(g.cue(&[
        "Health Information Management",
        "Release of Information",
        "Case Management",
        "Patient Access Services",
    ]));
    b.t("\n");
    g.full_address(b, true);
    b.t("\n").t(g.cue(PHONE)).t(" ");
    g.phone(b);
    b.t("  ").t(g.cue(FAX)).t(" ");
    g.fax(b);
    b.t("\n\nCONFIDENTIAL FAX\n\n");
    b.t("Recipient        | ");
    g.clinician(b);
    b.t("\nOrganization     | ");
    let o2 = g.cue(crate::decoy::ORGS);
    b.decoy("ORG", o2);
    b.t("\nFax number       | ");
    g.fax(b);
    b.t("\nSender           | ");
    let s = g.person();
    g.name(b, &s);
    b.t("\nSender e-mail    | ");
    g.email(b, &s);
    b.t("\nDate             | ");
    let d = g.date(2025, 2026);
    g.date_any(b, d);
    b.t("\nNumber of pages  | ");
    let n = g.rng.range(2, 30).to_string();
    b.decoy("PAGES", &n);
    b.t("\n\n");
    let p = g.person();
    b.t("Re: records request for ");
    g.name(b, &p);
    b.t(", ");
    if g.chance(0.3) {
        g.age_over_89(b, p.sex);
    } else {
        g.age_under_90(b);
    }
    b.t(", account ");
    g.account(b);
    b.t(".\n\n");
    b.t("NOTICE: This facsimile contains protected health information (PHI) under HIPAA (45 CFR Parts 160 and 164). Redisclosure is prohibited. If received in error call ");
    g.phone(b);
    b.t(".\n");
}
