//! A cluster of the layout `flux bootstrap` writes: the FluxInstance keeps what its
//! `<path>/flux-system/` runs. The version and components come from the
//! `gotk-components.yaml` header (extras included: leaving one out would prune its CRDs and
//! every object of its kinds at cleanup), the NetworkPolicies, registry and cluster domain
//! from the install itself, the sync from `gotk-sync.yaml` (adopted in place under its own
//! name and path), and the controller patches and labels from `flux-system/kustomization.yaml`.

use super::clusters::Found;
use super::report::{EntryKind, ImportReport};
use super::settings::minor;
use super::sync::{sync_kustomization, sync_patch};
use super::tuning::translate;
use crate::config::{InstanceSettings, Settings};
use crate::scan::{FluxBootstrap, Location, Patch, ScannedRepository};
use crate::{Component, objects::DEFAULT_REGISTRY, objects::Duration};

/// The cluster domain Flux assumes unless told otherwise.
const DEFAULT_DOMAIN: &str = "cluster.local";

/// The settings of a cluster installed by `flux bootstrap`.
pub(super) fn settings(
    repository: &ScannedRepository,
    found: &Found<'_>,
    bootstrap: &FluxBootstrap,
    settings: &mut Settings,
    report: &mut ImportReport,
) {
    let cluster = Some(found.name.as_str());
    if let Some(written) = &found.mapped_from {
        report.push(
            cluster,
            EntryKind::Decision,
            format!(
                "the bootstrap path `{}` names the cluster `{written}`, which is not a DNS-1123 label: it is called \
                 `{}`, with its paths written out",
                bootstrap.path, found.name
            ),
            None,
        );
    }
    let components = components(repository, bootstrap, cluster, report);
    let instance = &mut settings.instance;
    distribution(bootstrap, cluster, instance, report);
    instance.components = Some(components.clone());
    let cluster_settings = &mut instance.cluster;
    if let Some(install) = bootstrap.components.as_ref().filter(|c| !c.placeholder) {
        let at = location(&install.file);
        cluster_settings.network_policy = Some(install.network_policies);
        report.push(
            cluster,
            EntryKind::Translated,
            if install.network_policies {
                "the install's NetworkPolicies → `instance.cluster.networkPolicy: true`".to_owned()
            } else {
                "the install has no NetworkPolicies (`flux bootstrap --network-policy=false`) → \
                 `instance.cluster.networkPolicy: false`"
                    .to_owned()
            },
            Some(&at),
        );
        if let Some(domain) = install.cluster_domain.as_deref().filter(|d| *d != DEFAULT_DOMAIN) {
            cluster_settings.domain = Some(domain.to_owned());
            report.push(
                cluster,
                EntryKind::Translated,
                format!(
                    "the cluster domain `{domain}` (source-controller's storage address) → `instance.cluster.domain`"
                ),
                Some(&at),
            );
        }
    } else {
        cluster_settings.network_policy = Some(true);
        report.push(
            cluster,
            EntryKind::Decision,
            "`instance.cluster.networkPolicy: true`, as `flux bootstrap` installs by default: the placeholder \
             `gotk-components.yaml` does not show the install"
                .to_owned(),
            None,
        );
    }
    if let Some(source) = found.source {
        settings.apps.source_name = Some(source.name.clone());
    }
    if bootstrap.namespace != crate::facts::DEFAULT_NAMESPACE {
        settings.namespace = bootstrap.namespace.clone();
    }
    let kustomization = bootstrap
        .kustomization
        .as_deref()
        .and_then(|dir| repository.kustomize_file(dir));
    let patches: Vec<&Patch> = kustomization.iter().flat_map(|k| &k.patches).collect();
    let mut translation = translate(&patches, &components, &found.name, report);
    let instance = &mut settings.instance;
    let cluster_settings = &mut instance.cluster;
    if let Some(tenant) = translation.multitenant.take() {
        cluster_settings.multitenant = Some(true);
        cluster_settings.tenant_default_service_account = Some(tenant);
    }
    cluster_settings.object_level_workload_identity = translation.object_level_workload_identity;
    if translation.network_policy == Some(false) {
        cluster_settings.network_policy = Some(false);
    }
    if let Some(kustomization) = kustomization.filter(|k| !k.labels.is_empty() || !k.common_labels.is_empty()) {
        let labels: std::collections::BTreeMap<String, String> = kustomization
            .common_labels
            .iter()
            .chain(&kustomization.labels)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        report.push(
            cluster,
            EntryKind::Translated,
            format!(
                "the labels `{}` of `{}` → `instance.commonMetadata.labels` (the operator sets them on every object it \
                 creates)",
                labels
                    .iter()
                    .map(|(k, v)| format!("{k}: {v}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                kustomization.at.file
            ),
            Some(&kustomization.at),
        );
        instance.common_metadata.labels = labels;
    }
    sync(found, bootstrap, cluster, instance, report);
    if let Some(root) = found.root {
        sync_kustomization(root, found, &mut translation.tuning, report);
        let source_interval = found.source.and_then(|s| s.interval.as_deref());
        if let Some(interval) = root.interval.as_deref().filter(|i| Some(*i) != source_interval) {
            let ops = serde_json::json!([{"op": "add", "path": "/spec/interval", "value": interval}]);
            translation.tuning.patches.push(sync_patch(&ops, found));
            report.push(
                cluster,
                EntryKind::Translated,
                format!(
                    "the Kustomization `{}` reconciles every {interval}, its GitRepository every {}: the FluxInstance \
                     has one `sync.interval` for both, so the Kustomization's is kept by a raw patch of it",
                    root.name,
                    source_interval.unwrap_or("(unset)")
                ),
                Some(&root.at),
            );
        }
    }
    left_in_place(bootstrap, kustomization, cluster, report);
    settings.tuning = translation.tuning;
}

fn location(file: &str) -> Location {
    Location {
        file: file.to_owned(),
        line: 1,
    }
}

/// The version: the header's minor, else the newest minor fluxgen knows for a placeholder.
fn distribution(
    bootstrap: &FluxBootstrap,
    cluster: Option<&str>,
    instance: &mut InstanceSettings,
    report: &mut ImportReport,
) {
    let install = bootstrap.components.as_ref();
    let at = install.map(|c| location(&c.file));
    let version = match bootstrap.version().and_then(|v| minor(v).map(|m| (v, m))) {
        Some((version, minor)) => {
            report.push(
                cluster,
                EntryKind::Translated,
                format!(
                    "Flux {version} (the `gotk-components.yaml` header) → `instance.distribution.version: {minor}`"
                ),
                at.as_ref(),
            );
            minor
        }
        None => {
            let newest = minor(crate::facts::FLUX_VERSION).unwrap_or_else(|| "2.x".to_owned());
            report.push(
                cluster,
                EntryKind::Warning,
                format!(
                    "`gotk-components.yaml` does not say which Flux it installs (a placeholder, or no `# Flux Version:` \
                     header): `instance.distribution.version` is set to {newest}; set the minor the cluster runs \
                     (`flux version`), as the operator refuses downgrades"
                ),
                at.as_ref(),
            );
            newest
        }
    };
    let registry = install
        .and_then(|c| c.registry.clone())
        .filter(|r| r != DEFAULT_REGISTRY);
    if let Some(registry) = &registry {
        report.push(
            cluster,
            EntryKind::Translated,
            format!("the controller images come from `{registry}` → `instance.distribution.registry`"),
            at.as_ref(),
        );
    }
    instance.distribution.version = version;
    if let Some(registry) = registry {
        instance.distribution.registry = registry;
    }
}

/// The components: the header's (the install's controllers), else the four defaults and the
/// controllers the repository's objects need.
fn components(
    repository: &ScannedRepository,
    bootstrap: &FluxBootstrap,
    cluster: Option<&str>,
    report: &mut ImportReport,
) -> Vec<Component> {
    if let Some(install) = bootstrap.components.as_ref().filter(|c| !c.components.is_empty()) {
        let mut known = Vec::new();
        for name in &install.components {
            match name.parse::<Component>() {
                Ok(component) if !known.contains(&component) => known.push(component),
                Ok(_) => {}
                Err(_) => report.push(
                    cluster,
                    EntryKind::Warning,
                    format!(
                        "the install lists `{name}`, which is not a Flux component the FluxInstance runs: left out"
                    ),
                    Some(&location(&install.file)),
                ),
            }
        }
        report.push(
            cluster,
            EntryKind::Translated,
            format!(
                "components: {} (the `gotk-components.yaml` header): every controller the install runs, so none of \
                 their CRDs, and no object of their kinds, is pruned at cleanup",
                known.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ")
            ),
            Some(&location(&install.file)),
        );
        return known;
    }
    let mut components = Component::DEFAULTS.to_vec();
    let needs = |group: &str| repository.objects.iter().find(|o| o.api_version.starts_with(group));
    let mut why = Vec::new();
    if let Some(object) = needs("image.toolkit.fluxcd.io/") {
        components.extend([
            Component::ImageReflectorController,
            Component::ImageAutomationController,
        ]);
        why.push(format!("image automation objects ({} {})", object.kind, object.name));
    }
    if let Some(object) = needs("source.extensions.fluxcd.io/") {
        components.push(Component::SourceWatcher);
        why.push(format!("source-watcher objects ({} {})", object.kind, object.name));
    }
    report.push(
        cluster,
        EntryKind::Decision,
        format!(
            "components: {}: the placeholder `gotk-components.yaml` does not list them, so the four defaults{}; add \
             the extras `flux bootstrap --components-extra` installed",
            components.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", "),
            if why.is_empty() {
                String::new()
            } else {
                format!(" and what the repository's objects need: {}", why.join(", "))
            }
        ),
        None,
    );
    components
}

/// The sync: the bootstrap's own name and path, adopted in place.
fn sync(
    found: &Found<'_>,
    bootstrap: &FluxBootstrap,
    cluster: Option<&str>,
    instance: &mut InstanceSettings,
    report: &mut ImportReport,
) {
    let name = found
        .root
        .map_or_else(|| bootstrap.namespace.clone(), |r| r.name.clone());
    report.push(
        cluster,
        EntryKind::Decision,
        format!(
            "sync `{name}` at `{}`: the FluxInstance adopts the GitRepository and Kustomization `{name}` that `flux \
             bootstrap` created, where they are (the operator's migration guide): nothing moves, no `sourceRef` \
             changes, and no dedicated sync directory (a second root here would apply the cluster twice)",
            bootstrap.path
        ),
        found.root.map(|r| &r.at),
    );
    // `flux bootstrap --path=.` applies the whole repository: `./`, as the Kustomization says.
    let path = if bootstrap.path.is_empty() {
        "./".to_owned()
    } else {
        bootstrap.path.clone()
    };
    instance.sync.name = name;
    instance.sync.path = path;
    if let Some(interval) = found.source.and_then(|s| s.interval.clone()) {
        instance.sync.interval = Duration::from(interval);
    }
    instance.sync.provider = super::git_source::source_sync_provider(found.source, cluster, report);
}

/// What else the `flux-system` directory holds stays where it is: reported.
fn left_in_place(
    bootstrap: &FluxBootstrap,
    kustomization: Option<&crate::scan::KustomizeFile>,
    cluster: Option<&str>,
    report: &mut ImportReport,
) {
    let gotk = bootstrap.gotk_files();
    let mut others: Vec<String> = bootstrap.other_files.clone();
    if let Some(kustomization) = kustomization {
        for entry in &kustomization.resources {
            let listed = match &entry.target {
                crate::scan::EntryTarget::File(file) | crate::scan::EntryTarget::Directory(file) => file.clone(),
                _ => entry.written.clone(),
            };
            if !gotk.contains(&listed.as_str()) && !others.contains(&listed) {
                others.push(listed);
            }
        }
    }
    if !others.is_empty() {
        report.push(
            cluster,
            EntryKind::NotTranslated,
            format!(
                "`{}` also holds {}: they stay where they are, applied as before (only the gotk files go at cutover)",
                bootstrap.dir,
                others.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", ")
            ),
            kustomization.map(|k| &k.at),
        );
    }
}
