//! `faxbot doctor`: which protections this host can give plugins.
//!
//! The core refuses to start plugins below the configured minimum; this shows an operator,
//! before that happens, which jail layers the kernel and the core's privileges support.

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use faxbot_jail as jail;

/// Options of `faxbot doctor`.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Machine-readable JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// Prints the jail's layer report; exit 0 when every layer is available, 1 otherwise.
pub fn run(args: DoctorArgs) -> Result<ExitCode> {
    let report = jail::check();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!("plugin jail layers on this host:");
        for layer in &report.layers {
            let state = if layer.available { "ok" } else { "MISSING" };
            println!("  {:<10} {:<7} {}", layer.layer, state, layer.detail);
        }
        if !report.complete() {
            println!(
                "plugins will not start until the missing layers are available or explicitly allowed to be missing"
            );
        }
    }
    Ok(if report.complete() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
