//! The Flux CRDs of every release fluxgen knows, with the API versions each serves, in the
//! order of the CRD's `spec.versions` (every version listed is served).
//!
//! Read from the CRDs in `config/data/flux/<version>/*.yaml` of controlplaneio-fluxcd/flux-operator
//! at [`super::OPERATOR_COMMIT`] (the integration test `tests/facts.rs` checks every table
//! against `$FLUXGEN_SHARED/flux-manifests/<version>/`). A raw CRD patch that addresses a
//! version by index (`/spec/versions/2/...`) applies to the version at that place, so the
//! index moves as versions are dropped; an object whose API version a CRD no longer serves is
//! refused by the API server once that CRD is installed.

/// One CRD: its name, kind and served API versions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Crd {
    /// `metadata.name`, e.g. `alerts.notification.toolkit.fluxcd.io`.
    pub name: &'static str,
    /// `spec.names.kind`, e.g. `Alert`.
    pub kind: &'static str,
    /// The served versions, in the order of `spec.versions`.
    pub versions: &'static [&'static str],
}

impl Crd {
    /// The API group, the name after its first dot.
    pub fn group(&self) -> &'static str {
        self.name.split_once('.').map_or("", |(_, group)| group)
    }
}

const fn crd(name: &'static str, kind: &'static str, versions: &'static [&'static str]) -> Crd {
    Crd { name, kind, versions }
}

const ALERTS: &str = "alerts.notification.toolkit.fluxcd.io";
const PROVIDERS: &str = "providers.notification.toolkit.fluxcd.io";
const RECEIVERS: &str = "receivers.notification.toolkit.fluxcd.io";
const BUCKETS: &str = "buckets.source.toolkit.fluxcd.io";
const GIT: &str = "gitrepositories.source.toolkit.fluxcd.io";
const CHARTS: &str = "helmcharts.source.toolkit.fluxcd.io";
const HELM_REPOS: &str = "helmrepositories.source.toolkit.fluxcd.io";
const OCI: &str = "ocirepositories.source.toolkit.fluxcd.io";
const RELEASES: &str = "helmreleases.helm.toolkit.fluxcd.io";
const KUSTOMIZATIONS: &str = "kustomizations.kustomize.toolkit.fluxcd.io";
const POLICIES: &str = "imagepolicies.image.toolkit.fluxcd.io";
const IMAGE_REPOS: &str = "imagerepositories.image.toolkit.fluxcd.io";
const AUTOMATIONS: &str = "imageupdateautomations.image.toolkit.fluxcd.io";
const ARTIFACT_GENERATORS: &str = "artifactgenerators.source.extensions.fluxcd.io";
const EXTERNAL_ARTIFACTS: &str = "externalartifacts.source.toolkit.fluxcd.io";

const OLD_SOURCE: &[&str] = &["v1", "v1beta1", "v1beta2"];
const OLD_NOTIFICATION: &[&str] = &["v1beta1", "v1beta2", "v1beta3"];
const OLD_IMAGE: &[&str] = &["v1beta1", "v1beta2"];

/// Flux 2.4 and 2.5.
pub(super) const V2_4: &[Crd] = &[
    crd(ALERTS, "Alert", OLD_NOTIFICATION),
    crd(BUCKETS, "Bucket", OLD_SOURCE),
    crd(GIT, "GitRepository", OLD_SOURCE),
    crd(CHARTS, "HelmChart", OLD_SOURCE),
    crd(RELEASES, "HelmRelease", &["v2", "v2beta1", "v2beta2"]),
    crd(HELM_REPOS, "HelmRepository", OLD_SOURCE),
    crd(POLICIES, "ImagePolicy", OLD_IMAGE),
    crd(IMAGE_REPOS, "ImageRepository", OLD_IMAGE),
    crd(AUTOMATIONS, "ImageUpdateAutomation", OLD_IMAGE),
    crd(KUSTOMIZATIONS, "Kustomization", OLD_SOURCE),
    crd(OCI, "OCIRepository", &["v1beta2"]),
    crd(PROVIDERS, "Provider", OLD_NOTIFICATION),
    crd(RECEIVERS, "Receiver", OLD_SOURCE),
];

/// Flux 2.6: as 2.4, with OCIRepository `v1`.
pub(super) const V2_6: &[Crd] = &[
    crd(ALERTS, "Alert", OLD_NOTIFICATION),
    crd(BUCKETS, "Bucket", OLD_SOURCE),
    crd(GIT, "GitRepository", OLD_SOURCE),
    crd(CHARTS, "HelmChart", OLD_SOURCE),
    crd(RELEASES, "HelmRelease", &["v2", "v2beta1", "v2beta2"]),
    crd(HELM_REPOS, "HelmRepository", OLD_SOURCE),
    crd(POLICIES, "ImagePolicy", OLD_IMAGE),
    crd(IMAGE_REPOS, "ImageRepository", OLD_IMAGE),
    crd(AUTOMATIONS, "ImageUpdateAutomation", OLD_IMAGE),
    crd(KUSTOMIZATIONS, "Kustomization", OLD_SOURCE),
    crd(OCI, "OCIRepository", &["v1", "v1beta2"]),
    crd(PROVIDERS, "Provider", OLD_NOTIFICATION),
    crd(RECEIVERS, "Receiver", OLD_SOURCE),
];

/// Flux 2.7: every `v1beta1` (and `v2beta1`) gone, the image APIs `v1`, two new CRDs.
pub(super) const V2_7: &[Crd] = &[
    crd(ALERTS, "Alert", &["v1beta2", "v1beta3"]),
    crd(ARTIFACT_GENERATORS, "ArtifactGenerator", &["v1beta1"]),
    crd(BUCKETS, "Bucket", &["v1", "v1beta2"]),
    crd(EXTERNAL_ARTIFACTS, "ExternalArtifact", &["v1"]),
    crd(GIT, "GitRepository", &["v1", "v1beta2"]),
    crd(CHARTS, "HelmChart", &["v1", "v1beta2"]),
    crd(RELEASES, "HelmRelease", &["v2", "v2beta2"]),
    crd(HELM_REPOS, "HelmRepository", &["v1", "v1beta2"]),
    crd(POLICIES, "ImagePolicy", &["v1", "v1beta2"]),
    crd(IMAGE_REPOS, "ImageRepository", &["v1", "v1beta2"]),
    crd(AUTOMATIONS, "ImageUpdateAutomation", &["v1", "v1beta2"]),
    crd(KUSTOMIZATIONS, "Kustomization", &["v1", "v1beta2"]),
    crd(OCI, "OCIRepository", &["v1", "v1beta2"]),
    crd(PROVIDERS, "Provider", &["v1beta2", "v1beta3"]),
    crd(RECEIVERS, "Receiver", &["v1", "v1beta2"]),
];

/// Flux 2.8: the source, helm and kustomize APIs serve their stable version only.
pub(super) const V2_8: &[Crd] = &[
    crd(ALERTS, "Alert", &["v1beta2", "v1beta3"]),
    crd(ARTIFACT_GENERATORS, "ArtifactGenerator", &["v1beta1"]),
    crd(BUCKETS, "Bucket", &["v1"]),
    crd(EXTERNAL_ARTIFACTS, "ExternalArtifact", &["v1"]),
    crd(GIT, "GitRepository", &["v1"]),
    crd(CHARTS, "HelmChart", &["v1"]),
    crd(RELEASES, "HelmRelease", &["v2"]),
    crd(HELM_REPOS, "HelmRepository", &["v1"]),
    crd(POLICIES, "ImagePolicy", &["v1", "v1beta2"]),
    crd(IMAGE_REPOS, "ImageRepository", &["v1", "v1beta2"]),
    crd(AUTOMATIONS, "ImageUpdateAutomation", &["v1", "v1beta2"]),
    crd(KUSTOMIZATIONS, "Kustomization", &["v1"]),
    crd(OCI, "OCIRepository", &["v1"]),
    crd(PROVIDERS, "Provider", &["v1beta2", "v1beta3"]),
    crd(RECEIVERS, "Receiver", &["v1", "v1beta2"]),
];

/// Flux 2.9: one version per CRD.
pub(super) const V2_9: &[Crd] = &[
    crd(ALERTS, "Alert", &["v1beta3"]),
    crd(ARTIFACT_GENERATORS, "ArtifactGenerator", &["v1beta1"]),
    crd(BUCKETS, "Bucket", &["v1"]),
    crd(EXTERNAL_ARTIFACTS, "ExternalArtifact", &["v1"]),
    crd(GIT, "GitRepository", &["v1"]),
    crd(CHARTS, "HelmChart", &["v1"]),
    crd(RELEASES, "HelmRelease", &["v2"]),
    crd(HELM_REPOS, "HelmRepository", &["v1"]),
    crd(POLICIES, "ImagePolicy", &["v1"]),
    crd(IMAGE_REPOS, "ImageRepository", &["v1"]),
    crd(AUTOMATIONS, "ImageUpdateAutomation", &["v1"]),
    crd(KUSTOMIZATIONS, "Kustomization", &["v1"]),
    crd(OCI, "OCIRepository", &["v1"]),
    crd(PROVIDERS, "Provider", &["v1beta3"]),
    crd(RECEIVERS, "Receiver", &["v1"]),
];
