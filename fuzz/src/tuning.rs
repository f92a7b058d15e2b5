//! The tuning target: tunings built from the bytes (through `arbitrary`) lowered to patches,
//! then a config with random `tuning` keys and `overrides` loaded and planned.

use std::sync::OnceLock;

use arbitrary::{Result, Unstructured};
use fluxgen_core::{
    Component, FluxInstance, Manifest, Tuning, facts, lower, objects::KustomizePatch, objects::PatchTarget,
    tuning::LogLevel, tuning::ResourceAmounts, tuning::SubstituteFrom, tuning::SubstituteKind,
    tuning::SyncKustomizationTuning, tuning::settings_of,
};
use serde_json::{Map, Value, json};

use crate::{config, seeds, signature};

/// Runs the tuning target on `data`.
pub fn run(data: &[u8]) -> u64 {
    let mut u = Unstructured::new(data);
    let tunings = tunings(&mut u).unwrap_or_default();
    let lowered = check_lowering(&tunings);
    let config_text = config_with_overrides(&mut u).unwrap_or_default();
    let loaded = if config_text.is_empty() {
        Vec::new()
    } else {
        config::load(&config_text, &Default::default())
    };
    signature((lowered, loaded))
}

/// Lowers `tunings`; an accepted list gives the same patches in any order of its structured
/// tunings, and every patch fluxgen writes (all but raw ones) is YAML.
pub fn check_lowering(tunings: &[Tuning]) -> String {
    for tuning in tunings {
        let _ = settings_of(tuning);
        let _ = tuning.controllers();
    }
    let lowered = lower(tunings);
    let mut reordered: Vec<Tuning> = tunings.iter().filter(|t| !is_custom(t)).cloned().rev().collect();
    reordered.extend(tunings.iter().filter(|t| is_custom(t)).cloned());
    let again = lower(&reordered);
    match (&lowered, &again) {
        (Ok(first), Ok(second)) => assert_eq!(
            first, second,
            "the order of structured tunings changed the patches: {tunings:?}"
        ),
        (Ok(_), Err(error)) | (Err(error), Ok(_)) => {
            panic!("one order of the tunings lowers, the other fails with `{error}`: {tunings:?}")
        }
        (Err(_), Err(_)) => {}
    }
    match lowered {
        Ok(patches) => {
            let custom: Vec<&KustomizePatch> = tunings
                .iter()
                .filter_map(|t| match t {
                    Tuning::Custom(patch) => Some(patch),
                    _ => None,
                })
                .collect();
            for patch in patches.iter().filter(|p| !custom.contains(p)) {
                if let Err(error) = serde_saphyr::from_str::<Value>(&patch.patch) {
                    panic!("a generated patch is not YAML ({error}):\n{}", patch.patch);
                }
            }
            let instance = FluxInstance::new("2.9.x")
                .with_components(Component::DEFAULTS)
                .with_patches(patches.clone());
            let _ = instance.violations();
            format!("{} patches", patches.len())
        }
        Err(error) => {
            let message = error.to_string();
            message
                .split('`')
                .step_by(2)
                .collect::<Vec<_>>()
                .concat()
                .chars()
                .filter(|c| c.is_ascii_lowercase() || *c == ' ')
                .take(24)
                .collect()
        }
    }
}

fn is_custom(tuning: &Tuning) -> bool {
    matches!(tuning, Tuning::Custom(_))
}

fn components(u: &mut Unstructured<'_>) -> Result<Vec<Component>> {
    let count = u.int_in_range(0..=4)?;
    (0..count).map(|_| u.choose(&Component::ALL).copied()).collect()
}

fn text(u: &mut Unstructured<'_>, known: &[&str]) -> Result<String> {
    if u.ratio(3, 4)? {
        Ok((*u.choose(known)?).to_owned())
    } else {
        let len = u.int_in_range(0..=12)?;
        let bytes = u.bytes(len)?;
        Ok(String::from_utf8_lossy(bytes).into_owned())
    }
}

const DURATIONS: &[&str] = &[
    "5s", "1h", "60m", "500ms", "1h30m", "0s", "1.5h", "30s", "2m", "10ms", "", "5", "s",
];
const QUANTITIES: &[&str] = &["2Gi", "512Mi", "500m", "1", "1.5Gi", "100M", "0", "", "Gi", "2 Gi"];
const NAMES: &[&str] = &["sops-age", "cluster-secrets", "owner!=helm", "x", "", "a,b", "=", "--x"];

fn amounts(u: &mut Unstructured<'_>) -> Result<ResourceAmounts> {
    Ok(ResourceAmounts {
        cpu: if u.arbitrary()? {
            Some(text(u, QUANTITIES)?.into())
        } else {
            None
        },
        memory: if u.arbitrary()? {
            Some(text(u, QUANTITIES)?.into())
        } else {
            None
        },
    })
}

/// Raw patches: the controller patches of the reference repositories, fluxgen's own kinds of
/// patch, and broken ones.
fn patch_pool() -> &'static [String] {
    static POOL: OnceLock<Vec<String>> = OnceLock::new();
    POOL.get_or_init(|| {
        let mut pool: Vec<String> = [
            "- op: add\n  path: /spec/template/spec/containers/0/args/-\n  value: --concurrent=20\n",
            "- op: add\n  path: /spec/template/spec/containers/0/args/-\n  value: --feature-gates=OOMWatch=true\n",
            "- op: replace\n  path: /spec/template/spec/containers/0/resources/limits/memory\n  value: 1Gi\n",
            "- op: remove\n  path: /spec/template/spec/containers/0/args/0\n",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: all\nspec:\n  template:\n    spec:\n      containers:\n        - name: manager\n          args: [--log-level=debug]\n",
            "- op: add\n  path: /spec/decryption\n  value: {provider: sops, secretRef: {name: sops-age}}\n",
            "[",
            "- op: add\n  path: /spec/template/spec/containers/0/args/-\n  value: 7\n",
            "- op: add\n  path: /spec/template/spec/containers/0/args/-\n  value: --concurrent\n",
            "",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        pool.extend(seeds::reference_patches());
        pool
    })
}

fn custom(u: &mut Unstructured<'_>) -> Result<Tuning> {
    let pool = patch_pool();
    let mut patch = u.choose(pool)?.clone();
    if u.ratio(1, 4)? && !patch.is_empty() {
        // Flip a line of the patch to something else.
        let lines: Vec<&str> = patch.lines().collect();
        let index = u.choose_index(lines.len())?;
        let replacement = text(
            u,
            &[
                "  value: --concurrent=5",
                "  value: --requeue-dependency=1s",
                "- op: test",
                "{",
            ],
        )?;
        let mut edited: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
        edited[index] = replacement;
        patch = edited.join("\n");
    }
    let controllers = components(u)?;
    let name = if controllers.is_empty() || u.ratio(1, 8)? {
        Some(text(
            u,
            &["flux-system", "(kustomize-controller|helm-controller)", ".*", "("],
        )?)
    } else {
        Some(Component::target_name(&controllers))
    };
    Ok(Tuning::Custom(KustomizePatch {
        patch,
        target: Some(PatchTarget {
            kind: Some(text(u, &["Deployment", "Kustomization", "Service"])?),
            name,
            ..PatchTarget::default()
        }),
    }))
}

fn tuning(u: &mut Unstructured<'_>) -> Result<Tuning> {
    Ok(match u.int_in_range(0..=14)? {
        0 => Tuning::workers(components(u)?, u.arbitrary()?),
        1 => Tuning::requeue_dependency(components(u)?, text(u, DURATIONS)?),
        2 => Tuning::kube_api_limits(components(u)?, u.arbitrary()?, u.arbitrary()?),
        3 => Tuning::memory_limit(components(u)?, text(u, QUANTITIES)?),
        4 => Tuning::resources(components(u)?, amounts(u)?, amounts(u)?),
        5 => Tuning::InMemoryBuilds,
        6 => Tuning::helm_cache(u.arbitrary()?, text(u, DURATIONS)?, text(u, DURATIONS)?),
        7 => Tuning::oom_watch(u.arbitrary()?, text(u, DURATIONS)?),
        8 => {
            let controller = *u.choose(&Component::ALL)?;
            let mut known: Vec<&str> = facts::feature_gates(controller).to_vec();
            known.extend(["NoSuchGate", "OOMWatch"]);
            Tuning::feature_gate(controller, text(u, &known)?, u.arbitrary()?)
        }
        9 => Tuning::watch_configs_selector(components(u)?, text(u, NAMES)?),
        10 => Tuning::sops_age_secret(text(u, NAMES)?),
        11 => Tuning::log_level(
            components(u)?,
            *u.choose(&[LogLevel::Trace, LogLevel::Debug, LogLevel::Info, LogLevel::Error])?,
        ),
        12 => Tuning::control_plane_scheduling(components(u)?),
        13 => Tuning::SyncKustomization(SyncKustomizationTuning {
            decryption_secret: if u.arbitrary()? { Some(text(u, NAMES)?) } else { None },
            substitute_from: (0..u.int_in_range(0..=2)?)
                .map(|_| -> Result<SubstituteFrom> {
                    Ok(SubstituteFrom {
                        kind: *u.choose(&[SubstituteKind::ConfigMap, SubstituteKind::Secret])?,
                        name: text(u, NAMES)?,
                        optional: u.arbitrary()?,
                    })
                })
                .collect::<Result<_>>()?,
            wait: u.arbitrary()?,
            timeout: if u.arbitrary()? {
                Some(text(u, DURATIONS)?.into())
            } else {
                None
            },
        }),
        _ => custom(u)?,
    })
}

/// Up to 12 tunings.
pub fn tunings(u: &mut Unstructured<'_>) -> Result<Vec<Tuning>> {
    let count = u.int_in_range(0..=12)?;
    (0..count).map(|_| tuning(u)).collect()
}

const KEYS: &[&str] = &[
    "spec",
    "metadata",
    "labels",
    "annotations",
    "values",
    "instance",
    "interval",
    "timeout",
    "chart",
    "ref",
    "tag",
    "url",
    "sync",
    "components",
    "distribution",
    "version",
    "kustomize",
    "patches",
    "name",
    "$patch",
    "$retainKeys",
    "$setElementOrder/components",
    "install",
    "upgrade",
    "dependsOn",
    "a~1b",
    "",
];

/// A small random JSON value.
fn value(u: &mut Unstructured<'_>, depth: u32) -> Result<Value> {
    let choice = if depth >= 3 {
        u.int_in_range(0..=4)?
    } else {
        u.int_in_range(0..=6)?
    };
    Ok(match choice {
        0 => Value::Null,
        1 => Value::Bool(u.arbitrary()?),
        2 => json!(u.arbitrary::<i64>()?),
        3 => Value::String(text(u, &["5m", "1h", "x", "replace", "delete", "merge", "", "0.58.1"])?),
        4 => json!(u.arbitrary::<f32>()?),
        5 => Value::Array(
            (0..u.int_in_range(0..=3)?)
                .map(|_| value(u, depth + 1))
                .collect::<Result<_>>()?,
        ),
        _ => Value::Object(object(u, depth + 1)?),
    })
}

fn object(u: &mut Unstructured<'_>, depth: u32) -> Result<Map<String, Value>> {
    let mut map = Map::new();
    for _ in 0..u.int_in_range(0..=3)? {
        map.insert(text(u, KEYS)?, value(u, depth)?);
    }
    Ok(map)
}

const POINTERS: &[&str] = &[
    "/spec/interval",
    "/spec/timeout",
    "/spec/values/instance/sync/path",
    "/spec/values/instance/components/0",
    "/spec/values/instance/components/-",
    "/spec/components/-",
    "/metadata/labels/x",
    "/metadata/annotations/a~1b",
    "/spec/ref/tag",
    "/resources/-",
    "/spec",
    "",
    "/",
    "spec",
    "/spec/~2",
    "/spec/values/0",
];

fn operation(u: &mut Unstructured<'_>) -> Result<Value> {
    let mut op = Map::new();
    op.insert(
        "op".into(),
        json!(text(u, &["add", "remove", "replace", "move", "copy", "test"])?),
    );
    op.insert("path".into(), json!(text(u, POINTERS)?));
    if u.ratio(2, 3)? {
        op.insert("value".into(), value(u, 1)?);
    }
    if u.ratio(1, 4)? {
        op.insert("from".into(), json!(text(u, POINTERS)?));
    }
    Ok(Value::Object(op))
}

fn an_override(u: &mut Unstructured<'_>) -> Result<Value> {
    let mut target = Map::new();
    target.insert(
        "kind".into(),
        json!(text(
            u,
            &[
                "HelmRelease",
                "OCIRepository",
                "Kustomization",
                "FluxInstance",
                "ExternalSecret",
                "Receiver"
            ]
        )?),
    );
    if u.arbitrary()? {
        target.insert(
            "name".into(),
            json!(text(u, &["flux-operator", "flux-instance", "flux-system"])?),
        );
    }
    if u.ratio(1, 4)? {
        target.insert(
            "group".into(),
            json!(text(
                u,
                &[
                    "kustomize.config.k8s.io",
                    "helm.toolkit.fluxcd.io",
                    "source.toolkit.fluxcd.io"
                ]
            )?),
        );
    }
    if u.ratio(1, 4)? {
        target.insert(
            "file".into(),
            json!(text(
                u,
                &[
                    "flux-instance/app/helmrelease.yaml",
                    "flux-operator/ks.yaml",
                    "flux-instance/app/kustomization.yaml"
                ]
            )?),
        );
    }
    let mut item = Map::new();
    item.insert("target".into(), Value::Object(target));
    // Usually exactly one patch; sometimes none or two.
    let kinds = u.int_in_range(0u8..=7)?;
    if kinds & 1 == 1 || kinds == 6 {
        item.insert("merge".into(), Value::Object(object(u, 0)?));
    }
    if kinds & 2 == 2 {
        let ops = (0..u.int_in_range(0..=3)?)
            .map(|_| operation(u))
            .collect::<Result<_>>()?;
        item.insert("json".into(), Value::Array(ops));
    }
    if kinds == 4 || kinds == 0 {
        item.insert("strategic".into(), Value::Object(object(u, 0)?));
    }
    Ok(Value::Object(item))
}

fn tuning_settings(u: &mut Unstructured<'_>) -> Result<Value> {
    let mut tuning = Map::new();
    let per_controller = |u: &mut Unstructured<'_>, all: Value| -> Result<Value> {
        if u.arbitrary()? {
            Ok(all)
        } else {
            let mut each = Map::new();
            for component in components(u)? {
                each.insert(component.as_str().to_owned(), all.clone());
            }
            Ok(Value::Object(each))
        }
    };
    if u.arbitrary()? {
        let workers = json!(u.int_in_range(0u32..=200)?);
        tuning.insert("workers".into(), per_controller(u, workers)?);
    }
    if u.arbitrary()? {
        let duration = json!(text(u, DURATIONS)?);
        tuning.insert("requeueDependency".into(), per_controller(u, duration)?);
    }
    if u.arbitrary()? {
        let quantity = json!(text(u, QUANTITIES)?);
        tuning.insert("memoryLimit".into(), per_controller(u, quantity)?);
    }
    if u.arbitrary()? {
        let level = json!(text(u, &["trace", "debug", "info", "error"])?);
        tuning.insert("logLevel".into(), per_controller(u, level)?);
    }
    if u.arbitrary()? {
        let mut gates = Map::new();
        for component in components(u)? {
            let mut known: Vec<&str> = facts::feature_gates(component).to_vec();
            known.push("NoSuchGate");
            gates.insert(
                component.as_str().to_owned(),
                json!({ text(u, &known)?: u.arbitrary::<bool>()? }),
            );
        }
        tuning.insert("featureGates".into(), Value::Object(gates));
    }
    for key in ["inMemoryBuilds", "controlPlane"] {
        if u.arbitrary()? {
            tuning.insert(key.into(), json!(u.arbitrary::<bool>()?));
        }
    }
    if u.ratio(1, 4)? {
        tuning.insert("preset".into(), json!("home-ops"));
    }
    if u.ratio(1, 4)? {
        tuning.insert(
            "helmCache".into(),
            json!({ "maxSize": u.int_in_range(1u32..=20)?, "ttl": text(u, DURATIONS)?, "purgeInterval": text(u, DURATIONS)? }),
        );
    }
    if u.ratio(1, 4)? {
        tuning.insert(
            "oomWatch".into(),
            json!({ "memoryThreshold": u.int_in_range(1u8..=100)?, "interval": text(u, DURATIONS)? }),
        );
    }
    if u.ratio(1, 4)? {
        let Tuning::Custom(patch) = custom(u)? else {
            unreachable!("custom() builds a raw patch")
        };
        let target = patch.target.unwrap_or_default();
        tuning.insert(
            "patches".into(),
            json!([{ "patch": patch.patch, "target": { "kind": target.kind, "name": target.name } }]),
        );
    }
    Ok(Value::Object(tuning))
}

/// A config (JSON is YAML) with random tuning keys, mode, components, webhook and overrides.
pub fn config_with_overrides(u: &mut Unstructured<'_>) -> Result<String> {
    let overrides: Vec<Value> = (0..u.int_in_range(0..=3)?)
        .map(|_| an_override(u))
        .collect::<Result<_>>()?;
    let mut instance = json!({ "mode": *u.choose(&["helmrelease", "manifest"])? });
    if u.arbitrary()? {
        let mut chosen: Vec<&str> = Component::ALL.iter().map(|c| c.as_str()).collect();
        chosen.retain(|_| u.ratio(2, 3).unwrap_or(true));
        instance["components"] = json!(chosen);
    }
    let webhook = match u.int_in_range(0..=3)? {
        0 => json!({ "provider": "none" }),
        1 => json!({ "provider": "github", "token": { "secret": "github-webhook-token" } }),
        2 => {
            json!({ "provider": "gitlab", "token": { "externalSecret": { "store": "vault", "key": "flux", "property": "token" } } })
        }
        _ => json!({ "provider": "generic-hmac", "token": { "secret": "hmac" } }),
    };
    let phase = *u.choose(&["prepare", "operator", "instance", "cutover", "complete"])?;
    let config = json!({
        "repository": { "url": "ssh://git@github.com/example/haynes-ops", "branch": "main" },
        "defaults": {
            "instance": instance,
            "tuning": tuning_settings(u)?,
            "webhook": webhook,
            "overrides": overrides,
        },
        "clusters": { "edge": { "phase": phase } },
    });
    Ok(serde_json::to_string_pretty(&config).expect("a JSON value serializes"))
}
