//! What each Flux controller finally runs with: the Flux defaults, then the operator's
//! `cluster.size` profile (applied first), then the cluster's tunings, each setting with the
//! layer that set it.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::config::Config;
use crate::tuning::{Tuning, settings_of};
use crate::{Component, Error, KustomizePatch, facts, patch};

/// The effective settings of one controller.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ControllerReport {
    /// The controller.
    pub controller: Component,
    /// Effective arguments, one per flag, after last-one-wins resolution (feature gates
    /// separately).
    pub args: Vec<EffectiveArg>,
    /// Effective feature gates (repeated `--feature-gates` accumulate).
    pub feature_gates: Vec<EffectiveValue>,
    /// Resources of the `manager` container, as `limits.memory`, `requests.cpu`, ...
    pub resources: Vec<EffectiveValue>,
    /// Pod volumes and how they are backed.
    pub volumes: Vec<EffectiveValue>,
}

/// One flag's effective value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EffectiveArg {
    /// The flag, e.g. `--concurrent`.
    pub flag: String,
    /// Its value (empty for a switch such as `--watch-all-namespaces`).
    pub value: String,
    /// What set it.
    pub set_by: String,
    /// Earlier values of the same flag that the last one overrides, with what set them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub overrides: Vec<EffectiveValue>,
}

/// A named value and what set it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EffectiveValue {
    /// The name (gate, resource key, volume).
    pub name: String,
    /// The value.
    pub value: String,
    /// What set it.
    pub set_by: String,
}

/// Who set what: the Flux manifests, the operator's profile, or a tuning.
const FLUX_DEFAULT: &str = "Flux v2.9.4 manifests";
const BINARY_DEFAULT: &str = "the controller's built-in default";

/// The effective settings of every controller of a cluster's FluxInstance.
///
/// ```
/// let config = fluxgen_core::Config::example();
/// let reports = fluxgen_core::explain(&config, "edge")?;
/// let kustomize = reports.iter().find(|r| r.controller == fluxgen_core::Component::KustomizeController).unwrap();
/// let concurrent = kustomize.args.iter().find(|a| a.flag == "--concurrent").unwrap();
/// assert_eq!(concurrent.value, "10"); // `workers: 10` in the example
/// assert!(concurrent.set_by.starts_with("workers: 10"));
/// # Ok::<(), fluxgen_core::Error>(())
/// ```
pub fn explain(config: &Config, cluster: &str) -> Result<Vec<ControllerReport>, Error> {
    let tree_cluster = config.cluster(cluster).ok_or_else(|| Error::UnknownCluster {
        name: cluster.to_owned(),
        origin: config.origin.to_string(),
        known: config.clusters.keys().cloned().collect(),
    })?;
    let settings = &tree_cluster.settings;
    let components = crate::emit::components(settings);
    let tunings = settings.tuning.tunings(&components);
    let patches = crate::emit::controller_patches(tree_cluster)?;
    let size = settings.instance.cluster.size.map(|s| crate::emit::enum_text(&s));
    let profile_label = match &size {
        Some(size) => format!("cluster.size: {size} (operator profile, before user patches)"),
        None => "operator default profile".to_owned(),
    };
    let profile = facts::size_profile(size.as_deref().unwrap_or_default());
    components
        .iter()
        .map(|component| report(*component, &profile, &profile_label, &patches, &tunings))
        .collect::<Result<Vec<_>, String>>()
        .map_err(|reason| Error::Explain {
            cluster: cluster.to_owned(),
            reason,
        })
}

/// Where each value of a Deployment came from, kept while patches are applied in order.
struct Layers {
    deployment: Value,
    args: Vec<String>,
    arg_sources: Vec<String>,
    resources: BTreeMap<String, (String, String)>,
    volumes: BTreeMap<String, (String, String)>,
}

impl Layers {
    fn new(component: Component) -> Self {
        let deployment = facts::deployment(component);
        let args = container_args(&deployment);
        let arg_sources = vec![FLUX_DEFAULT.to_owned(); args.len()];
        let resources = resources(&deployment)
            .into_iter()
            .map(|(k, v)| (k, (v, FLUX_DEFAULT.to_owned())))
            .collect();
        let volumes = volumes(&deployment)
            .into_iter()
            .map(|(k, v)| (k, (v, FLUX_DEFAULT.to_owned())))
            .collect();
        Self {
            deployment,
            args,
            arg_sources,
            resources,
            volumes,
        }
    }

    /// Applies one patch and credits what changed to `label(change)`.
    fn apply(&mut self, patch: &KustomizePatch, label: &dyn Fn(Change<'_>) -> String) -> Result<(), String> {
        if !patch::apply(&mut self.deployment, patch).map_err(|e| e.to_string())? {
            return Ok(());
        }
        let args = container_args(&self.deployment);
        let mut sources = Vec::with_capacity(args.len());
        for (index, arg) in args.iter().enumerate() {
            if self.args.get(index) == Some(arg) {
                sources.push(self.arg_sources[index].clone());
            } else {
                sources.push(label(Change::Arg(arg)));
            }
        }
        self.args = args;
        self.arg_sources = sources;
        for (key, value) in resources(&self.deployment) {
            if self.resources.get(&key).map(|(v, _)| v) != Some(&value) {
                let source = label(Change::Resource(&key));
                self.resources.insert(key, (value, source));
            }
        }
        self.resources
            .retain(|key, _| resources(&self.deployment).contains_key(key));
        for (name, value) in volumes(&self.deployment) {
            if self.volumes.get(&name).map(|(v, _)| v) != Some(&value) {
                let source = label(Change::Volume(&name));
                self.volumes.insert(name, (value, source));
            }
        }
        Ok(())
    }
}

/// A change a patch made, for crediting it.
enum Change<'a> {
    Arg(&'a str),
    Resource(&'a str),
    Volume(&'a str),
}

fn report(
    component: Component,
    profile: &[KustomizePatch],
    profile_label: &str,
    patches: &[KustomizePatch],
    tunings: &[Tuning],
) -> Result<ControllerReport, String> {
    let mut layers = Layers::new(component);
    for patch in profile {
        layers.apply(patch, &|_| profile_label.to_owned())?;
    }
    for (index, patch) in patches.iter().enumerate() {
        layers.apply(patch, &|change| {
            credit(component, tunings, change).unwrap_or_else(|| format!("patch #{}", index + 1))
        })?;
    }
    let (args, mut feature_gates) = resolve(component, &layers.args, &layers.arg_sources);
    // One `--feature-gates` argument carries the gates of several tunings: credit each gate.
    for gate in &mut feature_gates {
        let setter = tunings.iter().find(|t| match t {
            Tuning::FeatureGate {
                controller, gate: name, ..
            } => *controller == component && *name == gate.name,
            Tuning::OomWatch { .. } => component == Component::HelmController && gate.name == "OOMWatch",
            _ => false,
        });
        if let Some(setter) = setter {
            gate.set_by = setter.to_string();
        }
    }
    let listed = |map: &BTreeMap<String, (String, String)>| {
        map.iter()
            .map(|(name, (value, set_by))| EffectiveValue {
                name: name.clone(),
                value: value.clone(),
                set_by: set_by.clone(),
            })
            .collect()
    };
    Ok(ControllerReport {
        controller: component,
        args,
        feature_gates,
        resources: listed(&layers.resources),
        volumes: listed(&layers.volumes),
    })
}

/// The tuning that made a change, if one of the structured tunings did.
fn credit(component: Component, tunings: &[Tuning], change: Change<'_>) -> Option<String> {
    let mine = |t: &&Tuning| t.controllers().contains(&component);
    match change {
        Change::Arg(arg) => {
            let (flag, value) = arg.split_once('=').unwrap_or((arg, ""));
            if flag == "--feature-gates" {
                // Credited gate by gate once the arguments are resolved.
                return None;
            }
            tunings
                .iter()
                .filter(|t| !matches!(t, Tuning::Custom(_)))
                .find(|t| {
                    settings_of(t)
                        .iter()
                        .any(|s| s.controller == component && s.flag == flag && s.value == value)
                })
                .map(ToString::to_string)
        }
        Change::Resource(key) => tunings
            .iter()
            .rev()
            .filter(mine)
            .find(|t| match t {
                Tuning::Resources { limits, requests, .. } => {
                    let (kind, name) = key.split_once('.').unwrap_or((key, ""));
                    let amounts = if kind == "limits" { limits } else { requests };
                    (name == "cpu" && amounts.cpu.is_some()) || (name == "memory" && amounts.memory.is_some())
                }
                _ => false,
            })
            .map(ToString::to_string),
        Change::Volume(name) => tunings
            .iter()
            .filter(mine)
            .find(|t| matches!(t, Tuning::InMemoryBuilds) && name == "temp")
            .map(ToString::to_string),
    }
}

/// Folds the argument list: the last value of a flag wins, `--feature-gates` accumulate gate
/// by gate; flags the controller has a built-in default for are shown even when absent.
fn resolve(component: Component, args: &[String], sources: &[String]) -> (Vec<EffectiveArg>, Vec<EffectiveValue>) {
    let mut effective: Vec<EffectiveArg> = Vec::new();
    let mut gates: BTreeMap<String, EffectiveValue> = BTreeMap::new();
    for (arg, source) in args.iter().zip(sources) {
        let (flag, value) = arg.split_once('=').unwrap_or((arg.as_str(), ""));
        if flag == "--feature-gates" {
            for pair in value.split(',') {
                if let Some((gate, on)) = pair.split_once('=') {
                    gates.insert(
                        gate.to_owned(),
                        EffectiveValue {
                            name: gate.to_owned(),
                            value: on.to_owned(),
                            set_by: source.clone(),
                        },
                    );
                }
            }
            continue;
        }
        match effective.iter_mut().find(|e| e.flag == flag) {
            Some(existing) => {
                let earlier = EffectiveValue {
                    name: flag.to_owned(),
                    value: std::mem::replace(&mut existing.value, value.to_owned()),
                    set_by: std::mem::replace(&mut existing.set_by, source.clone()),
                };
                existing.overrides.push(earlier);
            }
            None => effective.push(EffectiveArg {
                flag: flag.to_owned(),
                value: value.to_owned(),
                set_by: source.clone(),
                overrides: Vec::new(),
            }),
        }
    }
    let implicit = [
        ("--concurrent", Some(facts::default_concurrency(component).to_string())),
        (
            "--requeue-dependency",
            facts::default_requeue_dependency(component).map(str::to_owned),
        ),
    ];
    for (flag, default) in implicit {
        let Some(value) = default else { continue };
        match effective.iter_mut().find(|e| e.flag == flag) {
            // A flag that is set overrides the controller's built-in default first of all.
            Some(set) => set.overrides.insert(
                0,
                EffectiveValue {
                    name: flag.to_owned(),
                    value,
                    set_by: BINARY_DEFAULT.to_owned(),
                },
            ),
            None => effective.push(EffectiveArg {
                flag: flag.to_owned(),
                value,
                set_by: BINARY_DEFAULT.to_owned(),
                overrides: Vec::new(),
            }),
        }
    }
    (effective, gates.into_values().collect())
}

fn container_args(deployment: &Value) -> Vec<String> {
    deployment
        .pointer("/spec/template/spec/containers/0/args")
        .and_then(Value::as_array)
        .map(|args| args.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default()
}

fn resources(deployment: &Value) -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    if let Some(Value::Object(kinds)) = deployment.pointer("/spec/template/spec/containers/0/resources") {
        for (kind, amounts) in kinds {
            if let Value::Object(amounts) = amounts {
                for (name, amount) in amounts {
                    let amount = amount.as_str().map_or_else(|| amount.to_string(), str::to_owned);
                    found.insert(format!("{kind}.{name}"), amount);
                }
            }
        }
    }
    found
}

fn volumes(deployment: &Value) -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    if let Some(Value::Array(volumes)) = deployment.pointer("/spec/template/spec/volumes") {
        for volume in volumes {
            let Some(name) = volume.get("name").and_then(Value::as_str) else {
                continue;
            };
            let backing = match volume.get("emptyDir") {
                Some(empty_dir) => match empty_dir.get("medium").and_then(Value::as_str) {
                    Some(medium) if !medium.is_empty() => format!("emptyDir ({medium})"),
                    _ => "emptyDir".to_owned(),
                },
                None => {
                    let mut other = volume.clone();
                    if let Some(object) = other.as_object_mut() {
                        object.remove("name");
                    }
                    other.to_string()
                }
            };
            found.insert(name.to_owned(), backing);
        }
    }
    found
}
