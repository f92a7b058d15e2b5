//! Cycles: Flux Kustomizations that apply each other, kustomize resources that include each
//! other, and `dependsOn` chains that come back to where they started.

use std::collections::{BTreeSet, HashMap};

use super::risks::{Context, located};
use super::{Code, Finding, Severity};
use crate::scan::build_graph::Origin;
use crate::scan::layout::ClusterScope;

/// Flux Kustomizations that apply each other (a self-managed root applying itself is fine),
/// and kustomize resource cycles.
pub(super) fn ownership_cycles(context: &Context) -> Vec<Finding> {
    let graph = context.graph;
    let mut findings = Vec::new();
    // Kustomizations applying each other: strongly connected components of more than one.
    let edges: Vec<Vec<usize>> = graph
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| n.applies.iter().copied().filter(|&j| j != i).collect())
        .collect();
    for component in strongly_connected(&edges).into_iter().filter(|c| c.len() > 1) {
        let first = &graph.nodes[component[0]];
        let names: Vec<String> = component
            .iter()
            .map(|&i| format!("`{}`", graph.nodes[i].name))
            .collect();
        let mut finding = located(
            context,
            Code::OwnershipCycle,
            Severity::Error,
            &first.at.file,
            Some(first.at.line),
        )
        .what(format!("the Kustomizations {} apply each other", names.join(", ")))
        .why("none of them can be removed without the others pruning it back or away, and each prune can delete the others")
        .fix("make one of them the only parent: remove the back reference from its path");
        for &i in &component[1..] {
            let node = &graph.nodes[i];
            finding = finding.see(
                &node.at.file,
                Some(node.at.line),
                format!("Kustomization `{}`", node.name),
            );
        }
        findings.push(finding);
    }
    // kustomize resource cycles, once per set of directories.
    let mut seen = BTreeSet::new();
    for node in &graph.nodes {
        for cycle in &node.build.cycles {
            let mut key: Vec<String> = cycle.clone();
            key.pop();
            key.sort();
            if !seen.insert(key) {
                continue;
            }
            let file = context
                .repository
                .kustomize_files
                .get(&cycle[0])
                .map_or_else(|| cycle[0].clone(), |k| k.at.file.clone());
            findings.push(
                located(context, Code::OwnershipCycle, Severity::Error, &file, None)
                    .what(format!("kustomize resources form a cycle: {}", cycle.join(" → ")))
                    .why("kustomize refuses a cycle: every Kustomization that builds one of these directories fails")
                    .fix("remove one of the `resources` entries on the cycle"),
            );
        }
    }
    findings
}

/// `dependsOn` cycles among one cluster's Kustomizations.
pub(super) fn depends_on_cycles(context: &Context, scope: &ClusterScope) -> Vec<Finding> {
    let repository = context.repository;
    let kustomizations: Vec<usize> = scope
        .nodes
        .iter()
        .filter_map(|&n| match context.graph.nodes[n].origin {
            Origin::Kustomization(k) => Some(k),
            Origin::Sync(_) => None,
        })
        .collect();
    let key = |name: &str, namespace: Option<&str>| {
        format!("{}/{name}", namespace.unwrap_or(crate::facts::DEFAULT_NAMESPACE))
    };
    let index: HashMap<String, usize> = kustomizations
        .iter()
        .enumerate()
        .map(|(i, &k)| {
            let k = &repository.kustomizations[k];
            (key(&k.name, k.namespace.as_deref()), i)
        })
        .collect();
    let edges: Vec<Vec<usize>> = kustomizations
        .iter()
        .map(|&k| {
            let k = &repository.kustomizations[k];
            k.depends_on
                .iter()
                .filter_map(|d| index.get(&key(&d.name, d.namespace.as_deref().or(k.namespace.as_deref()))))
                .copied()
                .collect()
        })
        .collect();
    let mut findings = Vec::new();
    for component in strongly_connected(&edges) {
        let cyclic = component.len() > 1 || edges[component[0]].contains(&component[0]);
        if !cyclic {
            continue;
        }
        let members: Vec<_> = component
            .iter()
            .map(|&i| &repository.kustomizations[kustomizations[i]])
            .collect();
        let names: Vec<String> = members.iter().map(|k| format!("`{}`", k.name)).collect();
        let mut finding = Finding::new(
            Code::OwnershipCycle,
            Severity::Error,
            scope,
            &members[0].at.file,
            Some(members[0].at.line),
        )
        .what(format!("`dependsOn` forms a cycle: {}", names.join(" → ")))
        .why("each waits for another to be ready first: none of them is ever applied")
        .fix("remove one `dependsOn` entry of the cycle");
        for member in &members[1..] {
            finding = finding.see(
                &member.at.file,
                Some(member.at.line),
                format!("Kustomization `{}`", member.name),
            );
        }
        findings.push(finding);
    }
    findings
}

/// Tarjan's strongly connected components, each sorted; iterative, so a long chain cannot
/// exhaust the stack.
fn strongly_connected(edges: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let count = edges.len();
    let mut index: Vec<Option<usize>> = vec![None; count];
    let mut low = vec![0usize; count];
    let mut on_stack = vec![false; count];
    let mut stack: Vec<usize> = Vec::new();
    let mut found: Vec<Vec<usize>> = Vec::new();
    let mut next = 0usize;
    for root in 0..count {
        if index[root].is_some() {
            continue;
        }
        // (node, position of the next edge to follow)
        let mut work: Vec<(usize, usize)> = vec![(root, 0)];
        while let Some(&mut (v, ref mut edge)) = work.last_mut() {
            if *edge == 0 && index[v].is_none() {
                index[v] = Some(next);
                low[v] = next;
                next += 1;
                stack.push(v);
                on_stack[v] = true;
            }
            if let Some(&w) = edges[v].get(*edge) {
                *edge += 1;
                match index[w] {
                    None => work.push((w, 0)),
                    Some(w_index) if on_stack[w] => low[v] = low[v].min(w_index),
                    Some(_) => {}
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if Some(low[v]) == index[v] {
                let mut component = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                component.sort();
                found.push(component);
            }
        }
    }
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components() {
        // 0 -> 1 -> 2 -> 0, 3 -> 3, 4 alone, 2 -> 4
        let edges = vec![vec![1], vec![2], vec![0, 4], vec![3], vec![]];
        assert_eq!(strongly_connected(&edges), [vec![0, 1, 2], vec![3], vec![4]]);
        // A long chain does not recurse.
        let chain: Vec<Vec<usize>> = (0..200_000)
            .map(|i| if i + 1 < 200_000 { vec![i + 1] } else { vec![0] })
            .collect();
        assert_eq!(strongly_connected(&chain)[0].len(), 200_000);
    }
}
