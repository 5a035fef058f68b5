//! Document layouts, each modelled on a real-world format: fax cover sheets of several
//! vendors, referral letters, lab reports, HL7 v2, FHIR R4, C-CDA, discharge summaries, prior
//! authorisations, pharmacy refills, EOBs, reminders, platform logs and forwarded e-mails.

mod admissions;
mod claims;
mod clinical;
mod cover;
mod letters;
mod pages;
mod platform;
mod structured;

use crate::doc::Builder;
use crate::ident::Gen;

/// One layout: its name and the function that writes a document of it.
pub type Form = (&'static str, fn(&mut Gen, &mut Builder));

/// Every layout, with its weight in the corpus.
pub const FORMS: &[(Form, u32)] = &[
    (("cover_sheet/boxed", cover::boxed), 6),
    (("cover_sheet/header_line", cover::header_line), 5),
    (("cover_sheet/hospital_notice", cover::hospital_notice), 5),
    (("referral_letter", letters::referral), 8),
    (("discharge_summary", letters::discharge), 7),
    (("forwarded_email", letters::forwarded_email), 5),
    (("appointment_reminder", letters::reminder), 4),
    (("lab_report", clinical::lab_report), 8),
    (("prior_auth", clinical::prior_auth), 6),
    (("pharmacy_refill", clinical::refill), 5),
    (("eob", clinical::eob), 4),
    (("hl7_adt", structured::hl7_adt), 5),
    (("hl7_oru", structured::hl7_oru), 5),
    (("fhir_bundle", structured::fhir), 5),
    (("ccda_header", structured::ccda), 4),
    (("platform_log", platform::log_lines), 5),
    (("platform_event", platform::json_events), 4),
    (("cover_sheet/efax_notice", claims::efax_notice), 3),
    (("auto_claim", claims::auto_claim), 3),
    (("dme_order", claims::dme_order), 3),
    (("records_release", claims::records_release), 4),
    (("progress_note", claims::progress_note), 7),
    (("lab_report/three_column", pages::lab_columns), 5),
    (("radiology_report", pages::radiology), 4),
    (("insurance_card", pages::insurance_card), 3),
    (("face_sheet", admissions::face_sheet), 4),
    (("home_health_485", admissions::home_health_485), 3),
];

/// Whether a layout is a scanned fax (OCR damage may apply) rather than a digital message.
pub fn scanned(kind: &str) -> bool {
    !(kind.starts_with("hl7")
        || kind.starts_with("fhir")
        || kind.starts_with("ccda")
        || kind.starts_with("platform"))
}
