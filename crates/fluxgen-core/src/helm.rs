//! `HelmRelease` (`helm.toolkit.fluxcd.io/v2`) with a `chartRef` to an `OCIRepository`.

use std::collections::BTreeMap;

use k8s_openapi::Resource as _;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::manifest::{kubernetes_object, named};
use crate::{Manifest, OciRepository, Violation, objects::Duration, validation::Violations};

/// A Flux `HelmRelease` whose chart comes from an `OCIRepository` through `chartRef`.
///
/// ```
/// use fluxgen_core::{HelmRelease, Manifest};
/// let release = HelmRelease::from_oci_repository("flux-operator")
///     .with_interval("1h")
///     .with_value("serviceMonitor", serde_json::json!({ "create": true }));
/// assert_eq!(release.spec.chart_ref.name, "flux-operator");
/// assert!(release.violations().is_empty());
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HelmRelease {
    /// Standard object metadata.
    pub metadata: ObjectMeta,
    /// The desired state.
    pub spec: HelmReleaseSpec,
}
kubernetes_object!(HelmRelease, HelmReleaseSpec, group: "helm.toolkit.fluxcd.io", version: "v2", kind: "HelmRelease", plural: "helmreleases");

/// `HelmRelease.spec` (the fields home-ops repositories use).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HelmReleaseSpec {
    /// The chart source (required here: fluxgen never uses the inline `chart` template).
    pub chart_ref: ChartRef,
    /// Other HelmReleases that must be ready first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<DependsOn>,
    /// Drift detection and correction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift_detection: Option<DriftDetection>,
    /// Install behaviour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub install: Option<Install>,
    /// Reconciliation interval (required).
    pub interval: Duration,
    /// The Helm release name, when it differs from the object's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_name: Option<String>,
    /// Rollback behaviour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback: Option<Rollback>,
    /// Stops reconciliation while true.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub suspend: bool,
    /// Namespace the chart is installed into.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_namespace: Option<String>,
    /// Timeout of Helm actions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
    /// Upgrade behaviour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgrade: Option<Upgrade>,
    /// Inline chart values.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub values: BTreeMap<String, Value>,
}

/// `chartRef`: the source object that holds the chart.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChartRef {
    /// `OCIRepository`, `HelmChart` or `ExternalArtifact`.
    pub kind: String,
    /// The source's name.
    pub name: String,
    /// The source's namespace, when not the release's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

/// A dependency on another object of the same kind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DependsOn {
    /// The dependency's name.
    pub name: String,
    /// The dependency's namespace, when not the dependent's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

impl DependsOn {
    /// A dependency in the same namespace.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            namespace: None,
        }
    }
}

/// How CRDs of the chart are handled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CrdPolicy {
    /// Leave CRDs alone.
    Skip,
    /// Create missing CRDs.
    Create,
    /// Create and replace CRDs.
    CreateReplace,
}

/// Failure handling strategy of install and upgrade.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StrategyName {
    /// Remediate (rollback or uninstall) on failure.
    RemediateOnFailure,
    /// Retry the action on failure.
    RetryOnFailure,
}

/// `install.strategy` / `upgrade.strategy`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Strategy {
    /// The strategy.
    pub name: StrategyName,
    /// Time between retries, for `RetryOnFailure`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_interval: Option<Duration>,
}

/// `install.remediation` / `upgrade.remediation`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Remediation {
    /// Remediate the last failure too, when retries are exhausted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remediate_last_failure: Option<bool>,
    /// Number of retries; `-1` retries forever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<i64>,
}

/// `spec.install`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Install {
    /// CRD policy on install.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crds: Option<CrdPolicy>,
    /// Failure remediation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remediation: Option<Remediation>,
    /// Failure strategy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<Strategy>,
}

/// `spec.upgrade`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Upgrade {
    /// Delete new resources created by a failed upgrade.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cleanup_on_fail: Option<bool>,
    /// CRD policy on upgrade.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crds: Option<CrdPolicy>,
    /// Failure remediation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remediation: Option<Remediation>,
    /// Failure strategy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<Strategy>,
}

/// `spec.rollback`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rollback {
    /// Delete new resources created by a failed rollback.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cleanup_on_fail: Option<bool>,
}

/// `driftDetection.mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DriftMode {
    /// Detect and correct drift.
    Enabled,
    /// Detect drift and emit events only.
    Warn,
    /// Do nothing.
    Disabled,
}

/// `spec.driftDetection`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftDetection {
    /// What to do on drift.
    pub mode: DriftMode,
}

impl HelmRelease {
    /// A release of the chart held by the named `OCIRepository` (same name, same namespace),
    /// reconciled every `1h`.
    pub fn from_oci_repository(name: impl Into<String>) -> Self {
        let name = name.into();
        Self {
            metadata: named(name.clone()),
            spec: HelmReleaseSpec {
                chart_ref: ChartRef {
                    kind: OciRepository::KIND.to_owned(),
                    name,
                    namespace: None,
                },
                interval: Duration::from("1h"),
                ..HelmReleaseSpec::default()
            },
        }
    }

    /// Sets the reconciliation interval.
    #[must_use]
    pub fn with_interval(mut self, interval: impl Into<Duration>) -> Self {
        self.spec.interval = interval.into();
        self
    }

    /// Sets one top-level chart value.
    #[must_use]
    pub fn with_value(mut self, key: impl Into<String>, value: Value) -> Self {
        self.spec.values.insert(key.into(), value);
        self
    }

    /// Replaces all chart values.
    #[must_use]
    pub fn with_values(mut self, values: BTreeMap<String, Value>) -> Self {
        self.spec.values = values;
        self
    }

    /// Waits for another HelmRelease in the same namespace.
    #[must_use]
    pub fn with_depends_on(mut self, name: impl Into<String>) -> Self {
        self.spec.depends_on.push(DependsOn::new(name));
        self
    }

    /// Sets install behaviour.
    #[must_use]
    pub fn with_install(mut self, install: Install) -> Self {
        self.spec.install = Some(install);
        self
    }

    /// Sets upgrade behaviour.
    #[must_use]
    pub fn with_upgrade(mut self, upgrade: Upgrade) -> Self {
        self.spec.upgrade = Some(upgrade);
        self
    }

    /// Sets drift detection.
    #[must_use]
    pub fn with_drift_detection(mut self, mode: DriftMode) -> Self {
        self.spec.drift_detection = Some(DriftDetection { mode });
        self
    }
}

impl Manifest for HelmRelease {
    const SCHEMA: &'static str = "helm.toolkit.fluxcd.io/helmrelease_v2.json";

    fn violations(&self) -> Vec<Violation> {
        let mut found = Violations::default();
        found.name("metadata.name", self.name());
        found.duration("spec.interval", &self.spec.interval);
        found.optional_duration("spec.timeout", self.spec.timeout.as_ref());
        found.not_empty("spec.chartRef.name", &self.spec.chart_ref.name);
        if !["OCIRepository", "HelmChart", "ExternalArtifact"].contains(&self.spec.chart_ref.kind.as_str()) {
            found.push(
                "spec.chartRef.kind",
                format!(
                    "`{}` is not one of OCIRepository, HelmChart, ExternalArtifact",
                    self.spec.chart_ref.kind
                ),
            );
        }
        for (field, strategy) in [
            (
                "spec.install.strategy",
                self.spec.install.as_ref().and_then(|i| i.strategy.as_ref()),
            ),
            (
                "spec.upgrade.strategy",
                self.spec.upgrade.as_ref().and_then(|u| u.strategy.as_ref()),
            ),
        ] {
            if let Some(strategy) = strategy {
                found.optional_duration(&format!("{field}.retryInterval"), strategy.retry_interval.as_ref());
            }
        }
        found.into_vec()
    }
}
