//! From a cluster's GOTK controller patches to typed `tuning` keys.
//!
//! The patches are read in the order kustomize applies them; container arguments are folded
//! per controller as the controllers read them (the last value of a flag wins, feature gates
//! accumulate gate by gate), and each effective value becomes a typed key: one value for the
//! usual controllers, or a value per controller where they differ. What has no typed key is
//! kept as a raw patch, the original text where the whole patch is kept.

use std::collections::BTreeMap;

use super::controller_patches::{Effect, classify};
use super::report::{EntryKind, ImportReport};
use super::typed_keys::{ArgKeys, fallback_patches, typed_gates, typed_resources};
use crate::Component;
use crate::config::{RawPatch, TuningSettings};
use crate::scan::{Location, Patch};

/// What the controller patches of one cluster become.
#[derive(Debug, Default)]
pub(super) struct Translation {
    /// The tuning keys.
    pub(super) tuning: TuningSettings,
    /// `instance.cluster.networkPolicy`.
    pub(super) network_policy: Option<bool>,
    /// `instance.cluster.multitenant`, with the tenants' default service account.
    pub(super) multitenant: Option<String>,
    /// `instance.cluster.objectLevelWorkloadIdentity`, from the `ObjectLevelWorkloadIdentity`
    /// gate (the operator sets that gate from the cluster setting).
    pub(super) object_level_workload_identity: Option<bool>,
}

/// One value a flag (or gate) was set to, and where.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Set {
    pub(super) value: String,
    pub(super) at: Location,
}

/// The folded state of the controllers.
#[derive(Default)]
pub(super) struct Folded {
    /// Every value each flag was set to, in order.
    pub(super) args: BTreeMap<Component, BTreeMap<String, Vec<Set>>>,
    /// Every value each gate was set to, in order.
    pub(super) gates: BTreeMap<Component, BTreeMap<String, Vec<Set>>>,
    /// Resources: (limits cpu, limits memory, requests cpu, requests memory), last wins.
    pub(super) resources: BTreeMap<Component, [Option<Set>; 4]>,
    /// Where kustomize-controller's `temp` volume was put in memory.
    pub(super) in_memory: Option<Location>,
}

impl Folded {
    pub(super) fn last(&self, controller: Component, flag: &str) -> Option<&Set> {
        self.args.get(&controller)?.get(flag)?.last()
    }

    /// `flag`'s effective value on each controller that sets it.
    pub(super) fn values(&self, flag: &str) -> BTreeMap<Component, Set> {
        self.args
            .iter()
            .filter_map(|(c, flags)| Some((*c, flags.get(flag)?.last()?.clone())))
            .collect()
    }
}

/// Translates the patches of one cluster, in order.
pub(super) fn translate(
    patches: &[&Patch],
    enabled: &[Component],
    cluster: &str,
    report: &mut ImportReport,
) -> Translation {
    let mut translation = Translation::default();
    let mut folded = Folded::default();
    let mut raw: Vec<RawPatch> = Vec::new();
    let mut service_account: Vec<(RawPatch, Location)> = Vec::new();
    let mut note =
        |kind: EntryKind, message: String, at: &Location| report.push(Some(cluster), kind, message, Some(at));
    for patch in patches {
        for effect in classify(patch, enabled) {
            match effect {
                Effect::DeleteNetworkPolicies => {
                    translation.network_policy = Some(false);
                    note(
                        EntryKind::Translated,
                        "the NetworkPolicy delete patch → `instance.cluster.networkPolicy: false`".into(),
                        &patch.at,
                    );
                }
                Effect::Rename { what, to } => note(
                    EntryKind::Dropped,
                    format!("the rename of {what} to `{to}`: the operator gives it that name itself"),
                    &patch.at,
                ),
                Effect::Arg {
                    controllers,
                    flag,
                    value,
                } => {
                    for controller in controllers {
                        if flag == "feature-gates" {
                            for (gate, on) in value.split(',').filter_map(|pair| pair.split_once('=')) {
                                folded
                                    .gates
                                    .entry(controller)
                                    .or_default()
                                    .entry(gate.trim().to_owned())
                                    .or_default()
                                    .push(Set {
                                        value: on.trim().to_ascii_lowercase(),
                                        at: patch.at.clone(),
                                    });
                            }
                        } else {
                            folded
                                .args
                                .entry(controller)
                                .or_default()
                                .entry(flag.clone())
                                .or_default()
                                .push(Set {
                                    value: value.clone(),
                                    at: patch.at.clone(),
                                });
                        }
                    }
                }
                Effect::InMemoryBuilds => folded.in_memory = Some(patch.at.clone()),
                Effect::Resources {
                    controllers,
                    limits,
                    requests,
                } => {
                    for controller in controllers {
                        let slots = folded.resources.entry(controller).or_default();
                        for (index, amount) in [
                            limits.0.clone(),
                            limits.1.clone(),
                            requests.0.clone(),
                            requests.1.clone(),
                        ]
                        .into_iter()
                        .enumerate()
                        {
                            if let Some(value) = amount {
                                slots[index] = Some(Set {
                                    value,
                                    at: patch.at.clone(),
                                });
                            }
                        }
                    }
                }
                Effect::Raw { patch: kept, .. } if super::multitenancy::is_sync_service_account(&kept) => {
                    // Part of the lockdown: the profile sets it, or it is kept below.
                    service_account.push((kept, patch.at.clone()));
                }
                Effect::Raw {
                    patch: kept,
                    verbatim,
                    controllers,
                } => {
                    let on = if controllers.is_empty() {
                        format!(
                            "{} {}",
                            kept.target.kind.as_deref().unwrap_or_default(),
                            kept.target.name.as_deref().unwrap_or("(any name)")
                        )
                    } else {
                        list(&controllers)
                    };
                    let message = if verbatim {
                        format!("kept verbatim as a raw `tuning.patches` entry (no typed key for it): on {on}")
                    } else {
                        format!("the operations with no typed key kept as a raw `tuning.patches` entry: on {on}")
                    };
                    note(EntryKind::NotTranslated, message, &patch.at);
                    if kept.target.kind.as_deref() == Some("CustomResourceDefinition") {
                        note(
                            EntryKind::Warning,
                            "this patch edits a Flux CRD by position (`/spec/versions/<n>/...`): Flux 2.9's CRDs serve \
                             fewer versions than older releases, so check each index against the version the \
                             FluxInstance installs, or the operator's reconcile fails"
                                .into(),
                            &patch.at,
                        );
                    }
                    raw.push(kept);
                }
                Effect::OtherControllers(controllers) => note(
                    EntryKind::Dropped,
                    format!(
                        "a patch of {} only, which the FluxInstance does not run (see `instance.components`)",
                        list(&controllers)
                    ),
                    &patch.at,
                ),
                Effect::Untargeted => note(
                    EntryKind::NotTranslated,
                    "a patch without a target kind: the operator needs one, so it is left out; add it to \
                     `tuning.patches` with a `target` by hand"
                        .into(),
                    &patch.at,
                ),
            }
        }
    }
    report_repeats(&folded, cluster, report);
    translation.multitenant =
        super::multitenancy::lockdown(&mut folded, !service_account.is_empty(), enabled, cluster, report);
    if translation.multitenant.is_none() {
        for (kept, at) in service_account {
            report.push(
                Some(cluster),
                EntryKind::NotTranslated,
                format!(
                    "kept verbatim as a raw `tuning.patches` entry: the sync Kustomization's service account (on {} {})",
                    kept.target.kind.as_deref().unwrap_or_default(),
                    kept.target.name.as_deref().unwrap_or("(any name)")
                ),
                Some(&at),
            );
            raw.push(kept);
        }
    }
    let tuning = &mut translation.tuning;
    let workload_identity = &mut translation.object_level_workload_identity;
    let mut fallback = ArgKeys {
        folded: &mut folded,
        enabled,
        tuning,
        fallback: BTreeMap::new(),
        cluster,
        report,
    }
    .translate();
    // A lockdown short of the operator's whole profile stays as the flags it is.
    for (controller, flags) in &folded.args {
        for flag in super::multitenancy::FLAGS {
            if let Some(set) = flags.get(flag).and_then(|sets| sets.last()) {
                fallback
                    .entry(*controller)
                    .or_default()
                    .push(format!("--{flag}={}", set.value));
            }
        }
    }
    typed_gates(&folded, enabled, tuning, workload_identity, cluster, report);
    typed_resources(&folded, enabled, tuning, cluster, report);
    if let Some(at) = &folded.in_memory {
        tuning.in_memory_builds = Some(true);
        report.push(
            Some(cluster),
            EntryKind::Translated,
            "kustomize-controller's `temp` volume in memory → `tuning.inMemoryBuilds: true`".into(),
            Some(at),
        );
    }
    tuning.patches = fallback_patches(&fallback);
    tuning.patches.extend(raw);
    translation
}

/// `a, b and c` for controllers.
pub(super) fn list(controllers: &[Component]) -> String {
    let names: Vec<&str> = controllers.iter().map(|c| c.as_str()).collect();
    match names.as_slice() {
        [] => "no controller".to_owned(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// Says where a flag or gate is set more than once on a controller: the last value wins,
/// and import keeps it.
fn report_repeats(folded: &Folded, cluster: &str, report: &mut ImportReport) {
    // (what, every value and where) → the controllers with that history.
    type History = Vec<(String, Location)>;
    let mut repeats: BTreeMap<(String, History), Vec<Component>> = BTreeMap::new();
    for (label, map) in [("", &folded.args), ("feature gate ", &folded.gates)] {
        for (controller, flags) in map {
            for (name, sets) in flags {
                if sets.len() > 1 {
                    let shown = if label.is_empty() {
                        format!("`--{name}`")
                    } else {
                        format!("the feature gate `{name}`")
                    };
                    let history = sets.iter().map(|s| (s.value.clone(), s.at.clone())).collect();
                    repeats.entry((shown, history)).or_default().push(*controller);
                }
            }
        }
    }
    for ((shown, history), controllers) in repeats {
        let values: Vec<String> = history.iter().map(|(v, at)| format!("{v} ({at})")).collect();
        let last = &history[history.len() - 1];
        let message = if history.iter().all(|(v, _)| *v == last.0) {
            format!(
                "{shown} is set {} times on {} to the same value {}: import keeps it once",
                history.len(),
                list(&controllers),
                last.0
            )
        } else {
            format!(
                "{shown} is set {} times on {}: {}; the last one wins, so import keeps {}",
                history.len(),
                list(&controllers),
                values.join(", then "),
                last.0
            )
        };
        report.push(Some(cluster), EntryKind::Warning, message, Some(&last.1));
    }
}
