//! The directories `flux bootstrap` writes (and Terraform's flux provider, which writes the
//! same files): `<path>/flux-system/` with `gotk-components.yaml` (the Flux install, headed by
//! `# Flux Version:` and `# Components:`), `gotk-sync.yaml` (the GitRepository and the
//! Kustomization, both named after the namespace, that apply `./<path>`) and a
//! `kustomization.yaml` listing both, sometimes with patches.
//!
//! A directory is one by its content, wherever it is: a `gotk-sync.yaml` holding a
//! GitRepository and a Kustomization that reads it, or a `gotk-components.yaml` with the
//! header or with Flux controller Deployments. Template repositories commit placeholders
//! (`# This file will be generated automatically by flux bootstrap.`, no object): those are
//! told apart, and for a placeholder `gotk-sync.yaml` the scanner adds the two objects
//! `flux bootstrap` writes there, so that every reader of the model sees the cluster's root as
//! it will run.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use super::ScannedRepository;
use super::model::{GitReference, Location, ObjectRef, ObjectReference, ScannedGitRepository, ScannedKustomization};
use crate::facts::DEFAULT_NAMESPACE;

/// The file holding the Flux install.
pub const COMPONENTS_FILE: &str = "gotk-components.yaml";
/// The file holding the root GitRepository and Kustomization.
pub const SYNC_FILE: &str = "gotk-sync.yaml";

/// A bootstrap directory: `<path>/flux-system/`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FluxBootstrap {
    /// The directory holding the gotk files (`clusters/staging/flux-system`).
    pub dir: String,
    /// The bootstrap path: what the root Kustomization applies (`clusters/staging`), the
    /// directory above `dir` unless `gotk-sync.yaml` says otherwise.
    pub path: String,
    /// The namespace Flux runs in (`flux-system`).
    pub namespace: String,
    /// `gotk-components.yaml`, when the directory has one.
    pub components: Option<ComponentsFile>,
    /// `gotk-sync.yaml`, when the directory has one.
    pub sync: Option<SyncFile>,
    /// The directory's `kustomization.yaml`, when it has one (a key of
    /// [`ScannedRepository::kustomize_files`]).
    pub kustomization: Option<String>,
    /// The other YAML files in the directory (neither gotk file nor the kustomization).
    pub other_files: Vec<String>,
}

/// What `gotk-components.yaml` shows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ComponentsFile {
    /// The file.
    pub file: String,
    /// A placeholder: no object, only a comment.
    pub placeholder: bool,
    /// `# Flux Version:` (`v2.7.5`), else the `app.kubernetes.io/version` label of its objects.
    pub version: Option<String>,
    /// `# Components:`, else the controller Deployments it holds, in the header's order.
    pub components: Vec<String>,
    /// Whether it holds NetworkPolicies (`flux bootstrap --network-policy`, the default).
    pub network_policies: bool,
    /// The registry of the controller images (`ghcr.io/fluxcd`), when every image shares one.
    pub registry: Option<String>,
    /// The cluster domain source-controller advertises its storage under (`cluster.local`).
    pub cluster_domain: Option<String>,
    /// The controller Deployments: name, image and container args.
    pub controllers: Vec<BootstrapController>,
}

/// A controller Deployment of `gotk-components.yaml`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BootstrapController {
    /// `metadata.name` (`source-controller`).
    pub name: String,
    /// The first container's image.
    pub image: Option<String>,
    /// The first container's args.
    pub args: Vec<String>,
    /// Where the Deployment is.
    pub at: Location,
}

/// What `gotk-sync.yaml` holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncFile {
    /// The file.
    pub file: String,
    /// A placeholder: the GitRepository and Kustomization are the ones `flux bootstrap` will
    /// write, added by the scanner (their URL is unknown: empty).
    pub placeholder: bool,
    /// The GitRepository (a [`ScannedRepository::git_repositories`] index).
    pub source: Option<usize>,
    /// The Kustomization (a [`ScannedRepository::kustomizations`] index).
    pub kustomization: Option<usize>,
}

impl FluxBootstrap {
    /// The Flux version the directory pins, when it says.
    pub fn version(&self) -> Option<&str> {
        self.components.as_ref()?.version.as_deref()
    }

    /// Whether both gotk files are placeholders (or absent): a template, not an install.
    pub fn is_placeholder(&self) -> bool {
        self.components.as_ref().is_none_or(|c| c.placeholder) && self.sync.as_ref().is_none_or(|s| s.placeholder)
    }

    /// The gotk files, as paths relative to the repository root.
    pub fn gotk_files(&self) -> Vec<&str> {
        self.components
            .as_ref()
            .map(|c| c.file.as_str())
            .into_iter()
            .chain(self.sync.as_ref().map(|s| s.file.as_str()))
            .collect()
    }
}

/// A controller Deployment seen while reading a `gotk-components.yaml`.
pub(super) fn controller(document: &crate::yaml::Node, name: &str, at: &Location) -> BootstrapController {
    let container = super::flux_objects::items(document, &["spec", "template", "spec", "containers"]).first();
    BootstrapController {
        name: name.to_owned(),
        image: container.and_then(|c| super::flux_objects::text(c, &["image"])),
        args: container
            .map(|c| {
                super::flux_objects::items(c, &["args"])
                    .iter()
                    .filter_map(|a| super::flux_objects::text(a, &[]))
                    .collect()
            })
            .unwrap_or_default(),
        at: at.clone(),
    }
}

/// Whether a file is one of the gotk files.
pub(crate) fn is_gotk_file(file: &str) -> bool {
    let name = file.rsplit('/').next().unwrap_or(file);
    name == COMPONENTS_FILE || name == SYNC_FILE
}

/// The bootstrap directories of a scanned repository. For a placeholder `gotk-sync.yaml`, the
/// GitRepository and Kustomization `flux bootstrap` writes are added to the repository.
pub(super) fn find(
    root: &Path,
    repository: &mut ScannedRepository,
    controllers: Vec<BootstrapController>,
) -> Vec<FluxBootstrap> {
    let mut by_dir: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for file in repository.yaml_files.iter().filter(|f| is_gotk_file(f)) {
        by_dir.entry(parent(file).to_owned()).or_default().push(file.clone());
    }
    let mut found = Vec::new();
    for (dir, files) in by_dir {
        let components = files
            .iter()
            .find(|f| f.ends_with(COMPONENTS_FILE))
            .and_then(|file| components_file(root, repository, file, &controllers));
        let sync = files
            .iter()
            .find(|f| f.ends_with(SYNC_FILE))
            .and_then(|file| sync_file(root, repository, file));
        if components.is_none() && sync.is_none() {
            continue;
        }
        let namespace = namespace(repository, &dir, sync.as_ref());
        let default_path = parent(&dir).to_owned();
        let mut bootstrap = FluxBootstrap {
            path: default_path,
            namespace,
            components,
            sync,
            kustomization: repository.kustomize_files.contains_key(&dir).then(|| dir.clone()),
            other_files: repository
                .yaml_files
                .iter()
                .filter(|f| parent(f) == dir && !is_gotk_file(f) && !super::kustomize_graph::is_kustomization_file(f))
                .cloned()
                .collect(),
            dir,
        };
        match &mut bootstrap.sync {
            Some(sync) if sync.placeholder => {
                add_placeholder_objects(repository, sync, &bootstrap.path, &bootstrap.namespace)
            }
            Some(sync) => {
                if let Some(path) = sync
                    .kustomization
                    .and_then(|k| repository.kustomizations[k].repo_path())
                {
                    bootstrap.path = path;
                }
            }
            None => {}
        }
        found.push(bootstrap);
    }
    // The objects are read in file order; the placeholders' stand-ins were appended.
    if found.iter().any(|b| b.sync.as_ref().is_some_and(|s| s.placeholder)) {
        repository.objects.sort_by(|a, b| a.at.cmp(&b.at));
    }
    found
}

/// The directory of a file (`""` at the root).
fn parent(file: &str) -> &str {
    file.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// The first lines of a file, for its header (at most 4 KiB are read).
fn head(root: &Path, file: &str) -> String {
    String::from_utf8_lossy(&super::boundary::head(root, file, 4096)).into_owned()
}

/// Whether a file's objects are none: only comments (a placeholder), read or not.
fn has_objects(repository: &ScannedRepository, file: &str) -> bool {
    repository.objects.iter().any(|o| o.at.file == file) || repository.sops_files.iter().any(|s| s.file == file)
}

/// Whether a file was read without a note that it lost content.
fn readable(repository: &ScannedRepository, file: &str) -> bool {
    !repository
        .notes
        .iter()
        .any(|n| n.file == file && n.kind.loses_content())
}

fn components_file(
    root: &Path,
    repository: &ScannedRepository,
    file: &str,
    controllers: &[BootstrapController],
) -> Option<ComponentsFile> {
    let header = head(root, file);
    let header_value = |key: &str| {
        header
            .lines()
            .take_while(|line| line.starts_with('#') || line.trim().is_empty() || line.starts_with("---"))
            .find_map(|line| {
                line.strip_prefix('#')?
                    .trim()
                    .strip_prefix(key)
                    .map(|v| v.trim().to_owned())
            })
            .filter(|v| !v.is_empty())
    };
    let controllers: Vec<BootstrapController> = controllers.iter().filter(|c| c.at.file == file).cloned().collect();
    let objects = has_objects(repository, file);
    if !objects {
        // A placeholder is a comment and nothing else; a file that could not be read is not one.
        return (readable(repository, file) && is_comment_only(&header)).then(|| ComponentsFile {
            file: file.to_owned(),
            placeholder: true,
            ..ComponentsFile::default()
        });
    }
    let version = header_value("Flux Version:").or_else(|| {
        repository
            .objects
            .iter()
            .filter(|o| o.at.file == file)
            .find_map(|o| o.labels.get("app.kubernetes.io/version").cloned())
    });
    let mut components: Vec<String> = header_value("Components:")
        .map(|list| {
            list.split(',')
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty())
                .collect()
        })
        .unwrap_or_default();
    if components.is_empty() {
        components = controllers.iter().map(|c| c.name.clone()).collect();
    }
    if version.is_none() && controllers.is_empty() {
        return None;
    }
    let registries: Vec<String> = controllers
        .iter()
        .filter_map(|c| {
            let image = c.image.as_deref()?;
            let without_digest = image.split('@').next()?;
            // A tag follows the last `:` after the last `/` (`localhost:5000/fluxcd/x` has none).
            let repo = match without_digest.rsplit_once(':') {
                Some((repo, tag)) if !tag.contains('/') => repo,
                _ => without_digest,
            };
            repo.rsplit_once('/').map(|(registry, _)| registry.to_owned())
        })
        .collect();
    let registry = registries
        .first()
        .filter(|first| registries.iter().all(|r| r == *first))
        .cloned();
    let cluster_domain = controllers
        .iter()
        .filter(|c| c.name == crate::Component::SourceController.as_str())
        .flat_map(|c| &c.args)
        .find_map(|arg| {
            let address = arg.strip_prefix("--storage-adv-addr=")?;
            let domain = address.split_once(".svc.")?.1.trim_end_matches('.');
            (!domain.is_empty()).then(|| domain.to_owned())
        });
    Some(ComponentsFile {
        file: file.to_owned(),
        placeholder: false,
        version,
        components,
        network_policies: repository
            .objects
            .iter()
            .any(|o| o.at.file == file && o.kind == "NetworkPolicy"),
        registry,
        cluster_domain,
        controllers,
    })
}

/// Whether a text is only comments and blank lines (or document markers).
fn is_comment_only(text: &str) -> bool {
    text.lines()
        .map(str::trim)
        .all(|line| line.is_empty() || line.starts_with('#') || line == "---")
}

fn sync_file(root: &Path, repository: &ScannedRepository, file: &str) -> Option<SyncFile> {
    let kustomization = (0..repository.kustomizations.len()).find(|&i| {
        let k = &repository.kustomizations[i];
        k.at.file == file && k.source_ref.as_ref().is_some_and(|s| s.kind == "GitRepository")
    });
    if let Some(k) = kustomization {
        let reference = repository.kustomizations[k].source_ref.as_ref()?;
        let source = (0..repository.git_repositories.len()).find(|&i| {
            let g = &repository.git_repositories[i];
            g.at.file == file && g.name == reference.name
        });
        return Some(SyncFile {
            file: file.to_owned(),
            placeholder: false,
            source,
            kustomization: Some(k),
        });
    }
    let placeholder =
        !has_objects(repository, file) && readable(repository, file) && is_comment_only(&head(root, file));
    placeholder.then(|| SyncFile {
        file: file.to_owned(),
        placeholder: true,
        source: None,
        kustomization: None,
    })
}

/// The namespace Flux runs in: the sync objects', else the Namespace the components file
/// creates, else `flux-system`.
fn namespace(repository: &ScannedRepository, dir: &str, sync: Option<&SyncFile>) -> String {
    sync.and_then(|s| s.kustomization)
        .and_then(|k| repository.kustomizations[k].namespace.clone())
        .or_else(|| {
            repository
                .objects
                .iter()
                .find(|o| o.kind == "Namespace" && parent(&o.at.file) == dir && o.at.file.ends_with(COMPONENTS_FILE))
                .map(|o| o.name.clone())
        })
        .unwrap_or_else(|| DEFAULT_NAMESPACE.to_owned())
}

/// Adds the GitRepository and Kustomization `flux bootstrap` writes into a placeholder
/// `gotk-sync.yaml` (its defaults: interval 1m0s and 10m0s, branch `main`, prune): the URL is
/// unknown until the command runs, so it is left empty.
fn add_placeholder_objects(repository: &mut ScannedRepository, sync: &mut SyncFile, path: &str, namespace: &str) {
    let at = Location {
        file: sync.file.clone(),
        line: 1,
    };
    sync.source = Some(repository.git_repositories.len());
    repository.git_repositories.push(ScannedGitRepository {
        name: namespace.to_owned(),
        namespace: Some(namespace.to_owned()),
        url: String::new(),
        reference: GitReference {
            branch: Some("main".to_owned()),
            ..GitReference::default()
        },
        secret_ref: Some(namespace.to_owned()),
        provider: None,
        interval: Some("1m0s".to_owned()),
        ignore: None,
        at: at.clone(),
    });
    sync.kustomization = Some(repository.kustomizations.len());
    repository.kustomizations.push(ScannedKustomization {
        name: namespace.to_owned(),
        namespace: Some(namespace.to_owned()),
        path: Some(format!("./{path}")),
        source_ref: Some(ObjectReference {
            api_version: None,
            kind: "GitRepository".to_owned(),
            name: namespace.to_owned(),
            namespace: None,
        }),
        prune: Some(true),
        wait: None,
        suspend: None,
        interval: Some("10m0s".to_owned()),
        timeout: None,
        target_namespace: None,
        post_build: None,
        decryption: None,
        depends_on: Vec::new(),
        patches: Vec::new(),
        common_metadata: None,
        at: Location {
            file: sync.file.clone(),
            line: 2,
        },
    });
    // Objects are kept in file order: the two stand at lines 1 and 2 of the placeholder.
    for (line, api_version, kind) in [
        (1, "source.toolkit.fluxcd.io/v1", "GitRepository"),
        (2, "kustomize.toolkit.fluxcd.io/v1", "Kustomization"),
    ] {
        repository.objects.push(ObjectRef {
            api_version: api_version.to_owned(),
            kind: kind.to_owned(),
            name: namespace.to_owned(),
            namespace: Some(namespace.to_owned()),
            at: Location {
                file: sync.file.clone(),
                line,
            },
            labels: BTreeMap::new(),
            annotations: BTreeMap::new(),
            data_keys: Vec::new(),
        });
    }
}
