//! What doctor reads from the repository's files beyond the scanner's model: labels,
//! annotations, `spec.commonMetadata`, ConfigMap keys, ExternalSecrets and the text of the
//! files `${VAR}` references are looked for in. Each file is read and parsed at most once.
//!
//! SOPS-encrypted files are never parsed here for their values: [`Manifests::documents`]
//! refuses them, and [`Manifests::sops_data_keys`] keeps only the names of `data` and
//! `stringData` keys (which SOPS leaves in plaintext).

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fs;
use std::path::PathBuf;
use std::rc::Rc;

use crate::scan::{Repository, read_text};
use crate::yaml::{self, Node, NodeValue};

/// Lazily read documents and texts of the repository's plaintext YAML files.
pub(super) struct Manifests {
    root: PathBuf,
    sops: HashSet<String>,
    documents: RefCell<HashMap<String, Rc<Vec<Node>>>>,
}

/// An `ExternalSecret`: its store and the Secret it writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct ExternalSecretRef {
    /// `metadata.name`.
    pub(super) name: String,
    /// `spec.secretStoreRef.kind` (`SecretStore` when missing, as the CRD defaults it).
    pub(super) store_kind: String,
    /// `spec.secretStoreRef.name`.
    pub(super) store: String,
    /// `spec.target.name`, or the ExternalSecret's own name.
    pub(super) target: String,
}

impl Manifests {
    pub(super) fn new(repository: &Repository) -> Self {
        Self {
            root: fs::canonicalize(&repository.root).unwrap_or_else(|_| repository.root.clone()),
            sops: repository.sops_files.iter().map(|s| s.file.clone()).collect(),
            documents: RefCell::new(HashMap::new()),
        }
    }

    /// The text of a plaintext file (`None` for a SOPS-encrypted or unreadable one).
    pub(super) fn text(&self, file: &str) -> Option<String> {
        if self.sops.contains(file) {
            return None;
        }
        read_text(&self.root.join(file))
    }

    /// The documents of a plaintext file that parse (none for a SOPS-encrypted file).
    pub(super) fn documents(&self, file: &str) -> Rc<Vec<Node>> {
        if let Some(found) = self.documents.borrow().get(file) {
            return Rc::clone(found);
        }
        let parsed = Rc::new(match self.text(file) {
            Some(text) => yaml::parse_documents_lenient(&text).0,
            None => Vec::new(),
        });
        self.documents.borrow_mut().insert(file.to_owned(), Rc::clone(&parsed));
        parsed
    }

    /// The document of `file` that starts on `line` (where the scanner located an object).
    pub(super) fn document(&self, file: &str, line: u32) -> Option<Node> {
        self.documents(file).iter().find(|d| d.at.line == line).cloned()
    }

    /// `metadata.labels` of the object at `file:line`.
    pub(super) fn labels(&self, file: &str, line: u32) -> BTreeMap<String, String> {
        self.document(file, line)
            .map(|d| string_map(d.at_path(["metadata", "labels"])))
            .unwrap_or_default()
    }

    /// `metadata.annotations` of the object at `file:line`.
    pub(super) fn annotations(&self, file: &str, line: u32) -> BTreeMap<String, String> {
        self.document(file, line)
            .map(|d| string_map(d.at_path(["metadata", "annotations"])))
            .unwrap_or_default()
    }

    /// `spec.commonMetadata.annotations` of the Flux Kustomization at `file:line`.
    pub(super) fn common_annotations(&self, file: &str, line: u32) -> BTreeMap<String, String> {
        self.document(file, line)
            .map(|d| string_map(d.at_path(["spec", "commonMetadata", "annotations"])))
            .unwrap_or_default()
    }

    /// `commonAnnotations` of the `kustomization.yaml` at `file`.
    pub(super) fn kustomize_common_annotations(&self, file: &str) -> BTreeMap<String, String> {
        self.documents(file)
            .iter()
            .map(|d| string_map(d.get("commonAnnotations")))
            .next()
            .unwrap_or_default()
    }

    /// The keys of `data` and `stringData` of the ConfigMap or Secret at `file:line`.
    pub(super) fn data_keys(&self, file: &str, line: u32) -> BTreeSet<String> {
        self.document(file, line).map(|d| data_keys(&d)).unwrap_or_default()
    }

    /// The `data`/`stringData` key names of each Secret in a SOPS-encrypted file, by name. SOPS
    /// encrypts values and leaves keys in plaintext; nothing but the key names is kept.
    pub(super) fn sops_data_keys(&self, file: &str) -> HashMap<String, BTreeSet<String>> {
        let Some(text) = read_text(&self.root.join(file)) else {
            return HashMap::new();
        };
        let (documents, _) = yaml::parse_documents_lenient(&text);
        documents
            .iter()
            .filter_map(|d| {
                let name = d.at_path(["metadata", "name"]).and_then(Node::as_str)?;
                (!name.starts_with("ENC[")).then(|| (name.to_owned(), data_keys(d)))
            })
            .collect()
    }

    /// The keys a `configMapGenerator` or `secretGenerator` literal list defines, from the
    /// `kustomization.yaml` at `file` (`key=value` entries: the key only).
    pub(super) fn generator_literal_keys(&self, file: &str, generator: &str) -> BTreeSet<String> {
        let mut keys = BTreeSet::new();
        for document in self.documents(file).iter() {
            for key in ["configMapGenerator", "secretGenerator"] {
                let Some(NodeValue::Seq(items)) = document.get(key).map(|n| &n.value) else {
                    continue;
                };
                for item in items
                    .iter()
                    .filter(|i| i.get("name").and_then(Node::as_str) == Some(generator))
                {
                    if let Some(NodeValue::Seq(literals)) = item.get("literals").map(|n| &n.value) {
                        keys.extend(
                            literals
                                .iter()
                                .filter_map(Node::as_str)
                                .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim().to_owned())),
                        );
                    }
                }
            }
        }
        keys
    }

    /// The keys of a dotenv file (`KEY=value` lines: the key only).
    pub(super) fn env_keys(&self, file: &str) -> BTreeSet<String> {
        self.text(file)
            .map(|text| {
                text.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty() && !l.starts_with('#'))
                    .map(|l| l.split_once('=').map_or(l, |(k, _)| k).trim().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The ExternalSecret at `file:line`.
    pub(super) fn external_secret(&self, file: &str, line: u32) -> Option<ExternalSecretRef> {
        let document = self.document(file, line)?;
        let text = |path: &[&str]| document.at_path(path.iter().copied()).and_then(Node::as_str);
        let name = text(&["metadata", "name"])?.to_owned();
        Some(ExternalSecretRef {
            store_kind: text(&["spec", "secretStoreRef", "kind"])
                .unwrap_or("SecretStore")
                .to_owned(),
            store: text(&["spec", "secretStoreRef", "name"])?.to_owned(),
            target: text(&["spec", "target", "name"]).unwrap_or(&name).to_owned(),
            name,
        })
    }
}

/// A mapping of scalars as strings (numbers and booleans as written).
fn string_map(node: Option<&Node>) -> BTreeMap<String, String> {
    let Some(NodeValue::Map(entries)) = node.map(|n| &n.value) else {
        return BTreeMap::new();
    };
    entries
        .iter()
        .filter_map(|(key, value)| {
            let text = match &value.value {
                NodeValue::Str(s) => s.clone(),
                NodeValue::Bool(b) => b.to_string(),
                NodeValue::Int(i) => i.to_string(),
                NodeValue::Float(f) => f.to_string(),
                _ => return None,
            };
            Some((key.name.clone(), text))
        })
        .collect()
}

/// The key names of `data` and `stringData`.
fn data_keys(document: &Node) -> BTreeSet<String> {
    ["data", "stringData"]
        .iter()
        .filter_map(|key| match document.get(key).map(|n| &n.value) {
            Some(NodeValue::Map(entries)) => Some(entries.iter().map(|(k, _)| k.name.clone())),
            _ => None,
        })
        .flatten()
        .collect()
}

/// Whether a Kubernetes label selector matches a set of labels: `key`, `!key`, `key=value`,
/// `key==value`, `key!=value`, `key in (a,b)` and `key notin (a,b)`, joined by commas.
pub(super) fn selector_matches(selector: &str, labels: &BTreeMap<String, String>) -> bool {
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
}
