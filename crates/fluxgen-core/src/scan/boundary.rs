//! The repository boundary: every file the scan reads besides the files of the walk (patches,
//! resources, generators' files, values files, headers, `.git/config`) is found here, and read
//! only when its real path (every symbolic link on the way resolved) is below the repository's
//! root. A link that leaves the repository is never followed, whatever refers to it: what lies
//! outside cannot reach a config `import` writes or a report `doctor` prints.
//!
//! Flux builds from a Git checkout and kustomize refuses files outside the kustomization's
//! root, so nothing outside the repository is part of what a cluster applies.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

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

/// Reads the file `relative` of the repository at `root`: at most [`MAX_FILE_BYTES`](super::MAX_FILE_BYTES), and only
/// when it resolves inside the repository.
pub(crate) fn read(root: &Path, relative: &str) -> Result<Vec<u8>, Unread> {
    match locate(root, relative) {
        Located::Inside(real) => super::documents::read_bounded(&real),
        Located::Outside(real) => Err(Unread::Outside(real)),
        Located::Unresolved(error) => Err(Unread::Failed(error)),
    }
}

/// The file `relative` as UTF-8 text, when it resolves inside the repository and can be read
/// ([`read`]); `None` otherwise.
pub(crate) fn read_text(root: &Path, relative: &str) -> Option<String> {
    String::from_utf8(read(root, relative).ok()?).ok()
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
                matches!(read(repo.path(), relative), Err(Unread::Outside(_))),
                "{relative}"
            );
            assert!(head(repo.path(), relative, 4096).is_empty(), "{relative}");
        }
        assert!(matches!(read(repo.path(), "missing"), Err(Unread::Failed(_))));
    }
}
