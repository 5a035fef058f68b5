//! The projection is the PHI boundary: PHI planted in every field of a core event is found
//! in none of the bytes a plugin would receive.

use faxbot_events::{CoreEvent, FaxJobRecord, PluginLifecycleRecord, project};
use faxbot_plugin_abi::event::{EventPayload, FaxDirection, FaxJobState};
use faxbot_redact::{PseudonymKey, Redactor};

const NAME: &str = "Quillthal Brixdro";
const NUMBER: &str = "+1 (555) 014-3321";
const MRN: &str = "MRN 80412277";
const SSN: &str = "219-44-6812";
const FILE: &str = "Brixdro_referral.pdf";

fn redactor() -> Redactor {
    Redactor::new(PseudonymKey::new([7; 32]))
}

fn job(direction: FaxDirection, state: FaxJobState) -> FaxJobRecord {
    FaxJobRecord {
        job_id: "fx_1".into(),
        tenant: "tenant-a".into(),
        direction,
        state,
        provider: "test".into(),
        pages: Some(3),
        attempt: 1,
        queued_at_ms: 1_000,
        occurred_at_ms: 2_000,
        duration_ms: Some(40_000),
        failure_detail: Some(format!(
            "Line busy calling {NAME} at {NUMBER}, {MRN}, SSN {SSN}"
        )),
        remote_number: Some(NUMBER.into()),
        patient_name: Some(NAME.into()),
        file_name: Some(FILE.into()),
    }
}

fn assert_no_phi(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    for needle in ["Quillthal", "Brixdro", "80412277", "219-44-6812"] {
        assert!(!text.contains(needle), "{needle} leaked");
    }
    for number in ["15550143321", "5550143321", "80412277", "219446812"] {
        assert!(!digits.contains(number), "{number} leaked as digits");
    }
}

#[test]
fn phi_in_every_fax_job_field_never_reaches_a_plugin() {
    for (direction, state) in [
        (FaxDirection::Outbound, FaxJobState::Failed),
        (FaxDirection::Outbound, FaxJobState::Delivered),
        (FaxDirection::Inbound, FaxJobState::Received),
    ] {
        let event = CoreEvent::FaxJob(job(direction, state));
        let delivered = project(&redactor(), &event, "ev1".into(), 1).expect("projects");
        assert_no_phi(&postcard::to_stdvec(&delivered).expect("encodes"));
        let EventPayload::FaxJob(seen) = delivered.payload else {
            panic!("a fax job payload");
        };
        assert_eq!(seen.failure.as_deref(), Some("busy"));
        assert!(seen.remote_token.is_some(), "the number becomes a token");
    }
}

#[test]
fn the_same_number_gives_the_same_token_within_a_tenant_only() {
    let a = CoreEvent::FaxJob(job(FaxDirection::Outbound, FaxJobState::Sent));
    let mut other_tenant = job(FaxDirection::Outbound, FaxJobState::Sent);
    other_tenant.tenant = "tenant-b".into();
    let b = CoreEvent::FaxJob(other_tenant);
    let token = |e: &CoreEvent| match project(&redactor(), e, "e".into(), 1)
        .expect("projects")
        .payload
    {
        EventPayload::FaxJob(j) => j.remote_token,
        _ => None,
    };
    assert_eq!(token(&a), token(&a));
    assert_ne!(token(&a), token(&b));
}

#[test]
fn phi_in_a_plugins_custom_fields_is_redacted() {
    let mut fields = serde_json::Map::new();
    fields.insert(
        "note".into(),
        serde_json::Value::String(format!("Patient: {NAME} {MRN} call {NUMBER} SSN {SSN}")),
    );
    fields.insert(
        "nested".into(),
        serde_json::json!({ "list": [format!("fax {NUMBER}"), SSN] }),
    );
    let event = CoreEvent::Custom {
        topic: "plugin.relay.forwarded".into(),
        tenant: "tenant-a".into(),
        source_plugin: "relay".into(),
        occurred_at_ms: 5,
        fields,
    };
    let delivered = project(&redactor(), &event, "ev2".into(), 2).expect("projects");
    assert_eq!(delivered.topic, "plugin.relay.forwarded");
    assert_no_phi(&postcard::to_stdvec(&delivered).expect("encodes"));
}

#[test]
fn topics_follow_the_state_and_direction() {
    let inbound = CoreEvent::FaxJob(job(FaxDirection::Inbound, FaxJobState::Received));
    assert_eq!(inbound.topic(), "fax.inbound.received");
    let sent = CoreEvent::FaxJob(job(FaxDirection::Outbound, FaxJobState::Sent));
    assert_eq!(sent.topic(), "fax.job.sent");
    let lifecycle = CoreEvent::PluginLifecycle(PluginLifecycleRecord {
        tenant: "platform".into(),
        plugin_id: "relay".into(),
        version: "1.0.0".into(),
        state: "started".into(),
        occurred_at_ms: 1,
    });
    assert_eq!(lifecycle.topic(), "plugin.lifecycle");
}
