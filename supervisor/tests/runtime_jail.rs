//! A script plugin on an interpreted runtime, in the real jail: the interpreter runs from a
//! verified descriptor with its tree bound read-only, and every layer still holds — it
//! cannot start another program, cannot load native code it wrote, cannot write its own
//! package or the interpreter's tree, and reaches no network.

use faxbot_policy::manifest::{Manifest, ResourceCeilings};
use faxbot_supervisor::launch::{JailedLauncher, Launcher};
use faxbot_supervisor::plugin_config::{
    PluginConfigError, PluginFiles, jail_spec_for_manifest, jail_spec_with_runtimes,
};
use faxbot_supervisor::runtime::Runtime;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use tokio::io::AsyncReadExt;

fn root_and_python() -> Option<Runtime> {
    if !nix::unistd::Uid::effective().is_root() {
        eprintln!("skipped: faxbot-jail needs root for its cgroup and identity layers");
        return None;
    }
    match Runtime::detect("python3") {
        Some(Ok(runtime)) => Some(runtime),
        other => {
            eprintln!(
                "skipped: no python3 runtime on this host ({other:?}); scripts/setup installs it"
            );
            None
        }
    }
}

fn manifest(runtime: Option<&str>) -> Manifest {
    let mut text = String::from(
        "id = \"py-probe\"\nname = \"p\"\nversion = \"0.1.0\"\npublisher = \"me\"\nmin_core_version = \"0.1.0\"\nentry = \"probe.py\"\n",
    );
    if let Some(r) = runtime {
        text.push_str(&format!("runtime = \"{r}\"\n"));
    }
    Manifest::parse(&text, &ResourceCeilings::default()).expect("manifest")
}

/// What the probe tries, one line each: `<what> ok` or `<what> refused: <error>`.
const PROBE: &str = r##"
import os, sys
def attempt(what, f):
    try:
        f()
        print(what, "ok", flush=True)
    except BaseException as e:
        print(what, "refused:", type(e).__name__, e, flush=True)

print("started", sys.executable, flush=True)
attempt("import json", lambda: __import__("json").dumps({}))
# Native code the plugin writes: copy an extension module into /tmp and load it.
import importlib.util, _json
src = _json.__file__
print("extension", src, flush=True)
# (read and write: shutil.copy would use sendfile, which the seccomp allowlist refuses)
with open(src, "rb") as f, open("/tmp/_json.cpython-x.so", "wb") as g:
    g.write(f.read())
def load_written():
    spec = importlib.util.spec_from_file_location("_json", "/tmp/_json.cpython-x.so")
    importlib.util.module_from_spec(spec)
attempt("load native code from /tmp", load_written)
with open("/tmp/run.sh", "w") as f:
    f.write("#!/bin/sh\necho hi\n")
os.chmod("/tmp/run.sh", 0o755)
attempt("exec a file it wrote", lambda: os.execv("/tmp/run.sh", ["run.sh"]))
attempt("exec the interpreter again", lambda: os.execv(sys.executable, [sys.executable, "-c", "1"]))
attempt("write its package", lambda: open("/app/probe.py", "a").write("x"))
attempt("write the interpreter's tree", lambda: open(os.path.dirname(os.__file__) + "/x.py", "w").write("x"))
import socket
attempt("connect out", lambda: socket.create_connection(("1.1.1.1", 443), timeout=2))
print("done", flush=True)
"##;

#[tokio::test]
async fn a_script_on_the_python3_runtime_runs_and_every_layer_holds() {
    let Some(runtime) = root_and_python() else {
        return;
    };
    let app = tempfile::tempdir().expect("tempdir");
    std::fs::set_permissions(app.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let script = app.path().join("probe.py");
    std::fs::write(&script, PROBE).expect("script");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let files = PluginFiles {
        jail: faxbot_jail::binary::locate().expect("faxbot-jail is built"),
        entry: script.clone(),
        app_dir: app.path().to_owned(),
    };
    let manifest = manifest(Some("python3"));
    let spec = jail_spec_with_runtimes(&manifest, &files, &[], std::slice::from_ref(&runtime))
        .expect("spec");
    assert_eq!(spec.argv.last().map(String::as_str), Some("/app/probe.py"));
    let mut launched = JailedLauncher {
        jail: files.jail.clone(),
        program: runtime.interpreter.clone(),
        spec,
    }
    .launch_for("py-probe")
    .expect("the jail starts");
    let mut out = String::new();
    let mut stdout = launched.child.stdout.take().expect("stdout");
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        stdout.read_to_string(&mut out),
    )
    .await;
    let mut err = String::new();
    if let Some(mut stderr) = launched.child.stderr.take() {
        let _ = tokio::time::timeout(
            std::time::Duration::from_secs(2),
            stderr.read_to_string(&mut err),
        )
        .await;
    }
    assert!(
        read.is_ok(),
        "the probe hung\nstdout:\n{out}\nstderr:\n{err}"
    );
    let line = |what: &str| {
        out.lines()
            .find(|l| l.starts_with(what))
            .unwrap_or_else(|| panic!("no line for {what:?}\nstdout:\n{out}\nstderr:\n{err}"))
            .to_owned()
    };
    assert!(
        line("started").contains(&*runtime.interpreter.to_string_lossy()),
        "{out}"
    );
    assert!(line("import json").ends_with(" ok"), "{out}\n{err}");
    assert!(
        line("extension").ends_with(".so"),
        "the extension module loaded from the bound tree: {out}"
    );
    for refused in [
        "load native code from /tmp",
        "exec a file it wrote",
        "exec the interpreter again",
        "write its package",
        "write the interpreter's tree",
        "connect out",
    ] {
        assert!(
            line(refused).contains(" refused: "),
            "{refused} must be refused:\n{out}\n{err}"
        );
    }
    assert!(out.contains("done"), "{out}\n{err}");
    println!("{out}");
}

#[test]
fn a_manifest_naming_a_runtime_the_host_does_not_enable_is_refused_by_name() {
    let files = PluginFiles {
        jail: "/usr/bin/faxbot-jail".into(),
        entry: "/srv/p/probe.py".into(),
        app_dir: "/srv/p".into(),
    };
    let why = jail_spec_for_manifest(&manifest(Some("python3")), &files, &[])
        .expect_err("no runtime is enabled");
    assert!(matches!(why, PluginConfigError::RuntimeNotEnabled { .. }));
    let text = why.to_string();
    assert!(
        text.contains("asks for runtime \"python3\", which this host does not enable")
            && text.contains("[runtimes.python3]")
            && text.contains("enabled: none"),
        "{text}"
    );
    // A native entry needs none.
    assert!(jail_spec_for_manifest(&manifest(None), &files, &[]).is_ok());
    let _ = Path::new("/");
}
