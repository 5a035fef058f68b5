//! `cargo faxbot conform --binary B`: the conformance kit for plugins in any language. It
//! runs the plugin in the real jail three times and drives it through what a host may send
//! (docs/abi.md): a refused handshake, then a session of health checks, unknown methods,
//! bodies that do not decode, notifications, stray cancels and responses, a cancelled call,
//! deadlines, parallel calls and shutdown, then the real supervisor's health checks and
//! stop. Each check is reported with what was seen; any failure is exit status 1.

mod checks;
mod peer;

use crate::project::Project;
use crate::{CheckFailed, layout};
use anyhow::Context;
use checks::{Check, Checks};
use faxbot_plugin_abi::methods::{Ack, Log, Metric};
use faxbot_plugin_abi::{Envelope, ErrorCode, Method, RpcError};
use faxbot_policy::capability::{Denial, Grants};
use faxbot_supervisor::capability::{
    AuditSink, CapabilityCheck, CapabilityHandler, DeniedCall, HandlerFuture,
};
use faxbot_supervisor::launch::JailedLauncher;
use faxbot_supervisor::output::{LogSink, OutputLine};
use faxbot_supervisor::plugin_config::{
    OperatorSettings, PluginFiles, handshake_terms, jail_spec_with_runtimes, runtime_for,
};
use faxbot_supervisor::session::SessionHooks;
use faxbot_supervisor::supervisor::{PluginConfig, RestartPolicy};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Arguments of `cargo faxbot conform`.
#[derive(Debug, clap::Args)]
pub struct ConformArgs {
    /// The plugin project whose manifest describes the binary (default: the current
    /// directory).
    #[arg(long)]
    pub project: Option<PathBuf>,
    /// The plugin program to check (any language; a script with the manifest's runtime).
    #[arg(long)]
    pub binary: PathBuf,
    /// The `faxbot-jail` binary (default: $FAXBOT_JAIL, then beside this tool, then $PATH).
    #[arg(long, env = "FAXBOT_JAIL")]
    pub jail: Option<PathBuf>,
    /// A jail layer this host may lack (`cgroup`, `landlock`, ...); the jail says so loudly.
    #[arg(long = "allow-missing", value_name = "LAYER")]
    pub allow_missing: Vec<String>,
    /// Print the checks as JSON.
    #[arg(long)]
    pub json: bool,
}

pub(crate) fn now_ms() -> u64 {
    crate::harness::now_ms()
}

/// The conformance host's capabilities: logs and metrics are accepted, nothing else is
/// served (the session answers those `unavailable`).
#[derive(Default)]
struct Quiet {
    lines: std::sync::Mutex<Vec<String>>,
}

impl CapabilityCheck for Quiet {
    fn permits(&self, _plugin_id: &str, _call: &Envelope) -> Result<(), Denial> {
        Ok(())
    }
}

impl CapabilityHandler for Quiet {
    fn handle<'a>(&'a self, _plugin_id: &'a str, call: Envelope) -> HandlerFuture<'a> {
        Box::pin(async move {
            let max = 1 << 20;
            let response = match call.method.as_str() {
                m if m == Log::NAME => Envelope::response::<Log>(call.id, &Ok(Ack {}), max),
                m if m == Metric::NAME => Envelope::response::<Metric>(call.id, &Ok(Ack {}), max),
                other => {
                    return Err(RpcError::new(
                        ErrorCode::Unavailable,
                        format!("{other}: the conformance host serves no capabilities"),
                    ));
                }
            };
            response
                .map(|e| e.body)
                .map_err(|e| RpcError::new(ErrorCode::Internal, e.to_string()))
        })
    }
}

impl AuditSink for Quiet {
    fn denied(&self, _call: &DeniedCall) {}
}

impl LogSink for Quiet {
    fn record(&self, line: OutputLine) {
        self.lines
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(format!("{line:?}"));
    }
}

/// Runs every check and prints them; a failed check is exit status 1.
pub fn run(args: ConformArgs) -> anyhow::Result<()> {
    let project = Project::open(args.project.as_deref())?;
    let allow_missing = crate::test_cmd::layers(&args.allow_missing)?;
    let jail = crate::test_cmd::find_jail(args.jail.as_deref())?;
    let layout = layout::stage(&project, &args.binary)?;
    let manifest = &project.manifest;
    let files = PluginFiles {
        jail: jail.clone(),
        entry: layout.entry.clone(),
        app_dir: layout.root().to_owned(),
    };
    let runtimes = crate::runtimes::for_project(&project)?;
    let spec = jail_spec_with_runtimes(manifest, &files, &allow_missing, &runtimes)
        .map_err(|e| CheckFailed(e.to_string()))?;
    let program = match runtime_for(manifest, &runtimes).map_err(|e| CheckFailed(e.to_string()))? {
        Some(runtime) => runtime.interpreter.clone(),
        None => layout.entry.clone(),
    };
    let launcher = JailedLauncher {
        jail,
        program,
        spec,
    };
    let grants = Grants::approve_all(
        manifest.id.clone(),
        manifest.version.clone(),
        manifest.capabilities.to_capabilities(),
        None,
    );
    let config = manifest.config.validate(&[]).map_err(|e| {
        CheckFailed(format!(
            "the manifest's settings need values the conformance host does not have (give each a default): {e}"
        ))
    })?;
    let mut settings = OperatorSettings {
        allow_missing: allow_missing.clone(),
        restart: RestartPolicy {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
            max_crashes: 1,
            window: Duration::from_secs(60),
        },
        health_interval: Duration::from_millis(200),
        health_deadline: Duration::from_secs(2),
        shutdown_deadline: Duration::from_secs(2),
        hard_stop_grace: Duration::from_secs(2),
        runtimes,
        ..OperatorSettings::default()
    };
    // A handshake edge case: the host's frame limit is below the plugin's offer.
    settings.limits.max_frame = 64 * 1024;
    let terms = handshake_terms(manifest, &grants, config.clone(), &settings, now_ms());
    let quiet = Arc::new(Quiet::default());
    let hooks = SessionHooks {
        check: quiet.clone(),
        handler: quiet.clone(),
        audit: quiet.clone(),
    };
    let supervised = PluginConfig::for_manifest(
        manifest,
        &grants,
        &files,
        config,
        &settings,
        hooks,
        quiet.clone(),
        now_ms(),
    )
    .map_err(|e| CheckFailed(e.to_string()))?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let step = crate::progress::Step::start("checking the plugin in the jail", args.json);
    let mut checks = Checks::default();
    runtime.block_on(async {
        checks::refused(&launcher, manifest, &mut checks).await;
        checks::session(&launcher, manifest, &terms, &mut checks).await;
        checks::supervised(supervised, &mut checks).await;
    });
    drop(step);
    let failed: Vec<&Check> = checks.0.iter().filter(|c| !c.passed).collect();
    if args.json {
        let report = serde_json::json!({
            "plugin": manifest.id,
            "version": manifest.version.to_string(),
            "passed": failed.is_empty(),
            "checks": checks.0,
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&report).context("report as JSON")?
        );
    } else {
        println!("conformance of {} {}", manifest.id, manifest.version);
        for check in &checks.0 {
            let verdict = if check.passed { "PASS" } else { "FAIL" };
            println!("  {verdict}  {}: {}", check.name, check.detail);
        }
        if !failed.is_empty() {
            let lines = quiet
                .lines
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            for line in lines.iter().rev().take(20).rev() {
                println!("  output: {line}");
            }
        }
        println!("{}", if failed.is_empty() { "PASS" } else { "FAIL" });
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(CheckFailed(format!(
            "{} failed {} of {} conformance checks",
            manifest.id,
            failed.len(),
            checks.0.len()
        ))
        .into())
    }
}
