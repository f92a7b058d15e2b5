//! The command-line flags and feature gates of the Flux 2.9 controllers that fluxgen tunes.
//!
//! From the controllers' `main.go` and `internal/features/features.go` at the versions Flux
//! v2.9.4 ships (source-controller v1.9, kustomize-controller v1.9, helm-controller v1.6,
//! notification-controller v1.9, image-reflector-controller and image-automation-controller
//! v1.2, source-watcher v2.2) and the shared `fluxcd/pkg/runtime` options (client, logger,
//! feature gates, watch options).

use crate::Component::{
    self, HelmController, ImageAutomationController, ImageReflectorController, KustomizeController,
    NotificationController, SourceController, SourceWatcher,
};

use super::default_args;

/// The default `--kube-api-qps` of every controller.
pub const DEFAULT_KUBE_API_QPS: u32 = 50;

/// The default `--kube-api-burst` of every controller.
pub const DEFAULT_KUBE_API_BURST: u32 = 100;

/// The values `--log-level` accepts.
pub const LOG_LEVELS: [&str; 4] = ["trace", "debug", "info", "error"];

/// The flags fluxgen tunes, and the controllers that accept each. The flags in a
/// controller's default args ([`default_args`]) are accepted as well.
const FLAGS: &[(&str, &[Component])] = &[
    ("concurrent", &Component::ALL),
    (
        "requeue-dependency",
        &[
            SourceController,
            KustomizeController,
            HelmController,
            ImageReflectorController,
            SourceWatcher,
        ],
    ),
    ("kube-api-qps", &Component::ALL),
    ("kube-api-burst", &Component::ALL),
    ("watch-configs-label-selector", &[KustomizeController, HelmController]),
    ("helm-cache-max-size", &[SourceController]),
    ("helm-cache-ttl", &[SourceController]),
    ("helm-cache-purge-interval", &[SourceController]),
    ("oom-watch-memory-threshold", &[HelmController]),
    ("oom-watch-interval", &[HelmController]),
    ("sops-age-secret", &[KustomizeController]),
    ("log-level", &Component::ALL),
    ("feature-gates", &Component::ALL),
];

/// Flags that do nothing unless a feature gate is on.
const GATED_FLAGS: &[(&str, &str)] = &[
    ("oom-watch-memory-threshold", "OOMWatch"),
    ("oom-watch-interval", "OOMWatch"),
];

/// The bare name of a flag: `--concurrent=10`, `--concurrent` and `concurrent` are all
/// `concurrent`.
///
/// ```
/// assert_eq!(fluxgen_core::facts::flag_name("--helm-cache-ttl=60m"), "helm-cache-ttl");
/// ```
pub fn flag_name(flag: &str) -> &str {
    let flag = flag.trim_start_matches('-');
    flag.split_once('=').map_or(flag, |(name, _)| name)
}

/// Whether a controller accepts a flag (written `--name`, `--name=value` or `name`): one of
/// the flags fluxgen tunes, or one its Deployment already passes. A flag fluxgen does not
/// know is `false`, even if the controller has it.
///
/// ```
/// use fluxgen_core::{Component, facts};
/// assert!(facts::accepts_flag(Component::SourceController, "--helm-cache-max-size"));
/// assert!(!facts::accepts_flag(Component::KustomizeController, "--helm-cache-max-size"));
/// assert!(facts::accepts_flag(Component::HelmController, "--concurrent=10"));
/// assert!(facts::accepts_flag(Component::SourceWatcher, "--storage-path"));
/// ```
pub fn accepts_flag(component: Component, flag: &str) -> bool {
    let name = flag_name(flag);
    FLAGS
        .iter()
        .any(|(flag, accepted_by)| *flag == name && accepted_by.contains(&component))
        || default_args(component).iter().any(|arg| flag_name(arg) == name)
}

/// The feature gates a controller knows (for `--feature-gates=Name=true,...`); a gate not in
/// the list makes the controller exit at start-up.
///
/// ```
/// use fluxgen_core::{Component, facts};
/// assert!(facts::feature_gates(Component::HelmController).contains(&"OOMWatch"));
/// assert_eq!(facts::feature_gates(Component::SourceWatcher), ["DirectSourceFetch"]);
/// ```
pub fn feature_gates(component: Component) -> &'static [&'static str] {
    match component {
        SourceController => &["CacheSecretsAndConfigMaps", "ObjectLevelWorkloadIdentity"],
        KustomizeController => &[
            "AdditiveCELDependencyCheck",
            "CacheSecretsAndConfigMaps",
            "CancelHealthCheckOnNewRevision",
            "DirectSourceFetch",
            "DisableConfigWatchers",
            "DisableFailFastBehavior",
            "DisableStatusPollerCache",
            "ExternalArtifact",
            "GroupChangeLog",
            "MigrateAPIVersion",
            "ObjectLevelWorkloadIdentity",
            "StrictPostBuildSubstitutions",
        ],
        HelmController => &[
            "AdditiveCELDependencyCheck",
            "AdoptLegacyReleases",
            "AllowDNSLookups",
            "CacheSecretsAndConfigMaps",
            "CancelHealthCheckOnNewRevision",
            "DefaultToRetryOnFailure",
            "DirectSourceFetch",
            "DisableChartDigestTracking",
            "DisableConfigWatchers",
            "ExternalArtifact",
            "ObjectLevelWorkloadIdentity",
            "OOMWatch",
            "UseHelm3Defaults",
            "UninstallOnChartNameChange",
            // Deprecated since helm-controller v0.37 (drift detection is set per HelmRelease),
            // still accepted.
            "DetectDrift",
            "CorrectDrift",
        ],
        NotificationController => &[
            "CacheSecretsAndConfigMaps",
            "DisableConfigWatchers",
            "ObjectLevelWorkloadIdentity",
        ],
        ImageReflectorController => &[
            "CacheSecretsAndConfigMaps",
            "FluxStorage",
            "ObjectLevelWorkloadIdentity",
        ],
        ImageAutomationController => &[
            "CacheSecretsAndConfigMaps",
            "GitAllBranchReferences",
            "GitForcePushBranch",
            "GitSparseCheckout",
            "ObjectLevelWorkloadIdentity",
        ],
        SourceWatcher => &["DirectSourceFetch"],
    }
}

/// A controller's default `--concurrent` (reconciles run in parallel).
///
/// ```
/// use fluxgen_core::{Component, facts};
/// assert_eq!(facts::default_concurrency(Component::SourceController), 2);
/// assert_eq!(facts::default_concurrency(Component::SourceWatcher), 10);
/// ```
pub fn default_concurrency(component: Component) -> u32 {
    match component {
        SourceController => 2,
        SourceWatcher => 10,
        KustomizeController
        | HelmController
        | NotificationController
        | ImageReflectorController
        | ImageAutomationController => 4,
    }
}

/// A controller's default `--requeue-dependency` (how often a failing dependency is checked
/// again), or `None` for the controllers without the flag.
///
/// ```
/// use fluxgen_core::{Component, facts};
/// assert_eq!(facts::default_requeue_dependency(Component::KustomizeController), Some("30s"));
/// assert_eq!(facts::default_requeue_dependency(Component::SourceWatcher), Some("5s"));
/// assert_eq!(facts::default_requeue_dependency(Component::NotificationController), None);
/// ```
pub fn default_requeue_dependency(component: Component) -> Option<&'static str> {
    match component {
        SourceWatcher => Some("5s"),
        _ if accepts_flag(component, "requeue-dependency") => Some("30s"),
        _ => None,
    }
}

/// The feature gate a flag needs to take effect (`--oom-watch-*` needs `OOMWatch`), if any.
///
/// ```
/// use fluxgen_core::facts;
/// assert_eq!(facts::feature_gate_for_flag("--oom-watch-interval=500ms"), Some("OOMWatch"));
/// assert_eq!(facts::feature_gate_for_flag("--concurrent"), None);
/// ```
pub fn feature_gate_for_flag(flag: &str) -> Option<&'static str> {
    let name = flag_name(flag);
    GATED_FLAGS
        .iter()
        .find(|(flag, _)| *flag == name)
        .map(|(_, gate)| *gate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_controller_takes_the_common_flags() {
        for component in Component::ALL {
            for flag in [
                "--concurrent",
                "--kube-api-qps",
                "--kube-api-burst",
                "--log-level",
                "--feature-gates",
            ] {
                assert!(accepts_flag(component, flag), "{component} {flag}");
            }
            assert!(!accepts_flag(component, "--no-such-flag"));
            assert!(!feature_gates(component).is_empty());
            assert!(
                feature_gates(component)
                    .iter()
                    .all(|g| g.chars().all(|c| c.is_ascii_alphanumeric()))
            );
        }
    }

    #[test]
    fn controller_specific_flags() {
        let accepting =
            |flag: &str| -> Vec<Component> { Component::ALL.into_iter().filter(|c| accepts_flag(*c, flag)).collect() };
        assert_eq!(accepting("--sops-age-secret"), [KustomizeController]);
        assert_eq!(accepting("--oom-watch-memory-threshold=95"), [HelmController]);
        assert_eq!(
            accepting("--watch-configs-label-selector"),
            [KustomizeController, HelmController]
        );
        assert_eq!(accepting("--helm-cache-purge-interval"), [SourceController]);
        assert_eq!(accepting("--storage-adv-addr"), [SourceController, SourceWatcher]);
        assert_eq!(
            accepting("--requeue-dependency"),
            [
                SourceController,
                KustomizeController,
                HelmController,
                ImageReflectorController,
                SourceWatcher
            ]
        );
        // notification-controller is the events receiver: it has no --events-addr.
        assert!(!accepts_flag(NotificationController, "--events-addr"));
    }

    #[test]
    fn gates_are_unique_per_controller() {
        for component in Component::ALL {
            let mut gates = feature_gates(component).to_vec();
            gates.sort_unstable();
            gates.dedup();
            assert_eq!(gates.len(), feature_gates(component).len(), "{component}");
        }
        assert!(feature_gates(KustomizeController).contains(&"StrictPostBuildSubstitutions"));
        assert!(!feature_gates(SourceController).contains(&"OOMWatch"));
    }
}
