//! The controllers' Deployments of every Flux minor fluxgen knows, one table per release (the
//! minor's newest patch), as the Flux Operator ships them.
//!
//! Source: controlplaneio-fluxcd/flux-operator at commit
//! 17c6aeaddd8dacd5fbd4dd9e1bfe23a0a59df1fb (2026-08-19, just after tag v0.58.1),
//! `config/data/flux/<version>/<controller>.yaml`: the manifests the operator renders a
//! FluxInstance from, before its own patches. Each table cites its directory. The integration
//! test `tests/facts.rs` checks every table against the same files
//! (`$FLUXGEN_SHARED/flux-manifests/<version>/`).
//!
//! What changes between the minors, among the facts `explain` reads: the controller images;
//! source-watcher, which exists from 2.7 on; and the pod template's labels, which are `app`
//! alone before 2.7. The args, resources, volumes and mounts of a controller are the same in
//! every minor from 2.4 to 2.9 (each table still names them, so a minor that changes them
//! changes one table).

use crate::Component::{
    self, HelmController, ImageAutomationController, ImageReflectorController, KustomizeController,
    NotificationController, SourceController, SourceWatcher,
};

use super::{Controller, PodLabels, Release, Volume, VolumeMount, crds};
use crate::{ResourceAmounts, Resources};

/// The operator commit the tables are read from.
pub const OPERATOR_COMMIT: &str = "17c6aeaddd8dacd5fbd4dd9e1bfe23a0a59df1fb";

macro_rules! source {
    ($version:literal) => {
        concat!(
            "https://github.com/controlplaneio-fluxcd/flux-operator/tree/",
            "17c6aeaddd8dacd5fbd4dd9e1bfe23a0a59df1fb/config/data/flux/",
            $version
        )
    };
}

const EVENTS_ADDR: &str = "--events-addr=http://notification-controller.flux-system.svc.cluster.local./";

/// The args of every controller that sends events and stores nothing.
const EVENTS_ARGS: &[&str] = &[
    EVENTS_ADDR,
    "--watch-all-namespaces",
    "--log-level=info",
    "--log-encoding=json",
    "--enable-leader-election",
];

const SOURCE_CONTROLLER_ARGS: &[&str] = &[
    EVENTS_ADDR,
    "--watch-all-namespaces",
    "--log-level=info",
    "--log-encoding=json",
    "--enable-leader-election",
    "--storage-path=/data",
    "--storage-adv-addr=source-controller.$(RUNTIME_NAMESPACE).svc.cluster.local.",
];

const SOURCE_WATCHER_ARGS: &[&str] = &[
    EVENTS_ADDR,
    "--watch-all-namespaces",
    "--log-level=info",
    "--log-encoding=json",
    "--enable-leader-election",
    "--storage-path=/data",
    "--storage-adv-addr=source-watcher.$(RUNTIME_NAMESPACE).svc.cluster.local.",
];

/// notification-controller receives the events: no `--events-addr`.
const NOTIFICATION_ARGS: &[&str] = &[
    "--watch-all-namespaces",
    "--log-level=info",
    "--log-encoding=json",
    "--enable-leader-election",
];

/// Limited to `1000m`/`1Gi`, requesting `cpu_request` and `64Mi`.
const fn resources(cpu_request: &'static str) -> Resources {
    Resources {
        limits: ResourceAmounts::of("1000m", "1Gi"),
        requests: ResourceAmounts::of(cpu_request, "64Mi"),
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

const STORAGE_VOLUMES: &[Volume] = &[empty_dir("data"), empty_dir("tmp")];
const STORAGE_MOUNTS: &[VolumeMount] = &[mount("data", "/data"), mount("tmp", "/tmp")];
const REFLECTOR_VOLUMES: &[Volume] = &[empty_dir("temp"), empty_dir("data")];
const REFLECTOR_MOUNTS: &[VolumeMount] = &[mount("temp", "/tmp"), mount("data", "/data")];
const TEMP_VOLUMES: &[Volume] = &[empty_dir("temp")];
const TEMP_MOUNTS: &[VolumeMount] = &[mount("temp", "/tmp")];

/// A controller that only needs `/tmp` (kustomize-, helm-, image-automation-controller).
const fn temp_only(component: Component, image: &'static str) -> Controller {
    with_temp(component, image, EVENTS_ARGS)
}

/// A controller requesting `100m` CPU with only the `temp` volume, and these args.
const fn with_temp(component: Component, image: &'static str, args: &'static [&'static str]) -> Controller {
    Controller {
        component,
        image,
        args,
        resources: resources("100m"),
        volumes: TEMP_VOLUMES,
        volume_mounts: TEMP_MOUNTS,
    }
}

const fn source_controller(image: &'static str) -> Controller {
    Controller {
        component: SourceController,
        image,
        args: SOURCE_CONTROLLER_ARGS,
        resources: resources("50m"),
        volumes: STORAGE_VOLUMES,
        volume_mounts: STORAGE_MOUNTS,
    }
}

const fn source_watcher(image: &'static str) -> Controller {
    Controller {
        component: SourceWatcher,
        image,
        args: SOURCE_WATCHER_ARGS,
        resources: resources("50m"),
        volumes: STORAGE_VOLUMES,
        volume_mounts: STORAGE_MOUNTS,
    }
}

const fn kustomize_controller(image: &'static str) -> Controller {
    temp_only(KustomizeController, image)
}

const fn helm_controller(image: &'static str) -> Controller {
    temp_only(HelmController, image)
}

const fn notification_controller(image: &'static str) -> Controller {
    with_temp(NotificationController, image, NOTIFICATION_ARGS)
}

const fn image_reflector_controller(image: &'static str) -> Controller {
    Controller {
        component: ImageReflectorController,
        image,
        args: EVENTS_ARGS,
        resources: resources("100m"),
        volumes: REFLECTOR_VOLUMES,
        volume_mounts: REFLECTOR_MOUNTS,
    }
}

const fn image_automation_controller(image: &'static str) -> Controller {
    temp_only(ImageAutomationController, image)
}

/// Flux v2.4.0 (2.4's only release the operator ships).
const V2_4: Release = Release {
    version: "v2.4.0",
    number: (2, 4, 0),
    source: source!("v2.4.0"),
    crds: crds::V2_4,
    pod_labels: PodLabels::AppOnly,
    controllers: &[
        source_controller("fluxcd/source-controller:v1.4.1"),
        kustomize_controller("fluxcd/kustomize-controller:v1.4.0"),
        helm_controller("fluxcd/helm-controller:v1.1.0"),
        notification_controller("fluxcd/notification-controller:v1.4.0"),
        image_reflector_controller("fluxcd/image-reflector-controller:v0.33.0"),
        image_automation_controller("fluxcd/image-automation-controller:v0.39.0"),
    ],
};

/// Flux v2.5.1, the newest 2.5 patch.
const V2_5: Release = Release {
    version: "v2.5.1",
    number: (2, 5, 1),
    source: source!("v2.5.1"),
    crds: crds::V2_4,
    pod_labels: PodLabels::AppOnly,
    controllers: &[
        source_controller("fluxcd/source-controller:v1.5.0"),
        kustomize_controller("fluxcd/kustomize-controller:v1.5.1"),
        helm_controller("fluxcd/helm-controller:v1.2.0"),
        notification_controller("fluxcd/notification-controller:v1.5.0"),
        image_reflector_controller("fluxcd/image-reflector-controller:v0.34.0"),
        image_automation_controller("fluxcd/image-automation-controller:v0.40.0"),
    ],
};

/// Flux v2.6.4, the newest 2.6 patch.
const V2_6: Release = Release {
    version: "v2.6.4",
    number: (2, 6, 4),
    source: source!("v2.6.4"),
    crds: crds::V2_6,
    pod_labels: PodLabels::AppOnly,
    controllers: &[
        source_controller("fluxcd/source-controller:v1.6.2"),
        kustomize_controller("fluxcd/kustomize-controller:v1.6.1"),
        helm_controller("fluxcd/helm-controller:v1.3.0"),
        notification_controller("fluxcd/notification-controller:v1.6.0"),
        image_reflector_controller("fluxcd/image-reflector-controller:v0.35.2"),
        image_automation_controller("fluxcd/image-automation-controller:v0.41.2"),
    ],
};

/// Flux v2.7.5, the newest 2.7 patch: source-watcher appears, and the pod templates carry the
/// `app.kubernetes.io/*` labels.
const V2_7: Release = Release {
    version: "v2.7.5",
    number: (2, 7, 5),
    source: source!("v2.7.5"),
    crds: crds::V2_7,
    pod_labels: PodLabels::Standard,
    controllers: &[
        source_controller("fluxcd/source-controller:v1.7.4"),
        kustomize_controller("fluxcd/kustomize-controller:v1.7.3"),
        helm_controller("fluxcd/helm-controller:v1.4.5"),
        notification_controller("fluxcd/notification-controller:v1.7.5"),
        image_reflector_controller("fluxcd/image-reflector-controller:v1.0.4"),
        image_automation_controller("fluxcd/image-automation-controller:v1.0.4"),
        source_watcher("fluxcd/source-watcher:v2.0.3"),
    ],
};

/// Flux v2.8.8, the newest 2.8 patch.
const V2_8: Release = Release {
    version: "v2.8.8",
    number: (2, 8, 8),
    source: source!("v2.8.8"),
    crds: crds::V2_8,
    pod_labels: PodLabels::Standard,
    controllers: &[
        source_controller("fluxcd/source-controller:v1.8.5"),
        kustomize_controller("fluxcd/kustomize-controller:v1.8.5"),
        helm_controller("fluxcd/helm-controller:v1.5.5"),
        notification_controller("fluxcd/notification-controller:v1.8.4"),
        image_reflector_controller("fluxcd/image-reflector-controller:v1.1.2"),
        image_automation_controller("fluxcd/image-automation-controller:v1.1.4"),
        source_watcher("fluxcd/source-watcher:v2.1.1"),
    ],
};

/// Flux v2.9.4, the newest release.
const V2_9: Release = Release {
    version: "v2.9.4",
    number: (2, 9, 4),
    source: source!("v2.9.4"),
    crds: crds::V2_9,
    pod_labels: PodLabels::Standard,
    controllers: &[
        source_controller("fluxcd/source-controller:v1.9.4"),
        kustomize_controller("fluxcd/kustomize-controller:v1.9.4"),
        helm_controller("fluxcd/helm-controller:v1.6.3"),
        notification_controller("fluxcd/notification-controller:v1.9.3"),
        image_reflector_controller("fluxcd/image-reflector-controller:v1.2.4"),
        image_automation_controller("fluxcd/image-automation-controller:v1.2.4"),
        source_watcher("fluxcd/source-watcher:v2.2.3"),
    ],
};

/// Every Flux release fluxgen carries the Deployments of, oldest first: the newest patch of
/// each minor from 2.4 to 2.9.
pub const RELEASES: [Release; 6] = [V2_4, V2_5, V2_6, V2_7, V2_8, V2_9];
