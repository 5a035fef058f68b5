//! `faxbot`: the core daemon and its admin command line.

mod cli;
mod client;
mod config;
mod init;
mod runtimes;
mod serve;

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
    /// Create a state directory: config, key material, trust store, first admin key.
    Init(init::InitArgs),
    /// Run the daemon: the HTTP API and the plugins an admin approved.
    Serve(serve::ServeArgs),
    /// Plugins on a running daemon: list, show, install, approve, reject, start, stop, uninstall.
    Plugin(client::PluginArgs),
    /// API keys on a running daemon: create, list, revoke.
    Key(client::KeyArgs),
    /// The trust store of a running daemon: list, add a key, revoke a key or a package.
    Trust(client::TrustArgs),
    /// Tenants on a running daemon: list, create.
    Tenant(client::TenantArgs),
}

/// Operator logs on stderr (`RUST_LOG` filters; warnings and errors by default).
fn logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Audit(args) => cli::audit::run(args),
        Command::Doctor(args) => cli::doctor::run(args),
        Command::Redact(args) => cli::redact::run(args),
        Command::Init(args) => init::run(args),
        Command::Serve(args) => {
            logging();
            serve::run(args)
        }
        Command::Plugin(args) => client::plugin(args),
        Command::Key(args) => client::key(args),
        Command::Trust(args) => client::trust(args),
        Command::Tenant(args) => client::tenant(args),
    };
    result.unwrap_or_else(|error| {
        eprintln!("faxbot: {error:#}");
        ExitCode::from(2)
    })
}
