//! Reading the Flux objects of a document into the model: sources, Kustomizations,
//! HelmReleases, notification objects and FluxInstance manifests; and of every object, what it
//! is, its labels and annotations and the key names of its data.

use std::collections::BTreeMap;

use super::fields::is_duration;
use super::model::{
    Chart, Decryption, Dependency, GitReference, InstanceSource, Location, ObjectRef, ObjectReference, Patch,
    PostBuild, ScannedAlert, ScannedCommonMetadata, ScannedExternalSecret, ScannedFluxInstance, ScannedGitRepository,
    ScannedHelmRelease, ScannedInstanceSync, ScannedKustomization, ScannedOciRepository, ScannedProvider,
    ScannedReceiver, SubstituteSource, ValuesReference,
};
use crate::objects::PatchTarget;
use crate::yaml::{Node, NodeValue};

/// The text of a scalar at a path (numbers and booleans as written).
pub(super) fn text(node: &Node, path: &[&str]) -> Option<String> {
    match &node.at_path(path.iter().copied())?.value {
        NodeValue::Str(s) => Some(s.clone()),
        NodeValue::Int(i) => Some(i.to_string()),
        NodeValue::Float(f) => Some(f.to_string()),
        NodeValue::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A duration at a path, when it is one Flux accepts (see `fields`, which notes the others).
fn duration(node: &Node, path: &[&str]) -> Option<String> {
    text(node, path).filter(|d| is_duration(d))
}

fn flag(node: &Node, path: &[&str]) -> Option<bool> {
    match node.at_path(path.iter().copied())?.value {
        NodeValue::Bool(b) => Some(b),
        _ => None,
    }
}

/// The items of a list at a path (none when absent or not a list).
pub(super) fn items<'a>(node: &'a Node, path: &[&str]) -> &'a [Node] {
    match node.at_path(path.iter().copied()).map(|n| &n.value) {
        Some(NodeValue::Seq(items)) => items,
        _ => &[],
    }
}

/// A mapping of scalars at a path as text (numbers and booleans as written; other values are
/// left out), e.g. `metadata.labels`.
pub(super) fn string_map(node: &Node, path: &[&str]) -> BTreeMap<String, String> {
    match node.at_path(path.iter().copied()).map(|n| &n.value) {
        Some(NodeValue::Map(entries)) => entries
            .iter()
            .filter_map(|(key, value)| Some((key.name.clone(), text(value, &[])?)))
            .collect(),
        _ => BTreeMap::new(),
    }
}

/// The key names of `data`, then `stringData` (a ConfigMap's or a Secret's), as written; never
/// a value.
pub(super) fn data_keys(node: &Node) -> Vec<String> {
    ["data", "stringData"]
        .iter()
        .filter_map(|key| match node.get(key).map(|n| &n.value) {
            Some(NodeValue::Map(entries)) => Some(entries.iter().map(|(k, _)| k.name.clone())),
            _ => None,
        })
        .flatten()
        .collect()
}

/// What an object document is (`apiVersion`, `kind`, `metadata.name` and `namespace`), its
/// labels and annotations, and the key names of its data.
pub(super) fn object_ref(node: &Node, file: &str) -> Option<ObjectRef> {
    Some(ObjectRef {
        api_version: text(node, &["apiVersion"])?,
        kind: text(node, &["kind"])?,
        name: text(node, &["metadata", "name"]).unwrap_or_default(),
        namespace: text(node, &["metadata", "namespace"]),
        at: Location {
            file: file.to_owned(),
            line: node.at.line,
        },
        labels: string_map(node, &["metadata", "labels"]),
        annotations: annotations(node),
        data_keys: data_keys(node),
    })
}

/// The annotation `kubectl apply` writes with a copy of the whole object, data included.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// `metadata.annotations`, without kubectl's copy of the object (of a Secret, its values).
fn annotations(node: &Node) -> BTreeMap<String, String> {
    let mut annotations = string_map(node, &["metadata", "annotations"]);
    annotations.remove(LAST_APPLIED);
    annotations
}

/// The API group of an `apiVersion` (`""` for the core group).
pub(super) fn group(api_version: &str) -> &str {
    api_version.split_once('/').map_or("", |(group, _)| group)
}

fn reference(node: &Node) -> ObjectReference {
    ObjectReference {
        api_version: text(node, &["apiVersion"]),
        kind: text(node, &["kind"]).unwrap_or_default(),
        name: text(node, &["name"]).unwrap_or_default(),
        namespace: text(node, &["namespace"]),
    }
}

fn dependencies(node: &Node) -> Vec<Dependency> {
    items(node, &["spec", "dependsOn"])
        .iter()
        .filter_map(|d| {
            Some(Dependency {
                name: text(d, &["name"])?,
                namespace: text(d, &["namespace"]),
            })
        })
        .collect()
}

/// A patch target as written (`kind`, `name`, `group`, ...).
pub(super) fn patch_target(node: &Node) -> PatchTarget {
    PatchTarget {
        annotation_selector: text(node, &["annotationSelector"]),
        group: text(node, &["group"]),
        kind: text(node, &["kind"]),
        label_selector: text(node, &["labelSelector"]),
        name: text(node, &["name"]),
        namespace: text(node, &["namespace"]),
        version: text(node, &["version"]),
    }
}

/// The inline patches of a `patches` list (Flux Kustomization, FluxInstance): entries with
/// `patch` text.
pub(super) fn inline_patches(list: &[Node], file: &str) -> Vec<Patch> {
    list.iter()
        .filter_map(|entry| {
            Some(Patch {
                patch: text(entry, &["patch"])?,
                target: entry.get("target").map(patch_target),
                from_file: None,
                at: Location {
                    file: file.to_owned(),
                    line: entry.at.line,
                },
            })
        })
        .collect()
}

/// A URL as the model keeps it: without credentials (noted by [`super::credentials`]).
fn uncredentialed(url: String) -> String {
    crate::url::without_credentials(&url).into_owned()
}

fn location(node: &Node, file: &str) -> Location {
    Location {
        file: file.to_owned(),
        line: node.at.line,
    }
}

pub(super) fn git_repository(node: &Node, file: &str) -> ScannedGitRepository {
    ScannedGitRepository {
        name: text(node, &["metadata", "name"]).unwrap_or_default(),
        namespace: text(node, &["metadata", "namespace"]),
        url: text(node, &["spec", "url"]).map(uncredentialed).unwrap_or_default(),
        reference: GitReference {
            branch: text(node, &["spec", "ref", "branch"]),
            tag: text(node, &["spec", "ref", "tag"]),
            semver: text(node, &["spec", "ref", "semver"]),
            name: text(node, &["spec", "ref", "name"]),
            commit: text(node, &["spec", "ref", "commit"]),
        },
        secret_ref: text(node, &["spec", "secretRef", "name"]),
        provider: text(node, &["spec", "provider"]),
        interval: duration(node, &["spec", "interval"]),
        ignore: text(node, &["spec", "ignore"]),
        at: location(node, file),
    }
}

pub(super) fn oci_repository(node: &Node, file: &str) -> ScannedOciRepository {
    ScannedOciRepository {
        name: text(node, &["metadata", "name"]).unwrap_or_default(),
        namespace: text(node, &["metadata", "namespace"]),
        url: text(node, &["spec", "url"]).map(uncredentialed).unwrap_or_default(),
        tag: text(node, &["spec", "ref", "tag"]),
        semver: text(node, &["spec", "ref", "semver"]),
        digest: text(node, &["spec", "ref", "digest"]),
        at: location(node, file),
    }
}

pub(super) fn kustomization(node: &Node, file: &str) -> ScannedKustomization {
    let post_build = node.at_path(["spec", "postBuild"]).map(|post| PostBuild {
        substitute: match post.get("substitute").map(|s| &s.value) {
            Some(NodeValue::Map(entries)) => entries
                .iter()
                .filter_map(|(key, value)| Some((key.name.clone(), text(value, &[])?)))
                .collect(),
            _ => BTreeMap::new(),
        },
        substitute_from: items(post, &["substituteFrom"])
            .iter()
            .filter_map(|s| {
                Some(SubstituteSource {
                    kind: text(s, &["kind"])?,
                    name: text(s, &["name"])?,
                    optional: flag(s, &["optional"]).unwrap_or(false),
                })
            })
            .collect(),
    });
    let decryption = node.at_path(["spec", "decryption"]).map(|d| Decryption {
        provider: text(d, &["provider"]).unwrap_or_default(),
        secret_ref: text(d, &["secretRef", "name"]),
    });
    ScannedKustomization {
        name: text(node, &["metadata", "name"]).unwrap_or_default(),
        namespace: text(node, &["metadata", "namespace"]),
        path: text(node, &["spec", "path"]),
        source_ref: node.at_path(["spec", "sourceRef"]).map(reference),
        prune: flag(node, &["spec", "prune"]),
        wait: flag(node, &["spec", "wait"]),
        suspend: flag(node, &["spec", "suspend"]),
        interval: duration(node, &["spec", "interval"]),
        timeout: duration(node, &["spec", "timeout"]),
        target_namespace: text(node, &["spec", "targetNamespace"]),
        post_build,
        decryption,
        depends_on: dependencies(node),
        patches: inline_patches(items(node, &["spec", "patches"]), file),
        common_metadata: node
            .at_path(["spec", "commonMetadata"])
            .map(|common| ScannedCommonMetadata {
                labels: string_map(common, &["labels"]),
                annotations: string_map(common, &["annotations"]),
            }),
        at: location(node, file),
    }
}

pub(super) fn helm_release(node: &Node, file: &str) -> ScannedHelmRelease {
    let chart = if let Some(spec) = node.at_path(["spec", "chart", "spec"]) {
        Chart::Spec {
            chart: text(spec, &["chart"]).unwrap_or_default(),
            version: text(spec, &["version"]),
            source: spec.get("sourceRef").map(reference),
        }
    } else if let Some(chart_ref) = node.at_path(["spec", "chartRef"]) {
        Chart::Ref(reference(chart_ref))
    } else {
        Chart::Unknown
    };
    ScannedHelmRelease {
        name: text(node, &["metadata", "name"]).unwrap_or_default(),
        namespace: text(node, &["metadata", "namespace"]),
        chart,
        values_from: items(node, &["spec", "valuesFrom"])
            .iter()
            .filter_map(|v| {
                Some(ValuesReference {
                    kind: text(v, &["kind"])?,
                    name: text(v, &["name"])?,
                    values_key: text(v, &["valuesKey"]),
                })
            })
            .collect(),
        depends_on: dependencies(node),
        at: location(node, file),
    }
}

pub(super) fn receiver(node: &Node, file: &str) -> ScannedReceiver {
    ScannedReceiver {
        name: text(node, &["metadata", "name"]).unwrap_or_default(),
        namespace: text(node, &["metadata", "namespace"]),
        receiver_type: text(node, &["spec", "type"]).unwrap_or_default(),
        secret_ref: text(node, &["spec", "secretRef", "name"]),
        resources: items(node, &["spec", "resources"]).iter().map(reference).collect(),
        at: location(node, file),
    }
}

pub(super) fn alert(node: &Node, file: &str) -> ScannedAlert {
    ScannedAlert {
        name: text(node, &["metadata", "name"]).unwrap_or_default(),
        namespace: text(node, &["metadata", "namespace"]),
        provider_ref: text(node, &["spec", "providerRef", "name"]),
        event_sources: items(node, &["spec", "eventSources"]).iter().map(reference).collect(),
        at: location(node, file),
    }
}

pub(super) fn provider(node: &Node, file: &str) -> ScannedProvider {
    ScannedProvider {
        name: text(node, &["metadata", "name"]).unwrap_or_default(),
        namespace: text(node, &["metadata", "namespace"]),
        provider_type: text(node, &["spec", "type"]).unwrap_or_default(),
        secret_ref: text(node, &["spec", "secretRef", "name"]),
        at: location(node, file),
    }
}

pub(super) fn external_secret(node: &Node, file: &str) -> ScannedExternalSecret {
    let name = text(node, &["metadata", "name"]).unwrap_or_default();
    ScannedExternalSecret {
        namespace: text(node, &["metadata", "namespace"]),
        store_kind: text(node, &["spec", "secretStoreRef", "kind"]).unwrap_or_else(|| "SecretStore".to_owned()),
        store: text(node, &["spec", "secretStoreRef", "name"]),
        target: text(node, &["spec", "target", "name"]).unwrap_or_else(|| name.clone()),
        name,
        at: location(node, file),
    }
}

/// A FluxInstance from its spec node (a manifest's `spec`, or chart values' `instance`).
pub(super) fn flux_instance(
    name: String,
    namespace: Option<String>,
    spec: &Node,
    source: InstanceSource,
    values_file: &str,
    at: Location,
) -> ScannedFluxInstance {
    let sync = spec.get("sync").map(|sync| ScannedInstanceSync {
        kind: text(sync, &["kind"]),
        url: text(sync, &["url"]).map(uncredentialed),
        reference: text(sync, &["ref"]),
        path: text(sync, &["path"]),
        name: text(sync, &["name"]),
        pull_secret: text(sync, &["pullSecret"]),
        interval: duration(sync, &["interval"]),
    });
    ScannedFluxInstance {
        name,
        namespace,
        source,
        distribution_version: text(spec, &["distribution", "version"]),
        components: items(spec, &["components"])
            .iter()
            .filter_map(|c| text(c, &[]))
            .collect(),
        network_policy: flag(spec, &["cluster", "networkPolicy"]),
        sync,
        patches: inline_patches(items(spec, &["kustomize", "patches"]), values_file),
        spec: spec.to_json_with_nulls(),
        at,
    }
}
