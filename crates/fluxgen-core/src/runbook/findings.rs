//! What the runbook needs to know about the repository, from the scanner's model: where the
//! current install and the root Kustomizations are, and whether prerequisites exist.

use serde::Serialize;

use crate::config::{Cluster, Config};
use crate::scan::bootstrap_cutover::{BootstrapCutover, bootstrap_cutover};
use crate::scan::layout::{ClusterScope, inside, scopes};
use crate::scan::sync_decision::{SyncDecision, decide, second_owners};
use crate::scan::{ScannedRepository, normalize_repo_path};

/// Paths (relative to the repository root) and names found for a cluster.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Findings {
    /// The cluster's directory, e.g. `kubernetes/edge`.
    pub cluster_root: String,
    /// Whether the scanner found any file in that directory.
    pub repo_found: bool,
    /// The kustomization that pulls `flux2/manifests/install`.
    pub bootstrap_file: Option<String>,
    /// Its directory.
    pub bootstrap_dir: Option<String>,
    /// A bootstrap install shared with other clusters that still need it (before their
    /// cutover): `(file, clusters)`. It stays until the last of them.
    pub bootstrap_kept: Option<(String, Vec<String>)>,
    /// The file of a Flux Kustomization that applies the Flux manifests (`flux`).
    pub flux_kustomization_file: Option<String>,
    /// The root Kustomization applying the cluster's Flux directory (GOTK: `cluster`).
    pub existing_root: Option<String>,
    /// Its file.
    pub existing_root_file: Option<String>,
    /// The path it applies.
    pub root_path: Option<String>,
    /// The GitRepository it reads.
    pub existing_source: Option<String>,
    /// `flux/config` (or `cluster/config`) when it exists.
    pub config_dir: Option<String>,
    /// SOPS-encrypted files under the cluster's directory.
    pub sops_files: Vec<String>,
    /// The SOPS decryption Secret of the root Kustomization.
    pub root_decryption: Option<String>,
    /// The `postBuild.substituteFrom` of the root Kustomization, as `Kind/name`.
    pub root_substitute_from: Vec<String>,
    /// What the root path holds besides `config/`: the root Kustomizations and vars that stay.
    pub root_children: Vec<String>,
    /// The root Kustomizations besides the root itself and the `flux` Kustomization, as
    /// ``` `name` (`file`) ```: each moves to the sync directory before the root retires.
    pub staying_roots: Vec<String>,
    /// Whether the sync adopts the root Kustomization where it is (same name, same path).
    pub adopts_root: bool,
    /// Whether the sync (a new root) builds what an existing Kustomization of the cluster
    /// applies: two owners.
    pub sync_overlaps: bool,
    /// The file changes of the cutover, as data: the runbook prints them, and following them
    /// leaves the repository as `doctor` expects it.
    pub cutover: CutoverSteps,
    /// The `flux bootstrap` directory of the cluster (`<path>/flux-system/`), when it was
    /// installed by `flux bootstrap`: the FluxInstance adopts it in place, and its cutover
    /// deletes what `flux bootstrap` wrote.
    pub flux_bootstrap: Option<BootstrapCutover>,
    /// What `flux bootstrap` wrote there: `gotk-components.yaml` and `gotk-sync.yaml`.
    pub gotk_files: Vec<String>,
    /// Whether those are the placeholders template repositories commit (`flux bootstrap`
    /// has not run from this repository yet).
    pub gotk_placeholders: bool,
    /// The Flux version `gotk-components.yaml` pins (`v2.7.5`).
    pub bootstrap_version: Option<String>,
    /// The components `gotk-components.yaml` installs.
    pub bootstrap_components: Vec<String>,
    /// `<dir>/kustomization.yaml` of the bootstrap directory, when it has one.
    pub bootstrap_kustomization: Option<String>,
    /// Whether that file patches the gotk objects (the FluxInstance carries the patches now).
    pub bootstrap_patches: bool,
    /// The Flux version the cluster's install runs (`v2.5.1`), when its files pin one.
    pub running_flux: Option<String>,
    /// The minor-by-minor path from there to `distribution.version`, when that is more than
    /// one minor ahead (the `upgrade-path` finding of `doctor`).
    pub upgrade_path: Vec<crate::doctor::UpgradeStep>,
}

/// The file changes of the cutover commit, relative to the repository root.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CutoverSteps {
    /// Files and directories to `git mv` into the sync directory (what the old root applies
    /// that stays: `flux/apps.yaml`, `flux/vars/`, ...).
    pub moves: Vec<String>,
    /// Root Kustomizations that stay but are defined in a file that goes: `(name, file)`, each
    /// moved into `<sync path>/<name>.yaml`.
    pub extracts: Vec<(String, String)>,
    /// Files and directories to delete (the bootstrap install, the `flux` Kustomization, the
    /// old root's directory).
    pub deletes: Vec<String>,
    /// Objects to delete from a file that otherwise stays: `(kind, name, file)` (adopting in
    /// place, the GitRepository and Kustomization the FluxInstance now creates).
    pub removes: Vec<(String, String, String)>,
    /// Receivers and Alerts naming the old root Kustomization: `(file, old, new)`, the name to
    /// change to the sync's.
    pub renames: Vec<(String, String, String)>,
    /// What `<sync path>/kustomization.yaml` lists after the cutover (relative to it).
    pub sync_resources: Vec<String>,
    /// Entries to remove from the `resources` of a `kustomization.yaml` that stays:
    /// `(file, entry as written)` (the gotk files' lines in `<path>/flux-system/kustomization.yaml`).
    pub unlists: Vec<(String, String)>,
}

/// Finds what belongs to `cluster` in the scanner's layout (the same clusters, installs,
/// roots and sync decision `doctor` reads).
pub fn find(repository: &ScannedRepository, config: &Config, cluster: &Cluster) -> Findings {
    let scopes = scopes(repository, Some(config));
    let Some(scope) = scopes.iter().find(|s| s.name.as_deref() == Some(cluster.name.as_str())) else {
        return Findings::default();
    };
    let graph = &repository.graph;
    let settings = &cluster.settings;
    let running = crate::doctor::upgrade_path::running(repository, scope);
    let target = crate::facts::resolve_version(&settings.instance.distribution.version).release;
    let mut findings = Findings {
        running_flux: running
            .as_ref()
            .map(|r| format!("v{}.{}.{}", r.number.0, r.number.1, r.number.2)),
        upgrade_path: running
            .map(|r| crate::doctor::upgrade_path::path(repository, scope, r.number, target))
            .unwrap_or_default(),
        cluster_root: scope.dir().to_owned(),
        repo_found: scope
            .roots
            .iter()
            .any(|r| repository.yaml_files.iter().any(|f| inside(f, r))),
        ..Findings::default()
    };
    if let Some(&install) = scope.bootstraps.first() {
        let kept_for = crate::scan::layout::install_kept_for(&scopes, scope, install);
        let file = &repository.bootstrap_installs[install].at.file;
        if kept_for.is_empty() {
            findings.bootstrap_file = Some(file.clone());
            findings.bootstrap_dir = file.rsplit_once('/').map(|(dir, _)| dir.to_owned());
        } else {
            findings.bootstrap_kept = Some((file.clone(), kept_for));
        }
    }
    findings.flux_kustomization_file = scope
        .flux_manifests
        .first()
        .map(|&i| repository.kustomizations[i].at.file.clone());
    if let Some(root) = scope.root_kustomization(repository) {
        findings.existing_root = Some(root.name.clone());
        findings.existing_root_file = Some(root.at.file.clone());
        findings.root_path = root.repo_path();
        findings.existing_source = root.source_ref.as_ref().map(|s| s.name.clone());
        findings.root_decryption = root.decryption.as_ref().and_then(|d| d.secret_ref.clone());
        findings.root_substitute_from = root
            .post_build
            .iter()
            .flat_map(|p| &p.substitute_from)
            .map(|s| format!("`{}/{}`", s.kind, s.name))
            .collect();
        let root_dir = root.repo_path().unwrap_or_default();
        let config_dir = root.at.file.rsplit_once('/').map_or("", |(dir, _)| dir);
        if config_dir != root_dir && inside(config_dir, &root_dir) {
            findings.config_dir = Some(config_dir.to_owned());
        }
        // What the root path holds besides the root's own directory: what stays.
        let prefix = format!("{root_dir}/");
        let mut children: Vec<String> = repository
            .yaml_files
            .iter()
            .filter_map(|f| f.strip_prefix(&prefix))
            .map(|rest| rest.split('/').next().unwrap_or(rest).to_owned())
            .map(|child| format!("{root_dir}/{child}"))
            .filter(|child| {
                Some(child.as_str()) != findings.config_dir.as_deref() && !child.ends_with("/kustomization.yaml")
            })
            .collect();
        children.sort();
        children.dedup();
        findings.root_children = children;
    }
    for node in scope.staying_roots(repository) {
        let node = &graph.nodes[node];
        findings
            .staying_roots
            .push(format!("`{}` (`{}`)", node.name, node.at.file));
        findings.root_children.retain(|child| *child != node.at.file);
    }
    let sync = &settings.instance.sync;
    let decision = decide(repository, scope, &sync.name, &settings.namespace, &sync.path);
    // The root itself adopted (where it is, or moved with everything it applies): it stays.
    findings.adopts_root = decision.adopted().is_some() && decision.adopted() == scope.root;
    if decision == SyncDecision::NewRoot {
        let dir = normalize_repo_path(&sync.path);
        let build = graph.build_dir(repository, &dir);
        findings.sync_overlaps = !second_owners(repository, scope, &dir, &build, None, None).is_empty();
    }
    if let Some(&index) = scope.flux_bootstraps.first() {
        let bootstrap = &repository.flux_bootstraps[index];
        findings.flux_bootstrap = Some(bootstrap_cutover(repository, bootstrap, Some(&settings.path)));
        findings.gotk_files = bootstrap.gotk_files().into_iter().map(str::to_owned).collect();
        findings.gotk_placeholders = bootstrap.is_placeholder();
        findings.bootstrap_version = bootstrap.version().map(str::to_owned);
        findings.bootstrap_components = bootstrap
            .components
            .as_ref()
            .map(|c| c.components.clone())
            .unwrap_or_default();
        let listing = bootstrap
            .kustomization
            .as_ref()
            .and_then(|d| repository.kustomize_files.get(d));
        findings.bootstrap_kustomization = listing.map(|k| k.at.file.clone());
        findings.bootstrap_patches = listing.is_some_and(|k| !k.patches.is_empty());
    }
    // After the cutover no gotk file is left to find the layout by: fluxgen's apps in
    // `<sync path>/flux-system` with nothing else installing Flux still say it.
    let sync_dir = normalize_repo_path(&sync.path);
    if findings.flux_bootstrap.is_none()
        && !scope.has_old_install()
        && normalize_repo_path(&settings.path) == format!("{sync_dir}/flux-system")
    {
        findings.flux_bootstrap = Some(BootstrapCutover {
            dir: normalize_repo_path(&settings.path),
            path: sync_dir,
            ..BootstrapCutover::default()
        });
    }
    findings.cutover = match &findings.flux_bootstrap {
        // The operator migration guide's cleanup: only what `flux bootstrap` wrote goes; the
        // path of `flux-system` and everything else it applies stay.
        Some(bootstrap) => CutoverSteps {
            deletes: bootstrap.deletes.clone(),
            unlists: bootstrap.unlists.clone(),
            ..CutoverSteps::default()
        },
        None => cutover_steps(
            repository,
            scope,
            &findings,
            &sync.name,
            &normalize_repo_path(&sync.path),
        ),
    };
    findings.sops_files = repository
        .sops_files
        .iter()
        .map(|s| s.file.clone())
        .filter(|f| scope.contains(f))
        .collect();
    findings
}

/// The cutover's file changes: adopting in place, delete the old install and the definitions
/// the FluxInstance now owns; with a new root, move what the old root applies into the sync
/// directory, then delete the old root's directory and the install.
fn cutover_steps(
    repository: &ScannedRepository,
    scope: &ClusterScope,
    findings: &Findings,
    sync_name: &str,
    sync_dir: &str,
) -> CutoverSteps {
    let mut steps = CutoverSteps::default();
    let delete = |path: &Option<String>, steps: &mut CutoverSteps| {
        if let Some(path) = path
            && !steps.deletes.iter().any(|d| inside(path, d))
        {
            steps.deletes.push(path.clone());
        }
    };
    if findings.adopts_root {
        delete(&findings.bootstrap_file, &mut steps);
        delete(&findings.flux_kustomization_file, &mut steps);
        for object in repository.objects.iter().filter(|o| scope.contains(&o.at.file)) {
            let created = object.name == sync_name
                && matches!(object.kind.as_str(), "GitRepository" | "Kustomization")
                && object.api_version.contains(".toolkit.fluxcd.io/");
            if created && !steps.deletes.iter().any(|d| inside(&object.at.file, d)) {
                steps
                    .removes
                    .push((object.kind.clone(), object.name.clone(), object.at.file.clone()));
            }
        }
        return steps;
    }
    // The objects the sync creates: their definitions go, wherever they are.
    let created = |object: &&crate::scan::ObjectRef| {
        object.name == sync_name
            && matches!(object.kind.as_str(), "GitRepository" | "Kustomization")
            && object.api_version.contains(".toolkit.fluxcd.io/")
    };
    let Some(root) = scope.root_kustomization(repository) else {
        delete(&findings.bootstrap_file, &mut steps);
        delete(&findings.flux_kustomization_file, &mut steps);
        return steps;
    };
    // What goes: the old root's own directory (`flux/config`), else its file.
    let retiring = findings.config_dir.clone().unwrap_or_else(|| root.at.file.clone());
    for node in scope.staying_roots(repository) {
        let node = &repository.graph.nodes[node];
        // A root Kustomization the sync adopts is the sync's now: its definition goes (below).
        if node.name == sync_name {
            continue;
        }
        if inside(&node.at.file, &retiring) || node.at.file == root.at.file {
            steps.extracts.push((node.name.clone(), node.at.file.clone()));
        } else if !steps.moves.contains(&node.at.file) {
            steps.moves.push(node.at.file.clone());
        }
    }
    for child in &findings.root_children {
        if !inside(sync_dir, child) && !steps.moves.iter().any(|m| inside(m, child) || inside(child, m)) {
            steps.moves.push(child.clone());
        }
    }
    steps.moves.sort();
    delete(&findings.bootstrap_file, &mut steps);
    delete(&findings.flux_kustomization_file, &mut steps);
    delete(&Some(retiring), &mut steps);
    for object in repository
        .objects
        .iter()
        .filter(|o| scope.contains(&o.at.file))
        .filter(created)
    {
        if steps.deletes.iter().any(|d| inside(&object.at.file, d)) {
            continue;
        }
        // Named where it is after the moves.
        let file = match steps.moves.iter().find(|m| inside(&object.at.file, m)) {
            Some(moved) => format!(
                "{sync_dir}/{}{}",
                moved.rsplit('/').next().unwrap_or(moved),
                &object.at.file[moved.len()..]
            ),
            None => object.at.file.clone(),
        };
        steps.removes.push((object.kind.clone(), object.name.clone(), file));
    }
    let base = |path: &str| path.rsplit('/').next().unwrap_or(path).to_owned();
    steps.sync_resources = steps
        .moves
        .iter()
        .map(|m| format!("./{}", base(m)))
        .chain(steps.extracts.iter().map(|(name, _)| format!("./{name}.yaml")))
        .collect();
    steps.sync_resources.sort();
    steps.sync_resources.dedup();
    for receiver in repository.receivers.iter().filter(|r| scope.contains(&r.at.file)) {
        if receiver
            .resources
            .iter()
            .any(|r| r.kind == "Kustomization" && r.name == root.name)
        {
            steps
                .renames
                .push((receiver.at.file.clone(), root.name.clone(), sync_name.to_owned()));
        }
    }
    for alert in repository.alerts.iter().filter(|a| scope.contains(&a.at.file)) {
        if alert
            .event_sources
            .iter()
            .any(|r| r.kind == "Kustomization" && r.name == root.name)
        {
            steps
                .renames
                .push((alert.at.file.clone(), root.name.clone(), sync_name.to_owned()));
        }
    }
    steps
}

/// The file defining a ClusterSecretStore of that name anywhere in the repository.
pub(crate) fn cluster_secret_store(repository: &ScannedRepository, store: &str) -> Option<String> {
    repository
        .objects
        .iter()
        .find(|o| o.kind == "ClusterSecretStore" && o.name == store)
        .map(|o| o.at.file.clone())
}
