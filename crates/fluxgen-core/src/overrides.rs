//! `overrides`: the user's patches on the objects fluxgen emits, applied after generation to
//! each object's JSON value, so any field can change without forking fluxgen.
//!
//! An override has a target and exactly one patch:
//!
//! - `merge`: an RFC 7396 JSON merge patch ([`json_patch::merge`]): mappings merge key by key,
//!   `null` deletes a key, anything else (a list included) replaces what was there.
//! - `json`: RFC 6902 operations ([`json_patch::patch`]), applied all or nothing. A pointer
//!   that does not exist is an error, as it is for `kubectl kustomize`.
//! - `strategic`: a strategic-merge patch, applied as `kubectl kustomize` applies one to these
//!   objects (see [`strategic`]).
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

mod strategic;

use std::fmt;

use json_patch::{PatchErrorKind, PatchOperation};
use serde_json::Value;

use crate::Error;
use crate::config::{Override, OverridePatch, OverrideTarget};
pub(crate) use strategic::check_strategic;
use strategic::strategic_merge;

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
    /// use fluxgen_core::config::{Override, OverridePatch, OverrideTarget};
    /// use serde_json::json;
    ///
    /// let change = Override {
    ///     target: OverrideTarget { kind: "HelmRelease".into(), group: None, name: None, file: None },
    ///     patch: OverridePatch::Merge(json!({"spec": {"timeout": "10m"}})),
    /// };
    /// let mut object = json!({"kind": "HelmRelease", "spec": {"interval": "1h"}});
    /// change.apply(&mut object).unwrap();
    /// assert_eq!(object["spec"], json!({"interval": "1h", "timeout": "10m"}));
    /// ```
    pub fn apply(&self, object: &mut Value) -> Result<(), String> {
        match &self.patch {
            OverridePatch::Merge(patch) => {
                check_merge(patch)?;
                json_patch::merge(object, patch);
                Ok(())
            }
            OverridePatch::Json(operations) => apply_operations(object, operations),
            OverridePatch::Strategic(patch) => strategic_merge(object, patch),
        }
    }
}

/// A cluster's overrides while its files are planned: applies them to each object and
/// remembers which selected something.
pub(crate) struct Overrides<'a> {
    cluster: &'a str,
    list: &'a [Override],
    places: &'a [String],
    matched: Vec<bool>,
    seen: Vec<String>,
}

impl<'a> Overrides<'a> {
    pub(crate) fn new(cluster: &'a str, list: &'a [Override], places: &'a [String]) -> Self {
        Self {
            cluster,
            list,
            places,
            matched: vec![false; list.len()],
            seen: Vec::new(),
        }
    }

    /// Applies, in order, every override whose target selects the object written to `file`.
    pub(crate) fn apply(&mut self, file: &str, object: &mut Value) -> Result<(), Error> {
        // What the cluster emits is told only about an override that selects nothing.
        if self.list.is_empty() {
            return Ok(());
        }
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
            place: self
                .places
                .get(index)
                .cloned()
                .unwrap_or_else(|| format!("`overrides[{index}]`")),
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
    // One operation per call, on a copy that replaces the object only when every operation
    // applied: json-patch undoes the earlier operations of a call when a later one fails, and
    // panics when an undo fails (a `move` to the root followed by a failing operation, found
    // by fuzzing). A single operation has nothing to undo.
    let mut patched = object.clone();
    for (index, operation) in operations.iter().enumerate() {
        json_patch::patch(&mut patched, std::slice::from_ref(operation))
            .map_err(|error| describe_failure(index, operation, &error))?;
    }
    *object = patched;
    Ok(())
}

/// What went wrong with the operation at `index`.
fn describe_failure(index: usize, operation: &PatchOperation, error: &json_patch::PatchError) -> String {
    let path = error.path.to_string();
    let (name, from) = match operation {
        PatchOperation::Add(_) => ("add", None),
        PatchOperation::Remove(_) => ("remove", None),
        PatchOperation::Replace(_) => ("replace", None),
        PatchOperation::Move(op) => ("move", Some(op.from.to_string())),
        PatchOperation::Copy(op) => ("copy", Some(op.from.to_string())),
        PatchOperation::Test(_) => ("test", None),
    };
    let reason = match &error.kind {
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

    /// A HelmRelease as fluxgen emits one (also the strategic-merge tests' object).
    pub(super) fn release() -> Value {
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
            patch: OverridePatch::Merge(
                json!({"spec": {"install": null, "values": {"named": [{"name": "z"}]}, "timeout": "5m"}}),
            ),
        };
        let mut object = release();
        change.apply(&mut object).unwrap();
        assert_eq!(object["spec"].get("install"), None);
        assert_eq!(object["spec"]["values"]["named"], json!([{"name": "z"}]));
        assert_eq!(object["spec"]["timeout"], "5m");
        assert_eq!(object["spec"]["interval"], "1h");
        let whole = Override {
            patch: OverridePatch::Merge(json!("x")),
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
    fn overrides_apply_in_order_and_remember_matches() {
        let list = vec![
            Override {
                target: target("HelmRelease", Some("flux-instance")),
                patch: OverridePatch::Merge(json!({"spec": {"interval": "2h"}})),
            },
            Override {
                target: target("HelmRelease", None),
                patch: OverridePatch::Json(vec![json!({"op": "test", "path": "/spec/interval", "value": "2h"})]),
            },
            Override {
                target: target("OCIRepository", None),
                patch: OverridePatch::Merge(json!({})),
            },
        ];
        let mut overrides = Overrides::new("edge", &list, &[]);
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
            patch: OverridePatch::Json(vec![json!({"op": "remove", "path": "/spec/nope"})]),
        }];
        let mut overrides = Overrides::new("edge", &failing, &[]);
        let error = overrides.apply("a.yaml", &mut release()).unwrap_err().to_string();
        assert_eq!(
            error,
            "cluster `edge`: `overrides[0]` (HelmRelease): a.yaml: operation 0 (`remove`): the JSON pointer \
             `/spec/nope` does not exist"
        );
    }
}
