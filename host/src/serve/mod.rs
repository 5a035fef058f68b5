//! `faxbot serve`: the one place the crates are wired together.
//!
//! Order: settings (refused with every problem listed), without root the core's own
//! hardening and cgroup leaf (`unprivileged.rs`), the core's key material, the audit
//! trail (fail-closed), the state store (migrated), the trust store, the jail's layer check,
//! the supervisor runtime, the API; then bind, reconcile (start what an admin asked to run),
//! print `listening on …`, tell systemd READY, and serve. SIGTERM drains requests and stops
//! plugins; SIGHUP reloads the live settings and the trust store (stopping plugins it no
//! longer trusts).

mod capabilities;
pub mod jobs;
pub mod logs;
pub mod runtime;
mod server;
pub mod transports;
mod unprivileged;
pub mod webhooks;

pub use server::install_crypto_provider;

use crate::config::{CONFIG_FILE_NAME, Config};
use anyhow::{Context, Result, bail};
use clap::Args;
use faxbot_api::{AppParts, AppState, lifecycle};
use faxbot_audit::keys::{KEY_FILE_NAME, KeyMaterial};
use faxbot_audit::{AUDIT_DIR_NAME, Actor, AuditTrail, Outcome, PhiRedactor};
use faxbot_redact::{PSEUDONYM_KEY_LABEL, PseudonymKey, Redactor};
use faxbot_store::{DATABASE_FILE_NAME, PackageArea, SqliteStore, Store};
use faxbot_supervisor::plugin_config::OperatorSettings;
use faxbot_supervisor::supervisor::RestartPolicy;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use tokio::signal::unix::{SignalKind, signal};

/// The trust store file's name inside the state directory.
pub const TRUST_FILE_NAME: &str = "trust.toml";
/// The package area's directory inside the state directory.
pub const PLUGINS_DIR_NAME: &str = "plugins";

/// Options of `faxbot serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The state directory `faxbot init` made.
    #[arg(long, env = "FAXBOT_STATE_DIR", default_value = "/var/lib/faxbot")]
    dir: PathBuf,
    /// Listen here instead of the config's `server.listen` (port 0 picks a free port).
    #[arg(long, value_name = "HOST:PORT")]
    listen: Option<String>,
}

fn operator_settings(config: &Config) -> OperatorSettings {
    let defaults = OperatorSettings::default();
    OperatorSettings {
        allow_missing: config.allow_missing_layers.clone(),
        restart: RestartPolicy {
            max_crashes: config.max_crashes,
            window: Duration::from_secs(config.restart_window_secs),
            ..RestartPolicy::default()
        },
        hello_deadline: Duration::from_secs(config.hello_timeout_secs),
        shutdown_deadline: Duration::from_secs(config.shutdown_timeout_secs),
        runtimes: config.runtimes.clone(),
        ..defaults
    }
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn notify(state: &[sd_notify::NotifyState<'_>]) {
    if let Err(e) = sd_notify::notify(state) {
        tracing::debug!(error = %e, "sd_notify");
    }
}

/// Runs the daemon until SIGTERM or SIGINT.
pub fn run(args: ServeArgs) -> Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("faxbot")
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(serve(args))
}

async fn serve(args: ServeArgs) -> Result<ExitCode> {
    server::install_crypto_provider();
    // Before anything can be signalled: SIGHUP's default action would end the process.
    let mut terminate = signal(SignalKind::terminate()).context("SIGTERM handler")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("SIGINT handler")?;
    let mut hangup = signal(SignalKind::hangup()).context("SIGHUP handler")?;
    let dir = args.dir;
    let mut config = Config::load(&dir).map_err(anyhow::Error::new)?;
    if let Some(listen) = &args.listen {
        config.listen = crate::config::parse_listen(listen)
            .map_err(|why| anyhow::anyhow!("--listen: {why}"))?;
    }
    let plaintext = config.tls.is_none();
    if plaintext && !config.listen.ip().is_loopback() {
        if !config.allow_plaintext_non_loopback {
            bail!(
                "refusing to serve plaintext HTTP on {}, which is not a loopback address: configure [server.tls] in {}, \
                 or set server.allow_plaintext_non_loopback = true if a TLS proxy in front does that",
                config.listen,
                dir.join(CONFIG_FILE_NAME).display()
            );
        }
        eprintln!(
            "faxbot: WARNING: serving PLAINTEXT HTTP on non-loopback {} (server.allow_plaintext_non_loopback = true); \
             API keys cross the network unencrypted unless a TLS proxy fronts this port",
            config.listen
        );
    }
    let tls = match &config.tls {
        Some(files) => Some(server::tls_acceptor(files)?),
        None => None,
    };

    for line in unprivileged::prepare().map_err(anyhow::Error::msg)? {
        eprintln!("{line}");
    }
    let keys = KeyMaterial::load(&dir.join(KEY_FILE_NAME)).with_context(|| {
        format!(
            "loading the core's key material (run `faxbot init --dir {}` first)",
            dir.display()
        )
    })?;
    let (audit, report) = AuditTrail::open(
        &dir.join(AUDIT_DIR_NAME),
        &keys,
        Arc::new(PhiRedactor::new(&keys)),
    )
    .context("opening the audit trail")?;
    if let Some(repair) = &report.repaired {
        eprintln!(
            "faxbot: the audit trail's torn tail was cut after record {} ({} bytes), and recorded",
            repair.last_good_seq, repair.removed_bytes
        );
    }
    let sqlite = Arc::new(
        SqliteStore::open(&dir.join(DATABASE_FILE_NAME)).context("opening the state database")?,
    );
    let store: Arc<dyn Store> = sqlite.clone();
    let fax_store: Arc<dyn faxbot_store::FaxStore> = sqlite.clone();
    let bus_store: Arc<dyn faxbot_store::BusStore> = sqlite.clone();
    let job_store: Arc<dyn faxbot_store::JobStore> = sqlite.clone();
    let webhook_store: Arc<dyn faxbot_store::WebhookStore> = sqlite;
    let trust_path = dir.join(TRUST_FILE_NAME);
    let trust = faxbot_api::trust_file::load(&trust_path).context("reading the trust store")?;
    let packages =
        PackageArea::open(&dir.join(PLUGINS_DIR_NAME)).context("opening the package area")?;

    let (refused, allowed) = runtime::missing_layers(&config.allow_missing_layers);
    for layer in &allowed {
        eprintln!(
            "faxbot: WARNING: plugins run WITHOUT the jail layer {layer} (plugins.allow_missing_layers)"
        );
    }
    if !refused.is_empty() {
        eprintln!(
            "faxbot: plugins will not start: jail layers missing on this host: {}",
            refused.join(", ")
        );
    }
    let jail = faxbot_jail::binary::locate();
    if jail.is_none() {
        eprintln!(
            "faxbot: plugins will not start: faxbot-jail is not installed beside this faxbot binary"
        );
    }
    let logs = Arc::new(logs::LogBuffer::new(Redactor::new(PseudonymKey::new(
        keys.derive(PSEUDONYM_KEY_LABEL),
    ))));
    let plugin_runtime = Arc::new(runtime::SupervisorRuntime::new(
        jail,
        refused,
        operator_settings(&config),
        logs,
        audit.clone(),
        store.clone(),
        job_store,
    ));
    let owing = plugin_runtime
        .attach_bus(
            bus_store,
            Arc::new(Redactor::new(PseudonymKey::new(
                keys.derive(PSEUDONYM_KEY_LABEL),
            ))),
            faxbot_bus::RetryPolicy {
                max_attempts: config.events.max_attempts,
                base: Duration::from_millis(config.events.retry_base_ms),
                ..faxbot_bus::RetryPolicy::default()
            },
        )
        .map_err(|e| anyhow::anyhow!("reading the event outbox: {e}"))?;
    if owing > 0 {
        eprintln!("faxbot: resuming event deliveries owed to {owing} subscribers");
    }
    let state = AppState::new(AppParts {
        store,
        audit: audit.clone(),
        audit_key: keys.audit_chain_key(),
        packages,
        trust,
        trust_path: trust_path.clone(),
        settings: config.api.clone(),
        runtime: plugin_runtime.clone(),
        hasher: faxbot_api::auth::KeyHasher::new(&keys),
        core_version: semver::Version::parse(env!("CARGO_PKG_VERSION")).context("core version")?,
    });
    let fax_desk = fax_desk(
        &dir,
        &config,
        &keys,
        &audit,
        fax_store,
        plugin_runtime.clone(),
    )?;
    fax_desk.follow_transports();
    plugin_runtime.enable_fax_status(fax_desk.clone());
    state.set_webhooks(webhook_store.clone());
    let secrets_desk = fax_desk.clone();
    plugin_runtime.enable_webhooks(webhooks::Webhooks::new(
        webhook_store,
        Box::new(move |id| {
            faxbot_api::fax::secrets::get(
                secrets_desk.store(),
                secrets_desk.sealer(),
                &faxbot_api::fax::secrets::webhook_scope(id),
                faxbot_api::fax::secrets::WEBHOOK_SECRET_NAME,
            )
        }),
    ));
    state.set_fax_desk(fax_desk.clone());
    let router = faxbot_api::router(state.clone());

    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("binding {}", config.listen))?;
    let bound = listener.local_addr().context("the bound address")?;
    state
        .audit_as(
            Actor::System,
            None,
            "core.start",
            None,
            Outcome::Success,
            serde_json::json!({"listen": bound.to_string(), "tls": tls.is_some()}),
        )
        .await
        .map_err(|e| anyhow::anyhow!("the audit trail refused the start record: {e}"))?;
    let swept = lifecycle::reconcile(&state)
        .await
        .map_err(|e| anyhow::anyhow!("reconciling plugins at start: {e}"))?;
    if swept.staging > 0 || !swept.orphans.is_empty() {
        eprintln!(
            "faxbot: removed what an interrupted change left in the package area: {} staging, {} orphaned version directories",
            swept.staging,
            swept.orphans.len()
        );
    }

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let limits = server::Limits {
        header_timeout: Duration::from_secs(config.header_timeout_secs),
        max_connections: config.max_connections,
        shutdown_grace: Duration::from_secs(config.shutdown_grace_secs),
    };
    let server = tokio::spawn(server::serve(
        listener,
        tls.clone(),
        router,
        limits,
        stop_rx,
    ));
    say(&format!(
        "listening on {}://{}",
        if tls.is_some() { "https" } else { "http" },
        bound
    ));
    notify(&[sd_notify::NotifyState::Ready]);
    tokio::spawn(background(state.clone(), plugin_runtime.clone()));

    loop {
        tokio::select! {
            _ = terminate.recv() => break,
            _ = interrupt.recv() => break,
            _ = hangup.recv() => reload(&dir, &state).await,
        }
    }
    notify(&[sd_notify::NotifyState::Stopping]);
    let _ = stop_tx.send(true);
    let _ = server.await;
    plugin_runtime.stop_all().await;
    let _ = state
        .audit_as(
            Actor::System,
            None,
            "core.stop",
            None,
            Outcome::Success,
            serde_json::json!({}),
        )
        .await;
    Ok(ExitCode::SUCCESS)
}

/// Key labels of the fax desk's keys (derived from the core's key material).
const DOCUMENTS_KEY_LABEL: &str = "faxbot documents v1";
pub(crate) const SEALED_VALUES_KEY_LABEL: &str = "faxbot sealed values v1";
const DOCUMENT_TOKENS_KEY_LABEL: &str = "faxbot document tokens v1";

/// Plugins' secrets as the egress broker reads them: sealed in the store, opened here.
struct StoredSecrets {
    store: Arc<dyn faxbot_store::FaxStore>,
    sealer: faxbot_api::fax::sealer::Sealer,
}

impl faxbot_brokers::egress::SecretSource for StoredSecrets {
    fn value(&self, plugin_id: &str, name: &str) -> Option<String> {
        faxbot_api::fax::secrets::get(
            self.store.as_ref(),
            &self.sealer,
            &faxbot_api::fax::secrets::plugin_scope(plugin_id),
            name,
        )
    }
}

/// Publishes fax events to the plugins that subscribe (through the projection).
struct PluginEvents(Arc<runtime::SupervisorRuntime>);

impl faxbot_api::fax::FaxEvents for PluginEvents {
    fn publish(&self, event: faxbot_events::CoreEvent) {
        // A failure is logged by the runtime; the fax itself goes on.
        let _ = self.0.publish(&event);
    }
}

/// The fax desk: transports from the config, documents encrypted in `DIR/documents`, the
/// PDF → TIFF converter in the jail when Ghostscript is installed.
fn fax_desk(
    dir: &Path,
    config: &Config,
    keys: &KeyMaterial,
    audit: &AuditTrail,
    store: Arc<dyn faxbot_store::FaxStore>,
    runtime: Arc<runtime::SupervisorRuntime>,
) -> Result<Arc<faxbot_api::fax::FaxDesk>> {
    use faxbot_api::fax::sealer::Sealer;
    let sealer = || {
        Sealer::new(keys.derive(SEALED_VALUES_KEY_LABEL))
            .ok_or_else(|| anyhow::anyhow!("the sealing key could not be made"))
    };
    let vault = faxbot_transports::document::DocumentVault::open(
        &dir.join("documents"),
        keys.derive(DOCUMENTS_KEY_LABEL),
    )
    .context("opening the document vault")?;
    let spool = dir.join("spool");
    std::fs::create_dir_all(&spool).context("creating the fax spool directory")?;
    let converter = faxbot_jail::binary::locate()
        .filter(|_| Path::new("/usr/bin/gs").exists())
        .map(faxbot_transports::document::convert::Converter::debian);
    let transports = Arc::new(transports::DaemonTransports::new(
        config.fax.clone(),
        store.clone(),
        sealer()?,
    ));
    let mut policy = faxbot_brokers::egress::AddressPolicy::default();
    for range in &config.egress.allow_internal {
        if let Ok(parsed) = faxbot_brokers::egress::InternalRange::parse(range) {
            eprintln!(
                "faxbot: egress may reach the internal range {range} (egress.allow_internal)"
            );
            policy.allowed_internal.push(parsed);
        }
    }
    for (name, addr) in &config.egress.hosts {
        eprintln!("faxbot: egress resolves {name} to {addr} (egress.hosts)");
    }
    let roots = match &config.egress.ca_file {
        Some(path) => faxbot_brokers::egress::TlsRoots::Only(vec![
            std::fs::read(path)
                .with_context(|| format!("reading egress.ca_file {}", path.display()))?,
        ]),
        None => faxbot_brokers::egress::TlsRoots::System,
    };
    runtime.enable_egress(capabilities::Egress {
        broker: faxbot_brokers::egress::EgressBroker::new(
            Arc::new(faxbot_brokers::egress::HostsLookup::new(
                config.egress.hosts.clone(),
                Arc::new(faxbot_brokers::egress::SystemLookup),
            )),
            policy,
            roots,
        ),
        secrets: Arc::new(StoredSecrets {
            store: store.clone(),
            sealer: sealer()?,
        }),
        trail: audit.clone(),
        limits: config.egress.limits,
        plugin_limits: config.egress.plugin_limits.clone(),
    });
    Ok(faxbot_api::fax::FaxDesk::new(
        store,
        transports,
        vault,
        sealer()?,
        keys.derive(DOCUMENT_TOKENS_KEY_LABEL),
        converter,
        Arc::new(PluginEvents(runtime)),
        faxbot_api::fax::DeskSettings {
            public_url: config.fax.public_url.clone(),
            max_document_bytes: usize::try_from(config.fax.max_document_bytes).unwrap_or(20 << 20),
            document_token_ttl_ms: 60 * 60 * 1000,
            retention_ms: config.fax.retention_days * 86_400_000,
            spool_dir: spool,
        },
    ))
}

/// SIGHUP: the live settings and the trust store, each only if it parses.
async fn reload(dir: &Path, state: &AppState) {
    notify(&[sd_notify::NotifyState::Reloading]);
    match Config::load(dir) {
        Ok(config) => state.reload_settings(&config.api),
        Err(errors) => eprintln!("faxbot: SIGHUP: settings not reloaded: {errors}"),
    }
    match faxbot_api::trust_file::load(state.trust_path()) {
        Ok(trust) => {
            state.set_trust(trust);
            match lifecycle::enforce_trust(state).await {
                Ok(stopped) if !stopped.is_empty() => {
                    eprintln!(
                        "faxbot: SIGHUP: stopped plugins no longer trusted: {}",
                        stopped.join(", ")
                    );
                }
                Ok(_) => {}
                Err(e) => eprintln!("faxbot: SIGHUP: applying the trust store: {e}"),
            }
        }
        Err(e) => eprintln!("faxbot: SIGHUP: trust store not reloaded: {e}"),
    }
    let _ = state
        .audit_as(
            Actor::System,
            None,
            "core.reload",
            None,
            Outcome::Success,
            serde_json::json!({}),
        )
        .await;
    notify(&[sd_notify::NotifyState::Ready]);
}

/// Every second: grants that expired, exit reasons to keep, and the systemd watchdog.
async fn background(state: AppState, runtime: Arc<runtime::SupervisorRuntime>) {
    let watchdog = sd_notify::watchdog_enabled();
    let mut since = faxbot_api::time::now_ms();
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    let mut last_purge = 0u64;
    loop {
        tick.tick().await;
        let now = faxbot_api::time::now_ms();
        // Fax jobs and their documents past the retention period go once an hour.
        if now.saturating_sub(last_purge) > 3_600_000 {
            last_purge = now;
            if let Some(desk) = state.fax_desk() {
                let purged = desk.purge_expired();
                if purged > 0 {
                    tracing::info!(
                        purged,
                        "fax jobs past retention removed with their documents"
                    );
                }
            }
        }
        if let Err(e) = lifecycle::expire_grants(&state, since, now).await {
            tracing::error!(error = %e, "applying grant expiry");
        }
        since = now;
        runtime.sample();
        runtime.run_due_jobs();
        if watchdog.is_some() {
            notify(&[sd_notify::NotifyState::Watchdog]);
        }
    }
}
