//! Layer 3, the fresh root: a tmpfs holding read-only binds of what the spec names, the
//! system library files a dynamically linked program needs, a size-limited /tmp, a minimal
//! /dev and a private /proc; then pivot_root with the old root detached.
//!
//! Every change goes through [`Syscalls`]; the host is only read (what a bind source is,
//! where the symlinks on a library's path lead).

use crate::spec::Bind;
use crate::syscalls::{SysError, Syscalls};
use nix::mount::{MntFlags, MsFlags};
use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Where the new root may be assembled: a tmpfs is mounted over the first of these that
/// exists and holds none of the bind sources (the mount is private to the jail's mount
/// namespace; the host's directory is untouched, but it is hidden from the binds).
pub const STAGING_CANDIDATES: [&str; 5] = ["/tmp", "/mnt", "/run", "/media", "/srv"];
/// Device nodes bound from the host.
pub const DEVICES: [&str; 5] = ["null", "zero", "full", "random", "urandom"];

/// A step of building the root failed.
#[derive(Debug, thiserror::Error)]
pub enum RootfsError {
    /// A call through the seam failed.
    #[error(transparent)]
    Sys(#[from] SysError),
    /// Reading the host (a bind source, a library path) failed.
    #[error("{step} {path}: {source}")]
    Host {
        /// What was being done.
        step: &'static str,
        /// The host path.
        path: String,
        /// The error.
        source: io::Error,
    },
}

fn host_err<'a>(step: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> RootfsError + 'a {
    move |source| RootfsError::Host {
        step,
        path: path.display().to_string(),
        source,
    }
}

/// What the root holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RootPlan {
    /// Read-only binds.
    pub binds: Vec<Bind>,
    /// Size of /tmp.
    pub scratch_bytes: u64,
    /// The interpreter and libraries the program needs (host paths as the loader names them).
    pub libraries: Vec<PathBuf>,
    /// Whether a /proc of the jail's own pid namespace can be mounted.
    pub own_pid_namespace: bool,
    /// What /proc holds besides processes (read from the host's procfs), masked where the
    /// kernel cannot leave it out.
    pub proc_kernel_entries: Vec<ProcEntry>,
    /// Whether init may create /dev's nodes (root in the host's user namespace): one
    /// `mknod` each instead of a bind mount and its read-only remount, the two mount calls
    /// that made /dev a third of the root's cost. Inside a user namespace the kernel refuses
    /// `mknod`, and the host's nodes are bound instead.
    pub device_nodes: bool,
}

/// The device numbers of [`DEVICES`], fixed by the kernel's ABI
/// (Documentation/admin-guide/devices.txt: the memory devices, major 1).
const DEVICE_NUMBERS: [(u32, u32); 5] = [(1, 3), (1, 5), (1, 7), (1, 8), (1, 9)];

/// The mount options of the jail's /proc.
pub const PROC_OPTIONS: &str = "hidepid=invisible,subset=pid";

/// A top-level /proc entry that is not a process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcEntry {
    /// Its name.
    pub name: String,
    /// Whether it is a directory.
    pub is_dir: bool,
}

/// The host procfs's entries that are not processes, `self` or `thread-self`; symlinks
/// (`mounts`, `net`, …) point into `self` and are left alone.
pub fn proc_kernel_entries(proc_dir: &Path) -> Vec<ProcEntry> {
    let Ok(entries) = fs::read_dir(proc_dir) else {
        return Vec::new();
    };
    let mut found: Vec<ProcEntry> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let kind = e.file_type().ok()?;
            let process = name.bytes().all(|b| b.is_ascii_digit());
            (!process && !kind.is_symlink() && name != "self" && name != "thread-self").then_some(
                ProcEntry {
                    name,
                    is_dir: kind.is_dir(),
                },
            )
        })
        .collect();
    found.sort_by(|a, b| a.name.cmp(&b.name));
    found
}

/// Whether this kernel's procfs takes `subset=pid` (Linux 5.8 and later), from the release
/// the kernel reports; `false` when it cannot be read.
pub fn procfs_has_subset_pid() -> bool {
    let Ok(release) = fs::read_to_string("/proc/sys/kernel/osrelease") else {
        return false;
    };
    let mut parts = release
        .split(|c: char| !c.is_ascii_digit())
        .map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    (major, minor) >= (5, 8)
}

/// Builds the root and pivots into it. Must run in a private mount namespace.
pub fn enter(sys: &dyn Syscalls, plan: &RootPlan) -> Result<(), RootfsError> {
    sys.mount(
        None,
        Path::new("/"),
        None,
        MsFlags::MS_REC | MsFlags::MS_PRIVATE,
        None,
    )?;
    let root = staging_dir(plan)?;
    sys.mount(
        Some(Path::new("tmpfs")),
        root,
        Some("tmpfs"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
        Some("mode=0755,size=4m"),
    )?;
    let mut builder = RootBuilder {
        sys,
        root,
        made: BTreeSet::new(),
        bound_dirs: Vec::new(),
        device_nodes: plan.device_nodes,
    };
    for bind in &plan.binds {
        builder.bind_read_only(&bind.host, &under(root, &bind.jail))?;
    }
    for library in &plan.libraries {
        builder.expose_file(library)?;
    }
    builder.scratch(plan.scratch_bytes)?;
    builder.devices()?;
    if plan.own_pid_namespace {
        builder.proc(&plan.proc_kernel_entries)?;
    }
    pivot(sys, root)?;
    Ok(())
}

fn staging_dir(plan: &RootPlan) -> Result<&'static Path, RootfsError> {
    STAGING_CANDIDATES
        .iter()
        .map(Path::new)
        .find(|dir| {
            dir.is_dir()
                && !plan.binds.iter().any(|b| b.host.starts_with(dir))
                && !plan.libraries.iter().any(|l| l.starts_with(dir))
        })
        .ok_or_else(|| RootfsError::Host {
            step: "find a staging directory outside the bind sources among",
            path: STAGING_CANDIDATES.join(", "),
            source: io::Error::from(io::ErrorKind::NotFound),
        })
}

/// pivot_root into `root`, detach the old root, and make `/` read-only.
fn pivot(sys: &dyn Syscalls, root: &Path) -> Result<(), SysError> {
    let old = root.join(".old-root");
    sys.create_dir(&old)?;
    sys.pivot_root(root, &old)?;
    sys.chdir(Path::new("/"))?;
    sys.unmount(Path::new("/.old-root"), MntFlags::MNT_DETACH)?;
    sys.remove_dir(Path::new("/.old-root"))?;
    sys.mount(
        None,
        Path::new("/"),
        None,
        MsFlags::MS_REMOUNT
            | MsFlags::MS_BIND
            | MsFlags::MS_RDONLY
            | MsFlags::MS_NOSUID
            | MsFlags::MS_NODEV
            | MsFlags::MS_NOEXEC,
        None,
    )
}

/// The root under construction, and what is already in it.
struct RootBuilder<'a> {
    sys: &'a dyn Syscalls,
    root: &'a Path,
    /// What this builder created under the root.
    made: BTreeSet<PathBuf>,
    /// Directories bound so far: (where under the root, the host directory).
    bound_dirs: Vec<(PathBuf, PathBuf)>,
    /// See [`RootPlan::device_nodes`].
    device_nodes: bool,
}

impl RootBuilder<'_> {
    /// Whether `path` (under the root) exists: created here, or inside a bound directory
    /// (whose contents are the host directory's).
    fn exists(&self, path: &Path) -> bool {
        self.made.contains(path)
            || self.bound_dirs.iter().any(|(target, host)| {
                path.strip_prefix(target)
                    .is_ok_and(|rest| fs::symlink_metadata(host.join(rest)).is_ok())
            })
    }

    fn mkdir(&mut self, dir: &Path) -> Result<(), SysError> {
        if dir == self.root || self.exists(dir) {
            return Ok(());
        }
        if let Some(parent) = dir.parent()
            && parent.starts_with(self.root)
        {
            self.mkdir(parent)?;
        }
        self.sys.create_dir(dir)?;
        self.made.insert(dir.to_owned());
        Ok(())
    }

    fn mkdir_parent(&mut self, path: &Path) -> Result<(), SysError> {
        match path.parent() {
            Some(parent) => self.mkdir(parent),
            None => Ok(()),
        }
    }

    /// A size-limited writable /tmp, where nothing can be executed or mapped executable.
    fn scratch(&mut self, bytes: u64) -> Result<(), SysError> {
        let tmp = self.root.join("tmp");
        self.mkdir(&tmp)?;
        let options = format!("mode=1777,size={}", bytes.max(4096));
        self.sys.mount(
            Some(Path::new("tmpfs")),
            &tmp,
            Some("tmpfs"),
            MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
            Some(&options),
        )
    }

    /// A read-only /dev holding the five harmless device nodes and the fd symlinks.
    fn devices(&mut self) -> Result<(), SysError> {
        let dev = self.root.join("dev");
        self.mkdir(&dev)?;
        self.sys.mount(
            Some(Path::new("tmpfs")),
            &dev,
            Some("tmpfs"),
            MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC,
            Some("mode=0755,size=64k"),
        )?;
        for (name, (major, minor)) in DEVICES.into_iter().zip(DEVICE_NUMBERS) {
            let target = dev.join(name);
            if self.device_nodes {
                self.sys.make_char_device(&target, major, minor)?;
                continue;
            }
            self.sys.create_file(&target)?;
            let host = Path::new("/dev").join(name);
            self.sys
                .mount(Some(&host), &target, None, MsFlags::MS_BIND, None)?;
            self.sys.mount(
                None,
                &target,
                None,
                MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC,
                None,
            )?;
        }
        for (name, target) in [
            ("fd", "/proc/self/fd"),
            ("stdin", "/proc/self/fd/0"),
            ("stdout", "/proc/self/fd/1"),
            ("stderr", "/proc/self/fd/2"),
        ] {
            self.sys.symlink(Path::new(target), &dev.join(name))?;
        }
        self.sys.mount(
            None,
            &dev,
            None,
            MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY | MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC,
            Some("mode=0755,size=64k"),
        )
    }

    /// A /proc of the jail's own pid namespace that shows processes only (`subset=pid`:
    /// no kallsyms, modules, sys/, keys, …), and of those only the ones the caller may
    /// ptrace (`hidepid=invisible`). On kernels without those options (before 5.8) every
    /// kernel entry the host's procfs has is masked instead, as runc masks its paths.
    fn proc(&mut self, kernel_entries: &[ProcEntry]) -> Result<(), SysError> {
        let proc_dir = self.root.join("proc");
        self.mkdir(&proc_dir)?;
        let flags = MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC;
        let proc = Some(Path::new("proc"));
        match self
            .sys
            .mount(proc, &proc_dir, Some("proc"), flags, Some(PROC_OPTIONS))
        {
            Ok(()) => Ok(()),
            // Without the list (the outer process judged the kernel new enough) nothing would
            // be masked: refuse rather than show the kernel's entries.
            Err(e)
                if e.source.raw_os_error() == Some(libc::EINVAL) && !kernel_entries.is_empty() =>
            {
                eprintln!(
                    "faxbot-jail: warning: this kernel's procfs refuses {PROC_OPTIONS} (Linux < 5.8); masking its {} kernel entries instead",
                    kernel_entries.len()
                );
                self.sys.mount(proc, &proc_dir, Some("proc"), flags, None)?;
                self.mask(&proc_dir, kernel_entries)
            }
            Err(e) => Err(e),
        }
    }

    /// Covers each entry: a file with /dev/null, a directory with an empty read-only tmpfs.
    fn mask(&mut self, proc_dir: &Path, entries: &[ProcEntry]) -> Result<(), SysError> {
        let sealed =
            MsFlags::MS_RDONLY | MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC;
        for entry in entries {
            let target = proc_dir.join(&entry.name);
            if entry.is_dir {
                self.sys.mount(
                    Some(Path::new("tmpfs")),
                    &target,
                    Some("tmpfs"),
                    sealed,
                    Some("size=0"),
                )?;
            } else {
                self.sys.mount(
                    Some(Path::new("/dev/null")),
                    &target,
                    None,
                    MsFlags::MS_BIND,
                    None,
                )?;
                self.sys.mount(
                    None,
                    &target,
                    None,
                    MsFlags::MS_BIND | MsFlags::MS_REMOUNT | sealed,
                    None,
                )?;
            }
        }
        Ok(())
    }

    /// Makes host file `path` visible at the same path under the root: every symlink on
    /// the way (merged-/usr links such as `/lib64 -> usr/lib64`, soname links) is
    /// recreated as a symlink, and the real file at the end is bound read-only.
    fn expose_file(&mut self, path: &Path) -> Result<(), RootfsError> {
        let mut wanted = lexical_normal(path);
        for _hop in 0..40 {
            let components: Vec<_> = wanted.components().skip(1).collect();
            let mut prefix = PathBuf::from("/");
            let mut link_at = None;
            for (i, component) in components.iter().enumerate() {
                prefix.push(component);
                let meta = fs::symlink_metadata(&prefix)
                    .map_err(host_err("stat library path", &prefix))?;
                if meta.file_type().is_symlink() {
                    link_at = Some(i);
                    break;
                }
            }
            let Some(i) = link_at else {
                let target = under(self.root, &wanted);
                if !self.exists(&target) {
                    self.bind_read_only(&wanted, &target)?;
                }
                return Ok(());
            };
            let link = fs::read_link(&prefix).map_err(host_err("read link", &prefix))?;
            let target = under(self.root, &prefix);
            if !self.exists(&target) {
                self.mkdir_parent(&target)?;
                self.sys.symlink(&link, &target)?;
                self.made.insert(target);
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
        Err(RootfsError::Host {
            step: "too many symlinks while exposing",
            path: path.display().to_string(),
            source: io::Error::from_raw_os_error(libc::ELOOP),
        })
    }

    fn bind_read_only(&mut self, host: &Path, target: &Path) -> Result<(), RootfsError> {
        let meta = fs::metadata(host).map_err(host_err("stat bind source", host))?;
        self.mkdir_parent(target)?;
        if meta.is_dir() {
            self.mkdir(target)?;
        } else if !self.exists(target) {
            self.sys.create_file(target)?;
            self.made.insert(target.to_owned());
        }
        // Not MS_REC: mounts below the source stay out of the jail (and could not be made
        // read-only by the remount below).
        self.sys
            .mount(Some(host), target, None, MsFlags::MS_BIND, None)?;
        self.sys.mount(
            None,
            target,
            None,
            MsFlags::MS_BIND
                | MsFlags::MS_REMOUNT
                | MsFlags::MS_RDONLY
                | MsFlags::MS_NOSUID
                | MsFlags::MS_NODEV,
            None,
        )?;
        if meta.is_dir() {
            self.bound_dirs.push((target.to_owned(), host.to_owned()));
        }
        Ok(())
    }
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
