//! Sources: `OCIRepository` (`source.toolkit.fluxcd.io/v1`), the chart source of both apps.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};

use crate::manifest::{kubernetes_object, named};
use crate::{Manifest, Violation, objects::Duration, validation::Violations};

/// Media type of a Helm chart's content layer, selected with `operation: copy`.
pub const HELM_CHART_MEDIA_TYPE: &str = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";

/// A Flux `OCIRepository`: an OCI artifact (here a Helm chart) polled at an interval.
///
/// ```
/// use fluxgen_core::{objects::OciRef, OciRepository, Manifest};
/// let repo = OciRepository::new("flux-operator", "oci://ghcr.io/controlplaneio-fluxcd/charts/flux-operator")
///     .with_interval("15m")
///     .with_ref(OciRef::tag("0.58.1"))
///     .with_helm_chart_layer();
/// assert_eq!(repo.spec.r#ref.unwrap().tag.as_deref(), Some("0.58.1"));
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OciRepository {
    /// Standard object metadata.
    pub metadata: ObjectMeta,
    /// The desired state.
    pub spec: OciRepositorySpec,
}
kubernetes_object!(OciRepository, OciRepositorySpec, group: "source.toolkit.fluxcd.io", version: "v1", kind: "OCIRepository", plural: "ocirepositories");

/// `OCIRepository.spec`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OciRepositorySpec {
    /// How often the artifact is checked for changes (required).
    pub interval: Duration,
    /// Which layer of the artifact is used and how.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer_selector: Option<LayerSelector>,
    /// The credentials provider (`generic`, `aws`, `azure`, `gcp`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<OciProvider>,
    /// Which version of the artifact to pull.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#ref: Option<OciRef>,
    /// A Secret with registry credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<SecretRef>,
    /// Stops reconciliation while true.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub suspend: bool,
    /// Timeout of registry operations (no hours: `60s`, `5m`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
    /// The artifact's address, `oci://...` (required).
    pub url: String,
    /// Signature verification of the artifact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify: Option<Verification>,
}

/// The version of an OCI artifact: build it with [`OciRef::tag`], [`OciRef::semver`] or
/// [`OciRef::digest`]. The `tag` is where Renovate's flux manager finds chart versions.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OciRef {
    /// A digest, `sha256:...`; takes precedence over the others.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// A semver range, e.g. `>=0.58.0 <1.0.0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub semver: Option<String>,
    /// A tag, e.g. `0.58.1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
}

impl OciRef {
    /// A fixed tag.
    ///
    /// ```
    /// assert_eq!(fluxgen_core::objects::OciRef::tag("0.58.1").tag.as_deref(), Some("0.58.1"));
    /// ```
    pub fn tag(tag: impl Into<String>) -> Self {
        Self {
            tag: Some(tag.into()),
            ..Self::default()
        }
    }

    /// A semver range.
    ///
    /// ```
    /// assert!(fluxgen_core::objects::OciRef::semver(">=0.58.0").semver.is_some());
    /// ```
    pub fn semver(range: impl Into<String>) -> Self {
        Self {
            semver: Some(range.into()),
            ..Self::default()
        }
    }

    /// A content digest.
    ///
    /// ```
    /// assert!(fluxgen_core::objects::OciRef::digest("sha256:0123").digest.is_some());
    /// ```
    pub fn digest(digest: impl Into<String>) -> Self {
        Self {
            digest: Some(digest.into()),
            ..Self::default()
        }
    }
}

/// Which layer of an OCI artifact to use.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LayerSelector {
    /// The layer's media type.
    pub media_type: String,
    /// `copy` keeps the layer as it is; `extract` unpacks it.
    pub operation: LayerOperation,
}

/// `layerSelector.operation`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LayerOperation {
    /// Unpack the layer.
    Extract,
    /// Keep the layer as it is (what a Helm chart needs).
    Copy,
}

/// Cloud credential providers of an `OCIRepository`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OciProvider {
    /// Plain registry credentials (the default).
    Generic,
    /// AWS ECR.
    Aws,
    /// Azure ACR.
    Azure,
    /// Google Artifact Registry.
    Gcp,
}

/// A reference to a Secret in the object's namespace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretRef {
    /// The Secret's name.
    pub name: String,
}

impl SecretRef {
    /// A reference to the named Secret.
    pub fn new(name: impl Into<String>) -> Self {
        Self { name: name.into() }
    }
}

/// Signature verification of an OCI artifact.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Verification {
    /// Keyless identities to accept (cosign).
    #[serde(rename = "matchOIDCIdentity", default, skip_serializing_if = "Vec::is_empty")]
    pub match_oidc_identity: Vec<OidcIdentity>,
    /// `cosign` or `notation`.
    pub provider: VerificationProvider,
    /// A Secret with public keys or trust policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<SecretRef>,
}

/// Signature verifiers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VerificationProvider {
    /// Sigstore cosign.
    Cosign,
    /// Notary Project notation.
    Notation,
}

/// A keyless signing identity: regular expressions for the OIDC issuer and subject.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OidcIdentity {
    /// Regular expression of the issuer.
    pub issuer: String,
    /// Regular expression of the subject.
    pub subject: String,
}

impl OciRepository {
    /// An `OCIRepository` with a name and an `oci://` URL, polled every `1h` until changed.
    pub fn new(name: impl Into<String>, url: impl Into<String>) -> Self {
        Self {
            metadata: named(name),
            spec: OciRepositorySpec {
                interval: Duration::from("1h"),
                url: url.into(),
                ..OciRepositorySpec::default()
            },
        }
    }

    /// Sets how often the registry is polled.
    #[must_use]
    pub fn with_interval(mut self, interval: impl Into<Duration>) -> Self {
        self.spec.interval = interval.into();
        self
    }

    /// Sets which version to pull.
    #[must_use]
    pub fn with_ref(mut self, reference: OciRef) -> Self {
        self.spec.r#ref = Some(reference);
        self
    }

    /// Selects the Helm chart layer with `operation: copy`, which a `chartRef` needs.
    #[must_use]
    pub fn with_helm_chart_layer(mut self) -> Self {
        self.spec.layer_selector = Some(LayerSelector {
            media_type: HELM_CHART_MEDIA_TYPE.to_owned(),
            operation: LayerOperation::Copy,
        });
        self
    }

    /// Uses registry credentials from a Secret.
    #[must_use]
    pub fn with_secret_ref(mut self, name: impl Into<String>) -> Self {
        self.spec.secret_ref = Some(SecretRef::new(name));
        self
    }

    /// Sets the cloud credentials provider.
    #[must_use]
    pub fn with_provider(mut self, provider: OciProvider) -> Self {
        self.spec.provider = Some(provider);
        self
    }

    /// Verifies signatures before use.
    #[must_use]
    pub fn with_verify(mut self, verify: Verification) -> Self {
        self.spec.verify = Some(verify);
        self
    }

    /// Sets the timeout of registry operations.
    #[must_use]
    pub fn with_timeout(mut self, timeout: impl Into<Duration>) -> Self {
        self.spec.timeout = Some(timeout.into());
        self
    }

    /// Suspends reconciliation.
    #[must_use]
    pub fn suspended(mut self) -> Self {
        self.spec.suspend = true;
        self
    }
}

impl Manifest for OciRepository {
    const SCHEMA: &'static str = "source.toolkit.fluxcd.io/ocirepository_v1.json";

    fn violations(&self) -> Vec<Violation> {
        let mut found = Violations::default();
        found.name("metadata.name", self.name());
        found.duration("spec.interval", &self.spec.interval);
        if !self.spec.url.starts_with("oci://") {
            found.push("spec.url", format!("`{}` must start with oci://", self.spec.url));
        }
        if let Some(timeout) = &self.spec.timeout
            && let Err(message) = timeout.check_without_hours()
        {
            found.push("spec.timeout", message);
        }
        if let Some(reference) = &self.spec.r#ref
            && reference.tag.is_none()
            && reference.semver.is_none()
            && reference.digest.is_none()
        {
            found.push("spec.ref", "set one of tag, semver or digest");
        }
        found.into_vec()
    }
}
