//! The CRD rules each typed object checks before it is written: one broken rule per case, and
//! the violation must name the field.

use fluxgen_core::{
    Component, ExternalSecret, FluxInstance, HelmRelease, Kustomization, Manifest, OciRepository, Receiver,
    objects::ClusterSettings, objects::InstanceSync, objects::KustomizePatch, objects::OciRef, objects::PatchTarget,
    objects::Sharding, objects::SourceRef, objects::Storage, objects::SyncProvider,
};

fn fields(violations: Vec<fluxgen_core::Violation>) -> Vec<String> {
    violations.into_iter().map(|v| v.field).collect()
}

fn valid_instance() -> FluxInstance {
    FluxInstance::new("2.9.x").with_sync(InstanceSync::git(
        "ssh://git@github.com/x/y",
        "refs/heads/main",
        "kubernetes/flux",
    ))
}

#[test]
fn a_valid_instance_has_no_violations() {
    assert_eq!(valid_instance().violations(), vec![]);
}

#[test]
fn flux_instance_rules() {
    let cases: Vec<(FluxInstance, &str)> = vec![
        (
            {
                let mut i = valid_instance();
                i.metadata.name = Some("other".into());
                i
            },
            "metadata.name",
        ),
        (
            {
                let mut i = valid_instance();
                i.spec.distribution.version.clear();
                i
            },
            "spec.distribution.version",
        ),
        (
            {
                let mut i = valid_instance();
                i.spec.distribution.registry.clear();
                i
            },
            "spec.distribution.registry",
        ),
        (
            {
                let mut i = valid_instance();
                i.spec.distribution.artifact = Some("ghcr.io/x".into());
                i
            },
            "spec.distribution.artifact",
        ),
        (
            valid_instance().with_components([Component::HelmController, Component::HelmController]),
            "spec.components",
        ),
        (
            valid_instance().with_cluster(ClusterSettings {
                multitenant_workload_identity: Some(true),
                ..Default::default()
            }),
            "spec.cluster.objectLevelWorkloadIdentity",
        ),
        (
            valid_instance().with_sync(InstanceSync::git("ssh://x", "main", "p")),
            "spec.sync.ref",
        ),
        (
            valid_instance().with_sync(InstanceSync::git("", "refs/heads/main", "p")),
            "spec.sync.url",
        ),
        (
            valid_instance().with_sync(InstanceSync::git("ssh://x", "refs/heads/main", "")),
            "spec.sync.path",
        ),
        (
            valid_instance().with_sync(InstanceSync {
                interval: Some("1d".into()),
                ..InstanceSync::git("ssh://x", "refs/heads/main", "p")
            }),
            "spec.sync.interval",
        ),
        (
            valid_instance().with_sync(InstanceSync {
                kind: "HelmRepository".into(),
                ..InstanceSync::git("ssh://x", "refs/heads/main", "p")
            }),
            "spec.sync.kind",
        ),
        (
            valid_instance().with_sync(InstanceSync {
                name: Some("n".repeat(64)),
                ..InstanceSync::git("ssh://x", "refs/heads/main", "p")
            }),
            "spec.sync.name",
        ),
        (
            valid_instance().with_sync(InstanceSync {
                provider: Some(SyncProvider::Gcp),
                ..InstanceSync::git("ssh://x", "refs/heads/main", "p")
            }),
            "spec.sync.provider",
        ),
        (
            valid_instance().with_sync(InstanceSync {
                kind: "OCIRepository".into(),
                provider: Some(SyncProvider::Github),
                ..InstanceSync::git("oci://x", "latest", "p")
            }),
            "spec.sync.provider",
        ),
        (
            {
                let mut i = valid_instance();
                i.spec.sharding = Some(Sharding::default());
                i
            },
            "spec.sharding.shards",
        ),
        (
            {
                let mut i = valid_instance();
                i.spec.sharding = Some(Sharding {
                    shards: vec!["a".into()],
                    storage: Some("persistent".into()),
                    key: None,
                });
                i
            },
            "spec.storage",
        ),
        (
            {
                let mut i = valid_instance();
                i.spec.storage = Some(Storage {
                    class: String::new(),
                    size: "1Gi".into(),
                });
                i
            },
            "spec.storage.class",
        ),
        (
            valid_instance().with_patches([KustomizePatch {
                patch: "- op: add".into(),
                target: Some(PatchTarget {
                    namespace: Some("flux-system".into()),
                    ..PatchTarget::kind_name("Deployment", "x")
                }),
            }]),
            "spec.kustomize.patches[0].target.namespace",
        ),
        (
            valid_instance().with_patches([KustomizePatch {
                patch: " ".into(),
                target: None,
            }]),
            "spec.kustomize.patches[0].patch",
        ),
    ];
    for (instance, field) in cases {
        assert_eq!(
            fields(instance.violations()),
            vec![field.to_owned()],
            "expected only {field}"
        );
    }
}

#[test]
fn source_release_kustomization_receiver_and_external_secret_rules() {
    let repo = OciRepository::new("x", "https://ghcr.io/x")
        .with_interval("15 minutes")
        .with_ref(OciRef::default())
        .with_timeout("1h");
    assert_eq!(
        fields(repo.violations()),
        ["spec.interval", "spec.url", "spec.timeout", "spec.ref"]
    );
    let release = HelmRelease::from_oci_repository("Bad_Name").with_interval("");
    assert_eq!(fields(release.violations()), ["metadata.name", "spec.interval"]);
    let ks = Kustomization::new("app", "./x").with_source(SourceRef {
        kind: "HelmRepository".into(),
        name: String::new(),
        namespace: None,
    });
    assert_eq!(fields(ks.violations()), ["spec.sourceRef.name", "spec.sourceRef.kind"]);
    let receiver = Receiver::new("hook", "gitea", "token");
    assert_eq!(fields(receiver.violations()), ["spec.type", "spec.resources"]);
    let secret = ExternalSecret::new("token", "", "Target");
    assert_eq!(
        fields(secret.violations()),
        ["spec.secretStoreRef.name", "spec.target.name", "spec.dataFrom"]
    );
}
