//! Starting an example plugin against the test host: unjailed for behaviour tests, in the
//! real `faxbot-jail` for containment tests, or under the real supervisor.

use crate::host::Host;
use crate::now_ms;
use faxbot_plugin_abi::event::Event;
use faxbot_plugin_abi::methods::{
    DeliverEvent, EventDelivery, Health, HealthCheck, HealthReport, JobRun, RouteRequest,
    RouteResponse, RunJob, ServeRoute,
};
use faxbot_plugin_abi::{RpcError, Value};
use faxbot_policy::manifest::Manifest;
use faxbot_supervisor::handshake::{self, Agreed, HandshakeTerms};
use faxbot_supervisor::jail::spec::JailSpec;
use faxbot_supervisor::launch::{JailedLauncher, Launched, Launcher, UnjailedLauncherForTests};
use faxbot_supervisor::output::OutputLimits;
use faxbot_supervisor::plugin_config::{
    OperatorSettings, PluginFiles, handshake_terms, jail_spec_for_manifest,
};
use faxbot_supervisor::session::Session;
use faxbot_supervisor::supervisor::{PluginConfig, RestartPolicy, Supervisor};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// A plugin process with its session to the test host.
pub struct Running {
    /// The process (killed when dropped).
    pub launched: Launched,
    /// The session.
    pub session: Session,
    /// The host serving it.
    pub host: Arc<Host>,
}

impl Running {
    /// Delivers `event` (attempt 1).
    pub async fn deliver(&self, event: Event) -> Result<(), RpcError> {
        self.session
            .call::<DeliverEvent>(&EventDelivery { event, attempt: 1 }, Duration::from_secs(5))
            .await
            .map(|_| ())
    }

    /// Runs job `name` scheduled at `scheduled_at_ms`, waiting up to `deadline`.
    pub async fn job(
        &self,
        name: &str,
        scheduled_at_ms: u64,
        deadline: Duration,
    ) -> Result<Option<String>, RpcError> {
        let run = JobRun {
            name: name.to_owned(),
            run_id: format!("run-{scheduled_at_ms}"),
            scheduled_at_ms,
        };
        self.session
            .call::<RunJob>(&run, deadline)
            .await
            .map(|r| r.summary)
    }

    /// Serves `method path?query`.
    pub async fn route(
        &self,
        method: &str,
        path: &str,
        query: &str,
    ) -> Result<RouteResponse, RpcError> {
        let request = RouteRequest {
            method: method.to_owned(),
            path: path.to_owned(),
            query: query.to_owned(),
            headers: vec![],
            body: vec![],
        };
        self.session
            .call::<ServeRoute>(&request, Duration::from_secs(5))
            .await
    }

    /// A health check.
    pub async fn health(&self) -> Result<HealthReport, RpcError> {
        self.session
            .call::<Health>(&HealthCheck {}, Duration::from_secs(5))
            .await
    }
}

fn terms(manifest: &Manifest, host: &Host, config: Vec<(String, Value)>) -> HandshakeTerms {
    let settings = OperatorSettings {
        hello_deadline: Duration::from_secs(10),
        ..OperatorSettings::default()
    };
    handshake_terms(manifest, &host.grants, config, &settings, now_ms())
}

async fn handshake_and_session(
    launched: Launched,
    manifest: &Manifest,
    host: Arc<Host>,
    config: Vec<(String, Value)>,
) -> Running {
    let (running, _) = accept(launched, &terms(manifest, &host, config), host).await;
    running
}

/// Runs the host side of the handshake with a launched plugin on `terms`, then starts the
/// session served by `host`. Returns the running plugin and what it said in its Hello.
/// Panics, naming the plugin, if the handshake fails.
pub async fn accept(
    mut launched: Launched,
    terms: &HandshakeTerms,
    host: Arc<Host>,
) -> (Running, Agreed) {
    let agreed = handshake::accept(&mut launched.stream, terms)
        .await
        .unwrap_or_else(|e| panic!("{} handshake: {e}", terms.plugin_id));
    let stream = std::mem::replace(
        &mut launched.stream,
        tokio::net::UnixStream::pair()
            .expect("placeholder socket")
            .0,
    );
    let session = Session::start(
        stream,
        terms.plugin_id.clone(),
        agreed.max_frame,
        64,
        host.hooks(),
    );
    let running = Running {
        launched,
        session,
        host,
    };
    (running, agreed)
}

/// Starts `program` unjailed (behaviour tests) with its manifest's grants.
pub async fn start(program: &Path, manifest: &Manifest, config: Vec<(String, Value)>) -> Running {
    let host = Host::for_manifest(manifest);
    let launched = UnjailedLauncherForTests {
        program: program.into(),
        args: Vec::new(),
    }
    .launch()
    .unwrap_or_else(|e| panic!("starting {}: {e}", program.display()));
    handshake_and_session(launched, manifest, host, config).await
}

/// Where the plugin's files are: the binary and its directory, as the package layout has them.
fn files(program: &Path) -> PluginFiles {
    PluginFiles {
        jail: jail_binary(),
        entry: program.into(),
        app_dir: program.parent().unwrap_or(Path::new("/")).into(),
    }
}

/// The plugin's jail spec, from its manifest through the supervisor's one mapping.
fn jail_spec(program: &Path, manifest: &Manifest) -> JailSpec {
    jail_spec_for_manifest(manifest, &files(program), &[])
        .unwrap_or_else(|e| panic!("jail spec: {e}"))
}

/// Starts `program` inside the real `faxbot-jail` (needs root), the spec adjusted by `adjust`.
pub async fn start_jailed(
    program: &Path,
    manifest: &Manifest,
    config: Vec<(String, Value)>,
    adjust: impl FnOnce(&mut JailSpec),
) -> Running {
    let host = Host::for_manifest(manifest);
    let mut spec = jail_spec(program, manifest);
    adjust(&mut spec);
    let launched = JailedLauncher {
        jail: jail_binary(),
        program: program.into(),
        spec,
    }
    .launch()
    .unwrap_or_else(|e| panic!("starting faxbot-jail: {e}"));
    handshake_and_session(launched, manifest, host, config).await
}

/// Starts `program` jailed under a real [`Supervisor`] (health checks, hard stop, restarts),
/// with short timings for tests. Returns the supervisor and the host.
pub fn supervised_jailed(
    program: &Path,
    manifest: &Manifest,
    config: Vec<(String, Value)>,
    adjust: impl FnOnce(&mut JailSpec),
) -> (Supervisor, Arc<Host>) {
    let host = Host::for_manifest(manifest);
    let files = files(program);
    let mut spec = jail_spec(program, manifest);
    adjust(&mut spec);
    let settings = OperatorSettings {
        restart: RestartPolicy {
            initial_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_millis(500),
            max_crashes: 5,
            window: Duration::from_secs(60),
        },
        hello_deadline: Duration::from_secs(10),
        health_deadline: Duration::from_secs(1),
        health_interval: Duration::from_millis(500),
        shutdown_deadline: Duration::from_secs(1),
        hard_stop_grace: Duration::from_millis(500),
        output_limits: OutputLimits {
            max_line: 512,
            lines_per_second: 50,
        },
        ..OperatorSettings::default()
    };
    let mut plugin = PluginConfig::for_manifest(
        manifest,
        &host.grants,
        &files,
        config,
        &settings,
        host.hooks(),
        host.log_sink(),
        now_ms(),
    )
    .unwrap_or_else(|e| panic!("plugin config: {e}"));
    plugin.launcher = Arc::new(JailedLauncher {
        jail: files.jail,
        program: files.entry,
        spec,
    });
    let supervisor = Supervisor::default();
    supervisor
        .start(plugin)
        .unwrap_or_else(|e| panic!("supervisor start: {e}"));
    (supervisor, host)
}

/// The `faxbot-jail` binary of this build, built first if this test run did not build it
/// (a `cargo test` of one example builds only that package's targets).
pub fn jail_binary() -> PathBuf {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            if let Some(jail) = faxbot_jail::binary::locate() {
                return jail;
            }
            let exe = std::env::current_exe().expect("test executable path");
            // <target>/<profile>/deps/<test>
            let profile_dir = exe
                .parent()
                .and_then(Path::parent)
                .expect("test executable lies in <target>/<profile>/deps");
            let target_dir = profile_dir.parent().expect("target dir");
            let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
            let mut build = std::process::Command::new(cargo);
            build
                .args(["build", "-p", "faxbot-jail", "--bin", "faxbot-jail"])
                .env("CARGO_TARGET_DIR", target_dir);
            if profile_dir.file_name().is_some_and(|n| n == "release") {
                build.arg("--release");
            }
            let status = build.status().expect("cargo runs");
            assert!(status.success(), "building faxbot-jail failed: {status}");
            profile_dir.join(faxbot_jail::binary::PROGRAM_NAME)
        })
        .clone()
}

/// Whether the process may run the jail (root); tests that need it skip with a note.
pub fn can_jail() -> bool {
    // The effective uid is the third field of /proc/self/status's Uid line.
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|u| u == "0"))
        })
        .unwrap_or(false)
}
