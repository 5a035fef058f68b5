//! Where the `faxbot-jail` program is: installed beside the program that spawns it (the
//! `faxbot` daemon, `cargo faxbot`), or in the cargo target directory a test runs from.

use std::path::{Path, PathBuf};

/// The jail program's file name.
pub const PROGRAM_NAME: &str = "faxbot-jail";

/// `faxbot-jail` beside the running executable, or one directory up (a test binary runs from
/// `target/<profile>/deps/`, the jail sits in `target/<profile>/`). `None` when neither exists.
pub fn locate() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?;
    beside(dir).or_else(|| dir.parent().and_then(beside))
}

fn beside(dir: &Path) -> Option<PathBuf> {
    let candidate = dir.join(PROGRAM_NAME);
    candidate.is_file().then_some(candidate)
}
