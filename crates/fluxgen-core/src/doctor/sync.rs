//! The FluxInstance's sync: what it decides about the existing root (an adopted root repointed
//! at a path that lacks what it applies), its path (two owners, a path that does not exist,
//! objects the FluxInstance creates itself), and SOPS files it would apply without decryption.
//! The sync is the FluxInstance's in the repository, or, before there is one, the one
//! `fluxgen.yaml` plans. Its name against what the cluster references is `root_names`.

use super::controllers::judged_phase;
use super::risks::{Context, by_phase, plural};
use super::{Code, Finding, Severity};
use crate::config::Phase;
use crate::scan::build_graph::{Build, Origin, Overlap, quoted};
use crate::scan::layout::ClusterScope;
use crate::scan::normalize_repo_path;
use crate::scan::sync_decision::{SyncDecision, decide, dedicated_dir, second_owners};

/// The sync a cluster has or will have.
pub(super) struct SyncTarget {
    /// The GitRepository and Kustomization name.
    pub(super) name: String,
    /// The directory it applies.
    pub(super) dir: String,
    /// The FluxInstance (or `fluxgen.yaml`) that defines it.
    pub(super) file: String,
    pub(super) line: Option<u32>,
    /// Planned by `fluxgen.yaml` (or the default), there is no FluxInstance yet.
    pub(super) planned: bool,
    /// Not even planned: the name a FluxInstance gets by default (`flux-system`).
    pub(super) default: bool,
    /// Whether the sync Kustomization decrypts SOPS.
    pub(super) decryption: bool,
    /// The repository URL it reads, when known.
    pub(super) url: Option<String>,
    /// Its ownership node (not for a planned sync).
    pub(super) node: Option<usize>,
    pub(super) build: Build,
    /// What it does to the Kustomizations the cluster has today.
    pub(super) decision: SyncDecision,
}

impl SyncTarget {
    fn describe(&self) -> String {
        if self.planned {
            format!("the sync path `{}` planned in fluxgen.yaml", self.dir)
        } else {
            format!("the FluxInstance's sync path `{}`", self.dir)
        }
    }
}

/// The cluster's sync: its FluxInstance's, else the one `fluxgen.yaml` plans.
pub(super) fn sync_target(context: &Context, scope: &ClusterScope) -> Option<SyncTarget> {
    let repository = context.repository;
    for &index in &scope.instances {
        let instance = &repository.flux_instances[index];
        let Some(sync) = &instance.sync else { continue };
        let Some(path) = &sync.path else { continue };
        if sync.kind.as_deref().is_some_and(|k| k != "GitRepository") {
            continue;
        }
        let node = context
            .graph
            .nodes
            .iter()
            .position(|n| n.origin == Origin::Sync(index))?;
        let decryption = instance.patches.iter().any(|p| {
            p.target
                .as_ref()
                .is_some_and(|t| t.kind.as_deref().is_none_or(|k| k == "Kustomization"))
                && p.patch.contains("decryption")
        });
        let name = match &sync.name {
            Some(name) => name.clone(),
            None => super::controllers::instance_namespace_or_default(context, scope, index),
        };
        let namespace = instance.namespace.as_deref().unwrap_or(crate::facts::DEFAULT_NAMESPACE);
        let decision = decide(repository, scope, &name, namespace, path);
        return Some(SyncTarget {
            decision,
            name,
            dir: normalize_repo_path(path),
            file: instance.at.file.clone(),
            line: Some(instance.at.line),
            planned: false,
            default: false,
            decryption,
            url: sync.url.clone(),
            node: Some(node),
            build: context.graph.nodes[node].build.clone(),
        });
    }
    let cluster = scope.cluster?;
    let settings = &cluster.settings;
    let dir = normalize_repo_path(&settings.instance.sync.path);
    let decryption = settings
        .tuning
        .sync_kustomization
        .as_ref()
        .is_some_and(|s| s.decryption_secret.is_some())
        || settings
            .tuning
            .patches
            .iter()
            .any(|p| p.target.kind.as_deref() == Some("Kustomization") && p.patch.contains("decryption"));
    Some(SyncTarget {
        decision: decide(
            repository,
            scope,
            &settings.instance.sync.name,
            &settings.namespace,
            &dir,
        ),
        name: settings.instance.sync.name.clone(),
        build: context.graph.build_dir(repository, &dir),
        dir,
        file: context.config_name(),
        line: None,
        planned: true,
        default: false,
        decryption,
        url: context.config.map(|c| c.repository.url.clone()),
        node: None,
    })
}

/// Sync path overlap and a sync path that does not exist.
pub(super) fn sync_path(context: &Context, scope: &ClusterScope, sync: Option<&SyncTarget>) -> Vec<Finding> {
    let Some(sync) = sync else {
        return Vec::new();
    };
    let repository = context.repository;
    let mut findings = Vec::new();
    if let SyncDecision::Repoints { node, from, lost } = &sync.decision {
        let adopted = &context.graph.nodes[*node];
        let mut finding = Finding::new(Code::SyncRepointsRoot, Severity::Error, scope, &sync.file, sync.line)
            .what(format!(
                "{} is named `{}`, so the FluxInstance adopts the existing Kustomization `{}` ({}), and repoints it from `{from}` to `{}`, which does not hold {} of what it applies today ({})",
                sync.describe(),
                sync.name,
                adopted.name,
                adopted.at.file,
                sync.dir,
                plural(lost.len(), "object", "objects"),
                quoted(lost)
            ))
            .why(format!(
                "kustomize-controller then prunes every object `{}` applied from `{from}` and no longer finds: its child Kustomizations and, through them, every application of the cluster",
                adopted.name
            ))
            .fix(adoption_fix(context, scope, sync, from))
            .see(
                &adopted.at.file,
                Some(adopted.at.line),
                format!("Kustomization `{}`, adopted by the sync", adopted.name),
            );
        if sync.planned {
            finding = finding.see(&context.config_name(), None, "plans the sync");
        }
        findings.push(finding);
    }
    let root = std::fs::canonicalize(&repository.root).unwrap_or_else(|_| repository.root.clone());
    if !root.join(&sync.dir).is_dir() {
        let severity = if sync.planned {
            by_phase(scope.phase, Severity::Info, Severity::Error, Severity::Error)
        } else {
            Severity::Error
        };
        findings.push(
            Finding::new(Code::SyncPathMissing, severity, scope, &sync.file, sync.line)
                .what(format!("{} does not exist in the repository", sync.describe()))
                .why(
                    "the sync Kustomization fails with \"kustomization path not found\": the FluxInstance is \
                     never Ready, and nothing the sync should apply is applied",
                )
                .fix(format!(
                    "create `{}/` with a kustomization.yaml (empty until cutover, then the root Kustomizations \
                     that stay), or fix the path",
                    sync.dir
                )),
        );
    }
    let severity = if sync.planned {
        by_phase(scope.phase, Severity::Warning, Severity::Error, Severity::Error)
    } else {
        Severity::Error
    };
    for (other, overlap) in second_owners(
        repository,
        scope,
        &sync.dir,
        &sync.build,
        sync.node,
        sync.decision.adopted(),
    ) {
        let node = &context.graph.nodes[other];
        findings.push(
            Finding::new(Code::SyncPathOverlap, severity, scope, &sync.file, sync.line)
                .what(format!(
                    "{} and the Kustomization `{}` ({}) apply the same objects: {}",
                    sync.describe(),
                    node.name,
                    node.at.file,
                    overlap.describe()
                ))
                .why(format!(
                    "two owners: the sync Kustomization `{}` and `{}` overwrite each other, and when `{}` is \
                     retired or stops listing them, its prune deletes objects the sync still applies",
                    sync.name, node.name, node.name
                ))
                .fix(overlap_fix(context, scope, sync, node, &overlap))
                .see(
                    &node.at.file,
                    Some(node.at.line),
                    format!("Kustomization `{}`", node.name),
                ),
        );
    }
    // Objects the FluxInstance creates itself, applied again by its sync.
    for object in repository
        .objects
        .iter()
        .filter(|o| sync.build.files.contains(&o.at.file))
    {
        // Adopting in place, the old definitions are the adopted objects themselves until
        // cutover deletes them (the operator migration guide's order).
        // `gotk-sync.yaml` left at cutover is `bootstrap-cleanup`'s (one finding, its fix).
        let in_place = matches!(sync.decision, SyncDecision::AdoptsInPlace { .. });
        let adopting = in_place
            && (judged_phase(scope) < Some(Phase::Cutover)
                || scope.gotk_files(repository).contains(&object.at.file.as_str()));
        if creates(object, &sync.name) && !adopting {
            findings.push(
                Finding::new(Code::SyncPathOverlap, severity, scope, &sync.file, sync.line)
                    .what(format!(
                        "{} applies the {} `{}`, which the FluxInstance creates itself",
                        sync.describe(),
                        object.kind,
                        object.name
                    ))
                    .why("the operator and the sync Kustomization both own it: each reconcile overwrites the other's spec")
                    .fix(format!(
                        "remove `{}` from the sync path (the FluxInstance's `sync` replaces it)",
                        object.at.file
                    ))
                    .see(&object.at.file, Some(object.at.line), format!("{} `{}`", object.kind, object.name)),
            );
        }
    }
    // From cutover on, no other Kustomization may still apply what the sync creates (until
    // then the operator adopts the old root's objects).
    if !sync.planned && judged_phase(scope) >= Some(Phase::Cutover) {
        let created = repository
            .objects
            .iter()
            .filter(|o| creates(o, &sync.name) && scope.contains(&o.at.file) && !sync.build.files.contains(&o.at.file));
        for object in created {
            for index in context.graph.owners_of(&object.at.file) {
                let node = &context.graph.nodes[index];
                if !scope.has_node(index) || !matches!(node.origin, Origin::Kustomization(_)) {
                    continue;
                }
                findings.push(
                    Finding::new(Code::SyncPathOverlap, Severity::Error, scope, &sync.file, sync.line)
                        .what(format!(
                            "the Kustomization `{}` still applies the {} `{}`, which the FluxInstance's sync creates",
                            node.name, object.kind, object.name
                        ))
                        .why("two owners of the root source or Kustomization: each reconcile overwrites the other's spec")
                        .fix(format!("retire `{}` (cutover), or remove `{}` from what it applies", node.name, object.at.file))
                        .see(&object.at.file, Some(object.at.line), format!("{} `{}`", object.kind, object.name))
                        .see(&node.at.file, Some(node.at.line), format!("Kustomization `{}`", node.name)),
                );
            }
        }
    }
    findings
}

/// How to give the objects of a sync overlap one owner.
fn overlap_fix(
    context: &Context,
    scope: &ClusterScope,
    sync: &SyncTarget,
    node: &crate::scan::build_graph::KsNode,
    overlap: &Overlap,
) -> String {
    let generated = !context.repository.kustomize_files.contains_key(&sync.dir);
    match overlap {
        Overlap::Contains(dir) if dir != &sync.dir && generated && node.dir.as_deref() == Some(dir.as_str()) => {
            format!(
                "add `{}/kustomization.yaml` listing only what the sync itself applies (the Kustomization files, such \
             as `{}`), so it no longer builds `{dir}`, which `{}` applies",
                sync.dir, node.at.file, node.name
            )
        }
        _ if node.build.files.contains(&node.at.file) => format!(
            "point the sync at a dedicated directory (e.g. `{}`) holding only the root Kustomizations that stay, and \
             move them there at cutover, when `{}` is retired",
            dedicated_dir(context.repository, scope, node.dir.as_deref().unwrap_or_default()),
            node.name
        ),
        _ => format!(
            "keep one owner: narrow the sync path `{}` or the path of `{}` so that they share nothing",
            sync.dir, node.name
        ),
    }
}

/// Whether an object is the GitRepository or Kustomization a sync named `name` creates.
fn creates(object: &crate::scan::ObjectRef, name: &str) -> bool {
    object.name == name
        && matches!(
            (object.api_version.split('/').next(), object.kind.as_str()),
            (Some("source.toolkit.fluxcd.io"), "GitRepository")
                | (Some("kustomize.toolkit.fluxcd.io"), "Kustomization")
        )
}

/// How to keep what an adopted root applies: its own path, a new name, or the move first.
fn adoption_fix(context: &Context, scope: &ClusterScope, sync: &SyncTarget, from: &str) -> String {
    let dedicated = dedicated_dir(context.repository, scope, from);
    let key = if sync.planned {
        "`instance.sync.path` in fluxgen.yaml"
    } else {
        "the FluxInstance's `sync.path`"
    };
    format!(
        "keep the path: set {key} to `{from}` (the FluxInstance then adopts `{}` where it is; nothing is pruned); or \
         give the sync a new name with a dedicated directory such as `{dedicated}` (a second root, before the \
         FluxInstance is first created); or move everything `{from}` applies into `{}` first, in one commit, and \
         point the sync there only then",
        sync.name, sync.dir
    )
}

/// SOPS on the sync path: encrypted files the sync Kustomization applies, with no decryption.
pub(super) fn sops_on_sync_path(context: &Context, scope: &ClusterScope, sync: Option<&SyncTarget>) -> Vec<Finding> {
    let Some(sync) = sync else {
        return Vec::new();
    };
    if sync.decryption {
        return Vec::new();
    }
    let repository = context.repository;
    let encrypted: Vec<&String> = sync.build.files.iter().filter(|f| repository.is_sops(f)).collect();
    let Some(first) = encrypted.first() else {
        return Vec::new();
    };
    let severity = if sync.planned {
        by_phase(scope.phase, Severity::Warning, Severity::Error, Severity::Error)
    } else {
        Severity::Error
    };
    let fix = if sync.planned {
        "set `tuning.syncKustomization.decryptionSecret` (e.g. `sops-age`) in fluxgen.yaml: fluxgen adds the \
         decryption patch to the FluxInstance"
            .to_owned()
    } else {
        "add a FluxInstance `kustomize.patches` entry targeting `kind: Kustomization` that sets \
         `spec.decryption: {provider: sops, secretRef: {name: sops-age}}`"
            .to_owned()
    };
    let mut finding = Finding::new(Code::SopsOnSyncPath, severity, scope, first, None)
        .what(format!(
            "{} applied by {}, and the sync Kustomization `{}` has no decryption",
            plural(encrypted.len(), "SOPS-encrypted file is", "SOPS-encrypted files are"),
            sync.describe(),
            sync.name
        ))
        .why(
            "without decryption kustomize-controller applies the encrypted document as it is: the apply fails and \
             the whole sync stops, or a Secret holds ciphertext",
        )
        .fix(fix)
        .see(
            &sync.file,
            sync.line,
            if sync.planned {
                "plans the sync"
            } else {
                "the FluxInstance"
            },
        );
    for file in encrypted.iter().skip(1) {
        finding = finding.see(file, None, "SOPS-encrypted");
    }
    vec![finding]
}
