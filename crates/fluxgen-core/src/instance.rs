//! `FluxInstance` (`fluxcd.controlplane.io/v1`): the Flux distribution the operator runs.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};

use crate::manifest::{kubernetes_object, named};
use crate::{Component, Duration, Manifest, Violation, validation::Violations};

/// The only name the operator accepts for a FluxInstance.
pub const INSTANCE_NAME: &str = "flux";

/// The default registry of the upstream Flux images.
pub const DEFAULT_REGISTRY: &str = "ghcr.io/fluxcd";

/// A `FluxInstance`, always named `flux`.
///
/// ```
/// use fluxgen_core::{FluxInstance, Manifest, Sync};
/// let instance = FluxInstance::new("2.9.x")
///     .with_sync(Sync::git("https://github.com/example/haynes-ops", "refs/heads/main", "kubernetes/edge/flux"))
///     .without_network_policy();
/// assert_eq!(instance.name(), "flux");
/// assert!(instance.violations().is_empty());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct FluxInstance {
    /// Standard object metadata (`name: flux`).
    pub metadata: ObjectMeta,
    /// The desired state.
    pub spec: FluxInstanceSpec,
}
kubernetes_object!(FluxInstance, FluxInstanceSpec, group: "fluxcd.controlplane.io", version: "v1", kind: "FluxInstance", plural: "fluxinstances");

/// `FluxInstance.spec`: every field of the v1 CRD.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FluxInstanceSpec {
    /// Cluster-wide settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<ClusterSettings>,
    /// Labels and annotations for every object the operator creates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub common_metadata: Option<CommonMetadata>,
    /// The controllers to run (empty: the four defaults).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<Component>,
    /// The Flux version and where its images come from (required).
    pub distribution: Distribution,
    /// Kustomize patches applied to the generated controller manifests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kustomize: Option<KustomizeSettings>,
    /// Migrate stored Flux objects to the newest API version on upgrade (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migrate_resources: Option<bool>,
    /// Controller sharding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sharding: Option<Sharding>,
    /// A persistent volume for source-controller's artifacts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<Storage>,
    /// The source and Kustomization the instance creates to sync the cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync: Option<Sync>,
    /// Wait for the controllers to be ready (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait: Option<bool>,
}

/// `spec.distribution`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Distribution {
    /// The manifests artifact; maintainers advise leaving it unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact: Option<String>,
    /// Secret to pull the artifact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_pull_secret: Option<String>,
    /// Secret to pull the images.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_pull_secret: Option<String>,
    /// Image registry (required), e.g. `ghcr.io/fluxcd`.
    pub registry: String,
    /// Image variant, e.g. `upstream-alpine`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// Flux version or range (required), e.g. `2.9.x`.
    pub version: String,
}

/// `spec.cluster`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterSettings {
    /// Cluster DNS domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// Lock down cross-namespace references.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multitenant: Option<bool>,
    /// Workload identity per tenant (needs `objectLevelWorkloadIdentity`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multitenant_workload_identity: Option<bool>,
    /// Create the Flux NetworkPolicies (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_policy: Option<bool>,
    /// Workload identity per object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_level_workload_identity: Option<bool>,
    /// Controller sizing profile: `small`, `medium` or `large`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
    /// Default service account for decryption in tenant namespaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_default_decryption_service_account: Option<String>,
    /// Default service account for remote kubeconfigs in tenant namespaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_default_kube_config_service_account: Option<String>,
    /// Default service account in tenant namespaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_default_service_account: Option<String>,
    /// `kubernetes`, `openshift`, `aws`, `azure` or `gcp`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// `spec.commonMetadata`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommonMetadata {
    /// Annotations for every object.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// Labels for every object.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

/// `spec.kustomize`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KustomizeSettings {
    /// Patches applied after the operator's own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub patches: Vec<KustomizePatch>,
}

/// A kustomize patch (JSON 6902 list or strategic merge) with its target.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct KustomizePatch {
    /// The patch, YAML text.
    pub patch: String,
    /// What the patch applies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<PatchTarget>,
}

/// Selects the objects a patch applies to; `name` may be a regex like `(a|b)`.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PatchTarget {
    /// Annotation selector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotation_selector: Option<String>,
    /// API group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Kind, e.g. `Deployment`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Label selector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_selector: Option<String>,
    /// Name or name regex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Namespace: the operator refuses targets that set it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// API version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

impl PatchTarget {
    /// A target of one kind and name (or name regex).
    ///
    /// ```
    /// let target = fluxgen_core::PatchTarget::kind_name("Deployment", "helm-controller");
    /// assert_eq!(target.kind.as_deref(), Some("Deployment"));
    /// ```
    pub fn kind_name(kind: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            kind: Some(kind.into()),
            name: Some(name.into()),
            ..Self::default()
        }
    }
}

/// `spec.sharding`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sharding {
    /// Label key used to assign objects to shards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Shard names (required).
    pub shards: Vec<String>,
    /// `ephemeral` or `persistent` shard storage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<String>,
}

/// `spec.storage`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Storage {
    /// Storage class (required).
    pub class: String,
    /// Volume size (required), e.g. `10Gi`.
    pub size: String,
}

/// `spec.sync`: the source and root Kustomization the instance creates.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Sync {
    /// Reconciliation interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<Duration>,
    /// `GitRepository`, `OCIRepository` or `Bucket` (required).
    pub kind: String,
    /// Name of the source and Kustomization (defaults to the namespace; immutable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Path inside the source to apply (required).
    pub path: String,
    /// `generic`, `aws`, `azure`, `gcp` or `github`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// Secret with the source's credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull_secret: Option<String>,
    /// Full Git ref (`refs/heads/main`) or OCI tag (required).
    pub r#ref: String,
    /// Source URL (required).
    pub url: String,
}

impl Sync {
    /// Syncs a Git repository at a full ref.
    ///
    /// ```
    /// let sync = fluxgen_core::Sync::git("ssh://git@github.com/x/y", "refs/heads/main", "kubernetes/flux");
    /// assert_eq!(sync.kind, "GitRepository");
    /// ```
    pub fn git(url: impl Into<String>, reference: impl Into<String>, path: impl Into<String>) -> Self {
        Self {
            kind: "GitRepository".to_owned(),
            url: url.into(),
            r#ref: reference.into(),
            path: path.into(),
            ..Self::default()
        }
    }
}

const CLUSTER_TYPES: [&str; 5] = ["kubernetes", "openshift", "aws", "azure", "gcp"];
const CLUSTER_SIZES: [&str; 3] = ["small", "medium", "large"];
const VARIANTS: [&str; 4] = [
    "upstream-alpine",
    "enterprise-alpine",
    "enterprise-distroless",
    "enterprise-distroless-fips",
];
const SYNC_KINDS: [&str; 3] = ["OCIRepository", "GitRepository", "Bucket"];
const SYNC_PROVIDERS: [&str; 5] = ["generic", "aws", "azure", "gcp", "github"];

impl FluxInstance {
    /// A FluxInstance named `flux` running the given Flux version from `ghcr.io/fluxcd`.
    pub fn new(version: impl Into<String>) -> Self {
        Self {
            metadata: named(INSTANCE_NAME),
            spec: FluxInstanceSpec {
                distribution: Distribution {
                    version: version.into(),
                    registry: DEFAULT_REGISTRY.to_owned(),
                    ..Distribution::default()
                },
                ..FluxInstanceSpec::default()
            },
        }
    }

    /// Sets the controllers to run.
    #[must_use]
    pub fn with_components(mut self, components: impl IntoIterator<Item = Component>) -> Self {
        self.spec.components = components.into_iter().collect();
        self
    }

    /// Sets the Git (or OCI, Bucket) sync.
    #[must_use]
    pub fn with_sync(mut self, sync: Sync) -> Self {
        self.spec.sync = Some(sync);
        self
    }

    /// Sets the cluster settings.
    #[must_use]
    pub fn with_cluster(mut self, cluster: ClusterSettings) -> Self {
        self.spec.cluster = Some(cluster);
        self
    }

    /// Turns the Flux NetworkPolicies off (`cluster.networkPolicy: false`).
    #[must_use]
    pub fn without_network_policy(mut self) -> Self {
        self.spec
            .cluster
            .get_or_insert_with(ClusterSettings::default)
            .network_policy = Some(false);
        self
    }

    /// Adds kustomize patches for the controllers.
    #[must_use]
    pub fn with_patches(mut self, patches: impl IntoIterator<Item = KustomizePatch>) -> Self {
        self.spec
            .kustomize
            .get_or_insert_with(KustomizeSettings::default)
            .patches
            .extend(patches);
        self
    }
}

impl Manifest for FluxInstance {
    const SCHEMA: &'static str = "fluxcd.controlplane.io/fluxinstance_v1.json";

    fn violations(&self) -> Vec<Violation> {
        let mut found = Violations::default();
        if self.name() != INSTANCE_NAME {
            found.push(
                "metadata.name",
                format!("must be `{INSTANCE_NAME}`, the only name the operator accepts"),
            );
        }
        self.spec.check(&mut found);
        found.into_vec()
    }
}

impl FluxInstanceSpec {
    /// Adds the spec's violations (field paths relative to the object) to `found`.
    pub(crate) fn check(&self, found: &mut Violations) {
        check_distribution(&self.distribution, found);
        let mut seen = Vec::new();
        for component in &self.components {
            if seen.contains(component) {
                found.push("spec.components", format!("`{component}` is listed twice"));
            }
            seen.push(*component);
        }
        if let Some(cluster) = &self.cluster {
            check_cluster(cluster, found);
        }
        if let Some(sync) = &self.sync {
            check_sync(sync, found);
        }
        if let Some(sharding) = &self.sharding {
            if sharding.shards.is_empty() {
                found.push("spec.sharding.shards", "is required: list at least one shard");
            }
            match sharding.storage.as_deref() {
                None | Some("ephemeral") => {}
                Some("persistent") if self.storage.is_none() => {
                    found.push("spec.storage", "must be set when spec.sharding.storage is `persistent`");
                }
                Some("persistent") => {}
                Some(other) => found.push(
                    "spec.sharding.storage",
                    format!("`{other}` is not one of ephemeral, persistent"),
                ),
            }
        }
        if let Some(storage) = &self.storage {
            found.not_empty("spec.storage.class", &storage.class);
            found.not_empty("spec.storage.size", &storage.size);
        }
        if let Some(kustomize) = &self.kustomize {
            for (index, patch) in kustomize.patches.iter().enumerate() {
                if patch.patch.trim().is_empty() {
                    found.push(format!("spec.kustomize.patches[{index}].patch"), "is required");
                }
                if patch.target.as_ref().is_some_and(|t| t.namespace.is_some()) {
                    found.push(
                        format!("spec.kustomize.patches[{index}].target.namespace"),
                        "must not be set: the operator renders the controllers before they have a namespace",
                    );
                }
            }
        }
    }
}

fn check_distribution(distribution: &Distribution, found: &mut Violations) {
    found.not_empty("spec.distribution.version", &distribution.version);
    found.not_empty("spec.distribution.registry", &distribution.registry);
    if let Some(artifact) = &distribution.artifact
        && !artifact.starts_with("oci://")
    {
        found.push(
            "spec.distribution.artifact",
            format!("`{artifact}` must start with oci://"),
        );
    }
    if let Some(variant) = &distribution.variant {
        one_of(found, "spec.distribution.variant", variant, &VARIANTS);
    }
}

fn check_cluster(cluster: &ClusterSettings, found: &mut Violations) {
    if let Some(kind) = &cluster.kind {
        one_of(found, "spec.cluster.type", kind, &CLUSTER_TYPES);
    }
    if let Some(size) = &cluster.size {
        one_of(found, "spec.cluster.size", size, &CLUSTER_SIZES);
    }
    if cluster.multitenant_workload_identity == Some(true) && cluster.object_level_workload_identity != Some(true) {
        found.push(
            "spec.cluster.objectLevelWorkloadIdentity",
            "must be true when multitenantWorkloadIdentity is true",
        );
    }
}

fn check_sync(sync: &Sync, found: &mut Violations) {
    one_of(found, "spec.sync.kind", &sync.kind, &SYNC_KINDS);
    found.not_empty("spec.sync.url", &sync.url);
    found.not_empty("spec.sync.path", &sync.path);
    found.not_empty("spec.sync.ref", &sync.r#ref);
    found.optional_duration("spec.sync.interval", sync.interval.as_ref());
    if sync.kind == "GitRepository" && !sync.r#ref.is_empty() && !sync.r#ref.starts_with("refs/") {
        found.push(
            "spec.sync.ref",
            format!(
                "`{}` must be a full Git ref such as refs/heads/{}",
                sync.r#ref, sync.r#ref
            ),
        );
    }
    if let Some(name) = &sync.name
        && name.len() > 63
    {
        found.push("spec.sync.name", format!("`{name}` is longer than 63 characters"));
    }
    if let Some(provider) = &sync.provider {
        one_of(found, "spec.sync.provider", provider, &SYNC_PROVIDERS);
        if provider == "gcp" && sync.kind == "GitRepository" {
            found.push(
                "spec.sync.provider",
                "`gcp` is only supported for OCIRepository and Bucket",
            );
        }
        if provider == "github" && sync.kind != "GitRepository" {
            found.push("spec.sync.provider", "`github` is only supported for GitRepository");
        }
    }
}

fn one_of(found: &mut Violations, field: &str, value: &str, allowed: &[&str]) {
    if !allowed.contains(&value) {
        found.push(field, format!("`{value}` is not one of {}", allowed.join(", ")));
    }
}
