//! What the runbook needs to know about the repository: where the current install and root
//! Kustomizations are, and whether prerequisites exist.

use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use crate::config::Cluster;

/// Paths (relative to the repository root) and names found in a cluster's directory.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Findings {
    /// The cluster's directory, e.g. `kubernetes/edge`.
    pub cluster_root: String,
    /// Whether that directory exists.
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

/// Looks through the cluster's directory below `repo_root`.
pub fn find(repo_root: &Path, cluster: &Cluster) -> Findings {
    let path = &cluster.settings.path;
    let cluster_root = match path.find("/apps/") {
        Some(index) => path[..index].to_owned(),
        None => format!("kubernetes/{}", cluster.name),
    };
    let dir = repo_root.join(&cluster_root);
    let mut findings = Findings {
        repo_found: dir.is_dir(),
        ..Findings::default()
    };
    let relative = |file: &Path| {
        file.strip_prefix(repo_root)
            .unwrap_or(file)
            .to_string_lossy()
            .replace('\\', "/")
    };
    for file in yaml_files(&dir) {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.contains(".sops.") {
            findings.sops_files.push(relative(&file));
            continue;
        }
        let Ok(text) = fs::read_to_string(&file) else { continue };
        for document in documents(&text) {
            let kind = document.get("kind").and_then(Value::as_str).unwrap_or_default();
            let api = document.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
            let object_name = document
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if api.starts_with("kustomize.config.k8s.io")
                && document.get("resources").and_then(Value::as_array).is_some_and(|r| {
                    r.iter()
                        .filter_map(Value::as_str)
                        .any(|r| r.contains("flux2/manifests/install"))
                })
            {
                findings.bootstrap_file = Some(relative(&file));
                findings.bootstrap_dir = file.parent().map(&relative);
            }
            if api.starts_with("kustomize.toolkit.fluxcd.io") && kind == "Kustomization" {
                let source = document
                    .pointer("/spec/sourceRef/name")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let applies = document
                    .pointer("/spec/path")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                if source == "flux-manifests" {
                    findings.flux_kustomization_file = Some(relative(&file));
                } else if object_name == "cluster"
                    || (applies.trim_start_matches("./") == format!("{cluster_root}/flux"))
                {
                    findings.existing_root = Some(object_name.to_owned());
                    findings.existing_root_file = Some(relative(&file));
                    findings.root_path = Some(applies.trim_start_matches("./").to_owned());
                    findings.existing_source = Some(source.to_owned());
                    findings.root_decryption = document
                        .pointer("/spec/decryption/secretRef/name")
                        .and_then(Value::as_str)
                        .map(str::to_owned);
                    findings.root_substitute_from = document
                        .pointer("/spec/postBuild/substituteFrom")
                        .and_then(Value::as_array)
                        .map(|items| {
                            items
                                .iter()
                                .filter_map(|i| {
                                    Some(format!("`{}/{}`", i.get("kind")?.as_str()?, i.get("name")?.as_str()?))
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                }
            }
        }
    }
    for candidate in ["flux/config", "cluster/config"] {
        if dir.join(candidate).is_dir() {
            findings.config_dir = Some(format!("{cluster_root}/{candidate}"));
        }
    }
    if let Some(root_path) = &findings.root_path
        && let Ok(entries) = fs::read_dir(repo_root.join(root_path))
    {
        let mut children: Vec<String> = entries
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|name| !name.starts_with('.') && name != "config" && name != "kustomization.yaml")
            .map(|name| format!("{root_path}/{name}"))
            .collect();
        children.sort();
        findings.root_children = children;
    }
    findings.cluster_root = cluster_root;
    findings.sops_files.sort();
    findings
}

/// The file defining a ClusterSecretStore of that name anywhere in the repository.
pub(crate) fn cluster_secret_store(repo_root: &Path, store: &str) -> Option<String> {
    yaml_files(&repo_root.join("kubernetes")).into_iter().find_map(|file| {
        let text = fs::read_to_string(&file).ok()?;
        documents(&text)
            .iter()
            .any(|d| {
                d.get("kind").and_then(Value::as_str) == Some("ClusterSecretStore")
                    && d.pointer("/metadata/name").and_then(Value::as_str) == Some(store)
            })
            .then(|| {
                file.strip_prefix(repo_root)
                    .unwrap_or(&file)
                    .to_string_lossy()
                    .replace('\\', "/")
            })
    })
}

/// The YAML documents of a file that parse (templates and broken files are skipped here;
/// `fluxgen doctor` reports them).
fn documents(text: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines().chain(std::iter::once("---")) {
        if line.starts_with("---") {
            if !current.trim().is_empty()
                && let Ok(value) = crate::yaml::parse_value(&current)
            {
                out.push(value);
            }
            current.clear();
        } else {
            current.push_str(line);
            current.push('\n');
        }
    }
    out
}

/// `*.yaml`/`*.yml` files below `dir`, sorted; hidden directories and symlinks are skipped.
fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let Ok(entries) = fs::read_dir(&current) else { continue };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Ok(kind) = entry.file_type() else { continue };
            if name.starts_with('.') || kind.is_symlink() {
                continue;
            }
            if kind.is_dir() {
                pending.push(entry.path());
            } else if name.ends_with(".yaml") || name.ends_with(".yml") {
                found.push(entry.path());
            }
        }
    }
    found.sort();
    found
}
