//! `doctor` and `plan` on the layout `flux bootstrap` writes, following the Flux Operator's
//! migration guide (flux-operator `docs/guides/operator/operator-migration.md`): the state the
//! guide describes (the operator and the FluxInstance committed beside the gotk files), built at
//! test time from d1-fleet's real "before" (`e101c93`) and the FluxInstance of its real "after"
//! (`4354616`); what the FluxInstance changes from the bootstrap; and one plan snapshot per phase.

#[allow(dead_code)]
mod support;

use std::fs;
use std::path::{Path, PathBuf};

use fluxgen_core::doctor::{Code, Report};
use fluxgen_core::{Config, Origin, Phase, Severity};

const CLUSTERS: [&str; 3] = ["staging", "prod-eu", "prod-us"];

fn d1(commit: &str) -> PathBuf {
    support::shared_dir()
        .join("refs-flux-bootstrap")
        .join(format!("controlplaneio-fluxcd__d1-fleet@{commit}"))
}

/// d1-fleet before its migration, in a temporary directory.
fn before() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    support::trees::copy(&d1("e101c93"), &root);
    (dir, root)
}

/// Adds `entry` to the `resources` of a kustomization.yaml.
fn list(file: &Path, entry: &str) {
    let text = fs::read_to_string(file).unwrap();
    assert!(text.contains("resources:\n"), "{}", file.display());
    fs::write(
        file,
        text.replacen("resources:\n", &format!("resources:\n  - {entry}\n"), 1),
    )
    .unwrap();
}

/// The guide's state: each cluster's FluxInstance and operator (d1-fleet's own, from its
/// migration commit) committed in `flux-system/` beside the gotk files, and listed there.
fn guide_state(root: &Path) {
    for cluster in CLUSTERS {
        let after = d1("4354616").join(format!("clusters/{cluster}/flux-system"));
        let dir = root.join(format!("clusters/{cluster}/flux-system"));
        for file in ["flux-instance.yaml", "flux-operator.yaml"] {
            fs::copy(after.join(file), dir.join(file)).unwrap();
            list(&dir.join("kustomization.yaml"), file);
        }
    }
}

/// The config `fluxgen import` writes for d1-fleet before its migration, every cluster at
/// `phase`.
fn imported(root: &Path, phase: Phase) -> Config {
    let repository = fluxgen_core::scan(root).unwrap();
    let imported = fluxgen_core::import(&repository, &fluxgen_core::ImportOptions::default()).unwrap();
    let text = imported.text.replace("phase: prepare", &format!("phase: {phase}"));
    Config::from_yaml(&text, Origin::File(root.join("fluxgen.yaml"))).unwrap()
}

fn codes(report: &Report, severity: Option<Severity>) -> Vec<(String, Code)> {
    report
        .findings
        .iter()
        .filter(|f| severity.is_none_or(|s| f.severity == s))
        .map(|f| (f.cluster.clone().unwrap_or_default(), f.code))
        .collect()
}

#[test]
fn the_guide_state_is_one_adopted_root_with_or_without_fluxgen_yaml() {
    let (_dir, root) = before();
    let config = imported(&root, Phase::Instance);
    guide_state(&root);
    for config in [None, Some(&config)] {
        let report = fluxgen_core::doctor(&root, config).unwrap();
        let all = codes(&report, None);
        for code in [
            Code::SyncPathOverlap,
            Code::SyncRepointsRoot,
            Code::RootNames,
            Code::RootPrune,
            Code::DoubleManagedControllers,
            Code::CrdManagers,
        ] {
            assert!(
                !all.iter().any(|(_, c)| *c == code),
                "{code} with config {}:\n{}",
                config.is_some(),
                report.to_text(false)
            );
        }
        // The adopted Kustomization and the sync that adopts it are never named as two.
        for finding in &report.findings {
            assert!(
                !finding.what.contains("`flux-system` and `flux-system`"),
                "{}: {}",
                finding.code,
                finding.what
            );
        }
        for cluster in CLUSTERS {
            let summary = report
                .clusters
                .iter()
                .find(|c| c.name.as_deref() == Some(cluster))
                .unwrap();
            assert_eq!(summary.phase, Some(Phase::Instance), "{cluster}");
            // "gotk files still present: remove at cutover", never an error before cutover.
            let cleanup: Vec<_> = report
                .findings
                .iter()
                .filter(|f| f.cluster.as_deref() == Some(cluster) && f.code == Code::BootstrapCleanup)
                .collect();
            assert_eq!(cleanup.len(), 1, "{cluster}:\n{}", report.to_text(false));
            assert_eq!(cleanup[0].severity, Severity::Info);
            assert!(
                cleanup[0]
                    .what
                    .starts_with("gotk files still present: remove at cutover")
            );
            // d1-fleet's FluxInstance adds source-watcher: said, not an error.
            assert!(
                report.findings.iter().any(|f| f.cluster.as_deref() == Some(cluster)
                    && f.code == Code::BootstrapDrift
                    && f.severity == Severity::Info
                    && f.what.contains("`source-watcher`")),
                "{cluster}:\n{}",
                report.to_text(false)
            );
        }
        // The one error of the migration half: d1-fleet's production FluxInstances sync
        // `refs/heads/production`, where the bootstrap followed `main` (a real change of its
        // migration commit, adopted in place).
        let drift_errors: Vec<(String, String)> = report
            .findings
            .iter()
            .filter(|f| {
                f.severity == Severity::Error && matches!(f.code, Code::BootstrapCleanup | Code::BootstrapDrift)
            })
            .map(|f| (f.cluster.clone().unwrap_or_default(), f.what.clone()))
            .collect();
        // The committed FluxInstance is judged, with or without fluxgen.yaml.
        assert_eq!(drift_errors.len(), 2, "{drift_errors:#?}");
        for (cluster, what) in &drift_errors {
            assert!(cluster.starts_with("prod-"), "{cluster}: {what}");
            assert!(
                what.contains("follows `refs/heads/main`") && what.contains("`refs/heads/production`"),
                "{what}"
            );
        }
    }
    // At cutover the gotk files still being there is an error, once per cluster.
    let at_cutover = imported(&d1("e101c93"), Phase::Cutover);
    let report = fluxgen_core::doctor(&root, Some(&at_cutover)).unwrap();
    let errors = codes(&report, Some(Severity::Error));
    for cluster in CLUSTERS {
        assert!(
            errors.contains(&(cluster.to_owned(), Code::BootstrapCleanup)),
            "{cluster}:\n{}",
            report.to_text(false)
        );
    }
    assert!(
        !errors
            .iter()
            .any(|(_, c)| *c == Code::SyncPathOverlap || *c == Code::RootPrune)
    );
}

/// Rewrites staging's FluxInstance.
fn edit_instance(root: &Path, from: &str, to: &str) {
    let file = root.join("clusters/staging/flux-system/flux-instance.yaml");
    let text = fs::read_to_string(&file).unwrap();
    assert!(text.contains(from), "{from}");
    fs::write(&file, text.replace(from, to)).unwrap();
}

fn staging_drift(root: &Path) -> Vec<(Severity, String)> {
    let report = fluxgen_core::doctor(root, None).unwrap();
    report
        .findings
        .iter()
        .filter(|f| f.cluster.as_deref() == Some("staging") && f.code == Code::BootstrapDrift)
        .map(|f| (f.severity, f.what.clone()))
        .collect()
}

#[test]
fn what_the_flux_instance_changes_from_the_bootstrap_is_reported() {
    let (_dir, root) = before();
    guide_state(&root);
    let images = "    - image-reflector-controller\n    - image-automation-controller\n";
    edit_instance(&root, images, "");
    let dropped = staging_drift(&root);
    assert!(
        dropped
            .iter()
            .any(|(s, w)| *s == Severity::Warning && w.contains("`image-reflector-controller`")),
        "{dropped:?}"
    );
    // With image objects in the cluster, dropping their controllers deletes them: an error.
    fs::write(
        root.join("clusters/staging/image-policy.yaml"),
        "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata:\n  name: app\n  namespace: apps\n\
         spec:\n  imageRepositoryRef:\n    name: app\n  policy:\n    semver:\n      range: 1.x\n",
    )
    .unwrap();
    let with_objects = staging_drift(&root);
    assert!(
        with_objects
            .iter()
            .any(|(s, w)| *s == Severity::Error && w.contains("image.toolkit.fluxcd.io objects exist")),
        "{with_objects:?}"
    );
    fs::remove_file(root.join("clusters/staging/image-policy.yaml")).unwrap();
    edit_instance(
        &root,
        "    - source-watcher\n",
        &format!("{images}    - source-watcher\n"),
    );
    assert!(
        staging_drift(&root).iter().all(|(s, _)| *s == Severity::Info),
        "{:?}",
        staging_drift(&root)
    );
    // NetworkPolicies, the branch and the fetch interval.
    edit_instance(&root, "networkPolicy: true", "networkPolicy: false");
    edit_instance(
        &root,
        "ref: \"refs/heads/main\"",
        "ref: \"refs/heads/next\"\n    interval: 5m",
    );
    let changed = staging_drift(&root);
    for (severity, needle) in [
        (Severity::Warning, "NetworkPolicies"),
        (Severity::Error, "syncs `refs/heads/next`"),
        (Severity::Info, "fetches every 5m"),
    ] {
        assert!(
            changed.iter().any(|(s, w)| *s == severity && w.contains(needle)),
            "{needle}: {changed:?}"
        );
    }
}

#[test]
fn a_path_kustomization_listing_a_flux_system_the_cutover_deletes_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/doctor/bootstrap-cleanup/clean");
    support::trees::copy(&fixture, root);
    fs::write(
        root.join("clusters/dev/kustomization.yaml"),
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - flux-system\n",
    )
    .unwrap();
    let report = fluxgen_core::doctor(root, None).unwrap();
    let finding = report
        .findings
        .iter()
        .find(|f| f.code == Code::BootstrapCleanup)
        .unwrap_or_else(|| panic!("{}", report.to_text(false)));
    assert_eq!(finding.file, "clusters/dev/kustomization.yaml");
    assert_eq!(finding.line, Some(4));
    assert!(
        finding.what.contains("deletes `clusters/dev/flux-system/` whole"),
        "{}",
        finding.what
    );
    // With fluxgen's apps written inside `flux-system/`, it stays: nothing to report.
    let config = Config::from_yaml(
        "repository:\n  url: ssh://git@github.com/example/fleet\ndefaults:\n  path: clusters/{cluster}/flux-system\n  \
         instance:\n    sync:\n      path: clusters/{cluster}\nclusters:\n  dev:\n    phase: prepare\n",
        Origin::File(root.join("fluxgen.yaml")),
    )
    .unwrap();
    let report = fluxgen_core::doctor(root, Some(&config)).unwrap();
    assert!(
        !report.findings.iter().any(|f| f.code == Code::BootstrapCleanup),
        "{}",
        report.to_text(false)
    );
    let steps = fluxgen_core::runbook_findings(&config, "dev", root).unwrap().cutover;
    assert_eq!(
        steps.deletes,
        [
            "clusters/dev/flux-system/gotk-components.yaml",
            "clusters/dev/flux-system/gotk-sync.yaml"
        ]
    );
    assert_eq!(steps.unlists.len(), 2);
}

#[test]
fn plan_of_a_flux_bootstrap_cluster_at_every_phase() {
    let (_dir, root) = before();
    let base = imported(&root, Phase::Prepare);
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../snapshots/plan"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    let phases = [
        Phase::Prepare,
        Phase::Operator,
        Phase::Instance,
        Phase::Cutover,
        Phase::Complete,
    ];
    for (index, phase) in phases.into_iter().enumerate() {
        let mut config = base.clone();
        config.clusters.get_mut("staging").unwrap().phase = phase;
        let text = fluxgen_core::runbook(&config, "staging", &root).unwrap();
        // Nothing of the GOTK-era layouts, and never a `<path>/kustomization.yaml`.
        for absent in ["bootstrap/flux", "flux/config", "resources: []", "git mv", "dedicated"] {
            assert!(!text.contains(absent), "{phase}: `{absent}` in\n{text}");
        }
        settings.bind(|| insta::assert_snapshot!(format!("bootstrap-d1-staging-{index}-{phase}"), text));
        // Do what the runbook says before the next phase.
        let findings = fluxgen_core::runbook_findings(&config, "staging", &root).unwrap();
        let tree = fluxgen_core::plan(&config, "staging").unwrap();
        fluxgen_core::write(&[(root.join(&tree.root), tree.clone())]).unwrap();
        for entry in &tree.index.entries {
            let file = root.join(&tree.root).join("kustomization.yaml");
            if !fs::read_to_string(&file).unwrap().contains(entry.as_str()) {
                list(&file, entry);
            }
        }
        if phase == Phase::Cutover {
            for (file, entry) in &findings.cutover.unlists {
                let text = fs::read_to_string(root.join(file)).unwrap();
                fs::write(root.join(file), text.replace(&format!("  - {entry}\n"), "")).unwrap();
            }
            for file in &findings.cutover.deletes {
                fs::remove_file(root.join(file)).unwrap();
            }
        }
    }
}
