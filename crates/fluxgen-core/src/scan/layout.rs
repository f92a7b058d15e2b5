//! The layout: the clusters of a repository and what belongs to each. One function,
//! [`scopes`], decides it for `doctor`, `import` and `plan` alike: each cluster's directories
//! (from `fluxgen.yaml`, and from the layout: `kubernetes/<cluster>/{apps,flux,bootstrap,
//! cluster,sync}`, `kubernetes/clusters/<cluster>`, `clusters/<cluster>`; a single-cluster
//! `kubernetes/` is one unnamed cluster), every file its Kustomizations apply, its Flux installs
//! (a bootstrap install anywhere: beside the cluster, or at the repository root when it is the
//! only cluster), its root Kustomizations and root GitRepository, its FluxInstances, and its
//! phase.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use super::build_graph::{BuildGraph, Origin};
use crate::config::{Cluster, Config, Phase};
use crate::scan::{Chart, ScannedHelmRelease, ScannedKustomization, ScannedRepository};

/// Where a cluster's phase comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PhaseSource {
    /// `fluxgen.yaml`.
    Config,
    /// What the repository holds.
    Inferred,
    /// Nothing tells: no Flux install and no FluxInstance was found.
    Unknown,
}

/// Directories below `kubernetes/` that are part of a layout, not a cluster.
const LAYOUT_DIRS: [&str; 12] = [
    "apps",
    "bootstrap",
    "flux",
    "cluster",
    "clusters",
    "components",
    "templates",
    "shared",
    "base",
    "common",
    "repositories",
    crate::facts::DEFAULT_NAMESPACE,
];

/// What a cluster directory holds directly below it.
const CLUSTER_CHILDREN: [&str; 5] = ["apps", "flux", "bootstrap", "cluster", "sync"];

/// One cluster and what belongs to it.
pub(crate) struct ClusterScope<'a> {
    pub(crate) name: Option<String>,
    pub(crate) roots: Vec<String>,
    pub(crate) phase: Option<Phase>,
    pub(crate) phase_source: PhaseSource,
    pub(crate) phase_reason: String,
    /// Its entry in `fluxgen.yaml`.
    pub(crate) cluster: Option<&'a Cluster>,
    /// Every file under its roots or applied by its Kustomizations.
    pub(crate) files: HashSet<&'a str>,
    /// Its ownership nodes (Kustomizations defined in its files, its FluxInstances' syncs).
    pub(crate) nodes: Vec<usize>,
    /// Whether each ownership node is one of `nodes`.
    member: Vec<bool>,
    /// Its FluxInstances (`repository.flux_instances` indices).
    pub(crate) instances: Vec<usize>,
    /// Its bootstrap installs (`repository.bootstrap_installs` indices).
    pub(crate) bootstraps: Vec<usize>,
    /// Its `flux bootstrap` directories (`repository.flux_bootstraps` indices).
    pub(crate) flux_bootstraps: Vec<usize>,
    /// Its Kustomizations applying `flux-manifests` (`repository.kustomizations` indices).
    pub(crate) flux_manifests: Vec<usize>,
    /// Files committing the Flux install itself (CRDs and controller Deployments, e.g.
    /// `gotk-components.yaml`).
    pub(crate) committed_installs: Vec<String>,
    /// Its flux-operator HelmReleases (`repository.helm_releases` indices).
    pub(crate) operators: Vec<usize>,
    /// Its root Kustomizations (graph nodes): those that apply their own definition (GOTK's
    /// `cluster`, bootstrap's `flux-system`) and every Kustomization they apply directly
    /// (`cluster-apps`, `cluster-shared`, `flux`, ...).
    pub(crate) root_nodes: Vec<usize>,
    /// The root Kustomization itself (a graph node of a repository Kustomization): the one that
    /// applies its own definition, `cluster` or `flux-system` first.
    pub(crate) root: Option<usize>,
    /// The GitRepository the root reads (`repository.git_repositories` index).
    pub(crate) root_source: Option<usize>,
    /// The cluster's main directory (see [`ClusterScope::dir`]).
    dir: String,
    /// Kustomizations (graph nodes) no cluster's directories hold: a sync may still adopt them.
    pub(crate) unowned_nodes: Vec<usize>,
    /// Whether the layout names no cluster (a single-cluster `kubernetes/`): the cluster is
    /// then called [`SINGLE_CLUSTER_NAME`], as `fluxgen import` calls it by default.
    pub(crate) unnamed: bool,
}

/// What a single-cluster layout's cluster is called when nothing names it.
pub(crate) const SINGLE_CLUSTER_NAME: &str = "main";

impl ClusterScope<'_> {
    /// Whether a file belongs to the cluster.
    pub(crate) fn contains(&self, file: &str) -> bool {
        self.files.contains(file)
    }

    /// Whether an ownership node belongs to the cluster.
    pub(crate) fn has_node(&self, node: usize) -> bool {
        self.member.get(node).copied().unwrap_or(false)
    }

    /// The cluster's name as findings carry it.
    pub(crate) fn label(&self) -> String {
        match &self.name {
            Some(name) => format!("cluster `{name}`"),
            None => "the cluster".to_owned(),
        }
    }

    /// Whether anything installs Flux the old way (bootstrap, `flux-manifests`, committed).
    pub(crate) fn has_old_install(&self) -> bool {
        !self.bootstraps.is_empty()
            || !self.flux_bootstraps.is_empty()
            || !self.flux_manifests.is_empty()
            || !self.committed_installs.is_empty()
    }

    /// The files `flux bootstrap` wrote for the cluster (`gotk-components.yaml`,
    /// `gotk-sync.yaml`), relative to the repository root.
    pub(crate) fn gotk_files<'r>(&self, repository: &'r ScannedRepository) -> Vec<&'r str> {
        self.flux_bootstraps
            .iter()
            .flat_map(|&i| repository.flux_bootstraps[i].gotk_files())
            .collect()
    }

    /// The root Kustomization, as the repository defines it.
    pub(crate) fn root_kustomization<'r>(&self, repository: &'r ScannedRepository) -> Option<&'r ScannedKustomization> {
        match repository.graph.nodes[self.root?].origin {
            Origin::Kustomization(index) => Some(&repository.kustomizations[index]),
            Origin::Sync(_) => None,
        }
    }

    /// The root Kustomizations that stay (graph nodes): every one but the root itself and the
    /// `flux-manifests` Kustomizations (`cluster-apps`, `cluster-shared`, `cluster-vars`, ...).
    /// They move into a new root's sync directory before the old root retires.
    pub(crate) fn staying_roots(&self, repository: &ScannedRepository) -> Vec<usize> {
        let flux: Vec<&str> = self
            .flux_manifests
            .iter()
            .map(|&i| repository.kustomizations[i].at.file.as_str())
            .collect();
        self.root_nodes
            .iter()
            .copied()
            .filter(|&n| {
                let node = &repository.graph.nodes[n];
                Some(n) != self.root
                    && matches!(node.origin, Origin::Kustomization(_))
                    && !flux.contains(&node.at.file.as_str())
            })
            .collect()
    }

    /// The cluster's main directory: of those named after it, the one holding its Flux install,
    /// root or FluxInstance (`kubernetes/clusters/main` rather than `kubernetes/apps/main`), else
    /// the shortest of its directories.
    pub(crate) fn dir(&self) -> &str {
        &self.dir
    }
}

/// Whether `file` is `dir` or inside it (`""` is the whole repository).
pub(crate) fn inside(file: &str, dir: &str) -> bool {
    dir.is_empty() || file == dir || (file.starts_with(dir) && file.as_bytes().get(dir.len()) == Some(&b'/'))
}

/// Every cluster of the repository, with what belongs to it.
pub(crate) fn scopes<'a>(repository: &'a ScannedRepository, config: Option<&'a Config>) -> Vec<ClusterScope<'a>> {
    let ownership = &repository.graph;
    let mut found: BTreeMap<Option<String>, (Vec<String>, Option<&'a Cluster>)> = BTreeMap::new();
    for (name, roots) in detect(repository) {
        found.insert(Some(name), (roots, None));
    }
    if let Some(config) = config {
        for (name, cluster) in &config.clusters {
            let entry = found.entry(Some(name.clone())).or_insert_with(|| (Vec::new(), None));
            entry.1 = Some(cluster);
            for root in config_roots(cluster) {
                if !entry.0.contains(&root) {
                    entry.0.push(root);
                }
            }
        }
    }
    let unnamed = found.is_empty();
    if unnamed {
        found.insert(Some(SINGLE_CLUSTER_NAME.to_owned()), (vec![String::new()], None));
    }
    let defined = defined_in(ownership);
    let installs = committed_installs(repository);
    let operator_sources = operator_sources(repository);
    let mut scopes: Vec<ClusterScope<'a>> = found
        .into_iter()
        .map(|(name, (mut roots, cluster))| {
            roots.sort();
            let mut scope = ClusterScope {
                name,
                roots,
                phase: None,
                phase_source: PhaseSource::Unknown,
                phase_reason: String::new(),
                cluster,
                files: HashSet::new(),
                nodes: Vec::new(),
                member: Vec::new(),
                instances: Vec::new(),
                bootstraps: Vec::new(),
                flux_bootstraps: Vec::new(),
                flux_manifests: Vec::new(),
                committed_installs: Vec::new(),
                operators: Vec::new(),
                root_nodes: Vec::new(),
                root: None,
                root_source: None,
                unowned_nodes: Vec::new(),
                dir: String::new(),
                unnamed,
            };
            fill(
                &mut scope,
                repository,
                ownership,
                &defined,
                &installs,
                &operator_sources,
            );
            find_roots(&mut scope, repository);
            scope.dir = main_dir(&scope, repository);
            scope
        })
        .collect();
    attach_unplaced_installs(&mut scopes, repository);
    let unowned: Vec<usize> = (0..repository.graph.nodes.len())
        .filter(|&n| !scopes.iter().any(|s| s.has_node(n)))
        .collect();
    for scope in &mut scopes {
        scope.unowned_nodes.clone_from(&unowned);
    }
    for scope in &mut scopes {
        judge_phase(scope, repository);
    }
    scopes
}

/// The directory a cluster is named after that holds the most of its Flux setup (the root
/// Kustomization, FluxInstances, bootstrap installs), else its shortest directory.
fn main_dir(scope: &ClusterScope, repository: &ScannedRepository) -> String {
    let mut evidence: Vec<&str> = Vec::new();
    if let Some(root) = scope.root_kustomization(repository) {
        evidence.push(&root.at.file);
    }
    evidence.extend(
        scope
            .instances
            .iter()
            .map(|&i| repository.flux_instances[i].at.file.as_str()),
    );
    evidence.extend(
        scope
            .bootstraps
            .iter()
            .map(|&i| repository.bootstrap_installs[i].at.file.as_str()),
    );
    let named: Vec<&String> = scope
        .roots
        .iter()
        .filter(|r| {
            scope
                .name
                .as_deref()
                .is_some_and(|name| r.rsplit('/').next() == Some(name))
        })
        .collect();
    let candidates = if named.is_empty() {
        scope.roots.iter().collect()
    } else {
        named
    };
    candidates
        .into_iter()
        .max_by_key(|r| {
            (
                evidence.iter().filter(|f| inside(f, r)).count(),
                std::cmp::Reverse(r.len()),
            )
        })
        .cloned()
        .unwrap_or_default()
}

/// The other clusters that still need a bootstrap install this cluster shares with them (before
/// their cutover): it stays in the repository for them until the last one's cutover.
pub(crate) fn install_kept_for(scopes: &[ClusterScope], this: &ClusterScope, install: usize) -> Vec<String> {
    scopes
        .iter()
        .filter(|s| s.name != this.name && s.bootstraps.contains(&install))
        .filter(|s| s.phase.is_none_or(|p| p < Phase::Cutover))
        .filter_map(|s| s.name.clone())
        .collect()
}

/// A bootstrap install outside every cluster's directories (`bootstrap/flux/` at the
/// repository root) belongs to the clusters its path names, else to every cluster: any of them
/// may be the one that applies it, and it is a Flux install left in each of them.
fn attach_unplaced_installs<'a>(scopes: &mut [ClusterScope<'a>], repository: &'a ScannedRepository) {
    for (index, install) in repository.bootstrap_installs.iter().enumerate() {
        if scopes.iter().any(|s| s.bootstraps.contains(&index)) {
            continue;
        }
        let segments: Vec<&str> = install.at.file.split('/').collect();
        let named = |scope: &ClusterScope| scope.name.as_deref().is_some_and(|n| segments.contains(&n));
        let any_named = scopes.iter().any(|s| !s.unnamed && named(s));
        for scope in scopes.iter_mut() {
            if !any_named || named(scope) {
                scope.bootstraps.push(index);
                scope.files.insert(&install.at.file);
            }
        }
    }
}

/// The cluster's root Kustomizations, its root and the GitRepository the root reads.
fn find_roots(scope: &mut ClusterScope, repository: &ScannedRepository) {
    let graph = &repository.graph;
    let self_applied: Vec<usize> = scope
        .nodes
        .iter()
        .copied()
        .filter(|&n| {
            let node = &graph.nodes[n];
            matches!(node.origin, Origin::Sync(_)) || node.build.files.contains(&node.at.file)
        })
        .collect();
    let mut roots: Vec<usize> = self_applied.clone();
    for &root in &self_applied {
        roots.extend(
            graph.nodes[root].applies.iter().filter(|&&child| {
                scope.has_node(child) && matches!(graph.nodes[child].origin, Origin::Kustomization(_))
            }),
        );
    }
    roots.sort();
    roots.dedup();
    scope.root_nodes = roots;
    scope.root = self_applied
        .iter()
        .copied()
        .filter(|&n| matches!(graph.nodes[n].origin, Origin::Kustomization(_)))
        .min_by_key(|&n| {
            let node = &graph.nodes[n];
            (
                !matches!(node.name.as_str(), "cluster" | crate::facts::DEFAULT_NAMESPACE),
                node.dir.as_ref().map_or(usize::MAX, String::len),
                n,
            )
        });
    let Some(root) = scope.root_kustomization(repository) else {
        return;
    };
    let Some(reference) = root.source_ref.as_ref().filter(|s| s.kind == "GitRepository") else {
        return;
    };
    let namespace = reference.namespace.as_deref().or(root.namespace.as_deref());
    scope.root_source = (0..repository.git_repositories.len())
        .filter(|&i| {
            let source = &repository.git_repositories[i];
            source.name == reference.name
                && (namespace.is_none() || source.namespace.is_none() || source.namespace.as_deref() == namespace)
        })
        .min_by_key(|&i| !scope.contains(&repository.git_repositories[i].at.file));
}

/// Cluster names and their directories, from the repository's layout.
fn detect(repository: &ScannedRepository) -> BTreeMap<String, Vec<String>> {
    let mut clusters: BTreeMap<String, Vec<String>> = BTreeMap::new();
    fn add(clusters: &mut BTreeMap<String, Vec<String>>, name: &str, root: String) {
        let roots = clusters.entry(name.to_owned()).or_default();
        if !roots.contains(&root) {
            roots.push(root);
        }
    }
    // The `flux bootstrap` layout: a cluster per sync path. Where it is, a `clusters/<name>`
    // directory without one is an overlay another cluster applies (a spoke), not a cluster.
    let synced = sync_path_clusters(repository);
    for named in &synced {
        add(&mut clusters, &named.name, named.path.clone());
    }
    for file in &repository.yaml_files {
        let segments: Vec<&str> = file.split('/').collect();
        let Some(at) = segments.iter().position(|s| *s == "kubernetes" || *s == "clusters") else {
            continue;
        };
        let prefix = segments[..=at].join("/");
        let rest = &segments[at + 1..];
        match (segments[at], rest) {
            ("kubernetes", ["clusters", name, _, ..]) => add(&mut clusters, name, format!("{prefix}/clusters/{name}")),
            ("kubernetes", [name, child, _, ..]) if !LAYOUT_DIRS.contains(name) && CLUSTER_CHILDREN.contains(child) => {
                add(&mut clusters, name, format!("{prefix}/{name}"))
            }
            ("clusters", [name, _, ..]) if at == 0 && synced.is_empty() => {
                add(&mut clusters, name, format!("{prefix}/{name}"))
            }
            _ => {}
        }
    }
    // `kubernetes/apps/<cluster>/` next to `kubernetes/clusters/<cluster>/`.
    let names: HashSet<String> = clusters.keys().cloned().collect();
    for file in &repository.yaml_files {
        let Some(at) = file.find("kubernetes/apps/") else {
            continue;
        };
        if at > 0 && file.as_bytes()[at - 1] != b'/' {
            continue;
        }
        let start = at + "kubernetes/apps/".len();
        let Some((name, _)) = file[start..].split_once('/') else {
            continue;
        };
        if names.contains(name) {
            add(&mut clusters, name, file[..start + name.len()].to_owned());
        }
    }
    clusters
}

/// A cluster of the `flux bootstrap` layout: named from the path its root Kustomization
/// applies (a bootstrap directory's, or a FluxInstance's that lies inside its own sync path,
/// as the operator's migration guide leaves it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SyncPathCluster {
    /// The cluster's name: a DNS-1123 label.
    pub(crate) name: String,
    /// The path (`clusters/staging`; `""` for the repository root).
    pub(crate) path: String,
    /// The name as the path writes it, when it is not a valid cluster name
    /// (`talos_cluster`, mapped to `talos-cluster`).
    pub(crate) mapped_from: Option<String>,
}

/// The clusters of the `flux bootstrap` layout, by path: a bootstrap directory (real or a
/// placeholder) gives one, and so does a FluxInstance whose file lies inside its sync path.
/// Each is named after its path's last directory, or its last two joined where two paths end
/// alike (`eu/prod`, `us/prod` → `eu-prod`, `us-prod`), mapped to a DNS-1123 label.
pub(crate) fn sync_path_clusters(repository: &ScannedRepository) -> Vec<SyncPathCluster> {
    let mut paths: Vec<String> = repository.flux_bootstraps.iter().map(|b| b.path.clone()).collect();
    paths.extend(repository.flux_instances.iter().filter_map(instance_sync_path));
    paths.sort();
    paths.dedup();
    let last = |path: &str, count: usize| -> String {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        segments[segments.len().saturating_sub(count)..].join("-")
    };
    paths
        .iter()
        .map(|path| {
            let alike = paths.iter().filter(|other| last(other, 1) == last(path, 1)).count();
            let written = if path.is_empty() {
                SINGLE_CLUSTER_NAME.to_owned()
            } else if alike > 1 {
                last(path, 2)
            } else {
                last(path, 1)
            };
            let name = dns_label(&written);
            SyncPathCluster {
                mapped_from: (name != written).then_some(written),
                name,
                path: path.clone(),
            }
        })
        .collect()
}

/// The sync path of a FluxInstance committed where the operator's migration guide leaves it:
/// in `<path>/flux-system/`, syncing `<path>` (the bootstrap path it took over).
pub(crate) fn instance_sync_path(instance: &crate::scan::ScannedFluxInstance) -> Option<String> {
    let path = crate::scan::normalize_repo_path(instance.sync.as_ref()?.path.as_deref()?);
    let (dir, _) = instance.at.file.rsplit_once('/')?;
    let (parent, name) = dir.rsplit_once('/').unwrap_or(("", dir));
    let namespace = instance.namespace.as_deref().unwrap_or(crate::facts::DEFAULT_NAMESPACE);
    (parent == path && name == namespace && !path.is_empty()).then_some(path)
}

/// A DNS-1123 label made from a directory name: lowercase, every other character a `-`,
/// no `-` at either end, at most 63 characters (`talos_cluster` → `talos-cluster`).
pub(crate) fn dns_label(written: &str) -> String {
    let mut label = String::with_capacity(written.len());
    for c in written.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            label.push(c);
        } else if !label.ends_with('-') {
            label.push('-');
        }
    }
    let label: String = label.trim_matches('-').chars().take(63).collect();
    let label = label.trim_end_matches('-');
    if label.is_empty() {
        SINGLE_CLUSTER_NAME.to_owned()
    } else {
        label.to_owned()
    }
}

/// A configured cluster's directories: the one holding its app path (`kubernetes/edge` for
/// `kubernetes/edge/apps/flux-system`), and its sync path.
fn config_roots(cluster: &Cluster) -> Vec<String> {
    let path = crate::scan::normalize_repo_path(&cluster.settings.path);
    let segments: Vec<&str> = path.split('/').collect();
    // The directory named after the cluster (`kubernetes/apps/main` for
    // `kubernetes/apps/main/flux-system`), else the one above `apps` (`kubernetes/edge` for
    // `kubernetes/edge/apps/flux-system`), else the app path's parent.
    let root = match segments.iter().rposition(|s| *s == cluster.name) {
        Some(at) => segments[..=at].join("/"),
        None => match segments.iter().rposition(|s| *s == "apps") {
            Some(at) => segments[..at].join("/"),
            None => path.rsplit_once('/').map_or(String::new(), |(dir, _)| dir.to_owned()),
        },
    };
    let sync = crate::scan::normalize_repo_path(&cluster.settings.instance.sync.path);
    let mut roots = vec![root.clone()];
    if !inside(&sync, &root) {
        roots.push(sync);
    }
    roots
}

/// The ownership nodes defined in each file.
fn defined_in(ownership: &BuildGraph) -> HashMap<String, Vec<usize>> {
    let mut defined: HashMap<String, Vec<usize>> = HashMap::new();
    for (index, node) in ownership.nodes.iter().enumerate() {
        defined.entry(node.at.file.clone()).or_default().push(index);
    }
    defined
}

/// Files holding Flux CRDs and a Flux controller Deployment: a committed install.
fn committed_installs(repository: &ScannedRepository) -> Vec<String> {
    let mut crds: HashSet<&str> = HashSet::new();
    let mut controllers: HashSet<&str> = HashSet::new();
    for object in &repository.objects {
        if object.kind == "CustomResourceDefinition" && object.name.ends_with(".toolkit.fluxcd.io") {
            crds.insert(&object.at.file);
        }
        if object.kind == "Deployment"
            && [
                crate::Component::SourceController,
                crate::Component::KustomizeController,
            ]
            .iter()
            .any(|c| c.as_str() == object.name)
        {
            controllers.insert(&object.at.file);
        }
    }
    let mut files: Vec<String> = crds.intersection(&controllers).map(|f| (*f).to_owned()).collect();
    files.sort();
    files
}

/// Fills a scope: its files (its roots, then whatever its Kustomizations apply, transitively),
/// nodes, installs and instances.
fn fill<'a>(
    scope: &mut ClusterScope<'a>,
    repository: &'a ScannedRepository,
    ownership: &'a BuildGraph,
    defined: &HashMap<String, Vec<usize>>,
    installs: &[String],
    operator_sources: &HashSet<&str>,
) {
    scope.files = repository
        .yaml_files
        .iter()
        .filter(|f| scope.roots.iter().any(|r| inside(f, r)))
        .map(String::as_str)
        .collect();
    let mut pending: Vec<usize> = scope
        .files
        .iter()
        .filter_map(|f| defined.get(*f))
        .flatten()
        .copied()
        .collect();
    let mut seen: HashSet<usize> = pending.iter().copied().collect();
    while let Some(index) = pending.pop() {
        let build = &ownership.nodes[index].build;
        for file in build.files.iter().chain(&build.component_files) {
            if scope.files.insert(file) {
                for &child in defined.get(file).into_iter().flatten() {
                    if seen.insert(child) {
                        pending.push(child);
                    }
                }
            }
        }
    }
    let mut nodes: Vec<usize> = seen.into_iter().collect();
    nodes.sort();
    scope.nodes = nodes;
    scope.instances = (0..repository.flux_instances.len())
        .filter(|&i| scope.contains(&repository.flux_instances[i].at.file))
        .collect();
    for (index, node) in ownership.nodes.iter().enumerate() {
        if let Origin::Sync(instance) = node.origin
            && scope.instances.contains(&instance)
            && !scope.nodes.contains(&index)
        {
            scope.nodes.push(index);
        }
    }
    scope.nodes.sort();
    scope.member = vec![false; ownership.nodes.len()];
    for &node in &scope.nodes {
        scope.member[node] = true;
    }
    scope.bootstraps = (0..repository.bootstrap_installs.len())
        .filter(|&i| scope.contains(&repository.bootstrap_installs[i].at.file))
        .collect();
    scope.flux_bootstraps = (0..repository.flux_bootstraps.len())
        .filter(|&i| {
            let bootstrap = &repository.flux_bootstraps[i];
            bootstrap.gotk_files().iter().any(|f| scope.contains(f))
        })
        .collect();
    scope.flux_manifests = (0..repository.kustomizations.len())
        .filter(|&i| {
            let k = &repository.kustomizations[i];
            scope.contains(&k.at.file) && repository.flux_manifest_source(k).is_some()
        })
        .collect();
    scope.committed_installs = installs.iter().filter(|f| scope.contains(f)).cloned().collect();
    scope.operators = (0..repository.helm_releases.len())
        .filter(|&i| {
            let release = &repository.helm_releases[i];
            scope.contains(&release.at.file) && is_operator_chart(release, operator_sources)
        })
        .collect();
}

/// The names of the OCIRepositories that serve the flux-operator chart: found once, not once
/// per HelmRelease (a repository of thousands of releases has as many OCIRepositories).
fn operator_sources(repository: &ScannedRepository) -> HashSet<&str> {
    repository
        .oci_repositories
        .iter()
        .filter(|o| o.url.trim_end_matches('/').ends_with("/flux-operator"))
        .map(|o| o.name.as_str())
        .collect()
}

/// Whether a HelmRelease installs the flux-operator chart (`operator_sources`: see
/// [`operator_sources`]).
fn is_operator_chart(release: &ScannedHelmRelease, operator_sources: &HashSet<&str>) -> bool {
    match &release.chart {
        Chart::Spec { chart, .. } => chart == crate::facts::OPERATOR_CHART_NAME,
        Chart::Ref(reference) if reference.kind == "OCIRepository" => {
            operator_sources.contains(reference.name.as_str())
        }
        _ => false,
    }
}

/// The phase: from `fluxgen.yaml`, or what the repository holds.
fn judge_phase(scope: &mut ClusterScope, repository: &ScannedRepository) {
    if let Some(cluster) = scope.cluster {
        scope.phase = Some(cluster.phase);
        scope.phase_source = PhaseSource::Config;
        scope.phase_reason = "from fluxgen.yaml".to_owned();
        return;
    }
    let mut installs: Vec<String> = Vec::new();
    installs.extend(
        scope
            .bootstraps
            .iter()
            .map(|&i| format!("the bootstrap install {}", repository.bootstrap_installs[i].at.file)),
    );
    installs.extend(scope.flux_manifests.iter().map(|&i| {
        format!(
            "the `flux-manifests` Kustomization in {}",
            repository.kustomizations[i].at.file
        )
    }));
    let mut bootstrap_files: Vec<&str> = Vec::new();
    for &index in &scope.flux_bootstraps {
        let bootstrap = &repository.flux_bootstraps[index];
        bootstrap_files.extend(bootstrap.gotk_files());
        installs.push(if bootstrap.is_placeholder() {
            format!(
                "the `flux bootstrap` directory {} (placeholders: `flux bootstrap` writes them)",
                bootstrap.dir
            )
        } else {
            format!(
                "the `flux bootstrap` install in {} (Flux {})",
                bootstrap.dir,
                bootstrap.version().unwrap_or("of an unstated version")
            )
        });
    }
    installs.extend(
        scope
            .committed_installs
            .iter()
            .filter(|f| !bootstrap_files.contains(&f.as_str()))
            .map(|f| format!("the Flux install committed in {f}")),
    );
    let instance = scope
        .instances
        .first()
        .map(|&i| repository.flux_instances[i].at.file.clone());
    let (phase, reason) = match (installs.is_empty(), instance) {
        (false, None) if !scope.operators.is_empty() => (
            Some(Phase::Operator),
            format!("{} and the Flux Operator, no FluxInstance", installs.join(", ")),
        ),
        (false, None) => (
            Some(Phase::Prepare),
            format!("{}, no FluxInstance", installs.join(", ")),
        ),
        (false, Some(file)) => (
            Some(Phase::Instance),
            format!("{} and the FluxInstance in {file}: two managers", installs.join(", ")),
        ),
        (true, Some(file)) => (
            Some(Phase::Complete),
            format!("the FluxInstance in {file} and no other Flux install"),
        ),
        (true, None) if !scope.operators.is_empty() => (
            Some(Phase::Operator),
            "the Flux Operator and no FluxInstance".to_owned(),
        ),
        (true, None) => (None, "no Flux install and no FluxInstance found".to_owned()),
    };
    scope.phase_source = if phase.is_some() {
        PhaseSource::Inferred
    } else {
        PhaseSource::Unknown
    };
    scope.phase = phase;
    scope.phase_reason = if scope.unnamed {
        format!(
            "{reason}; the layout names no cluster, so it is called `{SINGLE_CLUSTER_NAME}`, as `fluxgen import` calls it"
        )
    } else {
        reason
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inside_is_by_segment() {
        assert!(inside("kubernetes/main/flux/a.yaml", "kubernetes/main"));
        assert!(!inside("kubernetes/main2/a.yaml", "kubernetes/main"));
        assert!(inside("anything", ""));
    }

    #[test]
    fn directory_names_become_cluster_names() {
        assert_eq!(dns_label("talos_cluster"), "talos-cluster");
        assert_eq!(dns_label("Prod.EU"), "prod-eu");
        assert_eq!(dns_label("__"), SINGLE_CLUSTER_NAME);
        assert_eq!(dns_label(&"a".repeat(70)).len(), 63);
    }
}
