//! The multi-tenancy lockdown (Flux's documented set of bootstrap patches) as the operator's
//! `cluster.multitenant` profile.
//!
//! What the profile sets on which controller is read from [`facts::multitenant_profile`] (the
//! operator's own patches, cited there): `--no-cross-namespace-refs=true`,
//! `--no-remote-bases=true`, `--default-service-account=<tenantDefaultServiceAccount>` on their
//! controllers, and `spec.serviceAccountName: kustomize-controller` on the sync Kustomization.
//!
//! A cluster whose patches set exactly these flags on every controller of the profile that it
//! runs gets `multitenant: true` and the flags leave the tuning; anything short of the whole
//! set stays as written (the profile would add what the cluster does not run today).

use std::collections::BTreeMap;

use super::controller_patches::targeted;
use super::report::{EntryKind, ImportReport};
use super::tuning::Folded;
use crate::config::RawPatch;
use crate::{Component, facts};

/// The flags of the lockdown.
pub(super) const FLAGS: [&str; 3] = ["no-cross-namespace-refs", "no-remote-bases", "default-service-account"];

/// What the operator's profile sets, for the tenants' service account `account`: each
/// (controller, flag) it passes, with the value, on the controllers the cluster runs.
fn profile_args(account: &str, enabled: &[Component]) -> BTreeMap<(Component, String), String> {
    let mut args = BTreeMap::new();
    for patch in facts::multitenant_profile(Some(account)) {
        let Some(target) = patch
            .target
            .as_ref()
            .filter(|t| t.kind.as_deref() == Some("Deployment"))
        else {
            continue;
        };
        let Ok(serde_json::Value::Array(ops)) = crate::yaml::parse_value(&patch.patch) else {
            continue;
        };
        let set: Vec<(&str, &str)> = ops
            .iter()
            .filter_map(|op| op["value"].as_str()?.strip_prefix("--")?.split_once('='))
            .collect();
        for controller in targeted(target).into_iter().filter(|c| enabled.contains(c)) {
            for (flag, value) in &set {
                args.insert((controller, (*flag).to_owned()), (*value).to_owned());
            }
        }
    }
    args
}

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
    let account = folded
        .args
        .values()
        .find_map(|flags| flags.get("default-service-account")?.last())
        .map(|set| set.value.clone())?;
    let expected = profile_args(&account, enabled);
    // Every flag of the profile where the profile sets it, and none of them anywhere else.
    let complete = expected
        .iter()
        .all(|((controller, flag), value)| folded.last(*controller, flag).map(|set| &set.value) == Some(value));
    let elsewhere = folded.args.iter().any(|(controller, flags)| {
        FLAGS
            .iter()
            .any(|flag| flags.contains_key(*flag) && !expected.contains_key(&(*controller, (*flag).to_owned())))
    });
    if expected.is_empty() || !complete || elsewhere {
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
pub(super) fn is_sync_service_account(patch: &RawPatch) -> bool {
    if patch.target.kind.as_deref() != Some("Kustomization") {
        return false;
    }
    let Ok(serde_json::Value::Array(ops)) = crate::yaml::parse_value(&patch.patch) else {
        return false;
    };
    matches!(ops.as_slice(), [op] if op["op"] == "add"
        && op["path"] == "/spec/serviceAccountName"
        && op["value"] == "kustomize-controller")
}
