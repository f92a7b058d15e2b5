//! RFC 6902 JSON patches: the operations fluxgen emits, and applying a patch list as
//! kustomize's `patchesJson6902` does (through the `json-patch` crate).

use json_patch::{AddOperation, PatchErrorKind, PatchOperation};
use serde_json::{Map, Value};

use super::PatchError;

/// The pointer kustomize patches use to add a container argument to a Flux controller.
const ARGS_END: &str = "/spec/template/spec/containers/0/args/-";

/// One RFC 6902 operation, of the kinds fluxgen emits: `add`, `replace` and `remove`.
///
/// Operations are built only through the constructors ([`JsonPatchOp::add`],
/// [`JsonPatchOp::replace`], [`JsonPatchOp::remove`], [`JsonPatchOp::add_arg`]), so a path
/// without a value or a `remove` with one cannot be written. [`JsonPatchOp::render_all`] turns a list of
/// them into the JSON value that is serialized as the patch text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonPatchOp {
    op: Op,
    path: String,
    value: Option<Value>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Add,
    Replace,
    Remove,
}

impl JsonPatchOp {
    /// `add`: inserts `value` at `path` (a JSON pointer; `-` appends to a list).
    ///
    /// ```
    /// use fluxgen_core::objects::JsonPatchOp;
    /// let op = JsonPatchOp::add("/spec/wait", true);
    /// assert_eq!((op.op(), op.path()), ("add", "/spec/wait"));
    /// assert_eq!(op.value(), Some(&serde_json::json!(true)));
    /// ```
    pub fn add(path: impl Into<String>, value: impl Into<Value>) -> Self {
        Self {
            op: Op::Add,
            path: path.into(),
            value: Some(value.into()),
        }
    }

    /// `replace`: sets the existing value at `path` to `value`.
    ///
    /// ```
    /// use fluxgen_core::objects::JsonPatchOp;
    /// let op = JsonPatchOp::replace("/spec/template/spec/containers/0/resources", serde_json::json!({}));
    /// assert_eq!(op.op(), "replace");
    /// ```
    pub fn replace(path: impl Into<String>, value: impl Into<Value>) -> Self {
        Self {
            op: Op::Replace,
            path: path.into(),
            value: Some(value.into()),
        }
    }

    /// `remove`: deletes the existing value at `path`.
    ///
    /// ```
    /// use fluxgen_core::objects::JsonPatchOp;
    /// let op = JsonPatchOp::remove("/spec/template/spec/securityContext");
    /// assert_eq!((op.op(), op.value()), ("remove", None));
    /// ```
    pub fn remove(path: impl Into<String>) -> Self {
        Self {
            op: Op::Remove,
            path: path.into(),
            value: None,
        }
    }

    /// `add` of one argument at the end of the first container's args
    /// (`/spec/template/spec/containers/0/args/-`), the way the operator's profiles tune Flux.
    ///
    /// ```
    /// use fluxgen_core::objects::JsonPatchOp;
    /// let op = JsonPatchOp::add_arg("--concurrent=10");
    /// assert_eq!(op.path(), "/spec/template/spec/containers/0/args/-");
    /// assert_eq!(op.value(), Some(&serde_json::json!("--concurrent=10")));
    /// ```
    pub fn add_arg(arg: &str) -> Self {
        Self::add(ARGS_END, arg)
    }

    /// The operation's name: `add`, `replace` or `remove`.
    pub fn op(&self) -> &'static str {
        match self.op {
            Op::Add => "add",
            Op::Replace => "replace",
            Op::Remove => "remove",
        }
    }

    /// The JSON pointer the operation acts on.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The value an `add` or `replace` writes; `None` for `remove`.
    pub fn value(&self) -> Option<&Value> {
        self.value.as_ref()
    }

    /// The operation as a JSON object: `{op, path, value}`.
    fn to_value(&self) -> Value {
        let mut object = Map::new();
        object.insert("op".to_owned(), Value::from(self.op()));
        object.insert("path".to_owned(), Value::from(self.path.as_str()));
        if let Some(value) = &self.value {
            object.insert("value".to_owned(), value.clone());
        }
        Value::Object(object)
    }
}

impl JsonPatchOp {
    /// A list of operations as the JSON value of a JSON 6902 patch, ready to be serialized as
    /// the `patch` text of a kustomize patch.
    ///
    /// ```
    /// use fluxgen_core::objects::JsonPatchOp;
    /// use serde_json::json;
    ///
    /// let ops = [JsonPatchOp::add_arg("--concurrent=10"), JsonPatchOp::remove("/spec/replicas")];
    /// assert_eq!(
    ///     JsonPatchOp::render_all(&ops),
    ///     json!([
    ///         {"op": "add", "path": "/spec/template/spec/containers/0/args/-", "value": "--concurrent=10"},
    ///         {"op": "remove", "path": "/spec/replicas"},
    ///     ])
    /// );
    /// ```
    pub fn render_all(ops: &[JsonPatchOp]) -> Value {
        Value::Array(ops.iter().map(JsonPatchOp::to_value).collect())
    }
}

/// Applies a parsed JSON 6902 list, one operation at a time, restoring the object if one fails.
///
/// Every RFC 6902 operation is accepted (`add`, `remove`, `replace`, `move`, `copy`, `test`),
/// as kustomize accepts them, with kustomize's one leniency: a `replace` of a key missing
/// from a mapping that exists adds the key. The patch is all or nothing: when an operation
/// fails (a path whose parent does not exist, an index out of range, a `remove` of nothing,
/// a failed `test`), the object is left as it was and the error names the operation and its
/// path, where kustomize fails the build. Unlike kustomize, negative list indices (`/args/-1`)
/// are refused.
pub(super) fn apply_operations(object: &mut Value, operations: &Value) -> Result<(), PatchError> {
    let entries = operations.as_array().map(Vec::as_slice).unwrap_or_default();
    let mut parsed = Vec::with_capacity(entries.len());
    for (index, entry) in entries.iter().enumerate() {
        let operation =
            serde_json::from_value::<PatchOperation>(entry.clone()).map_err(|error| PatchError::InvalidOperation {
                index,
                reason: error.to_string(),
            })?;
        parsed.push(operation);
    }
    let original = object.clone();
    for (index, operation) in parsed.into_iter().enumerate() {
        let operation = replace_missing_key_as_add(object, operation);
        if let Err(error) = json_patch::patch(object, std::slice::from_ref(&operation)) {
            *object = original;
            return Err(failure(&entries[index], index, error.kind));
        }
    }
    Ok(())
}

/// kustomize's JSON patch library lets `replace` write a key that is missing from a mapping
/// that exists (RFC 6902 says it fails); the `json-patch` crate follows the RFC, so such a
/// `replace` becomes an `add`. A missing mapping or list index still fails.
fn replace_missing_key_as_add(object: &Value, operation: PatchOperation) -> PatchOperation {
    match operation {
        PatchOperation::Replace(replace)
            if object.pointer(replace.path.as_str()).is_none()
                && replace
                    .path
                    .as_str()
                    .rsplit_once('/')
                    .is_some_and(|(parent, _)| object.pointer(parent).is_some_and(Value::is_object)) =>
        {
            PatchOperation::Add(AddOperation {
                path: replace.path,
                value: replace.value,
            })
        }
        other => other,
    }
}

/// The error for a failed operation, named by its `op` and `path` as written.
fn failure(entry: &Value, index: usize, kind: PatchErrorKind) -> PatchError {
    let field = |name: &str| entry.get(name).and_then(Value::as_str).unwrap_or_default().to_owned();
    let reason = match kind {
        PatchErrorKind::InvalidPointer => "the path does not exist in the object".to_owned(),
        PatchErrorKind::InvalidFromPointer => {
            format!("the `from` path {} does not exist in the object", field("from"))
        }
        other => other.to_string(),
    };
    PatchError::OperationFailed {
        index,
        op: field("op"),
        path: field("path"),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// A JSON 6902 patch given as text, as the tests write them.
    fn apply_json6902(object: &mut Value, text: &str) -> Result<(), PatchError> {
        let document = crate::yaml::parse_value(text).map_err(|reason| PatchError::Syntax { reason })?;
        match document {
            Value::Array(_) => apply_operations(object, &document),
            other => Err(PatchError::UnknownType {
                found: crate::patch::type_name(&other),
            }),
        }
    }

    #[test]
    fn a_json6902_patch_applies_and_a_failing_operation_names_its_path() -> Result<(), PatchError> {
        let mut object = json!({"spec": {"template": {"spec": {"containers": [{"args": ["--a"]}]}}}});
        apply_json6902(
            &mut object,
            "- {op: add, path: /spec/template/spec/containers/0/args/-, value: --b}",
        )?;
        assert_eq!(
            object.pointer("/spec/template/spec/containers/0/args"),
            Some(&json!(["--a", "--b"]))
        );

        let error = apply_json6902(
            &mut object,
            "- {op: replace, path: /spec/strategy/type, value: Recreate}",
        )
        .unwrap_err();
        assert!(error.to_string().contains("replace /spec/strategy/type"));
        Ok(())
    }

    fn object() -> Value {
        json!({"spec": {"template": {"spec": {"containers": [{"name": "manager", "args": ["--a"], "resources": {}}]}}}})
    }

    #[test]
    fn rendered_ops_apply_in_order() {
        let ops = [
            JsonPatchOp::add_arg("--b"),
            JsonPatchOp::add_arg("--c"),
            JsonPatchOp::replace(
                "/spec/template/spec/containers/0/resources",
                json!({"limits": {"memory": "1Gi"}}),
            ),
            JsonPatchOp::remove("/spec/template/spec/containers/0/name"),
        ];
        let mut target = object();
        let text = crate::yaml::to_string(&JsonPatchOp::render_all(&ops));
        apply_json6902(&mut target, &text).unwrap();
        assert_eq!(
            target["spec"]["template"]["spec"]["containers"][0],
            json!({"args": ["--a", "--b", "--c"], "resources": {"limits": {"memory": "1Gi"}}})
        );
    }

    #[test]
    fn json_text_is_accepted_too() {
        let mut target = object();
        apply_json6902(&mut target, r#"[{"op": "add", "path": "/spec/replicas", "value": 2}]"#).unwrap();
        assert_eq!(target["spec"]["replicas"], 2);
    }

    #[test]
    fn a_missing_path_is_an_error_naming_it_and_nothing_changes() {
        let mut target = object();
        let text = "- {op: add, path: /spec/template/spec/containers/0/args/-, value: --b}\n\
                    - {op: add, path: /spec/template/spec/containers/1/args/-, value: --c}\n";
        let error = apply_json6902(&mut target, text).unwrap_err();
        assert_eq!(
            error,
            PatchError::OperationFailed {
                index: 1,
                op: "add".to_owned(),
                path: "/spec/template/spec/containers/1/args/-".to_owned(),
                reason: "the path does not exist in the object".to_owned(),
            }
        );
        assert_eq!(target, object());
        let error = apply_json6902(&mut target, "- {op: remove, path: /metadata/labels}").unwrap_err();
        assert_eq!(
            error.to_string(),
            "JSON patch operation 0 (remove /metadata/labels) does not apply: the path does not exist in the object"
        );
    }

    #[test]
    fn replace_adds_a_missing_key_of_an_existing_mapping_as_kustomize_does() {
        let mut target = object();
        let limits = "- {op: replace, path: /spec/template/spec/containers/0/resources/limits, value: {cpu: 2}}";
        apply_json6902(&mut target, limits).unwrap();
        assert_eq!(
            target["spec"]["template"]["spec"]["containers"][0]["resources"],
            json!({"limits": {"cpu": 2}})
        );
        for missing in [
            "- {op: replace, path: /spec/template/spec/containers/0/args/1, value: --b}",
            "- {op: replace, path: /spec/template/spec/containers/0/args/-, value: --b}",
            "- {op: replace, path: /spec/strategy/type, value: Recreate}",
        ] {
            let before = target.clone();
            assert!(
                matches!(
                    apply_json6902(&mut target, missing),
                    Err(PatchError::OperationFailed { .. })
                ),
                "{missing}"
            );
            assert_eq!(target, before);
        }
    }

    #[test]
    fn invalid_operations_and_non_lists_are_errors() {
        let mut target = object();
        assert!(matches!(
            apply_json6902(&mut target, "- {op: add, path: /spec/x}"),
            Err(PatchError::InvalidOperation { index: 0, .. })
        ));
        assert!(matches!(
            apply_json6902(&mut target, "- {op: frobnicate, path: /spec/x}"),
            Err(PatchError::InvalidOperation { index: 0, .. })
        ));
        assert!(matches!(
            apply_json6902(&mut target, "- {op: add, path: no-slash, value: 1}"),
            Err(PatchError::InvalidOperation { index: 0, .. })
        ));
        assert_eq!(
            apply_json6902(&mut target, "op: add"),
            Err(PatchError::UnknownType { found: "mapping" })
        );
        assert!(matches!(
            apply_json6902(&mut target, "[1, "),
            Err(PatchError::Syntax { .. })
        ));
    }

    #[test]
    fn a_failed_test_names_the_operation() {
        let mut target = object();
        let error = apply_json6902(
            &mut target,
            "- {op: test, path: /spec/template/spec/containers/0/name, value: x}",
        )
        .unwrap_err();
        assert!(matches!(error, PatchError::OperationFailed { ref op, .. } if op == "test"));
    }
}
