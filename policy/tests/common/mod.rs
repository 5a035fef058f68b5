//! Helpers the integration tests share: a valid manifest and a raw tar writer that can
//! produce what well-behaved tar libraries refuse to write.
#![allow(dead_code)]

#[cfg(feature = "sigstore")]
pub mod local_sigstore;
pub mod signers;

use flate2::Compression;
use flate2::write::GzEncoder;
use std::io::Write;

/// A minimal valid manifest whose entry is `bin/plugin`.
pub const MANIFEST: &str = r#"id = "hello-plugin"
name = "Hello"
version = "1.0.0"
publisher = "acme"
min_core_version = "0.1.0"
entry = "bin/plugin"
hipaa_compliant = true

[capabilities]
subscribe = ["fax.job.*"]
"#;

/// One raw tar entry.
pub struct Raw {
    pub name: Vec<u8>,
    pub kind: u8,
    pub mode: u32,
    pub data: Vec<u8>,
    pub link: Vec<u8>,
}

impl Raw {
    pub fn file(name: &str, data: &[u8]) -> Self {
        Self {
            name: name.as_bytes().to_vec(),
            kind: b'0',
            mode: 0o644,
            data: data.to_vec(),
            link: Vec::new(),
        }
    }
    pub fn exe(name: &str, data: &[u8]) -> Self {
        Self {
            mode: 0o755,
            ..Self::file(name, data)
        }
    }
    pub fn kind(name: &str, kind: u8) -> Self {
        Self {
            kind,
            ..Self::file(name, b"")
        }
    }
    /// A PAX extended header (`x`) holding `data`.
    pub fn pax(data: &[u8]) -> Self {
        Self {
            data: data.to_vec(),
            ..Self::kind("PaxHeader", b'x')
        }
    }
    /// A GNU long-name member (`L`) holding `data`.
    pub fn long_name(data: &[u8]) -> Self {
        Self {
            data: data.to_vec(),
            ..Self::kind("././@LongLink", b'L')
        }
    }
    pub fn link(name: &str, kind: u8, target: &str) -> Self {
        Self {
            link: target.as_bytes().to_vec(),
            ..Self::kind(name, kind)
        }
    }
}

fn octal(field: &mut [u8], value: u64) {
    let s = format!("{:0width$o}\0", value, width = field.len() - 1);
    field.copy_from_slice(s.as_bytes());
}

/// A ustar header block, checksum computed.
pub fn header(e: &Raw) -> [u8; 512] {
    let mut h = [0u8; 512];
    let n = e.name.len().min(100);
    h[..n].copy_from_slice(&e.name[..n]);
    octal(&mut h[100..108], u64::from(e.mode));
    octal(&mut h[108..116], 0);
    octal(&mut h[116..124], 0);
    octal(&mut h[124..136], e.data.len() as u64);
    octal(&mut h[136..148], 0);
    h[156] = e.kind;
    let l = e.link.len().min(100);
    h[157..157 + l].copy_from_slice(&e.link[..l]);
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|b| u32::from(*b)).sum();
    let s = format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(s.as_bytes());
    h
}

/// An uncompressed tar of these entries, with the end-of-archive blocks.
pub fn tar(entries: &[Raw]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in entries {
        out.extend_from_slice(&header(e));
        out.extend_from_slice(&e.data);
        let pad = (512 - e.data.len() % 512) % 512;
        out.extend(std::iter::repeat_n(0u8, pad));
    }
    out.extend_from_slice(&[0u8; 1024]);
    out
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(bytes).expect("in memory");
    enc.finish().expect("in memory")
}

/// A gzipped tar: manifest, executable entry, then `extra`.
pub fn package_with(extra: Vec<Raw>) -> Vec<u8> {
    let mut entries = vec![
        Raw::file("faxbot-plugin.toml", MANIFEST.as_bytes()),
        Raw::exe("files/bin/plugin", b"#!/bin/true\n"),
    ];
    entries.extend(extra);
    gzip(&tar(&entries))
}

/// Deterministic bytes that do not compress (xorshift).
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}
