//! The on-disk form of the trail: one header line, then one line per record.
//!
//! ```text
//! faxbot-audit v1 <trail id: 32 hex> <header MAC: 64 hex>\n
//! <record MAC: 64 hex> <record body: one-line JSON>\n
//! ...
//! ```
//!
//! `header MAC = HMAC(k, "faxbot-audit v1 header" || trail id)` and, for each record,
//! `MAC = HMAC(k, previous MAC || body bytes)`, the first record's previous MAC being the
//! header's. `k` is the chain key derived from the core's key material. The MAC covers the
//! exact bytes on disk, so no canonical re-serialisation is needed to verify. The body holds
//! `seq`, `time` and the event's fields; a deleted, reordered or replayed line breaks the
//! sequence, an edited or forged one its MAC, and a file of another trail the header.

use ring::hmac;
use serde::{Deserialize, Serialize};

use super::event::{Action, Actor, AuditEvent, CorrelationId, Outcome, Target, TenantId};
use super::time::Timestamp;

/// The longest record line the trail writes or reads, newline included.
pub const MAX_LINE_BYTES: usize = 4 << 20;

/// Room reserved in a line for the MAC, `seq` and `time`.
const LINE_OVERHEAD: usize = 2 * MAC_LEN + 96;

/// Length of a MAC in bytes (HMAC-SHA256).
pub const MAC_LEN: usize = 32;

/// A chain MAC.
pub type Mac = [u8; MAC_LEN];

/// Length of a trail id in bytes.
pub const TRAIL_ID_LEN: usize = 16;

/// A trail's random identity, fixed in its header.
pub type TrailId = [u8; TRAIL_ID_LEN];

/// The header line's first words.
pub const HEADER_MAGIC: &str = "faxbot-audit v1";

const HEADER_LABEL: &[u8] = b"faxbot-audit v1 header";

/// Length of the header line, newline included.
pub const HEADER_LEN: usize = HEADER_MAGIC.len() + 1 + 2 * TRAIL_ID_LEN + 1 + 2 * MAC_LEN + 1;

/// One committed record, as read back from the trail.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AuditRecord {
    /// Position in the trail, from 1, without gaps.
    pub seq: u64,
    /// When the trail committed it (non-decreasing along the trail).
    pub time: Timestamp,
    /// Who did it.
    pub actor: Actor,
    /// On whose behalf.
    pub tenant: Option<TenantId>,
    /// What happened.
    pub action: Action,
    /// What it was done to.
    pub target: Option<Target>,
    /// How it ended.
    pub outcome: Outcome,
    /// Ties records of one request or job together.
    pub correlation_id: Option<CorrelationId>,
    /// Redacted structured details.
    pub details: serde_json::Value,
    /// This record's chain MAC, hex.
    #[serde(serialize_with = "serialize_hex")]
    pub mac: Mac,
}

fn serialize_hex<S: serde::Serializer>(mac: &Mac, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode(mac))
}

/// The body as it is parsed back: exactly these fields, no others.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredBody {
    seq: u64,
    time: Timestamp,
    actor: Actor,
    tenant: Option<TenantId>,
    action: Action,
    target: Option<Target>,
    outcome: Outcome,
    correlation_id: Option<CorrelationId>,
    details: serde_json::Value,
}

/// The event's part of a body, written by the caller's task so that the committer only adds
/// `seq`, `time` and the MAC.
#[derive(Serialize)]
struct EventFields<'a> {
    actor: &'a Actor,
    tenant: &'a Option<TenantId>,
    action: &'a Action,
    target: &'a Option<Target>,
    outcome: Outcome,
    correlation_id: &'a Option<CorrelationId>,
    details: &'a serde_json::Value,
}

/// An event serialised as a JSON object without `seq` and `time` (details already redacted).
#[derive(Debug)]
pub struct EncodedEvent(Vec<u8>);

impl EncodedEvent {
    /// Serialises the event's fields. Details must already be redacted.
    pub fn encode(event: &AuditEvent) -> Result<Self, serde_json::Error> {
        let bytes = serde_json::to_vec(&EventFields {
            actor: &event.actor,
            tenant: &event.tenant,
            action: &event.action,
            target: &event.target,
            outcome: event.outcome,
            correlation_id: &event.correlation_id,
            details: &event.details,
        })?;
        Ok(Self(bytes))
    }

    /// True when the event's line would exceed [`MAX_LINE_BYTES`].
    pub fn too_large(&self) -> bool {
        self.0.len() + LINE_OVERHEAD > MAX_LINE_BYTES
    }

    /// Size of the encoded fields in bytes.
    pub fn encoded_len(&self) -> usize {
        self.0.len()
    }
}

/// Appends one record line to `out` and returns its MAC.
pub fn append_record_line(
    out: &mut Vec<u8>,
    key: &hmac::Key,
    prev: &Mac,
    seq: u64,
    time: Timestamp,
    event: &EncodedEvent,
) -> Mac {
    let mac_at = out.len();
    out.extend_from_slice(&[b'0'; 2 * MAC_LEN]);
    out.push(b' ');
    let body_at = out.len();
    out.extend_from_slice(b"{\"seq\":");
    out.extend_from_slice(seq.to_string().as_bytes());
    out.extend_from_slice(b",\"time\":\"");
    out.extend_from_slice(time.to_string().as_bytes());
    out.extend_from_slice(b"\",");
    // The encoded fields are a JSON object: splice them in after its opening brace.
    out.extend_from_slice(event.0.get(1..).unwrap_or_default());
    let mac = record_mac(key, prev, &out[body_at..]);
    hex_into(&mac, &mut out[mac_at..mac_at + 2 * MAC_LEN]);
    out.push(b'\n');
    mac
}

/// `HMAC(k, prev || body)`.
pub fn record_mac(key: &hmac::Key, prev: &Mac, body: &[u8]) -> Mac {
    let mut ctx = hmac::Context::with_key(key);
    ctx.update(prev);
    ctx.update(body);
    to_mac(ctx.sign().as_ref())
}

/// The header's MAC, which also seeds the chain.
pub fn header_mac(key: &hmac::Key, trail_id: &TrailId) -> Mac {
    let mut ctx = hmac::Context::with_key(key);
    ctx.update(HEADER_LABEL);
    ctx.update(trail_id);
    to_mac(ctx.sign().as_ref())
}

/// The header line for a trail.
pub fn header_line(key: &hmac::Key, trail_id: &TrailId) -> Vec<u8> {
    format!(
        "{HEADER_MAGIC} {} {}\n",
        hex::encode(trail_id),
        hex::encode(header_mac(key, trail_id))
    )
    .into_bytes()
}

/// What is wrong with a header line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderProblem {
    /// Not a faxbot audit header.
    Malformed,
    /// Well-formed, but its MAC was not made with this key.
    Forged,
}

/// Parses and authenticates a header line (with its newline); returns the trail id and the
/// chain seed.
pub fn parse_header(key: &hmac::Key, line: &[u8]) -> Result<(TrailId, Mac), HeaderProblem> {
    let text = std::str::from_utf8(line).map_err(|_| HeaderProblem::Malformed)?;
    let rest = text
        .strip_suffix('\n')
        .and_then(|t| t.strip_prefix(HEADER_MAGIC))
        .and_then(|t| t.strip_prefix(' '))
        .ok_or(HeaderProblem::Malformed)?;
    let (id_hex, mac_hex) = rest.split_once(' ').ok_or(HeaderProblem::Malformed)?;
    let mut trail_id = [0u8; TRAIL_ID_LEN];
    hex::decode_to_slice(id_hex, &mut trail_id).map_err(|_| HeaderProblem::Malformed)?;
    let mut found = [0u8; MAC_LEN];
    hex::decode_to_slice(mac_hex, &mut found).map_err(|_| HeaderProblem::Malformed)?;
    let mut ctx = Vec::with_capacity(HEADER_LABEL.len() + TRAIL_ID_LEN);
    ctx.extend_from_slice(HEADER_LABEL);
    ctx.extend_from_slice(&trail_id);
    hmac::verify(key, &ctx, &found).map_err(|_| HeaderProblem::Forged)?;
    Ok((trail_id, found))
}

/// What is wrong with a record line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineProblem {
    /// Not `<64 hex> <json>\n`, or the JSON is not a record body. Holds a short reason that
    /// never quotes the line.
    Malformed(String),
    /// The MAC does not match the body and the previous MAC.
    MacMismatch,
}

/// Splits, authenticates and parses one record line (with its newline) against the previous
/// MAC.
pub fn parse_record_line(
    key: &hmac::Key,
    prev: &Mac,
    line: &[u8],
) -> Result<AuditRecord, LineProblem> {
    let line = line
        .strip_suffix(b"\n")
        .ok_or_else(|| LineProblem::Malformed("no line end".into()))?;
    if line.len() < 2 * MAC_LEN + 2 || line[2 * MAC_LEN] != b' ' {
        return Err(LineProblem::Malformed(
            "not `<MAC> <body>`: the MAC must be 64 hex digits and a space".into(),
        ));
    }
    let mut found = [0u8; MAC_LEN];
    hex::decode_to_slice(&line[..2 * MAC_LEN], &mut found)
        .map_err(|_| LineProblem::Malformed("the MAC is not 64 hex digits".into()))?;
    let body = &line[2 * MAC_LEN + 1..];
    let mut ctx = hmac::Context::with_key(key);
    ctx.update(prev);
    ctx.update(body);
    // A plain comparison: the verifier reads a file, no attacker times its answers.
    if ctx.sign().as_ref() != found.as_slice() {
        return Err(LineProblem::MacMismatch);
    }
    let stored: StoredBody = serde_json::from_slice(body).map_err(|e| {
        LineProblem::Malformed(format!(
            "body is not a record ({:?} error at column {})",
            e.classify(),
            e.column()
        ))
    })?;
    Ok(AuditRecord {
        seq: stored.seq,
        time: stored.time,
        actor: stored.actor,
        tenant: stored.tenant,
        action: stored.action,
        target: stored.target,
        outcome: stored.outcome,
        correlation_id: stored.correlation_id,
        details: stored.details,
        mac: found,
    })
}

fn to_mac(bytes: &[u8]) -> Mac {
    let mut mac = [0u8; MAC_LEN];
    mac.copy_from_slice(&bytes[..MAC_LEN]);
    mac
}

fn hex_into(bytes: &[u8], out: &mut [u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for (i, b) in bytes.iter().enumerate() {
        out[2 * i] = DIGITS[usize::from(b >> 4)];
        out[2 * i + 1] = DIGITS[usize::from(b & 0xf)];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> hmac::Key {
        hmac::Key::new(hmac::HMAC_SHA256, &[9u8; 32])
    }

    #[test]
    fn a_written_line_parses_back_to_the_same_record() {
        let key = key();
        let trail_id = [3u8; TRAIL_ID_LEN];
        let header = header_line(&key, &trail_id);
        assert_eq!(header.len(), HEADER_LEN);
        let (id, seed) = parse_header(&key, &header).expect("header");
        assert_eq!(id, trail_id);
        let event = AuditEvent::new(
            Actor::plugin("com.example.slack").expect("id"),
            Action::new("capability.http.fetch").expect("action"),
            Outcome::Denied,
        )
        .with_details(serde_json::json!({"host": "hooks.example.com", "bytes": 12}));
        let mut out = Vec::new();
        let time = Timestamp::from_unix_micros(1_795_559_768_123_456);
        let mac = append_record_line(
            &mut out,
            &key,
            &seed,
            7,
            time,
            &EncodedEvent::encode(&event).expect("encode"),
        );
        let record = parse_record_line(&key, &seed, &out).expect("parse");
        assert_eq!(record.seq, 7);
        assert_eq!(record.time, time);
        assert_eq!(record.actor, event.actor);
        assert_eq!(record.details, event.details);
        assert_eq!(record.mac, mac);
    }

    #[test]
    fn a_header_made_with_another_key_is_forged() {
        let other = hmac::Key::new(hmac::HMAC_SHA256, &[1u8; 32]);
        let header = header_line(&other, &[3u8; TRAIL_ID_LEN]);
        assert_eq!(parse_header(&key(), &header), Err(HeaderProblem::Forged));
        assert_eq!(
            parse_header(&key(), b"hello\n"),
            Err(HeaderProblem::Malformed)
        );
    }
}
