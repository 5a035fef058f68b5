//! The SDK's tests run their plugin against the one test host the examples use
//! (`faxbot-example-testkit`): the real supervisor session and handshake, every call held to
//! the grants by the policy crate's one call check, capabilities served from memory and
//! recorded. What is here is only the SDK's own: its test plugin, the grants and the
//! handshake terms it is started with.

#![allow(dead_code)]

pub use faxbot_example_testkit::{Host, Running};

use faxbot_plugin_abi::event::{Event, EventPayload, FaxDirection, FaxJobEvent, FaxJobState};
use faxbot_plugin_abi::version::VersionRange;
use faxbot_plugin_abi::{ABI_VERSION, GrantedCapabilities, Limits, Value};
use faxbot_supervisor::handshake::HandshakeTerms;
use faxbot_supervisor::launch::{Launched, Launcher, UnjailedLauncherForTests};
use std::sync::Arc;
use std::time::Duration;

pub const PLUGIN_ID: &str = "sdk-test";
pub const PLUGIN: &str = env!("CARGO_BIN_EXE_faxbot-sdk-test-plugin");

/// Every capability granted (with one secret, one emit pattern, one route and job set).
pub fn all_grants() -> GrantedCapabilities {
    GrantedCapabilities {
        event_subscriptions: vec!["fax.job.*".into(), "plugin.lifecycle".into()],
        egress: vec!["https://hooks.example.com:443/*".into()],
        kv_quota_bytes: 1 << 20,
        routes: vec!["/echo".into(), "/fail".into()],
        jobs: Vec::new(),
        secrets: vec!["HOOK_TOKEN".into()],
        emit_events: vec![format!("plugin.{PLUGIN_ID}.*")],
        fax_job_status: true,
    }
}

pub fn terms(grants: GrantedCapabilities, config: Vec<(String, Value)>) -> HandshakeTerms {
    HandshakeTerms {
        plugin_id: PLUGIN_ID.to_owned(),
        host_abi: VersionRange::exactly(ABI_VERSION),
        instance_id: "inst-1".to_owned(),
        capabilities: grants,
        config,
        limits: Limits::default(),
        hello_deadline: Duration::from_secs(5),
    }
}

pub fn launch_as(id: &str) -> Launched {
    UnjailedLauncherForTests {
        program: PLUGIN.into(),
        args: vec![id.to_owned()],
    }
    .launch()
    .expect("the SDK test plugin starts")
}

/// The test plugin after a successful handshake, served by a host holding `grants`.
pub async fn start(grants: GrantedCapabilities, config: Vec<(String, Value)>) -> Running {
    start_with_terms(terms(grants, config)).await
}

/// The test plugin after a handshake on `terms`, served by a host holding exactly the
/// grants the terms announce. The fake egress answers 202, and `kv.get("hang")` stalls
/// for 10 s (the deadline tests).
pub async fn start_with_terms(terms: HandshakeTerms) -> Running {
    let host = Host::for_granted(&terms.plugin_id, &terms.capabilities);
    host.http.answer_by_default(202);
    host.stall_kv_get("hang", Duration::from_secs(10));
    host.number_events_from(7);
    let (running, agreed) =
        faxbot_example_testkit::accept(launch_as(PLUGIN_ID), &terms, Arc::clone(&host)).await;
    assert_eq!(agreed.hello.sdk_name, "faxbot-sdk");
    running
}

pub fn fax_job(job_id: &str, state: FaxJobState) -> FaxJobEvent {
    FaxJobEvent {
        job_id: job_id.to_owned(),
        direction: FaxDirection::Outbound,
        state,
        provider: "test".into(),
        pages: Some(2),
        attempt: 1,
        queued_at_ms: 1,
        duration_ms: None,
        failure: None,
        remote_token: None,
    }
}

pub fn event(id: &str, topic: &str) -> Event {
    Event {
        id: id.to_owned(),
        topic: topic.to_owned(),
        tenant_id: "t1".into(),
        sequence: 1,
        occurred_at_ms: 1,
        payload: EventPayload::FaxJob(fax_job("job-1", FaxJobState::Sent)),
    }
}
