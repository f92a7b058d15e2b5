//! `yamllint -s` with the workspace's `.yamllint.yaml`: the home-ops style every emitted file
//! must pass without an error or a warning.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::workspace_root;

/// The workspace's yamllint configuration.
pub fn config() -> PathBuf {
    workspace_root().join(".yamllint.yaml")
}

/// Lints `paths` in strict mode (warnings fail too); the error lists every problem.
pub fn check(yamllint: &Path, paths: &[PathBuf]) -> Result<(), String> {
    let output = Command::new(yamllint)
        .args(["-s", "-f", "parsable", "-c"])
        .arg(config())
        .args(paths)
        .output()
        .map_err(|e| format!("running {}: {e}", yamllint.display()))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "yamllint failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}
