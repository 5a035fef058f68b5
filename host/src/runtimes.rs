//! `[runtimes.NAME]` in `faxbot.toml`: the interpreters an operator enables for script
//! plugins (docs/operators.md). Each is verified when the config is read: absolute paths,
//! existing, owned by root and writable by nobody else; a plugin whose manifest names a
//! runtime not listed here does not start, and says so.

use faxbot_supervisor::runtime::Runtime;
use std::path::PathBuf;
use toml::{Table, Value};

/// The runtimes of the `[runtimes]` table; problems are pushed as `runtimes.NAME.key: ...`.
pub fn parse(table: Table, problems: &mut Vec<String>) -> Vec<Runtime> {
    let mut out = Vec::new();
    for (name, value) in table {
        let path = format!("runtimes.{name}");
        if let Err(why) = faxbot_policy::manifest::check_runtime_name(&name) {
            problems.push(format!("{path}: {why}"));
            continue;
        }
        let Value::Table(mut t) = value else {
            problems.push(format!("{path}: must be a table with `interpreter`"));
            continue;
        };
        let interpreter = match t.remove("interpreter") {
            Some(Value::String(s)) => Some(PathBuf::from(s)),
            Some(_) => {
                problems.push(format!("{path}.interpreter: must be a path"));
                None
            }
            None => {
                problems.push(format!("{path}.interpreter: is required"));
                None
            }
        };
        let mut strings = |key: &str| -> Vec<String> {
            match t.remove(key) {
                None => Vec::new(),
                Some(Value::Array(items)) => {
                    let texts: Option<Vec<String>> = items
                        .iter()
                        .map(|i| i.as_str().map(str::to_owned))
                        .collect();
                    texts.unwrap_or_else(|| {
                        problems.push(format!("{path}.{key}: must be a list of strings"));
                        Vec::new()
                    })
                }
                Some(_) => {
                    problems.push(format!("{path}.{key}: must be a list of strings"));
                    Vec::new()
                }
            }
        };
        let trees: Vec<PathBuf> = strings("trees").into_iter().map(PathBuf::from).collect();
        let args = strings("args");
        for key in t.keys() {
            problems.push(format!("{path}.{key}: unknown setting"));
        }
        let Some(interpreter) = interpreter else {
            continue;
        };
        match Runtime::verified(&name, &interpreter, &trees, args) {
            Ok(runtime) => out.push(runtime),
            Err(why) => problems.push(format!("{path}: {why}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> (Vec<Runtime>, Vec<String>) {
        let table: Table = text.parse().expect("toml");
        let mut problems = Vec::new();
        (parse(table, &mut problems), problems)
    }

    #[test]
    fn a_runtime_names_a_verified_interpreter_its_trees_and_arguments() {
        // /bin/sh and /usr/lib exist and belong to root on every Debian host.
        let (runtimes, problems) =
            parsed("[sh]\ninterpreter = \"/bin/sh\"\ntrees = [\"/usr/lib\"]\nargs = [\"-e\"]\n");
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(runtimes.len(), 1);
        assert_eq!(runtimes[0].name, "sh");
        assert!(runtimes[0].interpreter.is_absolute());
        assert_eq!(runtimes[0].args, ["-e"]);
    }

    #[test]
    fn every_problem_of_a_runtime_is_named_with_its_path() {
        let (runtimes, problems) = parsed(
            "[Bad]\ninterpreter = \"/bin/sh\"\n[py]\ninterpreter = \"python3\"\ncolour = 1\n[none]\ntrees = [\"/usr/lib\"]\n[tmp]\ninterpreter = \"/bin/sh\"\ntrees = [\"/tmp\"]\n",
        );
        assert!(runtimes.is_empty(), "{runtimes:?}");
        let text = problems.join("\n");
        for wanted in [
            "runtimes.Bad: `Bad` is not a runtime name",
            "runtimes.py.colour: unknown setting",
            "runtimes.py: runtime \"py\": interpreter \"python3\" must be an absolute path",
            "runtimes.none.interpreter: is required",
            "runtimes.tmp: runtime \"tmp\": ",
        ] {
            assert!(text.contains(wanted), "{wanted:?} missing from:\n{text}");
        }
    }
}
