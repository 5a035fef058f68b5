//! The crate's tests: v2 against a cgroupfs-like directory tree, v1 against the real kernel.

use crate::*;
use std::fs;
use std::path::Path;

/// The host's hierarchy when it is v1 (the real-kernel tests need it).
fn real_v1() -> Option<Hierarchy> {
    Hierarchy::detect(Path::new(CGROUP_MOUNT))
        .ok()
        .filter(|h| h.version() == "v1")
}

fn limits() -> Limits {
    Limits {
        memory_bytes: 64 << 20,
        pids: 16,
        cpu_cores: 0.5,
    }
}

#[test]
fn v2_limits_are_written_to_a_cgroupfs_like_tree() {
    let root = tempfile::tempdir().expect("tempdir");
    fs::write(
        root.path().join("cgroup.controllers"),
        "cpuset cpu io memory pids",
    )
    .expect("write");
    let hierarchy =
        Hierarchy::detect_with(root.path(), &Context::privileged()).expect("v2 detected");
    assert_eq!(hierarchy.version(), "v2");
    let cgroup = hierarchy.create("jail-1-a", &limits()).expect("create");
    let dir = root.path().join(JAILS_DIR).join("jail-1-a");
    let read = |f: &str| fs::read_to_string(dir.join(f)).expect("read");
    assert_eq!(read("memory.max"), (64u64 << 20).to_string());
    // This tree offers no memory.swap.max (a kernel without swap accounting): it is not
    // created. Where the kernel offers it, swap is switched off (see below).
    assert!(!dir.join("memory.swap.max").exists());
    assert_eq!(read("pids.max"), "16");
    assert_eq!(read("cpu.max"), "50000 100000");
    let subtree = fs::read_to_string(root.path().join(JAILS_DIR).join("cgroup.subtree_control"))
        .expect("read");
    assert_eq!(subtree, "+memory +pids +cpu");
    assert_eq!(cgroup.dirs(), std::slice::from_ref(&dir));
    // A jail is born inside it; a process that must move writes cgroup.procs.
    assert_eq!(cgroup.birth_dir(), Some(dir.as_path()));
    assert_eq!(cgroup.self_join_files(), vec![dir.join("cgroup.procs")]);

    let offered = root.path().join(JAILS_DIR).join("spare-with-swap");
    fs::create_dir(&offered).expect("mkdir");
    fs::write(offered.join("memory.swap.max"), "max").expect("write");
    hierarchy.create("jail-2-b", &limits()).expect("create");
    let swap = root.path().join(JAILS_DIR).join("jail-2-b/memory.swap.max");
    assert_eq!(fs::read_to_string(swap).expect("read"), "0");
}

#[test]
fn a_finished_clean_cgroup_becomes_the_next_jails_spare() {
    let root = tempfile::tempdir().expect("tempdir");
    fs::write(root.path().join("cgroup.controllers"), "cpu memory pids").expect("write");
    let hierarchy = Hierarchy::detect_with(root.path(), &Context::privileged()).expect("v2");
    let base = root.path().join(JAILS_DIR);
    hierarchy
        .create("jail-1-a", &limits())
        .expect("create")
        .remove()
        .expect("remove");
    let spare = base.join(format!("spare-{}.jail-1-a", limits().tag()));
    assert!(spare.is_dir(), "kept as a spare, named with its limits");
    let second = hierarchy.create("jail-2-b", &limits()).expect("create");
    assert!(!spare.exists(), "the spare was claimed");
    assert_eq!(
        fs::read_to_string(second.dirs()[0].join("pids.max")).expect("read"),
        "16"
    );
    // A cgroup that hit a limit is deleted (on a real cgroupfs), never recycled.
    fs::write(second.dirs()[0].join("memory.events"), "oom_kill 1\n").expect("write");
    assert!(!second.recycle());
    assert!(second.dirs()[0].is_dir() && !base.join("spare-jail-2-b").exists());
}

#[test]
fn v2_events_report_oom_and_pids_limits() {
    let root = tempfile::tempdir().expect("tempdir");
    fs::write(root.path().join("cgroup.controllers"), "cpu memory pids").expect("write");
    let hierarchy = Hierarchy::detect_with(root.path(), &Context::privileged()).expect("v2");
    let cgroup = hierarchy.create("jail-2-b", &limits()).expect("create");
    let dir = &cgroup.dirs()[0];
    fs::write(
        dir.join("memory.events"),
        "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n",
    )
    .expect("write");
    fs::write(dir.join("pids.events"), "max 0\n").expect("write");
    assert_eq!(
        cgroup.events(),
        Events {
            oom: true,
            pids_max: false
        }
    );
}

#[test]
fn a_hierarchy_without_the_needed_controllers_is_refused() {
    let root = tempfile::tempdir().expect("tempdir");
    fs::write(root.path().join("cgroup.controllers"), "cpu io").expect("write");
    assert!(matches!(
        Hierarchy::detect_with(root.path(), &Context::privileged()),
        Err(CgroupError::Unsupported(_))
    ));
}

#[test]
fn v1_limits_are_enforced_by_the_real_kernel() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("SKIP v1_limits_are_enforced_by_the_real_kernel: needs root");
        return;
    }
    let Some(hierarchy) = real_v1() else {
        eprintln!(
            "SKIP v1_limits_are_enforced_by_the_real_kernel: host has no cgroup v1 memory/pids/cpu"
        );
        return;
    };
    let name = format!("jail-{}-unit", std::process::id());
    let cgroup = hierarchy.create(&name, &limits()).expect("create");
    // v1 has no births into a cgroup; a single thread joins through each `tasks` file.
    assert_eq!(cgroup.birth_dir(), None);
    assert!(
        cgroup
            .self_join_files()
            .iter()
            .all(|f| f.ends_with("tasks"))
    );
    let memory = fs::read_to_string(cgroup.dirs()[0].join("memory.limit_in_bytes")).expect("read");
    assert_eq!(memory.trim(), (64u64 << 20).to_string());
    let quota = fs::read_to_string(cgroup.dirs()[2].join("cpu.cfs_quota_us")).expect("read");
    assert_eq!(quota.trim(), "50000");
    // A child joined to the cgroup cannot fork past pids.max.
    let procs = cgroup.procs_files();
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "for f in {}; do echo $$ > $f; done; i=0; while [ $i -lt 40 ]; do sleep 2 & i=$((i+1)); done 2>/dev/null; exit 0",
            procs.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(" ")
        ))
        .status()
        .expect("spawn sh");
    let _ = status;
    assert!(
        cgroup.events().pids_max,
        "pids.events shows the fork limit was hit"
    );
    cgroup.remove().expect("cgroup removed");
    assert!(
        !Path::new(CGROUP_MOUNT)
            .join("pids")
            .join(JAILS_DIR)
            .join(&name)
            .exists()
    );
}
#[test]
fn v2_usage_and_freeze_are_read_from_a_cgroupfs_like_tree() {
    let root = tempfile::tempdir().expect("tempdir");
    fs::write(root.path().join("cgroup.controllers"), "cpu memory pids").expect("write");
    let hierarchy = Hierarchy::detect_with(root.path(), &Context::privileged()).expect("v2");
    let cgroup = hierarchy.create("jail-7-a", &limits()).expect("create");
    let dir = &cgroup.dirs()[0];
    fs::write(dir.join("memory.current"), "1048576\n").expect("write");
    fs::write(dir.join("memory.peak"), "2097152\n").expect("write");
    fs::write(
        dir.join("cpu.stat"),
        "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n",
    )
    .expect("write");
    assert_eq!(
        cgroup.usage(),
        Usage {
            memory_bytes: Some(1 << 20),
            memory_peak_bytes: Some(2 << 20),
            cpu: Some(std::time::Duration::from_micros(1500)),
        }
    );
    assert_eq!(hierarchy.find_jail(7).as_deref(), Some("jail-7-a"));
    assert_eq!(hierarchy.find_jail(70), None, "pid 70 is not pid 7");
    assert!(!cgroup.is_frozen());
    fs::write(dir.join("cgroup.freeze"), "0").expect("write");
    fs::write(dir.join("cgroup.events"), "populated 1\nfrozen 1\n").expect("write");
    assert!(cgroup.freeze(), "frozen once cgroup.events says so");
    assert_eq!(
        fs::read_to_string(dir.join("cgroup.freeze")).expect("read"),
        "1"
    );
    // A used v2 cgroup cannot have its counters reset, so it is never recycled.
    assert!(!cgroup.recycle());
}

#[test]
fn v1_freeze_kill_and_usage_work_on_the_real_kernel() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("SKIP v1_freeze_kill_and_usage_work_on_the_real_kernel: needs root");
        return;
    }
    let Some(hierarchy) = real_v1() else {
        eprintln!("SKIP v1_freeze_kill_and_usage_work_on_the_real_kernel: no cgroup v1");
        return;
    };
    let name = format!("jail-{}-freeze", std::process::id());
    let cgroup = hierarchy.create(&name, &limits()).expect("create");
    let procs = cgroup.procs_files();
    // A busy loop that keeps forking short-lived children: a kill without the freezer
    // would race the forks.
    let mut child = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "for f in {}; do echo $$ > $f; done; while :; do ( : ) & wait; done",
            procs
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(" ")
        ))
        .spawn()
        .expect("spawn sh");
    let started = std::time::Instant::now();
    while cgroup.usage().cpu.unwrap_or_default() < std::time::Duration::from_millis(20)
        && started.elapsed() < std::time::Duration::from_secs(5)
    {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let usage = cgroup.usage();
    assert!(
        usage.cpu.unwrap_or_default() >= std::time::Duration::from_millis(20),
        "cpuacct bills the loop: {usage:?}"
    );
    assert!(
        usage.memory_bytes.unwrap_or(0) > 0,
        "memory is charged: {usage:?}"
    );
    assert!(usage.memory_peak_bytes >= usage.memory_bytes);
    let has_freezer = cgroup
        .dirs()
        .iter()
        .any(|d| d.join("freezer.state").exists());
    assert_eq!(
        has_freezer,
        Path::new(CGROUP_MOUNT)
            .join("freezer/cgroup.procs")
            .exists(),
        "the jail joins the v1 freezer wherever it is mounted"
    );
    if has_freezer {
        assert!(cgroup.freeze(), "the v1 freezer settles");
        assert!(cgroup.is_frozen());
        let frozen_cpu = cgroup.usage().cpu;
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert_eq!(
            cgroup.usage().cpu,
            frozen_cpu,
            "a frozen cgroup uses no CPU"
        );
        cgroup.thaw();
        assert!(!cgroup.is_frozen());
    }
    cgroup.kill_all();
    assert!(cgroup.pids().is_empty(), "every task is gone");
    let status = child.wait().expect("wait");
    assert!(!status.success(), "the loop was killed: {status}");
    cgroup.remove().expect("removed");
}
#[test]
fn a_v1_spare_with_a_small_memory_limit_takes_a_larger_one() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("SKIP a_v1_spare_with_a_small_memory_limit_takes_a_larger_one: needs root");
        return;
    }
    let Some(hierarchy) = real_v1() else {
        eprintln!("SKIP a_v1_spare_with_a_small_memory_limit_takes_a_larger_one: no v1");
        return;
    };
    let small = Limits {
        memory_bytes: 8 << 20,
        ..limits()
    };
    let first = hierarchy
        .create(&format!("jail-{}-small", std::process::id()), &small)
        .expect("create small");
    if !first.recycle() {
        eprintln!("SKIP: the spare pool is full, nothing was recycled");
        first.remove().expect("remove");
        return;
    }
    // Every spare is claimed in turn until ours (with its 8 MiB memsw) is among them.
    let large = Limits {
        memory_bytes: 512 << 20,
        ..limits()
    };
    for i in 0..=MAX_SPARES {
        let name = format!("jail-{}-large{i}", std::process::id());
        let cgroup = hierarchy
            .create(&name, &large)
            .expect("a larger limit is accepted");
        let written =
            fs::read_to_string(cgroup.dirs()[0].join("memory.limit_in_bytes")).expect("read");
        assert_eq!(written.trim(), (512u64 << 20).to_string());
        for dir in cgroup.dirs() {
            fs::remove_dir(dir).expect("rmdir");
        }
    }
}

/// The uid that owns `path` (the test's own files).
fn owner(path: &Path) -> u32 {
    use std::os::unix::fs::MetadataExt;
    fs::metadata(path).expect("metadata").uid()
}

/// A pure cgroup v2 mount with systemd's delegated `faxbot.service` (Delegate=yes: the
/// directory and its cgroup.procs, cgroup.subtree_control and cgroup.threads are the
/// service user's; the parent offers memory, pids and cpu).
fn delegated_v2_tree(offered: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let root = tempfile::tempdir().expect("tempdir");
    fs::write(
        root.path().join("cgroup.controllers"),
        "cpuset cpu io memory pids",
    )
    .expect("w");
    let service = root.path().join("system.slice/faxbot.service");
    fs::create_dir_all(&service).expect("mkdir");
    for (file, text) in [
        ("cgroup.controllers", offered),
        ("cgroup.procs", "4242\n"),
        ("cgroup.subtree_control", ""),
        ("cgroup.threads", ""),
    ] {
        fs::write(service.join(file), text).expect("write");
    }
    (root, service)
}

fn unprivileged(uid: u32, own: &str) -> Context {
    Context {
        privileged: false,
        uid,
        own_v2_cgroup: Some(own.into()),
        v2_base: None,
        v1_dir: None,
    }
}

#[test]
fn an_unprivileged_core_moves_itself_into_a_leaf_of_its_delegated_subtree_and_jails_go_beside_it() {
    let (root, service) = delegated_v2_tree("cpu memory pids");
    let ctx = unprivileged(owner(&service), "/system.slice/faxbot.service");
    let hierarchy = Hierarchy::detect_with(root.path(), &ctx).expect("delegated v2");
    assert_eq!(hierarchy.version(), "v2");
    assert_eq!(hierarchy.delegated_to(), Some(ctx.uid));
    assert!(
        hierarchy.describe().contains("faxbot.service")
            && hierarchy.describe().contains("delegated"),
        "{}",
        hierarchy.describe()
    );
    // The core is in the subtree's root: it moves into the supervisor leaf first.
    let leaf = hierarchy.settle().expect("settle").expect("moved");
    assert_eq!(leaf, service.join("supervisor"));
    assert_eq!(
        fs::read_to_string(leaf.join("cgroup.procs")).expect("read"),
        "0"
    );
    let cgroup = hierarchy.create("jail-9-a", &limits()).expect("create");
    let dir = service.join("plugins/jail-9-a");
    assert_eq!(cgroup.dirs(), std::slice::from_ref(&dir));
    for parent in [service.clone(), service.join("plugins")] {
        assert_eq!(
            fs::read_to_string(parent.join("cgroup.subtree_control")).expect("read"),
            "+memory +pids +cpu",
            "controllers enabled in {}",
            parent.display()
        );
    }
    assert_eq!(
        fs::read_to_string(dir.join("memory.max")).expect("read"),
        (64u64 << 20).to_string()
    );
    assert_eq!(
        fs::read_to_string(dir.join("pids.max")).expect("read"),
        "16"
    );
    assert_eq!(
        fs::read_to_string(dir.join("cpu.max")).expect("read"),
        "50000 100000"
    );
    assert_eq!(hierarchy.find_jail(9).as_deref(), Some("jail-9-a"));
    // Nothing was made outside the delegated subtree.
    assert!(!root.path().join(JAILS_DIR).exists());
}

#[test]
fn a_jail_started_by_a_core_in_its_leaf_finds_the_same_subtree_and_does_not_move() {
    let (root, service) = delegated_v2_tree("cpu memory pids");
    fs::create_dir(service.join("supervisor")).expect("mkdir");
    fs::write(service.join("supervisor/cgroup.procs"), "4242\n").expect("write");
    let ctx = unprivileged(owner(&service), "/system.slice/faxbot.service/supervisor");
    let hierarchy = Hierarchy::detect_with(root.path(), &ctx).expect("delegated v2");
    assert_eq!(
        hierarchy.settle().expect("settle"),
        None,
        "already in the leaf"
    );
    assert_eq!(
        fs::read_to_string(service.join("supervisor/cgroup.procs")).expect("read"),
        "4242\n"
    );
    let cgroup = hierarchy.create("jail-3-b", &limits()).expect("create");
    assert_eq!(cgroup.dirs(), &[service.join("plugins/jail-3-b")]);
}

#[test]
fn an_unprivileged_core_in_a_cgroup_not_delegated_to_it_is_refused_with_what_to_set() {
    let (root, service) = delegated_v2_tree("cpu memory pids");
    let someone_else = owner(&service) + 1;
    let ctx = unprivileged(someone_else, "/system.slice/faxbot.service");
    let error = Hierarchy::detect_with(root.path(), &ctx).expect_err("refused");
    let text = error.to_string();
    assert!(matches!(error, CgroupError::NotDelegated { .. }), "{text}");
    assert!(text.contains("faxbot.service"), "names the cgroup: {text}");
    assert!(
        text.contains(&format!("is owned by uid {}", someone_else - 1)),
        "{text}"
    );
    assert!(
        text.contains("Delegate=yes") && text.contains("FAXBOT_CGROUP_V2_BASE"),
        "{text}"
    );
}

#[test]
fn a_delegated_subtree_without_the_memory_controller_is_refused_naming_it() {
    let (root, service) = delegated_v2_tree("cpu pids");
    let ctx = unprivileged(owner(&service), "/system.slice/faxbot.service");
    let error = Hierarchy::detect_with(root.path(), &ctx).expect_err("refused");
    let text = error.to_string();
    assert!(
        matches!(
            &error,
            CgroupError::MissingController {
                controller: "memory",
                ..
            }
        ),
        "{text}"
    );
    assert!(text.contains("it offers: cpu pids"), "{text}");
}

#[test]
fn a_v2_directory_named_in_the_environment_is_used_as_the_delegated_subtree() {
    let (root, service) = delegated_v2_tree("cpu memory pids");
    let ctx = Context {
        v2_base: Some(service.clone()),
        ..unprivileged(owner(&service), "/user.slice/session-1.scope")
    };
    let hierarchy = Hierarchy::detect_with(root.path(), &ctx).expect("named subtree");
    assert_eq!(
        hierarchy.settle().expect("settle"),
        None,
        "the process is elsewhere"
    );
    let cgroup = hierarchy.create("jail-4-c", &limits()).expect("create");
    assert_eq!(cgroup.dirs(), &[service.join("plugins/jail-4-c")]);
}

/// A v1 host: memory, pids, cpu and freezer mounted separately, with `dir` made in each of
/// `chowned` (owned by the test's user, as `chown` by an administrator leaves them).
fn v1_tree(dir: &str, chowned: &[&str]) -> tempfile::TempDir {
    let root = tempfile::tempdir().expect("tempdir");
    for controller in ["memory", "pids", "cpu", "freezer"] {
        let mount = root.path().join(controller);
        fs::create_dir(&mount).expect("mkdir");
        fs::write(mount.join("cgroup.procs"), "").expect("write");
        if chowned.contains(&controller) {
            fs::create_dir(mount.join(dir)).expect("mkdir");
            fs::write(mount.join(dir).join("cgroup.procs"), "").expect("write");
            fs::write(mount.join(dir).join("tasks"), "").expect("write");
        }
    }
    root
}

#[test]
fn a_v1_hierarchy_chowned_to_the_user_is_used_without_root() {
    let root = v1_tree("faxbot-jails", &["memory", "pids", "cpu"]);
    let ctx = Context {
        own_v2_cgroup: None,
        ..unprivileged(owner(root.path()), "/")
    };
    let hierarchy = Hierarchy::detect_with(root.path(), &ctx).expect("chowned v1");
    assert_eq!(hierarchy.version(), "v1");
    assert_eq!(hierarchy.delegated_to(), Some(ctx.uid));
    let cgroup = hierarchy.create("jail-5-d", &limits()).expect("create");
    // The freezer's directory was not made for this user, so the jail does not use it.
    let expected: Vec<_> = ["memory", "pids", "cpu"]
        .iter()
        .map(|c| root.path().join(c).join("faxbot-jails/jail-5-d"))
        .collect();
    assert_eq!(cgroup.dirs(), &expected[..]);
    assert_eq!(
        fs::read_to_string(expected[1].join("pids.max")).expect("read"),
        "16"
    );
}

#[test]
fn a_v1_hierarchy_not_chowned_to_the_user_is_refused_with_what_to_do() {
    let root = v1_tree("faxbot-jails", &["memory", "cpu"]);
    let ctx = unprivileged(owner(root.path()), "/");
    let text = Hierarchy::detect_with(root.path(), &ctx)
        .expect_err("refused")
        .to_string();
    assert!(
        text.contains("pids/faxbot-jails"),
        "names the directory: {text}"
    );
    assert!(
        text.contains("does not exist") && text.contains("chown"),
        "{text}"
    );
    let someone_else = Context {
        uid: owner(root.path()) + 1,
        ..ctx
    };
    let full = v1_tree("faxbot-jails", &["memory", "pids", "cpu"]);
    let text = Hierarchy::detect_with(full.path(), &someone_else)
        .expect_err("refused")
        .to_string();
    assert!(
        text.contains("memory/faxbot-jails") && text.contains("is owned by uid"),
        "{text}"
    );
    // A directory chowned without its `tasks` file (a jail's init joins through it) is refused.
    let no_tasks = v1_tree("faxbot-jails", &["memory", "pids", "cpu"]);
    fs::remove_file(no_tasks.path().join("pids/faxbot-jails/tasks")).expect("rm");
    let text = Hierarchy::detect_with(no_tasks.path(), &unprivileged(owner(no_tasks.path()), "/"))
        .expect_err("refused")
        .to_string();
    assert!(
        text.contains("pids/faxbot-jails") && text.contains("has no tasks"),
        "{text}"
    );
}

#[test]
fn the_v1_directory_named_in_the_environment_is_used_and_must_stay_below_each_controller() {
    let root = v1_tree("faxbot-core", &["memory", "pids", "cpu", "freezer"]);
    let mut ctx = Context {
        v1_dir: Some("faxbot-core".into()),
        ..unprivileged(owner(root.path()), "/")
    };
    let hierarchy = Hierarchy::detect_with(root.path(), &ctx).expect("named v1 dir");
    let cgroup = hierarchy.create("jail-6-e", &limits()).expect("create");
    assert_eq!(cgroup.dirs().len(), 4, "the chowned freezer is joined too");
    assert!(cgroup.dirs()[3].starts_with(root.path().join("freezer/faxbot-core")));
    ctx.v1_dir = Some("../../escape".into());
    let text = Hierarchy::detect_with(root.path(), &ctx)
        .expect_err("refused")
        .to_string();
    assert!(
        text.contains("FAXBOT_CGROUP_V1_DIR") && text.contains(".."),
        "{text}"
    );
}

#[test]
fn the_own_v2_cgroup_is_read_from_proc_self_cgroup() {
    assert_eq!(
        delegation::own_v2_cgroup("4:memory:/x\n0::/system.slice/faxbot.service/supervisor\n"),
        Some("/system.slice/faxbot.service/supervisor".into())
    );
    assert_eq!(delegation::own_v2_cgroup("4:memory:/x\n"), None);
}

#[test]
fn a_limits_only_v1_jail_leaves_freezer_and_cpuacct_out_and_keeps_a_spare_pool_of_its_own() {
    let root = v1_tree("faxbot-jails", &[]);
    let cpuacct = root.path().join("cpuacct");
    fs::create_dir(&cpuacct).expect("mkdir");
    fs::write(cpuacct.join("cgroup.procs"), "").expect("write");
    let full = Hierarchy::detect_with(root.path(), &Context::privileged()).expect("v1");
    let limits_only = full.limits_only();
    let dir =
        |controller: &str, name: &str| root.path().join(controller).join(JAILS_DIR).join(name);
    let all = ["memory", "pids", "cpu", "freezer", "cpuacct"];

    let accounted = full.create("jail-1-a", &limits()).expect("create");
    assert_eq!(accounted.dirs().len(), 5);
    accounted.remove().expect("recycled");
    let full_spare = format!("spare-{}.jail-1-a", limits().tag());
    assert!(all.iter().all(|c| dir(c, &full_spare).is_dir()));

    // The limits-only jail does not take the five-directory spare: it would leave two
    // directories behind in hierarchies it does not manage.
    let bare = limits_only.create("jail-2-b", &limits()).expect("create");
    let expected: Vec<_> = all[..3].iter().map(|c| dir(c, "jail-2-b")).collect();
    assert_eq!(bare.dirs(), &expected[..]);
    assert!(!dir("freezer", "jail-2-b").exists());
    assert!(
        dir("freezer", &full_spare).is_dir(),
        "the other pool's spare is left alone"
    );
    assert_eq!(
        fs::read_to_string(dir("pids", "jail-2-b").join("pids.max")).expect("read"),
        "16"
    );
    bare.remove().expect("recycled");
    let bare_spare = format!("spare-limits-{}.jail-2-b", limits().tag());
    assert!(all[..3].iter().all(|c| dir(c, &bare_spare).is_dir()));
    assert!(!dir("freezer", &bare_spare).exists());

    // Each pool serves its own kind.
    let accounted = full.create("jail-3-c", &limits()).expect("create");
    assert!(dir("cpuacct", "jail-3-c").is_dir());
    assert!(!dir("cpuacct", &full_spare).exists(), "claimed");
    assert!(dir("memory", &bare_spare).is_dir(), "not claimed");
    let bare = limits_only.create("jail-4-d", &limits()).expect("create");
    assert!(!dir("memory", &bare_spare).exists(), "claimed");
    assert_eq!(bare.dirs().len(), 3);
    drop((accounted, bare));
}

#[test]
fn a_spare_that_held_the_same_limits_is_claimed_first_and_its_limits_are_not_written_again() {
    let root = v1_tree("faxbot-jails", &[]);
    let hierarchy = Hierarchy::detect_with(root.path(), &Context::privileged()).expect("v1");
    let other = Limits {
        memory_bytes: 32 << 20,
        ..limits()
    };
    let memory = |name: &str| root.path().join("memory").join(JAILS_DIR).join(name);
    let limit_of =
        |name: &str| fs::read_to_string(memory(name).join("memory.limit_in_bytes")).expect("read");
    let first = hierarchy.create("jail-1-a", &limits()).expect("create");
    let second = hierarchy.create("jail-2-b", &other).expect("create");
    first.remove().expect("recycled");
    second.remove().expect("recycled");
    let same = format!("spare-{}.jail-1-a", limits().tag());
    let differs = format!("spare-{}.jail-2-b", other.tag());
    assert!(memory(&same).is_dir() && memory(&differs).is_dir());
    // Marks what the kernel would hold, to see whether it is written again.
    fs::write(memory(&same).join("memory.limit_in_bytes"), "as left").expect("write");
    fs::write(memory(&same).join("memory.max_usage_in_bytes"), "123").expect("write");

    hierarchy.create("jail-3-c", &limits()).expect("create");
    assert!(
        !memory(&same).exists(),
        "the spare with the same limits was taken"
    );
    assert!(memory(&differs).is_dir());
    assert_eq!(
        limit_of("jail-3-c"),
        "as left",
        "same limits: not written again"
    );
    let peak = fs::read_to_string(memory("jail-3-c").join("memory.max_usage_in_bytes"));
    assert_eq!(peak.expect("read"), "0", "its counters are reset");

    // Only a spare with other limits left: they are written.
    hierarchy.create("jail-4-d", &limits()).expect("create");
    assert!(!memory(&differs).exists());
    assert_eq!(limit_of("jail-4-d"), (64u64 << 20).to_string());
}

#[test]
fn a_name_that_only_looks_like_a_tag_is_not_taken_for_one() {
    let root = v1_tree("faxbot-jails", &[]);
    let hierarchy = Hierarchy::detect_with(root.path(), &Context::privileged()).expect("v1");
    for controller in ["memory", "pids", "cpu", "freezer"] {
        let base = root.path().join(controller).join(JAILS_DIR);
        fs::create_dir_all(base.join("spare-mail.plugin")).expect("mkdir");
    }
    hierarchy.create("jail-1-a", &limits()).expect("create");
    let cpu = root.path().join("cpu").join(JAILS_DIR).join("jail-1-a");
    // Claimed as fresh: the settings every jail shares are written too.
    assert_eq!(
        fs::read_to_string(cpu.join("cpu.cfs_period_us")).expect("read"),
        CPU_PERIOD_US.to_string()
    );
}
