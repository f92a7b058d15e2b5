//! Writing trees to disk: all checks first, then atomic per-file writes of what changed.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::{IndexFile, Tree, is_generated};
use crate::Error;

/// What a write did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WriteReport {
    /// Files created or changed.
    pub written: Vec<PathBuf>,
    /// Files whose content was already right (left untouched).
    pub unchanged: Vec<PathBuf>,
    /// Generated files that the config no longer produces, removed.
    pub removed: Vec<PathBuf>,
    /// Lines to add by hand to namespace `kustomization.yaml` files fluxgen does not own.
    pub hints: Vec<String>,
}

/// One planned change, with what is there now.
pub(crate) enum Change {
    /// Create (`old: None`) or rewrite a generated file.
    Write {
        path: PathBuf,
        old: Option<String>,
        new: String,
    },
    /// Remove a generated file the config no longer produces.
    Remove { path: PathBuf, old: String },
}

/// Everything writing the trees would do, found before anything is written.
#[derive(Default)]
pub(crate) struct Pending {
    pub(crate) changes: Vec<Change>,
    pub(crate) unchanged: Vec<PathBuf>,
    /// Files at generated paths without fluxgen's marker.
    pub(crate) foreign: Vec<PathBuf>,
    /// Lines missing from user-owned namespace `kustomization.yaml` files.
    pub(crate) index_lines: Vec<(PathBuf, String)>,
}

/// Compares each tree with its directory: what would be written, removed, left alone, or
/// refused. Reads only.
pub(crate) fn pending(trees: &[(PathBuf, Tree)]) -> Result<Pending, Error> {
    let mut pending = Pending::default();
    for (dir, tree) in trees {
        check_inside(dir)?;
        for (relative, content) in &tree.files {
            check_below(dir, relative)?;
            let path = dir.join(relative);
            match read_existing(&path)? {
                Some(existing) if existing == *content => pending.unchanged.push(path),
                Some(existing) if !is_generated(&existing) => pending.foreign.push(path),
                old => pending.changes.push(Change::Write {
                    path,
                    old,
                    new: content.clone(),
                }),
            }
        }
        for app in ["flux-operator", "flux-instance"] {
            check_below(dir, &format!("{app}/"))?;
            for path in generated_files(&dir.join(app))? {
                let relative = path.strip_prefix(dir).expect("walked below dir");
                let key = relative.to_string_lossy().replace('\\', "/");
                if !tree.files.contains_key(&key) {
                    let old = read_existing(&path)?.unwrap_or_default();
                    pending.changes.push(Change::Remove { path, old });
                }
            }
        }
        index_file(dir, tree, &mut pending)?;
    }
    Ok(pending)
}

/// Writes each tree into its directory. Every check runs before the first write, so an error
/// writes nothing: a file at a generated path without fluxgen's marker is never overwritten,
/// stale files are removed only when they carry the marker, unchanged files are not touched.
pub fn write(trees: &[(PathBuf, Tree)]) -> Result<WriteReport, Error> {
    let pending = pending(trees)?;
    if !pending.foreign.is_empty() {
        return Err(Error::NotGenerated { paths: pending.foreign });
    }
    let hints = pending
        .index_lines
        .iter()
        .map(|(path, line)| format!("add `  - {line}` to the resources of {}", path.display()))
        .collect();
    let mut report = WriteReport {
        unchanged: pending.unchanged,
        hints,
        ..WriteReport::default()
    };
    for change in pending.changes {
        match change {
            Change::Write { path, new, .. } => {
                write_atomically(&path, &new)?;
                report.written.push(path);
            }
            Change::Remove { path, .. } => {
                fs::remove_file(&path).map_err(|source| Error::Write {
                    path: path.clone(),
                    source,
                })?;
                report.removed.push(path);
            }
        }
    }
    Ok(report)
}

/// The namespace `kustomization.yaml`: written when absent or generated; otherwise the user's
/// own, and fluxgen only reports the lines it lacks.
fn index_file(dir: &Path, tree: &Tree, pending: &mut Pending) -> Result<(), Error> {
    let path = dir.join(IndexFile::PATH);
    let existing = read_existing(&path)?;
    match existing {
        _ if tree.index.entries.is_empty() => {
            if let Some(old) = existing.filter(|text| is_generated(text)) {
                pending.changes.push(Change::Remove { path, old });
            }
        }
        Some(text) if text == tree.index.content => pending.unchanged.push(path),
        Some(text) if !is_generated(&text) => {
            for entry in &tree.index.entries {
                if !IndexFile::lists(&text, entry) {
                    pending.index_lines.push((path.clone(), entry.clone()));
                }
            }
        }
        old => pending.changes.push(Change::Write {
            path,
            old,
            new: tree.index.content.clone(),
        }),
    }
    Ok(())
}

/// Refuses a file path below `dir` whose existing directories include a symlink (the write
/// would land outside the output directory) or something that is not a directory. `relative`
/// is `/`-separated; the last segment (the file, checked when it is read) is not looked at.
fn check_below(dir: &Path, relative: &str) -> Result<(), Error> {
    let mut path = dir.to_path_buf();
    let Some((directories, _file)) = relative.rsplit_once('/') else {
        return Ok(());
    };
    for segment in directories.split('/') {
        path.push(segment);
        match fs::symlink_metadata(&path) {
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(source) => return Err(Error::Read { path, source }),
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(Error::Blocked {
                    path,
                    reason:
                        "it is a symlink, and fluxgen writes only inside the output directory, never through a link"
                            .into(),
                });
            }
            Ok(meta) if !meta.is_dir() => {
                return Err(Error::Blocked {
                    path,
                    reason: "it is not a directory".into(),
                });
            }
            Ok(_) => {}
        }
    }
    Ok(())
}

/// Refuses an output directory whose existing part is not a directory.
fn check_inside(dir: &Path) -> Result<(), Error> {
    for ancestor in dir.ancestors() {
        if ancestor.as_os_str().is_empty() {
            break;
        }
        if let Ok(meta) = fs::symlink_metadata(ancestor)
            && !meta.is_dir()
            && !meta.file_type().is_symlink()
        {
            return Err(Error::Blocked {
                path: ancestor.to_path_buf(),
                reason: "it is not a directory".into(),
            });
        }
    }
    Ok(())
}

fn read_existing(path: &Path) -> Result<Option<String>, Error> {
    match fs::symlink_metadata(path) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(Error::Read {
                path: path.to_path_buf(),
                source,
            });
        }
        Ok(meta) if meta.file_type().is_symlink() => {
            return Err(Error::Blocked {
                path: path.to_path_buf(),
                reason: "it is a symlink".into(),
            });
        }
        Ok(meta) if !meta.is_file() => {
            return Err(Error::Blocked {
                path: path.to_path_buf(),
                reason: "it is not a regular file".into(),
            });
        }
        Ok(_) => {}
    }
    let bytes = fs::read(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    // A non-UTF-8 file is certainly not one fluxgen wrote.
    Ok(Some(String::from_utf8(bytes).unwrap_or_default()))
}

/// Files under `dir` (recursively) that carry fluxgen's marker, sorted.
fn generated_files(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let entries = match fs::read_dir(&current) {
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
            Err(source) => {
                return Err(Error::Read { path: current, source });
            }
            Ok(entries) => entries,
        };
        for entry in entries {
            let entry = entry.map_err(|source| Error::Read {
                path: current.clone(),
                source,
            })?;
            let kind = entry.file_type().map_err(|source| Error::Read {
                path: entry.path(),
                source,
            })?;
            if kind.is_dir() {
                pending.push(entry.path());
            } else if kind.is_file()
                && !is_temporary(&entry.file_name())
                && let Some(text) = read_existing(&entry.path())?
                && is_generated(&text)
            {
                found.push(entry.path());
            }
        }
    }
    found.sort();
    Ok(found)
}

/// The prefix of the temporary files [`write_atomically`] renames into place.
const TEMP_PREFIX: &str = ".fluxgen-";

/// Whether a file name is one of fluxgen's temporary files, left behind only when a write was
/// interrupted (a kill, a power cut). It is never taken for a generated file: not removed as
/// stale, not reported by `check`.
fn is_temporary(name: &std::ffi::OsStr) -> bool {
    name.to_str().is_some_and(|name| name.starts_with(TEMP_PREFIX))
}

/// Writes through a temporary file in the same directory and a rename, so a reader (or a
/// crash) sees the old content or the new, never a mix.
fn write_atomically(path: &Path, content: &str) -> Result<(), Error> {
    let parent = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(|source| Error::Write {
        path: parent.to_path_buf(),
        source,
    })?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(TEMP_PREFIX);
    // A temporary file is private (0600); the file it becomes gets the mode a plain new file
    // would have (0666 less the umask), or keeps the mode of the file it replaces.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(path).map_or(0o666, |meta| meta.permissions().mode() & 0o7777);
        builder.permissions(fs::Permissions::from_mode(mode));
    }
    let mut temp = builder.tempfile_in(parent).map_err(|source| Error::Write {
        path: path.to_path_buf(),
        source,
    })?;
    temp.write_all(content.as_bytes())
        .and_then(|()| temp.as_file().sync_all())
        .map_err(|source| Error::Write {
            path: path.to_path_buf(),
            source,
        })?;
    temp.persist(path).map_err(|error| Error::Write {
        path: path.to_path_buf(),
        source: error.error,
    })?;
    Ok(())
}
