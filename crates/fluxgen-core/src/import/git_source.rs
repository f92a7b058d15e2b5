//! `repository` (the Git source every cluster's FluxInstance syncs) and the decisions that
//! concern the whole repository.

use std::collections::BTreeMap;

use super::clusters::Found;
use super::report::{EntryKind, ImportReport};
use super::settings::OPERATOR_VERSION;
use crate::config::RepositorySettings;
use crate::config::{STAND_IN_URL, SyncProvider};
use crate::scan::{Location, ScannedGitRepository};

/// `repository`: from the root GitRepository of the first cluster in rollout order that has
/// one, else from a FluxInstance's sync.
pub(super) fn repository(
    found: &BTreeMap<String, Found<'_>>,
    rollout: &[String],
    report: &mut ImportReport,
) -> Option<RepositorySettings> {
    let ordered: Vec<&Found<'_>> = rollout.iter().filter_map(|n| found.get(n)).collect();
    // A placeholder `gotk-sync.yaml` stands for a GitRepository whose URL is not known yet.
    let from_source = ordered
        .iter()
        .find_map(|f| f.source.filter(|s| !s.url.is_empty()).map(|s| (f, s)));
    let chosen = if let Some((cluster, source)) = from_source {
        let mut chosen = RepositorySettings {
            url: source.url.clone(),
            pull_secret: source.secret_ref.clone(),
            ..RepositorySettings::default()
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
        let (cluster, instance) = ordered.iter().find_map(|f| {
            f.instance
                .filter(|i| i.sync.as_ref().is_some_and(|s| s.url.is_some()))
                .map(|i| (f, i))
        })?;
        let sync = instance.sync.as_ref()?;
        let url = sync.url.clone()?;
        let reference = sync.reference.clone().unwrap_or_else(|| "refs/heads/main".to_owned());
        let chosen = RepositorySettings {
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
            (Some(source), _) if source.url.is_empty() => continue,
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

/// `repository` where no GitRepository or FluxInstance states a URL (the placeholders of a
/// template repository): the given URL, else the checkout's `origin` remote, else a stand-in.
/// The branch is `main`, as `flux bootstrap` writes it by default.
pub(super) fn unstated(
    repository: &crate::scan::ScannedRepository,
    given: Option<&str>,
    found: &BTreeMap<String, Found<'_>>,
    report: &mut ImportReport,
) -> Option<RepositorySettings> {
    found
        .values()
        .find(|f| f.source.is_some() || f.flux_bootstrap.is_some())?;
    let pull_secret = found.values().find_map(|f| f.source.and_then(|s| s.secret_ref.clone()));
    let (url, message, kind) = match given.map(str::to_owned).or_else(|| origin_remote(&repository.root)) {
        Some(url) if given.is_some() => (
            url.clone(),
            format!("repository: {url} (branch main), from --url"),
            EntryKind::Translated,
        ),
        Some(url) => (
            url.clone(),
            format!(
                "repository: {url} (branch main), the checkout's `origin` remote: the gotk-sync.yaml files are \
                 placeholders that `flux bootstrap` fills in"
            ),
            EntryKind::Translated,
        ),
        None => (
            STAND_IN_URL.to_owned(),
            format!(
                "no Git URL in the repository (its gotk-sync.yaml files are placeholders that `flux bootstrap` fills \
                 in) and no `origin` remote: `repository.url` is the stand-in {STAND_IN_URL}; set the URL the \
                 clusters sync from (or import again with --url) before phase `instance`"
            ),
            EntryKind::Warning,
        ),
    };
    report.push(None, kind, message, None);
    Some(RepositorySettings {
        url,
        branch: Some("main".to_owned()),
        reference: None,
        pull_secret,
    })
}

/// The `origin` remote's URL in `<root>/.git/config`, as a URL a GitRepository takes
/// (`git@host:owner/repo` becomes `ssh://git@host/owner/repo`).
fn origin_remote(root: &std::path::Path) -> Option<String> {
    let text = crate::scan::boundary::read_text(root, ".git/config")?;
    let mut in_origin = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_origin = line == "[remote \"origin\"]";
            continue;
        }
        let Some(url) = in_origin.then(|| line.strip_prefix("url")).flatten() else {
            continue;
        };
        let url = url.trim_start().strip_prefix('=')?.trim();
        if url.contains("://") {
            return Some(crate::url::without_credentials(url).into_owned());
        }
        let (user_host, path) = url.split_once(':')?;
        return Some(format!("ssh://{user_host}/{}", path.trim_start_matches('/')));
    }
    None
}

/// [`sync_provider`] of the GitRepository a cluster's sync reads, if any.
pub(super) fn source_sync_provider(
    source: Option<&ScannedGitRepository>,
    cluster: Option<&str>,
    report: &mut ImportReport,
) -> Option<SyncProvider> {
    let source = source?;
    sync_provider(
        source.provider.as_deref(),
        &format!("GitRepository `{}`", source.name),
        cluster,
        Some(&source.at),
        report,
    )
}

/// `instance.sync.provider` from a sync source's `provider` (`what` names where it was read):
/// kept, so the FluxInstance's sync authenticates as the source did (a GitHub App, Azure or AWS
/// identity); `generic`, the default, is not written. A value the FluxInstance cannot take for
/// its GitRepository is reported and left out.
pub(super) fn sync_provider(
    provider: Option<&str>,
    what: &str,
    cluster: Option<&str>,
    at: Option<&Location>,
    report: &mut ImportReport,
) -> Option<SyncProvider> {
    let provider = provider.filter(|p| *p != "generic")?;
    match serde_json::from_value::<SyncProvider>(serde_json::Value::from(provider)) {
        Ok(SyncProvider::Gcp) | Err(_) => {
            report.push(
                cluster,
                EntryKind::Warning,
                format!(
                    "{what} authenticates with provider `{provider}`, which a FluxInstance's GitRepository sync cannot \
                     use (it takes generic, aws, azure or github): set `instance.sync.provider` yourself"
                ),
                at,
            );
            None
        }
        Ok(kept) => {
            report.push(
                cluster,
                EntryKind::Translated,
                format!("{what}'s `provider: {provider}` → `instance.sync.provider: {provider}`"),
                at,
            );
            Some(kept)
        }
    }
}
