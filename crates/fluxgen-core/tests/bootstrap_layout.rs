//! The layout `flux bootstrap` writes (`<path>/flux-system/gotk-*.yaml`), on the real
//! repositories of `../shared/refs-flux-bootstrap/` and on test repositories of the shapes they
//! do not show: what the scanner recognises, the clusters the layout gives, and what import
//! keeps.

#[allow(dead_code)]
mod support;

use std::path::{Path, PathBuf};

use fluxgen_core::scan::Repository;

/// A repository of `refs-flux-bootstrap/`.
fn reference(name: &str) -> PathBuf {
    support::shared_dir().join("refs-flux-bootstrap").join(name)
}

fn scanned(path: &Path) -> Repository {
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
