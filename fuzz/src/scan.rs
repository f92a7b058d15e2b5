//! The scanner target: a temporary repository of mutated files, directories and symlinks
//! (loops, links out of the repository, dangling links), scanned; the runbook of the built-in
//! example reads it too.
//!
//! An input is a list of entries, each after a header line: `@@ path` for a file (its bytes
//! follow), `@@ path -> target` for a symlink, `@@ path/` for a directory. Bytes before the
//! first header are a file `root.yaml`. Paths are kept inside the repository (`..` becomes
//! `_`); link targets that would leave the temporary directory point at its `outside/` instead.

use std::fs;
use std::path::{Component as PathPart, Path, PathBuf};
use std::sync::OnceLock;

use fluxgen_core::{Config, runbook, scan};

use crate::seeds::Entry;
use crate::signature;

/// A file beside the repository, reachable only through a link out of it: the scanner must
/// never read it.
const OUTSIDE_MARKER: &str = "outside-marker.yaml";

const MAX_ENTRIES: usize = 64;

/// Serializes entries as a scan input.
pub fn encode(entries: &[(String, Entry)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (path, entry) in entries {
        match entry {
            Entry::File(bytes) => {
                out.extend_from_slice(format!("@@ {path}\n").as_bytes());
                out.extend_from_slice(bytes);
                out.push(b'\n');
            }
            Entry::Link(target) => out.extend_from_slice(format!("@@ {path} -> {target}\n").as_bytes()),
        }
    }
    out
}

/// The entries of a scan input, paths made safe.
pub fn decode(data: &[u8]) -> Vec<(PathBuf, Option<Entry>)> {
    let mut chunks: Vec<&[u8]> = Vec::new();
    let mut rest = data;
    let body = if let Some(stripped) = rest.strip_prefix(b"@@ ") {
        rest = stripped;
        None
    } else {
        let end = find(rest, b"\n@@ ").unwrap_or(rest.len());
        let first = &rest[..end];
        rest = rest.get(end + 4..).unwrap_or_default();
        Some(first)
    };
    while !rest.is_empty() && chunks.len() < MAX_ENTRIES {
        let end = find(rest, b"\n@@ ").unwrap_or(rest.len());
        chunks.push(&rest[..end]);
        rest = rest.get(end + 4..).unwrap_or_default();
    }
    let mut entries = Vec::new();
    if let Some(body) = body.filter(|b| !b.is_empty()) {
        entries.push((PathBuf::from("root.yaml"), Some(Entry::File(body.to_vec()))));
    }
    for chunk in chunks {
        let (header, content) = match chunk.iter().position(|b| *b == b'\n') {
            Some(i) => (&chunk[..i], &chunk[i + 1..]),
            None => (chunk, &[][..]),
        };
        let header = String::from_utf8_lossy(header).replace('\0', "_");
        let (path, entry) = match header.split_once(" -> ") {
            Some((path, target)) => (path.to_owned(), Some(Entry::Link(target.to_owned()))),
            None if header.ends_with('/') => (header.clone(), None),
            None => (header.clone(), Some(Entry::File(content.to_vec()))),
        };
        if let Some(path) = safe_path(&path) {
            entries.push((path, entry));
        }
    }
    entries
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A relative path of at most 8 normal segments of at most 64 bytes; `..` becomes `_`.
fn safe_path(path: &str) -> Option<PathBuf> {
    let parts: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .take(8)
        .map(|s| {
            let s = if s == ".." { "_" } else { s };
            s.chars().take(64).collect()
        })
        .collect();
    (!parts.is_empty()).then(|| parts.iter().collect())
}

/// Runs the scanner target on `data`.
pub fn run(data: &[u8]) -> u64 {
    // In memory where the machine has a tmpfs: thousands of small repositories a minute.
    let base = tempfile::tempdir_in("/dev/shm")
        .or_else(|_| tempfile::tempdir())
        .expect("a temporary directory");
    let base_path = fs::canonicalize(base.path()).expect("the temporary directory resolves");
    let repo = base_path.join("repo");
    let outside = base_path.join("outside");
    fs::create_dir_all(&repo).expect("create the repository");
    fs::create_dir_all(&outside).expect("create the outside directory");
    fs::write(
        outside.join(OUTSIDE_MARKER),
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata: {name: outside}\nspec: {url: https://outside}\n",
    )
    .expect("write the outside marker");
    for (path, entry) in decode(data) {
        let _ = materialize(&base_path, &repo, &path, entry.as_ref());
    }
    let repository = scan(&repo).unwrap_or_else(|e| panic!("the scan of a readable root failed: {e}"));
    assert!(
        !repository.yaml_files.iter().any(|f| f.ends_with(OUTSIDE_MARKER)),
        "the scanner read a file outside the repository through a link: {:?}",
        repository.yaml_files
    );
    assert!(
        !repository.git_repositories.iter().any(|g| g.name == "outside"),
        "the scanner read an object outside the repository"
    );
    for kustomization in &repository.kustomizations {
        if let Some(path) = &kustomization.path {
            let _ = repository.applied_files(path);
        }
        let _ = kustomization.repo_path();
    }
    for dir in repository.kustomize_files.keys() {
        let _ = repository.applied_files(dir);
    }
    let _ = repository.flux_manifest_kustomizations();
    for file in &repository.yaml_files {
        let _ = repository.is_sops(file);
    }
    for note in &repository.notes {
        let _ = note.to_string();
    }
    // Counts in powers of two, and the kinds of notes: the shape of what was found.
    let bucket = |n: usize| usize::BITS - n.leading_zeros();
    let mut notes: Vec<String> = repository.notes.iter().map(|n| format!("{:?}", n.kind)).collect();
    notes.sort();
    notes.dedup();
    let outcome = (
        [
            repository.yaml_files.len(),
            repository.objects.len(),
            repository.git_repositories.len(),
            repository.oci_repositories.len(),
            repository.kustomizations.len(),
            repository.helm_releases.len(),
            repository.flux_instances.len(),
            repository.bootstrap_installs.len(),
            repository.kustomize_files.len(),
            repository.sops_files.len(),
        ]
        .map(bucket),
        notes,
    );
    // The runbook reads the repository too, through its own findings.
    static EXAMPLE: OnceLock<Config> = OnceLock::new();
    let _ = runbook(EXAMPLE.get_or_init(Config::example), "edge", &repo);
    signature(format!("{outcome:?}"))
}

/// Creates one entry below `repo`, never outside `base`.
fn materialize(base: &Path, repo: &Path, path: &Path, entry: Option<&Entry>) -> std::io::Result<()> {
    let parent = match path.parent() {
        Some(parent) => create_dirs_inside(base, repo, parent)?,
        None => repo.to_path_buf(),
    };
    let name = path.file_name().unwrap_or_default();
    let target = parent.join(name);
    match entry {
        None => create_dirs_inside(base, repo, path).map(|_| ()),
        Some(Entry::File(bytes)) => {
            if fs::symlink_metadata(&target).is_ok() {
                return Ok(());
            }
            fs::write(&target, bytes)
        }
        Some(Entry::Link(link)) => {
            let link = link_target(base, &parent, link);
            #[cfg(unix)]
            std::os::unix::fs::symlink(link, &target)?;
            Ok(())
        }
    }
}

/// Creates `relative`'s directories below `repo` one by one, refusing any that resolves
/// outside `base` (a link created by an earlier entry may lead there).
fn create_dirs_inside(base: &Path, repo: &Path, relative: &Path) -> std::io::Result<PathBuf> {
    let mut current = repo.to_path_buf();
    for part in relative.components() {
        let next = current.join(part);
        if fs::symlink_metadata(&next).is_err() {
            fs::create_dir(&next)?;
        }
        let resolved = fs::canonicalize(&next)?;
        if !resolved.starts_with(base) || !resolved.is_dir() {
            return Err(std::io::Error::other("outside the temporary directory"));
        }
        current = resolved;
    }
    Ok(current)
}

/// The target of a link in `dir`: as written, unless it is absolute or climbs out of `base`,
/// in which case the `outside/` directory beside the repository.
fn link_target(base: &Path, dir: &Path, target: &str) -> PathBuf {
    let escape = || {
        let depth = dir.strip_prefix(base).map_or(0, |r| r.components().count());
        let mut up: PathBuf = (0..depth).map(|_| "..").collect();
        up.push("outside");
        up
    };
    let written = Path::new(target);
    if target.is_empty() || written.is_absolute() {
        return escape();
    }
    let mut depth = dir.strip_prefix(base).map_or(0, |r| r.components().count()) as i64;
    for part in written.components() {
        match part {
            PathPart::ParentDir => depth -= 1,
            PathPart::Normal(_) => depth += 1,
            _ => {}
        }
        if depth < 0 {
            return escape();
        }
    }
    written.to_path_buf()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_round_trip_and_paths_stay_inside() {
        let entries = vec![
            (
                "a/kustomization.yaml".to_owned(),
                Entry::File(b"resources: []\n".to_vec()),
            ),
            ("a/loop".to_owned(), Entry::Link("..".to_owned())),
        ];
        let decoded = decode(&encode(&entries));
        assert_eq!(
            decoded,
            vec![
                (
                    PathBuf::from("a/kustomization.yaml"),
                    Some(Entry::File(b"resources: []\n".to_vec()))
                ),
                (PathBuf::from("a/loop"), Some(Entry::Link("..".to_owned()))),
            ]
        );
        assert_eq!(safe_path("../../etc/passwd"), Some(PathBuf::from("_/_/etc/passwd")));
        assert_eq!(safe_path("/"), None);
        let base = Path::new("/tmp/base");
        assert_eq!(link_target(base, &base.join("repo/a"), "../.."), PathBuf::from("../.."));
        assert_eq!(
            link_target(base, &base.join("repo/a"), "../../.."),
            PathBuf::from("../../outside")
        );
        assert_eq!(
            link_target(base, &base.join("repo"), "/etc"),
            PathBuf::from("../outside")
        );
    }
}
