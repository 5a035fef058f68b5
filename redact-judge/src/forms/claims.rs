//! More paperwork that crosses a fax line: a motor-vehicle (no-fault/PIP) claim with VIN and
//! plate, a DME order with device serials, an authorisation to release records, a progress
//! note in which identifiers come without labels, and an e-mail-to-fax service notice.

use faxbot_redact::PhiKind;

use crate::doc::Builder;
use crate::ident::Gen;

/// A no-fault / PIP claim for treatment after a motor-vehicle accident.
pub fn auto_claim(g: &mut Gen, b: &mut Builder) {
    let ins = g.cue(crate::decoy::ORGS);
    b.decoy("ORG", ins);
    b.t("\nNO-FAULT / PIP APPLICATION FOR BENEFITS\n\nClaim number: ");
    let claim = g.own(|r| format!("{}-{}-{}", r.digits(2), r.digits(6), r.letters(2)));
    b.phi(PhiKind::Id, "auto_claim_number", &claim);
    b.t("   Policy: ");
    g.health_plan(b);
    b.t("\nInjured person: ");
    let p = g.person();
    g.name(b, &p);
    b.t("   DOB ");
    g.date_any(b, p.dob);
    b.t("\nSSN: ");
    g.ssn(b);
    b.t("   Driver license #: ");
    g.license(b, "dl");
    b.t("\nAddress: ");
    g.full_address(b, false);
    b.t("\nDate of accident: ");
    let d = g.date(2024, 2026);
    g.date_any(b, d);
    b.t(" at approx. ");
    g.time_of_day(b);
    b.t("\nVehicle: ");
    b.t(g.cue(&[
        "2019 Honda Civic",
        "2016 Ford F-150",
        "2021 Toyota RAV4",
        "2012 Chevrolet Malibu",
        "2020 Tesla Model 3",
        "2018 Nissan Altima",
    ]));
    b.t("  VIN ");
    g.vehicle(b, true);
    b.t("  Plate ");
    g.vehicle(b, false);
    b.t(" (")
        .t(g.cue(&["NY", "NJ", "FL", "MI", "PA", "MN"]))
        .t(")\n");
    b.t("Other vehicle plate: ");
    g.vehicle(b, false);
    b.t(", driver ");
    let o = g.person();
    g.name(b, &o);
    b.t("\nPolice report no. ");
    let pr = g.own(|r| format!("{}-{}", r.range(2024, 2026), r.digits(6)));
    b.phi(PhiKind::Id, "police_report", &pr);
    b.t("\nEmployer: ");
    let emp = g.cue(crate::decoy::ORGS);
    b.decoy("ORG", emp).t(", employee ID ");
    g.other_id(b);
    b.t("\nTreating provider: ");
    g.clinician(b);
    b.t(", Tax ID ");
    let ein = g.own(|r| format!("{}-{}", r.digits(2), r.digits(7)));
    b.decoy("EIN", &ein);
    b.t("\nDiagnoses: ");
    g.icd10(b);
    b.t(", ");
    g.icd10(b);
    b.t("  Charges to date: ");
    g.price(b);
    b.t("\n");
}

/// A durable medical equipment order with device serials.
pub fn dme_order(g: &mut Gen, b: &mut Builder) {
    b.t("DETAILED WRITTEN ORDER - DURABLE MEDICAL EQUIPMENT\n\nBeneficiary: ");
    let p = g.person();
    g.name(b, &p);
    b.t("\nMBI / Member ID: ");
    g.health_plan(b);
    b.t("   DOB: ");
    g.date_any(b, p.dob);
    b.t("\nPhone: ");
    g.phone(b);
    b.t("\nDelivery address: ");
    g.full_address(b, false);
    b.t("\n\nItem: ");
    let (item, code) = *g.pick(&[
        ("CPAP device with humidifier", "E0601"),
        ("Insulin pump", "E0784"),
        ("Continuous glucose monitor receiver", "E2103"),
        ("Hospital bed, semi-electric", "E0260"),
        ("Oxygen concentrator", "E1390"),
    ]);
    b.t(item).t("   HCPCS ").decoy("HCPCS", code);
    b.t("\nManufacturer serial no.: ");
    g.device(b);
    if g.chance(0.5) {
        b.t("\nUDI: ");
        g.device(b);
    }
    b.t("\nLength of need: 99 months   Qty 1\nDiagnosis: ");
    g.icd10(b);
    b.t("\nOrder date: ");
    let d = g.date(2025, 2026);
    g.date_any(b, d);
    b.t("\nOrdering practitioner: ");
    g.clinician(b);
    b.t("   NPI ");
    g.license(b, "npi");
    b.t("\nSupplier fax: ");
    g.fax(b);
    b.t("\n");
}

/// An authorisation to release protected health information.
pub fn records_release(g: &mut Gen, b: &mut Builder) {
    b.t("AUTHORIZATION FOR RELEASE OF PROTECTED HEALTH INFORMATION\n\n");
    let p = g.person();
    b.t("Patient name (last, first, MI): ");
    g.name_as(b, &p, "family_comma_given_initial");
    b.t("\nOther names used: ");
    let maiden = g.person();
    g.name_as(b, &maiden, "family");
    b.t("\nDate of birth: ");
    g.date_any(b, p.dob);
    b.t("   Last 4 SSN: ");
    let last4 = g.own(|r| r.digits(4));
    b.phi(PhiKind::Ssn, "last4", &last4);
    b.t("\nAddress: ");
    g.full_address(b, false);
    b.t("\nCounty of residence: ");
    g.county(b);
    b.t("\nPhone: ");
    g.phone(b);
    b.t("   E-mail: ");
    g.email(b, &p);
    b.t("\nIdentity verified with: ");
    if g.chance(0.5) {
        b.t("driver's license ");
        g.license(b, "dl");
    } else {
        b.t("passport no. ");
        g.other_id(b);
    }
    b.t("\n\nI authorize ");
    let org = g.cue(crate::decoy::ORGS);
    b.decoy("ORG", org);
    b.t(" to release records of treatment ");
    let from = g.date(2018, 2025);
    g.date_range(b, from);
    b.t(" to:\n");
    g.clinician(b);
    b.t("\n");
    g.full_address(b, true);
    b.t("\nFax ");
    g.fax(b);
    b.t("\n\nThis authorization expires on ");
    let e = g.date(2026, 2027);
    g.date_any(b, e);
    b.t(".\n\nSignature: __________________   Date: ");
    let s = g.date(2025, 2026);
    g.date_any(b, s);
    b.t("\nIf signed by a representative: ");
    let r = g.person();
    g.name(b, &r);
    b.t(", relationship: ")
        .t(g.cue(&["daughter", "son", "POA", "guardian", "spouse"]));
    b.t("\n");
}

/// A progress note: identifiers in sentences, most without a label.
pub fn progress_note(g: &mut Gen, b: &mut Builder) {
    let p = g.person();
    b.t(g.cue(&["PROGRESS NOTE", "Clinic Note", "SOAP NOTE", "Office Visit"]));
    b.t("   ");
    let d = g.date(2025, 2026);
    g.date_any(b, d);
    b.t("\n\nS: ");
    g.name(b, &p);
    b.t(" is ");
    if g.chance(0.45) {
        g.age_over_89(b, p.sex);
    } else {
        g.age_under_90(b);
    }
    b.t(" seen for follow-up of ");
    let e = g.cue(crate::decoy::EPONYMS);
    b.decoy("EPONYM", e);
    b.t(". Accompanied by ");
    let rel = g.person();
    g.name_as(b, &rel, "given");
    b.t(", who drove from ");
    g.city(b, false);
    if g.chance(0.4) {
        b.t(" in ");
        g.county(b);
    }
    b.t(". Reports falls on ");
    let f = g.date(2025, 2026);
    g.date_as(b, f, "m_d");
    b.t(" and ");
    let f2 = f.plus(3);
    g.date_as(b, f2, "m_d");
    b.t(". Was at ");
    let h = g.cue(crate::decoy::ORGS);
    b.decoy("ORG", h);
    b.t(" ");
    g.date_range(b, f);
    b.t(".\nO: ");
    g.vital(b);
    b.t(", ");
    g.vital(b);
    b.t(", ");
    g.vital(b);
    b.t(". Labs: ");
    g.lab_row(b, " ");
    b.t(".\nA/P: ");
    g.icd10(b);
    b.t(". Continue ");
    g.dose(b);
    b.t(". Refer to ");
    g.clinician(b);
    b.t(" (");
    g.phone(b);
    b.t("). Daughter's cell ");
    g.phone(b);
    b.t(". RTC ");
    let rtc = d.plus(g.rng.range(14, 40) as u32);
    g.date_any(b, rtc);
    b.t(".\n");
    b.t(g.cue(&["Electronically signed by ", "Signed: ", "Provider: "]));
    g.clinician(b);
    b.t(" ");
    let sd = d.plus(1);
    g.date_as(b, sd, "mdy_slash");
    b.t(" ");
    g.time_of_day(b);
    b.t("\n");
}

/// The notice an e-mail-to-fax service sends with a received fax.
pub fn efax_notice(g: &mut Gen, b: &mut Builder) {
    let svc = g.cue(&[
        "eFax",
        "RingCentral",
        "Fax.Plus",
        "MetroFax",
        "SRFax",
        "iFax",
    ]);
    b.decoy("ORG", svc);
    b.t(" message\n\nYou have received a ");
    let n = g.rng.range(1, 30).to_string();
    b.decoy("PAGES", &n).t("-page fax at ");
    g.time_of_day(b);
    b.t(" on ");
    let d = g.date(2025, 2026);
    g.date_any(b, d);
    b.t(".\n\n* Your fax number: ");
    g.fax(b);
    b.t("\n* Caller-ID: ");
    g.fax(b);
    b.t("\n* Sender name: ");
    let p = g.person();
    g.name_as(b, &p, "caps");
    b.t("\n* Delivered to: ");
    let q = g.person();
    g.email(b, &q);
    b.t("\n* Reference: ");
    g.job_id(b);
    b.t("\n\nView it online: ");
    g.url(b, &q);
    b.t("\nThe attached PDF is ");
    let kb = format!("{} KB", g.rng.range(40, 4000));
    b.decoy("FILE_SIZE", &kb);
    b.t(".\n");
}
