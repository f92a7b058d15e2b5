//! Walking the repository: every YAML file under the root, in a stable order.
//!
//! `.git`, `target`, `node_modules` and hidden directories are skipped; symbolic links are
//! followed only to places inside the repository, and a directory is entered once, so a link
//! back to a directory that contains it ends the walk there (noted); a link that does not
//! resolve is noted as dangling or, when links lead in a circle (`a -> b`, `b -> a`), as a loop;
//! `.j2` templates are noted and skipped.

use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::RwLock;

use super::model::{Note, NoteKind};

/// Directories never entered (besides hidden ones).
const SKIPPED_DIRS: [&str; 3] = [".git", "target", "node_modules"];

/// How deep the walk goes before it stops descending (a safety net; links are already
/// guarded against loops).
const MAX_DEPTH: usize = 64;

/// A YAML file found by the walk.
pub(super) struct Found {
    /// Relative to the root, `/`-separated, as reached (through link names).
    pub(super) relative: String,
    /// The path to read.
    pub(super) path: PathBuf,
}

/// What the walk found.
pub(super) struct Walk {
    /// The YAML files, relative to the root, sorted (the order the walk finds them in).
    pub(super) yaml: Vec<String>,
    /// Files of other kinds (not read).
    pub(super) other_files: usize,
    /// What was skipped and why.
    pub(super) notes: Vec<Note>,
}

/// Who hears of the walk's progress as it goes, so that files are read while the walk lists
/// the rest.
pub(super) struct Listener<'a> {
    /// The directories entered through no symbolic link, relative (`""` is the root), added as
    /// they are entered: the real path of each is the root's joined with it (see
    /// [`super::boundary::Root`]).
    pub(super) plain_dirs: &'a RwLock<HashSet<String>>,
    /// Given each YAML file as it is found, in the order of their paths.
    pub(super) found: &'a mut dyn FnMut(Found),
}

/// Walks `root` (already canonical), telling `listener` of each plain directory and YAML file
/// as it goes, the files in the order of their paths. Directories in `skip` (relative to the root) are not entered, files in it not
/// listed.
pub(super) fn walk(root: &Path, skip: &HashSet<String>, listener: &mut Listener<'_>) -> std::io::Result<Walk> {
    let mut walk = Walk {
        yaml: Vec::new(),
        other_files: 0,
        notes: Vec::new(),
    };
    // Fail early when the root itself cannot be listed.
    fs::read_dir(root)?;
    let mut visited = HashSet::from([root.to_path_buf()]);
    let top = Dir {
        path: root,
        relative: "",
        depth: 0,
        plain: true,
    };
    descend(root, &top, skip, &mut visited, &mut walk, listener);
    Ok(walk)
}

fn join(relative: &str, name: &str) -> String {
    if relative.is_empty() {
        name.to_owned()
    } else {
        format!("{relative}/{name}")
    }
}

/// A directory the walk enters.
#[derive(Clone, Copy)]
struct Dir<'a> {
    /// Its real path.
    path: &'a Path,
    /// Relative to the root, as reached.
    relative: &'a str,
    /// Directories above it.
    depth: usize,
    /// Whether it was reached through no symbolic link.
    plain: bool,
}

/// An entry of a directory, a link resolved: what the walk does with it.
enum Entry {
    /// A directory (or a link to one inside the repository) at its real path.
    Dir { target: PathBuf, link: bool },
    /// Anything else, read at `target` (a link's target).
    File { target: PathBuf },
    /// Not followed: the note says why.
    Noted(Note),
}

/// Resolves one entry of a directory: its type, and a link's target.
fn resolve(root: &Path, entry: &fs::DirEntry, relative: &str) -> Entry {
    let path = entry.path();
    let Ok(file_type) = entry.file_type() else {
        return Entry::Noted(note(relative, NoteKind::Unreadable, "cannot read its type".into()));
    };
    if !file_type.is_symlink() {
        // `dir` is a real path (the root is canonicalized, and so is every directory entered),
        // so an entry that is no link is `dir/name` already: no `realpath` (a `readlink` per
        // component) for each of the repository's directories.
        return if file_type.is_dir() {
            Entry::Dir {
                target: path,
                link: false,
            }
        } else {
            Entry::File { target: path }
        };
    }
    match fs::canonicalize(&path) {
        Ok(target) if target.starts_with(root) => {
            if target.is_dir() {
                Entry::Dir { target, link: true }
            } else {
                Entry::File { target }
            }
        }
        Ok(_) => Entry::Noted(note(
            relative,
            NoteKind::Symlink,
            format!(
                "a symbolic link to `{}`, outside the repository: not followed",
                written_target(&path)
            ),
        )),
        Err(error) => Entry::Noted(unresolved_link(relative, &path, &error)),
    }
}

/// The order the walk takes a directory's entries in: by name, a directory's name read with
/// the `/` that follows it in its files' paths. So the walk, depth first, finds the files in
/// the order of their paths (`a-b.yaml` before `a/x.yaml`, as `-` sorts before `/`), and what
/// is read from them can join the model as it comes.
fn walk_order(a: &Listed, b: &Listed) -> std::cmp::Ordering {
    a.as_written().cmp(b.as_written())
}

/// An entry of a directory as the walk takes it.
struct Listed {
    /// Its name.
    name: String,
    /// Its path, relative to the root.
    relative: String,
    entry: Entry,
}

impl Listed {
    /// The name as its files' paths write it: a directory's with the `/` after it.
    fn as_written(&self) -> impl Iterator<Item = u8> + '_ {
        let slash = matches!(self.entry, Entry::Dir { .. }).then_some(b'/');
        self.name.bytes().chain(slash)
    }
}

fn descend(
    root: &Path,
    at: &Dir<'_>,
    skip: &HashSet<String>,
    visited: &mut HashSet<PathBuf>,
    walk: &mut Walk,
    listener: &mut Listener<'_>,
) {
    let Dir {
        path: dir,
        relative,
        depth,
        plain,
    } = *at;
    if plain && let Ok(mut dirs) = listener.plain_dirs.write() {
        dirs.insert(relative.to_owned());
    }
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) => {
            walk.notes
                .push(note(relative, NoteKind::Unreadable, format!("cannot list: {error}")));
            return;
        }
    };
    let mut entries: Vec<Listed> = entries
        .filter_map(Result::ok)
        .map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let child_relative = join(relative, &name);
            let resolved = resolve(root, &entry, &child_relative);
            Listed {
                name,
                relative: child_relative,
                entry: resolved,
            }
        })
        .collect();
    entries.sort_by(walk_order);
    for Listed {
        name,
        relative: child_relative,
        entry,
    } in entries
    {
        match entry {
            Entry::Noted(note) => walk.notes.push(note),
            Entry::Dir { target, link } => {
                if name.starts_with('.') || SKIPPED_DIRS.contains(&name.as_str()) || skip.contains(&child_relative) {
                    continue;
                }
                if depth >= MAX_DEPTH {
                    walk.notes.push(note(
                        &child_relative,
                        NoteKind::Unreadable,
                        format!("deeper than {MAX_DEPTH} directories: not entered"),
                    ));
                    continue;
                }
                if link && dir.starts_with(&target) {
                    walk.notes.push(note(
                        &child_relative,
                        NoteKind::Symlink,
                        format!(
                            "a symbolic link to `{}`, a directory that contains it: not followed (its files are \
                             read under their own path)",
                            written_target(&dir.join(&name))
                        ),
                    ));
                    continue;
                }
                if !visited.insert(target.clone()) {
                    // Reached again through a link: its files are listed under the first path.
                    continue;
                }
                let child = Dir {
                    path: &target,
                    relative: &child_relative,
                    depth: depth + 1,
                    plain: plain && !link,
                };
                descend(root, &child, skip, visited, walk, listener);
            }
            Entry::File { .. } if skip.contains(&child_relative) => {
                // Left out as asked: the config file fluxgen reads itself, say.
            }
            Entry::File { target } if is_yaml(&name) => {
                walk.yaml.push(child_relative.clone());
                (listener.found)(Found {
                    relative: child_relative,
                    path: target,
                });
            }
            Entry::File { .. } if name.ends_with(".j2") => {
                walk.notes.push(note(
                    &child_relative,
                    NoteKind::Template,
                    "a Jinja template: not read (render it to scan the result)".into(),
                ));
            }
            Entry::File { .. } => walk.other_files += 1,
        }
    }
}

/// Whether a file name is read as YAML.
pub(super) fn is_yaml(name: &str) -> bool {
    name.ends_with(".yaml") || name.ends_with(".yml")
}

fn note(file: &str, kind: NoteKind, message: String) -> Note {
    Note {
        file: if file.is_empty() {
            ".".to_owned()
        } else {
            file.to_owned()
        },
        line: None,
        column: None,
        kind,
        message,
    }
}

/// The note for a link that does not resolve: a loop, a dangling link, or one that cannot be
/// followed for another reason (permissions).
fn unresolved_link(relative: &str, link: &Path, error: &io::Error) -> Note {
    let target = written_target(link);
    if is_loop(link, error) {
        note(
            relative,
            NoteKind::SymlinkLoop,
            format!(
                "a symbolic link loop: `{target}` leads back to this link and never to a file, so it cannot be read"
            ),
        )
    } else if matches!(error.kind(), io::ErrorKind::NotFound | io::ErrorKind::NotADirectory) {
        note(
            relative,
            NoteKind::Symlink,
            format!("a symbolic link to `{target}`, which does not exist (dangling): not followed"),
        )
    } else {
        note(
            relative,
            NoteKind::Unreadable,
            format!("a symbolic link to `{target}` that cannot be followed: {error}"),
        )
    }
}

/// The target of a link as written in it.
fn written_target(link: &Path) -> String {
    fs::read_link(link).map_or_else(|_| "?".to_owned(), |t| t.to_string_lossy().into_owned())
}

/// Whether resolving `link` failed because links lead in a circle (`ELOOP`).
#[cfg(target_os = "linux")]
fn is_loop(_link: &Path, error: &io::Error) -> bool {
    rustix::io::Errno::from_io_error(error) == Some(rustix::io::Errno::LOOP)
}

/// Whether resolving `link` failed because links lead in a circle: following the chain of
/// links (each relative to the one before) comes back to one already seen.
#[cfg(not(target_os = "linux"))]
fn is_loop(link: &Path, _error: &io::Error) -> bool {
    /// Linux's limit on links followed in one resolution.
    const MAX_HOPS: usize = 40;
    let mut seen = HashSet::new();
    let mut current = link.to_path_buf();
    for _ in 0..MAX_HOPS {
        let Ok(target) = fs::read_link(&current) else {
            return false;
        };
        let next = current
            .parent()
            .map_or_else(|| target.clone(), |parent| parent.join(&target));
        if !seen.insert(current) {
            return true;
        }
        current = next;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk_quietly(root: &Path) -> Walk {
        let plain_dirs = RwLock::default();
        let mut listener = Listener {
            plain_dirs: &plain_dirs,
            found: &mut |_| {},
        };
        walk(root, &HashSet::new(), &mut listener).unwrap()
    }

    #[test]
    fn skips_hidden_and_vendor_directories_and_notes_templates() {
        let dir = tempfile::tempdir().unwrap();
        let root = fs::canonicalize(dir.path()).unwrap();
        for (path, text) in [
            ("a.yaml", "a: 1"),
            ("b/c.yml", "c: 1"),
            (".git/config.yaml", "x: 1"),
            (".hidden/x.yaml", "x: 1"),
            ("node_modules/x.yaml", "x: 1"),
            ("target/x.yaml", "x: 1"),
            ("t/ks.yaml.j2", "#{ x }#"),
            ("README.md", "# hi"),
        ] {
            let file = root.join(path);
            fs::create_dir_all(file.parent().unwrap()).unwrap();
            fs::write(file, text).unwrap();
        }
        let walk = walk_quietly(&root);
        assert_eq!(walk.yaml, ["a.yaml", "b/c.yml"]);
        assert_eq!(walk.other_files, 1);
        assert_eq!(walk.notes.len(), 1);
        assert_eq!(walk.notes[0].kind, NoteKind::Template);
        assert_eq!(walk.notes[0].file, "t/ks.yaml.j2");
    }

    #[test]
    fn files_are_found_in_the_order_of_their_paths() {
        let dir = tempfile::tempdir().unwrap();
        let root = fs::canonicalize(dir.path()).unwrap();
        // `-` and `.` sort before `/`: `a-b.yaml` comes before `a/x.yaml`, though `a` comes
        // before `a-b.yaml` by name.
        for path in [
            "a/x.yaml",
            "a-b.yaml",
            "a.yaml",
            "a0/y.yaml",
            "a/b/z.yaml",
            "a/b.yaml",
            "B.yaml",
        ] {
            let file = root.join(path);
            fs::create_dir_all(file.parent().unwrap()).unwrap();
            fs::write(file, "a: 1").unwrap();
        }
        let plain_dirs = RwLock::default();
        let mut found = Vec::new();
        let mut listener = Listener {
            plain_dirs: &plain_dirs,
            found: &mut |file| found.push(file.relative),
        };
        walk(&root, &HashSet::new(), &mut listener).unwrap();
        let mut sorted = found.clone();
        sorted.sort();
        assert_eq!(found, sorted);
        assert_eq!(
            found,
            [
                "B.yaml",
                "a-b.yaml",
                "a.yaml",
                "a/b.yaml",
                "a/b/z.yaml",
                "a/x.yaml",
                "a0/y.yaml"
            ]
        );
    }

    #[cfg(unix)]
    #[test]
    fn links_are_followed_inside_only_and_loops_end() {
        use std::os::unix::fs::symlink;
        let outside = tempfile::tempdir().unwrap();
        fs::write(outside.path().join("secret.yaml"), "a: 1").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let root = fs::canonicalize(dir.path()).unwrap();
        fs::create_dir_all(root.join("apps/x")).unwrap();
        fs::write(root.join("apps/x/ks.yaml"), "a: 1").unwrap();
        symlink(root.join("apps"), root.join("apps/x/loop")).unwrap();
        symlink(outside.path(), root.join("escape")).unwrap();
        symlink(root.join("apps/x/ks.yaml"), root.join("alias.yaml")).unwrap();
        symlink(root.join("nowhere"), root.join("dangling.yaml")).unwrap();
        let walk = walk_quietly(&root);
        assert_eq!(walk.yaml, ["alias.yaml", "apps/x/ks.yaml"]);
        let kinds: Vec<_> = walk.notes.iter().map(|n| (n.file.as_str(), n.kind)).collect();
        assert_eq!(
            kinds,
            [
                ("apps/x/loop", NoteKind::Symlink),
                ("dangling.yaml", NoteKind::Symlink),
                ("escape", NoteKind::Symlink)
            ]
        );
        assert!(
            walk.notes[0].message.contains("a directory that contains it"),
            "{:?}",
            walk.notes[0]
        );
        assert!(walk.notes[1].message.contains("dangling"), "{:?}", walk.notes[1]);
    }

    #[cfg(unix)]
    #[test]
    fn a_link_loop_is_told_from_a_dangling_link() {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().unwrap();
        let root = fs::canonicalize(dir.path()).unwrap();
        symlink("b.yaml", root.join("a.yaml")).unwrap();
        symlink("a.yaml", root.join("b.yaml")).unwrap();
        symlink("self", root.join("self")).unwrap();
        symlink("missing/x.yaml", root.join("z.yaml")).unwrap();
        let walk = walk_quietly(&root);
        assert!(walk.yaml.is_empty());
        let kinds: Vec<_> = walk.notes.iter().map(|n| (n.file.as_str(), n.kind)).collect();
        assert_eq!(
            kinds,
            [
                ("a.yaml", NoteKind::SymlinkLoop),
                ("b.yaml", NoteKind::SymlinkLoop),
                ("self", NoteKind::SymlinkLoop),
                ("z.yaml", NoteKind::Symlink)
            ]
        );
        assert_eq!(
            walk.notes[0].to_string(),
            "a.yaml: a symbolic link loop: `b.yaml` leads back to this link and never to a file, so it cannot be read"
        );
        assert!(NoteKind::SymlinkLoop.loses_content() && !NoteKind::Symlink.loses_content());
    }
}
