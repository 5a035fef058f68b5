//! Multi-page printouts and card scans: the patient banner an EHR prints on every page (with
//! and without labels), a three-column lab header as OCR reads it across the columns, a
//! radiology report, and the front and back of an insurance card.

use faxbot_redact::PhiKind;

use crate::doc::Builder;
use crate::ident::{Gen, Person};

/// The banner an EHR prints at the top of each page; about half carry no labels at all.
pub fn banner(g: &mut Gen, b: &mut Builder, p: &Person, page: u64, pages: u64) {
    match g.rng.below(4) {
        0 => {
            g.name_as(b, p, "family_comma_given_caps");
            b.t("   ");
            g.date_as(b, p.dob, "mdy_slash");
            b.t("   ");
            g.mrn(b);
            b.t(&format!("   {}   Page {page} of {pages}\n", p.sex));
        }
        1 => {
            g.name_as(b, p, "family_comma_given");
            b.t(" (");
            g.mrn(b);
            b.t(") ");
            g.date_as(b, p.dob, "m_d_yy");
            b.t(&format!(" {}\n", p.sex));
        }
        2 => {
            b.t("Patient: ");
            g.name_as(b, p, "given_family");
            b.t("  MRN: ");
            g.mrn(b);
            b.t("  DOB: ");
            g.date_as(b, p.dob, "mdy_slash");
            b.t("  Printed: ");
            let d = g.date(2025, 2026);
            g.date_as(b, d, "mdy_slash");
            b.t(" ");
            g.time_of_day(b);
            b.t("\n");
        }
        _ => {
            g.name_as(b, p, "caps");
            b.t(" - ");
            g.date_as(b, p.dob, "iso");
            b.t(" - ");
            g.account(b);
            b.t(&format!(" - p.{page}\n"));
        }
    }
}

/// A lab report whose three header columns (patient, specimen, client) OCR reads line by line
/// across the columns, then a result table over several pages with a banner on each.
pub fn lab_columns(g: &mut Gen, b: &mut Builder) {
    let p = g.person();
    let lab = g.cue(crate::decoy::ORGS);
    b.decoy("ORG", lab).t("\n");
    b.t("Patient Information          Specimen Information          Client Information\n");
    g.name_as(b, &p, "family_comma_given_caps");
    b.t("          Specimen: ");
    let acc = g.own(|r| format!("{}{}{}", r.letters(2), r.digits(6), r.letters(1)));
    b.phi(PhiKind::Id, "accession", &acc);
    b.t("          Client #: ");
    let client = g.own(|r| r.digits(8));
    b.decoy("CLIENT_NO", &client);
    b.t("\nDOB: ");
    g.date_as(b, p.dob, "mdy_slash");
    b.t(" AGE: ");
    if g.chance(0.4) {
        let age = g.own(|r| r.range(90, 104).to_string());
        b.phi(PhiKind::Age, "lab_age", &age);
    } else {
        let age = g.rng.range(18, 89).to_string();
        b.decoy("AGE_UNDER_90", &age);
    }
    b.t("    Requisition: ");
    let req = g.own(|r| r.digits(7));
    b.phi(PhiKind::Id, "requisition", &req);
    b.t("          ");
    g.clinician(b);
    b.t("\nGender: ").t(&p.sex.to_string());
    b.t("    Collected: ");
    let d = g.date(2025, 2026);
    g.date_as(b, d, "mdy_slash");
    b.t(" / ");
    g.time_of_day(b);
    b.t("          ");
    g.street(b);
    b.t("\nPhone: ");
    g.phone(b);
    b.t("    Received: ");
    g.date_as(b, d, "mdy_slash");
    b.t("          ");
    let st = g.city(b, true);
    b.t(&format!(", {st} "));
    g.zip(b);
    b.t("\nPatient ID: ");
    g.mrn(b);
    b.t("    Reported: ");
    let r = d.plus(2);
    g.date_as(b, r, "mdy_slash");
    b.t("          ");
    g.phone(b);
    b.t("\n\n");
    let pages = g.rng.range(2, 4);
    for page in 1..=pages {
        if page > 1 {
            b.raw("\u{c}");
            banner(g, b, &p, page, pages);
        }
        b.t("Test Name                 In Range    Out of Range    Reference Range    Lab\n");
        for _ in 0..g.rng.range(3, 7) {
            g.lab_row(b, "    ");
            b.t("    ")
                .t(g.cue(&["Z4M", "EN", "01", "QSW", "AMD"]))
                .t("\n");
        }
    }
    b.t("\nPERFORMING SITE: ");
    let site = g.cue(crate::decoy::ORGS);
    b.decoy("ORG", site).t(", ");
    g.full_address(b, false);
    b.t("  Laboratory Director: ");
    g.clinician(b);
    b.t(", CLIA: ");
    let clia = g.own(|r| format!("{}D{}", r.digits(2), r.digits(7)));
    b.decoy("CLIA", &clia);
    b.t("\n");
}

/// A radiology report, two pages with banners.
pub fn radiology(g: &mut Gen, b: &mut Builder) {
    let p = g.person();
    banner(g, b, &p, 1, 2);
    b.t("\nEXAM: ");
    b.t(g.cue(&[
        "CT ABDOMEN PELVIS W CONTRAST",
        "MRI BRAIN WO CONTRAST",
        "XR CHEST 2 VIEWS",
        "US RENAL COMPLETE",
        "CT HEAD WO CONTRAST",
    ]));
    b.t("\nCPT: ");
    g.cpt(b);
    b.t("   ACCESSION: ");
    let acc = g.own(|r| format!("{}{}", r.letters(3), r.digits(8)));
    b.phi(PhiKind::Id, "accession", &acc);
    b.t("\nDATE OF SERVICE: ");
    let d = g.date(2025, 2026);
    g.date_any(b, d);
    b.t("\nREFERRING: ");
    g.clinician(b);
    b.t("\n\nCLINICAL HISTORY: ");
    if g.chance(0.5) {
        g.age_over_89(b, p.sex);
    } else {
        g.age_under_90(b);
    }
    b.t(" with fall. History of ");
    let e = g.cue(crate::decoy::EPONYMS);
    b.decoy("EPONYM", e).t(".\n\nCOMPARISON: ");
    let c = g.date(2019, 2025);
    g.date_any(b, c);
    b.t(".\n\nFINDINGS: No acute intracranial hemorrhage. Stable 4 mm nodule, series 3 image 42. ");
    b.t("Hardware placed in ");
    let y = g.rng.range(1990, 2024).to_string();
    b.decoy("YEAR", &y);
    b.t(" is intact.\n\u{c}");
    banner(g, b, &p, 2, 2);
    b.t("IMPRESSION:\n1. No acute findings.\n2. Recommend follow-up in 6 months.\n\nFindings discussed with ");
    g.clinician(b);
    b.t(" by telephone at ");
    g.time_of_day(b);
    b.t(" on ");
    g.date_as(b, d, "m_d_yy");
    b.t(".\nDictated by: ");
    g.clinician(b);
    b.t("   Workstation: ");
    let ws = g.own(|r| format!("RAD-WS{}", r.digits(3)));
    b.decoy("WORKSTATION", &ws);
    b.t("\n");
}

/// The front and back of an insurance card as a scanner and OCR return them.
pub fn insurance_card(g: &mut Gen, b: &mut Builder) {
    let p = g.person();
    let payer = g.cue(crate::decoy::ORGS);
    b.t("[front]\n").decoy("ORG", payer).t("   ");
    b.t(g.cue(&["PPO", "HMO", "EPO", "Medicare Advantage", "POS"]))
        .t("\n");
    b.t(g.cue(&["Member:", "Subscriber:", "Name", "MEMBER NAME"]))
        .t(" ");
    g.name_as(b, &p, "caps");
    b.t("\n")
        .t(g.cue(&["ID:", "Member ID", "ID#", "Identification Number"]))
        .t(" ");
    g.health_plan(b);
    b.t("\nGroup: ");
    g.health_plan(b);
    b.t("\nRxBIN ");
    b.decoy(
        "RX_BIN",
        g.cue(&["610014", "003858", "004336", "610502", "015581"]),
    );
    b.t("  RxPCN ");
    b.decoy("RX_PCN", g.cue(&["ADV", "MA", "9999", "CTRXMEDD", "OHCP"]));
    b.t("  RxGRP ");
    let grp = g.own(|r| format!("RX{}", r.digits(4)));
    b.decoy("RX_GRP", &grp);
    b.t("\nPCP: ");
    g.clinician(b);
    b.t("   ");
    g.phone(b);
    b.t("\nCopay: PCP ");
    g.price(b);
    b.t(" / Specialist ");
    g.price(b);
    b.t(" / ER ");
    g.price(b);
    b.t("\n\n[back]\nMember services ");
    // every phone number is labelled, a payer's too: a detector cannot tell whose it is
    let svc = g.own(|r| format!("1-800-{}-{}", r.digits(3), r.digits(4)));
    b.phi(PhiKind::Phone, "toll_free", &svc);
    b.t("   Providers: ");
    let prov = g.own(|r| format!("1-888-{}-{}", r.digits(3), r.digits(4)));
    b.phi(PhiKind::Phone, "toll_free", &prov);
    b.t("\nSubmit claims to ");
    g.full_address(b, false);
    b.t("   Payer ID ");
    let pid = g.own(|r| r.digits(5));
    b.decoy("PAYER_ID", &pid);
    b.t("\nIssued ");
    let d = g.date(2023, 2026);
    g.date_as(b, d, "mm_yyyy");
    b.t("\n");
}
