//! `repository` (the Git source every cluster's FluxInstance syncs) and the decisions that
//! concern the whole repository.

use std::collections::BTreeMap;

use super::clusters::Found;
use super::report::{EntryKind, ImportReport};
use super::settings::OPERATOR_VERSION;
use super::written::ImportedRepository;

/// `repository`: from the root GitRepository of the first cluster in rollout order that has
/// one, else from a FluxInstance's sync.
pub(super) fn repository(
    found: &BTreeMap<String, Found<'_>>,
    rollout: &[String],
    report: &mut ImportReport,
) -> Option<ImportedRepository> {
    let ordered: Vec<&Found<'_>> = rollout.iter().filter_map(|n| found.get(n)).collect();
    let from_source = ordered.iter().find_map(|f| f.source.map(|s| (f, s)));
    let chosen = if let Some((cluster, source)) = from_source {
        let mut chosen = ImportedRepository {
            url: source.url.clone(),
            pull_secret: source.secret_ref.clone(),
            ..ImportedRepository::default()
        };
        let reference = &source.reference;
        if let Some(branch) = &reference.branch {
            chosen.branch = Some(branch.clone());
        } else if let Some(tag) = &reference.tag {
            chosen.reference = Some(format!("refs/tags/{tag}"));
        } else if let Some(name) = &reference.name {
            chosen.reference = Some(name.clone());
        } else {
            chosen.branch = Some("main".to_owned());
            report.push(
                None,
                EntryKind::Warning,
                format!(
                    "GitRepository `{}` follows a semver range or a commit, which a FluxInstance sync cannot (it needs \
                     a ref such as refs/heads/main): `repository.branch` is set to main; change it",
                    source.name
                ),
                Some(&source.at),
            );
        }
        report.push(
            None,
            EntryKind::Translated,
            format!(
                "repository: {} ({}){} from GitRepository `{}` of cluster {}",
                chosen.url,
                chosen.branch.as_ref().map_or_else(
                    || chosen.reference.clone().unwrap_or_default(),
                    |b| format!("branch {b}")
                ),
                chosen
                    .pull_secret
                    .as_ref()
                    .map_or_else(String::new, |s| format!(", pull secret `{s}`")),
                source.name,
                cluster.name
            ),
            Some(&source.at),
        );
        chosen
    } else {
        let (cluster, instance) = ordered.iter().find_map(|f| f.instance.map(|i| (f, i)))?;
        let sync = instance.sync.as_ref()?;
        let url = sync.url.clone()?;
        let reference = sync.reference.clone().unwrap_or_else(|| "refs/heads/main".to_owned());
        let chosen = ImportedRepository {
            url,
            branch: reference.strip_prefix("refs/heads/").map(str::to_owned),
            reference: (!reference.starts_with("refs/heads/")).then_some(reference.clone()),
            pull_secret: sync.pull_secret.clone(),
        };
        report.push(
            None,
            EntryKind::Translated,
            format!(
                "repository: {} ({reference}) from the FluxInstance of cluster {}",
                chosen.url, cluster.name
            ),
            Some(&instance.at),
        );
        chosen
    };
    // Every other cluster's source should be the same repository.
    for cluster in ordered {
        let (url, at) = match (cluster.source, cluster.instance) {
            (Some(source), _) => (source.url.as_str(), &source.at),
            (None, Some(instance)) => match instance.sync.as_ref().and_then(|s| s.url.as_deref()) {
                Some(url) => (url, &instance.at),
                None => continue,
            },
            _ => continue,
        };
        if url != chosen.url {
            let same = url.trim_end_matches(".git").trim_end_matches('/')
                == chosen.url.trim_end_matches(".git").trim_end_matches('/');
            let message = if same {
                format!(
                    "cluster {} syncs {url}, the same repository spelled differently: its FluxInstance will use {}",
                    cluster.name, chosen.url
                )
            } else {
                format!(
                    "cluster {} syncs another repository, {url}: `repository` is shared by every cluster, so a \
                     per-cluster repository needs a config of its own",
                    cluster.name
                )
            };
            report.push(None, EntryKind::Warning, message, Some(at));
        }
    }
    Some(chosen)
}

/// Decisions about the whole repository: the Flux upgrade path and the operator version.
pub(super) fn shared_decisions(found: &BTreeMap<String, Found<'_>>, report: &mut ImportReport) {
    report.push(
        None,
        EntryKind::Decision,
        format!(
            "Flux is pinned to each cluster's installed minor: the operator refuses to downgrade a FluxInstance, and \
             Flux should be upgraded one minor at a time (2.3 → 2.4 → ... → 2.9) once the instance runs, reading each \
             release's notes (Flux 2.9 turns StrictPostBuildSubstitutions on). The operator chart is {OPERATOR_VERSION}"
        ),
        None,
    );
    for cluster in found.values().filter(|f| f.named_by_import) {
        report.push(
            None,
            EntryKind::Decision,
            format!(
                "single-cluster layout (`{}/` names no cluster): the cluster is named `{}` (`fluxgen import \
                 --cluster-name` changes it); its paths are written out",
                cluster.dir, cluster.name
            ),
            None,
        );
    }
}
