//! What each Flux controller finally runs with, built as the Flux Operator builds it
//! ([`crate::facts::template_patches`] and the modules it cites): the Deployments of the Flux
//! release the cluster pins (`distribution.version`, resolved to the minor fluxgen knows); the
//! operator's argument rewrites (`--events-addr` from the namespace and cluster domain, empty
//! without notification-controller; `--watch-all-namespaces=true`; `--log-level=info`;
//! `--storage-adv-addr`), the storage volume and the shard exclusion; then its profiles
//! (`cluster.type`, `cluster.size`, `cluster.multitenant`), the gates it adds
//! (`ExternalArtifact` with source-watcher, `ObjectLevelWorkloadIdentity`), and the cluster's
//! own patches (tunings and raw patches), each setting with the layer that set it. Each shard of
//! `sharding` is listed as its own Deployment, with the same patches.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::config::Config;
use crate::tuning::{Tuning, settings_of};
use crate::{Component, Error, facts, objects::KustomizePatch, patch};

/// What `explain` reports for a cluster: the Flux release its settings are read from, the
/// operator profiles applied, and each controller's effective settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Explanation {
    /// The Flux release the controllers' defaults come from.
    pub flux: FluxRelease,
    /// The operator profiles applied before the cluster's own patches, in the operator's
    /// order, each with what it does (the default size profile, which only labels and
    /// annotates the pods, is not listed).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub profiles: Vec<String>,
    /// What the reader should know about the result: a version explained against another
    /// release, a component the release does not ship.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The effective settings of each controller the cluster runs, then of each shard's.
    pub controllers: Vec<ControllerReport>,
    /// The raw patches of `tuning.patches`, as the FluxInstance carries them (target, then the
    /// patch text), in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub raw_patches: Vec<String>,
}

/// The Flux release `explain` used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct FluxRelease {
    /// The cluster's `instance.distribution.version`, as written (`2.7.x`).
    pub requested: String,
    /// The release the operator would run for it, when one it ships matches (`v2.7.3`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runs: Option<String>,
    /// The release whose Deployments the defaults come from (`v2.7.5`).
    pub manifests: String,
    /// Where those Deployments come from (the operator's `config/data/flux/<version>/`).
    pub source: String,
}

/// The effective settings of one controller.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ControllerReport {
    /// The controller.
    pub controller: Component,
    /// The Deployment's name: the controller's, or `<controller>-<shard>` for a shard.
    pub deployment: String,
    /// The shard, for a shard's Deployment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    /// The controller's version in that Flux release (its image tag, `v1.7.3`).
    pub version: String,
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
#[non_exhaustive]
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
#[non_exhaustive]
pub struct EffectiveValue {
    /// The name (gate, resource key, volume).
    pub name: String,
    /// The value.
    pub value: String,
    /// What set it.
    pub set_by: String,
}

/// Who set what when a controller's own default applies.
const BINARY_DEFAULT: &str = "the controller's built-in default";

/// Who set what a multi-tenancy patch set.
const MULTITENANT: &str = "cluster.multitenant (operator profile, before user patches)";

/// The effective settings of every controller of a cluster's FluxInstance, read from the
/// Deployments of the Flux release its `distribution.version` pins.
///
/// ```
/// let config = fluxgen_core::Config::example();
/// let explanation = fluxgen_core::explain(&config, "edge")?;
/// assert_eq!(explanation.flux.manifests, "v2.9.4"); // `2.9.x`, the default
/// let kustomize = explanation.controllers.iter().find(|r| r.controller == fluxgen_core::Component::KustomizeController).unwrap();
/// let concurrent = kustomize.args.iter().find(|a| a.flag == "--concurrent").unwrap();
/// assert_eq!(concurrent.value, "10"); // `workers: 10` in the example
/// assert!(concurrent.set_by.starts_with("workers: 10"));
/// # Ok::<(), fluxgen_core::Error>(())
/// ```
pub fn explain(config: &Config, cluster: &str) -> Result<Explanation, Error> {
    crate::config::validate_for_use(config)?;
    let tree_cluster = config.cluster(cluster).ok_or_else(|| Error::UnknownCluster {
        name: cluster.to_owned(),
        origin: config.origin.to_string(),
        known: config.clusters.keys().cloned().collect(),
    })?;
    let settings = &tree_cluster.settings;
    let resolved = facts::resolve_version(&settings.instance.distribution.version);
    let release = resolved.release;
    let flux_default = format!("Flux {} manifests", release.version);
    let mut notes: Vec<String> = resolved.note.into_iter().collect();
    let components = crate::emit::components(settings);
    let tunings = settings.tuning.tunings(&components);
    let patches = crate::emit::controller_patches(tree_cluster)?;

    let wanted = &settings.instance.cluster;
    let mut profiles = Vec::new();
    let sharding = settings.instance.sharding.as_ref();
    let build = facts::BuildOptions {
        release,
        namespace: &settings.namespace,
        cluster_domain: wanted
            .domain
            .as_deref()
            .filter(|d| !d.is_empty())
            .unwrap_or("cluster.local"),
        components: &components,
        storage: settings.instance.storage.is_some(),
        sharding_key: sharding
            .and_then(|s| s.key.as_deref())
            .unwrap_or("sharding.fluxcd.io/key"),
        shards: sharding.map_or(&[], |s| s.shards.as_slice()),
        object_level_workload_identity: wanted.object_level_workload_identity == Some(true),
    };
    if !components.contains(&Component::NotificationController) {
        notes.push(
            "notification-controller is not a component: the operator sets `--events-addr=` (empty) on the other \
             controllers, which then send no events"
                .to_owned(),
        );
    }
    let mut operator: Vec<(KustomizePatch, String)> = facts::template_patches(&build)
        .into_iter()
        .map(|(patch, label)| (patch, label.to_owned()))
        .collect();
    if let Some(kind) = wanted.kind.map(crate::objects::ClusterType::as_str) {
        let profile = facts::type_profile(kind);
        if !profile.is_empty() {
            profiles.push(format!(
                "cluster.type: {kind}: the pods' securityContext and the containers' seccompProfile and \
                 runAsNonRoot are removed (OpenShift assigns its own)"
            ));
        }
        let label = format!("cluster.type: {kind} (operator profile, before user patches)");
        operator.extend(profile.into_iter().map(|p| (p, label.clone())));
    }
    let size = wanted.size.map(crate::objects::ClusterSize::as_str);
    let size_label = match &size {
        Some(size) => {
            profiles.push(format!("cluster.size: {size}"));
            format!("cluster.size: {size} (operator profile, before user patches)")
        }
        None => "operator default profile".to_owned(),
    };
    operator.extend(
        facts::size_profile(size.unwrap_or_default())
            .into_iter()
            .map(|p| (p, size_label.clone())),
    );
    if wanted.multitenant == Some(true) {
        let account = wanted.tenant_default_service_account.as_deref();
        profiles.push(format!(
            "cluster.multitenant: no cross-namespace references, no remote kustomize bases, tenants' \
             default service account `{}`; the sync Kustomization runs as kustomize-controller",
            account.filter(|sa| !sa.is_empty()).unwrap_or("default")
        ));
        operator.extend(
            facts::multitenant_profile(account)
                .into_iter()
                .map(|p| (p, MULTITENANT.to_owned())),
        );
    }
    operator.extend(
        facts::gate_patches(&build)
            .into_iter()
            .map(|(patch, label)| (patch, label.to_owned())),
    );

    let mut controllers = Vec::new();
    for component in &components {
        let Some(layers) = Layers::new(release, *component, &flux_default) else {
            notes.push(format!(
                "{component} is not part of Flux {} (the operator runs it from Flux 2.7 on): not explained",
                release.version
            ));
            continue;
        };
        let report = report(layers, &operator, &patches, &tunings).map_err(|reason| Error::Explain {
            cluster: cluster.to_owned(),
            reason,
        })?;
        controllers.push(report);
    }
    for shard in build.shards {
        for component in &components {
            let (Some(mut layers), Some(own)) = (
                Layers::new(release, *component, &flux_default),
                facts::shard_patches(&build, *component, shard),
            ) else {
                continue;
            };
            layers.shard(shard);
            let label = format!("spec.sharding shard {shard} (the operator's build)");
            for patch in &own {
                layers
                    .apply(patch, &|_| label.clone())
                    .map_err(|reason| Error::Explain {
                        cluster: cluster.to_owned(),
                        reason,
                    })?;
            }
            let report = report(layers, &operator, &patches, &tunings).map_err(|reason| Error::Explain {
                cluster: cluster.to_owned(),
                reason,
            })?;
            controllers.push(report);
        }
    }
    let raw_patches = settings
        .tuning
        .patches
        .iter()
        .map(|raw| {
            let target = &raw.target;
            let mut selects = vec![format!("kind: {}", target.kind.as_deref().unwrap_or_default())];
            for (key, value) in [
                ("name", &target.name),
                ("group", &target.group),
                ("version", &target.version),
                ("labelSelector", &target.label_selector),
                ("annotationSelector", &target.annotation_selector),
            ] {
                if let Some(value) = value {
                    selects.push(format!("{key}: {value}"));
                }
            }
            format!("target {{{}}}\n{}", selects.join(", "), raw.patch.trim_end())
        })
        .collect();
    Ok(Explanation {
        flux: FluxRelease {
            requested: resolved.requested,
            runs: resolved.runs,
            manifests: release.version.to_owned(),
            source: release.source.to_owned(),
        },
        profiles,
        notes,
        controllers,
        raw_patches,
    })
}

/// Where each value of a Deployment came from, kept while patches are applied in order.
struct Layers {
    component: Component,
    /// The Deployment's name once built (`<controller>-<shard>` for a shard).
    name: String,
    shard: Option<String>,
    version: &'static str,
    deployment: Value,
    args: Vec<String>,
    arg_sources: Vec<String>,
    resources: BTreeMap<String, (String, String)>,
    volumes: BTreeMap<String, (String, String)>,
}

impl Layers {
    /// The controller's Deployment in `release`, every value credited to `flux_default`;
    /// `None` when the release does not ship the controller.
    fn new(release: &facts::Release, component: Component, flux_default: &str) -> Option<Self> {
        let deployment = release.deployment(component)?;
        let version = release.controller(component)?.version();
        let args = container_args(&deployment);
        let arg_sources = vec![flux_default.to_owned(); args.len()];
        let resources = resources(&deployment)
            .into_iter()
            .map(|(k, v)| (k, (v, flux_default.to_owned())))
            .collect();
        let volumes = volumes(&deployment)
            .into_iter()
            .map(|(k, v)| (k, (v, flux_default.to_owned())))
            .collect();
        Some(Self {
            component,
            name: component.as_str().to_owned(),
            shard: None,
            version,
            deployment,
            args,
            arg_sources,
            resources,
            volumes,
        })
    }

    /// Makes this the Deployment of a shard: named `<controller>-<shard>` and annotated
    /// `sharding.fluxcd.io/role: shard`, as the shard's kustomization makes it.
    fn shard(&mut self, shard: &str) {
        self.name = format!("{}-{shard}", self.component);
        self.shard = Some(shard.to_owned());
        self.deployment["metadata"]["annotations"] = serde_json::json!({ "sharding.fluxcd.io/role": "shard" });
    }

    /// Applies one patch and credits what changed to `label(change)`. A shard's Deployment is
    /// selected by its name or by its controller's, as kustomize matches a renamed object by
    /// its original name too.
    fn apply(&mut self, patch: &KustomizePatch, label: &dyn Fn(Change<'_>) -> String) -> Result<(), String> {
        let selected;
        let patch = match (&self.shard, &patch.target) {
            (Some(_), Some(target)) => {
                let mut renamed = self.deployment.clone();
                renamed["metadata"]["name"] = serde_json::json!(self.name);
                let matches = patch::matches(target, &self.deployment).map_err(|e| e.to_string())?
                    || patch::matches(target, &renamed).map_err(|e| e.to_string())?;
                if !matches {
                    return Ok(());
                }
                selected = KustomizePatch {
                    patch: patch.patch.clone(),
                    target: Some(crate::objects::PatchTarget::kind_name(
                        "Deployment",
                        self.component.as_str(),
                    )),
                };
                &selected
            }
            _ => patch,
        };
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

/// Applies the operator's profiles (each with its label), then the cluster's patches.
fn report(
    mut layers: Layers,
    operator: &[(KustomizePatch, String)],
    patches: &[KustomizePatch],
    tunings: &[Tuning],
) -> Result<ControllerReport, String> {
    let component = layers.component;
    for (patch, label) in operator {
        layers.apply(patch, &|_| label.clone())?;
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
        deployment: layers.name.clone(),
        shard: layers.shard.clone(),
        version: layers.version.to_owned(),
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
                Tuning::Resources { resources, .. } => {
                    let (kind, name) = key.split_once('.').unwrap_or((key, ""));
                    let amounts = if kind == "limits" {
                        &resources.limits
                    } else {
                        &resources.requests
                    };
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
        ("--kube-api-qps", Some(facts::DEFAULT_KUBE_API_QPS.to_string())),
        ("--kube-api-burst", Some(facts::DEFAULT_KUBE_API_BURST.to_string())),
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

#[cfg(test)]
mod tests;
