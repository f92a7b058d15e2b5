//! One writer per tree: a run that writes holds an exclusive lock on the directory it writes
//! below (the nearest one that exists), for as long as it checks and writes, so two runs on one
//! tree (a CI job and a user, two terminals) never interleave their checks and renames. The
//! second is refused at once, with nothing written. The lock is the kernel's (`flock`): no lock
//! file is left behind, and a run that dies releases it.

use std::fs;
use std::path::{Path, PathBuf};

use crate::Error;

/// Locks held until dropped.
pub(crate) struct TreeLocks {
    _held: Vec<fs::File>,
}

/// Locks the nearest existing directory of each of `dirs` (each once).
pub(crate) fn lock<'a>(dirs: impl IntoIterator<Item = &'a Path>) -> Result<TreeLocks, Error> {
    let mut locked: Vec<PathBuf> = Vec::new();
    let mut held = Vec::new();
    for dir in dirs {
        let Some(existing) = dir
            .ancestors()
            .map(|a| if a.as_os_str().is_empty() { Path::new(".") } else { a })
            .find(|a| fs::metadata(a).is_ok_and(|m| m.is_dir()))
        else {
            continue;
        };
        let key = fs::canonicalize(existing).unwrap_or_else(|_| existing.to_path_buf());
        if locked.contains(&key) {
            continue;
        }
        held.push(lock_one(existing)?);
        locked.push(key);
    }
    Ok(TreeLocks { _held: held })
}

#[cfg(target_os = "linux")]
fn lock_one(dir: &Path) -> Result<fs::File, Error> {
    use rustix::fs::FlockOperation;
    let failed = |source| Error::Read {
        path: dir.to_path_buf(),
        source,
    };
    let handle = fs::File::open(dir).map_err(failed)?;
    match rustix::fs::flock(&handle, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(handle),
        Err(rustix::io::Errno::WOULDBLOCK) => Err(Error::Blocked {
            path: dir.to_path_buf(),
            reason: "another fluxgen run is writing below it: nothing was written; run again once it has finished"
                .into(),
        }),
        Err(errno) => Err(failed(errno.into())),
    }
}

#[cfg(not(target_os = "linux"))]
fn lock_one(dir: &Path) -> Result<fs::File, Error> {
    fs::File::open(dir).map_err(|source| Error::Read {
        path: dir.to_path_buf(),
        source,
    })
}
