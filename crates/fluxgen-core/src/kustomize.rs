//! Flux `Kustomization` (`kustomize.toolkit.fluxcd.io/v1`) and the kustomize
//! `kustomization.yaml` file (`kustomize.config.k8s.io/v1beta1`).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};

use crate::helm::DependsOn;
use crate::manifest::{kubernetes_object, named};
use crate::{Manifest, Violation, objects::Duration, objects::KustomizePatch, validation::Violations};

/// A Flux `Kustomization`: applies a path of a source to the cluster (an app's `ks.yaml`).
///
/// ```
/// use fluxgen_core::{Kustomization, Manifest, objects::SourceRef};
/// let ks = Kustomization::new("flux-operator", "./kubernetes/edge/apps/flux-system/flux-operator/app")
///     .with_source(SourceRef::git_repository("flux-system").in_namespace("flux-system"))
///     .with_target_namespace("flux-system")
///     .with_wait(true);
/// assert!(ks.violations().is_empty());
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Kustomization {
    /// Standard object metadata.
    pub metadata: ObjectMeta,
    /// The desired state.
    pub spec: KustomizationSpec,
}
kubernetes_object!(Kustomization, KustomizationSpec, group: "kustomize.toolkit.fluxcd.io", version: "v1", kind: "Kustomization", plural: "kustomizations");

/// `Kustomization.spec` (the fields home-ops app `ks.yaml` files use).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KustomizationSpec {
    /// What happens to applied objects when the Kustomization is deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_policy: Option<String>,
    /// Kustomizations that must be ready first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<DependsOn>,
    /// Reconciliation interval (required).
    pub interval: Duration,
    /// Patches applied to the built objects.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub patches: Vec<KustomizePatch>,
    /// The directory inside the source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Delete objects removed from the source (required).
    pub prune: bool,
    /// Interval between retries after a failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_interval: Option<Duration>,
    /// The source (required).
    pub source_ref: SourceRef,
    /// Stops reconciliation while true.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub suspend: bool,
    /// Namespace set on every applied object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_namespace: Option<String>,
    /// Timeout of apply and health checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
    /// Wait for the applied objects to become ready.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait: Option<bool>,
}

/// A reference to a Flux source.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceRef {
    /// `GitRepository`, `OCIRepository`, `Bucket` or `ExternalArtifact`.
    pub kind: String,
    /// The source's name.
    pub name: String,
    /// The source's namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

impl SourceRef {
    /// A `GitRepository` in the same namespace.
    ///
    /// ```
    /// assert_eq!(fluxgen_core::objects::SourceRef::git_repository("flux-system").kind, "GitRepository");
    /// ```
    pub fn git_repository(name: impl Into<String>) -> Self {
        Self {
            kind: "GitRepository".to_owned(),
            name: name.into(),
            namespace: None,
        }
    }

    /// The same reference in another namespace.
    #[must_use]
    pub fn in_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = Some(namespace.into());
        self
    }
}

impl Kustomization {
    /// A pruning Kustomization of `path`, reconciled every `1h`, with no source yet.
    pub fn new(name: impl Into<String>, path: impl Into<String>) -> Self {
        Self {
            metadata: named(name),
            spec: KustomizationSpec {
                interval: Duration::from("1h"),
                path: Some(path.into()),
                prune: true,
                ..KustomizationSpec::default()
            },
        }
    }

    /// Sets the Kustomization's own namespace (`metadata.namespace`).
    ///
    /// ```
    /// let ks = fluxgen_core::Kustomization::new("apps", "./apps").with_namespace("flux-system");
    /// assert_eq!(ks.metadata.namespace.as_deref(), Some("flux-system"));
    /// ```
    #[must_use]
    pub fn with_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.metadata.namespace = Some(namespace.into());
        self
    }

    /// Sets the source.
    #[must_use]
    pub fn with_source(mut self, source: SourceRef) -> Self {
        self.spec.source_ref = source;
        self
    }

    /// Waits for another Kustomization in the same namespace.
    #[must_use]
    pub fn with_depends_on(mut self, name: impl Into<String>) -> Self {
        self.spec.depends_on.push(DependsOn::new(name));
        self
    }

    /// Sets the namespace of every applied object.
    #[must_use]
    pub fn with_target_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.spec.target_namespace = Some(namespace.into());
        self
    }

    /// Sets whether to wait for the applied objects.
    #[must_use]
    pub fn with_wait(mut self, wait: bool) -> Self {
        self.spec.wait = Some(wait);
        self
    }

    /// Sets the reconciliation interval.
    #[must_use]
    pub fn with_interval(mut self, interval: impl Into<Duration>) -> Self {
        self.spec.interval = interval.into();
        self
    }

    /// Sets whether removed objects are deleted.
    #[must_use]
    pub fn with_prune(mut self, prune: bool) -> Self {
        self.spec.prune = prune;
        self
    }
}

impl Manifest for Kustomization {
    const SCHEMA: &'static str = "kustomize.toolkit.fluxcd.io/kustomization_v1.json";

    fn violations(&self) -> Vec<Violation> {
        let mut found = Violations::default();
        found.name("metadata.name", self.name());
        found.duration("spec.interval", &self.spec.interval);
        found.optional_duration("spec.retryInterval", self.spec.retry_interval.as_ref());
        found.optional_duration("spec.timeout", self.spec.timeout.as_ref());
        found.not_empty("spec.sourceRef.name", &self.spec.source_ref.name);
        if !["OCIRepository", "GitRepository", "Bucket", "ExternalArtifact"]
            .contains(&self.spec.source_ref.kind.as_str())
        {
            found.push(
                "spec.sourceRef.kind",
                format!(
                    "`{}` is not one of OCIRepository, GitRepository, Bucket, ExternalArtifact",
                    self.spec.source_ref.kind
                ),
            );
        }
        if let Some(policy) = &self.spec.deletion_policy
            && !["MirrorPrune", "Delete", "WaitForTermination", "Orphan"].contains(&policy.as_str())
        {
            found.push(
                "spec.deletionPolicy",
                format!("`{policy}` is not one of MirrorPrune, Delete, WaitForTermination, Orphan"),
            );
        }
        found.into_vec()
    }
}

/// A kustomize `kustomization.yaml` listing an app's resource files.
///
/// ```
/// let file = fluxgen_core::KustomizationFile::new(["./helmrelease.yaml", "./ocirepository.yaml"]);
/// assert_eq!(file.resources.len(), 2);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct KustomizationFile {
    /// The namespace set on every namespaced resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Relative paths of the resources, in order.
    pub resources: Vec<String>,
}

impl KustomizationFile {
    /// `apiVersion` of kustomize's config file.
    pub const API_VERSION: &'static str = "kustomize.config.k8s.io/v1beta1";
    /// `kind` of kustomize's config file.
    pub const KIND: &'static str = "Kustomization";

    /// A kustomization listing the given resources.
    pub fn new<S: Into<String>>(resources: impl IntoIterator<Item = S>) -> Self {
        Self {
            namespace: None,
            resources: resources.into_iter().map(Into::into).collect(),
        }
    }

    /// Sets the namespace of every namespaced resource.
    #[must_use]
    pub fn with_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = Some(namespace.into());
        self
    }

    /// The file as a JSON value with `apiVersion` and `kind`.
    pub fn to_value(&self) -> serde_json::Value {
        let mut value = serde_json::json!({
            "apiVersion": Self::API_VERSION,
            "kind": Self::KIND,
            "resources": self.resources,
        });
        if let Some(namespace) = &self.namespace {
            value["namespace"] = serde_json::Value::from(namespace.as_str());
        }
        value
    }
}
