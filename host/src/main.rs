//! `faxbot`: the core daemon and its admin command line.

mod cli;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// The faxbot core: audit trail, PHI redaction, plugin host.
#[derive(Debug, Parser)]
#[command(name = "faxbot", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The audit trail: verify its chain, query records, export JSON Lines.
    Audit(cli::audit::AuditArgs),
    /// Which plugin jail layers this host supports (exit 1 when any is missing).
    Doctor(cli::doctor::DoctorArgs),
    /// Redact PHI from standard input; write or score the labelled evaluation corpus.
    Redact(cli::redact::RedactArgs),
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Audit(args) => cli::audit::run(args),
        Command::Doctor(args) => cli::doctor::run(args),
        Command::Redact(args) => cli::redact::run(args),
    };
    result.unwrap_or_else(|error| {
        eprintln!("faxbot: {error:#}");
        ExitCode::from(2)
    })
}
