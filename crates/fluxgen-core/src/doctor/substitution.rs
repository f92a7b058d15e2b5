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
//! Kustomization's files are not judged. Everything comes from the scanner's model: the
//! references of each file (`Repository::variable_uses`) and the key names of each source.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::risks::Context;
use super::{Code, Finding, Severity};
use crate::scan::build_graph::Origin;
use crate::scan::layout::ClusterScope;
use crate::scan::{EntryTarget, KustomizeFile, Patch, PostBuild, SubstituteSource};
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
        // The scanner keeps no reference of a SOPS-encrypted file.
        for file in node.build.files.iter().chain(&node.build.component_files) {
            let Some(uses) = repository.variable_uses.get(file) else {
                continue;
            };
            let missing: Vec<_> = uses
                .iter()
                .filter(|u| !u.has_default && !defined.contains(&u.name))
                .collect();
            let Some(first) = missing.first() else {
                continue;
            };
            let mut names: Vec<String> = missing.iter().map(|u| format!("`${{{}}}`", u.name)).collect();
            names.dedup();
            let lines: Vec<String> = missing.iter().map(|u| u.line.to_string()).collect();
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
                Finding::new(Code::StrictSubstitution, severity, scope, file, Some(first.line))
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
            let labels = repository
                .object(&kustomization.at)
                .map(|o| &o.labels)
                .unwrap_or(&NO_LABELS);
            for &parent in graph.parents[index].iter().filter(|&&p| scope.has_node(p)) {
                let Origin::Kustomization(p) = graph.nodes[parent].origin else {
                    continue;
                };
                for patch in &repository.kustomizations[p].patches {
                    if targets(patch, &kustomization.name, labels)
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
                if targets(patch, &node.name, &NO_LABELS)
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

/// The labels of an object that has none.
static NO_LABELS: BTreeMap<String, String> = BTreeMap::new();

/// Whether a patch's target selects a Flux Kustomization with this name and these labels.
fn targets(patch: &Patch, name: &str, labels: &BTreeMap<String, String>) -> bool {
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
        && !selector_matches(selector, labels)
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
    let mut found = false;
    let mut keys = BTreeSet::new();
    for object in repository
        .objects
        .iter()
        .filter(|o| o.kind == source.kind && o.name == source.name && scope.contains(&o.at.file))
    {
        found = true;
        keys.extend(object.data_keys.iter().cloned());
    }
    for sops in repository.sops_files.iter().filter(|s| scope.contains(&s.file)) {
        let named = sops.documents.iter().any(|d| {
            d.kind.as_deref() == Some(source.kind.as_str()) && d.name.as_deref() == Some(source.name.as_str())
        });
        // The keys of the file's last document of that name, whatever its kind.
        if named
            && let Some(document) = sops
                .documents
                .iter()
                .rev()
                .find(|d| d.name.as_deref() == Some(source.name.as_str()))
        {
            found = true;
            keys.extend(document.data_keys.iter().cloned());
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
                    EntryTarget::File(path) if !repository.is_sops(path) => {}
                    // An encrypted env file: its keys cannot be read.
                    _ => return None,
                }
            }
            keys.extend(generator.env_keys.iter().cloned());
            keys.extend(literal_keys(kustomize, &generator.name));
        }
    }
    found.then_some(keys)
}

/// The literal keys of the generators named `name` in a kustomization, of either kind (a
/// `configMapGenerator` and a `secretGenerator` of one name count together).
fn literal_keys<'a>(kustomize: &'a KustomizeFile, name: &'a str) -> impl Iterator<Item = String> + 'a {
    kustomize
        .config_map_generators
        .iter()
        .chain(&kustomize.secret_generators)
        .filter(move |g| g.name == name)
        .flat_map(|g| g.literal_keys.iter().cloned())
}

/// Whether a Kubernetes label selector matches a set of labels: `key`, `!key`, `key=value`,
/// `key==value`, `key!=value`, `key in (a,b)` and `key notin (a,b)`, joined by commas.
fn selector_matches(selector: &str, labels: &BTreeMap<String, String>) -> bool {
    split_requirements(selector).iter().all(|requirement| {
        let requirement = requirement.trim();
        if requirement.is_empty() {
            return true;
        }
        for (operator, negated) in [(" notin ", true), (" in ", false)] {
            if let Some((key, values)) = requirement.split_once(operator) {
                let values: Vec<&str> = values
                    .trim()
                    .trim_start_matches('(')
                    .trim_end_matches(')')
                    .split(',')
                    .map(str::trim)
                    .collect();
                let found = labels.get(key.trim()).is_some_and(|v| values.contains(&v.as_str()));
                return found != negated;
            }
        }
        if let Some((key, value)) = requirement.split_once("!=") {
            return labels.get(key.trim()).map(String::as_str) != Some(value.trim());
        }
        if let Some((key, value)) = requirement.split_once("==").or_else(|| requirement.split_once('=')) {
            return labels.get(key.trim()).map(String::as_str) == Some(value.trim());
        }
        match requirement.strip_prefix('!') {
            Some(key) => !labels.contains_key(key.trim()),
            None => labels.contains_key(requirement),
        }
    })
}

/// A selector's requirements: commas outside parentheses separate them.
fn split_requirements(selector: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (index, character) in selector.char_indices() {
        match character {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&selector[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    parts.push(&selector[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_selectors() {
        let labels = BTreeMap::from([("app".to_owned(), "web".to_owned())]);
        let none = BTreeMap::new();
        assert!(selector_matches(
            "substitution.flux.home.arpa/disabled notin (true)",
            &none
        ));
        assert!(!selector_matches(
            "x notin (true)",
            &BTreeMap::from([("x".into(), "true".into())])
        ));
        assert!(selector_matches("app=web", &labels));
        assert!(selector_matches("app in (db, web),!other", &labels));
        assert!(!selector_matches("components.postgres/cnpg=init", &labels));
        assert!(selector_matches("app!=db", &labels));
        assert!(!selector_matches("app", &none));
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
