//! How tunings compose (DESIGN.md section 5), through the public API:
//!
//! - any order of the same tunings lowers to byte-identical patches (every rotation of a list,
//!   and every rotation of it reversed), and a tuning given twice counts once;
//! - the same flag (or resource amount) set to two values on one controller is a
//!   `TuningError::Conflict` naming both tunings and both values, whichever comes first, also
//!   when one of them is a raw patch;
//! - feature gates of one controller merge into one `--feature-gates=A=true,B=false` argument,
//!   which the controller then sees once; an unknown gate is an error naming it;
//! - tunings with the same target merge into one patch entry.

#[allow(dead_code)]
mod support;

use fluxgen_core::Component::{self, HelmController, KustomizeController, NotificationController, SourceController};
use fluxgen_core::{
    Tuning, TuningError, lower, objects::KustomizePatch, objects::PatchTarget, tuning::LogLevel,
    tuning::ResourceAmounts, tuning::SyncKustomizationTuning,
};
use serde_json::Value;
use support::flux::{self, CONTAINER};

const SCALING: [Component; 3] = [SourceController, KustomizeController, HelmController];

/// Structured tunings that do not conflict, and one raw patch next to them.
fn tunings() -> Vec<Tuning> {
    vec![
        Tuning::workers([SourceController, HelmController], 10),
        Tuning::requeue_dependency(SCALING, "5s"),
        Tuning::memory_limit(SCALING, "2Gi"),
        Tuning::InMemoryBuilds,
        Tuning::helm_cache(10, "60m", "5m"),
        Tuning::feature_gate(HelmController, "DisableChartDigestTracking", true),
        Tuning::oom_watch(95, "500ms"),
        Tuning::feature_gate(KustomizeController, "CancelHealthCheckOnNewRevision", false),
        Tuning::log_level([NotificationController], LogLevel::Debug),
        Tuning::control_plane_scheduling(Component::DEFAULTS),
        Tuning::sops_age_secret("sops-age"),
        Tuning::SyncKustomization(SyncKustomizationTuning {
            decryption_secret: Some("sops-age".to_owned()),
            wait: Some(true),
            ..SyncKustomizationTuning::default()
        }),
        raw_args("notification-controller", &["--rate-limit-interval=10s"]),
    ]
}

/// A raw JSON 6902 patch adding `args` to the Deployments `name` selects.
fn raw_args(name: &str, args: &[&str]) -> Tuning {
    let ops: String = args
        .iter()
        .map(|arg| format!("- op: add\n  path: /spec/template/spec/containers/0/args/-\n  value: {arg}\n"))
        .collect();
    Tuning::Custom(KustomizePatch {
        patch: ops,
        target: Some(PatchTarget::kind_name("Deployment", name)),
    })
}

/// The exact bytes of lowered patches.
fn bytes(patches: &[KustomizePatch]) -> String {
    serde_json::to_string(patches).expect("patches serialize")
}

fn lowered(tunings: &[Tuning]) -> Vec<KustomizePatch> {
    lower(tunings).unwrap_or_else(|e| panic!("{e}"))
}

/// The JSON 6902 operations or strategic-merge document of a patch.
fn parsed(patch: &KustomizePatch) -> Value {
    support::document(&patch.patch).unwrap_or_else(|e| panic!("{e}: {}", patch.patch))
}

fn target_name(patch: &KustomizePatch) -> &str {
    patch.target.as_ref().and_then(|t| t.name.as_deref()).unwrap_or("")
}

#[test]
fn any_order_lowers_to_the_same_bytes() {
    let tunings = tunings();
    let expected = bytes(&lowered(&tunings));
    let mut orders = Vec::new();
    for reversed in [false, true] {
        let mut list = tunings.clone();
        if reversed {
            list.reverse();
        }
        for _ in 0..list.len() {
            orders.push(list.clone());
            list.rotate_left(1);
        }
    }
    assert_eq!(orders.len(), 2 * tunings.len());
    for order in &orders {
        let names: Vec<String> = order.iter().map(ToString::to_string).collect();
        assert_eq!(bytes(&lowered(order)), expected, "order: {names:?}");
    }
    // A tuning given twice counts once.
    let mut twice = tunings.clone();
    twice.insert(3, tunings[0].clone());
    twice.push(tunings[5].clone());
    assert_eq!(bytes(&lowered(&twice)), expected);
    // And the order does not change what each controller ends up with either.
    let manifests = flux::manifests();
    let deployment = &manifests[&HelmController].deployment;
    let effective = flux::effective(&flux::patched(deployment, &lowered(&tunings)).unwrap());
    let reversed: Vec<Tuning> = tunings.iter().rev().cloned().collect();
    assert_eq!(
        flux::effective(&flux::patched(deployment, &lowered(&reversed)).unwrap()),
        effective
    );
}

#[test]
fn workers_and_a_raw_concurrent_on_one_controller_conflict() {
    let workers = Tuning::workers([KustomizeController], 10);
    let raw = raw_args("kustomize-controller", &["--concurrent=20"]);
    for order in [vec![workers.clone(), raw.clone()], vec![raw.clone(), workers.clone()]] {
        let error = lower(&order).unwrap_err();
        assert!(
            matches!(
                &error,
                TuningError::Conflict { controller: KustomizeController, flag, .. } if flag == "--concurrent"
            ),
            "{error:?}"
        );
        let message = error.to_string();
        for part in [
            "kustomize-controller: ",
            "`workers: 10 on kustomize-controller` sets --concurrent=10",
            "`raw patch on Deployment kustomize-controller` sets --concurrent=20",
        ] {
            assert!(message.contains(part), "`{part}` is not in: {message}");
        }
    }
    // A raw patch whose regex target includes the controller conflicts too; one that does not
    // include it does not.
    let regex = raw_args("(kustomize-controller|helm-controller)", &["--concurrent=20"]);
    assert!(matches!(
        lower(&[workers.clone(), regex]),
        Err(TuningError::Conflict {
            controller: KustomizeController,
            ..
        })
    ));
    let elsewhere = raw_args("helm-controller", &["--concurrent=20"]);
    assert_eq!(lower(&[workers.clone(), elsewhere]).unwrap().len(), 2);
    // The same value twice is no ambiguity.
    assert_eq!(
        lower(&[workers, raw_args("kustomize-controller", &["--concurrent=10"])])
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn two_structured_values_of_one_flag_conflict() {
    let error = lower(&[Tuning::workers(SCALING, 10), Tuning::workers([KustomizeController], 20)]).unwrap_err();
    assert_eq!(
        error.to_string(),
        "kustomize-controller: `workers: 10 on source-controller, kustomize-controller, helm-controller` sets \
         --concurrent=10 but `workers: 20 on kustomize-controller` sets --concurrent=20; the operator would silently \
         keep the last one, so set it in one place"
    );
    // A gate set on and off.
    let error = lower(&[
        Tuning::oom_watch(95, "500ms"),
        Tuning::feature_gate(HelmController, "OOMWatch", false),
    ])
    .unwrap_err();
    assert!(
        matches!(&error, TuningError::Conflict { controller: HelmController, flag, .. } if flag == "--feature-gates OOMWatch"),
        "{error:?}"
    );
}

#[test]
fn two_values_of_one_resource_amount_conflict() {
    // Without the check, the more general entry would win for source-controller (its target
    // sorts last) and the specific one for helm-controller: it depends on how entries sort.
    for specific in [SourceController, HelmController] {
        let tunings = [
            Tuning::memory_limit(SCALING, "2Gi"),
            Tuning::memory_limit([specific], "1Gi"),
        ];
        let error = lower(&tunings).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "{specific}: `memoryLimit: 2Gi on source-controller, kustomize-controller, helm-controller` \
                 sets resources.limits.memory=2Gi but `memoryLimit: 1Gi on {specific}` sets \
                 resources.limits.memory=1Gi; the operator would silently keep the last one, so set it in one place"
            )
        );
    }
    // Different amounts of one controller, or the same amount twice, compose.
    let cpu = ResourceAmounts {
        cpu: Some("2".into()),
        memory: None,
    };
    let patches = lowered(&[
        Tuning::memory_limit(SCALING, "2Gi"),
        Tuning::resources([SourceController], cpu, ResourceAmounts::default()),
        Tuning::memory_limit([HelmController], "2Gi"),
    ]);
    let manifests = flux::manifests();
    for (component, limits) in [
        (SourceController, serde_json::json!({"cpu": "2", "memory": "2Gi"})),
        (HelmController, serde_json::json!({"cpu": "1000m", "memory": "2Gi"})),
    ] {
        let patched = flux::patched(&manifests[&component].deployment, &patches).unwrap();
        assert_eq!(
            patched.pointer(&format!("{CONTAINER}/resources/limits")),
            Some(&limits),
            "{component}"
        );
    }
}

#[test]
fn feature_gates_of_one_controller_merge_into_one_argument() {
    let patches = lowered(&[
        Tuning::feature_gate(HelmController, "DisableChartDigestTracking", false),
        Tuning::feature_gate(HelmController, "DefaultToRetryOnFailure", true),
    ]);
    assert_eq!(patches.len(), 1);
    assert_eq!(target_name(&patches[0]), "helm-controller");
    assert_eq!(
        parsed(&patches[0]),
        serde_json::json!([{
            "op": "add",
            "path": "/spec/template/spec/containers/0/args/-",
            "value": "--feature-gates=DefaultToRetryOnFailure=true,DisableChartDigestTracking=false",
        }])
    );
    // With gates of other tunings (oomWatch) and of another controller: one argument each.
    let patches = lowered(&[
        Tuning::feature_gate(HelmController, "DisableChartDigestTracking", true),
        Tuning::oom_watch(90, "1s"),
        Tuning::feature_gate(SourceController, "CacheSecretsAndConfigMaps", true),
        Tuning::feature_gate(HelmController, "DefaultToRetryOnFailure", false),
    ]);
    let manifests = flux::manifests();
    for (component, gates) in [
        (
            HelmController,
            "--feature-gates=DefaultToRetryOnFailure=false,DisableChartDigestTracking=true,OOMWatch=true",
        ),
        (SourceController, "--feature-gates=CacheSecretsAndConfigMaps=true"),
    ] {
        let patched = flux::patched(&manifests[&component].deployment, &patches).unwrap();
        let args: Vec<&str> = patched
            .pointer(&format!("{CONTAINER}/args"))
            .and_then(Value::as_array)
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .filter(|arg| arg.starts_with("--feature-gates"))
            .collect();
        assert_eq!(args, [gates], "{component}");
    }
}

#[test]
fn an_unknown_gate_is_an_error() {
    let error = lower(&[Tuning::feature_gate(HelmController, "NoSuchGate", true)]).unwrap_err();
    assert!(
        matches!(&error, TuningError::UnknownGate { controller: HelmController, gate, .. } if gate == "NoSuchGate"),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.starts_with(
            "`featureGates: NoSuchGate=true on helm-controller`: helm-controller has no feature gate `NoSuchGate`"
        ),
        "{message}"
    );
    assert!(
        message.contains("DisableChartDigestTracking"),
        "the known gates are listed: {message}"
    );
    // A gate of another controller is unknown here too, and so is one in a raw patch.
    assert!(matches!(
        lower(&[Tuning::feature_gate(
            SourceController,
            "DisableChartDigestTracking",
            true
        )]),
        Err(TuningError::UnknownGate {
            controller: SourceController,
            ..
        })
    ));
    assert!(matches!(
        lower(&[raw_args("helm-controller", &["--feature-gates=NoSuchGate=true"])]),
        Err(TuningError::UnknownGate {
            controller: HelmController,
            ..
        })
    ));
}

#[test]
fn tunings_with_the_same_target_merge_into_one_entry() {
    let patches = lowered(&[Tuning::workers(SCALING, 10), Tuning::requeue_dependency(SCALING, "5s")]);
    assert_eq!(patches.len(), 1);
    assert_eq!(
        target_name(&patches[0]),
        "(source-controller|kustomize-controller|helm-controller)"
    );
    let ops = parsed(&patches[0]);
    let values: Vec<&str> = ops
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|op| op["value"].as_str())
        .collect();
    assert_eq!(values, ["--concurrent=10", "--requeue-dependency=5s"]);

    // Strategic-merge changes for the same controllers: one document.
    let patches = lowered(&[
        Tuning::memory_limit(SCALING, "2Gi"),
        Tuning::control_plane_scheduling(SCALING),
    ]);
    assert_eq!(patches.len(), 1);
    let document = parsed(&patches[0]);
    let spec = &document["spec"]["template"]["spec"];
    assert_eq!(spec["containers"][0]["resources"]["limits"]["memory"], "2Gi");
    assert!(
        spec["affinity"].is_object() && spec["tolerations"].is_array(),
        "{document}"
    );

    // Resources and in-memory builds of kustomize-controller, plus its arguments: one
    // strategic entry and one JSON 6902 entry.
    let patches = lowered(&[
        Tuning::memory_limit([KustomizeController], "2Gi"),
        Tuning::InMemoryBuilds,
        Tuning::sops_age_secret("sops-age"),
        Tuning::workers([KustomizeController], 20),
    ]);
    assert_eq!(patches.len(), 2);
    assert!(patches.iter().all(|p| target_name(p) == "kustomize-controller"));
    assert_eq!(parsed(&patches[0]).as_array().map(Vec::len), Some(2));
    let document = parsed(&patches[1]);
    assert!(
        document["spec"]["template"]["spec"]["volumes"].is_array()
            && document["spec"]["template"]["spec"]["containers"].is_array(),
        "{document}"
    );

    // Different controller sets stay apart.
    assert_eq!(
        lowered(&[
            Tuning::workers([KustomizeController, HelmController], 10),
            Tuning::requeue_dependency(SCALING, "5s"),
        ])
        .len(),
        2
    );
}
