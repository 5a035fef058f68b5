//! The signed certificate timestamp (RFC 6962) embedded in the signing certificate: at
//! least one SCT must come from a certificate-transparency log of the trusted root, be
//! trusted at its time, and verify over the precertificate (the certificate's
//! to-be-signed part without the SCT extension) and the issuer's key hash.

use super::fulcio::Cert;
use super::trusted_root::TrustedRoot;
use super::{KeylessError, crypto, der};
use x509_cert::der::asn1::ObjectIdentifier;

const SCT_LIST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.4.2");

/// One SCT from the certificate's list.
#[derive(Debug)]
struct Sct<'a> {
    log_id: &'a [u8],
    timestamp_ms: u64,
    extensions: &'a [u8],
    hash: u8,
    signature: &'a [u8],
}

fn take<'a>(input: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    let (head, rest) = input.split_at_checked(n)?;
    *input = rest;
    Some(head)
}

fn take_u16_vec<'a>(input: &mut &'a [u8]) -> Option<&'a [u8]> {
    let len = take(input, 2)?;
    take(input, usize::from(u16::from_be_bytes([len[0], len[1]])))
}

/// Parses the TLS-encoded SignedCertificateTimestampList.
fn parse_list(value: &[u8]) -> Option<Vec<Sct<'_>>> {
    let inner = der::read_one(value).filter(|t| t.tag == 0x04)?.content;
    let mut input = inner;
    let mut list = take_u16_vec(&mut input)?;
    if !input.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    while !list.is_empty() {
        let mut sct = take_u16_vec(&mut list)?;
        let version = take(&mut sct, 1)?;
        if version != [0] {
            return None;
        }
        let log_id = take(&mut sct, 32)?;
        let ts = take(&mut sct, 8)?;
        let extensions = take_u16_vec(&mut sct)?;
        let algs = take(&mut sct, 2)?;
        let signature = take_u16_vec(&mut sct)?;
        if !sct.is_empty() {
            return None;
        }
        out.push(Sct {
            log_id,
            timestamp_ms: u64::from_be_bytes(ts.try_into().ok()?),
            extensions,
            hash: algs[0],
            signature,
        });
    }
    Some(out)
}

/// The to-be-signed part without the extension `oid` (DER content bytes of the OID).
pub(crate) fn tbs_without_extension(tbs: &[u8], oid: &[u8]) -> Option<Vec<u8>> {
    let outer = der::read_one(tbs).filter(|t| t.tag == 0x30)?;
    let mut fields = Vec::new();
    for field in der::children(outer.content)? {
        if field.tag != 0xa3 {
            fields.extend_from_slice(field.raw);
            continue;
        }
        let list = der::read_one(field.content).filter(|t| t.tag == 0x30)?;
        let mut kept = Vec::new();
        for ext in der::children(list.content)? {
            let id = der::children(ext.content)?.first().copied()?;
            if !(id.tag == 0x06 && id.content == oid) {
                kept.extend_from_slice(ext.raw);
            }
        }
        fields.extend(der::encode(0xa3, &der::encode(0x30, &kept)));
    }
    Some(der::encode(0x30, &fields))
}

/// The bytes an SCT's log signed for a precertificate entry.
fn signed_data(sct: &Sct<'_>, issuer_key_hash: &[u8], precert_tbs: &[u8]) -> Option<Vec<u8>> {
    let mut out = vec![0u8, 0u8];
    out.extend_from_slice(&sct.timestamp_ms.to_be_bytes());
    out.extend_from_slice(&[0, 1]);
    out.extend_from_slice(issuer_key_hash);
    let len = u32::try_from(precert_tbs.len())
        .ok()
        .filter(|l| *l < 1 << 24)?;
    out.extend_from_slice(&len.to_be_bytes()[1..]);
    out.extend_from_slice(precert_tbs);
    out.extend_from_slice(&u16::try_from(sct.extensions.len()).ok()?.to_be_bytes());
    out.extend_from_slice(sct.extensions);
    Some(out)
}

/// At least one embedded SCT verifies with a CT log of the root trusted at its time.
pub(crate) fn verify(leaf: &Cert, issuer: &Cert, root: &TrustedRoot) -> Result<(), KeylessError> {
    let bad = |d: &str| KeylessError::Sct(d.to_string());
    let (_, value) = leaf
        .extension(&SCT_LIST)
        .ok_or_else(|| bad("the signing certificate carries no SCT"))?;
    let list = parse_list(value).ok_or_else(|| bad("the SCT list is malformed"))?;
    let oid = der::encode(0x06, SCT_LIST.as_bytes());
    let precert = tbs_without_extension(&leaf.tbs, &oid[2..])
        .ok_or_else(|| bad("the certificate's extensions are malformed"))?;
    let issuer_key_hash = crypto::digest(crypto::Hash::Sha256, &issuer.spki);
    let mut reasons = Vec::new();
    for sct in &list {
        let Some(log) = root.ctlogs.iter().find(|l| l.key_id == sct.log_id) else {
            reasons.push(format!(
                "log {} is not in the trusted root",
                hex::encode(sct.log_id)
            ));
            continue;
        };
        let secs = i64::try_from(sct.timestamp_ms / 1000).unwrap_or(i64::MAX);
        if !log.valid_for.contains(secs) {
            reasons.push(format!("log {} is not trusted at the SCT's time", log.name));
            continue;
        }
        let hash = match sct.hash {
            4 => crypto::Hash::Sha256,
            5 => crypto::Hash::Sha384,
            6 => crypto::Hash::Sha512,
            h => {
                reasons.push(format!("hash algorithm {h} is not verified"));
                continue;
            }
        };
        let Some(data) = signed_data(sct, &issuer_key_hash, &precert) else {
            reasons.push("the SCT does not encode".into());
            continue;
        };
        match crypto::verify(&log.spki, hash, &data, sct.signature) {
            Ok(()) => return Ok(()),
            Err(e) => reasons.push(format!("log {}: {e}", log.name)),
        }
    }
    if reasons.is_empty() {
        reasons.push("the SCT list is empty".into());
    }
    Err(KeylessError::Sct(reasons.join("; ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removing_an_extension_keeps_every_other_field_and_extension() {
        let ext = |oid: &[u8], value: &[u8]| {
            der::encode(
                0x30,
                &[der::encode(0x06, oid), der::encode(0x04, value)].concat(),
            )
        };
        let tbs = der::encode(
            0x30,
            &[
                der::encode(0x02, &[1]),
                der::encode(
                    0xa3,
                    &der::encode(
                        0x30,
                        &[ext(&[1, 2], b"keep"), ext(&[9, 9], b"drop")].concat(),
                    ),
                ),
            ]
            .concat(),
        );
        let stripped = tbs_without_extension(&tbs, &[9, 9]).expect("strips");
        let expected = der::encode(
            0x30,
            &[
                der::encode(0x02, &[1]),
                der::encode(0xa3, &der::encode(0x30, &ext(&[1, 2], b"keep"))),
            ]
            .concat(),
        );
        assert_eq!(stripped, expected);
        assert!(tbs_without_extension(b"\x30\x03\x02\x01", &[9]).is_none());
    }

    #[test]
    fn a_truncated_sct_list_is_refused() {
        assert!(parse_list(&der::encode(0x04, &[0, 5, 0, 3, 0])).is_none());
        assert_eq!(
            parse_list(&der::encode(0x04, &[0, 0])).map(|l| l.len()),
            Some(0)
        );
    }
}
