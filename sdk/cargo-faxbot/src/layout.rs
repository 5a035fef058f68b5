//! The package layout a local run binds at `/app`: exactly the files a packed `.fxp` would
//! install (the project's `files/` tree and the entry at the manifest's `entry` path), staged
//! in a private temporary directory, so `cargo faxbot test --binary` and `conform` never bind
//! the binary's whole parent directory (a `target/release` full of other programs).

use crate::CheckFailed;
use crate::project::Project;
use anyhow::Context;
use faxbot_policy::manifest::check_entry;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// A staged package tree; removed when dropped.
#[derive(Debug)]
pub struct PackageLayout {
    dir: tempfile::TempDir,
    /// The entry inside the tree (`<dir>/<manifest entry>`).
    pub entry: PathBuf,
}

impl PackageLayout {
    /// The tree's root: what the jail binds read-only at `/app`.
    pub fn root(&self) -> &Path {
        self.dir.path()
    }
}

/// Stages the package files of `project` with `binary` as its entry. Refuses an entry the
/// manifest cannot run (a `#!` script without a runtime) with the reason.
pub fn stage(project: &Project, binary: &Path) -> anyhow::Result<PackageLayout> {
    let contents =
        std::fs::read(binary).with_context(|| format!("reading {}", binary.display()))?;
    check_entry(&project.manifest, &contents[..contents.len().min(4)])
        .map_err(|e| CheckFailed(e.to_string()))?;
    let dir = tempfile::Builder::new()
        .prefix("faxbot-app-")
        .tempdir()
        .context("a temporary directory for the package files")?;
    // The plugin runs as an unprivileged uid: the tree must be readable by it.
    set_mode(dir.path(), 0o755)?;
    let extra = project.dir.join("files");
    if extra.is_dir() {
        copy_tree(&extra, dir.path())?;
    }
    let entry = dir.path().join(&project.manifest.entry);
    if let Some(parent) = entry.parent() {
        make_dirs(dir.path(), parent)?;
    }
    std::fs::write(&entry, &contents).with_context(|| entry.display().to_string())?;
    set_mode(&entry, 0o755)?;
    Ok(PackageLayout { dir, entry })
}

fn set_mode(path: &Path, mode: u32) -> anyhow::Result<()> {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("chmod {mode:o} {}", path.display()))
}

fn make_dirs(root: &Path, dir: &Path) -> anyhow::Result<()> {
    if dir == root || dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        make_dirs(root, parent)?;
    }
    std::fs::create_dir(dir).with_context(|| dir.display().to_string())?;
    set_mode(dir, 0o755)
}

fn copy_tree(from: &Path, to: &Path) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(from).with_context(|| from.display().to_string())? {
        let entry = entry.with_context(|| from.display().to_string())?;
        let path = entry.path();
        let target = to.join(entry.file_name());
        let meta = std::fs::symlink_metadata(&path).with_context(|| path.display().to_string())?;
        if meta.is_dir() {
            std::fs::create_dir(&target).with_context(|| target.display().to_string())?;
            set_mode(&target, 0o755)?;
            copy_tree(&path, &target)?;
        } else if meta.is_file() {
            std::fs::copy(&path, &target).with_context(|| target.display().to_string())?;
            let executable = meta.permissions().mode() & 0o111 != 0;
            set_mode(&target, if executable { 0o755 } else { 0o644 })?;
        } else {
            return Err(CheckFailed(format!(
                "{}: only regular files and directories can be packed (no symlinks or devices)",
                path.display()
            ))
            .into());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(root: &Path) -> Vec<String> {
        let mut out = Vec::new();
        let mut pending = vec![root.to_owned()];
        while let Some(dir) = pending.pop() {
            for entry in std::fs::read_dir(&dir).expect("read_dir") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    pending.push(path);
                } else {
                    let relative = path.strip_prefix(root).expect("under root");
                    out.push(relative.to_string_lossy().into_owned());
                }
            }
        }
        out.sort();
        out
    }

    #[test]
    fn test_binary_binds_the_package_layout_not_the_binarys_directory() {
        let project_dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            project_dir.path().join("faxbot-plugin.toml"),
            "id = \"lay-out\"\nname = \"n\"\nversion = \"0.1.0\"\npublisher = \"me\"\nmin_core_version = \"0.1.0\"\nentry = \"bin/plugin\"\n",
        )
        .expect("manifest");
        std::fs::create_dir_all(project_dir.path().join("files/data")).expect("files");
        std::fs::write(project_dir.path().join("files/data/table.txt"), "x").expect("file");
        let build_dir = tempfile::tempdir().expect("tempdir");
        let binary = build_dir.path().join("some-build-output");
        std::fs::write(&binary, b"\x7fELF rest").expect("binary");
        std::fs::write(build_dir.path().join("other-program"), b"\x7fELF").expect("sibling");
        std::fs::write(build_dir.path().join("credentials.txt"), "secret").expect("sibling");
        let project = Project::open(Some(project_dir.path())).expect("project");
        let layout = stage(&project, &binary).expect("staged");
        assert_eq!(listing(layout.root()), ["bin/plugin", "data/table.txt"]);
        assert_eq!(layout.entry, layout.root().join("bin/plugin"));
        let mode = std::fs::metadata(&layout.entry)
            .expect("entry")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o755);
        let root_mode = std::fs::metadata(layout.root())
            .expect("root")
            .permissions()
            .mode();
        assert_eq!(
            root_mode & 0o777,
            0o755,
            "the jail's uid must read the tree"
        );
        let script = build_dir.path().join("plugin.py");
        std::fs::write(&script, "#!/usr/bin/env python3\n").expect("script");
        let why = stage(&project, &script).expect_err("a script without a runtime");
        assert!(why.to_string().contains("is a script"), "{why}");
    }
}
