//! Turns the committed validation schema (`schema/validation.json`) into a Rust static, so that
//! a run walks it without parsing it (`src/config/conformance.rs`).

use std::fmt::Write as _;
use std::path::PathBuf;

use serde_json::Value;

fn main() {
    let source = "schema/validation.json";
    println!("cargo::rerun-if-changed={source}");
    // Only the config validator (feature `generator`) includes it.
    if std::env::var_os("CARGO_FEATURE_GENERATOR").is_none() {
        return;
    }
    let text = std::fs::read_to_string(source).expect("schema/validation.json is readable");
    let schema: Value = serde_json::from_str(&text).expect("schema/validation.json is JSON");
    let mut code = String::from(
        "/// `schema/validation.json`, written as Rust by `build.rs`.\n\
         pub(super) static VALIDATION_SCHEMA: Json = ",
    );
    write_json(&schema, &mut code);
    code.push_str(";\n");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out.join("validation_schema.rs"), code).expect("write the generated schema");
}

/// A JSON value as a `Json` constant expression; object keys stay in the file's (sorted) order.
fn write_json(value: &Value, code: &mut String) {
    match value {
        Value::Null => panic!("schema/validation.json has a null: `Json` has no null, extend it"),
        Value::Bool(b) => write!(code, "Json::Bool({b})").expect("a String takes writes"),
        Value::Number(n) => {
            let n = n.as_u64().unwrap_or_else(|| {
                panic!("schema/validation.json has the number {n}: `Json` holds only unsigned integers, extend it")
            });
            write!(code, "Json::Integer({n})").expect("a String takes writes");
        }
        Value::String(s) => write!(code, "Json::String({s:?})").expect("a String takes writes"),
        Value::Array(items) => {
            code.push_str("Json::Array(&[");
            for item in items {
                write_json(item, code);
                code.push(',');
            }
            code.push_str("])");
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            code.push_str("Json::Object(&[");
            for key in keys {
                write!(code, "({key:?},").expect("a String takes writes");
                write_json(&map[key], code);
                code.push_str("),");
            }
            code.push_str("])");
        }
    }
}
