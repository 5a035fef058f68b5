//! `faxbot audit`: verify the chain, query records, export them as JSON Lines.
//!
//! These commands only read: they load the existing key (never create one) and hold no lock,
//! so they can run beside a live daemon. A record being written at that moment shows as an
//! incomplete tail, which `query` and `export` skip and `verify` reports.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use faxbot_audit::keys::{KEY_FILE_NAME, KeyMaterial};
use faxbot_audit::{
    self as audit, self, Action, Actor, AuditEvent, AuditTrail, CorrelationId, Filter, Outcome,
    PhiRedactor, Target, TenantId, Timestamp,
};

/// `faxbot audit …`
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// The core's state directory (holds core.key and audit/).
    #[arg(
        long,
        env = "FAXBOT_STATE_DIR",
        default_value = "/var/lib/faxbot",
        global = true
    )]
    state_dir: PathBuf,
    #[command(subcommand)]
    command: AuditCommand,
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Check the whole chain and the head checkpoint; name the first bad record.
    Verify,
    /// Print the records that match the filters, one per line.
    Query {
        #[command(flatten)]
        filter: FilterArgs,
        /// Print JSON Lines instead of columns.
        #[arg(long)]
        json: bool,
    },
    /// Write the records that match the filters as JSON Lines.
    Export {
        #[command(flatten)]
        filter: FilterArgs,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Append synthetic records with concurrent writers (for crash, fault and load tests).
    #[command(hide = true)]
    Exercise(ExerciseArgs),
}

#[derive(Debug, Args)]
struct FilterArgs {
    /// Records at or after this time (RFC 3339 UTC, or a date).
    #[arg(long)]
    since: Option<Timestamp>,
    /// Records before this time (RFC 3339 UTC, or a date).
    #[arg(long)]
    until: Option<Timestamp>,
    /// Records by this actor: `system`, `api_key:<id>` or `plugin:<id>`.
    #[arg(long)]
    actor: Option<Actor>,
    /// Records with this action; `plugin.*` matches a whole family.
    #[arg(long)]
    action: Option<String>,
    /// Records by or about this plugin.
    #[arg(long)]
    plugin: Option<String>,
    /// Records with this outcome: success, denied or failed.
    #[arg(long)]
    outcome: Option<Outcome>,
    /// Records for this tenant.
    #[arg(long)]
    tenant: Option<TenantId>,
}

impl From<FilterArgs> for Filter {
    fn from(a: FilterArgs) -> Self {
        Filter {
            since: a.since,
            until: a.until,
            actor: a.actor,
            action: a.action,
            plugin: a.plugin,
            outcome: a.outcome,
            tenant: a.tenant,
        }
    }
}

#[derive(Debug, Args)]
struct ExerciseArgs {
    /// Concurrent writers.
    #[arg(long, default_value_t = 4)]
    writers: usize,
    /// Records per writer; 0 means until killed.
    #[arg(long, default_value_t = 100)]
    records: u64,
    /// Size of each record's details payload in bytes.
    #[arg(long, default_value_t = 64)]
    detail_bytes: usize,
    /// After each committed record, append "performed <seq>" here: the action the record
    /// guards. A refused record must never be followed by its action.
    #[arg(long)]
    actions_file: Option<PathBuf>,
}

/// Runs `faxbot audit …`.
pub fn run(args: AuditArgs) -> Result<ExitCode> {
    let dir = args.state_dir.join(audit::AUDIT_DIR_NAME);
    match args.command {
        AuditCommand::Verify => verify(&args.state_dir, &dir),
        AuditCommand::Query { filter, json } => query(&args.state_dir, &dir, filter.into(), json),
        AuditCommand::Export { filter, output } => {
            export(&args.state_dir, &dir, filter.into(), output.as_deref())
        }
        AuditCommand::Exercise(exercise_args) => exercise(&args.state_dir, &dir, exercise_args),
    }
}

fn load_key(state_dir: &Path) -> Result<ring::hmac::Key> {
    let keys = KeyMaterial::load(&state_dir.join(KEY_FILE_NAME))
        .context("loading the core's key material")?;
    Ok(keys.audit_chain_key())
}

fn verify(state_dir: &Path, dir: &Path) -> Result<ExitCode> {
    let key = load_key(state_dir)?;
    match audit::verify_trail(dir, &key) {
        Ok(ok) => {
            println!(
                "audit trail {} OK: {} records, chain and head checkpoint verified",
                ok.trail_id, ok.records
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(audit::ReadError::Break(broken)) => {
            println!(
                "audit trail BROKEN at record seq {}: {}",
                broken.seq, broken.reason
            );
            println!("  (line {}, byte offset {})", broken.line, broken.offset);
            Ok(ExitCode::from(1))
        }
        Err(other) => Err(other.into()),
    }
}

fn query(state_dir: &Path, dir: &Path, filter: Filter, json: bool) -> Result<ExitCode> {
    let key = load_key(state_dir)?;
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let summary = if json {
        audit::export_json_lines(dir, &key, &filter, &mut out)?
    } else {
        let summary = audit::query(dir, &key, &filter, |r| {
            let dash = || "-".to_string();
            writeln!(
                out,
                "{:>8} {} {} {} {} {} {} {} {}",
                r.seq,
                r.time,
                r.actor,
                r.tenant.as_ref().map_or_else(dash, ToString::to_string),
                r.action,
                r.target.as_ref().map_or_else(dash, ToString::to_string),
                r.outcome,
                r.correlation_id
                    .as_ref()
                    .map_or_else(dash, ToString::to_string),
                r.details
            )
        })?;
        out.flush()?;
        summary
    };
    report_tail(summary);
    Ok(ExitCode::SUCCESS)
}

fn export(state_dir: &Path, dir: &Path, filter: Filter, output: Option<&Path>) -> Result<ExitCode> {
    let key = load_key(state_dir)?;
    let summary = match output {
        Some(path) => {
            let file =
                File::create(path).with_context(|| format!("creating {}", path.display()))?;
            let mut out = BufWriter::new(file);
            let summary = audit::export_json_lines(dir, &key, &filter, &mut out)?;
            out.into_inner()
                .map_err(|e| e.into_error())
                .and_then(|f| f.sync_all())
                .with_context(|| format!("writing {}", path.display()))?;
            summary
        }
        None => {
            audit::export_json_lines(dir, &key, &filter, &mut BufWriter::new(io::stdout().lock()))?
        }
    };
    eprintln!(
        "exported {} of {} records",
        summary.matched, summary.scanned
    );
    report_tail(summary);
    Ok(ExitCode::SUCCESS)
}

fn report_tail(summary: audit::QuerySummary) {
    if let Some(bytes) = summary.incomplete_tail {
        eprintln!(
            "note: the trail ends in an incomplete record ({bytes} bytes): a write in progress, or a torn tail the next start-up repairs"
        );
    }
}

fn exercise(state_dir: &Path, dir: &Path, args: ExerciseArgs) -> Result<ExitCode> {
    let keys = KeyMaterial::load_or_create(state_dir).context("loading the core's key material")?;
    let (trail, report) = AuditTrail::open(dir, &keys, Arc::new(PhiRedactor::new(&keys)))?;
    if let Some(repair) = &report.repaired {
        println!(
            "repaired torn tail: cut {} bytes after seq {}, reported as seq {}",
            repair.removed_bytes, repair.last_good_seq, repair.reported_as_seq
        );
    }
    println!(
        "opened trail {} with {} records",
        report.trail_id, report.records
    );
    let actions = match &args.actions_file {
        Some(path) => Some(Arc::new(std::sync::Mutex::new(
            File::options()
                .create(true)
                .append(true)
                .open(path)
                .with_context(|| format!("opening {}", path.display()))?,
        ))),
        None => None,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .context("starting the async runtime")?;
    // Numbers, not text: the redactor keeps them, so the records really are this large.
    let padding = vec![0u8; args.detail_bytes / 2];
    let refused = runtime.block_on(async {
        let mut tasks = Vec::new();
        for writer in 0..args.writers {
            let trail = trail.clone();
            let actions = actions.clone();
            let padding = padding.clone();
            let records = args.records;
            tasks.push(tokio::spawn(async move {
                let mut n = 0u64;
                while records == 0 || n < records {
                    n += 1;
                    let event = exercise_event(writer, n, &padding)?;
                    match trail.record(event).await {
                        Ok(receipt) => {
                            println!("committed {}", receipt.seq);
                            if let Some(actions) = &actions {
                                let mut file = actions
                                    .lock()
                                    .map_err(|_| anyhow::anyhow!("actions file lock poisoned"))?;
                                writeln!(file, "performed {}", receipt.seq)?;
                            }
                        }
                        Err(error) => {
                            println!("refused: {error}");
                            return Ok::<bool, anyhow::Error>(true);
                        }
                    }
                }
                Ok(false)
            }));
        }
        let mut refused = false;
        for task in tasks {
            refused |= task.await.context("writer task panicked")??;
        }
        Ok::<bool, anyhow::Error>(refused)
    })?;
    Ok(if refused {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

fn exercise_event(writer: usize, n: u64, padding: &[u8]) -> Result<AuditEvent> {
    Ok(AuditEvent::new(
        Actor::plugin(format!("exercise.writer{writer}"))?,
        Action::new("capability.kv.set")?,
        Outcome::Success,
    )
    .with_tenant(TenantId::new("exercise")?)
    .with_target(Target::new("kv", format!("key-{n}"))?)
    .with_correlation_id(CorrelationId::new(format!("w{writer}-{n}"))?)
    .with_details(serde_json::json!({"writer": writer, "n": n, "padding": padding})))
}
