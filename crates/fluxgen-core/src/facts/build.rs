//! The patches the Flux Operator's builder applies to the Flux manifests besides the profiles,
//! in its order: what `explain` must layer to print what the operator really runs.
//!
//! Source: controlplaneio-fluxcd/flux-operator at commit
//! 17c6aeaddd8dacd5fbd4dd9e1bfe23a0a59df1fb (just after v0.58.1):
//!
//! - `internal/builder/templates.go`, `kustomizationTmpl`: per component, JSON 6902 `replace`s
//!   of the first args: `--events-addr=<address>` (args 0, every controller but
//!   notification-controller), `--watch-all-namespaces=true` and `--log-level=info` (args 1 and 2;
//!   0 and 1 on notification-controller), and on source-controller and source-watcher
//!   `--storage-adv-addr=<name>.$(RUNTIME_NAMESPACE).svc.<cluster domain>.` (args 6); with
//!   `spec.storage`, source-controller's `persistent-data` PVC volume mounted at `/data`; with
//!   shards, `--watch-label-selector=!<key>` on the main controllers. Then the `Patches` text below.
//! - `internal/builder/build.go` (`generate`): the events address is
//!   `http://notification-controller.<namespace>.svc.<domain>./` (`internal/notifier`, `Address`)
//!   only when notification-controller is a component, else empty.
//! - `internal/controller/fluxinstance_controller.go` (`build`): `Patches` is the type profile,
//!   the size profile, the multi-tenancy profile, then `ValidateAndPatchComponents`
//!   (`internal/builder/components.go`: `--feature-gates=ExternalArtifact=true` on kustomize- and
//!   helm-controller when source-watcher is a component), then
//!   `ValidateAndApplyWorkloadIdentityConfig` (`internal/builder/workload_identity.go`:
//!   `--feature-gates=ObjectLevelWorkloadIdentity=true` on five controllers for Flux 2.6 when the
//!   setting is true; `=<setting>` on six, helm-controller included, from 2.7), then the
//!   FluxInstance's own patches. The operator always watches all namespaces and logs at `info`.
//! - `kustomizationShardTmpl`: each shard is a copy of the sharded controllers (source-watcher from
//!   Flux 2.9) named `<controller>-<shard>`, with `--watch-label-selector=<key>=<shard>` and, on the
//!   source controllers, `--storage-adv-addr=<name>-<shard>.$(RUNTIME_NAMESPACE).svc.<domain>.`;
//!   the main kustomization's patches (the FluxInstance's included) apply to the shards too
//!   (kustomize matches a target name against the name before the shard's suffix), except those
//!   that select `!sharding.fluxcd.io/role`.

use super::Release;
use crate::{Component, objects::KustomizePatch, objects::PatchTarget};

/// What of a FluxInstance the builder reads for the Deployments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildOptions<'a> {
    /// The Flux release.
    pub release: &'a Release,
    /// The FluxInstance's namespace.
    pub namespace: &'a str,
    /// `cluster.domain` (`cluster.local` when unset).
    pub cluster_domain: &'a str,
    /// The components.
    pub components: &'a [Component],
    /// `spec.storage` is set.
    pub storage: bool,
    /// `spec.sharding.key`.
    pub sharding_key: &'a str,
    /// `spec.sharding.shards`.
    pub shards: &'a [String],
    /// `cluster.objectLevelWorkloadIdentity`.
    pub object_level_workload_identity: bool,
}

/// A JSON 6902 patch of one Deployment (or a `(a|b)` regex of them).
fn ops(name: &str, annotation_selector: Option<&str>, ops: &[(&str, String, String)]) -> KustomizePatch {
    let text = ops
        .iter()
        .map(|(op, path, value)| format!("- op: {op}\n  path: {path}\n  value: {value}\n"))
        .collect::<String>();
    KustomizePatch {
        patch: text,
        target: Some(PatchTarget {
            kind: Some("Deployment".to_owned()),
            name: Some(name.to_owned()),
            annotation_selector: annotation_selector.map(str::to_owned),
            ..PatchTarget::default()
        }),
    }
}

const ARGS: &str = "/spec/template/spec/containers/0/args";
const ADD_ARG: &str = "/spec/template/spec/containers/0/args/-";

/// The events address the controllers send to: notification-controller's, or empty without it.
pub fn events_address(options: &BuildOptions<'_>) -> String {
    if options.components.contains(&Component::NotificationController) {
        format!(
            "http://notification-controller.{}.svc.{}./",
            options.namespace, options.cluster_domain
        )
    } else {
        String::new()
    }
}

/// The template's patches of the main kustomization, before the `Patches` text: each
/// component's argument rewrites, the storage volume, the main controllers' shard exclusion.
/// Each comes with what set it.
pub fn template_patches(options: &BuildOptions<'_>) -> Vec<(KustomizePatch, &'static str)> {
    const REWRITE: &str = "the operator's build (argument rewrites)";
    let events = events_address(options);
    let domain = options.cluster_domain;
    let mut out = Vec::new();
    for component in options.components {
        let name = component.as_str();
        let arg = |index: usize, value: String| ("replace", format!("{ARGS}/{index}"), value);
        let mut rewrites = match component {
            Component::NotificationController => vec![
                arg(0, "--watch-all-namespaces=true".to_owned()),
                arg(1, "--log-level=info".to_owned()),
            ],
            _ => vec![
                arg(0, format!("--events-addr={events}")),
                arg(1, "--watch-all-namespaces=true".to_owned()),
                arg(2, "--log-level=info".to_owned()),
            ],
        };
        if matches!(component, Component::SourceController | Component::SourceWatcher) {
            rewrites.push(arg(
                6,
                format!("--storage-adv-addr={name}.$(RUNTIME_NAMESPACE).svc.{domain}."),
            ));
        }
        out.push((ops(name, None, &rewrites), REWRITE));
        if *component == Component::SourceController && options.storage {
            let patch = KustomizePatch {
                patch: "- op: add\n  path: '/spec/template/spec/volumes/-'\n  value:\n    name: persistent-data\n    \
                        persistentVolumeClaim:\n      claimName: source-controller\n- op: replace\n  \
                        path: '/spec/template/spec/containers/0/volumeMounts/0'\n  value:\n    name: persistent-data\n    \
                        mountPath: /data\n"
                    .to_owned(),
                target: Some(PatchTarget {
                    kind: Some("Deployment".to_owned()),
                    name: Some(name.to_owned()),
                    annotation_selector: Some("!sharding.fluxcd.io/role".to_owned()),
                    ..PatchTarget::default()
                }),
            };
            out.push((patch, "spec.storage (the operator's build)"));
        }
    }
    if !options.shards.is_empty() {
        let names = sharded(options.release).join("|");
        out.push((
            ops(
                &format!("({names})"),
                Some("!sharding.fluxcd.io/role"),
                &[(
                    "add",
                    ADD_ARG.to_owned(),
                    format!("--watch-label-selector=!{}", options.sharding_key),
                )],
            ),
            "spec.sharding (the operator's build)",
        ));
    }
    out
}

/// The controllers sharding copies: source-watcher from Flux 2.9 on.
pub fn sharded(release: &Release) -> Vec<&'static str> {
    let mut sharded = vec![
        Component::SourceController,
        Component::KustomizeController,
        Component::HelmController,
        Component::ImageReflectorController,
        Component::ImageAutomationController,
    ];
    if release.minor() >= (2, 9) {
        sharded.push(Component::SourceWatcher);
    }
    sharded.into_iter().map(Component::as_str).collect()
}

/// The gates the builder adds after the profiles: `ExternalArtifact=true` with source-watcher,
/// and the workload identity gate. Each comes with what set it.
pub fn gate_patches(options: &BuildOptions<'_>) -> Vec<(KustomizePatch, &'static str)> {
    let mut out = Vec::new();
    let gate = |name: &str, value: String| ops(name, None, &[("add", ADD_ARG.to_owned(), value)]);
    if options.components.contains(&Component::SourceWatcher) {
        out.push((
            gate(
                "(kustomize-controller|helm-controller)",
                "--feature-gates=ExternalArtifact=true".to_owned(),
            ),
            "source-watcher (the operator's build)",
        ));
    }
    let first = "source-controller|kustomize-controller|notification-controller|image-reflector-controller|image-automation-controller";
    let label = "cluster.objectLevelWorkloadIdentity (the operator's build)";
    match options.release.minor() {
        (2, minor) if minor < 6 => {}
        (2, 6) => {
            if options.object_level_workload_identity {
                out.push((
                    gate(
                        &format!("({first})"),
                        "--feature-gates=ObjectLevelWorkloadIdentity=true".to_owned(),
                    ),
                    label,
                ));
            }
        }
        _ => out.push((
            gate(
                &format!("({first}|helm-controller)"),
                format!(
                    "--feature-gates=ObjectLevelWorkloadIdentity={}",
                    options.object_level_workload_identity
                ),
            ),
            label,
        )),
    }
    out
}

/// The patches of one shard's kustomization for the Deployment of `component` (renamed
/// `<component>-<shard>` by the shard's `nameSuffix`), or `None` when the component is not sharded.
pub fn shard_patches(options: &BuildOptions<'_>, component: Component, shard: &str) -> Option<Vec<KustomizePatch>> {
    let name = component.as_str();
    if !sharded(options.release).contains(&name) {
        return None;
    }
    let app = format!("{name}-{shard}");
    let mut own = vec![
        ("replace", "/spec/selector/matchLabels/app".to_owned(), app.clone()),
        ("replace", "/spec/template/metadata/labels/app".to_owned(), app.clone()),
    ];
    if matches!(component, Component::SourceController | Component::SourceWatcher) {
        own.push((
            "add",
            ADD_ARG.to_owned(),
            format!(
                "--storage-adv-addr={app}.$(RUNTIME_NAMESPACE).svc.{}.",
                options.cluster_domain
            ),
        ));
    }
    Some(vec![
        ops(name, None, &own),
        ops(
            name,
            None,
            &[(
                "add",
                ADD_ARG.to_owned(),
                format!("--watch-label-selector={}={shard}", options.sharding_key),
            )],
        ),
    ])
}
