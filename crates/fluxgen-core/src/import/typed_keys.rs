//! Typed `tuning` keys from the folded controller state: one value for the usual controllers
//! or a value per controller, the composite keys (`kubeApiLimits`, `helmCache`, `oomWatch`,
//! `watchConfigsSelector`) only where the repository sets exactly what they set, raw argument
//! patches for the rest.

use std::collections::BTreeMap;

use super::report::{EntryKind, ImportReport};
use super::tuning::{Folded, Set, list};
use crate::config::{PerController, RawPatch, TuningSettings};
use crate::duration::is_flux_duration;
use crate::scan::Location;
use crate::tuning::{HelmCache, KubeApiLimits, OomWatch};
use crate::{Component, facts, objects::Duration, objects::PatchTarget, tuning::LogLevel};
use crate::{Quantity, ResourceAmounts, Resources};

/// One value for `usual`, when exactly those controllers have the same value; else a value
/// per controller.
pub(super) fn per_controller<T: Clone + PartialEq>(
    values: &BTreeMap<Component, T>,
    usual: &[Component],
) -> PerController<T> {
    let keys: Vec<Component> = values.keys().copied().collect();
    let mut usual_sorted = usual.to_vec();
    usual_sorted.sort();
    let first = values.values().next();
    match first {
        Some(first) if keys == usual_sorted && values.values().all(|v| v == first) => PerController::All(first.clone()),
        _ => PerController::Each(values.clone()),
    }
}

/// A per-controller value as written in the config, on one line: `12` or `{helm-controller: 5}`.
pub(super) fn shown<T: serde::Serialize>(value: &PerController<T>) -> String {
    let text = |v: &serde_json::Value| v.as_str().map_or_else(|| v.to_string(), str::to_owned);
    match serde_json::to_value(value).unwrap_or_default() {
        serde_json::Value::Object(map) => {
            let entries: Vec<String> = map.iter().map(|(k, v)| format!("{k}: {}", text(v))).collect();
            format!("{{{}}}", entries.join(", "))
        }
        other => text(&other),
    }
}

/// `--flag=value` on the controllers that have it, or the flag and each controller's value.
fn described(flag: &str, values: &BTreeMap<Component, Set>) -> String {
    let first = values.values().next().map(|s| s.value.as_str()).unwrap_or_default();
    if values.values().all(|s| s.value == first) {
        format!(
            "`--{flag}={first}` on {}",
            list(&values.keys().copied().collect::<Vec<_>>())
        )
    } else {
        let each: Vec<String> = values.iter().map(|(c, s)| format!("{c}: {}", s.value)).collect();
        format!("`--{flag}` ({})", each.join(", "))
    }
}

/// Turns the folded arguments into typed keys, keeping as raw arguments what has none.
pub(super) struct ArgKeys<'a> {
    pub(super) folded: &'a mut Folded,
    pub(super) enabled: &'a [Component],
    pub(super) tuning: &'a mut TuningSettings,
    pub(super) fallback: BTreeMap<Component, Vec<String>>,
    pub(super) cluster: &'a str,
    pub(super) report: &'a mut ImportReport,
}

impl ArgKeys<'_> {
    /// Every flag import has a key for; returns the arguments kept raw, per controller.
    pub(super) fn translate(mut self) -> BTreeMap<Component, Vec<String>> {
        self.workers();
        self.requeue_dependency();
        self.kube_api_limits();
        self.helm_cache();
        self.oom_watch();
        self.watch_configs_selector();
        self.sops_age_secret();
        self.log_level();
        self.fallback
    }

    /// The usual controllers the FluxInstance runs.
    fn scaling(&self) -> Vec<Component> {
        Component::SCALING
            .into_iter()
            .filter(|c| self.enabled.contains(c))
            .collect()
    }

    fn translated(&mut self, key: &str, what: String, from: &str, at: &Location) {
        self.report.push(
            Some(self.cluster),
            EntryKind::Translated,
            format!("{from} → `tuning.{key}: {what}`"),
            Some(at),
        );
    }

    fn keep(&mut self, controller: Component, flag: &str, set: &Set, why: &str) {
        self.fallback
            .entry(controller)
            .or_default()
            .push(format!("--{flag}={}", set.value));
        self.report.push(
            Some(self.cluster),
            EntryKind::NotTranslated,
            format!("`--{flag}={}` on {controller} kept as a raw patch: {why}", set.value),
            Some(&set.at),
        );
    }

    /// `--concurrent`
    fn workers(&mut self) {
        let values = self.folded.values("concurrent");
        let mut typed = BTreeMap::new();
        for (controller, set) in &values {
            match set.value.parse::<u32>() {
                Ok(n) if n > 0 => {
                    typed.insert(*controller, n);
                }
                _ => self.keep(*controller, "concurrent", set, "not a positive number"),
            }
        }
        if !typed.is_empty() {
            let workers = per_controller(&typed, &self.scaling());
            self.translated(
                "workers",
                shown(&workers),
                &described("concurrent", &values),
                &first_at(&values),
            );
            self.tuning.workers = Some(workers);
        }
    }

    /// `--requeue-dependency`
    fn requeue_dependency(&mut self) {
        let values = self.folded.values("requeue-dependency");
        let mut typed = BTreeMap::new();
        for (controller, set) in &values {
            if !facts::accepts_flag(*controller, "requeue-dependency") {
                self.keep(
                    *controller,
                    "requeue-dependency",
                    set,
                    "the controller has no such flag in Flux 2.9",
                );
            } else if is_flux_duration(&set.value, true) {
                typed.insert(*controller, Duration::from(set.value.clone()));
            } else {
                self.keep(*controller, "requeue-dependency", set, "not a duration");
            }
        }
        if !typed.is_empty() {
            let requeue = per_controller(&typed, &self.scaling());
            self.translated(
                "requeueDependency",
                shown(&requeue),
                &described("requeue-dependency", &values),
                &first_at(&values),
            );
            self.tuning.requeue_dependency = Some(requeue);
        }
    }

    /// `--kube-api-qps / --kube-api-burst`: one pair for the usual controllers.
    fn kube_api_limits(&mut self) {
        let qps = self.folded.values("kube-api-qps");
        let burst = self.folded.values("kube-api-burst");
        if !qps.is_empty() || !burst.is_empty() {
            let parse = |values: &BTreeMap<Component, Set>| -> Option<u32> {
                let first = values.values().next()?.value.parse::<u32>().ok().filter(|n| *n > 0)?;
                values
                    .values()
                    .all(|s| s.value.parse::<u32>().ok() == Some(first))
                    .then_some(first)
            };
            let same_controllers = qps.keys().eq(self.scaling().iter()) && burst.keys().eq(self.scaling().iter());
            match (parse(&qps), parse(&burst)) {
                (Some(q), Some(b)) if same_controllers => {
                    self.tuning.kube_api_limits = Some(KubeApiLimits { qps: q, burst: b });
                    self.translated(
                        "kubeApiLimits",
                        format!("{{qps: {q}, burst: {b}}}"),
                        &format!(
                            "`--kube-api-qps={q}` and `--kube-api-burst={b}` on {}",
                            list(&self.scaling())
                        ),
                        &first_at(&qps),
                    );
                }
                _ => {
                    for (flag, values) in [("kube-api-qps", &qps), ("kube-api-burst", &burst)] {
                        for (controller, set) in values {
                            self.keep(
                            *controller,
                            flag,
                            set,
                            "`kubeApiLimits` sets both flags to one pair of values on source-, kustomize- and helm-controller");
                        }
                    }
                }
            }
        }
    }

    /// `--helm-cache-*`: all three, on source-controller.
    fn helm_cache(&mut self) {
        let cache_flags = ["helm-cache-max-size", "helm-cache-ttl", "helm-cache-purge-interval"];
        let cache: Vec<BTreeMap<Component, Set>> = cache_flags.iter().map(|f| self.folded.values(f)).collect();
        if cache.iter().any(|v| !v.is_empty()) {
            let source = Component::SourceController;
            let only_source = cache.iter().all(|v| v.keys().eq([source].iter()));
            let max_size = self
                .folded
                .last(source, "helm-cache-max-size")
                .and_then(|s| s.value.parse::<u32>().ok());
            let ttl = self.folded.last(source, "helm-cache-ttl").map(|s| s.value.clone());
            let purge = self
                .folded
                .last(source, "helm-cache-purge-interval")
                .map(|s| s.value.clone());
            match (only_source, max_size, ttl, purge) {
                (true, Some(max_size), Some(ttl), Some(purge))
                    if max_size > 0 && is_flux_duration(&ttl, true) && is_flux_duration(&purge, true) =>
                {
                    self.translated(
                        "helmCache",
                        format!("{{maxSize: {max_size}, ttl: {ttl}, purgeInterval: {purge}}}"),
                        &format!(
                            "`--helm-cache-max-size={max_size}`, `--helm-cache-ttl={ttl}` and \
                         `--helm-cache-purge-interval={purge}` on source-controller"
                        ),
                        &first_at(&cache[0]),
                    );
                    self.tuning.helm_cache = Some(HelmCache {
                        max_size,
                        ttl: Duration::from(ttl),
                        purge_interval: Duration::from(purge),
                    });
                }
                _ => {
                    for (flag, values) in cache_flags.iter().zip(&cache) {
                        for (controller, set) in values {
                            self.keep(
                                *controller,
                                flag,
                                set,
                                "`helmCache` sets all three flags on source-controller",
                            );
                        }
                    }
                }
            }
        }
    }

    /// `--oom-watch-*`: both, on helm-controller, with the OOMWatch gate on.
    fn oom_watch(&mut self) {
        let oom_flags = ["oom-watch-memory-threshold", "oom-watch-interval"];
        let oom: Vec<BTreeMap<Component, Set>> = oom_flags.iter().map(|f| self.folded.values(f)).collect();
        if oom.iter().any(|v| !v.is_empty()) {
            let helm = Component::HelmController;
            let only_helm = oom.iter().all(|v| v.keys().eq([helm].iter()));
            let threshold = self
                .folded
                .last(helm, "oom-watch-memory-threshold")
                .and_then(|s| s.value.parse::<u8>().ok());
            let interval = self.folded.last(helm, "oom-watch-interval").map(|s| s.value.clone());
            let gate_on = self
                .folded
                .gates
                .get(&helm)
                .and_then(|g| g.get("OOMWatch"))
                .and_then(|sets| sets.last())
                .is_some_and(|s| s.value == "true");
            match (only_helm && gate_on, threshold, interval) {
                (true, Some(threshold), Some(interval))
                    if (1..=100).contains(&threshold) && is_flux_duration(&interval, true) =>
                {
                    self.translated(
                        "oomWatch",
                        format!("{{memoryThreshold: {threshold}, interval: {interval}}}"),
                        &format!(
                            "`--feature-gates=OOMWatch=true`, `--oom-watch-memory-threshold={threshold}` and \
                         `--oom-watch-interval={interval}` on helm-controller"
                        ),
                        &first_at(&oom[0]),
                    );
                    self.tuning.oom_watch = Some(OomWatch {
                        memory_threshold: threshold,
                        interval: Duration::from(interval),
                    });
                    // `oomWatch` turns the gate on itself.
                    if let Some(gates) = self.folded.gates.get_mut(&helm) {
                        gates.remove("OOMWatch");
                    }
                }
                _ => {
                    for (flag, values) in oom_flags.iter().zip(&oom) {
                        for (controller, set) in values {
                            self.keep(
                            *controller,
                            flag,
                            set,
                            "`oomWatch` sets both flags on helm-controller and turns the OOMWatch gate on, which this repository does not");
                        }
                    }
                }
            }
        }
    }

    /// `--watch-configs-label-selector`: one selector for kustomize- and helm-controller.
    fn watch_configs_selector(&mut self) {
        let values = self.folded.values("watch-configs-label-selector");
        if !values.is_empty() {
            let usual: Vec<Component> = [Component::KustomizeController, Component::HelmController]
                .into_iter()
                .filter(|c| self.enabled.contains(c))
                .collect();
            let mut sorted = usual.clone();
            sorted.sort();
            let first = values.values().next().map(|s| s.value.clone()).unwrap_or_default();
            if values.keys().eq(sorted.iter()) && values.values().all(|s| s.value == first) {
                self.translated(
                    "watchConfigsSelector",
                    first.clone(),
                    &described("watch-configs-label-selector", &values),
                    &first_at(&values),
                );
                self.tuning.watch_configs_selector = Some(first);
            } else {
                for (controller, set) in &values {
                    self.keep(
                        *controller,
                        "watch-configs-label-selector",
                        set,
                        "`watchConfigsSelector` sets one selector on kustomize- and helm-controller",
                    );
                }
            }
        }
    }

    /// `--sops-age-secret`: kustomize-controller.
    fn sops_age_secret(&mut self) {
        for (controller, set) in self.folded.values("sops-age-secret") {
            if controller == Component::KustomizeController {
                self.translated(
                    "sopsAgeSecret",
                    set.value.clone(),
                    &format!("`--sops-age-secret={}` on kustomize-controller", set.value),
                    &set.at,
                );
                self.tuning.sops_age_secret = Some(set.value.clone());
            } else {
                self.keep(
                    controller,
                    "sops-age-secret",
                    &set,
                    "only kustomize-controller has this flag",
                );
            }
        }
    }

    /// `--log-level`: one level for every controller, or per controller.
    fn log_level(&mut self) {
        let values = self.folded.values("log-level");
        let mut typed = BTreeMap::new();
        for (controller, set) in &values {
            match serde_json::from_value::<LogLevel>(serde_json::Value::String(set.value.clone())) {
                Ok(level) => {
                    typed.insert(*controller, level);
                }
                Err(_) => self.keep(*controller, "log-level", set, "not one of trace, debug, info, error"),
            }
        }
        if !typed.is_empty() {
            let level = per_controller(&typed, self.enabled);
            self.translated(
                "logLevel",
                shown(&level),
                &described("log-level", &values),
                &first_at(&values),
            );
            self.tuning.log_level = Some(level);
        }
    }
}

/// Where the first of these values is set.
fn first_at(values: &BTreeMap<Component, Set>) -> Location {
    values.values().next().map(|s| s.at.clone()).unwrap_or_default()
}

pub(super) fn typed_gates(
    folded: &Folded,
    enabled: &[Component],
    tuning: &mut TuningSettings,
    workload_identity: &mut Option<bool>,
    cluster: &str,
    report: &mut ImportReport,
) {
    for (controller, gates) in &folded.gates {
        if !enabled.contains(controller) {
            continue;
        }
        for (gate, sets) in gates {
            let Some(last) = sets.last() else { continue };
            let on = last.value == "true";
            if gate == "ObjectLevelWorkloadIdentity" {
                // The operator sets this gate itself from the cluster setting, and grants the
                // token permission workload identity needs only when that is true.
                *workload_identity = Some(workload_identity.unwrap_or(false) || on);
                report.push(
                    Some(cluster),
                    EntryKind::Translated,
                    format!(
                        "`--feature-gates=ObjectLevelWorkloadIdentity={on}` on {controller} → \
                         `instance.cluster.objectLevelWorkloadIdentity: {on}` (the operator sets the gate from it)"
                    ),
                    Some(&last.at),
                );
            } else if facts::feature_gates(*controller).contains(&gate.as_str()) {
                tuning
                    .feature_gates
                    .entry(*controller)
                    .or_default()
                    .insert(gate.clone(), on);
                report.push(
                    Some(cluster),
                    EntryKind::Translated,
                    format!("`--feature-gates={gate}={on}` → `tuning.featureGates.{controller}.{gate}: {on}`"),
                    Some(&last.at),
                );
            } else {
                report.push(
                    Some(cluster),
                    EntryKind::Dropped,
                    format!(
                        "the feature gate `{gate}={on}` on {controller}: Flux 2.9's {controller} does not know it and \
                         would refuse to start"
                    ),
                    Some(&last.at),
                );
            }
        }
    }
}

pub(super) fn typed_resources(
    folded: &Folded,
    enabled: &[Component],
    tuning: &mut TuningSettings,
    cluster: &str,
    report: &mut ImportReport,
) {
    if folded.resources.is_empty() {
        return;
    }
    let at = folded
        .resources
        .values()
        .flat_map(|slots| slots.iter().flatten())
        .map(|s| s.at.clone())
        .next()
        .unwrap_or_default();
    let memory_only = folded
        .resources
        .values()
        .all(|[cpu, memory, request_cpu, request_memory]| {
            cpu.is_none() && memory.is_some() && request_cpu.is_none() && request_memory.is_none()
        });
    if memory_only {
        let values: BTreeMap<Component, Quantity> = folded
            .resources
            .iter()
            .filter_map(|(c, slots)| Some((*c, Quantity::from(slots[1].as_ref()?.value.clone()))))
            .collect();
        let scaling: Vec<Component> = Component::SCALING.into_iter().filter(|c| enabled.contains(c)).collect();
        let limit = per_controller(&values, &scaling);
        report.push(
            Some(cluster),
            EntryKind::Translated,
            format!("the `manager` memory limit → `tuning.memoryLimit: {}`", shown(&limit)),
            Some(&at),
        );
        tuning.memory_limit = Some(limit);
        return;
    }
    for (controller, slots) in &folded.resources {
        let amount = |slot: &Option<Set>| slot.as_ref().map(|s| Quantity::from(s.value.clone()));
        let resources = Resources {
            limits: ResourceAmounts {
                cpu: amount(&slots[0]),
                memory: amount(&slots[1]),
            },
            requests: ResourceAmounts {
                cpu: amount(&slots[2]),
                memory: amount(&slots[3]),
            },
        };
        tuning.resources.insert(*controller, resources);
    }
    report.push(
        Some(cluster),
        EntryKind::Translated,
        format!(
            "the `manager` resources → `tuning.resources` for {}",
            list(&folded.resources.keys().copied().collect::<Vec<_>>())
        ),
        Some(&at),
    );
}

/// Raw patches for the arguments that have no typed key, one per set of controllers with the
/// same arguments.
pub(super) fn fallback_patches(fallback: &BTreeMap<Component, Vec<String>>) -> Vec<RawPatch> {
    let mut grouped: BTreeMap<&Vec<String>, Vec<Component>> = BTreeMap::new();
    for (controller, args) in fallback {
        grouped.entry(args).or_default().push(*controller);
    }
    grouped
        .into_iter()
        .map(|(args, controllers)| {
            let ops: Vec<serde_json::Value> = args
                .iter()
                .map(|arg| serde_json::json!({"op": "add", "path": "/spec/template/spec/containers/0/args/-", "value": arg}))
                .collect();
            RawPatch {
                patch: crate::yaml::to_string(&serde_json::Value::Array(ops)),
                target: PatchTarget::kind_name("Deployment", Component::target_name(&controllers)),
            }
        })
        .collect()
}
