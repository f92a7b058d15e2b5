//! The risks doctor looks for, one function each, over the clusters of a repository. The
//! controller and CRD managers are in `controllers`, the sync path and root names in `sync`,
//! strict substitution in `substitution`, cycles in `cycles`, the External Secrets baseline and
//! sequencing in `prerequisites`; two owners, missing paths, phase consistency and what the
//! scanner could not read are here.

use std::collections::BTreeSet;

use super::{
    Code, Finding, Related, Severity, bootstrap_cleanup, bootstrap_drift, controllers, cycles, decryption,
    notifications, prerequisites, root_names, substitution, sync, upgrade_path,
};
use crate::config::{Config, Phase};
use crate::scan::build_graph::{BuildGraph, Origin};
use crate::scan::layout::{ClusterScope, inside};
use crate::scan::{Note, NoteKind, ScannedRepository};

/// Everything a risk reads.
pub(super) struct Context<'a> {
    pub(super) repository: &'a ScannedRepository,
    pub(super) config: Option<&'a Config>,
    /// `fluxgen.yaml` as findings name it.
    pub(super) config_file: Option<String>,
    pub(super) scopes: &'a [ClusterScope<'a>],
    pub(super) graph: &'a BuildGraph,
}

impl Context<'_> {
    /// The file a config-derived finding points at.
    pub(super) fn config_name(&self) -> String {
        self.config_file.clone().unwrap_or_else(|| "fluxgen.yaml".to_owned())
    }
}

impl Finding {
    /// A finding of `code` about `file:line` in a cluster; what, why and fix follow.
    pub(super) fn new(code: Code, severity: Severity, scope: &ClusterScope, file: &str, line: Option<u32>) -> Self {
        Self::about(code, severity, scope.name.clone(), file, line)
    }

    /// A finding of `code` about `file:line` in `cluster` (none: the repository), with nothing
    /// said yet.
    fn about(code: Code, severity: Severity, cluster: Option<String>, file: &str, line: Option<u32>) -> Self {
        Finding {
            severity,
            code,
            cluster,
            file: file.to_owned(),
            line,
            column: None,
            what: String::new(),
            why: String::new(),
            fix: String::new(),
            related: Vec::new(),
        }
    }

    pub(super) fn what(mut self, what: impl Into<String>) -> Self {
        self.what = what.into();
        self
    }

    pub(super) fn why(mut self, why: impl Into<String>) -> Self {
        self.why = why.into();
        self
    }

    pub(super) fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = fix.into();
        self
    }

    /// Adds a related file.
    pub(super) fn see(mut self, file: &str, line: Option<u32>, note: impl Into<String>) -> Self {
        let related = Related {
            file: file.to_owned(),
            line,
            note: note.into(),
        };
        if !self.related.contains(&related) {
            self.related.push(related);
        }
        self
    }
}

/// The severity for a cluster's phase: before the FluxInstance (`prepare`, `operator`, or no
/// phase), at `instance`, and from `cutover` on.
pub(super) fn by_phase(phase: Option<Phase>, before: Severity, instance: Severity, after: Severity) -> Severity {
    match phase {
        None | Some(Phase::Prepare | Phase::Operator) => before,
        Some(Phase::Instance) => instance,
        Some(Phase::Cutover | Phase::Complete) => after,
    }
}

/// ``phase `x` `` for messages, with where it comes from.
pub(super) fn phase_words(scope: &ClusterScope) -> String {
    match scope.phase {
        Some(phase) => match scope.phase_source {
            super::PhaseSource::Config => format!("phase `{phase}` in fluxgen.yaml"),
            _ => format!("inferred phase `{phase}`"),
        },
        None => "no known phase".to_owned(),
    }
}

/// Every finding of every risk.
pub(super) fn all(context: &Context) -> Vec<Finding> {
    let mut findings = Vec::new();
    for scope in context.scopes {
        findings.extend(controllers::double_managed_controllers(context, scope));
        findings.extend(controllers::crd_managers(context, scope));
        findings.extend(controllers::instance_prune(context, scope));
        findings.extend(controllers::root_prune(context, scope));
        findings.extend(bootstrap_cleanup::bootstrap_cleanup(context, scope));
        findings.extend(bootstrap_drift::bootstrap_drift(context, scope));
        findings.extend(upgrade_path::upgrade_path(context, scope));
        let target = sync::sync_target(context, scope);
        findings.extend(sync::sync_path(context, scope, target.as_ref()));
        findings.extend(root_names::root_names(context, scope, target.as_ref()));
        findings.extend(sync::sops_on_sync_path(context, scope, target.as_ref()));
        findings.extend(decryption::sops_without_decryption(context, scope));
        findings.extend(notifications::missing_targets(context, scope));
        findings.extend(substitution::strict_substitution(context, scope));
        findings.extend(prerequisites::external_secrets_baseline(context, scope));
        findings.extend(prerequisites::sequencing(context, scope));
        findings.extend(applied_twice(context, scope));
        findings.extend(unapplied(context, scope));
        findings.extend(cycles::depends_on_cycles(context, scope));
        findings.extend(phase_mismatch(context, scope));
    }
    findings.extend(cycles::ownership_cycles(context));
    findings.extend(missing_paths(context));
    findings.extend(scanner_notes(context));
    findings
}

/// The scope a file belongs to by its directories (or the first that applies it), for
/// findings that are not about one cluster's migration.
fn scope_of<'a>(context: &'a Context, file: &str) -> Option<&'a ClusterScope<'a>> {
    context
        .scopes
        .iter()
        .filter(|s| s.roots.iter().any(|r| inside(file, r)))
        .max_by_key(|s| s.roots.iter().filter(|r| inside(file, r)).map(|r| r.len()).max())
        .or_else(|| context.scopes.iter().find(|s| s.contains(file)))
}

/// A finding about a file whose cluster comes from where the file is.
pub(super) fn located(context: &Context, code: Code, severity: Severity, file: &str, line: Option<u32>) -> Finding {
    let cluster = scope_of(context, file).and_then(|s| s.name.clone());
    Finding::about(code, severity, cluster, file, line)
}

/// A finding about what the scanner noted, at the note's file, line and column.
fn noted(context: &Context, code: Code, severity: Severity, note: &Note) -> Finding {
    Finding {
        column: note.column,
        ..located(context, code, severity, &note.file, note.line)
    }
    .what(note.message.clone())
}

/// `1 reference`, `2 references`: `one` and `many` are the singular and plural phrases.
pub(super) fn plural(count: usize, one: &str, many: &str) -> String {
    if count == 1 {
        format!("1 {one}")
    } else {
        format!("{count} {many}")
    }
}

/// From cutover on: a Kustomization defined in the cluster's directories that nothing applies
/// any more (typically a root Kustomization left behind when the old root retired: `cluster-apps`
/// not moved into the sync directory). Before cutover the old root still applies them.
fn unapplied(context: &Context, scope: &ClusterScope) -> Vec<Finding> {
    if controllers::judged_phase(scope) < Some(Phase::Cutover) {
        return Vec::new();
    }
    let graph = context.graph;
    let mut findings = Vec::new();
    for &index in &scope.nodes {
        let node = &graph.nodes[index];
        if !matches!(node.origin, Origin::Kustomization(_))
            || !graph.parents[index].is_empty()
            || !scope.roots.iter().any(|r| inside(&node.at.file, r))
        {
            continue;
        }
        findings.push(
            Finding::new(
                Code::Unapplied,
                Severity::Warning,
                scope,
                &node.at.file,
                Some(node.at.line),
            )
            .what(format!(
                "nothing in {} applies the Kustomization `{}` any more",
                scope.label(),
                node.name
            ))
            .why(
                "once its old owner is gone, the object lingers in the cluster unmanaged: changes to this file \
                     are never applied, and nothing prunes it",
            )
            .fix(format!(
                "list `{}` in the sync directory's kustomization.yaml (or in the Kustomization that should own it), \
                     or delete it",
                node.at.file
            )),
        );
    }
    findings
}

/// Two Kustomizations of one cluster applying the same directory or Flux objects (the
/// FluxInstance's sync is `sync-path-overlap`).
fn applied_twice(context: &Context, scope: &ClusterScope) -> Vec<Finding> {
    let graph = context.graph;
    let mut findings = Vec::new();
    let mut reported = BTreeSet::new();
    for &index in &scope.nodes {
        let node = &graph.nodes[index];
        let (Origin::Kustomization(_), Some(dir)) = (node.origin, &node.dir) else {
            continue;
        };
        for (other, overlap) in graph.overlapping(dir, &node.build, Some(index)) {
            let other_node = &graph.nodes[other];
            if !scope.has_node(other) || !matches!(other_node.origin, Origin::Kustomization(_)) {
                continue;
            }
            // A Kustomization that applies its own definition (a self-managed root) and the
            // Kustomizations below it are a tree, not two owners.
            let pair = (index.min(other), index.max(other));
            if !reported.insert(pair) {
                continue;
            }
            let (first, second) = (&graph.nodes[pair.0], &graph.nodes[pair.1]);
            findings.push(
                Finding::new(
                    Code::AppliedTwice,
                    Severity::Warning,
                    scope,
                    &node.at.file,
                    Some(node.at.line),
                )
                .what(format!(
                    "Kustomizations `{}` and `{}` apply the same objects: {}",
                    first.name,
                    second.name,
                    overlap.describe()
                ))
                .why(
                    "two Kustomizations owning one object overwrite each other's changes and labels, and \
                         when either is deleted or stops listing the object, its prune deletes it while the \
                         other still applies it",
                )
                .fix("keep one owner: narrow one Kustomization's path, or move the shared files under one of them")
                .see(
                    &other_node.at.file,
                    Some(other_node.at.line),
                    format!("Kustomization `{}`", other_node.name),
                ),
            );
        }
    }
    findings
}

/// Paths that do not exist: a Flux Kustomization's `path` (of this repository's source), and
/// `kustomization.yaml` entries (from the scanner's notes), and directories listed as
/// resources that have no kustomization.
fn missing_paths(context: &Context) -> Vec<Finding> {
    let mut findings = Vec::new();
    for node in &context.graph.nodes {
        let (Origin::Kustomization(_), Some(dir), false) = (node.origin, &node.dir, node.exists) else {
            continue;
        };
        findings.push(
            located(context, Code::MissingPath, Severity::Warning, &node.at.file, Some(node.at.line))
                .what(format!(
                    "Kustomization `{}` applies `./{dir}`, which does not exist in the repository",
                    node.name
                ))
                .why("kustomize-controller fails it with \"kustomization path not found\": nothing below it is applied or updated")
                .fix("fix `spec.path`, or add the directory"),
        );
    }
    for note in context
        .repository
        .notes
        .iter()
        .filter(|n| n.kind == NoteKind::MissingPath)
    {
        findings.push(
            noted(context, Code::MissingPath, Severity::Warning, note)
                .why("kustomize fails the build: every Kustomization that builds this directory fails as a whole")
                .fix("fix or remove the entry"),
        );
    }
    let mut seen = BTreeSet::new();
    for node in &context.graph.nodes {
        for (file, line, dir) in &node.build.unbuildable {
            if !seen.insert((file.clone(), *line)) {
                continue;
            }
            findings.push(
                located(context, Code::MissingPath, Severity::Warning, file, Some(*line))
                    .what(format!(
                        "`resources` lists the directory `{dir}`, which has no kustomization.yaml"
                    ))
                    .why("kustomize can only build a directory with a kustomization: the build fails")
                    .fix(format!(
                        "add `{dir}/kustomization.yaml` listing its files, or list the files themselves"
                    )),
            );
        }
    }
    findings
}

/// The phase in `fluxgen.yaml` against what the repository holds.
fn phase_mismatch(context: &Context, scope: &ClusterScope) -> Vec<Finding> {
    let (Some(cluster), Some(phase)) = (scope.cluster, scope.phase) else {
        return Vec::new();
    };
    let repository = context.repository;
    let config = context.config_name();
    let mut findings = Vec::new();
    let instance = scope.instances.first().map(|&i| &repository.flux_instances[i]);
    if !scope.roots.is_empty()
        && !scope
            .roots
            .iter()
            .any(|r| repository.yaml_files.iter().any(|f| inside(f, r)))
    {
        findings.push(
            Finding::new(Code::PhaseMismatch, Severity::Warning, scope, &config, None)
                .what(format!(
                    "fluxgen.yaml describes {}, but the repository has nothing under {}",
                    scope.label(),
                    scope
                        .roots
                        .iter()
                        .map(|r| format!("`{r}/`"))
                        .collect::<Vec<_>>()
                        .join(" or ")
                ))
                .why("doctor finds a cluster's files by its `path`: this cluster's risks cannot be judged")
                .fix("fix `path` (and `instance.sync.path`) for the cluster, or the cluster's name"),
        );
        return findings;
    }
    if phase >= Phase::Instance && instance.is_none() {
        findings.push(
            Finding::new(Code::PhaseMismatch, Severity::Warning, scope, &config, None)
                .what(format!(
                    "fluxgen.yaml puts {} at phase `{phase}`, but the repository has no FluxInstance for it",
                    scope.label()
                ))
                .why("the phase says the FluxInstance manages the controllers; without it nothing will once the old install goes")
                .fix(format!("run `fluxgen emit {}` and commit the flux-instance app, or set the phase back", cluster.name)),
        );
    }
    if phase < Phase::Instance
        && let Some(instance) = instance
    {
        findings.push(
            Finding::new(Code::PhaseMismatch, Severity::Warning, scope, &config, None)
                .what(format!(
                    "fluxgen.yaml puts {} at phase `{phase}`, but the repository already has its FluxInstance",
                    scope.label()
                ))
                .why("doctor judges the cluster by its phase: risks of the instance phase are reported as if it had not started")
                .fix("set the phase to `instance` (or later) in fluxgen.yaml")
                .see(&instance.at.file, Some(instance.at.line), "the FluxInstance"),
        );
    }
    findings
}

/// What the scanner could not read: templates (one finding for all), malformed YAML, invalid
/// fields of Flux objects and unreadable files, each at its line and column where known.
fn scanner_notes(context: &Context) -> Vec<Finding> {
    let notes = &context.repository.notes;
    let mut findings = Vec::new();
    let templates: Vec<_> = notes.iter().filter(|n| n.kind == NoteKind::Template).collect();
    if let Some(first) = templates.first() {
        let mut finding = located(context, Code::TemplatesSkipped, Severity::Info, &first.file, first.line)
            .what(format!(
                "{} not scanned ({})",
                plural(templates.len(), "template file was", "template files were"),
                first.message
            ))
            .why("doctor judges the YAML in the repository; what templates render is not in it")
            .fix("render the templates (e.g. `task configure`) and run doctor on the result");
        for note in templates.iter().skip(1).take(20) {
            finding = finding.see(&note.file, note.line, "a template");
        }
        findings.push(finding);
    }
    for note in notes {
        let (code, severity, why, fix) = match note.kind {
            NoteKind::Malformed => (
                Code::MalformedYaml,
                Severity::Error,
                "kustomize-controller fails to build the Kustomization that applies this file, and doctor could not \
                 read the documents that do not parse, so it cannot judge what they hold",
                "fix the YAML (yamllint shows where)",
            ),
            NoteKind::InvalidField => (
                Code::InvalidField,
                Severity::Warning,
                "the API server rejects the object (its CRD's schema), so the Kustomization that applies it fails; \
                 doctor judges the object without the field",
                "fix the value: the CRD's schema says what the field takes",
            ),
            NoteKind::Credentials => (
                Code::CommittedCredentials,
                Severity::Error,
                "everyone who can read the repository (and its history) can read them; doctor and import use the URL \
                 without them and never print them",
                "remove them from the URL, rotate them, and let a Secret hold them (`spec.secretRef`)",
            ),
            NoteKind::Symlink => (
                Code::UnreadableFile,
                Severity::Info,
                "doctor follows a link only to a file of the repository, once, as Flux does (it builds from the Git \
                 checkout): what this link leads to is not part of the findings",
                "where the link should add files, put them in the repository; otherwise remove it",
            ),
            NoteKind::Unreadable | NoteKind::NotYaml | NoteKind::SymlinkLoop => (
                Code::UnreadableFile,
                Severity::Error,
                "doctor could not read it, so it cannot judge what it holds: the repository is not known to be \
                 clean until it can",
                "check the file's permissions and content",
            ),
            _ => continue,
        };
        findings.push(noted(context, code, severity, note).why(why).fix(fix));
    }
    findings
}
