//! Staging new file contents: every file is first written to a temporary file beside its
//! target, and only renamed into place once all are written.
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

/// Whether a file name is one of fluxgen's temporary files, left behind only when a write was
/// interrupted (a kill, a power cut). It is never taken for a generated file: not removed as
/// stale, not reported by `check`.
pub(super) fn is_temporary(name: &std::ffi::OsStr) -> bool {
    name.to_str().is_some_and(|name| name.starts_with(TEMP_PREFIX))
}

/// Whether a temporary file was left by a fluxgen run that no longer runs: its name,
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

/// New contents written to temporary files, not yet in place.
pub(super) struct Staging {
    durability: Durability,
    files: Vec<Staged>,
    /// Directories known to exist (found or created), so each is made once.
    directories: HashSet<PathBuf>,
    /// Makes temporary names unique within this process.
    counter: u64,
    /// This process's id, part of every temporary name.
    process: u32,
    /// One open staged file per file system written to, to flush each once (Linux).
    #[cfg(target_os = "linux")]
    devices: std::collections::HashMap<u64, (fs::File, PathBuf)>,
}

/// One temporary file and the path it becomes. Dropped before it is placed, it removes the
/// temporary file.
struct Staged {
    temp: PathBuf,
    target: PathBuf,
    placed: bool,
    /// Whether a file was at `target` when it was checked (else one that appears since is
    /// never replaced).
    replaces: bool,
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.placed {
            let _ = fs::remove_file(&self.temp);
        }
    }
}

impl Staging {
    /// Nothing staged yet; [`commit`](Self::commit) keeps the promise of `durability`.
    pub(super) fn new(durability: Durability) -> Self {
        Staging {
            durability,
            files: Vec::new(),
            directories: HashSet::new(),
            counter: 0,
            process: std::process::id(),
            #[cfg(target_os = "linux")]
            devices: std::collections::HashMap::new(),
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
        let (temp, mut file) = self.create_temporary(parent).map_err(failed)?;
        let staged = Staged {
            temp,
            target: path.to_path_buf(),
            placed: false,
            replaces,
        };
        if let Some(permissions) = keep_permissions {
            file.set_permissions(permissions).map_err(failed)?;
        }
        file.write_all(content.as_bytes()).map_err(failed)?;
        #[cfg(not(target_os = "linux"))]
        if self.durability == Durability::Flushed {
            file.sync_all().map_err(failed)?;
        }
        #[cfg(target_os = "linux")]
        if self.durability == Durability::Flushed {
            use std::os::unix::fs::MetadataExt;
            let device = file.metadata().map_err(failed)?.dev();
            // One handle kept per file system (to flush it); the others are closed here, so a
            // thousand staged files do not hold a thousand descriptors.
            self.devices.entry(device).or_insert((file, path.to_path_buf()));
        }
        self.files.push(staged);
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
        match fs::create_dir(directory) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let parent = directory.parent().unwrap_or(Path::new(""));
                self.make_directory(parent)?;
                match fs::create_dir(directory) {
                    Err(_) if directory.is_dir() => {}
                    result => result.map_err(failed)?,
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

    /// A new, empty temporary file in `directory` (never an existing one).
    fn create_temporary(&mut self, directory: &Path) -> std::io::Result<(PathBuf, fs::File)> {
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o666);
        loop {
            self.counter += 1;
            // The host tag is read on the first temporary file, not by a run that writes none.
            let name = format!("{TEMP_PREFIX}{}-{}-{}.tmp", host_tag(), self.process, self.counter);
            let temp = directory.join(name);
            match options.open(&temp) {
                Ok(file) => return Ok((temp, file)),
                // Left by an interrupted run that had the same process id: take the next name.
                Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists && self.counter < 1 << 20 => {}
                Err(error) => return Err(error),
            }
        }
    }

    /// Flushes every staged file to disk (when [`Durability::Flushed`]), then renames each
    /// into place, in staging order. Returns the paths written.
    pub(super) fn commit(self) -> Result<Vec<PathBuf>, Error> {
        #[cfg(target_os = "linux")]
        for (file, path) in self.devices.values() {
            // Once per file system: every staged file's data, before any rename.
            rustix::fs::syncfs(file).map_err(|errno| Error::Write {
                path: path.clone(),
                source: errno.into(),
            })?;
        }
        let mut written = Vec::with_capacity(self.files.len());
        for mut staged in self.files {
            if let Err(source) = place(&staged.temp, &staged.target, staged.replaces) {
                let path = staged.target.clone();
                return Err(if written.is_empty() {
                    Error::Write { path, source }
                } else {
                    Error::PartlyWritten { written, path, source }
                });
            }
            staged.placed = true;
            written.push(std::mem::take(&mut staged.target));
        }
        Ok(written)
    }
}

/// Renames `temp` to `target`; when `replaces` is false, never over a file that appeared at
/// `target` since the checks (another program wrote it): that fails with `AlreadyExists`.
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
        assert_eq!(names(&dir.path().join("a")), ["b"]);
        assert!(names(&dir.path().join("a/b")).is_empty());
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
