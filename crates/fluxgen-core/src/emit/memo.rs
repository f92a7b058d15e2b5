//! What planning a run of clusters reuses from the clusters before: the lowered controller
//! patches and the text of each document. Clusters of one config mostly share their settings,
//! so most of their documents are equal; comparing two values costs far less than
//! serializing one. Only equal inputs are reused, so a memo never changes a byte of output.

use std::collections::HashMap;

use serde_json::Value;

use super::tree::MARKER_LINE;
use crate::KustomizePatch;
use crate::tuning::{Tuning, TuningError};

/// The last input and output of each reusable step (one thread's worth).
#[derive(Default)]
pub(crate) struct Memo {
    patches: Option<(Vec<Tuning>, Vec<KustomizePatch>)>,
    /// By the file's path in the tree.
    documents: HashMap<String, Document>,
}

/// A serialized document and what it was serialized from.
struct Document {
    value: Value,
    schema_url: String,
    text: String,
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

    /// The document text of `value` at `path`, reused when the value and schema equal the last
    /// ones at that path.
    pub(crate) fn document(&mut self, path: &str, value: Value, schema_url: &str) -> String {
        if let Some(last) = self.documents.get(path)
            && same(&last.value, &value)
            && last.schema_url == schema_url
        {
            return last.text.clone();
        }
        let text = crate::yaml::document(&value, schema_url, MARKER_LINE);
        self.documents.insert(
            path.to_owned(),
            Document {
                value,
                schema_url: schema_url.to_owned(),
                text: text.clone(),
            },
        );
        text
    }
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
    use serde_json::json;

    use super::*;

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
