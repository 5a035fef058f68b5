//! `faxbot doctor`'s runtime check: each `[runtimes.NAME]` of `faxbot.toml` started in the
//! real jail with its tree, running a probe that loads part of its standard library.

use faxbot_jail as jail;
use faxbot_jail::spec::{JailSpec, Layer, Program};
use faxbot_supervisor::launch::{JailedLauncher, Launcher};
use faxbot_supervisor::runtime::Runtime;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::AsyncReadExt;

/// Every runtime the state directory's config enables, probed.
pub fn check(dir: &Path) -> anyhow::Result<Vec<RuntimeCheck>> {
    let config = crate::config::Config::load(dir).map_err(anyhow::Error::new)?;
    Ok(config
        .runtimes
        .iter()
        .map(|r| probe(r, &config.allow_missing_layers))
        .collect())
}

/// One runtime's verdict.
#[derive(Debug, Serialize)]
pub struct RuntimeCheck {
    /// The runtime's name.
    pub name: String,
    /// Its interpreter.
    pub interpreter: PathBuf,
    /// Whether it started in the jail and passed its probe.
    pub starts: bool,
    /// Its last line of output, or why it failed.
    pub detail: String,
}

/// Starts `runtime`'s interpreter in the real jail with its probe arguments.
pub fn probe(runtime: &Runtime, allow_missing: &[Layer]) -> RuntimeCheck {
    let verdict = |starts: bool, detail: String| RuntimeCheck {
        name: runtime.name.clone(),
        interpreter: runtime.interpreter.clone(),
        starts,
        detail,
    };
    let Some(jail) = jail::binary::locate() else {
        return verdict(false, "faxbot-jail is not installed beside faxbot".into());
    };
    let mut spec = JailSpec::new(Program::Path(runtime.interpreter.clone()), Vec::new());
    runtime.apply(&mut spec, "");
    let mut argv = vec![runtime.interpreter.to_string_lossy().into_owned()];
    argv.extend(runtime.probe_args());
    spec.argv = argv;
    spec.allow_missing = allow_missing.to_vec();
    spec.memory_bytes = 256 << 20;
    if let Err(e) = spec.validate() {
        return verdict(false, e.to_string());
    }
    let launcher = JailedLauncher {
        jail,
        program: runtime.interpreter.clone(),
        spec,
    };
    let outcome = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
        .and_then(|rt| {
            rt.block_on(async {
                let mut launched = launcher.launch().map_err(|e| e.to_string())?;
                let (mut out, mut err) = (String::new(), String::new());
                let mut stdout = launched.child.stdout.take().ok_or("no stdout")?;
                let mut stderr = launched.child.stderr.take().ok_or("no stderr")?;
                let run = async {
                    let _ = stdout.read_to_string(&mut out).await;
                    let _ = stderr.read_to_string(&mut err).await;
                    launched.child.wait().await
                };
                match tokio::time::timeout(Duration::from_secs(15), run).await {
                    Ok(Ok(status)) => Ok((status.success(), out, err)),
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(_) => Err("no answer within 15 s".to_owned()),
                }
            })
        });
    match outcome {
        Ok((true, out, _)) => verdict(true, out.trim().lines().last().unwrap_or("").to_owned()),
        Ok((false, out, err)) => {
            let said = err.trim().lines().last().or(out.trim().lines().last());
            verdict(false, said.unwrap_or("it exited with a failure").to_owned())
        }
        Err(e) => verdict(false, e),
    }
}
