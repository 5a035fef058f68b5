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
    let hierarchy = Hierarchy::detect(root.path()).expect("v2 detected");
    assert_eq!(hierarchy.version(), "v2");
    let cgroup = hierarchy.create("jail-1-a", &limits()).expect("create");
    let dir = root.path().join(JAILS_DIR).join("jail-1-a");
    let read = |f: &str| fs::read_to_string(dir.join(f)).expect("read");
    assert_eq!(read("memory.max"), (64u64 << 20).to_string());
    assert_eq!(read("memory.swap.max"), "0");
    assert_eq!(read("pids.max"), "16");
    assert_eq!(read("cpu.max"), "50000 100000");
    let subtree = fs::read_to_string(root.path().join(JAILS_DIR).join("cgroup.subtree_control"))
        .expect("read");
    assert_eq!(subtree, "+memory +pids +cpu");
    assert_eq!(cgroup.dirs(), std::slice::from_ref(&dir));
    // A jail is born inside it; a process that must move writes cgroup.procs.
    assert_eq!(cgroup.birth_dir(), Some(dir.as_path()));
    assert_eq!(cgroup.self_join_files(), vec![dir.join("cgroup.procs")]);
}

#[test]
fn a_finished_clean_cgroup_becomes_the_next_jails_spare() {
    let root = tempfile::tempdir().expect("tempdir");
    fs::write(root.path().join("cgroup.controllers"), "cpu memory pids").expect("write");
    let hierarchy = Hierarchy::detect(root.path()).expect("v2");
    let base = root.path().join(JAILS_DIR);
    hierarchy
        .create("jail-1-a", &limits())
        .expect("create")
        .remove()
        .expect("remove");
    assert!(base.join("spare-jail-1-a").is_dir(), "kept as a spare");
    let second = hierarchy.create("jail-2-b", &limits()).expect("create");
    assert!(
        !base.join("spare-jail-1-a").exists(),
        "the spare was claimed"
    );
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
    let hierarchy = Hierarchy::detect(root.path()).expect("v2");
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
        Hierarchy::detect(root.path()),
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
    let hierarchy = Hierarchy::detect(root.path()).expect("v2");
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
