//! One cluster's settings: from its GOTK pieces (root GitRepository and Kustomization,
//! bootstrap install, `flux` Kustomization), or from the FluxInstance of a migrated cluster.

use super::clusters::Found;
use super::left_behind::left_behind;
use super::report::{EntryKind, ImportReport};
use super::sync::sync_kustomization;
use super::tuning::translate;
use crate::config::Settings;
use crate::facts::DEFAULT_NAMESPACE as FLUX_NAMESPACE;
use crate::scan::{Patch, ScannedFluxInstance, ScannedRepository, normalize_repo_path};
use crate::{Component, Phase, objects::Duration};

/// The operator chart version import writes: the newest fluxgen knows.
pub(super) const OPERATOR_VERSION: &str = crate::facts::NEWEST_OPERATOR;

/// A cluster's phase and settings.
pub(super) fn cluster(
    repository: &ScannedRepository,
    found: &Found<'_>,
    components: &[Component],
    report: &mut ImportReport,
) -> (Phase, Settings) {
    let gotk = found.bootstrap.is_some() || found.flux.is_some() || found.flux_bootstrap.is_some();
    let phase = match (found.instance, gotk) {
        (Some(_), false) => Phase::Complete,
        (Some(_), true) => Phase::Instance,
        (None, _) => Phase::Prepare,
    };
    let mut settings = Settings::default();
    settings.operator.version = OPERATOR_VERSION.to_owned();
    settings.path = apps_path(found);
    if let Some(instance) = found.instance {
        migrated(found, instance, phase, &mut settings, report);
    } else if let Some(bootstrap) = found.flux_bootstrap {
        super::flux_bootstrap::settings(repository, found, bootstrap, &mut settings, report);
    } else {
        gotk_settings(found, components, &mut settings, report);
    }
    left_behind(repository, found, &settings, report);
    (phase, settings)
}

/// Where the two app directories go: `flux-system` below the directory `cluster-apps` applies.
fn apps_path(found: &Found<'_>) -> String {
    // The `flux bootstrap` layout: inside the directory the sync applies, beside the gotk files.
    if let Some(dir) = &found.flux_system_dir {
        return dir.clone();
    }
    match &found.apps_path {
        Some(apps) => format!("{apps}/flux-system"),
        None => format!("{}/apps/flux-system", found.dir),
    }
}

/// The minor of a Flux version: `v2.3.0` → `2.3.x`.
pub(super) fn minor(version: &str) -> Option<String> {
    let version = version.trim_start_matches('v');
    let mut parts = version.split('.');
    let major = parts.next()?.parse::<u32>().ok()?;
    let minor = parts.next()?.parse::<u32>().ok()?;
    Some(format!("{major}.{minor}.x"))
}

fn gotk_settings(found: &Found<'_>, components: &[Component], settings: &mut Settings, report: &mut ImportReport) {
    let cluster = Some(found.name.as_str());
    // The Flux version: what the `flux` Kustomization keeps applying, else the bootstrap ref.
    let installed = found
        .flux
        .and_then(|(_, oci)| oci.tag.clone().map(|tag| (tag, oci.at.clone())))
        .or_else(|| {
            found
                .bootstrap
                .and_then(|b| b.version.clone().map(|v| (v, b.at.clone())))
        });
    if let (Some((flux_tag, _)), Some(bootstrap)) = (&installed, found.bootstrap)
        && let Some(bootstrap_version) = &bootstrap.version
        && bootstrap_version != flux_tag
    {
        report.push(
            cluster,
            EntryKind::Warning,
            format!(
                "the bootstrap install pins {bootstrap_version} but the `flux` Kustomization applies {flux_tag}; \
                 import uses {flux_tag}, what the cluster keeps running"
            ),
            Some(&bootstrap.at),
        );
    }
    let version = match &installed {
        Some((tag, at)) => {
            match minor(tag) {
                Some(minor) => {
                    report.push(
                        cluster,
                        EntryKind::Translated,
                        format!("Flux {tag} → `instance.distribution.version: {minor}` (that minor's latest patch)"),
                        Some(at),
                    );
                    minor
                }
                None => {
                    report.push(
                    cluster,
                    EntryKind::Warning,
                    format!("the Flux version `{tag}` is not a release version: set `instance.distribution.version` by hand"),
                    Some(at),
                );
                    "2.x".to_owned()
                }
            }
        }
        None => {
            report.push(
                cluster,
                EntryKind::Warning,
                "no Flux version found (no `?ref=` on the install URL, no flux-manifests tag): \
                 `instance.distribution.version` is set to 2.x; pin the version the cluster runs"
                    .to_owned(),
                None,
            );
            "2.x".to_owned()
        }
    };
    let instance = &mut settings.instance;
    instance.distribution.version = version;
    instance.components = Some(components.to_vec());
    let source = found.source;
    if let Some(source) = source {
        settings.apps.source_name = Some(source.name.clone());
        if let Some(namespace) = source.namespace.as_deref().filter(|n| *n != FLUX_NAMESPACE) {
            settings.namespace = namespace.to_owned();
        }
    }
    let instance = &mut settings.instance;
    if let Some(proposal) = &found.proposal {
        report.push(
            cluster,
            EntryKind::Decision,
            format!(
                "sync `{}` at `{}`: {}{}",
                proposal.name,
                proposal.path,
                proposal.why,
                if proposal.adopts_root {
                    String::new()
                } else {
                    format!(
                        "; create `{}/kustomization.yaml` before phase `instance` (`fluxgen plan` lists it)",
                        proposal.path
                    )
                }
            ),
            found.root.map(|r| &r.at),
        );
    }
    if let Some(proposal) = &found.proposal {
        instance.sync.name = proposal.name.clone();
        instance.sync.path = proposal.path.clone();
    }
    if let Some(interval) = source.and_then(|s| s.interval.clone()) {
        instance.sync.interval = Duration::from(interval);
    }
    instance.sync.provider = super::git_source::source_sync_provider(source, cluster, report);
    let patches: Vec<&Patch> = found
        .bootstrap
        .iter()
        .flat_map(|b| &b.patches)
        .chain(found.flux.iter().flat_map(|(k, _)| &k.patches))
        .collect();
    let mut translation = translate(&patches, components, &found.name, report);
    if let Some(root) = found.root {
        sync_kustomization(root, found, &mut translation.tuning, report);
    }
    let cluster_settings = &mut settings.instance.cluster;
    cluster_settings.network_policy = translation.network_policy;
    cluster_settings.multitenant = translation.multitenant.is_some().then_some(true);
    cluster_settings.tenant_default_service_account = translation.multitenant.take();
    cluster_settings.object_level_workload_identity = translation.object_level_workload_identity;
    settings.tuning = translation.tuning;
}

/// A cluster that already runs a FluxInstance: its settings come from the instance.
fn migrated(
    found: &Found<'_>,
    instance: &ScannedFluxInstance,
    phase: Phase,
    settings: &mut Settings,
    report: &mut ImportReport,
) {
    let cluster = Some(found.name.as_str());
    let state = if phase == Phase::Complete {
        "`complete`: its bootstrap install is gone"
    } else {
        "`instance`: the bootstrap install or the `flux` Kustomization is still there, so cutover is next"
    };
    report.push(
        cluster,
        EntryKind::Decision,
        format!("already migrated: a FluxInstance is defined here; phase {state}. Its settings below come from it"),
        Some(&instance.at),
    );
    let components: Vec<Component> = instance.components.iter().filter_map(|c| c.parse().ok()).collect();
    let sync = instance.sync.clone().unwrap_or_default();
    let version = instance.distribution_version.clone().unwrap_or_else(|| {
        report.push(
            cluster,
            EntryKind::Warning,
            "the FluxInstance sets no `distribution.version` (the chart's default, 2.x): import writes 2.x; pin it"
                .into(),
            Some(&instance.at),
        );
        "2.x".to_owned()
    });
    let sync_name = sync.name.clone().unwrap_or_else(|| FLUX_NAMESPACE.to_owned());
    settings.apps.source_name = Some(sync_name.clone());
    let mut translation = translate(
        &instance.patches.iter().collect::<Vec<_>>(),
        &components,
        &found.name,
        report,
    );
    let network_policy = instance.network_policy.or(translation.network_policy);
    let spec_text = |key: &str| {
        instance
            .spec
            .pointer(&format!("/cluster/{key}"))
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
    };
    let multitenant = instance
        .spec
        .pointer("/cluster/multitenant")
        .and_then(serde_json::Value::as_bool)
        .or(translation.multitenant.is_some().then_some(true));
    let wanted = &mut settings.instance;
    wanted.cluster.domain = spec_text("domain").filter(|d| d != "cluster.local");
    wanted.cluster.network_policy = network_policy;
    wanted.cluster.multitenant = multitenant;
    wanted.cluster.tenant_default_service_account =
        spec_text("tenantDefaultServiceAccount").or(translation.multitenant.take());
    wanted.cluster.object_level_workload_identity = instance
        .spec
        .pointer("/cluster/objectLevelWorkloadIdentity")
        .and_then(serde_json::Value::as_bool)
        .or(translation.object_level_workload_identity);
    wanted.distribution.version = version;
    wanted.components = (!components.is_empty()).then_some(components);
    wanted.sync.name = sync_name;
    if let Some(path) = &sync.path {
        wanted.sync.path = normalize_repo_path(path);
    }
    if let Some(interval) = &sync.interval {
        wanted.sync.interval = Duration::from(interval.clone());
    }
    wanted.sync.provider = super::git_source::sync_provider(
        instance
            .spec
            .pointer("/sync/provider")
            .and_then(serde_json::Value::as_str),
        "the FluxInstance's sync",
        cluster,
        Some(&instance.at),
        report,
    );
    if let InstanceSourceKind::Chart(release) = InstanceSourceKind::of(instance) {
        report.push(
            cluster,
            EntryKind::NotTranslated,
            format!(
                "the hand-written Flux Operator apps (HelmRelease `{release}` and the operator's) stay until you replace \
                 them with fluxgen's tree: fluxgen never overwrites a file it did not write, so remove them in the \
                 commit that adds fluxgen's files at {}",
                settings.path
            ),
            Some(&instance.at),
        );
    }
    settings.tuning = std::mem::take(&mut translation.tuning);
}

/// How a found instance is defined, for messages.
enum InstanceSourceKind {
    Manifest,
    Chart(String),
}

impl InstanceSourceKind {
    fn of(instance: &ScannedFluxInstance) -> Self {
        match &instance.source {
            crate::scan::InstanceSource::HelmRelease { release, .. } => InstanceSourceKind::Chart(release.clone()),
            crate::scan::InstanceSource::Manifest => InstanceSourceKind::Manifest,
        }
    }
}
