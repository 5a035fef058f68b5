//! `cargo faxbot new NAME`: a plugin project that builds, tests and packs out of the box.

use anyhow::{Context, bail};
use std::path::{Path, PathBuf};

/// Arguments of `cargo faxbot new`.
#[derive(Debug, clap::Args)]
pub struct NewArgs {
    /// The plugin's id, also the directory and crate name: `[a-z][a-z0-9-]*`, 3 to 64 bytes.
    pub name: String,
    /// Where to create the project directory (default: the current directory).
    #[arg(long)]
    pub path: Option<PathBuf>,
    /// Publisher id written into the manifest.
    #[arg(long, default_value = "example")]
    pub publisher: String,
    /// Use this faxbot-sdk source checkout instead of the one this tool was built from.
    #[arg(long)]
    pub sdk_path: Option<PathBuf>,
}

/// The SDK this tool was built beside (`sdk/`), when it is still there.
fn default_sdk_path() -> Option<PathBuf> {
    let sdk = Path::new(env!("CARGO_MANIFEST_DIR")).parent()?.to_owned();
    sdk.join("Cargo.toml").is_file().then_some(sdk)
}

/// Creates the project.
pub fn run(args: NewArgs) -> anyhow::Result<()> {
    faxbot_policy::manifest::check_id(&args.name)
        .map_err(|reason| crate::CheckFailed(format!("plugin name {:?}: {reason}", args.name)))?;
    faxbot_policy::manifest::check_publisher(&args.publisher).map_err(|reason| {
        crate::CheckFailed(format!("publisher {:?}: {reason}", args.publisher))
    })?;
    let parent = match args.path {
        Some(p) => p,
        None => std::env::current_dir().context("the current directory")?,
    };
    let dir = parent.join(&args.name);
    if dir.exists() {
        bail!("{} already exists; nothing was written", dir.display());
    }
    let sdk_dependency = match args.sdk_path.or_else(default_sdk_path) {
        Some(path) => {
            let path = path
                .canonicalize()
                .with_context(|| format!("SDK path {}", path.display()))?;
            format!("{{ path = {:?} }}", path.display().to_string())
        }
        None => format!("\"{}\"", env!("CARGO_PKG_VERSION")),
    };
    let files = templates(&args.name, &args.publisher, &sdk_dependency);
    // Written into a sibling temporary directory and renamed into place, so a failure
    // halfway leaves nothing behind.
    let staging = parent.join(format!(".{}.cargo-faxbot-new", args.name));
    let _ = std::fs::remove_dir_all(&staging);
    let written = (|| -> anyhow::Result<()> {
        for (relative, contents) in &files {
            let path = staging.join(relative);
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).with_context(|| dir.display().to_string())?;
            }
            std::fs::write(&path, contents).with_context(|| path.display().to_string())?;
        }
        std::fs::rename(&staging, &dir).with_context(|| dir.display().to_string())
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e);
    }
    println!("created plugin project {}", dir.display());
    println!("next: cd {} && cargo faxbot test", args.name);
    Ok(())
}

fn templates(id: &str, publisher: &str, sdk_dependency: &str) -> Vec<(&'static str, String)> {
    let crate_name = id.replace('-', "_");
    vec![
        (
            "Cargo.toml",
            format!(
                r#"[package]
name = "{id}"
version = "0.1.0"
edition = "2024"
publish = false

# A plugin project stands alone, even inside another cargo workspace.
[workspace]

[[bin]]
name = "{id}"
path = "src/main.rs"

[dependencies]
faxbot-sdk = {sdk_dependency}

[profile.release]
lto = "thin"
"#
            ),
        ),
        (
            "src/main.rs",
            format!(
                r#"//! {id}: a faxbot plugin.
//!
//! It counts fax job events per state in its key-value store and serves the counts at
//! `GET /ext/{id}/status`. `cargo faxbot test` runs it in the real jail.

use faxbot_sdk::route::Response;
use faxbot_sdk::{{EventPayload, HttpMethod, Plugin}};

fn main() -> std::process::ExitCode {{
    faxbot_sdk::run(
        Plugin::new("{id}", env!("CARGO_PKG_VERSION"))
            .on_event("fax.job.*", |ctx, event| async move {{
                let EventPayload::FaxJob(job) = &event.payload else {{
                    return Ok(());
                }};
                let key = format!("count.{{}}", job.state.name());
                let count = ctx.kv().get_u64(&key).await?.unwrap_or(0) + 1;
                ctx.kv().put_u64(&key, count).await?;
                ctx.log()
                    .info(format!("job {{}} is {{}}", job.job_id, job.state.name()))
                    .await?;
                Ok(())
            }})
            .route(HttpMethod::Get, "/status", |ctx, _request| async move {{
                let mut lines = String::new();
                for state in ["queued", "sent", "delivered", "failed"] {{
                    let count = ctx.kv().get_u64(&format!("count.{{state}}")).await?.unwrap_or(0);
                    lines.push_str(&format!("{{state}} {{count}}\n"));
                }}
                Ok(Response::text(lines))
            }}),
    )
}}

#[cfg(test)]
mod tests {{
    #[test]
    fn the_crate_name_is_the_plugin_id() {{
        assert_eq!(env!("CARGO_PKG_NAME"), "{id}");
        let _ = "{crate_name}";
    }}
}}
"#
            ),
        ),
        (
            "faxbot-plugin.toml",
            format!(
                r#"id = "{id}"
name = "{id}"
version = "0.1.0"
publisher = "{publisher}"
description = "Counts fax job events by state and serves the counts."
categories = ["monitoring"]
hipaa_compliant = true
requires_baa = false
min_core_version = "0.1.0"
entry = "bin/{id}"

[capabilities]
subscribe = ["fax.job.*"]
kv_quota = "64KiB"
routes = ["/status"]

[resources]
memory = "64MiB"
cpu_percent = 50
pids = 32
"#
            ),
        ),
        (
            "faxbot-test.toml",
            r#"# What `cargo faxbot test` feeds the plugin and expects back.
events = "tests/events.jsonl"

[[route]]
method = "GET"
path = "/status"
expect_status = 200
expect_body_contains = "delivered 1"
"#
            .to_owned(),
        ),
        (
            "tests/events.jsonl",
            [
                r#"{"topic":"fax.job.queued","job_id":"fx_0001","direction":"outbound","state":"queued","provider":"test","remote_number":"+1 555 201 7788","patient_name":"Pat Example"}"#,
                r#"{"topic":"fax.job.sent","job_id":"fx_0001","direction":"outbound","state":"sent","provider":"test","pages":3,"remote_number":"+1 555 201 7788"}"#,
                r#"{"topic":"fax.job.delivered","job_id":"fx_0001","direction":"outbound","state":"delivered","provider":"test","pages":3,"duration_ms":41000,"remote_number":"+1 555 201 7788"}"#,
            ]
            .join("\n")
                + "\n",
        ),
        (".gitignore", "/target\n*.fxp\n*.sig\n*.key\n".to_owned()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use faxbot_policy::manifest::{Manifest, ResourceCeilings};

    #[test]
    fn the_template_manifest_is_valid() {
        let files = templates("hello-fax", "acme", "\"0.1.0\"");
        let (_, manifest) = files
            .iter()
            .find(|(name, _)| *name == "faxbot-plugin.toml")
            .expect("manifest");
        let parsed = Manifest::parse(manifest, &ResourceCeilings::default())
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(parsed.id, "hello-fax");
        assert_eq!(parsed.entry, "bin/hello-fax");
    }

    #[test]
    fn a_bad_name_writes_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let error = run(NewArgs {
            name: "Bad Name".into(),
            path: Some(dir.path().into()),
            publisher: "acme".into(),
            sdk_path: None,
        })
        .expect_err("refused");
        assert!(error.to_string().contains("Bad Name"), "{error}");
        assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0);
    }
}
