//! The index of every path a package names: its files, its directory entries and the
//! directories its files imply, compared without letter case. On a case-insensitive
//! filesystem two names that differ only in case are one name, so a package may never
//! hold both, whether they are two files, two directories, or a file and a directory.
//!
//! It is a tree of path components, so its size is bounded by the total length of the
//! paths read (never by the product of their depths).

use super::PackageError;
use super::path::shown;
use std::collections::HashMap;

/// What a path is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EntryKind {
    /// A regular file.
    File,
    /// A directory, named by an entry or implied by a path below it.
    Dir,
}

#[derive(Clone, Debug, Default)]
struct Node {
    /// Children by their lower-cased name.
    children: HashMap<String, Child>,
}

#[derive(Clone, Debug)]
struct Child {
    /// The name as the package wrote it.
    name: String,
    kind: EntryKind,
    node: Node,
}

/// Every path seen so far, folded to lower case.
#[derive(Clone, Debug, Default)]
pub(crate) struct PathIndex {
    root: Node,
}

impl PathIndex {
    /// Adds `path` (already checked by `check_relative_path`) as a file or directory, with
    /// the directories it implies. Refuses a path that is already a file
    /// (`DuplicatePath`), a file where a directory is or the reverse (`FileDirConflict`),
    /// and any name that differs only in letter case from one already seen
    /// (`CaseCollision`, naming both). A refused path leaves the index as it was.
    pub(crate) fn add(&mut self, path: &str, kind: EntryKind) -> Result<(), PackageError> {
        self.check(path, kind)?;
        let components: Vec<&str> = path.split('/').collect();
        let last = components.len() - 1;
        let mut node = &mut self.root;
        for (i, component) in components.into_iter().enumerate() {
            let kind = if i == last { kind } else { EntryKind::Dir };
            node = &mut node
                .children
                .entry(component.to_ascii_lowercase())
                .or_insert_with(|| Child {
                    name: component.to_owned(),
                    kind,
                    node: Node::default(),
                })
                .node;
        }
        Ok(())
    }

    fn check(&self, path: &str, kind: EntryKind) -> Result<(), PackageError> {
        let components: Vec<&str> = path.split('/').collect();
        let last = components.len() - 1;
        let mut node = &self.root;
        let mut walked = String::with_capacity(path.len());
        for (i, component) in components.into_iter().enumerate() {
            let want = if i == last { kind } else { EntryKind::Dir };
            let parent_len = walked.len();
            if parent_len > 0 {
                walked.push('/');
            }
            walked.push_str(component);
            let Some(child) = node.children.get(&component.to_ascii_lowercase()) else {
                return Ok(());
            };
            if child.name != component {
                let sep = if parent_len > 0 { "/" } else { "" };
                let other = format!("{}{sep}{}", &walked[..parent_len], child.name);
                return Err(PackageError::CaseCollision(
                    shown(other.as_bytes()),
                    shown(walked.as_bytes()),
                ));
            }
            match (child.kind, want) {
                (EntryKind::Dir, EntryKind::Dir) => {}
                (EntryKind::File, EntryKind::File) => {
                    return Err(PackageError::DuplicatePath(shown(walked.as_bytes())));
                }
                _ => return Err(PackageError::FileDirConflict(shown(walked.as_bytes()))),
            }
            node = &child.node;
        }
        Ok(())
    }
}
