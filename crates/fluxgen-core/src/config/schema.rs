//! The JSON Schema of `fluxgen.yaml`: printed by `fluxgen schema`, and (simplified) what the
//! loader validates each part of a file against.
//!
//! Both are made when fluxgen is developed, not when it runs: `schema/fluxgen.schema.json` is what
//! the config's types generate (schemars), `schema/validation.json` its simplified form without
//! the prose, both committed and embedded, and a test keeps them equal to what the types generate
//! (`FLUXGEN_UPDATE_SCHEMA=1` rewrites them). Generating, simplifying and parsing the schema on
//! every start cost about half of `fluxgen emit edge`.

use serde_json::Value;

/// The committed editor schema (see the module's documentation).
const COMMITTED_SCHEMA: &str = include_str!("../../schema/fluxgen.schema.json");

/// The committed validation schema (see the module's documentation).
const COMMITTED_VALIDATION_SCHEMA: &str = include_str!("../../schema/validation.json");

/// The JSON Schema of a whole `fluxgen.yaml`, for editors.
pub fn config_schema() -> Value {
    serde_json::from_str(COMMITTED_SCHEMA).expect("the committed schema is JSON (a test parses it)")
}

/// The schema the loader validates with: the editor schema without `null` alternatives and with
/// documented enums folded into plain `enum` lists, so every failure names one keyword.
pub(crate) fn validation_schema() -> Value {
    serde_json::from_str(COMMITTED_VALIDATION_SCHEMA).expect("the committed schema is JSON (a test parses it)")
}

/// The validation schema made from the editor schema: [`simplify`]d, without the keywords that
/// only annotate.
#[cfg(test)]
fn derived_validation_schema(mut schema: Value) -> Value {
    fn strip_annotations(schema: &mut Value) {
        match schema {
            Value::Object(object) => {
                for annotation in ["$schema", "$id", "title", "description", "format"] {
                    object.remove(annotation);
                }
                object.values_mut().for_each(strip_annotations);
            }
            Value::Array(items) => items.iter_mut().for_each(strip_annotations),
            _ => {}
        }
    }
    simplify(&mut schema);
    strip_annotations(&mut schema);
    schema
}

#[cfg(test)]
fn simplify(schema: &mut Value) {
    use serde_json::json;

    match schema {
        Value::Object(object) => {
            for value in object.values_mut() {
                simplify(value);
            }
            // schemars writes the upper bound of a fixed-size integer only as a `format`,
            // which the validator does not check: make it a bound, so `workers: 4294967296`
            // is an error at the value rather than a failure to read the cluster.
            let maximum = match object.get("format").and_then(Value::as_str) {
                Some("uint8") => Some(u64::from(u8::MAX)),
                Some("uint16") => Some(u64::from(u16::MAX)),
                Some("uint32") => Some(u64::from(u32::MAX)),
                _ => None,
            };
            if let Some(maximum) = maximum {
                object.entry("maximum").or_insert(json!(maximum));
            }
            if let Some(Value::Array(types)) = object.get("type") {
                let kept: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
                if kept.len() == 1 {
                    object.insert("type".into(), kept[0].clone());
                }
            }
            if let Some(Value::Array(alternatives)) = object.get("anyOf") {
                let kept: Vec<Value> = alternatives
                    .iter()
                    .filter(|alt| alt.get("type") != Some(&json!("null")))
                    .cloned()
                    .collect();
                if kept.len() == 1
                    && let Value::Object(inner) = kept[0].clone()
                {
                    object.remove("anyOf");
                    object.extend(inner);
                }
            }
            if let Some(Value::Array(alternatives)) = object.get("oneOf") {
                let constants: Option<Vec<Value>> = alternatives
                    .iter()
                    .map(|alt| {
                        alt.get("const")
                            .cloned()
                            .map(|c| vec![c])
                            .or_else(|| alt.get("enum").and_then(Value::as_array).cloned())
                    })
                    .collect::<Option<Vec<_>>>()
                    .map(|lists| lists.into_iter().flatten().collect());
                if let Some(constants) = constants {
                    object.remove("oneOf");
                    object.insert("type".into(), json!("string"));
                    object.insert("enum".into(), Value::Array(constants));
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(simplify),
        _ => {}
    }
}

/// Generating the schema from the config's types, for the test that keeps the committed one
/// current.
#[cfg(test)]
mod generation {
    use schemars::generate::SchemaSettings;
    use serde_json::{Value, json};

    use super::super::settings::Settings;
    use super::super::{Phase, RepositorySettings};
    use crate::patterns::DNS_LABEL;

    /// The schema the config's types generate: what `schema/fluxgen.schema.json` must hold.
    pub(super) fn generated_config_schema() -> Value {
        let settings = subschema::<Settings>();
        let mut cluster = settings.clone();
        cluster["properties"]["phase"] = subschema::<Phase>();
        cluster["description"] = json!("A cluster: its migration phase and any settings that differ from `defaults`.");
        json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "https://fluxgen.dev/schema/fluxgen.json",
            "title": "fluxgen.yaml",
            "description": "Flux Operator app directories for every cluster of a GitOps repository.",
            "type": "object",
            "additionalProperties": false,
            "required": ["repository", "clusters"],
            "properties": {
                "repository": subschema::<RepositorySettings>(),
                "defaults": settings,
                "clusters": {
                    "description": "The clusters, by name (a DNS-1123 label).",
                    "type": "object",
                    "minProperties": 1,
                    // A cluster name becomes a path segment.
                    "propertyNames": { "pattern": DNS_LABEL.regex, "maxLength": DNS_LABEL.max_length },
                    "additionalProperties": cluster,
                },
                "rollout": {
                    "description": "Migration order, edge first: no cluster may be at a later phase than one before it.",
                    "type": "array",
                    "items": { "type": "string" },
                    "uniqueItems": true,
                },
            },
        })
    }

    fn subschema<T: schemars::JsonSchema>() -> Value {
        let mut settings = SchemaSettings::draft2020_12();
        settings.inline_subschemas = true;
        let mut schema = settings.into_generator().into_root_schema_for::<T>().to_value();
        if let Some(object) = schema.as_object_mut() {
            object.remove("$schema");
            object.remove("title");
            object.remove("default");
        }
        strip_defaults(&mut schema);
        schema
    }

    /// Defaults that schemars derives from `Default` are noise in an editor schema; the docs say
    /// what is assumed.
    fn strip_defaults(schema: &mut Value) {
        match schema {
            Value::Object(object) => {
                object.remove("default");
                object.values_mut().for_each(strip_defaults);
            }
            Value::Array(items) => items.iter_mut().for_each(strip_defaults),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed schemas are the ones the types generate, byte for byte; with
    /// `FLUXGEN_UPDATE_SCHEMA=1` the test writes the generated ones instead (then review the diff).
    #[test]
    fn the_committed_schemas_are_what_the_types_generate() {
        let generated = generation::generated_config_schema();
        let validation = derived_validation_schema(generated.clone());
        let files = [
            (
                "fluxgen.schema.json",
                serde_json::to_string_pretty(&generated),
                COMMITTED_SCHEMA,
            ),
            (
                "validation.json",
                serde_json::to_string(&validation),
                COMMITTED_VALIDATION_SCHEMA,
            ),
        ];
        for (name, text, committed) in files {
            let text = text.expect("JSON") + "\n";
            if std::env::var_os("FLUXGEN_UPDATE_SCHEMA").is_some() {
                let path = format!("{}/schema/{name}", env!("CARGO_MANIFEST_DIR"));
                std::fs::write(path, &text).expect("write the schema");
                continue;
            }
            assert!(
                text == committed,
                "schema/{name} is not what the config's types generate: run \
                 `FLUXGEN_UPDATE_SCHEMA=1 cargo test -p fluxgen-core --lib schema` and review the diff"
            );
        }
    }

    /// Every `pattern` of the validation schema is one of the table's, which is what the walk
    /// matches with and what the loader's messages come from.
    #[test]
    fn every_pattern_is_one_of_the_table() {
        fn walk(schema: &Value, found: &mut Vec<String>) {
            match schema {
                Value::Object(object) => {
                    for (key, value) in object {
                        match (key.as_str(), value) {
                            ("pattern", Value::String(pattern)) => found.push(pattern.clone()),
                            _ => walk(value, found),
                        }
                    }
                }
                Value::Array(items) => items.iter().for_each(|item| walk(item, found)),
                _ => {}
            }
        }
        let mut found = Vec::new();
        walk(&validation_schema(), &mut found);
        assert!(found.len() >= 10, "the walk reached the patterns: {found:?}");
        for pattern in found {
            assert!(
                crate::patterns::Pattern::of_regex(&pattern).is_some(),
                "{pattern} is not in crate::patterns"
            );
        }
    }

    /// Every keyword of the validation schema means the same in draft 7, which the validator
    /// is built for (a keyword draft 7 does not know would be ignored, not checked).
    #[test]
    fn the_validation_schema_uses_only_draft_7_keywords() {
        const DRAFT_7: [&str; 24] = [
            "$id",
            "$schema",
            "additionalProperties",
            "anyOf",
            "const",
            "description",
            "enum",
            "format",
            "items",
            "maxLength",
            "maximum",
            "minItems",
            "minLength",
            "minProperties",
            "minimum",
            "oneOf",
            "pattern",
            "properties",
            "propertyNames",
            "required",
            "title",
            "type",
            "uniqueItems",
            "maxItems",
        ];
        fn walk(schema: &Value, found: &mut Vec<String>) {
            match schema {
                Value::Object(object) => {
                    for (key, value) in object {
                        found.push(key.clone());
                        if key == "properties" {
                            for property in value.as_object().expect("properties is a map").values() {
                                walk(property, found);
                            }
                        } else {
                            walk(value, found);
                        }
                    }
                }
                Value::Array(items) => items.iter().for_each(|item| walk(item, found)),
                _ => {}
            }
        }
        let mut found = Vec::new();
        walk(&validation_schema(), &mut found);
        let unknown: Vec<&String> = found.iter().filter(|k| !DRAFT_7.contains(&k.as_str())).collect();
        assert!(unknown.is_empty(), "not draft-7 keywords: {unknown:?}");
        assert!(
            found.iter().any(|k| k == "additionalProperties"),
            "the walk reached the keywords"
        );
    }
}
