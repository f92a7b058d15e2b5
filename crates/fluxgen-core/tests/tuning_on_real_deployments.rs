//! Proof on the real Deployments: every tuning, lowered by `fluxgen_core::lower`, applied to the
//! Flux v2.9.4 manifests (`$FLUXGEN_SHARED/flux-manifests/v2.9.4/`) twice, in-process with
//! `fluxgen_core::patch::apply` and by `kubectl kustomize` (the manifest files as resources, the
//! emitted patches under `patches:`), gives exactly the values written in this file. The
//! in-process half also runs on the manifests of every older release fluxgen knows (v2.4.0 to
//! v2.8.8), the versions a cluster may pin.
//!
//! One case per tuning knob (a raw JSON 6902 patch and a raw strategic-merge patch each get
//! one too; `syncKustomization` is applied to the sync Kustomization as the operator generates
//! it), and one per preset. For every case:
//!
//! - each Deployment the case changes equals its original with exactly the listed fields
//!   replaced (`containers[0].args`: the original arguments followed by the listed ones;
//!   `resources`, `volumes`, `affinity`, `tolerations` as written), compared field by field and
//!   as a whole object;
//! - every other Deployment, and the sync Kustomization unless the case changes it, is left
//!   exactly as it was: no emitted patch selects it;
//! - kubectl builds the same objects as the in-process engine.
//!
//! Without kubectl the kustomize half is skipped with a note on stderr, except under `CI=true`,
//! where it fails (`scripts/test.sh` installs kubectl into `.tools/bin`).

#[allow(dead_code)]
mod support;

use std::collections::{BTreeMap, BTreeSet};

use fluxgen_core::Component::{self, HelmController, KustomizeController, NotificationController, SourceController};
use fluxgen_core::config::TuningSettings;
use fluxgen_core::{
    Tuning, facts, lower, objects::KustomizePatch, objects::PatchTarget, preset, tuning::LogLevel, tuning::PRESETS,
    tuning::ResourceAmounts, tuning::SubstituteFrom, tuning::SubstituteKind, tuning::SyncKustomizationTuning,
};
use serde_json::{Value, json};
use support::flux::{self, CONTAINER, Manifest};

const ARGS: &str = "/spec/template/spec/containers/0/args";
const RESOURCES: &str = "/spec/template/spec/containers/0/resources";
const VOLUMES: &str = "/spec/template/spec/volumes";
const AFFINITY: &str = "/spec/template/spec/affinity";
const TOLERATIONS: &str = "/spec/template/spec/tolerations";
/// The fields compared one by one (then the whole object is).
const FIELDS: [&str; 5] = [ARGS, RESOURCES, VOLUMES, AFFINITY, TOLERATIONS];

/// The file holding the sync Kustomization in the kustomize directory.
const SYNC_FILE: &str = "sync-kustomization.yaml";

/// The sync Kustomization as the Flux Operator generates it for a FluxInstance's `spec.sync`.
fn sync_kustomization() -> Value {
    json!({
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "kind": "Kustomization",
        "metadata": {"name": "flux-system", "namespace": "flux-system"},
        "spec": {
            "interval": "10m",
            "path": "clusters/edge",
            "prune": true,
            "sourceRef": {"kind": "GitRepository", "name": "flux-system"},
        },
    })
}

/// What a case does to one controller's Deployment.
struct Change {
    controller: Component,
    /// Arguments appended to the original ones, in this order.
    args: Vec<&'static str>,
    /// Fields replaced: JSON pointer and the whole new value.
    set: Vec<(&'static str, Value)>,
}

fn on(controller: Component) -> Change {
    Change {
        controller,
        args: Vec::new(),
        set: Vec::new(),
    }
}

impl Change {
    fn args(mut self, args: &[&'static str]) -> Self {
        self.args.extend_from_slice(args);
        self
    }

    fn set(mut self, pointer: &'static str, value: Value) -> Self {
        self.set.push((pointer, value));
        self
    }
}

/// One tuning (or preset) and exactly what it does.
struct Case {
    name: String,
    tunings: Vec<Tuning>,
    changes: Vec<Change>,
    /// The sync Kustomization's whole `spec` afterwards, when the case changes it.
    sync_spec: Option<Value>,
}

fn case(name: &str, tunings: Vec<Tuning>, changes: Vec<Change>) -> Case {
    Case {
        name: name.to_owned(),
        tunings,
        changes,
        sync_spec: None,
    }
}

fn amounts(cpu: Option<&str>, memory: Option<&str>) -> ResourceAmounts {
    ResourceAmounts {
        cpu: cpu.map(Into::into),
        memory: memory.map(Into::into),
    }
}

/// The Flux defaults of source-controller's resources, with `limits.memory` replaced.
fn source_resources(limit: &str) -> Value {
    json!({"limits": {"cpu": "1000m", "memory": limit}, "requests": {"cpu": "50m", "memory": "64Mi"}})
}

/// The Flux defaults of kustomize-, helm- and notification-controller's resources, with
/// `limits.memory` replaced.
fn controller_resources(limit: &str) -> Value {
    json!({"limits": {"cpu": "1000m", "memory": limit}, "requests": {"cpu": "100m", "memory": "64Mi"}})
}

fn temp_in_memory() -> Value {
    json!([{"name": "temp", "emptyDir": {"medium": "Memory"}}])
}

fn control_plane_affinity() -> Value {
    json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchExpressions": [{"key": "node-role.kubernetes.io/control-plane", "operator": "Exists"}]}
    ]}}})
}

fn control_plane_tolerations() -> Value {
    json!([{"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"}])
}

fn raw(target: PatchTarget, patch: &str) -> Tuning {
    Tuning::Custom(KustomizePatch {
        patch: patch.to_owned(),
        target: Some(target),
    })
}

/// One case per tuning knob, and the two kinds of raw patch.
fn knob_cases() -> Vec<Case> {
    let mut cases = vec![
        case(
            "workers",
            vec![Tuning::workers([HelmController, KustomizeController], 10)],
            vec![
                on(KustomizeController).args(&["--concurrent=10"]),
                on(HelmController).args(&["--concurrent=10"]),
            ],
        ),
        case(
            "requeueDependency",
            vec![Tuning::requeue_dependency(
                [SourceController, KustomizeController, HelmController],
                "5s",
            )],
            vec![
                on(SourceController).args(&["--requeue-dependency=5s"]),
                on(KustomizeController).args(&["--requeue-dependency=5s"]),
                on(HelmController).args(&["--requeue-dependency=5s"]),
            ],
        ),
        case(
            "kubeApiLimits",
            vec![Tuning::kube_api_limits(
                [SourceController, KustomizeController, HelmController],
                500,
                1000,
            )],
            [SourceController, KustomizeController, HelmController]
                .into_iter()
                .map(|c| on(c).args(&["--kube-api-qps=500", "--kube-api-burst=1000"]))
                .collect(),
        ),
        case(
            "resources",
            vec![Tuning::resources(
                [HelmController],
                amounts(Some("2"), Some("2Gi")),
                amounts(Some("200m"), Some("256Mi")),
            )],
            vec![on(HelmController).set(
                RESOURCES,
                json!({"limits": {"cpu": "2", "memory": "2Gi"}, "requests": {"cpu": "200m", "memory": "256Mi"}}),
            )],
        ),
        case(
            "resources (memoryLimit)",
            vec![Tuning::memory_limit(
                [SourceController, KustomizeController, HelmController],
                "2Gi",
            )],
            vec![
                on(SourceController).set(RESOURCES, source_resources("2Gi")),
                on(KustomizeController).set(RESOURCES, controller_resources("2Gi")),
                on(HelmController).set(RESOURCES, controller_resources("2Gi")),
            ],
        ),
        case(
            "inMemoryBuilds",
            vec![Tuning::InMemoryBuilds],
            vec![on(KustomizeController).set(VOLUMES, temp_in_memory())],
        ),
        case(
            "helmCache",
            vec![Tuning::helm_cache(10, "60m", "5m")],
            vec![on(SourceController).args(&[
                "--helm-cache-max-size=10",
                "--helm-cache-ttl=60m",
                "--helm-cache-purge-interval=5m",
            ])],
        ),
        case(
            "oomWatch",
            vec![Tuning::oom_watch(95, "500ms")],
            vec![on(HelmController).args(&[
                "--oom-watch-memory-threshold=95",
                "--oom-watch-interval=500ms",
                "--feature-gates=OOMWatch=true",
            ])],
        ),
        case(
            "featureGates",
            vec![
                Tuning::feature_gate(HelmController, "DisableChartDigestTracking", false),
                Tuning::feature_gate(SourceController, "CacheSecretsAndConfigMaps", true),
                Tuning::feature_gate(HelmController, "DefaultToRetryOnFailure", true),
            ],
            vec![
                on(SourceController).args(&["--feature-gates=CacheSecretsAndConfigMaps=true"]),
                on(HelmController).args(&["--feature-gates=DefaultToRetryOnFailure=true,DisableChartDigestTracking=false"]),
            ],
        ),
        case(
            "watchConfigsSelector",
            vec![Tuning::watch_configs_selector(
                [KustomizeController, HelmController],
                "owner!=helm",
            )],
            vec![
                on(KustomizeController).args(&["--watch-configs-label-selector=owner!=helm"]),
                on(HelmController).args(&["--watch-configs-label-selector=owner!=helm"]),
            ],
        ),
        case(
            "sopsAgeSecret",
            vec![Tuning::sops_age_secret("sops-age")],
            vec![on(KustomizeController).args(&["--sops-age-secret=sops-age"])],
        ),
        case(
            "logLevel",
            vec![Tuning::log_level(
                [NotificationController, SourceController],
                LogLevel::Debug,
            )],
            vec![
                on(SourceController).args(&["--log-level=debug"]),
                on(NotificationController).args(&["--log-level=debug"]),
            ],
        ),
        case(
            "controlPlane",
            vec![Tuning::control_plane_scheduling(Component::DEFAULTS)],
            Component::DEFAULTS
                .into_iter()
                .map(|c| {
                    on(c)
                        .set(AFFINITY, control_plane_affinity())
                        .set(TOLERATIONS, control_plane_tolerations())
                })
                .collect(),
        ),
        case(
            "patches (raw JSON 6902)",
            vec![raw(
                PatchTarget::kind_name("Deployment", "(helm-controller|source-controller)"),
                "- op: add\n  path: /spec/template/spec/containers/0/args/-\n  value: --concurrent=4\n\
                 - op: replace\n  path: /spec/template/spec/containers/0/resources/limits/cpu\n  value: 2000m\n",
            )],
            vec![
                on(SourceController).args(&["--concurrent=4"]).set(
                    RESOURCES,
                    json!({"limits": {"cpu": "2000m", "memory": "1Gi"}, "requests": {"cpu": "50m", "memory": "64Mi"}}),
                ),
                on(HelmController).args(&["--concurrent=4"]).set(
                    RESOURCES,
                    json!({"limits": {"cpu": "2000m", "memory": "1Gi"}, "requests": {"cpu": "100m", "memory": "64Mi"}}),
                ),
            ],
        ),
        case(
            "patches (raw strategic merge)",
            vec![raw(
                PatchTarget {
                    kind: Some("Deployment".to_owned()),
                    label_selector: Some("app.kubernetes.io/component=notification-controller".to_owned()),
                    ..PatchTarget::default()
                },
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: all\nspec:\n  template:\n    spec:\n      \
                 containers:\n        - name: manager\n          resources:\n            requests:\n              \
                 memory: 128Mi\n      volumes:\n        - name: temp\n          emptyDir:\n            \
                 sizeLimit: 1Gi\n",
            )],
            vec![
                on(NotificationController)
                    .set(
                        RESOURCES,
                        json!({"limits": {"cpu": "1000m", "memory": "1Gi"}, "requests": {"cpu": "100m", "memory": "128Mi"}}),
                    )
                    .set(VOLUMES, json!([{"name": "temp", "emptyDir": {"sizeLimit": "1Gi"}}])),
            ],
        ),
    ];
    let mut sync = case(
        "syncKustomization",
        vec![Tuning::SyncKustomization(SyncKustomizationTuning {
            decryption_secret: Some("sops-age".to_owned()),
            substitute_from: vec![
                SubstituteFrom {
                    kind: SubstituteKind::ConfigMap,
                    name: "cluster-settings".to_owned(),
                    optional: false,
                },
                SubstituteFrom {
                    kind: SubstituteKind::Secret,
                    name: "cluster-secrets".to_owned(),
                    optional: true,
                },
            ],
            wait: Some(true),
            timeout: Some("5m".into()),
        })],
        Vec::new(),
    );
    sync.sync_spec = Some(json!({
        "interval": "10m",
        "path": "clusters/edge",
        "prune": true,
        "sourceRef": {"kind": "GitRepository", "name": "flux-system"},
        "decryption": {"provider": "sops", "secretRef": {"name": "sops-age"}},
        "postBuild": {"substituteFrom": [
            {"kind": "ConfigMap", "name": "cluster-settings"},
            {"kind": "Secret", "name": "cluster-secrets", "optional": true},
        ]},
        "wait": true,
        "timeout": "5m",
    }));
    cases.push(sync);
    cases
}

/// One case per preset.
fn preset_cases() -> Vec<Case> {
    PRESETS
        .iter()
        .map(|name| {
            let tunings = preset(name).unwrap_or_else(|| panic!("PRESETS lists {name}, preset() does not know it"));
            let changes = match *name {
                // onedr0p/home-ops's nine patches, by effect.
                "home-ops" => vec![
                    on(SourceController)
                        .args(&[
                            "--helm-cache-max-size=10",
                            "--helm-cache-ttl=60m",
                            "--helm-cache-purge-interval=5m",
                            "--feature-gates=CacheSecretsAndConfigMaps=true",
                            "--requeue-dependency=5s",
                            "--concurrent=10",
                        ])
                        .set(RESOURCES, source_resources("2Gi")),
                    on(KustomizeController)
                        .args(&[
                            "--requeue-dependency=5s",
                            "--concurrent=20",
                            "--feature-gates=CancelHealthCheckOnNewRevision=true",
                            "--watch-configs-label-selector=owner!=helm",
                        ])
                        .set(RESOURCES, controller_resources("2Gi"))
                        .set(VOLUMES, temp_in_memory()),
                    on(HelmController)
                        .args(&[
                            "--requeue-dependency=5s",
                            "--concurrent=10",
                            "--watch-configs-label-selector=owner!=helm",
                            "--oom-watch-memory-threshold=95",
                            "--oom-watch-interval=500ms",
                            "--feature-gates=DefaultToRetryOnFailure=true,DisableChartDigestTracking=true,OOMWatch=true",
                        ])
                        .set(RESOURCES, controller_resources("2Gi")),
                ],
                other => panic!("preset {other}: write down what it does to the Deployments here"),
            };
            case(&format!("preset: {name}"), tunings, changes)
        })
        .collect()
}

fn all_cases() -> Vec<Case> {
    let mut cases = knob_cases();
    cases.extend(preset_cases());
    cases
}

/// `object` with the value at `pointer` replaced, or added when its parent mapping lacks it.
fn set_field(object: &mut Value, pointer: &str, value: Value) {
    let (parent, key) = pointer.rsplit_once('/').expect("a JSON pointer");
    let parent = object
        .pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .unwrap_or_else(|| panic!("{parent} is not a mapping"));
    parent.insert(key.to_owned(), value);
}

/// The Deployment a case expects for a controller: the original with the case's changes.
fn expected_deployment(original: &Value, change: Option<&Change>) -> Value {
    let mut expected = original.clone();
    let Some(change) = change else { return expected };
    if !change.args.is_empty() {
        let mut list = original
            .pointer(ARGS)
            .and_then(Value::as_array)
            .cloned()
            .expect("a Flux Deployment has arguments");
        list.extend(change.args.iter().map(|a| json!(a)));
        set_field(&mut expected, ARGS, Value::Array(list));
    }
    for (pointer, value) in &change.set {
        set_field(&mut expected, pointer, value.clone());
    }
    expected
}

/// `(kind, name)` of an object.
type Key = (String, String);

fn deployment_key(component: Component) -> Key {
    ("Deployment".to_owned(), component.as_str().to_owned())
}

fn sync_key() -> Key {
    ("Kustomization".to_owned(), "flux-system".to_owned())
}

/// Every object a case is checked on, as it was: the Flux Deployments and the sync
/// Kustomization.
fn originals(manifests: &BTreeMap<Component, Manifest>) -> BTreeMap<Key, Value> {
    let mut objects: BTreeMap<Key, Value> = manifests
        .iter()
        .map(|(component, manifest)| (deployment_key(*component), manifest.deployment.clone()))
        .collect();
    objects.insert(sync_key(), sync_kustomization());
    objects
}

/// Every object as the case expects it afterwards.
fn expected_objects(case: &Case, manifests: &BTreeMap<Component, Manifest>) -> BTreeMap<Key, Value> {
    let mut objects = BTreeMap::new();
    for (component, manifest) in manifests {
        let change = case.changes.iter().find(|c| c.controller == *component);
        objects.insert(
            deployment_key(*component),
            expected_deployment(&manifest.deployment, change),
        );
    }
    let mut sync = sync_kustomization();
    if let Some(spec) = &case.sync_spec {
        sync["spec"] = spec.clone();
    }
    objects.insert(sync_key(), sync);
    objects
}

/// The objects a case changes.
fn changed(case: &Case) -> BTreeSet<Key> {
    let mut keys: BTreeSet<Key> = case.changes.iter().map(|c| deployment_key(c.controller)).collect();
    if case.sync_spec.is_some() {
        keys.insert(sync_key());
    }
    keys
}

fn lowered(case: &Case) -> Vec<KustomizePatch> {
    let patches = lower(&case.tunings).unwrap_or_else(|e| panic!("{}: {e}", case.name));
    assert!(!patches.is_empty(), "{}: no patch", case.name);
    patches
}

/// Asserts that `built` (by `how`) holds exactly the expected objects: the compared fields one
/// by one first (for a readable failure), then each whole object.
fn assert_built(case: &Case, how: &str, built: &BTreeMap<Key, Value>, expected: &BTreeMap<Key, Value>) {
    for (key, want) in expected {
        let got = built
            .get(key)
            .unwrap_or_else(|| panic!("{} ({how}): {key:?} was not built", case.name));
        if key.0 == "Deployment" {
            for pointer in FIELDS {
                assert_eq!(
                    got.pointer(pointer),
                    want.pointer(pointer),
                    "{} ({how}): {}: {pointer}",
                    case.name,
                    key.1
                );
            }
        } else {
            assert_eq!(got["spec"], want["spec"], "{} ({how}): {}: spec", case.name, key.1);
        }
        assert_eq!(got, want, "{} ({how}): {}: the whole object", case.name, key.1);
    }
}

/// Applies `patches` in-process to every object; returns the results and, per patch, the
/// objects it selected.
fn apply_in_process(
    objects: &BTreeMap<Key, Value>,
    patches: &[KustomizePatch],
    case: &Case,
) -> (BTreeMap<Key, Value>, Vec<BTreeSet<Key>>) {
    let mut selected = vec![BTreeSet::new(); patches.len()];
    let mut built = BTreeMap::new();
    for (key, original) in objects {
        let mut object = original.clone();
        for (index, kustomize_patch) in patches.iter().enumerate() {
            let applied = kustomize_patch
                .apply_to(&mut object)
                .unwrap_or_else(|e| panic!("{}: patch #{} on {}: {e}", case.name, index + 1, key.1));
            if applied {
                selected[index].insert(key.clone());
            }
        }
        built.insert(key.clone(), object);
    }
    (built, selected)
}

#[test]
fn every_tuning_key_has_a_case() {
    // The keys of `tuning` in fluxgen.yaml: a new knob needs a case here.
    let config_keys: BTreeSet<String> = serde_json::to_value(TuningSettings::default())
        .expect("the settings serialize")
        .as_object()
        .expect("a mapping")
        .keys()
        .cloned()
        .collect();
    let mut covered: BTreeSet<String> = knob_cases()
        .iter()
        .flat_map(|c| c.tunings.iter().map(|t| t.key().to_owned()))
        .collect();
    assert!(!preset_cases().is_empty());
    covered.insert("preset".to_owned());
    // `memoryLimit` lowers to a `resources` tuning: its own case is "resources (memoryLimit)".
    assert!(knob_cases().iter().any(|c| c.name == "resources (memoryLimit)"));
    covered.insert("memoryLimit".to_owned());
    assert_eq!(covered, config_keys, "tuning keys with a case vs the keys of `tuning`");
    // Both kinds of raw patch.
    let raw: Vec<String> = knob_cases()
        .into_iter()
        .filter(|c| c.tunings.iter().any(|t| matches!(t, Tuning::Custom(_))))
        .map(|c| c.name)
        .collect();
    assert_eq!(raw, ["patches (raw JSON 6902)", "patches (raw strategic merge)"]);
}

#[test]
fn tunings_change_exactly_the_expected_fields_in_process() {
    // On the Deployments of every release fluxgen knows (a cluster may pin any of them); a
    // case that tunes a controller the release does not ship (source-watcher before 2.7) is
    // left out there.
    for release in facts::RELEASES {
        let manifests = flux::manifests_of(release.version);
        let cases: Vec<Case> = all_cases()
            .into_iter()
            .filter(|case| case.changes.iter().all(|c| manifests.contains_key(&c.controller)))
            .collect();
        assert!(!cases.is_empty(), "{}", release.version);
        tunings_change_exactly_the_expected_fields(&manifests, cases, release.version);
    }
}

fn tunings_change_exactly_the_expected_fields(
    manifests: &BTreeMap<Component, Manifest>,
    cases: Vec<Case>,
    version: &str,
) {
    let objects = originals(manifests);
    for mut case in cases {
        case.name = format!("{} on Flux {version}", case.name);
        let patches = lowered(&case);
        let (built, selected) = apply_in_process(&objects, &patches, &case);
        assert_built(&case, "in-process", &built, &expected_objects(&case, manifests));
        // Every emitted patch selects something, and only what the case changes: a target
        // that does not match a controller leaves it untouched.
        for (index, keys) in selected.iter().enumerate() {
            assert!(
                !keys.is_empty(),
                "{}: patch #{} selects nothing: {:?}",
                case.name,
                index + 1,
                patches[index].target
            );
        }
        let union: BTreeSet<Key> = selected.into_iter().flatten().collect();
        assert_eq!(union, changed(&case), "{}: the objects the patches select", case.name);
    }
}

#[test]
fn tunings_give_the_same_objects_with_kubectl() {
    let Some(kubectl) = flux::kubectl() else { return };
    let manifests = flux::manifests();
    let objects = originals(&manifests);
    let mut files: Vec<(String, String)> = manifests.values().map(|m| (m.file_name(), m.text())).collect();
    files.push((
        SYNC_FILE.to_owned(),
        serde_json::to_string_pretty(&sync_kustomization()).unwrap(),
    ));
    for case in all_cases() {
        let patches = lowered(&case);
        let built =
            flux::kustomize(&kubectl, &files, &patches).unwrap_or_else(|e| panic!("{}: kubectl: {e}", case.name));
        let expected = expected_objects(&case, &manifests);
        assert_built(&case, "kubectl kustomize", &built, &expected);
        let (in_process, _) = apply_in_process(&objects, &patches, &case);
        for (key, object) in &in_process {
            assert_eq!(
                Some(object),
                built.get(key),
                "{}: {}: in-process vs kubectl",
                case.name,
                key.1
            );
        }
    }
}

#[test]
fn a_target_that_does_not_match_leaves_the_object_untouched() {
    let manifests = flux::manifests();
    let kustomize_only = lower(&[Tuning::workers([KustomizeController], 20)]).unwrap();
    assert_eq!(kustomize_only.len(), 1);
    for (component, manifest) in &manifests {
        let mut deployment = manifest.deployment.clone();
        let applied = kustomize_only[0].apply_to(&mut deployment).unwrap();
        assert_eq!(applied, *component == KustomizeController, "{component}");
        if *component != KustomizeController {
            assert_eq!(deployment, manifest.deployment, "{component} is untouched");
        }
    }
    // Deployment patches leave the sync Kustomization alone, and its patch the Deployments.
    let sync_case = knob_cases().into_iter().find(|c| c.sync_spec.is_some()).unwrap();
    let sync_patch = lowered(&sync_case);
    let mut sync = sync_kustomization();
    assert!(!kustomize_only[0].apply_to(&mut sync).unwrap());
    assert_eq!(sync, sync_kustomization());
    for manifest in manifests.values() {
        let mut deployment = manifest.deployment.clone();
        assert!(!sync_patch[0].apply_to(&mut deployment).unwrap());
        assert_eq!(deployment, manifest.deployment);
    }
    // And by kubectl: the other Deployments come out as they went in.
    let Some(kubectl) = flux::kubectl() else { return };
    let files: Vec<(String, String)> = manifests.values().map(|m| (m.file_name(), m.text())).collect();
    let built = flux::kustomize(&kubectl, &files, &kustomize_only).unwrap();
    for (component, manifest) in &manifests {
        let object = &built[&deployment_key(*component)];
        if *component == KustomizeController {
            assert_eq!(
                object
                    .pointer(&format!("{CONTAINER}/args"))
                    .and_then(Value::as_array)
                    .and_then(|a| a.last()),
                Some(&json!("--concurrent=20"))
            );
        } else {
            assert_eq!(object, &manifest.deployment, "{component} is untouched by kubectl");
        }
    }
}
