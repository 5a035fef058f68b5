//! `cargo faxbot build`: the release build of the plugin binary, located from cargo's own
//! build messages (so workspaces and custom target directories work).

use crate::progress::Step;
use crate::project::Project;
use anyhow::{Context, bail};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Arguments of `cargo faxbot build`.
#[derive(Debug, clap::Args)]
pub struct BuildArgs {
    /// The plugin project (default: the current directory).
    #[arg(long)]
    pub project: Option<PathBuf>,
    /// Print the binary's path as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Builds and prints the binary's path.
pub fn run(args: BuildArgs) -> anyhow::Result<PathBuf> {
    let project = Project::open(args.project.as_deref())?;
    let binary = build_release(&project, args.json)?;
    if args.json {
        println!("{}", serde_json::json!({ "binary": binary }));
    } else {
        println!("built {}", binary.display());
    }
    Ok(binary)
}

/// `cargo build --release --bin <entry>` in the project; returns the executable.
pub fn build_release(project: &Project, quiet: bool) -> anyhow::Result<PathBuf> {
    let bin = project.bin_name();
    let step = Step::start(format!("building {bin} (release)"), quiet);
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut child = Command::new(cargo)
        .current_dir(&project.dir)
        .args([
            "build",
            "--release",
            "--bin",
            bin,
            "--message-format=json-render-diagnostics",
        ])
        .stdout(Stdio::piped())
        .stderr(if quiet {
            Stdio::piped()
        } else {
            Stdio::inherit()
        })
        .spawn()
        .context("running cargo build")?;
    let stderr = child.stderr.take().map(|mut pipe| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = std::io::Read::read_to_string(&mut pipe, &mut text);
            text
        })
    });
    let mut executable = None;
    if let Some(stdout) = child.stdout.take() {
        for line in std::io::BufReader::new(stdout).lines() {
            let line = line.context("reading cargo's build messages")?;
            if let Some(path) = artifact_executable(&line, bin) {
                executable = Some(path);
            } else if let Some(name) = compiling(&line) {
                step.set(format!("building {bin} (release): {name}"));
            }
        }
    }
    let status = child.wait().context("waiting for cargo build")?;
    let errors = stderr.and_then(|h| h.join().ok()).unwrap_or_default();
    drop(step);
    if !status.success() {
        bail!("cargo build --release failed ({status})\n{errors}");
    }
    executable.with_context(|| {
        format!(
            "cargo built no binary named {bin:?}; the manifest's entry {:?} must end in a [[bin]] name of {}",
            project.manifest.entry,
            project.dir.join("Cargo.toml").display()
        )
    })
}

fn artifact_executable(line: &str, bin: &str) -> Option<PathBuf> {
    let message: serde_json::Value = serde_json::from_str(line).ok()?;
    if message.get("reason")?.as_str()? != "compiler-artifact" {
        return None;
    }
    let target = message.get("target")?;
    if target.get("name")?.as_str()? != bin {
        return None;
    }
    let kinds = target.get("kind")?.as_array()?;
    if !kinds.iter().any(|k| k.as_str() == Some("bin")) {
        return None;
    }
    Some(Path::new(message.get("executable")?.as_str()?).to_owned())
}

fn compiling(line: &str) -> Option<String> {
    let message: serde_json::Value = serde_json::from_str(line).ok()?;
    if message.get("reason")?.as_str()? != "compiler-artifact" {
        return None;
    }
    Some(message.get("target")?.get("name")?.as_str()?.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_executable_comes_from_the_bin_artifact_message_only() {
        let bin = r#"{"reason":"compiler-artifact","target":{"name":"hello","kind":["bin"]},"executable":"/t/release/hello"}"#;
        let lib = r#"{"reason":"compiler-artifact","target":{"name":"hello","kind":["lib"]},"executable":null}"#;
        let other = r#"{"reason":"compiler-artifact","target":{"name":"other","kind":["bin"]},"executable":"/t/release/other"}"#;
        assert_eq!(
            artifact_executable(bin, "hello"),
            Some(PathBuf::from("/t/release/hello"))
        );
        assert_eq!(artifact_executable(lib, "hello"), None);
        assert_eq!(artifact_executable(other, "hello"), None);
        assert_eq!(artifact_executable("not json", "hello"), None);
    }
}
