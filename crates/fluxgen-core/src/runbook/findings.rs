//! What the runbook needs to know about the repository, from the scanner's model: where the
//! current install and the root Kustomizations are, and whether prerequisites exist.

use serde::Serialize;

use crate::config::{Cluster, Config};
use crate::scan::build_graph::Origin;
use crate::scan::layout::{inside, scopes};
use crate::scan::sync_decision::{SyncDecision, decide};
use crate::scan::{Repository, normalize_repo_path};

/// Paths (relative to the repository root) and names found for a cluster.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Findings {
    /// The cluster's directory, e.g. `kubernetes/edge`.
    pub cluster_root: String,
    /// Whether the scanner found any file in that directory.
    pub repo_found: bool,
    /// The kustomization that pulls `flux2/manifests/install`.
    pub bootstrap_file: Option<String>,
    /// Its directory.
    pub bootstrap_dir: Option<String>,
    /// The file of a Flux Kustomization that applies the Flux manifests (`flux`).
    pub flux_kustomization_file: Option<String>,
    /// The root Kustomization applying the cluster's Flux directory (GOTK: `cluster`).
    pub existing_root: Option<String>,
    /// Its file.
    pub existing_root_file: Option<String>,
    /// The path it applies.
    pub root_path: Option<String>,
    /// The GitRepository it reads.
    pub existing_source: Option<String>,
    /// `flux/config` (or `cluster/config`) when it exists.
    pub config_dir: Option<String>,
    /// SOPS-encrypted files under the cluster's directory.
    pub sops_files: Vec<String>,
    /// The SOPS decryption Secret of the root Kustomization.
    pub root_decryption: Option<String>,
    /// The `postBuild.substituteFrom` of the root Kustomization, as `Kind/name`.
    pub root_substitute_from: Vec<String>,
    /// What the root path holds besides `config/`: the root Kustomizations and vars that stay.
    pub root_children: Vec<String>,
    /// The root Kustomizations besides the root itself and the `flux` Kustomization, as
    /// ``` `name` (`file`) ```: each moves to the sync directory before the root retires.
    pub staying_roots: Vec<String>,
    /// Whether the sync adopts the root Kustomization where it is (same name, same path).
    pub adopts_root: bool,
    /// Whether the sync (a new root) builds what an existing Kustomization of the cluster
    /// applies: two owners.
    pub sync_overlaps: bool,
}

/// Finds what belongs to `cluster` in the scanner's layout (the same clusters, installs,
/// roots and sync decision `doctor` reads).
pub fn find(repository: &Repository, config: &Config, cluster: &Cluster) -> Findings {
    let scopes = scopes(repository, Some(config));
    let Some(scope) = scopes.iter().find(|s| s.name.as_deref() == Some(cluster.name.as_str())) else {
        return Findings::default();
    };
    let graph = &repository.graph;
    let settings = &cluster.settings;
    let mut findings = Findings {
        cluster_root: scope.dir().to_owned(),
        repo_found: scope
            .roots
            .iter()
            .any(|r| repository.yaml_files.iter().any(|f| inside(f, r))),
        ..Findings::default()
    };
    if let Some(&install) = scope.bootstraps.first() {
        let file = &repository.bootstrap_installs[install].at.file;
        findings.bootstrap_file = Some(file.clone());
        findings.bootstrap_dir = file.rsplit_once('/').map(|(dir, _)| dir.to_owned());
    }
    findings.flux_kustomization_file = scope
        .flux_manifests
        .first()
        .map(|&i| repository.kustomizations[i].at.file.clone());
    if let Some(root) = scope.root_kustomization(repository) {
        findings.existing_root = Some(root.name.clone());
        findings.existing_root_file = Some(root.at.file.clone());
        findings.root_path = root.repo_path();
        findings.existing_source = root.source_ref.as_ref().map(|s| s.name.clone());
        findings.root_decryption = root.decryption.as_ref().and_then(|d| d.secret_ref.clone());
        findings.root_substitute_from = root
            .post_build
            .iter()
            .flat_map(|p| &p.substitute_from)
            .map(|s| format!("`{}/{}`", s.kind, s.name))
            .collect();
        let root_dir = root.repo_path().unwrap_or_default();
        let config_dir = root.at.file.rsplit_once('/').map_or("", |(dir, _)| dir);
        if config_dir != root_dir && inside(config_dir, &root_dir) {
            findings.config_dir = Some(config_dir.to_owned());
        }
        // What the root path holds besides the root's own directory: what stays.
        let prefix = format!("{root_dir}/");
        let mut children: Vec<String> = repository
            .yaml_files
            .iter()
            .filter_map(|f| f.strip_prefix(&prefix))
            .map(|rest| rest.split('/').next().unwrap_or(rest).to_owned())
            .map(|child| format!("{root_dir}/{child}"))
            .filter(|child| {
                Some(child.as_str()) != findings.config_dir.as_deref() && !child.ends_with("/kustomization.yaml")
            })
            .collect();
        children.sort();
        children.dedup();
        findings.root_children = children;
    }
    for node in scope.staying_roots(repository) {
        let node = &graph.nodes[node];
        findings
            .staying_roots
            .push(format!("`{}` (`{}`)", node.name, node.at.file));
        findings.root_children.retain(|child| *child != node.at.file);
    }
    let sync = &settings.instance.sync;
    let decision = decide(repository, scope, &sync.name, &settings.namespace, &sync.path);
    findings.adopts_root = matches!(decision, SyncDecision::AdoptsInPlace { .. });
    if decision == SyncDecision::NewRoot {
        let dir = normalize_repo_path(&sync.path);
        let build = graph.build_dir(repository, &dir);
        let kustomization = |n: usize| scope.has_node(n) && matches!(graph.nodes[n].origin, Origin::Kustomization(_));
        // Built by another Kustomization today, or once created (inside a path it applies).
        findings.sync_overlaps = graph
            .overlapping(&dir, &build, None)
            .iter()
            .any(|(n, _)| kustomization(*n))
            || scope.nodes.iter().any(|&n| {
                kustomization(n)
                    && graph.nodes[n]
                        .dir
                        .as_deref()
                        .is_some_and(|d| d != dir && inside(&dir, d))
            });
    }
    findings.sops_files = repository
        .sops_files
        .iter()
        .map(|s| s.file.clone())
        .filter(|f| scope.contains(f))
        .collect();
    findings
}

/// The file defining a ClusterSecretStore of that name anywhere in the repository.
pub(crate) fn cluster_secret_store(repository: &Repository, store: &str) -> Option<String> {
    repository
        .objects
        .iter()
        .find(|o| o.kind == "ClusterSecretStore" && o.name == store)
        .map(|o| o.at.file.clone())
}
