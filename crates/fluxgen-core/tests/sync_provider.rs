//! `instance.sync.provider` and `instance.cluster.objectLevelWorkloadIdentity`: `import` keeps
//! a GitRepository's `spec.provider`, the emitted FluxInstance carries it and passes the
//! FluxInstance CRD's schema and its CEL rules (evaluated by a real CEL evaluator,
//! `support::cel`), and the values the CRD refuses for a GitRepository sync are refused in the
//! config with the CRD's own message.

#[allow(dead_code)]
mod support;

use std::fs;

use fluxgen_core::config::{InstanceMode, SyncProvider};
use fluxgen_core::{Config, ImportOptions, Origin, Phase, plan};
use serde_json::{Value, json};
use support::schema::{Checked, Crds};

const FLUXINSTANCE_CRD: &str = "fluxinstances.fluxcd.controlplane.io.yaml";

/// The single-cluster test repository with `provider: github` on its root GitRepository.
fn github_app_repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let from = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/repos/single-cluster");
    support::trees::copy(&from, dir.path());
    let file = dir.path().join("kubernetes/flux/config/cluster.yaml");
    let text = fs::read_to_string(&file).expect("the GitRepository file");
    let with_provider = text.replacen(
        "  interval: 30m\n  url:",
        "  interval: 30m\n  provider: github\n  url:",
        1,
    );
    assert_ne!(text, with_provider, "the GitRepository gets a provider");
    fs::write(&file, with_provider).expect("writing the GitRepository");
    dir
}

/// The FluxInstance of a cluster's tree, in manifest mode.
fn flux_instance(config: &Config, cluster: &str) -> Value {
    let tree = plan(config, cluster).unwrap_or_else(|e| panic!("{e}"));
    tree.files
        .values()
        .flat_map(|text| support::documents(text).expect("emitted YAML parses"))
        .find(|d| d["kind"] == "FluxInstance")
        .expect("a FluxInstance in manifest mode")
}

#[test]
fn import_keeps_a_github_app_provider_and_the_flux_instance_passes_the_crd() {
    let repo = github_app_repository();
    let repository = fluxgen_core::scan(repo.path()).expect("a scan");
    let imported = fluxgen_core::import(&repository, &ImportOptions::default()).expect("an import");
    assert!(
        imported.text.contains("provider: github"),
        "the written config keeps the provider:\n{}",
        imported.text
    );
    let mut config = Config::from_yaml(&imported.text, Origin::BuiltIn).unwrap_or_else(|e| panic!("{e}"));
    let cluster = config.clusters.get_mut("main").expect("the single cluster is `main`");
    assert_eq!(cluster.settings.instance.sync.provider, Some(SyncProvider::Github));
    cluster.phase = Phase::Instance;
    cluster.settings.instance.mode = InstanceMode::Manifest;
    let instance = flux_instance(&config, "main");
    assert_eq!(instance["spec"]["sync"]["provider"], "github");
    assert_eq!(instance["spec"]["sync"]["kind"], "GitRepository");
    assert_eq!(instance["spec"]["sync"]["pullSecret"], "github-deploy-key");
    assert_eq!(Crds::load().check(&instance), Ok(Checked::Crd));
    let Some(rules) = support::cel::check(FLUXINSTANCE_CRD, &instance) else {
        return;
    };
    let evaluated = rules.unwrap_or_else(|failures| panic!("the CRD's rules refuse it:\n{failures}"));
    assert!(
        evaluated >= 2,
        "the sync's two provider rules were evaluated ({evaluated})"
    );

    // The evaluator does refuse what the CRD refuses: the same sync as an OCIRepository.
    let mut oci = instance.clone();
    oci["spec"]["sync"]["kind"] = json!("OCIRepository");
    let refused = support::cel::check(FLUXINSTANCE_CRD, &oci).expect("the evaluator ran");
    assert_eq!(
        refused,
        Err("/spec/sync: sync.provider 'github' is only supported for GitRepository\n".to_owned())
    );
}

fn config(instance: &str) -> Result<Config, String> {
    let text = format!(
        "repository: {{ url: ssh://git@github.com/example/fleet, branch: main, pullSecret: github-app }}\n\
         clusters:\n  edge:\n    phase: instance\n    instance:\n      mode: manifest\n{instance}"
    );
    Config::from_yaml(&text, Origin::BuiltIn).map_err(|e| e.to_string())
}

#[test]
fn every_provider_a_git_repository_takes_is_emitted_and_passes_the_crd_rules() {
    let crds = Crds::load();
    for provider in ["generic", "azure", "github", "aws"] {
        let config = config(&format!(
            "      distribution: {{ version: 2.9.x }}\n      sync: {{ provider: {provider} }}\n"
        ))
        .unwrap_or_else(|e| panic!("{provider}: {e}"));
        let instance = flux_instance(&config, "edge");
        assert_eq!(instance["spec"]["sync"]["provider"], provider);
        assert_eq!(crds.check(&instance), Ok(Checked::Crd), "{provider}");
        if let Some(rules) = support::cel::check(FLUXINSTANCE_CRD, &instance) {
            rules.unwrap_or_else(|failures| panic!("{provider}: {failures}"));
        }
    }
}

#[test]
fn providers_the_crd_or_the_pinned_flux_refuse_for_a_git_repository_are_refused() {
    let gcp = config("      sync: { provider: gcp }\n").expect_err("gcp is for OCIRepository and Bucket");
    assert!(
        gcp.contains("clusters.edge.instance.sync.provider")
            && gcp.contains("sync.provider 'gcp' is only supported for OCIRepository and Bucket"),
        "{gcp}"
    );
    let aws = config("      distribution: { version: 2.8.x }\n      sync: { provider: aws }\n")
        .expect_err("a GitRepository takes aws from Flux 2.9");
    assert!(
        aws.contains("provider `aws` from Flux 2.9 on (this cluster runs v2.8.8)"),
        "{aws}"
    );
}

#[test]
fn object_level_workload_identity_is_a_cluster_setting_and_not_a_gate() {
    let config_with =
        config("      distribution: { version: 2.7.x }\n      cluster: { objectLevelWorkloadIdentity: true }\n")
            .unwrap_or_else(|e| panic!("{e}"));
    let instance = flux_instance(&config_with, "edge");
    assert_eq!(instance["spec"]["cluster"]["objectLevelWorkloadIdentity"], true);
    assert_eq!(Crds::load().check(&instance), Ok(Checked::Crd));
    if let Some(rules) = support::cel::check(FLUXINSTANCE_CRD, &instance) {
        rules.unwrap_or_else(|failures| panic!("{failures}"));
    }
    // Through the gate the operator's RBAC is lost: refused, with a pointer to the setting.
    let text = "repository: { url: ssh://git@github.com/example/fleet }\n\
                clusters:\n  edge:\n    tuning:\n      featureGates: { kustomize-controller: { ObjectLevelWorkloadIdentity: true } }\n";
    let error = Config::from_yaml(text, Origin::BuiltIn).unwrap_err().to_string();
    assert!(
        error.contains("tuning.featureGates.kustomize-controller.ObjectLevelWorkloadIdentity")
            && error.contains("set `instance.cluster.objectLevelWorkloadIdentity` instead")
            && error.contains("permission to create service account tokens"),
        "{error}"
    );
    // Before Flux 2.6 the FluxInstance cannot have it.
    let old = config("      distribution: { version: 2.5.x }\n      cluster: { objectLevelWorkloadIdentity: true }\n")
        .expect_err("2.5 has no object-level workload identity");
    assert!(old.contains("needs Flux 2.6 or later"), "{old}");
}

#[test]
fn import_turns_the_workload_identity_gate_into_the_cluster_setting() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let from = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/repos/single-cluster");
    support::trees::copy(&from, dir.path());
    let file = dir.path().join("kubernetes/flux/config/flux.yaml");
    let text = fs::read_to_string(&file).expect("the flux Kustomization");
    let gate = "    - patch: |\n        - op: add\n          path: /spec/template/spec/containers/0/args/-\n          \
                value: --feature-gates=ObjectLevelWorkloadIdentity=true\n      target:\n        kind: Deployment\n        \
                name: (kustomize-controller|source-controller)\n";
    let Some(at) = text.find("  patches:\n") else {
        panic!("the flux Kustomization has patches:\n{text}")
    };
    let at = at + "  patches:\n".len();
    // Flux 2.7, where every controller the patch names has the gate (2.5, the fixture's, has none).
    let patched = format!("{}{gate}{}", &text[..at], &text[at..]).replace("tag: v2.5.1", "tag: v2.7.5");
    fs::write(&file, patched).expect("writing");
    let bootstrap = dir.path().join("kubernetes/bootstrap/flux/kustomization.yaml");
    let install = fs::read_to_string(&bootstrap).expect("the bootstrap kustomization");
    fs::write(&bootstrap, install.replace("ref=v2.5.1", "ref=v2.7.5")).expect("writing");
    let repository = fluxgen_core::scan(dir.path()).expect("a scan");
    let imported = fluxgen_core::import(&repository, &ImportOptions::default()).expect("an import");
    let config =
        Config::from_yaml(&imported.text, Origin::BuiltIn).unwrap_or_else(|e| panic!("{e}\n{}", imported.text));
    let settings = &config.clusters["main"].settings;
    assert_eq!(settings.instance.cluster.object_level_workload_identity, Some(true));
    assert!(
        settings
            .tuning
            .feature_gates
            .values()
            .all(|gates| !gates.contains_key("ObjectLevelWorkloadIdentity"))
    );
}
