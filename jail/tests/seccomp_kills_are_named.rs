//! The seccomp allowlist's refusals, generated from the policy data: every notable denied
//! syscall kills the program and faxbot-jail's message names it.
//!
//! The name comes from the kernel's audit record in /dev/kmsg, which the kernel rate-limits
//! (kernel.printk_ratelimit_burst, 10 records per 5 s by default). This binary runs its one
//! test serially and raises the burst for its duration, then restores it.

use faxbot_jail::seccomp::policy::notable_denied;
use std::path::Path;
use std::process::Command;

const JAIL: &str = env!("CARGO_BIN_EXE_faxbot-jail");
const PROBE: &str = env!("CARGO_BIN_EXE_faxbot-jail-probe");

struct Run {
    code: i32,
    stderr: String,
}

fn jail(attempt: &[&str]) -> Run {
    let dir = Path::new(PROBE).parent().expect("probe dir");
    let output = Command::new(JAIL)
        .arg("--ro")
        .arg(format!("{}:/app", dir.display()))
        .arg("--")
        .arg("/app/faxbot-jail-probe")
        .args(attempt)
        .output()
        .expect("faxbot-jail runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

struct RaisedBurst(Option<String>);

impl RaisedBurst {
    fn raise() -> Self {
        let file = "/proc/sys/kernel/printk_ratelimit_burst";
        let old = std::fs::read_to_string(file).ok();
        let _ = std::fs::write(file, "100000");
        Self(old)
    }
}

impl Drop for RaisedBurst {
    fn drop(&mut self) {
        if let Some(old) = &self.0 {
            let _ = std::fs::write("/proc/sys/kernel/printk_ratelimit_burst", old.trim());
        }
    }
}

#[test]
fn every_notable_denied_syscall_kills_and_is_named() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("SKIP: the jail tests need root");
        return;
    }
    let _burst = RaisedBurst::raise();
    // Earlier test binaries' seccomp kills leave the kernel's audit printk in a suppression
    // window; wait it out so each record below reaches /dev/kmsg.
    std::thread::sleep(std::time::Duration::from_secs(6));
    let mut failures = Vec::new();
    for syscall in notable_denied() {
        let run = jail(&["syscall", &syscall.nr.to_string()]);
        let expected = format!(
            "seccomp violation: syscall {} ({})",
            syscall.name, syscall.nr
        );
        if run.code != 128 + libc::SIGSYS || !run.stderr.contains(&expected) {
            failures.push(format!(
                "{}: exit {} stderr {:?}",
                syscall.name,
                run.code,
                run.stderr.trim()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "denied syscalls not killed and named:\n{}",
        failures.join("\n")
    );
}
