//! FluxInstances defined as flux-instance chart values: a HelmRelease of the chart (by
//! `chart.spec.chart`, or a `chartRef` to an OCIRepository of the chart), with `values.instance`
//! inline or in a ConfigMap that a `configMapGenerator` builds from a values file.

use std::path::Path;

use super::boundary::read_text;
use super::flux_objects::flux_instance;
use super::kustomize_graph::{EntryTarget, KustomizeFile};
use super::model::{Chart, InstanceSource, ScannedFluxInstance, ScannedHelmRelease, ScannedOciRepository};
use crate::yaml::{self, Node};

/// The chart's name, and the last segment of its OCI URL.
const CHART: &str = crate::facts::INSTANCE_CHART_NAME;

/// The OCIRepositories that serve the flux-instance chart (a few at most, out of every
/// repository's sources: what [`is_instance_chart`] compares each release's reference with).
pub(super) fn instance_sources(oci: &[ScannedOciRepository]) -> Vec<&ScannedOciRepository> {
    let suffix = format!("/{CHART}");
    oci.iter()
        .filter(|source| source.url.trim_end_matches('/').ends_with(&suffix))
        .collect()
}

/// Whether a HelmRelease installs the flux-instance chart: by name, or through one of the
/// [`instance_sources`].
pub(super) fn is_instance_chart(release: &ScannedHelmRelease, instance_sources: &[&ScannedOciRepository]) -> bool {
    match &release.chart {
        Chart::Spec { chart, .. } => chart == CHART,
        Chart::Ref(reference) if reference.kind == "OCIRepository" => instance_sources.iter().any(|source| {
            source.name == reference.name
                && same_namespace(
                    source.namespace.as_deref(),
                    reference.namespace.as_deref().or(release.namespace.as_deref()),
                )
        }),
        _ => false,
    }
}

/// Namespaces match when equal or when either is not written (set by a kustomization).
pub(super) fn same_namespace(a: Option<&str>, b: Option<&str>) -> bool {
    a.is_none() || b.is_none() || a == b
}

/// The FluxInstance a flux-instance chart HelmRelease defines: `values.instance` over the
/// instance of its `valuesFrom` ConfigMaps (as Helm merges them), `None` when neither has one.
pub(super) fn chart_instance(
    root: &Path,
    release: &ScannedHelmRelease,
    inline_values: Option<&Node>,
    kustomize_files: &[&KustomizeFile],
) -> Option<ScannedFluxInstance> {
    let mut merged: Option<Node> = None;
    let mut values_file = None;
    for reference in release.values_from.iter().filter(|v| v.kind == "ConfigMap") {
        let key = reference.values_key.as_deref().unwrap_or("values.yaml");
        let Some(file) = generated_file(release, &reference.name, key, kustomize_files) else {
            continue;
        };
        let Some(instance) = read_instance(root, &file) else {
            continue;
        };
        merged = Some(match merged {
            Some(base) => base.merged(&instance),
            None => instance,
        });
        values_file = Some(file);
    }
    if let Some(inline) = inline_values.and_then(|values| values.get("instance")) {
        merged = Some(match merged {
            Some(base) => base.merged(inline),
            None => inline.clone(),
        });
    }
    let spec = merged?;
    let file = values_file.clone().unwrap_or_else(|| release.at.file.clone());
    Some(flux_instance(
        crate::objects::INSTANCE_NAME.to_owned(),
        release.namespace.clone(),
        &spec,
        InstanceSource::HelmRelease {
            release: release.name.clone(),
            values_file,
        },
        &file,
        release.at.clone(),
    ))
}

/// The file a `configMapGenerator` named `name` reads `key` from, in a kustomization that
/// lists the HelmRelease's file.
fn generated_file(
    release: &ScannedHelmRelease,
    name: &str,
    key: &str,
    kustomize_files: &[&KustomizeFile],
) -> Option<String> {
    kustomize_files
        .iter()
        .filter(|k| {
            k.resources
                .iter()
                .any(|r| r.target == EntryTarget::File(release.at.file.clone()))
        })
        .flat_map(|k| &k.config_map_generators)
        .filter(|g| g.name == name)
        .flat_map(|g| &g.files)
        .find_map(|(file_key, target)| match target {
            EntryTarget::File(path) if file_key == key => Some(path.clone()),
            _ => None,
        })
}

/// `instance` of a values file.
fn read_instance(root: &Path, file: &str) -> Option<Node> {
    let text = read_text(root, file)?;
    let documents = yaml::parse_documents(&text).ok()?;
    documents.into_iter().find_map(|d| d.get("instance").cloned())
}
