//! The sync Kustomization: what the root Kustomization sets that the FluxInstance's sync
//! Kustomization must keep (SOPS decryption, `postBuild`, `wait`, `timeout`, `prune: false`).

use super::clusters::Found;
use super::report::{EntryKind, ImportReport};
use crate::config::{RawPatch, TuningSettings};
use crate::scan::ScannedKustomization;
use crate::{
    objects::Duration, objects::PatchTarget, tuning::SubstituteFrom, tuning::SubstituteKind,
    tuning::SyncKustomizationTuning,
};

/// The root Kustomization's SOPS decryption, `postBuild`, `wait` and `timeout` on the sync
/// Kustomization; `prune: false` and inline variables as raw patches of it.
pub(super) fn sync_kustomization(
    root: &ScannedKustomization,
    found: &Found<'_>,
    tuning: &mut TuningSettings,
    report: &mut ImportReport,
) {
    let cluster = Some(found.name.as_str());
    let mut sync = SyncKustomizationTuning::default();
    if let Some(decryption) = &root.decryption {
        if decryption.provider == "sops" && decryption.secret_ref.is_some() {
            sync.decryption_secret = decryption.secret_ref.clone();
            report.push(
                cluster,
                EntryKind::Translated,
                format!(
                    "`{}`'s SOPS decryption → `tuning.syncKustomization.decryptionSecret: {}`",
                    root.name,
                    decryption.secret_ref.as_deref().unwrap_or_default()
                ),
                Some(&root.at),
            );
        } else {
            report.push(
                cluster,
                EntryKind::NotTranslated,
                format!(
                    "`{}`'s decryption (provider `{}`, no Secret named): add it to the sync Kustomization with a raw \
                     patch",
                    root.name, decryption.provider
                ),
                Some(&root.at),
            );
        }
    }
    if let Some(post_build) = &root.post_build {
        for from in &post_build.substitute_from {
            let kind = match from.kind.as_str() {
                "ConfigMap" => SubstituteKind::ConfigMap,
                "Secret" => SubstituteKind::Secret,
                other => {
                    report.push(
                        cluster,
                        EntryKind::NotTranslated,
                        format!("`postBuild.substituteFrom` of kind `{other}` ({})", from.name),
                        Some(&root.at),
                    );
                    continue;
                }
            };
            sync.substitute_from.push(SubstituteFrom {
                kind,
                name: from.name.clone(),
                optional: from.optional,
            });
        }
        if !sync.substitute_from.is_empty() {
            let names: Vec<String> = sync.substitute_from.iter().map(|s| s.name.clone()).collect();
            report.push(
                cluster,
                EntryKind::Translated,
                format!(
                    "`{}`'s `postBuild.substituteFrom` ({}) → `tuning.syncKustomization.substituteFrom`",
                    root.name,
                    names.join(", ")
                ),
                Some(&root.at),
            );
        }
        if !post_build.substitute.is_empty() {
            let ops = serde_json::json!([{"op": "add", "path": "/spec/postBuild/substitute", "value": post_build.substitute}]);
            tuning.patches.push(sync_patch(&ops, found));
            report.push(
                cluster,
                EntryKind::Translated,
                format!(
                    "`{}`'s inline `postBuild.substitute` ({} variables) → a raw patch of the sync Kustomization",
                    root.name,
                    post_build.substitute.len()
                ),
                Some(&root.at),
            );
        }
    }
    if let Some(wait) = root.wait {
        sync.wait = Some(wait);
    }
    if let Some(timeout) = &root.timeout {
        sync.timeout = Some(Duration::from(timeout.clone()));
    }
    if root.prune == Some(false) {
        let ops = serde_json::json!([{"op": "add", "path": "/spec/prune", "value": false}]);
        tuning.patches.push(sync_patch(&ops, found));
        report.push(
            cluster,
            EntryKind::Translated,
            format!(
                "`{}` has `prune: false` → a raw patch keeps the sync Kustomization from pruning too",
                root.name
            ),
            Some(&root.at),
        );
    }
    if sync != SyncKustomizationTuning::default() {
        tuning.sync_kustomization = Some(sync);
    }
}

/// A raw JSON 6902 patch of the sync Kustomization (named after the root GitRepository).
pub(super) fn sync_patch(ops: &serde_json::Value, found: &Found<'_>) -> RawPatch {
    RawPatch {
        patch: crate::yaml::to_string(ops).trim_end().to_owned(),
        target: PatchTarget {
            kind: Some("Kustomization".to_owned()),
            group: Some("kustomize.toolkit.fluxcd.io".to_owned()),
            name: found.source.map(|s| s.name.clone()),
            ..PatchTarget::default()
        },
    }
}
