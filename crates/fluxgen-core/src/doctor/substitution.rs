//! Flux 2.9 strict substitution: `${VAR}` with no default, in a file a Kustomization with
//! `postBuild` applies, where the variable is defined neither in `substitute` nor in any of its
//! `substituteFrom` ConfigMaps and Secrets. Flux 2.9 turns `StrictPostBuildSubstitutions` on,
//! and the build then fails; before, the variable silently became an empty string.
//!
//! A Kustomization's variables are its own `postBuild`, merged with what a parent's `patches`
//! add to it (`substitute` maps merge; a `substituteFrom` list replaces, as a strategic merge on
//! a custom resource does). The keys of a ConfigMap or Secret come from the repository: an
//! object, a SOPS-encrypted Secret (key names only, which SOPS leaves in plaintext), or a
//! kustomize generator. When a source cannot be found, its keys are unknown and the
//! Kustomization's files are not judged.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::risks::Context;
use super::{Code, Finding, Severity};
use crate::scan::build_graph::Origin;
use crate::scan::layout::ClusterScope;
use crate::scan::{EntryTarget, Patch, PostBuild, SubstituteSource};
use crate::yaml::{self, Node, NodeValue};

/// The variables a Kustomization substitutes.
#[derive(Default)]
struct Variables {
    /// Inline `substitute` keys.
    inline: BTreeSet<String>,
    /// `substituteFrom` sources.
    from: Vec<SubstituteSource>,
}

/// Strict substitution, per Kustomization and file.
pub(super) fn strict_substitution(context: &Context, scope: &ClusterScope) -> Vec<Finding> {
    let repository = context.repository;
    let graph = context.graph;
    let strict = strict_version(context, scope);
    let mut findings = Vec::new();
    let mut keys: HashMap<(String, String), Option<BTreeSet<String>>> = HashMap::new();
    let mut patched: HashMap<String, Option<PostBuild>> = HashMap::new();
    for &index in &scope.nodes {
        let node = &graph.nodes[index];
        if node.dir.is_none() {
            continue;
        }
        let Some(variables) = variables_of(context, scope, index, &mut patched) else {
            continue;
        };
        let mut defined = variables.inline.clone();
        let mut unknown = false;
        for source in &variables.from {
            let found = keys
                .entry((source.kind.clone(), source.name.clone()))
                .or_insert_with(|| source_keys(context, scope, source));
            match found {
                Some(found) => defined.extend(found.iter().cloned()),
                None => unknown = true,
            }
        }
        if unknown {
            continue;
        }
        for file in node.build.files.iter().chain(&node.build.component_files) {
            if repository.is_sops(file) {
                continue;
            }
            let Some(text) = context.manifests.text(file) else {
                continue;
            };
            if !text.contains("${") {
                continue;
            }
            let missing: Vec<(String, u32)> = references(&text)
                .into_iter()
                .filter(|(name, _)| !defined.contains(name))
                .collect();
            if missing.is_empty() {
                continue;
            }
            let mut names: Vec<String> = missing.iter().map(|(n, _)| format!("`${{{n}}}`")).collect();
            names.dedup();
            let lines: Vec<String> = missing.iter().map(|(_, l)| l.to_string()).collect();
            let sources: Vec<String> = variables
                .from
                .iter()
                .map(|s| format!("{} `{}`", s.kind, s.name))
                .collect();
            let (severity, version) = match &strict {
                Some(version) => (
                    Severity::Error,
                    format!("the cluster's Flux ({version}) substitutes strictly"),
                ),
                None => (
                    Severity::Warning,
                    "Flux 2.9 (what the migration installs) substitutes strictly".to_owned(),
                ),
            };
            findings.push(
                Finding::new(Code::StrictSubstitution, severity, scope, file, Some(missing[0].1))
                    .what(format!(
                        "{} (line {}) {} no default, and the Kustomization `{}` defines no such variable ({})",
                        names.join(", "),
                        lines.join(", "),
                        if names.len() == 1 { "has" } else { "have" },
                        node.name,
                        if sources.is_empty() {
                            "inline `substitute` only".to_owned()
                        } else {
                            format!("`substitute` and {}", sources.join(", "))
                        }
                    ))
                    .why(format!(
                        "{version}: an undefined variable fails the build and nothing in the Kustomization is \
                         applied (without strict mode it silently becomes an empty string)"
                    ))
                    .fix(
                        "define the variable in `postBuild.substitute` or one of the `substituteFrom` sources, give it \
                         a default (`${VAR:=value}`), or escape it (`$${VAR}`) when it is not meant for Flux",
                    )
                    .see(
                        &node.at.file,
                        Some(node.at.line),
                        format!("Kustomization `{}` (postBuild)", node.name),
                    ),
            );
        }
    }
    findings
}

/// The Flux version the cluster runs or will run, when it substitutes strictly (2.9 and later,
/// or a `2.x` that follows the newest).
fn strict_version(context: &Context, scope: &ClusterScope) -> Option<String> {
    let version = scope
        .instances
        .iter()
        .find_map(|&i| context.repository.flux_instances[i].distribution_version.clone())
        .or_else(|| scope.cluster.map(|c| c.settings.instance.distribution.version.clone()))?;
    is_strict(&version).then_some(version)
}

/// Whether a Flux version (`2.9.x`, `v2.10.1`, `2.x`) has strict substitution on by default.
fn is_strict(version: &str) -> bool {
    let digits: Vec<&str> = version
        .trim_start_matches(|c: char| !c.is_ascii_digit())
        .split('.')
        .collect();
    let Some(Ok(major)) = digits.first().map(|m| m.parse::<u32>()) else {
        return false;
    };
    match digits.get(1).map(|m| m.parse::<u32>()) {
        Some(Ok(minor)) => major > 2 || (major == 2 && minor >= 9),
        // `2.x`, `2`: the newest 2.x.
        _ => major >= 2,
    }
}

/// A Kustomization's variables, `None` when it has no `postBuild`; `patched` caches what each
/// patch text sets.
fn variables_of(
    context: &Context,
    scope: &ClusterScope,
    index: usize,
    patched: &mut HashMap<String, Option<PostBuild>>,
) -> Option<Variables> {
    let repository = context.repository;
    let graph = context.graph;
    let node = &graph.nodes[index];
    let mut variables: Option<Variables> = None;
    let mut merge = |post: PostBuild, replace_from: bool| {
        let target = variables.get_or_insert_with(Variables::default);
        target.inline.extend(post.substitute.into_keys());
        if (replace_from || target.from.is_empty()) && !post.substitute_from.is_empty() {
            target.from = post.substitute_from;
        }
    };
    match node.origin {
        Origin::Kustomization(k) => {
            let kustomization = &repository.kustomizations[k];
            if let Some(post) = &kustomization.post_build {
                merge(post.clone(), false);
            }
            let labels = std::cell::OnceCell::new();
            let labels = || {
                labels
                    .get_or_init(|| context.manifests.labels(&kustomization.at.file, kustomization.at.line))
                    .clone()
            };
            for &parent in graph.parents[index].iter().filter(|&&p| scope.has_node(p)) {
                let Origin::Kustomization(p) = graph.nodes[parent].origin else {
                    continue;
                };
                for patch in &repository.kustomizations[p].patches {
                    if targets(patch, &kustomization.name, &labels)
                        && let Some(post) = patched
                            .entry(patch.patch.clone())
                            .or_insert_with(|| patched_post_build(&patch.patch))
                            .clone()
                    {
                        merge(post, true);
                    }
                }
            }
        }
        Origin::Sync(i) => {
            let instance = &repository.flux_instances[i];
            for patch in &instance.patches {
                if targets(patch, &node.name, &BTreeMap::new)
                    && let Some(post) = patched
                        .entry(patch.patch.clone())
                        .or_insert_with(|| patched_post_build(&patch.patch))
                        .clone()
                {
                    merge(post, true);
                }
            }
        }
    }
    variables
}

/// Whether a patch's target selects a Flux Kustomization with this name and these labels.
fn targets(patch: &Patch, name: &str, labels: &dyn Fn() -> BTreeMap<String, String>) -> bool {
    let Some(target) = &patch.target else {
        return true;
    };
    if target.kind.as_deref().is_some_and(|k| k != "Kustomization") {
        return false;
    }
    if target
        .group
        .as_deref()
        .is_some_and(|g| !g.is_empty() && g != "kustomize.toolkit.fluxcd.io")
    {
        return false;
    }
    if let Some(pattern) = &target.name {
        let plain = pattern
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
        let matches = if plain {
            pattern == name
        } else {
            match regex::Regex::new(&format!("^(?:{pattern})$")) {
                Ok(regex) => regex.is_match(name),
                Err(_) => pattern == name,
            }
        };
        if !matches {
            return false;
        }
    }
    if let Some(selector) = &target.label_selector
        && !super::manifests::selector_matches(selector, &labels())
    {
        return false;
    }
    true
}

/// The `postBuild` a patch sets: a strategic-merge patch's `spec.postBuild`, or the value of
/// a JSON 6902 operation on `/spec/postBuild`.
fn patched_post_build(text: &str) -> Option<PostBuild> {
    if !text.contains("postBuild") {
        return None;
    }
    let node = yaml::parse(text).ok()?;
    let post = match &node.value {
        NodeValue::Map(_) => node.at_path(["spec", "postBuild"])?.clone(),
        NodeValue::Seq(operations) => operations.iter().find_map(|op| {
            let path = op.get("path")?.as_str()?;
            let value = op.get("value")?;
            match path.trim_end_matches('/') {
                "/spec/postBuild" => Some(value.clone()),
                "/spec/postBuild/substitute" => Some(wrap("substitute", value)),
                "/spec/postBuild/substituteFrom" => Some(wrap("substituteFrom", value)),
                _ => None,
            }
        })?,
        _ => return None,
    };
    Some(post_build(&post))
}

fn wrap(key: &str, value: &Node) -> Node {
    Node {
        at: value.at,
        value: NodeValue::Map(vec![(
            yaml::Key {
                name: key.to_owned(),
                at: value.at,
            },
            value.clone(),
        )]),
    }
}

/// A `postBuild` mapping.
fn post_build(node: &Node) -> PostBuild {
    let substitute = match node.get("substitute").map(|s| &s.value) {
        Some(NodeValue::Map(entries)) => entries.iter().map(|(k, _)| (k.name.clone(), String::new())).collect(),
        _ => BTreeMap::new(),
    };
    let substitute_from = match node.get("substituteFrom").map(|s| &s.value) {
        Some(NodeValue::Seq(items)) => items
            .iter()
            .filter_map(|item| {
                Some(SubstituteSource {
                    kind: item.get("kind")?.as_str()?.to_owned(),
                    name: item.get("name")?.as_str()?.to_owned(),
                    optional: matches!(item.get("optional").map(|o| &o.value), Some(NodeValue::Bool(true))),
                })
            })
            .collect(),
        _ => Vec::new(),
    };
    PostBuild {
        substitute,
        substitute_from,
    }
}

/// The keys of a `substituteFrom` source found in the cluster, `None` when it is not found.
fn source_keys(context: &Context, scope: &ClusterScope, source: &SubstituteSource) -> Option<BTreeSet<String>> {
    let repository = context.repository;
    let manifests = context.manifests;
    let mut found = false;
    let mut keys = BTreeSet::new();
    for object in repository
        .objects
        .iter()
        .filter(|o| o.kind == source.kind && o.name == source.name && scope.contains(&o.at.file))
    {
        found = true;
        keys.extend(manifests.data_keys(&object.at.file, object.at.line));
    }
    for sops in repository.sops_files.iter().filter(|s| scope.contains(&s.file)) {
        let named = sops.documents.iter().any(|d| {
            d.kind.as_deref() == Some(source.kind.as_str()) && d.name.as_deref() == Some(source.name.as_str())
        });
        if named && let Some(found_keys) = manifests.sops_data_keys(&sops.file).remove(&source.name) {
            found = true;
            keys.extend(found_keys);
        }
    }
    for kustomize in repository.kustomize_files.values() {
        let generators = match source.kind.as_str() {
            "ConfigMap" => &kustomize.config_map_generators,
            "Secret" => &kustomize.secret_generators,
            _ => continue,
        };
        let named: Vec<_> = generators.iter().filter(|g| g.name == source.name).collect();
        if named.is_empty() || !scope.contains(&kustomize.at.file) {
            continue;
        }
        for generator in named {
            found = true;
            keys.extend(generator.files.iter().map(|(key, _)| key.clone()));
            for env in &generator.envs {
                match env {
                    EntryTarget::File(path) if !repository.is_sops(path) => keys.extend(manifests.env_keys(path)),
                    // An encrypted env file: its keys cannot be read here.
                    _ => return None,
                }
            }
            keys.extend(manifests.generator_literal_keys(&kustomize.at.file, &generator.name));
        }
    }
    found.then_some(keys)
}

/// Every `${NAME}` without a default in a text, with its line; `$${...}` escapes and documents
/// with `kustomize.toolkit.fluxcd.io/substitute: disabled` are skipped.
fn references(text: &str) -> Vec<(String, u32)> {
    let mut found = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    let mut document_disabled: Vec<bool> = Vec::with_capacity(lines.len());
    // Which lines belong to a document that disables substitution.
    let mut start = 0;
    for (index, line) in lines.iter().enumerate() {
        if line.starts_with("---") && index > start {
            let off = lines[start..index]
                .iter()
                .any(|l| l.contains("kustomize.toolkit.fluxcd.io/substitute") && l.contains("disabled"));
            document_disabled.extend(std::iter::repeat_n(off, index - start));
            start = index;
        }
    }
    let off = lines[start..]
        .iter()
        .any(|l| l.contains("kustomize.toolkit.fluxcd.io/substitute") && l.contains("disabled"));
    document_disabled.extend(std::iter::repeat_n(off, lines.len() - start));
    for (index, line) in lines.iter().enumerate() {
        if document_disabled[index] || !line.contains("${") {
            continue;
        }
        let bytes = line.as_bytes();
        let mut at = 0;
        while let Some(offset) = line[at..].find("${") {
            let begin = at + offset;
            at = begin + 2;
            if begin > 0 && bytes[begin - 1] == b'$' {
                continue;
            }
            let rest = &line[begin + 2..];
            let name_len = rest
                .char_indices()
                .find(|(i, c)| !(c.is_ascii_alphanumeric() || *c == '_') || (*i == 0 && c.is_ascii_digit()))
                .map_or(rest.len(), |(i, _)| i);
            if name_len == 0 {
                continue;
            }
            let name = &rest[..name_len];
            let after = &rest[name_len..];
            let has_default =
                after.starts_with(":=") || after.starts_with(":-") || after.starts_with('=') || after.starts_with('-');
            if !has_default && after.starts_with(['}', ':', '^', ',', '#', '%', '/']) {
                found.push((name.to_owned(), index as u32 + 1));
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_without_defaults() {
        let text = "a: ${A}\nb: ${B:=x}\nc: $${C}\nd: ${D:-y} ${E}\n---\nmetadata:\n  labels:\n    \
                    kustomize.toolkit.fluxcd.io/substitute: disabled\nf: ${F}\n";
        assert_eq!(references(text), [("A".to_owned(), 1), ("E".to_owned(), 4)]);
    }

    #[test]
    fn patched_post_builds() {
        let smp = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: x}\n\
                   spec:\n  postBuild:\n    substitute: {CLUSTER: main}\n    substituteFrom:\n      - {kind: Secret, name: s}\n";
        let post = patched_post_build(smp).unwrap();
        assert!(post.substitute.contains_key("CLUSTER"));
        assert_eq!(post.substitute_from[0].name, "s");
        let json = "- op: add\n  path: /spec/postBuild\n  value:\n    substitute: {A: b}\n";
        assert!(patched_post_build(json).unwrap().substitute.contains_key("A"));
        assert!(patched_post_build("- op: add\n  path: /spec/x\n  value: 1\n").is_none());
    }

    #[test]
    fn strict_versions() {
        for (version, strict) in [
            ("2.9.x", true),
            ("2.x", true),
            ("2.4.0", false),
            ("v2.10.1", true),
            ("x", false),
        ] {
            assert_eq!(is_strict(version), strict, "{version}");
        }
    }
}
