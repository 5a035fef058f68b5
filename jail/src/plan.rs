//! Everything the jail's processes will do, decided in the outer process before the first
//! fork: which layers run, and each layer's plan. The processes then only carry it out
//! (`run.rs`), so a plan is data a test can build and a launch a test can record.

use crate::cgroup_join::CgroupJoin;
use crate::check::SupportReport;
use crate::identity::IdentityPlan;
use crate::landlock_rules::{self, LandlockPlan};
use crate::namespaces::{self, IdMap, NamespacePlan};
use crate::resources::{ExecPlan, FdPlan, RlimitPlan};
use crate::rootfs::{self, RootPlan};
use crate::run::JailError;
use crate::seccomp::{self, CompiledPolicy};
use crate::spec::{JailSpec, Layer, Program};
use crate::syscalls::{LandlockRuleset, linux};
use faxbot_cgroup::{CGROUP_MOUNT, Cgroup, Hierarchy, Limits};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};

fn failed(layer: Layer) -> impl FnOnce(String) -> JailError {
    move |message| JailError::Setup { layer, message }
}

/// The layers that run, and what is to be said about the others.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayerPlan {
    /// The layers applied, in order.
    pub active: Vec<Layer>,
    /// One line per layer disabled on request or missing and allowed to be: said on stderr.
    pub notices: Vec<String>,
}

impl LayerPlan {
    /// Whether `layer` runs.
    pub fn on(&self, layer: Layer) -> bool {
        self.active.contains(&layer)
    }
}

/// Decides which layers run given the host's support: a missing layer is an error unless
/// the spec allows it to be missing; allowed-missing and disabled layers are announced.
pub fn plan_layers(spec: &JailSpec, support: &SupportReport) -> Result<LayerPlan, JailError> {
    let mut plan = LayerPlan {
        active: Vec::new(),
        notices: Vec::new(),
    };
    for layer in Layer::ALL {
        if !spec.enabled(layer) {
            plan.notices.push(format!(
                "WARNING: layer {layer} disabled on request (testing only; the jail is weaker)"
            ));
        } else if support.available(layer) {
            plan.active.push(layer);
        } else if spec.allow_missing.contains(&layer) {
            plan.notices.push(format!(
                "warning: layer {layer} unavailable here ({}); running without it as --allow-missing asked",
                support.detail(layer)
            ));
        } else {
            return Err(JailError::Missing {
                layer,
                detail: support.detail(layer).to_owned(),
            });
        }
    }
    Ok(plan)
}

/// What the outer process found out or set up before the jail starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostFacts {
    /// The verified program, open in the outer process (and so in its children).
    pub program_fd: RawFd,
    /// The program's ELF interpreter and libraries (host paths as the loader names them).
    pub libraries: Vec<PathBuf>,
    /// The program's ELF interpreter (`PT_INTERP`), when dynamically linked.
    pub interpreter: Option<PathBuf>,
    /// The files init writes to join the jail's cgroup (empty without the cgroup layer).
    pub cgroup_join_files: Vec<PathBuf>,
    /// The jail's cgroup directory, open, where init can be created inside it (v2).
    pub cgroup_birth_fd: Option<RawFd>,
    /// The outer process's effective uid; not root means a user namespace is added.
    pub outer_uid: u32,
    /// The outer process's effective gid.
    pub outer_gid: u32,
    /// Whether the outer process already runs in a user namespace that maps only part of
    /// the ids (where `setgroups` is refused).
    pub outer_in_user_namespace: bool,
    /// The kernel's Landlock ABI version.
    pub landlock_abi: i32,
    /// The write end of the pipe init reports a seccomp violation on.
    pub report_fd: Option<RawFd>,
    /// What the host's /proc holds besides processes (masked in the jail's /proc on
    /// kernels that cannot leave it out).
    pub proc_kernel_entries: Vec<rootfs::ProcEntry>,
}

impl HostFacts {
    fn unprivileged(&self) -> bool {
        self.outer_uid != 0
    }
}

/// The seccomp layer's part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeccompPlan {
    /// The filters the program installs last.
    pub policy: CompiledPolicy,
    /// Whether no_new_privs is set first (the identity layer, which sets it, is off).
    pub set_no_new_privs: bool,
}

/// What the program process does, layer by layer, before it executes the verified binary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgramPlan {
    /// Its descriptors.
    pub fds: FdPlan,
    /// Layer 4.
    pub rlimits: Option<RlimitPlan>,
    /// Layer 5.
    pub identity: Option<IdentityPlan>,
    /// Layer 6.
    pub landlock: Option<LandlockRuleset>,
    /// Layer 7.
    pub seccomp: Option<SeccompPlan>,
    /// The exec.
    pub exec: ExecPlan,
}

/// The whole launch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JailPlan {
    /// Layer 1 (init is born in it on v2, joins it first on v1).
    pub cgroup: Option<CgroupJoin>,
    /// Layer 2 (init is created in them, and creates the cgroup namespace itself).
    pub namespaces: NamespacePlan,
    /// Layer 3 (built by init).
    pub rootfs: Option<RootPlan>,
    /// Layers 4–7 and the exec (in the program process).
    pub program: ProgramPlan,
    /// Where init reports a seccomp violation (the write end of the outer process's pipe;
    /// close-on-exec), with the seccomp layer.
    pub report_fd: Option<RawFd>,
}

impl JailPlan {
    /// The plan of `spec` with `layers` on a host described by `host`.
    pub fn new(spec: &JailSpec, layers: &LayerPlan, host: &HostFacts) -> Result<Self, JailError> {
        let on = |l: Layer| layers.on(l);
        let unprivileged = host.unprivileged();
        if unprivileged && (on(Layer::Rootfs) || on(Layer::Identity)) && !on(Layer::Namespaces) {
            return Err(failed(Layer::Namespaces)(
                "without root, the rootfs and identity layers need the namespaces layer (a user namespace)".into(),
            ));
        }
        let user_namespace = unprivileged && on(Layer::Namespaces);
        let namespaces = NamespacePlan {
            flags: namespaces::flags(on(Layer::Namespaces), on(Layer::Rootfs), user_namespace),
            own_cgroup_namespace: on(Layer::Namespaces),
            user_map: user_namespace.then_some(IdMap {
                inside_uid: spec.uid,
                outside_uid: host.outer_uid,
                inside_gid: spec.gid,
                outside_gid: host.outer_gid,
            }),
            own_hostname: on(Layer::Namespaces),
        };
        let rootfs = on(Layer::Rootfs).then(|| RootPlan {
            binds: spec.ro_binds.clone(),
            scratch_bytes: spec.scratch_bytes,
            libraries: host.libraries.clone(),
            own_pid_namespace: on(Layer::Namespaces),
            proc_kernel_entries: host.proc_kernel_entries.clone(),
            device_nodes: !unprivileged && !host.outer_in_user_namespace,
        });
        let identity = on(Layer::Identity).then_some(IdentityPlan {
            uid: spec.uid,
            gid: spec.gid,
            clear_groups: !(user_namespace || host.outer_in_user_namespace),
        });
        let landlock = on(Layer::Landlock).then(|| {
            landlock_rules::ruleset(
                &landlock_plan(spec, host, on(Layer::Rootfs), on(Layer::Namespaces)),
                host.landlock_abi,
            )
        });
        let seccomp = if on(Layer::Seccomp) {
            Some(SeccompPlan {
                policy: seccomp::compile_policy(),
                set_no_new_privs: !on(Layer::Identity),
            })
        } else {
            None
        };
        let exec = ExecPlan::for_spec(spec).map_err(|e| failed(Layer::Rlimits)(e.to_string()))?;
        Ok(Self {
            cgroup: on(Layer::Cgroup).then(|| CgroupJoin {
                born_into: host.cgroup_birth_fd,
                join_files: host.cgroup_join_files.clone(),
            }),
            namespaces,
            rootfs,
            report_fd: on(Layer::Seccomp).then_some(host.report_fd).flatten(),
            program: ProgramPlan {
                fds: FdPlan {
                    program: host.program_fd,
                    rpc: spec.rpc_fd,
                },
                rlimits: on(Layer::Rlimits).then(|| RlimitPlan::for_spec(spec)),
                identity,
                landlock,
                seccomp,
                exec,
            },
        })
    }
}

/// Where the program may read, write and execute, as paths it sees: inside the fresh root
/// the binds' jail paths, without it their host paths.
fn landlock_plan(
    spec: &JailSpec,
    host: &HostFacts,
    rootfs: bool,
    namespaces: bool,
) -> LandlockPlan {
    let canonical = |paths: &[PathBuf]| -> Vec<PathBuf> {
        paths
            .iter()
            .filter_map(|l| std::fs::canonicalize(l).ok())
            .collect()
    };
    let interpreter: Vec<PathBuf> = host.interpreter.iter().cloned().collect();
    let interpreter = canonical(&interpreter);
    let seen = |b: &crate::spec::Bind| {
        if rootfs {
            b.jail.clone()
        } else {
            b.host.clone()
        }
    };
    // A bind of one file (a runtime's interpreter) takes file rights only: Landlock refuses
    // directory rights on a file.
    let (file_binds, dir_binds): (Vec<_>, Vec<_>) =
        spec.ro_binds.iter().partition(|b| b.host.is_file());
    LandlockPlan {
        read_only: dir_binds.into_iter().map(seen).collect(),
        read_only_files: canonical(&host.libraries)
            .into_iter()
            .filter(|l| !interpreter.contains(l))
            .chain(file_binds.into_iter().map(seen))
            .collect(),
        execute_files: interpreter,
        read_write: vec!["/tmp".into()],
        devices: rootfs::DEVICES
            .iter()
            .map(|d| Path::new("/dev").join(d))
            .collect(),
        // Inside the fresh root there is a /proc only with a pid namespace of its own.
        proc_self: if !rootfs || namespaces {
            vec!["/proc/self".into()]
        } else {
            Vec::new()
        },
    }
}

/// What the outer process holds while the jail runs.
#[derive(Debug)]
pub struct Prepared {
    /// The verified program, open.
    pub program: OwnedFd,
    /// The report pipe: (read end, write end), with the seccomp layer.
    pub report: Option<(OwnedFd, OwnedFd)>,
    /// The jail's cgroup, created and limited (with the cgroup layer).
    pub cgroup: Option<Cgroup>,
    /// Its directory, open, where init can be created inside it (v2).
    pub cgroup_dir: Option<OwnedFd>,
    /// What the plan is built from.
    pub facts: HostFacts,
}

/// Opens the program, finds its libraries, creates the cgroup and reads the ids: the outer
/// process's share of the setup on this host.
pub fn prepare(
    spec: &JailSpec,
    layers: &LayerPlan,
    detected: Option<&Hierarchy>,
) -> Result<Prepared, JailError> {
    let program: OwnedFd = match &spec.program {
        Program::Fd(fd) => linux::adopt_inherited_fd(*fd)
            .map_err(|e| failed(Layer::Rootfs)(format!("inherited program fd {fd}: {e}")))?,
        Program::Path(path) => std::fs::File::open(path)
            .map_err(|e| failed(Layer::Rootfs)(format!("open program {}: {e}", path.display())))?
            .into(),
    };
    let program_file = program
        .try_clone()
        .map(std::fs::File::from)
        .map_err(|e| failed(Layer::Rootfs)(format!("program fd: {e}")))?;
    let mut libraries = crate::elf::library_closure(&program_file);
    for library in crate::elf::closure_of_shared_objects(&spec.library_dirs) {
        if !libraries.contains(&library) {
            libraries.push(library);
        }
    }
    let interpreter = crate::elf::parse_file(&program_file).and_then(|deps| deps.interpreter);
    let report = if layers.on(Layer::Seccomp) {
        Some(
            linux::report_pipe()
                .map_err(|e| failed(Layer::Seccomp)(format!("report pipe: {e}")))?,
        )
    } else {
        None
    };
    let cgroup = if layers.on(Layer::Cgroup) {
        let hierarchy = match detected {
            Some(hierarchy) => hierarchy.clone(),
            None => Hierarchy::detect(Path::new(CGROUP_MOUNT))
                .map_err(|e| failed(Layer::Cgroup)(e.to_string()))?,
        };
        let hierarchy = if spec.accounting {
            hierarchy
        } else {
            hierarchy.limits_only()
        };
        // Run by hand in the root of a delegated v2 subtree: into its leaf first (the core
        // settled at start, so under the supervisor this does nothing).
        hierarchy
            .settle()
            .map_err(|e| failed(Layer::Cgroup)(e.to_string()))?;
        let name = format!("jail-{}-{}", std::process::id(), nanos());
        let limits = Limits {
            memory_bytes: spec.memory_bytes,
            pids: spec.pids,
            cpu_cores: spec.cpu_cores,
        };
        Some(
            hierarchy
                .create(&name, &limits)
                .map_err(|e| failed(Layer::Cgroup)(e.to_string()))?,
        )
    } else {
        None
    };
    let cgroup_dir = match cgroup.as_ref().and_then(Cgroup::birth_dir) {
        Some(dir) => match open_dir(dir) {
            Ok(fd) => Some(fd),
            Err(e) => {
                let message = format!("open {}: {e}", dir.display());
                if let Some(cgroup) = cgroup {
                    let _ = cgroup.remove();
                }
                return Err(failed(Layer::Cgroup)(message));
            }
        },
        None => None,
    };
    let facts = HostFacts {
        cgroup_birth_fd: cgroup_dir.as_ref().map(|fd| fd.as_raw_fd()),
        report_fd: report.as_ref().map(|(_, write)| write.as_raw_fd()),
        program_fd: program.as_raw_fd(),
        libraries,
        interpreter,
        cgroup_join_files: cgroup
            .as_ref()
            .map(Cgroup::self_join_files)
            .unwrap_or_default(),
        outer_uid: nix::unistd::geteuid().as_raw(),
        outer_gid: nix::unistd::getegid().as_raw(),
        outer_in_user_namespace: std::fs::read_to_string("/proc/self/uid_map")
            .is_ok_and(|m| !m.contains("4294967295")),
        landlock_abi: linux::landlock_abi(),
        // Listed only where the jail's procfs cannot leave them out (before Linux 5.8): a
        // walk of the host's /proc costs per host process.
        proc_kernel_entries: if rootfs::procfs_has_subset_pid() {
            Vec::new()
        } else {
            rootfs::proc_kernel_entries(Path::new("/proc"))
        },
    };
    Ok(Prepared {
        program,
        report,
        cgroup,
        cgroup_dir,
        facts,
    })
}

/// A directory opened for `clone3(CLONE_INTO_CGROUP)`, close-on-exec.
fn open_dir(dir: &Path) -> std::io::Result<OwnedFd> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY)
        .open(dir)
        .map(OwnedFd::from)
}

fn nanos() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}
