//! Kustomizations that apply SOPS-encrypted files with no SOPS decryption: neither their own
//! `spec.decryption`, nor a patch that adds it from the Kustomization or `kustomization.yaml` that
//! applies them (home-ops gives every app Kustomization decryption that way).

use std::collections::HashSet;

use super::risks::Context;
use super::{Code, Finding, Severity};
use crate::scan::build_graph::Origin;
use crate::scan::layout::ClusterScope;
use crate::scan::{Patch, ScannedKustomization, ScannedRepository};

/// Whether a patch adds decryption to `kustomization` (its target, if any, matched as kustomize
/// matches it against the object's kind, group, version, name and namespace; a patch without a
/// target by the name its own document carries).
fn adds_decryption(patch: &Patch, kustomization: &ScannedKustomization) -> bool {
    if !patch.patch.contains("decryption") {
        return false;
    }
    let Some(target) = &patch.target else {
        // A strategic-merge patch names what it patches.
        return patch
            .patch
            .lines()
            .any(|line| line.trim() == format!("name: {}", kustomization.name));
    };
    let object = serde_json::json!({
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "kind": "Kustomization",
        "metadata": {
            "name": kustomization.name,
            "namespace": kustomization.namespace.as_deref().unwrap_or(crate::facts::DEFAULT_NAMESPACE),
        },
    });
    // A selector fluxgen cannot evaluate here (labels) is given the benefit of the doubt.
    target.label_selector.is_some()
        || target.annotation_selector.is_some()
        || crate::patch::matches(target, &object).unwrap_or(false)
}

/// Whether the Kustomization of graph node `node` gets decryption: its own, or a patch of what
/// applies it (a Kustomization's `patches`, or a `kustomization.yaml` in its
/// build): patches reach only the objects of that build, not what those apply in turn.
fn decrypts(repository: &ScannedRepository, node: usize) -> bool {
    let graph = &repository.graph;
    let own = match graph.nodes[node].origin {
        Origin::Kustomization(index) => repository.kustomizations[index].decryption.is_some(),
        Origin::Sync(_) => true,
    };
    if own {
        return true;
    }
    let Origin::Kustomization(index) = graph.nodes[node].origin else {
        return own;
    };
    let kustomization = &repository.kustomizations[index];
    let file = &kustomization.at.file;
    let adds = |p: &Patch| adds_decryption(p, kustomization);
    graph.parents[node].iter().any(|&parent| {
        let by_parent = match graph.nodes[parent].origin {
            Origin::Kustomization(index) => repository.kustomizations[index].patches.iter().any(adds),
            // A FluxInstance's patches apply to what the operator renders (the controllers and
            // the sync Kustomization itself), not to what the sync applies.
            Origin::Sync(_) => false,
        };
        // A `kustomization.yaml` on the way that patches the Kustomizations it lists.
        let by_kustomize = graph.nodes[parent].build.dirs.iter().any(|dir| {
            repository
                .kustomize_file(dir)
                .is_some_and(|k| file.starts_with(&format!("{dir}/")) && k.patches.iter().any(adds))
        });
        by_parent || by_kustomize
    })
}

/// Every Kustomization of the cluster that applies SOPS-encrypted files without decryption.
pub(super) fn sops_without_decryption(context: &Context, scope: &ClusterScope) -> Vec<Finding> {
    let repository = context.repository;
    let graph = &repository.graph;
    let sops: HashSet<&str> = repository.sops_files.iter().map(|s| s.file.as_str()).collect();
    let mut findings = Vec::new();
    for &index in &scope.nodes {
        let node = &graph.nodes[index];
        // The sync's own decryption is `sops-on-sync-path`.
        if !matches!(node.origin, Origin::Kustomization(_)) {
            continue;
        }
        let encrypted: Vec<&String> = node
            .build
            .files
            .iter()
            .chain(&node.build.component_files)
            .filter(|f| sops.contains(f.as_str()))
            .collect();
        let Some(first) = encrypted.first() else {
            continue;
        };
        if decrypts(repository, index) {
            continue;
        }
        let mut finding = Finding::new(
            Code::SopsWithoutDecryption,
            Severity::Error,
            scope,
            &node.at.file,
            Some(node.at.line),
        )
        .what(format!(
            "the Kustomization `{}` applies {} SOPS-encrypted {} (`{first}`{}) and has no decryption",
            node.name,
            encrypted.len(),
            if encrypted.len() == 1 { "file" } else { "files" },
            if encrypted.len() > 1 { ", ..." } else { "" }
        ))
        .why(
            "kustomize-controller applies the encrypted document as it is: the apply fails and the whole \
                 Kustomization stops, or a Secret holds ciphertext",
        )
        .fix(format!(
            "add `spec.decryption: {{provider: sops, secretRef: {{name: sops-age}}}}` to `{}` (or a patch that adds \
                 it from the Kustomization that applies it)",
            node.name
        ));
        for file in encrypted.iter().skip(1).take(9) {
            finding = finding.see(file, None, "SOPS-encrypted");
        }
        findings.push(finding.see(first, None, "SOPS-encrypted"));
    }
    findings
}
