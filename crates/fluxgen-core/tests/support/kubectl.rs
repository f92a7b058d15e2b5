//! `kubectl kustomize`, the oracle for what a kustomization directory builds.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use super::{document, documents, kind_and_name};

/// The file kustomize reads in a directory.
pub const KUSTOMIZATION: &str = "kustomization.yaml";

/// The directories (relative, `""` for the root) of `files` that hold a kustomization.
pub fn kustomization_dirs(files: &BTreeMap<String, String>) -> Vec<String> {
    files
        .keys()
        .filter_map(|path| match path.rsplit_once('/') {
            Some((dir, KUSTOMIZATION)) => Some(dir.to_owned()),
            None if path == KUSTOMIZATION => Some(String::new()),
            _ => None,
        })
        .collect()
}

/// Runs `kubectl kustomize <root>/<dir>` on `files` written under `root`, and checks that it
/// succeeds and builds exactly the objects of the files its kustomization lists.
pub fn check_build(kubectl: &Path, root: &Path, files: &BTreeMap<String, String>, dir: &str) -> Result<(), String> {
    let output = Command::new(kubectl)
        .arg("kustomize")
        .arg(root.join(dir))
        .output()
        .map_err(|e| format!("running {}: {e}", kubectl.display()))?;
    if !output.status.success() {
        return Err(format!(
            "kubectl kustomize failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let built = documents(&stdout).map_err(|e| format!("parsing the kubectl kustomize output: {e}\n{stdout}"))?;
    let mut built: Vec<_> = built.iter().map(kind_and_name).collect();
    built.sort();
    let mut expected = listed_objects(files, dir)?;
    expected.sort();
    if built == expected {
        Ok(())
    } else {
        Err(format!(
            "kubectl kustomize built {built:?}, but the kustomization lists {expected:?}"
        ))
    }
}

/// `(kind, name)` of every document in the files the kustomization of `dir` lists as resources.
fn listed_objects(files: &BTreeMap<String, String>, dir: &str) -> Result<Vec<(String, String)>, String> {
    let path = join(dir, KUSTOMIZATION);
    let kustomization = files.get(&path).ok_or_else(|| format!("no {path}"))?;
    let kustomization = document(kustomization).map_err(|e| format!("{path}: {e}"))?;
    let resources = kustomization["resources"]
        .as_array()
        .ok_or_else(|| format!("{path}: no resources list"))?;
    let mut objects = Vec::new();
    for resource in resources {
        let resource = resource
            .as_str()
            .ok_or_else(|| format!("{path}: a resource that is not a string"))?;
        let listed = join(dir, resource);
        let text = files
            .get(&listed)
            .ok_or_else(|| format!("{path} lists {resource}, which is not emitted"))?;
        let docs = documents(text).map_err(|e| format!("{listed}: {e}"))?;
        objects.extend(docs.iter().map(kind_and_name));
    }
    Ok(objects)
}

/// `dir` joined with a relative path, `.` and `..` resolved.
fn join(dir: &str, relative: &str) -> String {
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for part in relative.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            _ => parts.push(part),
        }
    }
    parts.join("/")
}
