//! Which paths a package may hold.

use std::fmt;

/// Longest path accepted, in bytes.
pub const MAX_PATH_BYTES: usize = 1024;
const MAX_COMPONENT_BYTES: usize = 255;

/// Why a path was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathProblem {
    /// Empty path.
    Empty,
    /// Starts with `/`.
    Absolute,
    /// Has a `..` component.
    Parent,
    /// Has a `.` or empty component (`a/./b`, `a//b`, trailing `/`).
    DotOrEmpty,
    /// A character outside `A-Za-z0-9._+-` (including `\`, spaces and control bytes).
    BadCharacter(char),
    /// Longer than [`MAX_PATH_BYTES`] or a component longer than 255 bytes.
    TooLong,
}

impl fmt::Display for PathProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathProblem::Empty => f.write_str("path is empty"),
            PathProblem::Absolute => f.write_str("path is absolute"),
            PathProblem::Parent => f.write_str("path has a `..` component"),
            PathProblem::DotOrEmpty => f.write_str("path has a `.` or empty component"),
            PathProblem::BadCharacter(c) => write!(
                f,
                "path has the character {:?}; only A-Z a-z 0-9 . _ + - and `/` between components are allowed",
                c
            ),
            PathProblem::TooLong => write!(
                f,
                "path is longer than {MAX_PATH_BYTES} bytes or has a component over {MAX_COMPONENT_BYTES}"
            ),
        }
    }
}

/// Checks a relative, portable path: components of `[A-Za-z0-9._+-]`, no `.`/`..`/empty
/// components, no leading `/`.
pub fn check_relative_path(path: &str) -> Result<(), PathProblem> {
    if path.is_empty() {
        return Err(PathProblem::Empty);
    }
    if path.len() > MAX_PATH_BYTES {
        return Err(PathProblem::TooLong);
    }
    if path.starts_with('/') {
        return Err(PathProblem::Absolute);
    }
    for component in path.split('/') {
        match component {
            ".." => return Err(PathProblem::Parent),
            "" | "." => return Err(PathProblem::DotOrEmpty),
            c if c.len() > MAX_COMPONENT_BYTES => return Err(PathProblem::TooLong),
            c => {
                if let Some(bad) = c
                    .chars()
                    .find(|ch| !(ch.is_ascii_alphanumeric() || matches!(ch, '.' | '_' | '+' | '-')))
                {
                    return Err(PathProblem::BadCharacter(bad));
                }
            }
        }
    }
    Ok(())
}

/// A hostile path made safe to show in an error: lossy UTF-8, escaped, cut to 200 chars.
pub(crate) fn shown(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let escaped: String = text.escape_debug().collect();
    if escaped.chars().count() > 200 {
        let cut: String = escaped.chars().take(200).collect();
        format!("{cut}…")
    } else {
        escaped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn portable_relative_paths_pass_and_tricks_are_named() {
        assert_eq!(check_relative_path("bin/plugin"), Ok(()));
        assert_eq!(check_relative_path("share/x-1.0+b.txt"), Ok(()));
        assert_eq!(
            check_relative_path("/etc/passwd"),
            Err(PathProblem::Absolute)
        );
        assert_eq!(check_relative_path("a/../../x"), Err(PathProblem::Parent));
        assert_eq!(check_relative_path("a//b"), Err(PathProblem::DotOrEmpty));
        assert_eq!(check_relative_path("a/./b"), Err(PathProblem::DotOrEmpty));
        assert_eq!(check_relative_path("a/"), Err(PathProblem::DotOrEmpty));
        assert_eq!(
            check_relative_path("a\\..\\b"),
            Err(PathProblem::BadCharacter('\\'))
        );
        assert_eq!(
            check_relative_path("a\nb"),
            Err(PathProblem::BadCharacter('\n'))
        );
        assert_eq!(check_relative_path(""), Err(PathProblem::Empty));
        assert_eq!(
            check_relative_path(&"a".repeat(300)),
            Err(PathProblem::TooLong)
        );
    }

    #[test]
    fn shown_paths_escape_control_bytes() {
        assert_eq!(shown(b"a\x1b[2Jb"), "a\\u{1b}[2Jb");
    }
}
