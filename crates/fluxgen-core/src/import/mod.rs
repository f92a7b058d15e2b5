//! `fluxgen import`: a `fluxgen.yaml` that preserves what a GOTK (`flux bootstrap`-era)
//! repository runs, and a report of every translation and of everything left behind.
//!
//! From a [`scan`](crate::scan()) of the repository, [`import()`]:
//!
//! - refuses a repository with files the scan could not read, or read only in part (malformed
//!   YAML, not UTF-8, binary, too large, a symbolic-link loop, a Flux object field of the wrong
//!   type): [`ImportError::Unreadable`] lists each at its position. A config imported without
//!   them would silently leave out what they hold; [`ImportOptions::skip_unreadable`] imports
//!   without them when that is meant;
//! - finds the clusters: one per `flux bootstrap` path (`<path>/flux-system/gotk-*.yaml`, at
//!   any depth: see `flux_bootstrap` for what it keeps), each directory with a bootstrap install
//!   (`kubernetes/<cluster>/bootstrap`, a kustomization pulling
//!   `github.com/fluxcd/flux2/manifests/install`), a `flux` Kustomization applying
//!   `oci://ghcr.io/fluxcd/flux-manifests`, or a FluxInstance; a single-cluster repository
//!   (`kubernetes/bootstrap`) gets [`ImportOptions::single_cluster_name`] (`main`);
//! - pins the Flux version to the installed minor (`v2.3.0` → `2.3.x`): the operator refuses
//!   downgrades, and upgrades should go one minor at a time once the instance runs;
//! - takes the repository URL, branch and pull secret from the root GitRepository (the source
//!   of the root Kustomization `cluster`), and keeps its name as `instance.sync.name` and
//!   `apps.sourceName`, so no `sourceRef` changes;
//! - points the sync at a dedicated directory (`kubernetes/<cluster>/flux/cluster`, DESIGN
//!   section 7) for the root Kustomizations that stay;
//! - translates every controller patch of the bootstrap kustomization and of the `flux`
//!   Kustomization into typed tuning keys (raw patches for the rest), the NetworkPolicy
//!   delete into `networkPolicy: false`, drops the `*-flux-system` renames, and carries the
//!   root Kustomization's SOPS decryption and `postBuild` over to `tuning.syncKustomization`;
//! - sets every cluster to phase `prepare` (`complete` for a cluster whose FluxInstance
//!   already replaced the bootstrap install, `instance` while both exist), and orders the
//!   rollout edge first: migrated clusters, then clusters not named like a production
//!   cluster (`main`, `prod`), by name.

mod clusters;
mod controller_patches;
mod flux_bootstrap;
mod git_source;
mod left_behind;
mod multitenancy;
mod report;
mod settings;
mod sync;
mod tuning;
mod typed_keys;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::config::{Cluster, RepositorySettings};
use crate::scan::{Note, ScannedRepository};
use crate::yaml::Node;
use crate::{Component, Phase};

pub use report::{EntryKind, ImportReport, ReportEntry};

/// An imported `fluxgen.yaml`, as data: each cluster with its full typed settings. Written
/// (see [`Imported::text`]), what all clusters share goes to `defaults` and each cluster
/// keeps what differs, in the order a person reads it.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportedConfig {
    /// The Git source, as written.
    pub repository: RepositorySettings,
    /// Each cluster: its phase and settings (`override_places` empty).
    pub clusters: BTreeMap<String, Cluster>,
    /// The migration order.
    pub rollout: Vec<String>,
}

/// The written file: `repository`, `defaults`, `clusters` (each its phase, then its layer),
/// `rollout`.
#[derive(Serialize)]
struct Written<'a> {
    repository: &'a RepositorySettings,
    defaults: Node,
    clusters: BTreeMap<&'a str, WrittenCluster>,
    rollout: &'a [String],
}

#[derive(Serialize)]
struct WrittenCluster {
    phase: Phase,
    #[serde(flatten)]
    settings: Node,
}

impl ImportedConfig {
    /// The file's YAML, without the header.
    fn to_yaml(&self) -> Result<String, String> {
        let settings = self
            .clusters
            .iter()
            .map(|(name, cluster)| (name.clone(), cluster.settings.clone()))
            .collect();
        let (defaults, mut layers) = crate::config::factor(&settings);
        let clusters = self
            .clusters
            .iter()
            .map(|(name, cluster)| {
                let settings = layers.remove(name).unwrap_or_else(|| defaults.clone());
                (
                    name.as_str(),
                    WrittenCluster {
                        phase: cluster.phase,
                        settings,
                    },
                )
            })
            .collect();
        crate::yaml::to_string_in_order(&Written {
            repository: &self.repository,
            defaults,
            clusters,
            rollout: &self.rollout,
        })
    }
}

/// How to import.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportOptions {
    /// The name of the cluster of a single-cluster repository (`kubernetes/bootstrap`,
    /// `kubernetes/flux`): `main` by default.
    pub single_cluster_name: String,
    /// Import even when the scan could not read some files ([`NoteKind::loses_content`]):
    /// what they hold is left out of the config. `false` by default: such a repository is
    /// refused with [`ImportError::Unreadable`].
    ///
    /// [`NoteKind::loses_content`]: crate::scan::NoteKind::loses_content
    pub skip_unreadable: bool,
    /// The Git URL the clusters sync from, where the repository does not say it (a placeholder
    /// `gotk-sync.yaml`, which `flux bootstrap` fills in): `None` reads the checkout's `origin`
    /// remote (`.git/config`), and failing that writes a stand-in to replace, with a warning.
    pub repository_url: Option<String>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            single_cluster_name: "main".to_owned(),
            skip_unreadable: false,
            repository_url: None,
        }
    }
}

/// The result of an import.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Imported {
    /// The config, as data.
    pub config: ImportedConfig,
    /// The config as the text of `fluxgen.yaml` (a comment header, then the YAML).
    pub text: String,
    /// What import did and left behind.
    pub report: ImportReport,
}

/// Why import cannot write a config.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// Files the scan could not read, or read only in part (malformed, not YAML, too large,
    /// a link loop, an invalid field): a config without what they hold would silently differ
    /// from what the repository runs. Every such file is listed, each at its position.
    #[error("{}", unreadable_message(root, notes))]
    Unreadable {
        /// The repository.
        root: String,
        /// What the scan could not read, in file order.
        notes: Vec<Note>,
    },
    /// No cluster was found.
    #[error(
        "no cluster found in {root}: import looks for the directories `flux bootstrap` writes \
         (<path>/flux-system/gotk-components.yaml and gotk-sync.yaml), bootstrap installs (a kustomization.yaml \
         pulling github.com/fluxcd/flux2/manifests/install), Kustomizations applying \
         oci://ghcr.io/fluxcd/flux-manifests, and FluxInstances"
    )]
    NoClusters {
        /// The repository.
        root: String,
    },
    /// No Git source to sync from.
    #[error(
        "no Git repository to sync from in {root}: no cluster has a root GitRepository (the source of its `cluster` \
         Kustomization) or a FluxInstance with a sync URL"
    )]
    NoRepository {
        /// The repository.
        root: String,
    },
    /// A cluster directory whose name cannot be a cluster's name (a cluster name becomes a
    /// path and object names, so it must be a DNS-1123 label).
    #[error(
        "the cluster directory {dir} is named `{}`, which cannot be a cluster's name: {reason}; rename the directory \
         (and the paths that name it) and import again; nothing was written",
        crate::url::quoted(name).trim_matches('`')
    )]
    ClusterName {
        /// The directory.
        dir: String,
        /// Its name.
        name: String,
        /// Why it cannot be a cluster's name.
        reason: String,
    },
    /// The config does not serialize.
    #[error("cannot render the imported config: {reason}")]
    Render {
        /// What the serializer said.
        reason: String,
    },
}

/// Imports a scanned GOTK repository.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let bootstrap = dir.path().join("kubernetes/edge/bootstrap");
/// std::fs::create_dir_all(&bootstrap)?;
/// std::fs::write(
///     bootstrap.join("kustomization.yaml"),
///     "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n\
///      resources: [github.com/fluxcd/flux2/manifests/install?ref=v2.4.0]\n",
/// )?;
/// let config = dir.path().join("kubernetes/edge/flux/config");
/// std::fs::create_dir_all(&config)?;
/// std::fs::write(
///     config.join("cluster.yaml"),
///     "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\n\
///      metadata: {name: home-kubernetes, namespace: flux-system}\n\
///      spec: {url: ssh://git@github.com/example/home-ops, ref: {branch: main}}\n---\n\
///      apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n\
///      metadata: {name: cluster, namespace: flux-system}\n\
///      spec: {path: ./kubernetes/edge/flux, sourceRef: {kind: GitRepository, name: home-kubernetes}}\n",
/// )?;
/// let repository = fluxgen_core::scan(dir.path())?;
/// let imported = fluxgen_core::import(&repository, &fluxgen_core::ImportOptions::default())?;
/// let origin = fluxgen_core::Origin::Text("imported fluxgen.yaml".to_owned());
/// let config = fluxgen_core::Config::from_yaml(&imported.text, origin)?;
/// let edge = config.cluster("edge").unwrap();
/// assert_eq!(edge.phase, fluxgen_core::Phase::Prepare);
/// assert_eq!(edge.settings.instance.distribution.version, "2.4.x");
/// assert_eq!(edge.settings.instance.sync.name, "home-kubernetes");
/// // A dedicated directory beside `kubernetes/edge/flux`, which the root `cluster` applies.
/// assert_eq!(edge.settings.instance.sync.path, "kubernetes/edge/sync");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn import(repository: &ScannedRepository, options: &ImportOptions) -> Result<Imported, ImportError> {
    let root = repository.root.display().to_string();
    let unreadable: Vec<Note> = repository
        .notes
        .iter()
        .filter(|note| note.kind.loses_content())
        .cloned()
        .collect();
    if !unreadable.is_empty() && !options.skip_unreadable {
        return Err(ImportError::Unreadable {
            root,
            notes: unreadable,
        });
    }
    let found = clusters::find(repository, &options.single_cluster_name);
    if found.is_empty() {
        return Err(ImportError::NoClusters { root });
    }
    for cluster in found.values() {
        if let Err(reason) = crate::patterns::DNS_LABEL.check(&cluster.name) {
            return Err(ImportError::ClusterName {
                dir: cluster.dir.clone(),
                name: cluster.name.clone(),
                reason,
            });
        }
    }
    let mut report = ImportReport::default();
    // The controllers of the clusters whose install does not list them (a bootstrap
    // directory's header does, and so does a FluxInstance).
    let unlisted = found
        .values()
        .any(|f| f.flux_bootstrap.is_none() && f.instance.is_none());
    let components = if unlisted {
        components(repository, &mut report)
    } else {
        Component::DEFAULTS.to_vec()
    };
    let mut phases: BTreeMap<String, Phase> = BTreeMap::new();
    let mut clusters = BTreeMap::new();
    for (name, cluster) in &found {
        let (phase, settings) = settings::cluster(repository, cluster, &components, &mut report);
        phases.insert(name.clone(), phase);
        clusters.insert(
            name.clone(),
            Cluster {
                name: name.clone(),
                phase,
                settings,
                override_places: Vec::new(),
            },
        );
    }
    let rollout = rollout(&phases, &mut report);
    let repository_settings = git_source::repository(&found, &rollout, &mut report)
        .or_else(|| git_source::unstated(repository, options.repository_url.as_deref(), &found, &mut report))
        .ok_or(ImportError::NoRepository { root })?;
    git_source::shared_decisions(&found, &mut report);
    let config = ImportedConfig {
        repository: repository_settings,
        clusters,
        rollout,
    };
    let body = config.to_yaml().map_err(|reason| ImportError::Render { reason })?;
    let text = format!("{}{}", header(&config), annotate_operator_version(&body));
    Ok(Imported { config, text, report })
}

/// The message of [`ImportError::Unreadable`]: how many files, then each note on its line.
fn unreadable_message(root: &str, notes: &[Note]) -> String {
    let files: std::collections::BTreeSet<&str> = notes.iter().map(|note| note.file.as_str()).collect();
    let (count, them, hold) = match files.len() {
        1 => ("1 file".to_owned(), "it", "it holds"),
        count => (format!("{count} files"), "them", "they hold"),
    };
    let mut message = format!(
        "{root}: {count} could not be read (in whole or in part), and a config imported without {them} would \
         leave out what {hold}:"
    );
    for note in notes {
        message.push_str(&format!("\n  {note}"));
    }
    message
}

/// The controllers the FluxInstance runs: the four defaults, and the image automation
/// controllers the GOTK install also ran when the repository has image automation objects.
fn components(repository: &ScannedRepository, report: &mut ImportReport) -> Vec<Component> {
    let image_objects: Vec<&crate::scan::ObjectRef> = repository
        .objects
        .iter()
        .filter(|o| o.api_version.starts_with("image.toolkit.fluxcd.io/"))
        .collect();
    if let Some(first) = image_objects.first() {
        report.push(
            None,
            EntryKind::Decision,
            format!(
                "components: the four default controllers and image-reflector- and image-automation-controller, \
                 because the repository has image automation objects ({} {}, and {} more)",
                first.kind,
                first.name,
                image_objects.len() - 1
            ),
            Some(&first.at),
        );
        let mut all = Component::DEFAULTS.to_vec();
        all.extend([
            Component::ImageReflectorController,
            Component::ImageAutomationController,
        ]);
        all
    } else {
        report.push(
            None,
            EntryKind::Decision,
            "components: source-, kustomize-, helm- and notification-controller. The GOTK install manifests also run \
             image-reflector- and image-automation-controller, but the repository has no image automation objects \
             (ImageRepository, ImagePolicy, ImageUpdateAutomation); add them to `instance.components` if you create \
             such objects outside Git"
                .to_owned(),
            None,
        );
        Component::DEFAULTS.to_vec()
    }
}

/// How far a cluster's name suggests it is from production: staging-like names first,
/// `main` and production-like names last.
fn blast_radius(name: &str) -> u8 {
    const EDGE: [&str; 8] = ["edge", "staging", "stage", "test", "dev", "lab", "sandbox", "preview"];
    const PRODUCTION: [&str; 4] = ["main", "prod", "production", "live"];
    if PRODUCTION.contains(&name) {
        2
    } else if EDGE.iter().any(|e| name.contains(e)) {
        0
    } else {
        1
    }
}

/// The rollout: migrated clusters first (a later phase may not follow an earlier one), then
/// edge first by name.
fn rollout(phases: &BTreeMap<String, Phase>, report: &mut ImportReport) -> Vec<String> {
    let mut order: Vec<&String> = phases.keys().collect();
    order.sort_by_key(|name| (std::cmp::Reverse(phases[*name]), blast_radius(name), (*name).clone()));
    let order: Vec<String> = order.into_iter().cloned().collect();
    let reason = if order.len() == 1 {
        "one cluster".to_owned()
    } else {
        "clusters already migrated first (a cluster may not be at a later phase than one before it), then the \
         others edge first: names like staging, test or edge before the rest, and `main` or production-like names \
         last; reorder `rollout` if another cluster is the least critical"
            .to_owned()
    };
    report.push(
        None,
        EntryKind::Decision,
        format!("rollout: [{}]: {reason}", order.join(", ")),
        None,
    );
    order
}

/// `body` with [`OPERATOR_RENOVATE_ANNOTATION`](crate::config::OPERATOR_RENOVATE_ANNOTATION)
/// above each `operator.version` (of `defaults` and of a cluster), so Renovate updates the
/// chart version where it lives.
fn annotate_operator_version(body: &str) -> String {
    let mut out = String::with_capacity(body.len() + 200);
    let mut section = "";
    let mut operator_at = None;
    for line in body.lines() {
        let indent = line.len() - line.trim_start().len();
        if indent == 0 {
            section = line.trim_end();
        }
        if let Some(at) = operator_at {
            if indent <= at {
                operator_at = None;
            } else if indent == at + 2 && line.trim_start().starts_with("version:") {
                out.push_str(&line[..indent]);
                out.push_str(crate::config::OPERATOR_RENOVATE_ANNOTATION);
                out.push('\n');
            }
        }
        let settings_indent = match section {
            "defaults:" => Some(2),
            "clusters:" => Some(4),
            _ => None,
        };
        if settings_indent == Some(indent) && line.trim_end() == format!("{}operator:", &line[..indent]) {
            operator_at = Some(indent);
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The comment at the top of the written file.
fn header(config: &ImportedConfig) -> String {
    let clusters: Vec<String> = config
        .rollout
        .iter()
        .map(|name| format!("{name} ({})", config.clusters[name].phase))
        .collect();
    format!(
        "# fluxgen.yaml written by `fluxgen import` from a GOTK (flux bootstrap) repository.\n\
         # Clusters, in rollout order: {}.\n\
         # The Flux version is pinned to the installed minor: the operator refuses downgrades, so upgrade one\n\
         # minor at a time once the FluxInstance runs. The sync name is the existing GitRepository's, so no\n\
         # sourceRef changes. Controller patches are typed `tuning` keys where fluxgen has one, raw patches\n\
         # otherwise. The import report (stderr) lists every translation and what is left to do by hand.\n",
        clusters.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::annotate_operator_version;

    #[test]
    fn the_operator_versions_get_the_renovate_annotation_and_nothing_else_does() {
        let body = "defaults:\n  operator:\n    version: \"0.58.1\"\n  instance:\n    distribution:\n      version: 2.3.x\n\
                    clusters:\n  edge:\n    operator:\n      version: \"0.60.0\"\n    patches:\n      - operator:\n          version: x\n";
        let annotation = crate::config::OPERATOR_RENOVATE_ANNOTATION;
        assert_eq!(
            annotate_operator_version(body),
            format!(
                "defaults:\n  operator:\n    {annotation}\n    version: \"0.58.1\"\n  instance:\n    distribution:\n      version: 2.3.x\n\
                 clusters:\n  edge:\n    operator:\n      {annotation}\n      version: \"0.60.0\"\n    patches:\n      - operator:\n          version: x\n"
            )
        );
    }
}
