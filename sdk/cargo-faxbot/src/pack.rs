//! `cargo faxbot pack`: manifest validation (every error at once, with field paths), the
//! release build, then the deterministic `.fxp` package.

use crate::progress::Step;
use crate::project::Project;
use crate::{CheckFailed, build};
use anyhow::Context;
use faxbot_policy::package::PackageBuilder;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Arguments of `cargo faxbot pack`.
#[derive(Debug, clap::Args)]
pub struct PackArgs {
    /// The plugin project (default: the current directory).
    #[arg(long)]
    pub project: Option<PathBuf>,
    /// Use this already built binary as the entry instead of building.
    #[arg(long)]
    pub binary: Option<PathBuf>,
    /// Where to write the package (default: `<id>-<version>.fxp` in the project).
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Packs the project.
pub fn run(args: PackArgs) -> anyhow::Result<()> {
    let project = Project::open(args.project.as_deref())?;
    let binary = match args.binary {
        Some(path) => path,
        None => build::build_release(&project, args.json)?,
    };
    let step = Step::start("packing", args.json);
    let mut builder = PackageBuilder::new(project.manifest_bytes.clone());
    let contents =
        std::fs::read(&binary).with_context(|| format!("reading {}", binary.display()))?;
    faxbot_policy::manifest::check_entry(&project.manifest, &contents[..contents.len().min(4)])
        .map_err(|e| CheckFailed(e.to_string()))?;
    builder
        .add_file(&project.manifest.entry, contents, true)
        .map_err(|e| CheckFailed(format!("entry {}: {e}", project.manifest.entry)))?;
    // Everything under the project's `files/` ships too, at the same relative path.
    let extra = project.dir.join("files");
    if extra.is_dir() {
        add_tree(&mut builder, &extra, &extra)?;
    }
    let bytes = builder
        .build(&crate::project::ceilings())
        .map_err(|e| CheckFailed(format!("the package cannot be built: {e}")))?;
    let digest = builder.digest();
    let out = args.out.unwrap_or_else(|| {
        project.dir.join(format!(
            "{}-{}.fxp",
            project.manifest.id, project.manifest.version
        ))
    });
    write_atomically(&out, &bytes)?;
    drop(step);
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "package": out,
                "digest": digest.to_string(),
                "bytes": bytes.len(),
                "id": project.manifest.id,
                "version": project.manifest.version.to_string(),
            })
        );
    } else {
        println!("packed {} ({} bytes)", out.display(), bytes.len());
        println!("digest {digest}");
    }
    Ok(())
}

fn add_tree(builder: &mut PackageBuilder, root: &Path, dir: &Path) -> anyhow::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| dir.display().to_string())?
        .collect::<Result<_, _>>()
        .with_context(|| dir.display().to_string())?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let meta = std::fs::symlink_metadata(&path).with_context(|| path.display().to_string())?;
        let relative = path
            .strip_prefix(root)
            .ok()
            .and_then(Path::to_str)
            .with_context(|| format!("{}: not a UTF-8 path", path.display()))?
            .to_owned();
        if meta.is_dir() {
            add_tree(builder, root, &path)?;
        } else if meta.is_file() {
            let contents = std::fs::read(&path).with_context(|| path.display().to_string())?;
            let executable = meta.permissions().mode() & 0o111 != 0;
            builder
                .add_file(&relative, contents, executable)
                .map_err(|e| CheckFailed(format!("files/{relative}: {e}")))?;
        } else {
            return Err(CheckFailed(format!(
                "files/{relative}: only regular files and directories can be packed (no symlinks or devices)"
            ))
            .into());
        }
    }
    Ok(())
}

/// Writes through a temporary file in the same directory and renames it into place.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .with_context(|| format!("{}: not a file path", path.display()))?;
    let temporary = dir.join(format!(".{}.tmp", name.to_string_lossy()));
    std::fs::write(&temporary, bytes).with_context(|| temporary.display().to_string())?;
    std::fs::rename(&temporary, path).with_context(|| path.display().to_string())
}
