//! The CEL validation rules (`x-kubernetes-validations`) of the shared CRDs, evaluated on an
//! object by `crd-cel-rules` (`scripts/crd-cel-rules.py` with the cel-python evaluator, put on
//! `PATH` by `scripts/test.sh`), as the API server evaluates them on create.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;

use super::{shared_dir, tool};

/// Evaluates the rules of `$FLUXGEN_SHARED/crds/<crd_file>` on `object`: `Ok(n)` with the number
/// of rules evaluated when all hold, `Err` with the messages of those that do not. `None` when
/// the evaluator is not installed (the test returns; under `CI=true` it fails instead).
pub fn check(crd_file: &str, object: &Value) -> Option<Result<usize, String>> {
    let evaluator = tool("crd-cel-rules")?;
    let crd = shared_dir().join("crds").join(crd_file);
    let mut child = Command::new(&evaluator)
        .arg(&crd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("running {}: {e}", evaluator.display()));
    child
        .stdin
        .take()
        .expect("a piped stdin")
        .write_all(object.to_string().as_bytes())
        .expect("writing the object");
    let output = child.wait_with_output().expect("the evaluator finishes");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let evaluated = stderr
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("rules evaluated: "))
        .and_then(|n| n.parse().ok());
    Some(match (output.status.success(), evaluated) {
        (true, Some(count)) => Ok(count),
        (false, Some(_)) => Err(String::from_utf8_lossy(&output.stdout).into_owned()),
        _ => panic!("crd-cel-rules failed:\n{stderr}"),
    })
}
