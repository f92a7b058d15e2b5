//! `import` on the GOTK-era reference repositories of `$FLUXGEN_SHARED/refs/`:
//!
//! - the written `fluxgen.yaml` and the report are snapshot (`snapshots/import/`);
//! - the config loads, with the expected clusters and phases;
//! - every cluster, set to phase `instance`, emits a tree whose objects pass their CRD
//!   schemas and chart value schemas (`support::schema`) and whose kustomizations build with
//!   `kubectl kustomize` (`support::kubectl`);
//! - each controller's effective settings under the FluxInstance's patches equal what the
//!   repository's own patches (bootstrap kustomization, `flux` Kustomization, or the existing
//!   FluxInstance) produce on the same Flux v2.9.4 Deployments: arguments folded last-one-wins
//!   with feature gates accumulated, resources, volumes, and the rest of the pod spec.

#[allow(dead_code)]
mod support;

use std::collections::BTreeMap;
use std::path::Path;

use fluxgen_core::scan::ScannedRepository;
use fluxgen_core::{Component, Config, ImportOptions, Imported, Origin, Phase, objects::KustomizePatch, plan};
use serde_json::Value;
use support::flux;
use support::schema::Crds;
use support::{document, kind_and_name};

/// The repositories, with their clusters and the phase import gives each.
const REPOS: [(&str, &[(&str, Phase)]); 4] = [
    (
        "onedr0p__home-ops@aadf263",
        &[("main", Phase::Prepare), ("storage", Phase::Prepare)],
    ),
    (
        "szinn__k8s-homelab@f8b22a4",
        &[("main", Phase::Prepare), ("staging", Phase::Prepare)],
    ),
    ("haraldkoch__kochhaus-home@ca268bc", &[("main", Phase::Prepare)]),
    (
        "haraldkoch__kochhaus-home@9b46c64",
        &[("main", Phase::Complete), ("network", Phase::Prepare)],
    ),
];

fn imported(name: &str) -> (ScannedRepository, Imported) {
    let dir = support::shared_dir().join("refs").join(name);
    let repository = fluxgen_core::scan(&dir).unwrap_or_else(|e| panic!("scanning {}: {e}", dir.display()));
    let imported =
        fluxgen_core::import(&repository, &ImportOptions::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
    (repository, imported)
}

fn load(name: &str, imported: &Imported) -> Config {
    Config::from_yaml(&imported.text, Origin::BuiltIn)
        .unwrap_or_else(|e| panic!("{name}: the config does not load:\n{e}"))
}

#[test]
fn snapshots_of_each_import() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../snapshots/import"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| {
        for (name, _) in REPOS {
            let (_, imported) = imported(name);
            insta::assert_snapshot!(
                name.replace('@', "-"),
                format!("--- fluxgen.yaml\n{}\n--- report\n{}", imported.text, imported.report)
            );
        }
    });
}

#[test]
fn each_config_loads_with_its_clusters_and_phases() {
    for (name, clusters) in REPOS {
        let (_, imported) = imported(name);
        let config = load(name, &imported);
        let found: Vec<(&str, Phase)> = config.clusters.values().map(|c| (c.name.as_str(), c.phase)).collect();
        assert_eq!(found, clusters.to_vec(), "{name}");
        // Edge first: `main` is never first unless it is already further along.
        if config.rollout.len() > 1 {
            let first = &config.clusters[&config.rollout[0]];
            assert!(
                first.name != "main" || first.phase > Phase::Prepare,
                "{name}: {:?}",
                config.rollout
            );
        }
        // Importing twice gives the same bytes.
        assert_eq!(imported.text, self::imported(name).1.text, "{name}");
        // The written layers (`defaults`, each cluster's entry) load back to the typed settings
        // import decided: the sparse layer loses nothing.
        for (cluster, decided) in &imported.config.clusters {
            assert_eq!(config.clusters[cluster].settings, decided.settings, "{name}: {cluster}");
        }
    }
}

#[test]
fn what_import_keeps_of_each_repository() {
    let (_, onedr0p) = imported("onedr0p__home-ops@aadf263");
    let config = load("onedr0p", &onedr0p);
    assert_eq!(config.repository.url, "ssh://git@github.com/onedr0p/home-ops");
    assert_eq!(config.repository.reference, "refs/heads/main");
    assert_eq!(config.repository.pull_secret.as_deref(), Some("github-deploy-key"));
    assert_eq!(config.rollout, ["storage", "main"]);
    let main = &config.clusters["main"].settings;
    assert_eq!(main.instance.distribution.version, "2.3.x");
    assert_eq!(main.instance.sync.name, "home-kubernetes");
    // A dedicated directory beside `kubernetes/main/flux`, which the root `cluster` applies.
    assert_eq!(main.instance.sync.path, "kubernetes/main/sync");
    assert_eq!(main.instance.sync.interval.as_str(), "30m");
    assert_eq!(main.apps.source_name.as_deref(), Some("home-kubernetes"));
    assert_eq!(main.instance.cluster.network_policy, Some(false));
    assert_eq!(main.path, "kubernetes/main/apps/flux-system");
    assert_eq!(main.tuning.in_memory_builds, Some(true));
    assert!(main.tuning.patches.is_empty(), "every onedr0p patch has a typed key");
    let sync = main
        .tuning
        .sync_kustomization
        .as_ref()
        .expect("the root's decryption and postBuild");
    assert_eq!(sync.decryption_secret.as_deref(), Some("sops-age"));
    assert_eq!(sync.substitute_from.len(), 2);
    let report = onedr0p.report.to_string();
    for needle in [
        "the rename of ClusterRole crd-controller to `crd-controller-flux-system`",
        "Receiver `home-ops`",
        "has `spec.ignore`",
        "refuses to downgrade",
        "components: source-, kustomize-, helm- and notification-controller",
    ] {
        assert!(
            report.contains(needle),
            "the onedr0p report lacks `{needle}`:\n{report}"
        );
    }

    let (_, szinn) = imported("szinn__k8s-homelab@f8b22a4");
    let config = load("szinn", &szinn);
    let staging = &config.clusters["staging"].settings;
    assert_eq!(staging.instance.sync.path, "kubernetes/staging/sync");
    assert_eq!(staging.instance.distribution.version, "2.4.x");
    assert_eq!(
        staging.tuning.feature_gates[&Component::HelmController],
        BTreeMap::from([("CorrectDrift".to_owned(), false), ("DetectDrift".to_owned(), true)])
    );
    // CRD and ClusterRole patches are kept verbatim.
    assert_eq!(staging.tuning.patches.len(), 3);
    assert!(config.clusters["main"].settings.tuning.oom_watch.is_some());
    assert!(staging.tuning.oom_watch.is_none(), "staging has no near-OOM detection");

    let (_, migrated) = imported("haraldkoch__kochhaus-home@9b46c64");
    let config = load("9b46c64", &migrated);
    assert_eq!(config.rollout, ["main", "network"]);
    let main = &config.clusters["main"].settings;
    assert_eq!(main.instance.sync.path, "kubernetes/main/flux/cluster");
    let report = migrated.report.to_string();
    assert!(
        report.contains("already migrated: a FluxInstance is defined here; phase `complete`"),
        "{report}"
    );
    assert!(report.contains("kubernetes/main/apps/flux-system/flux-operator/instance/helmrelease.yaml:3"));
}

/// Every file of a planned tree, with the namespace kustomization where fluxgen writes one.
fn planned_files(config: &Config, cluster: &str) -> BTreeMap<String, String> {
    let tree = plan(config, cluster).unwrap_or_else(|e| panic!("{cluster}: {e}"));
    let mut files = tree.files;
    if !tree.index.entries.is_empty() {
        files
            .entry(fluxgen_core::emit::IndexFile::PATH.to_owned())
            .or_insert(tree.index.content);
    }
    files
}

/// The config with every cluster at phase `instance`.
fn at_instance(config: &Config) -> Config {
    let mut config = config.clone();
    for cluster in config.clusters.values_mut() {
        cluster.phase = Phase::Instance;
    }
    config
}

#[test]
fn every_cluster_at_phase_instance_emits_valid_objects() {
    let crds = Crds::load();
    let kubectl = flux::kubectl();
    let mut failures = Vec::new();
    let mut checked = 0;
    for (name, _) in REPOS {
        let (_, imported) = imported(name);
        let config = at_instance(&load(name, &imported));
        for cluster in config.clusters.keys() {
            let files = planned_files(&config, cluster);
            let (found, count) =
                support::schema::invalid_files(&format!("{name}/{cluster}"), &files, &crds, kubectl.as_deref());
            failures.extend(found);
            checked += count;
        }
    }
    assert!(failures.is_empty(), "invalid objects:\n\n{}", failures.join("\n\n"));
    assert!(checked > 40, "{checked} objects checked");
}

/// The controller patches the repository itself applies to a cluster: its FluxInstance's
/// where it has one, else the bootstrap kustomization's then the `flux` Kustomization's, in
/// that order (found here by path, independently of import).
fn gotk_patches(repository: &ScannedRepository, cluster: &str) -> Vec<KustomizePatch> {
    // `kubernetes/<cluster>/`, or `kubernetes/` in a single-cluster repository.
    let dir = if repository.root.join("kubernetes").join(cluster).is_dir() {
        format!("kubernetes/{cluster}/")
    } else {
        "kubernetes/".to_owned()
    };
    if let Some(instance) = repository.flux_instances.iter().find(|i| i.at.file.starts_with(&dir)) {
        return instance.patches.iter().map(|p| p.to_kustomize()).collect();
    }
    let bootstrap = repository
        .bootstrap_installs
        .iter()
        .filter(|b| b.at.file.starts_with(&dir))
        .flat_map(|b| &b.patches);
    let flux = repository
        .flux_manifest_kustomizations()
        .into_iter()
        .filter(|(k, _)| k.at.file.starts_with(&dir))
        .flat_map(|(k, _)| &k.patches);
    bootstrap.chain(flux).map(|p| p.to_kustomize()).collect()
}

/// The FluxInstance patches fluxgen emits for a cluster (from the planned HelmRelease).
fn fluxgen_patches(config: &Config, cluster: &str) -> Vec<KustomizePatch> {
    flux::emitted_patches(&planned_files(&at_instance(config), cluster))
}

/// Differences fluxgen makes on purpose: (repository, cluster, controller, what), each with a
/// reason. Empty: on these repositories fluxgen reproduces every controller setting.
const INTENTIONAL: &[(&str, &str, &str, &str, &str)] = &[];

/// Every controller whose effective settings under fluxgen's patches differ from those under
/// the repository's own, other than the [`INTENTIONAL`] ones; and how many were compared.
fn differences(name: &str, repository: &ScannedRepository, config: &Config) -> (Vec<String>, usize) {
    let manifests = flux::manifests();
    let mut differences = Vec::new();
    let mut compared = 0;
    for (cluster, settings) in &config.clusters {
        let theirs = gotk_patches(repository, cluster);
        assert!(!theirs.is_empty(), "{name}/{cluster}: no controller patches found");
        let ours = fluxgen_patches(config, cluster);
        let components = settings
            .settings
            .instance
            .components
            .clone()
            .unwrap_or(Component::DEFAULTS.to_vec());
        for component in components {
            let deployment = &manifests[&component].deployment;
            let before = flux::settled(deployment, &theirs).unwrap_or_else(|e| panic!("{name}/{cluster}: theirs: {e}"));
            let after = flux::settled(deployment, &ours).unwrap_or_else(|e| panic!("{name}/{cluster}: fluxgen's: {e}"));
            compared += 1;
            let intentional = INTENTIONAL
                .iter()
                .any(|(r, c, k, _, _)| *r == name && c == cluster && *k == component.as_str());
            if before != after && !intentional {
                differences.push(format!(
                    "{name}/{cluster}/{component}:\n  GOTK:    {before:?}\n  fluxgen: {after:?}"
                ));
            }
        }
    }
    (differences, compared)
}

#[test]
fn effective_controller_settings_equal_the_gotk_patches() {
    let mut all = Vec::new();
    let mut compared = 0;
    for (name, _) in REPOS {
        let (repository, imported) = imported(name);
        let (found, count) = differences(name, &repository, &load(name, &imported));
        all.extend(found);
        compared += count;
    }
    assert!(all.is_empty(), "effective settings differ:\n\n{}", all.join("\n\n"));
    assert_eq!(compared, 7 * 4, "four controllers of seven clusters");
}

/// A GOTK repository whose `flux` Kustomization sets flags twice, partly, and with flags
/// fluxgen has no key for. It installs Flux 2.8, the first minor whose controllers have every
/// gate and flag it sets (`DefaultToRetryOnFailure` from helm-controller v1.5.0,
/// `--sops-age-secret` and `--watch-configs-label-selector` from 2.7), but the deliberately
/// unknown `NotAGate`.
const TANGLED_FLUX: &str = r#"---
apiVersion: source.toolkit.fluxcd.io/v1beta2
kind: OCIRepository
metadata: {name: flux-manifests, namespace: flux-system}
spec: {interval: 10m, url: oci://ghcr.io/fluxcd/flux-manifests, ref: {tag: v2.8.8}}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: flux, namespace: flux-system}
spec:
  interval: 10m
  path: ./
  prune: true
  sourceRef: {kind: OCIRepository, name: flux-manifests}
  patches:
    - patch: |
        - op: add
          path: /spec/template/spec/containers/0/args/-
          value: --concurrent=10
        - op: add
          path: /spec/template/spec/containers/0/args/-
          value: --requeue-dependency=5s
        - op: add
          path: /spec/template/spec/containers/0/args/-
          value: --no-such-typed-key=1
      target: {kind: Deployment, name: (kustomize-controller|helm-controller|source-controller)}
    - patch: |
        - op: add
          path: /spec/template/spec/containers/0/args/-
          value: --concurrent=20
        - op: add
          path: /spec/template/spec/containers/0/args/-
          value: --kube-api-qps=100
      target: {kind: Deployment, name: kustomize-controller}
    - patch: |
        - op: add
          path: /spec/template/spec/containers/0/args/-
          value: --feature-gates=DefaultToRetryOnFailure=true,NotAGate=true
        - op: add
          path: /spec/template/spec/containers/0/args/-
          value: --feature-gates=DefaultToRetryOnFailure=false,DisableChartDigestTracking=true
        - op: add
          path: /spec/template/spec/containers/0/args/-
          value: --oom-watch-interval=1s
      target: {kind: Deployment, name: helm-controller}
    - patch: |
        - op: add
          path: /spec/template/spec/containers/0/args/-
          value: --helm-cache-max-size=10
        - op: add
          path: /spec/template/spec/containers/0/args/-
          value: --helm-cache-ttl=60m
        - op: add
          path: /spec/template/spec/containers/0/args/-
          value: --helm-cache-purge-interval=5m
      target: {kind: Deployment, name: source-controller}
    - patch: |
        - op: add
          path: /spec/template/spec/containers/0/args/-
          value: --watch-configs-label-selector=owner!=helm
        - op: add
          path: /spec/template/spec/containers/0/args/-
          value: --log-level=debug
      target: {kind: Deployment, name: (kustomize-controller|helm-controller)}
    - patch: |
        - op: add
          path: /spec/template/spec/containers/0/args/-
          value: --sops-age-secret=sops-age
      target: {kind: Deployment, name: kustomize-controller}
    - patch: |
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: source-controller}
        spec:
          template:
            spec:
              containers:
                - name: manager
                  resources:
                    requests: {cpu: 300m, memory: 512Mi}
                    limits: {memory: 1Gi}
    - patch: |
        - op: add
          path: /spec/template/spec/containers/0/args/-
          value: --concurrent=6
      target: {kind: Deployment, name: image-reflector-controller}
"#;

const TANGLED_CLUSTER: &str = r#"---
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: flux-system, namespace: flux-system}
spec: {interval: 1h, url: "https://github.com/example/tangled", ref: {tag: v1.2.3}}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: cluster, namespace: flux-system}
spec:
  interval: 1h
  path: ./kubernetes/flux
  prune: false
  sourceRef: {kind: GitRepository, name: flux-system}
  postBuild:
    substitute: {CLUSTER: tangled}
"#;

#[test]
fn a_tangled_repository_keeps_the_last_values_and_the_effect() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let files = [
        (
            "kubernetes/bootstrap/kustomization.yaml",
            "resources: [\"https://github.com/fluxcd/flux2/releases/download/v2.8.8/install.yaml\"]\n",
        ),
        ("kubernetes/flux/config/flux.yaml", TANGLED_FLUX),
        ("kubernetes/flux/config/cluster.yaml", TANGLED_CLUSTER),
    ];
    let files: BTreeMap<String, String> = files.iter().map(|(p, t)| ((*p).to_owned(), (*t).to_owned())).collect();
    support::trees::write(&files, dir.path());
    let repository = fluxgen_core::scan(dir.path()).expect("a scan");
    let options = ImportOptions {
        single_cluster_name: "tangled".to_owned(),
        ..ImportOptions::default()
    };
    let imported = fluxgen_core::import(&repository, &options).expect("an import");
    let config = load("tangled", &imported);
    let cluster = &config.clusters["tangled"];
    assert_eq!(config.repository.reference, "refs/tags/v1.2.3");
    assert_eq!(cluster.settings.path, "kubernetes/apps/flux-system");
    assert_eq!(cluster.settings.instance.sync.path, "kubernetes/sync");
    assert_eq!(cluster.settings.instance.distribution.version, "2.8.x");
    let tuning = &cluster.settings.tuning;
    assert_eq!(
        tuning.workers,
        Some(fluxgen_core::config::PerController::Each(BTreeMap::from([
            (Component::SourceController, 10),
            (Component::KustomizeController, 20),
            (Component::HelmController, 10),
        ])))
    );
    assert_eq!(
        tuning.feature_gates[&Component::HelmController],
        BTreeMap::from([
            ("DefaultToRetryOnFailure".to_owned(), false),
            ("DisableChartDigestTracking".to_owned(), true)
        ])
    );
    assert!(tuning.helm_cache.is_some() && tuning.sops_age_secret.is_some() && tuning.watch_configs_selector.is_some());
    assert!(tuning.resources.contains_key(&Component::SourceController));
    // Where fluxgen has no key, raw patches keep the effect.
    let raw: Vec<&str> = tuning.patches.iter().map(|p| p.patch.as_str()).collect();
    assert!(raw.iter().any(|p| p.contains("--kube-api-qps=100")), "{raw:?}");
    assert!(raw.iter().any(|p| p.contains("--oom-watch-interval=1s")), "{raw:?}");
    assert!(raw.iter().any(|p| p.contains("--no-such-typed-key=1")), "{raw:?}");
    assert!(raw.iter().any(|p| p.contains("/spec/prune")), "{raw:?}");
    assert!(raw.iter().any(|p| p.contains("CLUSTER: tangled")), "{raw:?}");
    let report = imported.report.to_string();
    for needle in [
        "`--concurrent` is set 2 times on kustomize-controller: 10 (kubernetes/flux/config/flux.yaml:16), then 20 \
         (kubernetes/flux/config/flux.yaml:27); the last one wins, so import keeps 20",
        "the feature gate `DefaultToRetryOnFailure` is set 2 times on helm-controller",
        "the feature gate `NotAGate=true` on helm-controller: Flux 2.9's helm-controller does not know it",
        "a patch of image-reflector-controller only",
        "single-cluster layout (`kubernetes/` names no cluster): the cluster is named `tangled`",
    ] {
        assert!(report.contains(needle), "the report lacks `{needle}`:\n{report}");
    }
    // The effect is the same, except the unknown gate, which Flux 2.9 would refuse to start on.
    let (found, compared) = differences("tangled", &repository, &config);
    assert_eq!(compared, 4);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("tangled/tangled/helm-controller") && found[0].contains("\"NotAGate\": \"true\""));
}

#[test]
fn the_effective_settings_are_the_tuned_ones() {
    // A spot check that the comparison above compares something: onedr0p's main cluster.
    let manifests = flux::manifests();
    let (_, imported) = imported("onedr0p__home-ops@aadf263");
    let config = load("onedr0p", &imported);
    let ours = fluxgen_patches(&config, "main");
    let (kustomize, _) = flux::settled(&manifests[&Component::KustomizeController].deployment, &ours).unwrap();
    assert_eq!(kustomize.args["--concurrent"], "12");
    assert_eq!(kustomize.args["--kube-api-qps"], "500");
    assert_eq!(kustomize.resources["limits"]["memory"], "2Gi");
    assert_eq!(kustomize.volumes[0]["emptyDir"]["medium"], "Memory");
    let (helm, _) = flux::settled(&manifests[&Component::HelmController].deployment, &ours).unwrap();
    assert_eq!(helm.gates["OOMWatch"], "true");
    assert_eq!(helm.args["--oom-watch-memory-threshold"], "95");
    let (notification, _) = flux::settled(&manifests[&Component::NotificationController].deployment, &ours).unwrap();
    assert!(!notification.args.contains_key("--concurrent"));
}

/// Raw patches of other kinds are kept verbatim, so they must still apply to what the
/// FluxInstance installs; those that do not are named with the reason, and the report warns.
#[test]
fn raw_patches_of_other_kinds_on_the_flux_2_9_manifests() {
    let dir = support::shared_dir().join("flux-manifests/v2.9.4");
    let mut objects = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("the manifests") {
        let path = entry.expect("an entry").path();
        let text = std::fs::read_to_string(&path).expect("a manifest");
        objects.extend(support::documents(&text).expect("YAML"));
    }
    // The operator names cluster-wide objects `<name>-<namespace>`.
    for object in &mut objects {
        if matches!(object["kind"].as_str(), Some("ClusterRole" | "ClusterRoleBinding")) {
            let name = format!(
                "{}-flux-system",
                object["metadata"]["name"].as_str().unwrap_or_default()
            );
            object["metadata"]["name"] = Value::String(name);
        }
    }
    let (_, szinn) = imported("szinn__k8s-homelab@f8b22a4");
    let config = load("szinn", &szinn);
    let mut outcome = Vec::new();
    for (cluster, settings) in &config.clusters {
        for raw in settings
            .settings
            .tuning
            .patches
            .iter()
            .filter(|p| p.target.kind.as_deref() != Some("Deployment"))
        {
            let patch = raw.to_patch();
            let results: Vec<Result<bool, String>> = objects
                .iter()
                .map(|o| {
                    let mut o = o.clone();
                    patch.apply_to(&mut o).map_err(|e| e.to_string())
                })
                .collect();
            let applied = results.iter().filter(|r| matches!(r, Ok(true))).count();
            let failed = results.iter().any(Result::is_err);
            let (kind, name) = (
                raw.target.kind.clone().unwrap_or_default(),
                raw.target.name.clone().unwrap_or_default(),
            );
            outcome.push((cluster.clone(), kind, name, applied, failed));
        }
    }
    let expected = [
        // main's Alert patch names `versions/2`: Flux 2.9's Alert CRD serves v1beta3 only (index
        // 0), so the operator would fail on it; the report warns about CRD patches by index.
        (
            "main",
            "CustomResourceDefinition",
            "alerts.notification.toolkit.fluxcd.io",
            0,
            true,
        ),
        (
            "main",
            "CustomResourceDefinition",
            "receivers.notification.toolkit.fluxcd.io",
            1,
            false,
        ),
        ("main", "ClusterRole", "crd-controller-flux-system", 1, false),
        (
            "staging",
            "CustomResourceDefinition",
            "alerts.notification.toolkit.fluxcd.io",
            1,
            false,
        ),
        // staging's Receiver patch names `versions/1`: Flux 2.9 serves v1 only.
        (
            "staging",
            "CustomResourceDefinition",
            "receivers.notification.toolkit.fluxcd.io",
            0,
            true,
        ),
        ("staging", "ClusterRole", "crd-controller-flux-system", 1, false),
    ];
    let expected: Vec<(String, String, String, usize, bool)> = expected
        .iter()
        .map(|(c, k, n, a, f)| ((*c).to_owned(), (*k).to_owned(), (*n).to_owned(), *a, *f))
        .collect();
    assert_eq!(outcome, expected);
    let report = szinn.report.to_string();
    assert!(report.contains("edits a Flux CRD by position"), "{report}");
}

#[test]
fn a_names_and_kinds_check() {
    // Every planned object names its kind; guards the helpers above against empty trees.
    let (_, imported) = imported("haraldkoch__kochhaus-home@ca268bc");
    let config = at_instance(&load("ca268bc", &imported));
    let files = planned_files(&config, "main");
    let kinds: Vec<(String, String)> = files
        .values()
        .map(|text| kind_and_name(&document(text).expect("YAML")))
        .collect();
    assert!(kinds.contains(&("HelmRelease".to_owned(), "flux-instance".to_owned())));
}

#[test]
fn a_migrated_repository_with_clusters_under_kubernetes_clusters_keeps_its_paths() {
    // joryirving/home-ops: `kubernetes/clusters/<c>` holds each FluxInstance and `cluster-apps`,
    // which applies `kubernetes/apps/<c>`: the app path is under the latter, the sync the
    // FluxInstance's own, and the three clusters stay three.
    let (_, imported) = imported("joryirving__home-ops");
    let config = load("joryirving", &imported);
    assert_eq!(config.clusters.keys().collect::<Vec<_>>(), ["main", "test", "utility"]);
    for (name, cluster) in &config.clusters {
        assert_eq!(cluster.phase, fluxgen_core::Phase::Complete);
        assert_eq!(cluster.settings.path, format!("kubernetes/apps/{name}/flux-system"));
        assert_eq!(
            cluster.settings.instance.sync.path,
            format!("kubernetes/clusters/{name}")
        );
    }
}
