//! `cargo faxbot verify-blob FILE --bundle BUNDLE --trusted-root ROOT
//! --certificate-identity SAN --certificate-oidc-issuer ISSUER`: verifies a keyless
//! Sigstore bundle over any file, offline, as `cosign verify-blob` and `sigstore verify
//! identity` do, with the policy crate's verifier. Exit 0 only when everything verifies.

use crate::CheckFailed;
use anyhow::Context;
use faxbot_policy::signature::sigstore::{KeylessIdentity, TrustedRoot, verify_keyless};
use std::path::PathBuf;

/// Arguments of `cargo faxbot verify-blob`.
#[derive(Debug, clap::Args)]
pub struct VerifyBlobArgs {
    /// The file that was signed.
    pub file: PathBuf,
    /// The Sigstore bundle (JSON, v0.1–v0.3).
    #[arg(long)]
    pub bundle: PathBuf,
    /// The Sigstore trusted root (`trusted_root.json`).
    #[arg(long)]
    pub trusted_root: PathBuf,
    /// The certificate identity (subject alternative name) to require, exactly.
    #[arg(long)]
    pub certificate_identity: String,
    /// The OIDC issuer to require, exactly.
    #[arg(long)]
    pub certificate_oidc_issuer: String,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Verifies; a refused bundle is a failed check (exit 1) with the reason.
pub fn run(args: VerifyBlobArgs) -> anyhow::Result<()> {
    let read = |path: &PathBuf| std::fs::read(path).with_context(|| path.display().to_string());
    let artifact = read(&args.file)?;
    let bundle = read(&args.bundle)?;
    let root = TrustedRoot::parse(&read(&args.trusted_root)?)
        .map_err(|e| CheckFailed(format!("{}: {e}", args.trusted_root.display())))?;
    let identity = KeylessIdentity {
        identity: args.certificate_identity,
        issuer: args.certificate_oidc_issuer,
    };
    let verified = verify_keyless(&artifact, &bundle, &root, &identity)
        .map_err(|e| CheckFailed(format!("{}: {e}", args.bundle.display())))?;
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "valid": true,
                "identity": verified.identity.identity,
                "issuer": verified.identity.issuer,
                "signed_at": verified.signed_at,
                "log_index": verified.log_index,
            })
        );
    } else {
        println!("Verified OK: {}", args.file.display());
        println!(
            "signed by {} ({}), log index {}",
            verified.identity.identity, verified.identity.issuer, verified.log_index
        );
    }
    Ok(())
}
