//! The jail's setup recorded, without root: init is created by one clone into its
//! namespaces (and, on cgroup v2, its cgroup); the seven layers run in order and end in one
//! exec; the cgroup is joined before the cgroup namespace or any child exists; a failing
//! layer stops the launch with the layer named and nothing after it runs; a layer allowed
//! to be missing is announced and skipped, one not allowed refuses.
//!
//! These run as any user (the recording double changes nothing); what only the kernel can
//! show is in `jail_escapes.rs`.

use faxbot_jail::check::{LayerSupport, SupportReport};
use faxbot_jail::resources::PROGRAM_FD;
use faxbot_jail::syscalls::{Call, CapabilitySet, RecordingSyscalls, RuleTarget};
use faxbot_jail::{Bind, HostFacts, JailError, JailPlan, JailSpec, Layer, Program, launch};
use landlock::AccessFs;
use nix::errno::Errno;
use nix::mount::MsFlags;
use nix::sched::CloneFlags;
use std::path::{Path, PathBuf};

/// What a recorded call belongs to: a layer, the exec, or process plumbing (`None`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Layer(Layer),
    Exec,
}

fn step_of(call: &Call) -> Option<Step> {
    use Call::*;
    let layer = match call {
        WriteFile { path, .. } if path.ends_with("tasks") || path.ends_with("cgroup.procs") => {
            Layer::Cgroup
        }
        // Born inside the cgroup: that is the join.
        CloneInto {
            cgroup: Some(_), ..
        } => Layer::Cgroup,
        WriteFile { .. } | Unshare(_) | SetHostname(_) => Layer::Namespaces,
        Mount { .. }
        | Unmount { .. }
        | PivotRoot { .. }
        | Chdir(_)
        | CreateDir(_)
        | CreateFile(_)
        | MakeCharDevice { .. }
        | Symlink { .. }
        | RemoveDir(_) => Layer::Rootfs,
        DupAbove { .. } | DupTo { .. } | Close(_) | CloseFrom(_) | SetRlimit { .. } => {
            Layer::Rlimits
        }
        SetGroups(_) | SetResGid(_) | SetResUid(_) | DropBoundingSet | ClearCapabilities(_) => {
            Layer::Identity
        }
        LandlockRestrictSelf(_) => Layer::Landlock,
        SeccompListener(_) | SendFd { .. } => Layer::Seccomp,
        Execveat { .. } => return Some(Step::Exec),
        // init's creation; the namespaces it carries are checked on their own.
        CloneInto { cgroup: None, .. } => return None,
        Fork | Exit(_) | ParentDeathSignal | UnblockAllSignals | SetSid | NoNewPrivs
        | SocketPair => return None,
    };
    Some(Step::Layer(layer))
}

/// The steps of `calls` in order, each run of one step shown once.
fn steps(calls: &[Call]) -> Vec<Step> {
    let mut out: Vec<Step> = Vec::new();
    for step in calls.iter().filter_map(step_of) {
        if out.last() != Some(&step) {
            out.push(step);
        }
    }
    out
}

/// The seven layers in order, and the exec.
fn all_layers_in_order() -> Vec<Step> {
    Layer::ALL
        .iter()
        .map(|l| Step::Layer(*l))
        .chain([Step::Exec])
        .collect()
}

fn support(missing: &[Layer]) -> SupportReport {
    SupportReport {
        layers: Layer::ALL
            .iter()
            .map(|l| LayerSupport {
                layer: l.name(),
                available: !missing.contains(l),
                detail: if missing.contains(l) {
                    format!("no {l} on this test host")
                } else {
                    format!("{l} here")
                },
            })
            .collect(),
        landlock_abi: 6,
        cgroup_version: "v1".into(),
        mode: "root".into(),
    }
}

fn spec() -> JailSpec {
    let mut spec = JailSpec::new(Program::Fd(7), vec!["plugin".into(), "serve".into()]);
    spec.ro_binds.push(Bind {
        host: PathBuf::from(env!("CARGO_MANIFEST_DIR")),
        jail: "/app".into(),
    });
    spec.env.push(("FAXBOT_ABI".into(), "1".into()));
    spec.rpc_fd = Some(5);
    spec
}

fn host(outer_uid: u32) -> HostFacts {
    let me = std::fs::File::open(std::env::current_exe().expect("exe")).expect("open");
    HostFacts {
        program_fd: 7,
        libraries: faxbot_jail::elf::library_closure(&me),
        interpreter: faxbot_jail::elf::parse_file(&me).and_then(|d| d.interpreter),
        proc_kernel_entries: faxbot_jail::rootfs::proc_kernel_entries(Path::new("/proc")),
        cgroup_join_files: vec![
            "/sys/fs/cgroup/memory/faxbot-jails/jail-1-2/tasks".into(),
            "/sys/fs/cgroup/pids/faxbot-jails/jail-1-2/tasks".into(),
        ],
        cgroup_birth_fd: None,
        outer_uid,
        outer_gid: outer_uid,
        outer_in_user_namespace: false,
        landlock_abi: 6,
        report_fd: Some(9),
    }
}

/// A cgroup v2 host: one `cgroup.procs`, and the directory open at fd 11.
fn v2_host() -> HostFacts {
    HostFacts {
        cgroup_join_files: vec!["/sys/fs/cgroup/faxbot-jails/jail-1-2/cgroup.procs".into()],
        cgroup_birth_fd: Some(11),
        ..host(0)
    }
}

/// Plans `spec` on a host lacking `missing` and launches it on `sys`.
fn launch_on(
    sys: &RecordingSyscalls,
    spec: &JailSpec,
    missing: &[Layer],
    outer_uid: u32,
) -> Result<Vec<String>, JailError> {
    launch_on_host(sys, spec, missing, &host(outer_uid))
}

fn launch_on_host(
    sys: &RecordingSyscalls,
    spec: &JailSpec,
    missing: &[Layer],
    host: &HostFacts,
) -> Result<Vec<String>, JailError> {
    let layers = faxbot_jail::plan_layers(spec, &support(missing))?;
    let plan = JailPlan::new(spec, &layers, host)?;
    let outcome = launch(sys, &plan)?;
    assert_eq!(
        outcome, None,
        "under the double the launch ends inside the jail"
    );
    Ok(layers.notices)
}

#[test]
fn the_seven_layers_run_in_order_and_end_in_one_exec() {
    let sys = RecordingSyscalls::new();
    launch_on(&sys, &spec(), &[], 0).expect("launch");
    let calls = sys.calls();
    assert_eq!(steps(&calls), all_layers_in_order(), "{calls:#?}");
    let execs: Vec<&Call> = calls
        .iter()
        .filter(|c| matches!(c, Call::Execveat { .. }))
        .collect();
    assert_eq!(
        execs,
        [&Call::Execveat {
            fd: PROGRAM_FD,
            argv: vec!["plugin".into(), "serve".into()],
        }]
    );
    // Two processes: init, cloned into its namespaces as the very first call, and the
    // program, forked by init once layers 1 to 3 are in place.
    assert!(
        matches!(calls.first(), Some(Call::CloneInto { cgroup: None, .. })),
        "{calls:#?}"
    );
    let clones = calls
        .iter()
        .filter(|c| matches!(c, Call::CloneInto { .. }))
        .count();
    let forks: Vec<usize> = calls
        .iter()
        .enumerate()
        .filter(|(_, c)| **c == Call::Fork)
        .map(|(i, _)| i)
        .collect();
    assert_eq!((clones, forks.len()), (1, 1), "{calls:#?}");
    let first = |wanted: fn(&Call) -> bool| calls.iter().position(wanted).expect("present");
    assert!(forks[0] > first(|c| matches!(c, Call::WriteFile { .. })));
    assert!(forks[0] > first(|c| matches!(c, Call::Unshare(_))));
    assert!(forks[0] > first(|c| matches!(c, Call::PivotRoot { .. })));
    assert!(forks[0] < first(|c| matches!(c, Call::DupAbove { .. })));
}

/// The namespaces init is cloned into, as root: all but the cgroup namespace.
fn init_namespaces() -> CloneFlags {
    CloneFlags::CLONE_NEWNS
        | CloneFlags::CLONE_NEWPID
        | CloneFlags::CLONE_NEWNET
        | CloneFlags::CLONE_NEWIPC
        | CloneFlags::CLONE_NEWUTS
}

#[test]
fn init_is_created_in_its_namespaces_with_the_forwarded_signals_already_blocked() {
    let sys = RecordingSyscalls::new();
    launch_on(&sys, &spec(), &[], 0).expect("launch");
    let calls = sys.calls();
    assert_eq!(
        calls.first(),
        Some(&Call::CloneInto {
            flags: init_namespaces(),
            cgroup: None,
            blocked: faxbot_jail::processes::FORWARDED.to_vec(),
        }),
        "as root no user namespace; the cgroup namespace comes later: {calls:#?}"
    );
    // Only the program opens its signal mask, and only once it is forked.
    let fork = calls.iter().position(|c| *c == Call::Fork).expect("fork");
    let unblocked: Vec<usize> = calls
        .iter()
        .enumerate()
        .filter(|(_, c)| matches!(c, Call::UnblockAllSignals))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(unblocked.len(), 1, "{calls:#?}");
    assert!(unblocked[0] > fork, "{calls:#?}");
}

#[test]
fn init_joins_the_cgroup_first_then_roots_its_cgroup_namespace_there_before_any_child() {
    let sys = RecordingSyscalls::new();
    launch_on(&sys, &spec(), &[], 0).expect("launch");
    let calls = sys.calls();
    // init's own calls before its cgroup namespace: its parent-death signal, then the join.
    let before_cgroup_namespace: Vec<&Call> = calls
        .iter()
        .skip(1)
        .take_while(|c| !matches!(c, Call::Unshare(_)))
        .collect();
    assert_eq!(
        before_cgroup_namespace,
        [
            &Call::ParentDeathSignal,
            &Call::WriteFile {
                path: "/sys/fs/cgroup/memory/faxbot-jails/jail-1-2/tasks".into(),
                contents: "0".into()
            },
            &Call::WriteFile {
                path: "/sys/fs/cgroup/pids/faxbot-jails/jail-1-2/tasks".into(),
                contents: "0".into()
            },
        ],
        "{calls:#?}"
    );
    let unshares: Vec<&Call> = calls
        .iter()
        .filter(|c| matches!(c, Call::Unshare(_)))
        .collect();
    assert_eq!(
        unshares,
        [&Call::Unshare(CloneFlags::CLONE_NEWCGROUP)],
        "only the cgroup namespace is unshared, once: {calls:#?}"
    );
    let unshare = calls.iter().position(|c| matches!(c, Call::Unshare(_)));
    let fork = calls.iter().position(|c| *c == Call::Fork);
    assert!(unshare < fork, "{calls:#?}");
}

#[test]
fn identity_drops_groups_and_gid_then_the_bounding_set_then_the_uid_then_every_other_set() {
    let sys = RecordingSyscalls::new();
    launch_on(&sys, &spec(), &[], 0).expect("launch");
    let identity: Vec<Call> = sys
        .calls()
        .into_iter()
        .skip_while(|c| !matches!(c, Call::SetGroups(_)))
        .take_while(|c| !matches!(c, Call::LandlockRestrictSelf(_)))
        .collect();
    let id = faxbot_jail::spec::DEFAULT_JAIL_ID;
    assert_eq!(
        identity,
        vec![
            Call::SetGroups(vec![]),
            Call::SetResGid(id),
            Call::DropBoundingSet,
            Call::ClearCapabilities(CapabilitySet::Ambient),
            Call::SetResUid(id),
            Call::ClearCapabilities(CapabilitySet::Inheritable),
            Call::ClearCapabilities(CapabilitySet::Effective),
            Call::ClearCapabilities(CapabilitySet::Permitted),
            Call::NoNewPrivs,
            Call::ParentDeathSignal,
        ]
    );
}

#[test]
fn the_root_is_made_private_first_and_read_only_last_after_the_pivot() {
    let sys = RecordingSyscalls::new();
    launch_on(&sys, &spec(), &[], 0).expect("launch");
    let rootfs: Vec<Call> = sys
        .calls()
        .into_iter()
        .filter(|c| step_of(c) == Some(Step::Layer(Layer::Rootfs)))
        .filter(|c| !matches!(c, Call::DupAbove { .. }))
        .collect();
    assert_eq!(
        rootfs.first(),
        Some(&Call::Mount {
            source: None,
            target: "/".into(),
            fstype: None,
            flags: MsFlags::MS_REC | MsFlags::MS_PRIVATE,
            data: None,
        }),
        "nothing is mounted before propagation to the host is cut"
    );
    let pivot = rootfs
        .iter()
        .position(|c| matches!(c, Call::PivotRoot { .. }))
        .expect("pivot_root");
    let after: Vec<&Call> = rootfs[pivot..].iter().collect();
    assert!(
        matches!(after[1], Call::Chdir(p) if p == Path::new("/"))
            && matches!(after[2], Call::Unmount { target, .. } if target == Path::new("/.old-root")),
        "the old root is detached right after the pivot: {after:#?}"
    );
    assert!(
        matches!(rootfs.last(), Some(Call::Mount { target, flags, .. })
            if target == Path::new("/") && flags.contains(MsFlags::MS_RDONLY | MsFlags::MS_REMOUNT)),
        "{rootfs:#?}"
    );
    // The spec's bind is read-only, and the program's loader is bound too.
    assert!(
        rootfs
            .iter()
            .any(|c| matches!(c, Call::Mount { target, flags, .. }
        if target == Path::new("/tmp/app") && flags.contains(MsFlags::MS_RDONLY)))
    );
    assert!(
        rootfs
            .iter()
            .any(|c| matches!(c, Call::Mount { source: Some(s), .. }
        if s.to_string_lossy().contains("ld-linux")))
    );
}

#[test]
fn a_failing_layer_stops_the_launch_with_its_layer_named_and_nothing_after_it_runs() {
    for layer in Layer::ALL {
        let sys = RecordingSyscalls::new().failing(
            move |c| step_of(c) == Some(Step::Layer(layer)),
            Errno::EPERM,
        );
        let err = launch_on(&sys, &spec(), &[], 0).expect_err("a failed layer fails the launch");
        assert!(
            matches!(&err, JailError::Setup { layer: named, .. } if *named == layer),
            "{layer}: {err}"
        );
        assert!(err.to_string().starts_with(&format!("{layer}: ")), "{err}");
        let calls = sys.calls();
        let order = all_layers_in_order();
        let failing = order
            .iter()
            .position(|s| *s == Step::Layer(layer))
            .expect("every layer has a step");
        assert_eq!(
            steps(&calls),
            order[..=failing].to_vec(),
            "{layer}: {calls:#?}"
        );
        assert_eq!(
            calls
                .iter()
                .filter(|c| step_of(c).is_some())
                .filter(|c| step_of(c) == Some(Step::Layer(layer)))
                .count(),
            1,
            "{layer}: the failed call is the layer's last"
        );
        assert!(calls.contains(&Call::Exit(125)), "{layer}: exit status 125");
    }
}

#[test]
fn a_layer_missing_but_allowed_is_announced_and_skipped() {
    let mut spec = spec();
    spec.allow_missing = vec![Layer::Landlock];
    let sys = RecordingSyscalls::new();
    let notices = launch_on(&sys, &spec, &[Layer::Landlock], 0).expect("allowed to be missing");
    assert_eq!(
        notices,
        [
            "warning: layer landlock unavailable here (no landlock on this test host); running without it as --allow-missing asked"
        ]
    );
    let mut expected = all_layers_in_order();
    expected.retain(|s| *s != Step::Layer(Layer::Landlock));
    assert_eq!(steps(&sys.calls()), expected);
}

#[test]
fn a_missing_layer_not_allowed_refuses_before_anything_runs() {
    for layer in Layer::ALL {
        let sys = RecordingSyscalls::new();
        let err = launch_on(&sys, &spec(), &[layer], 0).expect_err("refused");
        assert!(
            matches!(&err, JailError::Missing { layer: named, .. } if *named == layer),
            "{err}"
        );
        assert!(
            err.to_string().contains("refusing to run without it"),
            "{err}"
        );
        assert!(sys.calls().is_empty(), "{layer}: {:#?}", sys.calls());
    }
}

#[test]
fn on_cgroup_v1_init_moves_only_its_one_thread_so_no_threadgroup_lock_is_taken() {
    let sys = RecordingSyscalls::new();
    launch_on(&sys, &spec(), &[], 0).expect("launch");
    let calls = sys.calls();
    let joins: Vec<&Call> = calls
        .iter()
        .filter(|c| matches!(c, Call::WriteFile { path, .. } if path.starts_with("/sys/fs/cgroup")))
        .collect();
    assert_eq!(joins.len(), 2, "{joins:#?}");
    assert!(
        joins.iter().all(|c| matches!(c, Call::WriteFile { path, contents } if path.ends_with("tasks") && contents == "0")),
        "{joins:#?}"
    );
}

#[test]
fn on_cgroup_v2_init_is_born_in_its_cgroup_and_namespaces_by_one_clone_and_writes_no_cgroup_file() {
    let sys = RecordingSyscalls::new();
    launch_on_host(&sys, &spec(), &[], &v2_host()).expect("launch");
    let calls = sys.calls();
    assert_eq!(
        calls.first(),
        Some(&Call::CloneInto {
            flags: init_namespaces(),
            cgroup: Some(11),
            blocked: faxbot_jail::processes::FORWARDED.to_vec(),
        }),
        "{calls:#?}"
    );
    assert_eq!(
        calls
            .iter()
            .filter(|c| matches!(c, Call::CloneInto { .. }))
            .count(),
        1
    );
    assert!(
        !calls
            .iter()
            .any(|c| matches!(c, Call::WriteFile { path, .. } if path.ends_with("cgroup.procs"))),
        "{calls:#?}"
    );
    assert_eq!(steps(&calls), all_layers_in_order(), "{calls:#?}");
}

#[test]
fn a_kernel_without_clone_into_cgroup_clones_init_into_its_namespaces_and_joins_by_writing() {
    // ENOSYS: no clone3 (before Linux 5.3); E2BIG: a clone3 without the cgroup field (5.3-5.6).
    for errno in [Errno::ENOSYS, Errno::E2BIG] {
        let sys = RecordingSyscalls::new().failing(
            |c| {
                matches!(
                    c,
                    Call::CloneInto {
                        cgroup: Some(_),
                        ..
                    }
                )
            },
            errno,
        );
        launch_on_host(&sys, &spec(), &[], &v2_host()).expect("launch");
        let calls = sys.calls();
        let plain = calls.iter().position(
            |c| matches!(c, Call::CloneInto { flags, cgroup: None, .. } if *flags == init_namespaces()),
        );
        let join = calls.iter().position(
            |c| matches!(c, Call::WriteFile { path, .. } if path.ends_with("cgroup.procs")),
        );
        let cgroup_namespace = calls.iter().position(|c| matches!(c, Call::Unshare(_)));
        assert!(
            plain == Some(1) && plain < join && join < cgroup_namespace,
            "{errno}: {calls:#?}"
        );
        assert_eq!(steps(&calls), all_layers_in_order(), "{calls:#?}");
    }
}

#[test]
fn a_refused_birth_in_the_cgroup_fails_the_launch_naming_the_cgroup_layer() {
    let sys = RecordingSyscalls::new().failing(
        |c| {
            matches!(
                c,
                Call::CloneInto {
                    cgroup: Some(_),
                    ..
                }
            )
        },
        Errno::EACCES,
    );
    let error = launch_on_host(&sys, &spec(), &[], &v2_host()).expect_err("refused");
    assert!(error.to_string().starts_with("cgroup: "), "{error}");
    assert_eq!(sys.calls().len(), 1, "nothing after: {:#?}", sys.calls());
}

#[test]
fn a_refused_clone_into_the_namespaces_fails_the_launch_naming_the_namespaces_layer() {
    // v1 (a plain clone) and v2 (born in the cgroup): a kernel refusing the namespaces.
    for host in [host(0), v2_host()] {
        let sys =
            RecordingSyscalls::new().failing(|c| matches!(c, Call::CloneInto { .. }), Errno::EPERM);
        let error = launch_on_host(&sys, &spec(), &[], &host).expect_err("refused");
        assert!(error.to_string().starts_with("namespaces: "), "{error}");
        assert_eq!(sys.calls().len(), 1, "nothing after: {:#?}", sys.calls());
    }
}

#[test]
fn a_disabled_layer_is_announced_loudly_and_makes_no_call() {
    let mut spec = spec();
    spec.disabled = vec![Layer::Seccomp];
    let sys = RecordingSyscalls::new();
    let notices = launch_on(&sys, &spec, &[], 0).expect("launch");
    assert!(
        notices[0].starts_with("WARNING: layer seccomp disabled"),
        "{notices:?}"
    );
    assert!(
        !sys.calls()
            .iter()
            .any(|c| matches!(c, Call::SeccompListener(_)))
    );
}

#[test]
fn without_identity_seccomp_sets_no_new_privs_itself() {
    let mut spec = spec();
    spec.disabled = vec![Layer::Identity];
    let sys = RecordingSyscalls::new();
    launch_on(&sys, &spec, &[], 0).expect("launch");
    let calls = sys.calls();
    let nnp = calls.iter().position(|c| *c == Call::NoNewPrivs);
    let filter = calls
        .iter()
        .position(|c| matches!(c, Call::SeccompListener(_)));
    assert!(
        nnp.is_some() && nnp < filter,
        "no_new_privs before the first filter: {calls:#?}"
    );
}

#[test]
fn an_unprivileged_launch_maps_one_id_in_a_user_namespace() {
    let mut spec = spec();
    spec.allow_missing = vec![Layer::Cgroup];
    let sys = RecordingSyscalls::new();
    launch_on(&sys, &spec, &[Layer::Cgroup], 1000).expect("launch");
    let calls = sys.calls();
    assert!(
        matches!(&calls[0], Call::CloneInto { flags, .. }
            if *flags == init_namespaces() | CloneFlags::CLONE_NEWUSER),
        "init is created in a user namespace with the others: {calls:#?}"
    );
    let id = faxbot_jail::spec::DEFAULT_JAIL_ID;
    let write = |file: &str, contents: String| Call::WriteFile {
        path: Path::new("/proc/self").join(file),
        contents,
    };
    // init writes its own maps first, then creates its cgroup namespace.
    assert_eq!(
        calls[1..6],
        [
            Call::ParentDeathSignal,
            write("setgroups", "deny".into()),
            write("uid_map", format!("{id} 1000 1\n")),
            write("gid_map", format!("{id} 1000 1\n")),
            Call::Unshare(CloneFlags::CLONE_NEWCGROUP),
        ],
        "{calls:#?}"
    );
    assert!(
        !calls.iter().any(|c| matches!(c, Call::SetGroups(_))),
        "setgroups is denied in a user namespace, so not attempted"
    );
}

#[test]
fn an_unprivileged_init_joins_its_delegated_cgroup_before_it_maps_ids_or_roots_a_cgroup_namespace()
{
    let sys = RecordingSyscalls::new();
    launch_on(&sys, &spec(), &[], 1000).expect("launch");
    let calls = sys.calls();
    let position = |wanted: &dyn Fn(&Call) -> bool| calls.iter().position(wanted);
    let joins = position(&|c| matches!(c, Call::WriteFile { path, .. } if path.ends_with("tasks")));
    let maps =
        position(&|c| matches!(c, Call::WriteFile { path, .. } if path.ends_with("setgroups")));
    let cgroup_namespace = position(&|c| matches!(c, Call::Unshare(_)));
    assert!(
        joins.is_some() && joins < maps && maps < cgroup_namespace,
        "{calls:#?}"
    );
    assert_eq!(steps(&calls), all_layers_in_order(), "{calls:#?}");
}

#[test]
fn without_root_rootfs_and_identity_need_the_namespaces_layer() {
    let mut spec = spec();
    spec.disabled = vec![Layer::Namespaces];
    spec.allow_missing = vec![Layer::Cgroup];
    let sys = RecordingSyscalls::new();
    let err = launch_on(&sys, &spec, &[Layer::Cgroup], 1000).expect_err("refused");
    assert!(
        matches!(
            err,
            JailError::Setup {
                layer: Layer::Namespaces,
                ..
            }
        ),
        "{err}"
    );
    assert!(sys.calls().is_empty());
}

#[test]
fn landlock_lets_only_the_verified_program_and_its_loader_execute() {
    let sys = RecordingSyscalls::new();
    launch_on(&sys, &spec(), &[], 0).expect("launch");
    let ruleset = sys
        .calls()
        .into_iter()
        .find_map(|c| match c {
            Call::LandlockRestrictSelf(r) => Some(r),
            _ => None,
        })
        .expect("a ruleset");
    let rule = |path: &str| {
        ruleset
            .rules
            .iter()
            .find(|r| r.target == RuleTarget::Path(path.into()))
            .map(|r| r.access)
    };
    let executable: Vec<&RuleTarget> = ruleset
        .rules
        .iter()
        .filter(|r| r.access.contains(AccessFs::Execute))
        .map(|r| &r.target)
        .collect();
    let loader = std::fs::canonicalize(host(0).interpreter.expect("dynamically linked"))
        .expect("canonical loader");
    assert_eq!(
        executable,
        [&RuleTarget::Fd(PROGRAM_FD), &RuleTarget::Path(loader)],
        "{ruleset:#?}"
    );
    assert!(rule("/app").is_some_and(|a| a.contains(AccessFs::ReadFile)));
    assert!(rule("/app").is_some_and(|a| !a.contains(AccessFs::WriteFile)));
    assert!(rule("/tmp").is_some_and(|a| a.contains(AccessFs::WriteFile)));
    assert!(rule("/dev/null").is_some_and(|a| a.contains(AccessFs::WriteFile)));
    assert_eq!(
        rule("/proc/self"),
        Some(AccessFs::ReadFile | AccessFs::ReadDir),
        "only the program's own process under /proc"
    );
    assert!(rule("/proc").is_none() && rule("/etc").is_none());
}

#[test]
fn every_writable_mount_is_noexec() {
    let sys = RecordingSyscalls::new();
    launch_on(&sys, &spec(), &[], 0).expect("launch");
    for call in sys.calls() {
        if let Call::Mount {
            target,
            flags,
            fstype,
            ..
        } = &call
        {
            let writable_fs = fstype.as_deref() == Some("tmpfs");
            let final_root = target == Path::new("/") && flags.contains(MsFlags::MS_REMOUNT);
            if writable_fs || final_root {
                assert!(flags.contains(MsFlags::MS_NOEXEC), "{call}");
            }
        }
    }
}

#[test]
fn the_program_hands_the_supervised_filter_to_init_right_before_the_exec() {
    let sys = RecordingSyscalls::new();
    launch_on(&sys, &spec(), &[], 0).expect("launch");
    let calls = sys.calls();
    let forks: Vec<usize> = calls
        .iter()
        .enumerate()
        .filter(|(_, c)| **c == Call::Fork)
        .map(|(i, _)| i)
        .collect();
    let pair = calls
        .iter()
        .position(|c| *c == Call::SocketPair)
        .expect("init's channel");
    assert!(
        matches!(calls[0], Call::CloneInto { .. }) && pair < forks[0],
        "made by init: {calls:#?}"
    );
    // The double numbers the pair 60 and 61 and the moved descriptors 100, 101, 102.
    let program_end = faxbot_jail::syscalls::recording::CHANNEL_FD + 1;
    assert!(
        calls.contains(&Call::DupAbove {
            fd: program_end,
            min: 100
        }) && calls.contains(&Call::DupTo {
            fd: 102,
            target: faxbot_jail::resources::CHANNEL_FD,
            close_on_exec: true
        }),
        "the program's end is placed at fd 5: {calls:#?}"
    );
    let tail: Vec<&Call> = calls
        .iter()
        .skip_while(|c| !matches!(c, Call::SeccompListener(_)))
        .take_while(|c| !matches!(c, Call::Exit(_)))
        .collect();
    assert_eq!(tail.len(), 3, "{tail:#?}");
    assert!(
        matches!(tail[1], Call::SendFd { channel, .. } if *channel == faxbot_jail::resources::CHANNEL_FD),
        "{tail:#?}"
    );
    assert!(matches!(tail[2], Call::Execveat { .. }));
    // With the rlimits layer every descriptor above the channel is closed.
    assert!(calls.contains(&Call::CloseFrom(faxbot_jail::resources::CHANNEL_FD + 1)));
}

#[test]
fn a_procfs_refusing_subset_pid_with_no_entries_listed_to_mask_fails_closed() {
    let sys = RecordingSyscalls::new().failing(
        |c| matches!(c, Call::Mount { data: Some(d), .. } if d.contains("subset=pid")),
        Errno::EINVAL,
    );
    let host = HostFacts {
        proc_kernel_entries: Vec::new(),
        ..host(0)
    };
    let error = launch_on_host(&sys, &spec(), &[], &host).expect_err("refused");
    assert!(error.to_string().starts_with("rootfs: "), "{error}");
    assert!(
        !sys.calls()
            .iter()
            .any(|c| matches!(c, Call::Execveat { .. }))
    );
}

#[test]
fn a_kernel_without_procfs_subset_gets_every_kernel_entry_masked() {
    let sys = RecordingSyscalls::new().failing(
        |c| matches!(c, Call::Mount { data: Some(d), .. } if d.contains("subset=pid")),
        Errno::EINVAL,
    );
    launch_on(&sys, &spec(), &[], 0).expect("the fallback still launches");
    let calls = sys.calls();
    let proc_mounts: Vec<&Call> = calls
        .iter()
        .filter(|c| matches!(c, Call::Mount { fstype: Some(t), .. } if t == "proc"))
        .collect();
    assert_eq!(proc_mounts.len(), 2, "{proc_mounts:#?}");
    let entries = faxbot_jail::rootfs::proc_kernel_entries(Path::new("/proc"));
    assert!(entries.iter().any(|e| e.name == "kallsyms" && !e.is_dir));
    assert!(entries.iter().any(|e| e.name == "sys" && e.is_dir));
    for entry in &entries {
        let target = Path::new("/tmp/proc").join(&entry.name);
        let masked = calls.iter().any(|c| {
            matches!(c, Call::Mount { target: t, flags, .. }
            if *t == target && flags.contains(MsFlags::MS_RDONLY))
        });
        assert!(masked, "/proc/{} is not masked", entry.name);
    }
    // Any other failure of the /proc mount stops the launch.
    let sys = RecordingSyscalls::new().failing(
        |c| matches!(c, Call::Mount { fstype: Some(t), .. } if t == "proc"),
        Errno::EPERM,
    );
    let err = launch_on(&sys, &spec(), &[], 0).expect_err("refused");
    assert!(
        matches!(
            err,
            JailError::Setup {
                layer: Layer::Rootfs,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn as_root_devs_nodes_are_made_in_place_and_in_a_user_namespace_the_hosts_are_bound() {
    let made = |outer_uid: u32| -> (Vec<(PathBuf, u32, u32)>, Vec<PathBuf>) {
        let sys = RecordingSyscalls::new();
        launch_on(&sys, &spec(), &[], outer_uid).expect("launch");
        let calls = sys.calls();
        let nodes = calls
            .iter()
            .filter_map(|c| match c {
                Call::MakeCharDevice { path, major, minor } => Some((path.clone(), *major, *minor)),
                _ => None,
            })
            .collect();
        let bound = calls
            .iter()
            .filter_map(|c| match c {
                Call::Mount {
                    source: Some(source),
                    flags,
                    ..
                } if flags.contains(MsFlags::MS_BIND) && source.starts_with("/dev") => {
                    Some(source.clone())
                }
                _ => None,
            })
            .collect();
        (nodes, bound)
    };
    let (nodes, bound) = made(0);
    let numbers: Vec<(String, u32, u32)> = nodes
        .iter()
        .map(|(p, ma, mi)| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                *ma,
                *mi,
            )
        })
        .collect();
    assert_eq!(
        numbers,
        [
            ("null".to_string(), 1, 3),
            ("zero".to_string(), 1, 5),
            ("full".to_string(), 1, 7),
            ("random".to_string(), 1, 8),
            ("urandom".to_string(), 1, 9)
        ]
    );
    assert!(bound.is_empty(), "no device is bound as root: {bound:?}");
    // Without root the kernel refuses mknod in a user namespace: the host's are bound.
    let (nodes, bound) = made(1000);
    assert!(nodes.is_empty(), "{nodes:?}");
    assert_eq!(bound.len(), faxbot_jail::rootfs::DEVICES.len(), "{bound:?}");
}
