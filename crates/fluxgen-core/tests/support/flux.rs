//! The real Flux manifests (`$FLUXGEN_SHARED/flux-manifests/v2.9.4/`), patched in-process with
//! `fluxgen_core::patch` and by `kubectl kustomize`, and the effective settings of a patched
//! Deployment as the controller reads its arguments.

// Not every test crate that includes `support` uses these.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use fluxgen_core::{Component, facts, objects::KustomizePatch, objects::PatchError};
use serde_json::Value;

/// The `manager` container of a Deployment, as a JSON pointer.
pub const CONTAINER: &str = "/spec/template/spec/containers/0";

/// One controller's manifest file and the Deployment in it.
pub struct Manifest {
    /// The file in `flux-manifests/v2.9.4/`.
    pub file: PathBuf,
    /// The Deployment it holds.
    pub deployment: Value,
}

impl Manifest {
    /// The file's text.
    pub fn text(&self) -> String {
        fs::read_to_string(&self.file).unwrap_or_else(|e| panic!("{}: {e}", self.file.display()))
    }

    /// The file's name, e.g. `helm-controller.yaml`.
    pub fn file_name(&self) -> String {
        self.file
            .file_name()
            .expect("a file name")
            .to_string_lossy()
            .into_owned()
    }
}

/// The manifest of every Flux component of the newest release, by component (one Deployment
/// each).
pub fn manifests() -> BTreeMap<Component, Manifest> {
    manifests_of(facts::FLUX_VERSION)
}

/// The manifest of every controller of a Flux release (`flux-manifests/<version>/`), by
/// component (one Deployment each); the release ships the controllers its facts list.
pub fn manifests_of(version: &str) -> BTreeMap<Component, Manifest> {
    let dir = super::shared_dir().join("flux-manifests").join(version);
    let mut found = BTreeMap::new();
    let entries = fs::read_dir(&dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()));
    let mut paths: Vec<PathBuf> = entries.map(|e| e.expect("a directory entry").path()).collect();
    paths.sort();
    for path in paths {
        if path.extension().is_none_or(|ext| ext != "yaml") {
            continue;
        }
        let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let documents = super::documents(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for deployment in documents.into_iter().filter(|d| d["kind"] == "Deployment") {
            let (_, name) = super::kind_and_name(&deployment);
            let component: Component = name.parse().unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let manifest = Manifest {
                file: path.clone(),
                deployment,
            };
            assert!(found.insert(component, manifest).is_none(), "{name} is deployed twice");
        }
    }
    let release = facts::RELEASES
        .iter()
        .find(|r| r.version == version)
        .unwrap_or_else(|| panic!("fluxgen has no facts for Flux {version}"));
    let mut expected: Vec<Component> = release.controllers.iter().map(|c| c.component).collect();
    expected.sort_unstable();
    assert_eq!(
        found.keys().copied().collect::<Vec<_>>(),
        expected,
        "one Deployment per Flux component in {}",
        dir.display()
    );
    found
}

/// kubectl: `.tools/bin/kubectl` of the workspace, else the one on `PATH` (missing: a failure
/// under `CI=true`, a skip elsewhere, see [`super::tool`]).
pub fn kubectl() -> Option<PathBuf> {
    let local = super::workspace_root().join(".tools/bin/kubectl");
    if local.is_file() {
        Some(local)
    } else {
        super::tool("kubectl")
    }
}

/// `patches` applied in order to a copy of `object`, in-process, as kustomize applies them.
pub fn patched(object: &Value, patches: &[KustomizePatch]) -> Result<Value, PatchError> {
    let mut object = object.clone();
    for patch in patches {
        patch.apply_to(&mut object)?;
    }
    Ok(object)
}

/// Runs `kubectl kustomize` on a directory holding `files` (name, text) as resources and
/// `patches` under `patches:`; returns the objects it built by `(kind, name)`, or kubectl's
/// error.
pub fn kustomize(
    kubectl: &Path,
    files: &[(String, String)],
    patches: &[KustomizePatch],
) -> Result<BTreeMap<(String, String), Value>, String> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for (name, text) in files {
        fs::write(dir.path().join(name), text).expect("writing a resource");
    }
    let kustomization = serde_json::json!({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": files.iter().map(|(name, _)| name).collect::<Vec<_>>(),
        "patches": patches,
    });
    fs::write(
        dir.path().join(super::kubectl::KUSTOMIZATION),
        serde_json::to_string_pretty(&kustomization).expect("JSON serializes"),
    )
    .expect("writing kustomization.yaml");
    let output = Command::new(kubectl)
        .arg("kustomize")
        .arg(dir.path())
        .output()
        .map_err(|e| format!("running {}: {e}", kubectl.display()))?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned());
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let built = super::documents(&stdout).map_err(|e| format!("parsing kubectl's output: {e}\n{stdout}"))?;
    let mut objects = BTreeMap::new();
    for object in built {
        let key = super::kind_and_name(&object);
        if objects.insert(key.clone(), object).is_some() {
            return Err(format!("kubectl built {key:?} twice"));
        }
    }
    Ok(objects)
}

/// What a controller runs with, read from its Deployment as the controller reads its flags.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Effective {
    /// Every flag but `--feature-gates`, with its last value (last one wins; a switch such as
    /// `--watch-all-namespaces` has the value `""`).
    pub args: BTreeMap<String, String>,
    /// Feature gates: every `--feature-gates` argument accumulates, a later value of a gate
    /// wins.
    pub gates: BTreeMap<String, String>,
    /// The `manager` container's resources.
    pub resources: Value,
    /// The pod's volumes.
    pub volumes: Value,
}

/// The effective settings of a (patched) Flux Deployment.
pub fn effective(deployment: &Value) -> Effective {
    let mut args = BTreeMap::new();
    let mut gates = BTreeMap::new();
    let listed = deployment
        .pointer(&format!("{CONTAINER}/args"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for arg in &listed {
        let arg = arg.as_str().expect("arguments are strings");
        let (flag, value) = arg.split_once('=').unwrap_or((arg, ""));
        if flag == "--feature-gates" {
            for pair in value.split(',') {
                let (gate, on) = pair.split_once('=').unwrap_or((pair, "true"));
                gates.insert(gate.to_owned(), on.to_owned());
            }
        } else {
            args.insert(flag.to_owned(), value.to_owned());
        }
    }
    let field = |pointer: &str| deployment.pointer(pointer).cloned().unwrap_or(Value::Null);
    Effective {
        args,
        gates,
        resources: field(&format!("{CONTAINER}/resources")),
        volumes: field("/spec/template/spec/volumes"),
    }
}

/// The FluxInstance patches of a planned tree (from the flux-instance HelmRelease's values).
pub fn emitted_patches(files: &BTreeMap<String, String>) -> Vec<KustomizePatch> {
    let release = super::document(&files["flux-instance/app/helmrelease.yaml"]).expect("the flux-instance HelmRelease");
    let patches = release
        .pointer("/spec/values/instance/kustomize/patches")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    patches
        .iter()
        .map(|p| {
            let target = &p["target"];
            let text = |key: &str| target.get(key).and_then(Value::as_str).map(str::to_owned);
            KustomizePatch {
                patch: p["patch"].as_str().expect("patch text").to_owned(),
                target: Some(fluxgen_core::objects::PatchTarget {
                    annotation_selector: text("annotationSelector"),
                    group: text("group"),
                    kind: text("kind"),
                    label_selector: text("labelSelector"),
                    name: text("name"),
                    namespace: text("namespace"),
                    version: text("version"),
                }),
            }
        })
        .collect()
}

/// What a controller runs with under `patches`, and the rest of its pod spec (scheduling).
pub fn settled(deployment: &Value, patches: &[KustomizePatch]) -> Result<(Effective, Value), String> {
    let patched = patched(deployment, patches).map_err(|e| e.to_string())?;
    let mut pod = patched.pointer("/spec/template/spec").cloned().unwrap_or(Value::Null);
    if let Some(pod) = pod.as_object_mut() {
        pod.remove("containers");
        pod.remove("volumes");
    }
    Ok((effective(&patched), pod))
}
