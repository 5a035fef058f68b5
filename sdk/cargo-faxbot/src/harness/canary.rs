//! Synthetic PHI canaries, the projection of core events to what a plugin may see, and the
//! search for canaries in everything the plugin saw or sent.
//!
//! Before an event is fed, its PHI fields (remote number, patient name, provider failure
//! text, custom fields) are overwritten with canaries unique to the run. The event then goes
//! through the projection the host's event bus applies: numbers become keyed pseudonymous
//! tokens, names are dropped, failure text becomes a category, custom fields pass the
//! redactor. If any canary, or a recognisable part of one, turns up in a delivered event, a
//! capability call, a log line or a route response, the boundary leaked and the run fails.

use super::scenario::CoreEvent;
use faxbot_plugin_abi::event::{Event, FaxDirection, FaxJobState};
use faxbot_redact::{PseudonymKey, Redactor};

/// The canaries planted in one event.
#[derive(Clone, Debug)]
pub struct Canaries {
    /// A patient name.
    pub name: String,
    /// A fax number.
    pub phone: String,
    /// A medical record number.
    pub mrn: String,
    /// A social security number.
    pub ssn: String,
}

impl Canaries {
    /// Canaries for event `n` of the run seeded with `seed`: unlikely words and numbers in
    /// the 555-01xx fiction range, different per event.
    pub fn for_event(seed: u64, n: u64) -> Self {
        let mix = seed
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .wrapping_add(n.wrapping_mul(0x2545_f491_4f6c_dd1d));
        let syllables = [
            "zar", "vex", "quil", "dro", "nym", "kesh", "thal", "brix", "ulo", "fen",
        ];
        let word = |shift: u32| -> String {
            let a = syllables[((mix >> shift) % 10) as usize];
            let b = syllables[((mix >> (shift + 8)) % 10) as usize];
            let c = syllables[((mix >> (shift + 16)) % 10) as usize];
            let mut w = format!("{a}{b}{c}");
            w[..1].make_ascii_uppercase();
            w
        };
        let digits = |shift: u32, count: usize| -> String {
            let mut v = (mix >> shift) | 1;
            (0..count)
                .map(|_| {
                    let d = (v % 10) as u8;
                    v /= 10;
                    if v == 0 {
                        v = mix | 7;
                    }
                    char::from(b'0' + d)
                })
                .collect()
        };
        Self {
            name: format!("{} {}", word(0), word(24)),
            phone: format!("+1 (555) 01{}-{}", digits(3, 1), digits(11, 4)),
            mrn: format!("MRN {}", digits(19, 8)),
            ssn: format!(
                "{}-{}-{}",
                100 + (mix % 600),
                10 + (mix >> 12) % 89,
                1000 + (mix >> 20) % 8999
            ),
        }
    }

    /// Puts the canaries into an event's PHI fields.
    pub fn plant(&self, event: &mut CoreEvent) {
        event.patient_name = Some(self.name.clone());
        event.remote_number = Some(self.phone.clone());
        event.failure_detail = event.failure_detail.as_ref().map(|detail| {
            format!(
                "{detail} (patient {}, {}, SSN {})",
                self.name, self.mrn, self.ssn
            )
        });
        if let Some(fields) = &mut event.fields {
            fields.insert(
                "note".into(),
                serde_json::Value::String(format!(
                    "Patient: {} MRN: {} call {}",
                    self.name, self.mrn, self.phone
                )),
            );
        }
    }
}

fn only_digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

/// Where in a run a canary was found.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Leak {
    /// What carried it (`event.deliver #2`, `http.fetch`, `stdout`, ...).
    pub place: String,
    /// Which canary kind.
    pub canary: String,
}

/// Searches `haystack` (text, or raw bytes of an encoded message) for the needles.
pub fn find_leaks(place: &str, haystack: &[u8], canaries: &[Canaries]) -> Vec<Leak> {
    let text = String::from_utf8_lossy(haystack);
    let digits = only_digits(&text);
    let mut leaks = Vec::new();
    for canaries in canaries {
        for (kind, needle) in [
            ("name", &canaries.name),
            ("phone", &canaries.phone),
            ("mrn", &canaries.mrn),
            ("ssn", &canaries.ssn),
        ] {
            let parts: Vec<String> = if kind == "name" {
                needle.split(' ').map(str::to_owned).collect()
            } else {
                vec![needle.clone()]
            };
            let number = only_digits(needle);
            let found = parts.iter().any(|p| text.contains(p.as_str()))
                || (number.len() >= 7 && digits.contains(&number));
            if found {
                leaks.push(Leak {
                    place: place.to_owned(),
                    canary: kind.to_owned(),
                });
            }
        }
    }
    leaks.dedup();
    leaks
}

/// The tenant a scenario event belongs to when it names none.
const DEFAULT_TENANT: &str = "tenant-test";

/// A recorded scenario event as the core event the host would publish (`now_ms` is the
/// run's clock). The projection itself is the core's own: [`faxbot_events::project`].
pub fn core_event(event: &CoreEvent, now_ms: u64) -> Result<faxbot_events::CoreEvent, String> {
    let tenant = event
        .tenant
        .clone()
        .unwrap_or_else(|| DEFAULT_TENANT.into());
    let days_ago_ms = u64::from(event.days_ago.unwrap_or(0)) * 86_400_000;
    let occurred_at_ms = now_ms.saturating_sub(days_ago_ms);
    if event.topic.starts_with("fax.") {
        return fax_job_record(event, now_ms).map(faxbot_events::CoreEvent::FaxJob);
    }
    Ok(faxbot_events::CoreEvent::Custom {
        topic: event.topic.clone(),
        tenant,
        source_plugin: "harness".into(),
        occurred_at_ms,
        fields: event.fields.clone().unwrap_or_default(),
    })
}

/// A scenario's fax job (an event or a `[[fax_job]]`) as the core's record of it.
pub fn fax_job_record(
    event: &CoreEvent,
    now_ms: u64,
) -> Result<faxbot_events::FaxJobRecord, String> {
    let state_name = event
        .state
        .clone()
        .unwrap_or_else(|| event.topic.rsplit('.').next().unwrap_or("").to_owned());
    let state = match state_name.as_str() {
        "queued" => FaxJobState::Queued,
        "sending" => FaxJobState::Sending,
        "sent" => FaxJobState::Sent,
        "delivered" => FaxJobState::Delivered,
        "failed" => FaxJobState::Failed,
        "received" => FaxJobState::Received,
        "cancelled" => FaxJobState::Cancelled,
        other => {
            return Err(format!(
                "topic {:?}: unknown fax job state {other:?}",
                event.topic
            ));
        }
    };
    let direction = match event.direction.as_deref().unwrap_or("outbound") {
        "outbound" => FaxDirection::Outbound,
        "inbound" => FaxDirection::Inbound,
        other => return Err(format!("unknown direction {other:?}")),
    };
    let days_ago_ms = u64::from(event.days_ago.unwrap_or(0)) * 86_400_000;
    Ok(faxbot_events::FaxJobRecord {
        job_id: event.job_id.clone().unwrap_or_else(|| "fx_unknown".into()),
        tenant: event
            .tenant
            .clone()
            .unwrap_or_else(|| DEFAULT_TENANT.into()),
        direction,
        state,
        provider: event.provider.clone().unwrap_or_else(|| "test".into()),
        pages: event.pages,
        attempt: event.attempt.unwrap_or(1),
        queued_at_ms: now_ms,
        occurred_at_ms: now_ms.saturating_sub(days_ago_ms),
        duration_ms: event.duration_ms,
        failure_detail: event.failure_detail.clone(),
        remote_number: event.remote_number.clone(),
        patient_name: event.patient_name.clone(),
        file_name: None,
    })
}

/// The core's projection of a recorded event to the event a plugin receives.
pub fn project(
    redactor: &Redactor,
    event: &CoreEvent,
    id: String,
    sequence: u64,
    now_ms: u64,
) -> Result<Event, String> {
    let core = core_event(event, now_ms)?;
    faxbot_events::project(redactor, &core, id, sequence).map_err(|e| e.to_string())
}

/// A redactor with a key made for this run only.
pub fn run_redactor(seed: u64) -> Redactor {
    let mut key = [0u8; 32];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = (seed.rotate_left(i as u32 * 7) >> (i % 8)) as u8 ^ 0x5a;
    }
    Redactor::new(PseudonymKey::new(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> CoreEvent {
        CoreEvent {
            topic: "fax.job.failed".into(),
            job_id: Some("fx_1".into()),
            failure_detail: Some("Line busy".into()),
            ..CoreEvent::default()
        }
    }

    #[test]
    fn a_projected_event_carries_no_canary() {
        let canaries = Canaries::for_event(7, 1);
        let mut core = event();
        canaries.plant(&mut core);
        let redactor = run_redactor(7);
        let delivered = project(&redactor, &core, "e1".into(), 1, 0).expect("project");
        let bytes = postcard::to_stdvec(&delivered).expect("encode");
        assert_eq!(
            find_leaks("event", &bytes, std::slice::from_ref(&canaries)),
            vec![]
        );
        let faxbot_plugin_abi::event::EventPayload::FaxJob(job) = delivered.payload else {
            panic!("a fax job event");
        };
        assert_eq!(job.failure.as_deref(), Some("busy"));
        assert!(job.remote_token.is_some());
    }

    #[test]
    fn a_leak_is_found_in_any_format() {
        let canaries = Canaries::for_event(7, 2);
        let digits: String = canaries
            .phone
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        let reformatted = format!("call {}.{}", &digits[..4], &digits[4..]);
        let leaks = find_leaks(
            "http.fetch",
            reformatted.as_bytes(),
            std::slice::from_ref(&canaries),
        );
        assert_eq!(leaks.len(), 1, "{leaks:?}");
        assert_eq!(leaks[0].canary, "phone");
        let surname = canaries.name.split(' ').nth(1).expect("surname");
        let leaks = find_leaks("log", format!("hello {surname}").as_bytes(), &[canaries]);
        assert_eq!(leaks[0].canary, "name");
    }

    #[test]
    fn custom_event_fields_pass_the_redactor() {
        let canaries = Canaries::for_event(9, 3);
        let mut core = CoreEvent {
            topic: "plugin.other.thing".into(),
            fields: Some(serde_json::Map::new()),
            ..CoreEvent::default()
        };
        canaries.plant(&mut core);
        let delivered = project(&run_redactor(9), &core, "e2".into(), 2, 0).expect("project");
        let bytes = postcard::to_stdvec(&delivered).expect("encode");
        assert_eq!(find_leaks("event", &bytes, &[canaries]), vec![]);
    }
}
