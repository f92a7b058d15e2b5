//! Well-known names of Flux and the Flux Operator: the namespace, the charts, the annotations
//! fluxgen writes or reads. Each is written here once; the sources are in
//! controlplaneio-fluxcd/flux-operator at [`OPERATOR_COMMIT`](super::OPERATOR_COMMIT).

/// The namespace Flux runs in unless told otherwise, and so the name of the sync objects named
/// after it: the operator's `DefaultNamespace` (`api/v1/fluxinstance_types.go`), whose
/// `spec.sync.name` defaults to the FluxInstance's namespace; `flux bootstrap` names its
/// directory (`<path>/flux-system/`), GitRepository and Kustomization after its namespace, the
/// same by default.
pub const DEFAULT_NAMESPACE: &str = "flux-system";

/// The operator's chart, its app directory, HelmRelease and OCIRepository (`README.md`:
/// `helm install flux-operator oci://ghcr.io/controlplaneio-fluxcd/charts/flux-operator`).
pub const OPERATOR_CHART_NAME: &str = "flux-operator";

/// The chart that installs a FluxInstance, and its app directory, HelmRelease and
/// OCIRepository (`cmd/cli/distro_mirror.go`: `ghcr.io/controlplaneio-fluxcd/charts/flux-instance`).
pub const INSTANCE_CHART_NAME: &str = "flux-instance";

/// The image path of the operator's chart, for `concat!` (a `const` cannot be concatenated).
macro_rules! operator_chart_path {
    () => {
        "ghcr.io/controlplaneio-fluxcd/charts/flux-operator"
    };
}
#[cfg(feature = "generator")]
pub(crate) use operator_chart_path;

/// The OCI repository of the operator's chart ([`OPERATOR_CHART_NAME`]).
pub const OPERATOR_CHART: &str = concat!("oci://", operator_chart_path!());

/// The OCI repository of the flux-instance chart ([`INSTANCE_CHART_NAME`]).
pub const INSTANCE_CHART: &str = "oci://ghcr.io/controlplaneio-fluxcd/charts/flux-instance";

/// The annotation that keeps kustomize-controller (and the operator) from deleting an object
/// (value `disabled`); the operator sets it on the objects it takes over
/// (`internal/builder/templates.go`).
pub const PRUNE_ANNOTATION: &str = "kustomize.toolkit.fluxcd.io/prune";

/// The annotation (or label) that turns `postBuild` substitution off for one object (value
/// `disabled`), as kustomize-controller reads it.
pub const SUBSTITUTE_ANNOTATION: &str = "kustomize.toolkit.fluxcd.io/substitute";

/// The annotation the operator's size profiles set on every controller Deployment
/// (`internal/builder/profiles.go`: `fluxcd.controlplane.io/profile: "small"`).
pub const PROFILE_ANNOTATION: &str = "fluxcd.controlplane.io/profile";
