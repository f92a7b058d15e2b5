//! The sparse settings layer: settings as a YAML tree ([`Node`]) that holds only what is set,
//! in the order of the settings' own fields.
//!
//! Both directions go through it. The loader merges a cluster's entry over `defaults`
//! ([`Node::merged`]) and reads the typed [`Settings`] from the result. `fluxgen import` goes
//! the other way: each cluster's typed settings become a layer ([`sparse`]: what differs from
//! [`Settings::default`], and the keys a written file always states), what every cluster has
//! alike moves to `defaults` ([`factor`]), and the layers are written as they are.

use std::collections::BTreeMap;

use super::Settings;
use crate::yaml::{self, Key, Node, NodeValue, Position};

/// The keys a written file states even when they hold the default: where the apps go, the
/// operator chart and the Flux version, and the sync's name and path (what a reader checks
/// first, and what import always decides).
const STATED: [&[&str]; 5] = [
    &["path"],
    &["operator", "version"],
    &["instance", "distribution", "version"],
    &["instance", "sync", "name"],
    &["instance", "sync", "path"],
];

/// The keys where `{cluster}` expands (the loader expands it nowhere else).
const TEMPLATED: [&[&str]; 2] = [&["path"], &["instance", "sync", "path"]];

/// A value as a tree, in the order of its fields.
fn tree<T: serde::Serialize>(value: &T) -> Node {
    let text = yaml::to_string_in_order(value).expect("fluxgen's settings serialize to YAML");
    yaml::parse(&text).expect("fluxgen reads the YAML it writes")
}

/// An empty mapping.
fn mapping() -> Node {
    Node {
        at: Position { line: 1, column: 1 },
        value: NodeValue::Map(Vec::new()),
    }
}

/// Whether two trees hold the same value (wherever they were written).
fn same(a: &Node, b: &Node) -> bool {
    a.to_json() == b.to_json()
}

/// The layer of one cluster's settings: what differs from the defaults, and the [`STATED`]
/// keys.
pub(crate) fn sparse(settings: &Settings) -> Node {
    let mut layer = tree(settings);
    let defaults = tree(&Settings::default());
    keep_set(&mut layer, Some(&defaults), &mut Vec::new());
    layer
}

/// Drops from `node`'s mapping what equals `defaults` (recursing into mappings), keeping the
/// [`STATED`] keys.
fn keep_set(node: &mut Node, defaults: Option<&Node>, keys: &mut Vec<String>) {
    let NodeValue::Map(entries) = &mut node.value else {
        return;
    };
    entries.retain_mut(|(key, child)| {
        keys.push(key.name.clone());
        let default = defaults.and_then(|d| d.get(&key.name));
        // A mapping that holds a stated key is looked into even when it is all defaults.
        let holds_stated = STATED
            .iter()
            .any(|stated| stated.len() > keys.len() && stated.iter().zip(keys.iter()).all(|(s, k)| s == k));
        let keep = if STATED.iter().any(|stated| *stated == keys.as_slice()) {
            true
        } else if child.value == NodeValue::Null || (!holds_stated && default.is_some_and(|d| same(child, d))) {
            false
        } else if matches!(child.value, NodeValue::Map(_)) {
            keep_set(child, default, keys);
            !matches!(&child.value, NodeValue::Map(entries) if entries.is_empty())
        } else {
            true
        };
        keys.pop();
        keep
    });
}

/// The layers of a file's clusters: what all clusters share (a path with the cluster's name in
/// it as a `{cluster}` path) becomes `defaults`, the rest stays with each cluster.
pub(crate) fn factor(clusters: &BTreeMap<String, Settings>) -> (Node, BTreeMap<String, Node>) {
    let mut layers: BTreeMap<String, Node> = clusters
        .iter()
        .map(|(name, settings)| {
            let mut layer = sparse(settings);
            for keys in TEMPLATED {
                template(&mut layer, keys, name);
            }
            (name.clone(), layer)
        })
        .collect();
    let mut defaults = mapping();
    shared(layers.values_mut().collect(), &mut defaults);
    // A `{cluster}` path that stayed with one cluster reads better spelled out.
    for (name, layer) in &mut layers {
        for keys in TEMPLATED {
            untemplate(layer, keys, name);
        }
    }
    (defaults, layers)
}

/// Moves what every layer has, equal, into `into`; recurses into mappings (which merge
/// deeply when the file is loaded); anything else moves whole or not at all.
fn shared(mut layers: Vec<&mut Node>, into: &mut Node) {
    let Some(NodeValue::Map(first)) = layers.first().map(|l| &l.value) else {
        return;
    };
    let keys: Vec<Key> = first.iter().map(|(k, _)| k.clone()).collect();
    for key in keys {
        let present: Vec<Node> = layers.iter().filter_map(|l| l.get(&key.name).cloned()).collect();
        if present.len() != layers.len() {
            continue;
        }
        if present.iter().all(|v| same(v, &present[0])) {
            push(into, key.clone(), present[0].clone());
            for layer in &mut layers {
                remove(layer, &key.name);
            }
        } else if present.iter().all(|v| matches!(v.value, NodeValue::Map(_))) {
            let mut inner = mapping();
            let children: Vec<&mut Node> = layers.iter_mut().filter_map(|l| child_mut(l, &key.name)).collect();
            shared(children, &mut inner);
            if matches!(&inner.value, NodeValue::Map(entries) if !entries.is_empty()) {
                push(into, key.clone(), inner);
            }
            for layer in &mut layers {
                if child_mut(layer, &key.name)
                    .is_some_and(|child| matches!(&child.value, NodeValue::Map(entries) if entries.is_empty()))
                {
                    remove(layer, &key.name);
                }
            }
        }
    }
}

fn push(into: &mut Node, key: Key, value: Node) {
    if let NodeValue::Map(entries) = &mut into.value {
        entries.push((key, value));
    }
}

fn remove(node: &mut Node, key: &str) {
    if let NodeValue::Map(entries) = &mut node.value {
        entries.retain(|(k, _)| k.name != key);
    }
}

fn child_mut<'a>(node: &'a mut Node, key: &str) -> Option<&'a mut Node> {
    match &mut node.value {
        NodeValue::Map(entries) => entries.iter_mut().find(|(k, _)| k.name == key).map(|(_, v)| v),
        _ => None,
    }
}

fn path_mut<'a>(node: &'a mut Node, keys: &[&str]) -> Option<&'a mut String> {
    let mut here = node;
    for key in keys {
        here = child_mut(here, key)?;
    }
    match &mut here.value {
        NodeValue::Str(text) => Some(text),
        _ => None,
    }
}

fn template(layer: &mut Node, keys: &[&str], cluster: &str) {
    if let Some(path) = path_mut(layer, keys) {
        let replaced: Vec<&str> = path
            .split('/')
            .map(|segment| if segment == cluster { "{cluster}" } else { segment })
            .collect();
        *path = replaced.join("/");
    }
}

fn untemplate(layer: &mut Node, keys: &[&str], cluster: &str) {
    if let Some(path) = path_mut(layer, keys) {
        *path = path.replace("{cluster}", cluster);
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize as _;

    use super::*;
    use crate::config::PerController;

    fn settings(path: &str, workers: u32) -> Settings {
        let mut settings = Settings {
            path: path.to_owned(),
            ..Settings::default()
        };
        settings.tuning.workers = Some(PerController::All(workers));
        settings.tuning.in_memory_builds = Some(true);
        settings
    }

    /// What the loader reads from a cluster's layer merged over `defaults`, paths expanded.
    fn loaded(defaults: &Node, entry: &Node, cluster: &str) -> Settings {
        let mut settings = Settings::deserialize(&defaults.merged(entry).to_json()).expect("settings read");
        settings.path = settings.path.replace("{cluster}", cluster);
        settings.instance.sync.path = settings.instance.sync.path.replace("{cluster}", cluster);
        settings
    }

    #[test]
    fn shared_settings_move_to_defaults_with_cluster_paths() {
        let clusters = BTreeMap::from([
            ("main".to_owned(), settings("kubernetes/main/apps/flux-system", 12)),
            ("edge".to_owned(), settings("kubernetes/edge/apps/flux-system", 8)),
        ]);
        let (defaults, entries) = factor(&clusters);
        assert_eq!(
            defaults.get("path").and_then(Node::as_str),
            Some("kubernetes/{cluster}/apps/flux-system")
        );
        let tuning = defaults.get("tuning").expect("tuning");
        assert_eq!(tuning.get("inMemoryBuilds").map(Node::to_json), Some(true.into()));
        assert!(tuning.get("workers").is_none());
        assert_eq!(
            entries["main"].at_path(["tuning", "workers"]).map(Node::to_json),
            Some(12.into())
        );
        assert!(entries["main"].get("path").is_none());
        for (name, entry) in &entries {
            let mut expected = clusters[name].clone();
            expected.instance.sync.path = expected.instance.sync.path.replace("{cluster}", name);
            assert_eq!(loaded(&defaults, entry, name), expected, "{name} loads back");
        }
    }

    #[test]
    fn a_path_of_one_cluster_is_spelled_out() {
        let clusters = BTreeMap::from([
            ("main".to_owned(), settings("kubernetes/main/apps/flux-system", 1)),
            ("edge".to_owned(), settings("kubernetes/apps/edge", 1)),
        ]);
        let (defaults, entries) = factor(&clusters);
        assert!(defaults.get("path").is_none());
        assert_eq!(
            entries["edge"].get("path").and_then(Node::as_str),
            Some("kubernetes/apps/edge")
        );
        assert_eq!(
            entries["main"].get("path").and_then(Node::as_str),
            Some("kubernetes/main/apps/flux-system")
        );
        for (name, entry) in &entries {
            let mut expected = clusters[name].clone();
            expected.instance.sync.path = expected.instance.sync.path.replace("{cluster}", name);
            assert_eq!(loaded(&defaults, entry, name), expected, "{name} loads back");
        }
    }
}
