//! Differential tests against the real components. Every file fluxgen plans, for every cluster of
//! the built-in example and of every scenario in `tests/scenarios/`, must pass:
//! - its CRD's `openAPIV3Schema` (served version, unknown fields rejected), and HelmRelease values
//!   the FluxInstance CRD and the charts' `values.schema.json` (the `jsonschema` crate: always run);
//! - `kubectl kustomize` on each kustomization directory, building exactly the listed objects;
//! - `yamllint -s` with the workspace's `.yamllint.yaml`.
//!
//! `scripts/test.sh` installs the tools. Where one is missing the test is skipped with a note on
//! stderr, except under `CI=true`, where it fails. Each check has a test proving it can fail.

#[allow(dead_code)]
mod support;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::{Value, json};
use support::schema::{Chart, Checked, Crds, compile, errors, structural_to_json_schema};
use support::trees::{self, Planned};
use support::{document, kubectl, tool, yamllint};

const FLUX_INSTANCE_API: &str = "fluxcd.controlplane.io/v1";

/// Every document of a tree, parsed, by path.
fn objects(planned: &Planned) -> BTreeMap<&str, Value> {
    planned
        .files
        .iter()
        .map(|(path, text)| {
            let doc = document(text).unwrap_or_else(|e| panic!("{}: {path}: {e}", planned.label));
            (path.as_str(), doc)
        })
        .collect()
}

/// The example's edge cluster, the base the failing cases edit.
fn example_edge() -> Planned {
    trees::example()
        .into_iter()
        .find(|p| p.label == "example/edge")
        .expect("the example has an edge cluster")
}

fn example_object(path: &str) -> Value {
    let edge = example_edge();
    document(&edge.files[path]).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn assert_fails_with<T: std::fmt::Debug>(result: Result<T, String>, needle: &str) {
    match result {
        Ok(value) => panic!("the check accepted what it must reject (expected an error with `{needle}`): {value:?}"),
        Err(message) => assert!(
            message.contains(needle),
            "the error does not mention `{needle}`:\n{message}"
        ),
    }
}

// --- CRD schemas ------------------------------------------------------------------------------

#[test]
fn every_emitted_object_matches_its_crd() {
    let crds = Crds::load();
    let (mut checked, mut failures) = (0, Vec::new());
    for planned in trees::all() {
        for (path, object) in objects(&planned) {
            match crds.check(&object) {
                Ok(Checked::Crd) => checked += 1,
                Ok(Checked::NotACrd) => {}
                Err(e) => failures.push(format!("{}: {path}:\n{e}", planned.label)),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "objects that break their CRD:\n\n{}",
        failures.join("\n\n")
    );
    assert!(checked > 0, "no object was checked against a CRD");
}

#[test]
fn crd_check_rejects_an_unknown_spec_field() {
    let crds = Crds::load();
    let mut repository = example_object("flux-operator/app/ocirepository.yaml");
    assert_eq!(crds.check(&repository), Ok(Checked::Crd));
    repository["spec"]["chartVersion"] = json!("0.58.1");
    assert_fails_with(crds.check(&repository), "chartVersion");
    let mut nested = example_object("flux-operator/app/ocirepository.yaml");
    nested["spec"]["ref"]["version"] = json!("0.58.1");
    assert_fails_with(crds.check(&nested), "version");
}

#[test]
fn crd_check_rejects_a_helmrelease_without_interval() {
    let crds = Crds::load();
    let mut release = example_object("flux-operator/app/helmrelease.yaml");
    assert_eq!(crds.check(&release), Ok(Checked::Crd));
    release["spec"].as_object_mut().expect("a spec").remove("interval");
    assert_fails_with(crds.check(&release), "interval");
}

#[test]
fn crd_check_rejects_bad_metadata() {
    let crds = Crds::load();
    let mut nameless = example_object("flux-operator/app/helmrelease.yaml");
    nameless["metadata"].as_object_mut().expect("metadata").remove("name");
    assert_fails_with(crds.check(&nameless), "name");
    let mut capitalised = example_object("flux-operator/app/helmrelease.yaml");
    capitalised["metadata"]["name"] = json!("Flux-Operator");
    assert_fails_with(crds.check(&capitalised), "Flux-Operator");
    let mut flag = example_object("flux-operator/app/helmrelease.yaml");
    flag["metadata"]["annotations"] = json!({ "kustomize.toolkit.fluxcd.io/prune": false });
    assert_fails_with(crds.check(&flag), "prune");
    let mut bare = example_object("flux-operator/app/helmrelease.yaml");
    bare.as_object_mut().expect("an object").remove("metadata");
    assert_fails_with(crds.check(&bare), "metadata");
}

#[test]
fn crd_check_rejects_an_unserved_version_and_an_unknown_kind() {
    let crds = Crds::load();
    let secret = example_object("flux-instance/app/externalsecret.yaml");
    assert_eq!(crds.check(&secret), Ok(Checked::Crd));
    let mut old = secret.clone();
    old["apiVersion"] = json!("external-secrets.io/v1beta1");
    assert_fails_with(crds.check(&old), "external-secrets.io/v1beta1");
    let mut unknown = secret;
    unknown["kind"] = json!("ClusterExternalSecret");
    assert_fails_with(crds.check(&unknown), "ClusterExternalSecret");
}

#[test]
fn structural_schemas_become_closed_json_schemas() {
    let schema = structural_to_json_schema(&json!({
        "type": "object",
        "properties": {
            "port": { "x-kubernetes-int-or-string": true },
            "values": { "type": "object", "x-kubernetes-preserve-unknown-fields": true },
            "labels": { "type": "object", "additionalProperties": { "type": "string" } },
            "time": { "type": "string", "nullable": true },
            "rules": { "type": "array", "items": { "type": "object", "properties": { "name": { "type": "string" } } },
                       "x-kubernetes-list-type": "atomic" },
        },
        "x-kubernetes-validations": [{ "rule": "self.port != 0" }],
    }));
    let validator = compile(&schema);
    let accepted = json!({
        "port": 8080, "values": { "any": { "thing": 1 } }, "labels": { "a": "b" }, "time": null,
        "rules": [{ "name": "x" }],
    });
    assert_eq!(errors(&validator, &accepted), Ok(()));
    assert_eq!(errors(&validator, &json!({ "port": "http" })), Ok(()));
    assert_fails_with(errors(&validator, &json!({ "port": true })), "/port");
    assert_fails_with(errors(&validator, &json!({ "extra": 1 })), "extra");
    assert_fails_with(
        errors(&validator, &json!({ "rules": [{ "name": "x", "extra": 1 }] })),
        "/rules/0",
    );
    assert_fails_with(errors(&validator, &json!({ "labels": { "a": 1 } })), "/labels/a");
    assert!(
        !schema.to_string().contains("x-kubernetes"),
        "x-kubernetes keys are dropped: {schema}"
    );
}

// --- HelmRelease values -----------------------------------------------------------------------

/// The chart a HelmRelease installs: the last path segment of the URL of the OCIRepository its
/// `chartRef` names.
fn chart_of<'a>(release: &Value, objects: impl IntoIterator<Item = &'a Value>) -> Result<String, String> {
    let chart_ref = &release["spec"]["chartRef"];
    if chart_ref["kind"] != "OCIRepository" {
        return Err(format!("chartRef is not an OCIRepository: {chart_ref}"));
    }
    let repository = objects
        .into_iter()
        .find(|o| o["kind"] == "OCIRepository" && o["metadata"]["name"] == chart_ref["name"])
        .ok_or_else(|| format!("no OCIRepository {} in the tree", chart_ref["name"]))?;
    let url = repository["spec"]["url"]
        .as_str()
        .ok_or("the OCIRepository has no url")?;
    Ok(url.rsplit('/').next().unwrap_or(url).to_owned())
}

/// A HelmRelease's values against its chart's schema (over the chart's defaults) and, for the
/// flux-instance chart, `values.instance` against the FluxInstance CRD's `spec`.
fn check_values(crds: &Crds, chart: &Chart, values: &Value) -> Result<(), String> {
    let mut problems = Vec::new();
    if let Err(e) = chart.check(values) {
        problems.push(format!("{} values.schema.json:\n{e}", chart.name()));
    }
    if chart.name() == "flux-instance" {
        match values.get("instance") {
            None => problems.push("values.instance is missing".to_owned()),
            Some(instance) => {
                if let Err(e) = crds.check_spec(FLUX_INSTANCE_API, "FluxInstance", instance) {
                    problems.push(format!("values.instance against the FluxInstance CRD spec:\n{e}"));
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

fn charts() -> BTreeMap<String, Chart> {
    ["flux-instance", "flux-operator"]
        .map(|name| (name.to_owned(), Chart::load(name)))
        .into_iter()
        .collect()
}

#[test]
fn helm_release_values_match_the_instance_crd_and_the_chart_schemas() {
    let (crds, charts) = (Crds::load(), charts());
    let mut checked: BTreeMap<String, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for planned in trees::all() {
        let objects = objects(&planned);
        for (path, release) in objects.iter().filter(|(_, o)| o["kind"] == "HelmRelease") {
            let result = chart_of(release, objects.values()).and_then(|name| {
                let chart = charts
                    .get(&name)
                    .ok_or_else(|| format!("no values schema for chart {name}"))?;
                *checked.entry(name).or_default() += 1;
                let values = release["spec"].get("values").cloned().unwrap_or_else(|| json!({}));
                check_values(&crds, chart, &values)
            });
            if let Err(e) = result {
                failures.push(format!("{}: {path}:\n{e}", planned.label));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "HelmRelease values that break their schemas:\n\n{}",
        failures.join("\n\n")
    );
    for chart in charts.keys() {
        assert!(
            checked.get(chart).is_some_and(|n| *n > 0),
            "no HelmRelease of chart {chart} was checked"
        );
    }
}

#[test]
fn values_check_rejects_a_bad_instance_enum() {
    let (crds, charts) = (Crds::load(), charts());
    let release = example_object("flux-instance/app/helmrelease.yaml");
    let mut values = release["spec"]["values"].clone();
    assert_eq!(check_values(&crds, &charts["flux-instance"], &values), Ok(()));
    values["instance"]["cluster"]["size"] = json!("huge");
    assert_fails_with(
        crds.check_spec(FLUX_INSTANCE_API, "FluxInstance", &values["instance"]),
        "huge",
    );
    assert_fails_with(charts["flux-instance"].check(&values), "huge");
}

#[test]
fn values_check_rejects_an_instance_field_the_crd_lacks() {
    let (crds, charts) = (Crds::load(), charts());
    let mut values = example_object("flux-instance/app/helmrelease.yaml")["spec"]["values"].clone();
    values["instance"]["sync"]["branch"] = json!("main");
    assert_fails_with(check_values(&crds, &charts["flux-instance"], &values), "branch");
    let mut incomplete = example_object("flux-instance/app/helmrelease.yaml")["spec"]["values"].clone();
    incomplete["instance"]["distribution"]
        .as_object_mut()
        .expect("a distribution")
        .remove("registry");
    assert_fails_with(check_values(&crds, &charts["flux-instance"], &incomplete), "registry");
}

#[test]
fn operator_values_check_merges_defaults_and_rejects_bad_values() {
    let (crds, charts) = (Crds::load(), charts());
    let operator = &charts["flux-operator"];
    assert_eq!(
        check_values(&crds, operator, &json!({})),
        Ok(()),
        "the chart defaults fill the required values"
    );
    assert_fails_with(
        operator.check(&json!({ "image": { "imagePullPolicy": "Sometimes" } })),
        "Sometimes",
    );
    assert_fails_with(operator.check(&json!({ "resources": null })), "resources");
}

// --- kubectl kustomize ------------------------------------------------------------------------

#[test]
fn kubectl_kustomize_builds_every_kustomization() {
    let Some(kubectl) = tool("kubectl") else { return };
    let (mut built, mut failures) = (0, Vec::new());
    for planned in trees::all() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        planned.write(dir.path());
        for app in kubectl::kustomization_dirs(&planned.files) {
            built += 1;
            if let Err(e) = kubectl::check_build(&kubectl, dir.path(), &planned.files, &app) {
                failures.push(format!("{}: {app}/:\n{e}", planned.label));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "kustomizations kubectl rejects:\n\n{}",
        failures.join("\n\n")
    );
    assert!(built > 0, "no kustomization directory was built");
}

/// Runs the kubectl check on the example's `flux-operator/app` with its kustomization replaced.
fn build_operator_app_with(kustomization: &str) -> Option<Result<(), String>> {
    let kubectl = tool("kubectl")?;
    let mut edge = example_edge();
    edge.files.insert(
        "flux-operator/app/kustomization.yaml".to_owned(),
        kustomization.to_owned(),
    );
    let dir = tempfile::tempdir().expect("a temporary directory");
    edge.write(dir.path());
    Some(kubectl::check_build(
        &kubectl,
        dir.path(),
        &edge.files,
        "flux-operator/app",
    ))
}

#[test]
fn kubectl_check_rejects_a_missing_file() {
    let kustomization = "---\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  \
                         - ./helmrelease.yaml\n  - ./ocirepository.yaml\n  - ./missing.yaml\n";
    if let Some(result) = build_operator_app_with(kustomization) {
        assert_fails_with(result, "missing.yaml");
    }
}

#[test]
fn kubectl_check_rejects_objects_other_than_the_listed_ones() {
    let kustomization = "---\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamePrefix: extra-\n\
                         resources:\n  - ./helmrelease.yaml\n  - ./ocirepository.yaml\n";
    if let Some(result) = build_operator_app_with(kustomization) {
        assert_fails_with(result, "extra-flux-operator");
    }
}

// --- yamllint ---------------------------------------------------------------------------------

#[test]
fn yamllint_accepts_every_emitted_file() {
    let Some(yamllint) = tool("yamllint") else { return };
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut paths = Vec::new();
    for planned in trees::all() {
        let root = dir.path().join(&planned.label);
        planned.write(&root);
        paths.extend(planned.files.keys().map(|path| root.join(path)));
    }
    assert!(!paths.is_empty(), "no file to lint");
    if let Err(e) = yamllint::check(&yamllint, &paths) {
        panic!("{e}");
    }
}

/// Lints one file with the workspace configuration.
fn lint(text: &str) -> Option<Result<(), String>> {
    let yamllint = tool("yamllint")?;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path: PathBuf = dir.path().join("file.yaml");
    std::fs::write(&path, text).expect("writing the file to lint");
    Some(yamllint::check(&yamllint, &[path]))
}

#[test]
fn yamllint_accepts_a_well_formed_file() {
    let good = "---\n# yaml-language-server: $schema=https://json.schemastore.org/kustomization\napiVersion: \
                kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ./helmrelease.yaml\n";
    if let Some(result) = lint(good) {
        assert_eq!(result, Ok(()));
    }
}

#[test]
fn yamllint_rejects_an_unquoted_yes() {
    let text = "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: flags\ndata:\n  enabled: yes\n";
    if let Some(result) = lint(text) {
        assert_fails_with(result, "truthy");
    }
}

#[test]
fn yamllint_rejects_unindented_sequences() {
    let text = "---\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- ./a.yaml\n";
    if let Some(result) = lint(text) {
        assert_fails_with(result, "indentation");
    }
}

#[test]
fn yamllint_rejects_a_missing_document_start() {
    let text = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ./a.yaml\n";
    if let Some(result) = lint(text) {
        assert_fails_with(result, "document-start");
    }
}
