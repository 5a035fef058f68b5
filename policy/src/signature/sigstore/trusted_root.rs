//! The operator's Sigstore trusted root: a `trusted_root.json` in the sigstore
//! protobuf-specs JSON form (`application/vnd.dev.sigstore.trustedroot+json`), as
//! `cosign trusted-root create`, sigstore's TUF repository or `sigstore-python` write it.
//! It names the Fulcio certificate authorities, the Rekor transparency logs, the
//! certificate-transparency logs and the timestamp authorities, each with the time range
//! it is trusted for. Nothing is fetched: the operator supplies the file.

use super::KeylessError;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;

const MAX_ROOT: usize = 4 << 20;

/// A time range in Unix seconds; an open end is unbounded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ValidFor {
    /// First second of validity.
    pub start: Option<i64>,
    /// Last second of validity.
    pub end: Option<i64>,
}

impl ValidFor {
    /// Whether `t` (Unix seconds) falls inside.
    pub fn contains(&self, t: i64) -> bool {
        self.start.is_none_or(|s| s <= t) && self.end.is_none_or(|e| t <= e)
    }
}

/// A transparency log (Rekor) or certificate-transparency log the root trusts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustedLog {
    /// Its base URL, for messages only.
    pub name: String,
    /// The log id (SHA-256 of the key's DER for Rekor and CT logs).
    pub key_id: Vec<u8>,
    /// The log's public key, DER SubjectPublicKeyInfo.
    pub spki: Vec<u8>,
    /// When the key is trusted.
    pub valid_for: ValidFor,
}

/// A certificate authority (Fulcio) or timestamp authority the root trusts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustedAuthority {
    /// Its URI, for messages only.
    pub name: String,
    /// Its certificates, DER, the issuing one first and the root last.
    pub chain: Vec<Vec<u8>>,
    /// When it is trusted.
    pub valid_for: ValidFor,
}

/// A parsed `trusted_root.json`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustedRoot {
    /// Rekor logs.
    pub tlogs: Vec<TrustedLog>,
    /// Certificate-transparency logs.
    pub ctlogs: Vec<TrustedLog>,
    /// Fulcio certificate authorities.
    pub certificate_authorities: Vec<TrustedAuthority>,
    /// RFC 3161 timestamp authorities.
    pub timestamp_authorities: Vec<TrustedAuthority>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
    media_type: Option<String>,
    #[serde(default)]
    tlogs: Vec<WireLog>,
    #[serde(default)]
    ctlogs: Vec<WireLog>,
    #[serde(default)]
    certificate_authorities: Vec<WireAuthority>,
    #[serde(default)]
    timestamp_authorities: Vec<WireAuthority>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireLog {
    #[serde(default)]
    base_url: String,
    public_key: WireKey,
    log_id: WireLogId,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireKey {
    raw_bytes: String,
    valid_for: Option<WireValidFor>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireLogId {
    key_id: String,
}

#[derive(Deserialize)]
struct WireValidFor {
    start: Option<String>,
    end: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireAuthority {
    #[serde(default)]
    uri: String,
    cert_chain: WireChain,
    valid_for: Option<WireValidFor>,
}

#[derive(Deserialize)]
struct WireChain {
    certificates: Vec<WireCert>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireCert {
    raw_bytes: String,
}

fn bad(detail: impl Into<String>) -> KeylessError {
    KeylessError::TrustedRoot(detail.into())
}

impl TrustedRoot {
    /// Parses a `trusted_root.json`. A root without a certificate authority or a
    /// transparency log can verify nothing and is refused.
    pub fn parse(json: &[u8]) -> Result<Self, KeylessError> {
        if json.len() > MAX_ROOT {
            return Err(bad(format!("larger than {MAX_ROOT} bytes")));
        }
        let wire: Wire =
            serde_json::from_slice(json).map_err(|e| bad(format!("not the expected JSON: {e}")))?;
        match wire.media_type.as_deref() {
            Some(m) if m.starts_with("application/vnd.dev.sigstore.trustedroot") => {}
            other => {
                return Err(bad(format!(
                    "mediaType {:?} is not application/vnd.dev.sigstore.trustedroot+json",
                    other.map(|m| m.chars().take(80).collect::<String>())
                )));
            }
        }
        let root = TrustedRoot {
            tlogs: logs(wire.tlogs, "tlogs")?,
            ctlogs: logs(wire.ctlogs, "ctlogs")?,
            certificate_authorities: authorities(
                wire.certificate_authorities,
                "certificateAuthorities",
            )?,
            timestamp_authorities: authorities(wire.timestamp_authorities, "timestampAuthorities")?,
        };
        if root.certificate_authorities.is_empty() {
            return Err(bad(
                "no certificateAuthorities: no Fulcio certificate can chain",
            ));
        }
        if root.tlogs.is_empty() {
            return Err(bad("no tlogs: no transparency log entry can verify"));
        }
        Ok(root)
    }
}

fn logs(wire: Vec<WireLog>, field: &str) -> Result<Vec<TrustedLog>, KeylessError> {
    wire.into_iter()
        .enumerate()
        .map(|(i, l)| {
            let at = |what: &str| bad(format!("{field}[{i}]: {what}"));
            Ok(TrustedLog {
                key_id: STANDARD
                    .decode(l.log_id.key_id.trim())
                    .map_err(|_| at("logId.keyId is not base64"))?,
                spki: STANDARD
                    .decode(l.public_key.raw_bytes.trim())
                    .map_err(|_| at("publicKey.rawBytes is not base64"))?,
                valid_for: valid_for(l.public_key.valid_for.as_ref())
                    .map_err(|e| at(&format!("publicKey.validFor: {e}")))?,
                name: l.base_url,
            })
        })
        .collect()
}

fn authorities(
    wire: Vec<WireAuthority>,
    field: &str,
) -> Result<Vec<TrustedAuthority>, KeylessError> {
    wire.into_iter()
        .enumerate()
        .map(|(i, a)| {
            let at = |what: &str| bad(format!("{field}[{i}]: {what}"));
            let chain = a
                .cert_chain
                .certificates
                .iter()
                .map(|c| STANDARD.decode(c.raw_bytes.trim()))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| at("a certificate's rawBytes is not base64"))?;
            if chain.is_empty() {
                return Err(at("certChain has no certificates"));
            }
            Ok(TrustedAuthority {
                chain,
                valid_for: valid_for(a.valid_for.as_ref())
                    .map_err(|e| at(&format!("validFor: {e}")))?,
                name: a.uri,
            })
        })
        .collect()
}

fn valid_for(wire: Option<&WireValidFor>) -> Result<ValidFor, String> {
    let Some(w) = wire else {
        return Ok(ValidFor::default());
    };
    let parse = |t: &Option<String>| t.as_deref().map(parse_rfc3339).transpose();
    Ok(ValidFor {
        start: parse(&w.start)?,
        end: parse(&w.end)?,
    })
}

/// Unix seconds of an RFC 3339 time in UTC (`2021-01-12T11:53:27Z`, fractions ignored).
pub(crate) fn parse_rfc3339(text: &str) -> Result<i64, String> {
    let bad = || {
        format!(
            "`{}` is not an RFC 3339 UTC time",
            text.chars().take(40).collect::<String>()
        )
    };
    let b = text.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| -> Result<i64, String> {
        let s = text.get(r).ok_or_else(bad)?;
        if !s.bytes().all(|c| c.is_ascii_digit()) {
            return Err(bad());
        }
        s.parse().map_err(|_| bad())
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut rest = &text[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(bad());
        }
        rest = &frac[digits..];
    }
    if !(rest == "Z" || rest == "+00:00") {
        return Err(bad());
    }
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return Err(bad());
    }
    Ok(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub(crate) fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_times_parse_to_unix_seconds() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(parse_rfc3339("2021-01-12T11:53:27Z"), Ok(1_610_452_407));
        assert_eq!(parse_rfc3339("2024-02-29T00:00:00.123Z"), Ok(1_709_164_800));
        assert!(parse_rfc3339("2021-01-12 11:53:27Z").is_err());
        assert!(parse_rfc3339("2021-01-12T11:53:27+02:00").is_err());
        assert!(parse_rfc3339("2021-13-12T11:53:27Z").is_err());
    }

    #[test]
    fn a_root_without_authorities_or_logs_is_refused() {
        let e = TrustedRoot::parse(
            br#"{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1","tlogs":[]}"#,
        )
        .expect_err("refused");
        assert!(e.to_string().contains("certificateAuthorities"), "{e}");
        let e = TrustedRoot::parse(br#"{"mediaType":"text/plain"}"#).expect_err("refused");
        assert!(e.to_string().contains("mediaType"), "{e}");
    }
}
