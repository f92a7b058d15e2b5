//! The Flux Operator's `cluster.size` profiles: the patches the operator applies to the Flux
//! controllers before a FluxInstance's own `spec.kustomize.patches`.
//!
//! Source: controlplaneio-fluxcd/flux-operator v0.58, `internal/builder/profiles.go`
//! (`GetProfileClusterSize` and the `profileClusterSize*` constants). The patch texts below
//! are the operator's, byte for byte, in its order.

use crate::{KustomizePatch, PatchTarget};

/// The strategic-merge patch every size starts with (and the whole profile when no size is
/// set): the pod template gets `app.kubernetes.io/part-of: flux` and the
/// `cluster-autoscaler.kubernetes.io/safe-to-evict: "true"` annotation; a sized profile also
/// annotates the Deployment with `fluxcd.controlplane.io/profile`.
fn metadata_patch(size: Option<&str>) -> String {
    let profile = size.map_or_else(String::new, |size| {
        format!("  annotations:\n    fluxcd.controlplane.io/profile: \"{size}\"\n")
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
