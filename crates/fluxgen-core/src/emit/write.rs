//! Writing trees to disk: all checks first, then the changed files staged and renamed into
//! place (flushed first when [`Durability::Flushed`] is asked for).

use std::collections::HashMap;
use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};

#[cfg(feature = "generator")]
use super::apps::plan_with;
#[cfg(feature = "generator")]
use super::memo::Memo;
use super::staging::{Durability, Staging, is_abandoned, is_temporary};
use super::tree::{GENERATED_NAMES, is_generated_file};
use super::{IndexFile, Tree, is_generated};
#[cfg(feature = "generator")]
use crate::Config;
use crate::Error;

/// What a write did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WriteReport {
    /// Files created or changed.
    pub written: Vec<PathBuf>,
    /// Files whose content was already right (left untouched).
    pub unchanged: Vec<PathBuf>,
    /// Generated files that the config no longer produces, removed.
    pub removed: Vec<PathBuf>,
    /// Lines to add by hand to namespace `kustomization.yaml` files fluxgen does not own.
    pub hints: Vec<String>,
    /// Temporary files an interrupted run left in the app directories, removed.
    pub cleaned: Vec<PathBuf>,
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
    /// Create a tree whose directory does not exist yet: every file of it is new.
    CreateTree(NewTree),
}

/// Everything writing the trees would do, found before anything is written. Holds the
/// contents of changed files only.
#[derive(Default)]
pub(crate) struct Pending {
    pub(crate) changes: Vec<Change>,
    pub(crate) unchanged: Vec<PathBuf>,
    /// Files at generated paths without fluxgen's marker.
    pub(crate) foreign: Vec<PathBuf>,
    /// Lines missing from user-owned namespace `kustomization.yaml` files.
    pub(crate) index_lines: Vec<(PathBuf, String)>,
    /// Lines of apps fluxgen no longer generates, still in user-owned namespace
    /// `kustomization.yaml` files.
    pub(crate) retired_lines: Vec<(PathBuf, String)>,
    /// Temporary files of runs that no longer run, in the app directories, and temporary
    /// directories of theirs beside a tree's missing directory.
    pub(crate) abandoned: Vec<PathBuf>,
}

/// A tree whose directory does not exist: written whole into a temporary directory and renamed
/// into place at once.
pub(crate) struct NewTree {
    /// The tree's directory.
    pub(crate) dir: PathBuf,
    /// How many of the directories above it are missing too (`kubernetes/edge/apps` into a new
    /// repository: 3).
    pub(crate) missing_above: usize,
    /// Every file's path below `dir`, and its content, in the tree's order (its namespace
    /// `kustomization.yaml` last).
    pub(crate) files: Vec<(PathBuf, String)>,
}

/// The trees' findings one after the other.
impl FromIterator<Pending> for Pending {
    fn from_iter<I: IntoIterator<Item = Pending>>(each: I) -> Self {
        let mut all = Pending::default();
        for one in each {
            all.changes.extend(one.changes);
            all.unchanged.extend(one.unchanged);
            all.foreign.extend(one.foreign);
            all.index_lines.extend(one.index_lines);
            all.retired_lines.extend(one.retired_lines);
            all.abandoned.extend(one.abandoned);
        }
        all
    }
}

/// Compares each tree with its directory: what would be written, removed, left alone, or
/// refused. Reads only.
pub(crate) fn pending(trees: &[(PathBuf, Tree)]) -> Result<Pending, Error> {
    let each = crate::parallel::map(trees, |(dir, tree)| pending_tree(dir, tree.clone()))?;
    Ok(each.into_iter().collect())
}

/// Plans each cluster, compares its tree with its directory below `root` ([`tree_dir`]) and
/// hands what it found to `then`, on every core; a tree's unchanged files are dropped as soon
/// as they are compared. Results in the clusters' order.
#[cfg(feature = "generator")]
pub(crate) fn each_cluster<R, F>(config: &Config, clusters: &[String], root: &Path, then: F) -> Result<Vec<R>, Error>
where
    R: Send,
    F: Fn(Pending) -> R + Sync,
{
    crate::config::validate_for_use(config)?;
    let real_root = fs::canonicalize(root).ok();
    crate::parallel::map_with(clusters, Memo::default, |memo, name| {
        let tree = plan_with(config, name, memo)?;
        let dir = tree_dir(root, &tree.root);
        check_resolves_below(root, real_root.as_deref(), &tree.root)?;
        pending_tree(&dir, tree).map(&then)
    })
}

/// Refuses a cluster's `path` (relative to `root`) through which a write would leave `root`: a
/// symbolic link among its existing directories that leads outside (`kubernetes/edge ->
/// ../../elsewhere`). A link that stays below `root` is followed, as the repository has it.
/// A `path` the config loader would refuse ([`check_relative_path`]:
/// absolute, or with `.`, `..` or empty segments, as a config built in code may have) is refused
/// before anything is looked at. `real_root` is `root` resolved (`None` when it does not exist
/// yet: then no link below it can exist either).
#[cfg(feature = "generator")]
fn check_resolves_below(root: &Path, real_root: Option<&Path>, path: &str) -> Result<(), Error> {
    if let Err(reason) = check_relative_path(path) {
        return Err(Error::Blocked {
            path: PathBuf::from(path),
            reason: format!("{reason}: fluxgen writes only below the root it is given"),
        });
    }
    let Some(real_root) = real_root else {
        return Ok(());
    };
    let mut current = root.to_path_buf();
    for segment in path.split('/') {
        current.push(segment);
        match fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => match fs::canonicalize(&current) {
                Ok(real) if real.starts_with(real_root) => {}
                Ok(_) => {
                    return Err(Error::Blocked {
                        path: current,
                        reason: "it is a symbolic link that leads outside the repository, and fluxgen writes only \
                                 below it"
                            .into(),
                    });
                }
                Err(_) => {
                    return Err(Error::Blocked {
                        path: current,
                        reason: "it is a symbolic link that leads nowhere (dangling): remove it, or make it a \
                                 directory"
                            .into(),
                    });
                }
            },
            Ok(_) => {}
            Err(_) => return Ok(()),
        }
    }
    Ok(())
}

/// A path fluxgen writes must stay below the root it is given: relative, with `/` separators,
/// no `.`, `..` or empty segments. The config loader judges a cluster's `path` by it, and
/// [`write()`] each file of a tree.
pub(crate) fn check_relative_path(path: &str) -> Result<(), String> {
    if path.starts_with('/') || path.contains('\\') {
        return Err(format!(
            "{} must be a relative path with `/` separators",
            crate::url::quoted(path)
        ));
    }
    if path.split('/').any(|s| s.is_empty() || s == "." || s == "..") {
        return Err(format!(
            "{} must be a directory below the repository root: no `.`, `..` or empty segments",
            crate::url::quoted(path)
        ));
    }
    Ok(())
}

/// The directory a cluster's tree belongs in: its `path` (the cluster's `path` setting, a
/// tree's `root`) below `root` (just the path when `root` is `.`).
pub fn tree_dir(root: &Path, path: &str) -> PathBuf {
    if root == Path::new(".") {
        PathBuf::from(path)
    } else {
        root.join(path)
    }
}

/// [`pending`] for one tree.
fn pending_tree(dir: &Path, tree: Tree) -> Result<Pending, Error> {
    // A tree built in code may name any path: each must stay below `dir`.
    for relative in tree.files.keys() {
        if let Err(reason) = check_relative_path(relative) {
            return Err(Error::Blocked {
                path: dir.join(relative),
                reason: format!("{reason}: fluxgen writes a tree's files only below its directory"),
            });
        }
    }
    let missing = check_inside(dir)?;
    if missing > 0 {
        return new_tree(dir, missing - 1, tree);
    }
    let mut pending = Pending::default();
    let mut checked_dirs = HashMap::new();
    // Before the files are moved out of the tree: only files it does not have can be stale.
    let mut stale = Vec::new();
    for app in super::APP_DIRS {
        if check_below(dir, &format!("{app}/"), &mut checked_dirs)? {
            let (generated, abandoned) = generated_files(dir, app, &tree)?;
            stale.extend(generated);
            pending.abandoned.extend(abandoned);
        }
    }
    for (relative, content) in tree.files {
        let parent_exists = check_below(dir, &relative, &mut checked_dirs)?;
        let path = dir.join(&relative);
        let existing = if parent_exists { read_existing(&path)? } else { None };
        match existing {
            Some(existing) if existing == content => pending.unchanged.push(path),
            Some(existing) if !is_generated(&existing) && !is_left_empty(&existing) => pending.foreign.push(path),
            old => pending.changes.push(Change::Write {
                path,
                old,
                new: content,
            }),
        }
    }
    for (path, old) in stale {
        pending.changes.push(Change::Remove { path, old });
    }
    index_file(dir, &tree.index, &mut pending)?;
    Ok(pending)
}

/// [`pending_tree`] for a tree whose directory does not exist, nor `missing_above` of the
/// directories above it: nothing below it can be read, so every file is new, and a tree with
/// no file (a cluster at phase `prepare`) makes no directory. What interrupted runs left beside
/// the directory (a temporary directory never renamed into place) is cleaned up.
fn new_tree(dir: &Path, missing_above: usize, tree: Tree) -> Result<Pending, Error> {
    let mut files: Vec<(PathBuf, String)> = tree
        .files
        .into_iter()
        .map(|(relative, content)| (dir.join(relative), content))
        .collect();
    if !tree.index.entries.is_empty() {
        files.push((dir.join(IndexFile::PATH), tree.index.content));
    }
    let beside = if missing_above == 0 {
        fs::read_dir(parent_of(dir))
    } else {
        Err(std::io::ErrorKind::NotFound.into())
    };
    let abandoned = match beside {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .filter(|entry| is_abandoned(&entry.file_name()))
            .map(|entry| entry.path())
            .collect(),
        _ => Vec::new(),
    };
    let changes = if files.is_empty() {
        Vec::new()
    } else {
        vec![Change::CreateTree(NewTree {
            dir: dir.to_path_buf(),
            missing_above,
            files,
        })]
    };
    Ok(Pending {
        abandoned,
        changes,
        ..Pending::default()
    })
}

/// The directory `path` is in (`.` for a bare name such as `-o out`'s): where a new tree's
/// temporary directory goes, and what must allow a stale file's removal.
pub(super) fn parent_of(path: &Path) -> &Path {
    path.parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Whether a file at a generated path holds nothing, or nothing but NUL bytes: what a power cut
/// can leave of a file written without [`Durability::Flushed`] (its data never reached the disk;
/// some file systems show the lost blocks as zeros). Such a file has nothing to lose, so the next
/// run replaces it as if it were fluxgen's.
fn is_left_empty(text: &str) -> bool {
    text.bytes().all(|byte| byte == 0)
}

/// Writes each tree into its directory. Every check runs before the first write, so an error
/// writes nothing: a file at a generated path without fluxgen's marker is never overwritten
/// (unless it is empty: [`Durability`]), stale files are removed only when they carry the
/// marker, unchanged files are not touched. Nothing is flushed ([`Durability::Renamed`]);
/// [`write_with`] chooses.
pub fn write(trees: &[(PathBuf, Tree)]) -> Result<WriteReport, Error> {
    write_with(trees, Durability::default())
}

/// [`write()`] with the [`Durability`] to keep.
pub fn write_with(trees: &[(PathBuf, Tree)], durability: Durability) -> Result<WriteReport, Error> {
    let _locks = super::lock::lock(trees.iter().map(|(dir, _)| dir.as_path()))?;
    apply(pending(trees)?, Staging::new(durability), Path::new(""))
}

/// Plans the named clusters and writes each tree into its directory below `root`
/// ([`tree_dir`]): [`write()`] of their [`plan`](crate::plan)s, on every core, holding only the
/// files that change.
///
/// ```
/// let config = fluxgen_core::Config::example();
/// let root = tempfile::tempdir().unwrap();
/// let names: Vec<String> = config.clusters.keys().cloned().collect();
/// let report = fluxgen_core::write_clusters(&config, &names, root.path())?;
/// assert!(report.written.iter().any(|p| p.ends_with("flux-operator/app/helmrelease.yaml")));
/// assert!(fluxgen_core::write_clusters(&config, &names, root.path())?.written.is_empty());
/// # Ok::<(), fluxgen_core::Error>(())
/// ```
#[cfg(feature = "generator")]
pub fn write_clusters(config: &Config, clusters: &[String], root: &Path) -> Result<WriteReport, Error> {
    write_clusters_with(config, clusters, root, Durability::default())
}

/// [`write_clusters`] with the [`Durability`] to keep.
#[cfg(feature = "generator")]
pub fn write_clusters_with(
    config: &Config,
    clusters: &[String],
    root: &Path,
    durability: Durability,
) -> Result<WriteReport, Error> {
    let _locks = super::lock::lock([root])?;
    let staging = Staging::new(durability);
    // Each cluster's new contents are staged by the thread that planned it, as soon as its tree
    // is compared, so writing overlaps planning; nothing is placed before every cluster has
    // passed its checks (`apply`), and a failure removes what was staged.
    let each = each_cluster(config, clusters, root, |mut pending| {
        let mut own = staging.sibling();
        stage_writes(&mut pending, &mut own).map(|()| (pending, own))
    })?;
    let mut staging = staging;
    let mut all = Vec::with_capacity(each.len());
    for one in each {
        let (pending, own) = one?;
        staging.absorb(own);
        all.push(pending);
    }
    apply(all.into_iter().collect(), staging, root)
}

/// Stages every write `pending` holds (new contents of files, new trees) into `staging`,
/// leaving only its removals in it. A tree with a file fluxgen did not write stages nothing: the
/// write is refused.
fn stage_writes(pending: &mut Pending, staging: &mut Staging) -> Result<(), Error> {
    if !pending.foreign.is_empty() {
        return Ok(());
    }
    for change in std::mem::take(&mut pending.changes) {
        match change {
            Change::Write { path, old, new } => staging.stage(&path, &new, old.is_some())?,
            Change::CreateTree(tree) => staging.stage_tree(&tree.dir, tree.missing_above, &tree.files)?,
            remove @ Change::Remove { .. } => pending.changes.push(remove),
        }
    }
    Ok(())
}

/// Carries out what [`pending`] found, unless it found a file fluxgen did not write: stages
/// what `staging` does not hold yet, then places it all and removes the stale files. The hints
/// name files relative to `root`.
fn apply(mut pending: Pending, mut staging: Staging, root: &Path) -> Result<WriteReport, Error> {
    if !pending.foreign.is_empty() {
        return Err(Error::NotGenerated { paths: pending.foreign });
    }
    let hints = pending
        .index_lines
        .iter()
        .map(|(path, line)| {
            let path = super::check::under(path.clone(), root);
            format!("add `  - {line}` to the resources of {}", path.display())
        })
        .chain(pending.retired_lines.iter().map(|(path, line)| {
            let path = super::check::under(path.clone(), root);
            format!(
                "remove `  - {line}` from the resources of {}: fluxgen no longer generates it, and kustomize fails \
                 on an entry whose directory is gone",
                path.display()
            )
        }))
        .collect();
    stage_writes(&mut pending, &mut staging)?;
    // Only the removals are left.
    let stale: Vec<PathBuf> = pending
        .changes
        .into_iter()
        .filter_map(|change| match change {
            Change::Remove { path, .. } => Some(path),
            Change::Write { .. } | Change::CreateTree(_) => None,
        })
        .collect();
    for path in &stale {
        check_removable(path)?;
    }
    let written = staging.commit()?;
    for path in &stale {
        if let Err(source) = fs::remove_file(path) {
            return Err(Error::PartlyWritten {
                written,
                path: path.clone(),
                source,
            });
        }
    }
    remove_emptied_directories(&stale);
    // Cleaning up after an interrupted run: a file already gone (another run cleaned it) or
    // that cannot be removed is left to the next run.
    let cleaned = pending
        .abandoned
        .into_iter()
        .filter(|path| remove_abandoned(path))
        .collect();
    Ok(WriteReport {
        written,
        unchanged: pending.unchanged,
        removed: stale,
        hints,
        cleaned,
    })
}

/// Removes what an interrupted run left: a temporary file, or a temporary directory with the
/// part of a new tree written into it (never following a symlink). Whether it is gone.
fn remove_abandoned(path: &Path) -> bool {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => fs::remove_dir_all(path).is_ok(),
        Ok(_) => fs::remove_file(path).is_ok(),
        Err(_) => false,
    }
}

/// Removes the directories of app directories that the removal of `stale` files left empty
/// (`flux-instance/app/`, then `flux-instance/`), so that a phase going back leaves no empty
/// directory behind. A directory with anything left in it stays (`remove_dir` refuses it).
fn remove_emptied_directories(stale: &[PathBuf]) {
    let mut dirs: Vec<&Path> = stale
        .iter()
        .filter_map(|path| path.parent())
        .flat_map(|dir| {
            // Up to the app directory (`flux-operator`, `flux-instance`) itself.
            let mut up = Vec::new();
            for ancestor in dir.ancestors() {
                up.push(ancestor);
                let name = ancestor.file_name().and_then(|n| n.to_str());
                if name.is_some_and(|name| super::APP_DIRS.contains(&name)) {
                    return up;
                }
            }
            Vec::new()
        })
        .collect();
    // Deepest first.
    dirs.sort_by_key(|dir| std::cmp::Reverse(dir.components().count()));
    dirs.dedup();
    for dir in dirs {
        let _ = fs::remove_dir(dir);
    }
}

/// Refuses, before anything is written, a stale file that is no longer fluxgen's (changed
/// since it was read) or that cannot be removed (its directory is not writable, or immutable).
fn check_removable(path: &Path) -> Result<(), Error> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !read_head(path).is_some_and(|head| is_generated_file(&name, &head)) {
        return Err(Error::Blocked {
            path: path.to_path_buf(),
            reason: "it changed since it was read and is no longer a file fluxgen generated: nothing was written"
                .into(),
        });
    }
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{Access, access};
        if let Err(errno) = access(parent_of(path), Access::WRITE_OK | Access::EXEC_OK) {
            return Err(Error::Blocked {
                path: path.to_path_buf(),
                reason: format!(
                    "it is no longer generated and must be removed, but its directory does not allow that ({}): \
                     nothing was written",
                    std::io::Error::from(errno)
                ),
            });
        }
    }
    Ok(())
}

/// The namespace `kustomization.yaml`: written when absent or generated; otherwise the user's
/// own, and fluxgen only reports the lines it lacks.
/// A generated file the user has added lines to is theirs from then on
/// ([`IndexFile::only_fluxgens_lines`]). In a file of the user's, the lines of apps this phase
/// no longer has are reported too: kustomize fails on an entry whose directory is gone.
fn index_file(dir: &Path, index: &IndexFile, pending: &mut Pending) -> Result<(), Error> {
    let path = dir.join(IndexFile::PATH);
    let existing = read_existing(&path)?;
    let fluxgens = |text: &str| is_generated(text) && IndexFile::only_fluxgens_lines(text);
    if let Some(text) = existing.as_deref().filter(|text| !fluxgens(text)) {
        for entry in IndexFile::APP_ENTRIES {
            if !index.entries.iter().any(|e| e == entry) && IndexFile::lists(text, entry) {
                pending.retired_lines.push((path.clone(), entry.to_owned()));
            }
        }
    }
    match existing {
        _ if index.entries.is_empty() => {
            if let Some(old) = existing.filter(|text| fluxgens(text)) {
                pending.changes.push(Change::Remove { path, old });
            }
        }
        Some(text) if text == index.content => pending.unchanged.push(path),
        Some(text) if !fluxgens(&text) && !is_left_empty(&text) => {
            for entry in &index.entries {
                if !IndexFile::lists(&text, entry) {
                    pending.index_lines.push((path.clone(), entry.clone()));
                }
            }
        }
        old => pending.changes.push(Change::Write {
            path,
            old,
            new: index.content.clone(),
        }),
    }
    Ok(())
}

/// Refuses a file path below `dir` whose existing directories include a symlink (the write
/// would land outside the output directory) or something that is not a directory. `relative`
/// is `/`-separated; the last segment (the file, checked when it is read) is not looked at.
/// `checked` remembers the directories already looked at: `true` a real directory, `false`
/// missing (so is everything below it). Returns `false` when the file's directory is missing
/// (so is the file).
fn check_below(dir: &Path, relative: &str, checked: &mut HashMap<PathBuf, bool>) -> Result<bool, Error> {
    let mut path = dir.to_path_buf();
    let Some((directories, _file)) = relative.rsplit_once('/') else {
        return Ok(true);
    };
    for segment in directories.split('/') {
        path.push(segment);
        match checked.get(&path) {
            Some(true) => continue,
            Some(false) => return Ok(false),
            None => {}
        }
        match fs::symlink_metadata(&path) {
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                checked.insert(path, false);
                return Ok(false);
            }
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
            Ok(_) => {
                checked.insert(path.clone(), true);
            }
        }
    }
    Ok(true)
}

/// Refuses an output directory whose existing part is not a directory, and says how many of
/// its levels are missing (0: the directory exists; 1: it is missing, its parent is there). The
/// walk up stops at the first ancestor that exists: a directory's ancestors are directories.
fn check_inside(dir: &Path) -> Result<usize, Error> {
    for (missing, ancestor) in dir.ancestors().enumerate() {
        if ancestor.as_os_str().is_empty() {
            return Ok(missing);
        }
        match fs::symlink_metadata(ancestor) {
            Ok(meta) if meta.is_dir() || meta.file_type().is_symlink() => return Ok(missing),
            Ok(_) => {
                return Err(Error::Blocked {
                    path: ancestor.to_path_buf(),
                    reason: "it is not a directory".into(),
                });
            }
            Err(_) => {}
        }
    }
    Ok(dir.components().count())
}

/// The content of the regular file at `path`, `None` when there is none. A symlink or anything
/// but a regular file there is refused; a file that is not UTF-8 reads as empty (certainly not
/// one fluxgen wrote).
fn read_existing(path: &Path) -> Result<Option<String>, Error> {
    let failed = |source| Error::Read {
        path: path.to_path_buf(),
        source,
    };
    let blocked = |reason: &str| Error::Blocked {
        path: path.to_path_buf(),
        reason: reason.into(),
    };
    let Some(mut file) = open_unfollowed(path).map_err(|error| match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => blocked("it is a symlink"),
        Ok(meta) if !meta.is_file() => blocked("it is not a regular file"),
        _ => failed(error),
    })?
    else {
        return Ok(None);
    };
    let meta = file.metadata().map_err(failed)?;
    if !meta.is_file() {
        return Err(blocked("it is not a regular file"));
    }
    // Larger than anything fluxgen writes: its head says whose it is, and it differs anyway.
    let size = if meta.len() > MAX_GENERATED_BYTES {
        HEAD_BYTES
    } else {
        meta.len()
    };
    let bytes = read_sized(&mut file, usize::try_from(size).unwrap_or(0)).map_err(failed)?;
    // Not UTF-8: certainly not one fluxgen wrote; kept unequal to any text fluxgen writes.
    Ok(Some(String::from_utf8(bytes).unwrap_or_else(|error| {
        String::from_utf8_lossy(error.as_bytes()).into_owned()
    })))
}

/// The most a file fluxgen generates can hold (the largest is a few KiB): a larger file at a
/// generated path is read only as far as [`HEAD_BYTES`].
const MAX_GENERATED_BYTES: u64 = 1 << 20;

/// How much of a file is read to find fluxgen's marker (in its first three lines).
const HEAD_BYTES: u64 = 4096;

/// The first [`HEAD_BYTES`] of the regular file at `path` (`None` for anything else).
fn read_head(path: &Path) -> Option<String> {
    let mut file = open_unfollowed(path).ok()??;
    if !file.metadata().ok()?.is_file() {
        return None;
    }
    let bytes = read_sized(&mut file, HEAD_BYTES as usize).ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// Reads the `size` bytes a file had when it was looked at, in one read where the file
/// system allows (`read_to_end` would ask for the size again and read once more to see the
/// end). A file that shrank meanwhile is cut where it ends; one that grew is read as it was.
fn read_sized(file: &mut fs::File, size: usize) -> std::io::Result<Vec<u8>> {
    let mut bytes = vec![0; size];
    let mut filled = 0;
    while filled < size {
        match file.read(&mut bytes[filled..]) {
            Ok(0) => break,
            Ok(read) => filled += read,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    bytes.truncate(filled);
    Ok(bytes)
}

/// Opens `path` for reading without following a symlink in its last component (that fails)
/// and without blocking on a FIFO; `None` when nothing is there. One system call where a
/// `lstat` and an `open` would be two.
#[cfg(target_os = "linux")]
fn open_unfollowed(path: &Path) -> std::io::Result<Option<fs::File>> {
    use rustix::fs::{Mode, OFlags};
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
    match rustix::fs::open(path, flags, Mode::empty()) {
        Ok(fd) => Ok(Some(fs::File::from(fd))),
        Err(rustix::io::Errno::NOENT) => Ok(None),
        Err(errno) => Err(errno.into()),
    }
}

#[cfg(not(target_os = "linux"))]
fn open_unfollowed(path: &Path) -> std::io::Result<Option<fs::File>> {
    match fs::symlink_metadata(path) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error),
        // Never opened: a FIFO would block, a directory fails differently on each system.
        Ok(meta) if !meta.is_file() => Err(std::io::Error::other("not a regular file")),
        Ok(_) => fs::File::open(path).map(Some),
    }
}

/// Stale generated files with their content, and abandoned temporary files.
type Found = (Vec<(PathBuf, String)>, Vec<PathBuf>);

/// Generated files under `dir/app` (recursively) that `tree` does not have, with their content,
/// sorted (files the tree has are not read here); and the temporary files there that runs no
/// longer running left behind.
fn generated_files(dir: &Path, app: &str, tree: &Tree) -> Result<Found, Error> {
    let mut found = Vec::new();
    let mut abandoned = Vec::new();
    let mut pending = vec![dir.join(app)];
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
            let path = entry.path();
            if kind.is_dir() {
                pending.push(path);
                continue;
            }
            if !kind.is_file() {
                continue;
            }
            if is_temporary(&entry.file_name()) {
                if is_abandoned(&entry.file_name()) {
                    abandoned.push(path);
                }
                continue;
            }
            let relative = path.strip_prefix(dir).expect("walked below dir");
            if tree
                .files
                .contains_key(relative.to_string_lossy().replace('\\', "/").as_str())
            {
                continue;
            }
            // Only a file of a generated name is opened, and only one whose head carries the
            // marker is read whole.
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if !GENERATED_NAMES.contains(&name.as_ref())
                || !read_head(&path).is_some_and(|head| is_generated_file(&name, &head))
            {
                continue;
            }
            if let Some(text) = read_existing(&path)?
                && is_generated(&text)
            {
                found.push((path, text));
            }
        }
    }
    found.sort();
    Ok((found, abandoned))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_trees_temporary_directory_goes_beside_it_even_for_a_bare_name() {
        assert_eq!(parent_of(Path::new("out")), Path::new("."));
        assert_eq!(
            parent_of(Path::new("k/edge/apps/flux-system")),
            Path::new("k/edge/apps")
        );
        assert_eq!(parent_of(Path::new("/abs/out")), Path::new("/abs"));
    }

    #[test]
    fn a_tree_with_no_file_makes_no_directory() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("kubernetes/edge/apps/flux-system");
        let report = write(&[(dir.clone(), Tree::new("edge", "repo"))]).unwrap();
        assert!(report.written.is_empty(), "{:?}", report.written);
        assert_eq!(fs::read_dir(root.path()).unwrap().count(), 0, "no directory was made");
    }

    #[test]
    fn a_file_is_read_as_large_as_it_was_seen_or_to_its_end() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.yaml");
        let content: Vec<u8> = (0..20_000u32).map(|i| b'a' + (i % 26) as u8).collect();
        fs::write(&path, &content).unwrap();
        for seen in [0, 1, 19_999, 20_000, 20_001, 100_000] {
            let mut file = fs::File::open(&path).unwrap();
            let read = read_sized(&mut file, seen).unwrap();
            assert_eq!(read, content[..seen.min(content.len())], "size seen: {seen}");
        }
        let mut file = fs::File::open(&path).unwrap();
        assert_eq!(read_existing(&path).unwrap().unwrap().as_bytes(), content);
        assert_eq!(read_sized(&mut file, 20_000).unwrap(), content);
    }

    #[test]
    fn a_symlink_or_a_directory_at_a_generated_path_is_refused_and_nothing_there_is_none() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_existing(&dir.path().join("missing.yaml")).unwrap(), None);
        fs::create_dir(dir.path().join("dir.yaml")).unwrap();
        let error = read_existing(&dir.path().join("dir.yaml")).unwrap_err();
        assert!(error.to_string().contains("not a regular file"), "{error}");
        #[cfg(unix)]
        {
            fs::write(dir.path().join("target.yaml"), "x").unwrap();
            std::os::unix::fs::symlink("target.yaml", dir.path().join("link.yaml")).unwrap();
            let error = read_existing(&dir.path().join("link.yaml")).unwrap_err();
            assert!(error.to_string().contains("symlink"), "{error}");
        }
        fs::write(dir.path().join("latin1.yaml"), b"caf\xe9").unwrap();
        let latin1 = read_existing(&dir.path().join("latin1.yaml")).unwrap().unwrap();
        assert!(!is_generated(&latin1) && !is_left_empty(&latin1), "{latin1:?}");
    }

    #[test]
    fn a_tree_built_in_code_writes_nothing_outside_its_directory() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("repo");
        for path in [
            "../escaped.yaml",
            "/abs.yaml",
            "app/../../x.yaml",
            "app//x.yaml",
            "./x.yaml",
            "a\\b.yaml",
        ] {
            let mut tree = Tree::new("edge", "repo");
            tree.files.insert("app/ok.yaml".to_owned(), "---\n".to_owned());
            tree.files.insert(path.to_owned(), "---\n".to_owned());
            let error = write(&[(dir.clone(), tree)]).unwrap_err();
            assert!(matches!(error, Error::Blocked { .. }), "{path}: {error}");
            assert!(error.to_string().contains("only below its directory"), "{error}");
        }
        assert_eq!(fs::read_dir(root.path()).unwrap().count(), 0, "nothing was written");
    }
}
