//! Verification time of a 10 MiB package for each signature scheme, beside a baseline of a
//! plain SHA-256 over the same bytes, in the same run.
//!
//! `cargo bench -p faxbot-policy --bench verify`
//!
//! - `sha256_baseline`: SHA-256 of the 10 MiB `.fxp` bytes (the floor for any digest);
//! - `read_package`: gunzip, tar parsing with every check, manifest validation and the
//!   canonical digest (what every scheme needs before it verifies anything);
//! - `<scheme>/full`: `read_package` + trust-store verification with that scheme;
//! - `<scheme>/signature_only`: the trust-store verification alone, digest already known.

#[path = "../tests/common/mod.rs"]
mod common;

use common::signers::{CosignPublisher, PgpPublisher};
use common::{MANIFEST, Raw, gzip, noise, tar};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use faxbot_policy::manifest::ResourceCeilings;
use faxbot_policy::package::{Package, PackageLimits, read_package, sha256};
use faxbot_policy::signature::ed25519::Ed25519Keypair;
use faxbot_policy::signature::openpgp::OpenPgpCert;
use faxbot_policy::signature::sigstore::SigstoreKey;
use faxbot_policy::signature::{Scheme, SignatureFile};
use faxbot_policy::trust::{PublicKey, TierRequirement, TrustStore, TrustTier, TrustedKey};
use std::hint::black_box;
use std::time::{SystemTime, UNIX_EPOCH};

const SIZE: usize = 10 << 20;

fn read(bytes: &[u8]) -> Package {
    read_package(
        bytes,
        &PackageLimits::default(),
        &ResourceCeilings::default(),
    )
    .expect("valid")
}

fn bench(c: &mut Criterion) {
    // One 10 MiB package: a 10 MiB incompressible file beside the manifest and entry.
    let bytes = gzip(&tar(&[
        Raw::file("faxbot-plugin.toml", MANIFEST.as_bytes()),
        Raw::exe("files/bin/plugin", b"#!/bin/true\n"),
        Raw::file("files/share/blob", &noise(SIZE, 42)),
    ]));
    let package = read(&bytes);
    let digest = package.digest();
    let now = u64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock")
            .as_millis(),
    )
    .expect("fits");

    let ed = Ed25519Keypair::generate().expect("rng");
    let pgp = PgpPublisher::new(None);
    let cosign = CosignPublisher::new();
    let cosign_key = SigstoreKey::from_pem(&cosign.public_pem).expect("pem");
    let signatures = [
        (Scheme::Ed25519, SignatureFile::ed25519(&ed, &digest)),
        (
            Scheme::Openpgp,
            SignatureFile {
                scheme: Scheme::Openpgp,
                digest,
                key: pgp.fingerprint(),
                signature: pgp.sign(&digest),
            },
        ),
        (
            Scheme::Sigstore,
            SignatureFile {
                scheme: Scheme::Sigstore,
                digest,
                key: cosign_key.fingerprint().to_string(),
                signature: cosign.sign_blob(&digest),
            },
        ),
    ];
    let mut store = TrustStore::new();
    for key in [
        PublicKey::Ed25519(ed.public_key()),
        PublicKey::Openpgp(Box::new(
            OpenPgpCert::parse(&pgp.public_armored).expect("cert"),
        )),
        PublicKey::Sigstore(Box::new(cosign_key.clone())),
    ] {
        store
            .add_key(TrustedKey {
                publisher: "acme".into(),
                tier: TrustTier::Curated,
                key,
                note: String::new(),
            })
            .expect("add");
    }

    let mut group = c.benchmark_group("verify_10mib_package");
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.sample_size(20);
    group.bench_function("sha256_baseline", |b| b.iter(|| sha256(black_box(&bytes))));
    group.bench_function("read_package", |b| b.iter(|| read(black_box(&bytes))));
    for (scheme, sig) in &signatures {
        group.bench_function(format!("{scheme}/full"), |b| {
            b.iter(|| {
                let p = read(black_box(&bytes));
                store
                    .verify(&p, Some(sig), TierRequirement::CuratedOnly, now)
                    .expect("trusted")
            })
        });
        group.bench_function(format!("{scheme}/signature_only"), |b| {
            b.iter(|| {
                store
                    .verify_digest(
                        black_box(&digest),
                        "acme",
                        Some(sig),
                        TierRequirement::CuratedOnly,
                        now,
                    )
                    .expect("trusted")
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
