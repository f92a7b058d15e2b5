//! The sync decision: what a FluxInstance's sync (a name, a namespace and a path) does to the
//! objects a cluster has today, decided in one place for `import`, `plan`, `doctor` and `emit`.
//!
//! The operator creates a GitRepository and a Kustomization named `sync.name` in the
//! instance's namespace. Where a Kustomization of that name and namespace exists, the operator
//! *adopts* it and points it at `sync.path`:
//! - at the same path nothing changes hands but the owner ([`SyncDecision::AdoptsInPlace`], the
//!   operator migration guide's own case);
//! - at another path that already holds everything it applies today, the move is done
//!   ([`SyncDecision::AdoptsMoved`]);
//! - at another path that does not, kustomize-controller prunes every object it applied before
//!   and no longer finds there: every child Kustomization and, through them, every application
//!   ([`SyncDecision::Repoints`]). That is never acceptable, in any phase: `emit` and `plan`
//!   refuse the config and `doctor` reports it.
//!
//! A name no Kustomization has adds a second root ([`SyncDecision::NewRoot`]): then nothing may
//! be applied by both, which the build graph checks.
//!
//! [`propose`] is the sync fluxgen recommends for a cluster (what `import` writes and what
//! fixes suggest): adopt the root in place when the root Kustomization and its GitRepository
//! share a name (no reference changes, nothing moves), else a new root named after the
//! GitRepository (so every `sourceRef` stays valid) in a dedicated directory that no existing
//! Kustomization builds.

use std::collections::{BTreeSet, HashSet};
use std::fmt;
use std::path::Path;

use super::build_graph::{Build, Origin, Overlap, quoted};
use super::layout::{ClusterScope, inside, scopes};
use super::{ScannedRepository, normalize_repo_path};
use crate::config::Config;
use crate::{Error, Origin as ConfigOrigin};

/// What a sync does to the cluster's existing Kustomizations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SyncDecision {
    /// No Kustomization has the sync's name: the sync is a second root beside the existing ones.
    NewRoot,
    /// The sync adopts the Kustomization (a graph node) and keeps its path.
    AdoptsInPlace {
        /// The adopted Kustomization.
        node: usize,
    },
    /// The sync adopts the Kustomization and moves it to a path that already holds everything
    /// it applies today.
    AdoptsMoved {
        /// The adopted Kustomization.
        node: usize,
        /// The path it applies today.
        from: String,
    },
    /// The sync adopts the Kustomization and repoints it at a path that lacks what it applies
    /// today: those objects are pruned.
    Repoints {
        /// The adopted Kustomization.
        node: usize,
        /// The path it applies today.
        from: String,
        /// What it applies today and would no longer find (`Kind name`), sorted.
        lost: Vec<String>,
    },
}

impl SyncDecision {
    /// The adopted Kustomization's graph node, if the sync adopts one.
    pub(crate) fn adopted(&self) -> Option<usize> {
        match self {
            SyncDecision::NewRoot => None,
            SyncDecision::AdoptsInPlace { node }
            | SyncDecision::AdoptsMoved { node, .. }
            | SyncDecision::Repoints { node, .. } => Some(*node),
        }
    }
}

/// Decides what a sync named `name` in `namespace`, applying `path`, does in a cluster. Every
/// Kustomization of that name and namespace the cluster may hold is a candidate: the cluster's
/// own, and those no cluster's directories hold (a root defined at the repository root, or in a
/// layout the config's paths do not match). When several are, the worst decision wins. What a
/// candidate applies must be readable to be kept: one whose source is not this tree, or whose
/// path does not exist, is only safe adopted where it is.
pub(crate) fn decide(
    repository: &ScannedRepository,
    scope: &ClusterScope,
    name: &str,
    namespace: &str,
    path: &str,
) -> SyncDecision {
    let graph = &repository.graph;
    let path = normalize_repo_path(path);
    let candidates = scope.nodes.iter().chain(&scope.unowned_nodes).copied().filter(|&n| {
        let Origin::Kustomization(index) = graph.nodes[n].origin else {
            return false;
        };
        let kustomization = &repository.kustomizations[index];
        kustomization.name == name && kustomization.namespace.as_deref().unwrap_or(namespace) == namespace
    });
    let mut worst = SyncDecision::NewRoot;
    for node in candidates {
        let decision = decide_for(repository, node, name, &path);
        let rank = |d: &SyncDecision| match d {
            SyncDecision::NewRoot => 0,
            SyncDecision::AdoptsInPlace { .. } => 1,
            SyncDecision::AdoptsMoved { .. } => 2,
            SyncDecision::Repoints { .. } => 3,
        };
        if rank(&decision) > rank(&worst) {
            worst = decision;
        }
    }
    worst
}

/// What adopting the Kustomization `node` and pointing it at `path` does.
fn decide_for(repository: &ScannedRepository, node: usize, name: &str, path: &str) -> SyncDecision {
    let graph = &repository.graph;
    let adopted = &graph.nodes[node];
    if adopted.dir.as_deref() == Some(path) {
        return SyncDecision::AdoptsInPlace { node };
    }
    let (Some(from), true) = (adopted.dir.clone(), adopted.exists) else {
        let from = adopted.dir.clone().unwrap_or_else(|| "its source".to_owned());
        return SyncDecision::Repoints {
            node,
            lost: vec![format!(
                "everything it applies from `{from}`, which fluxgen cannot read here"
            )],
            from,
        };
    };
    let before = applied_objects(repository, &adopted.build, name);
    let after = applied_objects(repository, &graph.build_dir(repository, path), name);
    let lost: Vec<String> = before.difference(&after).cloned().collect();
    if lost.is_empty() {
        SyncDecision::AdoptsMoved { node, from }
    } else {
        SyncDecision::Repoints { node, from, lost }
    }
}

/// The Kustomizations of the cluster (graph nodes) that would own what a sync applying `dir`
/// (built as `build`) applies, with how: shared directories, files or objects, or `dir` lying
/// inside a directory one of them applies (then it builds the sync's files too once they exist).
/// The sync's own node and the Kustomization it adopts are not second owners. `doctor`'s
/// `sync-path-overlap` and the runbook's "two owners" both come from here.
pub(crate) fn second_owners(
    repository: &ScannedRepository,
    scope: &ClusterScope,
    dir: &str,
    build: &Build,
    sync_node: Option<usize>,
    adopted: Option<usize>,
) -> Vec<(usize, Overlap)> {
    let graph = &repository.graph;
    let kustomization =
        |n: usize| scope.has_node(n) && matches!(graph.nodes[n].origin, Origin::Kustomization(_)) && Some(n) != adopted;
    let mut found: Vec<(usize, Overlap)> = graph
        .overlapping(dir, build, sync_node)
        .into_iter()
        .filter(|(n, _)| kustomization(*n))
        .collect();
    for &n in &scope.nodes {
        let Some(applied) = graph.nodes[n].dir.as_deref() else {
            continue;
        };
        if kustomization(n) && applied != dir && inside(dir, applied) && !found.iter().any(|(f, _)| *f == n) {
            found.push((n, Overlap::Contains(applied.to_owned())));
        }
    }
    found.sort_by_key(|(n, _)| *n);
    found
}

/// The objects a build applies, as `Kind name`, without the GitRepository and Kustomization
/// the sync itself creates.
fn applied_objects(repository: &ScannedRepository, build: &Build, sync_name: &str) -> BTreeSet<String> {
    let files: BTreeSet<&String> = build.files.iter().chain(&build.component_files).collect();
    let creates = |kind: &str, name: &str| name == sync_name && matches!(kind, "GitRepository" | "Kustomization");
    let plain = repository
        .objects
        .iter()
        .filter(|o| files.contains(&o.at.file) && !creates(&o.kind, &o.name))
        .map(|o| format!("{} {}", o.kind, o.name));
    let encrypted = repository
        .sops_files
        .iter()
        .filter(|s| files.contains(&s.file))
        .flat_map(|s| &s.documents)
        .filter_map(|d| Some(format!("{} {}", d.kind.as_deref()?, d.name.as_deref()?)));
    plain.chain(encrypted).collect()
}

/// The sync fluxgen recommends for a cluster, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Proposal {
    /// `sync.name`.
    pub(crate) name: String,
    /// `sync.path`, relative to the repository root.
    pub(crate) path: String,
    /// Whether the sync adopts the root Kustomization where it is (else it is a new root in a
    /// dedicated directory).
    pub(crate) adopts_root: bool,
    /// Why, in a sentence.
    pub(crate) why: String,
}

/// The sync for a cluster that keeps everything it runs: adopt the root in place when the root
/// Kustomization and its GitRepository share a name, else a new root named after the
/// GitRepository in a dedicated directory. `None` when the cluster has no root to keep (or
/// one that applies the whole repository).
pub(crate) fn propose(repository: &ScannedRepository, scope: &ClusterScope, namespace: &str) -> Option<Proposal> {
    let root = scope.root_kustomization(repository)?;
    // A root applying the whole repository (`./`) cannot be a FluxInstance's sync path.
    let root_dir = root.repo_path().filter(|p| !p.is_empty())?;
    let source = scope.root_source.map(|i| &repository.git_repositories[i]);
    let in_place = Proposal {
        name: root.name.clone(),
        path: root_dir.clone(),
        adopts_root: true,
        why: match source {
            Some(source) if source.name != root.name => format!(
                "the FluxInstance adopts the root Kustomization `{}` where it is (`{root_dir}`): nothing moves, but \
                 the GitRepository it creates is `{}`, so every `sourceRef` to `{}` must change to it before that \
                 GitRepository retires (`fluxgen doctor` lists them)",
                root.name, root.name, source.name
            ),
            Some(_) => format!(
                "the FluxInstance adopts the root Kustomization `{}` where it is (`{root_dir}`) with its GitRepository: \
                 nothing moves and no reference changes",
                root.name
            ),
            None => format!(
                "the FluxInstance adopts the root Kustomization `{}` where it is (`{root_dir}`): nothing moves",
                root.name
            ),
        },
    };
    let Some(source) = source.filter(|s| s.name != root.name) else {
        return Some(in_place);
    };
    let path = dedicated_dir(repository, scope, &root_dir);
    if decide(repository, scope, &source.name, namespace, &path) != SyncDecision::NewRoot {
        return Some(in_place);
    }
    Some(Proposal {
        why: format!(
            "a new root Kustomization `{0}`, named after the GitRepository `{0}`, which the FluxInstance adopts (every \
             `sourceRef`, Receiver and Alert naming it keeps working; `sync.name` is immutable once created), applying \
             the dedicated directory `{path}`, which nothing applies today; `{1}` and what it applies retire at cutover",
            source.name, root.name
        ),
        name: source.name.clone(),
        path,
        adopts_root: false,
    })
}

/// A directory for a new root's sync that no existing Kustomization builds: `<cluster>/sync`
/// (`kubernetes/main/sync` beside `kubernetes/main/flux`), else one beside the root's path.
pub(crate) fn dedicated_dir(repository: &ScannedRepository, scope: &ClusterScope, root_dir: &str) -> String {
    let cluster_dir = scope.dir();
    let parent = root_dir.rsplit_once('/').map_or("", |(parent, _)| parent);
    let join = |dir: &str, name: &str| {
        if dir.is_empty() {
            name.to_owned()
        } else {
            format!("{dir}/{name}")
        }
    };
    let mut candidates = Vec::new();
    if !cluster_dir.is_empty() {
        candidates.push(join(cluster_dir, "sync"));
    }
    candidates.push(join(parent, "sync"));
    if !root_dir.is_empty() {
        candidates.push(format!("{root_dir}-sync"));
    }
    let built = |candidate: &str| {
        repository
            .graph
            .nodes
            .iter()
            .filter_map(|n| n.dir.as_deref())
            .any(|dir| inside(candidate, dir))
    };
    candidates
        .iter()
        .find(|c| !c.is_empty() && !built(c))
        .cloned()
        .unwrap_or_else(|| format!("{}-sync", candidates[0]))
}

/// Refuses a config whose sync would, in any of `clusters`, adopt an existing Kustomization and
/// repoint it at a path that does not hold what it applies today ([`Error::SyncRepointsRoot`],
/// with the fix). `emit` calls it before writing (the runbook applies the same rule to its own
/// scan); `doctor` reports the same decision as `sync-repoints-root`. The repository at `repo_root` is scanned without
/// fluxgen's own app directories; one that cannot be read has nothing to repoint. The built-in
/// example describes no repository and is not checked.
///
/// ```
/// use fluxgen_core::{Config, Error, Origin};
/// let dir = tempfile::tempdir()?;
/// let config_dir = dir.path().join("kubernetes/edge/flux/config");
/// std::fs::create_dir_all(&config_dir)?;
/// // The old root Kustomization is named `flux-system` and applies `kubernetes/edge/flux`.
/// std::fs::write(
///     config_dir.join("cluster.yaml"),
///     "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n\
///      metadata: {name: flux-system, namespace: flux-system}\n\
///      spec: {path: ./kubernetes/edge/flux, sourceRef: {kind: GitRepository, name: flux-system}}\n",
/// )?;
/// std::fs::write(
///     dir.path().join("kubernetes/edge/flux/apps.yaml"),
///     "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n\
///      metadata: {name: cluster-apps, namespace: flux-system}\n\
///      spec: {path: ./kubernetes/edge/apps, sourceRef: {kind: GitRepository, name: flux-system}}\n",
/// )?;
/// let text = "repository: { url: ssh://git@github.com/example/home-ops, branch: main }\n\
///             clusters: { edge: { phase: instance } }\n";
/// let origin = Origin::File(dir.path().join("fluxgen.yaml"));
/// // The default sync (`flux-system` on the new `kubernetes/edge/sync`) would adopt that root
/// // and prune `cluster-apps`: refused.
/// let config = Config::from_yaml(text, origin.clone())?;
/// let refused = fluxgen_core::scan::check_sync(&config, &["edge".to_owned()], dir.path());
/// assert!(matches!(refused, Err(Error::SyncRepointsRoot(_))));
/// // Adopting it where it is keeps everything.
/// let text = text.replace("phase: instance", "phase: instance, instance: { sync: { path: kubernetes/edge/flux } }");
/// let config = Config::from_yaml(&text, origin)?;
/// fluxgen_core::scan::check_sync(&config, &["edge".to_owned()], dir.path())?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn check_sync(config: &Config, clusters: &[String], repo_root: &Path) -> Result<(), Error> {
    if matches!(config.origin, ConfigOrigin::BuiltIn) {
        return Ok(());
    }
    let Ok(repository) = super::scan_with(repo_root, &skip_for(config, repo_root)) else {
        return Ok(());
    };
    refuse_repointing(&repository, config, clusters)
}

/// What [`check_sync`]'s scan leaves out: fluxgen's own app directories of every cluster, and
/// the config file itself (it holds no Kubernetes object, and is the largest file of a
/// fleet's).
fn skip_for(config: &Config, repo_root: &Path) -> super::Skip {
    let mut paths: HashSet<String> = config
        .clusters
        .values()
        .flat_map(|c| {
            let path = normalize_repo_path(&c.settings.path);
            crate::emit::APP_DIRS.map(|app| format!("{path}/{app}"))
        })
        .collect();
    if let ConfigOrigin::File(file) = &config.origin
        && let Some(relative) = relative_to(file, repo_root)
    {
        paths.insert(relative);
    }
    super::Skip { paths, generated: true }
}

/// `file`'s path below `root` (both resolved), `/`-separated as the walk spells it.
fn relative_to(file: &Path, root: &Path) -> Option<String> {
    let file = std::fs::canonicalize(file).ok()?;
    let root = std::fs::canonicalize(root).ok()?;
    let relative = file.strip_prefix(root).ok()?;
    let parts: Option<Vec<&str>> = relative.components().map(|c| c.as_os_str().to_str()).collect();
    Some(parts?.join("/"))
}

/// [`check_sync`] over a repository already scanned (the runbook's own scan).
pub(crate) fn refuse_repointing(
    repository: &ScannedRepository,
    config: &Config,
    clusters: &[String],
) -> Result<(), Error> {
    if matches!(config.origin, ConfigOrigin::BuiltIn) || repository.kustomizations.is_empty() {
        return Ok(());
    }
    let scopes = scopes(repository, Some(config));
    for name in clusters {
        let (Some(cluster), Some(scope)) = (
            config.clusters.get(name),
            scopes.iter().find(|s| s.name.as_deref() == Some(name.as_str())),
        ) else {
            continue;
        };
        let sync = &cluster.settings.instance.sync;
        if let SyncDecision::Repoints { node, from, lost } =
            decide(repository, scope, &sync.name, &cluster.settings.namespace, &sync.path)
        {
            let adopted = &repository.graph.nodes[node];
            return Err(Error::SyncRepointsRoot(Box::new(RepointedRoot {
                cluster: name.clone(),
                name: sync.name.clone(),
                file: adopted.at.file.clone(),
                to: normalize_repo_path(&sync.path),
                lost,
                fix: format!(
                    "keep the path (`instance.sync.path: {from}`: the FluxInstance adopts `{}` where it is), or name \
                     the sync differently with a dedicated directory such as `{}` (a second root)",
                    sync.name,
                    dedicated_dir(repository, scope, &from)
                ),
                from,
            })));
        }
    }
    Ok(())
}

/// A sync that would adopt an existing Kustomization of its name and repoint it at a path that
/// lacks what it applies today ([`Error::SyncRepointsRoot`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepointedRoot {
    /// The cluster.
    pub cluster: String,
    /// The sync's (and the adopted Kustomization's) name.
    pub name: String,
    /// Where the adopted Kustomization is defined.
    pub file: String,
    /// The path it applies today.
    pub from: String,
    /// The path the sync would point it at.
    pub to: String,
    /// What it applies today and would no longer find (`Kind name`), sorted.
    pub lost: Vec<String>,
    /// How to keep it.
    pub fix: String,
}

impl fmt::Display for RepointedRoot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cluster `{}`: the sync `{}` adopts the existing Kustomization `{}` ({}) and repoints it from `{}` to \
             `{}`, which lacks {} of the objects it applies today ({}): kustomize-controller would prune them, and \
             with its child Kustomizations every application of the cluster; {}",
            self.cluster,
            self.name,
            self.name,
            self.file,
            self.from,
            self.to,
            self.lost.len(),
            quoted(&self.lost),
            self.fix
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_file_and_the_generated_directories_are_left_out_of_the_scan() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("kubernetes/edge/flux")).unwrap();
        std::fs::create_dir_all(root.join("kubernetes/edge/apps/flux-system/flux-operator")).unwrap();
        let text = "repository: { url: ssh://git@github.com/example/home-ops, branch: main }\n\
                    clusters: { edge: { phase: instance } }\n";
        std::fs::write(root.join("fluxgen.yaml"), text).unwrap();
        std::fs::write(root.join("kubernetes/edge/flux/ks.yaml"), "kind: Kustomization\n").unwrap();
        std::fs::write(
            root.join("kubernetes/edge/apps/flux-system/flux-operator/ks.yaml"),
            "kind: Kustomization\n",
        )
        .unwrap();
        assert_eq!(
            relative_to(&root.join("fluxgen.yaml"), root).as_deref(),
            Some("fluxgen.yaml")
        );
        assert_eq!(
            relative_to(&root.join("kubernetes/edge/flux/ks.yaml"), &root.join("kubernetes")).as_deref(),
            Some("edge/flux/ks.yaml")
        );
        assert_eq!(relative_to(&root.join("fluxgen.yaml"), &root.join("kubernetes")), None);
        let config = Config::from_yaml(text, ConfigOrigin::File(root.join("fluxgen.yaml"))).unwrap();
        let skip = skip_for(&config, root);
        assert!(skip.paths.contains("fluxgen.yaml"), "{:?}", skip.paths);
        for app in crate::emit::APP_DIRS {
            let generated = format!("kubernetes/edge/apps/flux-system/{app}");
            assert!(skip.paths.contains(&generated), "{generated}: {:?}", skip.paths);
        }
        let scanned = super::super::scan_with(root, &skip).unwrap();
        assert_eq!(scanned.yaml_files, ["kubernetes/edge/flux/ks.yaml"]);
    }
}
