//! The `faxbot` command's subcommands: each module holds its clap arguments and its `run`.

pub mod audit;
pub mod doctor;
pub mod doctor_runtimes;
pub mod doctor_transports;
pub mod redact;
