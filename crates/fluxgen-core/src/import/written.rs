//! The `fluxgen.yaml` import writes: typed, sparse (only what import decided), serialized in
//! the order a person reads it (`repository`, `defaults`, `clusters`, `rollout`). Settings
//! every cluster shares move to `defaults` (a path with the cluster's name in it becomes a
//! `{cluster}` path).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::{
    DurationText, HelmCacheSettings, KubeApiLimitsSettings, OomWatchSettings, PerController, Quantity, SyncProvider,
};
use crate::{Component, Phase, tuning::LogLevel, tuning::SubstituteFrom};

/// An imported `fluxgen.yaml`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ImportedConfig {
    /// The Git source.
    pub repository: ImportedRepository,
    /// What every cluster shares.
    pub defaults: ImportedSettings,
    /// Each cluster: its phase and what differs.
    pub clusters: BTreeMap<String, ImportedCluster>,
    /// The migration order.
    pub rollout: Vec<String>,
}

/// `repository`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportedRepository {
    /// Clone URL.
    pub url: String,
    /// Branch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// Full ref instead of a branch.
    #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Secret with the deploy key or token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pull_secret: Option<String>,
}

/// One cluster's entry.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ImportedCluster {
    /// Where the cluster is in the migration.
    pub phase: Phase,
    /// What differs from `defaults`.
    #[serde(flatten)]
    pub settings: ImportedSettings,
}

/// The settings import sets (a sparse `Settings`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ImportedSettings {
    /// Where the two app directories go.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Namespace of Flux.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The apps' Kustomizations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apps: Option<ImportedApps>,
    /// The operator app.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operator: Option<ImportedOperator>,
    /// The FluxInstance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<ImportedInstance>,
    /// Controller tuning.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tuning: Option<ImportedTuning>,
}

/// `apps`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ImportedApps {
    /// The GitRepository both `ks.yaml` read from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_name: Option<String>,
}

/// `operator`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ImportedOperator {
    /// Chart version of both charts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// `instance`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ImportedInstance {
    /// `distribution`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distribution: Option<ImportedDistribution>,
    /// `components`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub components: Option<Vec<Component>>,
    /// `cluster`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<ImportedClusterSettings>,
    /// `commonMetadata`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub common_metadata: Option<ImportedMetadata>,
    /// `sync`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync: Option<ImportedSync>,
}

/// `instance.distribution`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ImportedDistribution {
    /// Flux version range, e.g. `2.3.x`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The image registry, where it is not `ghcr.io/fluxcd`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registry: Option<String>,
}

/// `instance.cluster`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ImportedClusterSettings {
    /// The cluster DNS domain, where it is not `cluster.local`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// Whether the Flux NetworkPolicies are created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_policy: Option<bool>,
    /// The multi-tenancy lockdown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub multitenant: Option<bool>,
    /// The service account tenants' objects run as by default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant_default_service_account: Option<String>,
    /// Object-level workload identity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object_level_workload_identity: Option<bool>,
}

/// `instance.commonMetadata`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ImportedMetadata {
    /// Labels for every object the operator creates.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

/// `instance.sync`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ImportedSync {
    /// Name of the sync GitRepository and Kustomization.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Directory the sync applies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Interval.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<DurationText>,
    /// How the sync authenticates, from the GitRepository's `spec.provider`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<SyncProvider>,
}

/// `tuning`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ImportedTuning {
    /// `--concurrent`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workers: Option<PerController<u32>>,
    /// `--requeue-dependency`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requeue_dependency: Option<PerController<DurationText>>,
    /// `--kube-api-qps` / `--kube-api-burst`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kube_api_limits: Option<KubeApiLimitsSettings>,
    /// Memory limits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_limit: Option<PerController<Quantity>>,
    /// Limits and requests per controller.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub resources: BTreeMap<Component, ImportedResources>,
    /// kustomize-controller builds in memory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_memory_builds: Option<bool>,
    /// source-controller's Helm index cache.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub helm_cache: Option<HelmCacheSettings>,
    /// helm-controller's near-OOM detection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oom_watch: Option<OomWatchSettings>,
    /// Feature gates per controller.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub feature_gates: BTreeMap<Component, BTreeMap<String, bool>>,
    /// `--watch-configs-label-selector`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub watch_configs_selector: Option<String>,
    /// `--sops-age-secret`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sops_age_secret: Option<String>,
    /// `--log-level`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_level: Option<PerController<LogLevel>>,
    /// Additions to the sync Kustomization.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync_kustomization: Option<ImportedSyncKustomization>,
    /// Raw patches, kept verbatim.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub patches: Vec<ImportedPatch>,
}

impl ImportedTuning {
    /// Whether nothing is set.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// Limits and requests of one controller.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ImportedResources {
    /// Limits.
    #[serde(skip_serializing_if = "ImportedAmounts::is_empty")]
    pub limits: ImportedAmounts,
    /// Requests.
    #[serde(skip_serializing_if = "ImportedAmounts::is_empty")]
    pub requests: ImportedAmounts,
}

/// CPU and memory.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ImportedAmounts {
    /// CPU.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu: Option<Quantity>,
    /// Memory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<Quantity>,
}

impl ImportedAmounts {
    /// Whether neither is set.
    pub fn is_empty(&self) -> bool {
        self.cpu.is_none() && self.memory.is_none()
    }
}

/// `tuning.syncKustomization`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ImportedSyncKustomization {
    /// SOPS decryption Secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decryption_secret: Option<String>,
    /// `postBuild.substituteFrom`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub substitute_from: Vec<SubstituteFrom>,
    /// Wait for the applied objects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wait: Option<bool>,
    /// Timeout.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<DurationText>,
}

/// A raw patch with its target.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImportedPatch {
    /// The patch text.
    pub patch: String,
    /// Its target.
    pub target: ImportedPatchTarget,
}

/// A raw patch's target (never a namespace: the operator refuses it).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ImportedPatchTarget {
    /// Kind.
    pub kind: String,
    /// Name or regex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// API group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// API version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Label selector.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label_selector: Option<String>,
    /// Annotation selector.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annotation_selector: Option<String>,
}

/// The keys where `{cluster}` expands (the loader expands it nowhere else).
const TEMPLATED: [&[&str]; 2] = [&["path"], &["instance", "sync", "path"]];

/// Builds the file's structure from each cluster's full settings: what all clusters share
/// goes to `defaults`, the rest stays with the cluster.
pub(super) fn factor(
    clusters: &BTreeMap<String, (Phase, ImportedSettings)>,
) -> (ImportedSettings, BTreeMap<String, ImportedCluster>) {
    let mut values: BTreeMap<String, Value> = clusters
        .iter()
        .map(|(name, (_, settings))| {
            let mut value = serde_json::to_value(settings).expect("settings serialize");
            for keys in TEMPLATED {
                template(&mut value, keys, name);
            }
            (name.clone(), value)
        })
        .collect();
    let mut defaults = Value::Object(serde_json::Map::new());
    let all: Vec<&mut Value> = values.values_mut().collect();
    shared(all, &mut defaults);
    // A `{cluster}` path that stayed with one cluster reads better spelled out.
    for (name, value) in &mut values {
        for keys in TEMPLATED {
            untemplate(value, keys, name);
        }
    }
    let defaults: ImportedSettings = serde_json::from_value(defaults).expect("factored settings deserialize");
    let entries = values
        .into_iter()
        .map(|(name, value)| {
            let settings: ImportedSettings = serde_json::from_value(value).expect("factored settings deserialize");
            let phase = clusters[&name].0;
            (name, ImportedCluster { phase, settings })
        })
        .collect();
    (defaults, entries)
}

/// Moves what every value has, equal, into `into`; recurses into mappings (which merge
/// deeply when the file is loaded); anything else moves whole or not at all.
fn shared(mut values: Vec<&mut Value>, into: &mut Value) {
    let Some(first) = values.first() else { return };
    let Value::Object(first) = &**first else { return };
    let keys: Vec<String> = first.keys().cloned().collect();
    for key in keys {
        let present: Vec<Value> = values.iter().filter_map(|v| v.get(&key).cloned()).collect();
        if present.len() != values.len() {
            continue;
        }
        if present.iter().all(|v| *v == present[0]) {
            into[&key] = present[0].clone();
            for value in &mut values {
                if let Value::Object(map) = &mut **value {
                    map.remove(&key);
                }
            }
        } else if present.iter().all(Value::is_object) {
            let mut inner = Value::Object(serde_json::Map::new());
            let children: Vec<&mut Value> = values.iter_mut().filter_map(|v| v.get_mut(&key)).collect();
            shared(children, &mut inner);
            if inner.as_object().is_some_and(|m| !m.is_empty()) {
                into[&key] = inner;
            }
            for value in &mut values {
                if let Value::Object(map) = &mut **value
                    && map
                        .get(&key)
                        .is_some_and(|v| v.as_object().is_some_and(serde_json::Map::is_empty))
                {
                    map.remove(&key);
                }
            }
        }
    }
}

fn template(value: &mut Value, keys: &[&str], cluster: &str) {
    if let Some(Value::String(path)) = pointer_mut(value, keys) {
        let replaced: Vec<&str> = path
            .split('/')
            .map(|segment| if segment == cluster { "{cluster}" } else { segment })
            .collect();
        *path = replaced.join("/");
    }
}

fn untemplate(value: &mut Value, keys: &[&str], cluster: &str) {
    if let Some(Value::String(path)) = pointer_mut(value, keys) {
        *path = path.replace("{cluster}", cluster);
    }
}

fn pointer_mut<'a>(value: &'a mut Value, keys: &[&str]) -> Option<&'a mut Value> {
    let mut here = value;
    for key in keys {
        here = here.get_mut(*key)?;
    }
    Some(here)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(path: &str, workers: u32) -> ImportedSettings {
        ImportedSettings {
            path: Some(path.to_owned()),
            tuning: Some(ImportedTuning {
                workers: Some(PerController::All(workers)),
                in_memory_builds: Some(true),
                ..ImportedTuning::default()
            }),
            ..ImportedSettings::default()
        }
    }

    #[test]
    fn shared_settings_move_to_defaults_with_cluster_paths() {
        let clusters = BTreeMap::from([
            (
                "main".to_owned(),
                (Phase::Prepare, settings("kubernetes/main/apps/flux-system", 12)),
            ),
            (
                "edge".to_owned(),
                (Phase::Prepare, settings("kubernetes/edge/apps/flux-system", 8)),
            ),
        ]);
        let (defaults, entries) = factor(&clusters);
        assert_eq!(defaults.path.as_deref(), Some("kubernetes/{cluster}/apps/flux-system"));
        let tuning = defaults.tuning.unwrap();
        assert_eq!(tuning.in_memory_builds, Some(true));
        assert_eq!(tuning.workers, None);
        assert_eq!(
            entries["main"].settings.tuning.as_ref().unwrap().workers,
            Some(PerController::All(12))
        );
        assert_eq!(entries["main"].settings.path, None);
    }

    #[test]
    fn a_path_of_one_cluster_is_spelled_out() {
        let clusters = BTreeMap::from([
            (
                "main".to_owned(),
                (Phase::Prepare, settings("kubernetes/main/apps/flux-system", 1)),
            ),
            ("edge".to_owned(), (Phase::Prepare, settings("kubernetes/apps/edge", 1))),
        ]);
        let (defaults, entries) = factor(&clusters);
        assert_eq!(defaults.path, None);
        assert_eq!(entries["edge"].settings.path.as_deref(), Some("kubernetes/apps/edge"));
        assert_eq!(
            entries["main"].settings.path.as_deref(),
            Some("kubernetes/main/apps/flux-system")
        );
    }
}
