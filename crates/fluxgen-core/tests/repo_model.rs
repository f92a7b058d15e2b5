//! One repository model: `import`, `plan` and `doctor` read the same clusters, roots and sync
//! decision, on the layouts of `tests/repos/` (each `CASE.md` says what was wrong before and
//! what must hold). One test per failure the repository-model issue reported, and one per shape.

#[allow(dead_code)]
mod support;

use std::fs;
use std::path::{Path, PathBuf};

use fluxgen_core::doctor::{Code, Report};
use fluxgen_core::{Config, Error, ImportOptions, Origin, Phase, Severity};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/repos").join(name)
}

/// A copy of a fixture repository, to change.
fn copy(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    support::trees::copy(&fixture(name), &root);
    (dir, root)
}

/// What `fluxgen import` writes for a repository, loaded.
fn imported(root: &Path) -> (Config, String) {
    let repository = fluxgen_core::scan(root).unwrap();
    let imported = fluxgen_core::import(&repository, &ImportOptions::default())
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()));
    let config = Config::from_yaml(&imported.text, Origin::File(root.join("fluxgen.yaml")))
        .unwrap_or_else(|e| panic!("{}: the imported config does not load: {e}", root.display()));
    (config, imported.report.to_string())
}

fn doctor(root: &Path, config: Option<&Config>) -> Report {
    fluxgen_core::doctor(root, config).unwrap()
}

/// `(severity, code, file)` of every finding of a cluster.
fn findings_of(report: &Report, cluster: &str) -> Vec<(Severity, Code, String)> {
    report
        .findings
        .iter()
        .filter(|f| f.cluster.as_deref() == Some(cluster))
        .map(|f| (f.severity, f.code, f.file.clone()))
        .collect()
}

/// `config` with one cluster moved to `phase`, ahead of the rollout as a user may move one with
/// `--allow-out-of-order` (the options the config is then checked with, and used under).
fn with_phase(config: &Config, cluster: &str, phase: Phase) -> Config {
    let mut config = config.clone();
    config.clusters.get_mut(cluster).unwrap().phase = phase;
    let options = fluxgen_core::LoadOptions {
        allow_out_of_order: true,
    };
    config.validate_with(&options).unwrap_or_else(|e| panic!("{e}"));
    config
}

#[test]
fn import_puts_the_sync_outside_what_the_old_root_applies_and_plan_and_doctor_agree() {
    let (_dir, root) = copy("flux-dir-root");
    let (config, _) = imported(&root);
    for cluster in ["main", "storage"] {
        let sync = &config.clusters[cluster].settings.instance.sync;
        assert_eq!(sync.name, "home-kubernetes");
        assert_eq!(sync.path, format!("kubernetes/{cluster}/sync"));
        for phase in [Phase::Prepare, Phase::Operator, Phase::Instance] {
            let at = with_phase(&config, cluster, phase);
            let plan = fluxgen_core::runbook(&at, cluster, &root).unwrap();
            assert!(!plan.contains("Two owners"), "{cluster} at {phase}:\n{plan}");
        }
    }
    // Following the instance step (an empty kustomization.yaml in the sync directory) leaves
    // doctor with no overlap and no error.
    let at = with_phase(&config, "main", Phase::Instance);
    let sync = root.join("kubernetes/main/sync");
    fs::create_dir_all(&sync).unwrap();
    fs::write(
        sync.join("kustomization.yaml"),
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n",
    )
    .unwrap();
    let tree = fluxgen_core::plan(&at, "main").unwrap();
    fluxgen_core::write(&[(root.join(&tree.root), tree)]).unwrap();
    let report = doctor(&root, Some(&at));
    let main = findings_of(&report, "main");
    assert!(
        !main.iter().any(|(_, code, _)| *code == Code::SyncPathOverlap),
        "{main:?}"
    );
    assert!(
        !main.iter().any(|(severity, ..)| *severity == Severity::Error),
        "{main:?}"
    );
}

#[test]
fn a_sync_inside_the_old_root_is_two_owners_in_plan_and_doctor_and_both_suggest_the_same_directory() {
    let (_dir, root) = copy("flux-dir-root");
    let (config, _) = imported(&root);
    let mut config = with_phase(&config, "main", Phase::Instance);
    config.clusters.get_mut("main").unwrap().settings.instance.sync.path = "kubernetes/main/flux/cluster".to_owned();
    let plan = fluxgen_core::runbook(&config, "main", &root).unwrap();
    assert!(plan.contains("Two owners"), "{plan}");
    // doctor says so too, before the directory exists: one rule for both.
    let before = doctor(&root, Some(&config));
    assert!(
        before
            .findings
            .iter()
            .any(|f| f.code == Code::SyncPathOverlap && f.cluster.as_deref() == Some("main")),
        "{:?}",
        findings_of(&before, "main")
    );
    // Following it anyway: doctor calls the same overlap an error, and its fix is the
    // dedicated directory beside `flux/`, never one inside it.
    let dir = root.join("kubernetes/main/flux/cluster");
    fs::create_dir_all(&dir).unwrap();
    fs::write(
        dir.join("kustomization.yaml"),
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n",
    )
    .unwrap();
    let report = doctor(&root, Some(&config));
    let overlap = report
        .findings
        .iter()
        .find(|f| f.code == Code::SyncPathOverlap && f.cluster.as_deref() == Some("main"))
        .expect("a sync-path-overlap finding");
    assert_eq!(overlap.severity, Severity::Error);
    assert!(
        overlap.fix.contains("`kubernetes/main/sync`") || overlap.fix.contains("kustomization.yaml"),
        "{}",
        overlap.fix
    );
    assert!(
        !overlap.fix.contains("flux/cluster/sync") && !overlap.fix.contains("flux/sync"),
        "{}",
        overlap.fix
    );
}

#[test]
fn dangling_references_are_judged_per_cluster() {
    let report = doctor(&fixture("partial-dangling"), None);
    let dangling: Vec<String> = report
        .findings
        .iter()
        .filter(|f| f.cluster.as_deref() == Some("edge") && f.code == Code::RootNames && f.severity == Severity::Error)
        .map(|f| f.file.clone())
        .collect();
    assert_eq!(
        dangling,
        [
            "kubernetes/edge/apps/default/echo-server/ks.yaml",
            "kubernetes/edge/apps/default/whoami/ks.yaml",
            "kubernetes/edge/apps/kube-system/coredns/ks.yaml",
            "kubernetes/edge/apps/kube-system/metrics-server/ks.yaml",
            "kubernetes/edge/apps/kube-system/reloader/ks.yaml",
            "kubernetes/edge/apps/kube-system/spegel/ks.yaml",
        ]
    );
    assert!(report.has_errors());
    assert!(
        !findings_of(&report, "main")
            .iter()
            .any(|(severity, ..)| *severity == Severity::Error),
        "{:?}",
        findings_of(&report, "main")
    );
}

#[test]
fn a_bootstrap_install_at_the_repository_root_belongs_to_the_only_cluster() {
    let root = fixture("root-bootstrap");
    let (config, report) = imported(&root);
    assert_eq!(config.clusters.keys().collect::<Vec<_>>(), ["main"]);
    let main = &config.clusters["main"].settings;
    assert_eq!(main.path, "kubernetes/main/apps/flux-system");
    assert_eq!(main.instance.sync.path, "kubernetes/main/sync");
    assert!(!report.contains("single-cluster layout"), "{report}");
    // doctor gives the root install to `main`: at cutover it must be gone.
    let at = with_phase(&config, "main", Phase::Cutover);
    let doctor = doctor(&root, Some(&at));
    assert!(
        findings_of(&doctor, "main").contains(&(
            Severity::Error,
            Code::DoubleManagedControllers,
            "bootstrap/flux/kustomization.yaml".to_owned()
        )),
        "{:?}",
        findings_of(&doctor, "main")
    );
    let findings = fluxgen_core::runbook_findings(&at, "main", &root).unwrap();
    assert!(
        findings
            .cutover
            .deletes
            .contains(&"bootstrap/flux/kustomization.yaml".to_owned())
    );
}

#[test]
fn a_migrated_repository_shows_what_was_left_behind() {
    let root = fixture("migrated-leftovers");
    let config = Config::from_yaml(
        &fs::read_to_string(root.join("fluxgen.yaml")).unwrap(),
        Origin::File(root.join("fluxgen.yaml")),
    )
    .unwrap();
    for config in [Some(&config), None] {
        let report = doctor(&root, config);
        let main = findings_of(&report, "main");
        for expected in [
            (Code::DoubleManagedControllers, "bootstrap/flux/kustomization.yaml"),
            (
                Code::MissingTarget,
                "kubernetes/main/apps/flux-system/webhooks/app/receiver.yaml",
            ),
            (
                Code::SopsWithoutDecryption,
                "kubernetes/main/apps/network/cloudflared/ks.yaml",
            ),
        ] {
            assert!(
                main.iter().any(|(_, code, file)| (*code, file.as_str()) == expected),
                "{expected:?} in {main:?}"
            );
        }
        assert!(!main.iter().any(|(_, code, _)| *code == Code::Sequencing), "{main:?}");
        assert!(
            !main.iter().any(|(_, code, _)| *code == Code::SopsOnSyncPath),
            "{main:?}"
        );
        // Without fluxgen.yaml the leftover install is a second manager, not a finished migration.
        if config.is_none() {
            assert_eq!(
                report.clusters[0].phase,
                Some(Phase::Instance),
                "{:?}",
                report.clusters[0]
            );
        }
    }
    let plan = fluxgen_core::runbook(&config, "main", &root).unwrap();
    assert!(
        plan.contains("Not done yet") && plan.contains("`bootstrap/flux/kustomization.yaml`"),
        "{plan}"
    );
}

#[test]
fn a_sync_that_would_repoint_the_root_named_flux_system_is_refused_and_the_safe_plan_offered() {
    let root = fixture("root-named-flux-system");
    let config_file = root.join("fluxgen.yaml");
    let config = Config::from_yaml(&fs::read_to_string(&config_file).unwrap(), Origin::File(config_file)).unwrap();
    // plan and emit (check_sync) refuse, with the reason and the fix.
    let refused = fluxgen_core::runbook(&config, "main", &root).unwrap_err();
    let Error::SyncRepointsRoot(repointed) = &refused else {
        panic!("{refused}");
    };
    assert_eq!(repointed.name, "flux-system");
    assert_eq!(repointed.file, "kubernetes/main/flux/config/cluster.yaml");
    assert_eq!(
        (repointed.from.as_str(), repointed.to.as_str()),
        ("kubernetes/main/flux", "kubernetes/main/sync")
    );
    assert!(
        repointed.lost.contains(&"Kustomization cluster-apps".to_owned()),
        "{:?}",
        repointed.lost
    );
    assert!(
        refused.to_string().contains("instance.sync.path: kubernetes/main/flux"),
        "{refused}"
    );
    for phase in [
        Phase::Prepare,
        Phase::Operator,
        Phase::Instance,
        Phase::Cutover,
        Phase::Complete,
    ] {
        let at = with_phase(&config, "main", phase);
        assert!(
            matches!(
                fluxgen_core::scan::check_sync(&at, &["main".to_owned()], &root),
                Err(Error::SyncRepointsRoot(_))
            ),
            "{phase}"
        );
    }
    // doctor says the same, as an error.
    let report = doctor(&root, Some(&config));
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.code == Code::SyncRepointsRoot && f.severity == Severity::Error && f.file == "fluxgen.yaml"),
        "{:?}",
        findings_of(&report, "main")
    );
    // import never writes that trap: it adopts the root where it is, and that config passes.
    let (safe, _) = imported(&root);
    let sync = &safe.clusters["main"].settings.instance.sync;
    assert_eq!(
        (sync.name.as_str(), sync.path.as_str()),
        ("flux-system", "kubernetes/main/flux")
    );
    let safe = with_phase(&safe, "main", Phase::Instance);
    fluxgen_core::scan::check_sync(&safe, &["main".to_owned()], &root).unwrap();
    let plan = fluxgen_core::runbook(&safe, "main", &root).unwrap();
    assert!(
        plan.contains("Nothing moves: the sync `flux-system` adopts the existing Kustomization"),
        "{plan}"
    );
    assert!(!plan.contains("resources: []"), "{plan}");
    // Once emitted, the ownership graph draws the adopted Kustomization once.
    let (_dir, copied) = copy("root-named-flux-system");
    let tree = fluxgen_core::plan(&safe, "main").unwrap();
    fluxgen_core::write(&[(copied.join(&tree.root), tree)]).unwrap();
    let report = doctor(&copied, Some(&safe));
    let mermaid = report.graph.mermaid();
    assert_eq!(mermaid.matches("Kustomization flux-system").count(), 1, "{mermaid}");
}

#[test]
fn a_single_cluster_layout_is_named_main_by_doctor_and_import_alike() {
    let root = fixture("single-cluster");
    let (config, report) = imported(&root);
    assert_eq!(config.clusters.keys().collect::<Vec<_>>(), ["main"]);
    assert!(report.contains("the cluster is named `main`"), "{report}");
    let main = &config.clusters["main"].settings;
    assert_eq!(main.path, "kubernetes/apps/flux-system");
    assert_eq!(main.instance.sync.path, "kubernetes/sync");
    let doctor = doctor(&root, None);
    assert_eq!(doctor.clusters.len(), 1);
    assert_eq!(doctor.clusters[0].name.as_deref(), Some("main"));
    assert!(
        doctor.clusters[0].phase_reason.contains("names no cluster"),
        "{:?}",
        doctor.clusters[0]
    );
}

#[test]
fn shared_directories_belong_to_every_cluster_and_their_roots_move_at_cutover() {
    let root = fixture("shared-dirs");
    let report = doctor(&root, None);
    assert!(!report.has_errors(), "{:?}", report.findings);
    let (config, _) = imported(&root);
    for cluster in ["main", "utility"] {
        let at = with_phase(&config, cluster, Phase::Cutover);
        let findings = fluxgen_core::runbook_findings(&at, cluster, &root).unwrap();
        assert!(
            findings
                .cutover
                .extracts
                .iter()
                .any(|(name, _)| name == "cluster-shared"),
            "{cluster}: {:?}",
            findings.cutover
        );
        assert!(
            findings
                .cutover
                .sync_resources
                .contains(&"./cluster-shared.yaml".to_owned()),
            "{cluster}: {:?}",
            findings.cutover
        );
    }
}

#[test]
fn a_half_migrated_repository_gets_a_phase_per_cluster_and_no_cross_cluster_finding() {
    let root = fixture("half-migrated");
    let report = doctor(&root, None);
    let phases: Vec<(Option<String>, Option<Phase>)> =
        report.clusters.iter().map(|c| (c.name.clone(), c.phase)).collect();
    assert_eq!(
        phases,
        [
            (Some("main".to_owned()), Some(Phase::Complete)),
            (Some("network".to_owned()), Some(Phase::Prepare))
        ]
    );
    assert!(
        findings_of(&report, "main").is_empty(),
        "{:?}",
        findings_of(&report, "main")
    );
    let (config, _) = imported(&root);
    assert_eq!(
        config.clusters["main"].settings.instance.sync.path,
        "kubernetes/main/flux/cluster"
    );
    assert_eq!(
        config.clusters["network"].settings.instance.sync.path,
        "kubernetes/network/sync"
    );
}

#[test]
fn a_source_on_another_branch_of_the_same_url_is_not_the_local_tree() {
    let dir = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| write_file(dir.path(), path, text);
    write(
        "clusters/staging/flux-system/gotk-sync.yaml",
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\n\
         metadata: {name: flux-system, namespace: flux-system}\n\
         spec: {url: https://github.com/example/fleet, ref: {branch: main}}\n---\n\
         apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n\
         metadata: {name: flux-system, namespace: flux-system}\n\
         spec: {path: ./clusters/staging, sourceRef: {kind: GitRepository, name: flux-system}}\n",
    );
    // A tenant's sync: the same URL on the tenant's branch, applying that branch's root.
    write(
        "clusters/staging/tenant.yaml",
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\n\
         metadata: {name: dev-team, namespace: apps}\n\
         spec: {url: https://github.com/example/fleet.git, ref: {branch: dev-team}}\n---\n\
         apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n\
         metadata: {name: dev-team, namespace: apps}\n\
         spec: {path: ./, sourceRef: {kind: GitRepository, name: dev-team}}\n",
    );
    let report = doctor(dir.path(), None);
    assert!(
        !report.findings.iter().any(|f| f.code == Code::AppliedTwice),
        "the tenant's branch is read as this tree: {:?}",
        report.findings
    );
    let mermaid = report.graph.mermaid();
    assert!(!mermaid.contains("Kustomization dev-team<br/>./"), "{mermaid}");
}

/// Writes `text` to `root/path`, creating its directory.
fn write_file(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

/// A root Kustomization `flux-system` in a single-cluster layout (`kubernetes/flux`), and a
/// config whose paths assume `kubernetes/<cluster>/`: no cluster directory holds the root.
fn single_cluster_root_named_flux_system() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| write_file(dir.path(), path, text);
    write(
        "kubernetes/flux/config/cluster.yaml",
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n\
         metadata: {name: flux-system, namespace: flux-system}\n\
         spec: {path: ./kubernetes/flux, prune: true, sourceRef: {kind: GitRepository, name: flux-system}}\n",
    );
    write(
        "kubernetes/flux/apps.yaml",
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n\
         metadata: {name: cluster-apps, namespace: flux-system}\n\
         spec: {path: ./kubernetes/apps, prune: true, sourceRef: {kind: GitRepository, name: flux-system}}\n",
    );
    write(
        "fluxgen.yaml",
        "repository: { url: ssh://git@github.com/example/home-ops, branch: main }\n\
         clusters: { main: { phase: instance } }\n",
    );
    dir
}

#[test]
fn a_root_outside_every_cluster_directory_is_still_adopted_and_guarded() {
    let dir = single_cluster_root_named_flux_system();
    let file = dir.path().join("fluxgen.yaml");
    let config = Config::from_yaml(&fs::read_to_string(&file).unwrap(), Origin::File(file)).unwrap();
    assert!(matches!(
        fluxgen_core::scan::check_sync(&config, &["main".to_owned()], dir.path()),
        Err(Error::SyncRepointsRoot(_))
    ));
    let report = doctor(dir.path(), Some(&config));
    assert!(
        report.findings.iter().any(|f| f.code == Code::SyncRepointsRoot),
        "{:?}",
        report.findings
    );
}

#[test]
fn a_root_whose_path_cannot_be_read_is_only_safe_adopted_where_it_is() {
    let dir = tempfile::tempdir().unwrap();
    // The root `flux-system` applies a path this copy does not hold: what it applies there
    // cannot be compared with the sync's path, so pointing it elsewhere is refused.
    let config_dir = dir.path().join("kubernetes/main/flux/config");
    fs::create_dir_all(&config_dir).unwrap();
    fs::write(
        config_dir.join("cluster.yaml"),
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n\
         metadata: {name: flux-system, namespace: flux-system}\n\
         spec: {path: ./kubernetes/main/cluster, prune: true, sourceRef: {kind: GitRepository, name: flux-system}}\n",
    )
    .unwrap();
    let text = "repository: { url: ssh://git@github.com/example/home-ops, branch: main }\n\
                clusters: { main: { phase: instance } }\n";
    let origin = Origin::File(dir.path().join("fluxgen.yaml"));
    let config = Config::from_yaml(text, origin.clone()).unwrap();
    let refused = fluxgen_core::scan::check_sync(&config, &["main".to_owned()], dir.path());
    let Err(Error::SyncRepointsRoot(repointed)) = refused else {
        panic!("{refused:?}");
    };
    assert!(repointed.lost[0].contains("cannot read"), "{:?}", repointed.lost);
    // Adopted where it is, it is accepted.
    let text = text.replace(
        "phase: instance",
        "phase: instance, instance: { sync: { path: kubernetes/main/cluster } }",
    );
    let config = Config::from_yaml(&text, origin).unwrap();
    fluxgen_core::scan::check_sync(&config, &["main".to_owned()], dir.path()).unwrap();
}

#[test]
fn a_bootstrap_install_at_the_root_of_a_multi_cluster_repository_is_every_clusters_until_the_last_cutover() {
    let (_dir, root) = copy("root-bootstrap");
    // A second cluster `edge`, laid out like `main`.
    support::trees::copy(&root.join("kubernetes/main"), &root.join("kubernetes/edge"));
    let mut pending = vec![root.join("kubernetes/edge")];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let text = fs::read_to_string(&path).unwrap();
                fs::write(&path, text.replace("kubernetes/main", "kubernetes/edge")).unwrap();
            }
        }
    }
    let (config, _) = imported(&root);
    assert_eq!(config.clusters.keys().collect::<Vec<_>>(), ["edge", "main"]);
    let install = "bootstrap/flux/kustomization.yaml".to_owned();
    // `main` at cutover, `edge` still on the install: it stays, for `edge`.
    let at = with_phase(&with_phase(&config, "main", Phase::Cutover), "edge", Phase::Prepare);
    let report = doctor(&root, Some(&at));
    assert!(
        !findings_of(&report, "main").contains(&(Severity::Error, Code::DoubleManagedControllers, install.clone())),
        "{:?}",
        findings_of(&report, "main")
    );
    let findings = fluxgen_core::runbook_findings(&at, "main", &root).unwrap();
    assert!(!findings.cutover.deletes.contains(&install), "{:?}", findings.cutover);
    assert_eq!(
        findings.bootstrap_kept,
        Some((install.clone(), vec!["edge".to_owned()]))
    );
    let plan = fluxgen_core::runbook(&at, "main", &root).unwrap();
    assert!(
        plan.contains("Keep `bootstrap/flux/kustomization.yaml`: the clusters edge still install from it"),
        "{plan}"
    );
    // Both past cutover: it is a Flux install left in each.
    let at = with_phase(&at, "edge", Phase::Cutover);
    let report = doctor(&root, Some(&at));
    for cluster in ["edge", "main"] {
        assert!(
            findings_of(&report, cluster).contains(&(Severity::Error, Code::DoubleManagedControllers, install.clone())),
            "{cluster}: {:?}",
            findings_of(&report, cluster)
        );
    }
    let findings = fluxgen_core::runbook_findings(&at, "main", &root).unwrap();
    assert!(findings.cutover.deletes.contains(&install), "{:?}", findings.cutover);
}

#[test]
fn the_test_repositories_hold_no_copy_of_the_reference_repositories() {
    use std::collections::BTreeMap;
    // Every non-empty file below `dir`, by its bytes.
    fn files(dir: &Path, into: &mut BTreeMap<Vec<u8>, PathBuf>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                files(&path, into);
            } else if let Ok(bytes) = fs::read(&path)
                && !bytes.is_empty()
            {
                into.entry(bytes).or_insert(path);
            }
        }
    }
    let mut reference = BTreeMap::new();
    for set in ["refs", "refs-flux-bootstrap"] {
        files(&support::shared_dir().join(set), &mut reference);
    }
    let mut ours = BTreeMap::new();
    files(&fixture(""), &mut ours);
    let copies: Vec<String> = ours
        .iter()
        .filter_map(|(bytes, path)| Some(format!("{} = {}", path.display(), reference.get(bytes)?.display())))
        .collect();
    assert!(
        copies.is_empty(),
        "read these from ../shared instead:\n{}",
        copies.join("\n")
    );
}
