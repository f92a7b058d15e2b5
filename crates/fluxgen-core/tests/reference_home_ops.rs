//! Matching the reference: `tests/reference/onedr0p-home-ops.yaml` describes onedr0p/home-ops's
//! Flux setup, and the tree fluxgen generates from it must equal the files of
//! `refs/onedr0p__home-ops/kubernetes/apps/flux-system/flux-{operator,instance}/` as parsed
//! YAML, except for the named intentional differences in [`DIFFERENCES`].
//!
//! The reference files are read from `$FLUXGEN_SHARED/refs/onedr0p__home-ops/` (`FLUXGEN_SHARED`
//! defaults to `<workspace root>/../shared`).
//!
//! Text-level details (comments, key order, quoting, fluxgen's marker line) are not compared:
//! both sides are parsed with serde-saphyr into JSON values first.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use fluxgen_core::{Config, Origin, Tree, plan};
use serde_json::Value;

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
        file: "flux-instance/app/helmrelease.yaml",
        pointer: "/metadata/annotations",
        generated: r#"{"kustomize.toolkit.fluxcd.io/prune": "disabled"}"#,
        reason: "pruning the flux-instance HelmRelease uninstalls the FluxInstance, which deletes every Flux object",
    },
    Difference {
        file: "flux-instance/app/helmrelease.yaml",
        pointer: "/spec/values/instance/distribution",
        generated: r#"{"registry": "ghcr.io/fluxcd", "version": "2.x"}"#,
        reason: "version and registry are required by the FluxInstance CRD; home-ops relies on the chart defaults, the same values",
    },
    Difference {
        file: "flux-instance/app/helmrelease.yaml",
        pointer: "/spec/values/instance/sync/name",
        generated: r#""flux-system""#,
        reason: "sync.name is immutable, so fluxgen writes it instead of relying on the default (the namespace, the same value)",
    },
];

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
    for file in COMPARED {
        let Some(text) = tree.files.get(*file) else {
            problems.push(format!("{file}: not generated"));
            continue;
        };
        let mut ours = parse(&format!("generated {file}"), text);
        let mut theirs = parse(&format!("reference {file}"), &read(&reference.join(file)));
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
fn the_comparison_reports_a_changed_patch() {
    let reference = reference_dir();
    let text = read(&crate_dir().join(CONFIG));
    assert_eq!(text.matches("memory: 2Gi").count(), 1);
    let tree = generate(&load(&text.replace("memory: 2Gi", "memory: 3Gi")));
    let problems = compare(&tree, &reference);
    assert_eq!(problems.len(), 1, "{}", report(&problems));
    assert!(
        problems[0].starts_with("flux-instance/app/helmrelease.yaml /spec/values/instance/kustomize/patches/1/patch: "),
        "{}",
        problems[0]
    );
    assert!(
        problems[0].ends_with(r#"line 12: reference "              memory: 2Gi", fluxgen "              memory: 3Gi""#),
        "{}",
        problems[0]
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
