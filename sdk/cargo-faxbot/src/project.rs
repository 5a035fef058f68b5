//! The plugin project a command works on: its directory and its validated manifest.

use crate::CheckFailed;
use anyhow::Context;
use faxbot_policy::manifest::{MANIFEST_FILE, Manifest, ResourceCeilings};
use std::path::{Path, PathBuf};

/// The environment variable that lets a manifest name internal egress targets (a plugin
/// developed against a local test server); a host refuses such a package unless its
/// operator allows the same.
pub const ALLOW_INTERNAL_EGRESS: &str = "FAXBOT_ALLOW_INTERNAL_EGRESS";

/// The host ceilings `cargo faxbot` validates manifests against: a host's defaults, with
/// internal egress targets allowed only when `FAXBOT_ALLOW_INTERNAL_EGRESS=1`.
pub fn ceilings() -> ResourceCeilings {
    ResourceCeilings {
        allow_internal_egress: std::env::var_os(ALLOW_INTERNAL_EGRESS).is_some_and(|v| v == "1"),
        ..ResourceCeilings::default()
    }
}

/// A plugin project on disk.
#[derive(Debug)]
pub struct Project {
    /// The directory holding `faxbot-plugin.toml` and `Cargo.toml`.
    pub dir: PathBuf,
    /// The manifest's bytes, exactly as they will be packed.
    pub manifest_bytes: Vec<u8>,
    /// The manifest, validated.
    pub manifest: Manifest,
}

impl Project {
    /// Reads and validates the manifest of the project at `dir` (default: the current
    /// directory). An invalid manifest is a failed check listing every problem with its
    /// field path.
    pub fn open(dir: Option<&Path>) -> anyhow::Result<Self> {
        let dir = match dir {
            Some(dir) => dir.to_owned(),
            None => std::env::current_dir().context("the current directory")?,
        };
        let path = dir.join(MANIFEST_FILE);
        let manifest_bytes = std::fs::read(&path).with_context(|| {
            format!(
                "{}: cannot read the manifest (is this a plugin project? `cargo faxbot new NAME` makes one)",
                path.display()
            )
        })?;
        let manifest = Manifest::parse_bytes(&manifest_bytes, &ceilings()).map_err(|errors| {
            let mut text = format!("{} is not valid:", path.display());
            for error in &errors.0 {
                text.push_str(&format!("\n  {error}"));
            }
            CheckFailed(text)
        })?;
        Ok(Self {
            dir,
            manifest_bytes,
            manifest,
        })
    }

    /// The cargo binary target the manifest's `entry` names: its last path component.
    pub fn bin_name(&self) -> &str {
        self.manifest
            .entry
            .rsplit('/')
            .next()
            .unwrap_or(&self.manifest.entry)
    }
}
