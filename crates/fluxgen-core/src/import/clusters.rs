//! The clusters of a repository as import reads them, from the scanner's layout (the one
//! `doctor` and `plan` read): for each, the bootstrap install, the `flux` Kustomization that
//! applies `flux-manifests`, the root Kustomization and its GitRepository, a FluxInstance where
//! the cluster is migrated, and the sync the one sync decision proposes.

use std::collections::BTreeMap;

pub(super) use crate::scan::layout::inside;
use crate::scan::layout::{scopes, sync_path_clusters};
use crate::scan::sync_decision::{Proposal, propose};
use crate::scan::{
    BootstrapInstall, FluxBootstrap, ScannedFluxInstance, ScannedGitRepository, ScannedKustomization,
    ScannedOciRepository, ScannedRepository,
};

/// What import found for one cluster.
pub(super) struct Found<'a> {
    /// The cluster's name.
    pub(super) name: String,
    /// Its directory (`kubernetes/<name>`, or `kubernetes` in a single-cluster repository).
    pub(super) dir: String,
    /// The bootstrap install.
    pub(super) bootstrap: Option<&'a BootstrapInstall>,
    /// The Kustomization applying `flux-manifests`, with its OCIRepository.
    pub(super) flux: Option<(&'a ScannedKustomization, &'a ScannedOciRepository)>,
    /// The root Kustomization (the one that applies its own directory, usually `cluster`).
    pub(super) root: Option<&'a ScannedKustomization>,
    /// The GitRepository the root Kustomization reads.
    pub(super) source: Option<&'a ScannedGitRepository>,
    /// A FluxInstance already in the repository.
    pub(super) instance: Option<&'a ScannedFluxInstance>,
    /// The path of the cluster's `cluster-apps` Kustomization, wherever it is defined.
    pub(super) apps_path: Option<String>,
    /// The sync that keeps what the cluster runs.
    pub(super) proposal: Option<Proposal>,
    /// The root Kustomizations that stay (`cluster-apps`, `cluster-shared`, ...), by name.
    pub(super) staying_roots: Vec<String>,
    /// Whether the name was made up for a layout without one (the single-cluster `kubernetes/`).
    pub(super) named_by_import: bool,
    /// The `flux bootstrap` directory that installs the cluster.
    pub(super) flux_bootstrap: Option<&'a FluxBootstrap>,
    /// The `flux-system` directory of the `flux bootstrap` layout (the bootstrap directory, or
    /// the one holding a FluxInstance inside its own sync path): where fluxgen's apps go.
    pub(super) flux_system_dir: Option<String>,
    /// The name as the bootstrap path writes it, where it is not a valid cluster name.
    pub(super) mapped_from: Option<String>,
}

/// Every cluster of the scanner's layout that has a Flux install or a FluxInstance,
/// keyed by name (`single` for a layout without a cluster name).
pub(super) fn find<'a>(repository: &'a ScannedRepository, single: &str) -> BTreeMap<String, Found<'a>> {
    let flux = repository.flux_manifest_kustomizations();
    let synced = sync_path_clusters(repository);
    scopes(repository, None)
        .iter()
        .filter(|scope| {
            !scope.bootstraps.is_empty()
                || !scope.flux_bootstraps.is_empty()
                || !scope.flux_manifests.is_empty()
                || !scope.instances.is_empty()
        })
        .map(|scope| {
            let name = match &scope.name {
                Some(name) if !scope.unnamed => name.clone(),
                _ => single.to_owned(),
            };
            let bootstrap = scope.bootstraps.first().map(|&i| &repository.bootstrap_installs[i]);
            let flux = flux.iter().copied().find(|(k, _)| {
                scope
                    .flux_manifests
                    .iter()
                    .any(|&i| std::ptr::eq(&repository.kustomizations[i], *k))
            });
            let flux_bootstrap = scope.flux_bootstraps.first().map(|&i| &repository.flux_bootstraps[i]);
            let sync_path = synced.iter().find(|c| scope.name.as_deref() == Some(c.name.as_str()));
            let instance = scope.instances.first().map(|&i| &repository.flux_instances[i]);
            let flux_system_dir = flux_bootstrap.map(|b| b.dir.clone()).or_else(|| {
                let instance = instance.filter(|i| crate::scan::layout::instance_sync_path(i).is_some())?;
                Some(instance.at.file.rsplit_once('/').map_or("", |(dir, _)| dir).to_owned())
            });
            let found = Found {
                flux_bootstrap,
                flux_system_dir,
                mapped_from: sync_path.and_then(|c| c.mapped_from.clone()),
                dir: match scope.dir() {
                    "" => "kubernetes".to_owned(),
                    dir => dir.to_owned(),
                },
                bootstrap,
                flux,
                root: scope.root_kustomization(repository),
                source: scope.root_source.map(|i| &repository.git_repositories[i]),
                instance,
                proposal: propose(repository, scope, crate::facts::DEFAULT_NAMESPACE),
                apps_path: scope
                    .nodes
                    .iter()
                    .find_map(|&n| match repository.graph.nodes[n].origin {
                        crate::scan::build_graph::Origin::Kustomization(i)
                            if repository.kustomizations[i].name == "cluster-apps" =>
                        {
                            repository.kustomizations[i].repo_path().filter(|p| !p.is_empty())
                        }
                        _ => None,
                    }),
                named_by_import: scope.unnamed,
                staying_roots: scope
                    .staying_roots(repository)
                    .iter()
                    .map(|&n| repository.graph.nodes[n].name.clone())
                    .collect(),
                name: name.clone(),
            };
            (name, found)
        })
        .collect()
}
