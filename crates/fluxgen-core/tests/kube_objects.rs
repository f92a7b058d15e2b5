//! The typed objects in the Kubernetes ecosystem: k8s-openapi's `Resource` and `Metadata`, so
//! kube's blanket `Resource` and everything `kube::Api<K>` asks of `K`; read back from what
//! they serialize to (JSON, fluxgen's own YAML, a `DynamicObject`), checking `apiVersion` and
//! `kind`.

use std::fmt::Debug;

use fluxgen_core::{
    Component, ExternalSecret, FluxInstance, HelmRelease, Kustomization, Manifest, OciRepository, Receiver,
    objects::InstanceSync, objects::OciRef, objects::ReceiverResource, objects::SourceRef,
};
use k8s_openapi::NamespaceResourceScope;
use kube_core::{ApiResource, DynamicObject, Resource};
use serde::de::DeserializeOwned;

/// What `kube::Api::<K>::namespaced` and its methods ask of `K`.
fn usable_with_kube_api<K>()
where
    K: Resource<DynamicType = (), Scope = NamespaceResourceScope> + Clone + Debug + DeserializeOwned + serde::Serialize,
{
}

fn objects() -> (
    OciRepository,
    HelmRelease,
    FluxInstance,
    Kustomization,
    ExternalSecret,
    Receiver,
) {
    let chart = OciRepository::new(
        "flux-operator",
        "oci://ghcr.io/controlplaneio-fluxcd/charts/flux-operator",
    )
    .with_interval("15m")
    .with_ref(OciRef::tag("0.58.1"))
    .with_helm_chart_layer()
    .with_timeout("60s");
    let release = HelmRelease::from_oci_repository("flux-operator")
        .with_interval("1h")
        .with_value(
            "serviceMonitor",
            serde_json::json!({ "create": true, "labels": { "a": "b" } }),
        )
        .with_depends_on("cilium");
    let instance = FluxInstance::new("2.9.x")
        .with_components(Component::DEFAULTS)
        .with_sync(InstanceSync::git(
            "ssh://git@github.com/example/haynes-ops",
            "refs/heads/main",
            "kubernetes/edge/sync",
        ))
        .without_network_policy()
        .with_patches(
            fluxgen_core::lower(&[fluxgen_core::Tuning::workers([Component::KustomizeController], 10)])
                .expect("one tuning lowers"),
        );
    let ks = Kustomization::new("flux-operator", "./kubernetes/edge/apps/flux-system/flux-operator/app")
        .with_namespace("flux-system")
        .with_source(SourceRef::git_repository("flux-system").in_namespace("flux-system"))
        .with_wait(true);
    let secret = ExternalSecret::new("github-webhook-token", "onepassword", "github-webhook-token-secret")
        .with_template_key("token", "token")
        .extracting("flux");
    let receiver = Receiver::new("github-webhook", "github", "github-webhook-token-secret")
        .with_events(["ping", "push"])
        .with_resource(ReceiverResource::new(
            "source.toolkit.fluxcd.io/v1",
            "GitRepository",
            "flux-system",
        ));
    (chart, release, instance, ks, secret, receiver)
}

/// kube's view of one object type, and the object read back from JSON, from the YAML fluxgen
/// writes for it and from a `DynamicObject`.
fn check<K>(object: &K, plural: &str, group: &str, version: &str)
where
    K: Manifest
        + Resource<DynamicType = (), Scope = NamespaceResourceScope>
        + Clone
        + Debug
        + PartialEq
        + DeserializeOwned,
{
    usable_with_kube_api::<K>();
    let kind = <K as k8s_openapi::Resource>::KIND;
    let resource = ApiResource::erase::<K>(&());
    assert_eq!(
        (
            resource.group.as_str(),
            resource.version.as_str(),
            resource.kind.as_str(),
            resource.plural.as_str()
        ),
        (group, version, kind, plural)
    );
    assert_eq!(resource.api_version, format!("{group}/{version}"));
    assert_eq!(
        K::url_path(&(), Some("flux-system")),
        format!("/apis/{group}/{version}/namespaces/flux-system/{plural}")
    );
    assert_eq!(object.meta().name.as_deref(), Some(object.name()));

    let json = serde_json::to_value(object).expect("serializes");
    assert_eq!(json["apiVersion"], format!("{group}/{version}"));
    assert_eq!(json["kind"], kind);
    assert_eq!(
        &serde_json::from_value::<K>(json.clone()).expect("reads back from JSON"),
        object
    );

    let text = fluxgen_core::render(object, fluxgen_core::DEFAULT_SCHEMA_BASE_URL).expect("valid");
    let read: K = serde_saphyr::from_str(&text).expect("reads back from fluxgen's YAML");
    assert_eq!(&read, object);
    assert_eq!(
        fluxgen_core::render(&read, fluxgen_core::DEFAULT_SCHEMA_BASE_URL).expect("valid"),
        text
    );

    let mut dynamic: DynamicObject = serde_json::from_value(json.clone()).expect("a DynamicObject");
    assert_eq!(dynamic.types.as_ref().map(|t| t.kind.as_str()), Some(kind));
    assert_eq!(&dynamic.clone().try_parse::<K>().expect("the typed object"), object);
    // An object as the API server returns it: its status is not read, its metadata is kept.
    dynamic.data["status"] = serde_json::json!({ "conditions": [] });
    dynamic.metadata.resource_version = Some("42".to_owned());
    let mut parsed = dynamic.try_parse::<K>().expect("the typed object");
    assert_eq!(parsed.meta().resource_version.as_deref(), Some("42"));
    parsed.meta_mut().resource_version = None;
    assert_eq!(&parsed, object);

    // Another apiVersion or kind is not this object.
    for (field, value) in [("apiVersion", format!("{group}/v0")), ("kind", "ConfigMap".to_owned())] {
        let mut other = json.clone();
        other[field] = value.clone().into();
        let error = serde_json::from_value::<K>(other).expect_err("another type");
        assert!(error.to_string().contains(&value), "{error}");
    }
    let mut without_kind = json;
    without_kind.as_object_mut().expect("an object").remove("kind");
    assert!(serde_json::from_value::<K>(without_kind).is_err());
}

#[test]
fn every_object_works_with_kube_and_reads_back_what_it_writes() {
    let (chart, release, instance, ks, secret, receiver) = objects();
    check(&chart, "ocirepositories", "source.toolkit.fluxcd.io", "v1");
    check(&release, "helmreleases", "helm.toolkit.fluxcd.io", "v2");
    check(&instance, "fluxinstances", "fluxcd.controlplane.io", "v1");
    check(&ks, "kustomizations", "kustomize.toolkit.fluxcd.io", "v1");
    check(&secret, "externalsecrets", "external-secrets.io", "v1");
    check(&receiver, "receivers", "notification.toolkit.fluxcd.io", "v1");
}

/// Every object file `plan` writes for the example config reads back as its typed object, and
/// renders to the same bytes.
#[cfg(feature = "generator")]
#[test]
fn every_generated_file_reads_back_as_its_object() {
    fn same<K: Manifest + DeserializeOwned>(text: &str, base: &str) {
        let object: K = serde_saphyr::from_str(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(fluxgen_core::render(&object, base).expect("valid"), text);
    }
    for config in [
        fluxgen_core::Config::example(),
        fluxgen_core::Config::from_yaml(
            fluxgen_core::config::EXAMPLE_BOOTSTRAP_CONFIG,
            fluxgen_core::Origin::BuiltIn,
        )
        .expect("valid"),
    ] {
        for (name, cluster) in &config.clusters {
            let base = &cluster.settings.schema_base_url;
            let tree = fluxgen_core::plan(&config, name).expect("plans");
            for (path, text) in &tree.files {
                match path.rsplit('/').next().expect("a file name") {
                    "ks.yaml" => same::<Kustomization>(text, base),
                    "ocirepository.yaml" => same::<OciRepository>(text, base),
                    "helmrelease.yaml" => same::<HelmRelease>(text, base),
                    "fluxinstance.yaml" => same::<FluxInstance>(text, base),
                    "externalsecret.yaml" => same::<ExternalSecret>(text, base),
                    "receiver.yaml" => same::<Receiver>(text, base),
                    "kustomization.yaml" => {}
                    other => panic!("unexpected file {other}"),
                }
            }
        }
    }
}
