//! The cleanup of a `flux bootstrap` directory: once the FluxInstance has adopted the bootstrap
//! install (the controllers) and the GitRepository and Kustomization `flux-system` in place,
//! `gotk-components.yaml` and `gotk-sync.yaml` are left over, to delete at cutover
//! ([`crate::scan::bootstrap_cutover`] says what goes). Until cutover they are harmless: the
//! operator applies every object it manages with `kustomize.toolkit.fluxcd.io/ssa: Ignore` and
//! `kustomize.toolkit.fluxcd.io/prune: Disabled` (flux-operator `internal/builder/templates.go`,
//! `annotationsTmpl`), so the bootstrap Kustomization no longer overwrites nor prunes them; and
//! it takes the field ownership of objects `flux` (kustomize-controller) applied before
//! (`internal/controller/fluxinstance_controller.go`, `FieldManagers: takeOwnershipFrom(...)`).
//! From cutover on they are a second copy of what the FluxInstance runs, a re-bootstrap away
//! from overwriting it.

use super::controllers::judged_phase;
use super::risks::{Context, by_phase, phase_words};
use super::{Code, Finding, Severity};
use crate::config::Phase;
use crate::scan::EntryTarget;
use crate::scan::bootstrap_cutover::bootstrap_cutover;
use crate::scan::flux_bootstrap::is_gotk_file;
use crate::scan::layout::ClusterScope;

/// The gotk files still present next to the FluxInstance (info at `instance`, an error from
/// `cutover` on), and a `<path>/kustomization.yaml` that lists a `flux-system/` the cutover
/// deletes whole.
pub(super) fn bootstrap_cleanup(context: &Context, scope: &ClusterScope) -> Vec<Finding> {
    let repository = context.repository;
    let phase = judged_phase(scope);
    let apps_dir = scope.cluster.map(|c| c.settings.path.as_str());
    let instance = scope.instances.first().map(|&i| &repository.flux_instances[i]);
    let mut findings = Vec::new();
    findings.extend(listed_after_deletion(context, scope));
    for &index in &scope.flux_bootstraps {
        let bootstrap = &repository.flux_bootstraps[index];
        let cutover = bootstrap_cutover(repository, bootstrap, apps_dir);
        let files = bootstrap.gotk_files();
        let Some(&first) = files.first() else { continue };
        if phase >= Some(Phase::Instance) {
            let after = phase >= Some(Phase::Cutover);
            let list = files.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(" and ");
            let mut finding = Finding::new(
                Code::BootstrapCleanup,
                if after { Severity::Error } else { Severity::Info },
                scope,
                first,
                None,
            )
            .what(if after {
                format!(
                    "{list} (what `flux bootstrap` wrote) {} still present at {}",
                    if files.len() == 1 { "is" } else { "are" },
                    phase_words(scope)
                )
            } else {
                format!(
                    "gotk files still present: remove at cutover ({list}; the FluxInstance adopted what they \
                     install, {})",
                    phase_words(scope)
                )
            })
            .why(if after {
                "the FluxInstance manages the controllers, the CRDs and the sync `flux-system` now; the gotk files \
                 are a second, older copy that `flux bootstrap` or `kubectl apply -k` would re-apply over it"
            } else {
                "the operator marks every object it took over `kustomize.toolkit.fluxcd.io/ssa: Ignore` and \
                 `kustomize.toolkit.fluxcd.io/prune: Disabled`, so the Kustomization `flux-system` neither \
                 overwrites nor prunes them while the files stay; they go at cutover"
            })
            .fix(cleanup_fix(&cutover));
            if let Some(instance) = instance {
                finding = finding.see(
                    &instance.at.file,
                    Some(instance.at.line),
                    "the FluxInstance that adopted the bootstrap install",
                );
            }
            for (file, entry) in &cutover.unlists {
                finding = finding.see(file, entry_line(repository, file, entry), format!("lists `{entry}`"));
            }
            findings.push(finding);
        }
        // The cutover deletes the whole directory, and `<path>/kustomization.yaml` lists it.
        if cutover.deletes_dir
            && let (Some(file), Some(entry)) = (&cutover.path_kustomization, &cutover.path_lists_dir)
        {
            let line = entry_line(repository, file, entry);
            findings.push(
                Finding::new(
                    Code::BootstrapCleanup,
                    by_phase(phase, Severity::Info, Severity::Warning, Severity::Error),
                    scope,
                    file,
                    line,
                )
                .what(format!(
                    "`{file}` lists `{entry}`, and the cutover deletes `{}/` whole (nothing else is in it)",
                    cutover.dir
                ))
                .why(
                    "kustomize fails on a resource that does not exist: the Kustomization `flux-system` stops \
                     applying anything of the cluster until the entry goes",
                )
                .fix(format!(
                    "remove `{entry}` from `{file}` in the cutover commit that deletes `{}/` (keep every other \
                     entry: what `flux-system` applies must not change)",
                    cutover.dir
                ))
                .see(first, None, "written by `flux bootstrap`"),
            );
        }
    }
    findings
}

/// A half-done cutover: a `kustomization.yaml` of the cluster still lists a gotk file that is
/// gone. kustomize fails the build of `flux-system` on it, and with it every change to the
/// cluster (an error in any phase: nothing is applied until it is fixed).
fn listed_after_deletion(context: &Context, scope: &ClusterScope) -> Vec<Finding> {
    let mut findings = Vec::new();
    for listing in context
        .repository
        .kustomize_files
        .values()
        .filter(|k| scope.contains(&k.at.file))
    {
        for entry in &listing.resources {
            let EntryTarget::Missing(path) = &entry.target else {
                continue;
            };
            if !is_gotk_file(path) {
                continue;
            }
            findings.push(
                Finding::new(Code::BootstrapCleanup, Severity::Error, scope, &listing.at.file, Some(entry.line))
                    .what(format!(
                        "`resources` still lists `{}`, which the cutover deleted",
                        entry.written
                    ))
                    .why(
                        "kustomize fails on a resource that does not exist: the Kustomization `flux-system` stops \
                         applying anything of the cluster",
                    )
                    .fix(format!(
                        "remove `{}` from the `resources` of `{}` (the cutover removes the gotk files and their lines together)",
                        entry.written, listing.at.file
                    )),
            );
        }
    }
    findings
}

/// How to finish the cleanup: the files to delete and the entries to remove.
fn cleanup_fix(cutover: &crate::scan::BootstrapCutover) -> String {
    let deletes = cutover
        .deletes
        .iter()
        .map(|d| format!("`{d}`"))
        .collect::<Vec<_>>()
        .join(" and ");
    let mut fix = format!("in the cutover commit, delete {deletes}");
    let mut files: Vec<&String> = cutover.unlists.iter().map(|(file, _)| file).collect();
    files.dedup();
    for file in files {
        let entries: Vec<String> = cutover
            .unlists
            .iter()
            .filter(|(f, _)| f == file)
            .map(|(_, entry)| format!("`{entry}`"))
            .collect();
        fix.push_str(&format!(
            ", and remove {} from the `resources` of `{file}`",
            entries.join(" and ")
        ));
    }
    fix.push_str(
        "; keep the bootstrap path as it is (never add a `kustomization.yaml` listing less, nor point the sync \
         elsewhere: `flux-system` would prune the cluster); `fluxgen plan` lists the steps",
    );
    fix
}

/// The line of a `resources` entry of a `kustomization.yaml`.
fn entry_line(repository: &crate::scan::ScannedRepository, file: &str, entry: &str) -> Option<u32> {
    repository
        .kustomize_files
        .values()
        .find(|k| k.at.file == file)
        .and_then(|k| k.resources.iter().find(|r| r.written == entry))
        .map(|r| r.line)
}
