//! Root names: the FluxInstance's sync name against the GitRepository and root Kustomizations
//! that the cluster's Kustomizations, HelmReleases, Receivers and Alerts reference; references
//! to a GitRepository nothing in the cluster defines (judged per cluster: a GitRepository left in
//! another cluster's directories does not satisfy them); a `sync.name` that fluxgen.yaml would
//! change on an existing FluxInstance.

use std::collections::{BTreeMap, BTreeSet};

use super::controllers::judged_phase;
use super::risks::{Context, by_phase, plural};
use super::sync::SyncTarget;
use super::{Code, Finding, Severity};
use crate::scan::Chart;
use crate::scan::build_graph::{Build, Origin, normalize_url};
use crate::scan::layout::ClusterScope;
use crate::scan::sync_decision::SyncDecision;

/// Root names: the sync name differs from the GitRepository that Kustomizations,
/// HelmReleases, Receivers and Alerts reference; references to a GitRepository nothing defines;
/// a `sync.name` that fluxgen.yaml would change on an existing FluxInstance.
pub(super) fn root_names(context: &Context, scope: &ClusterScope, sync: Option<&SyncTarget>) -> Vec<Finding> {
    let default;
    let sync = match sync {
        Some(sync) => sync,
        // No FluxInstance and no plan yet: the name one gets by default, as a decision to make.
        None if scope.has_old_install() => {
            default = SyncTarget {
                name: usual_sync_name(context),
                dir: String::new(),
                file: String::new(),
                line: None,
                planned: true,
                default: true,
                decryption: false,
                url: None,
                node: None,
                build: Build::default(),
                decision: SyncDecision::NewRoot,
            };
            &default
        }
        None => return Vec::new(),
    };
    let repository = context.repository;
    let phase = judged_phase(scope);
    let home = sync.url.as_deref().map(normalize_url);
    let mut findings = Vec::new();
    // Every reference to a GitRepository by name: (name, file, line, what).
    let mut references: Vec<(String, String, u32, String)> = Vec::new();
    for kustomization in repository.kustomizations.iter().filter(|k| scope.contains(&k.at.file)) {
        if let Some(source) = kustomization.source_ref.as_ref().filter(|s| s.kind == "GitRepository") {
            references.push((
                source.name.clone(),
                kustomization.at.file.clone(),
                kustomization.at.line,
                format!("Kustomization `{}` (sourceRef)", kustomization.name),
            ));
        }
    }
    for release in repository.helm_releases.iter().filter(|r| scope.contains(&r.at.file)) {
        if let Chart::Spec {
            source: Some(source), ..
        } = &release.chart
            && source.kind == "GitRepository"
        {
            references.push((
                source.name.clone(),
                release.at.file.clone(),
                release.at.line,
                format!("HelmRelease `{}` (chart sourceRef)", release.name),
            ));
        }
    }
    let roots: BTreeSet<String> = scope
        .nodes
        .iter()
        .filter_map(|&n| {
            let node = &context.graph.nodes[n];
            match node.origin {
                Origin::Kustomization(_) if node.build.files.contains(&node.at.file) => Some(node.name.clone()),
                _ => None,
            }
        })
        .filter(|name| *name != sync.name)
        .collect();
    for receiver in repository.receivers.iter().filter(|r| scope.contains(&r.at.file)) {
        for resource in &receiver.resources {
            if resource.kind == "GitRepository" || (resource.kind == "Kustomization" && roots.contains(&resource.name))
            {
                references.push((
                    resource.name.clone(),
                    receiver.at.file.clone(),
                    receiver.at.line,
                    format!("Receiver `{}` ({} `{}`)", receiver.name, resource.kind, resource.name),
                ));
            }
        }
    }
    for alert in repository.alerts.iter().filter(|a| scope.contains(&a.at.file)) {
        for source in &alert.event_sources {
            if source.kind == "GitRepository" || (source.kind == "Kustomization" && roots.contains(&source.name)) {
                references.push((
                    source.name.clone(),
                    alert.at.file.clone(),
                    alert.at.line,
                    format!("Alert `{}` ({} `{}`)", alert.name, source.kind, source.name),
                ));
            }
        }
    }
    references.retain(|(name, ..)| name != "*" && *name != sync.name);
    // Old roots: GitRepositories of this repository in the cluster, and the old root
    // Kustomizations.
    let old_sources: Vec<_> = repository
        .git_repositories
        .iter()
        .filter(|g| scope.contains(&g.at.file) && g.name != sync.name)
        .filter(|g| home.as_ref().is_none_or(|h| normalize_url(&g.url) == *h))
        .collect();
    let mut names: Vec<String> = old_sources.iter().map(|g| g.name.clone()).collect();
    names.extend(roots.iter().cloned());
    names.sort();
    names.dedup();
    for name in &names {
        let definition = old_sources.iter().find(|g| &g.name == name);
        // A retired root's own `sourceRef` goes with it; a root Kustomization matters only to
        // the Receivers and Alerts that name it.
        let using: Vec<_> = references
            .iter()
            .filter(|(n, _, _, what)| {
                n == name
                    && !roots
                        .iter()
                        .any(|r| what == &format!("Kustomization `{r}` (sourceRef)"))
                    && (definition.is_some() || what.starts_with("Receiver") || what.starts_with("Alert"))
            })
            .collect();
        if using.is_empty() {
            continue;
        }
        let kind = if definition.is_some() {
            "GitRepository"
        } else {
            "root Kustomization"
        };
        let severity = if sync.default {
            Severity::Info
        } else if sync.planned {
            by_phase(scope.phase, Severity::Warning, Severity::Warning, Severity::Error)
        } else {
            by_phase(phase, Severity::Warning, Severity::Warning, Severity::Error)
        };
        let (file, line) = match (sync.default, definition) {
            (false, _) => (sync.file.clone(), sync.line),
            (true, Some(definition)) => (definition.at.file.clone(), Some(definition.at.line)),
            (true, None) => (using[0].1.clone(), Some(using[0].2)),
        };
        let named = if sync.default && sync.name != crate::facts::DEFAULT_NAMESPACE {
            format!("the repository's other FluxInstances sync as `{}`", sync.name)
        } else if sync.default {
            format!(
                "a FluxInstance's sync is named `{}` unless `sync.name` says otherwise",
                sync.name
            )
        } else if sync.planned {
            format!("fluxgen.yaml names the FluxInstance's sync `{}`", sync.name)
        } else {
            format!("the FluxInstance's sync is named `{}`", sync.name)
        };
        let mut finding = Finding::new(Code::RootNames, severity, scope, &file, line)
            .what(format!(
                "{named}, but {} in {} {} the {kind} `{name}`",
                plural(using.len(), "reference", "references"),
                scope.label(),
                if using.len() == 1 { "names" } else { "name" }
            ))
            .why(if definition.is_some() {
                format!(
                    "`{name}` goes when the old root is retired at cutover: every reference to it then points at \
                     nothing, and a Kustomization whose source is gone stops applying; `sync.name` cannot be \
                     changed once the FluxInstance exists"
                )
            } else {
                format!(
                    "`{name}` is retired at cutover: a Receiver naming it then reconciles nothing on a push, and \
                     an Alert naming it never fires"
                )
            })
            .fix(if definition.is_some() {
                format!(
                    "either name the sync `{name}` (`instance.sync.name` in fluxgen.yaml, only before the \
                     FluxInstance is first created) so nothing else changes, or change every reference listed to \
                     `{}`",
                    sync.name
                )
            } else {
                format!(
                    "name the sync Kustomization `{}` in these Receivers and Alerts instead",
                    sync.name
                )
            });
        if let Some(definition) = definition {
            finding = finding.see(
                &definition.at.file,
                Some(definition.at.line),
                format!("defines GitRepository `{name}`"),
            );
        }
        for (_, file, line, what) in using {
            finding = finding.see(file, Some(*line), what.clone());
        }
        findings.push(finding);
    }
    // References to a GitRepository nothing defines.
    if !sync.planned {
        // Only this cluster's sources satisfy its references: a GitRepository left in another
        // cluster's directories is not on this cluster.
        let defined: BTreeSet<&str> = repository
            .git_repositories
            .iter()
            .filter(|g| scope.contains(&g.at.file))
            .map(|g| g.name.as_str())
            .collect();
        let mut dangling: Vec<&(String, String, u32, String)> = references
            .iter()
            .filter(|(name, ..)| !names.contains(name) && !defined.contains(name.as_str()))
            .collect();
        dangling.sort();
        for (name, file, line, what) in dangling {
            findings.push(
                Finding::new(Code::RootNames, Severity::Error, scope, file, Some(*line))
                    .what(format!(
                        "{what} names the GitRepository `{name}`, which nothing in the repository defines; the \
                         FluxInstance's sync is `{}`",
                        sync.name
                    ))
                    .why("a reference to a source that does not exist never becomes ready: nothing it applies is updated")
                    .fix(format!("reference `{}`, the GitRepository the FluxInstance creates", sync.name))
                    .see(&sync.file, sync.line, "the FluxInstance"),
            );
        }
    }
    // fluxgen.yaml would rename an existing sync.
    if !sync.planned
        && let Some(cluster) = scope.cluster
        && cluster.settings.instance.sync.name != sync.name
    {
        findings.push(
            Finding::new(Code::RootNames, Severity::Error, scope, &context.config_name(), None)
                .what(format!(
                    "fluxgen.yaml names the sync `{}`, but the FluxInstance in the repository syncs as `{}`",
                    cluster.settings.instance.sync.name, sync.name
                ))
                .why(
                    "`sync.name` is immutable: the operator rejects the change, and the FluxInstance stops reconciling",
                )
                .fix(format!("set `instance.sync.name: {}` in fluxgen.yaml", sync.name))
                .see(&sync.file, sync.line, "the FluxInstance"),
        );
    }
    findings
}

/// The sync name a new FluxInstance would most likely get: the one the repository's other
/// FluxInstances use (the first of the most used), else the default `flux-system`.
fn usual_sync_name(context: &Context) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for instance in &context.repository.flux_instances {
        if let Some(name) = instance.sync.as_ref().and_then(|s| s.name.as_deref()) {
            *counts.entry(name).or_default() += 1;
        }
    }
    let best = counts.values().copied().max().unwrap_or(0);
    counts
        .into_iter()
        .find(|(_, count)| *count == best && best > 0)
        .map_or_else(
            || crate::facts::DEFAULT_NAMESPACE.to_owned(),
            |(name, _)| name.to_owned(),
        )
}
