//! RFC 3161 signed timestamps over the bundle's signature: each one must be a
//! TimeStampToken (or a TimeStampResp carrying one) whose TSTInfo imprints the hash of
//! the signature bytes, whose signed attributes carry the TSTInfo's digest, and whose
//! signature verifies with the leaf of a `timestampAuthorities` chain of the trusted root
//! (a timeStamping certificate, chain valid at the stamped time, authority trusted then).
//! The stamped time then counts as a signing time.

use super::fulcio::{self, Cert};
use super::trusted_root::{TrustedRoot, days_from_civil};
use super::{KeylessError, crypto, der, format_time};
use x509_cert::der::asn1::ObjectIdentifier;

const SIGNED_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02];
const TST_INFO: &[u8] = &[
    0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x01, 0x04,
];
const MESSAGE_DIGEST: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x04];
const CONTENT_TYPE: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x03];
const TIME_STAMPING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.8");

fn bad(detail: impl Into<String>) -> KeylessError {
    KeylessError::Timestamp(detail.into())
}

fn hash_of(alg_id: &der::Tlv<'_>) -> Option<crypto::Hash> {
    let oid = der::children(alg_id.content)?.first().copied()?;
    match oid.content {
        [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01] => Some(crypto::Hash::Sha256),
        [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02] => Some(crypto::Hash::Sha384),
        [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03] => Some(crypto::Hash::Sha512),
        _ => None,
    }
}

/// What a token says and what its signature covers.
struct Token<'a> {
    /// The TSTInfo's DER (the signed content).
    tst_info: &'a [u8],
    /// The signer's digest algorithm.
    digest: crypto::Hash,
    /// The signed attributes' content (re-tagged as a SET for the signature).
    signed_attrs: &'a [u8],
    /// The signature algorithm's OID content.
    signature_alg: &'a [u8],
    signature: &'a [u8],
}

fn parse_token(bytes: &[u8]) -> Option<Token<'_>> {
    let outer = der::read_one(bytes).filter(|t| t.tag == 0x30)?;
    let parts = der::children(outer.content)?;
    // A TimeStampResp is { status, token }, its status granted (0) or granted with
    // modifications (1); a token is ContentInfo { OID, [0] content }.
    let content_info = match parts.first()? {
        first if first.tag == 0x30 => {
            let status = der::children(first.content)?.first().copied()?;
            if status.tag != 0x02 || !matches!(status.content, [0] | [1]) {
                return None;
            }
            *parts.get(1)?
        }
        _ => outer,
    };
    let ci = der::children(content_info.content)?;
    let (oid, wrapped) = (ci.first()?, ci.get(1)?);
    if oid.tag != 0x06 || oid.content != SIGNED_DATA || wrapped.tag != 0xa0 {
        return None;
    }
    let signed_data = der::read_one(wrapped.content).filter(|t| t.tag == 0x30)?;
    let sd = der::children(signed_data.content)?;
    let encap = der::children(sd.get(2).filter(|t| t.tag == 0x30)?.content)?;
    if encap.first()?.content != TST_INFO {
        return None;
    }
    let e_content =
        der::read_one(encap.get(1).filter(|t| t.tag == 0xa0)?.content).filter(|t| t.tag == 0x04)?;
    let signer_infos = sd.last().filter(|t| t.tag == 0x31)?;
    let infos = der::children(signer_infos.content)?;
    let [info] = infos.as_slice() else {
        return None;
    };
    let si = der::children(info.content)?;
    // version, sid, digestAlgorithm, [0] signedAttrs, signatureAlgorithm, signature, ...
    let digest = hash_of(si.get(2)?)?;
    let signed_attrs = si.get(3).filter(|t| t.tag == 0xa0)?;
    let signature_alg = der::children(si.get(4)?.content)?.first().copied()?;
    let signature = si.get(5).filter(|t| t.tag == 0x04)?;
    Some(Token {
        tst_info: e_content.content,
        digest,
        signed_attrs: signed_attrs.content,
        signature_alg: signature_alg.content,
        signature: signature.content,
    })
}

/// The TSTInfo's message imprint and time.
fn parse_tst_info(tst_info: &[u8]) -> Option<(crypto::Hash, &[u8], i64)> {
    let fields = der::children(der::read_one(tst_info).filter(|t| t.tag == 0x30)?.content)?;
    let imprint = der::children(fields.get(2)?.content)?;
    let hash = hash_of(imprint.first()?)?;
    let hashed = imprint.get(1).filter(|t| t.tag == 0x04)?.content;
    let time = fields.get(4).filter(|t| t.tag == 0x18)?;
    Some((hash, hashed, generalized_time(time.content)?))
}

/// `YYYYMMDDHHMMSS[.f*]Z` to Unix seconds.
fn generalized_time(bytes: &[u8]) -> Option<i64> {
    let text = std::str::from_utf8(bytes).ok()?;
    let text = text.strip_suffix('Z')?;
    let (whole, frac) = text.split_once('.').unwrap_or((text, "0"));
    if whole.len() != 14
        || !whole
            .bytes()
            .chain(frac.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let n = |r: std::ops::Range<usize>| whole[r].parse::<i64>().ok();
    let (y, mo, d) = (n(0..4)?, n(4..6)?, n(6..8)?);
    let (h, mi, s) = (n(8..10)?, n(10..12)?, n(12..14)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    Some(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s)
}

/// The signed attributes carry the TSTInfo content type and its digest.
fn check_signed_attrs(token: &Token<'_>) -> Result<(), KeylessError> {
    let attrs =
        der::children(token.signed_attrs).ok_or_else(|| bad("signed attributes are malformed"))?;
    let mut digest_ok = false;
    for attr in attrs {
        let parts = der::children(attr.content).ok_or_else(|| bad("an attribute is malformed"))?;
        let (Some(oid), Some(values)) = (parts.first(), parts.get(1)) else {
            return Err(bad("an attribute is malformed"));
        };
        let value = der::children(values.content)
            .and_then(|v| v.first().copied())
            .ok_or_else(|| bad("an attribute has no value"))?;
        if oid.content == MESSAGE_DIGEST {
            digest_ok = value.tag == 0x04
                && value.content == crypto::digest(token.digest, token.tst_info).as_slice();
            if !digest_ok {
                return Err(bad("the signed messageDigest is not the TSTInfo's digest"));
            }
        } else if oid.content == CONTENT_TYPE && value.content != TST_INFO {
            return Err(bad("the signed content type is not TSTInfo"));
        }
    }
    if digest_ok {
        Ok(())
    } else {
        Err(bad("the signed attributes carry no messageDigest"))
    }
}

/// Verifies one timestamp token over `signature` and returns its time (Unix seconds).
pub(crate) fn verify(
    token_bytes: &[u8],
    signature: &[u8],
    root: &TrustedRoot,
) -> Result<i64, KeylessError> {
    let token = parse_token(token_bytes)
        .ok_or_else(|| bad("not a granted RFC 3161 timestamp response or token with one signer"))?;
    let (imprint_hash, imprinted, time) =
        parse_tst_info(token.tst_info).ok_or_else(|| bad("its TSTInfo is malformed"))?;
    if imprinted != crypto::digest(imprint_hash, signature).as_slice() {
        return Err(bad("it stamps other content than the bundle's signature"));
    }
    check_signed_attrs(&token)?;
    let signed = der::encode(0x31, token.signed_attrs);
    let sig_hash = crypto::signature_algorithm_hash(token.signature_alg).unwrap_or(token.digest);
    if root.timestamp_authorities.is_empty() {
        return Err(bad("the trusted root has no timestamp authorities"));
    }
    let mut reasons = Vec::new();
    for tsa in &root.timestamp_authorities {
        if !tsa.valid_for.contains(time) {
            reasons.push(format!(
                "{}: not trusted at {}",
                tsa.name,
                format_time(time)
            ));
            continue;
        }
        let certs = match tsa
            .chain
            .iter()
            .map(|d| Cert::parse(d))
            .collect::<Result<Vec<_>, _>>()
        {
            Ok(certs) => certs,
            Err(e) => {
                reasons.push(format!("{}: {e}", tsa.name));
                continue;
            }
        };
        let Some((leaf, authorities)) = certs.split_first() else {
            continue;
        };
        if crypto::verify(&leaf.spki, sig_hash, &signed, token.signature).is_err() {
            reasons.push(format!("{}: the signature is not its key's", tsa.name));
            continue;
        }
        let checked = (|| {
            if !leaf.valid_at(time) {
                return Err("its certificate is not valid at the stamped time".to_string());
            }
            if !leaf.has_extended_key_usage(&TIME_STAMPING)? {
                return Err("its certificate is not a timeStamping certificate".into());
            }
            if let Some(parent) = authorities.first() {
                leaf.check_issued_by(parent)?;
                fulcio::check_authorities(authorities, time)?;
            }
            Ok(())
        })();
        match checked {
            Ok(()) => return Ok(time),
            Err(e) => reasons.push(format!("{}: {e}", tsa.name)),
        }
    }
    Err(bad(reasons.join("; ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_response_whose_status_is_not_granted_is_no_token() {
        let status = |n: u8| der::encode(0x30, &der::encode(0x02, &[n]));
        let token = der::encode(0x30, &der::encode(0x06, SIGNED_DATA));
        let rejected = der::encode(0x30, &[status(2), token.clone()].concat());
        assert!(parse_token(&rejected).is_none());
        let waiting = der::encode(0x30, &[status(3), token].concat());
        assert!(parse_token(&waiting).is_none());
    }

    #[test]
    fn generalized_times_parse_with_or_without_fractions() {
        assert_eq!(generalized_time(b"20241031102339Z"), Some(1_730_370_219));
        assert_eq!(generalized_time(b"20241031102339.25Z"), Some(1_730_370_219));
        assert_eq!(generalized_time(b"20241031102339"), None);
        assert_eq!(generalized_time(b"2024103110233Z"), None);
    }
}
