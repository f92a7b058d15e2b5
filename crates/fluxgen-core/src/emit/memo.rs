//! What planning a run of clusters reuses from the clusters before: the lowered controller
//! patches and the text of each document. Clusters of one config mostly share their settings,
//! so most of their documents are equal; comparing two values costs far less than
//! serializing one. A document that differs from the last one at its path mostly differs in a
//! few values (the cluster's paths): its text is then put together from the text of each
//! entry, and only the entries that differ are serialized again (see [`Pieces`]). Only equal
//! inputs are reused, so a memo never changes a byte of output.

use std::any::Any;
use std::collections::HashMap;

use serde_json::Value;

use super::tree::MARKER_LINE;
use crate::objects::KustomizePatch;
use crate::tuning::{Tuning, TuningError};

/// The last input and output of each reusable step (one thread's worth).
#[derive(Default)]
pub(crate) struct Memo {
    patches: Option<(Vec<Tuning>, Vec<KustomizePatch>)>,
    /// By the file's path in the tree.
    documents: HashMap<String, Document>,
    /// The last object written at each path (with no override applied): an equal object is not
    /// even turned into JSON again.
    objects: HashMap<String, LastObject>,
}

/// An object written at a path, and what was written for it.
struct LastObject {
    object: Box<dyn Any + Send>,
    schema_url: String,
    /// Its file's text.
    text: String,
}

/// Equality that implies the same text: `==`, with [`same`] for free-form JSON (which `==`
/// takes `0.0` and `-0.0` for equal in).
pub(crate) trait SameText: PartialEq + Clone + Send + 'static {
    /// Whether `self` and `other` are written as the same text.
    fn same_text(&self, other: &Self) -> bool {
        self == other
    }
}

impl SameText for crate::objects::OciRepository {}
impl SameText for crate::objects::Kustomization {}
impl SameText for crate::objects::FluxInstance {}
impl SameText for crate::objects::ExternalSecret {}
impl SameText for crate::objects::Receiver {}
impl SameText for crate::kustomize::KustomizationFile {}

impl SameText for crate::objects::HelmRelease {
    fn same_text(&self, other: &Self) -> bool {
        self == other
            && self
                .spec
                .values
                .values()
                .zip(other.spec.values.values())
                .all(|(a, b)| same(a, b))
    }
}

/// A serialized document: its schema URL and the pieces of its text.
struct Document {
    schema_url: String,
    pieces: Pieces,
}

/// The text of a mapping's entry (or of a whole document), and what it was serialized from.
enum Pieces {
    /// Serialized as one: the text of `{key: value}`, indented to its depth (of the value, for
    /// a whole document).
    Whole { value: Value, text: String },
    /// A mapping that differed from the last one serialized at its place: its entries' pieces,
    /// by key. Its text is each entry's, in key order, indented below the key.
    Split(HashMap<String, Pieces>),
}

impl Memo {
    /// `tunings` lowered to patches, reused when the tunings equal the last ones lowered.
    pub(crate) fn patches(&mut self, tunings: Vec<Tuning>) -> Result<Vec<KustomizePatch>, TuningError> {
        if let Some((last, patches)) = &self.patches
            && *last == tunings
        {
            return Ok(patches.clone());
        }
        let patches = crate::tuning::lower(&tunings)?;
        self.patches = Some((tunings, patches.clone()));
        Ok(patches)
    }

    /// The text of the file at `path` when `object` and `schema_url` are the same as the last
    /// ones [remembered](Self::remember) there.
    pub(crate) fn same_object<T: SameText>(&self, path: &str, object: &T, schema_url: &str) -> Option<String> {
        let last = self.objects.get(path)?;
        let object_then = last.object.downcast_ref::<T>()?;
        (last.schema_url == schema_url && object_then.same_text(object)).then(|| last.text.clone())
    }

    /// Remembers the object at `path`, its schema URL and the text written for it (with no
    /// override applied).
    pub(crate) fn remember<T: SameText>(&mut self, path: &str, object: &T, schema_url: &str, text: &str) {
        let object = Box::new(object.clone());
        match self.objects.get_mut(path) {
            // A path's entry is kept from cluster to cluster: its strings' room is reused.
            Some(last) => {
                last.object = object;
                last.schema_url.clear();
                last.schema_url.push_str(schema_url);
                last.text.clear();
                last.text.push_str(text);
            }
            None => {
                self.objects.insert(
                    path.to_owned(),
                    LastObject {
                        object,
                        schema_url: schema_url.to_owned(),
                        text: text.to_owned(),
                    },
                );
            }
        }
    }

    /// The document text of `value` at `path`, reused when the value and schema equal the last
    /// ones at that path, and put together from reused entries when only some of it differs.
    pub(crate) fn document(&mut self, path: &str, value: Value, schema_url: &str) -> String {
        let last = self
            .documents
            .remove(path)
            .filter(|last| last.schema_url == schema_url)
            .map(|last| last.pieces);
        let mut text = crate::yaml::document_header(schema_url, MARKER_LINE);
        let pieces = piece(last, None, value, 0, &mut text);
        self.documents.insert(
            path.to_owned(),
            Document {
                schema_url: schema_url.to_owned(),
                pieces,
            },
        );
        text
    }
}

/// Appends to `out` the text of a whole document's value (`key` `None`, at `depth` 0) or of one
/// entry `key: value` of a mapping `depth` levels down (each line but the empty ones indented by
/// two spaces a level, as the serializer writes it), given the pieces of the last one at its
/// place (the same place, so the same depth); returns its pieces.
fn piece(last: Option<Pieces>, key: Option<&str>, value: Value, depth: usize, out: &mut String) -> Pieces {
    match (last, value) {
        (Some(Pieces::Whole { value: old, text }), value) if same(&old, &value) => {
            out.push_str(&text);
            Pieces::Whole { value: old, text }
        }
        // A mapping that changed since the last one seen here (not the first): its entries.
        (Some(last), Value::Object(map)) if !map.is_empty() && key.is_none_or(plain_key) => {
            let children = match last {
                Pieces::Split(children) => children,
                Pieces::Whole { .. } => HashMap::new(),
            };
            let below = match key {
                None => depth,
                Some(key) => {
                    indent(out, depth);
                    out.push_str(key);
                    out.push_str(":\n");
                    depth + 1
                }
            };
            Pieces::Split(entries(children, map, below, out))
        }
        (_, value) => whole(key, value, depth, out),
    }
}

/// Appends the text of a mapping's entries at `depth`, in key order, each reused from `last`
/// where it is the same; returns their pieces.
fn entries(
    mut last: HashMap<String, Pieces>,
    map: serde_json::Map<String, Value>,
    depth: usize,
    out: &mut String,
) -> HashMap<String, Pieces> {
    let mut entries: Vec<(String, Value)> = map.into_iter().collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let mut pieces = HashMap::with_capacity(entries.len());
    for (key, value) in entries {
        let piece = piece(last.remove(&key), Some(&key), value, depth, out);
        pieces.insert(key, piece);
    }
    pieces
}

/// Two spaces for each of `depth` levels.
fn indent(out: &mut String, depth: usize) {
    for _ in 0..depth {
        out.push_str("  ");
    }
}

/// [`piece`] serialized as one: the value (`key` `None`), or the mapping `{key: value}`
/// indented `depth` levels (empty lines stay empty, as the serializer writes them).
fn whole(key: Option<&str>, value: Value, depth: usize, out: &mut String) -> Pieces {
    let Some(key) = key else {
        let text = crate::yaml::to_string(&value);
        out.push_str(&text);
        return Pieces::Whole { value, text };
    };
    let single = Value::Object(serde_json::Map::from_iter([(key.to_owned(), value)]));
    let serialized = crate::yaml::to_string(&single);
    let Value::Object(mut single) = single else {
        unreachable!("built as a mapping")
    };
    let value = single.remove(key).expect("inserted above");
    let text = if depth == 0 {
        serialized
    } else {
        let mut text = String::with_capacity(serialized.len() + serialized.len() / 4);
        for line in serialized.split_inclusive('\n') {
            if line != "\n" {
                indent(&mut text, depth);
            }
            text.push_str(line);
        }
        text
    };
    out.push_str(&text);
    Pieces::Whole { value, text }
}

/// Whether a key is written as it is, unquoted, by the serializer: then `key:` and its entries
/// indented below it are exactly the serializer's text of the entry.
fn plain_key(key: &str) -> bool {
    const YAML_1_1_WORDS: [&str; 11] = ["y", "n", "yes", "no", "on", "off", "true", "false", "null", "~", "<<"];
    let mut chars = key.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && !YAML_1_1_WORDS.contains(&key.to_ascii_lowercase().as_str())
}

/// Whether two values serialize to the same text. Stricter than `==`, which takes `0.0` and
/// `-0.0` (printed differently) for equal: floats compare by their bits.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(a), Value::Number(b)) => match (a.as_f64(), b.as_f64()) {
            _ if a.is_f64() != b.is_f64() => false,
            (Some(x), Some(y)) if a.is_f64() => x.to_bits() == y.to_bits(),
            _ => a == b,
        },
        (Value::Array(a), Value::Array(b)) => a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same(a, b)),
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len() && a.iter().all(|(key, a)| b.get(key).is_some_and(|b| same(a, b)))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    /// Keys and strings the serializer writes in every way it has: plain, quoted (YAML 1.1
    /// words, numbers, indicators, spaces), literal blocks (with empty and indented lines).
    const KEYS: [&str; 14] = [
        "a",
        "spec",
        "values",
        "path",
        "on",
        "Yes",
        "key with space",
        "x:y",
        "-dash",
        "ü",
        "1a",
        "",
        "k_1",
        "K-2",
    ];
    const STRINGS: [&str; 16] = [
        "",
        "plain",
        "yes",
        "1.10",
        "with: colon",
        "#hash",
        "line1\nline2",
        "trailing\n",
        "\n\nlead",
        "  indented\nx",
        "a\n\nb",
        "a\n  b\n\n  c\n",
        "tab\there",
        "é",
        "- item",
        "{flow}",
    ];

    fn leaf() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            (0..STRINGS.len()).prop_map(|i| Value::from(STRINGS[i])),
        ]
    }

    fn value() -> impl Strategy<Value = Value> {
        leaf().prop_recursive(4, 48, 5, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::vec(((0..KEYS.len()), inner), 0..5).prop_map(|entries| {
                    Value::Object(entries.into_iter().map(|(k, v)| (KEYS[k].to_owned(), v)).collect())
                }),
            ]
        })
    }

    /// Replaces the value at the path that `steps` chooses (map entries and list items).
    fn replace(here: &mut Value, steps: &[usize], with: Value) {
        let Some((step, rest)) = steps.split_first() else {
            *here = with;
            return;
        };
        match here {
            Value::Object(map) if !map.is_empty() => {
                let key = map.keys().nth(step % map.len()).cloned().expect("in range");
                replace(map.get_mut(&key).expect("present"), rest, with);
            }
            Value::Array(items) if !items.is_empty() => {
                let index = step % items.len();
                replace(&mut items[index], rest, with);
            }
            _ => *here = with,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        /// A run of documents at one path, each a variation of the one before: the memo's text
        /// of each is byte for byte the serializer's text of the whole document.
        #[test]
        fn a_document_put_together_from_pieces_is_the_whole_documents_text(
            first in value().prop_filter("a mapping", |v| v.is_object()),
            changes in proptest::collection::vec((proptest::collection::vec(any::<usize>(), 0..5), value()), 1..8),
        ) {
            let mut memo = Memo::default();
            let mut document = first;
            for (steps, with) in changes {
                let text = memo.document("f.yaml", document.clone(), "https://s/x.json");
                prop_assert_eq!(text, crate::yaml::document(&document, "https://s/x.json", MARKER_LINE));
                replace(&mut document, &steps, with);
                if !document.is_object() {
                    document = json!({"a": document});
                }
            }
            let text = memo.document("f.yaml", document.clone(), "https://s/x.json");
            prop_assert_eq!(text, crate::yaml::document(&document, "https://s/x.json", MARKER_LINE));
        }
    }

    #[test]
    fn an_object_is_reused_only_when_it_reads_the_same() {
        use crate::objects::HelmRelease;
        let release = |x: f64| HelmRelease::default().with_value("x", json!(x));
        assert!(release(0.0) == release(-0.0), "`==` takes them for equal");
        assert!(!release(0.0).same_text(&release(-0.0)));
        assert!(release(0.5).same_text(&release(0.5)));
        let mut memo = Memo::default();
        memo.remember("a/helmrelease.yaml", &release(0.0), "s", "text of 0.0");
        assert_eq!(memo.same_object("a/helmrelease.yaml", &release(-0.0), "s"), None);
        assert_eq!(
            memo.same_object("a/helmrelease.yaml", &release(0.0), "t"),
            None,
            "another schema"
        );
        assert_eq!(
            memo.same_object("b/helmrelease.yaml", &release(0.0), "s"),
            None,
            "another path"
        );
        assert_eq!(
            memo.same_object("a/helmrelease.yaml", &release(0.0), "s").as_deref(),
            Some("text of 0.0")
        );
    }

    #[test]
    fn values_printed_differently_are_never_the_same() {
        assert!(same(&json!({"a": [1, "x", 0.5]}), &json!({"a": [1, "x", 0.5]})));
        assert!(!same(&json!({"x": 0.0}), &json!({"x": -0.0})));
        assert!(!same(&json!(1), &json!(1.0)));
        assert!(!same(&json!([1, 2]), &json!([1, 2, 3])));
        assert!(!same(&json!({"a": 1}), &json!({"b": 1})));
        let mut memo = Memo::default();
        let zero = memo.document("f.yaml", json!({"x": 0.0}), "s");
        let negative = memo.document("f.yaml", json!({"x": -0.0}), "s");
        assert_ne!(zero, negative);
        assert!(negative.contains("-0.0"), "{negative}");
    }
}
