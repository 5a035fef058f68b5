//! Two forms that cross fax lines daily between hospitals, nursing homes and home health
//! agencies: the admission face sheet (every demographic field at once) and the home health
//! plan of care (CMS-485 layout: numbered boxes, certification period).

use faxbot_redact::PhiKind;

use crate::doc::Builder;
use crate::ident::Gen;

/// An admission face sheet: patient, contacts, guarantor, insurance, in labelled boxes.
pub fn face_sheet(g: &mut Gen, b: &mut Builder) {
    let p = g.person();
    let org = g.cue(crate::decoy::ORGS);
    b.decoy("ORG", org).t("\nADMISSION FACE SHEET\n");
    b.t("Printed ");
    let pd = g.date(2025, 2026);
    g.date_as(b, pd, "mdy_slash");
    b.t(" ");
    g.time_of_day(b);
    b.t("\n\nPATIENT NAME            MR #          ACCOUNT #        ROOM/BED\n");
    g.name_as(b, &p, "family_comma_given_caps");
    b.t("    ");
    g.mrn(b);
    b.t("    ");
    g.account(b);
    b.t(&format!(
        "    {}-{}\n",
        g.rng.range(100, 699),
        g.cue(&["A", "B", "W", "D"])
    ));
    b.t("DOB         AGE   SEX   MARITAL   RELIGION     LANGUAGE\n");
    g.date_as(b, p.dob, "mdy_slash");
    b.t("  ");
    if g.chance(0.35) {
        let age = g.own(|r| r.range(90, 106).to_string());
        b.phi(PhiKind::Age, "face_sheet_age", &age);
    } else {
        let age = g.rng.range(20, 89).to_string();
        b.decoy("AGE_UNDER_90", &age);
    }
    b.t(&format!("    {}     ", p.sex));
    b.t(g.cue(&["M", "S", "W", "D"])).t("         ");
    b.t(g.cue(&[
        "CATHOLIC", "NONE", "BAPTIST", "JEWISH", "MUSLIM", "LUTHERAN",
    ]))
    .t("     ");
    b.t(g.cue(&["ENGLISH", "SPANISH", "VIETNAMESE", "TAGALOG", "RUSSIAN"]))
        .t("\n");
    b.t("ADDRESS\n");
    g.full_address(b, false);
    b.t("\nHOME PHONE        CELL PHONE        SSN\n");
    g.phone(b);
    b.t("    ");
    g.phone(b);
    b.t("    ");
    g.ssn(b);
    b.t("\n\nEMERGENCY CONTACT       RELATIONSHIP     PHONE\n");
    let k = g.person();
    g.name_as(b, &k, "family_comma_given_caps");
    b.t("    ")
        .t(g.cue(&["DAUGHTER", "SON", "SPOUSE", "NIECE", "FRIEND", "POA"]));
    b.t("    ");
    g.phone(b);
    b.t("\n\nGUARANTOR               EMPLOYER\n");
    g.name_as(b, &k, "caps");
    b.t("    ");
    let emp = g.cue(crate::decoy::ORGS);
    b.decoy("ORG", emp);
    b.t("\n\nPRIMARY INSURANCE       POLICY #         GROUP #         SUBSCRIBER\n");
    let payer = g.cue(crate::decoy::ORGS);
    b.decoy("ORG", payer).t("    ");
    g.health_plan(b);
    b.t("    ");
    g.health_plan(b);
    b.t("    ");
    g.name_as(b, &p, "caps");
    b.t("\n\nADMIT DATE   ADMIT TIME   ADMITTING PHYSICIAN        ATTENDING PHYSICIAN\n");
    let ad = g.date(2025, 2026);
    g.date_as(b, ad, "mdy_slash");
    b.t("   ");
    g.time_of_day(b);
    b.t("   ");
    g.clinician(b);
    b.t("   ");
    g.clinician(b);
    b.t("\nADMITTING DIAGNOSIS: ");
    g.icd10(b);
    b.t(" ");
    let e = g.cue(crate::decoy::EPONYMS);
    b.decoy("EPONYM", e);
    b.t("\nADVANCE DIRECTIVE: Y   CODE STATUS: DNR\n");
}

/// A home health certification and plan of care in the CMS-485 layout.
pub fn home_health_485(g: &mut Gen, b: &mut Builder) {
    let p = g.person();
    b.t("HOME HEALTH CERTIFICATION AND PLAN OF CARE\n");
    b.t("1. Patient's HI Claim No.   2. Start Of Care Date   3. Certification Period\n");
    g.health_plan(b);
    b.t("        ");
    let soc = g.date(2025, 2026);
    g.date_as(b, soc, "mdy_slash");
    b.t("        From: ");
    g.date_as(b, soc, "mdy_slash");
    b.t(" To: ");
    let to = soc.plus(59);
    g.date_as(b, to, "mdy_slash");
    b.t("\n4. Medical Record No. ");
    g.mrn(b);
    b.t("   5. Provider No. ");
    let prov = g.own(|r| format!("{}{}", r.digits(2), r.digits(4)));
    b.decoy("CCN", &prov);
    b.t("\n6. Patient's Name and Address\n");
    g.name_as(b, &p, "family_comma_given_initial");
    b.t("\n");
    g.full_address(b, true);
    b.t("\n7. Provider's Name, Address and Telephone Number\n");
    let agency = g.cue(crate::decoy::ORGS);
    b.decoy("ORG", agency).t(" Home Care\n");
    g.full_address(b, true);
    b.t("\n");
    g.phone(b);
    b.t("\n8. Date of Birth ");
    g.date_as(b, p.dob, "mdy_slash");
    b.t("   9. Sex ").t(&p.sex.to_string());
    b.t("\n10. Medications: Dose/Frequency/Route (N)ew (C)hanged\n");
    for _ in 0..g.rng.range(2, 5) {
        g.dose(b);
        b.t("\n");
    }
    b.t("11. ICD Principal Diagnosis ");
    g.icd10(b);
    b.t("   Date ");
    let dd = g.date(2024, 2026);
    g.date_as(b, dd, "m_d_yy");
    b.t("\n12. ICD Surgical Procedure ");
    g.icd10(b);
    b.t("\n21. Orders for Discipline and Treatments: SN 2w4, 1w4. PT eval and treat. ");
    b.t("Aide 3w8. SN to assess ");
    g.vital(b);
    b.t(" each visit; call MD if ");
    g.vital(b);
    b.t(".\n24. Physician's Name and Address\n");
    g.clinician(b);
    b.t("\n");
    g.full_address(b, true);
    b.t("\nNPI ");
    g.license(b, "npi");
    b.t("   Phone ");
    g.phone(b);
    b.t("   Fax ");
    g.fax(b);
    b.t("\n27. Attending Physician's Signature and Date Signed ____________  ");
    let sd = soc.plus(g.rng.range(2, 20) as u32);
    g.date_any(b, sd);
    b.t("\n");
}
