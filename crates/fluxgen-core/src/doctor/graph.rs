//! The ownership graph as reports draw it: per cluster, every Flux Kustomization and who applies
//! it, each FluxInstance and its sync, and who manages the controllers; two owners and paths that
//! do not exist are marked. [`Graph::mermaid`] renders it as a Mermaid flowchart, which GitHub
//! and GitLab draw in a pull request.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use serde::Serialize;

use crate::scan::ScannedRepository;
use crate::scan::build_graph::{BuildGraph, Origin};
use crate::scan::layout::ClusterScope;
use crate::scan::sync_decision::decide;

/// The graph as reports draw it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Graph {
    /// Kustomizations, FluxInstances, installs and the controllers.
    pub nodes: Vec<GraphNode>,
    /// Who applies or manages what.
    pub edges: Vec<GraphEdge>,
}

/// What a graph node is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NodeKind {
    /// A Flux Kustomization of the repository.
    Kustomization,
    /// The sync Kustomization a FluxInstance creates.
    Sync,
    /// A FluxInstance.
    FluxInstance,
    /// A bootstrap install (`kubectl apply -k`).
    Bootstrap,
    /// The Flux controllers and CRDs of a cluster.
    Controllers,
}

/// A node of the ownership graph.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GraphNode {
    /// A unique identifier (`n0`, `n1`, ...).
    pub id: String,
    /// What it is.
    pub kind: NodeKind,
    /// Its cluster.
    pub cluster: Option<String>,
    /// What it is called, e.g. `Kustomization cluster-apps`.
    pub label: String,
    /// The directory it applies, for a Kustomization.
    pub path: Option<String>,
    /// Where it is defined.
    pub file: Option<String>,
    /// Applied by two Kustomizations, or managing what another manager does too.
    pub conflict: bool,
    /// Its path does not exist.
    pub missing: bool,
}

/// An edge: `from` applies (or manages) `to`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GraphEdge {
    /// The applying node's id.
    pub from: String,
    /// The applied node's id.
    pub to: String,
    /// What the edge means, e.g. `applies`, `manages`, `overlaps`.
    pub label: String,
    /// A second owner or manager.
    pub conflict: bool,
}

/// Draws the ownership graph of every cluster.
pub(super) fn draw(repository: &ScannedRepository, ownership: &BuildGraph, scopes: &[ClusterScope]) -> Graph {
    let mut graph = Graph::default();
    let mut ids: BTreeMap<usize, String> = BTreeMap::new();
    let mut next = 0usize;
    let new_id = |next: &mut usize| {
        let id = format!("n{next}");
        *next += 1;
        id
    };
    for scope in scopes {
        let cluster = scope.name.clone();
        // A sync that adopts a Kustomization of its name is that Kustomization: one node.
        let mut adopted_by: BTreeMap<usize, usize> = BTreeMap::new();
        for &index in &scope.nodes {
            let Origin::Sync(instance) = ownership.nodes[index].origin else {
                continue;
            };
            let instance = &repository.flux_instances[instance];
            let namespace = instance.namespace.as_deref().unwrap_or(crate::facts::DEFAULT_NAMESPACE);
            let node = &ownership.nodes[index];
            let Some(path) = &node.dir else { continue };
            if let Some(adopted) = decide(repository, scope, &node.name, namespace, path).adopted() {
                adopted_by.insert(adopted, index);
            }
        }
        for &index in &scope.nodes {
            if ids.contains_key(&index) {
                continue;
            }
            let node = &ownership.nodes[index];
            if adopted_by.values().any(|&sync| sync == index) {
                continue;
            }
            let id = new_id(&mut next);
            ids.insert(index, id.clone());
            let (kind, label) = match (node.origin, adopted_by.get(&index)) {
                (Origin::Kustomization(_), Some(_)) => (
                    NodeKind::Sync,
                    format!("Kustomization {}, adopted by the FluxInstance's sync", node.name),
                ),
                (Origin::Kustomization(_), None) => (NodeKind::Kustomization, format!("Kustomization {}", node.name)),
                (Origin::Sync(_), _) => (NodeKind::Sync, format!("sync Kustomization {}", node.name)),
            };
            graph.nodes.push(GraphNode {
                id,
                kind,
                cluster: cluster.clone(),
                label,
                path: node.dir.clone(),
                file: Some(node.at.file.clone()),
                conflict: false,
                missing: !node.exists,
            });
        }
        for (&adopted, &sync) in &adopted_by {
            if let Some(id) = ids.get(&adopted).cloned() {
                ids.insert(sync, id);
            }
        }
        // Who applies whom.
        let mut drawn: BTreeSet<(String, String)> = BTreeSet::new();
        for &index in &scope.nodes {
            let node = &ownership.nodes[index];
            for child in node.applies.iter().filter(|&&c| c != index && scope.has_node(c)) {
                let edge = GraphEdge {
                    from: ids[&index].clone(),
                    to: ids[child].clone(),
                    label: "applies".to_owned(),
                    conflict: false,
                };
                if edge.from != edge.to && drawn.insert((edge.from.clone(), edge.to.clone())) {
                    graph.edges.push(edge);
                }
            }
        }
        // Two owners of one directory or object.
        let mut pairs = BTreeSet::new();
        for &index in &scope.nodes {
            let node = &ownership.nodes[index];
            let Some(dir) = &node.dir else { continue };
            for (other, _) in ownership.overlapping(dir, &node.build, Some(index)) {
                if !scope.has_node(other) || ids[&index] == ids[&other] {
                    continue;
                }
                if pairs.insert((index.min(other), index.max(other))) {
                    graph.edges.push(GraphEdge {
                        from: ids[&index.min(other)].clone(),
                        to: ids[&index.max(other)].clone(),
                        label: "same objects".to_owned(),
                        conflict: true,
                    });
                    for id in [&ids[&index], &ids[&other]] {
                        if let Some(n) = graph.nodes.iter_mut().find(|n| &n.id == id) {
                            n.conflict = true;
                        }
                    }
                }
            }
        }
        // The controllers and their managers.
        let mut managers: Vec<(String, &'static str)> = Vec::new();
        for &i in &scope.bootstraps {
            let install = &repository.bootstrap_installs[i];
            let id = new_id(&mut next);
            graph.nodes.push(GraphNode {
                id: id.clone(),
                kind: NodeKind::Bootstrap,
                cluster: cluster.clone(),
                label: format!("bootstrap install {}", install.version.as_deref().unwrap_or(""))
                    .trim()
                    .to_owned(),
                path: None,
                file: Some(install.at.file.clone()),
                conflict: false,
                missing: false,
            });
            managers.push((id, "kubectl apply"));
        }
        for &k in &scope.flux_manifests {
            if let Some(node) = ownership.node_of(k).and_then(|n| ids.get(&n)) {
                managers.push((node.clone(), "applies flux-manifests"));
            }
        }
        for &i in &scope.instances {
            let instance = &repository.flux_instances[i];
            let id = new_id(&mut next);
            graph.nodes.push(GraphNode {
                id: id.clone(),
                kind: NodeKind::FluxInstance,
                cluster: cluster.clone(),
                label: format!("FluxInstance {}", instance.name),
                path: None,
                file: Some(instance.at.file.clone()),
                conflict: false,
                missing: false,
            });
            if let Some(sync) = ownership
                .nodes
                .iter()
                .position(|n| n.origin == Origin::Sync(i))
                .and_then(|n| ids.get(&n))
            {
                graph.edges.push(GraphEdge {
                    from: id.clone(),
                    to: sync.clone(),
                    label: "syncs".to_owned(),
                    conflict: false,
                });
            }
            managers.push((id, "manages"));
        }
        if !managers.is_empty() {
            let id = new_id(&mut next);
            let conflict = managers.len() > 1;
            graph.nodes.push(GraphNode {
                id: id.clone(),
                kind: NodeKind::Controllers,
                cluster: cluster.clone(),
                label: "Flux controllers and CRDs".to_owned(),
                path: None,
                file: None,
                conflict,
                missing: false,
            });
            for (manager, label) in managers {
                graph.edges.push(GraphEdge {
                    from: manager,
                    to: id.clone(),
                    label: label.to_owned(),
                    conflict,
                });
            }
        }
    }
    graph
}

impl Graph {
    /// The graph as a Mermaid flowchart, one subgraph per cluster.
    pub fn mermaid(&self) -> String {
        let mut out = String::from("flowchart LR\n");
        let mut clusters: BTreeMap<Option<&str>, Vec<&GraphNode>> = BTreeMap::new();
        for node in &self.nodes {
            clusters.entry(node.cluster.as_deref()).or_default().push(node);
        }
        for (index, (cluster, nodes)) in clusters.iter().enumerate() {
            let indent = if cluster.is_some() { "    " } else { "  " };
            if let Some(cluster) = cluster {
                let _ = writeln!(out, "  subgraph c{index}[\"cluster {}\"]", escape(cluster));
            }
            for node in nodes {
                let mut label = escape(&node.label);
                if let Some(path) = &node.path {
                    let _ = write!(label, "<br/>./{}", escape(path));
                }
                if node.missing {
                    label.push_str("<br/>(path missing)");
                }
                let (open, close) = match node.kind {
                    NodeKind::Kustomization | NodeKind::Sync => ("[", "]"),
                    NodeKind::FluxInstance => ("([", "])"),
                    NodeKind::Bootstrap => ("[/", "/]"),
                    NodeKind::Controllers => ("[(", ")]"),
                };
                let _ = writeln!(out, "{indent}{}{open}\"{label}\"{close}", node.id);
            }
            if cluster.is_some() {
                out.push_str("  end\n");
            }
        }
        for edge in &self.edges {
            let arrow = if edge.conflict { "-. " } else { "-- " };
            let end = if edge.conflict { " .->" } else { " -->" };
            let _ = writeln!(out, "  {} {arrow}{}{end} {}", edge.from, escape(&edge.label), edge.to);
        }
        let conflicts: Vec<&str> = self
            .nodes
            .iter()
            .filter(|n| n.conflict)
            .map(|n| n.id.as_str())
            .collect();
        let missing: Vec<&str> = self.nodes.iter().filter(|n| n.missing).map(|n| n.id.as_str()).collect();
        out.push_str("  classDef conflict stroke:#d1242f,stroke-width:3px\n");
        out.push_str("  classDef missing stroke-dasharray:5 5\n");
        if !conflicts.is_empty() {
            let _ = writeln!(out, "  class {} conflict", conflicts.join(","));
        }
        if !missing.is_empty() {
            let _ = writeln!(out, "  class {} missing", missing.join(","));
        }
        out
    }
}

/// Text safe inside a quoted Mermaid label.
fn escape(text: &str) -> String {
    super::escape::mermaid(text)
}
