//! The repository boundary: every file the scan reads besides the files of the walk (patches,
//! resources, generators' files, values files, headers, `.git/config`) is found here, and read
//! only when its real path (every symbolic link on the way resolved) is below the repository's
//! root. A link that leaves the repository is never followed, whatever refers to it: what lies
//! outside cannot reach a config `import` writes or a report `doctor` prints.
//!
//! Flux builds from a Git checkout and kustomize refuses files outside the kustomization's
//! root, so nothing outside the repository is part of what a cluster applies.

use std::collections::HashSet;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::RwLock;

use super::documents::Unread;

/// Where a path relative to the repository root leads.
#[derive(Debug)]
pub(crate) enum Located {
    /// Below the root: its real path.
    Inside(PathBuf),
    /// Outside the root, through a symbolic link: where it leads (a path, never content).
    Outside(PathBuf),
    /// Nowhere: missing, a dangling link, a loop, or refused by the system.
    Unresolved(io::Error),
}

/// A repository's root as the scan knows it: where paths relative to it are resolved, and,
/// after the walk, the directories it entered through no symbolic link.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Root<'a> {
    path: &'a Path,
    /// Set by the walk, `path` then being a real path: directories (relative, `""` for the
    /// root) reached from the root through no symbolic link, so that the real path of each is
    /// `path` joined with it (added to as the walk goes: a directory not there yet is
    /// resolved link by link).
    plain_dirs: Option<&'a RwLock<HashSet<String>>>,
}

/// What a path relative to the root names, as far as its kind goes.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A directory below the root.
    Directory,
    /// A regular file below the root.
    File,
    /// Something else below the root (a FIFO, a socket, a device).
    Other,
    /// A place outside the root, through a symbolic link.
    Outside,
    /// Nothing: missing, a dangling link, a loop, or refused by the system.
    Unresolved,
}

impl<'a> Root<'a> {
    /// A root as given, each path resolved link by link.
    pub(crate) fn new(path: &'a Path) -> Root<'a> {
        Root { path, plain_dirs: None }
    }

    /// A root the walk lists: `real` is its real path and `plain_dirs` the directories it
    /// entered through no symbolic link, so far.
    pub(crate) fn walked(real: &'a Path, plain_dirs: &'a RwLock<HashSet<String>>) -> Root<'a> {
        Root {
            path: real,
            plain_dirs: Some(plain_dirs),
        }
    }

    /// Resolves `relative` (`/`-separated, relative to the root, no `.` or `..`) to its real
    /// path and tells whether it stays below the root.
    pub(crate) fn locate(&self, relative: &str) -> Located {
        match self.plain(relative) {
            Some(Ok((real, _))) => Located::Inside(real),
            Some(Err(error)) => Located::Unresolved(error),
            None => locate(self.path, relative),
        }
    }

    /// What `relative` names ([`Root::locate`], then its kind).
    pub(crate) fn kind(&self, relative: &str) -> Kind {
        let of = |metadata: &fs::Metadata| {
            if metadata.is_dir() {
                Kind::Directory
            } else if metadata.is_file() {
                Kind::File
            } else {
                Kind::Other
            }
        };
        match self.plain(relative) {
            Some(Ok((_, metadata))) => of(&metadata),
            Some(Err(_)) => Kind::Unresolved,
            None => match locate(self.path, relative) {
                Located::Inside(real) => fs::metadata(real).map_or(Kind::Other, |metadata| of(&metadata)),
                Located::Outside(_) => Kind::Outside,
                Located::Unresolved(_) => Kind::Unresolved,
            },
        }
    }

    /// Reads the file `relative`: at most [`MAX_FILE_BYTES`](super::MAX_FILE_BYTES), and only
    /// when it resolves inside the repository.
    pub(crate) fn read(&self, relative: &str) -> Result<Vec<u8>, Unread> {
        match self.locate(relative) {
            Located::Inside(real) => super::documents::read_bounded(&real),
            Located::Outside(real) => Err(Unread::Outside(real)),
            Located::Unresolved(error) => Err(Unread::Failed(error)),
        }
    }

    /// The file `relative` as UTF-8 text, when it resolves inside the repository and can be
    /// read ([`Root::read`]); `None` otherwise.
    pub(crate) fn read_text(&self, relative: &str) -> Option<String> {
        String::from_utf8(self.read(relative).ok()?).ok()
    }

    /// The real path and metadata of `relative` without `realpath`, when the walk entered its
    /// directory through no link and it is no link itself: then its real path is the root's
    /// joined with it, and one `lstat` says what it is (where `realpath` reads every component
    /// of the path as a link). `None` where that is not known; `Some(Err)` where the `lstat`
    /// fails, as resolving the path would.
    fn plain(&self, relative: &str) -> Option<io::Result<(PathBuf, fs::Metadata)>> {
        let dirs = self.plain_dirs?;
        let parent = relative.rsplit_once('/').map_or("", |(dir, _)| dir);
        if relative.is_empty()
            || !dirs.read().is_ok_and(|dirs| dirs.contains(parent))
            || relative.split('/').any(|part| matches!(part, "" | "." | ".."))
        {
            return None;
        }
        let real = self.path.join(relative);
        match fs::symlink_metadata(&real) {
            Ok(metadata) if metadata.file_type().is_symlink() => None,
            Ok(metadata) => Some(Ok((real, metadata))),
            Err(error) => Some(Err(error)),
        }
    }
}

/// Resolves `relative` (`/`-separated, relative to `root`) to its real path and tells whether
/// it stays below `root`.
pub(crate) fn locate(root: &Path, relative: &str) -> Located {
    let root = match fs::canonicalize(root) {
        Ok(root) => root,
        Err(error) => return Located::Unresolved(error),
    };
    match fs::canonicalize(root.join(relative)) {
        Ok(real) if real.starts_with(&root) => Located::Inside(real),
        Ok(real) => Located::Outside(real),
        Err(error) => Located::Unresolved(error),
    }
}

/// The file `relative` as UTF-8 text, when it resolves inside the repository and can be read
/// ([`Root::read`]); `None` otherwise.
pub(crate) fn read_text(root: &Path, relative: &str) -> Option<String> {
    Root::new(root).read_text(relative)
}

/// The first `limit` bytes of the file `relative`, when it resolves inside the repository and
/// is a regular file (empty otherwise).
pub(crate) fn head(root: &Path, relative: &str, limit: u64) -> Vec<u8> {
    let mut bytes = Vec::new();
    if let Located::Inside(real) = locate(root, relative)
        && real.is_file()
        && let Ok(file) = fs::File::open(&real)
    {
        let _ = file.take(limit).read_to_end(&mut bytes);
    }
    bytes
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn a_link_leaving_the_repository_is_not_read() {
        let outside = tempfile::tempdir().unwrap();
        fs::write(outside.path().join("secret"), "token").unwrap();
        let repo = tempfile::tempdir().unwrap();
        fs::create_dir(repo.path().join("a")).unwrap();
        fs::write(repo.path().join("a/inside.yaml"), "x: 1\n").unwrap();
        symlink(outside.path().join("secret"), repo.path().join("a/out.yaml")).unwrap();
        symlink(outside.path(), repo.path().join("dir")).unwrap();
        symlink("inside.yaml", repo.path().join("a/alias.yaml")).unwrap();

        assert_eq!(read_text(repo.path(), "a/inside.yaml").as_deref(), Some("x: 1\n"));
        assert_eq!(read_text(repo.path(), "a/alias.yaml").as_deref(), Some("x: 1\n"));
        for relative in ["a/out.yaml", "dir/secret", "a/../dir/secret"] {
            assert!(
                matches!(Root::new(repo.path()).read(relative), Err(Unread::Outside(_))),
                "{relative}"
            );
            assert!(head(repo.path(), relative, 4096).is_empty(), "{relative}");
        }
        assert!(matches!(Root::new(repo.path()).read("missing"), Err(Unread::Failed(_))));
    }

    #[test]
    fn the_walked_root_tells_kinds_as_resolving_each_path_does() {
        let outside = tempfile::tempdir().unwrap();
        fs::write(outside.path().join("secret"), "token").unwrap();
        let repo = tempfile::tempdir().unwrap();
        let real = fs::canonicalize(repo.path()).unwrap();
        fs::create_dir_all(real.join("a/b")).unwrap();
        fs::write(real.join("a/inside.yaml"), "x: 1\n").unwrap();
        symlink(outside.path().join("secret"), real.join("a/out.yaml")).unwrap();
        symlink("inside.yaml", real.join("a/alias.yaml")).unwrap();
        symlink("b", real.join("a/c")).unwrap();
        symlink("nowhere", real.join("a/dangling.yaml")).unwrap();
        let plain_dirs = RwLock::new(HashSet::from(["".to_owned(), "a".to_owned(), "a/b".to_owned()]));
        let walked = Root::walked(&real, &plain_dirs);
        let resolved = Root::new(repo.path());
        for (relative, kind) in [
            ("a", Kind::Directory),
            ("a/b", Kind::Directory),
            ("a/c", Kind::Directory),
            ("a/inside.yaml", Kind::File),
            ("a/alias.yaml", Kind::File),
            ("a/out.yaml", Kind::Outside),
            ("a/dangling.yaml", Kind::Unresolved),
            ("a/missing.yaml", Kind::Unresolved),
            ("a/inside.yaml/x", Kind::Unresolved),
            ("a/c/x", Kind::Unresolved),
        ] {
            assert_eq!(walked.kind(relative), kind, "{relative}");
            assert_eq!(resolved.kind(relative), kind, "{relative}");
        }
        assert_eq!(walked.read_text("a/alias.yaml").as_deref(), Some("x: 1\n"));
        assert!(matches!(walked.read("a/out.yaml"), Err(Unread::Outside(_))));
    }
}
