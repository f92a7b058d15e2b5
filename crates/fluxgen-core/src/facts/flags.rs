//! The command-line flags and feature gates of the Flux controllers that fluxgen tunes, per
//! Flux minor from 2.4 to 2.9.
//!
//! Read from each controller's `main.go` (`cmd/main.go` for source-watcher) and
//! `internal/features/features.go` at the tag of the version each Flux minor ships (the
//! images in [`super::RELEASES`]), and from the shared `fluxcd/pkg/runtime` options they bind
//! (`client` for `--kube-api-qps`/`--kube-api-burst`, `controller.WatchOptions` for
//! `--watch-configs-label-selector`, `controller` and `auth` for the shared gates). The tags read:
//!
//! | Flux | source | kustomize | helm | notification | image-reflector | image-automation | source-watcher |
//! |------|--------|-----------|------|--------------|-----------------|------------------|----------------|
//! | 2.4  | v1.4.1 | v1.4.0 | v1.1.0 | v1.4.0 | v0.33.0 | v0.39.0 | – |
//! | 2.5  | v1.5.0 | v1.5.1 | v1.2.0 | v1.5.0 | v0.34.0 | v0.40.0 | – |
//! | 2.6  | v1.6.2 | v1.6.1 | v1.3.0 | v1.6.0 | v0.35.2 | v0.41.2 | – |
//! | 2.7  | v1.7.4 | v1.7.3 | v1.4.5 | v1.7.5 | v1.0.4 | v1.0.4 | v2.0.3 |
//! | 2.8  | v1.8.5 | v1.8.5 | v1.5.5 | v1.8.4 | v1.1.2 | v1.1.4 | v2.1.1 |
//! | 2.9  | v1.9.1 | v1.9.4 | v1.6.3 | v1.9.3 | v1.2.0 | v1.2.1 | v2.2.1 |
//!
//! (For 2.9, source-controller, the image controllers and source-watcher were read at the
//! newest tag of the same minor available to us; their feature maps do not change within a
//! minor.)
//!
//! Facts that are easy to get wrong, each with where it was read:
//! - `--kube-api-burst` defaults to 300 and `--kube-api-qps` to 50 (`fluxcd/pkg`
//!   `runtime/client/client.go`, `BindFlags`; burst raised from 100 to 300 in commit 4d5a7eb3,
//!   runtime v0.29.0, older than every controller here).
//! - `--watch-configs-label-selector` exists on all seven controllers from Flux 2.7 on
//!   (`runtime/controller/watch.go`, added in fluxcd/pkg commit 200b6b69, runtime v0.70.0;
//!   notification-controller binds it in its own `main.go` from v1.7.0); no controller of
//!   2.4 to 2.6 has it.
//! - notification-controller takes `--events-addr`: there it is the address its event
//!   endpoint binds to (default `:9090`), not where events are sent.
//! - helm-controller never shipped an `UninstallOnChartNameChange` gate (the work became the
//!   HelmRelease field `.spec.upgrade.chartNameChangeStrategy`); an unknown gate makes every
//!   controller exit at start-up (`fluxcd/pkg/runtime/features`).
//! - image-automation-controller has `GitShallowClone` (on by default) in every minor here.
//! - helm-controller's `AdoptLegacyReleases` is still parsed but ignored, with a warning, from
//!   helm-controller v1.5.0 (Flux 2.8) on (`internal/features/features.go` at v1.5.0).
//! - The only flags removed between 2.4 and 2.9 are image-reflector-controller's cloud auto-login
//!   flags (`--aws-autologin-for-ecr`, `--azure-autologin-for-acr`, `--gcp-autologin-for-gcr`), in
//!   v1.0.0 (Flux 2.7; its `CHANGELOG.md`, "The auto-login flags for cloud providers have been
//!   removed"): every other flag a `main.go` stopped binding moved into a `fluxcd/pkg` options
//!   struct the controller binds (checked against that module at the version its `go.mod` pins).

use crate::Component::{
    self, HelmController, ImageAutomationController, ImageReflectorController, KustomizeController,
    NotificationController, SourceController, SourceWatcher,
};

use super::{RELEASES, Release, latest};

/// A Flux minor, `(2, 7)`.
pub type Minor = (u32, u32);

/// The default `--kube-api-qps` of every controller (`fluxcd/pkg` `runtime/client/client.go`).
pub const DEFAULT_KUBE_API_QPS: u32 = 50;

/// The default `--kube-api-burst` of every controller (`fluxcd/pkg` `runtime/client/client.go`,
/// 300 since runtime v0.29.0).
pub const DEFAULT_KUBE_API_BURST: u32 = 300;

/// The values `--log-level` accepts.
pub const LOG_LEVELS: [&str; 4] = ["trace", "debug", "info", "error"];

/// The flags fluxgen tunes, the controllers that accept each, and the Flux minor from which
/// they do. The flags in a controller's default args are accepted as well.
const FLAGS: &[(&str, &[Component], Minor)] = &[
    ("concurrent", &Component::ALL, (2, 4)),
    (
        "requeue-dependency",
        &[SourceController, KustomizeController, HelmController],
        (2, 4),
    ),
    ("requeue-dependency", &[ImageReflectorController, SourceWatcher], (2, 7)),
    ("kube-api-qps", &Component::ALL, (2, 4)),
    ("kube-api-burst", &Component::ALL, (2, 4)),
    ("watch-configs-label-selector", &Component::ALL, (2, 7)),
    // notification-controller's is the bind address of its event endpoint.
    ("events-addr", &Component::ALL, (2, 4)),
    ("helm-cache-max-size", &[SourceController], (2, 4)),
    ("helm-cache-ttl", &[SourceController], (2, 4)),
    ("helm-cache-purge-interval", &[SourceController], (2, 4)),
    ("oom-watch-memory-threshold", &[HelmController], (2, 4)),
    ("oom-watch-interval", &[HelmController], (2, 4)),
    ("sops-age-secret", &[KustomizeController], (2, 7)),
    ("log-level", &Component::ALL, (2, 4)),
    ("feature-gates", &Component::ALL, (2, 4)),
];

/// Flags that do nothing unless a feature gate is on.
const GATED_FLAGS: &[(&str, &str)] = &[
    ("oom-watch-memory-threshold", "OOMWatch"),
    ("oom-watch-interval", "OOMWatch"),
];

/// Every feature gate of every controller, with the Flux minor whose controller first knows it
/// (read from `internal/features/features.go` of the tags in the module's table; the shared
/// gates come from `fluxcd/pkg` `runtime/controller/features.go`, and
/// `ObjectLevelWorkloadIdentity` from `auth/feature_gates.go` through `auth.SetFeatureGates`).
const GATES: &[(Component, &str, Minor)] = &[
    (SourceController, "CacheSecretsAndConfigMaps", (2, 4)),
    (SourceController, "ObjectLevelWorkloadIdentity", (2, 6)),
    (KustomizeController, "CacheSecretsAndConfigMaps", (2, 4)),
    (KustomizeController, "DisableFailFastBehavior", (2, 4)),
    (KustomizeController, "DisableStatusPollerCache", (2, 4)),
    (KustomizeController, "StrictPostBuildSubstitutions", (2, 4)),
    (KustomizeController, "GroupChangeLog", (2, 5)),
    (KustomizeController, "ObjectLevelWorkloadIdentity", (2, 6)),
    (KustomizeController, "AdditiveCELDependencyCheck", (2, 7)),
    (KustomizeController, "CancelHealthCheckOnNewRevision", (2, 7)),
    (KustomizeController, "DisableConfigWatchers", (2, 7)),
    (KustomizeController, "ExternalArtifact", (2, 7)),
    (KustomizeController, "DirectSourceFetch", (2, 8)),
    (KustomizeController, "MigrateAPIVersion", (2, 8)),
    (HelmController, "AdoptLegacyReleases", (2, 4)),
    (HelmController, "AllowDNSLookups", (2, 4)),
    (HelmController, "CacheSecretsAndConfigMaps", (2, 4)),
    // Deprecated since helm-controller v0.37 (drift detection is set per HelmRelease), still
    // accepted.
    (HelmController, "CorrectDrift", (2, 4)),
    (HelmController, "DetectDrift", (2, 4)),
    (HelmController, "OOMWatch", (2, 4)),
    (HelmController, "DisableChartDigestTracking", (2, 6)),
    (HelmController, "AdditiveCELDependencyCheck", (2, 7)),
    (HelmController, "DisableConfigWatchers", (2, 7)),
    (HelmController, "ExternalArtifact", (2, 7)),
    // helm-controller v1.3.0 (Flux 2.6) does not register the auth gates; v1.4.0 does.
    (HelmController, "ObjectLevelWorkloadIdentity", (2, 7)),
    (HelmController, "CancelHealthCheckOnNewRevision", (2, 8)),
    (HelmController, "DefaultToRetryOnFailure", (2, 8)),
    (HelmController, "DirectSourceFetch", (2, 8)),
    (HelmController, "UseHelm3Defaults", (2, 8)),
    (NotificationController, "CacheSecretsAndConfigMaps", (2, 4)),
    (NotificationController, "ObjectLevelWorkloadIdentity", (2, 6)),
    (NotificationController, "DisableConfigWatchers", (2, 7)),
    (ImageReflectorController, "CacheSecretsAndConfigMaps", (2, 4)),
    (ImageReflectorController, "ObjectLevelWorkloadIdentity", (2, 6)),
    (ImageReflectorController, "FluxStorage", (2, 9)),
    (ImageAutomationController, "CacheSecretsAndConfigMaps", (2, 4)),
    (ImageAutomationController, "GitAllBranchReferences", (2, 4)),
    (ImageAutomationController, "GitForcePushBranch", (2, 4)),
    (ImageAutomationController, "GitShallowClone", (2, 4)),
    (ImageAutomationController, "ObjectLevelWorkloadIdentity", (2, 6)),
    (ImageAutomationController, "GitSparseCheckout", (2, 7)),
    (SourceWatcher, "DirectSourceFetch", (2, 8)),
];

/// Why image-reflector-controller's three cloud auto-login flags are gone.
const AUTOLOGIN_REMOVED: &str = "image-reflector-controller v1.0.0 (Flux 2.7) removed the cloud auto-login flags: set `.spec.provider` on the ImageRepository";

/// Flags a controller stopped accepting, from a Flux minor on, and why: the flags of each
/// controller's `main.go` that the next minor's `main.go` no longer binds, less those that moved
/// into a `fluxcd/pkg` options struct the controller binds instead (source-controller's storage
/// and artifact flags to `artifact`, `--default-service-account` to `auth`, both in 2.7).
const REMOVED_FLAGS: &[(Component, &str, Minor, &str)] = &[
    (
        ImageReflectorController,
        "aws-autologin-for-ecr",
        (2, 7),
        AUTOLOGIN_REMOVED,
    ),
    (
        ImageReflectorController,
        "azure-autologin-for-acr",
        (2, 7),
        AUTOLOGIN_REMOVED,
    ),
    (
        ImageReflectorController,
        "gcp-autologin-for-gcr",
        (2, 7),
        AUTOLOGIN_REMOVED,
    ),
];

/// Gates a controller still parses but ignores, from a Flux minor on, and why.
const IGNORED_GATES: &[(Component, &str, Minor, &str)] = &[(
    HelmController,
    "AdoptLegacyReleases",
    (2, 8),
    "helm-controller ignores `AdoptLegacyReleases` from v1.5.0 (Flux 2.8) on and only prints a warning \
     (its `internal/features/features.go`)",
)];

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

/// Whether a controller of the newest Flux release accepts a flag ([`Release::accepts_flag`]).
///
/// ```
/// use fluxgen_core::{Component, facts};
/// assert!(facts::accepts_flag(Component::SourceController, "--helm-cache-max-size"));
/// assert!(!facts::accepts_flag(Component::KustomizeController, "--helm-cache-max-size"));
/// assert!(facts::accepts_flag(Component::HelmController, "--concurrent=10"));
/// assert!(facts::accepts_flag(Component::SourceWatcher, "--storage-path"));
/// ```
pub fn accepts_flag(component: Component, flag: &str) -> bool {
    latest().accepts_flag(component, flag)
}

/// The feature gates a controller of the newest Flux release knows
/// ([`Release::feature_gates`]).
///
/// ```
/// use fluxgen_core::{Component, facts};
/// assert!(facts::feature_gates(Component::HelmController).contains(&"OOMWatch"));
/// assert_eq!(facts::feature_gates(Component::SourceWatcher), ["DirectSourceFetch"]);
/// ```
pub fn feature_gates(component: Component) -> Vec<&'static str> {
    latest().feature_gates(component)
}

impl Release {
    /// Whether this release's controller accepts a flag (written `--name`, `--name=value` or
    /// `name`): one of the flags fluxgen tunes, from the minor that brought it, or one its
    /// Deployment already passes. A flag fluxgen does not know is `false`, even if the
    /// controller has it.
    ///
    /// ```
    /// use fluxgen_core::{Component, facts};
    /// let v2_6 = facts::RELEASES.iter().find(|r| r.minor() == (2, 6)).unwrap();
    /// assert!(!v2_6.accepts_flag(Component::KustomizeController, "--watch-configs-label-selector"));
    /// assert!(facts::latest().accepts_flag(Component::SourceController, "--watch-configs-label-selector"));
    /// ```
    pub fn accepts_flag(&self, component: Component, flag: &str) -> bool {
        let Some(controller) = self.controller(component) else {
            return false;
        };
        let name = flag_name(flag);
        FLAGS.iter().any(|(flag, accepted_by, since)| {
            *flag == name && accepted_by.contains(&component) && self.minor() >= *since
        }) || controller.args.iter().any(|arg| flag_name(arg) == name)
    }

    /// The feature gates this release's controller knows, sorted (for
    /// `--feature-gates=Name=true,...`); a gate not in the list makes the controller exit at
    /// start-up.
    ///
    /// ```
    /// use fluxgen_core::{Component, facts};
    /// let v2_6 = facts::RELEASES.iter().find(|r| r.minor() == (2, 6)).unwrap();
    /// assert!(!v2_6.feature_gates(Component::HelmController).contains(&"ObjectLevelWorkloadIdentity"));
    /// assert!(facts::latest().feature_gates(Component::ImageAutomationController).contains(&"GitShallowClone"));
    /// ```
    pub fn feature_gates(&self, component: Component) -> Vec<&'static str> {
        if self.controller(component).is_none() {
            return Vec::new();
        }
        let mut gates: Vec<&'static str> = GATES
            .iter()
            .filter(|(c, _, since)| *c == component && self.minor() >= *since)
            .map(|(_, gate, _)| *gate)
            .collect();
        gates.sort_unstable();
        gates
    }

    /// Why this release's controller no longer accepts a flag an earlier release's did, when
    /// it does not (`--aws-autologin-for-ecr` on image-reflector-controller from Flux 2.7).
    ///
    /// ```
    /// use fluxgen_core::{Component, facts};
    /// let v2_6 = facts::RELEASES.iter().find(|r| r.minor() == (2, 6)).unwrap();
    /// assert!(v2_6.removed_flag(Component::ImageReflectorController, "--aws-autologin-for-ecr=true").is_none());
    /// assert!(facts::latest().removed_flag(Component::ImageReflectorController, "--aws-autologin-for-ecr=true").is_some());
    /// ```
    pub fn removed_flag(&self, component: Component, flag: &str) -> Option<&'static str> {
        let name = flag_name(flag);
        REMOVED_FLAGS
            .iter()
            .find(|(c, removed, since, _)| *c == component && *removed == name && self.minor() >= *since)
            .map(|(_, _, _, why)| *why)
    }

    /// Why this release's controller ignores a gate it still parses, when it does
    /// (`AdoptLegacyReleases` on helm-controller from Flux 2.8).
    ///
    /// ```
    /// use fluxgen_core::{Component, facts};
    /// assert!(facts::latest().ignored_gate(Component::HelmController, "AdoptLegacyReleases").is_some());
    /// assert!(facts::RELEASES[3].ignored_gate(Component::HelmController, "AdoptLegacyReleases").is_none());
    /// ```
    pub fn ignored_gate(&self, component: Component, gate: &str) -> Option<&'static str> {
        IGNORED_GATES
            .iter()
            .find(|(c, name, since, _)| *c == component && *name == gate && self.minor() >= *since)
            .map(|(_, _, _, why)| *why)
    }
}

/// The oldest Flux release fluxgen knows in which a controller has a feature gate, if any.
///
/// ```
/// use fluxgen_core::{Component, facts};
/// assert_eq!(facts::gate_since(Component::KustomizeController, "MigrateAPIVersion").map(|r| r.version), Some("v2.8.8"));
/// assert_eq!(facts::gate_since(Component::HelmController, "UninstallOnChartNameChange"), None);
/// ```
pub fn gate_since(component: Component, gate: &str) -> Option<&'static Release> {
    RELEASES.iter().find(|r| r.feature_gates(component).contains(&gate))
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
                "--events-addr",
                "--watch-configs-label-selector",
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
    }

    #[test]
    fn flags_arrive_with_their_minor() {
        let v2_6 = RELEASES.iter().find(|r| r.minor() == (2, 6)).unwrap();
        for component in Component::ALL {
            assert!(
                !v2_6.accepts_flag(component, "--watch-configs-label-selector"),
                "{component}"
            );
        }
        assert!(!v2_6.accepts_flag(KustomizeController, "--sops-age-secret"));
        assert!(
            !v2_6.accepts_flag(SourceWatcher, "--concurrent"),
            "no source-watcher in 2.6"
        );
    }

    #[test]
    fn gates_are_unique_per_controller_and_release() {
        for release in RELEASES {
            for component in Component::ALL {
                let mut gates = release.feature_gates(component);
                let count = gates.len();
                gates.dedup();
                assert_eq!(gates.len(), count, "{} {component}", release.version);
            }
        }
        assert!(feature_gates(KustomizeController).contains(&"StrictPostBuildSubstitutions"));
        assert!(!feature_gates(SourceController).contains(&"OOMWatch"));
    }
}
