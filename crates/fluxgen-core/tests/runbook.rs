//! `fluxgen plan`: the built-in example's `edge` at every phase, checked against a small
//! GOTK-era repository (`tests/repos/haynes-ops`), one snapshot per phase.

use std::path::{Path, PathBuf};

use fluxgen_core::{Config, LoadOptions, Origin, runbook};

const PHASES: [&str; 5] = ["prepare", "operator", "instance", "cutover", "complete"];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/repos/haynes-ops")
}

/// The built-in example with `edge` at `phase` (main stays at prepare, so later phases of
/// edge are in rollout order).
fn example_at(phase: &str) -> Config {
    let text = fluxgen_core::config::EXAMPLE_CONFIG
        .replace("edge:\n    phase: instance", &format!("edge:\n    phase: {phase}"));
    assert!(text.contains(&format!("phase: {phase}")));
    Config::from_yaml_with(&text, Origin::BuiltIn, &LoadOptions::default()).unwrap()
}

#[test]
fn plan_of_edge_at_every_phase() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../snapshots/plan"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| {
        for (index, phase) in PHASES.iter().enumerate() {
            let text = runbook(&example_at(phase), "edge", &repo()).unwrap();
            insta::assert_snapshot!(format!("edge-{index}-{phase}"), text);
        }
    });
}

#[test]
fn each_runbook_is_concrete_to_the_repository() {
    let prepare = runbook(&example_at("prepare"), "edge", &repo()).unwrap();
    // The current install and the objects that manage the controllers, by their real paths.
    assert!(
        prepare.contains("`kubernetes/edge/bootstrap/flux/kustomization.yaml`"),
        "{prepare}"
    );
    assert!(prepare.contains("`kubernetes/edge/flux/config/flux.yaml`"), "{prepare}");
    // The External Secrets baseline is met on edge, and the SOPS vars are seen.
    assert!(
        prepare.contains("found in `kubernetes/edge/apps/external-secrets/onepassword/app/clustersecretstore.yaml`")
    );
    assert!(prepare.contains("kubernetes/edge/flux/vars/cluster-secrets.sops.yaml"));
    // The sync name equals the existing root GitRepository.
    assert!(prepare.contains("equals the existing root GitRepository"), "{prepare}");
    // No overlap: the sync path is a dedicated directory.
    assert!(!prepare.contains("Two owners"), "{prepare}");

    let operator = runbook(&example_at("operator"), "edge", &repo()).unwrap();
    assert!(
        operator.contains("   - ./flux-operator/ks.yaml"),
        "the missing index line is named:\n{operator}"
    );
    assert!(operator.contains("`kubernetes/edge/apps/flux-system/flux-operator/app/helmrelease.yaml`"));

    let cutover = runbook(&example_at("cutover"), "edge", &repo()).unwrap();
    let disable = cutover.find("prune: false").expect("prune is disabled first");
    let delete = cutover
        .find("In the same commit, delete")
        .expect("then files are deleted");
    assert!(disable < delete, "{cutover}");
    for path in [
        "kubernetes/edge/bootstrap/flux/kustomization.yaml",
        "kubernetes/edge/flux/config/flux.yaml",
    ] {
        assert!(cutover.contains(path), "{path} is deleted at cutover:\n{cutover}");
    }

    let instance = runbook(&example_at("instance"), "edge", &repo()).unwrap();
    let suspend = instance
        .find("fluxcd.controlplane.io/reconcile")
        .expect("the rollback suspends the instance");
    let revert = instance.find("Revert the commit").expect("then reverts");
    let ssa = instance
        .find("kustomize.toolkit.fluxcd.io/ssa: Ignore")
        .expect("and removes the ssa annotations");
    assert!(suspend < revert && revert < ssa, "{instance}");
    // The revert leaves the prune-protected HelmRelease: it is deleted explicitly, then both
    // annotations come off, then the bootstrap install goes back over the operator's fields.
    let delete = instance
        .find("delete helmrelease flux-instance")
        .expect("deletes the flux-instance HelmRelease");
    let prune = instance
        .find("kustomize.toolkit.fluxcd.io/prune: Disabled")
        .expect("and removes the prune annotations");
    let reapply = instance
        .find("apply --server-side --force-conflicts -k kubernetes/edge/bootstrap/flux")
        .expect("re-applies with --force-conflicts");
    assert!(
        revert < delete && delete < ssa && ssa < prune && prune < reapply,
        "{instance}"
    );
    assert!(instance.contains("kustomize.toolkit.fluxcd.io/ssa- kustomize.toolkit.fluxcd.io/prune-"));
    // After cutover: what stays in the cluster, and `flux trace` of the sync.
    assert!(cutover.contains("delete kustomization flux;") && cutover.contains("delete ocirepository flux-manifests"));
    assert!(cutover.contains("delete networkpolicy allow-egress allow-scraping allow-webhooks"));
    assert!(cutover.contains("trace kustomization flux-system"));
    assert!(instance.contains("```mermaid"));

    // Nothing from an encrypted file is ever printed.
    for text in [&prepare, &operator, &instance, &cutover] {
        assert!(!text.contains("ZmFrZS1maXh0dXJlLXZhbHVl") && !text.contains("ENC["));
    }
}

#[test]
fn a_sync_path_inside_the_old_root_is_called_out() {
    let text = fluxgen_core::config::EXAMPLE_CONFIG.replace(
        "path: kubernetes/{cluster}/sync",
        "path: kubernetes/{cluster}/flux/cluster",
    );
    let config = Config::from_yaml(&text, Origin::BuiltIn).unwrap();
    let plan = runbook(&config, "edge", &repo()).unwrap();
    assert!(
        plan.contains("**Two owners: the sync path `kubernetes/edge/flux/cluster` overlaps `kubernetes/edge/flux`"),
        "{plan}"
    );
}

#[test]
fn without_the_repository_the_checks_are_skipped_and_said_so() {
    let plan = runbook(&Config::example(), "edge", Path::new("/nonexistent")).unwrap();
    assert!(plan.contains("could not find `kubernetes/edge/`"), "{plan}");
}

/// The runbook lists a cluster's app files as they are at phase `instance`, even when that
/// phase would lead the rollout: `main` at `operator` behind `edge` at `operator` still gets its
/// operator files listed (the listing once planned a config the rules of a file refuse, and
/// listed nothing).
#[test]
fn the_runbook_lists_the_operator_files_of_a_cluster_behind_the_edge() {
    let text = fluxgen_core::config::EXAMPLE_CONFIG
        .replace("edge:\n    phase: instance", "edge:\n    phase: operator")
        .replace("main:\n    phase: prepare", "main:\n    phase: operator");
    assert_eq!(text.matches("phase: operator").count(), 2, "{text}");
    let config = Config::from_yaml(&text, Origin::BuiltIn).unwrap();
    let runbook = runbook(&config, "main", &repo()).unwrap();
    let ks = config.clusters["main"].settings.path.clone() + "/flux-operator/ks.yaml";
    assert!(runbook.contains(&format!("`{ks}`")), "{runbook}");
}
