//! A cluster whose bootstrap install runs Flux more than one minor below its
//! `distribution.version`: `doctor` reports `upgrade-path` and `plan` lists the minor-by-minor
//! path with what each step changes that the repository uses (API versions the step's CRDs no
//! longer serve, strict substitution in 2.9, gates the step's controllers ignore).

#[allow(dead_code)]
mod support;

use std::fs;
use std::path::Path;

use fluxgen_core::doctor::Code;
use fluxgen_core::{Config, ImportOptions, Origin, runbook};

/// The single-cluster repository (Flux v2.5.1, a `flux-manifests` OCIRepository at v1beta2),
/// with a helm-controller gate patch and an image-reflector-controller flag patch added,
/// imported, and pinned to `version`.
fn repository(version: &str) -> (tempfile::TempDir, Config) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/repos/single-cluster");
    support::trees::copy(&from, dir.path());
    let file = dir.path().join("kubernetes/flux/config/flux.yaml");
    let text = fs::read_to_string(&file).expect("the flux Kustomization");
    let gate = "    - patch: |\n        - op: add\n          path: /spec/template/spec/containers/0/args/-\n          \
                value: --feature-gates=AdoptLegacyReleases=false\n      target:\n        kind: Deployment\n        \
                name: helm-controller\n    - patch: |\n        - op: add\n          path: /spec/template/spec/containers/0/args/-\n          \
                value: --aws-autologin-for-ecr=true\n      target:\n        kind: Deployment\n        \
                name: image-reflector-controller\n";
    let at = text.find("  patches:\n").expect("patches") + "  patches:\n".len();
    fs::write(&file, format!("{}{gate}{}", &text[..at], &text[at..])).expect("writing");
    let scanned = fluxgen_core::scan(dir.path()).expect("a scan");
    let imported = fluxgen_core::import(&scanned, &ImportOptions::default()).expect("an import");
    assert!(imported.text.contains("version: 2.5.x"), "{}", imported.text);
    let mut config = Config::from_yaml(&imported.text, Origin::BuiltIn).unwrap_or_else(|e| panic!("{e}"));
    let settings = &mut config.clusters.get_mut("main").expect("main").settings;
    // The target as the user would set it; the gate the repository still sets is its concern
    // (the config refuses it from 2.8, the path names the step where it stops working).
    settings.instance.distribution.version = version.to_owned();
    settings.tuning.feature_gates.clear();
    (dir, config)
}

#[test]
fn three_minors_ahead_gets_the_path_with_what_each_step_changes() {
    let (dir, config) = repository("2.8.x");
    let scanned = fluxgen_core::scan(dir.path()).expect("a scan");
    let report = fluxgen_core::doctor::diagnose(&scanned, Some(&config));
    let found: Vec<_> = report.findings.iter().filter(|f| f.code == Code::UpgradePath).collect();
    assert_eq!(found.len(), 1, "{:#?}", report.findings);
    let finding = found[0];
    assert_eq!(finding.file, "kubernetes/bootstrap/flux/kustomization.yaml");
    assert!(
        finding.what.contains("runs Flux v2.5.1") && finding.what.contains("3 minors at once"),
        "{}",
        finding.what
    );

    let plan = runbook(&config, "main", dir.path()).unwrap_or_else(|e| panic!("{e}"));
    let section = &plan[plan.find("## Upgrade Flux one minor at a time").expect("the section")..];
    let steps: Vec<&str> = section.lines().filter(|l| l.starts_with(char::is_numeric)).collect();
    assert_eq!(
        steps,
        [
            "1. 2.5 → v2.6.4: nothing this repository uses changes.",
            "2. 2.6 → v2.7.5:",
            "3. 2.7 → v2.8.8:",
        ]
    );
    // image-reflector-controller v1.0.0 (Flux 2.7) removed the auto-login flags.
    let second = &section[section.find("2. 2.6 → v2.7.5:").expect("step 2")..section.find("3. 2.7").expect("step 3")];
    assert!(
        second.contains(
            "the patches pass `--aws-autologin-for-ecr` to image-reflector-controller, which would refuse to start"
        ),
        "{second}"
    );
    // Flux 2.8 serves OCIRepository v1 only; helm-controller v1.5.0 ignores AdoptLegacyReleases.
    let last = &section[section.find("3. 2.7 → v2.8.8:").expect("step 3")..];
    assert!(
        last.contains("OCIRepository `flux-manifests` (kubernetes/flux/config/flux.yaml:3) uses source.toolkit.fluxcd.io/v1beta2, which Flux v2.8.8 no longer serves"),
        "{last}"
    );
    assert!(
        last.contains("the patches set `AdoptLegacyReleases` on helm-controller: helm-controller ignores"),
        "{last}"
    );
}

#[test]
fn strict_substitution_is_named_on_the_step_to_2_9() {
    let (dir, config) = repository("2.9.x");
    let plan = runbook(&config, "main", dir.path()).unwrap_or_else(|e| panic!("{e}"));
    let step = &plan[plan.find("4. 2.8 → v2.9.4:").expect("a fourth step")..];
    assert!(step.contains("turns `StrictPostBuildSubstitutions` on"), "{step}");
}

#[test]
fn one_minor_ahead_is_no_finding() {
    let (dir, config) = repository("2.6.x");
    let scanned = fluxgen_core::scan(dir.path()).expect("a scan");
    let report = fluxgen_core::doctor::diagnose(&scanned, Some(&config));
    assert!(report.findings.iter().all(|f| f.code != Code::UpgradePath));
    let plan = runbook(&config, "main", dir.path()).unwrap_or_else(|e| panic!("{e}"));
    assert!(!plan.contains("Upgrade Flux one minor at a time"));
}

/// The Flux a cluster runs is read from the `flux-manifests` OCIRepository its own Kustomization
/// applies from: one of the same name elsewhere in the repository (another cluster's, older) is
/// not this cluster's.
#[test]
fn another_clusters_flux_manifests_of_the_same_name_is_not_read() {
    let (dir, config) = repository("2.6.x");
    let elsewhere = dir.path().join("aaa-staging/flux");
    fs::create_dir_all(&elsewhere).expect("a directory");
    fs::write(
        elsewhere.join("flux-manifests.yaml"),
        "apiVersion: source.toolkit.fluxcd.io/v1beta2\nkind: OCIRepository\nmetadata:\n  name: flux-manifests\n  \
         namespace: flux-system\nspec:\n  interval: 10m\n  url: oci://ghcr.io/fluxcd/flux-manifests\n  ref:\n    \
         tag: v2.3.0\n",
    )
    .expect("writing");
    let scanned = fluxgen_core::scan(dir.path()).expect("a scan");
    assert_eq!(
        scanned.oci_repositories[0].tag.as_deref(),
        Some("v2.3.0"),
        "the other one is read first"
    );
    let report = fluxgen_core::doctor::diagnose(&scanned, Some(&config));
    let upgrade: Vec<_> = report.findings.iter().filter(|f| f.code == Code::UpgradePath).collect();
    assert!(upgrade.is_empty(), "main runs 2.5.1, one minor below 2.6: {upgrade:?}");
}
