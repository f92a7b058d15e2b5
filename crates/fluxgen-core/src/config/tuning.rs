//! The `tuning` key: controller tuning as typed settings, and their translation to
//! [`Tuning`] values (a preset first, the cluster's own keys over it).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::settings::RawPatch;
use crate::tuning::{HelmCache, KubeApiLimits, LogLevel, OomWatch, SyncKustomizationTuning, Tuning};
use crate::{Component, Quantity, Resources, objects::Duration, objects::KustomizePatch};

/// `tuning`: controller tuning. A `preset` gives a starting list; every other key replaces
/// what the preset sets for the same knob on the same controllers.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct TuningSettings {
    /// A named list of tunings to start from.
    pub preset: Option<Preset>,
    /// `--concurrent`: a number for source-, kustomize- and helm-controller, or a number per
    /// controller.
    pub workers: Option<PerController<u32>>,
    /// `--requeue-dependency`: a duration for source-, kustomize- and helm-controller, or per
    /// controller.
    pub requeue_dependency: Option<PerController<Duration>>,
    /// `--kube-api-qps` and `--kube-api-burst` for source-, kustomize- and helm-controller.
    pub kube_api_limits: Option<KubeApiLimits>,
    /// The `manager` container's memory limit: one for source-, kustomize- and
    /// helm-controller, or per controller.
    pub memory_limit: Option<PerController<Quantity>>,
    /// Limits and requests per controller.
    #[schemars(extend("propertyNames" = { "enum": Component::ALL }))]
    pub resources: BTreeMap<Component, Resources>,
    /// kustomize-controller builds in memory (its `temp` volume on tmpfs).
    pub in_memory_builds: Option<bool>,
    /// source-controller's Helm index cache.
    pub helm_cache: Option<HelmCache>,
    /// helm-controller's near-OOM detection.
    pub oom_watch: Option<OomWatch>,
    /// Feature gates per controller, e.g. `helm-controller: { DisableChartDigestTracking: true }`.
    #[schemars(extend("propertyNames" = { "enum": Component::ALL }))]
    pub feature_gates: BTreeMap<Component, BTreeMap<String, bool>>,
    /// `--watch-configs-label-selector` on kustomize- and helm-controller, e.g. `owner!=helm`.
    pub watch_configs_selector: Option<String>,
    /// `--sops-age-secret` on kustomize-controller: the default SOPS age key Secret.
    #[schemars(pattern(crate::patterns::DNS_SUBDOMAIN.regex), length(max = crate::patterns::DNS_SUBDOMAIN.max_length))]
    pub sops_age_secret: Option<String>,
    /// `--log-level`: one level for every controller, or per controller.
    pub log_level: Option<PerController<LogLevel>>,
    /// Run every controller on control-plane nodes.
    pub control_plane: Option<bool>,
    /// Additions to the sync Kustomization the FluxInstance creates.
    pub sync_kustomization: Option<SyncKustomizationTuning>,
    /// Raw kustomize patches for the controllers, the escape hatch; applied after the rest.
    pub patches: Vec<RawPatch>,
}

/// Presets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Preset {
    /// The effect of onedr0p/home-ops's nine controller patches.
    #[serde(rename = "home-ops")]
    HomeOps,
}

/// One value for the usual controllers, or a value per controller.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum PerController<T> {
    /// The same value for the knob's usual controllers.
    All(T),
    /// A value per controller.
    #[schemars(extend("propertyNames" = { "enum": Component::ALL }))]
    Each(BTreeMap<Component, T>),
}

impl<T> PerController<T> {
    /// The controllers named one by one (none for a value for all).
    pub fn controllers(&self) -> Vec<Component> {
        match self {
            PerController::All(_) => Vec::new(),
            PerController::Each(map) => map.keys().copied().collect(),
        }
    }
}

/// `(controllers, value)` pairs of a per-controller setting; `usual` for a value for all.
fn each<'a, T>(value: &'a PerController<T>, usual: &[Component]) -> Vec<(Vec<Component>, &'a T)> {
    match value {
        PerController::All(v) => vec![(usual.to_vec(), v)],
        PerController::Each(map) => map.iter().map(|(c, v)| (vec![*c], v)).collect(),
    }
}

impl TuningSettings {
    /// The tunings these settings describe for a FluxInstance running `components`: the
    /// preset's, minus what the other keys replace, then the other keys', then raw patches.
    pub fn tunings(&self, components: &[Component]) -> Vec<Tuning> {
        let enabled =
            |set: &[Component]| -> Vec<Component> { set.iter().copied().filter(|c| components.contains(c)).collect() };
        let scaling = enabled(&Component::SCALING);
        let mut own: Vec<Tuning> = Vec::new();
        if let Some(workers) = &self.workers {
            own.extend(
                each(workers, &scaling)
                    .into_iter()
                    .map(|(cs, n)| Tuning::workers(cs, *n)),
            );
        }
        if let Some(requeue) = &self.requeue_dependency {
            own.extend(
                each(requeue, &scaling)
                    .into_iter()
                    .map(|(cs, d)| Tuning::requeue_dependency(cs, d.clone())),
            );
        }
        if let Some(limits) = &self.kube_api_limits {
            own.push(Tuning::KubeApiLimits {
                controllers: scaling.clone(),
                limits: *limits,
            });
        }
        if let Some(memory) = &self.memory_limit {
            own.extend(
                each(memory, &scaling)
                    .into_iter()
                    .map(|(cs, q)| Tuning::memory_limit(cs, q.clone())),
            );
        }
        for (controller, resources) in &self.resources {
            own.push(Tuning::Resources {
                controllers: vec![*controller],
                resources: resources.clone(),
            });
        }
        if self.in_memory_builds == Some(true) {
            own.push(Tuning::InMemoryBuilds);
        }
        if let Some(cache) = &self.helm_cache {
            own.push(Tuning::HelmCache(cache.clone()));
        }
        if let Some(oom) = &self.oom_watch {
            own.push(Tuning::OomWatch(oom.clone()));
        }
        for (controller, gates) in &self.feature_gates {
            own.extend(
                gates
                    .iter()
                    .map(|(gate, on)| Tuning::feature_gate(*controller, gate.clone(), *on)),
            );
        }
        if let Some(selector) = &self.watch_configs_selector {
            let controllers = enabled(&[Component::KustomizeController, Component::HelmController]);
            own.push(Tuning::watch_configs_selector(controllers, selector.clone()));
        }
        if let Some(secret) = &self.sops_age_secret {
            own.push(Tuning::sops_age_secret(secret.clone()));
        }
        if let Some(level) = &self.log_level {
            own.extend(
                each(level, components)
                    .into_iter()
                    .map(|(cs, l)| Tuning::log_level(cs, *l)),
            );
        }
        if self.control_plane == Some(true) {
            own.push(Tuning::control_plane_scheduling(components.iter().copied()));
        }
        if let Some(sync) = &self.sync_kustomization {
            own.push(Tuning::SyncKustomization(sync.clone()));
        }

        let mut tunings: Vec<Tuning> = match self.preset {
            Some(Preset::HomeOps) => crate::tuning::preset("home-ops").expect("home-ops is a preset"),
            None => Vec::new(),
        };
        // A key of the cluster's own replaces what the preset sets for that knob on the same
        // controllers (for feature gates: the same gate).
        for replacing in &own {
            tunings = tunings.into_iter().filter_map(|t| t.without(replacing)).collect();
        }
        tunings.retain(|t| !t.controllers().is_empty() || matches!(t, Tuning::SyncKustomization(_)));
        tunings.extend(own);
        tunings.extend(self.patches.iter().map(|raw| Tuning::Custom(raw.to_patch())));
        tunings
    }
}

impl RawPatch {
    /// The kustomize patch this raw patch is.
    pub fn to_patch(&self) -> KustomizePatch {
        KustomizePatch {
            patch: self.patch.clone(),
            target: Some(self.target.clone()),
        }
    }
}
