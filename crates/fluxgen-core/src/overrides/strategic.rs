//! Strategic-merge patches as `kubectl kustomize` (kustomize v5.8) applies them to the objects
//! fluxgen emits. They are custom resources and kustomize config files, for which Kubernetes
//! defines no patch strategy, so kustomize merges them like a JSON merge patch, with its
//! `$patch` directive:
//!
//! - mappings merge key by key, `null` deletes a key, and a new mapping loses its `null`s;
//! - every list is replaced whole and kept verbatim, even a list of items with a `name`;
//! - `$patch: delete` in a mapping deletes that mapping, `$patch: replace` replaces it with the
//!   rest of the patch's mapping, and `$patch: merge` is the default;
//! - a patch that changes a value's type (a mapping where the object has a string, a list where
//!   it has a mapping, ...) fails, as kustomize fails ("wrong node kind");
//! - the patch's `apiVersion`, `kind`, `metadata.name` and `metadata.namespace` are ignored
//!   (the target selects the object), so a kustomize patch can be pasted as it is.
//!
//! Where kustomize would write what the patch cannot mean, fluxgen refuses the patch when the
//! config loads ([`check_strategic`]): `$patch` at the top (kustomize drops the object for
//! `delete` and ignores the whole patch for `replace`), a directive inside a list item
//! (kustomize copies it into the object), the directives kustomize does not apply to custom
//! resources (`$retainKeys`, `$setElementOrder/...`, `$deleteFromPrimitiveList/...`), and a
//! `null` or a value that is not a string in `metadata.labels` or `metadata.annotations`
//! (kustomize writes the string `"null"` or `"1"` there instead of deleting or failing).
//!
//! `tests/overrides.rs` checks these rules against `kubectl kustomize` itself.

use serde_json::{Map, Value};

/// The directives kustomize does not apply to custom resources (it copies them into the object).
fn ignored_directive(key: &str) -> bool {
    key == "$retainKeys" || key.starts_with("$setElementOrder/") || key.starts_with("$deleteFromPrimitiveList/")
}

/// Refuses what kustomize would turn into something the strategic-merge patch cannot mean
/// (see the module docs).
pub(crate) fn check_strategic(patch: &Value) -> Result<(), String> {
    let Value::Object(root) = patch else {
        return Err("a strategic-merge patch must be a mapping (the fields to merge into the object)".to_owned());
    };
    match root.get("$patch") {
        None => {}
        Some(Value::String(strategy)) if strategy == "merge" => {}
        Some(other) => {
            return Err(format!(
                "`$patch: {}` at the top of the patch is refused: kustomize drops the object for `delete` and \
                 ignores the whole patch for `replace`",
                text(other)
            ));
        }
    }
    if let Some(Value::Object(metadata)) = root.get("metadata") {
        for field in ["labels", "annotations"] {
            match metadata.get(field) {
                Some(Value::Null) => {
                    return Err(format!(
                        "`metadata.{field}: null` is refused: kustomize ignores it; write \
                         `metadata.{field}: {{$patch: delete}}` to delete them all"
                    ));
                }
                Some(Value::Object(entries)) => {
                    for (key, value) in entries.iter().filter(|(key, _)| *key != "$patch") {
                        if !value.is_string() {
                            return Err(format!(
                                "`metadata.{field}.{key}` must be a string: kustomize would write `{}` as the \
                                 string \"{}\" (to delete one entry use a `json` override with `op: remove`)",
                                text(value),
                                text(value)
                            ));
                        }
                    }
                }
                _ => {}
            }
        }
    }
    check_directives(patch, "")
}

fn check_directives(value: &Value, at: &str) -> Result<(), String> {
    match value {
        Value::Object(fields) => {
            for (key, value) in fields {
                let here = format!("{at}/{}", escape(key));
                if key == "$patch" {
                    if !matches!(value.as_str(), Some("merge" | "replace" | "delete")) {
                        return Err(format!(
                            "`{here}`: unknown strategy `{}`: use `merge`, `replace` or `delete`",
                            text(value)
                        ));
                    }
                } else if ignored_directive(key) {
                    return Err(format!(
                        "`{here}`: kustomize does not apply `{key}` to custom resources (it would copy the key \
                         into the object)"
                    ));
                } else {
                    check_directives(value, &here)?;
                }
            }
            Ok(())
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                if has_directive(item) {
                    return Err(format!(
                        "`{at}/{index}`: a `$` directive inside a list is refused: kustomize replaces the lists of \
                         custom resources whole and would copy it into the object"
                    ));
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn has_directive(value: &Value) -> bool {
    match value {
        Value::Object(fields) => fields
            .iter()
            .any(|(key, value)| key == "$patch" || ignored_directive(key) || has_directive(value)),
        Value::Array(items) => items.iter().any(has_directive),
        _ => false,
    }
}

/// Merges a strategic-merge `patch` into `object` as kustomize does for a kind without a
/// patch strategy (see the module docs).
pub(crate) fn strategic_merge(object: &mut Value, patch: &Value) -> Result<(), String> {
    check_strategic(patch)?;
    let Value::Object(object) = object else {
        return Err("the object is not a mapping".to_owned());
    };
    let mut patch = patch.as_object().cloned().unwrap_or_default();
    // The target selects the object; kustomize ignores the patch's own identity.
    patch.remove("apiVersion");
    patch.remove("kind");
    if let Some(Value::Object(metadata)) = patch.get_mut("metadata") {
        metadata.remove("name");
        metadata.remove("namespace");
    }
    merge_fields(object, &patch, "")
}

#[derive(PartialEq, Eq)]
enum Shape {
    Mapping,
    List,
    Scalar,
}

fn shape(value: &Value) -> Shape {
    match value {
        Value::Object(_) => Shape::Mapping,
        Value::Array(_) => Shape::List,
        _ => Shape::Scalar,
    }
}

fn shape_name(value: &Value) -> &'static str {
    match shape(value) {
        Shape::Mapping => "a mapping",
        Shape::List => "a list",
        Shape::Scalar => "a scalar",
    }
}

fn merge_fields(target: &mut Map<String, Value>, patch: &Map<String, Value>, at: &str) -> Result<(), String> {
    for (key, value) in patch {
        if key == "$patch" {
            continue;
        }
        let here = format!("{at}/{}", escape(key));
        if let Some(existing) = target.get(key).filter(|v| !v.is_null())
            && !value.is_null()
            && shape(existing) != shape(value)
        {
            return Err(format!(
                "`{here}` is {} in the object but {} in the patch: a strategic merge cannot change a value's \
                 type (kustomize fails with \"wrong node kind\"); use a `merge` or `json` override",
                shape_name(existing),
                shape_name(value)
            ));
        }
        match value {
            Value::Null => {
                target.remove(key);
            }
            Value::Object(fields) => match fields.get("$patch").and_then(Value::as_str) {
                Some("delete") => {
                    target.remove(key);
                }
                Some("replace") => {
                    let mut fresh = Map::new();
                    merge_fields(&mut fresh, fields, &here)?;
                    target.insert(key.clone(), Value::Object(fresh));
                }
                _ => {
                    let entry = target.entry(key.clone()).or_insert(Value::Null);
                    if !entry.is_object() {
                        *entry = Value::Object(Map::new());
                    }
                    let Value::Object(inner) = entry else {
                        unreachable!("just made a mapping")
                    };
                    merge_fields(inner, fields, &here)?;
                }
            },
            other => {
                target.insert(key.clone(), other.clone());
            }
        }
    }
    Ok(())
}

/// A key as a JSON pointer segment.
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// A value as written in a message: strings without quotes.
fn text(value: &Value) -> String {
    value.as_str().map_or_else(|| value.to_string(), str::to_owned)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::overrides::tests::release;

    fn strategic(patch: Value) -> Result<Value, String> {
        let mut object = release();
        strategic_merge(&mut object, &patch).map(|()| object)
    }

    #[test]
    fn strategic_merges_maps_deletes_nulls_and_replaces_lists() {
        let object = strategic(json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "ignored", "namespace": "ignored", "annotations": {"b": "2"}},
            "spec": {
                "install": null,
                "absent": null,
                "fresh": {"a": null, "b": 1, "deep": {"c": null}},
                "values": {
                    "named": [{"name": "y", "v": 20}, {"name": "x", "keep": null}],
                    "instance": {"cluster": {"networkPolicy": null, "size": "large"}}
                }
            }
        }))
        .unwrap();
        assert_eq!(
            object,
            json!({
                "apiVersion": "helm.toolkit.fluxcd.io/v2",
                "kind": "HelmRelease",
                "metadata": {"name": "flux-instance", "annotations": {"a": "1", "b": "2"}},
                "spec": {
                    "interval": "1h",
                    "fresh": {"b": 1, "deep": {}},
                    "values": {
                        "named": [{"name": "y", "v": 20}, {"name": "x", "keep": null}],
                        "instance": {"cluster": {"type": "kubernetes", "size": "large"}}
                    }
                }
            })
        );
    }

    #[test]
    fn strategic_directives_delete_and_replace_mappings() {
        let object = strategic(json!({
            "spec": {
                "install": {"$patch": "delete"},
                "gone": {"$patch": "delete"},
                "values": {
                    "instance": {"$patch": "replace", "sync": {"a": null, "b": 1}, "x": {"$patch": "delete"}},
                    "named": []
                },
                "upgrade": {"$patch": "replace"}
            }
        }))
        .unwrap();
        assert_eq!(object["spec"].get("install"), None);
        assert_eq!(object["spec"].get("gone"), None);
        assert_eq!(object["spec"]["values"]["instance"], json!({"sync": {"b": 1}}));
        assert_eq!(object["spec"]["values"]["named"], json!([]));
        assert_eq!(object["spec"]["upgrade"], json!({}));
        assert_eq!(object["metadata"]["annotations"], json!({"a": "1"}));
        let merged = strategic(json!({"$patch": "merge", "spec": {"values": {"$patch": "merge", "k": 1}}})).unwrap();
        assert_eq!(merged["spec"]["values"]["k"], 1);
    }

    #[test]
    fn strategic_refuses_a_change_of_type() {
        for (patch, needle) in [
            (
                json!({"spec": {"interval": {"a": 1}}}),
                "`/spec/interval` is a scalar in the object but a mapping",
            ),
            (
                json!({"spec": {"install": 5}}),
                "`/spec/install` is a mapping in the object but a scalar",
            ),
            (
                json!({"spec": {"values": {"named": {"$patch": "delete"}}}}),
                "is a list in the object but a mapping",
            ),
            (
                json!({"spec": {"interval": ["1h"]}}),
                "is a scalar in the object but a list",
            ),
        ] {
            let error = strategic(patch).unwrap_err();
            assert!(error.contains(needle), "{error}");
        }
    }

    #[test]
    fn strategic_refuses_what_kustomize_mangles() {
        for (patch, needle) in [
            (json!(["a"]), "must be a mapping"),
            (json!({"$patch": "delete"}), "drops the object"),
            (json!({"$patch": "replace"}), "ignores the whole patch"),
            (
                json!({"spec": {"$patch": "remove"}}),
                "`/spec/$patch`: unknown strategy `remove`",
            ),
            (json!({"spec": {"$retainKeys": ["a"]}}), "does not apply `$retainKeys`"),
            (
                json!({"spec": {"$setElementOrder/a": []}}),
                "does not apply `$setElementOrder/a`",
            ),
            (
                json!({"spec": {"l": [{"name": "x", "$patch": "delete"}]}}),
                "`/spec/l/0`: a `$` directive",
            ),
            (
                json!({"metadata": {"annotations": {"a": null}}}),
                "`metadata.annotations.a` must be a string",
            ),
            (json!({"metadata": {"labels": {"a": 1}}}), "the string \"1\""),
            (
                json!({"metadata": {"labels": null}}),
                "`metadata.labels: null` is refused",
            ),
        ] {
            let error = check_strategic(&patch).unwrap_err();
            assert!(error.contains(needle), "{patch}: {error}");
        }
        assert!(check_strategic(&json!({"metadata": {"annotations": {"$patch": "delete"}}})).is_ok());
    }
}
