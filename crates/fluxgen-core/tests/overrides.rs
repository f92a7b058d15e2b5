//! `overrides` against the oracle: for each kind of patch, fluxgen's object must equal what
//! `kubectl kustomize` builds from the same object (emitted without the override) and the same
//! patch. Also: an override that selects nothing, or a JSON pointer that does not exist, is an
//! error naming the override.
//!
//! kubectl is looked up in `<workspace>/.tools/bin` (`scripts/test.sh` installs it), then on
//! `PATH`. Without it the differential test is skipped, except under `CI=true`, where it fails.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::{env, fs};

use fluxgen_core::config::OverridePatch;
use fluxgen_core::{Config, Error, Origin, Phase, plan};
use serde_json::{Value, json};

/// The config every test starts from; `{overrides}` is replaced by an `overrides:` block (or
/// nothing).
const BASE: &str = "\
repository:
  url: https://github.com/example/fleet
  branch: main
defaults:
  operator:
    values:
      serviceMonitor: { create: true }
      web:
        networkPolicy: { create: false }
  instance:
    distribution: { version: 2.9.x }
    cluster: { type: kubernetes, networkPolicy: true }
    sync:
      name: fleet
      path: clusters/{cluster}/sync
      interval: 10m
{overrides}
clusters:
  edge: { phase: instance }
  lab: { phase: operator }
";

/// One override of each kind, as the oracle is given it.
const OVERRIDES: &str = "
  overrides:
    # merge: add a key, delete one with null
    - target: { kind: HelmRelease, name: flux-operator }
      merge:
        spec:
          install:
            remediation: { retries: 3 }
          values:
            web: null
    # json: add a key, replace one
    - target: { kind: OCIRepository, name: flux-operator, file: flux-operator/app/ocirepository.yaml }
      json:
        - { op: add, path: /spec/timeout, value: 2m }
        - { op: replace, path: /spec/ref/tag, value: 0.59.0 }
    # strategic: maps merge, null deletes, lists are replaced, $patch replaces a mapping
    - target: { kind: HelmRelease, name: flux-instance }
      strategic:
        apiVersion: helm.toolkit.fluxcd.io/v2
        kind: HelmRelease
        metadata:
          name: flux-instance
          annotations: { example.com/team: platform }
        spec:
          values:
            instance:
              components: [source-controller, kustomize-controller]
              cluster: { networkPolicy: null, size: small }
              sync: { interval: null }
              distribution: { $patch: replace, version: 2.8.x, registry: ghcr.io/fluxcd }
";

fn config(overrides: &str) -> Config {
    let text = BASE.replace("{overrides}", overrides);
    Config::from_yaml(&text, Origin::BuiltIn).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn parse(text: &str) -> Value {
    serde_saphyr::from_str(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// kubectl from `.tools/bin`, then `PATH`; `None` (after a note) when it is missing outside CI.
fn kubectl() -> Option<PathBuf> {
    let local = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.tools/bin/kubectl");
    let on_path = || {
        env::var_os("PATH").and_then(|path| {
            env::split_paths(&path)
                .map(|dir| dir.join("kubectl"))
                .find(|candidate| candidate.is_file())
        })
    };
    let found = if local.is_file() { Some(local) } else { on_path() };
    if found.is_none() {
        if env::var("CI").as_deref() == Ok("true") {
            panic!("kubectl not found in .tools/bin or on PATH, and CI=true requires it: run scripts/test.sh");
        }
        eprintln!("skipping: kubectl not found");
    }
    found
}

/// What `kubectl kustomize` builds from `object` (a file's text) and one kustomize patch.
fn kustomize(kubectl: &Path, object: &str, patch: &str, target: &Value) -> Value {
    kustomize_result(kubectl, object, patch, target).unwrap_or_else(|e| panic!("{e}"))
}

/// [`kustomize`], with kubectl's error when it fails.
fn kustomize_result(kubectl: &Path, object: &str, patch: &str, target: &Value) -> Result<Value, String> {
    let dir = tempfile::tempdir().expect("a temp dir");
    fs::write(dir.path().join("object.yaml"), object).expect("writing the object");
    // JSON is YAML: the kustomization and the patch text are written as JSON.
    let kustomization = json!({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": ["object.yaml"],
        "patches": [{"patch": patch, "target": target}],
    });
    fs::write(dir.path().join("kustomization.yaml"), kustomization.to_string()).expect("writing the kustomization");
    let output = Command::new(kubectl)
        .arg("kustomize")
        .arg(dir.path())
        .output()
        .expect("running kubectl");
    if output.status.success() {
        Ok(parse(&String::from_utf8_lossy(&output.stdout)))
    } else {
        Err(format!(
            "kubectl kustomize failed: {}\n{kustomization:#}",
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

#[test]
fn overrides_give_what_kubectl_kustomize_gives() {
    let plain = plan(&config(""), "edge").unwrap();
    let overridden_config = config(OVERRIDES);
    let overridden = plan(&overridden_config, "edge").unwrap();
    let overrides = &overridden_config.clusters["edge"].settings.overrides;
    assert_eq!(overrides.len(), 3);

    // Without kubectl the expected effects are still checked by hand.
    let operator = parse(&overridden.files["flux-operator/app/helmrelease.yaml"]);
    assert_eq!(operator["spec"]["install"], json!({"remediation": {"retries": 3}}));
    assert_eq!(operator["spec"]["values"], json!({"serviceMonitor": {"create": true}}));
    let source = parse(&overridden.files["flux-operator/app/ocirepository.yaml"]);
    assert_eq!(source["spec"]["timeout"], "2m");
    assert_eq!(source["spec"]["ref"]["tag"], "0.59.0");
    let instance = parse(&overridden.files["flux-instance/app/helmrelease.yaml"]);
    assert_eq!(
        instance["spec"]["values"]["instance"]["components"],
        json!(["source-controller", "kustomize-controller"])
    );
    assert_eq!(
        instance["spec"]["values"]["instance"]["cluster"],
        json!({"type": "kubernetes", "size": "small"})
    );
    // The other files are untouched.
    for path in [
        "flux-instance/app/ocirepository.yaml",
        "flux-operator/ks.yaml",
        "flux-instance/ks.yaml",
    ] {
        assert_eq!(overridden.files[path], plain.files[path], "{path}");
    }

    let Some(kubectl) = kubectl() else { return };
    for (change, path) in overrides.iter().zip([
        "flux-operator/app/helmrelease.yaml",
        "flux-operator/app/ocirepository.yaml",
        "flux-instance/app/helmrelease.yaml",
    ]) {
        let object = &plain.files[path];
        let parsed = parse(object);
        let target = json!({"kind": change.target.kind, "name": change.target.name});
        // kustomize has no RFC 7396 form: a merge patch goes in as a strategic-merge patch,
        // which for these objects (custom resources) merges the same way.
        let patch = match &change.patch {
            OverridePatch::Merge(patch) | OverridePatch::Strategic(patch) => {
                let mut document = patch.clone();
                document["apiVersion"] = parsed["apiVersion"].clone();
                document["kind"] = parsed["kind"].clone();
                document["metadata"]["name"] = parsed["metadata"]["name"].clone();
                document.to_string()
            }
            OverridePatch::Json(operations) => Value::Array(operations.clone()).to_string(),
        };
        let oracle = kustomize(&kubectl, object, &patch, &target);
        let ours = parse(&overridden.files[path]);
        assert_eq!(
            ours, oracle,
            "{path}: fluxgen and kubectl kustomize differ for {}",
            change.target
        );
    }
}

#[test]
fn overrides_reach_the_kustomization_files() {
    let config = config(
        "
  overrides:
    - target: { kind: Kustomization, group: kustomize.config.k8s.io, file: flux-instance/app/kustomization.yaml }
      json:
        - { op: add, path: /resources/-, value: ./extra.yaml }
    - target: { kind: Kustomization, name: flux-instance }
      merge:
        spec: { timeout: 5m }
",
    );
    let tree = plan(&config, "edge").unwrap();
    let file = parse(&tree.files["flux-instance/app/kustomization.yaml"]);
    assert_eq!(file["resources"].as_array().unwrap().last().unwrap(), "./extra.yaml");
    let operator_file = parse(&tree.files["flux-operator/app/kustomization.yaml"]);
    assert!(!operator_file["resources"].to_string().contains("extra"));
    // The Flux Kustomization of the same kind is told apart by its name (and group).
    let ks = parse(&tree.files["flux-instance/ks.yaml"]);
    assert_eq!(ks["spec"]["timeout"], "5m");
    assert_eq!(file.get("spec"), None);
}

fn override_error(overrides: &str, cluster: &str) -> (usize, String, String) {
    match plan(&config(overrides), cluster) {
        Err(Error::Override {
            cluster: named,
            index,
            target,
            reason,
            ..
        }) => {
            assert_eq!(named, cluster);
            (index, target, reason)
        }
        other => panic!("expected an override error, got {other:?}"),
    }
}

#[test]
fn a_missing_json_pointer_is_an_error_naming_the_override_and_the_path() {
    let (index, target, reason) = override_error(
        "
  overrides:
    - target: { kind: OCIRepository }
      json: [{ op: add, path: /spec/timeout, value: 2m }]
    - target: { kind: OCIRepository, name: flux-operator }
      json: [{ op: replace, path: /spec/ref/semver, value: 0.x }]
",
        "edge",
    );
    assert_eq!((index, target.as_str()), (1, "OCIRepository/flux-operator"));
    assert_eq!(
        reason,
        "flux-operator/app/ocirepository.yaml: operation 0 (`replace`): the JSON pointer `/spec/ref/semver` does not exist"
    );
    let message = plan(
        &config(
            "
  overrides:
    - target: { kind: HelmRelease }
      json: [{ op: remove, path: /spec/nothing }]
",
        ),
        "edge",
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        message,
        "cluster `edge`: <built-in example>:19:7: defaults.overrides[0] (HelmRelease): \
         flux-operator/app/helmrelease.yaml: operation 0 (`remove`): \
         the JSON pointer `/spec/nothing` does not exist"
    );
}

/// Found by fuzzing (`fuzz/regressions/tuning/move-to-root-then-fail`): json-patch panicked
/// undoing a `move` to the document root when a later operation of the list failed.
#[test]
fn a_failing_operation_after_a_move_to_the_root_is_an_error_not_a_panic() {
    let (index, target, reason) = override_error(
        "
  overrides:
    - target: { kind: Kustomization }
      json:
        - { op: move, from: /spec/interval, path: \"\" }
        - { op: add, path: /spec/interval, value: 5m }
",
        "edge",
    );
    assert_eq!((index, target.as_str()), (0, "Kustomization"));
    assert_eq!(
        reason,
        "flux-operator/ks.yaml: operation 1 (`add`): the JSON pointer `/spec/interval` does not exist \
         (its parent is missing or the index is past the end)"
    );
}

#[test]
fn a_strategic_patch_that_changes_a_type_is_an_error() {
    let (index, _, reason) = override_error(
        "
  overrides:
    - target: { kind: HelmRelease, name: flux-operator }
      strategic: { spec: { interval: { every: 1h } } }
",
        "edge",
    );
    assert_eq!(index, 0);
    assert!(
        reason.contains("`/spec/interval` is a scalar in the object but a mapping in the patch"),
        "{reason}"
    );
}

#[test]
fn an_override_that_selects_nothing_is_an_error() {
    let (index, target, reason) = override_error(
        "
  overrides:
    - target: { kind: HelmRelease, name: flux-operator }
      merge: { spec: { timeout: 5m } }
    - target: { kind: HelmRelease, name: flux-operatr }
      merge: { spec: { timeout: 5m } }
",
        "edge",
    );
    assert_eq!((index, target.as_str()), (1, "HelmRelease/flux-operatr"));
    assert!(
        reason.starts_with("selects no object of the cluster (at phase `instance` fluxgen emits "),
        "{reason}"
    );
    assert!(
        reason.contains("flux-operator/app/helmrelease.yaml (HelmRelease flux-operator, helm.toolkit.fluxcd.io)"),
        "{reason}"
    );
    // A file that fluxgen does not write.
    let (_, target, _) = override_error(
        "
  overrides:
    - target: { kind: HelmRelease, file: flux-operator/helmrelease.yaml }
      merge: { spec: { timeout: 5m } }
",
        "edge",
    );
    assert_eq!(target, "HelmRelease in flux-operator/helmrelease.yaml");
}

#[test]
fn an_override_waits_for_the_app_its_phase_does_not_emit_yet() {
    let overrides = "
  overrides:
    - target: { kind: HelmRelease, name: flux-instance }
      merge: { spec: { timeout: 5m } }
    - target: { kind: HelmRelease, name: flux-operator }
      merge: { spec: { timeout: 10m } }
";
    let config = config(overrides);
    assert_eq!(config.clusters["lab"].phase, Phase::Operator);
    let tree = plan(&config, "lab").expect("the flux-instance override waits for phase instance");
    assert!(!tree.files.contains_key("flux-instance/app/helmrelease.yaml"));
    let operator = parse(&tree.files["flux-operator/app/helmrelease.yaml"]);
    assert_eq!(operator["spec"]["timeout"], "10m");

    // One that no phase would select is an error at every phase.
    let (index, _, reason) = override_error(
        "
  overrides:
    - target: { kind: HelmRelease, name: flux-instance }
      merge: { spec: { timeout: 5m } }
    - target: { kind: Deployment }
      merge: { spec: { replicas: 2 } }
",
        "lab",
    );
    assert_eq!(index, 1);
    assert!(reason.contains("at phase `operator`"), "{reason}");
}

/// A HelmRelease with what strategic merges can trip on: lists of named items, scalar lists,
/// nested mappings, annotations.
const RELEASE: &str = "\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: flux-instance
  annotations: { a: '1', b: '2' }
spec:
  interval: 1h
  install: { remediation: { retries: -1 } }
  values:
    scalars: [a, b, c]
    named:
      - { name: x, v: 1, keep: k }
      - { name: 'y', v: 2 }
    instance:
      components: [source-controller, kustomize-controller]
      cluster: { networkPolicy: true, type: kubernetes }
";

#[test]
fn strategic_patches_merge_as_kubectl_kustomize_merges_them() {
    let cases = [
        // Mappings merge, null deletes (absent keys too), new mappings lose their nulls.
        json!({"spec": {"install": null, "absent": null, "fresh": {"a": null, "b": 1, "deep": {"c": null}},
                        "values": {"instance": {"cluster": {"networkPolicy": null, "size": "large"}}}}}),
        // Lists are replaced whole, even lists of named items, nulls inside kept.
        json!({"spec": {"values": {"scalars": ["d"], "named": [{"name": "y", "v": 20}, {"name": "x", "keep": null}]}}}),
        json!({"spec": {"values": {"named": [], "scalars": null}}}),
        // $patch on mappings.
        json!({"spec": {"install": {"$patch": "delete"}, "gone": {"$patch": "delete"},
                        "values": {"instance": {"$patch": "replace", "sync": {"a": null, "b": 1}, "x": {"$patch": "delete"}}},
                        "upgrade": {"$patch": "replace"}}}),
        json!({"metadata": {"annotations": {"$patch": "delete"}}, "spec": {"values": {"$patch": "merge", "k": true}}}),
        json!({"metadata": {"annotations": {"$patch": "replace", "c": "3"}, "labels": {"l": "x"}}}),
        // The patch's identity is ignored.
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "other", "namespace": "ns"},
               "spec": {"interval": "2h"}}),
        // A change of type fails on both sides.
        json!({"spec": {"interval": {"every": "1h"}}}),
        json!({"spec": {"install": 5}}),
        json!({"spec": {"values": {"named": {"$patch": "delete"}}}}),
        json!({"spec": {"values": {"scalars": "a"}}}),
    ];
    let object = parse(RELEASE);
    let mut ours = Vec::new();
    for patch in &cases {
        let change = fluxgen_core::config::Override {
            target: fluxgen_core::config::OverrideTarget {
                kind: "HelmRelease".into(),
                group: None,
                name: None,
                file: None,
            },
            patch: OverridePatch::Strategic(patch.clone()),
        };
        let mut result = object.clone();
        ours.push(change.apply(&mut result).map(|()| result));
    }
    let Some(kubectl) = kubectl() else { return };
    for (patch, ours) in cases.iter().zip(ours) {
        let mut document = patch.clone();
        document["apiVersion"] = json!("helm.toolkit.fluxcd.io/v2");
        document["kind"] = json!("HelmRelease");
        document["metadata"]["name"] = json!("flux-instance");
        let oracle = kustomize_result(
            &kubectl,
            RELEASE,
            &document.to_string(),
            &json!({"kind": "HelmRelease"}),
        );
        match (ours, oracle) {
            (Ok(ours), Ok(oracle)) => assert_eq!(ours, oracle, "{patch}"),
            (Err(ours), Err(oracle)) => {
                assert!(oracle.contains("wrong node kind"), "{patch}: kubectl: {oracle}");
                assert!(
                    ours.contains("cannot change a value's type"),
                    "{patch}: fluxgen: {ours}"
                );
            }
            (ours, oracle) => panic!("{patch}: fluxgen gives {ours:?}, kubectl kustomize {oracle:?}"),
        }
    }
}
