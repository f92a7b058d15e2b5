//! What the runbook needs to know about the repository, from the scanner's model: where the
//! current install and the root Kustomizations are, and whether prerequisites exist.

use serde::Serialize;

use crate::config::Cluster;
use crate::scan::Repository;

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
}

/// Finds, in the scanned repository, what belongs to `cluster`.
pub fn find(repository: &Repository, cluster: &Cluster) -> Findings {
    let path = &cluster.settings.path;
    let cluster_root = match path.find("/apps/") {
        Some(index) => path[..index].to_owned(),
        None => format!("kubernetes/{}", cluster.name),
    };
    let inside = |file: &str| file.starts_with(&format!("{cluster_root}/"));
    let mut findings = Findings {
        repo_found: repository.yaml_files.iter().any(|f| inside(f)),
        ..Findings::default()
    };
    if let Some(install) = repository.bootstrap_installs.iter().find(|i| inside(&i.at.file)) {
        findings.bootstrap_file = Some(install.at.file.clone());
        findings.bootstrap_dir = install.at.file.rsplit_once('/').map(|(dir, _)| dir.to_owned());
    }
    findings.flux_kustomization_file = repository
        .flux_manifest_kustomizations()
        .into_iter()
        .map(|(kustomization, _)| kustomization.at.file.clone())
        .find(|file| inside(file));
    let root = repository
        .kustomizations
        .iter()
        .filter(|k| inside(&k.at.file))
        .find(|k| k.name == "cluster" || k.repo_path().is_some_and(|p| p == format!("{cluster_root}/flux")));
    if let Some(root) = root {
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
    }
    for candidate in ["flux/config", "cluster/config"] {
        let dir = format!("{cluster_root}/{candidate}/");
        if repository.yaml_files.iter().any(|f| f.starts_with(&dir)) {
            findings.config_dir = Some(format!("{cluster_root}/{candidate}"));
        }
    }
    findings.sops_files = repository
        .sops_files
        .iter()
        .map(|s| s.file.clone())
        .filter(|f| inside(f))
        .collect();
    if let Some(root_path) = &findings.root_path {
        let prefix = format!("{root_path}/");
        let mut children: Vec<String> = repository
            .yaml_files
            .iter()
            .filter_map(|f| f.strip_prefix(&prefix))
            .map(|rest| rest.split('/').next().unwrap_or(rest).to_owned())
            .filter(|child| child != "config" && child != "kustomization.yaml")
            .map(|child| format!("{root_path}/{child}"))
            .collect();
        children.sort();
        children.dedup();
        findings.root_children = children;
    }
    findings.cluster_root = cluster_root;
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
