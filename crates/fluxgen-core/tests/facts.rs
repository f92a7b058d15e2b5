//! fluxgen's Flux facts and in-process patch engine, judged by the real Flux Deployments of
//! every release fluxgen knows (`$FLUXGEN_SHARED/flux-manifests/<version>/`, v2.4.0 to v2.9.4)
//! and by `kubectl kustomize`.
//!
//! - every fact in `fluxgen_core::facts` (images, args, resources, volumes, mounts, labels,
//!   security contexts) of every release equals the real Deployment's, and every release
//!   directory holds exactly the controllers its facts list;
//! - the operator's profiles (type, size, multi-tenancy) apply to every release's real
//!   Deployments as to its facts;
//! - tuning patches (JSON 6902 args, strategic-merge resources and volume media, the operator's
//!   size profiles, label/annotation/regex targets) applied in-process give exactly what
//!   `kubectl kustomize` builds from the same Deployments and patches, both on the real
//!   Deployments and, for the fields `explain` reads, on `facts::deployment`.
//!
//! Where kubectl is missing the kustomize comparisons are skipped with a note on stderr, except
//! under `CI=true`, where they fail (`scripts/test.sh` installs it into `.tools/bin`).

#[allow(dead_code)]
mod support;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use fluxgen_core::{
    Component, facts, objects::JsonPatchOp, objects::KustomizePatch, objects::PatchError, objects::PatchTarget,
};
use serde_json::{Value, json};
use support::flux;

const CONTAINER: &str = "/spec/template/spec/containers/0";

/// Every Deployment of the Flux manifests, by component.
fn real_deployments() -> BTreeMap<Component, Value> {
    support::flux::manifests()
        .into_iter()
        .map(|(component, manifest)| (component, manifest.deployment))
        .collect()
}

/// What `explain` reads of a Deployment, and what the facts describe.
fn tuned_fields(deployment: &Value) -> BTreeMap<&'static str, Option<Value>> {
    [
        ("name", "/metadata/name"),
        ("labels", "/metadata/labels"),
        ("pod labels", "/spec/template/metadata/labels"),
        ("pod securityContext", "/spec/template/spec/securityContext"),
        ("container name", "/spec/template/spec/containers/0/name"),
        ("args", "/spec/template/spec/containers/0/args"),
        ("resources", "/spec/template/spec/containers/0/resources"),
        ("securityContext", "/spec/template/spec/containers/0/securityContext"),
        ("volumeMounts", "/spec/template/spec/containers/0/volumeMounts"),
        ("volumes", "/spec/template/spec/volumes"),
    ]
    .into_iter()
    .map(|(label, pointer)| (label, deployment.pointer(pointer).cloned()))
    .collect()
}

#[test]
fn the_facts_are_the_real_deployments() {
    for (component, real) in real_deployments() {
        assert_eq!(
            tuned_fields(&facts::deployment(component)),
            tuned_fields(&real),
            "{component}"
        );
        let container = &real["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(container["args"], json!(facts::default_args(component)), "{component}");
        assert_eq!(
            container["resources"],
            facts::default_resources(component).to_value(),
            "{component}"
        );
        assert_eq!(
            real["spec"]["template"]["metadata"]["labels"],
            json!(facts::pod_labels(component))
        );
        for arg in facts::default_args(component) {
            assert!(facts::accepts_flag(component, arg), "{component} accepts its own {arg}");
        }
    }
}

#[test]
fn every_release_s_facts_are_its_real_deployments() {
    let shared = support::shared_dir().join("flux-manifests");
    let mut on_disk: Vec<String> = fs::read_dir(&shared)
        .unwrap_or_else(|e| panic!("reading {}: {e}", shared.display()))
        .map(|e| e.expect("a directory entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with('v'))
        .collect();
    on_disk.sort();
    let known: Vec<&str> = facts::RELEASES.iter().map(|r| r.version).collect();
    assert_eq!(on_disk, known, "one release of facts per directory of flux-manifests/");
    for release in facts::RELEASES {
        let version = release.version;
        // Asserts the directory holds exactly the release's controllers (source-watcher from 2.7).
        let manifests = flux::manifests_of(version);
        for (component, manifest) in &manifests {
            let real = &manifest.deployment;
            let controller = release.controller(*component).expect("listed");
            let containers = real.pointer("/spec/template/spec/containers").and_then(Value::as_array);
            assert_eq!(
                containers.map(Vec::len),
                Some(1),
                "{version} {component}: one container"
            );
            let facts = release.deployment(*component).expect("listed");
            assert_eq!(tuned_fields(&facts), tuned_fields(real), "{version} {component}");
            let container = &real["spec"]["template"]["spec"]["containers"][0];
            assert_eq!(container["name"], facts::CONTAINER_NAME, "{version} {component}");
            assert_eq!(container["image"], controller.image, "{version} {component}");
            assert_eq!(container["args"], json!(controller.args), "{version} {component}");
            assert_eq!(
                container["resources"],
                controller.resources.to_value(),
                "{version} {component}"
            );
            assert_eq!(
                real["metadata"]["labels"],
                json!(facts::deployment_labels(*component)),
                "{version} {component}"
            );
            assert_eq!(
                real["spec"]["selector"]["matchLabels"],
                json!({"app": component.as_str()}),
                "{version} {component}"
            );
            // The operator's profiles apply to the real Deployment as to the facts.
            let mut profiles = facts::type_profile("openshift");
            profiles.extend(facts::size_profile("large"));
            profiles.extend(facts::multitenant_profile(Some("flux")));
            let result = patched(real, &profiles).unwrap_or_else(|e| panic!("{version} {component}: {e}"));
            let from_facts = patched(&facts, &profiles).unwrap_or_else(|e| panic!("{version} {component}: {e}"));
            assert_eq!(
                tuned_fields(&from_facts),
                tuned_fields(&result),
                "{version} {component}"
            );
        }
        assert_eq!(
            manifests.contains_key(&Component::SourceWatcher),
            release.minor() >= (2, 7),
            "{version}: source-watcher from Flux 2.7 on"
        );
    }
}

/// A JSON 6902 patch of `ops` on the Deployments whose name matches `name`.
fn ops_patch(name: &str, ops: &[JsonPatchOp]) -> KustomizePatch {
    KustomizePatch {
        patch: serde_saphyr::to_string(&JsonPatchOp::render_all(ops)).expect("a JSON value serializes"),
        target: Some(PatchTarget::kind_name("Deployment", name)),
    }
}

/// A strategic-merge patch of the Deployments `target` selects.
fn strategic_patch(target: PatchTarget, spec: Value) -> KustomizePatch {
    let document = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "all"}, "spec": spec});
    KustomizePatch {
        patch: serde_saphyr::to_string(&document).expect("a JSON value serializes"),
        target: Some(target),
    }
}

fn by_labels(selector: &str) -> PatchTarget {
    PatchTarget {
        kind: Some("Deployment".to_owned()),
        label_selector: Some(selector.to_owned()),
        ..PatchTarget::default()
    }
}

fn manager(container: Value) -> Value {
    let mut container = container;
    container["name"] = json!("manager");
    json!({"template": {"spec": {"containers": [container]}}})
}

/// The patch sets compared with kustomize, each applied in order to every Deployment.
fn cases() -> Vec<(&'static str, Vec<KustomizePatch>)> {
    let add_args = vec![
        ops_patch(
            "(kustomize-controller|helm-controller)",
            &[
                JsonPatchOp::add_arg("--concurrent=8"),
                JsonPatchOp::add_arg("--requeue-dependency=15s"),
            ],
        ),
        ops_patch(
            "source-controller",
            &[
                JsonPatchOp::add_arg("--helm-cache-max-size=10"),
                // A missing key of an existing mapping: kustomize's `replace` adds it.
                JsonPatchOp::replace(format!("{CONTAINER}/resources/limits/ephemeral-storage"), "1Gi"),
            ],
        ),
        ops_patch(".*", &[JsonPatchOp::add_arg("--log-level=debug")]),
    ];
    let resources = vec![strategic_patch(
        by_labels("app.kubernetes.io/component in (helm-controller,kustomize-controller)"),
        manager(json!({"resources": {"limits": {"memory": "2Gi", "cpu": null}, "requests": {"memory": "256Mi"}}})),
    )];
    let volume_media = vec![
        strategic_patch(
            PatchTarget::kind_name("Deployment", "(helm|kustomize|notification|image-[a-z]+)-controller"),
            json!({"template": {"spec": {"volumes": [{"name": "temp", "emptyDir": {"medium": "Memory"}}]}}}),
        ),
        strategic_patch(
            by_labels("app.kubernetes.io/component notin (helm-controller,kustomize-controller),control-plane"),
            json!({"template": {"spec": {"volumes": [
                {"name": "data", "emptyDir": {"medium": "Memory", "sizeLimit": "1Gi"}},
            ]}}}),
        ),
    ];
    let mut profile_then_user = facts::size_profile("small");
    profile_then_user.extend([
        strategic_patch(
            PatchTarget {
                kind: Some("Deployment".to_owned()),
                annotation_selector: Some("fluxcd.controlplane.io/profile=small".to_owned()),
                ..PatchTarget::default()
            },
            json!({"template": {"spec": {
                "tolerations": [{"key": "node-role.kubernetes.io/control-plane", "operator": "Exists"}],
                "containers": [{
                    "name": "manager",
                    "env": [{"name": "GOMAXPROCS", "value": "2"}, {"name": "GOMEMLIMIT", "valueFrom": null, "value": "400MiB"}],
                    "volumeMounts": [{"name": "cache", "mountPath": "/cache"}],
                }],
                "volumes": [{"name": "cache", "emptyDir": {"medium": "Memory"}}],
            }}}),
        ),
        ops_patch(
            "helm-controller",
            &[
                JsonPatchOp::replace(format!("{CONTAINER}/args/2"), "--log-level=error"),
                JsonPatchOp::add_arg("--feature-gates=OOMWatch=true"),
                JsonPatchOp::add_arg("--oom-watch-memory-threshold=90"),
                JsonPatchOp::remove(format!("{CONTAINER}/resources/limits/cpu")),
            ],
        ),
    ]);
    vec![
        ("add args", add_args),
        ("strategic resources", resources),
        ("volume media", volume_media),
        ("size small", facts::size_profile("small")),
        ("size medium", facts::size_profile("medium")),
        ("size large", facts::size_profile("large")),
        ("no size", facts::size_profile("")),
        ("small profile then user patches", profile_then_user),
    ]
}

/// Applies `patches` in order to `deployment`, in-process.
fn patched(deployment: &Value, patches: &[KustomizePatch]) -> Result<Value, PatchError> {
    let mut deployment = deployment.clone();
    for patch in patches {
        patch.apply_to(&mut deployment)?;
    }
    Ok(deployment)
}

#[test]
fn patches_apply_to_the_real_deployments() {
    let deployments = real_deployments();
    for (label, patches) in cases() {
        for (component, real) in &deployments {
            let result = patched(real, &patches).unwrap_or_else(|e| panic!("{label}: {component}: {e}"));
            let from_facts = patched(&facts::deployment(*component), &patches)
                .unwrap_or_else(|e| panic!("{label}: {component} (facts): {e}"));
            assert_eq!(tuned_fields(&from_facts), tuned_fields(&result), "{label}: {component}");
        }
    }
    // The annotation-selected user patch sees the profile's annotation: every controller gets it.
    let (_, profile_then_user) = cases().pop().expect("the last case");
    for (component, real) in &deployments {
        let result = patched(real, &profile_then_user).unwrap();
        let volumes = result
            .pointer("/spec/template/spec/volumes")
            .and_then(Value::as_array)
            .unwrap();
        assert_eq!(
            volumes[0],
            json!({"name": "cache", "emptyDir": {"medium": "Memory"}}),
            "{component}"
        );
    }
    let helm = &deployments[&Component::HelmController];
    let small = patched(helm, &facts::size_profile("small")).unwrap();
    let args = small
        .pointer(&format!("{CONTAINER}/args"))
        .and_then(Value::as_array)
        .unwrap();
    assert_eq!(
        args[args.len() - 2..],
        [json!("--concurrent=5"), json!("--requeue-dependency=10s")]
    );
    assert_eq!(
        small.pointer(&format!("{CONTAINER}/resources")),
        Some(&json!({"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "1000m", "memory": "512Mi"}}))
    );
}

#[test]
fn a_patch_that_does_not_apply_names_its_path() {
    let deployments = real_deployments();
    let missing = ops_patch(
        "source-controller",
        &[JsonPatchOp::add("/spec/template/spec/initContainers/0/args/-", "--v")],
    );
    let error = patched(&deployments[&Component::SourceController], &[missing]).unwrap_err();
    assert_eq!(
        error.to_string(),
        "JSON patch operation 0 (add /spec/template/spec/initContainers/0/args/-) does not apply: \
         the path does not exist in the object"
    );
}

/// kubectl: `.tools/bin/kubectl` of the workspace, else the one on `PATH`.
fn kubectl() -> Option<PathBuf> {
    let local = support::workspace_root().join(".tools/bin/kubectl");
    if local.is_file() {
        Some(local)
    } else {
        support::tool("kubectl")
    }
}

/// Runs `kubectl kustomize` on the Deployments with `patches`, and returns what it built, by
/// name (or kubectl's error).
fn kustomize(
    kubectl: &Path,
    deployments: &BTreeMap<Component, Value>,
    patches: &[KustomizePatch],
) -> Result<BTreeMap<String, Value>, String> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut resources = Vec::new();
    for (component, deployment) in deployments {
        let file = format!("{component}.yaml");
        fs::write(
            dir.path().join(&file),
            serde_json::to_string_pretty(deployment).unwrap(),
        )
        .unwrap();
        resources.push(file);
    }
    let kustomization = json!({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": resources,
        "patches": patches,
    });
    fs::write(
        dir.path().join("kustomization.yaml"),
        serde_json::to_string_pretty(&kustomization).unwrap(),
    )
    .unwrap();
    let output = Command::new(kubectl)
        .arg("kustomize")
        .arg(dir.path())
        .output()
        .map_err(|e| format!("running {}: {e}", kubectl.display()))?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned());
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let built = support::documents(&stdout).map_err(|e| format!("parsing kubectl's output: {e}\n{stdout}"))?;
    Ok(built.into_iter().map(|d| (support::kind_and_name(&d).1, d)).collect())
}

#[test]
fn patches_match_kubectl_kustomize() {
    let Some(kubectl) = kubectl() else { return };
    let deployments = real_deployments();
    for (label, patches) in cases() {
        let built = kustomize(&kubectl, &deployments, &patches).unwrap_or_else(|e| panic!("{label}: kubectl: {e}"));
        assert_eq!(built.len(), deployments.len(), "{label}");
        for (component, real) in &deployments {
            let expected = &built[component.as_str()];
            let result = patched(real, &patches).unwrap_or_else(|e| panic!("{label}: {component}: {e}"));
            for pointer in [
                format!("{CONTAINER}/args"),
                format!("{CONTAINER}/resources"),
                "/spec/template/spec/volumes".to_owned(),
            ] {
                assert_eq!(
                    result.pointer(&pointer),
                    expected.pointer(&pointer),
                    "{label}: {component}: {pointer}"
                );
            }
            assert_eq!(&result, expected, "{label}: {component}: the whole Deployment");
            let from_facts = patched(&facts::deployment(*component), &patches).unwrap();
            assert_eq!(
                tuned_fields(&from_facts),
                tuned_fields(expected),
                "{label}: {component} (facts)"
            );
        }
    }
}

#[test]
fn kubectl_kustomize_refuses_what_the_engine_refuses() {
    let Some(kubectl) = kubectl() else { return };
    let deployments = real_deployments();
    let missing = ops_patch(
        "source-controller",
        &[JsonPatchOp::add("/spec/template/spec/initContainers/0/args/-", "--v")],
    );
    assert!(
        patched(
            &deployments[&Component::SourceController],
            std::slice::from_ref(&missing)
        )
        .is_err()
    );
    let error = kustomize(&kubectl, &deployments, &[missing]).unwrap_err();
    assert!(
        error.contains("gpu") || error.contains("missing"),
        "kubectl said: {error}"
    );
}

#[test]
fn every_release_s_crds_are_its_real_crds() {
    for release in facts::RELEASES {
        let dir = support::shared_dir().join("flux-manifests").join(release.version);
        let mut real: Vec<(String, String, Vec<String>)> = Vec::new();
        for entry in fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let text = fs::read_to_string(entry.expect("an entry").path()).expect("a manifest");
            for crd in support::documents(&text)
                .expect("YAML")
                .iter()
                .filter(|d| d["kind"] == "CustomResourceDefinition")
            {
                let versions = crd["spec"]["versions"].as_array().expect("versions");
                assert!(
                    versions.iter().all(|v| v["served"] == true),
                    "{}",
                    crd["metadata"]["name"]
                );
                real.push((
                    crd["metadata"]["name"].as_str().expect("a name").to_owned(),
                    crd["spec"]["names"]["kind"].as_str().expect("a kind").to_owned(),
                    versions
                        .iter()
                        .map(|v| v["name"].as_str().expect("a version").to_owned())
                        .collect(),
                ));
            }
        }
        real.sort();
        let known: Vec<(String, String, Vec<String>)> = release
            .crds
            .iter()
            .map(|c| {
                (
                    c.name.to_owned(),
                    c.kind.to_owned(),
                    c.versions.iter().map(|v| (*v).to_owned()).collect(),
                )
            })
            .collect();
        assert_eq!(known, real, "{}", release.version);
    }
}

/// A config pinned to `version` with one raw patch (YAML, indented as a `tuning.patches` item).
fn with_raw_patch(version: &str, patch: &str) -> Result<fluxgen_core::Config, String> {
    let text = format!(
        "repository: {{ url: ssh://git@github.com/example/fleet }}\nclusters:\n  edge:\n    instance:\n      \
         distribution: {{ version: \"{version}\" }}\n    tuning:\n      patches:\n{patch}"
    );
    fluxgen_core::Config::from_yaml(&text, fluxgen_core::Origin::BuiltIn).map_err(|e| e.to_string())
}

const ALERTS_BY_INDEX: &str = "        - target: { kind: CustomResourceDefinition, name: alerts.notification.toolkit.fluxcd.io }\n          \
    patch: |\n            - op: add\n              path: /spec/versions/2/schema/openAPIV3Schema/properties/spec/properties/eventSources/items/properties/kind/enum/-\n              \
    value: Bucket\n";

#[test]
fn a_raw_patch_that_does_not_apply_to_the_pinned_release_is_refused() {
    // Flux 2.6's Alert CRD has three versions, 2.9's one: the same patch stops applying.
    with_raw_patch("2.6.x", ALERTS_BY_INDEX).unwrap_or_else(|e| panic!("{e}"));
    let error = with_raw_patch("2.9.x", ALERTS_BY_INDEX).expect_err("2.9's Alert CRD has one version");
    assert!(
        error.contains("tuning.patches[0].patch")
            && error.contains("does not exist in `alerts.notification.toolkit.fluxcd.io` of Flux v2.9.4, which serves v1beta3 (by index: 0: v1beta3)"),
        "{error}"
    );
    // A CRD the release does not have.
    let missing = ALERTS_BY_INDEX
        .replace(
            "alerts.notification.toolkit.fluxcd.io",
            "artifactgenerators.source.extensions.fluxcd.io",
        )
        .replace("/spec/versions/2/", "/spec/versions/0/");
    let error = with_raw_patch("2.6.x", &missing).expect_err("2.6 has no ArtifactGenerator");
    assert!(error.contains("selects no CRD of Flux v2.6.4"), "{error}");
    with_raw_patch("2.7.x", &missing).unwrap_or_else(|e| panic!("{e}"));
    // An argument addressed by index beyond the Deployment's.
    let arg = "        - target: { kind: Deployment, name: notification-controller }\n          \
               patch: |\n            - op: replace\n              path: /spec/template/spec/containers/0/args/4\n              \
               value: --log-level=debug\n";
    let error = with_raw_patch("2.9.x", arg).expect_err("notification-controller has four args");
    assert!(
        error.contains("does not apply to notification-controller of Flux v2.9.4, whose list has 4 entries"),
        "{error}"
    );

    // A flag the pinned release removed.
    let autologin = "        - target: { kind: Deployment, name: image-reflector-controller }\n          \
                     patch: |\n            - op: add\n              path: /spec/template/spec/containers/0/args/-\n              \
                     value: --aws-autologin-for-ecr=true\n";
    let text = |version: &str| {
        format!(
            "repository: {{ url: ssh://git@github.com/example/fleet }}\nclusters:\n  edge:\n    instance:\n      \
             distribution: {{ version: \"{version}\" }}\n      components: [source-controller, kustomize-controller, \
             image-reflector-controller, image-automation-controller]\n    tuning:\n      patches:\n{autologin}"
        )
    };
    fluxgen_core::Config::from_yaml(&text("2.6.x"), fluxgen_core::Origin::BuiltIn).unwrap_or_else(|e| panic!("{e}"));
    let error = fluxgen_core::Config::from_yaml(&text("2.7.x"), fluxgen_core::Origin::BuiltIn)
        .expect_err("image-reflector-controller v1.0.0 removed the flag")
        .to_string();
    assert!(
        error.contains(
            "`--aws-autologin-for-ecr=true` would make image-reflector-controller of Flux v2.7.5 refuse to start"
        ),
        "{error}"
    );

    // kubectl kustomize agrees, on the real CRDs of each release.
    let Some(kubectl) = kubectl() else { return };
    let patch = KustomizePatch {
        patch: "- op: add\n  path: /spec/versions/2/schema/openAPIV3Schema/properties/spec/properties/eventSources/items/properties/kind/enum/-\n  value: Bucket\n".to_owned(),
        target: Some(PatchTarget::kind_name("CustomResourceDefinition", "alerts.notification.toolkit.fluxcd.io")),
    };
    for (version, applies) in [("v2.6.4", true), ("v2.9.4", false)] {
        let text = fs::read_to_string(
            support::shared_dir()
                .join("flux-manifests")
                .join(version)
                .join("notification-controller.yaml"),
        )
        .expect("the notification-controller manifests");
        let built = flux::kustomize(
            &kubectl,
            &[("notification-controller.yaml".to_owned(), text)],
            std::slice::from_ref(&patch),
        );
        assert_eq!(built.is_ok(), applies, "{version}: {built:?}");
    }
}
