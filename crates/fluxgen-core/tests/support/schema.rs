//! The CRDs and chart value schemas of `shared/`, as JSON Schemas for the `jsonschema` crate.
//!
//! A CRD's `openAPIV3Schema` is a Kubernetes *structural* schema: the API server prunes fields it
//! does not declare. Validation here rejects them instead, so an object fluxgen emits with a
//! misspelt or unknown field fails instead of being silently cut down on the cluster.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use jsonschema::Validator;
use serde_json::Value;

use super::{document, documents, shared_dir};

/// The API group of `kustomization.yaml` files: read by kustomize, never sent to a cluster.
pub const KUSTOMIZE_CONFIG_GROUP: &str = "kustomize.config.k8s.io";

/// What [`Crds::check`] did with an object.
#[derive(Debug, PartialEq, Eq)]
pub enum Checked {
    /// Validated against the served version of its CRD.
    Crd,
    /// A `kustomize.config.k8s.io` file, which has no CRD.
    NotACrd,
}

/// The served versions of every CRD in `$FLUXGEN_SHARED/crds`, by `(apiVersion, kind)`.
pub struct Crds {
    dir: PathBuf,
    served: BTreeMap<(String, String), Served>,
    metadata: Validator,
}

struct Served {
    object: Validator,
    spec: Option<Validator>,
}

impl Crds {
    /// Reads every CRD file of the shared CRD directory.
    pub fn load() -> Self {
        let dir = shared_dir().join("crds");
        let mut paths: Vec<_> = fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("reading the CRD directory {}: {e} (set FLUXGEN_SHARED)", dir.display()))
            .map(|entry| entry.expect("a directory entry").path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
            .collect();
        paths.sort();
        let mut served = BTreeMap::new();
        for path in paths {
            let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
            let docs = documents(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()));
            for crd in docs.iter().filter(|d| d["kind"] == "CustomResourceDefinition") {
                let group = crd["spec"]["group"].as_str().expect("a CRD has spec.group");
                let kind = crd["spec"]["names"]["kind"]
                    .as_str()
                    .expect("a CRD has spec.names.kind");
                let versions = crd["spec"]["versions"].as_array().expect("a CRD has spec.versions");
                for version in versions.iter().filter(|v| v["served"] == true) {
                    let name = version["name"].as_str().expect("a CRD version has a name");
                    let schema = structural_to_json_schema(&version["schema"]["openAPIV3Schema"]);
                    let spec = schema.pointer("/properties/spec").map(compile);
                    let key = (format!("{group}/{name}"), kind.to_owned());
                    served.insert(
                        key,
                        Served {
                            object: compile(&schema),
                            spec,
                        },
                    );
                }
            }
        }
        assert!(!served.is_empty(), "no CRDs in {}", dir.display());
        Self {
            dir,
            served,
            metadata: compile(&metadata_schema()),
        }
    }

    /// Validates an emitted object: its metadata, then the whole object against the served
    /// version of its CRD (picked by apiVersion group and version, and kind).
    pub fn check(&self, object: &Value) -> Result<Checked, String> {
        let api_version = object
            .get("apiVersion")
            .and_then(Value::as_str)
            .ok_or("no apiVersion")?;
        let kind = object.get("kind").and_then(Value::as_str).ok_or("no kind")?;
        if api_version
            .split_once('/')
            .is_some_and(|(group, _)| group == KUSTOMIZE_CONFIG_GROUP)
        {
            return Ok(Checked::NotACrd);
        }
        let metadata = object.get("metadata").ok_or("no metadata")?;
        errors(&self.metadata, metadata).map_err(|e| format!("metadata: {e}"))?;
        let served = self.served(api_version, kind)?;
        errors(&served.object, object)?;
        Ok(Checked::Crd)
    }

    /// Validates `spec` alone against the `spec` schema of a CRD (e.g. a HelmRelease's
    /// `values.instance`, which the flux-instance chart renders as the FluxInstance spec).
    pub fn check_spec(&self, api_version: &str, kind: &str, spec: &Value) -> Result<(), String> {
        let served = self.served(api_version, kind)?;
        let validator = served
            .spec
            .as_ref()
            .ok_or_else(|| format!("the {kind} CRD has no spec schema"))?;
        errors(validator, spec)
    }

    fn served(&self, api_version: &str, kind: &str) -> Result<&Served, String> {
        self.served
            .get(&(api_version.to_owned(), kind.to_owned()))
            .ok_or_else(|| format!("no CRD in {} serves {kind} {api_version}", self.dir.display()))
    }
}

/// A Flux Operator chart of `$FLUXGEN_SHARED/charts`: its default values and `values.schema.json`.
pub struct Chart {
    name: String,
    defaults: Value,
    schema: Validator,
}

impl Chart {
    /// Reads `charts/<name>/values.yaml` and `charts/<name>/values.schema.json`.
    pub fn load(name: &str) -> Self {
        let dir = shared_dir().join("charts").join(name);
        let read = |file: &str| {
            let path = dir.join(file);
            fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
        };
        let defaults = document(&read("values.yaml")).unwrap_or_else(|e| panic!("{name}/values.yaml: {e}"));
        let schema: Value = serde_json::from_str(&read("values.schema.json"))
            .unwrap_or_else(|e| panic!("{name}/values.schema.json: {e}"));
        let schema = jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{name}/values.schema.json: {e}"));
        Self {
            name: name.to_owned(),
            defaults,
            schema,
        }
    }

    /// The chart's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Validates a HelmRelease's `spec.values` the way Helm does: merged over the chart's
    /// defaults (a `null` deletes a default), then checked against the chart's schema.
    pub fn check(&self, values: &Value) -> Result<(), String> {
        errors(&self.schema, &coalesce(&self.defaults, values))
    }
}

/// Helm's value coalescing: maps merge key by key, anything else from `values` wins, and a
/// `null` in `values` removes the default.
fn coalesce(defaults: &Value, values: &Value) -> Value {
    match (defaults, values) {
        (Value::Object(defaults), Value::Object(values)) => {
            let mut merged = defaults.clone();
            for (key, value) in values {
                match (merged.get(key), value) {
                    (_, Value::Null) => {
                        merged.remove(key);
                    }
                    (Some(default), _) => {
                        let value = coalesce(default, value);
                        merged.insert(key.clone(), value);
                    }
                    (None, _) => {
                        merged.insert(key.clone(), value.clone());
                    }
                }
            }
            Value::Object(merged)
        }
        _ => values.clone(),
    }
}

/// The conversion of a Kubernetes structural schema the tests judge with is the one
/// `fluxgen validate --crds` uses.
pub use fluxgen_core::crd::{metadata_schema, structural_to_json_schema};

/// Compiles a converted CRD schema. Kubernetes schemas are OpenAPI 3.0 schema objects, whose
/// keywords (boolean `exclusiveMinimum`, ...) are those of JSON Schema draft 4.
pub fn compile(schema: &Value) -> Validator {
    jsonschema::draft4::options()
        .should_validate_formats(true)
        .build(schema)
        .unwrap_or_else(|e| panic!("compiling a schema: {e}"))
}

/// Every error of `instance`, one per line with its JSON pointer.
pub fn errors(validator: &Validator, instance: &Value) -> Result<(), String> {
    let messages: Vec<String> = validator
        .iter_errors(instance)
        .map(|error| {
            let path = error.instance_path().to_string();
            format!("{}: {error}", if path.is_empty() { "/" } else { &path })
        })
        .collect();
    if messages.is_empty() {
        Ok(())
    } else {
        Err(messages.join("\n"))
    }
}

/// What is wrong with a planned tree (`label` names it in messages): objects failing their CRD
/// schema, HelmRelease values failing the chart's values schema (and the flux-instance chart's
/// `values.instance` the FluxInstance schema), and kustomization directories `kubectl
/// kustomize` does not build (when kubectl is there); and how many objects were checked.
pub fn invalid_files(
    label: &str,
    files: &std::collections::BTreeMap<String, String>,
    crds: &Crds,
    kubectl: Option<&Path>,
) -> (Vec<String>, usize) {
    let mut failures = Vec::new();
    let mut checked = 0;
    for (path, text) in files {
        let object = document(text).unwrap_or_else(|e| panic!("{label}: {path}: {e}"));
        if let Err(e) = crds.check(&object) {
            failures.push(format!("{label}: {path}: {e}"));
        }
        checked += 1;
        if object["kind"] == "HelmRelease" {
            let chart = object["metadata"]["name"].as_str().unwrap_or_default();
            let values = object["spec"]
                .get("values")
                .cloned()
                .unwrap_or_else(|| serde_json::json!({}));
            if let Err(e) = Chart::load(chart).check(&values) {
                failures.push(format!("{label}: {path}: chart values: {e}"));
            }
            if chart == "flux-instance"
                && let Err(e) = crds.check_spec("fluxcd.controlplane.io/v1", "FluxInstance", &values["instance"])
            {
                failures.push(format!("{label}: {path}: values.instance: {e}"));
            }
        }
    }
    if let Some(kubectl) = kubectl {
        let dir = tempfile::tempdir().expect("a temporary directory");
        super::trees::write(files, dir.path());
        for kustomization in super::kubectl::kustomization_dirs(files) {
            if let Err(e) = super::kubectl::check_build(kubectl, dir.path(), files, &kustomization) {
                failures.push(format!("{label}: {kustomization}: {e}"));
            }
        }
    }
    (failures, checked)
}
