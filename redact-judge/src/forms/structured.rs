//! Digital formats printed or relayed as fax text: HL7 v2 ADT and ORU messages (PID, NK1, PV1,
//! GT1, IN1, OBR, OBX at their standard field positions, with escapes and repetitions), a FHIR
//! R4 bundle (Patient, Practitioner, Coverage, Observation) and a C-CDA document header.

use faxbot_redact::PhiKind;

use crate::doc::Builder;
use crate::ident::{Gen, Person};

/// An HL7 v2 phone (XTN): `(555)867-5309` or `^PRN^PH^^1^555^8675309`.
fn xtn(g: &mut Gen, b: &mut Builder, fax: bool) {
    let kind = if fax { PhiKind::Fax } else { PhiKind::Phone };
    if g.chance(0.5) {
        let v = g.own(|r| {
            format!(
                "({}{}){}{}-{}",
                r.range(2, 9),
                r.digits(2),
                r.range(2, 9),
                r.digits(2),
                r.digits(4)
            )
        });
        b.phi(kind, "hl7_xtn_text", &v);
    } else {
        b.raw(if fax { "^WPN^FX^^" } else { "^PRN^PH^^" });
        let v = g.own(|r| {
            format!(
                "1^{}{}^{}{}{}",
                r.range(2, 9),
                r.digits(2),
                r.range(2, 9),
                r.digits(2),
                r.digits(4)
            )
        });
        b.phi(kind, "hl7_xtn_components", &v);
    }
}

/// An HL7 v2 address (XAD): street^other^city^state^zip^country^type.
fn xad(g: &mut Gen, b: &mut Builder) {
    g.street(b);
    b.raw("^^");
    let caps = g.chance(0.5);
    let st = g.city(b, caps);
    b.raw("^").raw(st).raw("^");
    g.zip(b);
    b.raw("^USA^H");
}

/// An HL7 v2 clinician (XCN): NPI^FAMILY^GIVEN^M^^DR.
fn xcn(g: &mut Gen, b: &mut Builder) {
    g.license(b, "npi");
    b.raw("^");
    let p = g.person();
    g.name_as(b, &p, "hl7");
    b.raw("^^").raw(g.cue(&["DR", "MD", ""]));
}

fn hl7_ts(g: &mut Gen, b: &mut Builder) {
    let d = g.date(2024, 2026);
    g.date_as(b, d, "hl7_ts_time");
}

fn msh(g: &mut Gen, b: &mut Builder, msg: &str, seg: &str) {
    b.raw("MSH|^~\\&|");
    b.raw(g.cue(&["EPIC", "CERNER", "MEDITECH", "ATHENA", "ALLSCRIPTS"]));
    b.raw("|");
    let fac = *g.pick(&[
        "GENERAL HOSP",
        "ST MARYS",
        "LAB \\T\\ IMAGING",
        "NORTHSIDE MC",
        "UNIV MED CTR",
    ]);
    b.decoy("ORG", fac);
    b.raw("|FAXBOT|FAXBOT|");
    hl7_ts(g, b);
    b.raw("||").raw(msg).raw("|");
    let ctl = g.own(|r| format!("MSG{}", r.digits(8)));
    b.decoy("MSG_CONTROL_ID", &ctl);
    b.raw("|P|");
    let v = *g.pick(&["2.3", "2.4", "2.5.1", "2.6", "2.7"]);
    b.decoy("VERSION", v);
    b.raw(seg);
}

fn pid(g: &mut Gen, b: &mut Builder, p: &Person, seg: &str) {
    b.raw("PID|1||");
    g.mrn(b);
    b.raw("^^^")
        .raw(g.cue(&["HOSP", "MRN", "EPI", "MAIN"]))
        .raw("^MR");
    if g.chance(0.5) {
        b.raw("~");
        g.ssn(b);
        b.raw("^^^SSA^SS");
    }
    b.raw("||");
    g.name_as(b, p, "hl7");
    b.raw("^^^^L|");
    if g.chance(0.5) {
        let m = g.person();
        g.name_as(b, &m, "family_caps");
    }
    b.raw("|");
    g.date_as(b, p.dob, "hl7_ts");
    b.raw("|").raw(&p.sex.to_string()).raw("||");
    b.raw(g.cue(&["2106-3", "2054-5", "2028-9", "2131-1"]));
    b.raw("|");
    xad(g, b);
    b.raw("||");
    xtn(g, b, false);
    if g.chance(0.4) {
        b.raw("~");
        xtn(g, b, false);
    }
    b.raw("|");
    if g.chance(0.5) {
        xtn(g, b, false);
    }
    b.raw("|ENG|M||");
    g.account(b);
    b.raw("|");
    if g.chance(0.6) {
        g.ssn(b);
    }
    b.raw("|");
    if g.chance(0.3) {
        g.license(b, "dl");
        b.raw("^").raw(g.cue(&["CA", "TX", "NY", "FL"]));
    }
    b.raw(seg);
}

fn pv1(g: &mut Gen, b: &mut Builder, seg: &str) {
    b.raw("PV1|1|").raw(g.cue(&["I", "O", "E"])).raw("|");
    b.raw(g.cue(&["4W^412^B^MAIN", "ICU^07^A", "ED^^^MAIN", "MED^220^1"]));
    b.raw("|").raw(g.cue(&["E", "R", "U"])).raw("|||");
    xcn(g, b);
    b.raw("|");
    xcn(g, b);
    b.raw("||MED|||||||");
    xcn(g, b);
    b.raw("|IP|");
    g.account(b);
    b.raw("|").raw(g.cue(&["MC", "BC", "SP"]));
    b.raw("||||||||||||||||||||||||");
    hl7_ts(g, b);
    b.raw("|");
    if g.chance(0.5) {
        hl7_ts(g, b);
    }
    b.raw(seg);
}

/// An ADT message (A01/A04/A08): MSH, EVN, PID, NK1, PV1, GT1, IN1.
pub fn hl7_adt(g: &mut Gen, b: &mut Builder) {
    let seg = if g.chance(0.3) { "\r" } else { "\n" };
    let ev = *g.pick(&["A01", "A04", "A08", "A03"]);
    msh(
        g,
        b,
        &format!("ADT^{ev}^ADT_{}", if ev == "A08" { "A01" } else { ev }),
        seg,
    );
    b.raw("EVN|").raw(ev).raw("|");
    hl7_ts(g, b);
    b.raw(seg);
    let p = g.person();
    pid(g, b, &p, seg);
    b.raw("NK1|1|");
    let k = g.person();
    g.name_as(b, &k, "hl7");
    b.raw("|").raw(g.cue(&[
        "SPO^Spouse^HL70063",
        "DAU^Daughter^HL70063",
        "SON^Son^HL70063",
        "EMC^Emergency contact",
    ]));
    b.raw("|");
    xad(g, b);
    b.raw("|");
    xtn(g, b, false);
    b.raw(seg);
    pv1(g, b, seg);
    b.raw("GT1|1|");
    let gn = g.own(|r| r.digits(8));
    b.phi(PhiKind::Account, "hl7_guarantor_number", &gn);
    b.raw("|");
    g.name_as(b, &k, "hl7");
    b.raw("||");
    xad(g, b);
    b.raw("|");
    xtn(g, b, false);
    b.raw("||");
    g.date_as(b, k.dob, "hl7_ts");
    b.raw("|").raw(&k.sex.to_string()).raw("||SPO|");
    g.ssn(b);
    b.raw(seg);
    b.raw("IN1|1|");
    let plan = *g.pick(&["BCBS001", "AETNA-PPO", "MCR-A", "UHC-HMO"]);
    b.decoy("PLAN_CODE", plan);
    b.raw("|");
    let cid = g.own(|r| r.digits(5));
    b.decoy("PAYER_ID", &cid);
    b.raw("|");
    let payer = *g.pick(crate::decoy::ORGS);
    b.decoy("ORG", &payer.to_uppercase());
    b.raw("|");
    xad(g, b);
    b.raw("||");
    xtn(g, b, false);
    b.raw("|");
    g.health_plan(b);
    b.raw("|");
    b.raw(g.cue(&["ACME CORP", "STATE OF OHIO", "RETIREE"]));
    b.raw("|||");
    let eff = g.date(2020, 2026);
    g.date_as(b, eff, "hl7_ts");
    b.raw("||||");
    g.name_as(b, &p, "hl7");
    b.raw("|SEL|");
    g.date_as(b, p.dob, "hl7_ts");
    b.raw("|");
    xad(g, b);
    b.raw("|||||||||||||||||");
    g.health_plan(b);
    b.raw(seg);
}

/// An ORU^R01 result message: MSH, PID, PV1, OBR and OBX rows, an NTE with escapes.
pub fn hl7_oru(g: &mut Gen, b: &mut Builder) {
    let seg = if g.chance(0.3) { "\r" } else { "\n" };
    msh(g, b, "ORU^R01^ORU_R01", seg);
    let p = g.person();
    pid(g, b, &p, seg);
    pv1(g, b, seg);
    b.raw("OBR|1|");
    let placer = g.own(|r| format!("{}^EPIC", r.digits(9)));
    b.phi(PhiKind::Id, "hl7_placer_order", &placer);
    b.raw("|");
    let filler = g.own(|r| format!("{}{}^LAB", r.letters(2), r.digits(8)));
    b.phi(PhiKind::Id, "hl7_filler_order", &filler);
    b.raw("|");
    b.raw(g.cue(&[
        "80053^COMPREHENSIVE METABOLIC PANEL^CPT",
        "85025^CBC W AUTO DIFF^CPT",
        "4548-4^HEMOGLOBIN A1C^LN",
    ]));
    b.raw("|||");
    hl7_ts(g, b);
    b.raw("|||||||||");
    xcn(g, b);
    b.raw(seg);
    for i in 1..=g.rng.range(2, 7) {
        b.raw(&format!("OBX|{i}|NM|"));
        g.loinc(b);
        b.raw("^");
        let t = *g.pick(&[
            "GLUCOSE",
            "SODIUM",
            "POTASSIUM",
            "CREATININE",
            "HGB A1C",
            "WBC",
        ]);
        b.decoy("LAB_TEST", t);
        b.raw("^LN||");
        let v = format!("{}.{}", g.rng.range(1, 200), g.rng.below(10));
        b.decoy("LAB_VALUE", &v);
        b.raw("|");
        let u = *g.pick(&["mg/dL", "mmol/L", "%", "10*3/uL"]);
        b.decoy("UNIT", u);
        b.raw("|");
        let lo = g.rng.range(1, 100);
        b.decoy("REF_RANGE", &format!("{lo}-{}", lo + g.rng.range(5, 60)));
        b.raw("|").raw(g.cue(&["N", "H", "L", ""])).raw("|||F|||");
        hl7_ts(g, b);
        b.raw(seg);
    }
    b.raw("NTE|1||");
    b.t("Critical value called to ");
    let n = g.person();
    g.name_as(b, &n, "caps");
    b.raw("\\.br\\");
    b.t("read back and verified ");
    let d = g.date(2025, 2026);
    g.date_as(b, d, "mdy_slash");
    b.raw(" \\T\\ ");
    b.t("documented.");
    b.raw(seg);
}

fn json_str(b: &mut Builder, key: &str) {
    b.raw(&format!("\"{key}\": \""));
}

/// A FHIR R4 bundle with Patient, Practitioner, Coverage and Observation.
pub fn fhir(g: &mut Gen, b: &mut Builder) {
    let p = g.person();
    let sys = |b: &mut Builder, url: &str| {
        b.raw("\"system\": \"")
            .decoy("CODE_SYSTEM_URL", url)
            .raw("\", ");
    };
    b.raw("{\n  \"resourceType\": \"Bundle\",\n  \"type\": \"collection\",\n  \"entry\": [\n");
    // Patient
    b.raw("    {\"resource\": {\"resourceType\": \"Patient\",\n      \"identifier\": [{");
    sys(b, "urn:oid:2.16.840.1.113883.19.5");
    b.raw("\"value\": \"");
    g.mrn(b);
    b.raw("\"}, {");
    sys(b, "http://hl7.org/fhir/sid/us-ssn");
    b.raw("\"value\": \"");
    g.ssn(b);
    b.raw("\"}],\n      \"name\": [{\"use\": \"official\", ");
    json_str(b, "family");
    g.name_as(b, &p, "family");
    b.raw("\", \"given\": [\"");
    g.name_as(b, &p, "given");
    b.raw("\"");
    if let Some(m) = p.middle.clone() {
        b.raw(", \"");
        let mp = crate::ident::Person {
            given: m,
            ..p.clone()
        };
        g.name_as(b, &mp, "given");
        b.raw("\"");
    }
    b.raw("]}],\n      \"telecom\": [{\"system\": \"phone\", \"value\": \"");
    g.phone(b);
    b.raw("\", \"use\": \"home\"}, {\"system\": \"email\", \"value\": \"");
    g.email(b, &p);
    b.raw("\"}],\n      \"gender\": \"")
        .raw(if p.sex == 'F' { "female" } else { "male" });
    b.raw("\",\n      ");
    json_str(b, "birthDate");
    g.date_as(b, p.dob, "iso");
    b.raw("\",\n      \"address\": [{\"line\": [\"");
    g.street(b);
    b.raw("\"], \"city\": \"");
    let st = g.city(b, false);
    b.raw(&format!("\", \"state\": \"{st}\", \"postalCode\": \""));
    g.zip(b);
    b.raw("\"}]}},\n");
    // Practitioner
    b.raw("    {\"resource\": {\"resourceType\": \"Practitioner\",\n      \"identifier\": [{");
    sys(b, "http://hl7.org/fhir/sid/us-npi");
    b.raw("\"value\": \"");
    g.license(b, "npi");
    b.raw("\"}],\n      \"name\": [{\"family\": \"");
    let d = g.person();
    g.name_as(b, &d, "family");
    b.raw("\", \"given\": [\"");
    g.name_as(b, &d, "given");
    b.raw("\"], \"prefix\": [\"Dr.\"]}],\n      \"telecom\": [{\"system\": \"fax\", \"value\": \"");
    g.fax(b);
    b.raw("\"}]}},\n");
    // Coverage
    b.raw("    {\"resource\": {\"resourceType\": \"Coverage\", \"status\": \"active\",\n      \"subscriberId\": \"");
    g.health_plan(b);
    b.raw("\",\n      \"beneficiary\": {\"reference\": \"Patient/");
    let pid = g.own(|r| r.digits(7));
    b.phi(PhiKind::Id, "fhir_reference", &pid);
    b.raw("\"},\n      \"period\": {\"start\": \"");
    let s = g.date(2023, 2026);
    g.date_as(b, s, "iso");
    b.raw("\"},\n      \"payor\": [{\"display\": \"");
    let org = g.cue(crate::decoy::ORGS);
    b.decoy("ORG", org);
    b.raw("\"}],\n      \"class\": [{\"type\": {\"text\": \"group\"}, \"value\": \"");
    g.health_plan(b);
    b.raw("\"}]}},\n");
    // Observation
    b.raw("    {\"resource\": {\"resourceType\": \"Observation\", \"status\": \"final\",\n      \"code\": {\"coding\": [{");
    sys(b, "http://loinc.org");
    b.raw("\"code\": \"");
    g.loinc(b);
    b.raw("\"}]},\n      \"effectiveDateTime\": \"");
    let e = g.date(2025, 2026);
    let dt = format!(
        "{}-{:02}-{:02}T{:02}:{:02}:00{}",
        e.y,
        e.m,
        e.d,
        g.rng.below(24),
        g.rng.below(60),
        *g.pick(&["-05:00", "-08:00", "Z", "+00:00"])
    );
    let dt = g.own(|_| dt.clone());
    b.phi(PhiKind::Date, "fhir_datetime", &dt);
    b.raw("\",\n      \"valueQuantity\": {\"value\": ");
    let v = format!("{}.{}", g.rng.range(1, 300), g.rng.below(10));
    b.decoy("LAB_VALUE", &v);
    b.raw(", \"unit\": \"mg/dL\", ");
    sys(b, "http://unitsofmeasure.org");
    b.raw("\"code\": \"mg/dL\"}}}\n  ]\n}\n");
}

/// A C-CDA document header: ids with OIDs, record target, author, custodian.
pub fn ccda(g: &mut Gen, b: &mut Builder) {
    let p = g.person();
    b.raw(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ClinicalDocument xmlns=\"urn:hl7-org:v3\">\n",
    );
    b.raw("  <realmCode code=\"US\"/>\n  <typeId root=\"")
        .decoy("OID", "2.16.840.1.113883.1.3")
        .raw("\" extension=\"POCD_HD000040\"/>\n");
    b.raw("  <templateId root=\"")
        .decoy("OID", "2.16.840.1.113883.10.20.22.1.1")
        .raw("\" extension=\"");
    b.decoy(
        "TEMPLATE_VERSION",
        g.cue(&["2015-08-01", "2014-06-09", "2023-05-01"]),
    );
    b.raw("\"/>\n  <id root=\"")
        .decoy("OID", "2.16.840.1.113883.19.5.99999.1")
        .raw("\" extension=\"");
    let docid = g.own(|r| format!("{}{}", r.letters(2), r.digits(6)));
    b.phi(PhiKind::Id, "ccda_document_id", &docid);
    b.raw("\"/>\n  <code code=\"34133-9\" codeSystem=\"")
        .decoy("OID", "2.16.840.1.113883.6.1")
        .raw("\" displayName=\"Summarization of Episode Note\"/>\n");
    b.raw("  <title>Continuity of Care Document</title>\n  <effectiveTime value=\"");
    let d = g.date(2025, 2026);
    let ts = format!(
        "{}{:02}{:02}{:02}{:02}00-0500",
        d.y,
        d.m,
        d.d,
        g.rng.below(24),
        g.rng.below(60)
    );
    let ts = g.own(|_| ts.clone());
    b.phi(PhiKind::Date, "ccda_ts", &ts);
    b.raw("\"/>\n  <confidentialityCode code=\"N\" codeSystem=\"")
        .decoy("OID", "2.16.840.1.113883.5.25")
        .raw("\"/>\n");
    b.raw("  <recordTarget>\n    <patientRole>\n      <id extension=\"");
    g.mrn(b);
    b.raw("\" root=\"")
        .decoy("OID", "2.16.840.1.113883.19.5")
        .raw("\"/>\n      <id extension=\"");
    g.ssn(b);
    b.raw(
        "\" root=\"2.16.840.1.113883.4.1\"/>\n      <addr use=\"HP\">\n        <streetAddressLine>",
    );
    g.street(b);
    b.raw("</streetAddressLine>\n        <city>");
    let st = g.city(b, false);
    b.raw(&format!(
        "</city>\n        <state>{st}</state>\n        <postalCode>"
    ));
    g.zip(b);
    b.raw(
        "</postalCode>\n        <country>US</country>\n      </addr>\n      <telecom value=\"tel:",
    );
    g.phone(b);
    b.raw("\" use=\"HP\"/>\n      <telecom value=\"mailto:");
    g.email(b, &p);
    b.raw("\"/>\n      <patient>\n        <name use=\"L\">\n          <given>");
    g.name_as(b, &p, "given");
    b.raw("</given>\n          <family>");
    g.name_as(b, &p, "family");
    b.raw("</family>\n        </name>\n        <administrativeGenderCode code=\"")
        .raw(&p.sex.to_string());
    b.raw("\" codeSystem=\"")
        .decoy("OID", "2.16.840.1.113883.5.1")
        .raw("\"/>\n        <birthTime value=\"");
    g.date_as(b, p.dob, "hl7_ts");
    b.raw("\"/>\n      </patient>\n    </patientRole>\n  </recordTarget>\n");
    b.raw("  <author>\n    <time value=\"");
    let a = g.date(2025, 2026);
    g.date_as(b, a, "hl7_ts_time");
    b.raw("\"/>\n    <assignedAuthor>\n      <id extension=\"");
    g.license(b, "npi");
    b.raw("\" root=\"")
        .decoy("OID", "2.16.840.1.113883.4.6")
        .raw("\"/>\n      <telecom value=\"tel:");
    g.phone(b);
    b.raw("\"/>\n      <assignedPerson>\n        <name><prefix>Dr.</prefix><given>");
    let au = g.person();
    g.name_as(b, &au, "given");
    b.raw("</given><family>");
    g.name_as(b, &au, "family");
    b.raw("</family></name>\n      </assignedPerson>\n    </assignedAuthor>\n  </author>\n");
    b.raw("  <custodian><assignedCustodian><representedCustodianOrganization><name>");
    let org = g.cue(crate::decoy::ORGS);
    b.decoy("ORG", org);
    b.raw("</name></representedCustodianOrganization></assignedCustodian></custodian>\n</ClinicalDocument>\n");
}
