//! Whether a config conforms to the validation schema, answered by walking the schema and the
//! value together, with nothing parsed or compiled first: the schema is a Rust static that
//! `build.rs` writes from `schema/validation.json`.
//!
//! Almost every config a run loads is valid, and for a valid one the only question is "any
//! error?". Compiling the `jsonschema` validator to ask it cost most of a one-cluster run, so the
//! loader asks this walk first and compiles the validator only to describe the errors of a config
//! that does not conform. The walk knows exactly the keywords the validation schema uses (the
//! draft-7 list that `schema.rs` keeps it to) with draft 7's meaning, and a test holds its answer
//! equal to the validator's on the example configs, every config of the error tests, and
//! thousands of mutations of them.

use std::cmp::Ordering;

use serde_json::Value;

/// A JSON value known when fluxgen is built: the kinds of value the validation schema holds
/// (`build.rs` refuses others).
#[derive(Debug)]
pub(super) enum Json {
    Bool(bool),
    /// The schema's numbers are bounds and counts: unsigned integers.
    Integer(u64),
    String(&'static str),
    Array(&'static [Json]),
    /// Entries sorted by key.
    Object(&'static [(&'static str, Json)]),
}

include!(concat!(env!("OUT_DIR"), "/validation_schema.rs"));

impl Json {
    /// The value at `key` of an object.
    fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(entries) => entries
                .binary_search_by(|(k, _)| (*k).cmp(key))
                .ok()
                .map(|i| &entries[i].1),
            _ => None,
        }
    }

    /// The same value as a `serde_json` one.
    #[cfg(test)]
    pub(super) fn to_value(&self) -> Value {
        match self {
            Json::Bool(b) => Value::Bool(*b),
            Json::Integer(n) => Value::from(*n),
            Json::String(s) => Value::from(*s),
            Json::Array(items) => Value::Array(items.iter().map(Json::to_value).collect()),
            Json::Object(entries) => {
                Value::Object(entries.iter().map(|(k, v)| ((*k).to_owned(), v.to_value())).collect())
            }
        }
    }
}

/// Whether `instance` satisfies the validation schema.
pub(super) fn conforms_to_validation_schema(instance: &Value) -> bool {
    conforms(&VALIDATION_SCHEMA, instance)
}

/// Whether `instance` satisfies `schema` (draft 7). The validation schema has no annotations
/// (`schema.rs` strips them); a keyword this walk does not know makes the answer `false`, so
/// that the validator, which knows it, decides.
fn conforms(schema: &Json, instance: &Value) -> bool {
    match schema {
        Json::Object(keywords) => keywords
            .iter()
            .all(|(keyword, value)| keyword_holds(schema, keyword, value, instance)),
        Json::Bool(b) => *b,
        _ => false,
    }
}

fn keyword_holds(schema: &Json, keyword: &str, value: &Json, instance: &Value) -> bool {
    match keyword {
        "type" => match value {
            Json::String(name) => has_type(instance, name),
            Json::Array(names) => names
                .iter()
                .any(|n| matches!(n, Json::String(n) if has_type(instance, n))),
            _ => false,
        },
        "enum" => matches!(value, Json::Array(options) if options.iter().any(|o| equal(o, instance))),
        "const" => equal(value, instance),
        "anyOf" => matches!(value, Json::Array(alternatives) if alternatives.iter().any(|s| conforms(s, instance))),
        "oneOf" => matches!(value, Json::Array(alternatives)
            if alternatives.iter().filter(|s| conforms(s, instance)).count() == 1),
        "properties" => match (value, instance) {
            (Json::Object(_), Value::Object(object)) => object
                .iter()
                .all(|(name, item)| value.get(name).is_none_or(|schema| conforms(schema, item))),
            (Json::Object(_), _) => true,
            _ => false,
        },
        "additionalProperties" => match instance {
            Value::Object(object) => {
                let declared = schema.get("properties");
                object
                    .iter()
                    .filter(|(name, _)| declared.is_none_or(|d| d.get(name).is_none()))
                    .all(|(_, item)| conforms(value, item))
            }
            _ => true,
        },
        "required" => match (value, instance) {
            (Json::Array(names), Value::Object(object)) => names
                .iter()
                .all(|n| matches!(n, Json::String(n) if object.contains_key(*n))),
            (Json::Array(_), _) => true,
            _ => false,
        },
        "propertyNames" => match instance {
            Value::Object(object) => object.keys().all(|name| conforms(value, &Value::String(name.clone()))),
            _ => true,
        },
        "minProperties" => bound(value, instance.as_object().map(serde_json::Map::len), |n, limit| {
            n >= limit
        }),
        "items" => match (value, instance) {
            (Json::Array(schemas), Value::Array(items)) => {
                items.iter().zip(schemas.iter()).all(|(i, s)| conforms(s, i))
            }
            (schema, Value::Array(items)) => items.iter().all(|item| conforms(schema, item)),
            _ => true,
        },
        "minItems" => bound(value, instance.as_array().map(Vec::len), |n, limit| n >= limit),
        "maxItems" => bound(value, instance.as_array().map(Vec::len), |n, limit| n <= limit),
        "uniqueItems" => match instance {
            Value::Array(items) if matches!(value, Json::Bool(true)) => items
                .iter()
                .enumerate()
                .all(|(i, item)| items[..i].iter().all(|earlier| !same_value(earlier, item))),
            _ => true,
        },
        "minLength" => bound(value, instance.as_str().map(|s| s.chars().count()), |n, limit| {
            n >= limit
        }),
        "maxLength" => bound(value, instance.as_str().map(|s| s.chars().count()), |n, limit| {
            n <= limit
        }),
        "pattern" => match (value, instance) {
            (Json::String(pattern), Value::String(text)) => matches(pattern, text),
            (Json::String(_), _) => true,
            _ => false,
        },
        "minimum" => compare(value, instance, |o| o != Ordering::Less),
        "maximum" => compare(value, instance, |o| o != Ordering::Greater),
        _ => false,
    }
}

/// A count bound (`minItems`, `maxLength`, ...): holds for values it does not apply to.
fn bound(limit: &Json, count: Option<usize>, holds: impl Fn(u64, u64) -> bool) -> bool {
    match (limit, count) {
        (Json::Integer(limit), Some(count)) => holds(count as u64, *limit),
        (Json::Integer(_), None) => true,
        _ => false,
    }
}

/// A numeric bound (`minimum`, `maximum`): holds for values that are not numbers.
fn compare(limit: &Json, instance: &Value, holds: impl Fn(Ordering) -> bool) -> bool {
    match (limit, instance) {
        (Json::Integer(limit), Value::Number(number)) => {
            order(number, &serde_json::Number::from(*limit)).is_some_and(holds)
        }
        (Json::Integer(_), _) => true,
        _ => false,
    }
}

/// The order of two JSON numbers, exact for integers (where `f64` would round `u64::MAX`).
fn order(a: &serde_json::Number, b: &serde_json::Number) -> Option<Ordering> {
    match (a.as_u64(), b.as_u64(), a.as_i64(), b.as_i64()) {
        (Some(a), Some(b), _, _) => Some(a.cmp(&b)),
        (_, _, Some(a), Some(b)) => Some(a.cmp(&b)),
        _ => a.as_f64()?.partial_cmp(&b.as_f64()?),
    }
}

fn has_type(instance: &Value, name: &str) -> bool {
    match name {
        "object" => instance.is_object(),
        "array" => instance.is_array(),
        "string" => instance.is_string(),
        "boolean" => instance.is_boolean(),
        "null" => instance.is_null(),
        "number" => instance.is_number(),
        // Draft 7: a number with no fractional part is an integer, 1.0 included.
        "integer" => match instance {
            Value::Number(n) => n.is_u64() || n.is_i64() || n.as_f64().is_some_and(|f| f.fract() == 0.0),
            _ => false,
        },
        _ => false,
    }
}

/// Whether an instance equals a schema constant, as the schema means it: numbers by value.
fn equal(constant: &Json, instance: &Value) -> bool {
    match (constant, instance) {
        (Json::Bool(a), Value::Bool(b)) => a == b,
        (Json::Integer(a), Value::Number(b)) => order(&serde_json::Number::from(*a), b) == Some(Ordering::Equal),
        (Json::String(a), Value::String(b)) => a == b,
        (Json::Array(a), Value::Array(b)) => a.len() == b.len() && a.iter().zip(b).all(|(a, b)| equal(a, b)),
        (Json::Object(a), Value::Object(b)) => {
            a.len() == b.len() && a.iter().all(|(key, a)| b.get(*key).is_some_and(|b| equal(a, b)))
        }
        _ => false,
    }
}

/// Whether two instance values are equal as the schema means it (`uniqueItems`): numbers by value.
fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => order(x, y) == Some(Ordering::Equal),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_value(x, y)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(key, value)| y.get(key).is_some_and(|other| same_value(value, other)))
        }
        _ => a == b,
    }
}

/// Whether `text` matches `pattern` anywhere (JSON Schema patterns are not anchored). Every
/// pattern of the schema is one of [`crate::patterns`]' (a test in `schema.rs` keeps it so),
/// which compiles each once; another would be no match, so the validator decides.
fn matches(pattern: &str, text: &str) -> bool {
    crate::patterns::Pattern::of_regex(pattern).is_some_and(|rule| rule.matches(text))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use proptest::prelude::*;
    use serde_json::{Value, json};

    use super::{VALIDATION_SCHEMA, conforms_to_validation_schema};
    use crate::config::load::{schema, validator};

    /// Every config the tests hold (the examples, the error cases, the scenarios, the doctor
    /// fixtures), as the loader gives them to the validator.
    fn corpus() -> Vec<(String, Value)> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        for dir in ["src/config", "tests/config_errors", "tests/scenarios", "tests/doctor"] {
            collect(&root.join(dir), &mut files);
        }
        files.sort();
        files
            .into_iter()
            .filter_map(|path| {
                let text = std::fs::read_to_string(&path).ok()?;
                let node = crate::yaml::parse(&text).ok()?;
                Some((path.display().to_string(), node.to_json()))
            })
            .collect()
    }

    fn collect(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("test data directory").flatten() {
            let path = entry.path();
            if path.is_dir() {
                collect(&path, files);
            } else if path.extension().is_some_and(|e| e == "yaml")
                && (!dir.ends_with("doctor") || path.file_name().is_some_and(|n| n == "fluxgen.yaml"))
            {
                files.push(path);
            }
        }
    }

    #[test]
    fn the_static_schema_is_the_committed_one() {
        assert_eq!(VALIDATION_SCHEMA.to_value(), *schema());
    }

    #[test]
    fn agrees_with_the_validator_on_every_config_of_the_tests() {
        let corpus = corpus();
        let mut verdicts = [0, 0];
        for (file, instance) in &corpus {
            let expected = validator().is_valid(instance);
            assert_eq!(conforms_to_validation_schema(instance), expected, "{file}");
            verdicts[usize::from(expected)] += 1;
        }
        assert!(
            verdicts[0] >= 20 && verdicts[1] >= 10,
            "the corpus has valid and invalid configs: {verdicts:?}"
        );
    }

    /// Values of every kind the schema tells apart, and the edges of its patterns and bounds.
    fn hostile() -> Vec<Value> {
        vec![
            json!(null),
            json!(true),
            json!(0),
            json!(-1),
            json!(1.0),
            json!(1.5),
            json!(255),
            json!(256),
            json!(65536),
            json!(4_294_967_296_u64),
            json!(u64::MAX),
            json!(i64::MIN),
            json!(""),
            json!("edge"),
            json!("Not_A_Name"),
            json!("-edge"),
            json!("a".repeat(64)),
            json!("0.58.1"),
            json!("v0.58.1"),
            json!("1.2.3-rc.1\r"),
            json!("1.2.3+x\u{2028}"),
            json!("2.9.x"),
            json!("512Mi"),
            json!("1.5m"),
            json!("١٢"),
            json!("10m0s"),
            json!("1h"),
            json!("refs/heads/main"),
            json!("oci://ghcr.io/x"),
            json!("https://github.com/x/y"),
            json!("ssh://git@github.com/x/y"),
            json!("helmrelease"),
            json!("manifest"),
            json!("instance"),
            json!("source-controller"),
            json!([]),
            json!(["a", "a"]),
            json!(["edge"]),
            json!([1, 1.0]),
            json!({}),
            json!({"bogus": 1}),
            json!({"source-controller": 2}),
        ]
    }

    /// Replaces, removes or adds the value at a path that `steps` chooses in `value`.
    fn mutate(here: &mut Value, steps: &[usize], operation: usize, replacement: Value) {
        let Some((step, rest)) = steps.split_first() else {
            *here = replacement;
            return;
        };
        match here {
            Value::Object(map) if !map.is_empty() => {
                let key = map.keys().nth(step % map.len()).cloned().expect("in range");
                match operation {
                    1 if rest.is_empty() => drop(map.remove(&key)),
                    2 if rest.is_empty() => drop(map.insert(format!("{key}x"), replacement)),
                    _ => mutate(map.get_mut(&key).expect("present"), rest, operation, replacement),
                }
            }
            Value::Array(items) if !items.is_empty() => {
                let index = step % items.len();
                match operation {
                    1 if rest.is_empty() => drop(items.remove(index)),
                    _ => mutate(&mut items[index], rest, operation, replacement),
                }
            }
            _ => *here = replacement,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        /// Mutations of the test configs, each judged by the walk and by the validator.
        #[test]
        fn agrees_with_the_validator_on_mutated_configs(
            which in any::<usize>(),
            steps in proptest::collection::vec(any::<usize>(), 1..7),
            operation in 0usize..3,
            replacement in any::<usize>(),
            twice in any::<Option<(Vec<usize>, usize)>>(),
        ) {
            let corpus = corpus_once();
            let (file, original) = &corpus[which % corpus.len()];
            let hostile = hostile();
            let mut instance = original.clone();
            mutate(&mut instance, &steps, operation, hostile[replacement % hostile.len()].clone());
            if let Some((steps, replacement)) = twice {
                mutate(&mut instance, &steps, 0, hostile[replacement % hostile.len()].clone());
            }
            prop_assert_eq!(conforms_to_validation_schema(&instance), validator().is_valid(&instance), "{} mutated: {}", file, instance);
        }
    }

    fn corpus_once() -> &'static [(String, Value)] {
        static CORPUS: std::sync::OnceLock<Vec<(String, Value)>> = std::sync::OnceLock::new();
        CORPUS.get_or_init(corpus)
    }
}
