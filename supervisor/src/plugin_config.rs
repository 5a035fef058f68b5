//! The one mapping from an installed plugin (its manifest, the grants an admin approved and
//! the operator's settings) to what the supervisor runs: the jail spec and the session's
//! terms. `cargo faxbot test`, the examples' test host and the daemon all build their
//! [`PluginConfig`] here, so a limit a manifest sets is enforced the same way everywhere.

use crate::handshake::HandshakeTerms;
use crate::launch::JailedLauncher;
use crate::output::{LogSink, OutputLimits};
use crate::runtime::Runtime;
use crate::session::SessionHooks;
use crate::supervisor::{PluginConfig, RestartPolicy};
use faxbot_jail::spec::{Bind, JailSpec, Layer, Program, SpecError};
use faxbot_plugin_abi::version::VersionRange;
use faxbot_plugin_abi::{ABI_VERSION, Limits, Value};
use faxbot_policy::capability::Grants;
use faxbot_policy::manifest::Manifest;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Where the jail mounts the plugin's package files.
pub const APP_DIR: &str = "/app";

/// Where an installed plugin's files are on the host.
#[derive(Clone, Debug)]
pub struct PluginFiles {
    /// The `faxbot-jail` program.
    pub jail: PathBuf,
    /// The verified entry binary (the launcher opens it once; the jail executes that fd).
    pub entry: PathBuf,
    /// The directory bound read-only at [`APP_DIR`]: the package's files.
    pub app_dir: PathBuf,
}

impl PluginFiles {
    /// The entry's path inside the jail (`/app/<path below app_dir>`, or `/app/<file name>`
    /// for an entry outside `app_dir`), its argv\[0].
    pub fn entry_in_jail(&self) -> String {
        if let Ok(relative) = self.entry.strip_prefix(&self.app_dir)
            && !relative.as_os_str().is_empty()
        {
            return format!("{APP_DIR}/{}", relative.to_string_lossy());
        }
        let name = self
            .entry
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "plugin".into());
        format!("{APP_DIR}/{name}")
    }
}

/// What the operator sets for every plugin on this host; the manifest cannot change these.
#[derive(Clone, Debug)]
pub struct OperatorSettings {
    /// Jail layers this host may run without (each announced at start; empty in production).
    pub allow_missing: Vec<Layer>,
    /// Restart and quarantine policy.
    pub restart: RestartPolicy,
    /// How long a plugin has to say Hello.
    pub hello_deadline: Duration,
    /// Deadline of each `health.check`.
    pub health_deadline: Duration,
    /// How often the host sends `health.check`.
    pub health_interval: Duration,
    /// How long `plugin.shutdown` may take.
    pub shutdown_deadline: Duration,
    /// How far past its deadline an unanswered call gets the plugin killed.
    pub hard_stop_grace: Duration,
    /// Limits on the plugin's stdout and stderr lines.
    pub output_limits: OutputLimits,
    /// Per-kind call deadlines and flow limits (memory comes from the manifest).
    pub limits: Limits,
    /// The interpreted runtimes this host enables (`[runtimes.NAME]` in `faxbot.toml`).
    pub runtimes: Vec<Runtime>,
}

impl Default for OperatorSettings {
    fn default() -> Self {
        let limits = Limits::default();
        Self {
            allow_missing: Vec::new(),
            restart: RestartPolicy::default(),
            hello_deadline: Duration::from_secs(5),
            health_deadline: Duration::from_secs(5),
            health_interval: Duration::from_millis(u64::from(limits.health_interval_ms)),
            shutdown_deadline: Duration::from_secs(5),
            hard_stop_grace: Duration::from_secs(5),
            output_limits: OutputLimits::default(),
            limits,
            runtimes: Vec::new(),
        }
    }
}

/// Why an installed plugin cannot be turned into a runnable configuration.
#[derive(Debug, thiserror::Error)]
pub enum PluginConfigError {
    /// The manifest's resources make an invalid jail spec.
    #[error("plugin {plugin_id:?}: the manifest's resources: {source}")]
    Resources {
        /// The plugin.
        plugin_id: String,
        /// What the jail spec check said.
        source: SpecError,
    },
    /// The manifest names a runtime this host does not enable.
    #[error(
        "plugin {plugin_id:?} asks for runtime {runtime:?}, which this host does not enable (faxbot.toml [runtimes.{runtime}]; enabled: {enabled})"
    )]
    RuntimeNotEnabled {
        /// The plugin.
        plugin_id: String,
        /// The runtime it names.
        runtime: String,
        /// The runtimes the host enables, for the operator.
        enabled: String,
    },
}

/// The runtime `manifest` names, among `runtimes`; `None` for a native entry.
pub fn runtime_for<'a>(
    manifest: &Manifest,
    runtimes: &'a [Runtime],
) -> Result<Option<&'a Runtime>, PluginConfigError> {
    let Some(name) = &manifest.runtime else {
        return Ok(None);
    };
    match runtimes.iter().find(|r| &r.name == name) {
        Some(runtime) => Ok(Some(runtime)),
        None => {
            let enabled: Vec<&str> = runtimes.iter().map(|r| r.name.as_str()).collect();
            Err(PluginConfigError::RuntimeNotEnabled {
                plugin_id: manifest.id.clone(),
                runtime: name.clone(),
                enabled: if enabled.is_empty() {
                    "none".to_owned()
                } else {
                    enabled.join(", ")
                },
            })
        }
    }
}

/// The jail spec of `manifest`'s plugin: its files read-only at `/app`, its resource limits,
/// the ABI's environment and nothing else. A manifest naming a runtime is refused here (no
/// runtime is enabled): see [`jail_spec_with_runtimes`].
pub fn jail_spec_for_manifest(
    manifest: &Manifest,
    files: &PluginFiles,
    allow_missing: &[Layer],
) -> Result<JailSpec, PluginConfigError> {
    jail_spec_with_runtimes(manifest, files, allow_missing, &[])
}

/// As [`jail_spec_for_manifest`], with the `runtimes` this host enables: a script entry runs
/// as the argument of the runtime its manifest names.
pub fn jail_spec_with_runtimes(
    manifest: &Manifest,
    files: &PluginFiles,
    allow_missing: &[Layer],
    runtimes: &[Runtime],
) -> Result<JailSpec, PluginConfigError> {
    let runtime = runtime_for(manifest, runtimes)?;
    let mut spec = JailSpec::new(
        Program::Path(files.entry.clone()),
        vec![files.entry_in_jail()],
    );
    spec.ro_binds.push(Bind {
        host: files.app_dir.clone(),
        jail: APP_DIR.into(),
    });
    spec.env = vec![
        ("FAXBOT_ABI".into(), ABI_VERSION.major.to_string()),
        ("FAXBOT_PLUGIN_ID".into(), manifest.id.clone()),
    ];
    let resources = &manifest.resources;
    spec.memory_bytes = resources.memory_bytes;
    spec.pids = u64::from(resources.pids);
    spec.cpu_cores = f64::from(resources.cpu_percent) / 100.0;
    if resources.scratch_bytes > 0 {
        spec.scratch_bytes = resources.scratch_bytes;
    }
    spec.allow_missing = allow_missing.to_vec();
    if let Some(runtime) = runtime {
        runtime.apply(&mut spec, &files.entry_in_jail());
    }
    spec.validate()
        .map_err(|source| PluginConfigError::Resources {
            plugin_id: manifest.id.clone(),
            source,
        })?;
    Ok(spec)
}

impl PluginConfig {
    /// The configuration that runs `manifest`'s plugin jailed with `grants`, the admin's
    /// `config` values and the operator's `settings`, its calls checked and served by
    /// `hooks` and its output sent to `log`. `now_ms` decides which grants are still live.
    #[allow(clippy::too_many_arguments)]
    pub fn for_manifest(
        manifest: &Manifest,
        grants: &Grants,
        files: &PluginFiles,
        config: Vec<(String, Value)>,
        settings: &OperatorSettings,
        hooks: SessionHooks,
        log: Arc<dyn LogSink>,
        now_ms: u64,
    ) -> Result<Self, PluginConfigError> {
        let spec =
            jail_spec_with_runtimes(manifest, files, &settings.allow_missing, &settings.runtimes)?;
        // A runtime's interpreter is the program the launcher opens and the jail executes;
        // the entry script is its argument, read from /app.
        let program = match runtime_for(manifest, &settings.runtimes)? {
            Some(runtime) => runtime.interpreter.clone(),
            None => files.entry.clone(),
        };
        Ok(Self {
            launcher: Arc::new(JailedLauncher {
                jail: files.jail.clone(),
                program,
                spec,
            }),
            terms: handshake_terms(manifest, grants, config, settings, now_ms),
            hooks,
            restart: settings.restart.clone(),
            health_deadline: settings.health_deadline,
            shutdown_deadline: settings.shutdown_deadline,
            hard_stop_grace: settings.hard_stop_grace,
            log,
            output_limits: settings.output_limits,
        })
    }
}

/// The handshake terms of `manifest`'s plugin: its id, the live grants, the admin's config
/// and the limits (memory from the manifest, the rest from the operator).
pub fn handshake_terms(
    manifest: &Manifest,
    grants: &Grants,
    config: Vec<(String, Value)>,
    settings: &OperatorSettings,
    now_ms: u64,
) -> HandshakeTerms {
    let health_interval_ms =
        u32::try_from(settings.health_interval.as_millis()).unwrap_or(u32::MAX);
    HandshakeTerms {
        plugin_id: manifest.id.clone(),
        host_abi: VersionRange::exactly(ABI_VERSION),
        instance_id: format!("{}-{}", manifest.id, manifest.version),
        capabilities: grants.to_abi(now_ms),
        config,
        limits: Limits {
            memory_bytes: manifest.resources.memory_bytes,
            health_interval_ms,
            ..settings.limits.clone()
        },
        hello_deadline: settings.hello_deadline,
    }
}
