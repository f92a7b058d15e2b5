//! The multi-tenancy lockdown (Flux's documented set of bootstrap patches) as the operator's
//! `cluster.multitenant` profile.
//!
//! The profile, as flux-operator v0.58.1 applies it (`internal/builder/profiles.go`,
//! `profileClusterMultitenant`, commit 17c6aea), patches:
//! - `--no-cross-namespace-refs=true` on kustomize-, helm-, notification-,
//!   image-reflector-, image-automation-controller and source-watcher;
//! - `--no-remote-bases=true` on kustomize-controller;
//! - `--default-service-account=<cluster.tenantDefaultServiceAccount>` (default `default`) on
//!   kustomize- and helm-controller;
//! - `spec.serviceAccountName: kustomize-controller` on the sync Kustomization.
//!
//! A cluster whose patches set exactly these flags on every controller of the profile that it
//! runs gets `multitenant: true` and the flags leave the tuning; anything short of the whole
//! set stays as written (the profile would add what the cluster does not run today).

use super::report::{EntryKind, ImportReport};
use super::tuning::Folded;
use super::written::ImportedPatch;
use crate::Component;

/// The flags of the lockdown.
pub(super) const FLAGS: [&str; 3] = ["no-cross-namespace-refs", "no-remote-bases", "default-service-account"];

/// The controllers the profile denies cross-namespace references on.
const NO_CROSS_NAMESPACE_REFS: [Component; 6] = [
    Component::KustomizeController,
    Component::HelmController,
    Component::NotificationController,
    Component::ImageReflectorController,
    Component::ImageAutomationController,
    Component::SourceWatcher,
];

/// The controllers the profile gives a default service account.
const DEFAULT_SERVICE_ACCOUNT: [Component; 2] = [Component::KustomizeController, Component::HelmController];

/// Takes the lockdown out of the folded flags when the cluster has all of it, and returns the
/// tenants' default service account (`service_account_patch`: the cluster also sets the sync
/// Kustomization's service account, which the caller then drops).
pub(super) fn lockdown(
    folded: &mut Folded,
    service_account_patch: bool,
    enabled: &[Component],
    cluster: &str,
    report: &mut ImportReport,
) -> Option<String> {
    let value =
        |folded: &Folded, controller: Component, flag: &str| folded.last(controller, flag).map(|set| set.value.clone());
    let denied: Vec<Component> = NO_CROSS_NAMESPACE_REFS
        .into_iter()
        .filter(|c| enabled.contains(c))
        .collect();
    let all_denied = !denied.is_empty()
        && denied
            .iter()
            .all(|&c| value(folded, c, "no-cross-namespace-refs").as_deref() == Some("true"));
    let no_remote_bases = !enabled.contains(&Component::KustomizeController)
        || value(folded, Component::KustomizeController, "no-remote-bases").as_deref() == Some("true");
    let accounts: Vec<Option<String>> = DEFAULT_SERVICE_ACCOUNT
        .into_iter()
        .filter(|c| enabled.contains(c))
        .map(|c| value(folded, c, "default-service-account"))
        .collect();
    let account = accounts.first().cloned().flatten()?;
    if !all_denied || !no_remote_bases || accounts.iter().any(|a| a.as_deref() != Some(account.as_str())) {
        return None;
    }
    // The profile sets these on no other controller: a flag elsewhere is the user's own.
    if folded
        .args
        .iter()
        .any(|(c, flags)| !NO_CROSS_NAMESPACE_REFS.contains(c) && flags.contains_key("no-cross-namespace-refs"))
    {
        return None;
    }
    let at = folded
        .last(Component::KustomizeController, "default-service-account")
        .map(|set| set.at.clone());
    for flags in folded.args.values_mut() {
        for flag in FLAGS {
            flags.remove(flag);
        }
    }
    let service_account_patch = if service_account_patch {
        " and the `serviceAccountName: kustomize-controller` patch of the sync Kustomization"
    } else {
        ""
    };
    report.push(
        Some(cluster),
        EntryKind::Translated,
        format!(
            "the multi-tenancy lockdown (`--no-cross-namespace-refs=true`, `--no-remote-bases=true`, \
             `--default-service-account={account}`{service_account_patch}) → `instance.cluster.multitenant: true`, \
             `tenantDefaultServiceAccount: {account}`: the operator's multitenant profile applies the same patches"
        ),
        at.as_ref(),
    );
    Some(account)
}

/// Whether a raw patch only sets the sync Kustomization's service account to
/// `kustomize-controller`, which the profile does.
pub(super) fn is_sync_service_account(patch: &ImportedPatch) -> bool {
    if patch.target.kind != "Kustomization" {
        return false;
    }
    let Ok(serde_json::Value::Array(ops)) = crate::yaml::parse_value(&patch.patch) else {
        return false;
    };
    matches!(ops.as_slice(), [op] if op["op"] == "add"
        && op["path"] == "/spec/serviceAccountName"
        && op["value"] == "kustomize-controller")
}
