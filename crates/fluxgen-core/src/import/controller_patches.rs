//! Reading one GOTK patch (of a bootstrap `kustomization.yaml`, a `flux` Kustomization or an
//! existing FluxInstance) into what it does: container arguments, resources, in-memory
//! builds, the NetworkPolicy delete, the `*-flux-system` renames, or a raw patch kept as it is.

use serde_json::{Value, json};

use crate::config::RawPatch;
use crate::scan::Patch;
use crate::{Component, facts, objects::PatchTarget, patch};

/// The pointer of an appended container argument.
const ARGS_END: &str = "/spec/template/spec/containers/0/args/-";

/// The flags import turns into typed tuning keys.
pub(super) const RECOGNISED_FLAGS: [&str; 16] = [
    "concurrent",
    "requeue-dependency",
    "kube-api-qps",
    "kube-api-burst",
    "helm-cache-max-size",
    "helm-cache-ttl",
    "helm-cache-purge-interval",
    "oom-watch-memory-threshold",
    "oom-watch-interval",
    "feature-gates",
    "watch-configs-label-selector",
    "sops-age-secret",
    "log-level",
    // The multi-tenancy lockdown: `cluster.multitenant` when complete (see `multitenancy`).
    "no-cross-namespace-refs",
    "no-remote-bases",
    "default-service-account",
];

/// What a patch (or one operation of it) does.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Effect {
    /// Deletes the Flux NetworkPolicies.
    DeleteNetworkPolicies,
    /// Renames an object to `<name>-<namespace>`, as the operator names it anyway.
    Rename {
        /// The object's kind and name.
        what: String,
        /// The new name.
        to: String,
    },
    /// Appends `--flag=value` to the controllers' arguments.
    Arg {
        /// The controllers (those the FluxInstance runs).
        controllers: Vec<Component>,
        /// The flag without dashes.
        flag: String,
        /// The value.
        value: String,
    },
    /// Puts kustomize-controller's `temp` volume in memory.
    InMemoryBuilds,
    /// Sets the `manager` container's resources.
    Resources {
        /// The controllers.
        controllers: Vec<Component>,
        /// `limits` (cpu, memory).
        limits: (Option<String>, Option<String>),
        /// `requests` (cpu, memory).
        requests: (Option<String>, Option<String>),
    },
    /// A patch (or the operations of one that are left) kept as a raw patch.
    Raw {
        /// The patch.
        patch: RawPatch,
        /// Whether it is the original text (`false`: the operations import did not translate,
        /// written again).
        verbatim: bool,
        /// The controllers it changes (none for other kinds).
        controllers: Vec<Component>,
    },
    /// Changes only controllers the FluxInstance does not run.
    OtherControllers(Vec<Component>),
    /// Cannot be carried over (no target to give the operator).
    Untargeted,
}

/// The Flux controllers (of all of them) a patch target selects.
pub(super) fn targeted(target: &PatchTarget) -> Vec<Component> {
    let target = PatchTarget {
        namespace: None,
        ..target.clone()
    };
    Component::ALL
        .into_iter()
        .filter(|c| patch::matches(&target, &facts::deployment(*c)).unwrap_or(false))
        .collect()
}

/// Reads one patch. `enabled` is what the FluxInstance runs.
pub(super) fn classify(source: &Patch, enabled: &[Component]) -> Vec<Effect> {
    let Ok(document) = crate::yaml::parse_value(&source.patch) else {
        return raw(source, None, enabled);
    };
    match &document {
        Value::Array(ops) => json6902(source, ops, enabled),
        Value::Object(_) => strategic(source, &document, enabled),
        _ => raw(source, None, enabled),
    }
}

/// The target a patch has, or the one kustomize gives a strategic-merge patch without one
/// (its own kind and name).
fn effective_target(source: &Patch, document: Option<&Value>) -> Option<PatchTarget> {
    if let Some(target) = &source.target {
        return Some(target.clone());
    }
    let document = document?;
    let kind = document.get("kind").and_then(Value::as_str)?;
    Some(PatchTarget {
        kind: Some(kind.to_owned()),
        name: document
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .map(str::to_owned),
        ..PatchTarget::default()
    })
}

/// The patch kept as it is.
fn raw(source: &Patch, document: Option<&Value>, enabled: &[Component]) -> Vec<Effect> {
    raw_with_text(source, document, source.patch.clone(), true, enabled)
}

fn raw_with_text(
    source: &Patch,
    document: Option<&Value>,
    text: String,
    verbatim: bool,
    enabled: &[Component],
) -> Vec<Effect> {
    let Some(target) = effective_target(source, document) else {
        return vec![Effect::Untargeted];
    };
    let Some(kind) = target.kind.clone() else {
        return vec![Effect::Untargeted];
    };
    let all = if kind == "Deployment" {
        targeted(&target)
    } else {
        Vec::new()
    };
    let controllers: Vec<Component> = all.iter().copied().filter(|c| enabled.contains(c)).collect();
    if kind == "Deployment" && controllers.is_empty() && !all.is_empty() {
        return vec![Effect::OtherControllers(all)];
    }
    vec![Effect::Raw {
        patch: RawPatch {
            patch: text,
            // The operator refuses a namespace: the controllers have none yet.
            target: PatchTarget {
                kind: Some(kind),
                namespace: None,
                ..target
            },
        },
        verbatim,
        controllers,
    }]
}

fn json6902(source: &Patch, ops: &[Value], enabled: &[Component]) -> Vec<Effect> {
    let Some(target) = &source.target else {
        return vec![Effect::Untargeted];
    };
    if let Some(rename) = rename(target, ops) {
        return vec![rename];
    }
    let is_deployment = target.kind.as_deref() == Some("Deployment");
    if !is_deployment {
        return raw(source, None, enabled);
    }
    let all = targeted(target);
    let controllers: Vec<Component> = all.iter().copied().filter(|c| enabled.contains(c)).collect();
    if controllers.is_empty() {
        return vec![Effect::OtherControllers(all)];
    }
    let mut effects = Vec::new();
    let mut left = Vec::new();
    for op in ops {
        match operation(op, &controllers) {
            Some(effect) => effects.push(effect),
            None => left.push(op.clone()),
        }
    }
    if left.len() == ops.len() {
        return raw(source, None, enabled);
    }
    if !left.is_empty() {
        let text = crate::yaml::to_string(&Value::Array(left));
        effects.extend(raw_with_text(source, None, text, false, enabled));
    }
    effects
}

/// One JSON 6902 operation on Deployments, when import has a typed key for it.
fn operation(op: &Value, controllers: &[Component]) -> Option<Effect> {
    let kind = op.get("op").and_then(Value::as_str)?;
    let path = op.get("path").and_then(Value::as_str)?;
    let value = op.get("value")?;
    if kind == "add" && path == ARGS_END {
        let arg = value.as_str()?;
        let (flag, value) = arg.strip_prefix("--")?.split_once('=')?;
        return RECOGNISED_FLAGS.contains(&flag).then(|| Effect::Arg {
            controllers: controllers.to_vec(),
            flag: flag.to_owned(),
            value: value.to_owned(),
        });
    }
    let memory_temp = json!({"name": "temp", "emptyDir": {"medium": "Memory"}});
    if matches!(kind, "add" | "replace")
        && path == "/spec/template/spec/volumes/0"
        && *value == memory_temp
        && controllers == [Component::KustomizeController]
    {
        return Some(Effect::InMemoryBuilds);
    }
    None
}

/// `replace /metadata/name` to `<name>-<namespace>`: the renames GOTK repositories make so the
/// names match the flux-manifests artifact (and the operator).
fn rename(target: &PatchTarget, ops: &[Value]) -> Option<Effect> {
    let name = target.name.as_deref()?;
    let [op] = ops else { return None };
    let to = op.get("value").and_then(Value::as_str)?;
    let is_rename = op.get("op").and_then(Value::as_str) == Some("replace")
        && op.get("path").and_then(Value::as_str) == Some("/metadata/name")
        && to
            .strip_prefix(name)
            .is_some_and(|rest| rest.starts_with('-') && rest.len() > 1);
    is_rename.then(|| Effect::Rename {
        what: format!("{} {name}", target.kind.as_deref().unwrap_or("object")),
        to: to.to_owned(),
    })
}

fn strategic(source: &Patch, document: &Value, enabled: &[Component]) -> Vec<Effect> {
    let kind = document
        .get("kind")
        .and_then(Value::as_str)
        .or(source.target.as_ref().and_then(|t| t.kind.as_deref()));
    if kind == Some("NetworkPolicy")
        && document.get("$patch").and_then(Value::as_str) == Some("delete")
        && source.target.as_ref().is_none_or(|t| t.name.is_none())
    {
        return vec![Effect::DeleteNetworkPolicies];
    }
    if kind != Some("Deployment") {
        return raw(source, Some(document), enabled);
    }
    let Some(target) = effective_target(source, Some(document)) else {
        return vec![Effect::Untargeted];
    };
    let all = targeted(&target);
    let controllers: Vec<Component> = all.iter().copied().filter(|c| enabled.contains(c)).collect();
    if controllers.is_empty() {
        return vec![Effect::OtherControllers(all)];
    }
    // Only `spec.template.spec` may be set, besides the patch's own identity.
    let mut top = document.as_object().cloned().unwrap_or_default();
    for key in ["apiVersion", "kind", "metadata"] {
        top.remove(key);
    }
    let pod = document.pointer("/spec/template/spec").and_then(Value::as_object);
    let only_pod_spec = top.len() == 1
        && document
            .get("spec")
            .and_then(Value::as_object)
            .is_some_and(|s| s.len() == 1)
        && document
            .pointer("/spec/template")
            .and_then(Value::as_object)
            .is_some_and(|t| t.len() == 1);
    let Some(pod) = pod.filter(|_| only_pod_spec) else {
        return raw(source, Some(document), enabled);
    };
    if pod.len() == 1
        && pod.get("volumes") == Some(&json!([{"name": "temp", "emptyDir": {"medium": "Memory"}}]))
        && controllers == [Component::KustomizeController]
    {
        return vec![Effect::InMemoryBuilds];
    }
    let resources = match (pod.len(), pod.get("containers").and_then(Value::as_array)) {
        (1, Some(containers)) if containers.len() == 1 => container_resources(&containers[0]),
        _ => None,
    };
    match resources {
        Some((limits, requests)) => vec![Effect::Resources {
            controllers,
            limits,
            requests,
        }],
        None => raw(source, Some(document), enabled),
    }
}

type Amounts = (Option<String>, Option<String>);

/// `{name: manager, resources: {limits, requests}}` with CPU and memory only.
fn container_resources(container: &Value) -> Option<(Amounts, Amounts)> {
    let container = container.as_object()?;
    if container.get("name").and_then(Value::as_str) != Some(facts::CONTAINER_NAME) || container.len() != 2 {
        return None;
    }
    let resources = container.get("resources")?.as_object()?;
    let mut limits = (None, None);
    let mut requests = (None, None);
    for (kind, amounts) in resources {
        let slot = match kind.as_str() {
            "limits" => &mut limits,
            "requests" => &mut requests,
            _ => return None,
        };
        for (name, amount) in amounts.as_object()? {
            let amount = match amount {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                _ => return None,
            };
            match name.as_str() {
                "cpu" => slot.0 = Some(amount),
                "memory" => slot.1 = Some(amount),
                _ => return None,
            }
        }
    }
    Some((limits, requests))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::Location;

    fn source(text: &str, target: Option<PatchTarget>) -> Patch {
        Patch {
            patch: text.to_owned(),
            target,
            from_file: None,
            at: Location::default(),
        }
    }

    const SCALING: &str = "(kustomize-controller|helm-controller|source-controller)";

    #[test]
    fn args_resources_and_memory_builds_are_recognised() {
        let ops = "- op: add\n  path: /spec/template/spec/containers/0/args/-\n  value: --concurrent=12\n\
                   - op: add\n  path: /spec/template/spec/containers/0/args/-\n  value: --something-else=1\n";
        let effects = classify(
            &source(ops, Some(PatchTarget::kind_name("Deployment", SCALING))),
            &Component::DEFAULTS,
        );
        assert!(matches!(&effects[0], Effect::Arg { flag, value, controllers }
            if flag == "concurrent" && value == "12" && controllers.len() == 3));
        let Effect::Raw { patch, verbatim, .. } = &effects[1] else {
            panic!("{effects:?}")
        };
        assert!(!verbatim);
        assert!(patch.patch.contains("--something-else=1") && !patch.patch.contains("concurrent"));

        let memory = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: not-used}\nspec:\n  template:\n    spec:\n      containers:\n        - name: manager\n          resources: {limits: {memory: 2Gi, cpu: 2000m}}\n";
        let effects = classify(
            &source(memory, Some(PatchTarget::kind_name("Deployment", SCALING))),
            &Component::DEFAULTS,
        );
        assert!(matches!(&effects[..], [Effect::Resources { limits, .. }]
            if *limits == (Some("2000m".into()), Some("2Gi".into()))));

        let tmpfs =
            "- op: replace\n  path: /spec/template/spec/volumes/0\n  value: {name: temp, emptyDir: {medium: Memory}}\n";
        let effects = classify(
            &source(
                tmpfs,
                Some(PatchTarget::kind_name("Deployment", "kustomize-controller")),
            ),
            &Component::DEFAULTS,
        );
        assert_eq!(effects, [Effect::InMemoryBuilds]);
    }

    #[test]
    fn network_policy_delete_and_renames() {
        let delete =
            "$patch: delete\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: not-used}\n";
        let target = PatchTarget {
            group: Some("networking.k8s.io".into()),
            kind: Some("NetworkPolicy".into()),
            ..PatchTarget::default()
        };
        assert_eq!(
            classify(&source(delete, Some(target)), &Component::DEFAULTS),
            [Effect::DeleteNetworkPolicies]
        );
        let rename = "- op: replace\n  path: /metadata/name\n  value: crd-controller-flux-system\n";
        let effects = classify(
            &source(rename, Some(PatchTarget::kind_name("ClusterRole", "crd-controller"))),
            &Component::DEFAULTS,
        );
        assert!(matches!(&effects[..], [Effect::Rename { to, .. }] if to == "crd-controller-flux-system"));
    }

    #[test]
    fn everything_else_is_kept_verbatim() {
        let affinity = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: not-used}\nspec:\n  template:\n    spec:\n      tolerations: [{key: x, operator: Exists}]\n";
        let target = PatchTarget {
            kind: Some("Deployment".into()),
            label_selector: Some("control-plane=controller".into()),
            ..PatchTarget::default()
        };
        let effects = classify(&source(affinity, Some(target)), &Component::DEFAULTS);
        let [
            Effect::Raw {
                patch,
                verbatim: true,
                controllers,
            },
        ] = &effects[..]
        else {
            panic!("{effects:?}")
        };
        assert_eq!(patch.patch, affinity);
        assert_eq!(controllers.len(), 4);
        let crd = "- op: add\n  path: /spec/x/-\n  value: Terraform\n";
        let effects = classify(
            &source(
                crd,
                Some(PatchTarget::kind_name(
                    "CustomResourceDefinition",
                    "alerts.notification.toolkit.fluxcd.io",
                )),
            ),
            &Component::DEFAULTS,
        );
        assert!(matches!(&effects[..], [Effect::Raw { verbatim: true, .. }]));
        let untargeted = "- op: add\n  path: /spec/x\n  value: 1\n";
        assert_eq!(
            classify(&source(untargeted, None), &Component::DEFAULTS),
            [Effect::Untargeted]
        );
    }
}
