//! The projection: a core event as the event a plugin receives.

use crate::core::{CoreEvent, FaxJobRecord};
use crate::failure::failure_category;
use crate::json::json_to_value;
use faxbot_plugin_abi::event::{
    CustomEvent, Event, EventPayload, FaxJobEvent, PluginLifecycleEvent,
};
use faxbot_redact::{PhiKind, RecordSchema, Redactor};

/// The record schema custom event fields are redacted under: every string is free text.
const CUSTOM_EVENT_SCHEMA: &str = "custom-event";

/// Why an event could not be projected. The message names no field value.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProjectionError {
    /// Custom event fields must be a JSON object; the redactor returned something else.
    #[error("custom event on `{topic}`: the redacted fields are not an object")]
    FieldsNotAnObject {
        /// The event's topic.
        topic: String,
    },
}

/// `event` as a plugin sees it, delivered as event `id` at `sequence` of a subscription.
pub fn project(
    redactor: &Redactor,
    event: &CoreEvent,
    id: String,
    sequence: u64,
) -> Result<Event, ProjectionError> {
    let (occurred_at_ms, payload) = match event {
        CoreEvent::FaxJob(job) => (
            job.occurred_at_ms,
            EventPayload::FaxJob(fax_job(redactor, job)),
        ),
        CoreEvent::PluginLifecycle(p) => (
            p.occurred_at_ms,
            EventPayload::PluginLifecycle(PluginLifecycleEvent {
                plugin_id: p.plugin_id.clone(),
                version: p.version.clone(),
                state: p.state.clone(),
            }),
        ),
        CoreEvent::Custom {
            topic,
            tenant,
            source_plugin,
            occurred_at_ms,
            fields,
        } => {
            let redacted = redactor.redact_value(
                Some(tenant),
                &RecordSchema::new(CUSTOM_EVENT_SCHEMA),
                serde_json::Value::Object(fields.clone()),
            );
            let serde_json::Value::Object(map) = redacted else {
                return Err(ProjectionError::FieldsNotAnObject {
                    topic: topic.clone(),
                });
            };
            (
                *occurred_at_ms,
                EventPayload::Custom(CustomEvent {
                    source_plugin: source_plugin.clone(),
                    fields: map
                        .into_iter()
                        .map(|(k, v)| (k, json_to_value(v)))
                        .collect(),
                }),
            )
        }
    };
    Ok(Event {
        id,
        topic: event.topic(),
        tenant_id: event.tenant().to_owned(),
        sequence,
        occurred_at_ms,
        payload,
    })
}

/// A fax job as a plugin sees it (in events and as the answer to `fax.job_status`): ids,
/// state, counts and timings; the number as a keyed token; never the patient name, the file
/// name or the provider's words.
pub fn fax_job(redactor: &Redactor, job: &FaxJobRecord) -> FaxJobEvent {
    FaxJobEvent {
        job_id: job.job_id.clone(),
        direction: job.direction,
        state: job.state,
        provider: job.provider.clone(),
        pages: job.pages,
        attempt: job.attempt,
        queued_at_ms: job.queued_at_ms,
        duration_ms: job.duration_ms,
        failure: job
            .failure_detail
            .as_deref()
            .map(|detail| failure_category(detail).to_owned()),
        remote_token: job
            .remote_number
            .as_deref()
            .map(|number| redactor.token(Some(&job.tenant), PhiKind::Fax, number)),
    }
}
