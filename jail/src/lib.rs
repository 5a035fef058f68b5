//! The jail: a Linux process sandbox for one plugin process.
//!
//! Layers, in the order applied (see `docs/threat-model.md`): cgroup, namespaces, a fresh
//! root, rlimits/fds/environment, identity and capabilities, Landlock, seccomp. Each module
//! holds one layer; [`run`] holds the order.

pub mod binary;
pub mod check;
pub mod elf;
pub mod identity;
pub mod landlock_rules;
pub mod report;
pub mod rootfs;
pub mod run;
pub mod seccomp;
pub mod spec;

pub use check::{SupportReport, check};
pub use report::Ending;
pub use run::{JailError, run};
pub use spec::{Bind, JailSpec, Layer, Program, parse_size};
