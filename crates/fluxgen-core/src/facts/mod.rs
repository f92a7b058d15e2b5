//! What fluxgen knows about Flux 2.9 and the Flux Operator, carried in the binary (fluxgen
//! reads nothing at run time).
//!
//! - The controllers' Deployments as Flux v2.9.4 ships them (the manifests the operator renders
//!   a FluxInstance from, `config/data/flux/v2.9.4/` in controlplaneio-fluxcd/flux-operator):
//!   container args, resources, volumes, volume mounts and labels, and [`deployment`], a
//!   minimal Deployment built from them for `explain` to apply patches to. The integration
//!   test `tests/facts.rs` checks every fact against the real manifests.
//! - The flags and feature gates each controller accepts ([`accepts_flag`],
//!   [`feature_gates`]) and their defaults ([`default_concurrency`], ...).
//! - The operator's `cluster.size` profiles ([`size_profile`]).

mod flags;
mod profiles;

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::Component;

pub use flags::{
    DEFAULT_KUBE_API_BURST, DEFAULT_KUBE_API_QPS, LOG_LEVELS, accepts_flag, default_concurrency,
    default_requeue_dependency, feature_gate_for_flag, feature_gates, flag_name,
};
pub use profiles::size_profile;

/// The Flux version these facts describe.
pub const FLUX_VERSION: &str = "v2.9.4";

/// The name of every controller's single container.
pub const CONTAINER_NAME: &str = "manager";

/// CPU and memory quantities, as the manifests write them (`100m`, `64Mi`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quantities {
    /// CPU, e.g. `1000m`.
    pub cpu: &'static str,
    /// Memory, e.g. `1Gi`.
    pub memory: &'static str,
}

/// A container's resource limits and requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resources {
    /// `limits`.
    pub limits: Quantities,
    /// `requests`.
    pub requests: Quantities,
}

impl Resources {
    /// The `resources` value of a container spec.
    ///
    /// ```
    /// use fluxgen_core::{Component, facts};
    /// let resources = facts::default_resources(Component::HelmController).to_value();
    /// assert_eq!(resources["limits"]["memory"], "1Gi");
    /// ```
    pub fn to_value(&self) -> Value {
        json!({
            "limits": {"cpu": self.limits.cpu, "memory": self.limits.memory},
            "requests": {"cpu": self.requests.cpu, "memory": self.requests.memory},
        })
    }
}

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

const EVENTS_ADDR: &str = "--events-addr=http://notification-controller.flux-system.svc.cluster.local./";

/// The container args of a controller's Deployment, in the manifest's order.
///
/// ```
/// use fluxgen_core::{Component, facts};
/// assert_eq!(facts::default_args(Component::NotificationController)[0], "--watch-all-namespaces");
/// ```
pub fn default_args(component: Component) -> &'static [&'static str] {
    match component {
        Component::SourceController => &[
            EVENTS_ADDR,
            "--watch-all-namespaces",
            "--log-level=info",
            "--log-encoding=json",
            "--enable-leader-election",
            "--storage-path=/data",
            "--storage-adv-addr=source-controller.$(RUNTIME_NAMESPACE).svc.cluster.local.",
        ],
        Component::SourceWatcher => &[
            EVENTS_ADDR,
            "--watch-all-namespaces",
            "--log-level=info",
            "--log-encoding=json",
            "--enable-leader-election",
            "--storage-path=/data",
            "--storage-adv-addr=source-watcher.$(RUNTIME_NAMESPACE).svc.cluster.local.",
        ],
        Component::NotificationController => &[
            "--watch-all-namespaces",
            "--log-level=info",
            "--log-encoding=json",
            "--enable-leader-election",
        ],
        Component::KustomizeController
        | Component::HelmController
        | Component::ImageReflectorController
        | Component::ImageAutomationController => &[
            EVENTS_ADDR,
            "--watch-all-namespaces",
            "--log-level=info",
            "--log-encoding=json",
            "--enable-leader-election",
        ],
    }
}

/// The container resources of a controller's Deployment: every controller is limited to
/// `1000m`/`1Gi`; source-controller and source-watcher request `50m` CPU, the others `100m`.
pub fn default_resources(component: Component) -> Resources {
    let cpu_request = match component {
        Component::SourceController | Component::SourceWatcher => "50m",
        _ => "100m",
    };
    Resources {
        limits: Quantities {
            cpu: "1000m",
            memory: "1Gi",
        },
        requests: Quantities {
            cpu: cpu_request,
            memory: "64Mi",
        },
    }
}

const fn empty_dir(name: &'static str) -> Volume {
    Volume {
        name,
        empty_dir: true,
        medium: None,
    }
}

const fn mount(name: &'static str, mount_path: &'static str) -> VolumeMount {
    VolumeMount { name, mount_path }
}

/// The pod volumes of a controller's Deployment, in the manifest's order (all `emptyDir` on
/// node disk).
pub fn volumes(component: Component) -> &'static [Volume] {
    const STORAGE: &[Volume] = &[empty_dir("data"), empty_dir("tmp")];
    const REFLECTOR: &[Volume] = &[empty_dir("temp"), empty_dir("data")];
    const TEMP: &[Volume] = &[empty_dir("temp")];
    match component {
        Component::SourceController | Component::SourceWatcher => STORAGE,
        Component::ImageReflectorController => REFLECTOR,
        _ => TEMP,
    }
}

/// The container volume mounts of a controller's Deployment, in the manifest's order.
pub fn volume_mounts(component: Component) -> &'static [VolumeMount] {
    const STORAGE: &[VolumeMount] = &[mount("data", "/data"), mount("tmp", "/tmp")];
    const REFLECTOR: &[VolumeMount] = &[mount("temp", "/tmp"), mount("data", "/data")];
    const TEMP: &[VolumeMount] = &[mount("temp", "/tmp")];
    match component {
        Component::SourceController | Component::SourceWatcher => STORAGE,
        Component::ImageReflectorController => REFLECTOR,
        _ => TEMP,
    }
}

/// The Deployment's own labels (`metadata.labels`): `app.kubernetes.io/component`,
/// `app.kubernetes.io/part-of: flux` and `control-plane: controller` (no `app`).
pub fn deployment_labels(component: Component) -> BTreeMap<&'static str, &'static str> {
    BTreeMap::from([
        ("app.kubernetes.io/component", component.as_str()),
        ("app.kubernetes.io/part-of", "flux"),
        ("control-plane", "controller"),
    ])
}

/// The pod template's labels (`spec.template.metadata.labels`): `app` (the Deployment's
/// selector), `app.kubernetes.io/component` and `app.kubernetes.io/part-of: flux` (no
/// `control-plane`).
pub fn pod_labels(component: Component) -> BTreeMap<&'static str, &'static str> {
    BTreeMap::from([
        ("app", component.as_str()),
        ("app.kubernetes.io/component", component.as_str()),
        ("app.kubernetes.io/part-of", "flux"),
    ])
}

/// A minimal Deployment of a controller, built from the facts above: `apiVersion`, `kind`,
/// `metadata` (name, labels), the pod template's labels, its `manager` container (args,
/// resources, volume mounts) and its volumes. `explain` applies a FluxInstance's patches to
/// it to show the effective settings.
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
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": component.as_str(),
            "labels": deployment_labels(component),
        },
        "spec": {
            "template": {
                "metadata": { "labels": pod_labels(component) },
                "spec": {
                    "containers": [{
                        "name": CONTAINER_NAME,
                        "args": default_args(component),
                        "resources": default_resources(component).to_value(),
                        "volumeMounts": volume_mounts(component).iter().map(VolumeMount::to_value).collect::<Vec<_>>(),
                    }],
                    "volumes": volumes(component).iter().map(Volume::to_value).collect::<Vec<_>>(),
                },
            },
        },
    })
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
    fn a_memory_volume_renders_its_medium() {
        let tmpfs = Volume {
            medium: Some("Memory"),
            ..empty_dir("temp")
        };
        assert_eq!(
            tmpfs.to_value(),
            json!({"name": "temp", "emptyDir": {"medium": "Memory"}})
        );
    }
}
