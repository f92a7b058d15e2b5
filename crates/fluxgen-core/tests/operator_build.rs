//! `explain` against the Flux Operator's own build of the same FluxInstance.
//!
//! The oracle is the operator's source at commit 17c6aeaddd8dacd5fbd4dd9e1bfe23a0a59df1fb
//! (just after v0.58.1), read at test time from a git directory of
//! controlplaneio-fluxcd/flux-operator (`$FLUXGEN_OPERATOR_GIT`, by default the session
//! mirror): its kustomization templates (`internal/builder/templates.go`: `kustomizationTmpl`,
//! `kustomizationShardTmpl`, `kustomizationRolesTmpl`, `notificationPatchTmpl`, `namespaceTmpl`,
//! `annotationsTmpl`, `labelsTmpl`, `nodeSelectorTmpl`, `pvcTmpl`) rendered as Go renders them
//! (`support::gotemplate`), and its profile patches (`internal/builder/profiles.go`), composed in the
//! order of `internal/controller/fluxinstance_controller.go` (`build`). The directory is laid out
//! as `internal/builder/build.go` (`generate`) lays it out, with the real Flux manifests of the
//! pinned release (`$FLUXGEN_SHARED/flux-manifests/<version>/`), and built with the real
//! `kubectl kustomize`. Every Deployment it builds (shards included) must run with exactly the
//! arguments, feature gates, resources and volumes `explain` reports for it.
//!
//! Without the operator source the test is skipped with a note (the source is not part of the
//! shared data); without kubectl it is skipped, or fails under `CI=true`.

#[allow(dead_code)]
mod support;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use fluxgen_core::config::InstanceMode;
use fluxgen_core::{Config, Origin, Phase, explain, explain::ControllerReport, plan};
use serde_json::{Value, json};
use support::flux;
use support::gotemplate::render;

const OPERATOR_COMMIT: &str = "17c6aeaddd8dacd5fbd4dd9e1bfe23a0a59df1fb";

/// The operator source files the build reads, or `None` (with a note) when not available.
struct Operator {
    templates: String,
    profiles: String,
}

impl Operator {
    fn load() -> Option<Self> {
        let git_dir = std::env::var_os("FLUXGEN_OPERATOR_GIT").map_or_else(
            || PathBuf::from("/work/.mirror/controlplaneio-fluxcd+flux-operator/repo"),
            PathBuf::from,
        );
        let show = |path: &str| -> Option<String> {
            let output = Command::new("git")
                .arg("--git-dir")
                .arg(&git_dir)
                .args(["show", &format!("{OPERATOR_COMMIT}:{path}")])
                .output()
                .ok()?;
            output
                .status
                .success()
                .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
        };
        let found = show("internal/builder/templates.go").zip(show("internal/builder/profiles.go"));
        if found.is_none() {
            eprintln!(
                "skipping: the flux-operator source at {OPERATOR_COMMIT} is not at {} (set FLUXGEN_OPERATOR_GIT)",
                git_dir.display()
            );
        }
        found.map(|(templates, profiles)| Self { templates, profiles })
    }

    /// A Go raw-string `var` or `const` of the source.
    fn string(&self, name: &str) -> String {
        for source in [&self.templates, &self.profiles] {
            for keyword in ["var", "const"] {
                let start = format!("{keyword} {name} = `");
                if let Some(at) = source.find(&start) {
                    let rest = &source[at + start.len()..];
                    return rest[..rest.find('`').expect("a closed raw string")].to_owned();
                }
            }
        }
        panic!("{name} is not in the operator source");
    }
}

/// `fmt.Sprintf` for the verbs the profiles use (`%s`, `%[n]s`, `%[n]v`).
fn sprintf(format: &str, args: &[&str]) -> String {
    let mut out = format.replace("%s", args[0]);
    for (index, arg) in args.iter().enumerate() {
        for verb in ['s', 'v'] {
            out = out.replace(&format!("%[{}]{verb}", index + 1), arg);
        }
    }
    out
}

/// The operator's build of a FluxInstance: every Deployment it gives, by name.
fn operator_build(
    operator: &Operator,
    kubectl: &Path,
    instance: &Value,
    namespace: &str,
    version: &str,
) -> BTreeMap<String, Value> {
    let spec = &instance["spec"];
    let minor: i64 = version
        .split('.')
        .nth(1)
        .and_then(|m| m.parse().ok())
        .expect("a version");
    let mut components: Vec<String> = spec["components"]
        .as_array()
        .map(|c| c.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default();
    if components.is_empty() {
        // api/v1/fluxinstance_types.go, GetComponents.
        components = [
            "source-controller",
            "kustomize-controller",
            "helm-controller",
            "notification-controller",
        ]
        .map(str::to_owned)
        .to_vec();
    }
    let cluster = &spec["cluster"];
    let text = |v: &Value, default: &str| v.as_str().filter(|s| !s.is_empty()).unwrap_or(default).to_owned();
    let domain = text(&cluster["domain"], "cluster.local");
    let has = |c: &str| components.iter().any(|x| x == c);
    let shards = spec["sharding"]["shards"].clone();
    let mut data = json!({
        "Version": version.trim_start_matches('v'),
        "VersionInfo": {"Major": 2, "Minor": minor},
        "Namespace": namespace,
        "Components": components,
        "EventsAddr": if has("notification-controller") { format!("http://notification-controller.{namespace}.svc.{domain}./") } else { String::new() },
        "Registry": "",
        "ImagePullSecret": "",
        "WatchAllNamespaces": true,
        "NetworkPolicy": false,
        "LogLevel": "info",
        "ClusterDomain": domain,
        "TolerationKeys": [],
        "ArtifactStorage": spec.get("storage").map(|s| json!({"Class": s["class"], "Size": s["size"]})),
        "Sync": null,
        "ShardingKey": text(&spec["sharding"]["key"], "sharding.fluxcd.io/key"),
        "ShardingStorage": false,
        "Shards": if shards.is_null() { json!([]) } else { shards.clone() },
        "ShardName": "",
        "RemovePermissionForCreatingServiceAccountTokens": false,
    });
    // internal/controller/fluxinstance_controller.go (build): the profiles, then the components'
    // and workload identity's patches, then the FluxInstance's own.
    let mut patches = String::new();
    if cluster["type"] == "openshift" {
        patches += &operator.string("profileClusterTypeOpenShift");
    }
    patches += &operator.string(match cluster["size"].as_str() {
        Some("small") => "profileClusterSizeSmall",
        Some("medium") => "profileClusterSizeMedium",
        Some("large") => "profileClusterSizeLarge",
        _ => "profileClusterSizeDefault",
    });
    if cluster["multitenant"] == true {
        let account = text(&cluster["tenantDefaultServiceAccount"], "default");
        patches += &sprintf(&operator.string("profileClusterMultitenant"), &[&account]);
    }
    if has("source-watcher") {
        patches += &operator.string("profileExternalArtifactFeatureGate");
    }
    if has("notification-controller") {
        patches += &render(&operator.string("notificationPatchTmpl"), &data).expect("the notification patch renders");
    }
    // internal/builder/workload_identity.go (ValidateAndApplyWorkloadIdentityConfig).
    let enabled = cluster["objectLevelWorkloadIdentity"] == true;
    let first = "source-controller|kustomize-controller|notification-controller|image-reflector-controller|image-automation-controller";
    let gate = operator.string("profileClusterObjectLevelWorkloadIdentity");
    match minor {
        ..6 => {}
        6 if enabled => patches += &sprintf(&gate, &[first, "true"]),
        6 => data["RemovePermissionForCreatingServiceAccountTokens"] = json!(true),
        _ => {
            patches += &sprintf(&gate, &[&format!("{first}|helm-controller"), &enabled.to_string()]);
            data["RemovePermissionForCreatingServiceAccountTokens"] = json!(!enabled);
        }
    }
    if let Some(own) = spec["kustomize"]["patches"].as_array().filter(|p| !p.is_empty()) {
        patches += &serde_saphyr::to_string(own).expect("patches serialize");
    }
    data["Patches"] = json!(patches);

    let dir = tempfile::tempdir().expect("a temporary directory");
    let write = |path: &str, text: String| {
        let path = dir.path().join(path);
        fs::create_dir_all(path.parent().expect("a parent")).expect("a directory");
        fs::write(path, text).expect("writing");
    };
    let manifests = support::shared_dir().join("flux-manifests").join(version);
    for component in data["Components"].as_array().expect("components") {
        let name = component.as_str().expect("a name");
        write(
            &format!("{name}.yaml"),
            fs::read_to_string(manifests.join(format!("{name}.yaml"))).expect("the manifests"),
        );
    }
    write(
        "roles/rbac.yaml",
        fs::read_to_string(manifests.join("rbac.yaml")).expect("rbac.yaml"),
    );
    let tmpl =
        |name: &str, data: &Value| render(&operator.string(name), data).unwrap_or_else(|e| panic!("{name}: {e}"));
    for (file, name) in [
        ("namespace.yaml", "namespaceTmpl"),
        ("annotations.yaml", "annotationsTmpl"),
        ("labels.yaml", "labelsTmpl"),
        ("node-selector.yaml", "nodeSelectorTmpl"),
        ("kustomization.yaml", "kustomizationTmpl"),
        ("roles/kustomization.yaml", "kustomizationRolesTmpl"),
    ] {
        write(file, tmpl(name, &data));
    }
    if !data["ArtifactStorage"].is_null() {
        write("pvc.yaml", tmpl("pvcTmpl", &data));
    }
    for shard in data["Shards"].as_array().cloned().unwrap_or_default() {
        let shard = shard.as_str().expect("a shard name");
        let mut shard_data = data.clone();
        shard_data["ShardName"] = json!(shard);
        write(
            &format!("{shard}/kustomization.yaml"),
            tmpl("kustomizationShardTmpl", &shard_data),
        );
    }
    let output = Command::new(kubectl)
        .args(["kustomize", "--load-restrictor", "LoadRestrictionsNone"])
        .arg(dir.path())
        .output()
        .expect("running kubectl");
    assert!(
        output.status.success(),
        "kubectl kustomize refused the operator's build:\n{}\n--- kustomization.yaml\n{}",
        String::from_utf8_lossy(&output.stderr),
        fs::read_to_string(dir.path().join("kustomization.yaml")).unwrap_or_default()
    );
    support::documents(&String::from_utf8_lossy(&output.stdout))
        .expect("kubectl's output parses")
        .into_iter()
        .filter(|d| d["kind"] == "Deployment")
        .map(|d| (d["metadata"]["name"].as_str().expect("a name").to_owned(), d))
        .collect()
}

/// What `explain` reports a Deployment runs with, in the shape of `flux::Effective`.
fn explained(
    report: &ControllerReport,
) -> (
    BTreeMap<String, String>,
    BTreeMap<String, String>,
    BTreeMap<String, String>,
) {
    let args = report
        .args
        .iter()
        .filter(|a| a.set_by != "the controller's built-in default")
        .map(|a| (a.flag.clone(), a.value.clone()))
        .collect();
    let gates = report
        .feature_gates
        .iter()
        .map(|g| (g.name.clone(), g.value.clone()))
        .collect();
    let resources = report
        .resources
        .iter()
        .map(|r| (r.name.clone(), r.value.clone()))
        .collect();
    (args, gates, resources)
}

fn flattened(resources: &Value) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (kind, amounts) in resources.as_object().into_iter().flatten() {
        for (name, amount) in amounts.as_object().into_iter().flatten() {
            out.insert(
                format!("{kind}.{name}"),
                amount.as_str().map_or_else(|| amount.to_string(), str::to_owned),
            );
        }
    }
    out
}

const CASES: &[(&str, &str)] = &[
    ("the built-in example", fluxgen_core::config::EXAMPLE_CONFIG),
    (
        "multi-tenant, small",
        "repository: { url: ssh://git@github.com/example/fleet }\nclusters:\n  edge:\n    instance:\n      \
         cluster: { multitenant: true, tenantDefaultServiceAccount: flux, size: small }\n    tuning: { workers: 6 }\n",
    ),
    (
        "sharded with storage",
        "repository: { url: ssh://git@github.com/example/fleet }\nclusters:\n  edge:\n    instance:\n      \
         components: [source-controller, kustomize-controller, helm-controller, notification-controller, \
         image-reflector-controller, image-automation-controller, source-watcher]\n      \
         sharding: { shards: [shard1, shard2] }\n      storage: { class: standard, size: 10Gi }\n    \
         tuning:\n      memoryLimit: 1Gi\n      featureGates: { helm-controller: { DisableChartDigestTracking: true } }\n",
    ),
    (
        "pinned to 2.7.x, workload identity, openshift",
        "repository: { url: ssh://git@github.com/example/fleet }\nclusters:\n  edge:\n    instance:\n      \
         distribution: { version: 2.7.x }\n      components: [source-controller, kustomize-controller, helm-controller, \
         notification-controller, source-watcher]\n      cluster: { objectLevelWorkloadIdentity: true, type: openshift, size: large }\n",
    ),
    (
        "no notification-controller, another namespace and domain",
        "repository: { url: ssh://git@github.com/example/fleet }\nclusters:\n  edge:\n    namespace: flux-ops\n    \
         instance:\n      components: [source-controller, kustomize-controller, helm-controller]\n      \
         cluster: { domain: cluster.internal }\n",
    ),
    (
        "pinned to 2.6.x with workload identity",
        "repository: { url: ssh://git@github.com/example/fleet }\nclusters:\n  edge:\n    operator: { version: 0.58.1 }\n    \
         instance:\n      distribution: { version: 2.6.x }\n      cluster: { objectLevelWorkloadIdentity: true }\n",
    ),
];

#[test]
fn explain_is_the_operator_s_build() {
    let Some(operator) = Operator::load() else { return };
    let Some(kubectl) = flux::kubectl() else { return };
    for (name, text) in CASES {
        let mut config = Config::from_yaml(text, Origin::BuiltIn).unwrap_or_else(|e| panic!("{name}: {e}"));
        let edge = config.clusters.get_mut("edge").expect("edge");
        edge.phase = Phase::Instance;
        edge.settings.instance.mode = InstanceMode::Manifest;
        let namespace = edge.settings.namespace.clone();
        let instance = plan(&config, "edge")
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .files
            .values()
            .flat_map(|t| support::documents(t).expect("YAML"))
            .find(|d| d["kind"] == "FluxInstance")
            .expect("a FluxInstance");
        let explanation = explain(&config, "edge").unwrap_or_else(|e| panic!("{name}: {e}"));
        let built = operator_build(&operator, &kubectl, &instance, &namespace, &explanation.flux.manifests);
        let reported: Vec<&str> = explanation.controllers.iter().map(|r| r.deployment.as_str()).collect();
        let mut names: Vec<&str> = built.keys().map(String::as_str).collect();
        let mut listed = reported.clone();
        names.sort_unstable();
        listed.sort_unstable();
        assert_eq!(
            listed, names,
            "{name}: the Deployments explain lists are the operator's"
        );
        for report in &explanation.controllers {
            let deployment = &built[&report.deployment];
            let real = flux::effective(deployment);
            let (args, gates, resources) = explained(report);
            assert_eq!(args, real.args, "{name}: {} args", report.deployment);
            assert_eq!(gates, real.gates, "{name}: {} feature gates", report.deployment);
            assert_eq!(
                resources,
                flattened(&real.resources),
                "{name}: {} resources",
                report.deployment
            );
            let volumes: Vec<&str> = report.volumes.iter().map(|v| v.name.as_str()).collect();
            let mut real_volumes: Vec<&str> = real
                .volumes
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v["name"].as_str())
                .collect();
            real_volumes.sort_unstable();
            assert_eq!(volumes, real_volumes, "{name}: {} volumes", report.deployment);
        }
    }
}
