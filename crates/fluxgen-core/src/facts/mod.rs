//! What fluxgen knows about Flux 2.4 to 2.9 and the Flux Operator, carried in the binary
//! (fluxgen reads nothing at run time).
//!
//! - The controllers' Deployments of every Flux minor from 2.4 to 2.9 ([`RELEASES`], one
//!   table per minor's newest patch, each citing its directory `config/data/flux/vX.Y.Z/` in
//!   controlplaneio-fluxcd/flux-operator at [`OPERATOR_COMMIT`]): images, container args,
//!   resources, volumes, volume mounts, labels and security contexts, and
//!   [`Release::deployment`], a minimal Deployment built from them for `explain` to apply
//!   patches to. The integration test `tests/facts.rs` checks every release's facts against
//!   the real manifests. The release-less functions ([`default_args`], [`deployment`], ...)
//!   describe the newest, [`FLUX_VERSION`].
//! - [`resolve_version`]: which release a FluxInstance's `distribution.version` (`2.7.x`,
//!   `v2.7.3`, `>=2.6.0 <2.8.0`, ...) runs, and the nearest one fluxgen knows.
//! - The Flux CRDs of each release and the API versions they serve ([`Release::crd`]).
//! - The flags and feature gates each controller accepts ([`accepts_flag`],
//!   [`feature_gates`]) and their defaults ([`default_concurrency`], ...).
//! - Which operator release ships which Flux release ([`operator_ships`], [`SHIPPED_IN`]) and
//!   the distribution artifact pinned to an operator release ([`pinned_artifact`]).
//! - The rest of the operator's build ([`template_patches`], [`gate_patches`],
//!   [`shard_patches`]): argument rewrites, storage, sharding, the gates it adds.
//! - The operator's profiles: `cluster.type` ([`type_profile`]), `cluster.size`
//!   ([`size_profile`]) and `cluster.multitenant` ([`multitenant_profile`]).

mod build;
mod crds;
mod flags;
mod names;
mod operator;
mod profiles;
mod releases;
mod version;

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::Component;
use crate::Resources;

pub use build::{BuildOptions, events_address, gate_patches, shard_patches, sharded, template_patches};
pub use crds::Crd;
pub use flags::{
    DEFAULT_KUBE_API_BURST, DEFAULT_KUBE_API_QPS, LOG_LEVELS, Minor, accepts_flag, default_concurrency,
    default_requeue_dependency, feature_gate_for_flag, feature_gates, flag_name, gate_since,
};
#[cfg(feature = "generator")]
pub(crate) use names::operator_chart_path;
pub use names::{
    DEFAULT_NAMESPACE, INSTANCE_CHART, INSTANCE_CHART_NAME, OPERATOR_CHART, OPERATOR_CHART_NAME, PROFILE_ANNOTATION,
    PRUNE_ANNOTATION, SUBSTITUTE_ANNOTATION,
};
pub use operator::{MANIFESTS_ARTIFACT, NEWEST_OPERATOR, OperatorTooOld, SHIPPED_IN, operator_ships, pinned_artifact};
pub use profiles::{multitenant_profile, size_profile, type_profile};
pub use releases::{OPERATOR_COMMIT, RELEASES};
pub use version::{ResolvedVersion, resolve_version};

/// The newest Flux release fluxgen knows, the one [`default_args`], [`deployment`] and the
/// other release-less functions describe.
pub const FLUX_VERSION: &str = "v2.9.4";

/// The name of every controller's single container.
pub const CONTAINER_NAME: &str = "manager";

/// A pod volume.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Volume {
    /// The volume name.
    pub name: &'static str,
    /// Whether it is an `emptyDir` (every Flux volume is).
    pub empty_dir: bool,
    /// The `emptyDir` medium (`Memory` for tmpfs); `None` is node disk.
    pub medium: Option<&'static str>,
}

impl Volume {
    /// The volume as an entry of `spec.template.spec.volumes`.
    ///
    /// ```
    /// use fluxgen_core::{Component, facts};
    /// let temp = facts::volumes(Component::HelmController)[0].to_value();
    /// assert_eq!(temp, serde_json::json!({"name": "temp", "emptyDir": {}}));
    /// ```
    pub fn to_value(&self) -> Value {
        let mut volume = json!({ "name": self.name });
        if self.empty_dir {
            volume["emptyDir"] = match self.medium {
                Some(medium) => json!({ "medium": medium }),
                None => json!({}),
            };
        }
        volume
    }
}

/// A container volume mount.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VolumeMount {
    /// The volume's name.
    pub name: &'static str,
    /// Where it is mounted.
    pub mount_path: &'static str,
}

impl VolumeMount {
    /// The mount as an entry of the container's `volumeMounts`.
    pub fn to_value(&self) -> Value {
        json!({ "mountPath": self.mount_path, "name": self.name })
    }
}

/// One controller's Deployment in a Flux release: its image and what its `manager` container
/// and pod declare.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Controller {
    /// The controller.
    pub component: Component,
    /// The image as the manifests name it, e.g. `fluxcd/kustomize-controller:v1.9.4` (the
    /// operator rewrites the registry).
    pub image: &'static str,
    /// The container args, in the manifest's order.
    pub args: &'static [&'static str],
    /// The container resources.
    pub resources: Resources,
    /// The pod volumes, in the manifest's order (all `emptyDir` on node disk).
    pub volumes: &'static [Volume],
    /// The container volume mounts, in the manifest's order.
    pub volume_mounts: &'static [VolumeMount],
}

impl Controller {
    /// The controller's own version, the image tag (`v1.9.4`).
    ///
    /// ```
    /// use fluxgen_core::{Component, facts};
    /// let kustomize = facts::latest().controller(Component::KustomizeController).unwrap();
    /// assert_eq!(kustomize.version(), "v1.9.4");
    /// ```
    pub fn version(&self) -> &'static str {
        self.image.rsplit_once(':').map_or("", |(_, tag)| tag)
    }
}

/// Which labels a release puts on the pod template.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PodLabels {
    /// `app` alone (Flux 2.4 to 2.6).
    AppOnly,
    /// `app`, `app.kubernetes.io/component` and `app.kubernetes.io/part-of: flux` (Flux 2.7
    /// on).
    Standard,
}

/// The controllers' Deployments of one Flux release, as the Flux Operator ships them
/// ([`RELEASES`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Release {
    /// The release, e.g. `v2.7.5`.
    pub version: &'static str,
    /// The release as numbers, `(2, 7, 5)`.
    pub number: (u32, u32, u32),
    /// Where the manifests come from: the operator's `config/data/flux/<version>/` at
    /// [`OPERATOR_COMMIT`].
    pub source: &'static str,
    /// The pod template's labels.
    pub pod_labels: PodLabels,
    /// Every controller the release ships, in the CRD's order.
    pub controllers: &'static [Controller],
    /// Every Flux CRD the release installs, with the API versions it serves.
    pub crds: &'static [Crd],
}

impl Release {
    /// The minor, `(2, 7)`.
    pub fn minor(&self) -> (u32, u32) {
        (self.number.0, self.number.1)
    }

    /// A CRD of this release by kind and API group (`Kustomization`,
    /// `kustomize.toolkit.fluxcd.io`).
    ///
    /// ```
    /// use fluxgen_core::facts;
    /// let v2_7 = facts::RELEASES.iter().find(|r| r.minor() == (2, 7)).unwrap();
    /// assert_eq!(v2_7.crd("Kustomization", "kustomize.toolkit.fluxcd.io").unwrap().versions, ["v1", "v1beta2"]);
    /// assert_eq!(facts::latest().crd("Kustomization", "kustomize.toolkit.fluxcd.io").unwrap().versions, ["v1"]);
    /// ```
    pub fn crd(&self, kind: &str, group: &str) -> Option<&'static Crd> {
        self.crds.iter().find(|c| c.kind == kind && c.group() == group)
    }

    /// A controller of this release, or `None` when the release does not ship it
    /// (source-watcher before 2.7).
    ///
    /// ```
    /// use fluxgen_core::{Component, facts};
    /// let v2_6 = facts::RELEASES.iter().find(|r| r.minor() == (2, 6)).unwrap();
    /// assert!(v2_6.controller(Component::SourceWatcher).is_none());
    /// assert!(facts::latest().controller(Component::SourceWatcher).is_some());
    /// ```
    pub fn controller(&self, component: Component) -> Option<&'static Controller> {
        self.controllers.iter().find(|c| c.component == component)
    }

    /// The pod template's labels of a controller (`spec.template.metadata.labels`): `app` (the
    /// Deployment's selector), and from 2.7 on `app.kubernetes.io/component` and
    /// `app.kubernetes.io/part-of: flux` (never `control-plane`).
    pub fn pod_labels(&self, component: Component) -> BTreeMap<&'static str, &'static str> {
        let mut labels = BTreeMap::from([("app", component.as_str())]);
        if self.pod_labels == PodLabels::Standard {
            labels.insert("app.kubernetes.io/component", component.as_str());
            labels.insert("app.kubernetes.io/part-of", "flux");
        }
        labels
    }

    /// A minimal Deployment of a controller of this release: `apiVersion`, `kind`, `metadata`
    /// (name, labels), the selector (`app`), the pod template's labels and security context, its `manager`
    /// container (args, resources, volume mounts, security context) and its volumes; `None`
    /// when the release does not ship the controller. `explain` applies the operator's
    /// profiles and a FluxInstance's patches to it.
    ///
    /// ```
    /// use fluxgen_core::{Component, facts};
    /// let v2_4 = facts::RELEASES[0];
    /// let deployment = v2_4.deployment(Component::HelmController).unwrap();
    /// assert_eq!(deployment["spec"]["template"]["metadata"]["labels"], serde_json::json!({"app": "helm-controller"}));
    /// ```
    pub fn deployment(&self, component: Component) -> Option<Value> {
        let controller = self.controller(component)?;
        Some(json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {
                "name": component.as_str(),
                "labels": deployment_labels(component),
            },
            "spec": {
                "selector": { "matchLabels": { "app": component.as_str() } },
                "template": {
                    "metadata": { "labels": self.pod_labels(component) },
                    "spec": {
                        "containers": [{
                            "name": CONTAINER_NAME,
                            "args": controller.args,
                            "resources": controller.resources.to_value(),
                            "securityContext": container_security_context(),
                            "volumeMounts": controller.volume_mounts.iter().map(VolumeMount::to_value).collect::<Vec<_>>(),
                        }],
                        "securityContext": pod_security_context(),
                        "volumes": controller.volumes.iter().map(Volume::to_value).collect::<Vec<_>>(),
                    },
                },
            },
        }))
    }
}

/// The newest release fluxgen knows ([`FLUX_VERSION`]).
pub fn latest() -> &'static Release {
    &RELEASES[RELEASES.len() - 1]
}

/// A controller of the newest release; every component exists there.
fn latest_controller(component: Component) -> &'static Controller {
    latest()
        .controllers
        .iter()
        .find(|c| c.component == component)
        .unwrap_or(&latest().controllers[0])
}

/// The pod's security context in every release: `fsGroup: 1337`.
pub fn pod_security_context() -> Value {
    json!({ "fsGroup": 1337 })
}

/// The `manager` container's security context in every release: no privilege escalation, no
/// capabilities, a read-only root filesystem, non-root, the runtime's default seccomp profile
/// (the operator's OpenShift profile removes the last two).
pub fn container_security_context() -> Value {
    json!({
        "allowPrivilegeEscalation": false,
        "capabilities": { "drop": ["ALL"] },
        "readOnlyRootFilesystem": true,
        "runAsNonRoot": true,
        "seccompProfile": { "type": "RuntimeDefault" },
    })
}

/// The container args of a controller's Deployment in the newest release, in the manifest's
/// order.
///
/// ```
/// use fluxgen_core::{Component, facts};
/// assert_eq!(facts::default_args(Component::NotificationController)[0], "--watch-all-namespaces");
/// ```
pub fn default_args(component: Component) -> &'static [&'static str] {
    latest_controller(component).args
}

/// The container resources of a controller's Deployment in the newest release: every
/// controller is limited to `1000m`/`1Gi`; source-controller and source-watcher request `50m`
/// CPU, the others `100m`.
pub fn default_resources(component: Component) -> Resources {
    latest_controller(component).resources.clone()
}

/// The pod volumes of a controller's Deployment in the newest release, in the manifest's
/// order (all `emptyDir` on node disk).
pub fn volumes(component: Component) -> &'static [Volume] {
    latest_controller(component).volumes
}

/// The container volume mounts of a controller's Deployment in the newest release, in the
/// manifest's order.
pub fn volume_mounts(component: Component) -> &'static [VolumeMount] {
    latest_controller(component).volume_mounts
}

/// The Deployment's own labels (`metadata.labels`), the same in every release:
/// `app.kubernetes.io/component`, `app.kubernetes.io/part-of: flux` and
/// `control-plane: controller` (no `app`).
pub fn deployment_labels(component: Component) -> BTreeMap<&'static str, &'static str> {
    BTreeMap::from([
        ("app.kubernetes.io/component", component.as_str()),
        ("app.kubernetes.io/part-of", "flux"),
        ("control-plane", "controller"),
    ])
}

/// The pod template's labels (`spec.template.metadata.labels`) in the newest release: `app`
/// (the Deployment's selector), `app.kubernetes.io/component` and
/// `app.kubernetes.io/part-of: flux` (no `control-plane`).
pub fn pod_labels(component: Component) -> BTreeMap<&'static str, &'static str> {
    latest().pod_labels(component)
}

/// A minimal Deployment of a controller in the newest release ([`Release::deployment`]).
///
/// ```
/// use fluxgen_core::{Component, facts};
/// let deployment = facts::deployment(Component::KustomizeController);
/// assert_eq!(deployment["metadata"]["name"], "kustomize-controller");
/// let container = &deployment["spec"]["template"]["spec"]["containers"][0];
/// assert_eq!(container["name"], "manager");
/// assert_eq!(container["args"][1], "--watch-all-namespaces");
/// ```
pub fn deployment(component: Component) -> Value {
    latest().deployment(component).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_deployment_has_one_manager_container_with_its_mounted_volumes() {
        for component in Component::ALL {
            let deployment = deployment(component);
            let spec = &deployment["spec"]["template"]["spec"];
            assert_eq!(spec["containers"].as_array().map(Vec::len), Some(1), "{component}");
            let mounted: Vec<_> = volume_mounts(component).iter().map(|m| m.name).collect();
            let mut declared: Vec<_> = volumes(component).iter().map(|v| v.name).collect();
            let mut sorted = mounted.clone();
            sorted.sort_unstable();
            declared.sort_unstable();
            assert_eq!(sorted, declared, "{component}");
            assert_eq!(pod_labels(component)["app"], component.as_str());
            assert!(default_args(component).contains(&"--log-level=info"));
        }
    }

    #[test]
    fn every_release_is_ordered_and_the_newest_runs_every_component() {
        let numbers: Vec<_> = RELEASES.iter().map(|r| r.number).collect();
        let mut sorted = numbers.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(numbers, sorted);
        assert_eq!(latest().version, FLUX_VERSION);
        for release in RELEASES {
            let (major, minor, patch) = release.number;
            assert_eq!(release.version, format!("v{major}.{minor}.{patch}"));
            assert!(
                release
                    .source
                    .ends_with(&format!("/config/data/flux/{}", release.version))
            );
            assert!(release.source.contains(OPERATOR_COMMIT));
            let components: Vec<_> = release.controllers.iter().map(|c| c.component).collect();
            let expected: Vec<_> = Component::ALL
                .into_iter()
                .filter(|c| *c != Component::SourceWatcher || minor >= 7)
                .collect();
            assert_eq!(components, expected, "{}", release.version);
            for controller in release.controllers {
                assert!(
                    controller
                        .image
                        .starts_with(&format!("fluxcd/{}:v", controller.component)),
                    "{}",
                    controller.image
                );
            }
        }
    }

    #[test]
    fn a_memory_volume_renders_its_medium() {
        let tmpfs = Volume {
            name: "temp",
            empty_dir: true,
            medium: Some("Memory"),
        };
        assert_eq!(
            tmpfs.to_value(),
            json!({"name": "temp", "emptyDir": {"medium": "Memory"}})
        );
    }
}
