//! Forms with tables and fields: lab reports with result tables, prior authorisation requests,
//! pharmacy refill requests and explanation-of-benefits snippets.

use faxbot_redact::PhiKind;

use crate::doc::Builder;
use crate::ident::Gen;

const PT_NAME: &[&str] = &[
    "Patient Name:",
    "PATIENT:",
    "Name:",
    "Pt Name",
    "Patient:",
    "Member Name:",
    "NAME",
];
const DOB: &[&str] = &[
    "DOB:",
    "Date of Birth:",
    "D.O.B.",
    "Birth Date:",
    "DOB",
    "BD:",
];
const MEMBER: &[&str] = &[
    "Member ID:",
    "Subscriber ID:",
    "ID #:",
    "Member #",
    "Policy #:",
    "Insurance ID:",
    "Mbr ID",
];

/// A lab report: header block, a result table, a footer with the lab's CLIA and director.
pub fn lab_report(g: &mut Gen, b: &mut Builder) {
    let lab = g.cue(crate::decoy::ORGS);
    b.decoy("ORG", lab).t("  ");
    b.t(g.cue(&[
        "Final Report",
        "FINAL",
        "Corrected Report",
        "Cumulative Report",
    ]));
    b.t("\n");
    let p = g.person();
    let sep = *g.pick(&["  ", "\t", " | "]);
    b.t(g.cue(PT_NAME)).t(" ");
    g.name(b, &p);
    b.t(sep).t(g.cue(DOB)).t(" ");
    g.date_any(b, p.dob);
    b.t(sep).t("Sex: ").t(&p.sex.to_string());
    b.t("\n");
    b.t(g.cue(&["Specimen ID: ", "Accession #: ", "Acc: "]));
    let acc = g.own(|r| format!("{}{}", r.letters(2), r.digits(9)));
    b.phi(PhiKind::Id, "accession", &acc);
    b.t(sep)
        .t(g.cue(&["Patient ID: ", "MRN: ", "Chart: ", "Lab Pt #: "]));
    g.mrn(b);
    b.t("\nCollected: ");
    let d = g.date(2025, 2026);
    g.date_any(b, d);
    b.t(" ");
    g.time_of_day(b);
    b.t(sep).t("Received: ");
    g.date_any(b, d);
    b.t(sep).t("Reported: ");
    let r = d.plus(1);
    g.date_any(b, r);
    b.t("\nOrdering Physician: ");
    g.clinician(b);
    b.t(sep).t("NPI: ");
    g.license(b, "npi");
    b.t("\nClient: ");
    g.full_address(b, false);
    b.t("\n\n");
    b.t("TEST                      RESULT    UNITS     REFERENCE   FLAG\n");
    for _ in 0..g.rng.range(3, 9) {
        let sep = *g.pick(&["    ", "\t", "  ", " | "]);
        g.lab_row(b, sep);
        if g.chance(0.2) {
            b.t("  LOINC ");
            g.loinc(b);
        }
        b.t("\n");
    }
    if g.chance(0.3) {
        b.t("Comment: Result called to ");
        let n = g.person();
        g.name(b, &n);
        b.t(" on ");
        g.date_as(b, r, "m_d");
        b.t(" at ");
        g.time_of_day(b);
        b.t(" by ");
        let t = g.person();
        g.name_as(b, &t, "initials");
        b.t(".\n");
    }
    b.t("\nCLIA ");
    let clia = g.own(|r| format!("{}D{}", r.digits(2), r.digits(7)));
    b.decoy("CLIA", &clia);
    b.t("  Laboratory Director: ");
    g.clinician(b);
    b.t("\n");
    g.pages(b);
    b.t("\n");
}

/// A prior authorisation request form.
pub fn prior_auth(g: &mut Gen, b: &mut Builder) {
    let payer = g.cue(crate::decoy::ORGS);
    b.decoy("ORG", payer);
    b.t(" PRIOR AUTHORIZATION REQUEST\nFax completed form to ");
    g.fax(b);
    b.t("\n\nSECTION A - MEMBER INFORMATION\n");
    let p = g.person();
    b.t(g.cue(PT_NAME)).t(" ");
    g.name(b, &p);
    b.t("\n").t(g.cue(DOB)).t(" ");
    g.date_any(b, p.dob);
    b.t("    ").t(g.cue(MEMBER)).t(" ");
    g.health_plan(b);
    b.t("\nGroup #: ");
    g.health_plan(b);
    b.t("\nAddress: ");
    g.full_address(b, false);
    b.t("\nHome phone: ");
    g.phone(b);
    b.t("   Cell: ");
    g.phone(b);
    if g.chance(0.3) {
        b.t("\nDriver's license: ");
        g.license(b, "dl");
    }
    b.t("\n\nSECTION B - PRESCRIBER\nName: ");
    g.clinician(b);
    b.t("\nNPI: ");
    g.license(b, "npi");
    b.t("   DEA: ");
    g.license(b, "dea");
    b.t("   State lic: ");
    g.license(b, "state");
    b.t("\nPhone: ");
    g.phone(b);
    b.t("   Fax: ");
    g.fax(b);
    b.t("\nOffice contact: ");
    let c = g.person();
    g.name(b, &c);
    b.t("\n\nSECTION C - MEDICATION / SERVICE\nRequested: ");
    g.dose(b);
    b.t("\n");
    g.ndc(b);
    b.t("   HCPCS ");
    g.hcpcs(b);
    b.t("   CPT ");
    g.cpt(b);
    b.t("\nDiagnosis: ");
    g.icd10(b);
    b.t(", ");
    g.icd10(b);
    b.t("\nStart date: ");
    let s = g.date(2025, 2026);
    g.date_any(b, s);
    b.t("   Duration: 12 months   Qty: 30\n");
    b.t("Previous therapies tried since ");
    g.year_alone(b);
    b.t(": ");
    g.dose(b);
    b.t(" (failed after 3 months)\n\n");
    b.t("Prescriber signature: ____________  Date: ");
    let d = g.date(2025, 2026);
    g.date_any(b, d);
    b.t("\n");
}

/// A pharmacy refill request faxed to a prescriber.
pub fn refill(g: &mut Gen, b: &mut Builder) {
    let ph = g.cue(crate::decoy::ORGS);
    b.decoy("ORG", ph);
    b.t(" #");
    let store = g.rng.range(1000, 19999).to_string();
    b.decoy("STORE_NO", &store);
    b.t("\n");
    g.full_address(b, false);
    b.t("\nPh ");
    g.phone(b);
    b.t("  Fx ");
    g.fax(b);
    b.t("\nNCPDP ");
    let ncpdp = g.own(|r| r.digits(7));
    b.decoy("NCPDP", &ncpdp);
    b.t("\n\nREFILL AUTHORIZATION REQUEST\n\nTo: ");
    g.clinician(b);
    b.t("   Fax: ");
    g.fax(b);
    b.t("\n\nPatient: ");
    let p = g.person();
    let form = *g.pick(&[
        "family_comma_given_caps",
        "family_comma_given",
        "given_family",
        "caps",
    ]);
    g.name_as(b, &p, form);
    b.t("   DOB: ");
    g.date_any(b, p.dob);
    b.t("\nPatient phone: ");
    g.phone(b);
    b.t("\nRx #: ");
    let rx = g.own(|r| r.digits(7));
    b.phi(PhiKind::Id, "rx_number", &rx);
    b.t("   Last fill: ");
    let d = g.date(2025, 2026);
    g.date_any(b, d);
    b.t("   Refills remaining: 0\nDrug: ");
    g.dose(b);
    b.t("   Qty: 90   Days supply: 90\n");
    g.ndc(b);
    b.t("\nPrescriber DEA: ");
    g.license(b, "dea");
    b.t("   NPI: ");
    g.license(b, "npi");
    b.t("\n\n[ ] Approved  [ ] Denied  [ ] Needs appointment\nRefills: ___  Signature: ________\n");
    if g.chance(0.4) {
        b.t("Pharmacist: ");
        let r = g.person();
        g.name_as(b, &r, "initial_family");
        b.t(", RPh  ");
        g.time_of_day(b);
        b.t("\n");
    }
}

/// An explanation-of-benefits snippet with a claim table.
pub fn eob(g: &mut Gen, b: &mut Builder) {
    let payer = g.cue(crate::decoy::ORGS);
    b.decoy("ORG", payer);
    b.t("\nEXPLANATION OF BENEFITS - THIS IS NOT A BILL\n\n");
    let p = g.person();
    b.t("Member: ");
    g.name(b, &p);
    b.t("\n");
    g.full_address(b, true);
    b.t("\nMember ID: ");
    g.health_plan(b);
    b.t("   Group: ");
    g.health_plan(b);
    b.t("\nClaim #: ");
    let claim = g.own(|r| format!("{}{}", r.range(2024, 2026), r.digits(9)));
    b.phi(PhiKind::Id, "claim_number", &claim);
    b.t("   Patient account: ");
    g.account(b);
    b.t("\nProvider: ");
    g.clinician(b);
    b.t("\n\nDate(s) of service   Code    Billed     Allowed    Plan paid   You owe\n");
    for _ in 0..g.rng.range(2, 5) {
        let d = g.date(2025, 2026);
        if g.chance(0.3) {
            g.date_range(b, d);
        } else {
            g.date_as(b, d, "mdy_slash");
        }
        b.t("   ");
        g.cpt(b);
        b.t("   ");
        g.price(b);
        b.t("   ");
        g.price(b);
        b.t("   ");
        g.price(b);
        b.t("   ");
        g.price(b);
        b.t("\n");
    }
    b.t("\nQuestions? Call Member Services at ");
    g.phone(b);
    b.t(" (TTY 711), ");
    g.time_of_day(b);
    b.t(" to ");
    g.time_of_day(b);
    b.t(".\n");
}
