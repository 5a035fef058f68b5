//! `cargo faxbot test`: build, then run the plugin in the real jail under the harness host.

use crate::harness::{self, Options};
use crate::project::Project;
use crate::{CheckFailed, build};
use anyhow::{Context, bail};
use faxbot_supervisor::jail::spec::Layer;
use std::path::{Path, PathBuf};

/// Arguments of `cargo faxbot test`.
#[derive(Debug, clap::Args)]
pub struct TestArgs {
    /// The plugin project (default: the current directory).
    #[arg(long)]
    pub project: Option<PathBuf>,
    /// Test this already built binary instead of building.
    #[arg(long)]
    pub binary: Option<PathBuf>,
    /// The `faxbot-jail` binary (default: $FAXBOT_JAIL, then beside this tool, then $PATH).
    #[arg(long, env = "FAXBOT_JAIL")]
    pub jail: Option<PathBuf>,
    /// Seed of the synthetic PHI canaries (a different seed plants different values).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// A jail layer this host may lack (`cgroup`, `landlock`, ...); the jail says so loudly.
    #[arg(long = "allow-missing", value_name = "LAYER")]
    pub allow_missing: Vec<String>,
    /// Print the least-privilege `[capabilities]` section for what the plugin did.
    #[arg(long)]
    pub record: bool,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs the test and prints the report; a failed run is a failed check (exit 1).
pub fn run(args: TestArgs) -> anyhow::Result<()> {
    let project = Project::open(args.project.as_deref())?;
    let allow_missing = layers(&args.allow_missing)?;
    let jail = find_jail(args.jail.as_deref())?;
    let binary = match args.binary {
        Some(binary) => binary,
        None => build::build_release(&project, args.json)?,
    };
    let layout = crate::layout::stage(&project, &binary)?;
    let options = Options {
        jail,
        binary: layout.entry.clone(),
        app_dir: layout.root().to_owned(),
        seed: args.seed,
        allow_missing,
        record: args.record,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let step = crate::progress::Step::start("running the plugin in the jail", args.json);
    let report = match runtime.block_on(harness::run(&project, &options)) {
        Ok(report) => report,
        Err(error) => {
            // Scripts reading --json get a verdict even when the plugin never started.
            if args.json && error.downcast_ref::<CheckFailed>().is_some() {
                let failed = serde_json::json!({
                    "plugin": project.manifest.id,
                    "version": project.manifest.version.to_string(),
                    "passed": false,
                    "failures": [format!("{error:#}")],
                });
                println!(
                    "{}",
                    serde_json::to_string_pretty(&failed).context("report as JSON")?
                );
            }
            return Err(error);
        }
    };
    drop(step);
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).context("report as JSON")?
        );
    } else {
        print!("{}", report.render());
    }
    if report.passed {
        Ok(())
    } else {
        Err(CheckFailed(format!(
            "{} failed: {} problem(s)",
            report.plugin,
            report.failures.len()
        ))
        .into())
    }
}

/// The jail layers named by `--allow-missing`.
pub(crate) fn layers(names: &[String]) -> anyhow::Result<Vec<Layer>> {
    names
        .iter()
        .map(|name| {
            Layer::from_name(name).with_context(|| {
                let known: Vec<&str> = Layer::ALL.iter().map(|l| l.name()).collect();
                format!(
                    "--allow-missing {name:?}: not a jail layer (one of {})",
                    known.join(", ")
                )
            })
        })
        .collect()
}

/// The `faxbot-jail` to run plugins in.
pub(crate) fn find_jail(explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(path) = explicit {
        if path.is_file() {
            return Ok(path.to_owned());
        }
        bail!("faxbot-jail {}: no such file", path.display());
    }
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|d| d.join("faxbot-jail")));
    let on_path = std::env::var_os("PATH")
        .map(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join("faxbot-jail"))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    beside
        .into_iter()
        .chain(on_path)
        .find(|p| p.is_file())
        .context(
            "faxbot-jail was not found beside cargo-faxbot or on PATH; build it (`cargo build --release -p faxbot-jail --bin faxbot-jail`) and pass --jail or set FAXBOT_JAIL",
        )
}
