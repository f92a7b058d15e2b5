//! The flux-instance chart is the oracle for what fluxgen's `helmrelease` mode means: the
//! values fluxgen writes into the HelmRelease are rendered with `helm template` and the real
//! chart (`$FLUXGEN_SHARED/charts/flux-instance`, 0.49.0's templates), and the FluxInstance the
//! chart renders must pass the FluxInstance CRD (schema and CEL rules) and equal, field by field,
//! the FluxInstance fluxgen writes in `manifest` mode for the same config, as the API server
//! stores them (the CRD's defaults applied to both) and as the operator reads them.
//!
//! What "as the operator reads them" allows, each from flux-operator v0.58.1 (commit
//! 17c6aeaddd8dacd5fbd4dd9e1bfe23a0a59df1fb): `spec.components` empty is the four default
//! controllers (`api/v1/fluxinstance_types.go`, `GetComponents`); `cluster.tenantDefaultServiceAccount`
//! empty is `default` (`internal/builder/profiles.go`, `GetProfileMultitenant`); an empty
//! `kustomize.patches` is no patch; and `distribution.artifact` unset builds from the manifests
//! inside the operator image (`internal/controller/fluxinstance_controller.go`), which are the
//! manifests the operator release pushed as `flux-operator-manifests:v<release>` - the artifact
//! fluxgen pins in helmrelease mode, where the chart would otherwise render `:latest`.

#[allow(dead_code)]
mod support;

use std::fs;
use std::process::Command;

use fluxgen_core::config::InstanceMode;
use fluxgen_core::{Config, Origin, Phase, facts, plan};
use serde_json::{Value, json};
use support::schema::{Checked, Crds};

const FLUXINSTANCE_CRD: &str = "fluxinstances.fluxcd.controlplane.io.yaml";

/// A config that sets every FluxInstance field fluxgen has a key for.
const EVERY_FIELD: &str = r#"
repository: { url: https://github.com/example/fleet, ref: refs/tags/v1.2.0, pullSecret: fleet-app }
clusters:
  edge:
    phase: instance
    operator: { version: 0.58.1 }
    instance:
      distribution:
        version: 2.9.x
        registry: registry.example.com/fluxcd
        variant: upstream-alpine
        artifactPullSecret: artifact-pull
        imagePullSecret: image-pull
      components: [source-controller, kustomize-controller, helm-controller, notification-controller,
                   image-reflector-controller, image-automation-controller, source-watcher]
      cluster:
        type: aws
        size: large
        domain: cluster.internal
        networkPolicy: false
        multitenant: true
        tenantDefaultServiceAccount: flux-tenant
        objectLevelWorkloadIdentity: true
      commonMetadata: { labels: { team: platform }, annotations: { example.com/owner: "yes" } }
      sharding: { key: example.com/shard, shards: [shard1, shard2] }
      storage: { class: standard, size: 10Gi }
      sync: { name: fleet, path: clusters/edge, interval: 10m, provider: github }
    tuning:
      workers: 8
      featureGates: { helm-controller: { DisableChartDigestTracking: true } }
"#;

/// A multi-tenant cluster on Flux 2.7 with the chart's defaults left alone where fluxgen writes
/// nothing (components, domain, network policy, tenants' service account).
const SPARSE_2_7: &str = r"
repository: { url: ssh://git@github.com/example/fleet }
clusters:
  edge:
    phase: instance
    instance:
      distribution: { version: 2.7.x }
      cluster: { multitenant: true }
";

/// The cluster `edge` of `text` at phase `instance`, in `mode`.
fn config(text: &str, mode: InstanceMode) -> Config {
    let mut config = Config::from_yaml(text, Origin::BuiltIn).unwrap_or_else(|e| panic!("{e}"));
    let edge = config.clusters.get_mut("edge").expect("a cluster edge");
    edge.phase = Phase::Instance;
    edge.settings.instance.mode = mode;
    config
}

/// The object of `kind` among the files fluxgen plans for `edge`.
fn planned(config: &Config, kind: &str) -> Value {
    plan(config, "edge")
        .unwrap_or_else(|e| panic!("{e}"))
        .files
        .values()
        .flat_map(|text| support::documents(text).expect("emitted YAML parses"))
        .find(|d| d["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} planned"))
}

/// The FluxInstance `helm template` renders from the chart with the HelmRelease's values.
fn rendered(helm: &std::path::Path, release: &Value) -> Value {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let values = dir.path().join("values.yaml");
    fs::write(&values, release["spec"]["values"].to_string()).expect("writing the values");
    let chart = support::shared_dir().join("charts/flux-instance");
    let output = Command::new(helm)
        .args(["template", "flux"])
        .arg(&chart)
        .args(["--namespace", "flux-system", "--values"])
        .arg(&values)
        .output()
        .expect("running helm");
    assert!(
        output.status.success(),
        "helm template failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    support::documents(&stdout)
        .expect("helm's output parses")
        .into_iter()
        .find(|d| d["kind"] == "FluxInstance")
        .expect("the chart renders a FluxInstance")
}

/// The CRD's `default`s applied to `value` where `schema` has them, as the API server does.
fn defaulted(schema: &Value, value: &mut Value) {
    let Some(object) = value.as_object_mut() else {
        if let (Some(items), Some(list)) = (schema.get("items"), value.as_array_mut()) {
            list.iter_mut().for_each(|item| defaulted(items, item));
        }
        return;
    };
    if let Some(Value::Object(properties)) = schema.get("properties") {
        for (key, property) in properties {
            if let (None, Some(default)) = (object.get(key), property.get("default")) {
                object.insert(key.clone(), default.clone());
            }
            if let Some(child) = object.get_mut(key) {
                defaulted(property, child);
            }
        }
    }
}

/// The FluxInstance's spec as the API server stores it and the operator reads it (see the module
/// documentation for each step), with the artifact unset replaced by the operator's own.
fn as_the_operator_reads(instance: &Value, operator_version: &str) -> Value {
    let crd =
        support::documents(&fs::read_to_string(support::shared_dir().join("crds").join(FLUXINSTANCE_CRD)).unwrap())
            .unwrap()
            .remove(0);
    let schema = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"];
    let mut instance = instance.clone();
    defaulted(schema, &mut instance);
    let spec = &mut instance["spec"];
    if spec["components"].as_array().is_none_or(Vec::is_empty) {
        spec["components"] = json!([
            "source-controller",
            "kustomize-controller",
            "helm-controller",
            "notification-controller"
        ]);
    }
    if spec["cluster"]["tenantDefaultServiceAccount"]
        .as_str()
        .is_none_or(str::is_empty)
    {
        spec["cluster"]["tenantDefaultServiceAccount"] = json!("default");
    }
    if spec["kustomize"]["patches"].as_array().is_some_and(Vec::is_empty) {
        spec.as_object_mut().expect("a spec").remove("kustomize");
    }
    if spec["distribution"].get("artifact").is_none() {
        spec["distribution"]["artifact"] = json!(facts::pinned_artifact(operator_version));
    }
    instance["spec"].clone()
}

/// Every field where two specs differ, as `path: a != b`.
fn differences(path: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for key in keys {
                differences(
                    &format!("{path}/{key}"),
                    x.get(key).unwrap_or(&Value::Null),
                    y.get(key).unwrap_or(&Value::Null),
                    out,
                );
            }
        }
        _ if a != b => out.push(format!("{path}: {a} != {b}")),
        _ => {}
    }
}

#[test]
fn the_chart_renders_the_flux_instance_fluxgen_writes_in_manifest_mode() {
    let Some(helm) = support::tool("helm") else { return };
    let crds = Crds::load();
    let example = fluxgen_core::config::EXAMPLE_CONFIG;
    for (name, text) in [
        ("the built-in example", example),
        ("every field", EVERY_FIELD),
        ("sparse 2.7", SPARSE_2_7),
    ] {
        let chart_config = config(text, InstanceMode::Helmrelease);
        let operator_version = chart_config.clusters["edge"].settings.operator.version.clone();
        let release = planned(&chart_config, "HelmRelease");
        let from_chart = rendered(&helm, &release);
        let manifest = planned(&config(text, InstanceMode::Manifest), "FluxInstance");
        for instance in [&from_chart, &manifest] {
            assert_eq!(crds.check(instance), Ok(Checked::Crd), "{name}");
            if let Some(rules) = support::cel::check(FLUXINSTANCE_CRD, instance) {
                rules.unwrap_or_else(|failures| panic!("{name}: {failures}"));
            }
        }
        // The name; the namespace of the manifest comes from its Flux Kustomization.
        assert_eq!(from_chart["metadata"]["name"], manifest["metadata"]["name"], "{name}");
        // The chart never renders its `:latest` default: the artifact is pinned to the operator.
        assert_eq!(
            from_chart["spec"]["distribution"]["artifact"],
            json!(facts::pinned_artifact(&operator_version)),
            "{name}"
        );
        let mut found = Vec::new();
        differences(
            "spec",
            &as_the_operator_reads(&from_chart, &operator_version),
            &as_the_operator_reads(&manifest, &operator_version),
            &mut found,
        );
        assert!(
            found.is_empty(),
            "{name}: the chart's FluxInstance differs:\n{}",
            found.join("\n")
        );
    }
}

#[test]
fn an_unpinned_artifact_is_what_the_chart_renders_as_latest() {
    // The trap the pin closes: the chart's own default, rendered from values without an artifact.
    let Some(helm) = support::tool("helm") else { return };
    let chart_config = config(SPARSE_2_7, InstanceMode::Helmrelease);
    let mut release = planned(&chart_config, "HelmRelease");
    release["spec"]["values"]["instance"]["distribution"]
        .as_object_mut()
        .expect("distribution values")
        .remove("artifact");
    assert_eq!(
        rendered(&helm, &release)["spec"]["distribution"]["artifact"],
        "oci://ghcr.io/controlplaneio-fluxcd/flux-operator-manifests:latest"
    );
    // A user's own artifact is kept as written.
    let text = SPARSE_2_7.replace(
        "distribution: { version: 2.7.x }",
        "distribution: { version: 2.7.x, artifact: \"oci://registry.example.com/manifests:v1\" }",
    );
    let release = planned(&config(&text, InstanceMode::Helmrelease), "HelmRelease");
    assert_eq!(
        rendered(&helm, &release)["spec"]["distribution"]["artifact"],
        "oci://registry.example.com/manifests:v1"
    );
}

#[test]
fn an_operator_that_does_not_ship_the_flux_version_is_refused_with_the_one_needed() {
    let text = "repository: { url: ssh://git@github.com/example/fleet }\n\
                clusters:\n  edge:\n    operator: { version: 0.52.0 }\n    instance: { distribution: { version: 2.9.x } }\n";
    let error = Config::from_yaml(text, Origin::BuiltIn).unwrap_err().to_string();
    assert!(
        error.contains(
            "clusters.edge.operator.version: operator 0.52.0 ships no Flux release matching `2.9.x` \
                        (its newest is v2.8.8): Flux v2.9.0 arrived with operator 0.53.0; set `operator.version` to \
                        0.53.0 or later"
        ),
        "{error}"
    );
    let exact = text.replace("0.52.0", "0.57.0").replace("2.9.x", "2.9.4");
    let error = Config::from_yaml(&exact, Origin::BuiltIn).unwrap_err().to_string();
    assert!(error.contains("Flux v2.9.4 arrived with operator 0.58.0"), "{error}");
    let fits = text.replace("0.52.0", "0.53.0");
    Config::from_yaml(&fits, Origin::BuiltIn).unwrap_or_else(|e| panic!("{e}"));
}
