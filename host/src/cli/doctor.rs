//! `faxbot doctor`: which protections this host can give plugins, whether the fax
//! transports of a state directory work, and whether its interpreted runtimes start.
//!
//! The core refuses to start plugins below the configured minimum; this shows an operator,
//! before that happens, which jail layers the kernel and the core's privileges support. With
//! a state directory (`--dir`, `FAXBOT_STATE_DIR`, or `/var/lib/faxbot` when it holds a
//! `faxbot.toml`) it also checks each configured transport's reachability and credentials,
//! and starts each `[runtimes.NAME]` interpreter in the real jail.

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
    /// The state directory whose transports to check.
    #[arg(long, env = "FAXBOT_STATE_DIR")]
    dir: Option<std::path::PathBuf>,
}

const DEFAULT_STATE_DIR: &str = "/var/lib/faxbot";

/// Prints the jail's layer report and the transports' checks; exit 0 when every layer is
/// available and every transport healthy, 1 otherwise.
pub fn run(args: DoctorArgs) -> Result<ExitCode> {
    let report = jail::check();
    let dir = args.dir.clone().or_else(|| {
        let default = std::path::PathBuf::from(DEFAULT_STATE_DIR);
        default
            .join(crate::config::CONFIG_FILE_NAME)
            .is_file()
            .then_some(default)
    });
    let transports = match &dir {
        Some(dir) => Some(crate::cli::doctor_transports::check(dir)?),
        None => None,
    };
    let runtimes = match &dir {
        Some(dir) => Some(crate::cli::doctor_runtimes::check(dir)?),
        None => None,
    };
    let runtimes_ok = runtimes
        .as_ref()
        .is_none_or(|checks| checks.iter().all(|c| c.starts));
    let transports_ok = transports
        .as_ref()
        .is_none_or(|checks| checks.iter().all(|c| c.ok));
    if args.json {
        let mut value = serde_json::to_value(&report)?;
        if let (Some(map), Some(checks)) = (value.as_object_mut(), &transports) {
            map.insert("transports".into(), serde_json::to_value(checks)?);
        }
        if let (Some(map), Some(checks)) = (value.as_object_mut(), &runtimes) {
            map.insert("runtimes".into(), serde_json::to_value(checks)?);
        }
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        println!("plugin jail mode: {}", report.mode);
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
        if let Some(checks) = &transports {
            println!("fax transports:");
            for check in checks {
                let state = if check.ok { "ok" } else { "FAILED" };
                println!("  {:<10} {:<7} {}", check.transport, state, check.detail);
            }
        }
        match &runtimes {
            Some(checks) if checks.is_empty() => println!(
                "runtimes: none enabled (script plugins cannot start; see [runtimes] in faxbot.toml)"
            ),
            Some(checks) => {
                println!("runtimes for script plugins:");
                for r in checks {
                    let state = if r.starts { "starts" } else { "FAILS" };
                    println!(
                        "  {:<10} {:<7} {} ({})",
                        r.name,
                        state,
                        r.interpreter.display(),
                        r.detail
                    );
                }
            }
            None => {}
        }
    }
    Ok(if report.complete() && transports_ok && runtimes_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
