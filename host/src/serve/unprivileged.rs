//! What the core does at start about its own privileges, before it loads any key.
//!
//! As root: nothing. As an ordinary service user (`deploy/faxbot-unprivileged.service`),
//! plugins run in user namespaces whose one id maps to that same user, so the core makes
//! itself non-dumpable: a process of the same uid can then neither ptrace it nor read its
//! memory or open its descriptors through `/proc` (the kernel asks for CAP_SYS_PTRACE in the
//! core's namespace, which no plugin has). It also moves into its leaf of a delegated cgroup.

/// Hardens the unprivileged core and settles it into its cgroup; returns what to say on
/// stderr. An error is a protection the core could not apply: the caller refuses to run.
pub fn prepare() -> Result<Vec<String>, String> {
    let mut said = Vec::new();
    if nix::unistd::geteuid().is_root() {
        return Ok(said);
    }
    nix::sys::prctl::set_dumpable(false).map_err(|e| {
        format!("cannot make the unprivileged core non-dumpable (PR_SET_DUMPABLE): {e}")
    })?;
    match faxbot_supervisor::supervisor::Supervisor::settle_cgroup() {
        Ok(Some(leaf)) => said.push(format!(
            "faxbot: unprivileged core: moved into {} of its delegated cgroup (plugins' cgroups go beside it)",
            leaf.display()
        )),
        Ok(None) => {}
        // The jail's layer check names what to set; plugins do not start without it.
        Err(e) => said.push(format!("faxbot: plugins will not start: {e}")),
    }
    Ok(said)
}
