//! Every tree the tests judge: each cluster of the built-in example and of every scenario in
//! `tests/scenarios/` (read at run time, so a new scenario is covered without touching the tests),
//! and copying a test repository to change it.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use fluxgen_core::{Config, Origin, Tree, emit::IndexFile, plan};

/// One cluster's planned files.
pub struct Planned {
    /// `<config>/<cluster>`, for messages.
    pub label: String,
    /// Paths relative to the tree root and their exact contents: the tree's files plus the
    /// namespace `kustomization.yaml` fluxgen writes where the user has none.
    pub files: BTreeMap<String, String>,
}

impl Planned {
    fn new(config_label: &str, tree: Tree) -> Self {
        let label = format!("{config_label}/{}", tree.cluster);
        let mut files = tree.files;
        if !tree.index.entries.is_empty() {
            files.entry(IndexFile::PATH.to_owned()).or_insert(tree.index.content);
        }
        Self { label, files }
    }

    /// Writes the files under `dir`, creating directories as needed.
    pub fn write(&self, dir: &Path) {
        write(&self.files, dir);
    }
}

/// Writes `files` (relative paths) under `dir`.
pub fn write(files: &BTreeMap<String, String>, dir: &Path) {
    for (path, content) in files {
        let target = dir.join(path);
        fs::create_dir_all(target.parent().expect("a file path has a parent"))
            .unwrap_or_else(|e| panic!("creating the directory of {}: {e}", target.display()));
        fs::write(&target, content).unwrap_or_else(|e| panic!("writing {}: {e}", target.display()));
    }
}

/// Copies the directory tree `from` to `to` (created as needed); the test repositories hold no
/// symbolic links.
pub fn copy(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap_or_else(|e| panic!("creating {}: {e}", to.display()));
    for entry in fs::read_dir(from).unwrap_or_else(|e| panic!("listing {}: {e}", from.display())) {
        let entry = entry.expect("a directory entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a file type").is_dir() {
            copy(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap_or_else(|e| panic!("copying to {}: {e}", target.display()));
        }
    }
}

/// Every cluster of the built-in example and of every scenario file.
pub fn all() -> Vec<Planned> {
    let mut planned = example();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let mut scenarios: Vec<_> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    scenarios.sort();
    assert!(!scenarios.is_empty(), "no scenarios in {}", dir.display());
    for path in scenarios {
        let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        let config = Config::from_yaml(&text, Origin::File(path.clone())).unwrap_or_else(|e| panic!("{e}"));
        let label = format!("scenarios/{}", path.file_name().unwrap_or_default().to_string_lossy());
        planned.extend(planned_clusters(&label, &config));
    }
    planned
}

/// Every cluster of the built-in example.
pub fn example() -> Vec<Planned> {
    planned_clusters("example", &Config::example())
}

fn planned_clusters(label: &str, config: &Config) -> Vec<Planned> {
    config
        .clusters
        .keys()
        .map(|name| {
            let tree = plan(config, name).unwrap_or_else(|e| panic!("{label}: planning cluster {name}: {e}"));
            Planned::new(label, tree)
        })
        .collect()
}
