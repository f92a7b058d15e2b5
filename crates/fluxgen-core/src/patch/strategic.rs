//! The strategic-merge subset fluxgen applies to Deployments, with kustomize's results.

use serde_json::{Map, Value};

use super::{PatchError, pointer_segment};

/// The lists that merge element by element, by field name, with the key their elements are
/// matched on (the `patchMergeKey` of the Kubernetes API types in a Deployment).
const MERGE_KEYS: &[(&str, &str)] = &[
    ("containers", "name"),
    ("initContainers", "name"),
    ("ephemeralContainers", "name"),
    ("volumes", "name"),
    ("env", "name"),
    ("imagePullSecrets", "name"),
    ("volumeMounts", "mountPath"),
    ("volumeDevices", "devicePath"),
    ("ports", "containerPort"),
    ("hostAliases", "ip"),
    ("topologySpreadConstraints", "topologyKey"),
];

/// Applies a strategic-merge patch to an object, as kustomize does for the fields of a
/// Deployment.
///
/// What this subset does:
///
/// - mappings merge recursively; a scalar or list in the patch replaces what the object has;
/// - a key set to `null` deletes the key (and `null`s inside new values are dropped);
/// - lists whose elements have a merge key merge element by element: `containers`,
///   `initContainers`, `ephemeralContainers`, `volumes`, `env` and `imagePullSecrets` by
///   `name`, `volumeMounts` by `mountPath`, `volumeDevices` by `devicePath`, `ports` by
///   `containerPort`, `hostAliases` by `ip`, `topologySpreadConstraints` by `topologyKey`. As
///   in kustomize, the result lists the patch's elements first (in the patch's order, merged
///   with the object's element of the same key) and then the object's other elements, so a
///   container added by a patch becomes `containers[0]`;
/// - every other list replaces the object's list whole: `args`, `command`, `tolerations`,
///   `nodeSelectorTerms`, `matchExpressions`, ...;
/// - the patch's `apiVersion`, `kind`, `metadata.name` and `metadata.namespace` are ignored:
///   the target decides which objects a patch applies to.
///
/// What it does not do: the `$patch` (`replace`, `delete`, `merge`), `$setElementOrder`,
/// `$retainKeys` and `$deleteFromPrimitiveList` directives are refused with
/// [`PatchError::UnsupportedDirective`]; the merge keys are those of a pod template, also
/// applied to other kinds (a Service's `ports`, which merge by `port`, would be refused for a
/// missing `containerPort`); lists are never merged as sets of scalars. An element of a
/// merging list without its merge key is an error ([`PatchError::MissingMergeKey`]), where
/// kustomize silently drops elements.
///
/// The patch is checked before anything changes, so on error the object is left as it was.
pub fn apply_strategic(object: &mut Value, patch: &Value) -> Result<(), PatchError> {
    let Value::Object(patch) = patch else {
        return Err(PatchError::NotAMapping { what: "patch" });
    };
    let Value::Object(target) = object else {
        return Err(PatchError::NotAMapping { what: "object" });
    };
    check_map(patch, "")?;
    for (key, value) in patch {
        match (key.as_str(), value) {
            ("apiVersion" | "kind", _) => {}
            ("metadata", Value::Object(metadata)) => {
                let rest: Map<String, Value> = metadata
                    .iter()
                    .filter(|(k, _)| !matches!(k.as_str(), "name" | "namespace"))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                if !rest.is_empty() {
                    merge_field(target, key, &Value::Object(rest));
                }
            }
            _ => merge_field(target, key, value),
        }
    }
    Ok(())
}

/// The merge key of a list field, if it merges element by element.
fn merge_key(field: &str) -> Option<&'static str> {
    MERGE_KEYS.iter().find(|(name, _)| *name == field).map(|(_, key)| *key)
}

/// Refuses directives and merging-list elements without their key, anywhere in the patch.
fn check_map(map: &Map<String, Value>, path: &str) -> Result<(), PatchError> {
    for (key, value) in map {
        let here = format!("{path}/{}", pointer_segment(key));
        if key.starts_with('$') {
            return Err(PatchError::UnsupportedDirective {
                directive: key.clone(),
                path: path_or_root(path),
            });
        }
        match value {
            Value::Object(inner) => check_map(inner, &here)?,
            Value::Array(items) => {
                let key = merge_key(key);
                for (index, item) in items.iter().enumerate() {
                    let at = format!("{here}/{index}");
                    if let Some(key) = key
                        && item.get(key).is_none_or(Value::is_null)
                    {
                        return Err(PatchError::MissingMergeKey { path: at, key });
                    }
                    if let Value::Object(inner) = item {
                        check_map(inner, &at)?;
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn path_or_root(path: &str) -> String {
    if path.is_empty() {
        "/".to_owned()
    } else {
        path.to_owned()
    }
}

/// Merges one patch entry into a mapping.
fn merge_field(target: &mut Map<String, Value>, key: &str, value: &Value) {
    if value.is_null() {
        target.remove(key);
        return;
    }
    match (target.get_mut(key), value) {
        (Some(Value::Object(existing)), Value::Object(patch)) => merge_map(existing, patch),
        (Some(Value::Array(existing)), Value::Array(patch)) => match merge_key(key) {
            Some(merge_key) => merge_list(existing, patch, merge_key),
            None => *existing = patch.iter().map(without_nulls).collect(),
        },
        _ => {
            target.insert(key.to_owned(), without_nulls(value));
        }
    }
}

fn merge_map(target: &mut Map<String, Value>, patch: &Map<String, Value>) {
    for (key, value) in patch {
        merge_field(target, key, value);
    }
}

/// Merges a list by key: the patch's elements first, merged with the object's element of the
/// same key, then the object's elements the patch does not mention.
fn merge_list(target: &mut Vec<Value>, patch: &[Value], key: &str) {
    let mut rest = std::mem::take(target);
    for element in patch {
        let id = element.get(key);
        let found = rest
            .iter()
            .position(|existing| existing.get(key).is_some() && existing.get(key) == id);
        match (found.map(|at| rest.remove(at)), element) {
            (Some(Value::Object(mut existing)), Value::Object(patch)) => {
                merge_map(&mut existing, patch);
                target.push(Value::Object(existing));
            }
            _ => target.push(without_nulls(element)),
        }
    }
    target.append(&mut rest);
}

/// A copy of a value with every `null` mapping entry dropped, as a new value is written.
fn without_nulls(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_strategic_patch_merges_containers_and_volumes_by_name() -> Result<(), PatchError> {
        let mut deployment = json!({"spec": {"template": {"spec": {
            "containers": [{"name": "manager", "args": ["--a"], "resources": {"limits": {"cpu": "1000m", "memory": "1Gi"}}}],
            "volumes": [{"name": "temp", "emptyDir": {}}],
        }}}});
        let patch = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "all"}, "spec": {"template": {"spec": {
            "containers": [{"name": "manager", "resources": {"limits": {"memory": "2Gi"}}}],
            "volumes": [{"name": "temp", "emptyDir": {"medium": "Memory"}}],
        }}}});
        apply_strategic(&mut deployment, &patch)?;
        assert_eq!(
            deployment,
            json!({"spec": {"template": {"spec": {
                "containers": [{"name": "manager", "args": ["--a"], "resources": {"limits": {"cpu": "1000m", "memory": "2Gi"}}}],
                "volumes": [{"name": "temp", "emptyDir": {"medium": "Memory"}}],
            }}}})
        );
        Ok(())
    }

    fn pod(spec: Value) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "demo"}, "spec": {"template": {"spec": spec}}})
    }

    fn merged(object: Value, patch: Value) -> Value {
        let mut object = object;
        apply_strategic(&mut object, &patch).unwrap();
        object
    }

    #[test]
    fn maps_merge_and_null_deletes() {
        let object = json!({"metadata": {"name": "demo", "labels": {"a": "1", "b": "2"}}, "spec": {"replicas": 1}});
        let patch = json!({"metadata": {"labels": {"a": null, "c": "3"}, "annotations": {"x": "y", "gone": null}},
                           "spec": {"replicas": 2, "paused": null}});
        assert_eq!(
            merged(object, patch),
            json!({"metadata": {"name": "demo", "labels": {"b": "2", "c": "3"}, "annotations": {"x": "y"}},
                   "spec": {"replicas": 2}})
        );
    }

    #[test]
    fn the_patch_identity_is_ignored() {
        let object = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "demo", "namespace": "flux-system"}});
        let patch = json!({"apiVersion": "v1", "kind": "Other", "metadata": {"name": "all", "namespace": "x", "labels": {"a": "b"}}});
        assert_eq!(
            merged(object, patch),
            json!({"apiVersion": "apps/v1", "kind": "Deployment",
                   "metadata": {"name": "demo", "namespace": "flux-system", "labels": {"a": "b"}}})
        );
    }

    #[test]
    fn keyed_lists_merge_with_the_patch_order_first() {
        let object = pod(json!({
            "containers": [{"name": "a", "image": "a"}, {"name": "b", "image": "b"}, {"name": "c", "image": "c"}],
            "volumes": [{"name": "a", "emptyDir": {}}, {"name": "b", "emptyDir": {}}, {"name": "c", "emptyDir": {}}],
        }));
        let patch = pod(json!({
            "containers": [{"name": "c", "image": "c2"}],
            "volumes": [{"name": "d", "emptyDir": {}}, {"name": "b", "emptyDir": {"medium": "Memory"}}],
        }));
        assert_eq!(
            merged(object, patch),
            pod(json!({
                "containers": [{"name": "c", "image": "c2"}, {"name": "a", "image": "a"}, {"name": "b", "image": "b"}],
                "volumes": [
                    {"name": "d", "emptyDir": {}}, {"name": "b", "emptyDir": {"medium": "Memory"}},
                    {"name": "a", "emptyDir": {}}, {"name": "c", "emptyDir": {}},
                ],
            }))
        );
    }

    #[test]
    fn nested_keyed_lists_merge_and_other_lists_replace() {
        let object = pod(json!({
            "tolerations": [{"key": "k1", "operator": "Exists"}],
            "containers": [{
                "name": "manager", "args": ["--a", "--b"],
                "ports": [{"containerPort": 8080, "name": "http", "protocol": "TCP"}],
                "env": [{"name": "X", "value": "1"}],
                "volumeMounts": [{"mountPath": "/tmp", "name": "temp"}],
            }],
            "volumes": [{"name": "temp", "emptyDir": {}}, {"name": "data", "emptyDir": {}}],
        }));
        let patch = pod(json!({
            "tolerations": [{"key": "k2", "operator": "Exists"}],
            "containers": [{
                "name": "manager", "args": ["--c"],
                "ports": [{"containerPort": 9090, "name": "metrics"}],
                "env": [{"name": "Y", "value": "2"}, {"name": "X", "value": null}],
                "volumeMounts": [{"mountPath": "/tmp", "name": "other"}],
            }],
            "volumes": [
                {"name": "temp", "emptyDir": {"medium": "Memory", "sizeLimit": null}},
                {"name": "data", "emptyDir": null, "configMap": {"name": "cm"}},
            ],
        }));
        // The same result as `kubectl kustomize` (v5.8) gives for this patch.
        assert_eq!(
            merged(object, patch),
            pod(json!({
                "tolerations": [{"key": "k2", "operator": "Exists"}],
                "containers": [{
                    "name": "manager", "args": ["--c"],
                    "ports": [{"containerPort": 9090, "name": "metrics"}, {"containerPort": 8080, "name": "http", "protocol": "TCP"}],
                    "env": [{"name": "Y", "value": "2"}, {"name": "X"}],
                    "volumeMounts": [{"mountPath": "/tmp", "name": "other"}],
                }],
                "volumes": [{"name": "temp", "emptyDir": {"medium": "Memory"}}, {"name": "data", "configMap": {"name": "cm"}}],
            }))
        );
    }

    #[test]
    fn a_list_meeting_a_non_list_replaces_it() {
        let object = json!({"spec": {"containers": "oops", "volumes": [{"name": "a"}]}});
        let patch = json!({"spec": {"containers": [{"name": "a"}], "volumes": {"name": "b"}}});
        assert_eq!(
            merged(object, patch),
            json!({"spec": {"containers": [{"name": "a"}], "volumes": {"name": "b"}}})
        );
    }

    #[test]
    fn directives_are_refused_before_anything_changes() {
        let object = pod(json!({"containers": [{"name": "manager"}]}));
        for (patch, directive, path) in [
            (json!({"$patch": "replace"}), "$patch", "/"),
            (
                pod(json!({"$setElementOrder/containers": [{"name": "manager"}]})),
                "$setElementOrder/containers",
                "/spec/template/spec",
            ),
            (
                pod(json!({"containers": [{"name": "manager", "$patch": "delete"}]})),
                "$patch",
                "/spec/template/spec/containers/0",
            ),
        ] {
            let mut target = object.clone();
            assert_eq!(
                apply_strategic(&mut target, &patch),
                Err(PatchError::UnsupportedDirective {
                    directive: directive.to_owned(),
                    path: path.to_owned(),
                })
            );
            assert_eq!(target, object);
        }
    }

    #[test]
    fn an_element_without_its_merge_key_is_an_error() {
        let mut object = pod(json!({"containers": [{"name": "manager"}]}));
        let patch = pod(json!({"containers": [{"name": "manager", "volumeMounts": [{"name": "temp"}]}]}));
        let error = apply_strategic(&mut object, &patch).unwrap_err();
        assert_eq!(
            error.to_string(),
            "/spec/template/spec/containers/0/volumeMounts/0: a list element has no `mountPath`, the key this list merges by"
        );
    }

    #[test]
    fn non_mappings_are_errors() {
        let mut object = json!([]);
        assert_eq!(
            apply_strategic(&mut object, &json!({})),
            Err(PatchError::NotAMapping { what: "object" })
        );
        assert_eq!(
            apply_strategic(&mut json!({}), &json!([])),
            Err(PatchError::NotAMapping { what: "patch" })
        );
    }
}
