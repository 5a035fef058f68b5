//! The daemon as an ordinary service user (`deploy/faxbot-unprivileged.service`): `faxbot
//! init`, `faxbot doctor` and `faxbot serve` run without root, in a cgroup delegated to that
//! user; an approved plugin runs jailed with every layer, its cgroup read and removed by the
//! unprivileged supervisor; without a delegated cgroup the daemon says what to set.
//!
//! CI runs as root, so each test first plays the administrator: it delegates a cgroup to
//! the service uid (on a v1 host the memory, pids and cpu directories chowned to it; on a v2
//! host a subtree chowned as systemd's `Delegate=yes` does, the daemon started in it), then
//! runs the binaries through `setpriv` as that uid. Needs root to set up and unprivileged
//! user namespaces.

mod support;

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use support::{Daemon, FAXBOT, Publisher, eventually, jailed_plugins, status_route_package};

const CGROUP_MOUNT: &str = "/sys/fs/cgroup";
/// The service user (no passwd entry is needed).
const SERVICE_UID: u32 = 64_124;

fn can_run() -> bool {
    let userns = std::fs::read_to_string("/proc/sys/user/max_user_namespaces")
        .is_ok_and(|s| s.trim() != "0");
    let ok = support::is_root() && userns;
    if !ok {
        eprintln!(
            "SKIP: needs root to delegate a cgroup and switch to the service uid, and user namespaces"
        );
    }
    ok
}

fn chown(path: &Path) {
    std::os::unix::fs::chown(path, Some(SERVICE_UID), Some(SERVICE_UID))
        .unwrap_or_else(|e| panic!("chown {}: {e}", path.display()));
}

/// A cgroup delegated to the service user, removed with everything in it when dropped.
struct Delegated {
    dirs: Vec<PathBuf>,
    env: (&'static str, String),
    /// On v2: the subtree whose root the daemon starts in (as systemd starts a unit).
    v2_root: Option<PathBuf>,
}

impl Delegated {
    fn prepare() -> Option<Self> {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "faxbot-unprivileged-daemon-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        );
        let mount = Path::new(CGROUP_MOUNT);
        if ["memory", "pids", "cpu"]
            .iter()
            .all(|c| mount.join(c).join("cgroup.procs").exists())
        {
            let mut dirs = Vec::new();
            for controller in ["memory", "pids", "cpu", "freezer", "cpuacct"] {
                if !mount.join(controller).join("cgroup.procs").exists() {
                    continue;
                }
                let dir = mount.join(controller).join(&name);
                std::fs::create_dir(&dir).expect("mkdir");
                for path in [dir.clone(), dir.join("cgroup.procs"), dir.join("tasks")] {
                    chown(&path);
                }
                dirs.push(dir);
            }
            return Some(Self {
                dirs,
                env: ("FAXBOT_CGROUP_V1_DIR", name),
                v2_root: None,
            });
        }
        let controllers = std::fs::read_to_string(mount.join("cgroup.controllers")).ok()?;
        if !["memory", "pids", "cpu"]
            .iter()
            .all(|c| controllers.split_whitespace().any(|x| x == *c))
        {
            eprintln!("SKIP: no cgroup hierarchy with memory, pids and cpu to delegate");
            return None;
        }
        std::fs::write(mount.join("cgroup.subtree_control"), "+memory +pids +cpu")
            .expect("enable controllers at the top");
        let root = mount.join(&name);
        std::fs::create_dir(&root).expect("mkdir");
        for file in [
            "",
            "cgroup.procs",
            "cgroup.subtree_control",
            "cgroup.threads",
        ] {
            chown(&root.join(file));
        }
        Some(Self {
            dirs: vec![root.clone()],
            env: ("FAXBOT_CGROUP_V2_BASE", root.display().to_string()),
            v2_root: Some(root),
        })
    }

    /// Jail cgroups now in the delegated directories (one name per cgroup, whatever the
    /// number of v1 controllers).
    fn jails(&self) -> Vec<String> {
        let mut found = Vec::new();
        for dir in &self.dirs {
            for sub in [dir.clone(), dir.join("plugins")] {
                if let Ok(entries) = std::fs::read_dir(&sub) {
                    found.extend(
                        entries
                            .flatten()
                            .map(|e| e.file_name().to_string_lossy().into_owned())
                            .filter(|n| n.starts_with("jail-")),
                    );
                }
            }
        }
        found.sort();
        found.dedup();
        found
    }
}

fn remove_tree(dir: &Path) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                remove_tree(&entry.path());
            }
        }
    }
    for _ in 0..400 {
        if std::fs::remove_dir(dir).is_ok() || !dir.exists() {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

impl Drop for Delegated {
    fn drop(&mut self) {
        for dir in &self.dirs {
            remove_tree(dir);
        }
    }
}

/// `faxbot ARGS…` as the service user: `sh` puts the process where the unit would (the
/// v2 subtree's root), then `setpriv` drops to the service uid with no capabilities left
/// and execs faxbot, keeping the pid.
fn as_service(cgroup: Option<&Delegated>) -> Command {
    let procs = cgroup
        .and_then(|c| c.v2_root.as_ref())
        .map(|r| r.join("cgroup.procs").display().to_string())
        .unwrap_or_default();
    let uid = SERVICE_UID.to_string();
    let mut command = Command::new("sh");
    command
        .args([
            "-c",
            r#"if [ -n "$1" ]; then echo $$ > "$1" || exit 99; fi; shift; exec "$@""#,
            "sh",
            &procs,
            "setpriv",
            &format!("--reuid={uid}"),
            &format!("--regid={uid}"),
            "--clear-groups",
            "--inh-caps=-all",
            "--bounding-set=-all",
            "--no-new-privs",
            FAXBOT,
        ])
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
    if let Some(cgroup) = cgroup {
        command.env(cgroup.env.0, &cgroup.env.1);
    }
    command
}

/// A state directory made by `faxbot init` run as the service user; the admin key.
fn init_as_service(tmp: &Path) -> (PathBuf, String) {
    chown(tmp);
    let dir = tmp.join("state");
    let out = as_service(None)
        .args(["init", "--dir"])
        .arg(&dir)
        .output()
        .expect("faxbot init");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "init as the service user: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let key = stdout
        .trim()
        .strip_prefix("admin key: ")
        .unwrap_or_else(|| panic!("no admin key: {stdout:?}"))
        .to_owned();
    assert_eq!(
        std::fs::metadata(&dir).expect("state dir").uid(),
        SERVICE_UID
    );
    (dir, key)
}

#[test]
fn faxbot_doctor_as_the_service_user_names_its_mode_and_what_the_cgroup_needs() {
    if !can_run() {
        return;
    }
    let Some(cgroup) = Delegated::prepare() else {
        return;
    };
    let undelegated = Delegated {
        dirs: Vec::new(),
        env: (
            cgroup.env.0,
            if cgroup.env.0 == "FAXBOT_CGROUP_V1_DIR" {
                "faxbot-never-delegated".into()
            } else {
                "/sys/fs/cgroup/faxbot-never-delegated".into()
            },
        ),
        v2_root: None,
    };
    let refused = as_service(Some(&undelegated))
        .arg("doctor")
        .output()
        .expect("doctor");
    let text = String::from_utf8_lossy(&refused.stdout).into_owned();
    assert_eq!(refused.status.code(), Some(1), "{text}");
    assert!(
        text.contains(&format!(
            "plugin jail mode: user namespace (uid {SERVICE_UID}"
        )),
        "{text}"
    );
    let cgroup_line = text
        .lines()
        .find(|l| l.trim_start().starts_with("cgroup"))
        .unwrap_or_default();
    assert!(
        cgroup_line.contains("MISSING")
            && cgroup_line.contains(&format!("not delegated to uid {SERVICE_UID}"))
            && (cgroup_line.contains("chown") || cgroup_line.contains("Delegate=yes")),
        "{cgroup_line}"
    );
    let ok = as_service(Some(&cgroup))
        .args(["doctor", "--json"])
        .output()
        .expect("doctor");
    let report: serde_json::Value = serde_json::from_slice(&ok.stdout).expect("json");
    assert_eq!(ok.status.code(), Some(0), "every layer: {report}");
    assert!(
        report["mode"]
            .as_str()
            .is_some_and(|m| m.starts_with("user namespace")),
        "{report}"
    );
    assert!(
        report["layers"][0]["detail"]
            .as_str()
            .is_some_and(|d| d.contains(&format!("delegated to uid {SERVICE_UID}"))),
        "{report}"
    );
}

#[test]
fn an_unprivileged_daemon_runs_an_approved_plugin_jailed_in_its_delegated_cgroup() {
    if !can_run() {
        return;
    }
    let Some(cgroup) = Delegated::prepare() else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    let (dir, key) = init_as_service(tmp.path());
    let publisher = Publisher::new("faxbot-examples");
    support::trust(&dir, &publisher.trust_entry("curated"));
    let env = [(cgroup.env.0, cgroup.env.1.as_str())];
    let daemon = Daemon::start_command(as_service(Some(&cgroup)), &dir, &env);
    let c = &daemon.client;
    let pid = daemon.pid();

    // The daemon is the service user, with no capabilities, and not dumpable: its /proc
    // entry belongs to root, so a process of its own uid cannot ptrace it or read its memory.
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .map(|l| l[name.len()..].trim().to_owned())
            .unwrap_or_default()
    };
    assert!(
        field("Uid:")
            .split_whitespace()
            .all(|u| u == SERVICE_UID.to_string()),
        "{status}"
    );
    assert_eq!(field("CapEff:"), "0000000000000000", "{status}");
    assert_eq!(
        std::fs::metadata(format!("/proc/{pid}/environ"))
            .expect("proc")
            .uid(),
        0,
        "the core made itself non-dumpable"
    );
    let ready = c.send("GET", "/readyz", None, None, b"").json();
    assert_eq!(ready["jail"], true, "every layer without root: {ready}");

    let (fxp, sig, _digest) = status_route_package(&publisher, "0.1.0", "");
    c.upload(&key, "", &fxp, &sig).expect(201);
    c.post("/v1/plugins/status-route/approve", &key).expect(200);
    let view = c.wait_for(
        &key,
        "status-route",
        Duration::from_secs(30),
        "running",
        |v| v["state"] == "running" && v["health"] == "healthy",
    );
    assert!(
        view["metrics"]["memory_bytes"]
            .as_u64()
            .is_some_and(|m| m > 0),
        "the unprivileged supervisor reads the plugin's cgroup: {view}"
    );
    let jailed = jailed_plugins(pid);
    assert!(!jailed.is_empty(), "a jailed plugin runs under the daemon");
    assert!(
        jailed.iter().all(|p| p.uid == SERVICE_UID),
        "the plugin's processes are the service user on the host: {jailed:?}"
    );
    assert_eq!(
        cgroup.jails().len(),
        1,
        "its cgroup is in the delegated directory: {:?}",
        cgroup.jails()
    );
    let stderr = daemon.stderr();
    assert!(
        !stderr.contains("WITHOUT the jail layer") && !stderr.contains("will not start"),
        "{stderr}"
    );

    c.post("/v1/plugins/status-route/stop", &key).expect(200);
    eventually(Duration::from_secs(10), "the plugin stopped", || {
        jailed_plugins(pid).is_empty()
    });
    eventually(Duration::from_secs(10), "its cgroup removed", || {
        cgroup.jails().is_empty()
    });
    let status = daemon.stop();
    assert!(status.success(), "{status}");
}

#[test]
fn an_unprivileged_daemon_without_a_delegated_cgroup_is_not_ready_and_says_what_to_set() {
    if !can_run() {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let (dir, _key) = init_as_service(tmp.path());
    let undelegated = [("FAXBOT_CGROUP_V1_DIR", "faxbot-never-delegated")];
    let mut command = as_service(None);
    command.envs(undelegated);
    let daemon = Daemon::start_command(command, &dir, &undelegated);
    let ready = daemon.client.send("GET", "/readyz", None, None, b"").json();
    assert_eq!(ready["jail"], false, "{ready}");
    let problems = ready["problems"].to_string();
    assert!(
        problems.contains("cgroup") && problems.contains("not delegated"),
        "{problems}"
    );
    assert!(
        daemon.stderr().contains("plugins will not start"),
        "{}",
        daemon.stderr()
    );
}
