//! faxbot-jail-delegation-probe: run by `jail/tests/delegated_v2_kernel.rs` as an
//! unprivileged uid started in the root of a cgroup v2 directory delegated to it. It does, on
//! the real kernel, what an unprivileged core and its jail do there, and prints one line per
//! step: `settled <leaf>` (the core moved itself into its leaf), `core <path>` (where the
//! kernel now has it), `born <path>` (where a jail's init, created as the unprivileged jail
//! creates it, by one `clone3` into its new user, pid, mount, net, ipc and uts namespaces
//! with `CLONE_INTO_CGROUP` into a cgroup in `plugins/`, found itself), `rooted <path>`
//! (its own cgroup as it sees it once it has unshared a cgroup namespace: `/`), or
//! `failed <step>: <error>`.

use faxbot_cgroup::Hierarchy;
use faxbot_cgroup::delegation::DelegatedV2;
use faxbot_cgroup::v2::V2;
use faxbot_jail::syscalls::{Forked, Syscalls, linux::LinuxSyscalls};
use nix::sched::CloneFlags;
use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::process::ExitCode;

fn own_v2_cgroup() -> String {
    std::fs::read_to_string("/proc/self/cgroup")
        .ok()
        .and_then(|t| faxbot_cgroup::delegation::own_v2_cgroup(&t))
        .map(|p| p.display().to_string())
        .unwrap_or_default()
}

fn main() -> ExitCode {
    let Some(root) = std::env::args().nth(1).map(PathBuf::from) else {
        println!("failed usage: faxbot-jail-delegation-probe ROOT");
        return ExitCode::FAILURE;
    };
    let hierarchy = Hierarchy::v2(V2::delegated(DelegatedV2 {
        root: root.clone(),
        in_root: true,
    }));
    match hierarchy.settle() {
        Ok(Some(leaf)) => println!("settled {}", leaf.display()),
        Ok(None) => println!("failed settle: did not move"),
        Err(e) => println!("failed settle: {e}"),
    }
    println!("core {}", own_v2_cgroup());
    let jail = root.join("plugins").join("jail-probe");
    if let Err(e) = std::fs::create_dir_all(&jail) {
        println!("failed mkdir {}: {e}", jail.display());
        return ExitCode::FAILURE;
    }
    let dir = match std::fs::File::open(&jail) {
        Ok(dir) => dir,
        Err(e) => {
            println!("failed open {}: {e}", jail.display());
            return ExitCode::FAILURE;
        }
    };
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let flags = faxbot_jail::namespaces::flags(true, true, true);
    match LinuxSyscalls.clone_into_namespaces(flags, Some(dir.as_raw_fd()), &[]) {
        Ok(Forked::Child) => {
            println!("born {}", own_v2_cgroup());
            match LinuxSyscalls.unshare(CloneFlags::CLONE_NEWCGROUP) {
                Ok(()) => println!("rooted {}", own_v2_cgroup()),
                Err(e) => println!("failed cgroup namespace: {e}"),
            }
            let _ = std::io::stdout().flush();
            std::process::exit(0);
        }
        Ok(Forked::Parent(child)) => {
            let _ = nix::sys::wait::waitpid(child, None);
            ExitCode::SUCCESS
        }
        Err(e) => {
            println!("failed birth: {e}");
            ExitCode::FAILURE
        }
    }
}
