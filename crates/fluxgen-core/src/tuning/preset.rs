//! Presets: plain lists of tunings.

use super::Tuning;
use crate::Component::{HelmController, KustomizeController, SourceController};

/// The names of the presets [`preset`] knows.
pub const PRESETS: [&str; 1] = ["home-ops"];

/// A preset by name.
///
/// `home-ops` has the effect of onedr0p/home-ops's nine controller patches: 10 workers for
/// source- and helm-controller and 20 for kustomize-controller (whose last `--concurrent`
/// wins there), dependency requeue after 5s and 2Gi memory for the three, in-memory
/// kustomize builds, a Helm index cache, near-OOM detection for Helm, the feature gates
/// `CacheSecretsAndConfigMaps` (source), `DefaultToRetryOnFailure` and
/// `DisableChartDigestTracking` (helm), `CancelHealthCheckOnNewRevision` (kustomize), and
/// watching only ConfigMaps and Secrets not owned by Helm.
///
/// ```
/// let tunings = fluxgen_core::preset("home-ops").unwrap();
/// assert!(fluxgen_core::lower(&tunings).is_ok());
/// assert!(fluxgen_core::preset("fast").is_none());
/// ```
pub fn preset(name: &str) -> Option<Vec<Tuning>> {
    match name {
        "home-ops" => Some(vec![
            Tuning::workers([SourceController, HelmController], 10),
            Tuning::workers([KustomizeController], 20),
            Tuning::requeue_dependency([KustomizeController, HelmController, SourceController], "5s"),
            Tuning::memory_limit([KustomizeController, HelmController, SourceController], "2Gi"),
            Tuning::InMemoryBuilds,
            Tuning::helm_cache(10, "60m", "5m"),
            Tuning::feature_gate(SourceController, "CacheSecretsAndConfigMaps", true),
            Tuning::oom_watch(95, "500ms"),
            Tuning::feature_gate(HelmController, "DefaultToRetryOnFailure", true),
            Tuning::feature_gate(HelmController, "DisableChartDigestTracking", true),
            Tuning::watch_configs_selector([HelmController, KustomizeController], "owner!=helm"),
            Tuning::feature_gate(KustomizeController, "CancelHealthCheckOnNewRevision", true),
        ]),
        _ => None,
    }
}
