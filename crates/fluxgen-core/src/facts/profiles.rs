//! The Flux Operator's profiles: the patches the operator applies to the Flux controllers
//! before a FluxInstance's own `spec.kustomize.patches`, in this order: `cluster.type`,
//! `cluster.size`, then `cluster.multitenant`.
//!
//! Source: controlplaneio-fluxcd/flux-operator v0.58.1 (commit
//! 17c6aeaddd8dacd5fbd4dd9e1bfe23a0a59df1fb), `internal/builder/profiles.go`
//! (`GetProfileClusterType`, `GetProfileClusterSize`, `GetProfileMultitenant` and their
//! `profileCluster*` constants), applied in that order by
//! `internal/controller/fluxinstance_controller.go` (`build`). The patch texts below are the
//! operator's, byte for byte (a `|-` block in the Go source has no final newline), in its
//! order.

use crate::{objects::KustomizePatch, objects::PatchTarget};

/// The strategic-merge patch every size starts with (and the whole profile when no size is
/// set): the pod template gets `app.kubernetes.io/part-of: flux` and the
/// `cluster-autoscaler.kubernetes.io/safe-to-evict: "true"` annotation; a sized profile also
/// annotates the Deployment with `fluxcd.controlplane.io/profile`.
fn metadata_patch(size: Option<&str>) -> String {
    let profile = size.map_or_else(String::new, |size| {
        format!("  annotations:\n    {}: \"{size}\"\n", super::PROFILE_ANNOTATION)
    });
    format!(
        "apiVersion: apps/v1\n\
         kind: Deployment\n\
         metadata:\n  \
           name: all\n\
         {profile}\
         spec:\n  \
           template:\n    \
             metadata:\n      \
               labels:\n        \
                 app.kubernetes.io/part-of: flux\n      \
               annotations:\n        \
                 cluster-autoscaler.kubernetes.io/safe-to-evict: \"true\"\n"
    )
}

/// A JSON 6902 `replace` of the first container's resources.
fn resources_op(request_memory: &str, limit_cpu: &str, limit_memory: &str) -> String {
    format!(
        "- op: replace\n  \
           path: /spec/template/spec/containers/0/resources\n  \
           value:\n    \
             requests:\n      \
               cpu: 100m\n      \
               memory: {request_memory}\n    \
             limits:\n      \
               cpu: {limit_cpu}\n      \
               memory: {limit_memory}\n"
    )
}

/// JSON 6902 `add`s of container args.
fn args_ops(args: &[&str]) -> String {
    args.iter()
        .map(|arg| format!("- op: add\n  path: /spec/template/spec/containers/0/args/-\n  value: {arg}\n"))
        .collect()
}

fn patch(name: Option<&str>, patch: String) -> KustomizePatch {
    KustomizePatch {
        patch,
        target: Some(PatchTarget {
            kind: Some("Deployment".to_owned()),
            name: name.map(str::to_owned),
            ..PatchTarget::default()
        }),
    }
}

const KUSTOMIZE_HELM: &str = "(kustomize-controller|helm-controller)";
const SOURCE: &str = "(source-controller)";

/// The patches of a `cluster.size` profile (`small`, `medium` or `large`), in the operator's
/// order. Any other size (including none) gives the operator's default profile: the
/// metadata patch alone, which the operator applies to every FluxInstance without a size.
///
/// - `small`: every controller limited to `1000m`/`512Mi` (requests `100m`/`64Mi`);
///   kustomize- and helm-controller `--concurrent=5 --requeue-dependency=10s`;
///   source-controller's Helm index cache (`--helm-cache-max-size=10`, TTL `720m`, purge
///   `60m`).
/// - `medium`: kustomize-, helm- and source-controller limited to `2000m`/`1Gi` (requests
///   `100m`/`128Mi`); kustomize and helm `--concurrent=10 --requeue-dependency=5s`; source
///   cache size `50` and `--concurrent=5`.
/// - `large`: kustomize and helm `--concurrent=20 --requeue-dependency=5s`, limited to
///   `3000m`/`3Gi` (requests `100m`/`256Mi`); source cache size `100`, `--concurrent=10`,
///   limited to `2000m`/`2Gi` (requests `100m`/`256Mi`).
///
/// Every size starts with a strategic-merge patch on all Deployments that labels the pod
/// template `app.kubernetes.io/part-of: flux`, annotates it
/// `cluster-autoscaler.kubernetes.io/safe-to-evict: "true"` and annotates the Deployment
/// `fluxcd.controlplane.io/profile: <size>`.
///
/// Source: flux-operator v0.58, `internal/builder/profiles.go`.
///
/// ```
/// use fluxgen_core::facts;
/// let small = facts::size_profile("small");
/// assert_eq!(small.len(), 4);
/// let target = small[2].target.as_ref().unwrap();
/// assert_eq!(target.name.as_deref(), Some("(kustomize-controller|helm-controller)"));
/// assert!(small[2].patch.contains("value: --concurrent=5"));
/// assert_eq!(facts::size_profile("").len(), 1);
/// ```
pub fn size_profile(size: &str) -> Vec<KustomizePatch> {
    let cache = |max_size: &str| {
        [
            format!("--helm-cache-max-size={max_size}"),
            "--helm-cache-ttl=720m".to_owned(),
            "--helm-cache-purge-interval=60m".to_owned(),
        ]
    };
    match size {
        "small" => {
            let [max_size, ttl, purge] = cache("10");
            vec![
                patch(None, metadata_patch(Some(size))),
                patch(None, resources_op("64Mi", "1000m", "512Mi")),
                patch(
                    Some(KUSTOMIZE_HELM),
                    args_ops(&["--concurrent=5", "--requeue-dependency=10s"]),
                ),
                patch(Some(SOURCE), args_ops(&[&max_size, &ttl, &purge])),
            ]
        }
        "medium" => {
            let [max_size, ttl, purge] = cache("50");
            vec![
                patch(None, metadata_patch(Some(size))),
                patch(
                    Some("(kustomize-controller|helm-controller|source-controller)"),
                    resources_op("128Mi", "2000m", "1Gi"),
                ),
                patch(
                    Some(KUSTOMIZE_HELM),
                    args_ops(&["--concurrent=10", "--requeue-dependency=5s"]),
                ),
                patch(Some(SOURCE), args_ops(&[&max_size, &ttl, &purge, "--concurrent=5"])),
            ]
        }
        "large" => {
            let [max_size, ttl, purge] = cache("100");
            vec![
                patch(None, metadata_patch(Some(size))),
                patch(
                    Some(KUSTOMIZE_HELM),
                    args_ops(&["--concurrent=20", "--requeue-dependency=5s"]) + &resources_op("256Mi", "3000m", "3Gi"),
                ),
                patch(
                    Some(SOURCE),
                    args_ops(&[&max_size, &ttl, &purge, "--concurrent=10"]) + &resources_op("256Mi", "2000m", "2Gi"),
                ),
            ]
        }
        _ => vec![patch(None, metadata_patch(None))],
    }
}

/// A JSON 6902 patch without the final newline (the operator writes these as `|-` blocks).
fn ops(ops: &[(&str, &str, Option<&str>)]) -> String {
    let text: String = ops
        .iter()
        .map(|(op, path, value)| match value {
            Some(value) => format!("- op: {op}\n  path: {path}\n  value: {value}\n"),
            None => format!("- op: {op}\n  path: {path}\n"),
        })
        .collect();
    text.trim_end_matches('\n').to_owned()
}

fn kind_patch(kind: &str, name: Option<&str>, text: String) -> KustomizePatch {
    KustomizePatch {
        patch: text,
        target: Some(PatchTarget {
            kind: Some(kind.to_owned()),
            name: name.map(str::to_owned),
            ..PatchTarget::default()
        }),
    }
}

/// The patches of a `cluster.type` profile: `openshift` removes the pod's security context
/// and the container's `seccompProfile` and `runAsNonRoot` from every Deployment (OpenShift
/// assigns its own), and the `pod-security.kubernetes.io/warn` labels from the Namespace.
/// Every other type (`kubernetes`, `aws`, `azure`, `gcp`) has no patches.
///
/// Source: flux-operator v0.58.1, `internal/builder/profiles.go` (`GetProfileClusterType`).
///
/// ```
/// use fluxgen_core::facts;
/// assert!(facts::type_profile("aws").is_empty());
/// let openshift = facts::type_profile("openshift");
/// assert_eq!(openshift.len(), 2);
/// assert!(openshift[0].patch.contains("path: /spec/template/spec/securityContext"));
/// ```
pub fn type_profile(cluster_type: &str) -> Vec<KustomizePatch> {
    if cluster_type != "openshift" {
        return Vec::new();
    }
    vec![
        kind_patch(
            "Deployment",
            None,
            ops(&[
                ("remove", "/spec/template/spec/securityContext", None),
                (
                    "remove",
                    "/spec/template/spec/containers/0/securityContext/seccompProfile",
                    None,
                ),
                (
                    "remove",
                    "/spec/template/spec/containers/0/securityContext/runAsNonRoot",
                    None,
                ),
            ]),
        ),
        kind_patch(
            "Namespace",
            None,
            ops(&[
                ("remove", "/metadata/labels/pod-security.kubernetes.io~1warn", None),
                (
                    "remove",
                    "/metadata/labels/pod-security.kubernetes.io~1warn-version",
                    None,
                ),
            ]),
        ),
    ]
}

/// The patches of the multi-tenancy lockdown (`cluster.multitenant: true`), with
/// `default_service_account` from `cluster.tenantDefaultServiceAccount` (`default` when
/// unset or empty):
///
/// - `--no-cross-namespace-refs=true` on kustomize-, helm-, notification-,
///   image-reflector-, image-automation-controller and source-watcher (not
///   source-controller);
/// - `--no-remote-bases=true` on kustomize-controller;
/// - `--default-service-account=<sa>` on kustomize- and helm-controller;
/// - `spec.serviceAccountName: kustomize-controller` on the Kustomizations the operator
///   creates (the sync).
///
/// Source: flux-operator v0.58.1, `internal/builder/profiles.go` (`GetProfileMultitenant`,
/// `profileClusterMultitenant`).
///
/// ```
/// use fluxgen_core::facts;
/// let profile = facts::multitenant_profile(Some("flux"));
/// assert_eq!(profile.len(), 4);
/// assert!(profile[2].patch.ends_with("value: --default-service-account=flux"));
/// assert!(facts::multitenant_profile(None)[2].patch.ends_with("--default-service-account=default"));
/// ```
pub fn multitenant_profile(default_service_account: Option<&str>) -> Vec<KustomizePatch> {
    let account = default_service_account.filter(|sa| !sa.is_empty()).unwrap_or("default");
    let arg = |value: &str| ops(&[("add", "/spec/template/spec/containers/0/args/-", Some(value))]);
    vec![
        kind_patch(
            "Deployment",
            Some(
                "(kustomize-controller|helm-controller|notification-controller|image-reflector-controller|\
                 image-automation-controller|source-watcher)",
            ),
            arg("--no-cross-namespace-refs=true"),
        ),
        kind_patch(
            "Deployment",
            Some("(kustomize-controller)"),
            arg("--no-remote-bases=true"),
        ),
        kind_patch(
            "Deployment",
            Some(KUSTOMIZE_HELM),
            arg(&format!("--default-service-account={account}")),
        ),
        kind_patch(
            "Kustomization",
            None,
            ops(&[("add", "/spec/serviceAccountName", Some("kustomize-controller"))]),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::{Component, facts, patch};

    fn effective(size: &str, component: Component) -> serde_json::Value {
        let mut deployment = facts::deployment(component);
        for patch in size_profile(size) {
            patch::apply(&mut deployment, &patch).unwrap();
        }
        deployment
    }

    #[test]
    fn the_texts_are_the_operators() {
        let small = size_profile("small");
        assert_eq!(
            small[0].patch,
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: all\n  annotations:\n    \
             fluxcd.controlplane.io/profile: \"small\"\nspec:\n  template:\n    metadata:\n      labels:\n        \
             app.kubernetes.io/part-of: flux\n      annotations:\n        \
             cluster-autoscaler.kubernetes.io/safe-to-evict: \"true\"\n"
        );
        assert_eq!(
            small[1].patch,
            "- op: replace\n  path: /spec/template/spec/containers/0/resources\n  value:\n    requests:\n      \
             cpu: 100m\n      memory: 64Mi\n    limits:\n      cpu: 1000m\n      memory: 512Mi\n"
        );
        assert_eq!(
            small[3].patch,
            "- op: add\n  path: /spec/template/spec/containers/0/args/-\n  value: --helm-cache-max-size=10\n\
             - op: add\n  path: /spec/template/spec/containers/0/args/-\n  value: --helm-cache-ttl=720m\n\
             - op: add\n  path: /spec/template/spec/containers/0/args/-\n  value: --helm-cache-purge-interval=60m\n"
        );
        assert_eq!(
            small[3].target.as_ref().and_then(|t| t.name.as_deref()),
            Some("(source-controller)")
        );
        assert!(
            !size_profile("")
                .into_iter()
                .any(|p| p.patch.contains("fluxcd.controlplane.io/profile"))
        );
        assert_eq!(size_profile("huge"), size_profile(""));
    }

    #[test]
    fn the_multitenant_and_openshift_texts_are_the_operators() {
        let multitenant = multitenant_profile(Some(""));
        assert_eq!(
            multitenant[0].patch,
            "- op: add\n  path: /spec/template/spec/containers/0/args/-\n  value: --no-cross-namespace-refs=true"
        );
        assert_eq!(
            multitenant[0].target.as_ref().and_then(|t| t.name.as_deref()),
            Some(
                "(kustomize-controller|helm-controller|notification-controller|image-reflector-controller|\
                 image-automation-controller|source-watcher)"
            )
        );
        assert!(multitenant[2].patch.ends_with("--default-service-account=default"));
        assert_eq!(
            multitenant[3].patch,
            "- op: add\n  path: /spec/serviceAccountName\n  value: kustomize-controller"
        );
        assert_eq!(
            type_profile("openshift")[0].patch,
            "- op: remove\n  path: /spec/template/spec/securityContext\n\
             - op: remove\n  path: /spec/template/spec/containers/0/securityContext/seccompProfile\n\
             - op: remove\n  path: /spec/template/spec/containers/0/securityContext/runAsNonRoot"
        );
        for other in ["kubernetes", "aws", "azure", "gcp", ""] {
            assert!(type_profile(other).is_empty());
        }
    }

    #[test]
    fn multitenancy_locks_down_exactly_the_controllers_the_operator_patches() {
        let profile = multitenant_profile(Some("flux"));
        for component in Component::ALL {
            let mut deployment = facts::deployment(component);
            for patch in &profile {
                patch::apply(&mut deployment, patch).unwrap();
            }
            let args: Vec<&str> = deployment["spec"]["template"]["spec"]["containers"][0]["args"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(serde_json::Value::as_str)
                .collect();
            let has = |arg: &str| args.contains(&arg);
            assert_eq!(
                has("--no-cross-namespace-refs=true"),
                component != Component::SourceController,
                "{component}"
            );
            assert_eq!(
                has("--no-remote-bases=true"),
                component == Component::KustomizeController,
                "{component}"
            );
            assert_eq!(
                has("--default-service-account=flux"),
                matches!(component, Component::KustomizeController | Component::HelmController),
                "{component}"
            );
        }
    }

    #[test]
    fn openshift_drops_the_security_settings_it_assigns_itself() {
        let mut deployment = facts::deployment(Component::SourceController);
        for patch in type_profile("openshift") {
            patch::apply(&mut deployment, &patch).unwrap();
        }
        let spec = &deployment["spec"]["template"]["spec"];
        assert!(spec.get("securityContext").is_none());
        assert_eq!(
            spec["containers"][0]["securityContext"],
            json!({"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}, "readOnlyRootFilesystem": true})
        );
    }

    #[test]
    fn small_tunes_every_controller() {
        let helm = effective("small", Component::HelmController);
        let container = &helm["spec"]["template"]["spec"]["containers"][0];
        let args = container["args"].as_array().unwrap();
        assert_eq!(
            args[args.len() - 2..],
            [json!("--concurrent=5"), json!("--requeue-dependency=10s")]
        );
        assert_eq!(
            container["resources"],
            json!({"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "1000m", "memory": "512Mi"}})
        );
        let notification = effective("small", Component::NotificationController);
        assert_eq!(
            notification["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"],
            "512Mi"
        );
        assert_eq!(
            notification["metadata"]["annotations"]["fluxcd.controlplane.io/profile"],
            "small"
        );
        assert_eq!(
            notification["spec"]["template"]["metadata"]["annotations"]["cluster-autoscaler.kubernetes.io/safe-to-evict"],
            "true"
        );
    }

    #[test]
    fn medium_and_large_leave_the_other_controllers_alone() {
        for size in ["medium", "large"] {
            let notification = effective(size, Component::NotificationController);
            assert_eq!(
                notification["spec"]["template"]["spec"]["containers"][0],
                facts::deployment(Component::NotificationController)["spec"]["template"]["spec"]["containers"][0]
            );
        }
        let source = effective("large", Component::SourceController);
        let container = &source["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(
            container["args"].as_array().unwrap().last(),
            Some(&json!("--concurrent=10"))
        );
        assert_eq!(
            container["resources"]["limits"],
            json!({"cpu": "2000m", "memory": "2Gi"})
        );
        let kustomize = effective("large", Component::KustomizeController);
        assert_eq!(
            kustomize["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"],
            json!({"cpu": "3000m", "memory": "3Gi"})
        );
    }
}
