//! Staging new file contents: every file is first written to a temporary file beside its
//! target, and only renamed into place once all are written. A tree whose directory does not
//! exist yet is written whole into a temporary directory beside it, renamed into place at once:
//! one rename for the tree instead of one per file.
//!
//! A reader or a killed run therefore sees each file with its old content or its new one, never
//! a mix; an error before the renames leaves no trace (the temporary files remove themselves
//! when dropped). What a power cut leaves depends on the [`Durability`] asked for: by default
//! nothing is flushed (generated files are a function of the config, and a rerun restores them:
//! a file a power cut left empty is replaced by the next run, see `write.rs`); with
//! [`Durability::Flushed`] the batch is flushed to disk before the first rename, so a power cut
//! too leaves each file old or new. Flushing once per filesystem (`syncfs` on Linux) instead of
//! once per file keeps that affordable: one journal commit instead of a thousand.

use std::collections::HashSet;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use crate::Error;

/// What a write promises after a power cut (after a killed run, every file is old or new
/// either way).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Durability {
    /// Nothing is flushed: after a power cut a written file may be empty or missing its data
    /// until the next run, which replaces such a file. As fast as the file system allows.
    #[default]
    Renamed,
    /// Every written file is flushed to disk before any is renamed into place (one `syncfs` per
    /// file system on Linux, an `fsync` per file elsewhere): after a power cut each file is old
    /// or new, as after a kill.
    Flushed,
}

/// The prefix of the temporary files renamed into place.
const TEMP_PREFIX: &str = ".fluxgen-";

/// Whether a file name is one of fluxgen's temporary files or directories, left behind only
/// when a write was interrupted (a kill, a power cut). It is never taken for a generated file:
/// not removed as stale, not reported by `check`.
pub(super) fn is_temporary(name: &std::ffi::OsStr) -> bool {
    name.to_str().is_some_and(|name| name.starts_with(TEMP_PREFIX))
}

/// Whether a temporary file or directory was left by a fluxgen run that no longer runs: its name,
/// `.fluxgen-<host>-<pid>-<n>.tmp`, says which process wrote it and where that process id means
/// something (this boot of this machine, this PID namespace: [`host_tag`]). A file of another
/// machine or container, or of a process that still runs, is never taken for abandoned.
pub(super) fn is_abandoned(name: &std::ffi::OsStr) -> bool {
    let host = host_tag();
    let Some((tag, pid)) = name
        .to_str()
        .and_then(|name| name.strip_prefix(TEMP_PREFIX))
        .and_then(|rest| rest.strip_suffix(".tmp"))
        .and_then(|rest| {
            let mut parts = rest.splitn(3, '-');
            let (tag, pid, counter) = (parts.next()?, parts.next()?, parts.next()?);
            counter.parse::<u64>().ok()?;
            Some((tag, pid.parse::<i32>().ok()?))
        })
    else {
        return false;
    };
    tag == host && host != UNKNOWN_HOST && !process_runs(pid)
}

/// The tag of a host whose identity could not be read: its files are never cleaned up.
const UNKNOWN_HOST: &str = "0";

/// Names where a process id is meaningful: a hash of this boot's id and this process's PID
/// namespace (two containers, or two machines sharing a repository over the network, get
/// different tags). Read once.
fn host_tag() -> &'static str {
    static TAG: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TAG.get_or_init(read_host_tag)
}

#[cfg(target_os = "linux")]
fn read_host_tag() -> String {
    let boot = fs::read_to_string("/proc/sys/kernel/random/boot_id");
    let namespace = fs::read_link("/proc/self/ns/pid");
    let (Ok(boot), Ok(namespace)) = (boot, namespace) else {
        return UNKNOWN_HOST.to_owned();
    };
    // FNV-1a, 64 bits: stable across builds and Rust versions (std's hashers are not).
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in boot.trim().bytes().chain(namespace.to_string_lossy().bytes()) {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

#[cfg(not(target_os = "linux"))]
fn read_host_tag() -> String {
    UNKNOWN_HOST.to_owned()
}

#[cfg(target_os = "linux")]
fn process_runs(pid: i32) -> bool {
    match rustix::process::Pid::from_raw(pid) {
        // Signal 0 to the process: no such process is the only answer that means gone.
        Some(pid) => rustix::process::test_kill_process(pid) != Err(rustix::io::Errno::SRCH),
        None => true,
    }
}

#[cfg(not(target_os = "linux"))]
fn process_runs(_pid: i32) -> bool {
    true
}

/// Makes temporary names unique within this process.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// New contents written to temporary files, not yet in place. Several stagings made by
/// [`sibling`](Self::sibling) (one per thread) are gathered into one by
/// [`absorb`](Self::absorb) before the commit.
///
/// Dropped before its commit, a staging removes what it wrote: its temporary files and
/// directories, and, once the last of its siblings is gone, every directory they created that
/// is empty again. So a write that fails after staging leaves nothing behind.
pub(super) struct Staging {
    durability: Durability,
    /// What is staged, in the order it is placed.
    staged: Vec<Staged>,
    /// Directories known to exist (found or created), so each is made once.
    directories: HashSet<PathBuf>,
    /// The directories this staging and its siblings created (outside temporary ones).
    created: Arc<Mutex<Vec<PathBuf>>>,
    /// One open staged file per file system written to, to flush each once (Linux).
    #[cfg(target_os = "linux")]
    devices: std::collections::HashMap<u64, (fs::File, PathBuf)>,
}

impl Drop for Staging {
    fn drop(&mut self) {
        // Temporary files and directories first: they may be in the directories below.
        self.staged.clear();
        if let Some(created) = Arc::get_mut(&mut self.created) {
            let created = created.get_mut().unwrap_or_else(PoisonError::into_inner);
            created.sort_by_key(|dir| std::cmp::Reverse(dir.components().count()));
            for dir in created.drain(..) {
                // Only an empty one goes: what was placed in it stays.
                let _ = fs::remove_dir(dir);
            }
        }
    }
}

/// A staged file or tree.
enum Staged {
    File(StagedFile),
    Tree(StagedTree),
}

/// One temporary file and the path it becomes. Dropped before it is placed, it removes the
/// temporary file.
struct StagedFile {
    temp: PathBuf,
    target: PathBuf,
    placed: bool,
    /// Whether a file was at `target` when it was checked (else one that appears since is
    /// never replaced).
    replaces: bool,
}

impl Drop for StagedFile {
    fn drop(&mut self) {
        if !self.placed {
            let _ = fs::remove_file(&self.temp);
        }
    }
}

/// A temporary directory holding a whole new tree, and the directory it becomes. Dropped before
/// it is placed, it removes the temporary directory and everything this run wrote into it.
struct StagedTree {
    temp: PathBuf,
    target: PathBuf,
    /// The files' paths once in place, for the report.
    files: Vec<PathBuf>,
    placed: bool,
}

impl Drop for StagedTree {
    fn drop(&mut self) {
        if !self.placed {
            let _ = fs::remove_dir_all(&self.temp);
        }
    }
}

impl Staging {
    /// Nothing staged yet; [`commit`](Self::commit) keeps the promise of `durability`.
    pub(super) fn new(durability: Durability) -> Self {
        Staging {
            durability,
            staged: Vec::new(),
            directories: HashSet::new(),
            created: Arc::default(),
            #[cfg(target_os = "linux")]
            devices: std::collections::HashMap::new(),
        }
    }

    /// A new, empty staging for another thread, to be gathered into this one with
    /// [`absorb`](Self::absorb): the directories either creates are removed if the write fails.
    #[cfg(feature = "generator")]
    pub(super) fn sibling(&self) -> Self {
        Staging {
            durability: self.durability,
            staged: Vec::new(),
            directories: HashSet::new(),
            created: Arc::clone(&self.created),
            #[cfg(target_os = "linux")]
            devices: std::collections::HashMap::new(),
        }
    }

    /// Takes over what a sibling staged, placed after what this one already holds.
    #[cfg(feature = "generator")]
    pub(super) fn absorb(&mut self, mut other: Staging) {
        self.staged.append(&mut other.staged);
        #[cfg(target_os = "linux")]
        for (device, handle) in std::mem::take(&mut other.devices) {
            self.devices.entry(device).or_insert(handle);
        }
    }

    /// Writes `content` to a temporary file in the directory of `path` (created if missing).
    /// A new file gets the mode a plain new file would have (0666 less the umask); a file that
    /// `replaces` one keeps that file's mode.
    pub(super) fn stage(&mut self, path: &Path, content: &str, replaces: bool) -> Result<(), Error> {
        let failed = |source| Error::Write {
            path: path.to_path_buf(),
            source,
        };
        let parent = path.parent().unwrap_or(Path::new("."));
        self.make_directory(parent)?;
        let keep_permissions = if replaces {
            Some(fs::metadata(path).map_err(failed)?.permissions())
        } else {
            None
        };
        let (temp, mut file) = create_temporary(parent).map_err(failed)?;
        let staged = StagedFile {
            temp,
            target: path.to_path_buf(),
            placed: false,
            replaces,
        };
        if let Some(permissions) = keep_permissions {
            file.set_permissions(permissions).map_err(failed)?;
        }
        file.write_all(content.as_bytes()).map_err(failed)?;
        self.flush_later(file, path)?;
        self.staged.push(Staged::File(staged));
        Ok(())
    }

    /// Writes a whole new tree into a temporary directory beside `dir`, to be renamed to `dir` by
    /// [`commit`](Self::commit): `files` are paths below `dir` and their contents. Nothing is at
    /// `dir` yet (a directory that appears there since is never replaced), nor at the
    /// `missing_above` directories above it, which are made first. Every file and directory in
    /// the tree is new, so each is made once, with the mode a plain new one would have.
    pub(super) fn stage_tree(
        &mut self,
        dir: &Path,
        missing_above: usize,
        files: &[(PathBuf, String)],
    ) -> Result<(), Error> {
        let failed = |path: &Path| {
            let path = path.to_path_buf();
            move |source| Error::Write { path, source }
        };
        let parent = super::write::parent_of(dir);
        self.make_missing(parent, missing_above)?;
        let temp = create_temporary_directory(parent).map_err(failed(dir))?;
        let mut staged = StagedTree {
            temp,
            target: dir.to_path_buf(),
            files: Vec::with_capacity(files.len()),
            placed: false,
        };
        let mut made: HashSet<&Path> = HashSet::new();
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o666);
        for (path, content) in files {
            let Ok(relative) = path.strip_prefix(dir) else {
                return Err(Error::Blocked {
                    path: path.clone(),
                    reason: "it is not below the directory of its tree".into(),
                });
            };
            // The file's directories below the tree's, outermost first, each made once.
            let mut below: Vec<&Path> = relative
                .ancestors()
                .skip(1)
                .take_while(|a| !a.as_os_str().is_empty() && !made.contains(a))
                .collect();
            while let Some(directory) = below.pop() {
                fs::create_dir(staged.temp.join(directory)).map_err(failed(&dir.join(directory)))?;
                made.insert(directory);
            }
            let mut file = options.open(staged.temp.join(relative)).map_err(failed(path))?;
            file.write_all(content.as_bytes()).map_err(failed(path))?;
            self.flush_later(file, path)?;
            staged.files.push(path.clone());
        }
        self.staged.push(Staged::Tree(staged));
        Ok(())
    }

    /// Keeps what [`Durability::Flushed`] needs of a written file: its own flush (not Linux), or
    /// one open handle per file system, flushed once by [`commit`](Self::commit) (Linux).
    fn flush_later(&mut self, file: fs::File, path: &Path) -> Result<(), Error> {
        if self.durability != Durability::Flushed {
            return Ok(());
        }
        let failed = |source| Error::Write {
            path: path.to_path_buf(),
            source,
        };
        #[cfg(not(target_os = "linux"))]
        file.sync_all().map_err(failed)?;
        #[cfg(target_os = "linux")]
        {
            use std::os::unix::fs::MetadataExt;
            let device = file.metadata().map_err(failed)?.dev();
            // One handle kept per file system (to flush it); the others are closed here, so a
            // thousand staged files do not hold a thousand descriptors.
            self.devices.entry(device).or_insert((file, path.to_path_buf()));
        }
        Ok(())
    }

    /// Creates the `levels` lowest directories of `directory` (itself, its parent, ...), found
    /// missing, outermost first; each once (another thread may have made a shared one since).
    fn make_missing(&mut self, directory: &Path, levels: usize) -> Result<(), Error> {
        let missing: Vec<&Path> = directory.ancestors().take(levels).collect();
        for directory in missing.into_iter().rev() {
            if self.directories.contains(directory) {
                continue;
            }
            match fs::create_dir(directory) {
                Ok(()) => self
                    .created
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(directory.to_path_buf()),
                Err(_) if directory.is_dir() => {}
                Err(source) => {
                    return Err(Error::Write {
                        path: directory.to_path_buf(),
                        source,
                    });
                }
            }
            self.directories.insert(directory.to_path_buf());
        }
        Ok(())
    }

    /// Creates `directory` and its missing parents, each once: the directory first, its parent
    /// only when that is missing too (so nothing above an existing directory is touched).
    fn make_directory(&mut self, directory: &Path) -> Result<(), Error> {
        if directory.as_os_str().is_empty() || self.directories.contains(directory) {
            return Ok(());
        }
        let failed = |source| Error::Write {
            path: directory.to_path_buf(),
            source,
        };
        let created = |registry: &Mutex<Vec<PathBuf>>, directory: &Path| {
            registry
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(directory.to_path_buf());
        };
        match fs::create_dir(directory) {
            Ok(()) => created(&self.created, directory),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let parent = directory.parent().unwrap_or(Path::new(""));
                self.make_directory(parent)?;
                match fs::create_dir(directory) {
                    Ok(()) => created(&self.created, directory),
                    Err(_) if directory.is_dir() => {}
                    Err(error) => return Err(failed(error)),
                }
            }
            // Already there (each system says so its own way: `EEXIST`, `EISDIR` for `/`,
            // access denied for a drive's root).
            Err(_) if directory.is_dir() => {}
            Err(error) => return Err(failed(error)),
        }
        self.directories.insert(directory.to_path_buf());
        Ok(())
    }

    /// Flushes every staged file to disk (when [`Durability::Flushed`]), then renames each
    /// file, then each new tree, into place, in staging order. Returns the paths written.
    pub(super) fn commit(mut self) -> Result<Vec<PathBuf>, Error> {
        #[cfg(target_os = "linux")]
        for (file, path) in self.devices.values() {
            // Once per file system: every staged file's data, before any rename.
            rustix::fs::syncfs(file).map_err(|errno| Error::Write {
                path: path.clone(),
                source: errno.into(),
            })?;
        }
        let mut written = Vec::with_capacity(self.staged.len());
        for staged in std::mem::take(&mut self.staged) {
            let (temp, target, replaces) = match &staged {
                Staged::File(file) => (&file.temp, &file.target, file.replaces),
                Staged::Tree(tree) => (&tree.temp, &tree.target, false),
            };
            if let Err(source) = place(temp, target, replaces) {
                let path = target.clone();
                return Err(if written.is_empty() {
                    Error::Write { path, source }
                } else {
                    Error::PartlyWritten { written, path, source }
                });
            }
            match staged {
                Staged::File(mut file) => {
                    file.placed = true;
                    written.push(std::mem::take(&mut file.target));
                }
                Staged::Tree(mut tree) => {
                    tree.placed = true;
                    written.append(&mut tree.files);
                }
            }
        }
        // Every directory created now holds what was placed: none is removed.
        self.created.lock().unwrap_or_else(PoisonError::into_inner).clear();
        Ok(written)
    }
}

/// A new, empty temporary file in `directory` (never an existing one).
fn create_temporary(directory: &Path) -> std::io::Result<(PathBuf, fs::File)> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o666);
    create_unused(directory, |temp| options.open(temp))
}

/// A new, empty temporary directory in `directory` (never an existing one).
fn create_temporary_directory(directory: &Path) -> std::io::Result<PathBuf> {
    create_unused(directory, |temp| fs::create_dir(temp)).map(|(temp, ())| temp)
}

/// Makes something new at the next temporary name in `directory` with `create`, which fails
/// with `AlreadyExists` where something is: left by an interrupted run that had the same process
/// id, so the next name is taken.
fn create_unused<T>(
    directory: &Path,
    mut create: impl FnMut(&Path) -> std::io::Result<T>,
) -> std::io::Result<(PathBuf, T)> {
    let mut attempts = 0;
    loop {
        let temp = temporary_name(directory);
        match create(&temp) {
            Ok(made) => return Ok((temp, made)),
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists && attempts < 1 << 20 => attempts += 1,
            Err(error) => return Err(error),
        }
    }
}

/// The next temporary name in `directory`: `.fluxgen-<host>-<pid>-<n>.tmp` ([`is_abandoned`]).
fn temporary_name(directory: &Path) -> PathBuf {
    // Put together on the first temporary name (not by a run that writes none), not for each
    // file: the process id is a system call every time it is asked for.
    static PREFIX: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let prefix = PREFIX.get_or_init(|| format!("{TEMP_PREFIX}{}-{}-", host_tag(), std::process::id()));
    let counter = COUNTER.fetch_add(1, Ordering::Relaxed) + 1;
    directory.join(format!("{prefix}{counter}.tmp"))
}

/// Renames `temp` (a file or a directory) to `target`; when `replaces` is false, never over
/// anything that appeared at `target` since the checks (another program wrote it): that fails
/// with `AlreadyExists`.
#[cfg(target_os = "linux")]
fn place(temp: &Path, target: &Path, replaces: bool) -> std::io::Result<()> {
    if replaces {
        return fs::rename(temp, target);
    }
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    match renameat_with(CWD, temp, CWD, target, RenameFlags::NOREPLACE) {
        // A file system without the flag: look, then rename.
        Err(rustix::io::Errno::INVAL) if fs::symlink_metadata(target).is_err() => fs::rename(temp, target),
        result => result.map_err(Into::into),
    }
}

#[cfg(not(target_os = "linux"))]
fn place(temp: &Path, target: &Path, replaces: bool) -> std::io::Result<()> {
    if !replaces && fs::symlink_metadata(target).is_ok() {
        return Err(std::io::ErrorKind::AlreadyExists.into());
    }
    fs::rename(temp, target)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn nothing_is_in_place_before_the_commit_and_nothing_stays_when_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let mut staging = Staging::new(Durability::Flushed);
        staging.stage(&dir.path().join("a/b/one.yaml"), "one\n", false).unwrap();
        staging.stage(&dir.path().join("a/two.yaml"), "two\n", false).unwrap();
        assert!(!dir.path().join("a/b/one.yaml").exists());
        assert_eq!(names(&dir.path().join("a")).len(), 2, "b/ and one temporary file");
        drop(staging);
        // The directories it made went with the temporary files.
        assert!(names(dir.path()).is_empty());
    }

    #[test]
    fn a_dropped_staging_removes_the_trees_and_directories_of_its_siblings_but_nothing_it_found() {
        // Either order: the last one dropped removes the directories, once they are empty.
        for first_dropped_first in [true, false] {
            let dir = tempfile::tempdir().unwrap();
            fs::create_dir(dir.path().join("kept")).unwrap();
            let first = Staging::new(Durability::Renamed);
            let mut second = first.sibling();
            let files = [(dir.path().join("kept/new/tree/a.yaml"), "a\n".to_owned())];
            second.stage_tree(&dir.path().join("kept/new/tree"), 1, &files).unwrap();
            second.stage(&dir.path().join("made/one.yaml"), "one\n", false).unwrap();
            assert_eq!(names(&dir.path().join("kept/new")).len(), 1, "one temporary directory");
            if first_dropped_first {
                drop(first);
                drop(second);
            } else {
                drop(second);
                drop(first);
            }
            assert_eq!(
                names(dir.path()),
                ["kept"],
                "first dropped first: {first_dropped_first}"
            );
            assert!(names(&dir.path().join("kept")).is_empty());
        }
    }

    #[test]
    fn a_committed_tree_is_placed_whole_with_its_directories() {
        let dir = tempfile::tempdir().unwrap();
        let mut staging = Staging::new(Durability::Flushed);
        let tree = dir.path().join("k/edge/apps/flux-system");
        let files = [
            (tree.join("flux-operator/app/helmrelease.yaml"), "hr\n".to_owned()),
            (tree.join("flux-operator/ks.yaml"), "ks\n".to_owned()),
            (tree.join("kustomization.yaml"), "index\n".to_owned()),
        ];
        staging.stage_tree(&tree, 3, &files).unwrap();
        assert!(!tree.exists());
        let written = staging.commit().unwrap();
        assert_eq!(written, files.iter().map(|(path, _)| path.clone()).collect::<Vec<_>>());
        for (path, content) in &files {
            assert_eq!(&fs::read_to_string(path).unwrap(), content);
        }
        assert_eq!(names(&tree), ["flux-operator", "kustomization.yaml"]);
        assert_eq!(
            names(&dir.path().join("k/edge/apps")),
            ["flux-system"],
            "no temporary directory left"
        );
    }

    #[test]
    fn a_tree_whose_directory_appeared_since_is_not_placed_over_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut staging = Staging::new(Durability::Renamed);
        let tree = dir.path().join("flux-system");
        staging
            .stage_tree(&tree, 0, &[(tree.join("kustomization.yaml"), "new\n".to_owned())])
            .unwrap();
        fs::create_dir(&tree).unwrap();
        fs::write(tree.join("theirs.yaml"), "theirs\n").unwrap();
        assert!(staging.commit().is_err());
        assert_eq!(names(&tree), ["theirs.yaml"]);
        assert_eq!(names(dir.path()), ["flux-system"], "the temporary directory is gone");
    }

    #[test]
    fn a_commit_places_every_file_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("old.yaml"), "old\n").unwrap();
        let mut staging = Staging::new(Durability::Flushed);
        staging.stage(&dir.path().join("old.yaml"), "new\n", true).unwrap();
        staging.stage(&dir.path().join("x/new.yaml"), "x\n", false).unwrap();
        let written = staging.commit().unwrap();
        assert_eq!(written, [dir.path().join("old.yaml"), dir.path().join("x/new.yaml")]);
        assert_eq!(fs::read_to_string(dir.path().join("old.yaml")).unwrap(), "new\n");
        assert_eq!(fs::read_to_string(dir.path().join("x/new.yaml")).unwrap(), "x\n");
        assert_eq!(names(dir.path()), ["old.yaml", "x"]);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_temporary_file_of_a_process_that_is_gone_is_abandoned_and_ours_is_not() {
        let host = host_tag();
        assert_ne!(host, UNKNOWN_HOST, "this Linux has a boot id and a PID namespace");
        let ours = format!("{TEMP_PREFIX}{host}-{}-3.tmp", std::process::id());
        assert!(!is_abandoned(std::ffi::OsStr::new(&ours)));
        // A process id above the kernel's limit (pid_max is at most 2^22) runs nowhere.
        let gone = format!("{TEMP_PREFIX}{host}-2147483000-1.tmp");
        assert!(is_abandoned(std::ffi::OsStr::new(&gone)));
        // The same, written on another machine or in another container: not ours to judge.
        let elsewhere = format!("{TEMP_PREFIX}0123456789abcdef-2147483000-1.tmp");
        assert!(!is_abandoned(std::ffi::OsStr::new(&elsewhere)));
        for other in [".fluxgen-abc123", ".fluxgen-0-12-1.tmp", "x.tmp", ".fluxgen--1-1.tmp"] {
            assert!(!is_abandoned(std::ffi::OsStr::new(other)), "{other}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_replaced_file_keeps_its_mode_and_a_leftover_temporary_file_is_not_touched() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.yaml");
        fs::write(&path, "old\n").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        // What a killed run with this process id left behind.
        let leftover = dir
            .path()
            .join(format!("{TEMP_PREFIX}{}-{}-1.tmp", host_tag(), std::process::id()));
        fs::write(&leftover, "interrupted").unwrap();
        let mut staging = Staging::new(Durability::Flushed);
        staging.stage(&path, "new\n", true).unwrap();
        staging.commit().unwrap();
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o640);
        assert_eq!(fs::read_to_string(&leftover).unwrap(), "interrupted");
        assert!(is_temporary(leftover.file_name().unwrap()));
    }
}
