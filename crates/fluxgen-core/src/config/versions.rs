//! Whether a cluster's settings fit the Flux release its `distribution.version` pins and the
//! operator its `operator.version` installs: the operator ships that Flux
//! ([`facts::operator_ships`]), feature gates, workload identity, the sync provider.
//!
//! The facts come from [`crate::facts`] (the controllers' sources per Flux minor) and from the
//! FluxInstance CRD of flux-operator v0.58.1 (`config/crd/bases/fluxcd.controlplane.io_fluxinstances.yaml`
//! at commit 17c6aeaddd8dacd5fbd4dd9e1bfe23a0a59df1fb): its rules on `sync.provider`
//! (`github` only for a GitRepository, `gcp` only for an OCIRepository or a Bucket) and the
//! description of `cluster.objectLevelWorkloadIdentity` (Flux 2.6 and later); and from the
//! operator's `internal/builder/workload_identity.go` (`ValidateAndApplyWorkloadIdentityConfig`):
//! for Flux 2.6 it appends `--feature-gates=ObjectLevelWorkloadIdentity=true` when the setting
//! is true, for 2.7 and later `--feature-gates=ObjectLevelWorkloadIdentity=<setting>` always,
//! and whenever the setting is not true it removes the `serviceaccounts/token create` rule
//! from the `crd-controller` ClusterRole.

use super::load::Place;
use super::{ConfigError, Settings, SyncProvider};
use crate::Component;
use crate::facts::{self, Release};
use crate::suggest::did_you_mean;

/// Adds an error to `errors` for each setting that does not fit the pinned Flux release.
pub(super) fn check_versions(settings: &Settings, place: &Place<'_>, errors: &mut Vec<ConfigError>) {
    let release = facts::resolve_version(&settings.instance.distribution.version).release;
    if settings.instance.cluster.object_level_workload_identity.is_some() && release.minor() < (2, 6) {
        errors.push(place.error(
            &["instance", "cluster", "objectLevelWorkloadIdentity"],
            format!(
                "object-level workload identity needs Flux 2.6 or later (this cluster pins {}, resolved to {})",
                settings.instance.distribution.version, release.version
            ),
        ));
    }
    if let Err(too_old) = facts::operator_ships(&settings.operator.version, &settings.instance.distribution.version) {
        errors.push(place.error(
            &["operator", "version"],
            format!(
                "operator {} ships no Flux release matching `{}` ({}): Flux {} arrived with operator {}; set \
                 `operator.version` to {} or later",
                settings.operator.version,
                settings.instance.distribution.version,
                too_old.newest_shipped.map_or_else(
                    || "it ships none fluxgen knows".to_owned(),
                    |v| format!("its newest is {v}")
                ),
                too_old.flux,
                too_old.needed,
                too_old.needed,
            ),
        ));
    }
    for (index, raw) in settings.tuning.patches.iter().enumerate() {
        if let Some(message) = raw_patch_problem(release, &crate::emit::components(settings), &raw.to_patch()) {
            errors.push(place.error(&["tuning", "patches", &index.to_string(), "patch"], message));
        }
    }
    if let Some(message) = settings
        .instance
        .sync
        .provider
        .and_then(|provider| sync_provider_problem(release, provider))
    {
        errors.push(place.error(&["instance", "sync", "provider"], message));
    }
}

/// What is wrong with a sync provider for the GitRepository fluxgen's FluxInstance syncs, on
/// `release`, if anything.
fn sync_provider_problem(release: &Release, provider: SyncProvider) -> Option<String> {
    match provider {
        SyncProvider::Gcp => Some(
            "sync.provider 'gcp' is only supported for OCIRepository and Bucket (the FluxInstance CRD's rule), and \
             fluxgen syncs a GitRepository: use `generic` with a `repository.pullSecret`"
                .to_owned(),
        ),
        SyncProvider::Aws if release.minor() < (2, 9) => Some(format!(
            "a GitRepository authenticates with provider `aws` from Flux 2.9 on (this cluster runs {})",
            release.version
        )),
        _ => None,
    }
}

/// What is wrong with setting a feature gate through `tuning.featureGates` on a cluster
/// pinned to `release`, if anything: a gate the controller does not know (it would exit at
/// start-up), a gate it ignores, or `ObjectLevelWorkloadIdentity`, which the operator sets
/// itself from `cluster.objectLevelWorkloadIdentity`.
pub(super) fn gate_problem(release: &Release, controller: Component, gate: &str) -> Option<String> {
    if gate == "ObjectLevelWorkloadIdentity" && release.minor() >= (2, 6) {
        return Some(
            "set `instance.cluster.objectLevelWorkloadIdentity` instead: the operator sets this gate on the \
             controllers from that setting (for Flux 2.7 and later it always appends \
             `--feature-gates=ObjectLevelWorkloadIdentity=<setting>`) and, unless it is true, removes the \
             controllers' permission to create service account tokens, which workload identity needs: a gate set \
             here wins on the flag but leaves that permission out"
                .to_owned(),
        );
    }
    let known: Vec<String> = release
        .feature_gates(controller)
        .iter()
        .map(|g| (*g).to_owned())
        .collect();
    if !known.iter().any(|g| g == gate) {
        let version = release.controller(controller).map_or("", |c| c.version());
        let mut message = format!(
            "{controller} {version} (Flux {}) has no feature gate {} (it would refuse to start)",
            release.version,
            crate::url::quoted(gate)
        );
        if let Some(since) = facts::gate_since(controller, gate) {
            message.push_str(&format!("; it arrives with Flux {}", since.version));
        } else {
            match did_you_mean(gate, &known) {
                Some(best) => message.push_str(&format!(": did you mean `{best}`?")),
                None => message.push_str(&format!("; it knows {}", known.join(", "))),
            }
        }
        return Some(message);
    }
    release
        .ignored_gate(controller, gate)
        .map(|why| format!("{why}: remove it"))
}

/// What is wrong with a raw JSON 6902 patch on `release`, if anything: an operation that
/// addresses by index (`/spec/versions/<n>` of a CRD; `args`, `volumeMounts` or `volumes` of a
/// controller) a place the release's objects do not have, a flag the release's controller no
/// longer accepts, or a CRD patch that selects no CRD of the release. Kustomize refuses the first (the operator's build fails) and skips the second
/// (the patch silently does nothing). Strategic-merge patches and the other paths are not judged.
fn raw_patch_problem(
    release: &Release,
    components: &[Component],
    patch: &crate::objects::KustomizePatch,
) -> Option<String> {
    let target = patch.target.as_ref()?;
    let ops = crate::yaml::parse_value(&patch.patch).ok()?;
    let paths: Vec<(&str, &str)> = ops
        .as_array()?
        .iter()
        .filter_map(|op| Some((op.get("op")?.as_str()?, op.get("path")?.as_str()?)))
        .collect();
    let index_after =
        |path: &str, prefix: &str| -> Option<usize> { path.strip_prefix(prefix)?.split('/').next()?.parse().ok() };
    match target.kind.as_deref() {
        Some("CustomResourceDefinition") => {
            let selected: Vec<&facts::Crd> = release
                .crds
                .iter()
                .filter(|crd| {
                    let object = serde_json::json!({
                        "apiVersion": "apiextensions.k8s.io/v1",
                        "kind": "CustomResourceDefinition",
                        "metadata": { "name": crd.name },
                    });
                    crate::patch::matches(target, &object).unwrap_or(false)
                })
                .collect();
            if selected.is_empty() {
                return Some(format!(
                    "this CRD patch selects no CRD of Flux {} (the release the cluster pins), so it would silently do nothing",
                    release.version
                ));
            }
            for (_, path) in &paths {
                let Some(index) = index_after(path, "/spec/versions/") else {
                    continue;
                };
                for crd in &selected {
                    if index >= crd.versions.len() {
                        let served: Vec<String> = crd
                            .versions
                            .iter()
                            .enumerate()
                            .map(|(i, v)| format!("{i}: {v}"))
                            .collect();
                        return Some(format!(
                            "`{path}` does not exist in `{}` of Flux {}, which serves {} (by index: {}): the operator's \
                             build fails on it; address the version you mean by its index in this release",
                            crd.name,
                            release.version,
                            crd.versions.join(", "),
                            served.join(", ")
                        ));
                    }
                }
            }
            None
        }
        Some("Deployment") => {
            const CONTAINER: &str = "/spec/template/spec/containers/0/";
            for component in components {
                let Some(deployment) = release.deployment(*component) else {
                    continue;
                };
                if !crate::patch::matches(target, &deployment).unwrap_or(false) {
                    continue;
                }
                for value in ops.as_array()?.iter().filter_map(|op| op.get("value")?.as_str()) {
                    if let Some(why) = release
                        .removed_flag(*component, value)
                        .filter(|_| value.starts_with("--"))
                    {
                        return Some(format!(
                            "`{value}` would make {component} of Flux {} refuse to start: {why}",
                            release.version
                        ));
                    }
                }
                for (op, path) in &paths {
                    for (list, pointer) in [
                        (format!("{CONTAINER}args/"), format!("{CONTAINER}args")),
                        (format!("{CONTAINER}volumeMounts/"), format!("{CONTAINER}volumeMounts")),
                        (
                            "/spec/template/spec/volumes/".to_owned(),
                            "/spec/template/spec/volumes".to_owned(),
                        ),
                    ] {
                        let Some(index) = index_after(path, &list) else {
                            continue;
                        };
                        let len = deployment
                            .pointer(&pointer)
                            .and_then(serde_json::Value::as_array)
                            .map_or(0, Vec::len);
                        let fits = if *op == "add" { index <= len } else { index < len };
                        if !fits {
                            return Some(format!(
                                "`{op} {path}` does not apply to {component} of Flux {}, whose list has {len} entries: \
                                 the operator's build fails on it (append with `/-` instead of an index)",
                                release.version
                            ));
                        }
                    }
                }
            }
            None
        }
        _ => None,
    }
}
