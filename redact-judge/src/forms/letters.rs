//! Prose documents: referral letters, discharge summaries, forwarded e-mails, appointment
//! reminders. Identifiers here often come without a label: the name in the salutation, the
//! date in a sentence, a phone number in a closing line.

use crate::doc::Builder;
use crate::ident::Gen;

/// A referral letter from one clinician to another.
pub fn referral(g: &mut Gen, b: &mut Builder) {
    let org = g.cue(crate::decoy::ORGS);
    b.decoy("ORG", org).t("\n");
    let two = g.chance(0.5);
    g.full_address(b, two);
    b.t("\n");
    g.phone(b);
    b.t(" | fax ");
    g.fax(b);
    b.t("\n\n");
    let d = g.date(2024, 2026);
    g.date_any(b, d);
    b.t("\n\n");
    g.clinician(b);
    b.t("\n");
    let o2 = g.cue(crate::decoy::ORGS);
    b.decoy("ORG", o2).t("\n");
    g.full_address(b, true);
    b.t("\n\n");
    let p = g.person();
    b.t(g.cue(&["RE: ", "Re: ", "Patient: ", "Referral for "]));
    g.name(b, &p);
    b.t(g.cue(&["   DOB ", ", born ", " - DOB: ", "  ("]));
    g.date_any(b, p.dob);
    if g.chance(0.5) {
        b.t("   ")
            .t(g.cue(&["MRN ", "Our ref: ", "Chart ", "ID# "]));
        g.mrn(b);
    }
    b.t("\n\nDear ");
    let doc = g.person();
    b.t(g.cue(&["Dr. ", "Dr ", "Doctor "]));
    g.name_as(b, &doc, "family");
    b.t(",\n\n");
    b.t("Thank you for seeing ");
    let pron = if p.sex == 'F' { "She" } else { "He" };
    let form = if g.chance(0.5) {
        "given"
    } else {
        "given_family"
    };
    g.name_as(b, &p, form);
    b.t(", ");
    if g.chance(0.35) {
        g.age_over_89(b, p.sex);
    } else {
        g.age_under_90(b);
    }
    b.t(", whom I have followed ");
    g.year_alone(b);
    b.t(" for ");
    let e = g.cue(crate::decoy::EPONYMS);
    b.decoy("EPONYM", e).t(" (");
    g.icd10(b);
    b.t(") and type 2 diabetes (");
    g.icd10(b);
    b.t("). ");
    b.t(pron).t(" was last seen on ");
    let seen = g.date(2024, 2026);
    g.date_any(b, seen);
    b.t(", when ");
    g.vital(b);
    b.t(" and ");
    g.vital(b);
    b.t(". Current medications: ");
    g.dose(b);
    b.t("; ");
    g.dose(b);
    b.t(".\n\n");
    b.t(pron).t(" lives with ");
    b.t(g.cue(&["a daughter, ", "a son, ", "a niece, ", "a spouse, "]));
    let rel = g.person();
    g.name(b, &rel);
    b.t(", who can be reached at ");
    g.phone(b);
    b.t(" or ");
    g.email(b, &rel);
    b.t(". Their home address is ");
    g.full_address(b, false);
    b.t(".\n\n");
    b.t("Insurance: ");
    let payer = g.cue(crate::decoy::ORGS);
    b.decoy("ORG", payer).t(", member ID ");
    g.health_plan(b);
    b.t(", group ");
    g.health_plan(b);
    b.t(".\n\nSincerely,\n\n");
    let me = g.person();
    g.name(b, &me);
    b.t(", MD\nNPI ");
    g.license(b, "npi");
    b.t("  DEA ");
    g.license(b, "dea");
    b.t("\n");
}

/// A hospital discharge summary.
pub fn discharge(g: &mut Gen, b: &mut Builder) {
    b.t("DISCHARGE SUMMARY\n\n");
    let p = g.person();
    b.t("PATIENT: ");
    let form = if g.chance(0.5) {
        "family_comma_given_caps"
    } else {
        "caps"
    };
    g.name_as(b, &p, form);
    b.t("\nMR#: ");
    g.mrn(b);
    b.t("     ACCT#: ");
    g.account(b);
    b.t("\nDOB: ");
    g.date_any(b, p.dob);
    b.t("     SEX: ").t(&p.sex.to_string());
    b.t("\nADMISSION DATE: ");
    let adm = g.date(2024, 2026);
    g.date_any(b, adm);
    b.t("\nDISCHARGE DATE: ");
    let dis = adm.plus(g.rng.range(1, 14) as u32);
    g.date_any(b, dis);
    b.t("\nATTENDING: ");
    g.clinician(b);
    b.t("\nPCP: ");
    g.clinician(b);
    b.t("\n\nHOSPITAL COURSE:\n");
    g.name_as(b, &p, "given_family");
    b.t(" is ");
    if g.chance(0.4) {
        g.age_over_89(b, p.sex);
    } else {
        g.age_under_90(b);
    }
    b.t(" admitted ");
    g.date_range(b, adm);
    b.t(" with community-acquired pneumonia (");
    g.icd10(b);
    b.t("). Chest X-ray (CPT ");
    g.cpt(b);
    b.t(") showed RLL consolidation. Treated with ");
    g.dose(b);
    b.t(". On day 3 ");
    g.vital(b);
    b.t(", ");
    g.vital(b);
    b.t(". Seen by ");
    g.clinician(b);
    b.t(" from cardiology for ");
    let e = g.cue(crate::decoy::EPONYMS);
    b.decoy("EPONYM", e).t(".\n\n");
    b.t("DISCHARGE MEDICATIONS:\n1. ");
    g.dose(b);
    b.t("\n2. ");
    g.dose(b);
    b.t("\n3. ");
    g.dose(b);
    b.t("\n\nFOLLOW-UP: with ");
    g.clinician(b);
    b.t(" on ");
    let f = dis.plus(g.rng.range(3, 20) as u32);
    g.date_any(b, f);
    b.t(" at ");
    g.time_of_day(b);
    b.t(", ");
    g.full_address(b, false);
    b.t(". Call ");
    g.phone(b);
    b.t(" to reschedule.\n");
    if g.chance(0.3) {
        b.t("Pacemaker serial ");
        g.device(b);
        b.t(", interrogated ");
        let d = g.date(2024, 2026);
        g.date_any(b, d);
        b.t(".\n");
    }
    b.t("\nDictated by: ");
    g.clinician(b);
    b.t("  ");
    let d = g.date(2025, 2026);
    g.date_as(b, d, "mdy_slash");
    b.t(" ");
    g.time_of_day(b);
    b.t("\nJob #");
    g.job_id(b);
    b.t("\n");
}

/// An e-mail forwarded and printed to fax.
pub fn forwarded_email(g: &mut Gen, b: &mut Builder) {
    let a = g.person();
    let c = g.person();
    b.t("---------- Forwarded message ---------\nFrom: ");
    g.name(b, &a);
    b.t(" <");
    g.email(b, &a);
    b.t(">\nDate: ");
    let d = g.date(2025, 2026);
    g.date_as(b, d, "weekday_written");
    b.t(" at ");
    g.time_of_day(b);
    b.t("\nSubject: Re: ");
    b.t(g.cue(&[
        "appointment for mom",
        "FW: paperwork",
        "insurance question",
        "lab results",
        "records",
    ]));
    b.t("\nTo: ");
    g.email(b, &c);
    b.t("\n\n");
    b.t(g.cue(&["Hi ", "Hello ", "Dear ", "hey "]));
    g.name_as(b, &c, "given");
    b.t(",\n\n");
    let p = g.person();
    b.t("my ");
    b.t(g.cue(&["mother ", "father ", "grandmother ", "uncle "]));
    g.name(b, &p);
    b.t(" (born ");
    g.date_any(b, p.dob);
    b.t(") needs the forms re-sent. ");
    if g.chance(0.5) {
        b.t("She is ");
        g.age_over_89(b, 'F');
        b.t(" now and can't drive, so please mail to ");
    } else {
        b.t("Please mail to ");
    }
    g.full_address(b, false);
    if g.chance(0.3) {
        b.t(". My brother in ");
        let country = g.world_city(b);
        b.t(" (").t(country).t(") gets copies at ");
        g.world_address(b);
    }
    b.t(". Her Medicare number is ");
    g.health_plan(b);
    b.t(" and SSN ");
    g.ssn(b);
    b.t(". You can also text me at ");
    g.phone(b);
    b.t(" or see ");
    g.url(b, &a);
    b.t(".\n\nThanks,\n");
    g.name_as(b, &a, "given");
    b.t("\n\nSent from my iPhone\n");
}

/// An appointment reminder letter or card.
pub fn reminder(g: &mut Gen, b: &mut Builder) {
    let p = g.person();
    b.t(g.cue(&[
        "APPOINTMENT REMINDER\n\n",
        "Your upcoming visit\n\n",
        "Reminder:\n\n",
    ]));
    g.name(b, &p);
    b.t("\n");
    g.full_address(b, true);
    b.t("\n\n");
    b.t(g.cue(&["Dear ", "Hello ", ""]));
    let form = if g.chance(0.5) {
        "given"
    } else {
        "given_family"
    };
    g.name_as(b, &p, form);
    b.t(",\nThis is a reminder of your appointment with ");
    g.clinician(b);
    b.t(" on ");
    let d = g.date(2025, 2026);
    g.date_any(b, d);
    b.t(" at ");
    g.time_of_day(b);
    b.t(". Please arrive 15 minutes early and bring your insurance card (ID ");
    g.health_plan(b);
    b.t("). To cancel call ");
    g.phone(b);
    b.t(" or reply STOP. Copay: ");
    g.price(b);
    b.t(".\nVisit ");
    g.url(b, &p);
    b.t(" to check in online.\n");
}
