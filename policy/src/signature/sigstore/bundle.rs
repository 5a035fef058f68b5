//! A keyless Sigstore bundle, v0.1 to v0.3 (`application/vnd.dev.sigstore.bundle+json;
//! version=0.1|0.2|0.3`, `application/vnd.dev.sigstore.bundle.v0.3+json`): the signing
//! certificate, the message signature, the one Rekor entry and any RFC 3161 timestamps.
//! Parsing checks the shape each version requires; the checks of what it says are in the
//! sibling modules.

use super::KeylessError;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde_json::Value;

const MAX_BUNDLE: usize = 1 << 20;
const MAX_TIMESTAMPS: usize = 32;

/// A parsed keyless bundle.
#[derive(Clone, Debug)]
pub(crate) struct Bundle {
    /// The signing (leaf) certificate, DER.
    pub leaf: Vec<u8>,
    /// The recorded digest of the artifact: algorithm name and bytes.
    pub message_digest: Option<(String, Vec<u8>)>,
    /// The signature over the artifact.
    pub signature: Vec<u8>,
    /// The transparency log entry.
    pub entry: TlogEntry,
    /// RFC 3161 timestamp tokens (DER), possibly none.
    pub timestamps: Vec<Vec<u8>>,
}

/// A Rekor entry as the bundle carries it.
#[derive(Clone, Debug)]
pub(crate) struct TlogEntry {
    pub log_index: i64,
    pub key_id: Vec<u8>,
    pub kind: String,
    pub version: String,
    pub integrated_time: i64,
    pub set: Option<Vec<u8>>,
    pub proof: Option<InclusionProof>,
    pub body: Vec<u8>,
}

/// An inclusion proof with its checkpoint.
#[derive(Clone, Debug)]
pub(crate) struct InclusionProof {
    pub log_index: u64,
    pub root_hash: Vec<u8>,
    pub tree_size: u64,
    pub hashes: Vec<Vec<u8>>,
    pub checkpoint: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
    media_type: Option<String>,
    verification_material: Option<WireMaterial>,
    message_signature: Option<WireMessageSignature>,
    dsse_envelope: Option<Value>,
    // cosign's older `--bundle` form (`--new-bundle-format=false`).
    base64_signature: Option<String>,
    cert: Option<String>,
    rekor_bundle: Option<WireRekorBundle>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WireRekorBundle {
    signed_entry_timestamp: String,
    payload: WireRekorPayload,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireRekorPayload {
    body: String,
    integrated_time: Value,
    log_index: Value,
    #[serde(rename = "logID")]
    log_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireMaterial {
    certificate: Option<WireCert>,
    x509_certificate_chain: Option<WireChain>,
    public_key: Option<Value>,
    #[serde(default)]
    tlog_entries: Vec<WireEntry>,
    timestamp_verification_data: Option<WireTimestamps>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireCert {
    raw_bytes: String,
}

#[derive(Deserialize)]
struct WireChain {
    certificates: Vec<WireCert>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireTimestamps {
    #[serde(default)]
    rfc3161_timestamps: Vec<WireTimestamp>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireTimestamp {
    signed_timestamp: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireMessageSignature {
    message_digest: Option<WireDigest>,
    signature: String,
}

#[derive(Deserialize)]
struct WireDigest {
    algorithm: String,
    digest: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireEntry {
    log_index: Value,
    log_id: WireLogId,
    kind_version: WireKindVersion,
    integrated_time: Option<Value>,
    inclusion_promise: Option<WirePromise>,
    inclusion_proof: Option<WireProof>,
    canonicalized_body: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireLogId {
    key_id: String,
}

#[derive(Deserialize)]
struct WireKindVersion {
    kind: String,
    version: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WirePromise {
    signed_entry_timestamp: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireProof {
    log_index: Value,
    root_hash: String,
    tree_size: Value,
    #[serde(default)]
    hashes: Vec<String>,
    checkpoint: Option<WireCheckpoint>,
}

#[derive(Deserialize)]
struct WireCheckpoint {
    envelope: String,
}

fn bad(detail: impl Into<String>) -> KeylessError {
    KeylessError::Bundle(detail.into())
}

fn b64(field: &str, text: &str) -> Result<Vec<u8>, KeylessError> {
    STANDARD
        .decode(text.trim())
        .map_err(|_| bad(format!("{field} is not base64")))
}

/// A protobuf-JSON int64: a string of digits or a JSON number.
fn int(field: &str, value: &Value) -> Result<i64, KeylessError> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
    .ok_or_else(|| bad(format!("{field} is not an integer")))
}

fn version(media_type: Option<&str>) -> Result<u8, KeylessError> {
    match media_type {
        Some("application/vnd.dev.sigstore.bundle+json;version=0.1") => Ok(1),
        Some("application/vnd.dev.sigstore.bundle+json;version=0.2") => Ok(2),
        Some("application/vnd.dev.sigstore.bundle+json;version=0.3")
        | Some("application/vnd.dev.sigstore.bundle.v0.3+json") => Ok(3),
        other => Err(KeylessError::Unsupported(format!(
            "bundle mediaType {:?} (v0.1, v0.2 and v0.3 bundles are verified)",
            other.map(|m| m.chars().take(80).collect::<String>())
        ))),
    }
}

impl Bundle {
    /// Parses a keyless bundle's JSON.
    pub(crate) fn parse(json: &[u8]) -> Result<Self, KeylessError> {
        if json.len() > MAX_BUNDLE {
            return Err(bad(format!("larger than {MAX_BUNDLE} bytes")));
        }
        let wire: Wire =
            serde_json::from_slice(json).map_err(|e| bad(format!("not the expected JSON: {e}")))?;
        if wire.media_type.is_none() && wire.base64_signature.is_some() {
            return cosign_legacy(wire);
        }
        let version = version(wire.media_type.as_deref())?;
        if wire.dsse_envelope.is_some() {
            return Err(KeylessError::Unsupported(
                "DSSE envelopes (attestations) are not artifact signatures".into(),
            ));
        }
        let material = wire
            .verification_material
            .ok_or_else(|| bad("no verificationMaterial"))?;
        if material.public_key.is_some() {
            return Err(KeylessError::NotKeyless);
        }
        let leaf = match (&material.certificate, &material.x509_certificate_chain) {
            (Some(c), None) => b64("certificate.rawBytes", &c.raw_bytes)?,
            (None, Some(chain)) => {
                let first = chain
                    .certificates
                    .first()
                    .ok_or_else(|| bad("x509CertificateChain has no certificates"))?;
                b64(
                    "x509CertificateChain.certificates[0].rawBytes",
                    &first.raw_bytes,
                )?
            }
            _ => {
                return Err(bad(
                    "give exactly one of certificate and x509CertificateChain",
                ));
            }
        };
        let message = wire
            .message_signature
            .ok_or_else(|| bad("no messageSignature"))?;
        let message_digest = message
            .message_digest
            .map(|d| Ok::<_, KeylessError>((d.algorithm, b64("messageDigest.digest", &d.digest)?)))
            .transpose()?;
        let signature = b64("messageSignature.signature", &message.signature)?;
        let [entry] = <[WireEntry; 1]>::try_from(material.tlog_entries).map_err(|entries| {
            bad(format!(
                "{} transparency log entries: exactly one is verified",
                entries.len()
            ))
        })?;
        let entry = tlog_entry(entry)?;
        if version == 1 && entry.set.is_none() {
            return Err(bad(
                "a v0.1 bundle's log entry needs its inclusionPromise (the SET)",
            ));
        }
        if version >= 2 && entry.proof.is_none() {
            return Err(bad("a v0.2+ bundle's log entry needs its inclusionProof"));
        }
        let mut timestamps = material
            .timestamp_verification_data
            .map(|t| t.rfc3161_timestamps)
            .unwrap_or_default()
            .iter()
            .map(|t| b64("rfc3161Timestamps[].signedTimestamp", &t.signed_timestamp))
            .collect::<Result<Vec<_>, _>>()?;
        if timestamps.len() > MAX_TIMESTAMPS {
            return Err(bad(format!(
                "{} RFC 3161 timestamps: at most {MAX_TIMESTAMPS} are verified",
                timestamps.len()
            )));
        }
        // The same token twice is one time source, not two.
        timestamps.sort();
        timestamps.dedup();
        Ok(Bundle {
            leaf,
            message_digest,
            signature,
            entry,
            timestamps,
        })
    }
}

fn tlog_entry(e: WireEntry) -> Result<TlogEntry, KeylessError> {
    let proof = e
        .inclusion_proof
        .map(|p| {
            Ok::<_, KeylessError>(InclusionProof {
                log_index: u64::try_from(int("inclusionProof.logIndex", &p.log_index)?)
                    .map_err(|_| bad("inclusionProof.logIndex is negative"))?,
                root_hash: b64("inclusionProof.rootHash", &p.root_hash)?,
                tree_size: u64::try_from(int("inclusionProof.treeSize", &p.tree_size)?)
                    .map_err(|_| bad("inclusionProof.treeSize is negative"))?,
                hashes: p
                    .hashes
                    .iter()
                    .map(|h| b64("inclusionProof.hashes[]", h))
                    .collect::<Result<_, _>>()?,
                checkpoint: p.checkpoint.map(|c| c.envelope),
            })
        })
        .transpose()?;
    Ok(TlogEntry {
        log_index: int("logIndex", &e.log_index)?,
        key_id: b64("logId.keyId", &e.log_id.key_id)?,
        kind: e.kind_version.kind,
        version: e.kind_version.version,
        integrated_time: e
            .integrated_time
            .as_ref()
            .map(|t| int("integratedTime", t))
            .transpose()?
            .unwrap_or(0),
        set: e
            .inclusion_promise
            .map(|p| {
                b64(
                    "inclusionPromise.signedEntryTimestamp",
                    &p.signed_entry_timestamp,
                )
            })
            .transpose()?,
        proof,
        body: b64("canonicalizedBody", &e.canonicalized_body)?,
    })
}

/// cosign's older keyless `--bundle` form: `base64Signature`, `cert` (the base64 of the
/// certificate's PEM) and `rekorBundle` (the SET and its payload). It carries no
/// inclusion proof, so the SET is what proves the entry, as in a v0.1 bundle.
fn cosign_legacy(wire: Wire) -> Result<Bundle, KeylessError> {
    let cert = wire.cert.ok_or_else(|| bad("no cert"))?;
    let pem = b64("cert", &cert)?;
    let leaf = std::str::from_utf8(&pem)
        .ok()
        .filter(|p| p.trim_start().starts_with("-----BEGIN CERTIFICATE-----"))
        .and_then(crate::trust::pem_der)
        .ok_or_else(|| bad("cert is not the base64 of a PEM certificate"))?;
    let rekor = wire
        .rekor_bundle
        .ok_or_else(|| bad("no rekorBundle: the older cosign form needs its SET"))?;
    let body = b64("rekorBundle.Payload.body", &rekor.payload.body)?;
    let kind: Value =
        serde_json::from_slice(&body).map_err(|_| bad("rekorBundle.Payload.body is not JSON"))?;
    let text = |key: &str| {
        kind.get(key)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let signature = b64(
        "base64Signature",
        wire.base64_signature.as_deref().unwrap_or(""),
    )?;
    Ok(Bundle {
        leaf,
        message_digest: None,
        signature,
        entry: TlogEntry {
            log_index: int("rekorBundle.Payload.logIndex", &rekor.payload.log_index)?,
            key_id: hex::decode(rekor.payload.log_id.trim())
                .map_err(|_| bad("rekorBundle.Payload.logID is not hex"))?,
            kind: text("kind"),
            version: text("apiVersion"),
            integrated_time: int(
                "rekorBundle.Payload.integratedTime",
                &rekor.payload.integrated_time,
            )?,
            set: Some(b64(
                "rekorBundle.SignedEntryTimestamp",
                &rekor.signed_entry_timestamp,
            )?),
            proof: None,
            body,
        },
        timestamps: Vec::new(),
    })
}
