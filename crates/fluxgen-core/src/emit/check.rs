//! `fluxgen check`: does the committed tree equal what the config generates?

use std::fmt;
use std::path::{Path, PathBuf};

use similar::TextDiff;

use super::Tree;
use super::write::{Change, Pending, pending};
use crate::Error;
#[cfg(feature = "generator")]
use crate::{Config, emit::write::each_cluster};

/// One way a committed tree differs from what the config generates.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Drift {
    /// The file: below the `root` given to [`check_clusters`], relative to it (as a reviewer
    /// reads it: join it to the root to open the file); from [`check`], as the tree's directory
    /// gives it.
    pub path: PathBuf,
    /// What differs.
    pub kind: DriftKind,
    /// A unified diff from the committed file to the generated one (empty when not a content
    /// change).
    pub diff: String,
}

/// Kinds of drift.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DriftKind {
    /// A generated file is missing.
    Missing,
    /// A generated file was edited, or the config changed since it was written.
    Changed,
    /// A generated file the config no longer produces.
    Stale,
    /// A file without fluxgen's marker sits where a generated file belongs.
    NotGenerated,
    /// The user's namespace `kustomization.yaml` lacks a line the apps need.
    IndexLine(String),
    /// The user's namespace `kustomization.yaml` lists an app fluxgen no longer generates (a
    /// phase went back): kustomize fails on it until the line goes.
    RetiredIndexLine(String),
}

impl fmt::Display for Drift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.display();
        match &self.kind {
            DriftKind::Missing => write!(f, "{path}: missing"),
            DriftKind::Changed => write!(f, "{path}: differs from what the config generates"),
            DriftKind::Stale => write!(f, "{path}: no longer generated (fluxgen emit removes it)"),
            DriftKind::NotGenerated => {
                write!(
                    f,
                    "{path}: a file fluxgen did not write sits where a generated file belongs"
                )
            }
            DriftKind::IndexLine(line) => write!(f, "{path}: does not list `{line}`"),
            DriftKind::RetiredIndexLine(line) => write!(
                f,
                "{path}: lists `{line}`, which fluxgen no longer generates: remove the line (kustomize fails on it)"
            ),
        }
    }
}

/// Compares each tree with the files in its directory. Reads only.
///
/// ```
/// let config = fluxgen_core::Config::example();
/// let dir = tempfile::tempdir().unwrap();
/// let tree = fluxgen_core::plan(&config, "edge")?;
/// let trees = [(dir.path().to_path_buf(), tree)];
/// assert!(!fluxgen_core::check(&trees)?.is_empty(), "nothing written yet: everything is missing");
/// fluxgen_core::write(&trees)?;
/// assert_eq!(fluxgen_core::check(&trees)?, vec![]);
/// # Ok::<(), fluxgen_core::Error>(())
/// ```
pub fn check(trees: &[(PathBuf, Tree)]) -> Result<Vec<Drift>, Error> {
    let mut drifts = drifts(pending(trees)?, Path::new(""));
    drifts.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(drifts)
}

/// Plans the named clusters and compares each tree with its directory below `root`
/// ([`tree_dir`](crate::emit::tree_dir)): [`check`] of their [`plan`](crate::plan)s, on every core,
/// holding only what drifts. Paths, in [`Drift::path`] and in the diff headers, are relative to
/// `root`, however `root` is spelled (`.`, `..`, absolute).
///
/// ```
/// let config = fluxgen_core::Config::example();
/// let root = tempfile::tempdir().unwrap();
/// let names: Vec<String> = config.clusters.keys().cloned().collect();
/// assert!(!fluxgen_core::check_clusters(&config, &names, root.path())?.is_empty());
/// fluxgen_core::write_clusters(&config, &names, root.path())?;
/// assert_eq!(fluxgen_core::check_clusters(&config, &names, root.path())?, vec![]);
/// # Ok::<(), fluxgen_core::Error>(())
/// ```
#[cfg(feature = "generator")]
pub fn check_clusters(config: &Config, clusters: &[String], root: &Path) -> Result<Vec<Drift>, Error> {
    let mut drifts: Vec<Drift> = each_cluster(config, clusters, root, |pending| drifts(pending, root))?
        .into_iter()
        .flatten()
        .collect();
    drifts.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(drifts)
}

/// What `pending` found, as drifts (unsorted), with paths relative to `root`.
fn drifts(pending: Pending, root: &Path) -> Vec<Drift> {
    let mut drifts = Vec::new();
    let drift = |path: PathBuf, kind: DriftKind, old: &str, new: &str| {
        let path = under(path, root);
        let diff = unified(&path, old, new);
        Drift { path, kind, diff }
    };
    for change in pending.changes {
        match change {
            Change::Write { path, old: None, new } => drifts.push(drift(path, DriftKind::Missing, "", &new)),
            Change::Write {
                path,
                old: Some(old),
                new,
            } => drifts.push(drift(path, DriftKind::Changed, &old, &new)),
            Change::Remove { path, old } => drifts.push(drift(path, DriftKind::Stale, &old, "")),
            Change::CreateTree(tree) => drifts.extend(
                tree.files
                    .into_iter()
                    .map(|(path, new)| drift(path, DriftKind::Missing, "", &new)),
            ),
        }
    }
    for path in pending.foreign {
        drifts.push(Drift {
            path: under(path, root),
            kind: DriftKind::NotGenerated,
            diff: String::new(),
        });
    }
    for (path, line) in pending.index_lines {
        drifts.push(Drift {
            path: under(path, root),
            kind: DriftKind::IndexLine(line),
            diff: String::new(),
        });
    }
    for (path, line) in pending.retired_lines {
        drifts.push(Drift {
            path: under(path, root),
            kind: DriftKind::RetiredIndexLine(line),
            diff: String::new(),
        });
    }
    drifts
}

/// `path` relative to `root` when it is below it (paths below a root are joined to it, so the
/// prefix is the root as spelled).
pub(crate) fn under(path: PathBuf, root: &Path) -> PathBuf {
    match path.strip_prefix(root) {
        Ok(relative) if !relative.as_os_str().is_empty() => relative.to_path_buf(),
        _ => path,
    }
}

fn unified(path: &std::path::Path, old: &str, new: &str) -> String {
    let name = path.display().to_string();
    TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{name}"), &format!("b/{name}"))
        .to_string()
}
