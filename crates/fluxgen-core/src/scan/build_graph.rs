//! The build graph: which Flux Kustomization applies which directory, files and objects,
//! and which Kustomization applies which.
//!
//! Every Flux Kustomization of the repository is a node, and so is the sync Kustomization each
//! FluxInstance creates. A node's build follows its path as kustomize-controller does: the
//! directory's `kustomization.yaml` (resources and components, recursively), or, where there is
//! none, what Flux generates (every manifest below, a subdirectory with its own kustomization
//! taken as a whole). Kustomizations whose source is not this repository (an OCIRepository
//! such as `flux-manifests`, a GitRepository of another repository) have no build.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;

use super::path_set::PathSet;
use super::{EntryTarget, Location, ScannedFluxInstance, ScannedKustomization, ScannedRepository, normalize_repo_path};

/// API groups whose objects are Flux's own (their double application is checked object by
/// object).
const FLUX_GROUPS: [&str; 6] = [
    "source.toolkit.fluxcd.io",
    "kustomize.toolkit.fluxcd.io",
    "helm.toolkit.fluxcd.io",
    "notification.toolkit.fluxcd.io",
    "image.toolkit.fluxcd.io",
    "fluxcd.controlplane.io",
];

/// What a Kustomization's build reaches.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Build {
    /// Files applied as resources.
    pub(crate) files: PathSet,
    /// Files applied through kustomize components (shared by design).
    pub(crate) component_files: PathSet,
    /// Directories built as resources (the root included).
    pub(crate) dirs: PathSet,
    /// Directories listed as resources that have no kustomization: `(kustomization.yaml, line,
    /// directory)`.
    pub(crate) unbuildable: Vec<(String, u32, String)>,
    /// kustomize resource cycles, each as the directories on it (first repeated last).
    pub(crate) cycles: Vec<Vec<String>>,
}

/// What a build's visit gathers, in the order it reaches it: the [`Build`], its paths not yet
/// sorted.
#[derive(Default)]
struct Reached {
    files: Vec<String>,
    component_files: Vec<String>,
    dirs: Vec<String>,
    unbuildable: Vec<(String, u32, String)>,
    cycles: Vec<Vec<String>>,
}

impl From<Reached> for Build {
    fn from(reached: Reached) -> Self {
        Build {
            files: reached.files.into(),
            component_files: reached.component_files.into(),
            dirs: reached.dirs.into(),
            unbuildable: reached.unbuildable,
            cycles: reached.cycles,
        }
    }
}

/// Where a node comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    /// `repository.kustomizations[i]`.
    Kustomization(usize),
    /// The sync Kustomization of `repository.flux_instances[i]`.
    Sync(usize),
}

/// A Flux Kustomization, from the repository or created by a FluxInstance.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct KsNode {
    pub(crate) origin: Origin,
    pub(crate) name: String,
    /// Where it is defined (the FluxInstance for a sync node).
    pub(crate) at: Location,
    /// The repository directory it applies; `None` when its source is not this repository.
    pub(crate) dir: Option<String>,
    /// Whether that directory exists.
    pub(crate) exists: bool,
    pub(crate) build: Build,
    /// The nodes whose definition its build applies.
    pub(crate) applies: Vec<usize>,
}

/// How two builds overlap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Overlap {
    /// Both apply the same directory.
    SameDirectory(String),
    /// The first builds the second's directory as part of its own.
    Contains(String),
    /// Both apply these files holding Flux objects.
    Files(Vec<String>),
    /// Both apply these Flux objects (`Kind/namespace/name`), from different files.
    Objects(Vec<String>),
}

impl Overlap {
    /// The overlap in words, from the first build's side.
    pub(crate) fn describe(&self) -> String {
        match self {
            Overlap::SameDirectory(dir) => format!("both apply `{dir}`"),
            Overlap::Contains(dir) => format!("both build `{dir}`, one as its path and one as part of its own"),
            Overlap::Files(files) => format!("both apply {}", quoted(files)),
            Overlap::Objects(objects) => format!("both apply {}", quoted(objects)),
        }
    }
}

/// Up to five items in backquotes, and how many more.
pub(crate) fn quoted(items: &[String]) -> String {
    let shown: Vec<String> = items.iter().take(5).map(|i| format!("`{i}`")).collect();
    match items.len() {
        n if n > 5 => format!("{} and {} more", shown.join(", "), n - 5),
        _ => shown.join(", "),
    }
}

/// The build graph of a repository.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct BuildGraph {
    pub(crate) nodes: Vec<KsNode>,
    /// For each node, the nodes that apply it.
    pub(crate) parents: Vec<Vec<usize>>,
    /// Files holding at least one object (or SOPS-encrypted): what Flux's generator includes.
    manifest_files: HashSet<String>,
    /// Flux object identities (`Kind/namespace/name`, explicit namespaces only) by file.
    flux_objects: HashMap<String, Vec<String>>,
    /// Nodes by the directory they apply.
    by_dir: HashMap<String, Vec<usize>>,
    /// Nodes by a directory their build reaches.
    by_visited_dir: HashMap<String, Vec<usize>>,
    /// Nodes by a Flux-object file their build reaches.
    by_flux_file: HashMap<String, Vec<usize>>,
    /// Nodes by a Flux object their build reaches.
    by_object: HashMap<String, Vec<(usize, String)>>,
}

impl BuildGraph {
    /// Builds every node of the repository.
    pub(crate) fn build(repository: &ScannedRepository) -> Self {
        let mut manifest_files: HashSet<String> = repository.objects.iter().map(|o| o.at.file.clone()).collect();
        manifest_files.extend(repository.sops_files.iter().map(|s| s.file.clone()));
        let mut flux_objects: HashMap<String, Vec<String>> = HashMap::new();
        for object in &repository.objects {
            let group = object.api_version.split_once('/').map_or("", |(g, _)| g);
            if let Some(namespace) = &object.namespace
                && FLUX_GROUPS.contains(&group)
                && !object.name.contains("${")
            {
                flux_objects
                    .entry(object.at.file.clone())
                    .or_default()
                    .push(format!("{}/{namespace}/{}", object.kind, object.name));
            }
        }
        // One node per Kustomization and per FluxInstance sync, room made at once (a doubling
        // holds up to half again as much, while the graph is the peak of `doctor`'s memory).
        let node_count =
            repository.kustomizations.len() + repository.flux_instances.iter().filter(|i| i.sync.is_some()).count();
        let mut graph = BuildGraph {
            nodes: Vec::with_capacity(node_count),
            parents: Vec::new(),
            manifest_files,
            flux_objects,
            by_dir: HashMap::new(),
            by_visited_dir: HashMap::new(),
            by_flux_file: HashMap::new(),
            by_object: HashMap::new(),
        };
        let home = home_sources(repository);
        let root = std::fs::canonicalize(&repository.root).unwrap_or_else(|_| repository.root.clone());
        for (index, kustomization) in repository.kustomizations.iter().enumerate() {
            let dir = applied_dir(repository, kustomization, &home);
            graph.push(
                repository,
                &root,
                Origin::Kustomization(index),
                kustomization_identity(kustomization),
                dir,
            );
        }
        for (index, instance) in repository.flux_instances.iter().enumerate() {
            let Some(sync) = &instance.sync else { continue };
            let dir = sync
                .path
                .as_deref()
                .filter(|_| sync.kind.as_deref().is_none_or(|k| k == "GitRepository"))
                .map(normalize_repo_path);
            let identity = (sync_name(instance), instance.at.clone());
            graph.push(repository, &root, Origin::Sync(index), identity, dir);
        }
        graph.link();
        graph
    }

    fn push(
        &mut self,
        repository: &ScannedRepository,
        root: &Path,
        origin: Origin,
        (name, at): (String, Location),
        dir: Option<String>,
    ) {
        let (exists, build) = match &dir {
            Some(dir) => (root.join(dir).is_dir(), self.build_dir(repository, dir)),
            None => (true, Build::default()),
        };
        self.nodes.push(KsNode {
            origin,
            name,
            at,
            dir,
            exists,
            build,
            applies: Vec::new(),
        });
    }

    /// Indexes the nodes and links each to the nodes it applies.
    fn link(&mut self) {
        let mut defined: HashMap<&str, Vec<usize>> = HashMap::new();
        for (index, node) in self.nodes.iter().enumerate() {
            if let Origin::Kustomization(_) = node.origin {
                defined.entry(node.at.file.as_str()).or_default().push(index);
            }
        }
        let mut applies = Vec::new();
        for node in &self.nodes {
            let mut found: BTreeSet<usize> = BTreeSet::new();
            for file in node.build.files.iter().chain(&node.build.component_files) {
                if let Some(children) = defined.get(file.as_str()) {
                    found.extend(children);
                }
            }
            applies.push(found.into_iter().collect());
        }
        for (node, applies) in self.nodes.iter_mut().zip(applies) {
            node.applies = applies;
        }
        self.parents = vec![Vec::new(); self.nodes.len()];
        for (index, node) in self.nodes.iter().enumerate() {
            for &child in &node.applies {
                self.parents[child].push(index);
            }
        }
        for (index, node) in self.nodes.iter().enumerate() {
            if let Some(dir) = &node.dir {
                self.by_dir.entry(dir.clone()).or_default().push(index);
            }
            for dir in &node.build.dirs {
                self.by_visited_dir.entry(dir.clone()).or_default().push(index);
            }
            for file in &node.build.files {
                if let Some(objects) = self.flux_objects.get(file) {
                    self.by_flux_file.entry(file.clone()).or_default().push(index);
                    for object in objects {
                        self.by_object
                            .entry(object.clone())
                            .or_default()
                            .push((index, file.clone()));
                    }
                }
            }
        }
    }

    /// What a Kustomization applying `dir` reaches.
    pub(crate) fn build_dir(&self, repository: &ScannedRepository, dir: &str) -> Build {
        let mut reached = Reached::default();
        let mut visiting = Vec::new();
        let mut done = HashSet::new();
        self.visit(repository, dir, false, true, &mut visiting, &mut done, &mut reached);
        reached.into()
    }

    #[allow(clippy::too_many_arguments)]
    fn visit(
        &self,
        repository: &ScannedRepository,
        dir: &str,
        component: bool,
        generated: bool,
        visiting: &mut Vec<String>,
        done: &mut HashSet<(String, bool)>,
        build: &mut Reached,
    ) {
        if let Some(start) = visiting.iter().position(|d| d == dir) {
            let mut cycle = visiting[start..].to_vec();
            cycle.push(dir.to_owned());
            build.cycles.push(cycle);
            return;
        }
        if !done.insert((dir.to_owned(), component)) {
            return;
        }
        if !component {
            build.dirs.push(dir.to_owned());
        }
        visiting.push(dir.to_owned());
        if let Some(file) = repository.kustomize_files.get(dir) {
            let entries = file
                .resources
                .iter()
                .map(|e| (e, component))
                .chain(file.components.iter().map(|e| (e, true)));
            for (entry, via_component) in entries {
                match &entry.target {
                    EntryTarget::File(path) => {
                        if via_component {
                            build.component_files.push(path.clone());
                        } else {
                            build.files.push(path.clone());
                        }
                    }
                    EntryTarget::Directory(path) => {
                        if repository.kustomize_files.contains_key(path) {
                            self.visit(repository, path, via_component, false, visiting, done, build);
                        } else {
                            build.unbuildable.push((file.at.file.clone(), entry.line, path.clone()));
                        }
                    }
                    _ => {}
                }
            }
        } else if generated {
            self.generate(repository, dir, component, visiting, done, build);
        }
        visiting.pop();
    }

    /// What Flux generates for a directory without a kustomization.
    fn generate(
        &self,
        repository: &ScannedRepository,
        dir: &str,
        component: bool,
        visiting: &mut Vec<String>,
        done: &mut HashSet<(String, bool)>,
        build: &mut Reached,
    ) {
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        let files = &repository.yaml_files;
        let start = files.partition_point(|f| f.as_str() < prefix.as_str());
        let mut owners: BTreeSet<String> = BTreeSet::new();
        for file in files[start..].iter().take_while(|f| f.starts_with(&prefix)) {
            let rest = &file[prefix.len()..];
            let mut owner = None;
            let mut end = prefix.len();
            for segment in rest.split('/').collect::<Vec<_>>().iter().rev().skip(1).rev() {
                end += segment.len();
                let candidate = &file[..end];
                if repository.kustomize_files.contains_key(candidate) {
                    owner = Some(candidate.to_owned());
                    break;
                }
                end += 1;
            }
            match owner {
                Some(owner) => {
                    owners.insert(owner);
                }
                None if self.manifest_files.contains(file) => {
                    if component {
                        build.component_files.push(file.clone());
                    } else {
                        build.files.push(file.clone());
                    }
                }
                None => {}
            }
        }
        for owner in owners {
            self.visit(repository, &owner, component, false, visiting, done, build);
        }
    }

    /// The nodes whose builds overlap one applying `dir` with `build` (excluding `skip`).
    pub(crate) fn overlapping(&self, dir: &str, build: &Build, skip: Option<usize>) -> Vec<(usize, Overlap)> {
        let mut found: BTreeMap<usize, Overlap> = BTreeMap::new();
        let mut note = |index: usize, overlap: Overlap| {
            if Some(index) != skip {
                found.entry(index).or_insert(overlap);
            }
        };
        for &index in self.by_dir.get(dir).into_iter().flatten() {
            note(index, Overlap::SameDirectory(dir.to_owned()));
        }
        for visited in build.dirs.iter().filter(|d| d.as_str() != dir) {
            for &index in self.by_dir.get(visited).into_iter().flatten() {
                note(index, Overlap::Contains(visited.clone()));
            }
        }
        for &index in self.by_visited_dir.get(dir).into_iter().flatten() {
            if self.nodes[index].dir.as_deref() != Some(dir) {
                note(index, Overlap::Contains(dir.to_owned()));
            }
        }
        let mut files: BTreeMap<usize, Vec<String>> = BTreeMap::new();
        for file in build.files.iter().filter(|f| self.flux_objects.contains_key(*f)) {
            for &index in self.by_flux_file.get(file).into_iter().flatten() {
                files.entry(index).or_default().push(file.clone());
            }
        }
        for (index, files) in files {
            note(index, Overlap::Files(files));
        }
        let mut objects: BTreeMap<usize, Vec<String>> = BTreeMap::new();
        for file in &build.files {
            for object in self.flux_objects.get(file).into_iter().flatten() {
                for (index, other) in self.by_object.get(object).into_iter().flatten() {
                    if other != file {
                        objects.entry(*index).or_default().push(object.clone());
                    }
                }
            }
        }
        for (index, mut objects) in objects {
            objects.dedup();
            note(index, Overlap::Objects(objects));
        }
        found.into_iter().collect()
    }

    /// The node of a repository Kustomization.
    pub(crate) fn node_of(&self, kustomization: usize) -> Option<usize> {
        self.nodes
            .iter()
            .position(|n| n.origin == Origin::Kustomization(kustomization))
    }

    /// The nodes whose builds apply `file`.
    pub(crate) fn owners_of(&self, file: &str) -> Vec<usize> {
        self.nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.build.files.contains(file) || n.build.component_files.contains(file))
            .map(|(i, _)| i)
            .collect()
    }
}

/// `(name, location)` of a Kustomization node.
fn kustomization_identity(kustomization: &ScannedKustomization) -> (String, Location) {
    (kustomization.name.clone(), kustomization.at.clone())
}

/// The name of the GitRepository and Kustomization a FluxInstance's sync creates: `sync.name`,
/// or the instance's namespace (`flux-system` when it is not written).
pub(crate) fn sync_name(instance: &ScannedFluxInstance) -> String {
    instance
        .sync
        .as_ref()
        .and_then(|s| s.name.clone())
        .or_else(|| instance.namespace.clone())
        .unwrap_or_else(|| crate::facts::DEFAULT_NAMESPACE.to_owned())
}

/// A Git URL reduced to host and path, so `ssh://git@github.com/a/b.git` and
/// `https://github.com/a/b` compare equal.
pub(crate) fn normalize_url(url: &str) -> String {
    let lower = url.trim().to_ascii_lowercase();
    let rest = lower.split_once("://").map_or(lower.as_str(), |(_, rest)| rest);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, rest)| rest);
    let rest = match rest.split_once(':') {
        // scp-like `github.com:owner/repo`, but not a port.
        Some((host, path)) if !path.starts_with(|c: char| c.is_ascii_digit()) => format!("{host}/{path}"),
        _ => rest.to_owned(),
    };
    rest.trim_end_matches('/').trim_end_matches(".git").to_owned()
}

/// A source as the repository's identity: its URL (normalized) and the ref it reads (a full
/// ref name such as `refs/heads/main`, when known).
type Home = (String, Option<String>);

/// The full ref a GitRepository reads, when it names a branch or a tag (`refs/heads/main`).
fn git_ref(source: &super::ScannedGitRepository) -> Option<String> {
    let reference = &source.reference;
    reference
        .name
        .clone()
        .or_else(|| reference.branch.as_ref().map(|b| format!("refs/heads/{b}")))
        .or_else(|| reference.tag.as_ref().map(|t| format!("refs/tags/{t}")))
}

/// The sources that are this repository: the FluxInstances' syncs and every GitRepository that
/// a Kustomization reading it applies (a self-managed root), each as URL and ref.
fn home_sources(repository: &ScannedRepository) -> HashSet<Home> {
    let mut home: HashSet<Home> = repository
        .flux_instances
        .iter()
        .filter_map(|i| {
            let sync = i.sync.as_ref()?;
            Some((normalize_url(sync.url.as_deref()?), sync.reference.clone()))
        })
        .collect();
    // A Kustomization whose path holds its GitRepository's definition reads this tree; one
    // that applies a source's whole root (`./`) only says so when nothing more telling does
    // (a tenant's branch applied at `./` is another tree).
    let mut whole_roots = HashSet::new();
    for source in &repository.git_repositories {
        let source_dir = source.at.file.rsplit_once('/').map_or("", |(d, _)| d);
        for kustomization in repository.kustomizations.iter().filter(|k| {
            k.source_ref
                .as_ref()
                .is_some_and(|s| s.kind == "GitRepository" && s.name == source.name)
        }) {
            match kustomization.repo_path().as_deref() {
                Some("") => {
                    whole_roots.insert((normalize_url(&source.url), git_ref(source)));
                }
                Some(path) if source_dir == path || source_dir.starts_with(&format!("{path}/")) => {
                    home.insert((normalize_url(&source.url), git_ref(source)));
                }
                _ => {}
            }
        }
    }
    for (url, reference) in whole_roots {
        if !home.iter().any(|(home_url, _)| *home_url == url) {
            home.insert((url, reference));
        }
    }
    home
}

/// Whether a GitRepository reads this repository's tree: a home URL, on the home ref (or a ref
/// that is not known on either side). Another repository, or another branch of the same URL
/// (a tenant's branch), is not the local tree.
fn is_home(source: &super::ScannedGitRepository, home: &HashSet<Home>) -> bool {
    let url = normalize_url(&source.url);
    let reference = git_ref(source);
    home.iter().any(|(home_url, home_ref)| {
        *home_url == url
            && match (home_ref, &reference) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            }
    })
}

/// The repository directory a Kustomization applies, `None` when its source is not this
/// repository.
fn applied_dir(
    repository: &ScannedRepository,
    kustomization: &ScannedKustomization,
    home: &HashSet<Home>,
) -> Option<String> {
    let source = kustomization.source_ref.as_ref()?;
    if source.kind != "GitRepository" {
        return None;
    }
    let namespace = source.namespace.as_deref().or(kustomization.namespace.as_deref());
    let defined: Vec<_> = repository
        .git_repositories
        .iter()
        .filter(|g| {
            g.name == source.name
                && (namespace.is_none() || g.namespace.is_none() || g.namespace.as_deref() == namespace)
        })
        .collect();
    let foreign = !home.is_empty() && !defined.is_empty() && defined.iter().all(|g| !is_home(g, home));
    if foreign {
        return None;
    }
    Some(kustomization.repo_path().unwrap_or_default())
}
