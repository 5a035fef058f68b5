//! The interpreted runtime a project's manifest names, found on this machine the way a
//! Debian host installs it (`python3`: `/usr/bin/python3` and `/usr/lib/python3.X`), so
//! `cargo faxbot test` and `conform` run a script plugin as a host would.

use crate::CheckFailed;
use crate::project::Project;
use faxbot_supervisor::runtime::Runtime;

/// The runtimes to enable for `project`: none for a native entry, else the one it names.
pub fn for_project(project: &Project) -> anyhow::Result<Vec<Runtime>> {
    let Some(name) = &project.manifest.runtime else {
        return Ok(Vec::new());
    };
    match Runtime::detect(name) {
        Some(Ok(runtime)) => Ok(vec![runtime]),
        Some(Err(why)) => Err(CheckFailed(format!("the manifest's runtime: {why}")).into()),
        None => Err(CheckFailed(format!(
            "the manifest asks for runtime {name:?}, which is not installed here (python3 is looked for at /usr/bin/python3, node at /usr/bin/node)"
        ))
        .into()),
    }
}
