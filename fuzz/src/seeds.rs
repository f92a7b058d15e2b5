//! Seed inputs, read at run time: the tests' fixtures in the workspace and the reference
//! repositories of `$FLUXGEN_SHARED/refs` (never copied into the repository).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::scan::encode;

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `$FLUXGEN_SHARED`, or the `shared` directory beside the workspace.
pub fn shared_dir() -> PathBuf {
    std::env::var_os("FLUXGEN_SHARED").map_or_else(|| workspace_root().join("../shared"), PathBuf::from)
}

/// Crash inputs found by earlier runs, replayed by the smoke test: `fuzz/regressions/<target>/`.
pub fn regressions(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = workspace_root().join("fuzz/regressions").join(target);
    files_below(&dir, |_| true)
        .into_iter()
        .filter_map(|path| fs::read(&path).ok().map(|bytes| (path, bytes)))
        .collect()
}

/// Every file below `dir` (sorted, not following symlinks) that `keep` accepts.
fn files_below(dir: &Path, keep: impl Fn(&Path) -> bool) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let Ok(entries) = fs::read_dir(&current) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else { continue };
            let path = entry.path();
            if kind.is_dir() {
                pending.push(path);
            } else if kind.is_file() && keep(&path) {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

fn is_yaml(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "yaml" || e == "yml")
}

fn read_all(paths: &[PathBuf]) -> Vec<Vec<u8>> {
    paths.iter().filter_map(|p| fs::read(p).ok()).collect()
}

/// The config fixtures of the tests (valid and refused), the built-in example, and the YAML of
/// the reference repositories (for their shapes).
pub fn config() -> Vec<Vec<u8>> {
    let core = workspace_root().join("crates/fluxgen-core");
    let mut seeds = vec![fluxgen_core::config::EXAMPLE_CONFIG.as_bytes().to_vec()];
    for dir in ["tests/config_errors", "tests/scenarios", "tests/reference"] {
        seeds.extend(read_all(&files_below(&core.join(dir), is_yaml)));
    }
    let refs = files_below(&shared_dir().join("refs"), is_yaml);
    // Every eighth reference file: their shapes, not their number, matter here.
    seeds.extend(read_all(&refs.into_iter().step_by(8).collect::<Vec<_>>()));
    seeds
}

/// Bytes for `arbitrary`: a few fixed patterns, and the reference files as entropy.
pub fn tuning() -> Vec<Vec<u8>> {
    let mut seeds: Vec<Vec<u8>> = vec![
        Vec::new(),
        vec![0; 64],
        vec![0xff; 64],
        (0..=255).collect(),
        (0..=255).rev().collect(),
        b"workers requeueDependency featureGates overrides".to_vec(),
    ];
    let refs = files_below(&shared_dir().join("refs"), is_yaml);
    seeds.extend(read_all(&refs.into_iter().step_by(16).collect::<Vec<_>>()));
    seeds.extend(config().into_iter().take(8));
    seeds
}

/// Repositories: the tests' `repos/`, each reference repository (per cluster directory where
/// it has several, at most 48 files each), and a few with symlink loops.
pub fn scan() -> Vec<Vec<u8>> {
    let mut seeds = Vec::new();
    let repos = workspace_root().join("crates/fluxgen-core/tests/repos");
    let refs = shared_dir().join("refs");
    let mut roots: Vec<PathBuf> = Vec::new();
    for base in [&repos, &refs] {
        let Ok(entries) = fs::read_dir(base) else { continue };
        let mut dirs: Vec<PathBuf> = entries.flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect();
        dirs.sort();
        roots.extend(dirs);
    }
    for root in roots {
        let files = files_below(&root, |p| is_yaml(p) || p.extension().is_some_and(|e| e == "j2"));
        // Group by the directory under `kubernetes/` (a cluster, or the apps of one).
        let mut groups: BTreeMap<String, Vec<(String, Vec<u8>)>> = BTreeMap::new();
        for path in files {
            let relative = path
                .strip_prefix(&root)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            let group = relative.split('/').take(2).collect::<Vec<_>>().join("/");
            let Ok(bytes) = fs::read(&path) else { continue };
            groups.entry(group).or_default().push((relative, bytes));
        }
        for files in groups.into_values() {
            for chunk in files.chunks(48) {
                let entries: Vec<(String, Entry)> =
                    chunk.iter().map(|(p, b)| (p.clone(), Entry::File(b.clone()))).collect();
                seeds.push(encode(&entries));
            }
        }
    }
    let kustomization =
        b"apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ./loop\n  - ./app\n"
            .to_vec();
    seeds.push(encode(&[
        ("kustomization.yaml".into(), Entry::File(kustomization.clone())),
        ("loop".into(), Entry::Link(".".into())),
        ("app/up".into(), Entry::Link("..".into())),
        ("app/kustomization.yaml".into(), Entry::File(kustomization)),
        ("out".into(), Entry::Link("../outside".into())),
        ("self.yaml".into(), Entry::Link("self.yaml".into())),
    ]));
    seeds
}

/// One entry of a scan input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    /// A file and its bytes.
    File(Vec<u8>),
    /// A symlink and its target.
    Link(String),
}

/// The `patch` texts of the kustomize patches in the reference repositories (controller
/// patches of FluxInstances and flux-system kustomizations).
pub fn reference_patches() -> Vec<String> {
    let mut patches = Vec::new();
    for path in files_below(&shared_dir().join("refs"), is_yaml) {
        let Ok(text) = fs::read_to_string(&path) else { continue };
        if !text.contains("patch") {
            continue;
        }
        let Ok(documents) = serde_saphyr::from_multiple::<Value>(&text) else {
            continue;
        };
        for document in &documents {
            collect_patches(document, &mut patches);
        }
    }
    patches.sort();
    patches.dedup();
    patches
}

fn collect_patches(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(patch)) = map.get("patch")
                && map.contains_key("target")
            {
                out.push(patch.clone());
            }
            map.values().for_each(|v| collect_patches(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_patches(v, out)),
        _ => {}
    }
}
