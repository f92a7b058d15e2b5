//! The two app directories, `flux-operator/` and `flux-instance/`, as onedr0p/home-ops lays
//! them out.

use std::collections::BTreeMap;

use k8s_openapi::Resource as _;
use serde::Serialize;
use serde_json::{Value, json};

use super::memo::{Memo, SameText};
use super::{IndexFile, Tree};
use crate::config::{Cluster, Config, InstanceMode, Phase, Repository, Settings, TokenSource};
use crate::facts::{
    INSTANCE_CHART, INSTANCE_CHART_NAME as INSTANCE, OPERATOR_CHART, OPERATOR_CHART_NAME as OPERATOR, PRUNE_ANNOTATION,
};
use crate::instance::{ClusterSettings, CommonMetadata, InstanceSync, KustomizeSettings};
use crate::overrides::Overrides;
use crate::{
    Component, Error, ExternalSecret, FluxInstance, HelmRelease, Kustomization, KustomizationFile, Manifest,
    OciRepository, Receiver, objects::KustomizePatch, objects::OciRef, objects::ReceiverResource, objects::SourceRef,
};

/// Plans the files of several clusters, on every core, in the order of `clusters`. The
/// result is what [`plan`] gives for each.
///
/// ```
/// let config = fluxgen_core::Config::example();
/// let names: Vec<String> = config.clusters.keys().cloned().collect();
/// let trees = fluxgen_core::plan_all(&config, &names).unwrap();
/// assert_eq!(trees[0], fluxgen_core::plan(&config, &names[0]).unwrap());
/// ```
pub fn plan_all(config: &Config, clusters: &[String]) -> Result<Vec<Tree>, Error> {
    crate::config::validate_for_use(config)?;
    crate::parallel::map_with(clusters, Memo::default, |memo, name| plan_with(config, name, memo))
}

/// Plans the files of one cluster. Pure: the same config gives the same bytes. The config is
/// [checked](Config::validate) first (at once when it was loaded and not changed since).
///
/// ```
/// let config = fluxgen_core::Config::example();
/// let tree = fluxgen_core::plan(&config, "edge").unwrap();
/// assert!(tree.files.contains_key("flux-operator/app/helmrelease.yaml"));
/// assert!(tree.files["flux-instance/app/helmrelease.yaml"].starts_with("---\n# yaml-language-server:"));
/// ```
pub fn plan(config: &Config, cluster: &str) -> Result<Tree, Error> {
    crate::config::validate_for_use(config)?;
    plan_with(config, cluster, &mut Memo::default())
}

/// [`plan`] of a config its caller checked already, or derived from a checked one in a way the
/// rules of a file need not hold for (the runbook lists a cluster's files as if at phase
/// `instance`, which may lead the rollout).
#[cfg(feature = "migration")]
pub(crate) fn plan_unchecked(config: &Config, cluster: &str) -> Result<Tree, Error> {
    plan_with(config, cluster, &mut Memo::default())
}

/// [`plan`], reusing what `memo` kept from the clusters planned before.
pub(crate) fn plan_with(config: &Config, cluster: &str, memo: &mut Memo) -> Result<Tree, Error> {
    let cluster = config.cluster(cluster).ok_or_else(|| Error::UnknownCluster {
        name: cluster.to_owned(),
        origin: config.origin.to_string(),
        known: config.clusters.keys().cloned().collect(),
    })?;
    let mut files = Files::new(cluster, memo);
    let mut entries = Vec::new();
    if cluster.phase >= Phase::Operator {
        operator_app(&mut files)?;
        entries.push(format!("./{OPERATOR}/ks.yaml"));
    }
    if cluster.phase >= Phase::Instance {
        instance_app(&mut files, &config.repository)?;
        entries.insert(0, format!("./{INSTANCE}/ks.yaml"));
    }
    files.check_overrides(&config.repository)?;
    let index = IndexFile {
        content: if entries.is_empty() {
            String::new()
        } else {
            KustomizationFile::new(entries.iter().cloned())
                .with_namespace(cluster.settings.namespace.clone())
                .render()
        },
        entries,
    };
    Ok(Tree {
        cluster: cluster.name.clone(),
        root: cluster.settings.path.clone(),
        files: files.files,
        index,
    })
}

/// Collects validated, serialized files for one cluster, with the cluster's overrides applied.
struct Files<'a, 'm> {
    cluster: &'a Cluster,
    files: BTreeMap<String, String>,
    overrides: Overrides<'a>,
    memo: &'m mut Memo,
}

impl<'a, 'm> Files<'a, 'm> {
    fn new(cluster: &'a Cluster, memo: &'m mut Memo) -> Self {
        Self {
            cluster,
            files: BTreeMap::new(),
            overrides: Overrides::new(&cluster.name, &cluster.settings.overrides, &cluster.override_places),
            memo,
        }
    }

    /// Every override must select an object. Before phase `instance`, one that selects nothing
    /// is skipped when it selects an object of the full tree: it waits for its app. Whether
    /// it does is left open when the full tree cannot be planned yet (its error shows at phase
    /// `instance`).
    fn check_overrides(&self, repository: &Repository) -> Result<(), Error> {
        let Some(first) = self.overrides.unmatched().next() else {
            return Ok(());
        };
        if self.cluster.phase >= Phase::Instance {
            return Err(self.overrides.unmatched_error(first, self.cluster.phase));
        }
        let full = Cluster {
            phase: Phase::Instance,
            ..self.cluster.clone()
        };
        let mut memo = Memo::default();
        let mut later = Files::new(&full, &mut memo);
        if operator_app(&mut later)
            .and_then(|()| instance_app(&mut later, repository))
            .is_err()
        {
            return Ok(());
        }
        match self
            .overrides
            .unmatched()
            .find(|index| !later.overrides.matched(*index))
        {
            Some(index) => Err(self.overrides.unmatched_error(index, self.cluster.phase)),
            None => Ok(()),
        }
    }

    fn settings(&self) -> &'a Settings {
        &self.cluster.settings
    }

    fn add<R: Manifest + SameText>(&mut self, path: String, object: &R) -> Result<(), Error> {
        let url = R::schema_url(&self.settings().schema_base_url);
        let cluster = &self.cluster.name;
        self.add_document(path, object, &url, |object| {
            crate::render::checked_value(object, cluster)
        })
    }

    fn add_kustomization(&mut self, app: &str, resources: &[&str]) -> Result<(), Error> {
        let path = format!("{app}/app/kustomization.yaml");
        let file = KustomizationFile::new(resources.iter().map(|r| format!("./{r}")));
        self.add_document(path, &file, KustomizationFile::SCHEMA_URL, |file| Ok(file.to_value()))
    }

    /// Adds the document of `object` at `path`, its value from `value_of` with the cluster's
    /// overrides applied. The same object as the last cluster's at this path passed the same
    /// checks and reads the same: its text is reused, unless the cluster has overrides (they
    /// are its own).
    fn add_document<T: SameText>(
        &mut self,
        path: String,
        object: &T,
        url: &str,
        value_of: impl FnOnce(&T) -> Result<serde_json::Value, Error>,
    ) -> Result<(), Error> {
        let reuse = self.overrides.is_empty();
        if reuse && let Some(text) = self.memo.same_object(&path, object, url) {
            self.files.insert(path, text);
            return Ok(());
        }
        let mut value = value_of(object)?;
        self.overrides.apply(&path, &mut value)?;
        let text = self.memo.document(&path, value, url);
        if reuse {
            self.memo.remember(&path, object, url, &text);
        }
        self.files.insert(path, text);
        Ok(())
    }

    /// The app's Flux Kustomization, reading the app directory from the sync source.
    fn app_kustomization(&self, app: &str) -> Kustomization {
        let settings = self.settings();
        let source = settings
            .apps
            .source_name
            .clone()
            .unwrap_or_else(|| settings.instance.sync.name.clone());
        // Namespaced itself: the kustomization.yaml that lists it may set no namespace (the
        // `flux bootstrap` layout's `flux-system/kustomization.yaml` does not).
        Kustomization::new(app, format!("./{}/{app}/app", settings.path))
            .with_namespace(settings.namespace.clone())
            .with_interval(settings.apps.interval.as_str())
            .with_source(SourceRef::git_repository(source).in_namespace(settings.namespace.clone()))
            .with_target_namespace(settings.namespace.clone())
    }
}

fn chart_source(name: &str, url: &str, settings: &Settings) -> OciRepository {
    OciRepository::new(name, url)
        .with_interval(settings.operator.chart_interval.as_str())
        .with_ref(OciRef::tag(settings.operator.version.clone()))
        .with_helm_chart_layer()
}

fn operator_app(files: &mut Files<'_, '_>) -> Result<(), Error> {
    let settings = files.settings();
    let ks = files.app_kustomization(OPERATOR).with_wait(true);
    files.add(format!("{OPERATOR}/ks.yaml"), &ks)?;
    files.add(
        format!("{OPERATOR}/app/ocirepository.yaml"),
        &chart_source(OPERATOR, OPERATOR_CHART, settings),
    )?;
    let release = HelmRelease::from_oci_repository(OPERATOR)
        .with_interval(settings.operator.interval.as_str())
        .with_values(settings.operator.values.clone());
    files.add(format!("{OPERATOR}/app/helmrelease.yaml"), &release)?;
    files.add_kustomization(OPERATOR, &["helmrelease.yaml", "ocirepository.yaml"])?;
    Ok(())
}

fn instance_app(files: &mut Files<'_, '_>, repository: &Repository) -> Result<(), Error> {
    let settings = files.settings();
    let ks = files
        .app_kustomization(INSTANCE)
        .with_depends_on(OPERATOR)
        .with_wait(false);
    files.add(format!("{INSTANCE}/ks.yaml"), &ks)?;
    let patches = lowered_patches(files.cluster, files.memo)?;
    let mut instance = flux_instance(settings, repository, patches);
    // Pruning or deleting the instance deletes every Flux object: Flux must never prune it.
    let protect = BTreeMap::from([(PRUNE_ANNOTATION.to_owned(), "disabled".to_owned())]);
    let mut resources = Vec::new();
    match settings.instance.mode {
        InstanceMode::Manifest => {
            instance.metadata.annotations = Some(protect);
            files.add(format!("{INSTANCE}/app/fluxinstance.yaml"), &instance)?;
            resources.push("fluxinstance.yaml");
        }
        InstanceMode::Helmrelease => {
            // Unset, the chart renders its default `flux-operator-manifests:latest`, which moves
            // the cluster to new manifests outside Git: pin the operator release's own.
            instance
                .spec
                .distribution
                .artifact
                .get_or_insert_with(|| crate::facts::pinned_artifact(&settings.operator.version));
            // Check the spec as a FluxInstance before it is folded into chart values.
            let violations = instance.violations();
            if !violations.is_empty() {
                return Err(Error::InvalidObject {
                    cluster: files.cluster.name.clone(),
                    kind: FluxInstance::KIND,
                    name: instance.name().to_owned(),
                    violations,
                });
            }
            let mut values = BTreeMap::from([("instance".to_owned(), to_value(&instance.spec))]);
            if !settings.instance.chart_annotations.is_empty() {
                values.insert(
                    "commonAnnotations".to_owned(),
                    json!(settings.instance.chart_annotations),
                );
            }
            let mut release = HelmRelease::from_oci_repository(INSTANCE)
                .with_interval(settings.operator.interval.as_str())
                .with_values(values);
            release.metadata.annotations = Some(protect);
            files.add(
                format!("{INSTANCE}/app/ocirepository.yaml"),
                &chart_source(INSTANCE, INSTANCE_CHART, settings),
            )?;
            files.add(format!("{INSTANCE}/app/helmrelease.yaml"), &release)?;
            resources.extend(["helmrelease.yaml", "ocirepository.yaml"]);
        }
    }
    if let Some(kind) = settings.webhook.provider.receiver_type() {
        let secret = match &settings.webhook.token {
            Some(TokenSource::ExternalSecret(source)) => {
                let name = format!("{kind}-webhook-token");
                let target = format!("{name}-secret");
                let external = ExternalSecret::new(name, source.store.clone(), target.clone())
                    .with_template_key("token", &source.property)
                    .extracting(source.key.clone());
                files.add(format!("{INSTANCE}/app/externalsecret.yaml"), &external)?;
                resources.push("externalsecret.yaml");
                target
            }
            Some(TokenSource::Secret(secret)) => secret.clone(),
            // The loader refuses this; a config built in code may not have been loaded.
            None => {
                return Err(Error::InvalidObject {
                    cluster: files.cluster.name.clone(),
                    kind: Receiver::KIND,
                    name: format!("{kind}-webhook"),
                    violations: vec![crate::Violation {
                        field: "spec.secretRef.name".to_owned(),
                        message: "a webhook needs its token's Secret: set `webhook.token.secret` or \
                                  `webhook.token.externalSecret`"
                            .to_owned(),
                    }],
                });
            }
        };
        let sync_name = &settings.instance.sync.name;
        let receiver = Receiver::new(format!("{kind}-webhook"), kind, secret)
            .with_events(settings.webhook.effective_events())
            .with_resource(ReceiverResource::new(
                "source.toolkit.fluxcd.io/v1",
                "GitRepository",
                sync_name.clone(),
            ))
            .with_resource(ReceiverResource::new(
                Kustomization::API_VERSION,
                Kustomization::KIND,
                sync_name.clone(),
            ));
        files.add(format!("{INSTANCE}/app/receiver.yaml"), &receiver)?;
        resources.push("receiver.yaml");
    }
    resources.sort_unstable();
    files.add_kustomization(INSTANCE, &resources)?;
    Ok(())
}

/// The controllers a cluster's FluxInstance runs.
pub(crate) fn components(settings: &Settings) -> Vec<Component> {
    settings
        .instance
        .components
        .clone()
        .unwrap_or_else(|| Component::DEFAULTS.to_vec())
}

/// The cluster's tunings lowered to FluxInstance patches.
pub(crate) fn controller_patches(cluster: &Cluster) -> Result<Vec<KustomizePatch>, Error> {
    lowered_patches(cluster, &mut Memo::default())
}

/// [`controller_patches`], reusing the last lowering `memo` kept when the tunings are equal.
fn lowered_patches(cluster: &Cluster, memo: &mut Memo) -> Result<Vec<KustomizePatch>, Error> {
    let tunings = cluster.settings.tuning.tunings(&components(&cluster.settings));
    memo.patches(tunings).map_err(|error| Error::Tuning {
        cluster: cluster.name.clone(),
        error: Box::new(error),
    })
}

/// The FluxInstance a cluster's settings describe.
pub(crate) fn flux_instance(
    settings: &Settings,
    repository: &Repository,
    patches: Vec<KustomizePatch>,
) -> FluxInstance {
    let wanted = &settings.instance;
    let mut instance = FluxInstance::new(wanted.distribution.version.clone());
    instance.spec.distribution = wanted.distribution.clone();
    instance.spec.components = wanted.components.clone().unwrap_or_default();
    instance.spec.cluster = (wanted.cluster != ClusterSettings::default()).then(|| wanted.cluster.clone());
    instance.spec.common_metadata =
        (wanted.common_metadata != CommonMetadata::default()).then(|| wanted.common_metadata.clone());
    instance.spec.sharding = wanted.sharding.clone();
    instance.spec.storage = wanted.storage.clone();
    instance.spec.sync = Some(InstanceSync {
        kind: "GitRepository".to_owned(),
        url: repository.url.clone(),
        r#ref: repository.reference.clone(),
        path: wanted.sync.path.clone(),
        interval: Some(wanted.sync.interval.as_str().into()),
        name: Some(wanted.sync.name.clone()),
        pull_secret: repository.pull_secret.clone(),
        provider: wanted.sync.provider,
    });
    if !patches.is_empty() {
        instance.spec.kustomize = Some(KustomizeSettings { patches });
    }
    instance.spec.wait = wanted.wait;
    instance.spec.migrate_resources = wanted.migrate_resources;
    instance
}

fn to_value<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).expect("fluxgen's objects serialize to JSON")
}
