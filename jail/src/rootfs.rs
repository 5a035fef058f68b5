//! The fresh root: a tmpfs holding read-only binds of what the spec names, the system
//! library directories a dynamically linked program needs, a size-limited /tmp, a minimal
//! /dev and a private /proc; then pivot_root with the old root detached.

use super::spec::Bind;
use nix::mount::{MntFlags, MsFlags, mount, umount2};
use std::fs;
use std::io;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

/// Where the new root may be assembled: a tmpfs is mounted over the first of these that
/// exists and holds none of the bind sources (the mount is private to the jail's mount
/// namespace; the host's directory is untouched, but it is hidden from the binds).
const STAGING_CANDIDATES: [&str; 5] = ["/tmp", "/mnt", "/run", "/media", "/srv"];
/// Device nodes bound from the host.
pub const DEVICES: [&str; 5] = ["null", "zero", "full", "random", "urandom"];

/// A step of building the root failed.
#[derive(Debug, thiserror::Error)]
#[error("{step} {path}: {source}")]
pub struct RootfsError {
    step: &'static str,
    path: String,
    source: io::Error,
}

fn fail<'a>(step: &'static str, path: &'a Path) -> impl FnOnce(nix::Error) -> RootfsError + 'a {
    move |e| RootfsError {
        step,
        path: path.display().to_string(),
        source: io::Error::from(e),
    }
}

fn fail_io<'a>(step: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> RootfsError + 'a {
    move |source| RootfsError {
        step,
        path: path.display().to_string(),
        source,
    }
}

/// What the root holds.
pub struct RootPlan<'a> {
    /// Read-only binds.
    pub binds: &'a [Bind],
    /// Size of /tmp.
    pub scratch_bytes: u64,
    /// The interpreter and libraries the program needs (host paths as the loader names them).
    pub libraries: &'a [PathBuf],
    /// Whether a /proc of the jail's own pid namespace can be mounted.
    pub own_pid_namespace: bool,
}

/// Builds the root and pivots into it. Must run in a private mount namespace.
pub fn enter(plan: &RootPlan<'_>) -> Result<(), RootfsError> {
    let none: Option<&str> = None;
    mount(none, "/", none, MsFlags::MS_REC | MsFlags::MS_PRIVATE, none)
        .map_err(fail("make / private", Path::new("/")))?;
    let root = STAGING_CANDIDATES
        .iter()
        .map(Path::new)
        .find(|dir| {
            dir.is_dir()
                && !plan.binds.iter().any(|b| b.host.starts_with(dir))
                && !plan.libraries.iter().any(|l| l.starts_with(dir))
        })
        .ok_or_else(|| RootfsError {
            step: "find a staging directory outside the bind sources among",
            path: STAGING_CANDIDATES.join(", "),
            source: io::Error::from(io::ErrorKind::NotFound),
        })?;
    mount(
        Some("tmpfs"),
        root,
        Some("tmpfs"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV,
        Some("mode=0755,size=4m"),
    )
    .map_err(fail("mount root tmpfs on", root))?;

    for bind in plan.binds {
        bind_read_only(&bind.host, &under(root, &bind.jail))?;
    }
    for library in plan.libraries {
        expose_file(root, library)?;
    }

    let tmp = root.join("tmp");
    fs::create_dir(&tmp).map_err(fail_io("mkdir", &tmp))?;
    let tmp_options = format!("mode=1777,size={}", plan.scratch_bytes.max(4096));
    mount(
        Some("tmpfs"),
        &tmp,
        Some("tmpfs"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV,
        Some(tmp_options.as_str()),
    )
    .map_err(fail("mount scratch tmpfs on", &tmp))?;

    let dev = root.join("dev");
    fs::create_dir(&dev).map_err(fail_io("mkdir", &dev))?;
    mount(
        Some("tmpfs"),
        &dev,
        Some("tmpfs"),
        MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC,
        Some("mode=0755,size=64k"),
    )
    .map_err(fail("mount /dev tmpfs on", &dev))?;
    for name in DEVICES {
        let target = dev.join(name);
        fs::write(&target, b"").map_err(fail_io("create device mount point", &target))?;
        let host = Path::new("/dev").join(name);
        mount(Some(&host), &target, none, MsFlags::MS_BIND, none)
            .map_err(fail("bind device", &target))?;
        mount(
            none,
            &target,
            none,
            MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC,
            none,
        )
        .map_err(fail("remount device", &target))?;
    }
    for (name, target) in [
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ] {
        let link = dev.join(name);
        symlink(target, &link).map_err(fail_io("symlink", &link))?;
    }
    mount(
        none,
        &dev,
        none,
        MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY | MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC,
        Some("mode=0755,size=64k"),
    )
    .map_err(fail("remount /dev read-only", &dev))?;

    if plan.own_pid_namespace {
        let proc_dir = root.join("proc");
        fs::create_dir(&proc_dir).map_err(fail_io("mkdir", &proc_dir))?;
        mount(
            Some("proc"),
            &proc_dir,
            Some("proc"),
            MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
            none,
        )
        .map_err(fail("mount proc on", &proc_dir))?;
    }

    let old = root.join(".old-root");
    fs::create_dir(&old).map_err(fail_io("mkdir", &old))?;
    nix::unistd::pivot_root(root, &old).map_err(fail("pivot_root into", root))?;
    nix::unistd::chdir("/").map_err(fail("chdir", Path::new("/")))?;
    umount2("/.old-root", MntFlags::MNT_DETACH)
        .map_err(fail("detach old root", Path::new("/.old-root")))?;
    fs::remove_dir("/.old-root").map_err(fail_io("rmdir", Path::new("/.old-root")))?;
    mount(
        none,
        "/",
        none,
        MsFlags::MS_REMOUNT
            | MsFlags::MS_BIND
            | MsFlags::MS_RDONLY
            | MsFlags::MS_NOSUID
            | MsFlags::MS_NODEV,
        none,
    )
    .map_err(fail("remount / read-only", Path::new("/")))?;
    Ok(())
}

/// Makes host file `path` visible at the same path under `root`: every symlink on the way
/// (merged-/usr links such as `/lib64 -> usr/lib64`, soname links) is recreated as a
/// symlink, and the real file at the end is bound read-only.
fn expose_file(root: &Path, path: &Path) -> Result<(), RootfsError> {
    let mut wanted = lexical_normal(path);
    for _hop in 0..40 {
        let components: Vec<_> = wanted.components().skip(1).collect();
        let mut prefix = PathBuf::from("/");
        let mut link_at = None;
        for (i, component) in components.iter().enumerate() {
            prefix.push(component);
            let meta =
                fs::symlink_metadata(&prefix).map_err(fail_io("stat library path", &prefix))?;
            if meta.file_type().is_symlink() {
                link_at = Some(i);
                break;
            }
        }
        let Some(i) = link_at else {
            let target = under(root, &wanted);
            if fs::symlink_metadata(&target).is_err() {
                bind_read_only(&wanted, &target)?;
            }
            return Ok(());
        };
        let link = fs::read_link(&prefix).map_err(fail_io("read link", &prefix))?;
        let target = under(root, &prefix);
        if fs::symlink_metadata(&target).is_err() {
            mkdir_parents(&target)?;
            symlink(&link, &target).map_err(fail_io("symlink", &target))?;
        }
        // Every component before the link is a real directory, so `..` resolves lexically.
        let mut next = if link.is_absolute() {
            link
        } else {
            prefix.parent().unwrap_or(Path::new("/")).join(link)
        };
        for rest in &components[i + 1..] {
            next.push(rest);
        }
        wanted = lexical_normal(&next);
    }
    Err(RootfsError {
        step: "too many symlinks while exposing",
        path: path.display().to_string(),
        source: io::Error::from_raw_os_error(libc::ELOOP),
    })
}

fn lexical_normal(path: &Path) -> PathBuf {
    let mut out = PathBuf::from("/");
    for component in path.components() {
        match component {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::Normal(c) => out.push(c),
            _ => {}
        }
    }
    out
}

/// `root` joined with an absolute jail path.
pub fn under(root: &Path, jail_path: &Path) -> PathBuf {
    root.join(jail_path.strip_prefix("/").unwrap_or(jail_path))
}

fn mkdir_parents(path: &Path) -> Result<(), RootfsError> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(fail_io("mkdir", parent))?;
    }
    Ok(())
}

fn bind_read_only(host: &Path, target: &Path) -> Result<(), RootfsError> {
    let none: Option<&str> = None;
    let meta = fs::metadata(host).map_err(fail_io("stat bind source", host))?;
    mkdir_parents(target)?;
    if meta.is_dir() {
        fs::create_dir_all(target).map_err(fail_io("mkdir", target))?;
    } else {
        fs::write(target, b"").map_err(fail_io("create mount point", target))?;
    }
    // Not MS_REC: mounts below the source stay out of the jail (and could not be made
    // read-only by the remount below).
    mount(Some(host), target, none, MsFlags::MS_BIND, none).map_err(fail("bind", target))?;
    mount(
        none,
        target,
        none,
        MsFlags::MS_BIND
            | MsFlags::MS_REMOUNT
            | MsFlags::MS_RDONLY
            | MsFlags::MS_NOSUID
            | MsFlags::MS_NODEV,
        none,
    )
    .map_err(fail("remount read-only", target))?;
    Ok(())
}
