//! Audit details pass the PHI redactor on the way to the disk: an event whose details carry
//! every common identifier goes through the real trail, and none of them is in any file of
//! the audit directory afterwards — while the non-PHI details survive and per-tenant tokens
//! let records about the same fax number be correlated.

use std::fs;
use std::sync::Arc;

use faxbot_audit::keys::KeyMaterial;
use faxbot_audit::{
    self as audit, Action, AuditEvent, AuditTrail, Filter, Outcome, PhiRedactor, TenantId,
};

const PHI: [&str; 10] = [
    "Jane Q. Doe",
    "123-45-6789",
    "+1 (555) 867-5309",
    "jane.doe@example.com",
    "00451234",
    "1960-02-29",
    "42 Wallaby Way",
    "Sydney, CA 94105",
    "Okonkwo",
    "867-5309",
];

#[test]
fn phi_in_audit_details_never_reaches_the_disk_through_the_phi_redactor() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let keys = KeyMaterial::load_or_create(tmp.path()).expect("keys");
    let dir = tmp.path().join(audit::AUDIT_DIR_NAME);
    let (trail, _) =
        AuditTrail::open(&dir, &keys, Arc::new(PhiRedactor::new(&keys))).expect("open trail");
    let tenant = TenantId::new("clinic-7").expect("tenant");
    for _ in 0..2 {
        let details = serde_json::json!({
            "patient": PHI[0],
            "ssn": PHI[1],
            "to": [PHI[2]],
            "contact": {"email": PHI[3], "note": format!("MRN {} born {}", PHI[4], PHI[5])},
            "address": format!("{}, {}", PHI[6], PHI[7]),
            "free_text": format!("Spoke with Dr. Adaeze {} re: callback {}", PHI[8], PHI[9]),
            "pages": 3,
            "status": "delivered"
        });
        trail
            .record_blocking(
                AuditEvent::new(
                    "api_key:k_1".parse().expect("actor"),
                    Action::new("fax.job.sent").expect("action"),
                    Outcome::Success,
                )
                .with_tenant(tenant.clone())
                .with_details(details),
            )
            .expect("record");
    }
    drop(trail);

    let mut on_disk = Vec::new();
    for entry in fs::read_dir(&dir).expect("dir") {
        on_disk.extend(fs::read(entry.expect("entry").path()).expect("read"));
    }
    let text = String::from_utf8_lossy(&on_disk);
    for value in PHI {
        assert!(!text.contains(value), "{value:?} reached the disk");
    }
    // Hashes, MACs and pseudonym tokens are long hex runs that can hold `0045` or `6789` by
    // chance (about one run in sixty did): the fragments are looked for outside them.
    let outside_hex = without_hex_runs(&text);
    for fragment in [
        "Jane", "6789", "5309", "jane.doe", "0045", "Wallaby", "Sydney", "94105",
    ] {
        assert!(
            !outside_hex.contains(fragment),
            "{fragment:?} reached the disk: {outside_hex}"
        );
    }
    assert!(text.contains("\"pages\":3"), "{text}");
    assert!(text.contains("\"status\":\"delivered\""), "{text}");

    // The two records carry the same token for the same number in the same tenant.
    let mut records = Vec::new();
    audit::query(&dir, &keys.audit_chain_key(), &Filter::default(), |r| {
        records.push(r.clone());
        Ok(())
    })
    .expect("query");
    let sent: Vec<_> = records
        .iter()
        .filter(|r| r.action.as_str() == "fax.job.sent")
        .collect();
    assert_eq!(sent.len(), 2);
    let to = |i: usize| sent[i].details["to"][0].as_str().map(str::to_owned);
    assert!(
        to(0).is_some_and(|t| t.starts_with("[FAX:tok_")),
        "{:?}",
        to(0)
    );
    assert_eq!(to(0), to(1));
}

/// `text` with every run of 16 or more lower-case hex digits replaced by `#`.
fn without_hex_runs(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() || ('a'..='f').contains(&c) {
            run.push(c);
            continue;
        }
        out.push_str(if run.len() >= 16 { "#" } else { &run });
        run.clear();
        out.push(c);
    }
    out.push_str(if run.len() >= 16 { "#" } else { &run });
    out
}
