//! Who manages the Flux controllers and CRDs, and what deleting a manager deletes:
//! double-managed controllers, CRD managers, a FluxInstance a Kustomization can prune, and the
//! old root Kustomization that prunes what it applied when it is retired.

use super::risks::{Context, by_phase, phase_words};
use super::{Code, Finding, Severity};
use crate::config::Phase;
use crate::facts::PRUNE_ANNOTATION;
use crate::scan::build_graph::Origin;
use crate::scan::layout::ClusterScope;
use crate::scan::{Chart, EntryTarget, InstanceSource};

/// The phase a cluster is judged at: its phase, but at least `instance` when a FluxInstance
/// is already in the repository.
pub(super) fn judged_phase(scope: &ClusterScope) -> Option<Phase> {
    match scope.phase {
        Some(phase) if !scope.instances.is_empty() && phase < Phase::Instance => Some(Phase::Instance),
        None if !scope.instances.is_empty() => Some(Phase::Instance),
        other => other,
    }
}

/// An old manager of the controllers: what it is, its file and line.
struct Manager {
    label: String,
    file: String,
    line: Option<u32>,
    namespace: String,
    prunes: bool,
    /// What `flux bootstrap` wrote (`gotk-components.yaml`): adopted in place by the
    /// FluxInstance, judged by `bootstrap_cleanup` instead of as a second manager.
    gotk: bool,
}

fn old_managers(context: &Context, scope: &ClusterScope) -> Vec<Manager> {
    let repository = context.repository;
    let mut managers = Vec::new();
    for &index in &scope.bootstraps {
        // Shared with clusters still on it: theirs until their cutover.
        if !crate::scan::layout::install_kept_for(context.scopes, scope, index).is_empty() {
            continue;
        }
        let install = &repository.bootstrap_installs[index];
        let namespace = repository
            .kustomize_files
            .values()
            .find(|k| k.at == install.at)
            .and_then(|k| k.namespace.clone())
            .unwrap_or_else(|| crate::facts::DEFAULT_NAMESPACE.to_owned());
        managers.push(Manager {
            label: format!("the bootstrap install (`{}`)", install.url),
            file: install.at.file.clone(),
            line: None,
            namespace,
            prunes: false,
            gotk: false,
        });
    }
    for &index in &scope.flux_manifests {
        let kustomization = &repository.kustomizations[index];
        managers.push(Manager {
            label: format!("the Kustomization `{}` applying `flux-manifests`", kustomization.name),
            file: kustomization.at.file.clone(),
            line: Some(kustomization.at.line),
            namespace: kustomization
                .target_namespace
                .clone()
                .unwrap_or_else(|| crate::facts::DEFAULT_NAMESPACE.to_owned()),
            prunes: kustomization.prune == Some(true),
            gotk: false,
        });
    }
    let gotk = scope.gotk_files(repository);
    for file in &scope.committed_installs {
        let bootstrap = scope
            .flux_bootstraps
            .iter()
            .map(|&i| &repository.flux_bootstraps[i])
            .find(|b| b.gotk_files().contains(&file.as_str()));
        managers.push(Manager {
            label: format!("the Flux install committed in `{file}`"),
            file: file.clone(),
            line: None,
            namespace: bootstrap.map_or_else(|| crate::facts::DEFAULT_NAMESPACE.to_owned(), |b| b.namespace.clone()),
            prunes: false,
            gotk: gotk.contains(&file.as_str()),
        });
    }
    managers
}

/// The namespace a FluxInstance lands in: its own, the `targetNamespace` of the Kustomization
/// applying it, or the `namespace` of the kustomization listing it.
pub(super) fn instance_namespace(context: &Context, scope: &ClusterScope, instance: usize) -> Option<String> {
    let repository = context.repository;
    let instance = &repository.flux_instances[instance];
    if let Some(namespace) = &instance.namespace {
        return Some(namespace.clone());
    }
    let file = &instance.at.file;
    let kustomize = repository
        .kustomize_files
        .values()
        .find(|k| k.namespace.is_some() && k.resources.iter().any(|r| r.target == EntryTarget::File(file.clone())));
    if let Some(namespace) = kustomize.and_then(|k| k.namespace.clone()) {
        return Some(namespace);
    }
    context
        .graph
        .owners_of(file)
        .into_iter()
        .filter(|&n| scope.has_node(n))
        .find_map(|n| match context.graph.nodes[n].origin {
            Origin::Kustomization(k) => repository.kustomizations[k].target_namespace.clone(),
            Origin::Sync(_) => None,
        })
}

/// The FluxInstance's namespace, `flux-system` when nothing sets it (the default sync name).
pub(super) fn instance_namespace_or_default(context: &Context, scope: &ClusterScope, instance: usize) -> String {
    instance_namespace(context, scope, instance).unwrap_or_else(|| crate::facts::DEFAULT_NAMESPACE.to_owned())
}

/// Double-managed controllers: an old install still present from `cutover` on (or next to a
/// FluxInstance at `instance`), or a FluxInstance in another namespace than the controllers.
pub(super) fn double_managed_controllers(context: &Context, scope: &ClusterScope) -> Vec<Finding> {
    let repository = context.repository;
    let managers = old_managers(context, scope);
    let phase = judged_phase(scope);
    let instance = scope.instances.first().map(|&i| &repository.flux_instances[i]);
    let mut findings = Vec::new();
    if managers.is_empty() {
        return findings;
    }
    if phase >= Some(Phase::Instance) {
        let severity = by_phase(phase, Severity::Info, Severity::Warning, Severity::Error);
        // The gotk files the FluxInstance adopted in place are `bootstrap-cleanup`'s.
        for manager in managers.iter().filter(|m| !m.gotk) {
            let what = if phase >= Some(Phase::Cutover) {
                format!(
                    "{} is still present at {}: the controllers have two managers",
                    capitalized(&manager.label),
                    phase_words(scope)
                )
            } else {
                format!(
                    "{} and the FluxInstance both manage the controllers ({})",
                    capitalized(&manager.label),
                    phase_words(scope)
                )
            };
            let mut finding = Finding::new(
                Code::DoubleManagedControllers,
                severity,
                scope,
                &manager.file,
                manager.line,
            )
            .what(what)
            .why(
                "two managers apply different settings to the same Deployments, and whichever runs last \
                 wins; re-applying the old install, or deleting it with prune, overwrites or removes what \
                 the FluxInstance runs",
            )
            .fix(if phase >= Some(Phase::Cutover) {
                format!(
                    "delete `{}` in the cutover commit, after setting `prune: false` on any Kustomization \
                     that applied the controllers (`fluxgen plan` lists the steps)",
                    manager.file
                )
            } else {
                "keep it only until cutover: the FluxInstance has adopted the controllers; at `cutover`, \
                 remove it (after `prune: false`), never re-apply it"
                    .to_owned()
            });
            if let Some(instance) = instance {
                finding = finding.see(
                    &instance.at.file,
                    Some(instance.at.line),
                    "the FluxInstance that manages the controllers",
                );
            }
            if scope.cluster.is_some() {
                finding = finding.see(
                    &context.config_name(),
                    None,
                    format!("sets phase `{}`", scope.phase.map_or("?", Phase::as_str)),
                );
            }
            findings.push(finding);
        }
    }
    // The FluxInstance (or the planned one) in another namespace than the controllers.
    let (target, target_file, target_line, planned) = match scope.instances.first() {
        Some(&index) => match instance_namespace(context, scope, index) {
            Some(namespace) => (
                namespace,
                repository.flux_instances[index].at.file.clone(),
                Some(repository.flux_instances[index].at.line),
                false,
            ),
            None => return findings,
        },
        None => match scope.cluster {
            Some(cluster) => (cluster.settings.namespace.clone(), context.config_name(), None, true),
            None => return findings,
        },
    };
    for manager in managers.iter().filter(|m| m.namespace != target) {
        let severity = if planned {
            by_phase(scope.phase, Severity::Warning, Severity::Error, Severity::Error)
        } else {
            Severity::Error
        };
        findings.push(
            Finding::new(
                Code::DoubleManagedControllers,
                severity,
                scope,
                &target_file,
                target_line,
            )
            .what(format!(
                "the FluxInstance {} in namespace `{target}`, but {} runs the controllers in `{}`",
                if planned { "will be" } else { "is" },
                manager.label,
                manager.namespace
            ))
            .why(
                "the operator installs its own controllers in the FluxInstance's namespace instead of \
                     adopting the existing ones: two controller sets reconcile the same objects",
            )
            .fix(format!(
                "put the FluxInstance in `{}` (the flux-operator and flux-instance apps in the controllers' \
                     namespace)",
                manager.namespace
            ))
            .see(&manager.file, manager.line, "the existing controllers"),
        );
    }
    findings
}

/// CRD managers: the Flux CRDs installed by more than one manager.
pub(super) fn crd_managers(context: &Context, scope: &ClusterScope) -> Vec<Finding> {
    let repository = context.repository;
    let mut managers = old_managers(context, scope);
    for &index in &scope.instances {
        let instance = &repository.flux_instances[index];
        managers.push(Manager {
            label: "the FluxInstance".to_owned(),
            file: instance.at.file.clone(),
            line: Some(instance.at.line),
            namespace: String::new(),
            prunes: false,
            gotk: false,
        });
    }
    // The OCIRepositories of the flux2 chart, found once (not once per release).
    let flux2_sources: Vec<&str> = repository
        .oci_repositories
        .iter()
        .filter(|o| o.url.trim_end_matches('/').ends_with("/flux2"))
        .map(|o| o.name.as_str())
        .collect();
    for release in repository.helm_releases.iter().filter(|r| scope.contains(&r.at.file)) {
        let community = match &release.chart {
            Chart::Spec { chart, .. } => chart == "flux2",
            Chart::Ref(reference) => flux2_sources.contains(&reference.name.as_str()),
            Chart::Unknown => false,
        };
        if community {
            managers.push(Manager {
                label: format!("the HelmRelease `{}` of the flux2 chart", release.name),
                file: release.at.file.clone(),
                line: Some(release.at.line),
                namespace: String::new(),
                prunes: false,
                gotk: false,
            });
        }
    }
    // `gotk-components.yaml` beside the FluxInstance that adopted it is one manager handing
    // over to the other, not two (`bootstrap-cleanup` says when it must go).
    if !scope.instances.is_empty() {
        managers.retain(|m| !m.gotk);
    }
    if managers.len() < 2 {
        return Vec::new();
    }
    let phase = judged_phase(scope);
    let severity = by_phase(phase, Severity::Info, Severity::Warning, Severity::Error);
    let pruning: Vec<&Manager> = managers.iter().filter(|m| m.prunes).collect();
    let labels: Vec<String> = managers.iter().map(|m| m.label.clone()).collect();
    let first = managers
        .iter()
        .find(|m| m.prunes)
        .or_else(|| managers.iter().find(|m| m.line.is_some()))
        .unwrap_or(&managers[0]);
    let mut what = format!(
        "the Flux CRDs have {} managers in {} ({}): {}",
        managers.len(),
        scope.label(),
        phase_words(scope),
        labels.join(", ")
    );
    for manager in &pruning {
        what.push_str(&format!("; {} prunes", manager.label));
    }
    let fix = if phase >= Some(Phase::Instance) {
        "keep the FluxInstance as the only manager: set `prune: false` on the Kustomization that applies \
         `flux-manifests`, reconcile, then delete it and the bootstrap install (`fluxgen plan`, cutover)"
    } else {
        "nothing to change yet; plan the end state: at cutover only the FluxInstance may install the CRDs, and a \
         Kustomization that applied them must get `prune: false` before it is deleted"
    };
    let mut finding = Finding::new(Code::CrdManagers, severity, scope, &first.file, first.line)
        .what(what)
        .why(
            "each manager applies its own copy of the CRDs; a Kustomization that applied them deletes them when it \
             is removed with prune, and deleting a CRD deletes every object of that kind: every Kustomization, \
             HelmRelease and source in the cluster",
        )
        .fix(fix);
    for manager in managers
        .iter()
        .filter(|m| (&m.file, m.line) != (&first.file, first.line))
    {
        finding = finding.see(&manager.file, manager.line, manager.label.clone());
    }
    vec![finding]
}

/// Prune and deletion: a pruning Kustomization applies the FluxInstance (or its HelmRelease)
/// without `kustomize.toolkit.fluxcd.io/prune: disabled`.
pub(super) fn instance_prune(context: &Context, scope: &ClusterScope) -> Vec<Finding> {
    let repository = context.repository;
    let mut findings = Vec::new();
    for &index in &scope.instances {
        let instance = &repository.flux_instances[index];
        let (object, file, line) = match &instance.source {
            InstanceSource::Manifest => ("the FluxInstance".to_owned(), &instance.at.file, instance.at.line),
            InstanceSource::HelmRelease { release, .. } => (
                format!("the HelmRelease `{release}` that defines the FluxInstance"),
                &instance.at.file,
                instance.at.line,
            ),
        };
        let annotations = repository.object(&instance.at).map(|o| &o.annotations);
        if is_disabled(annotations.and_then(|a| a.get(PRUNE_ANNOTATION))) {
            continue;
        }
        let listed_with_annotation = repository.kustomize_files.values().any(|k| {
            k.resources.iter().any(|r| r.target == EntryTarget::File(file.clone()))
                && is_disabled(k.common_annotations.get(PRUNE_ANNOTATION))
        });
        if listed_with_annotation {
            continue;
        }
        let mut pruning = Vec::new();
        for owner in context.graph.owners_of(file) {
            if !scope.has_node(owner) {
                continue;
            }
            let node = &context.graph.nodes[owner];
            let (prunes, protected) = match node.origin {
                Origin::Kustomization(k) => {
                    let kustomization = &repository.kustomizations[k];
                    (
                        kustomization.prune == Some(true),
                        is_disabled(
                            kustomization
                                .common_metadata
                                .as_ref()
                                .and_then(|m| m.annotations.get(PRUNE_ANNOTATION)),
                        ),
                    )
                }
                // The sync Kustomization the operator creates prunes.
                Origin::Sync(_) => (true, false),
            };
            if prunes && !protected {
                pruning.push(node);
            }
        }
        // A Kustomization the FluxInstance's sync adopts and that sync are one object.
        let mut named = std::collections::HashSet::new();
        pruning.retain(|node| named.insert(node.name.clone()));
        if pruning.is_empty() {
            continue;
        }
        // While files move (instance, cutover) a prune is likeliest; later it is a latent risk.
        let severity = match judged_phase(scope) {
            Some(Phase::Instance | Phase::Cutover) => Severity::Error,
            _ => Severity::Warning,
        };
        let names: Vec<String> = pruning.iter().map(|n| format!("`{}`", n.name)).collect();
        let mut finding = Finding::new(Code::InstancePrune, severity, scope, file, Some(line))
            .what(format!(
                "{object} is applied with `prune: true` by {} {}, and has no `{PRUNE_ANNOTATION}: disabled`",
                if names.len() == 1 {
                    "the Kustomization"
                } else {
                    "the Kustomizations"
                },
                names.join(" and ")
            ))
            .why(
                "if it ever leaves a Kustomization that prunes (a moved file, a changed path, the Kustomization itself \
                 deleted), prune deletes it; deleting a FluxInstance that is not suspended makes the operator \
                 delete the Flux controllers and CRDs, and with them every Flux object in the cluster",
            )
            .fix(format!(
                "annotate it with `{PRUNE_ANNOTATION}: disabled` (fluxgen's flux-instance app does), or set \
                 `prune: false` on {}",
                names.join(" and ")
            ));
        for node in &pruning {
            let note = match node.origin {
                Origin::Sync(_) => format!("the FluxInstance's sync Kustomization `{}` prunes", node.name),
                Origin::Kustomization(_) => format!("Kustomization `{}` (prune: true)", node.name),
            };
            finding = finding.see(&node.at.file, Some(node.at.line), note);
        }
        findings.push(finding);
    }
    findings
}

fn is_disabled(value: Option<&String>) -> bool {
    value.is_some_and(|v| v.eq_ignore_ascii_case("disabled"))
}

/// Prune and deletion, for the old root: a self-managed root Kustomization (GOTK's `cluster`,
/// which applies its own definition) that prunes, once a FluxInstance takes over.
pub(super) fn root_prune(context: &Context, scope: &ClusterScope) -> Vec<Finding> {
    let phase = judged_phase(scope);
    if phase < Some(Phase::Instance) {
        return Vec::new();
    }
    let repository = context.repository;
    let gotk = scope.gotk_files(repository);
    let mut findings = Vec::new();
    for &index in &scope.nodes {
        let node = &context.graph.nodes[index];
        let Origin::Kustomization(k) = node.origin else {
            continue;
        };
        let kustomization = &repository.kustomizations[k];
        let self_managed = node.build.files.contains(&kustomization.at.file);
        // `flux bootstrap`'s `flux-system` is adopted in place by the FluxInstance: it is not
        // retired, and what it applied stays applied (the operator migration guide).
        if gotk.contains(&kustomization.at.file.as_str()) {
            continue;
        }
        if !self_managed || kustomization.prune != Some(true) {
            continue;
        }
        let severity = by_phase(phase, Severity::Info, Severity::Info, Severity::Error);
        let mut finding = Finding::new(
            Code::RootPrune,
            severity,
            scope,
            &kustomization.at.file,
            Some(kustomization.at.line),
        )
        .what(format!(
            "the old root Kustomization `{}` applies its own definition with `prune: true` ({})",
            kustomization.name,
            phase_words(scope)
        ))
        .why(
            "retiring it (deleting its directory at cutover) garbage-collects everything it applied: the \
                 root Kustomizations below it, and through their prune every app",
        )
        .fix(format!(
            "set `prune: false` on `{}` and reconcile before the commit that retires it",
            kustomization.name
        ));
        for &i in &scope.instances {
            let instance = &repository.flux_instances[i];
            finding = finding.see(
                &instance.at.file,
                Some(instance.at.line),
                "the FluxInstance that replaces it",
            );
        }
        findings.push(finding);
    }
    findings
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
