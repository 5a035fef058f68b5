//! A local Sigstore for tests, with keys made at test time: a Fulcio-like CA, a CT log
//! and a Rekor log, issuing keyless v0.3 bundles over any bytes (certificate with SAN,
//! OIDC issuer extension and an embedded SCT; a hashedrekord entry with SET, inclusion
//! proof and signed checkpoint), and the `trusted_root.json` that verifies them.
//! Shared by faxbot-policy's and cargo-faxbot's tests.
#![allow(dead_code)]

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, PublicKeyData, SanType, SerialNumber, date_time_ymd,
};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair as _};

const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// 2025-01-01T12:00:00Z, when the local log integrates entries unless told otherwise.
pub const SIGNING_TIME: i64 = 1_735_732_800;

fn sha256(data: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, data)
        .as_ref()
        .to_vec()
}

fn p256() -> (EcdsaKeyPair, Vec<u8>) {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).expect("key");
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng)
        .expect("pair");
    let mut spki = P256_SPKI_PREFIX.to_vec();
    spki.extend_from_slice(pair.public_key().as_ref());
    (pair, spki)
}

fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else if len < 0x100 {
        out.extend_from_slice(&[0x81, len as u8]);
    } else {
        out.extend_from_slice(&[0x82, (len >> 8) as u8, len as u8]);
    }
    out.extend_from_slice(content);
    out
}

/// The first element inside a DER SEQUENCE (a certificate's to-be-signed part).
fn first_child(der: &[u8]) -> Vec<u8> {
    let header = |b: &[u8]| -> (usize, usize) {
        match b[1] {
            l if l < 0x80 => (2, usize::from(l)),
            0x81 => (3, usize::from(b[2])),
            0x82 => (4, usize::from(b[2]) << 8 | usize::from(b[3])),
            _ => panic!("long length"),
        }
    };
    let (outer, _) = header(der);
    let inner = &der[outer..];
    let (h, len) = header(inner);
    inner[..h + len].to_vec()
}

fn pem(der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).expect("ascii"))
        .collect();
    format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        lines.join("\n")
    )
}

/// What to put in a signing certificate and when the log says it signed.
#[derive(Clone, Debug)]
pub struct Signing {
    pub identity: String,
    pub issuer: String,
    /// Certificate validity, (year, month, day) at midnight UTC.
    pub not_before: (i32, u8, u8),
    pub not_after: (i32, u8, u8),
    /// The log's integrated time (Unix seconds).
    pub integrated_time: i64,
}

impl Signing {
    /// A certificate valid for 2025-01-01, integrated at noon.
    pub fn new(identity: &str, issuer: &str) -> Self {
        Self {
            identity: identity.into(),
            issuer: issuer.into(),
            not_before: (2025, 1, 1),
            not_after: (2025, 1, 2),
            integrated_time: SIGNING_TIME,
        }
    }
}

pub struct LocalSigstore {
    ca_params: CertificateParams,
    ca_key: KeyPair,
    ca_der: Vec<u8>,
    ct: EcdsaKeyPair,
    ct_spki: Vec<u8>,
    rekor: EcdsaKeyPair,
    rekor_spki: Vec<u8>,
}

impl LocalSigstore {
    pub fn new() -> Self {
        let ca_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("ca key");
        let mut p = CertificateParams::default();
        p.distinguished_name = rcgen::DistinguishedName::new();
        p.distinguished_name
            .push(DnType::OrganizationName, "sigstore.test");
        p.distinguished_name
            .push(DnType::CommonName, "local fulcio");
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        p.not_before = date_time_ymd(2020, 1, 1);
        p.not_after = date_time_ymd(2040, 1, 1);
        let ca_der = p.self_signed(&ca_key).expect("ca").der().to_vec();
        let (ct, ct_spki) = p256();
        let (rekor, rekor_spki) = p256();
        Self {
            ca_params: p,
            ca_key,
            ca_der,
            ct,
            ct_spki,
            rekor,
            rekor_spki,
        }
    }

    /// The `trusted_root.json` naming this CA, CT log and Rekor log.
    pub fn trusted_root_json(&self) -> String {
        let log = |spki: &[u8], url: &str| {
            serde_json::json!({
                "baseUrl": url,
                "hashAlgorithm": "SHA2_256",
                "publicKey": {
                    "rawBytes": STANDARD.encode(spki),
                    "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                    "validFor": { "start": "2020-01-01T00:00:00Z" }
                },
                "logId": { "keyId": STANDARD.encode(sha256(spki)) }
            })
        };
        serde_json::json!({
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [log(&self.rekor_spki, "https://rekor.sigstore.test")],
            "ctlogs": [log(&self.ct_spki, "https://ctfe.sigstore.test")],
            "certificateAuthorities": [{
                "subject": { "organization": "sigstore.test", "commonName": "local fulcio" },
                "uri": "https://fulcio.sigstore.test",
                "certChain": { "certificates": [{ "rawBytes": STANDARD.encode(&self.ca_der) }] },
                "validFor": { "start": "2020-01-01T00:00:00Z" }
            }],
            "timestampAuthorities": []
        })
        .to_string()
    }

    /// A signing certificate (DER) with an embedded SCT, and its private key.
    fn leaf(&self, s: &Signing) -> (Vec<u8>, EcdsaKeyPair) {
        let leaf_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("leaf key");
        let mut p = CertificateParams::default();
        p.distinguished_name = rcgen::DistinguishedName::new();
        let name = s.identity.clone().try_into().expect("ia5");
        p.subject_alt_names = vec![if s.identity.contains("://") {
            SanType::URI(name)
        } else {
            SanType::Rfc822Name(name)
        }];
        p.is_ca = IsCa::ExplicitNoCa;
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::CodeSigning];
        p.serial_number = Some(SerialNumber::from(vec![0x11, 0x22, 0x33]));
        p.not_before = date_time_ymd(s.not_before.0, s.not_before.1, s.not_before.2);
        p.not_after = date_time_ymd(s.not_after.0, s.not_after.1, s.not_after.2);
        p.custom_extensions = vec![
            CustomExtension::from_oid_content(
                &[1, 3, 6, 1, 4, 1, 57264, 1, 1],
                s.issuer.as_bytes().to_vec(),
            ),
            CustomExtension::from_oid_content(
                &[1, 3, 6, 1, 4, 1, 57264, 1, 8],
                der(0x0c, s.issuer.as_bytes()),
            ),
        ];
        let issuer = Issuer::from_params(&self.ca_params, &self.ca_key);
        let precert = p.signed_by(&leaf_key, &issuer).expect("precert");
        let tbs = first_child(precert.der());

        // The SCT over the precertificate: what the embedded SCT's log signed.
        let timestamp_ms = u64::try_from(s.integrated_time * 1000 - 1000).expect("time");
        let mut signed = vec![0u8, 0u8];
        signed.extend_from_slice(&timestamp_ms.to_be_bytes());
        signed.extend_from_slice(&[0, 1]);
        signed.extend_from_slice(&sha256(&self.ca_key.subject_public_key_info()));
        signed.extend_from_slice(&(tbs.len() as u32).to_be_bytes()[1..]);
        signed.extend_from_slice(&tbs);
        signed.extend_from_slice(&[0, 0]);
        let sig = self
            .ct
            .sign(&SystemRandom::new(), &signed)
            .expect("sct signature");
        let mut sct = vec![0u8];
        sct.extend_from_slice(&sha256(&self.ct_spki));
        sct.extend_from_slice(&timestamp_ms.to_be_bytes());
        sct.extend_from_slice(&[0, 0, 4, 3]);
        sct.extend_from_slice(&(sig.as_ref().len() as u16).to_be_bytes());
        sct.extend_from_slice(sig.as_ref());
        let mut list = (sct.len() as u16).to_be_bytes().to_vec();
        list.extend_from_slice(&sct);
        let mut tls = (list.len() as u16).to_be_bytes().to_vec();
        tls.extend_from_slice(&list);
        p.custom_extensions.push(CustomExtension::from_oid_content(
            &[1, 3, 6, 1, 4, 1, 11129, 2, 4, 2],
            der(0x04, &tls),
        ));
        let cert = p.signed_by(&leaf_key, &issuer).expect("certificate");
        let rng = SystemRandom::new();
        let key = EcdsaKeyPair::from_pkcs8(
            &ECDSA_P256_SHA256_ASN1_SIGNING,
            &leaf_key.serialize_der(),
            &rng,
        )
        .expect("leaf signing key");
        (cert.der().to_vec(), key)
    }

    /// A keyless v0.3 bundle (JSON) over `artifact`.
    pub fn sign(&self, artifact: &[u8], s: &Signing) -> String {
        let (leaf, key) = self.leaf(s);
        let rng = SystemRandom::new();
        let signature = key.sign(&rng, artifact).expect("sign").as_ref().to_vec();
        let body = serde_json::json!({
            "apiVersion": "0.0.1",
            "kind": "hashedrekord",
            "spec": {
                "data": { "hash": { "algorithm": "sha256", "value": hex::encode(sha256(artifact)) } },
                "signature": {
                    "content": STANDARD.encode(&signature),
                    "publicKey": { "content": STANDARD.encode(pem(&leaf)) }
                }
            }
        })
        .to_string();
        let log_id = sha256(&self.rekor_spki);
        let log_index = 7;
        let set_payload = format!(
            r#"{{"body":"{}","integratedTime":{},"logID":"{}","logIndex":{}}}"#,
            STANDARD.encode(body.as_bytes()),
            s.integrated_time,
            hex::encode(&log_id),
            log_index
        );
        let set = self
            .rekor
            .sign(&rng, set_payload.as_bytes())
            .expect("set")
            .as_ref()
            .to_vec();
        // A two-leaf tree: our entry at index 0, another beside it.
        let leaf_hash = sha256(&[&[0u8][..], body.as_bytes()].concat());
        let other = sha256(b"\x00another entry");
        let root = sha256(&[&[1u8][..], &leaf_hash, &other].concat());
        let note = format!("rekor.sigstore.test - 1\n2\n{}\n", STANDARD.encode(&root));
        let note_sig = self.rekor.sign(&rng, note.as_bytes()).expect("checkpoint");
        let envelope = format!(
            "{note}\n\u{2014} rekor.sigstore.test {}\n",
            STANDARD.encode([&log_id[..4], note_sig.as_ref()].concat())
        );
        serde_json::json!({
            "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "verificationMaterial": {
                "certificate": { "rawBytes": STANDARD.encode(&leaf) },
                "tlogEntries": [{
                    "logIndex": log_index.to_string(),
                    "logId": { "keyId": STANDARD.encode(&log_id) },
                    "kindVersion": { "kind": "hashedrekord", "version": "0.0.1" },
                    "integratedTime": s.integrated_time.to_string(),
                    "inclusionPromise": { "signedEntryTimestamp": STANDARD.encode(&set) },
                    "inclusionProof": {
                        "logIndex": "0",
                        "rootHash": STANDARD.encode(&root),
                        "treeSize": "2",
                        "hashes": [STANDARD.encode(&other)],
                        "checkpoint": { "envelope": envelope }
                    },
                    "canonicalizedBody": STANDARD.encode(body.as_bytes())
                }]
            },
            "messageSignature": {
                "messageDigest": { "algorithm": "SHA2_256", "digest": STANDARD.encode(sha256(artifact)) },
                "signature": STANDARD.encode(&signature)
            }
        })
        .to_string()
    }
}
