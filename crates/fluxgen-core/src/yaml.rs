//! The one module that talks to the YAML library: serialization of generated documents,
//! parsing of patch values, and (with the config and the scanner) located parsing of config
//! files and repository documents ([`located`]).

use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde_json::Value;
use serde_saphyr::SerializerOptions;

mod limits;
#[cfg(feature = "generator")]
mod located;

use limits::Allowance;
#[cfg(feature = "generator")]
pub use located::Position;
#[cfg(feature = "generator")]
pub(crate) use located::{Key, Node, NodeValue, parse};
#[cfg(feature = "migration")]
pub(crate) use located::{parse_documents, parse_documents_lenient};

/// Serializes a typed value as block YAML with the same style as [`to_string`], keeping the
/// order of the value's own fields (for files fluxgen writes for people, such as an imported
/// `fluxgen.yaml`).
#[cfg(feature = "migration")]
pub(crate) fn to_string_in_order<T: Serialize>(value: &T) -> Result<String, String> {
    let mut options = SerializerOptions::default();
    options.compact_list_indent = false;
    options.folded_wrap_chars = usize::MAX;
    let mut text = serde_saphyr::to_string_with_options(value, options).map_err(|e| e.to_string())?;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}

/// Parses one YAML (or JSON) document into a plain JSON value, keeping keys set to `null`
/// (a strategic-merge `null` deletes). Kustomize patch text comes through here.
pub(crate) fn parse_value(text: &str) -> Result<Value, String> {
    if text.trim().is_empty() {
        return Err("the document is empty".to_owned());
    }
    let (options, _) = limits::options(Allowance::of(text));
    // A JSON value is read by serde_json's own recursion, which cannot grow the stack level by
    // level as `RawNode` does: it gets a stack that holds the deepest nesting the limits allow.
    stacker::maybe_grow(VALUE_STACK, VALUE_STACK, || {
        serde_saphyr::from_str_with_options::<Value>(text, options).map_err(|error| {
            // The library appends a source snippet after the first line; keep only the reason.
            let message = error.to_string();
            message.lines().next().unwrap_or_default().to_owned()
        })
    })
}

/// The stack [`parse_value`] runs on: the limits' deepest nesting at 45 KiB a level (a debug
/// build; an optimised one takes a tenth of that), with room to spare.
const VALUE_STACK: usize = 8 << 20;

/// Serializes one generated document: its [header](document_header), then the object with
/// every mapping's keys sorted.
pub(crate) fn document(value: &Value, schema_url: &str, marker: &str) -> String {
    let mut out = document_header(schema_url, marker);
    out.push_str(&to_string(value));
    out
}

/// The first lines of a generated document: `---`, the `yaml-language-server` schema line and
/// the generated-file marker. The schema URL stays on its line whatever it holds: whitespace and
/// control characters are written percent-encoded (the config refuses them; a library caller
/// may not have checked).
pub(crate) fn document_header(schema_url: &str, marker: &str) -> String {
    let mut out = String::with_capacity(1024);
    out.push_str("---\n# yaml-language-server: $schema=");
    for c in schema_url.chars() {
        if c.is_whitespace() || c.is_control() {
            let mut bytes = [0; 4];
            for byte in c.encode_utf8(&mut bytes).bytes() {
                out.push_str(&format!("%{byte:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    out.push('\n');
    out.push_str(marker);
    out.push('\n');
    out
}

/// Serializes a value as block YAML: 2-space indents, lists indented under their key,
/// literal block scalars for multi-line strings, YAML 1.1 look-alikes quoted, keys sorted.
pub(crate) fn to_string(value: &Value) -> String {
    let mut options = SerializerOptions::default();
    options.compact_list_indent = false;
    options.folded_wrap_chars = usize::MAX;
    let mut text =
        serde_saphyr::to_string_with_options(&Sorted(value), options).expect("a JSON value always serializes as YAML");
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// Serializes a JSON value with every mapping's keys in byte order, whatever order the
/// `serde_json` map keeps, so output never depends on a dependency's feature flags.
struct Sorted<'a>(&'a Value);

impl Serialize for Sorted<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                let mut out = serializer.serialize_map(Some(keys.len()))?;
                for key in keys {
                    out.serialize_entry(key, &Sorted(&map[key]))?;
                }
                out.end()
            }
            Value::Array(items) => {
                let mut out = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    out.serialize_element(&Sorted(item))?;
                }
                out.end()
            }
            other => other.serialize(serializer),
        }
    }
}

#[cfg(all(test, feature = "migration"))]
mod tests {
    use super::*;

    #[test]
    fn quotes_yaml_1_1_look_alikes_and_writes_literal_blocks() {
        let value = serde_json::json!({"b": "yes", "a": ["on", "1.10", "2024-01-01"], "p": "- op: add\n  path: /x"});
        let text = to_string(&value);
        assert_eq!(
            text,
            "a:\n  - \"on\"\n  - \"1.10\"\n  - \"2024-01-01\"\nb: \"yes\"\np: |-\n  - op: add\n    path: /x\n"
        );
    }

    #[test]
    fn parse_keeps_positions_and_merges_maps_deeply() {
        let base = parse("a:\n  b: 1\n  c: [1, 2]\n").unwrap();
        let over = parse("a:\n  c: [3]\n  d: x\n").unwrap();
        let merged = base.merged(&over);
        assert_eq!(merged.to_json(), serde_json::json!({"a": {"b": 1, "c": [3], "d": "x"}}));
        let unset = merged.merged(&parse("a:\n  b: null\n  e: ~\n").unwrap());
        assert_eq!(unset.to_json(), serde_json::json!({"a": {"c": [3], "d": "x"}}));
        let d = merged.at_path(["a", "d"]).unwrap();
        assert_eq!(d.at, Position { line: 3, column: 6 });
        assert_eq!(base.entry("a").unwrap().0.at, Position { line: 1, column: 1 });
    }

    #[test]
    fn syntax_errors_are_located() {
        let error = parse("a: 1\n  b: [\n").unwrap_err();
        assert_eq!(error.at.line, 2);
        assert!(!error.message.contains("-->"), "{}", error.message);
    }

    #[test]
    fn streams_keep_each_document_and_its_line() {
        let documents = parse_documents("---\n# c\na: 1\n---\n---\nb:\n  c: 2\n").unwrap();
        assert_eq!(documents.iter().map(|d| d.at.line).collect::<Vec<_>>(), [3, 6]);
        assert_eq!(documents[1].at_path(["b", "c"]).unwrap().at.line, 7);
        let (kept, errors) = parse_documents_lenient("a: 1\n---\nb: [\n---\nc: 3\n");
        assert_eq!(kept.iter().map(|d| d.at.line).collect::<Vec<_>>(), [1, 5]);
        assert_eq!(errors.len(), 1);
        assert!((3..=4).contains(&errors[0].at.line), "{:?}", errors[0]);
    }

    #[test]
    fn streams_keep_the_alias_budget() {
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for (name, previous) in ["b", "c", "d", "e", "f", "g", "h", "i"]
            .iter()
            .zip(["a", "b", "c", "d", "e", "f", "g", "h"])
        {
            let aliases = vec![format!("*{previous}"); 10].join(", ");
            bomb.push_str(&format!("{name}: &{name} [{aliases}]\n"));
        }
        let stream = format!("ok: 1\n---\n{bomb}");
        assert!(parse_documents(&stream).is_err());
        let (kept, errors) = parse_documents_lenient(&stream);
        assert_eq!(kept.len(), 1);
        assert_eq!(errors.len(), 1);
        assert!(errors[0].message.contains("alias bomb"), "{:?}", errors[0]);
        assert!(errors[0].at.line > 2 && errors[0].at.column > 0, "{:?}", errors[0]);
    }

    #[test]
    fn streams_and_documents_word_a_duplicate_key_alike() {
        let error = parse_documents("a: 1\na: 2\n").unwrap_err();
        assert_eq!(error.message, "the key `a` appears twice in the same mapping");
        assert_eq!(parse("a: 1\na: 2\n").unwrap_err(), error);
    }
}
