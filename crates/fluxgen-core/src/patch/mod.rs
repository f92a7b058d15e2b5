//! Kustomize patches applied in-process to Kubernetes objects held as [`serde_json::Value`].
//!
//! The Flux Operator renders a FluxInstance by running kustomize over the Flux manifests with
//! the instance's `spec.kustomize.patches`. fluxgen needs the same result without kustomize,
//! for `explain` (the effective args, resources and volumes of each controller) and to prove
//! that every patch it emits applies. This module does what kustomize does for the patches
//! fluxgen deals with:
//!
//! - `apply_operations`: an RFC 6902 list (the `args/-` additions), through the `json-patch`
//!   crate; operations are built with [`JsonPatchOp`] and rendered with [`JsonPatchOp::render_all`];
//! - [`apply_strategic`]: the strategic-merge subset used on Deployments (see its docs for what
//!   it merges and what it refuses);
//! - [`matches()`]: whether a [`PatchTarget`] selects an object, with kustomize's anchored
//!   regexes and label/annotation selectors;
//! - [`apply()`]: a [`KustomizePatch`] as kustomize applies it: type detected from the text,
//!   target checked, patch applied.
//!
//! The differential tests in `tests/facts.rs` compare the results with `kubectl kustomize`.

mod json6902;
mod strategic;
mod target;

use serde_json::Value;

use crate::{objects::KustomizePatch, objects::PatchTarget};

pub use json6902::JsonPatchOp;
pub use strategic::apply_strategic;
pub use target::matches;

/// Why a patch could not be applied or a target could not be evaluated.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PatchError {
    /// The patch text is not one YAML or JSON document.
    #[error("the patch is not valid YAML: {reason}")]
    Syntax {
        /// What the parser reported.
        reason: String,
    },
    /// The patch is neither a list (JSON 6902) nor a mapping (strategic merge).
    #[error("the patch is a {found}, but kustomize expects a list (JSON 6902) or a mapping (strategic merge)")]
    UnknownType {
        /// The YAML type the patch text holds.
        found: &'static str,
    },
    /// A JSON 6902 list entry that is not a valid operation.
    #[error("JSON patch operation {index} is invalid: {reason}")]
    InvalidOperation {
        /// The operation's position in the list, from 0.
        index: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// A JSON 6902 operation that does not apply to the object (a path that does not exist,
    /// an index out of range, a failed `test`).
    #[error("JSON patch operation {index} ({op} {path}) does not apply: {reason}")]
    OperationFailed {
        /// The operation's position in the list, from 0.
        index: usize,
        /// The operation (`add`, `replace`, ...).
        op: String,
        /// The operation's JSON pointer.
        path: String,
        /// Why it failed.
        reason: String,
    },
    /// A JSON 6902 patch without a target (kustomize requires one).
    #[error("a JSON 6902 patch needs a target")]
    MissingTarget,
    /// A strategic-merge directive this subset does not implement.
    #[error("{path}: the strategic-merge directive `{directive}` is not supported")]
    UnsupportedDirective {
        /// The directive key, e.g. `$patch`.
        directive: String,
        /// Where it appears in the patch, as a JSON pointer.
        path: String,
    },
    /// A list element in a strategic-merge patch without its list's merge key.
    #[error("{path}: a list element has no `{key}`, the key this list merges by")]
    MissingMergeKey {
        /// The list element, as a JSON pointer into the patch.
        path: String,
        /// The merge key, e.g. `name`.
        key: &'static str,
    },
    /// The object or the strategic-merge patch is not a mapping.
    #[error("the {what} is not a mapping")]
    NotAMapping {
        /// `object` or `patch`.
        what: &'static str,
    },
    /// A target field that is not a valid regular expression.
    #[error("target {field} `{pattern}` is not a valid regular expression: {reason}")]
    InvalidRegex {
        /// The target field (`name`, `kind`, ...).
        field: &'static str,
        /// The pattern as written.
        pattern: String,
        /// What the regex parser reported.
        reason: String,
    },
    /// A label or annotation selector that does not parse.
    #[error("target {field} `{selector}` is invalid: {reason}")]
    InvalidSelector {
        /// `labelSelector` or `annotationSelector`.
        field: &'static str,
        /// The selector as written.
        selector: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// Applies one kustomize patch to one object, as kustomize does.
///
/// The patch type is read from the text: a YAML list is a JSON 6902 patch, a mapping is a
/// strategic-merge patch. With a target, the object must match it ([`matches()`]); without one,
/// a strategic-merge patch selects by its own `kind`, `apiVersion` and `metadata.name` (and
/// `metadata.namespace` when set), and a JSON 6902 patch is an error. Returns whether the
/// patch applied (`false`: the target does not select the object, which is left unchanged).
pub fn apply(object: &mut Value, patch: &KustomizePatch) -> Result<bool, PatchError> {
    let document = crate::yaml::parse_value(&patch.patch).map_err(|reason| PatchError::Syntax { reason })?;
    match &document {
        Value::Array(_) => {
            let target = patch.target.as_ref().ok_or(PatchError::MissingTarget)?;
            if !matches(target, object)? {
                return Ok(false);
            }
            json6902::apply_operations(object, &document)?;
        }
        Value::Object(_) => {
            let selected = match &patch.target {
                Some(target) => matches(target, object)?,
                None => matches(&own_target(&document), object)?,
            };
            if !selected {
                return Ok(false);
            }
            apply_strategic(object, &document)?;
        }
        other => {
            return Err(PatchError::UnknownType {
                found: type_name(other),
            });
        }
    }
    Ok(true)
}

impl KustomizePatch {
    /// Applies this patch to one object (a manifest as JSON), as kustomize does: the patch type
    /// is read from the text (a YAML list is a JSON 6902 patch, a mapping a strategic-merge
    /// patch); with a target the object must match it ([`PatchTarget::selects`]); without one,
    /// a strategic-merge patch selects by its own `kind`, `apiVersion` and `metadata.name`, and
    /// a JSON 6902 patch is an error. Returns whether the patch applied (`false`: the target
    /// does not select the object, which is left unchanged). On error the object is unchanged.
    ///
    /// ```
    /// use fluxgen_core::objects::{KustomizePatch, PatchTarget};
    /// use serde_json::json;
    ///
    /// let mut deployment = json!({
    ///     "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "helm-controller"},
    ///     "spec": {"template": {"spec": {"containers": [{"name": "manager", "args": ["--log-level=info"]}]}}},
    /// });
    /// let concurrent = KustomizePatch {
    ///     patch: "- op: add\n  path: /spec/template/spec/containers/0/args/-\n  value: --concurrent=10\n".into(),
    ///     target: Some(PatchTarget::kind_name("Deployment", "(kustomize-controller|helm-controller)")),
    /// };
    /// assert!(concurrent.apply_to(&mut deployment)?);
    /// assert_eq!(deployment["spec"]["template"]["spec"]["containers"][0]["args"][1], "--concurrent=10");
    ///
    /// let elsewhere = KustomizePatch { target: Some(PatchTarget::kind_name("Deployment", "source-controller")), ..concurrent };
    /// assert!(!elsewhere.apply_to(&mut deployment)?);
    /// # Ok::<(), fluxgen_core::objects::PatchError>(())
    /// ```
    pub fn apply_to(&self, object: &mut Value) -> Result<bool, PatchError> {
        apply(object, self)
    }
}

/// The target a strategic-merge patch without one selects: its own kind, apiVersion, name
/// and namespace, matched literally.
fn own_target(document: &Value) -> PatchTarget {
    let text = |pointer: &str| document.pointer(pointer).and_then(Value::as_str).map(str::to_owned);
    let (group, version) = match text("/apiVersion") {
        Some(api_version) => {
            let (group, version) = target::split_api_version(&api_version);
            (Some(group.to_owned()), Some(version.to_owned()))
        }
        None => (None, None),
    };
    PatchTarget {
        group,
        version,
        kind: text("/kind").map(|k| regex::escape(&k)),
        name: text("/metadata/name").map(|n| regex::escape(&n)),
        namespace: text("/metadata/namespace").map(|n| regex::escape(&n)),
        ..PatchTarget::default()
    }
}

/// A JSON value's YAML type, for messages.
pub(crate) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "mapping",
    }
}

/// A JSON pointer segment: `~` and `/` escaped as RFC 6901 asks.
pub(crate) fn pointer_segment(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn deployment(name: &str) -> Value {
        json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name, "labels": {"app.kubernetes.io/part-of": "flux"}},
            "spec": {"template": {"spec": {"containers": [{"name": "manager", "args": ["--a"]}]}}},
        })
    }

    fn patch(text: &str, target: Option<PatchTarget>) -> KustomizePatch {
        KustomizePatch {
            patch: text.to_owned(),
            target,
        }
    }

    #[test]
    fn a_list_is_json6902_and_a_mapping_is_strategic() {
        let mut object = deployment("helm-controller");
        let target = Some(PatchTarget::kind_name("Deployment", "helm-controller"));
        let ops = patch(
            "[{op: add, path: /spec/template/spec/containers/0/args/-, value: --b}]",
            target.clone(),
        );
        assert_eq!(apply(&mut object, &ops), Ok(true));
        let merge = patch(
            "spec: {template: {spec: {containers: [{name: manager, image: x}]}}}",
            target,
        );
        assert_eq!(apply(&mut object, &merge), Ok(true));
        assert_eq!(
            object["spec"]["template"]["spec"]["containers"][0],
            json!({"name": "manager", "args": ["--a", "--b"], "image": "x"})
        );
    }

    #[test]
    fn an_unmatched_target_leaves_the_object_alone() {
        let mut object = deployment("helm-controller");
        let before = object.clone();
        let ops = patch(
            "- {op: remove, path: /does/not/exist}",
            Some(PatchTarget::kind_name("Deployment", "source-controller")),
        );
        assert_eq!(apply(&mut object, &ops), Ok(false));
        assert_eq!(object, before);
    }

    #[test]
    fn without_a_target_a_strategic_patch_selects_by_its_own_identity() {
        let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: helm-controller}\nspec: {replicas: 2}\n";
        let mut helm = deployment("helm-controller");
        assert_eq!(apply(&mut helm, &patch(text, None)), Ok(true));
        assert_eq!(helm["spec"]["replicas"], 2);
        let mut source = deployment("source-controller");
        assert_eq!(apply(&mut source, &patch(text, None)), Ok(false));
        // A name is matched literally, not as a regex.
        let dotted = text.replace("helm-controller", "helm.controller");
        assert_eq!(apply(&mut helm, &patch(&dotted, None)), Ok(false));
    }

    #[test]
    fn errors_name_what_is_wrong() {
        let mut object = deployment("helm-controller");
        let target = Some(PatchTarget::kind_name("Deployment", "helm-controller"));
        assert_eq!(
            apply(&mut object, &patch("- {op: add, path: /a, value: 1}", None)),
            Err(PatchError::MissingTarget)
        );
        assert_eq!(
            apply(&mut object, &patch("just text", target.clone())),
            Err(PatchError::UnknownType { found: "string" })
        );
        assert!(matches!(
            apply(&mut object, &patch("a: [", target.clone())),
            Err(PatchError::Syntax { .. })
        ));
        assert!(matches!(
            apply(&mut object, &patch("  ", target)),
            Err(PatchError::Syntax { .. })
        ));
        let bad_regex = Some(PatchTarget::kind_name("Deployment", "(helm"));
        let error = apply(&mut object, &patch("spec: {}", bad_regex)).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("target name `(helm` is not a valid regular expression")
        );
    }

    #[test]
    fn pointer_segments_are_escaped() {
        assert_eq!(
            pointer_segment("app.kubernetes.io/part-of"),
            "app.kubernetes.io~1part-of"
        );
        assert_eq!(pointer_segment("a~b"), "a~0b");
    }
}
