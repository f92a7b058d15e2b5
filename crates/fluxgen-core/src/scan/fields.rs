//! The fields of Flux objects that the scanner reads, checked: a field of the wrong type (a
//! list where `spec.path` is a string) or a duration Flux rejects (`interval: 10x`) is a
//! [`Note`] at the value's line and column, with the field's path; the readers of
//! `flux_objects` then see the object as if the field were not written.
//!
//! A value holding a `${VAR}` reference is accepted as any scalar: Flux substitutes it before
//! the object reaches the API server.

use self::Shape::{Duration, Flag, List, Map, Text};
use super::model::{Note, NoteKind};
use crate::duration::is_flux_duration;
use crate::yaml::{Node, NodeValue};

/// What a field must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    /// A scalar (the readers keep numbers and booleans as written).
    Text,
    /// `true` or `false`.
    Flag,
    /// A Flux duration (`crate::patterns::DURATION`).
    Duration,
    /// A list.
    List,
    /// A mapping.
    Map,
}

/// Fields as `(dotted path, shape)`.
type Fields = &'static [(&'static str, Shape)];

/// The fields every Flux object is read by.
const EVERY_OBJECT: Fields = &[("metadata", Map), ("metadata.name", Text), ("metadata.namespace", Text)];

/// The fields the scanner reads, by API group and kind.
const FIELDS: &[(&str, &str, Fields)] = &[
    (
        "source.toolkit.fluxcd.io",
        "GitRepository",
        &[
            ("spec", Map),
            ("spec.url", Text),
            ("spec.ref", Map),
            ("spec.ref.branch", Text),
            ("spec.ref.tag", Text),
            ("spec.ref.semver", Text),
            ("spec.ref.name", Text),
            ("spec.ref.commit", Text),
            ("spec.secretRef", Map),
            ("spec.secretRef.name", Text),
            ("spec.interval", Duration),
            ("spec.ignore", Text),
        ],
    ),
    (
        "source.toolkit.fluxcd.io",
        "OCIRepository",
        &[
            ("spec", Map),
            ("spec.url", Text),
            ("spec.ref", Map),
            ("spec.ref.tag", Text),
            ("spec.ref.semver", Text),
            ("spec.ref.digest", Text),
            ("spec.interval", Duration),
        ],
    ),
    (
        "kustomize.toolkit.fluxcd.io",
        "Kustomization",
        &[
            ("spec", Map),
            ("spec.path", Text),
            ("spec.sourceRef", Map),
            ("spec.sourceRef.kind", Text),
            ("spec.sourceRef.name", Text),
            ("spec.sourceRef.namespace", Text),
            ("spec.prune", Flag),
            ("spec.wait", Flag),
            ("spec.suspend", Flag),
            ("spec.interval", Duration),
            ("spec.timeout", Duration),
            ("spec.targetNamespace", Text),
            ("spec.postBuild", Map),
            ("spec.postBuild.substitute", Map),
            ("spec.postBuild.substituteFrom", List),
            ("spec.decryption", Map),
            ("spec.decryption.provider", Text),
            ("spec.dependsOn", List),
            ("spec.patches", List),
        ],
    ),
    (
        "helm.toolkit.fluxcd.io",
        "HelmRelease",
        &[
            ("spec", Map),
            ("spec.chart", Map),
            ("spec.chart.spec", Map),
            ("spec.chart.spec.chart", Text),
            ("spec.chart.spec.version", Text),
            ("spec.chartRef", Map),
            ("spec.valuesFrom", List),
            ("spec.values", Map),
            ("spec.dependsOn", List),
        ],
    ),
    (
        "notification.toolkit.fluxcd.io",
        "Receiver",
        &[
            ("spec", Map),
            ("spec.type", Text),
            ("spec.secretRef", Map),
            ("spec.resources", List),
        ],
    ),
    (
        "notification.toolkit.fluxcd.io",
        "Alert",
        &[("spec", Map), ("spec.providerRef", Map), ("spec.eventSources", List)],
    ),
    (
        "notification.toolkit.fluxcd.io",
        "Provider",
        &[("spec", Map), ("spec.type", Text), ("spec.secretRef", Map)],
    ),
    (
        "fluxcd.controlplane.io",
        "FluxInstance",
        &[
            ("spec", Map),
            ("spec.distribution", Map),
            ("spec.distribution.version", Text),
            ("spec.components", List),
            ("spec.cluster", Map),
            ("spec.cluster.networkPolicy", Flag),
            ("spec.sync", Map),
            ("spec.sync.kind", Text),
            ("spec.sync.url", Text),
            ("spec.sync.ref", Text),
            ("spec.sync.path", Text),
            ("spec.sync.name", Text),
            ("spec.sync.pullSecret", Text),
            ("spec.sync.interval", Duration),
            ("spec.kustomize", Map),
            ("spec.kustomize.patches", List),
        ],
    ),
];

/// Notes every field of a Flux object (of `group` and `kind`, named `name`) that the scanner
/// reads and that has the wrong type or an invalid value. Other objects are not checked.
pub(super) fn check(group: &str, kind: &str, name: &str, document: &Node, file: &str, notes: &mut Vec<Note>) {
    let Some((_, _, fields)) = FIELDS.iter().find(|(g, k, _)| *g == group && *k == kind) else {
        return;
    };
    for (path, shape) in EVERY_OBJECT.iter().chain(fields.iter()) {
        let Some(value) = document.at_path(path.split('.')) else {
            continue;
        };
        if let Some(reason) = problem(value, *shape) {
            notes.push(Note {
                file: file.to_owned(),
                line: Some(value.at.line),
                column: Some(value.at.column),
                kind: NoteKind::InvalidField,
                message: format!("{kind} `{name}`: {path}: {reason}; the object is read without it"),
            });
        }
    }
}

/// Whether a duration is one the scanner keeps: a Flux duration, or a `${VAR}` reference.
pub(super) fn is_duration(text: &str) -> bool {
    is_substituted(text) || is_flux_duration(text, true)
}

fn is_substituted(text: &str) -> bool {
    text.contains("${")
}

/// What is wrong with a value for a shape, if anything. `null` is a field not written.
fn problem(value: &Node, shape: Shape) -> Option<String> {
    let substituted = value.as_str().is_some_and(is_substituted);
    let fits = match (&value.value, shape) {
        (NodeValue::Null, _) => true,
        (_, _) if substituted && shape != List && shape != Map => true,
        (NodeValue::Str(_) | NodeValue::Int(_) | NodeValue::Float(_) | NodeValue::Bool(_), Text) => true,
        (NodeValue::Bool(_), Flag) => true,
        (NodeValue::Seq(_), List) => true,
        (NodeValue::Map(_), Map) => true,
        (NodeValue::Str(text), Duration) => {
            return (!is_duration(text)).then(|| {
                format!("`{text}` is not a duration: use a number and a unit (ms, s, m, h), e.g. 30s, 5m, 1h30m")
            });
        }
        _ => false,
    };
    (!fits).then(|| {
        let expected = match shape {
            Text => "a string",
            Flag => "a boolean (true or false)",
            Duration => "a duration (e.g. 30s, 5m, 1h30m)",
            List => "a list",
            Map => "a mapping",
        };
        format!("expected {expected}, found {}", value.type_name())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml;

    fn notes(text: &str) -> Vec<String> {
        let document = yaml::parse(text).unwrap();
        let mut notes = Vec::new();
        check(
            "kustomize.toolkit.fluxcd.io",
            "Kustomization",
            "cluster",
            &document,
            "ks.yaml",
            &mut notes,
        );
        notes.sort_by_key(|n| (n.line, n.column));
        notes.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn wrong_types_and_durations_are_located_with_their_path() {
        let found = notes(
            "metadata: {name: cluster}\nspec:\n  path: [./a]\n  interval: 10x\n  prune: \"yes\"\n  \
             timeout: 5m\n  dependsOn: {name: x}\n",
        );
        assert_eq!(
            found,
            [
                "ks.yaml:3:9: Kustomization `cluster`: spec.path: expected a string, found a list; the object is read without it",
                "ks.yaml:4:13: Kustomization `cluster`: spec.interval: `10x` is not a duration: use a number and a unit (ms, s, m, h), e.g. 30s, 5m, 1h30m; the object is read without it",
                "ks.yaml:5:10: Kustomization `cluster`: spec.prune: expected a boolean (true or false), found a string; the object is read without it",
                "ks.yaml:7:14: Kustomization `cluster`: spec.dependsOn: expected a list, found a mapping; the object is read without it",
            ]
        );
    }

    #[test]
    fn substitutions_nulls_and_numbers_are_accepted() {
        let found = notes(
            "metadata: {name: cluster}\nspec:\n  path: ./k/${CLUSTER}\n  interval: ${INTERVAL:=1h}\n  \
             prune: ${PRUNE}\n  timeout: ~\n  targetNamespace: 42\n",
        );
        assert!(found.is_empty(), "{found:?}");
    }
}
