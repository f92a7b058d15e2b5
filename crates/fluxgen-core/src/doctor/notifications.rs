//! Receivers and Alerts that name an object the cluster no longer has: a Receiver that
//! reconciles nothing on a push, an Alert that never fires (typically the old root
//! Kustomization `cluster`, deleted at cutover).

use std::collections::BTreeSet;

use super::risks::Context;
use super::{Code, Finding, Severity};
use crate::scan::ObjectReference;
use crate::scan::build_graph::{Origin, sync_name};
use crate::scan::layout::ClusterScope;

/// Every Receiver resource and Alert event source of the cluster that names, by kind and
/// name, an object nothing in the cluster defines or creates.
pub(super) fn missing_targets(context: &Context, scope: &ClusterScope) -> Vec<Finding> {
    let repository = context.repository;
    let mut known: BTreeSet<(String, String)> = repository
        .objects
        .iter()
        .filter(|o| scope.contains(&o.at.file))
        .map(|o| (o.kind.clone(), o.name.clone()))
        .collect();
    for sops in repository.sops_files.iter().filter(|s| scope.contains(&s.file)) {
        for document in &sops.documents {
            if let (Some(kind), Some(name)) = (&document.kind, &document.name) {
                known.insert((kind.clone(), name.clone()));
            }
        }
    }
    // What each FluxInstance's sync creates.
    for &index in &scope.nodes {
        if let Origin::Sync(instance) = repository.graph.nodes[index].origin {
            let name = sync_name(&repository.flux_instances[instance]);
            known.insert(("GitRepository".to_owned(), name.clone()));
            known.insert(("Kustomization".to_owned(), name));
        }
    }
    // Names fluxgen cannot see resolved (`${VAR}` in a definition) leave a kind undecidable.
    let templated: BTreeSet<&str> = repository
        .objects
        .iter()
        .filter(|o| scope.contains(&o.at.file) && o.name.contains("${"))
        .map(|o| o.kind.as_str())
        .collect();
    // A warning in every phase: an object created outside Git (by a Helm chart, a ResourceSet)
    // is one fluxgen cannot see.
    let severity = Severity::Warning;
    let missing = |reference: &ObjectReference| {
        reference.name != "*"
            && !reference.name.is_empty()
            && !reference.name.contains("${")
            && !templated.contains(reference.kind.as_str())
            && !known.contains(&(reference.kind.clone(), reference.name.clone()))
    };
    let mut findings = Vec::new();
    for receiver in repository.receivers.iter().filter(|r| scope.contains(&r.at.file)) {
        for resource in receiver.resources.iter().filter(|r| missing(r)) {
            findings.push(
                Finding::new(Code::MissingTarget, severity, scope, &receiver.at.file, Some(receiver.at.line))
                    .what(format!(
                        "the Receiver `{}` names the {} `{}`, which nothing in {} defines or creates",
                        receiver.name,
                        resource.kind,
                        resource.name,
                        scope.label()
                    ))
                    .why("a webhook call then reconciles nothing: changes wait for the next interval, and the Receiver reports an error (unless something outside Git, such as a Helm chart, creates it)")
                    .fix(format!(
                        "name an object that exists (after the migration, the FluxInstance's sync Kustomization), or remove `{} {}` from `spec.resources`",
                        resource.kind, resource.name
                    )),
            );
        }
    }
    for alert in repository.alerts.iter().filter(|a| scope.contains(&a.at.file)) {
        for source in alert.event_sources.iter().filter(|s| missing(s)) {
            findings.push(
                Finding::new(Code::MissingTarget, severity, scope, &alert.at.file, Some(alert.at.line))
                    .what(format!(
                        "the Alert `{}` watches the {} `{}`, which nothing in {} defines or creates",
                        alert.name,
                        source.kind,
                        source.name,
                        scope.label()
                    ))
                    .why("the Alert never fires for it: a failing reconcile goes unnoticed")
                    .fix(format!(
                        "watch an object that exists (after the migration, the FluxInstance's sync Kustomization), or remove `{} {}` from `spec.eventSources`",
                        source.kind, source.name
                    )),
            );
        }
    }
    findings
}
