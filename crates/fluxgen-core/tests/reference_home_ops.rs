//! Matching the reference: `tests/reference/onedr0p-home-ops.yaml` describes onedr0p/home-ops's
//! Flux setup, and the tree fluxgen generates from it must equal the files of
//! `refs/onedr0p__home-ops/kubernetes/apps/flux-system/flux-{operator,instance}/` as parsed
//! YAML, except for the named intentional differences in [`DIFFERENCES`] and the fields in
//! [`COMPARED_BY_EFFECT`].
//!
//! The controller patches are such a field: the config says `tuning: { preset: home-ops }`
//! where home-ops writes nine raw patches (one of which sets `--concurrent` a second time on
//! kustomize-controller, which fluxgen refuses as a conflict). They are compared by effect:
//! both patch lists are applied to the real Flux v2.9.4 Deployments
//! (`$FLUXGEN_SHARED/flux-manifests/v2.9.4/`) and every controller must end up with the same
//! arguments (last value of a flag wins), feature gates (accumulated gate by gate), resources
//! and volumes.
//!
//! The reference files are read from `$FLUXGEN_SHARED/refs/onedr0p__home-ops/` (`FLUXGEN_SHARED`
//! defaults to `<workspace root>/../shared`).
//!
//! Text-level details (comments, key order, quoting, fluxgen's marker line) are not compared:
//! both sides are parsed with serde-saphyr into JSON values first.

#[allow(dead_code)]
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use fluxgen_core::{
    Component, Config, Origin, Tree, explain, facts, objects::KustomizePatch, objects::PatchTarget, plan,
};
use serde_json::Value;
use support::flux::{self, Effective};

/// The cluster of the reference config.
const CLUSTER: &str = "home-ops";
/// Where home-ops keeps the two app directories (no per-cluster directory).
const REFERENCE_ROOT: &str = "refs/onedr0p__home-ops/kubernetes/apps/flux-system";
/// The reference config, relative to this crate.
const CONFIG: &str = "tests/reference/onedr0p-home-ops.yaml";

/// The files compared object by object, relative to the app directories' parent.
const COMPARED: &[&str] = &[
    "flux-operator/ks.yaml",
    "flux-operator/app/kustomization.yaml",
    "flux-operator/app/ocirepository.yaml",
    "flux-operator/app/helmrelease.yaml",
    "flux-instance/ks.yaml",
    "flux-instance/app/kustomization.yaml",
    "flux-instance/app/ocirepository.yaml",
    "flux-instance/app/helmrelease.yaml",
    "flux-instance/app/externalsecret.yaml",
    "flux-instance/app/receiver.yaml",
];

/// Reference files fluxgen does not generate (home-ops's own additions around Flux, outside
/// what fluxgen owns): they are not compared, and their entries are dropped from the
/// reference's `app/kustomization.yaml` before it is compared.
const OUT_OF_SCOPE: &[&str] = &[
    // RBAC for the Flux web UI's `flux-admin` group.
    "flux-operator/app/clusterrolebinding.yaml",
    // Grafana dashboards for Flux.
    "flux-instance/app/grafanadashboard.yaml",
    // Gateway API route exposing the webhook Receiver.
    "flux-instance/app/httproute.yaml",
    // Prometheus scraping of the controllers.
    "flux-instance/app/podmonitor.yaml",
    // Prometheus alerts on the instance, HelmReleases and Kustomizations.
    "flux-instance/app/prometheusrule.yaml",
];

/// A field fluxgen writes that the reference does not have, on purpose.
struct Difference {
    /// The generated file.
    file: &'static str,
    /// JSON pointer of the field in the generated object.
    pointer: &'static str,
    /// The exact value fluxgen writes there (JSON text); anything else is a real difference.
    generated: &'static str,
    /// Why fluxgen differs.
    reason: &'static str,
}

/// The intentional differences, each removed from the generated object before comparing.
const DIFFERENCES: &[Difference] = &[
    Difference {
        file: "flux-operator/ks.yaml",
        pointer: "/metadata/namespace",
        generated: r#""flux-system""#,
        reason: "the ks.yaml lands in flux-system whatever the kustomization.yaml listing it sets (home-ops's sets `namespace: flux-system`; the `flux bootstrap` layout's sets none)",
    },
    Difference {
        file: "flux-instance/ks.yaml",
        pointer: "/metadata/namespace",
        generated: r#""flux-system""#,
        reason: "the ks.yaml lands in flux-system whatever the kustomization.yaml listing it sets (home-ops's sets `namespace: flux-system`; the `flux bootstrap` layout's sets none)",
    },
    Difference {
        file: "flux-instance/app/helmrelease.yaml",
        pointer: "/metadata/annotations",
        generated: r#"{"kustomize.toolkit.fluxcd.io/prune": "disabled"}"#,
        reason: "pruning the flux-instance HelmRelease uninstalls the FluxInstance, which deletes every Flux object",
    },
    Difference {
        file: "flux-instance/app/helmrelease.yaml",
        pointer: "/spec/values/instance/distribution",
        generated: r#"{"artifact": "oci://ghcr.io/controlplaneio-fluxcd/flux-operator-manifests:v0.58.1", "registry": "ghcr.io/fluxcd", "version": "2.x"}"#,
        reason: "version and registry are required by the FluxInstance CRD; home-ops relies on the chart defaults, the same values; \
                 the artifact is pinned to the operator release, where the chart's default, `flux-operator-manifests:latest`, \
                 moves the cluster to new manifests outside Git",
    },
    Difference {
        file: "flux-instance/app/helmrelease.yaml",
        pointer: "/spec/values/instance/sync/name",
        generated: r#""flux-system""#,
        reason: "sync.name is immutable, so fluxgen writes it instead of relying on the default (the namespace, the same value)",
    },
];

/// A field both sides have, with different text on purpose, compared by its effect instead.
struct ComparedByEffect {
    /// The generated (and reference) file.
    file: &'static str,
    /// JSON pointer of the field in both objects.
    pointer: &'static str,
    /// Why it differs, and which test compares it.
    reason: &'static str,
}

/// The fields removed from both sides before comparing, each compared by a test of its own.
const COMPARED_BY_EFFECT: &[ComparedByEffect] = &[ComparedByEffect {
    file: INSTANCE_RELEASE,
    pointer: PATCHES,
    reason: "generated from preset: home-ops; compared by effect in controller_settings_match_home_ops",
}];

/// The flux-instance HelmRelease.
const INSTANCE_RELEASE: &str = "flux-instance/app/helmrelease.yaml";
/// Where the HelmRelease holds the FluxInstance's controller patches.
const PATCHES: &str = "/spec/values/instance/kustomize/patches";
/// The controllers home-ops runs.
const CONTROLLERS: [Component; 4] = Component::DEFAULTS;

fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn shared_dir() -> PathBuf {
    std::env::var_os("FLUXGEN_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate_dir().join("../../../shared"))
}

fn reference_dir() -> PathBuf {
    let dir = shared_dir().join(REFERENCE_ROOT);
    assert!(
        dir.is_dir(),
        "reference directory {} is missing: set FLUXGEN_SHARED to the shared directory",
        dir.display()
    );
    dir
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn parse(what: &str, text: &str) -> Value {
    serde_saphyr::from_str::<Value>(text).unwrap_or_else(|e| panic!("{what}: not one YAML document: {e}"))
}

fn load(text: &str) -> Config {
    Config::from_yaml(text, Origin::File(crate_dir().join(CONFIG))).unwrap_or_else(|e| panic!("{e}"))
}

fn reference_config() -> Config {
    load(&read(&crate_dir().join(CONFIG)))
}

fn generate(config: &Config) -> Tree {
    plan(config, CLUSTER).unwrap_or_else(|e| panic!("{e}"))
}

/// Splits a JSON pointer into its parent pointer and its unescaped last segment.
fn split_pointer(pointer: &str) -> (&str, String) {
    let (parent, last) = pointer.rsplit_once('/').expect("a JSON pointer starts with `/`");
    (parent, last.replace("~1", "/").replace("~0", "~"))
}

/// Removes one intentional difference from a generated object, checking that the field holds
/// exactly the value the difference names.
fn remove_difference(object: &mut Value, difference: &Difference) -> Result<(), String> {
    let expected: Value = serde_json::from_str(difference.generated).expect("a difference's value is JSON");
    let (parent, key) = split_pointer(difference.pointer);
    let removed = object
        .pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .and_then(|map| map.remove(&key));
    match removed {
        Some(value) if value == expected => Ok(()),
        Some(value) => Err(format!(
            "{} {}: intentional difference ({}) expected {expected}, generated {value}",
            difference.file, difference.pointer, difference.reason
        )),
        None => Err(format!(
            "{} {}: intentional difference ({}) is gone: fluxgen no longer writes it; remove it from DIFFERENCES",
            difference.file, difference.pointer, difference.reason
        )),
    }
}

/// Drops the entries of out-of-scope files from a reference `app/kustomization.yaml`.
fn drop_out_of_scope(file: &str, object: &mut Value) -> Result<(), String> {
    let Some(app_dir) = file.strip_suffix("kustomization.yaml") else {
        return Ok(());
    };
    let resources = object
        .pointer_mut("/resources")
        .and_then(Value::as_array_mut)
        .ok_or_else(|| format!("reference {file}: no `resources` list"))?;
    for out in OUT_OF_SCOPE.iter().filter_map(|path| path.strip_prefix(app_dir)) {
        let entry = Value::String(format!("./{out}"));
        let before = resources.len();
        resources.retain(|r| *r != entry);
        if resources.len() == before {
            return Err(format!("reference {file}: lists no {entry}; update OUT_OF_SCOPE"));
        }
    }
    Ok(())
}

/// The paths where two values differ, one line each (empty when they are equal).
fn diff(reference: &Value, generated: &Value) -> Vec<String> {
    fn walk(path: &str, reference: &Value, generated: &Value, out: &mut Vec<String>) {
        match (reference, generated) {
            (Value::Object(a), Value::Object(b)) => {
                let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
                for key in keys {
                    let here = format!("{path}/{}", key.replace('~', "~0").replace('/', "~1"));
                    match (a.get(key), b.get(key)) {
                        (Some(x), Some(y)) => walk(&here, x, y, out),
                        (Some(x), None) => out.push(format!("{here}: only in the reference: {x}")),
                        (None, Some(y)) => out.push(format!("{here}: only in fluxgen's output: {y}")),
                        (None, None) => unreachable!(),
                    }
                }
            }
            (Value::Array(a), Value::Array(b)) => {
                for index in 0..a.len().max(b.len()) {
                    let here = format!("{path}/{index}");
                    match (a.get(index), b.get(index)) {
                        (Some(x), Some(y)) => walk(&here, x, y, out),
                        (Some(x), None) => out.push(format!("{here}: only in the reference: {x}")),
                        (None, Some(y)) => out.push(format!("{here}: only in fluxgen's output: {y}")),
                        (None, None) => unreachable!(),
                    }
                }
            }
            (x, y) if x == y => {}
            // Multi-line strings (kustomize patches): name the first line that differs.
            (Value::String(x), Value::String(y)) if x.contains('\n') || y.contains('\n') => {
                let (mut a, mut b) = (x.lines(), y.lines());
                for line in 1.. {
                    match (a.next(), b.next()) {
                        (Some(p), Some(q)) if p == q => continue,
                        (p, q) => {
                            let show = |l: Option<&str>| l.map_or("<end of text>".to_owned(), |l| format!("{l:?}"));
                            out.push(format!(
                                "{path}: line {line}: reference {}, fluxgen {}",
                                show(p),
                                show(q)
                            ));
                            break;
                        }
                    }
                }
            }
            (x, y) => out.push(format!(
                "{}: reference {x}, fluxgen {y}",
                if path.is_empty() { "/" } else { path }
            )),
        }
    }
    let mut out = Vec::new();
    walk("", reference, generated, &mut out);
    out
}

/// Compares a generated tree with the reference files; returns every problem found, each
/// prefixed with its file.
fn compare(tree: &Tree, reference: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    let generated: BTreeSet<&str> = tree.files.keys().map(String::as_str).collect();
    let compared: BTreeSet<&str> = COMPARED.iter().copied().collect();
    if generated != compared {
        problems.push(format!(
            "fluxgen generated {generated:?}, the comparison covers {compared:?}"
        ));
    }
    for difference in DIFFERENCES {
        assert!(
            compared.contains(difference.file),
            "{} is not compared",
            difference.file
        );
    }
    for field in COMPARED_BY_EFFECT {
        assert!(compared.contains(field.file), "{} is not compared", field.file);
    }
    for file in COMPARED {
        let Some(text) = tree.files.get(*file) else {
            problems.push(format!("{file}: not generated"));
            continue;
        };
        let mut ours = parse(&format!("generated {file}"), text);
        let mut theirs = parse(&format!("reference {file}"), &read(&reference.join(file)));
        for field in COMPARED_BY_EFFECT.iter().filter(|f| f.file == *file) {
            let (parent, key) = split_pointer(field.pointer);
            for (side, object) in [("reference", &mut theirs), ("fluxgen's output", &mut ours)] {
                let removed = object
                    .pointer_mut(parent)
                    .and_then(Value::as_object_mut)
                    .and_then(|map| map.remove(&key));
                if removed.is_none() {
                    problems.push(format!(
                        "{file} {}: not in {side}, so it cannot be compared by effect ({})",
                        field.pointer, field.reason
                    ));
                }
            }
        }
        for difference in DIFFERENCES.iter().filter(|d| d.file == *file) {
            if theirs.pointer(difference.pointer).is_some() {
                problems.push(format!(
                    "{file} {}: the reference sets it too, so it is no intentional difference",
                    difference.pointer
                ));
            }
            if let Err(problem) = remove_difference(&mut ours, difference) {
                problems.push(problem);
            }
        }
        if let Err(problem) = drop_out_of_scope(file, &mut theirs) {
            problems.push(problem);
        }
        problems.extend(diff(&theirs, &ours).into_iter().map(|line| format!("{file} {line}")));
    }
    problems
}

fn report(problems: &[String]) -> String {
    let mut out = String::new();
    for problem in problems {
        let _ = writeln!(out, "  {problem}");
    }
    out
}

#[test]
fn generated_tree_matches_home_ops() {
    let reference = reference_dir();
    let tree = generate(&reference_config());
    assert_eq!(tree.root, "kubernetes/apps/flux-system");
    let problems = compare(&tree, &reference);
    assert!(
        problems.is_empty(),
        "fluxgen's output differs from onedr0p/home-ops:\n{}",
        report(&problems)
    );
}

#[test]
fn every_reference_file_is_compared_or_out_of_scope() {
    let reference = reference_dir();
    let mut found = BTreeSet::new();
    for app in ["flux-operator", "flux-instance"] {
        for dir in [app.to_owned(), format!("{app}/app")] {
            for entry in std::fs::read_dir(reference.join(&dir)).unwrap() {
                let entry = entry.unwrap();
                if entry.file_type().unwrap().is_file() {
                    found.insert(format!("{dir}/{}", entry.file_name().to_string_lossy()));
                }
            }
        }
    }
    let known: BTreeSet<String> = COMPARED.iter().chain(OUT_OF_SCOPE).map(|f| (*f).to_owned()).collect();
    assert_eq!(found, known, "reference files vs COMPARED + OUT_OF_SCOPE");
}

#[test]
fn index_entries_are_listed_in_the_reference_namespace_kustomization() {
    let reference = reference_dir();
    let tree = generate(&reference_config());
    let index = parse(
        "reference kustomization.yaml",
        &read(&reference.join("kustomization.yaml")),
    );
    let listed: Vec<&str> = index["resources"]
        .as_array()
        .expect("the reference namespace kustomization lists resources")
        .iter()
        .filter_map(Value::as_str)
        .filter(|entry| tree.index.entries.iter().any(|ours| ours == entry))
        .collect();
    assert_eq!(
        listed, tree.index.entries,
        "the reference lists fluxgen's entries, in this order"
    );
}

#[test]
fn written_distribution_equals_the_chart_defaults() {
    // The `distribution` difference is only harmless if fluxgen writes what the chart would
    // have defaulted to.
    let values = parse(
        "flux-instance values.yaml",
        &read(&shared_dir().join("charts/flux-instance/values.yaml")),
    );
    let difference = DIFFERENCES
        .iter()
        .find(|d| d.pointer.ends_with("/distribution"))
        .unwrap();
    let written: Value = serde_json::from_str(difference.generated).unwrap();
    for key in ["version", "registry"] {
        assert_eq!(
            written[key], values["instance"]["distribution"][key],
            "distribution.{key}"
        );
    }
}

#[test]
fn the_comparison_reports_a_changed_value() {
    let reference = reference_dir();
    let text = read(&crate_dir().join(CONFIG));
    assert_eq!(text.matches("reconcileArtifactEvery: 1h").count(), 1);
    let tree = generate(&load(
        &text.replace("reconcileArtifactEvery: 1h", "reconcileArtifactEvery: 2h"),
    ));
    let problems = compare(&tree, &reference);
    assert_eq!(
        problems,
        [
            "flux-instance/app/helmrelease.yaml /spec/values/commonAnnotations/fluxcd.controlplane.io~1reconcileArtifactEvery: \
             reference \"1h\", fluxgen \"2h\""
        ],
        "{}",
        report(&problems)
    );
}

// --- the controller patches, compared by effect -------------------------------------------------

/// The controller patches a flux-instance HelmRelease passes to the FluxInstance.
fn patches_of(what: &str, release: &Value) -> Vec<KustomizePatch> {
    let listed = release
        .pointer(PATCHES)
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("{what}: no {PATCHES}"));
    listed
        .iter()
        .map(|entry| {
            let text = |pointer: &str| entry.pointer(pointer).and_then(Value::as_str).map(str::to_owned);
            let target = entry.get("target").map(|target| {
                let known = [
                    "kind",
                    "name",
                    "group",
                    "version",
                    "labelSelector",
                    "annotationSelector",
                ];
                for key in target.as_object().expect("a target is a mapping").keys() {
                    assert!(known.contains(&key.as_str()), "{what}: a target with {key}");
                }
                PatchTarget {
                    kind: text("/target/kind"),
                    name: text("/target/name"),
                    group: text("/target/group"),
                    version: text("/target/version"),
                    label_selector: text("/target/labelSelector"),
                    annotation_selector: text("/target/annotationSelector"),
                    namespace: None,
                }
            });
            KustomizePatch {
                patch: text("/patch").unwrap_or_else(|| panic!("{what}: a patch without text")),
                target,
            }
        })
        .collect()
}

/// home-ops's nine patches, from the reference flux-instance HelmRelease.
fn reference_patches() -> Vec<KustomizePatch> {
    let release = parse(
        "reference helmrelease.yaml",
        &read(&reference_dir().join(INSTANCE_RELEASE)),
    );
    patches_of("reference", &release)
}

/// The patches fluxgen writes into the flux-instance HelmRelease of `tree`.
fn generated_patches(tree: &Tree) -> Vec<KustomizePatch> {
    let text = tree
        .files
        .get(INSTANCE_RELEASE)
        .expect("fluxgen writes the flux-instance HelmRelease");
    patches_of("fluxgen", &parse("generated helmrelease.yaml", text))
}

/// What each of home-ops's controllers runs with after `patches`, applied in-process to the
/// real Deployments.
fn effect(patches: &[KustomizePatch]) -> BTreeMap<Component, Effective> {
    let manifests = flux::manifests();
    CONTROLLERS
        .into_iter()
        .map(|controller| {
            let patched = flux::patched(&manifests[&controller].deployment, patches)
                .unwrap_or_else(|e| panic!("{controller}: {e}"));
            (controller, flux::effective(&patched))
        })
        .collect()
}

/// Every difference between the reference's and fluxgen's effective settings, one line each.
fn effect_differences(
    reference: &BTreeMap<Component, Effective>,
    generated: &BTreeMap<Component, Effective>,
) -> Vec<String> {
    fn maps(out: &mut Vec<String>, what: &str, a: &BTreeMap<String, String>, b: &BTreeMap<String, String>) {
        for key in a.keys().chain(b.keys()).collect::<BTreeSet<_>>() {
            let (x, y) = (a.get(key), b.get(key));
            if x != y {
                let show = |v: Option<&String>| v.map_or("unset".to_owned(), |v| format!("{v:?}"));
                out.push(format!("{what} {key}: reference {}, fluxgen {}", show(x), show(y)));
            }
        }
    }
    let mut out = Vec::new();
    for controller in CONTROLLERS {
        let (a, b) = (&reference[&controller], &generated[&controller]);
        maps(&mut out, &format!("{controller}: arg"), &a.args, &b.args);
        maps(&mut out, &format!("{controller}: feature gate"), &a.gates, &b.gates);
        for (what, x, y) in [
            ("resources", &a.resources, &b.resources),
            ("volumes", &a.volumes, &b.volumes),
        ] {
            if x != y {
                out.push(format!("{controller}: {what}: reference {x}, fluxgen {y}"));
            }
        }
    }
    out
}

#[test]
fn controller_settings_match_home_ops() {
    let reference_patches = reference_patches();
    assert_eq!(reference_patches.len(), 9, "home-ops has nine controller patches");
    let tree = generate(&reference_config());
    let generated_patches = generated_patches(&tree);
    let reference = effect(&reference_patches);
    let generated = effect(&generated_patches);
    let differences = effect_differences(&reference, &generated);
    assert!(
        differences.is_empty(),
        "the controllers run with other settings than home-ops's:\n{}",
        report(&differences)
    );

    // What that means, spelled out: home-ops sets --concurrent on kustomize-controller twice
    // (10, then 20: the last wins); fluxgen once, to 20.
    let manifests = flux::manifests();
    let concurrent = |patches: &[KustomizePatch]| -> Vec<String> {
        let patched = flux::patched(&manifests[&Component::KustomizeController].deployment, patches).unwrap();
        patched
            .pointer(&format!("{}/args", flux::CONTAINER))
            .and_then(Value::as_array)
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .filter(|arg| arg.starts_with("--concurrent="))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(concurrent(&reference_patches), ["--concurrent=10", "--concurrent=20"]);
    assert_eq!(concurrent(&generated_patches), ["--concurrent=20"]);
    let kustomize = &generated[&Component::KustomizeController];
    assert_eq!(kustomize.args["--concurrent"], "20");
    let expected_gates = [
        (Component::SourceController, vec!["CacheSecretsAndConfigMaps"]),
        (Component::KustomizeController, vec!["CancelHealthCheckOnNewRevision"]),
        (
            Component::HelmController,
            vec!["DefaultToRetryOnFailure", "DisableChartDigestTracking", "OOMWatch"],
        ),
        (Component::NotificationController, vec![]),
    ];
    for (controller, gates) in expected_gates {
        let on: Vec<&str> = generated[&controller]
            .gates
            .iter()
            .filter(|(_, value)| *value == "true")
            .map(|(gate, _)| gate.as_str())
            .collect();
        assert_eq!(on, gates, "{controller}");
        assert_eq!(generated[&controller].gates.len(), gates.len(), "{controller}");
    }
    // notification-controller is untouched by both.
    assert_eq!(
        generated[&Component::NotificationController],
        flux::effective(&manifests[&Component::NotificationController].deployment)
    );
}

#[test]
fn explain_reports_the_settings_home_ops_runs_with() {
    let config = reference_config();
    let reports = explain(&config, CLUSTER).unwrap_or_else(|e| panic!("{e}")).controllers;
    // explain is the operator's build (checked against the operator's own in
    // tests/operator_build.rs): its argument rewrites and gates come before home-ops's patches.
    let build = facts::BuildOptions {
        release: facts::latest(),
        namespace: "flux-system",
        cluster_domain: "cluster.local",
        components: &CONTROLLERS,
        storage: false,
        sharding_key: "sharding.fluxcd.io/key",
        shards: &[],
        object_level_workload_identity: false,
    };
    let mut operator: Vec<KustomizePatch> = facts::template_patches(&build).into_iter().map(|(p, _)| p).collect();
    operator.extend(facts::gate_patches(&build).into_iter().map(|(p, _)| p));
    operator.extend(reference_patches());
    let reference = effect(&operator);
    assert_eq!(
        reports.iter().map(|r| r.controller).collect::<Vec<_>>(),
        CONTROLLERS.to_vec()
    );
    for report in &reports {
        let want = &reference[&report.controller];
        let mut args: BTreeMap<String, String> = BTreeMap::new();
        for arg in &report.args {
            // explain also lists the flags a controller has a built-in default for.
            if arg.set_by != "the controller's built-in default" {
                args.insert(arg.flag.clone(), arg.value.clone());
            }
        }
        assert_eq!(args, want.args, "{}: args", report.controller);
        let gates: BTreeMap<String, String> = report
            .feature_gates
            .iter()
            .map(|g| (g.name.clone(), g.value.clone()))
            .collect();
        assert_eq!(gates, want.gates, "{}: feature gates", report.controller);
        let mut resources = BTreeMap::new();
        for (kind, amounts) in want.resources.as_object().unwrap() {
            for (name, amount) in amounts.as_object().unwrap() {
                resources.insert(format!("{kind}.{name}"), amount.as_str().unwrap().to_owned());
            }
        }
        let reported: BTreeMap<String, String> = report
            .resources
            .iter()
            .map(|r| (r.name.clone(), r.value.clone()))
            .collect();
        assert_eq!(reported, resources, "{}: resources", report.controller);
    }
    let kustomize = reports
        .iter()
        .find(|r| r.controller == Component::KustomizeController)
        .unwrap();
    let concurrent = kustomize.args.iter().find(|a| a.flag == "--concurrent").unwrap();
    assert_eq!(concurrent.value, "20");
    assert_eq!(concurrent.set_by, "workers: 20 on kustomize-controller");
    let temp = kustomize.volumes.iter().find(|v| v.name == "temp").unwrap();
    assert_eq!(
        (temp.value.as_str(), temp.set_by.as_str()),
        ("emptyDir (Memory)", "inMemoryBuilds on kustomize-controller")
    );
}

#[test]
fn controller_patches_have_the_same_effect_with_kubectl() {
    let Some(kubectl) = flux::kubectl() else { return };
    let manifests = flux::manifests();
    let files: Vec<(String, String)> = CONTROLLERS
        .iter()
        .map(|c| (manifests[c].file_name(), manifests[c].text()))
        .collect();
    let tree = generate(&reference_config());
    for (what, patches) in [
        ("reference", reference_patches()),
        ("fluxgen", generated_patches(&tree)),
    ] {
        let built = flux::kustomize(&kubectl, &files, &patches).unwrap_or_else(|e| panic!("{what}: kubectl: {e}"));
        let in_process = effect(&patches);
        for controller in CONTROLLERS {
            let deployment = &built[&("Deployment".to_owned(), controller.as_str().to_owned())];
            assert_eq!(
                flux::effective(deployment),
                in_process[&controller],
                "{what}: {controller}: kubectl vs in-process"
            );
        }
    }
}

#[test]
fn the_effect_comparison_reports_a_changed_tuning() {
    let reference = reference_dir();
    let text = read(&crate_dir().join(CONFIG));
    assert_eq!(text.matches("    preset: home-ops\n").count(), 1);
    let changed = text.replace(
        "    preset: home-ops\n",
        "    preset: home-ops\n    memoryLimit: { helm-controller: 3Gi }\n    workers: { kustomize-controller: 15 }\n",
    );
    let tree = generate(&load(&changed));
    // The tree comparison leaves the patches to the effect comparison...
    let problems = compare(&tree, &reference);
    assert!(problems.is_empty(), "{}", report(&problems));
    // ...which names each changed setting.
    let differences = effect_differences(&effect(&reference_patches()), &effect(&generated_patches(&tree)));
    assert_eq!(
        differences,
        [
            r#"kustomize-controller: arg --concurrent: reference "20", fluxgen "15""#,
            r#"helm-controller: resources: reference {"limits":{"cpu":"1000m","memory":"2Gi"},"requests":{"cpu":"100m","memory":"64Mi"}}, fluxgen {"limits":{"cpu":"1000m","memory":"3Gi"},"requests":{"cpu":"100m","memory":"64Mi"}}"#,
        ],
        "{}",
        report(&differences)
    );
}

#[test]
fn the_comparison_reports_a_changed_intentional_difference() {
    // An intentional difference covers one exact value, not the field: another sync name fails.
    let reference = reference_dir();
    let text = read(&crate_dir().join(CONFIG));
    assert_eq!(text.matches("name: flux-system").count(), 1);
    let tree = generate(&load(&text.replace("name: flux-system", "name: home-ops")));
    let problems = compare(&tree, &reference);
    let joined = report(&problems);
    assert!(
        joined.contains("/spec/values/instance/sync/name: intentional difference"),
        "{joined}"
    );
    // The apps' sourceRef follows the sync name and no longer matches either.
    assert!(
        joined.contains("flux-operator/ks.yaml /spec/sourceRef/name"),
        "{joined}"
    );
}

#[test]
fn the_diff_names_every_path() {
    let a: Value = serde_json::from_str(r#"{"a": {"b": 1, "c/d": [1, 2]}, "e": true, "p": "x\ny\n"}"#).unwrap();
    let b: Value = serde_json::from_str(r#"{"a": {"b": 2, "c/d": [1]}, "f": true, "p": "x\nz\n"}"#).unwrap();
    assert_eq!(
        diff(&a, &b),
        [
            "/a/b: reference 1, fluxgen 2",
            "/a/c~1d/1: only in the reference: 2",
            "/e: only in the reference: true",
            "/f: only in fluxgen's output: true",
            r#"/p: line 2: reference "y", fluxgen "z""#,
        ]
    );
    assert!(diff(&a, &a).is_empty());
}
