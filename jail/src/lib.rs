//! The jail: a Linux process sandbox for one plugin process.
//!
//! Layers, in the order applied (see `docs/threat-model.md`): cgroup, namespaces, a fresh
//! root, rlimits/fds/environment, identity and capabilities, Landlock, seccomp. Each module
//! holds one layer; [`run`] holds the order, [`plan`] decides everything before the first
//! fork, and every kernel call goes through [`syscalls::Syscalls`].
//!
//! It must never let the program start with a layer weaker than asked for: a layer that
//! cannot be applied stops the launch (exit 125) unless the spec allows it to be missing,
//! and then it is said on stderr. It must never execute anything but the verified binary.

pub mod binary;
pub mod cgroup_join;
pub mod check;
pub mod elf;
pub mod identity;
pub mod landlock_rules;
pub mod namespaces;
pub mod plan;
pub mod processes;
pub mod report;
pub mod resources;
pub mod rootfs;
pub mod run;
pub mod seccomp;
pub mod spec;
pub mod syscalls;

pub use check::{HostSupport, SupportReport, check, probe};
pub use plan::{HostFacts, JailPlan, LayerPlan, plan_layers};
pub use report::Ending;
pub use run::{JailError, launch, run, run_probed};
pub use spec::{Bind, JailSpec, Layer, Program, parse_size};
