//! `cargo faxbot`: from nothing to a signed, tested faxbot plugin package.
//!
//! Every command works on the plugin project in the current directory (or `--project`),
//! whose `faxbot-plugin.toml` is the manifest the host will read. Scripts read `--json`;
//! exit status 0 means success, 1 a failed check (bad manifest, bad signature, failed test),
//! 2 a usage or environment error.

mod build;
mod conform;
mod keys;
mod layout;
mod new;
mod pack;
mod progress;
mod project;
mod runtimes;
mod test_cmd;
mod verify_blob;

mod harness;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// The faxbot plugin author's tool.
#[derive(Debug, Parser)]
#[command(name = "cargo faxbot", bin_name = "cargo faxbot", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a plugin project that builds, tests and packs out of the box.
    New(new::NewArgs),
    /// Release build of the plugin binary named by the manifest's `entry`.
    Build(build::BuildArgs),
    /// Generate an Ed25519 signing key pair.
    Keygen(keys::KeygenArgs),
    /// Sign a package: a detached Ed25519 signature over its canonical digest.
    Sign(keys::SignArgs),
    /// Verify a package's signature against a public key or a trust store.
    Verify(keys::VerifyArgs),
    /// Verify a keyless Sigstore bundle over any file, offline, against a trusted root.
    VerifyBlob(verify_blob::VerifyBlobArgs),
    /// Validate the manifest (every error at once) and write the `.fxp` package.
    Pack(pack::PackArgs),
    /// Run the plugin in the real jail under a local harness host and report.
    Test(test_cmd::TestArgs),
    /// Check a plugin in any language against the ABI: every edge case a host may send.
    Conform(conform::ConformArgs),
}

/// A failed check (exit 1), as opposed to a usage or environment error (exit 2).
#[derive(Debug)]
pub struct CheckFailed(pub String);

impl std::fmt::Display for CheckFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CheckFailed {}

fn main() -> ExitCode {
    // As a cargo subcommand the second argument is the subcommand's own name.
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == "faxbot") {
        args.remove(1);
    }
    let cli = Cli::parse_from(args);
    let outcome = match cli.command {
        Command::New(a) => new::run(a),
        Command::Build(a) => build::run(a).map(|_| ()),
        Command::Keygen(a) => keys::keygen(a),
        Command::Sign(a) => keys::sign(a),
        Command::Verify(a) => keys::verify(a),
        Command::VerifyBlob(a) => verify_blob::run(a),
        Command::Pack(a) => pack::run(a),
        Command::Test(a) => test_cmd::run(a),
        Command::Conform(a) => conform::run(a),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let code = if error.downcast_ref::<CheckFailed>().is_some() {
                1
            } else {
                2
            };
            eprintln!("cargo faxbot: {error:#}");
            ExitCode::from(code)
        }
    }
}
