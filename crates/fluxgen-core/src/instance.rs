//! `FluxInstance` (`fluxcd.controlplane.io/v1`): the Flux distribution the operator runs.
//!
//! The parts `fluxgen.yaml` shares with the object (`instance.distribution`, `cluster`,
//! `commonMetadata`, `sharding`, `storage`, a raw patch's `target`) are these types: their
//! fields are declared in the order a written `fluxgen.yaml` lists them (`fluxgen import`),
//! while an emitted object's keys are sorted.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};

use crate::manifest::{kubernetes_object, named};
use crate::{Component, Manifest, Violation, objects::Duration, validation::Violations};

/// The only name the operator accepts for a FluxInstance.
pub const INSTANCE_NAME: &str = "flux";

/// The default registry of the upstream Flux images.
pub const DEFAULT_REGISTRY: &str = "ghcr.io/fluxcd";

/// The Flux version a [`Distribution`] runs unless told otherwise: the newest minor fluxgen
/// knows.
pub const DEFAULT_FLUX_VERSION: &str = "2.9.x";

/// A `FluxInstance`, always named `flux`.
///
/// ```
/// use fluxgen_core::{FluxInstance, objects::InstanceSync, Manifest};
/// let instance = FluxInstance::new("2.9.x")
///     .with_sync(InstanceSync::git("https://github.com/example/haynes-ops", "refs/heads/main", "kubernetes/edge/flux"))
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
    #[serde(skip_serializing_if = "Vec::is_empty")]
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
    pub sync: Option<InstanceSync>,
    /// Wait for the controllers to be ready (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait: Option<bool>,
}

/// `spec.distribution`: the Flux version and where its images come from (`instance.distribution`
/// in `fluxgen.yaml`). The default is [`DEFAULT_FLUX_VERSION`] from [`DEFAULT_REGISTRY`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "generator", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Distribution {
    /// Flux version or range (required), e.g. `2.9.x`.
    #[cfg_attr(feature = "generator", schemars(length(min = 1)))]
    pub version: String,
    /// Image registry (required), e.g. `ghcr.io/fluxcd`.
    #[cfg_attr(feature = "generator", schemars(length(min = 1)))]
    pub registry: String,
    /// Image variant, e.g. `upstream-alpine`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<Variant>,
    /// The manifests artifact (`oci://...`); maintainers advise leaving it unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "generator", schemars(pattern(crate::patterns::OCI_URL.regex)))]
    pub artifact: Option<String>,
    /// Name of a Secret to pull the artifact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "generator",
        schemars(pattern(crate::patterns::DNS_SUBDOMAIN.regex), length(max = crate::patterns::DNS_SUBDOMAIN.max_length))
    )]
    pub artifact_pull_secret: Option<String>,
    /// Name of a Secret to pull the images.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "generator",
        schemars(pattern(crate::patterns::DNS_SUBDOMAIN.regex), length(max = crate::patterns::DNS_SUBDOMAIN.max_length))
    )]
    pub image_pull_secret: Option<String>,
}

impl Default for Distribution {
    fn default() -> Self {
        Self {
            artifact: None,
            artifact_pull_secret: None,
            image_pull_secret: None,
            registry: DEFAULT_REGISTRY.to_owned(),
            variant: None,
            version: DEFAULT_FLUX_VERSION.to_owned(),
        }
    }
}

/// Flux image variants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "generator", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Variant {
    /// Upstream images on Alpine.
    UpstreamAlpine,
    /// Enterprise images on Alpine.
    EnterpriseAlpine,
    /// Enterprise distroless images.
    EnterpriseDistroless,
    /// Enterprise distroless FIPS images.
    EnterpriseDistrolessFips,
}

impl Variant {
    /// The variant as the CRD spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Variant::UpstreamAlpine => "upstream-alpine",
            Variant::EnterpriseAlpine => "enterprise-alpine",
            Variant::EnterpriseDistroless => "enterprise-distroless",
            Variant::EnterpriseDistrolessFips => "enterprise-distroless-fips",
        }
    }
}

/// `spec.cluster`: cluster-wide settings (`instance.cluster` in `fluxgen.yaml`, which does not
/// take the three tenant fields fluxgen does not write: `multitenantWorkloadIdentity`,
/// `tenantDefaultDecryptionServiceAccount`, `tenantDefaultKubeConfigServiceAccount`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "generator", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct ClusterSettings {
    /// Cluster flavour.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<ClusterType>,
    /// Controller sizing profile, applied before user patches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<ClusterSize>,
    /// Cluster DNS domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// Create the Flux NetworkPolicies (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_policy: Option<bool>,
    /// Lock down cross-namespace references.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multitenant: Option<bool>,
    /// Default service account in tenant namespaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "generator",
        schemars(pattern(crate::patterns::DNS_SUBDOMAIN.regex), length(max = crate::patterns::DNS_SUBDOMAIN.max_length))
    )]
    pub tenant_default_service_account: Option<String>,
    /// Object-level workload identity (`spec.cluster.objectLevelWorkloadIdentity`, Flux 2.6 and
    /// later): objects name their own service account for cloud authentication. For Flux 2.7
    /// and later the operator turns this into `--feature-gates=ObjectLevelWorkloadIdentity=<it>`
    /// on every controller that has the gate and, when it is not true, removes the
    /// controllers' permission to create service account tokens; so the gate is set here, never
    /// in `tuning.featureGates`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_level_workload_identity: Option<bool>,
    /// Workload identity per tenant (needs `objectLevelWorkloadIdentity`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "generator", schemars(skip))]
    pub multitenant_workload_identity: Option<bool>,
    /// Default service account for decryption in tenant namespaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "generator", schemars(skip))]
    pub tenant_default_decryption_service_account: Option<String>,
    /// Default service account for remote kubeconfigs in tenant namespaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "generator", schemars(skip))]
    pub tenant_default_kube_config_service_account: Option<String>,
}

/// Cluster flavours.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "generator", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum ClusterType {
    /// Any conformant Kubernetes.
    Kubernetes,
    /// OpenShift.
    Openshift,
    /// EKS.
    Aws,
    /// AKS.
    Azure,
    /// GKE.
    Gcp,
}

impl ClusterType {
    /// The type as the CRD spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            ClusterType::Kubernetes => "kubernetes",
            ClusterType::Openshift => "openshift",
            ClusterType::Aws => "aws",
            ClusterType::Azure => "azure",
            ClusterType::Gcp => "gcp",
        }
    }
}

/// Sizing profiles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "generator", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum ClusterSize {
    /// Few objects.
    Small,
    /// Hundreds of objects.
    Medium,
    /// Thousands of objects.
    Large,
}

impl ClusterSize {
    /// The size as the CRD spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            ClusterSize::Small => "small",
            ClusterSize::Medium => "medium",
            ClusterSize::Large => "large",
        }
    }
}

/// `spec.commonMetadata`: labels and annotations for every object the operator creates.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "generator", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct CommonMetadata {
    /// Labels for every object.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Annotations for every object.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// `spec.kustomize`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KustomizeSettings {
    /// Patches applied after the operator's own.
    #[serde(skip_serializing_if = "Vec::is_empty")]
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

/// Selects the objects a patch applies to; `name` may be a regex like `(a|b)`. In
/// `fluxgen.yaml` (`tuning.patches[].target`) `kind` is required and `namespace` refused: the
/// operator renders the controllers before they have a namespace.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "generator", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PatchTarget {
    /// Kind, e.g. `Deployment`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "generator", schemars(required, extend("type" = "string")))]
    pub kind: Option<String>,
    /// Name or name regex such as `(a|b)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// API group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// API version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Label selector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_selector: Option<String>,
    /// Annotation selector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotation_selector: Option<String>,
    /// Namespace: the operator refuses targets that set it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "generator", schemars(skip))]
    pub namespace: Option<String>,
}

impl PatchTarget {
    /// A target of one kind and name (or name regex).
    ///
    /// ```
    /// let target = fluxgen_core::objects::PatchTarget::kind_name("Deployment", "helm-controller");
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

/// `spec.sharding`: controller sharding (`instance.sharding` in `fluxgen.yaml`, which does not
/// take `storage`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "generator", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Sharding {
    /// Label key used to assign objects to shards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Shard names (required).
    #[cfg_attr(feature = "generator", schemars(length(min = 1)))]
    pub shards: Vec<String>,
    /// `ephemeral` or `persistent` shard storage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "generator", schemars(skip))]
    pub storage: Option<String>,
}

/// `spec.storage`: a persistent volume for source-controller's artifacts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "generator", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Storage {
    /// Storage class (required).
    #[cfg_attr(feature = "generator", schemars(length(min = 1)))]
    pub class: String,
    /// Volume size (required), a Kubernetes quantity such as `10Gi`.
    #[cfg_attr(feature = "generator", schemars(pattern(crate::patterns::QUANTITY.regex)))]
    pub size: String,
}

/// `spec.sync`: the source and root Kustomization the instance creates.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceSync {
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
    /// How the source authenticates (unset is `generic`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<SyncProvider>,
    /// Secret with the source's credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull_secret: Option<String>,
    /// Full Git ref (`refs/heads/main`) or OCI tag (required).
    pub r#ref: String,
    /// Source URL (required).
    pub url: String,
}

/// `spec.sync.provider`: the FluxInstance CRD's values (flux-operator v0.58.1,
/// `api/v1/fluxinstance_types.go`, `Sync.Provider`). fluxgen syncs a GitRepository, and the
/// CRD's rules allow `github` only for a GitRepository and `gcp` only for an OCIRepository or a
/// Bucket; the GitRepository takes `aws` from Flux 2.9 on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "generator", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum SyncProvider {
    /// No cloud identity: `repository.pullSecret` holds an SSH key (`identity`, `known_hosts`)
    /// or HTTPS credentials (`username`/`password` or `bearerToken`).
    Generic,
    /// AWS CodeCommit through the source-controller's IAM role (Flux 2.9 and later).
    Aws,
    /// Azure DevOps through the source-controller's workload identity (no secret).
    Azure,
    /// GCP (refused for a GitRepository by the CRD; listed to say so).
    Gcp,
    /// A GitHub App: `repository.pullSecret` holds `githubAppID`, `githubAppInstallationID`
    /// and `githubAppPrivateKey` (and `githubAppBaseURL` for GitHub Enterprise).
    Github,
}

impl SyncProvider {
    /// The provider as the CRD spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            SyncProvider::Generic => "generic",
            SyncProvider::Aws => "aws",
            SyncProvider::Azure => "azure",
            SyncProvider::Gcp => "gcp",
            SyncProvider::Github => "github",
        }
    }
}

impl InstanceSync {
    /// Syncs a Git repository at a full ref.
    ///
    /// ```
    /// let sync = fluxgen_core::objects::InstanceSync::git("ssh://git@github.com/x/y", "refs/heads/main", "kubernetes/flux");
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

const SYNC_KINDS: [&str; 3] = ["OCIRepository", "GitRepository", "Bucket"];

impl FluxInstance {
    /// A FluxInstance named `flux` running the given Flux version from `ghcr.io/fluxcd`.
    pub fn new(version: impl Into<String>) -> Self {
        Self {
            metadata: named(INSTANCE_NAME),
            spec: FluxInstanceSpec {
                distribution: Distribution {
                    version: version.into(),
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
    pub fn with_sync(mut self, sync: InstanceSync) -> Self {
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
}

fn check_cluster(cluster: &ClusterSettings, found: &mut Violations) {
    if cluster.multitenant_workload_identity == Some(true) && cluster.object_level_workload_identity != Some(true) {
        found.push(
            "spec.cluster.objectLevelWorkloadIdentity",
            "must be true when multitenantWorkloadIdentity is true",
        );
    }
}

fn check_sync(sync: &InstanceSync, found: &mut Violations) {
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
    if let Some(provider) = sync.provider {
        if provider == SyncProvider::Gcp && sync.kind == "GitRepository" {
            found.push(
                "spec.sync.provider",
                "`gcp` is only supported for OCIRepository and Bucket",
            );
        }
        if provider == SyncProvider::Github && sync.kind != "GitRepository" {
            found.push("spec.sync.provider", "`github` is only supported for GitRepository");
        }
    }
}

fn one_of(found: &mut Violations, field: &str, value: &str, allowed: &[&str]) {
    if !allowed.contains(&value) {
        found.push(field, format!("`{value}` is not one of {}", allowed.join(", ")));
    }
}
