//! Lowering tunings to FluxInstance `spec.kustomize.patches` entries.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{HelmCache, OomWatch, SyncKustomizationTuning, Tuning};
use crate::Resources;
use crate::patch::{JsonPatchOp, apply_strategic};
use crate::patterns::QUANTITY;
use crate::{Component, facts, objects::KustomizePatch, objects::PatchTarget};

/// One container argument a tuning sets on one controller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setting {
    /// The controller.
    pub controller: Component,
    /// The flag, e.g. `--concurrent`.
    pub flag: String,
    /// The value, e.g. `10`.
    pub value: String,
}

/// Why tunings cannot be lowered.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TuningError {
    /// Two tunings set the same flag (or feature gate, or resource amount) on one controller to
    /// different values.
    #[error(
        "{controller}: `{first}` sets {flag}={first_value} but `{second}` sets {flag}={second_value}; \
         the operator would silently keep the last one, so set it in one place"
    )]
    Conflict {
        /// The controller.
        controller: Component,
        /// The flag, `--feature-gates <gate>`, or a resource amount such as `resources.limits.memory`.
        flag: String,
        /// The first tuning.
        first: String,
        /// Its value.
        first_value: String,
        /// The second tuning.
        second: String,
        /// Its value.
        second_value: String,
    },
    /// A controller that has no such flag (it would refuse to start).
    #[error("`{tuning}`: {controller} has no {flag} flag (it would refuse to start)")]
    FlagNotAccepted {
        /// The tuning.
        tuning: String,
        /// The controller.
        controller: Component,
        /// The flag.
        flag: String,
    },
    /// A feature gate the controller does not know (it would refuse to start).
    #[error("`{tuning}`: {controller} has no feature gate `{gate}` (it would refuse to start); known: {}", known.join(", "))]
    UnknownGate {
        /// The tuning.
        tuning: String,
        /// The controller.
        controller: Component,
        /// The gate.
        gate: String,
        /// The gates the controller knows.
        known: Vec<&'static str>,
    },
    /// A tuning that names no controller.
    #[error("`{tuning}` names no controller")]
    NoController {
        /// The tuning.
        tuning: String,
    },
    /// A value the flag does not accept.
    #[error("`{tuning}`: {reason}")]
    InvalidValue {
        /// The tuning.
        tuning: String,
        /// What is wrong.
        reason: String,
    },
}

/// The container arguments and feature gates a tuning sets, per controller. For a raw patch,
/// the arguments its JSON 6902 operations add to the `manager` container.
pub fn settings_of(tuning: &Tuning) -> Vec<Setting> {
    let mut settings = Vec::new();
    let mut set = |controllers: &[Component], flag: &str, value: String| {
        for controller in controllers {
            settings.push(Setting {
                controller: *controller,
                flag: flag.to_owned(),
                value: value.clone(),
            });
        }
    };
    let controllers = tuning.controllers();
    match tuning {
        Tuning::Workers { workers, .. } => set(&controllers, "--concurrent", workers.to_string()),
        Tuning::RequeueDependency { interval, .. } => set(&controllers, "--requeue-dependency", interval.to_string()),
        Tuning::KubeApiLimits { limits, .. } => {
            set(&controllers, "--kube-api-qps", limits.qps.to_string());
            set(&controllers, "--kube-api-burst", limits.burst.to_string());
        }
        Tuning::HelmCache(HelmCache {
            max_size,
            ttl,
            purge_interval,
        }) => {
            set(&controllers, "--helm-cache-max-size", max_size.to_string());
            set(&controllers, "--helm-cache-ttl", ttl.to_string());
            set(&controllers, "--helm-cache-purge-interval", purge_interval.to_string());
        }
        Tuning::OomWatch(OomWatch {
            memory_threshold,
            interval,
        }) => {
            set(
                &controllers,
                "--oom-watch-memory-threshold",
                memory_threshold.to_string(),
            );
            set(&controllers, "--oom-watch-interval", interval.to_string());
        }
        Tuning::WatchConfigsSelector { selector, .. } => {
            set(&controllers, "--watch-configs-label-selector", selector.clone());
        }
        Tuning::SopsAgeSecret { secret } => set(&controllers, "--sops-age-secret", secret.clone()),
        Tuning::LogLevel { level, .. } => set(&controllers, "--log-level", level.as_str().to_owned()),
        Tuning::Custom(patch) => {
            for arg in raw_args(patch) {
                match arg.split_once('=') {
                    Some((flag, value)) => set(&controllers, flag, value.to_owned()),
                    None => set(&controllers, &arg, String::new()),
                }
            }
        }
        Tuning::Resources { .. }
        | Tuning::InMemoryBuilds
        | Tuning::FeatureGate { .. }
        | Tuning::ControlPlaneScheduling { .. }
        | Tuning::SyncKustomization(_) => {}
    }
    settings
}

/// The feature gates a tuning turns on or off, per controller.
fn gates_of(tuning: &Tuning) -> Vec<(Component, String, bool)> {
    match tuning {
        Tuning::FeatureGate {
            controller,
            gate,
            enabled,
        } => vec![(*controller, gate.clone(), *enabled)],
        Tuning::OomWatch(_) => vec![(Component::HelmController, "OOMWatch".to_owned(), true)],
        Tuning::Custom(_) => settings_of(tuning)
            .into_iter()
            .filter(|s| s.flag == "--feature-gates")
            .flat_map(|s| {
                parse_gates(&s.value)
                    .into_iter()
                    .map(move |(gate, enabled)| (s.controller, gate, enabled))
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn parse_gates(value: &str) -> Vec<(String, bool)> {
    value
        .split(',')
        .filter_map(|pair| pair.split_once('='))
        .map(|(gate, enabled)| (gate.trim().to_owned(), enabled.trim().eq_ignore_ascii_case("true")))
        .collect()
}

/// The arguments a raw patch's JSON 6902 operations add to the first container.
fn raw_args(patch: &KustomizePatch) -> Vec<String> {
    let Ok(Value::Array(ops)) = crate::yaml::parse_value(&patch.patch) else {
        return Vec::new();
    };
    ops.iter()
        .filter(|op| matches!(op.get("op").and_then(Value::as_str), Some("add" | "replace")))
        .filter(|op| {
            op.get("path")
                .and_then(Value::as_str)
                .is_some_and(|path| path.starts_with("/spec/template/spec/containers/0/args/"))
        })
        .filter_map(|op| op.get("value").and_then(Value::as_str))
        .filter(|arg| arg.starts_with("--"))
        .map(str::to_owned)
        .collect()
}

/// The Flux controllers a raw patch's target selects (by kind and name regex).
pub(crate) fn targeted_controllers(patch: &KustomizePatch) -> Vec<Component> {
    let Some(target) = &patch.target else {
        return Component::ALL.to_vec();
    };
    if target.kind.as_deref().is_some_and(|kind| kind != "Deployment") {
        return Vec::new();
    }
    match &target.name {
        None => Component::ALL.to_vec(),
        Some(name) => match regex::Regex::new(&format!("^(?:{name})$")) {
            Ok(pattern) => Component::ALL
                .into_iter()
                .filter(|c| pattern.is_match(c.as_str()))
                .collect(),
            Err(_) => Vec::new(),
        },
    }
}

/// Checks each tuning against what its controllers accept and against the others: the only
/// way [`lower`] fails, without rendering any patch.
pub(crate) fn check(tunings: &[Tuning]) -> Result<(), TuningError> {
    let mut args: BTreeMap<(Component, String), (String, &Tuning)> = BTreeMap::new();
    let mut gates: BTreeMap<(Component, String), (bool, &Tuning)> = BTreeMap::new();
    for tuning in tunings {
        let controllers = tuning.controllers();
        if controllers.is_empty() && !matches!(tuning, Tuning::SyncKustomization(_) | Tuning::Custom(_)) {
            return Err(TuningError::NoController {
                tuning: tuning.to_string(),
            });
        }
        check_values(tuning)?;
        for setting in settings_of(tuning) {
            if setting.flag == "--feature-gates" {
                continue;
            }
            if !matches!(tuning, Tuning::Custom(_)) && !facts::accepts_flag(setting.controller, &setting.flag) {
                return Err(TuningError::FlagNotAccepted {
                    tuning: tuning.to_string(),
                    controller: setting.controller,
                    flag: setting.flag,
                });
            }
            let key = (setting.controller, setting.flag.clone());
            match args.get(&key) {
                Some((value, first)) if *value != setting.value => {
                    return Err(TuningError::Conflict {
                        controller: setting.controller,
                        flag: setting.flag,
                        first: first.to_string(),
                        first_value: value.clone(),
                        second: tuning.to_string(),
                        second_value: setting.value,
                    });
                }
                Some(_) => {}
                None => {
                    args.insert(key, (setting.value, tuning));
                }
            }
        }
        // A resource amount set twice is the same ambiguity as a flag set twice: which patch
        // the operator applies last depends on how the entries sort, not on what was meant.
        for (controller, name, value) in amounts_of(tuning) {
            let key = (controller, name.clone());
            match args.get(&key) {
                Some((first_value, first)) if *first_value != value => {
                    return Err(TuningError::Conflict {
                        controller,
                        flag: name,
                        first: first.to_string(),
                        first_value: first_value.clone(),
                        second: tuning.to_string(),
                        second_value: value,
                    });
                }
                Some(_) => {}
                None => {
                    args.insert(key, (value, tuning));
                }
            }
        }
        for (controller, gate, enabled) in gates_of(tuning) {
            let known = facts::feature_gates(controller);
            if !known.contains(&gate.as_str()) {
                return Err(TuningError::UnknownGate {
                    tuning: tuning.to_string(),
                    controller,
                    gate,
                    known: known.to_vec(),
                });
            }
            let key = (controller, gate.clone());
            match gates.get(&key) {
                Some((value, first)) if *value != enabled => {
                    return Err(TuningError::Conflict {
                        controller,
                        flag: format!("--feature-gates {gate}"),
                        first: first.to_string(),
                        first_value: value.to_string(),
                        second: tuning.to_string(),
                        second_value: enabled.to_string(),
                    });
                }
                Some(_) => {}
                None => {
                    gates.insert(key, (enabled, tuning));
                }
            }
        }
    }
    Ok(())
}

/// The resource amounts a structured tuning sets, per controller, as `resources.limits.memory`.
fn amounts_of(tuning: &Tuning) -> Vec<(Component, String, String)> {
    let Tuning::Resources { controllers, resources } = tuning else {
        return Vec::new();
    };
    let mut amounts = Vec::new();
    for controller in controllers {
        for (kind, set) in [("limits", &resources.limits), ("requests", &resources.requests)] {
            for (name, amount) in [("cpu", &set.cpu), ("memory", &set.memory)] {
                if let Some(amount) = amount {
                    amounts.push((*controller, format!("resources.{kind}.{name}"), amount.to_string()));
                }
            }
        }
    }
    amounts
}

fn check_values(tuning: &Tuning) -> Result<(), TuningError> {
    let invalid = |reason: String| TuningError::InvalidValue {
        tuning: tuning.to_string(),
        reason,
    };
    let durations = match tuning {
        Tuning::RequeueDependency { interval, .. } => vec![interval],
        Tuning::HelmCache(HelmCache {
            ttl, purge_interval, ..
        }) => vec![ttl, purge_interval],
        Tuning::OomWatch(OomWatch { interval, .. }) => vec![interval],
        Tuning::SyncKustomization(SyncKustomizationTuning {
            timeout: Some(timeout), ..
        }) => vec![timeout],
        _ => Vec::new(),
    };
    for duration in durations {
        duration.check().map_err(invalid)?;
    }
    match tuning {
        Tuning::Workers { workers: 0, .. } => Err(invalid("workers must be at least 1".into())),
        Tuning::OomWatch(OomWatch { memory_threshold, .. }) if !(1..=100).contains(memory_threshold) => {
            Err(invalid("memoryThreshold is a percentage from 1 to 100".into()))
        }
        Tuning::Resources {
            resources: Resources { limits, requests },
            ..
        } => {
            for amount in [&limits.cpu, &limits.memory, &requests.cpu, &requests.memory]
                .into_iter()
                .flatten()
            {
                if !QUANTITY.matches(amount.as_str()) {
                    return Err(invalid(QUANTITY.complaint(&crate::url::quoted(amount.as_str()))));
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Lowers tunings to kustomize patches for FluxInstance `spec.kustomize.patches`.
///
/// Structured tunings are sorted first, so their order never matters; raw patches follow in
/// the order given. Arguments for the same set of controllers share one JSON 6902 entry;
/// feature gates of a controller merge into one `--feature-gates` argument; resource,
/// volume and scheduling changes for the same controllers share one strategic-merge entry.
///
/// ```
/// use fluxgen_core::{Component, Tuning, lower};
/// let patches = lower(&[
///     Tuning::requeue_dependency([Component::HelmController, Component::KustomizeController], "5s"),
///     Tuning::workers([Component::KustomizeController, Component::HelmController], 10),
/// ])?;
/// assert_eq!(patches.len(), 1);
/// assert!(patches[0].patch.contains("--concurrent=10") && patches[0].patch.contains("--requeue-dependency=5s"));
/// # Ok::<(), fluxgen_core::TuningError>(())
/// ```
pub fn lower(tunings: &[Tuning]) -> Result<Vec<KustomizePatch>, TuningError> {
    check(tunings)?;
    let mut structured: Vec<&Tuning> = tunings.iter().filter(|t| !matches!(t, Tuning::Custom(_))).collect();
    structured.sort();
    structured.dedup();

    let mut args: BTreeMap<Vec<Component>, Vec<JsonPatchOp>> = BTreeMap::new();
    let mut strategic: BTreeMap<Vec<Component>, Value> = BTreeMap::new();
    let mut gates: BTreeMap<Component, BTreeMap<String, bool>> = BTreeMap::new();
    let mut sync_ops = Vec::new();
    for tuning in &structured {
        let controllers = tuning.controllers();
        for setting in settings_of(tuning) {
            if setting.controller == controllers[0] {
                let arg = format!("{}={}", setting.flag, setting.value);
                args.entry(controllers.clone())
                    .or_default()
                    .push(JsonPatchOp::add_arg(&arg));
            }
        }
        for (controller, gate, enabled) in gates_of(tuning) {
            gates.entry(controller).or_default().insert(gate, enabled);
        }
        if let Some(document) = strategic_document(tuning) {
            match strategic.get_mut(&controllers) {
                Some(existing) => apply_strategic(existing, &document).expect("fluxgen's own documents merge"),
                None => {
                    strategic.insert(controllers.clone(), document);
                }
            }
        }
        if let Tuning::SyncKustomization(sync) = tuning {
            sync_ops.extend(sync_kustomization_ops(sync));
        }
    }
    for (controller, gates) in gates {
        let list: Vec<String> = gates
            .iter()
            .map(|(gate, enabled)| format!("{gate}={enabled}"))
            .collect();
        let arg = format!("--feature-gates={}", list.join(","));
        args.entry(vec![controller])
            .or_default()
            .push(JsonPatchOp::add_arg(&arg));
    }

    let mut patches = Vec::new();
    for (controllers, ops) in args {
        patches.push(deployment_patch(
            &controllers,
            crate::yaml::to_string(&JsonPatchOp::render_all(&ops)),
        ));
    }
    for (controllers, document) in strategic {
        patches.push(deployment_patch(&controllers, crate::yaml::to_string(&document)));
    }
    if !sync_ops.is_empty() {
        patches.push(KustomizePatch {
            patch: block(crate::yaml::to_string(&JsonPatchOp::render_all(&sync_ops))),
            target: Some(PatchTarget {
                group: Some("kustomize.toolkit.fluxcd.io".to_owned()),
                kind: Some("Kustomization".to_owned()),
                ..PatchTarget::default()
            }),
        });
    }
    patches.extend(tunings.iter().filter_map(|t| match t {
        Tuning::Custom(patch) => Some(patch.clone()),
        _ => None,
    }));
    Ok(patches)
}

/// A literal block reads best without the trailing newline (`|-`, as hand-written patches).
fn block(text: String) -> String {
    text.trim_end_matches('\n').to_owned()
}

fn deployment_patch(controllers: &[Component], text: String) -> KustomizePatch {
    KustomizePatch {
        patch: block(text),
        target: Some(PatchTarget::kind_name(
            "Deployment",
            Component::target_name(controllers),
        )),
    }
}

/// The strategic-merge Deployment document of a tuning that changes the pod spec.
fn strategic_document(tuning: &Tuning) -> Option<Value> {
    let pod_spec = match tuning {
        Tuning::Resources { resources, .. } => {
            json!({ "containers": [{ "name": "manager", "resources": resources.to_value() }] })
        }
        Tuning::InMemoryBuilds => json!({ "volumes": [{ "name": "temp", "emptyDir": { "medium": "Memory" } }] }),
        Tuning::ControlPlaneScheduling { .. } => json!({
            "affinity": { "nodeAffinity": { "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{ "matchExpressions": [
                    { "key": "node-role.kubernetes.io/control-plane", "operator": "Exists" }
                ] }]
            } } },
            "tolerations": [{ "key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule" }],
        }),
        _ => return None,
    };
    Some(json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": { "name": "all" },
        "spec": { "template": { "spec": pod_spec } },
    }))
}

fn sync_kustomization_ops(sync: &SyncKustomizationTuning) -> Vec<JsonPatchOp> {
    let mut ops = Vec::new();
    if let Some(secret) = &sync.decryption_secret {
        ops.push(JsonPatchOp::add(
            "/spec/decryption",
            json!({ "provider": "sops", "secretRef": { "name": secret } }),
        ));
    }
    if !sync.substitute_from.is_empty() {
        ops.push(JsonPatchOp::add(
            "/spec/postBuild",
            json!({ "substituteFrom": sync.substitute_from }),
        ));
    }
    if let Some(wait) = sync.wait {
        ops.push(JsonPatchOp::add("/spec/wait", json!(wait)));
    }
    if let Some(timeout) = &sync.timeout {
        ops.push(JsonPatchOp::add("/spec/timeout", json!(timeout.as_str())));
    }
    ops
}
