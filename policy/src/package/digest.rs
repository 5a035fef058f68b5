//! The package's identity: a canonical SHA-256 digest over the manifest and every file.
//!
//! ```text
//! sha256(
//!   "faxbot-package-v1\n"
//!   "manifest <hex sha256 of the manifest bytes>\n"
//!   for each file, sorted by path (byte order), path relative to files/:
//!   "file <hex sha256 of contents> <mode, 4 octal digits> <size in bytes> <path>\n"
//! )
//! ```
//! Paths cannot hold spaces or newlines (see [`super::path`]), so the encoding is
//! unambiguous. Signatures are made over [`PackageDigest::signing_payload`].

use super::{PackageEntry, PackageFile};
use ring::digest::{Context, SHA256, digest};
use std::collections::BTreeMap;
use std::fmt;

/// A package digest; serialised as `sha256:<hex>`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct PackageDigest(pub [u8; 32]);

impl TryFrom<String> for PackageDigest {
    type Error = BadDigest;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<PackageDigest> for String {
    fn from(d: PackageDigest) -> Self {
        d.to_string()
    }
}

/// A digest string that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a package digest (expected sha256:<64 hex digits>)")]
pub struct BadDigest(pub String);

impl PackageDigest {
    /// The bytes every signature scheme signs: `faxbot-package-signature-v1\nsha256:<hex>\n`.
    /// A publisher can write these to a file and sign it with `cosign sign-blob` or
    /// `gpg --detach-sign`.
    pub fn signing_payload(&self) -> Vec<u8> {
        format!("faxbot-package-signature-v1\n{self}\n").into_bytes()
    }

    /// Parses `sha256:<hex>`.
    pub fn parse(text: &str) -> Result<Self, BadDigest> {
        let bad = || BadDigest(text.chars().take(80).collect());
        let hex_part = text.strip_prefix("sha256:").ok_or_else(bad)?;
        if hex_part.len() != 64 || hex_part.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(bad());
        }
        let mut out = [0u8; 32];
        hex::decode_to_slice(hex_part, &mut out).map_err(|_| bad())?;
        Ok(Self(out))
    }
}

impl fmt::Display for PackageDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", hex::encode(self.0))
    }
}

/// SHA-256 of some bytes.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest(&SHA256, bytes).as_ref());
    out
}

/// The canonical digest of a manifest and a set of files.
pub fn canonical_digest(manifest: &[u8], files: &BTreeMap<String, PackageFile>) -> PackageDigest {
    digest_of(
        manifest,
        files
            .iter()
            .map(|(path, f)| (path.as_str(), f.sha256, f.mode, f.contents.len() as u64)),
    )
}

/// The canonical digest of a manifest and the listing of its files (hash, mode, size):
/// the same value as [`canonical_digest`] over the files themselves.
pub fn canonical_digest_of_entries(
    manifest: &[u8],
    entries: &BTreeMap<String, PackageEntry>,
) -> PackageDigest {
    digest_of(
        manifest,
        entries
            .iter()
            .map(|(path, e)| (path.as_str(), e.sha256, e.mode, e.size)),
    )
}

/// `files` must come sorted by path (a `BTreeMap`'s order).
fn digest_of<'a>(
    manifest: &[u8],
    files: impl Iterator<Item = (&'a str, [u8; 32], u32, u64)>,
) -> PackageDigest {
    let mut ctx = Context::new(&SHA256);
    ctx.update(b"faxbot-package-v1\n");
    ctx.update(format!("manifest {}\n", hex::encode(sha256(manifest))).as_bytes());
    for (path, sha, mode, size) in files {
        ctx.update(format!("file {} {mode:04o} {size} {path}\n", hex::encode(sha)).as_bytes());
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    PackageDigest(out)
}
