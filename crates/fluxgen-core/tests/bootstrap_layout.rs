//! The layout `flux bootstrap` writes (`<path>/flux-system/gotk-*.yaml`), on the real
//! repositories of `../shared/refs-flux-bootstrap/` and on test repositories of the shapes they
//! do not show: what the scanner recognises, the clusters the layout gives, and what import
//! keeps.

#[allow(dead_code)]
mod support;

use std::path::{Path, PathBuf};

use fluxgen_core::scan::ScannedRepository;
use fluxgen_core::{Config, ImportOptions, Imported, Origin, Phase};

/// A repository of `refs-flux-bootstrap/`.
fn reference(name: &str) -> PathBuf {
    support::shared_dir().join("refs-flux-bootstrap").join(name)
}

fn scanned(path: &Path) -> ScannedRepository {
    fluxgen_core::scan(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Writes a test repository.
fn repository(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary directory");
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("directory");
        std::fs::write(path, text).expect("file");
    }
    dir
}

const D1_BEFORE: &str = "controlplaneio-fluxcd__d1-fleet@e101c93";
const D1_AFTER: &str = "controlplaneio-fluxcd__d1-fleet@4354616";
const HELM_EXAMPLE: &str = "fluxcd__flux2-kustomize-helm-example@4f1a5b1";
const MULTI_TENANCY: &str = "fluxcd__flux2-multi-tenancy@192da05";

#[test]
fn the_bootstrap_directories_of_d1_fleet_are_read_from_their_content() {
    let repository = scanned(&reference(D1_BEFORE));
    let found: Vec<(&str, &str, Option<&str>)> = repository
        .flux_bootstraps
        .iter()
        .map(|b| (b.dir.as_str(), b.path.as_str(), b.version()))
        .collect();
    assert_eq!(
        found,
        [
            ("clusters/prod-eu/flux-system", "clusters/prod-eu", Some("v2.7.1")),
            ("clusters/prod-us/flux-system", "clusters/prod-us", Some("v2.7.1")),
            ("clusters/staging/flux-system", "clusters/staging", Some("v2.7.5")),
        ]
    );
    let staging = &repository.flux_bootstraps[2];
    assert!(!staging.is_placeholder());
    let components = staging.components.as_ref().expect("gotk-components.yaml");
    assert_eq!(
        components.components,
        [
            "source-controller",
            "kustomize-controller",
            "helm-controller",
            "notification-controller",
            "image-reflector-controller",
            "image-automation-controller"
        ]
    );
    assert!(components.network_policies, "the install has NetworkPolicies");
    assert_eq!(components.registry.as_deref(), Some("ghcr.io/fluxcd"));
    assert_eq!(components.cluster_domain.as_deref(), Some("cluster.local"));
    assert_eq!(components.controllers.len(), 6);
    let sync = staging.sync.as_ref().expect("gotk-sync.yaml");
    assert!(!sync.placeholder);
    let source = &repository.git_repositories[sync.source.expect("the GitRepository")];
    assert_eq!(source.url, "https://github.com/controlplaneio-fluxcd/d1-fleet.git");
    assert_eq!(source.interval.as_deref(), Some("1m0s"));
    assert_eq!(staging.namespace, "flux-system");
    assert_eq!(staging.kustomization.as_deref(), Some("clusters/staging/flux-system"));
}

#[test]
fn placeholder_gotk_files_are_told_apart_and_the_sync_they_stand_for_is_in_the_model() {
    for name in [HELM_EXAMPLE, MULTI_TENANCY] {
        let repository = scanned(&reference(name));
        let dirs: Vec<&str> = repository.flux_bootstraps.iter().map(|b| b.dir.as_str()).collect();
        assert_eq!(
            dirs,
            ["clusters/production/flux-system", "clusters/staging/flux-system"],
            "{name}"
        );
        for bootstrap in &repository.flux_bootstraps {
            assert!(bootstrap.is_placeholder(), "{name}: {}", bootstrap.dir);
            assert_eq!(bootstrap.version(), None);
            let sync = bootstrap.sync.as_ref().expect("gotk-sync.yaml");
            let root = &repository.kustomizations[sync.kustomization.expect("the Kustomization flux bootstrap writes")];
            assert_eq!(
                (root.name.as_str(), root.repo_path().as_deref()),
                ("flux-system", Some(bootstrap.path.as_str()))
            );
            assert_eq!(root.prune, Some(true));
        }
    }
}

#[test]
fn a_file_named_like_a_gotk_file_without_their_content_is_not_a_bootstrap_directory() {
    let dir = repository(&[
        (
            "deploy/flux-system/gotk-sync.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: not-a-sync}\ndata: {a: b}\n",
        ),
        (
            "deploy/flux-system/gotk-components.yaml",
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n",
        ),
    ]);
    assert!(scanned(dir.path()).flux_bootstraps.is_empty());
}

#[test]
fn a_bootstrap_directory_is_found_at_any_depth_with_its_own_namespace() {
    let dir = repository(&[
        (
            "deploy/clusters/hub/flux-system/gotk-sync.yaml",
            "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\n\
             metadata: {name: flux-fleet, namespace: flux-fleet}\n\
             spec: {interval: 5m, url: ssh://git@example.com/fleet, ref: {branch: prod}}\n---\n\
             apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n\
             metadata: {name: flux-fleet, namespace: flux-fleet}\n\
             spec: {interval: 10m, path: ./deploy/clusters/hub, prune: true, sourceRef: {kind: GitRepository, name: flux-fleet}}\n",
        ),
        (
            "deploy/clusters/hub/flux-system/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [gotk-sync.yaml]\n",
        ),
    ]);
    let repository = scanned(dir.path());
    let [bootstrap] = repository.flux_bootstraps.as_slice() else {
        panic!("one bootstrap directory: {:?}", repository.flux_bootstraps);
    };
    assert_eq!(bootstrap.path, "deploy/clusters/hub");
    assert_eq!(bootstrap.namespace, "flux-fleet");
    assert!(bootstrap.components.is_none());
}

/// Every repository of `refs-flux-bootstrap/`, with the clusters and phases import gives.
const REFERENCES: [(&str, &[(&str, Phase)]); 4] = [
    (
        D1_BEFORE,
        &[
            ("prod-eu", Phase::Prepare),
            ("prod-us", Phase::Prepare),
            ("staging", Phase::Prepare),
        ],
    ),
    (
        D1_AFTER,
        &[
            ("prod-eu", Phase::Complete),
            ("prod-us", Phase::Complete),
            ("staging", Phase::Complete),
        ],
    ),
    (
        HELM_EXAMPLE,
        &[("production", Phase::Prepare), ("staging", Phase::Prepare)],
    ),
    (
        MULTI_TENANCY,
        &[("production", Phase::Prepare), ("staging", Phase::Prepare)],
    ),
];

fn imported(path: &Path) -> Imported {
    let repository = scanned(path);
    fluxgen_core::import(&repository, &ImportOptions::default()).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn loaded(label: &str, imported: &Imported) -> Config {
    Config::from_yaml(&imported.text, Origin::BuiltIn)
        .unwrap_or_else(|e| panic!("{label}: the config does not load:\n{e}"))
}

#[test]
fn every_reference_repository_imports_with_a_cluster_per_bootstrap_path() {
    for (name, clusters) in REFERENCES {
        let config = loaded(name, &imported(&reference(name)));
        let found: Vec<(&str, Phase)> = config.clusters.iter().map(|(n, c)| (n.as_str(), c.phase)).collect();
        assert_eq!(found, clusters.to_vec(), "{name}");
        for (cluster, settings) in &config.clusters {
            let settings = &settings.settings;
            // The FluxInstance adopts `flux-system` where `flux bootstrap` put it.
            assert_eq!(settings.instance.sync.name, "flux-system", "{name}/{cluster}");
            assert_eq!(
                settings.instance.sync.path,
                format!("clusters/{cluster}"),
                "{name}/{cluster}"
            );
            assert_eq!(
                settings.path,
                format!("clusters/{cluster}/flux-system"),
                "{name}/{cluster}"
            );
        }
    }
}

#[test]
fn every_imported_cluster_emits_trees_that_pass_the_crd_schemas_and_kubectl_kustomize() {
    let crds = support::schema::Crds::load();
    let kubectl = support::flux::kubectl();
    let mut failures = Vec::new();
    let mut checked = 0;
    for (name, _) in REFERENCES {
        let config = with_phase(&loaded(name, &imported(&reference(name))), Phase::Instance);
        for cluster in config.clusters.keys() {
            let tree = fluxgen_core::plan(&config, cluster).unwrap_or_else(|e| panic!("{name}/{cluster}: {e}"));
            let (found, count) =
                support::schema::invalid_files(&format!("{name}/{cluster}"), &tree.files, &crds, kubectl.as_deref());
            failures.extend(found);
            checked += count;
        }
    }
    assert!(failures.is_empty(), "invalid objects:\n\n{}", failures.join("\n\n"));
    assert_eq!(checked, 10 * 8, "eight objects of ten clusters");
}

/// The decisions import reaches on d1-fleet before its migration, against what the Flux
/// maintainers committed in the migration itself (`clusters/<c>/flux-system/flux-instance.yaml`
/// of d1-fleet@4354616), field by field. Where they differ, [`D1_DIFFERENCES`] names why.
#[test]
fn the_import_of_d1_fleet_before_reaches_the_decisions_of_its_real_migration() {
    let before = loaded(D1_BEFORE, &imported(&reference(D1_BEFORE)));
    let after = scanned(&reference(D1_AFTER));
    for (name, cluster) in &before.clusters {
        let settings = &cluster.settings;
        let instance = after
            .flux_instances
            .iter()
            .find(|i| i.at.file == format!("clusters/{name}/flux-system/flux-instance.yaml"))
            .unwrap_or_else(|| panic!("the real FluxInstance of {name}"));
        let spec = &instance.spec;
        let sync = instance.sync.as_ref().expect("a sync");
        // The sync: the default name (the namespace, `flux-system`), the bootstrap path, the
        // same URL, ref and pull secret.
        assert_eq!(
            sync.name.as_deref().unwrap_or("flux-system"),
            settings.instance.sync.name
        );
        assert_eq!(sync.path.as_deref(), Some(settings.instance.sync.path.as_str()));
        assert_eq!(sync.url.as_deref(), Some(before.repository.url.as_str()));
        assert_eq!(
            before.repository.reference, "refs/heads/main",
            "what the bootstrap syncs"
        );
        let moved = if name.starts_with("prod") {
            "refs/heads/production"
        } else {
            "refs/heads/main"
        };
        assert_eq!(
            sync.reference.as_deref(),
            Some(moved),
            "{name}: {}",
            D1_DIFFERENCES[0].1
        );
        assert_eq!(sync.pull_secret, before.repository.pull_secret);
        // The version and the cluster settings.
        assert_eq!(
            instance.distribution_version.as_deref(),
            Some(settings.instance.distribution.version.as_str())
        );
        let cluster_settings = &settings.instance.cluster;
        assert_eq!(spec["cluster"]["multitenant"], true);
        assert_eq!(cluster_settings.multitenant, Some(true), "{name}");
        assert_eq!(
            spec["cluster"]["tenantDefaultServiceAccount"].as_str(),
            cluster_settings.tenant_default_service_account.as_deref()
        );
        assert_eq!(spec["cluster"]["networkPolicy"], true);
        assert_eq!(cluster_settings.network_policy, Some(true));
        // The components: the install's six; the migration added source-watcher (a new
        // controller, not one the cluster ran).
        let ours: Vec<&str> = settings
            .instance
            .components
            .iter()
            .flatten()
            .map(|c| c.as_str())
            .collect();
        let theirs: Vec<&str> = instance.components.iter().map(String::as_str).collect();
        assert_eq!(
            [ours.as_slice(), &["source-watcher"]].concat(),
            theirs,
            "{name}: {}",
            D1_DIFFERENCES[1].1
        );
        // The controller patches: every one the migration kept is there, typed or raw.
        let emitted = fluxgen_core::plan(&with_phase(&before, Phase::Instance), name).expect("a tree");
        let release = support::document(&emitted.files["flux-instance/app/helmrelease.yaml"]).expect("YAML");
        let patches = release
            .pointer("/spec/values/instance/kustomize/patches")
            .expect("patches")
            .to_string();
        for flag in [
            "--concurrent=10",
            "--requeue-dependency=10s",
            "--helm-cache-max-size=10",
            "--helm-cache-ttl=60m",
            "--helm-cache-purge-interval=5m",
            "medium: Memory",
            "cpu: 2000m",
            "memory: 2Gi",
        ] {
            assert!(patches.contains(flag), "{name}: {flag} missing from {patches}");
        }
        // The other named differences, each checked so that the list stays true.
        assert!(
            !patches.contains("CancelHealthCheckOnNewRevision"),
            "{name}: {}",
            D1_DIFFERENCES[2].1
        );
        assert!(
            spec["distribution"]["artifact"].is_string(),
            "{name}: {}",
            D1_DIFFERENCES[3].1
        );
        assert_eq!(
            settings.instance.distribution.artifact, None,
            "{name}: {}",
            D1_DIFFERENCES[3].1
        );
        assert!(patches.contains("10m0s"), "{name}: {}", D1_DIFFERENCES[4].1);
        assert!(
            !patches.contains("serviceAccountName"),
            "{name}: {}",
            D1_DIFFERENCES[5].1
        );
    }
}

/// Where the import of d1-fleet@e101c93 differs from the maintainers' migration, and why: each
/// entry is the message of the assertion that checks it, in this order.
const D1_DIFFERENCES: [(&str, &str); 6] = [
    (
        "prod-eu and prod-us sync refs/heads/production",
        "the migration moved the production clusters to another branch in the same commit; every bootstrap syncs \
         `main`, which import keeps",
    ),
    (
        "components: source-watcher",
        "the migration added a controller the cluster did not run; import keeps what runs, so it is the user's \
         choice to add it",
    ),
    (
        "kustomize-controller feature gate CancelHealthCheckOnNewRevision=true",
        "a new setting the migration introduced, not in the bootstrap",
    ),
    (
        "distribution.artifact",
        "the migration pins the manifests artifact to `:latest`; maintainers advise leaving it unset (DESIGN \
         section 8)",
    ),
    (
        "a patch keeping the Kustomization's 10m0s interval",
        "the FluxInstance has one sync interval (the GitRepository's 1m0s); the migration let the Kustomization \
         follow it, import keeps the bootstrap's",
    ),
    (
        "no serviceAccountName patch on the Kustomization flux-system",
        "the operator's multitenant profile sets it (flux-operator internal/builder/profiles.go); the migration \
         kept a redundant copy",
    ),
];

/// `config` with every cluster at `phase`; from `instance` on, a repository that did not say its
/// URL gets one, as the loader asks of the user before that phase.
fn with_phase(config: &Config, phase: Phase) -> Config {
    let mut config = config.clone();
    for cluster in config.clusters.values_mut() {
        cluster.phase = phase;
    }
    if phase >= Phase::Instance && config.repository.url == fluxgen_core::config::STAND_IN_URL {
        config.repository.url = "ssh://git@github.com/example/fleet".to_owned();
    }
    config
}

#[test]
fn snapshots_of_each_import() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../snapshots/import"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| {
        for (name, _) in REFERENCES {
            let imported = imported(&reference(name));
            insta::assert_snapshot!(
                format!("bootstrap-{}", name.replace('@', "-")),
                format!("--- fluxgen.yaml\n{}\n--- report\n{}", imported.text, imported.report)
            );
        }
    });
}

/// Each controller's effective settings under what import writes (the operator's profiles,
/// then the FluxInstance's patches) equal those under the bootstrap's own
/// `flux-system/kustomization.yaml` patches, on the real Deployments of the Flux release the
/// cluster pins (`flux-manifests/<release>`): arguments (last value of a flag wins, feature
/// gates accumulated), resources, volumes and the rest of the pod spec.
#[test]
fn the_effective_controller_settings_after_import_equal_the_bootstraps() {
    let mut differences = Vec::new();
    let mut compared = 0;
    for (name, _) in REFERENCES.iter().filter(|(name, _)| *name != D1_AFTER) {
        let repository = scanned(&reference(name));
        let config = loaded(name, &imported(&reference(name)));
        for (cluster, entry) in &config.clusters {
            let settings = &entry.settings;
            let bootstrap = repository
                .flux_bootstraps
                .iter()
                .find(|b| b.path == format!("clusters/{cluster}"))
                .unwrap_or_else(|| panic!("{name}/{cluster}: its bootstrap directory"));
            let theirs: Vec<fluxgen_core::objects::KustomizePatch> = bootstrap
                .kustomization
                .as_deref()
                .and_then(|dir| repository.kustomize_file(dir))
                .map(|k| k.patches.iter().map(|p| p.to_kustomize()).collect())
                .unwrap_or_default();
            let release = fluxgen_core::facts::resolve_version(&settings.instance.distribution.version).release;
            let manifests = support::flux::manifests_of(release.version);
            let mut ours = Vec::new();
            if settings.instance.cluster.multitenant == Some(true) {
                ours.extend(fluxgen_core::facts::multitenant_profile(
                    settings.instance.cluster.tenant_default_service_account.as_deref(),
                ));
            }
            let tree = fluxgen_core::plan(&with_phase(&config, Phase::Instance), cluster).expect("a tree");
            ours.extend(support::flux::emitted_patches(&tree.files));
            for component in settings.instance.components.clone().unwrap_or_default() {
                let Some(manifest) = manifests.get(&component) else {
                    continue;
                };
                let before = support::flux::settled(&manifest.deployment, &theirs)
                    .unwrap_or_else(|e| panic!("{name}/{cluster}: the bootstrap's: {e}"));
                let after = support::flux::settled(&manifest.deployment, &ours)
                    .unwrap_or_else(|e| panic!("{name}/{cluster}: fluxgen's: {e}"));
                compared += 1;
                if before != after {
                    differences.push(format!(
                        "{name}/{cluster}/{component} on {}:\n  bootstrap: {before:?}\n  fluxgen:   {after:?}",
                        release.version
                    ));
                }
            }
        }
    }
    assert!(
        differences.is_empty(),
        "effective settings differ:\n\n{}",
        differences.join("\n\n")
    );
    // d1-fleet: 3 clusters of 6 controllers; the examples: 2 clusters of 5 and 2 of 4.
    assert_eq!(compared, 3 * 6 + 2 * 5 + 2 * 4);
}

/// A `gotk-components.yaml` as `flux bootstrap` writes it, reduced to its header, the
/// Namespace and one controller (the test's own text, not a copy of a release).
fn components(version: &str) -> String {
    format!(
        "---\n# This manifest was generated by flux. DO NOT EDIT.\n# Flux Version: {version}\n\
         # Components: source-controller,kustomize-controller,helm-controller,notification-controller\n\
         apiVersion: v1\nkind: Namespace\nmetadata:\n  name: flux-system\n  labels: {{app.kubernetes.io/version: {version}}}\n\
         ---\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n\
         metadata: {{name: kustomizations.kustomize.toolkit.fluxcd.io}}\n\
         ---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: source-controller, namespace: flux-system}}\n\
         spec:\n  template:\n    spec:\n      containers:\n        - name: manager\n\
         \x20         image: registry.example.com/mirror/fluxcd/source-controller:v1.0.0\n\
         \x20         args: [--storage-adv-addr=source-controller.$(RUNTIME_NAMESPACE).svc.corp.internal.]\n\
         ---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: kustomize-controller, namespace: flux-system}}\n\
         spec:\n  template:\n    spec:\n      containers:\n        - name: manager\n\
         \x20         image: registry.example.com/mirror/fluxcd/kustomize-controller:v1.0.0\n"
    )
}

/// The `gotk-sync.yaml` `flux bootstrap --path=<path>` writes.
fn sync(path: &str) -> String {
    format!(
        "---\n# This manifest was generated by flux. DO NOT EDIT.\n---\n\
         apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\n\
         metadata: {{name: flux-system, namespace: flux-system}}\n\
         spec: {{interval: 1m0s, ref: {{branch: main}}, secretRef: {{name: flux-system}}, url: ssh://git@example.com/fleet}}\n\
         ---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n\
         metadata: {{name: flux-system, namespace: flux-system}}\n\
         spec: {{interval: 10m0s, path: ./{path}, prune: true, sourceRef: {{kind: GitRepository, name: flux-system}}}}\n"
    )
}

const FLUX_SYSTEM_KUSTOMIZATION: &str = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [gotk-components.yaml, gotk-sync.yaml]\n";

/// The three files of a bootstrap path.
fn bootstrap(path: &str, version: &str) -> Vec<(String, String)> {
    vec![
        (format!("{path}/flux-system/gotk-components.yaml"), components(version)),
        (format!("{path}/flux-system/gotk-sync.yaml"), sync(path)),
        (
            format!("{path}/flux-system/kustomization.yaml"),
            FLUX_SYSTEM_KUSTOMIZATION.to_owned(),
        ),
    ]
}

fn owned_repository(files: &[(String, String)]) -> tempfile::TempDir {
    let borrowed: Vec<(&str, &str)> = files.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    repository(&borrowed)
}

#[test]
fn clusters_deep_in_a_deploy_tree_are_one_each_with_their_own_version() {
    let mut files = bootstrap("deploy/clusters/eu-1", "v2.6.4");
    files.extend(bootstrap("deploy/clusters/us-1", "v2.8.2"));
    let dir = owned_repository(&files);
    let report = fluxgen_core::doctor(dir.path(), None).expect("doctor");
    let clusters: Vec<(Option<&str>, Option<Phase>)> =
        report.clusters.iter().map(|c| (c.name.as_deref(), c.phase)).collect();
    assert_eq!(
        clusters,
        [
            (Some("eu-1"), Some(Phase::Prepare)),
            (Some("us-1"), Some(Phase::Prepare))
        ]
    );
    let config = loaded("deploy", &imported(dir.path()));
    let versions: Vec<(&str, &str, &str)> = config
        .clusters
        .iter()
        .map(|(n, c)| {
            (
                n.as_str(),
                c.settings.instance.distribution.version.as_str(),
                c.settings.instance.sync.path.as_str(),
            )
        })
        .collect();
    assert_eq!(
        versions,
        [
            ("eu-1", "2.6.x", "deploy/clusters/eu-1"),
            ("us-1", "2.8.x", "deploy/clusters/us-1")
        ]
    );
    let eu = &config.clusters["eu-1"].settings.instance;
    // What the install shows and the FluxInstance can say: the mirror and the domain.
    assert_eq!(eu.distribution.registry, "registry.example.com/mirror/fluxcd");
    assert_eq!(eu.cluster.domain.as_deref(), Some("corp.internal"));
    assert_eq!(
        eu.cluster.network_policy,
        Some(false),
        "the install has no NetworkPolicy"
    );
}

#[test]
fn a_path_that_is_not_a_cluster_name_is_mapped_and_said() {
    let files = bootstrap("cluster/talos_cluster", "v2.7.5");
    let dir = owned_repository(&files);
    let imported = imported(dir.path());
    let config = loaded("talos", &imported);
    let cluster = config.cluster("talos-cluster").expect("the mapped name");
    assert_eq!(cluster.settings.instance.sync.path, "cluster/talos_cluster");
    assert_eq!(cluster.settings.path, "cluster/talos_cluster/flux-system");
    let report = imported.report.to_string();
    assert!(
        report.contains("`talos_cluster`, which is not a DNS-1123 label: it is called `talos-cluster`"),
        "{report}"
    );
}

#[test]
fn a_spoke_overlay_the_hub_applies_is_not_a_cluster() {
    let mut files = bootstrap("clusters/hub", "v2.7.5");
    files.push((
        "clusters/hub/spokes.yaml".to_owned(),
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n\
         metadata: {name: spoke-1, namespace: flux-system}\n\
         spec: {interval: 10m, path: ./clusters/spoke-1, prune: true, sourceRef: {kind: GitRepository, name: flux-system}, \
         kubeConfig: {secretRef: {name: spoke-1-kubeconfig}}}\n"
            .to_owned(),
    ));
    files.push((
        "clusters/spoke-1/apps.yaml".to_owned(),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: spoke-settings, namespace: default}\ndata: {a: b}\n"
            .to_owned(),
    ));
    let dir = owned_repository(&files);
    let report = fluxgen_core::doctor(dir.path(), None).expect("doctor");
    let clusters: Vec<Option<&str>> = report.clusters.iter().map(|c| c.name.as_deref()).collect();
    assert_eq!(clusters, [Some("hub")]);
    let config = loaded("hub", &imported(dir.path()));
    assert_eq!(config.clusters.keys().collect::<Vec<_>>(), ["hub"]);
}

#[test]
fn a_flux_instance_anywhere_is_found_and_its_flux_system_directory_is_a_cluster() {
    let files = [(
        "fleet/edge/flux-system/flux-instance.yaml",
        "apiVersion: fluxcd.controlplane.io/v1\nkind: FluxInstance\nmetadata: {name: flux, namespace: flux-system}\n\
         spec:\n  distribution: {version: 2.7.x, registry: ghcr.io/fluxcd}\n\
         \x20 sync: {kind: GitRepository, url: ssh://git@example.com/fleet, ref: refs/heads/main, path: fleet/edge}\n",
    )];
    let dir = repository(&files);
    let repository = scanned(dir.path());
    assert_eq!(repository.flux_instances.len(), 1);
    let config = loaded("fleet", &imported(dir.path()));
    let edge = config.cluster("edge").expect("a cluster named after its sync path");
    assert_eq!(edge.phase, Phase::Complete);
    assert_eq!(edge.settings.path, "fleet/edge/flux-system");
}

#[test]
fn hand_edits_of_the_bootstrap_files_are_kept() {
    let path = "clusters/lab";
    let edited_sync = sync(path)
        .replace(
            "interval: 10m0s, path:",
            "interval: 30m, decryption: {provider: sops, secretRef: {name: sops-age}}, path:",
        )
        .replace("prune: true", "prune: false");
    let files = [
        (format!("{path}/flux-system/gotk-components.yaml"), components("v2.5.1")),
        (format!("{path}/flux-system/gotk-sync.yaml"), edited_sync),
        (
            format!("{path}/flux-system/kustomization.yaml"),
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n\
             resources: [gotk-components.yaml, gotk-sync.yaml, weave-gitops.yaml]\n\
             commonLabels: {team: platform}\n\
             patchesStrategicMerge: [memory.yaml]\n\
             patchesJson6902:\n  - target: {group: apps, version: v1, kind: Deployment, name: helm-controller, namespace: flux-system}\n\
             \x20   path: helm.yaml\n\
             patches:\n  - target: {kind: GitRepository, name: flux-system}\n\
             \x20   patch: |\n      - op: add\n        path: /spec/ignore\n        value: /docs\n"
                .to_owned(),
        ),
        (
            format!("{path}/flux-system/memory.yaml"),
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: kustomize-controller, namespace: flux-system}\n\
             spec:\n  template:\n    spec:\n      containers:\n        - name: manager\n          resources: {limits: {memory: 3Gi}}\n"
                .to_owned(),
        ),
        (
            format!("{path}/flux-system/helm.yaml"),
            "- op: add\n  path: /spec/template/spec/containers/0/args/-\n  value: --concurrent=7\n".to_owned(),
        ),
        (
            format!("{path}/flux-system/weave-gitops.yaml"),
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: weave-gitops, namespace: flux-system}\ndata: {a: b}\n"
                .to_owned(),
        ),
    ];
    let dir = owned_repository(&files);
    let imported = imported(dir.path());
    let config = loaded("lab", &imported);
    let settings = &config.cluster("lab").expect("lab").settings;
    let text = &imported.text;
    // gotk-sync.yaml: decryption on the sync Kustomization, prune and its interval by patches.
    assert_eq!(
        settings
            .tuning
            .sync_kustomization
            .as_ref()
            .and_then(|s| s.decryption_secret.as_deref()),
        Some("sops-age"),
        "{text}"
    );
    assert!(text.contains("path: /spec/prune\n            value: false"), "{text}");
    assert!(text.contains("value: 30m"), "{text}");
    // kustomization.yaml: the file patches inlined (the target's namespace dropped), the
    // GitRepository patch kept, the labels on every object the operator creates.
    assert!(text.contains("memoryLimit:\n      kustomize-controller: 3Gi"), "{text}");
    assert!(text.contains("helm-controller: 7"), "{text}");
    assert!(text.contains("path: /spec/ignore"), "{text}");
    assert!(!text.contains("namespace: flux-system\n        target"), "{text}");
    assert_eq!(
        settings.instance.common_metadata.labels.get("team").map(String::as_str),
        Some("platform")
    );
    let report = imported.report.to_string();
    assert!(
        report.contains("`clusters/lab/flux-system/weave-gitops.yaml`"),
        "{report}"
    );
}

#[test]
fn a_bootstrap_at_the_repository_root_syncs_the_whole_repository() {
    // `flux bootstrap` without `--path`: `flux-system/` at the root, applying `./`.
    let files = [
        ("flux-system/gotk-components.yaml".to_owned(), components("v2.8.2")),
        ("flux-system/gotk-sync.yaml".to_owned(), sync("")),
        (
            "flux-system/kustomization.yaml".to_owned(),
            FLUX_SYSTEM_KUSTOMIZATION.to_owned(),
        ),
    ];
    let dir = owned_repository(&files);
    // A config of this repository (the built-in origin skips the sync check).
    let config = Config::from_yaml(
        &imported(dir.path()).text,
        Origin::File(dir.path().join("fluxgen.yaml")),
    )
    .expect("the config loads");
    let main = config.cluster("main").expect("the one cluster, named main");
    assert_eq!(main.settings.instance.sync.path, "./");
    assert_eq!(main.settings.path, "flux-system");
    let tree = fluxgen_core::plan(&with_phase(&config, Phase::Instance), "main").expect("a tree");
    let release = support::document(&tree.files["flux-instance/app/helmrelease.yaml"]).expect("YAML");
    assert_eq!(
        release.pointer("/spec/values/instance/sync/path"),
        Some(&serde_json::json!("./"))
    );
    fluxgen_core::scan::check_sync(&config, &["main".to_owned()], dir.path()).expect("adopted in place");
}

#[test]
fn placeholders_take_the_url_from_the_origin_remote_or_the_option() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    support::trees::copy(&reference(HELM_EXAMPLE), dir.path());
    std::fs::create_dir_all(dir.path().join(".git")).expect(".git");
    std::fs::write(
        dir.path().join(".git/config"),
        "[core]\n\tbare = false\n[remote \"upstream\"]\n\turl = https://example.com/other.git\n\
         [remote \"origin\"]\n\turl = git@github.com:example/fleet.git\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n",
    )
    .expect("config");
    let from_origin = loaded("origin", &imported(dir.path()));
    assert_eq!(from_origin.repository.url, "ssh://git@github.com/example/fleet.git");
    let options = ImportOptions {
        repository_url: Some("https://github.com/example/given".to_owned()),
        ..ImportOptions::default()
    };
    let given = fluxgen_core::import(&scanned(dir.path()), &options).expect("imported");
    assert_eq!(
        loaded("given", &given).repository.url,
        "https://github.com/example/given"
    );
    // Without either, a stand-in no host answers, and a warning says to set it.
    let stand_in = imported(&reference(HELM_EXAMPLE));
    assert!(stand_in.text.contains("url: ssh://git@git.invalid/set-repository-url"));
    assert!(
        stand_in
            .report
            .to_string()
            .contains("set the URL the clusters sync from")
    );
    // It loads while no cluster syncs, and is refused from phase `instance` on.
    let syncing = stand_in.text.replacen("phase: prepare", "phase: instance", 1);
    let refused = Config::from_yaml(&syncing, Origin::BuiltIn).expect_err("refused");
    assert!(
        refused
            .to_string()
            .contains("repository.url: `ssh://git@git.invalid/set-repository-url` is the stand-in"),
        "{refused}"
    );
}
