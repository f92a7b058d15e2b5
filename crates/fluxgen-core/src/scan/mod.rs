//! The repository scanner: what a GitOps repository holds, as plain data, for `import` and
//! `doctor`.
//!
//! [`scan()`] walks the repository (skipping `.git`, `target`, `node_modules` and hidden
//! directories; following symbolic links only inside the repository, and never twice into the
//! same directory), reads every `*.yaml` / `*.yml` file as a stream of documents, and builds a
//! [`ScannedRepository`] (read-side types are named `Scanned*`, apart from the objects fluxgen
//! writes):
//!
//! - Flux sources ([`ScannedGitRepository`], [`ScannedOciRepository`]), [`ScannedKustomization`]s, [`ScannedHelmRelease`]s,
//!   [`ScannedReceiver`]s, [`ScannedAlert`]s and [`ScannedProvider`]s, [`ScannedExternalSecret`]s, and every object as an
//!   [`ObjectRef`] with its labels, annotations and the key names of its data;
//! - the kustomize graph: every `kustomization.yaml` ([`KustomizeFile`]) with its resources and
//!   components resolved relative to its directory ([`EntryTarget`]: file, directory, remote
//!   base, missing path), its patches and generators; [`ScannedRepository::applied_files`] follows
//!   it from a Flux Kustomization's path;
//! - [`ScannedFluxInstance`]s, as manifests or as flux-instance chart values (inline, or from a values
//!   file a `configMapGenerator` turns into the release's `valuesFrom` ConfigMap);
//! - [`BootstrapInstall`]s: kustomizations that pull `github.com/fluxcd/flux2/manifests/install`;
//! - [`FluxBootstrap`]s: the directories `flux bootstrap` writes (`<path>/flux-system/` with
//!   `gotk-components.yaml`, `gotk-sync.yaml` and a `kustomization.yaml`), found by their
//!   content at any depth: the version and components of the install's header, its
//!   NetworkPolicies, registry, cluster domain and controllers, the root GitRepository and
//!   Kustomization; placeholder files (template repositories) are told apart, and the two
//!   objects a placeholder `gotk-sync.yaml` stands for are added to the model;
//! - the `${VAR}` references of each plaintext file ([`VariableUse`]), which Flux's `postBuild`
//!   substitution replaces.
//!
//! Each YAML file is read once, and only facts are kept, no document tree and no file text:
//! what uses the model (`doctor`) has no need to read a file again. Of a Secret, a ConfigMap
//! or a generator, only the key names are kept, never a value.
//!
//! Every object carries its [`Location`]. SOPS-encrypted files (a top-level `sops:` key, or a
//! `*.sops.yaml` name) become [`SopsFile`]s with the kind, name and data key names of each
//! document and no value. Templates, text that is not YAML and files larger than
//! [`MAX_FILE_BYTES`] are skipped, malformed YAML is kept as far as it parses, and a field of
//! a Flux object with the wrong type is left out; each is a [`Note`] at its line and column
//! where there is one ([`NoteKind::loses_content`] tells which lose part of the repository).
//! Nothing in a repository makes the scan fail: only a root that cannot be read does.
//!
//! ```
//! let dir = tempfile::tempdir()?;
//! std::fs::write(
//!     dir.path().join("source.yaml"),
//!     "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\n\
//!      metadata: {name: home-kubernetes, namespace: flux-system}\n\
//!      spec: {url: ssh://git@github.com/example/home-ops, ref: {branch: main}}\n",
//! )?;
//! let repository = fluxgen_core::scan(dir.path())?;
//! let source = &repository.git_repositories[0];
//! assert_eq!(source.url, "ssh://git@github.com/example/home-ops");
//! assert_eq!(source.at.to_string(), "source.yaml:1");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub(crate) mod bootstrap_cutover;
pub(crate) mod boundary;
pub(crate) mod build_graph;
mod chart_instances;
mod credentials;
mod documents;
mod fields;
mod file_facts;
pub(crate) mod flux_bootstrap;
mod flux_objects;
mod kustomize_graph;
pub(crate) mod layout;
mod model;
mod path_set;
pub(crate) mod sync_decision;
pub use sync_decision::{RepointedRoot, check_sync};
mod variables;
mod walk;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::Error;
use crate::yaml::Node;

pub use bootstrap_cutover::BootstrapCutover;
pub use documents::MAX_FILE_BYTES;
pub use flux_bootstrap::{BootstrapController, ComponentsFile, FluxBootstrap, SyncFile};
pub use kustomize_graph::{EntryTarget, Generator, KUSTOMIZATION_FILES, KustomizeEntry, KustomizeFile};
pub use layout::PhaseSource;
pub use model::{
    BootstrapInstall, Chart, Decryption, Dependency, GitReference, InstanceSource, Location, Note, NoteKind, ObjectRef,
    ObjectReference, Patch, PostBuild, ScannedAlert, ScannedCommonMetadata, ScannedExternalSecret, ScannedFluxInstance,
    ScannedGitRepository, ScannedHelmRelease, ScannedInstanceSync, ScannedKustomization, ScannedOciRepository,
    ScannedProvider, ScannedReceiver, SopsDocument, SopsFile, SubstituteSource, ValuesReference, VariableUse,
    normalize_repo_path,
};

/// Everything the scanner found in a repository.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScannedRepository {
    /// The root that was scanned, as given.
    pub root: PathBuf,
    /// Every YAML file read or skipped, relative to the root, sorted.
    pub yaml_files: Vec<String>,
    /// How many files of other kinds were found (not read).
    pub other_files: usize,
    /// Every object of a plaintext file, in file order.
    pub objects: Vec<ObjectRef>,
    /// `GitRepository` objects.
    pub git_repositories: Vec<ScannedGitRepository>,
    /// `OCIRepository` objects.
    pub oci_repositories: Vec<ScannedOciRepository>,
    /// Flux `Kustomization` objects.
    pub kustomizations: Vec<ScannedKustomization>,
    /// `HelmRelease` objects.
    pub helm_releases: Vec<ScannedHelmRelease>,
    /// `Receiver` objects.
    pub receivers: Vec<ScannedReceiver>,
    /// `Alert` objects.
    pub alerts: Vec<ScannedAlert>,
    /// `Provider` objects.
    pub providers: Vec<ScannedProvider>,
    /// FluxInstances, as manifests or chart values.
    pub flux_instances: Vec<ScannedFluxInstance>,
    /// Kustomizations that install Flux from the flux2 release manifests.
    pub bootstrap_installs: Vec<BootstrapInstall>,
    /// The directories `flux bootstrap` writes (`<path>/flux-system/gotk-*.yaml`).
    pub flux_bootstraps: Vec<FluxBootstrap>,
    /// Every `kustomization.yaml`, by directory.
    pub kustomize_files: BTreeMap<String, KustomizeFile>,
    /// SOPS-encrypted files (kinds and names only).
    pub sops_files: Vec<SopsFile>,
    /// What was skipped or could not be read.
    pub notes: Vec<Note>,
    /// What each Flux Kustomization (and each FluxInstance's sync) applies, built once from
    /// the objects above.
    #[serde(skip)]
    pub(crate) graph: build_graph::BuildGraph,
    /// `ExternalSecret` objects.
    pub external_secrets: Vec<ScannedExternalSecret>,
    /// The `${VAR}` references of each plaintext file that has any, by file: every YAML file
    /// (templates and malformed ones too), and the other files `kustomization.yaml`s list.
    pub variable_uses: BTreeMap<String, Vec<VariableUse>>,
}

/// Scans a repository. Fails only when `repo_root` cannot be read; everything wrong inside
/// the repository is a [`Note`].
pub fn scan(repo_root: &Path) -> Result<ScannedRepository, Error> {
    scan_with(repo_root, &Skip::default())
}

/// What a scan leaves out: for the sync check, which judges the repository without fluxgen's
/// own output (that is the config's, not the repository's).
#[derive(Debug, Default)]
pub(crate) struct Skip {
    /// Directories not entered and files not read, relative to the root.
    pub(crate) paths: std::collections::HashSet<String>,
    /// Whether files carrying fluxgen's generated marker are left unparsed.
    pub(crate) generated: bool,
}

/// Scans a repository, leaving out what `skip` says.
pub(crate) fn scan_with(repo_root: &Path, skip: &Skip) -> Result<ScannedRepository, Error> {
    let read_error = |source| Error::Read {
        path: repo_root.to_path_buf(),
        source,
    };
    let root = fs::canonicalize(repo_root).map_err(read_error)?;
    let mut repository = ScannedRepository {
        root: repo_root.to_path_buf(),
        ..ScannedRepository::default()
    };
    let mut inline_values: Vec<Option<Node>> = Vec::new();
    let mut controllers: Vec<BootstrapController> = Vec::new();
    // Reading and parsing is most of the work (about 75% of the instructions of `doctor` on
    // the bench's 10,000-file repository): each file is read on whichever core is free as
    // soon as the walk finds it, and the facts join the model in the order of the paths.
    let plain_dirs = std::sync::RwLock::default();
    let walked_root = boundary::Root::walked(&root, &plain_dirs);
    let walked = crate::parallel::stream_in_order(
        |give| {
            let mut listener = walk::Listener {
                plain_dirs: &plain_dirs,
                found: &mut |found| give(found),
            };
            walk::walk(&root, &skip.paths, &mut listener)
        },
        |found| file_facts::read(&found, skip.generated, walked_root),
        |facts| repository.add_file(facts, &mut inline_values, &mut controllers),
    );
    let walk::Walk {
        yaml,
        other_files,
        mut notes,
    } = walked.map_err(read_error)?;
    // What only the reading needed goes before the rest is built: the directories entered
    // through no link (each file's path went with its facts).
    drop(plain_dirs);
    repository.yaml_files = yaml;
    repository.other_files = other_files;
    // In the order of their files with the others' (sorted below).
    repository.notes.append(&mut notes);
    repository.fit_lists();
    variables::resource_files(
        &root,
        &repository.kustomize_files,
        &repository.yaml_files,
        &mut repository.variable_uses,
    );
    repository.bootstrap_installs = repository
        .kustomize_files
        .values()
        .filter_map(kustomize_graph::bootstrap_install)
        .collect();
    repository.flux_bootstraps = flux_bootstrap::find(&root, &mut repository, controllers);
    let kustomize_files: Vec<&KustomizeFile> = repository.kustomize_files.values().collect();
    let mut chart_instances = Vec::new();
    let instance_sources = chart_instances::instance_sources(&repository.oci_repositories);
    for (release, values) in repository.helm_releases.iter().zip(&inline_values) {
        if chart_instances::is_instance_chart(release, &instance_sources)
            && let Some(instance) = chart_instances::chart_instance(&root, release, values.as_ref(), &kustomize_files)
        {
            chart_instances.push(instance);
        }
    }
    repository.flux_instances.extend(chart_instances);
    repository.flux_instances.sort_by(|a, b| a.at.cmp(&b.at));
    repository
        .notes
        .sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    repository.graph = build_graph::BuildGraph::build(&repository);
    Ok(repository)
}

impl ScannedRepository {
    /// The object whose document starts at `at` (the objects are in file order).
    ///
    /// ```
    /// use fluxgen_core::scan::{Location, ScannedRepository};
    /// let at = Location { file: "apps/ks.yaml".to_owned(), line: 1 };
    /// assert!(ScannedRepository::default().object(&at).is_none());
    /// ```
    pub fn object(&self, at: &Location) -> Option<&ObjectRef> {
        self.objects
            .binary_search_by(|object| object.at.cmp(at))
            .ok()
            .map(|index| &self.objects[index])
    }

    /// The `kustomization.yaml` of a directory (relative to the root, `""` for the root).
    pub fn kustomize_file(&self, dir: &str) -> Option<&KustomizeFile> {
        self.kustomize_files.get(dir)
    }

    /// The files a Flux Kustomization with this `spec.path` applies, built as
    /// kustomize-controller builds it: the directory's `kustomization.yaml` (resources and
    /// components, recursively), or, where there is none, the one Flux generates (every
    /// manifest below, a subdirectory with its own kustomization taken as a whole). A directory
    /// a `kustomization.yaml` lists without a kustomization of its own does not build, so it
    /// adds nothing; cycles end; remote bases and missing paths are left out.
    ///
    /// ```
    /// let repository = fluxgen_core::scan::ScannedRepository::default();
    /// assert!(repository.applied_files("./kubernetes/main/flux").is_empty());
    /// ```
    pub fn applied_files(&self, path: &str) -> Vec<String> {
        let build = self.graph.build_dir(self, &normalize_repo_path(path));
        build
            .files
            .into_iter()
            .chain(build.component_files)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect()
    }

    /// The GitRepository with this name, in this namespace when both are known.
    pub fn git_repository(&self, name: &str, namespace: Option<&str>) -> Option<&ScannedGitRepository> {
        self.git_repositories
            .iter()
            .find(|g| g.name == name && chart_instances::same_namespace(g.namespace.as_deref(), namespace))
    }

    /// The OCIRepository with this name, in this namespace when both are known.
    pub fn oci_repository(&self, name: &str, namespace: Option<&str>) -> Option<&ScannedOciRepository> {
        self.oci_repositories
            .iter()
            .find(|o| o.name == name && chart_instances::same_namespace(o.namespace.as_deref(), namespace))
    }

    /// The Flux Kustomizations that apply the Flux controllers from the
    /// `oci://ghcr.io/fluxcd/flux-manifests` artifact (the `flux` Kustomization of GOTK-era
    /// repositories), each with its OCIRepository.
    pub fn flux_manifest_kustomizations(&self) -> Vec<(&ScannedKustomization, &ScannedOciRepository)> {
        self.kustomizations
            .iter()
            .filter_map(|k| Some((k, self.flux_manifest_source(k)?)))
            .collect()
    }

    /// The OCIRepository of `fluxcd/flux-manifests` a Kustomization applies from: of those with
    /// its source's name and namespace (one per cluster), the nearest to it.
    pub fn flux_manifest_source(&self, kustomization: &ScannedKustomization) -> Option<&ScannedOciRepository> {
        let source = kustomization
            .source_ref
            .as_ref()
            .filter(|s| s.kind == "OCIRepository")?;
        let namespace = source.namespace.as_deref().or(kustomization.namespace.as_deref());
        let oci = self
            .oci_repositories
            .iter()
            .filter(|o| o.name == source.name && chart_instances::same_namespace(o.namespace.as_deref(), namespace))
            .max_by_key(|o| {
                (
                    shared_dirs(&o.at.file, &kustomization.at.file),
                    std::cmp::Reverse(&o.at),
                )
            })?;
        oci.url.contains("fluxcd/flux-manifests").then_some(oci)
    }

    /// Whether a file is SOPS-encrypted.
    pub fn is_sops(&self, file: &str) -> bool {
        self.sops_files.iter().any(|s| s.file == file)
    }
}

/// How many leading directories two files share.
fn shared_dirs(a: &str, b: &str) -> usize {
    let dirs = |f: &str| -> Vec<String> { f.split('/').map(str::to_owned).collect::<Vec<_>>() };
    let (a, b) = (dirs(a), dirs(b));
    a.iter()
        .zip(&b)
        .take(a.len().min(b.len()).saturating_sub(1))
        .take_while(|(x, y)| x == y)
        .count()
}
