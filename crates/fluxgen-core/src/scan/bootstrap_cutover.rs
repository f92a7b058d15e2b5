//! What the cutover does to a `flux bootstrap` directory, decided once for `plan` (which prints
//! it) and `doctor` (which checks the repository against it).
//!
//! The Flux Operator's migration guide (flux-operator `docs/guides/operator/operator-migration.md`,
//! "Cleanup the repository") finishes by deleting the `flux-system` directory from the bootstrap
//! path. fluxgen puts its `flux-operator/` and `flux-instance/` apps inside that directory, so
//! the directory usually stays and only what `flux bootstrap` wrote goes: `gotk-components.yaml`,
//! `gotk-sync.yaml` and their entries in `flux-system/kustomization.yaml`. When nothing else is
//! left in it, the whole directory goes, and a `<path>/kustomization.yaml` listing it must stop
//! listing it (kustomize fails on a resource that does not exist).
//!
//! Deleting the files is safe only once the FluxInstance has taken over: the operator applies
//! every object it manages with `kustomize.toolkit.fluxcd.io/ssa: Ignore` and
//! `kustomize.toolkit.fluxcd.io/prune: Disabled` (flux-operator `internal/builder/templates.go`,
//! `annotationsTmpl`, applied to the components and to `sync.yaml` alike), so the bootstrap
//! Kustomization `flux-system` neither overwrites nor prunes them when the gotk files leave it.
//! The path of `flux-system` never changes: it is adopted in place, so nothing else it applies
//! is pruned. Never create `<path>/kustomization.yaml` or a dedicated sync directory here: a
//! `<path>/kustomization.yaml` listing less than the directory holds prunes the cluster.

use serde::Serialize;

use super::ScannedRepository;
use super::flux_bootstrap::FluxBootstrap;
use super::kustomize_graph::EntryTarget;
use super::layout::inside;

/// The cutover's file changes for one `flux bootstrap` directory, relative to the repository
/// root.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BootstrapCutover {
    /// The bootstrap directory (`clusters/staging/flux-system`).
    pub dir: String,
    /// The bootstrap path the Kustomization `flux-system` applies (`clusters/staging`).
    pub path: String,
    /// Files (or the whole directory) to delete.
    pub deletes: Vec<String>,
    /// Entries to remove from a `kustomization.yaml`'s `resources`: `(file, entry as written)`.
    pub unlists: Vec<(String, String)>,
    /// Whether the whole directory goes (nothing but what `flux bootstrap` wrote is in it).
    pub deletes_dir: bool,
    /// `<path>/kustomization.yaml`, when the bootstrap path has one.
    pub path_kustomization: Option<String>,
    /// The entry of `<path>/kustomization.yaml` that names the bootstrap directory, if any.
    pub path_lists_dir: Option<String>,
}

/// Decides the cutover of `bootstrap`. `apps_dir` is where fluxgen writes the cluster's apps
/// (`path` in fluxgen.yaml), when known: inside the bootstrap directory they keep it.
pub(crate) fn bootstrap_cutover(
    repository: &ScannedRepository,
    bootstrap: &FluxBootstrap,
    apps_dir: Option<&str>,
) -> BootstrapCutover {
    let gotk = bootstrap.gotk_files();
    let dir = bootstrap.dir.as_str();
    let kustomization_file = bootstrap
        .kustomization
        .as_ref()
        .and_then(|d| repository.kustomize_files.get(d))
        .map(|k| k.at.file.clone());
    // Anything in the directory (at any depth) that is neither a gotk file nor its
    // kustomization keeps the directory; so do fluxgen's apps when they are written there.
    let keeps = |file: &String| {
        inside(file, dir) && !gotk.contains(&file.as_str()) && Some(file) != kustomization_file.as_ref()
    };
    let stays = repository.yaml_files.iter().any(keeps)
        || !bootstrap.other_files.is_empty()
        || apps_dir.is_some_and(|apps| inside(apps.trim_end_matches('/'), dir));
    let path_file = repository.kustomize_files.get(&bootstrap.path);
    let path_lists_dir = path_file.and_then(|k| {
        k.resources
            .iter()
            .find(|r| matches!(&r.target, EntryTarget::Directory(d) if d == dir))
            .map(|r| r.written.clone())
    });
    let mut cutover = BootstrapCutover {
        dir: dir.to_owned(),
        path: bootstrap.path.clone(),
        path_kustomization: path_file.map(|k| k.at.file.clone()),
        path_lists_dir: path_lists_dir.clone(),
        deletes_dir: !stays,
        ..BootstrapCutover::default()
    };
    if stays {
        cutover.deletes = gotk.iter().map(|f| (*f).to_owned()).collect();
        if let (Some(file), Some(listing)) = (&kustomization_file, bootstrap.kustomization.as_ref()) {
            let listing = &repository.kustomize_files[listing];
            for entry in &listing.resources {
                if matches!(&entry.target, EntryTarget::File(f) if gotk.contains(&f.as_str())) {
                    cutover.unlists.push((file.clone(), entry.written.clone()));
                }
            }
        }
    } else {
        cutover.deletes.push(dir.to_owned());
        if let (Some(file), Some(entry)) = (&cutover.path_kustomization, path_lists_dir) {
            cutover.unlists.push((file.clone(), entry));
        }
    }
    cutover
}
