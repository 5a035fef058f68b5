//! The handshake: the first frame each way.
//!
//! The plugin speaks first with [`Hello`]; the host answers with a [`HandshakeReply`]:
//! `Welcome` (the session starts) or `Reject` (the host closes the socket). Neither frame
//! is wrapped in an [`crate::Envelope`]. Both are decoded before a version is agreed, so
//! their layout is frozen for a whole major version: a minor never appends to them.

use crate::codec;
use crate::error::{DecodeError, EncodeError};
use crate::frame::DEFAULT_MAX_FRAME;
use crate::value::Value;
use crate::version::{AbiVersion, VersionRange};
use serde::{Deserialize, Serialize};

/// The first four bytes of every `Hello` body.
pub const MAGIC: [u8; 4] = *b"FXB1";

/// The plugin's introduction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct Hello {
    /// Always [`MAGIC`]: tells a faxbot plugin from a program that is not one.
    pub magic: [u8; 4],
    /// ABI versions the plugin speaks.
    pub abi: VersionRange,
    /// The plugin's id (as in its manifest).
    pub plugin_id: String,
    /// The plugin's version (semver, as in its manifest).
    pub plugin_version: String,
    /// The SDK that built it (e.g. `faxbot-sdk`).
    pub sdk_name: String,
    /// The SDK's version.
    pub sdk_version: String,
    /// Largest frame body the plugin accepts.
    pub max_frame: u32,
}

impl Hello {
    /// Encodes the Hello as a frame body.
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        codec::encode("Hello", self, DEFAULT_MAX_FRAME)
    }

    /// Decodes a Hello, refusing bodies without the magic before anything else.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        if bytes.len() < MAGIC.len() || bytes[..MAGIC.len()] != MAGIC {
            return Err(DecodeError::BadMagic {
                expected: "FXB1",
                got: bytes.iter().take(MAGIC.len()).copied().collect(),
            });
        }
        codec::decode("Hello", bytes)
    }
}

/// A capability set as granted by the admin, as the plugin is told of it. The host
/// enforces its own copy; this one lets the SDK fail fast with a clear `Denied`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct GrantedCapabilities {
    /// Event topic patterns delivered to the plugin.
    pub event_subscriptions: Vec<String>,
    /// Egress rules the HTTP broker allows (`https://hooks.slack.com:443/services/*`).
    pub egress: Vec<String>,
    /// Bytes of key-value storage; 0 = no kv access.
    pub kv_quota_bytes: u64,
    /// Route paths served under `/ext/<plugin-id>/`.
    pub routes: Vec<String>,
    /// Scheduled jobs.
    pub jobs: Vec<JobGrant>,
    /// Secret names the plugin may reference in templates.
    pub secrets: Vec<String>,
    /// Topic patterns the plugin may emit (always under `plugin.<id>.`).
    pub emit_events: Vec<String>,
    /// Whether the plugin may query fax job status.
    pub fax_job_status: bool,
}

/// A granted scheduled job.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct JobGrant {
    /// The job's name.
    pub name: String,
    /// Its cron schedule (five fields, UTC).
    pub cron: String,
}

/// Limits and deadlines in force for the session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct Limits {
    /// Largest frame body either side may send, negotiated as the smaller of both offers.
    pub max_frame: u32,
    /// Calls either side may have in flight towards the other.
    pub max_in_flight: u32,
    /// Memory limit of the plugin's cgroup, bytes.
    pub memory_bytes: u64,
    /// Deadline for `event.deliver`, ms.
    pub event_deadline_ms: u32,
    /// Deadline for `route.serve`, ms.
    pub route_deadline_ms: u32,
    /// Deadline for `job.run`, ms.
    pub job_deadline_ms: u32,
    /// How often the host sends `health.check`, ms.
    pub health_interval_ms: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_frame: DEFAULT_MAX_FRAME,
            max_in_flight: 64,
            memory_bytes: 100 * 1024 * 1024,
            event_deadline_ms: 5_000,
            route_deadline_ms: 5_000,
            job_deadline_ms: 30_000,
            health_interval_ms: 10_000,
        }
    }
}

/// The host accepts the plugin.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct Welcome {
    /// The ABI version both will speak.
    pub abi: AbiVersion,
    /// This running instance's id (for logs and metrics).
    pub instance_id: String,
    /// What the admin granted.
    pub capabilities: GrantedCapabilities,
    /// Admin-set configuration, validated against the manifest's schema.
    #[cfg_attr(test, proptest(strategy = "crate::value::strategy::fields()"))]
    pub config: Vec<(String, Value)>,
    /// Limits and deadlines.
    pub limits: Limits,
}

/// Why the host refused a plugin.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub enum RejectCode {
    /// No common ABI version.
    VersionMismatch,
    /// The Hello's id or version differs from the installed package's.
    IdentityMismatch,
    /// The plugin is not (or no longer) approved to run.
    NotApproved,
    /// The Hello was malformed.
    Malformed,
}

/// The host refuses the plugin; the socket closes after this frame.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct Reject {
    /// Machine-readable reason.
    pub code: RejectCode,
    /// The reason in words.
    pub message: String,
}

/// The host's answer to a Hello.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
#[allow(clippy::large_enum_variant)]
pub enum HandshakeReply {
    /// The session starts.
    Welcome(Welcome),
    /// The plugin is refused.
    Reject(Reject),
}

impl HandshakeReply {
    /// Encodes the reply as a frame body.
    pub fn encode(&self, max: u32) -> Result<Vec<u8>, EncodeError> {
        codec::encode("HandshakeReply", self, max)
    }

    /// Decodes a reply.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        codec::decode("HandshakeReply", bytes)
    }
}
