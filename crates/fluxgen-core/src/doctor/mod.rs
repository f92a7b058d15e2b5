//! `fluxgen doctor`: the migration's risks, found in a repository before they reach a cluster.
//!
//! [`doctor()`] scans a repository ([`crate::scan()`]) and [`diagnose`] judges what the scan
//! found, cluster by cluster, against each cluster's migration [`Phase`]: from `fluxgen.yaml`
//! when there is one, inferred from the repository otherwise (a bootstrap install and no
//! FluxInstance is `prepare`; both is `instance`, two managers; a FluxInstance alone is
//! `complete`). Each risk of the migration is one [`Code`]; each [`Finding`] has a severity, the
//! file and line it is about, what is wrong, why it matters, how to fix it, and every other file
//! involved.
//!
//! The ownership graph ([`Graph`]) says which Flux Kustomization applies which directory and
//! which Kustomization applies which: objects with two owners, cycles and paths that do not
//! exist come from it, and [`Graph::mermaid`] draws it.
//!
//! Doctor judges the scanner's model alone ([`ScannedRepository`]: objects with their labels,
//! annotations and data key names, kustomizations, `${VAR}` references): it reads no file of
//! the repository itself. Nothing in a report comes from a SOPS-encrypted file except the
//! kind, name and data key names of its documents: no value of such a file can reach any
//! output.
//!
//! ```
//! let dir = tempfile::tempdir()?;
//! let bootstrap = dir.path().join("kubernetes/edge/bootstrap/flux");
//! std::fs::create_dir_all(&bootstrap)?;
//! std::fs::write(
//!     bootstrap.join("kustomization.yaml"),
//!     "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n\
//!      resources: [github.com/fluxcd/flux2/manifests/install?ref=v2.4.0]\n",
//! )?;
//! let report = fluxgen_core::doctor(dir.path(), None)?;
//! assert_eq!(report.clusters[0].name.as_deref(), Some("edge"));
//! assert_eq!(report.clusters[0].phase, Some(fluxgen_core::Phase::Prepare));
//! assert!(!report.has_errors());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod bootstrap_cleanup;
mod bootstrap_drift;
mod controllers;
mod cycles;
mod decryption;
mod escape;
mod graph;
mod notifications;
mod prerequisites;
mod report;
mod risks;
mod root_names;
mod substitution;
mod sync;
pub(crate) mod upgrade_path;

pub use upgrade_path::UpgradeStep;

use std::fmt;
use std::path::Path;

use serde::Serialize;

use crate::config::{Config, Phase};
use crate::scan::ScannedRepository;
use crate::{Error, Origin};

pub use graph::{Graph, GraphEdge, GraphNode, NodeKind};

/// How much a finding matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Breaks a cluster, or will at the next step: `fluxgen doctor` exits 1.
    Error,
    /// A risk to fix before the next phase.
    Warning,
    /// Worth knowing; nothing to fix now.
    Info,
}

impl Severity {
    /// The severity as printed.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a finding is about: a stable identifier, one per risk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Code {
    /// The cluster runs Flux more than one minor below its `distribution.version`: the
    /// minor-by-minor path.
    UpgradePath,
    /// The bootstrap install or a `flux-manifests` Kustomization still manages the controllers
    /// next to a FluxInstance, or the FluxInstance is in another namespace than the controllers.
    DoubleManagedControllers,
    /// The Flux CRDs have more than one manager.
    CrdManagers,
    /// What `flux bootstrap` wrote (`gotk-components.yaml`, `gotk-sync.yaml`) is still in the
    /// repository next to the FluxInstance that adopted it, or the cutover's removal of it is
    /// incomplete.
    BootstrapCleanup,
    /// The FluxInstance runs other components, NetworkPolicies, intervals or branch than the
    /// `flux bootstrap` install it takes over.
    BootstrapDrift,
    /// The FluxInstance's sync path and an existing Kustomization apply the same directory or
    /// objects.
    SyncPathOverlap,
    /// The FluxInstance's sync path does not exist.
    SyncPathMissing,
    /// The sync adopts an existing Kustomization (same name and namespace) and points it at a
    /// path that does not hold what it applies today: everything it applied is pruned.
    SyncRepointsRoot,
    /// The sync name differs from the GitRepository that sources, Receivers and Alerts name.
    RootNames,
    /// A pruning Kustomization can delete the FluxInstance (and with it every Flux object).
    InstancePrune,
    /// The old root Kustomization prunes, so retiring it deletes what it applied.
    RootPrune,
    /// Encrypted files under the sync path, and no decryption on the sync Kustomization.
    SopsOnSyncPath,
    /// A Kustomization applies SOPS-encrypted files and nothing gives it decryption.
    SopsWithoutDecryption,
    /// A Receiver or Alert names an object the cluster does not have.
    MissingTarget,
    /// `${VAR}` with no default and no definition under a Kustomization with `postBuild`.
    StrictSubstitution,
    /// An ExternalSecret-sourced webhook token without External Secrets or its store.
    ExternalSecretsBaseline,
    /// Another large change (a `chartRef` migration) is under way in the cluster.
    Sequencing,
    /// Two Kustomizations apply the same directory or object.
    AppliedTwice,
    /// From cutover on, a Kustomization of the cluster that nothing applies any more.
    Unapplied,
    /// Kustomizations, kustomizations or `dependsOn` entries that form a cycle.
    OwnershipCycle,
    /// A path a Kustomization or a `kustomization.yaml` names does not exist.
    MissingPath,
    /// The phase in `fluxgen.yaml` and what the repository holds disagree.
    PhaseMismatch,
    /// Template files were not scanned.
    TemplatesSkipped,
    /// YAML that does not parse.
    MalformedYaml,
    /// A field of a Flux object with the wrong type or a value Flux rejects.
    InvalidField,
    /// A file that cannot be read (not UTF-8, binary, too large, a link loop).
    UnreadableFile,
    /// A URL in the repository carries credentials (a password, or a token as its user).
    CommittedCredentials,
}

impl Code {
    /// Every code, in the order reports group them.
    pub const ALL: [Code; 27] = [
        Code::DoubleManagedControllers,
        Code::UpgradePath,
        Code::CrdManagers,
        Code::BootstrapCleanup,
        Code::BootstrapDrift,
        Code::SyncPathOverlap,
        Code::SyncPathMissing,
        Code::SyncRepointsRoot,
        Code::RootNames,
        Code::InstancePrune,
        Code::RootPrune,
        Code::SopsOnSyncPath,
        Code::SopsWithoutDecryption,
        Code::MissingTarget,
        Code::StrictSubstitution,
        Code::ExternalSecretsBaseline,
        Code::Sequencing,
        Code::AppliedTwice,
        Code::Unapplied,
        Code::OwnershipCycle,
        Code::MissingPath,
        Code::PhaseMismatch,
        Code::TemplatesSkipped,
        Code::MalformedYaml,
        Code::InvalidField,
        Code::UnreadableFile,
        Code::CommittedCredentials,
    ];

    /// The stable identifier, e.g. `double-managed-controllers`.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::DoubleManagedControllers => "double-managed-controllers",
            Code::UpgradePath => "upgrade-path",
            Code::CrdManagers => "crd-managers",
            Code::BootstrapCleanup => "bootstrap-cleanup",
            Code::BootstrapDrift => "bootstrap-drift",
            Code::SyncPathOverlap => "sync-path-overlap",
            Code::SyncPathMissing => "sync-path-missing",
            Code::SyncRepointsRoot => "sync-repoints-root",
            Code::RootNames => "root-names",
            Code::InstancePrune => "instance-prune",
            Code::RootPrune => "root-prune",
            Code::SopsOnSyncPath => "sops-on-sync-path",
            Code::SopsWithoutDecryption => "sops-without-decryption",
            Code::MissingTarget => "missing-target",
            Code::StrictSubstitution => "strict-substitution",
            Code::ExternalSecretsBaseline => "external-secrets-baseline",
            Code::Sequencing => "sequencing",
            Code::AppliedTwice => "applied-twice",
            Code::Unapplied => "unapplied-kustomization",
            Code::OwnershipCycle => "ownership-cycle",
            Code::MissingPath => "missing-path",
            Code::PhaseMismatch => "phase-mismatch",
            Code::TemplatesSkipped => "templates-skipped",
            Code::MalformedYaml => "malformed-yaml",
            Code::InvalidField => "invalid-field",
            Code::UnreadableFile => "unreadable-file",
            Code::CommittedCredentials => "committed-credentials",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Another file a finding involves, with what it is.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Related {
    /// The file, relative to the repository root.
    pub file: String,
    /// The line, when known.
    pub line: Option<u32>,
    /// What this file is to the finding.
    pub note: String,
}

/// One risk found in the repository.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Finding {
    /// How much it matters.
    pub severity: Severity,
    /// Which risk.
    pub code: Code,
    /// The cluster (`None`: the repository as a whole, or a single-cluster layout).
    pub cluster: Option<String>,
    /// The file it is about, relative to the repository root.
    pub file: String,
    /// The line, when known.
    pub line: Option<u32>,
    /// The column on that line, when known (findings from what the scanner could not read).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    /// What is wrong.
    pub what: String,
    /// Why it matters.
    pub why: String,
    /// How to fix it.
    pub fix: String,
    /// Every other file involved.
    pub related: Vec<Related>,
}

pub use crate::scan::PhaseSource;

/// A cluster as doctor sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterSummary {
    /// Its name (`None` for a single-cluster layout without `fluxgen.yaml`).
    pub name: Option<String>,
    /// Its directories, relative to the repository root (`""` is the whole repository).
    pub roots: Vec<String>,
    /// Its migration phase.
    pub phase: Option<Phase>,
    /// Where the phase comes from.
    pub phase_source: PhaseSource,
    /// Why that phase, in words.
    pub phase_reason: String,
}

/// Everything `doctor` found.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Report {
    /// The repository, as given.
    pub repository: String,
    /// The `fluxgen.yaml` the phases come from, when there is one.
    pub config: Option<String>,
    /// Every cluster found.
    pub clusters: Vec<ClusterSummary>,
    /// The findings, by cluster, severity, code and file.
    pub findings: Vec<Finding>,
    /// The ownership graph.
    #[serde(skip)]
    pub graph: Graph,
}

impl Report {
    /// How many findings have this severity.
    pub fn count(&self, severity: Severity) -> usize {
        self.findings.iter().filter(|f| f.severity == severity).count()
    }

    /// Whether any finding is an error (`fluxgen doctor` then exits 1).
    pub fn has_errors(&self) -> bool {
        self.count(Severity::Error) > 0
    }
}

/// Scans the repository at `repo_root` and judges it. `config` gives the clusters' phases;
/// without it they are inferred from the repository.
pub fn doctor(repo_root: &Path, config: Option<&Config>) -> Result<Report, Error> {
    let repository = crate::scan(repo_root)?;
    Ok(diagnose(&repository, config))
}

/// Judges a scanned repository. Everything comes from the scanner's model (labels,
/// annotations, data key names, `${VAR}` references included): no file of the repository is
/// read again.
pub fn diagnose(repository: &ScannedRepository, config: Option<&Config>) -> Report {
    let graph = &repository.graph;
    let config_file = config.and_then(|c| match &c.origin {
        Origin::File(path) => Some(config_display(&repository.root, path)),
        Origin::BuiltIn | Origin::Code | Origin::Text(_) => None,
    });
    let scopes = crate::scan::layout::scopes(repository, config);
    let context = risks::Context {
        repository,
        config,
        config_file: config_file.clone(),
        scopes: &scopes,
        graph,
    };
    let mut findings = risks::all(&context);
    findings.sort_by(|a, b| {
        (&a.cluster, a.severity, a.code, &a.file, a.line, a.column, &a.what)
            .cmp(&(&b.cluster, b.severity, b.code, &b.file, b.line, b.column, &b.what))
    });
    findings.dedup();
    Report {
        repository: repository.root.display().to_string(),
        config: config_file,
        clusters: scopes.iter().map(summary).collect(),
        findings,
        graph: graph::draw(repository, graph, &scopes),
    }
}

/// A cluster as the report lists it.
fn summary(scope: &crate::scan::layout::ClusterScope) -> ClusterSummary {
    ClusterSummary {
        name: scope.name.clone(),
        roots: scope.roots.clone(),
        phase: scope.phase,
        phase_source: scope.phase_source,
        phase_reason: scope.phase_reason.clone(),
    }
}

/// The config file as findings name it: relative to the repository when it is inside, or when
/// it is in a directory above it (`../fluxgen.yaml`, doctor run in a subdirectory); elsewhere
/// as given.
fn config_display(root: &Path, path: &Path) -> String {
    let canonical = |p: &Path| std::fs::canonicalize(p).ok();
    let (Some(root), Some(path)) = (canonical(root), canonical(path)) else {
        return path.display().to_string();
    };
    if let Ok(relative) = path.strip_prefix(&root) {
        return relative.to_string_lossy().replace('\\', "/");
    }
    if let (Some(dir), Some(name)) = (path.parent(), path.file_name())
        && let Ok(below) = root.strip_prefix(dir)
    {
        let up = "../".repeat(below.components().count());
        return format!("{up}{}", name.to_string_lossy());
    }
    path.display().to_string()
}
