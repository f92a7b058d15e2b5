//! Finding the clusters of a GOTK repository and, for each, the pieces import reads: the
//! bootstrap install, the `flux` Kustomization that applies `flux-manifests`, the root
//! Kustomization and its GitRepository, and a FluxInstance where the cluster is migrated.

use std::collections::BTreeMap;

use crate::scan::{BootstrapInstall, FluxInstance, GitRepository, Kustomization, OciRepository, Repository};

/// Segments that name a layout directory rather than a cluster below `kubernetes/`.
const LAYOUT_DIRS: [&str; 7] = [
    "apps",
    "bootstrap",
    "flux",
    "cluster",
    "components",
    "templates",
    "clusters",
];

/// What import found for one cluster.
pub(super) struct Found<'a> {
    /// The cluster's name.
    pub(super) name: String,
    /// Its directory (`kubernetes/<name>`, or `kubernetes` in a single-cluster repository).
    pub(super) dir: String,
    /// The bootstrap install.
    pub(super) bootstrap: Option<&'a BootstrapInstall>,
    /// The Kustomization applying `flux-manifests`, with its OCIRepository.
    pub(super) flux: Option<(&'a Kustomization, &'a OciRepository)>,
    /// The root Kustomization (the one that applies its own directory, usually `cluster`).
    pub(super) root: Option<&'a Kustomization>,
    /// The GitRepository the root Kustomization reads.
    pub(super) source: Option<&'a GitRepository>,
    /// A FluxInstance already in the repository.
    pub(super) instance: Option<&'a FluxInstance>,
}

/// Whether `file` is inside `dir` (`""` is the root).
pub(super) fn inside(file: &str, dir: &str) -> bool {
    dir.is_empty() || file.starts_with(&format!("{dir}/"))
}

/// The cluster directory of a file below `kubernetes/`: `kubernetes/<c>` for a multi-cluster
/// layout, `kubernetes` when the next segment is a layout directory (`apps`, `bootstrap`,
/// `flux`, ...).
fn cluster_dir(file: &str) -> Option<String> {
    let mut segments = file.split('/');
    let mut prefix = Vec::new();
    for segment in segments.by_ref() {
        prefix.push(segment);
        if segment == "kubernetes" {
            break;
        }
    }
    if prefix.last() != Some(&"kubernetes") {
        // Not a `kubernetes/` layout: the directory above `bootstrap`, when there is one.
        let parts: Vec<&str> = file.split('/').collect();
        let at = parts.iter().position(|s| *s == "bootstrap")?;
        return Some(parts[..at].join("/"));
    }
    let rest: Vec<&str> = segments.collect();
    match rest.as_slice() {
        [next, _, ..] if !LAYOUT_DIRS.contains(next) => Some(format!("{}/{next}", prefix.join("/"))),
        _ => Some(prefix.join("/")),
    }
}

/// The cluster's name for its directory: the directory's last segment, or `single` for the
/// single-cluster `kubernetes/` layout (or a repository root).
fn cluster_name(dir: &str, single: &str) -> String {
    match dir.rsplit('/').next() {
        Some("kubernetes" | "") | None => single.to_owned(),
        Some(name) => name.to_owned(),
    }
}

/// Every cluster: from the bootstrap installs, the `flux` Kustomizations and the
/// FluxInstances, keyed by name.
pub(super) fn find<'a>(repository: &'a Repository, single: &str) -> BTreeMap<String, Found<'a>> {
    let mut dirs: BTreeMap<String, String> = BTreeMap::new();
    let flux = repository.flux_manifest_kustomizations();
    let files = repository
        .bootstrap_installs
        .iter()
        .map(|b| b.at.file.as_str())
        .chain(flux.iter().map(|(k, _)| k.at.file.as_str()))
        .chain(repository.flux_instances.iter().map(|i| i.at.file.as_str()));
    for file in files {
        if let Some(dir) = cluster_dir(file) {
            dirs.entry(cluster_name(&dir, single)).or_insert(dir);
        }
    }
    dirs.into_iter()
        .map(|(name, dir)| {
            let bootstrap = repository.bootstrap_installs.iter().find(|b| inside(&b.at.file, &dir));
            let flux = flux.iter().copied().find(|(k, _)| inside(&k.at.file, &dir));
            let root = root_kustomization(repository, &dir);
            let source = root.and_then(|root| {
                let reference = root.source_ref.as_ref().filter(|s| s.kind == "GitRepository")?;
                let namespace = reference.namespace.as_deref().or(root.namespace.as_deref());
                repository
                    .git_repositories
                    .iter()
                    .filter(|g| g.name == reference.name)
                    .filter(|g| namespace.is_none() || g.namespace.is_none() || g.namespace.as_deref() == namespace)
                    .min_by_key(|g| !inside(&g.at.file, &dir))
            });
            let instance = repository.flux_instances.iter().find(|i| inside(&i.at.file, &dir));
            let found = Found {
                name: name.clone(),
                dir,
                bootstrap,
                flux,
                root,
                source,
                instance,
            };
            (name, found)
        })
        .collect()
}

/// The root Kustomization of a cluster directory: one that applies the directory holding its
/// own file (`cluster` applying `kubernetes/<c>/flux`, which holds `flux/config/cluster.yaml`);
/// the one named `cluster` when none does.
fn root_kustomization<'a>(repository: &'a Repository, dir: &str) -> Option<&'a Kustomization> {
    let mine = || repository.kustomizations.iter().filter(|k| inside(&k.at.file, dir));
    mine()
        .filter(|k| {
            k.repo_path()
                .is_some_and(|path| !path.is_empty() && inside(&k.at.file, &path))
        })
        .min_by_key(|k| k.name != "cluster")
        .or_else(|| mine().find(|k| k.name == "cluster"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_directories() {
        assert_eq!(
            cluster_dir("kubernetes/main/bootstrap/flux/kustomization.yaml").as_deref(),
            Some("kubernetes/main")
        );
        assert_eq!(
            cluster_dir("kubernetes/bootstrap/flux/kustomization.yaml").as_deref(),
            Some("kubernetes")
        );
        assert_eq!(
            cluster_dir("kubernetes/flux/config/flux.yaml").as_deref(),
            Some("kubernetes")
        );
        assert_eq!(
            cluster_dir("clusters/edge/bootstrap/kustomization.yaml").as_deref(),
            Some("clusters/edge")
        );
        assert_eq!(cluster_dir("kustomization.yaml"), None);
        assert_eq!(cluster_name("kubernetes", "main"), "main");
        assert_eq!(cluster_name("kubernetes/storage", "main"), "storage");
    }
}
