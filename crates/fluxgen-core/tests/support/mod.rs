//! What the differential tests share: where the shared data lives, every planned tree, the CRD
//! and chart schemas, the real Flux manifests, and the real tools (`kubectl`, `yamllint`) that
//! judge the output.

pub mod cel;
pub mod flux;
pub mod gotemplate;
pub mod kubectl;
pub mod schema;
pub mod trees;
pub mod yamllint;

use std::env;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// The workspace root (the directory holding the workspace `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The shared data directory: `$FLUXGEN_SHARED`, or `<workspace root>/../shared`.
pub fn shared_dir() -> PathBuf {
    env::var_os("FLUXGEN_SHARED").map_or_else(|| workspace_root().join("../shared"), PathBuf::from)
}

/// One YAML document parsed the way the tests read every emitted file.
pub fn document(text: &str) -> Result<Value, String> {
    serde_saphyr::from_str::<Value>(text).map_err(|e| e.to_string())
}

/// Every document of a YAML stream.
pub fn documents(text: &str) -> Result<Vec<Value>, String> {
    serde_saphyr::from_multiple::<Value>(text).map_err(|e| e.to_string())
}

/// `(kind, metadata.name)` of an object, with `?` for what is missing.
pub fn kind_and_name(object: &Value) -> (String, String) {
    let field = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or("?").to_owned();
    (field(object.get("kind")), field(object.pointer("/metadata/name")))
}

/// A real validator looked up on `PATH`.
///
/// When it is missing the test fails under `CI=true` and is skipped (with a note on stderr)
/// everywhere else: `None` means "return now".
pub fn tool(name: &str) -> Option<PathBuf> {
    let found = env::var_os("PATH").and_then(|path| {
        env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|candidate| is_executable(candidate))
    });
    if found.is_none() {
        if env::var("CI").as_deref() == Ok("true") {
            panic!("{name} not found on PATH, and CI=true requires the real validators: run scripts/test.sh");
        }
        eprintln!("skipping: {name} not found (run scripts/test.sh to install the validators)");
    }
    found
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}
