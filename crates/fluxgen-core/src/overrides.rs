//! `overrides`: the user's patches on the objects fluxgen emits, applied after generation to
//! each object's JSON value, so any field can change without forking fluxgen.
//!
//! An override has a target and exactly one patch:
//!
//! - `merge`: an RFC 7396 JSON merge patch ([`json_patch::merge`]): mappings merge key by key,
//!   `null` deletes a key, anything else (a list included) replaces what was there.
//! - `json`: RFC 6902 operations ([`json_patch::patch`]), applied all or nothing. A pointer
//!   that does not exist is an error, as it is for `kubectl kustomize`.
//! - `strategic`: a strategic-merge patch, applied as `kubectl kustomize` (kustomize v5.8)
//!   applies one to these objects. They are custom resources and kustomize config files, for
//!   which Kubernetes defines no patch strategy, so kustomize merges them like a JSON merge
//!   patch, with its `$patch` directive:
//!   - mappings merge key by key, `null` deletes a key, and a new mapping loses its `null`s;
//!   - every list is replaced whole and kept verbatim, even a list of items with a `name`;
//!   - `$patch: delete` in a mapping deletes that mapping, `$patch: replace` replaces it with
//!     the rest of the patch's mapping, and `$patch: merge` is the default;
//!   - a patch that changes a value's type (a mapping where the object has a string, a list
//!     where it has a mapping, ...) fails, as kustomize fails ("wrong node kind");
//!   - the patch's `apiVersion`, `kind`, `metadata.name` and `metadata.namespace` are
//!     ignored (the target selects the object), so a kustomize patch can be pasted as it is.
//!
//!   Where kustomize would write what the patch cannot mean, fluxgen refuses the patch when the
//!   config loads: `$patch` at the top (kustomize drops the object for `delete` and ignores the
//!   whole patch for `replace`), a directive inside a list item (kustomize copies it into the
//!   object), the directives kustomize does not apply to custom resources (`$retainKeys`,
//!   `$setElementOrder/...`, `$deleteFromPrimitiveList/...`), and a `null` or a value that is
//!   not a string in `metadata.labels` or `metadata.annotations` (kustomize writes the string
//!   `"null"` or `"1"` there instead of deleting or failing).
//!
//! A target selects the objects whose `kind` equals `kind`, and, where set, whose API group
//! (`apiVersion` before the `/`) equals `group`, whose `metadata.name` equals `name` (exactly,
//! not a regex) and whose file (relative to the cluster's directory) equals `file`. Overrides
//! apply in order, each to every object it selects, as the earlier ones left it. The
//! namespace-level `kustomization.yaml` is usually the user's own file and is not overridden.
//!
//! Every override must select an object of the cluster. A cluster at phase `prepare` or
//! `operator` emits only part of the tree: there an override that selects nothing is skipped
//! when it selects an object of an app its phase does not emit yet (it waits for that app).
//! From phase `instance` on, all of the tree is emitted and every override must select an
//! object.

use std::fmt;

use json_patch::{PatchErrorKind, PatchOperation};
use serde_json::{Map, Value};

use crate::Error;
use crate::config::{Override, OverrideTarget};

impl OverrideTarget {
    /// Whether the target selects `object`, written to `file` (relative to the cluster's
    /// directory).
    pub fn selects(&self, file: &str, object: &Value) -> bool {
        let text = |pointer: &str| object.pointer(pointer).and_then(Value::as_str);
        text("/kind") == Some(self.kind.as_str())
            && self.group.as_deref().is_none_or(|group| group == api_group(object))
            && self
                .name
                .as_deref()
                .is_none_or(|name| text("/metadata/name") == Some(name))
            && self.file.as_deref().is_none_or(|wanted| wanted == file)
    }
}

impl fmt::Display for OverrideTarget {
    /// `Kind[.group][/name][ in file]`, e.g. `HelmRelease/flux-operator`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.kind)?;
        if let Some(group) = &self.group {
            write!(f, ".{group}")?;
        }
        if let Some(name) = &self.name {
            write!(f, "/{name}")?;
        }
        if let Some(file) = &self.file {
            write!(f, " in {file}")?;
        }
        Ok(())
    }
}

impl Override {
    /// Applies the override's patch to `object`; the error says why it cannot.
    ///
    /// ```
    /// use fluxgen_core::config::{Override, OverrideTarget};
    /// use serde_json::json;
    ///
    /// let change = Override {
    ///     target: OverrideTarget { kind: "HelmRelease".into(), group: None, name: None, file: None },
    ///     merge: Some(json!({"spec": {"timeout": "10m"}})),
    ///     json: None,
    ///     strategic: None,
    /// };
    /// let mut object = json!({"kind": "HelmRelease", "spec": {"interval": "1h"}});
    /// change.apply(&mut object).unwrap();
    /// assert_eq!(object["spec"], json!({"interval": "1h", "timeout": "10m"}));
    /// ```
    pub fn apply(&self, object: &mut Value) -> Result<(), String> {
        match (&self.merge, &self.json, &self.strategic) {
            (Some(patch), None, None) => {
                check_merge(patch)?;
                json_patch::merge(object, patch);
                Ok(())
            }
            (None, Some(operations), None) => apply_operations(object, operations),
            (None, None, Some(patch)) => strategic_merge(object, patch),
            _ => Err("set exactly one of `merge`, `json` or `strategic`".to_owned()),
        }
    }
}

/// A cluster's overrides while its files are planned: applies them to each object and
/// remembers which selected something.
pub(crate) struct Overrides<'a> {
    cluster: &'a str,
    list: &'a [Override],
    matched: Vec<bool>,
    seen: Vec<String>,
}

impl<'a> Overrides<'a> {
    pub(crate) fn new(cluster: &'a str, list: &'a [Override]) -> Self {
        Self {
            cluster,
            list,
            matched: vec![false; list.len()],
            seen: Vec::new(),
        }
    }

    /// Applies, in order, every override whose target selects the object written to `file`.
    pub(crate) fn apply(&mut self, file: &str, object: &mut Value) -> Result<(), Error> {
        self.seen.push(describe(file, object));
        for (index, change) in self.list.iter().enumerate() {
            if change.target.selects(file, object) {
                self.matched[index] = true;
                change
                    .apply(object)
                    .map_err(|reason| self.error(index, format!("{file}: {reason}")))?;
            }
        }
        Ok(())
    }

    /// The indexes of the overrides that selected no object so far.
    pub(crate) fn unmatched(&self) -> impl Iterator<Item = usize> + '_ {
        self.matched
            .iter()
            .enumerate()
            .filter(|(_, matched)| !**matched)
            .map(|(index, _)| index)
    }

    /// Whether override `index` selected an object.
    pub(crate) fn matched(&self, index: usize) -> bool {
        self.matched[index]
    }

    /// The error for an override that selects nothing, listing what the cluster emits.
    pub(crate) fn unmatched_error(&self, index: usize, phase: crate::Phase) -> Error {
        let emitted = if self.seen.is_empty() {
            "nothing".to_owned()
        } else {
            self.seen.join(", ")
        };
        self.error(
            index,
            format!("selects no object of the cluster (at phase `{phase}` fluxgen emits {emitted})"),
        )
    }

    fn error(&self, index: usize, reason: String) -> Error {
        Error::Override {
            cluster: self.cluster.to_owned(),
            index,
            target: self.list[index].target.to_string(),
            reason,
        }
    }
}

/// `file (Kind name, group)` for messages.
fn describe(file: &str, object: &Value) -> String {
    let kind = object.get("kind").and_then(Value::as_str).unwrap_or("?");
    let group = match api_group(object) {
        "" => "core",
        group => group,
    };
    match object.pointer("/metadata/name").and_then(Value::as_str) {
        Some(name) => format!("{file} ({kind} {name}, {group})"),
        None => format!("{file} ({kind}, {group})"),
    }
}

/// The API group of an object: its `apiVersion` before the `/`, empty for the core group.
fn api_group(object: &Value) -> &str {
    let api_version = object.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
    api_version.rsplit_once('/').map_or("", |(group, _)| group)
}

// --- merge ------------------------------------------------------------------------------------

/// A merge patch must be a mapping: any other value would replace the whole object.
pub(crate) fn check_merge(patch: &Value) -> Result<(), String> {
    if patch.is_object() {
        Ok(())
    } else {
        Err("a merge patch must be a mapping (anything else would replace the whole object)".to_owned())
    }
}

// --- json -------------------------------------------------------------------------------------

/// Checks that `operation` is an RFC 6902 operation (`op`, `path`, and `value` or `from`).
pub(crate) fn check_operation(operation: &Value) -> Result<(), String> {
    parse_operation(operation).map(|_| ())
}

fn parse_operation(operation: &Value) -> Result<PatchOperation, String> {
    serde_json::from_value(operation.clone()).map_err(|e| format!("not a JSON patch operation: {e}"))
}

fn apply_operations(object: &mut Value, operations: &[Value]) -> Result<(), String> {
    let operations = operations
        .iter()
        .enumerate()
        .map(|(index, operation)| parse_operation(operation).map_err(|e| format!("operation {index}: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    json_patch::patch(object, &operations).map_err(|error| {
        let index = error.operation;
        let path = error.path.to_string();
        let (name, from) = match &operations[index] {
            PatchOperation::Add(_) => ("add", None),
            PatchOperation::Remove(_) => ("remove", None),
            PatchOperation::Replace(_) => ("replace", None),
            PatchOperation::Move(op) => ("move", Some(op.from.to_string())),
            PatchOperation::Copy(op) => ("copy", Some(op.from.to_string())),
            PatchOperation::Test(_) => ("test", None),
        };
        let reason = match error.kind {
            PatchErrorKind::InvalidPointer if name == "add" => {
                format!("the JSON pointer `{path}` does not exist (its parent is missing or the index is past the end)")
            }
            PatchErrorKind::InvalidPointer => format!("the JSON pointer `{path}` does not exist"),
            PatchErrorKind::InvalidFromPointer => {
                format!("the `from` JSON pointer `{}` does not exist", from.unwrap_or_default())
            }
            PatchErrorKind::TestFailed => format!("the value at `{path}` is not the one the test expects"),
            other => format!("at `{path}`: {other}"),
        };
        format!("operation {index} (`{name}`): {reason}")
    })
}

// --- strategic --------------------------------------------------------------------------------

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

    fn target(kind: &str, name: Option<&str>) -> OverrideTarget {
        OverrideTarget {
            kind: kind.to_owned(),
            group: None,
            name: name.map(str::to_owned),
            file: None,
        }
    }

    fn release() -> Value {
        json!({
            "apiVersion": "helm.toolkit.fluxcd.io/v2",
            "kind": "HelmRelease",
            "metadata": {"name": "flux-instance", "annotations": {"a": "1"}},
            "spec": {
                "interval": "1h",
                "install": {"remediation": {"retries": -1}},
                "values": {
                    "named": [{"name": "x", "v": 1}, {"name": "y", "v": 2}],
                    "instance": {"cluster": {"type": "kubernetes", "networkPolicy": true}}
                }
            }
        })
    }

    fn strategic(patch: Value) -> Result<Value, String> {
        let mut object = release();
        strategic_merge(&mut object, &patch).map(|()| object)
    }

    #[test]
    fn targets_select_by_kind_group_name_and_file() {
        let object = release();
        let file = "flux-instance/app/helmrelease.yaml";
        assert!(target("HelmRelease", None).selects(file, &object));
        assert!(target("HelmRelease", Some("flux-instance")).selects(file, &object));
        assert!(!target("HelmRelease", Some("flux-operator")).selects(file, &object));
        assert!(!target("OCIRepository", None).selects(file, &object));
        let grouped = |group: &str| OverrideTarget {
            group: Some(group.to_owned()),
            ..target("HelmRelease", None)
        };
        assert!(grouped("helm.toolkit.fluxcd.io").selects(file, &object));
        assert!(!grouped("kustomize.config.k8s.io").selects(file, &object));
        let filed = |path: &str| OverrideTarget {
            file: Some(path.to_owned()),
            ..target("HelmRelease", None)
        };
        assert!(filed(file).selects(file, &object));
        assert!(!filed("flux-operator/app/helmrelease.yaml").selects(file, &object));
        // A kustomize config file has a group and no name.
        let kustomization = json!({"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization"});
        assert!(
            OverrideTarget {
                group: Some("kustomize.config.k8s.io".to_owned()),
                ..target("Kustomization", None)
            }
            .selects("flux-operator/app/kustomization.yaml", &kustomization)
        );
        assert!(!target("Kustomization", Some("flux-operator")).selects("x", &kustomization));
    }

    #[test]
    fn targets_display_what_they_select() {
        let full = OverrideTarget {
            kind: "Kustomization".to_owned(),
            group: Some("kustomize.config.k8s.io".to_owned()),
            name: None,
            file: Some("flux-operator/app/kustomization.yaml".to_owned()),
        };
        assert_eq!(
            full.to_string(),
            "Kustomization.kustomize.config.k8s.io in flux-operator/app/kustomization.yaml"
        );
        assert_eq!(
            target("HelmRelease", Some("flux-operator")).to_string(),
            "HelmRelease/flux-operator"
        );
    }

    #[test]
    fn merge_patches_follow_rfc_7396() {
        let change = Override {
            target: target("HelmRelease", None),
            merge: Some(json!({"spec": {"install": null, "values": {"named": [{"name": "z"}]}, "timeout": "5m"}})),
            json: None,
            strategic: None,
        };
        let mut object = release();
        change.apply(&mut object).unwrap();
        assert_eq!(object["spec"].get("install"), None);
        assert_eq!(object["spec"]["values"]["named"], json!([{"name": "z"}]));
        assert_eq!(object["spec"]["timeout"], "5m");
        assert_eq!(object["spec"]["interval"], "1h");
        let whole = Override {
            merge: Some(json!("x")),
            ..change
        };
        assert!(whole.apply(&mut release()).unwrap_err().contains("must be a mapping"));
    }

    #[test]
    fn json_patches_name_the_missing_pointer() {
        let apply = |operations: Value| {
            let mut object = release();
            let operations = operations.as_array().unwrap().clone();
            apply_operations(&mut object, &operations).map(|()| object)
        };
        let object = apply(json!([
            {"op": "add", "path": "/spec/timeout", "value": "5m"},
            {"op": "replace", "path": "/spec/interval", "value": "2h"},
            {"op": "remove", "path": "/spec/values/named/0"},
        ]))
        .unwrap();
        assert_eq!(object["spec"]["timeout"], "5m");
        assert_eq!(object["spec"]["interval"], "2h");
        assert_eq!(object["spec"]["values"]["named"], json!([{"name": "y", "v": 2}]));

        let missing = apply(json!([
            {"op": "add", "path": "/spec/timeout", "value": "5m"},
            {"op": "replace", "path": "/spec/nothing/here", "value": 1},
        ]))
        .unwrap_err();
        assert_eq!(
            missing,
            "operation 1 (`replace`): the JSON pointer `/spec/nothing/here` does not exist"
        );
        let parent = apply(json!([{"op": "add", "path": "/spec/a/b", "value": 1}])).unwrap_err();
        assert!(parent.contains("`/spec/a/b` does not exist"), "{parent}");
        let from = apply(json!([{"op": "move", "from": "/spec/x", "path": "/spec/y"}])).unwrap_err();
        assert!(from.contains("the `from` JSON pointer `/spec/x`"), "{from}");
        let test = apply(json!([{"op": "test", "path": "/spec/interval", "value": "2h"}])).unwrap_err();
        assert!(test.contains("not the one the test expects"), "{test}");
        assert!(check_operation(&json!({"op": "frobnicate", "path": "/a"})).is_err());
        assert!(check_operation(&json!({"op": "add", "path": "/a"})).is_err());
        assert!(check_operation(&json!({"op": "remove", "path": "/a"})).is_ok());
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

    #[test]
    fn overrides_apply_in_order_and_remember_matches() {
        let list = vec![
            Override {
                target: target("HelmRelease", Some("flux-instance")),
                merge: Some(json!({"spec": {"interval": "2h"}})),
                json: None,
                strategic: None,
            },
            Override {
                target: target("HelmRelease", None),
                merge: None,
                json: Some(vec![json!({"op": "test", "path": "/spec/interval", "value": "2h"})]),
                strategic: None,
            },
            Override {
                target: target("OCIRepository", None),
                merge: Some(json!({})),
                json: None,
                strategic: None,
            },
        ];
        let mut overrides = Overrides::new("edge", &list);
        let mut object = release();
        overrides
            .apply("flux-instance/app/helmrelease.yaml", &mut object)
            .unwrap();
        assert_eq!(object["spec"]["interval"], "2h");
        assert!(overrides.matched(0) && overrides.matched(1));
        assert_eq!(overrides.unmatched().collect::<Vec<_>>(), [2]);
        let error = overrides.unmatched_error(2, crate::Phase::Instance).to_string();
        assert_eq!(
            error,
            "cluster `edge`: `overrides[2]` (OCIRepository): selects no object of the cluster (at phase `instance` \
             fluxgen emits flux-instance/app/helmrelease.yaml (HelmRelease flux-instance, helm.toolkit.fluxcd.io))"
        );

        let failing = [Override {
            target: target("HelmRelease", None),
            merge: None,
            json: Some(vec![json!({"op": "remove", "path": "/spec/nope"})]),
            strategic: None,
        }];
        let mut overrides = Overrides::new("edge", &failing);
        let error = overrides.apply("a.yaml", &mut release()).unwrap_err().to_string();
        assert_eq!(
            error,
            "cluster `edge`: `overrides[0]` (HelmRelease): a.yaml: operation 0 (`remove`): the JSON pointer \
             `/spec/nope` does not exist"
        );
    }
}
