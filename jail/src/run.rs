//! Running a program in the jail: the outer process (cgroup owner, timer, reporter), the
//! jail's init (pid 1) and the program itself.
//!
//! ```text
//! faxbot-jail (outer, host namespaces, outside the cgroup)
//!   └─ init (pid 1), cloned into mnt/pid/net/ipc/uts(/user) and, on v2, the cgroup:
//!        1 joins the cgroup (v1), 2 maps its ids, unshares the cgroup namespace, names the
//!        host, 3 builds the root and pivots; then forwards signals, reaps
//!        └─ program: 4 fds and rlimits, 5 ids and capabilities, 6 Landlock, 7 seccomp, execveat
//! ```
//!
//! Every step is one call into its layer's module through [`Syscalls`]; any failure ends
//! the launch there (exit status 125, one stderr line naming the layer), and nothing after
//! it runs.

use crate::check::{HostSupport, SupportReport};
use crate::plan::{self, JailPlan, ProgramPlan};
use crate::processes;
use crate::report::Ending;
use crate::resources::CHANNEL_FD;
use crate::seccomp::violation::Violation;
use crate::spec::{JailSpec, Layer};
use crate::syscalls::{Forked, LinuxSyscalls, SysError, Syscalls, linux};
use crate::{cgroup_join, identity, landlock_rules, namespaces, resources, rootfs, seccomp};
use faxbot_cgroup::{Cgroup, Events, Hierarchy};
use nix::unistd::Pid;
use std::os::fd::RawFd;
use std::time::{Duration, Instant};

/// The jail could not be set up (exit status 125).
#[derive(Debug, thiserror::Error)]
pub enum JailError {
    /// The spec is inconsistent.
    #[error("spec: {0}")]
    Spec(#[from] crate::spec::SpecError),
    /// A required layer is missing on this host.
    #[error(
        "{layer}: not available on this host ({detail}); refusing to run without it (see --allow-missing)"
    )]
    Missing {
        /// The layer.
        layer: Layer,
        /// What the check found.
        detail: String,
    },
    /// Every layer is in place but the kernel would not run the program.
    #[error("exec of {program}: {reason}; {hint}")]
    Exec {
        /// argv\[0].
        program: String,
        /// What the kernel said.
        reason: String,
        /// What usually causes it.
        hint: &'static str,
    },
    /// A layer's setup failed.
    #[error("{layer}: {message}")]
    Setup {
        /// The layer.
        layer: Layer,
        /// What failed.
        message: String,
    },
}

/// Maps a layer's error to the launch's: the layer named, its message kept.
fn failed<E: std::fmt::Display>(layer: Layer) -> impl FnOnce(E) -> JailError {
    move |e| JailError::Setup {
        layer,
        message: e.to_string(),
    }
}

/// Runs `spec` to completion and says how it ended.
pub fn run(spec: &JailSpec, support: &SupportReport) -> Result<Ending, JailError> {
    run_on(spec, support, None)
}

/// [`run`] with what a [`crate::check::probe`] found: its cgroup hierarchy is used as
/// detected.
pub fn run_probed(spec: &JailSpec, host: &HostSupport) -> Result<Ending, JailError> {
    run_on(spec, &host.report, host.hierarchy.as_ref())
}

fn run_on(
    spec: &JailSpec,
    support: &SupportReport,
    hierarchy: Option<&Hierarchy>,
) -> Result<Ending, JailError> {
    spec.validate()?;
    let layers = plan::plan_layers(spec, support)?;
    for notice in &layers.notices {
        eprintln!("faxbot-jail: {notice}");
    }
    let sys = LinuxSyscalls;
    sys.set_parent_death_signal()
        .map_err(failed(Layer::Identity))?;
    let prepared = plan::prepare(spec, &layers, hierarchy)?;
    let plan = match JailPlan::new(spec, &layers, &prepared.facts) {
        Ok(plan) => plan,
        Err(e) => {
            remove_cgroup(prepared.cgroup);
            return Err(e);
        }
    };
    let started = Instant::now();
    let init = match launch(&sys, &plan) {
        Ok(Some(init)) => init,
        outcome => {
            remove_cgroup(prepared.cgroup);
            return Err(outcome.err().unwrap_or_else(|| {
                failed(Layer::Namespaces)("a jail process returned into the outer one")
            }));
        }
    };
    drop(prepared.program);
    drop(prepared.cgroup_dir);
    let report = prepared.report.map(|(read, _write)| read);

    let deadline =
        (spec.timeout_secs > 0).then(|| started + Duration::from_secs(spec.timeout_secs));
    let (status, timed_out) = linux::wait_with_deadline(init, deadline);
    let events = match prepared.cgroup {
        Some(cgroup) => {
            let events = cgroup.events();
            if let Err(e) = cgroup.remove_after(&events) {
                eprintln!("faxbot-jail: warning: cgroup not removed: {e}");
            }
            events
        }
        None => Events::default(),
    };
    let violation = report.and_then(read_violation);
    Ok(Ending::from_status(
        status, timed_out, spec, &events, violation,
    ))
}

/// What init reported on the (non-blocking) report pipe, read once every writer is gone.
fn read_violation(read: std::os::fd::OwnedFd) -> Option<Violation> {
    use std::io::Read;
    let mut file = std::fs::File::from(read);
    let (mut text, mut chunk) = (Vec::new(), [0u8; 128]);
    while let Ok(n @ 1..) = file.read(&mut chunk) {
        text.extend_from_slice(&chunk[..n]);
    }
    Violation::decode(&String::from_utf8_lossy(&text))
}

fn remove_cgroup(cgroup: Option<Cgroup>) {
    if let Some(cgroup) = cgroup
        && let Err(e) = cgroup.remove()
    {
        eprintln!("faxbot-jail: warning: cgroup not removed: {e}");
    }
}

/// Starts the jail's processes as `plan` says. In the outer process: `Some(init's pid)`.
/// Each child ends in [`Syscalls::exit`]; only under a double whose `exit` returns does a
/// child's outcome come back here: `Ok(None)` when the program was executed, otherwise
/// the error of the layer that failed.
pub fn launch(sys: &dyn Syscalls, plan: &JailPlan) -> Result<Option<Pid>, JailError> {
    let flags = plan.namespaces.flags;
    let blocked = &processes::FORWARDED;
    if let Some(dir) = plan.cgroup.as_ref().and_then(|c| c.born_into) {
        match sys.clone_into_namespaces(flags, Some(dir), blocked) {
            Ok(forked) => return child_runs(sys, forked, || init(sys, plan, true)),
            // No clone3 (before Linux 5.3) or no CLONE_INTO_CGROUP in it (before 5.7): init
            // joins by writing, as on v1.
            Err(e) if matches!(e.source.raw_os_error(), Some(libc::ENOSYS | libc::E2BIG)) => {}
            Err(e) => return Err(failed(clone_failure_layer(&e))(e)),
        }
    }
    let forked = sys
        .clone_into_namespaces(flags, None, blocked)
        .map_err(failed(Layer::Namespaces))?;
    child_runs(sys, forked, || init(sys, plan, false))
}

/// Which layer a refused clone into the namespaces and the cgroup is blamed on: the
/// namespaces for the errors their creation gives (no user namespaces allowed, too many,
/// flags unknown), the cgroup otherwise (no write access to it, not a v2 directory, gone).
fn clone_failure_layer(error: &SysError) -> Layer {
    match error.source.raw_os_error() {
        Some(libc::EPERM | libc::ENOSPC | libc::EUSERS | libc::EINVAL | libc::ENOMEM) => {
            Layer::Namespaces
        }
        _ => Layer::Cgroup,
    }
}

/// Forks; the child runs `body` and exits with its status (125 with a stderr line when a
/// layer failed).
fn in_child(
    sys: &dyn Syscalls,
    body: impl FnOnce() -> Result<i32, JailError>,
) -> Result<Option<Pid>, JailError> {
    let forked = sys.fork().map_err(failed(Layer::Namespaces))?;
    child_runs(sys, forked, body)
}

/// In the child of `forked`, runs `body` and exits with its status; in the parent, the
/// child's pid.
fn child_runs(
    sys: &dyn Syscalls,
    forked: Forked,
    body: impl FnOnce() -> Result<i32, JailError>,
) -> Result<Option<Pid>, JailError> {
    match forked {
        Forked::Parent(child) => Ok(Some(child)),
        Forked::Child => {
            let outcome = body();
            let code = match &outcome {
                Ok(code) => *code,
                Err(e) => {
                    eprintln!("faxbot-jail: {e}");
                    125
                }
            };
            sys.exit(code);
            outcome.map(|_| None)
        }
    }
}

/// init, pid 1 of the jail, created in its namespaces (and, when `born_inside`, its
/// cgroup) with the forwarded signals blocked: layer 1 (unless born inside), the rest of
/// layer 2 and layer 3, then the program; reaps, forwards signals and answers the
/// program's supervised seccomp filter. Nothing of the program runs before every layer.
fn init(sys: &dyn Syscalls, plan: &JailPlan, born_inside: bool) -> Result<i32, JailError> {
    sys.set_parent_death_signal()
        .map_err(failed(Layer::Identity))?;
    if let Some(cgroup) = plan.cgroup.as_ref().filter(|_| !born_inside) {
        cgroup_join::join(sys, cgroup).map_err(failed(Layer::Cgroup))?;
    }
    namespaces::enter(sys, &plan.namespaces).map_err(failed(Layer::Namespaces))?;
    if let Some(root) = &plan.rootfs {
        rootfs::enter(sys, root).map_err(failed(Layer::Rootfs))?;
    }
    // The program sends the seccomp listener back over this (both ends close-on-exec).
    let channel = match plan.program.seccomp {
        Some(_) => Some(sys.socketpair().map_err(failed(Layer::Seccomp))?),
        None => None,
    };
    let program_end = channel.map(|(_, program_end)| program_end);
    match in_child(sys, || program(sys, &plan.program, program_end))? {
        Some(program) => {
            if let Some(fd) = program_end {
                sys.close(fd);
            }
            let init_end = channel.map(|(init_end, _)| init_end);
            Ok(processes::reap_and_forward(
                program,
                init_end,
                plan.report_fd,
            ))
        }
        None => Ok(0),
    }
}

/// The program: layers 4 to 7, then the exec of the verified binary.
fn program(
    sys: &dyn Syscalls,
    plan: &ProgramPlan,
    channel: Option<RawFd>,
) -> Result<i32, JailError> {
    sys.unblock_all_signals()
        .map_err(failed(Layer::Namespaces))?;
    sys.setsid().map_err(failed(Layer::Namespaces))?;
    sys.set_parent_death_signal()
        .map_err(failed(Layer::Identity))?;
    resources::apply(sys, plan.fds, channel, plan.rlimits.as_ref())
        .map_err(failed(Layer::Rlimits))?;
    if let Some(identity) = &plan.identity {
        identity::drop_to(sys, identity).map_err(failed(Layer::Identity))?;
    }
    if let Some(ruleset) = &plan.landlock {
        landlock_rules::restrict(sys, ruleset).map_err(failed(Layer::Landlock))?;
    }
    if let Some(filters) = &plan.seccomp {
        seccomp::install(sys, &filters.policy, filters.set_no_new_privs, CHANNEL_FD)
            .map_err(failed(Layer::Seccomp))?;
    }
    resources::exec(sys, &plan.exec).map_err(|e| exec_failed(&plan.exec, e))?;
    Ok(0)
}

/// Says why the final exec failed in terms of the program, not of the last layer applied.
fn exec_failed(exec: &resources::ExecPlan, error: crate::syscalls::SysError) -> JailError {
    let hint = match error.source.raw_os_error() {
        Some(libc::ENOENT) => {
            "the program's interpreter is not inside the jail: a #! script never runs through its #! line (a script plugin names a runtime, docs/manifest.md), and a dynamic binary needs its ELF loader"
        }
        Some(libc::EACCES) => "the program is not executable, or Landlock refused it",
        Some(libc::ENOEXEC) => "the program is not an executable format this kernel runs",
        Some(libc::EPERM) => "the seccomp exec guard allows only the one verified program",
        _ => "the program could not be started",
    };
    JailError::Exec {
        program: exec
            .argv
            .first()
            .map(|a| a.to_string_lossy().into_owned())
            .unwrap_or_default(),
        reason: error.source.to_string(),
        hint,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{JailSpec, Program};
    use crate::syscalls::{Call, SysError};

    #[test]
    fn a_script_that_cannot_exec_is_reported_as_an_exec_failure_with_the_cause_not_as_seccomp() {
        let spec = JailSpec::new(Program::Fd(3), vec!["/app/plugin.py".into()]);
        let exec = resources::ExecPlan::for_spec(&spec).expect("plan");
        let error = SysError::new(
            Call::Execveat {
                fd: 3,
                argv: spec.argv.clone(),
            },
            std::io::Error::from_raw_os_error(libc::ENOENT),
        );
        let text = exec_failed(&exec, error).to_string();
        assert!(text.starts_with("exec of /app/plugin.py: "), "{text}");
        assert!(text.contains("names a runtime"), "{text}");
        assert!(!text.contains("seccomp"), "{text}");
    }
}
