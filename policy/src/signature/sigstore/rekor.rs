//! The Rekor transparency-log entry: it must come from a log of the trusted root, record
//! this signature, certificate and artifact digest (a `hashedrekord` body), and be proven
//! by the log: the signed entry timestamp (SET, the log's promise, which also signs the
//! integrated time) and/or an inclusion proof whose root hash a signed checkpoint vouches
//! for.

use super::bundle::{InclusionProof, TlogEntry};
use super::trusted_root::{TrustedLog, TrustedRoot};
use super::{KeylessError, crypto};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

fn bad(detail: impl Into<String>) -> KeylessError {
    KeylessError::Tlog(detail.into())
}

/// The log of the root whose id the entry names.
pub(crate) fn find_log<'r>(
    root: &'r TrustedRoot,
    entry: &TlogEntry,
) -> Result<&'r TrustedLog, KeylessError> {
    root.tlogs
        .iter()
        .find(|l| l.key_id == entry.key_id)
        .ok_or_else(|| {
            bad(format!(
                "log {} is not a transparency log of the trusted root",
                STANDARD.encode(&entry.key_id)
            ))
        })
}

/// The entry's body records this artifact digest, signature and certificate.
pub(crate) fn check_body(
    entry: &TlogEntry,
    artifact: &[u8],
    signature: &[u8],
    leaf_der: &[u8],
) -> Result<(), KeylessError> {
    if entry.kind != "hashedrekord" || entry.version != "0.0.1" {
        return Err(KeylessError::Unsupported(format!(
            "log entry kind {} {} (hashedrekord 0.0.1 is verified)",
            entry.kind.chars().take(40).collect::<String>(),
            entry.version.chars().take(20).collect::<String>()
        )));
    }
    let body: serde_json::Value = serde_json::from_slice(&entry.body)
        .map_err(|_| bad("the canonicalized body is not JSON"))?;
    let text = |path: &str| {
        body.pointer(path)
            .and_then(|v| v.as_str())
            .ok_or_else(|| bad(format!("the body has no {path}")))
    };
    if text("/kind")? != "hashedrekord" || text("/apiVersion")? != "0.0.1" {
        return Err(bad("the body's kind or apiVersion is not the entry's"));
    }
    let hash = match text("/spec/data/hash/algorithm")? {
        "sha256" => crypto::Hash::Sha256,
        "sha384" => crypto::Hash::Sha384,
        "sha512" => crypto::Hash::Sha512,
        other => {
            return Err(bad(format!(
                "the body's hash algorithm `{}` is not verified",
                other.chars().take(20).collect::<String>()
            )));
        }
    };
    let recorded = hex::decode(text("/spec/data/hash/value")?)
        .map_err(|_| bad("the body's hash value is not hex"))?;
    if recorded != crypto::digest(hash, artifact) {
        return Err(KeylessError::Artifact(
            "the transparency log entry records another artifact digest".into(),
        ));
    }
    let logged_sig = STANDARD
        .decode(text("/spec/signature/content")?)
        .map_err(|_| bad("the body's signature is not base64"))?;
    if logged_sig != signature {
        return Err(bad(
            "the log entry records another signature than the bundle's",
        ));
    }
    let pem = STANDARD
        .decode(text("/spec/signature/publicKey/content")?)
        .map_err(|_| bad("the body's public key is not base64"))?;
    let logged_cert = std::str::from_utf8(&pem)
        .ok()
        .and_then(crate::trust::pem_der)
        .ok_or_else(|| bad("the body's public key is not a PEM certificate"))?;
    if logged_cert != leaf_der {
        return Err(bad(
            "the log entry records another certificate than the bundle's",
        ));
    }
    Ok(())
}

/// The signed entry timestamp: the log's signature over the entry's canonical JSON
/// (body, integrated time, log id and index).
pub(crate) fn verify_set(
    entry: &TlogEntry,
    set: &[u8],
    log: &TrustedLog,
) -> Result<(), KeylessError> {
    let payload = format!(
        r#"{{"body":"{}","integratedTime":{},"logID":"{}","logIndex":{}}}"#,
        STANDARD.encode(&entry.body),
        entry.integrated_time,
        hex::encode(&entry.key_id),
        entry.log_index
    );
    crypto::verify(&log.spki, crypto::Hash::Sha256, payload.as_bytes(), set).map_err(|e| {
        bad(format!(
            "the signed entry timestamp (SET) is not the log's over this entry: {e}"
        ))
    })
}

fn node(left: &[u8], right: &[u8]) -> Vec<u8> {
    crypto::digest(crypto::Hash::Sha256, &[&[1u8][..], left, right].concat())
}

/// The Merkle root an RFC 9162 inclusion proof leads to from a leaf hash.
pub(crate) fn root_from_proof(
    index: u64,
    size: u64,
    leaf_hash: &[u8],
    proof: &[Vec<u8>],
) -> Option<Vec<u8>> {
    if index >= size {
        return None;
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = leaf_hash.to_vec();
    for p in proof {
        if p.len() != 32 || s == 0 {
            return None;
        }
        if f & 1 == 1 || f == s {
            r = node(p, &r);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            r = node(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    (s == 0).then_some(r)
}

/// The inclusion proof leads from the entry's body to the proof's root hash.
pub(crate) fn verify_inclusion(proof: &InclusionProof, body: &[u8]) -> Result<(), KeylessError> {
    let leaf = crypto::digest(crypto::Hash::Sha256, &[&[0u8][..], body].concat());
    match root_from_proof(proof.log_index, proof.tree_size, &leaf, &proof.hashes) {
        Some(root) if root == proof.root_hash => Ok(()),
        Some(_) => Err(bad(
            "the inclusion proof does not lead to its root hash: the entry is not in that tree",
        )),
        None => Err(bad(
            "the inclusion proof does not fit its index and tree size",
        )),
    }
}

/// The checkpoint (a signed note) is the log's signature over this tree size and root.
pub(crate) fn verify_checkpoint(
    proof: &InclusionProof,
    log: &TrustedLog,
) -> Result<(), KeylessError> {
    let envelope = proof
        .checkpoint
        .as_deref()
        .ok_or_else(|| bad("the inclusion proof has no checkpoint: its root hash is unsigned"))?;
    let split = envelope
        .find("\n\n")
        .ok_or_else(|| bad("the checkpoint is not a signed note"))?;
    let (text, signatures) = (&envelope[..=split], &envelope[split + 2..]);
    let mut lines = text.lines();
    let (_origin, size, root) = (lines.next(), lines.next(), lines.next());
    let size: Option<u64> = size.and_then(|s| s.parse().ok());
    let root = root.and_then(|r| STANDARD.decode(r).ok());
    if size != Some(proof.tree_size) || root.as_deref() != Some(&proof.root_hash[..]) {
        return Err(bad(
            "the checkpoint's tree size or root hash is not the inclusion proof's",
        ));
    }
    let hint = log
        .key_id
        .get(..4)
        .ok_or_else(|| bad("the log id is too short"))?;
    for line in signatures.lines() {
        let Some(rest) = line.strip_prefix("\u{2014} ") else {
            continue;
        };
        let Some(sig) = rest
            .rsplit_once(' ')
            .and_then(|(_, b64)| STANDARD.decode(b64).ok())
        else {
            continue;
        };
        if sig.len() > 4
            && &sig[..4] == hint
            && crypto::verify(&log.spki, crypto::Hash::Sha256, text.as_bytes(), &sig[4..]).is_ok()
        {
            return Ok(());
        }
    }
    Err(bad(
        "the checkpoint carries no valid signature by the log's key",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(n: u8) -> Vec<u8> {
        crypto::digest(crypto::Hash::Sha256, &[0, n])
    }

    #[test]
    fn inclusion_proofs_lead_to_the_root_only_from_their_own_leaf_and_index() {
        // A 5-leaf tree: root = H(H(H(l0,l1),H(l2,l3)), l4).
        let l: Vec<_> = (0..5).map(leaf).collect();
        let n01 = node(&l[0], &l[1]);
        let n23 = node(&l[2], &l[3]);
        let n0123 = node(&n01, &n23);
        let root = node(&n0123, &l[4]);
        let proof2 = vec![l[3].clone(), n01.clone(), l[4].clone()];
        assert_eq!(root_from_proof(2, 5, &l[2], &proof2), Some(root.clone()));
        assert_eq!(
            root_from_proof(4, 5, &l[4], std::slice::from_ref(&n0123)),
            Some(root.clone())
        );
        assert_ne!(root_from_proof(2, 5, &l[1], &proof2), Some(root.clone()));
        assert_ne!(root_from_proof(3, 5, &l[2], &proof2), Some(root.clone()));
        assert_eq!(root_from_proof(5, 5, &l[4], &[n0123]), None);
        assert_eq!(root_from_proof(2, 5, &l[2], &proof2[..2]), None);
    }
}
