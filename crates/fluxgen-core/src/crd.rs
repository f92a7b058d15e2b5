//! Validating emitted objects against the CustomResourceDefinitions of a cluster.
//!
//! A CRD's `openAPIV3Schema` is a Kubernetes *structural* schema: the API server prunes the
//! fields it does not declare. [`CrdSchemas`] rejects them instead, so a misspelt field fails
//! here rather than vanishing on the cluster. The CRDs are read at run time from a directory
//! (`fluxgen validate --crds DIR`); fluxgen carries none of its own.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use jsonschema::Validator;
use serde_json::{Map, Value, json};

use crate::Violation;

/// The API group of `kustomization.yaml` files: read by kustomize, never sent to a cluster, so
/// no CRD describes them.
pub const KUSTOMIZE_CONFIG_GROUP: &str = "kustomize.config.k8s.io";

/// A CRD directory that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CrdError {
    /// The directory or one of its files cannot be read.
    #[error("cannot read {}", path.display())]
    Read {
        /// The path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A file is not YAML, or a CRD in it lacks what every CRD has.
    #[error("{}: {reason}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The directory holds no CustomResourceDefinition.
    #[error("{}: no CustomResourceDefinition in its .yaml, .yml or .json files", path.display())]
    Empty {
        /// The directory.
        path: PathBuf,
    },
}

/// The served versions of a set of CRDs, by `(apiVersion, kind)`, compiled for validation.
pub struct CrdSchemas {
    served: BTreeMap<(String, String), Validator>,
    metadata: Validator,
}

impl std::fmt::Debug for CrdSchemas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CrdSchemas")
            .field("served", &self.served.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// What [`CrdSchemas::check`] found for one object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CrdCheck {
    /// Validated against its CRD; the rules it breaks (none when it is valid).
    Checked(Vec<Violation>),
    /// A `kustomize.config.k8s.io` file: no CRD describes it.
    NotACustomResource,
    /// No CRD of the directory serves this `apiVersion` and `kind`.
    NoCrd,
}

impl CrdSchemas {
    /// Reads every CRD of `dir` (its `.yaml`, `.yml` and `.json` files; other documents are
    /// skipped) and compiles the schema of each served version.
    pub fn load(dir: &Path) -> Result<Self, CrdError> {
        let read_error = |path: &Path, source| CrdError::Read {
            path: path.to_path_buf(),
            source,
        };
        let mut paths = Vec::new();
        for entry in fs::read_dir(dir).map_err(|e| read_error(dir, e))? {
            let path = entry.map_err(|e| read_error(dir, e))?.path();
            if path
                .extension()
                .is_some_and(|ext| ext == "yaml" || ext == "yml" || ext == "json")
            {
                paths.push(path);
            }
        }
        paths.sort();
        let mut served = BTreeMap::new();
        for path in paths {
            let text = fs::read_to_string(&path).map_err(|e| read_error(&path, e))?;
            let invalid = |reason: String| CrdError::Invalid {
                path: path.clone(),
                reason,
            };
            for text in split_documents(&text) {
                let document = crate::yaml::parse_value(text).map_err(invalid)?;
                if document.get("kind").and_then(Value::as_str) != Some("CustomResourceDefinition") {
                    continue;
                }
                let field = |pointer: &str| {
                    document
                        .pointer(pointer)
                        .ok_or_else(|| invalid(format!("a CustomResourceDefinition without {pointer}")))
                };
                let group = field("/spec/group")?.as_str().unwrap_or_default().to_owned();
                let kind = field("/spec/names/kind")?.as_str().unwrap_or_default().to_owned();
                let versions = field("/spec/versions")?.as_array().cloned().unwrap_or_default();
                for version in versions.iter().filter(|v| v["served"] == true) {
                    let name = version["name"].as_str().unwrap_or_default();
                    let Some(schema) = version.pointer("/schema/openAPIV3Schema") else {
                        continue;
                    };
                    let validator = compile(&structural_to_json_schema(schema))
                        .map_err(|e| invalid(format!("{kind} {name}: the schema does not compile: {e}")))?;
                    served.insert((format!("{group}/{name}"), kind.clone()), validator);
                }
            }
        }
        if served.is_empty() {
            return Err(CrdError::Empty {
                path: dir.to_path_buf(),
            });
        }
        let metadata = compile(&metadata_schema()).map_err(|e| CrdError::Invalid {
            path: dir.to_path_buf(),
            reason: e,
        })?;
        Ok(Self { served, metadata })
    }

    /// The `(apiVersion, kind)` pairs the CRDs serve.
    pub fn kinds(&self) -> impl Iterator<Item = (&str, &str)> {
        self.served.keys().map(|(v, k)| (v.as_str(), k.as_str()))
    }

    /// Validates one emitted file (one YAML document): the object's `Kind/name` and
    /// [`CrdSchemas::check`] of it; a file that does not parse breaks the rule at `/`.
    pub fn check_file(&self, text: &str) -> (String, CrdCheck) {
        match crate::yaml::parse_value(text) {
            Ok(object) => {
                let field = |pointer: &str| object.pointer(pointer).and_then(Value::as_str).unwrap_or("?");
                let label = format!("{}/{}", field("/kind"), field("/metadata/name"));
                (label, self.check(&object))
            }
            Err(reason) => (
                "?".to_owned(),
                CrdCheck::Checked(vec![Violation {
                    field: "/".into(),
                    message: format!("not a YAML object: {reason}"),
                }]),
            ),
        }
    }

    /// Validates one object: its metadata, then the whole object against the served version of
    /// its CRD. Each violation names the field (a JSON pointer) and the rule it breaks.
    pub fn check(&self, object: &Value) -> CrdCheck {
        let api_version = object.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
        let kind = object.get("kind").and_then(Value::as_str).unwrap_or_default();
        if api_version
            .split_once('/')
            .is_some_and(|(group, _)| group == KUSTOMIZE_CONFIG_GROUP)
        {
            return CrdCheck::NotACustomResource;
        }
        let Some(validator) = self.served.get(&(api_version.to_owned(), kind.to_owned())) else {
            return CrdCheck::NoCrd;
        };
        let mut violations = Vec::new();
        match object.get("metadata") {
            Some(metadata) => violations.extend(errors(&self.metadata, metadata, "/metadata")),
            None => violations.push(Violation {
                field: "/metadata".into(),
                message: "is required".into(),
            }),
        }
        let mut whole = object.clone();
        // The metadata was checked above; the CRD's own `metadata` schema is `type: object`.
        if let Some(map) = whole.as_object_mut() {
            map.remove("metadata");
        }
        violations.extend(errors(validator, &whole, ""));
        CrdCheck::Checked(violations)
    }
}

/// The documents of a YAML stream, split at `---` lines.
fn split_documents(text: &str) -> Vec<&str> {
    let mut documents = Vec::new();
    let mut start = 0;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if line.trim_end() == "---" || line.starts_with("--- ") {
            documents.push(&text[start..offset]);
            start = offset + line.len();
        }
        offset += line.len();
    }
    documents.push(&text[start..]);
    documents
        .into_iter()
        .filter(|doc| {
            doc.lines()
                .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        })
        .collect()
}

/// Turns a structural schema into a JSON Schema that rejects undeclared fields:
/// - an object with `properties` and neither `additionalProperties` nor
///   `x-kubernetes-preserve-unknown-fields: true` gets `additionalProperties: false`;
/// - `x-kubernetes-int-or-string: true` allows an integer or a string;
/// - `nullable: true` allows `null`;
/// - the other `x-kubernetes-*` keys (CEL rules, list and map types) are dropped.
pub fn structural_to_json_schema(schema: &Value) -> Value {
    convert(schema, true)
}

/// `structural` is false inside `allOf`/`anyOf`/`oneOf`/`not`, where `properties` only adds
/// value checks and must not close the object.
fn convert(schema: &Value, structural: bool) -> Value {
    let Value::Object(map) = schema else {
        return schema.clone();
    };
    let flag = |key: &str| map.get(key).and_then(Value::as_bool) == Some(true);
    let mut out = Map::new();
    for (key, value) in map {
        if key.starts_with("x-kubernetes-") || key == "nullable" {
            continue;
        }
        let value = match (key.as_str(), value) {
            ("properties" | "patternProperties", Value::Object(children)) => Value::Object(
                children
                    .iter()
                    .map(|(k, v)| (k.clone(), convert(v, structural)))
                    .collect(),
            ),
            ("items", Value::Array(items)) => Value::Array(items.iter().map(|v| convert(v, structural)).collect()),
            ("items" | "additionalProperties", _) => convert(value, structural),
            ("allOf" | "anyOf" | "oneOf", Value::Array(items)) => {
                Value::Array(items.iter().map(|v| convert(v, false)).collect())
            }
            ("not", _) => convert(value, false),
            _ => value.clone(),
        };
        out.insert(key.clone(), value);
    }
    if flag("x-kubernetes-int-or-string") {
        out.insert("type".into(), json!(["integer", "string"]));
    }
    if flag("nullable") {
        match out.get_mut("type") {
            Some(Value::String(single)) => {
                let single = std::mem::take(single);
                out.insert("type".into(), json!([single, "null"]));
            }
            Some(Value::Array(types)) => types.push(json!("null")),
            _ => {}
        }
    }
    if structural
        && out.contains_key("properties")
        && !out.contains_key("additionalProperties")
        && !flag("x-kubernetes-preserve-unknown-fields")
    {
        out.insert("additionalProperties".into(), Value::Bool(false));
    }
    Value::Object(out)
}

/// What the API server accepts in the metadata of an object fluxgen emits: a DNS-subdomain
/// name and string-valued labels and annotations.
pub fn metadata_schema() -> Value {
    let strings = json!({ "type": "object", "additionalProperties": { "type": "string" } });
    json!({
        "type": "object",
        "required": ["name"],
        "additionalProperties": false,
        "properties": {
            "name": {
                "type": "string",
                "maxLength": crate::patterns::DNS_SUBDOMAIN.max_length,
                "pattern": crate::patterns::DNS_SUBDOMAIN.regex,
            },
            "namespace": { "type": "string", "minLength": 1 },
            "labels": strings,
            "annotations": strings,
        },
    })
}

/// Kubernetes schemas are OpenAPI 3.0 schema objects, whose keywords (a boolean
/// `exclusiveMinimum`, ...) are those of JSON Schema draft 4.
fn compile(schema: &Value) -> Result<Validator, String> {
    jsonschema::draft4::options()
        .should_validate_formats(true)
        .build(schema)
        .map_err(|e| e.to_string())
}

/// Every error of `instance`, with the JSON pointer of the field (below `prefix`).
fn errors(validator: &Validator, instance: &Value, prefix: &str) -> Vec<Violation> {
    validator
        .iter_errors(instance)
        .map(|error| {
            let path = format!("{prefix}{}", error.instance_path());
            Violation {
                field: if path.is_empty() { "/".to_owned() } else { path },
                message: error.to_string(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_split_at_separator_lines() {
        assert_eq!(
            split_documents("---\na: 1\n---\n# only a comment\n---\nb: 2\n"),
            ["a: 1\n", "b: 2\n"]
        );
    }

    #[test]
    fn undeclared_fields_close_structural_objects_only() {
        let schema = json!({
            "type": "object",
            "properties": { "a": { "type": "string" } },
            "anyOf": [{ "properties": { "a": { "minLength": 1 } } }],
        });
        let converted = structural_to_json_schema(&schema);
        assert_eq!(converted["additionalProperties"], false);
        assert_eq!(converted["anyOf"][0].get("additionalProperties"), None);
    }
}
