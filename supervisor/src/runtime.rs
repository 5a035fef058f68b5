//! Interpreted runtimes: an interpreter the operator enables (`[runtimes.python3]` in
//! `faxbot.toml`) to run plugins whose entry is a script (`runtime = "python3"` in the
//! manifest). The jail runs the interpreter from a descriptor the host opened on the
//! configured, verified file, binds the interpreter's tree read-only at the same paths, and
//! passes the package's entry script (a verified package file under `/app`) as its
//! argument. Every layer holds: Landlock lets only the interpreter and its loader execute,
//! the seccomp exec guard lets exactly that one exec through, and `/tmp` is `noexec`, so the
//! interpreter can load no native code the plugin wrote and start no other program.

use faxbot_jail::spec::{Bind, JailSpec, Program};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// One runtime the operator enables.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Runtime {
    /// Its name, as manifests ask for it (`python3`).
    pub name: String,
    /// The interpreter program, canonical (symlinks resolved).
    pub interpreter: PathBuf,
    /// Directories the interpreter reads (its standard library), bound read-only at the
    /// same paths; shared objects below them may be loaded (extension modules).
    pub trees: Vec<PathBuf>,
    /// Arguments before the script (`-I -S -B` for Python: isolated, no site, no bytecode).
    pub args: Vec<String>,
}

/// Why a runtime cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RuntimeError {
    /// A path that is not absolute.
    #[error("runtime {runtime:?}: {what} {path:?} must be an absolute path")]
    Relative {
        /// The runtime.
        runtime: String,
        /// `interpreter` or `trees`.
        what: &'static str,
        /// The path.
        path: PathBuf,
    },
    /// A path that does not exist or cannot be read.
    #[error("runtime {runtime:?}: {what} {path:?}: {reason}")]
    Missing {
        /// The runtime.
        runtime: String,
        /// `interpreter` or `trees`.
        what: &'static str,
        /// The path.
        path: PathBuf,
        /// What the filesystem said.
        reason: String,
    },
    /// The interpreter is not a regular file, or a tree not a directory.
    #[error("runtime {runtime:?}: {what} {path:?} is not a {want}")]
    WrongKind {
        /// The runtime.
        runtime: String,
        /// `interpreter` or `trees`.
        what: &'static str,
        /// The path.
        path: PathBuf,
        /// `regular file` or `directory`.
        want: &'static str,
    },
    /// Someone other than root could change it.
    #[error(
        "runtime {runtime:?}: {what} {path:?} is writable by uid {uid} or by group/others (mode {mode:o}); a runtime must be owned by root and not writable by anyone else"
    )]
    Writable {
        /// The runtime.
        runtime: String,
        /// `interpreter` or `trees`.
        what: &'static str,
        /// The path.
        path: PathBuf,
        /// Its owner.
        uid: u32,
        /// Its permission bits.
        mode: u32,
    },
    /// A tree inside a directory the jail makes itself, or at the root.
    #[error(
        "runtime {runtime:?}: tree {path:?} cannot be bound (it is /, or inside /tmp, /dev or /proc)"
    )]
    BadTree {
        /// The runtime.
        runtime: String,
        /// The path.
        path: PathBuf,
    },
}

impl Runtime {
    /// The runtime `name` with `interpreter`, `trees` and `args`, each path resolved and
    /// verified: absolute, existing, owned by root, writable by nobody else.
    pub fn verified(
        name: &str,
        interpreter: &Path,
        trees: &[PathBuf],
        args: Vec<String>,
    ) -> Result<Self, RuntimeError> {
        let interpreter = verify(name, "interpreter", interpreter, false)?;
        let trees = trees
            .iter()
            .map(|t| verify(name, "trees", t, true))
            .collect::<Result<Vec<_>, _>>()?;
        for tree in &trees {
            let reserved = ["/tmp", "/dev", "/proc"];
            if tree == Path::new("/") || reserved.iter().any(|r| tree.starts_with(r)) {
                return Err(RuntimeError::BadTree {
                    runtime: name.to_owned(),
                    path: tree.clone(),
                });
            }
        }
        Ok(Self {
            name: name.to_owned(),
            interpreter,
            trees,
            args,
        })
    }

    /// The well-known runtime `name` as this host's Debian packages install it (for
    /// `cargo faxbot test` on an author's machine; a daemon enables runtimes only in
    /// `faxbot.toml`). `python3` is `/usr/bin/python3` with its `/usr/lib/python3.X`.
    pub fn detect(name: &str) -> Option<Result<Self, RuntimeError>> {
        match name {
            "python3" => {
                let interpreter = std::fs::canonicalize("/usr/bin/python3").ok()?;
                let version = interpreter.file_name()?.to_string_lossy().into_owned();
                let tree = Path::new("/usr/lib").join(&version);
                let args = ["-I", "-S", "-B"].map(str::to_owned).to_vec();
                Some(Self::verified(name, &interpreter, &[tree], args))
            }
            "node" => {
                let interpreter = std::fs::canonicalize("/usr/bin/node").ok()?;
                Some(Self::verified(name, &interpreter, &[], Vec::new()))
            }
            _ => None,
        }
    }

    /// Points `spec` at this runtime running `script_in_jail`: the program is the
    /// interpreter (the launcher opens it and the jail executes that descriptor), its
    /// argv the interpreter, the runtime's arguments and the script; the interpreter and its
    /// trees are bound read-only at their own paths.
    pub fn apply(&self, spec: &mut JailSpec, script_in_jail: &str) {
        spec.program = Program::Path(self.interpreter.clone());
        let mut argv = vec![self.interpreter.to_string_lossy().into_owned()];
        argv.extend(self.args.iter().cloned());
        argv.push(script_in_jail.to_owned());
        spec.argv = argv;
        spec.ro_binds.push(Bind {
            host: self.interpreter.clone(),
            jail: self.interpreter.clone(),
        });
        for tree in &self.trees {
            spec.ro_binds.push(Bind {
                host: tree.clone(),
                jail: tree.clone(),
            });
        }
        spec.library_dirs = self.trees.clone();
    }

    /// Arguments that make the interpreter prove it starts and loads its library, printing
    /// `ok` (`faxbot doctor`).
    pub fn probe_args(&self) -> Vec<String> {
        let mut args = self.args.clone();
        match self.name.as_str() {
            "python3" | "python" => args.extend([
                "-c".into(),
                "import json, socket, struct; print('ok')".into(),
            ]),
            "node" => args.extend(["-e".into(), "console.log('ok')".into()]),
            _ => args.push("--version".into()),
        }
        args
    }
}

fn verify(name: &str, what: &'static str, path: &Path, dir: bool) -> Result<PathBuf, RuntimeError> {
    if !path.is_absolute() {
        return Err(RuntimeError::Relative {
            runtime: name.to_owned(),
            what,
            path: path.to_owned(),
        });
    }
    let missing = |e: std::io::Error| RuntimeError::Missing {
        runtime: name.to_owned(),
        what,
        path: path.to_owned(),
        reason: e.to_string(),
    };
    let real = std::fs::canonicalize(path).map_err(missing)?;
    let meta = std::fs::metadata(&real).map_err(missing)?;
    let kind_ok = if dir { meta.is_dir() } else { meta.is_file() };
    if !kind_ok {
        return Err(RuntimeError::WrongKind {
            runtime: name.to_owned(),
            what,
            path: real,
            want: if dir { "directory" } else { "regular file" },
        });
    }
    if meta.uid() != 0 || meta.mode() & 0o022 != 0 {
        return Err(RuntimeError::Writable {
            runtime: name.to_owned(),
            what,
            path: real,
            uid: meta.uid(),
            mode: meta.mode() & 0o7777,
        });
    }
    Ok(real)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_runtime_writable_by_someone_else_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let program = dir.path().join("interp");
        std::fs::write(&program, b"\x7fELF").expect("write");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o777)).expect("chmod");
        let why = Runtime::verified("x", &program, &[], Vec::new()).expect_err("refused");
        assert!(matches!(why, RuntimeError::Writable { .. }), "{why}");
        let why = Runtime::verified("x", Path::new("bin/python3"), &[], Vec::new())
            .expect_err("relative");
        assert!(why.to_string().contains("absolute"), "{why}");
        let why = Runtime::verified("x", Path::new("/nonexistent/python9"), &[], Vec::new())
            .expect_err("missing");
        assert!(matches!(why, RuntimeError::Missing { .. }), "{why}");
    }

    #[test]
    fn a_runtime_binds_its_interpreter_and_trees_and_runs_the_script_as_its_argument() {
        let runtime = Runtime {
            name: "python3".into(),
            interpreter: "/usr/bin/python3.11".into(),
            trees: vec!["/usr/lib/python3.11".into()],
            args: vec!["-I".into()],
        };
        let mut spec = JailSpec::new(Program::Path("/srv/app/plugin.py".into()), vec![]);
        runtime.apply(&mut spec, "/app/plugin.py");
        assert_eq!(spec.program, Program::Path("/usr/bin/python3.11".into()));
        assert_eq!(spec.argv, ["/usr/bin/python3.11", "-I", "/app/plugin.py"]);
        assert_eq!(spec.library_dirs, [PathBuf::from("/usr/lib/python3.11")]);
        assert!(
            spec.ro_binds
                .iter()
                .any(|b| b.jail == Path::new("/usr/lib/python3.11"))
        );
    }
}
