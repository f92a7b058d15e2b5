//! Whether a kustomize patch target selects an object, as kustomize decides it.

use std::collections::BTreeMap;

use regex::Regex;
use serde_json::Value;

use super::PatchError;
use crate::objects::PatchTarget;

/// Kinds without a namespace: a target's `namespace` never selects them.
const CLUSTER_SCOPED: &[&str] = &[
    "APIService",
    "CSIDriver",
    "CSINode",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "IngressClass",
    "MutatingWebhookConfiguration",
    "Namespace",
    "Node",
    "PersistentVolume",
    "PriorityClass",
    "RuntimeClass",
    "StorageClass",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ValidatingWebhookConfiguration",
    "VolumeAttachment",
];

/// Whether `target` selects `object`, with kustomize's rules (`types.SelectorRegex` and
/// `ResMap.Select`).
///
/// - `group`, `version`, `kind`, `name` and `namespace` are regular expressions anchored at
///   both ends (`^(?:…)$`), so `name: (kustomize-controller|helm-controller)` selects either
///   controller and `name: helm` does not select `helm-controller`; an empty field selects
///   everything. Group and version come from `apiVersion` (`apps/v1`; `v1` has the empty
///   group). An object without a namespace is in `default`, unless its kind is cluster-scoped.
/// - `labelSelector` and `annotationSelector` are Kubernetes selectors on
///   `metadata.labels` and `metadata.annotations`: `k=v`, `k==v`, `k!=v`, `k`, `!k`,
///   `k in (a,b)`, `k notin (a,b)`, `k>1`, `k<1`, and commas for "and".
///
/// An invalid regular expression or selector is an error, not a non-match.
pub fn matches(target: &PatchTarget, object: &Value) -> Result<bool, PatchError> {
    let text = |pointer: &str| object.pointer(pointer).and_then(Value::as_str).unwrap_or_default();
    let kind = text("/kind");
    let (group, version) = split_api_version(text("/apiVersion"));
    let namespace = match text("/metadata/namespace") {
        _ if CLUSTER_SCOPED.contains(&kind) => None,
        "" => Some("default"),
        namespace => Some(namespace),
    };
    let checks = [
        ("group", &target.group, Some(group)),
        ("version", &target.version, Some(version)),
        ("kind", &target.kind, Some(kind)),
        ("name", &target.name, Some(text("/metadata/name"))),
        ("namespace", &target.namespace, namespace),
    ];
    for (field, pattern, value) in checks {
        let Some(pattern) = pattern.as_deref().filter(|p| !p.is_empty()) else {
            continue;
        };
        let regex = Regex::new(&format!("^(?:{pattern})$")).map_err(|error| PatchError::InvalidRegex {
            field,
            pattern: pattern.to_owned(),
            reason: error.to_string().lines().last().unwrap_or_default().trim().to_owned(),
        })?;
        if !value.is_some_and(|value| regex.is_match(value)) {
            return Ok(false);
        }
    }
    let selectors = [
        ("labelSelector", &target.label_selector, "/metadata/labels"),
        (
            "annotationSelector",
            &target.annotation_selector,
            "/metadata/annotations",
        ),
    ];
    for (field, selector, pointer) in selectors {
        let Some(selector) = selector.as_deref() else {
            continue;
        };
        let requirements = parse_selector(selector).map_err(|reason| PatchError::InvalidSelector {
            field,
            selector: selector.to_owned(),
            reason,
        })?;
        let values: BTreeMap<&str, &str> = object
            .pointer(pointer)
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| Some((k.as_str(), v.as_str()?)))
            .collect();
        if !requirements.iter().all(|r| r.matches(&values)) {
            return Ok(false);
        }
    }
    Ok(true)
}

impl PatchTarget {
    /// Whether this target selects `object`, as kustomize selects the objects a patch applies
    /// to ([`KustomizePatch::apply_to`](crate::objects::KustomizePatch::apply_to) checks it).
    ///
    /// ```
    /// use fluxgen_core::objects::PatchTarget;
    /// use serde_json::json;
    ///
    /// let helm = json!({
    ///     "apiVersion": "apps/v1", "kind": "Deployment",
    ///     "metadata": {"name": "helm-controller", "labels": {"app.kubernetes.io/component": "helm-controller"}},
    /// });
    /// let both = PatchTarget::kind_name("Deployment", "(kustomize-controller|helm-controller)");
    /// assert!(both.selects(&helm)?);
    /// let selector = PatchTarget {
    ///     group: Some("apps".into()),
    ///     label_selector: Some("app.kubernetes.io/component in (source-controller,helm-controller)".into()),
    ///     ..PatchTarget::default()
    /// };
    /// assert!(selector.selects(&helm)?);
    /// assert!(!PatchTarget::kind_name("Deployment", "helm").selects(&helm)?);
    /// # Ok::<(), fluxgen_core::objects::PatchError>(())
    /// ```
    pub fn selects(&self, object: &Value) -> Result<bool, PatchError> {
        matches(self, object)
    }
}

/// `(group, version)` of an `apiVersion`: `apps/v1` is `("apps", "v1")`, `v1` is `("", "v1")`.
pub(super) fn split_api_version(api_version: &str) -> (&str, &str) {
    api_version.rsplit_once('/').unwrap_or(("", api_version))
}

/// One requirement of a selector.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Requirement {
    key: String,
    operator: Operator,
    values: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Operator {
    Exists,
    DoesNotExist,
    In,
    NotIn,
    GreaterThan,
    LessThan,
}

impl Requirement {
    fn matches(&self, labels: &BTreeMap<&str, &str>) -> bool {
        let value = labels.get(self.key.as_str()).copied();
        let listed = || value.is_some_and(|v| self.values.iter().any(|x| x == v));
        let number = || value.and_then(|v| v.parse::<i64>().ok());
        let bound = || self.values.first().and_then(|v| v.parse::<i64>().ok());
        match self.operator {
            Operator::Exists => value.is_some(),
            Operator::DoesNotExist => value.is_none(),
            Operator::In => listed(),
            Operator::NotIn => !listed(),
            Operator::GreaterThan => number().zip(bound()).is_some_and(|(v, b)| v > b),
            Operator::LessThan => number().zip(bound()).is_some_and(|(v, b)| v < b),
        }
    }
}

/// A selector token.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Word(String),
    Not,
    Equals,
    NotEquals,
    Greater,
    Less,
    Comma,
    Open,
    Close,
}

fn tokenize(selector: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut chars = selector.chars().peekable();
    while let Some(c) = chars.next() {
        let token = match c {
            c if c.is_whitespace() => continue,
            '!' if chars.peek() == Some(&'=') => {
                chars.next();
                Token::NotEquals
            }
            '!' => Token::Not,
            '=' => {
                if chars.peek() == Some(&'=') {
                    chars.next();
                }
                Token::Equals
            }
            '>' => Token::Greater,
            '<' => Token::Less,
            ',' => Token::Comma,
            '(' => Token::Open,
            ')' => Token::Close,
            c => {
                let mut word = String::from(c);
                while let Some(&next) = chars.peek() {
                    if next.is_whitespace() || "!=<>,()".contains(next) {
                        break;
                    }
                    word.push(next);
                    chars.next();
                }
                Token::Word(word)
            }
        };
        tokens.push(token);
    }
    tokens
}

/// Parses a Kubernetes label selector (`labels.Parse`); the empty selector selects everything.
fn parse_selector(selector: &str) -> Result<Vec<Requirement>, String> {
    let tokens = tokenize(selector);
    let mut at = 0;
    let mut requirements = Vec::new();
    if tokens.is_empty() {
        return Ok(requirements);
    }
    loop {
        requirements.push(parse_requirement(&tokens, &mut at)?);
        match tokens.get(at) {
            None => return Ok(requirements),
            Some(Token::Comma) => at += 1,
            Some(other) => {
                return Err(format!(
                    "expected `,` or the end after a requirement, found {}",
                    show(other)
                ));
            }
        }
    }
}

fn parse_requirement(tokens: &[Token], at: &mut usize) -> Result<Requirement, String> {
    let negated = tokens.get(*at) == Some(&Token::Not);
    if negated {
        *at += 1;
    }
    let key = match tokens.get(*at) {
        Some(Token::Word(key)) => key.clone(),
        Some(other) => return Err(format!("expected a key, found {}", show(other))),
        None => return Err("expected a key, found the end".to_owned()),
    };
    *at += 1;
    check_key(&key)?;
    let requirement = |operator, values| Requirement {
        key: key.clone(),
        operator,
        values,
    };
    if negated {
        return Ok(requirement(Operator::DoesNotExist, Vec::new()));
    }
    // The operator, and whether a `(a,b)` set follows it.
    let (operator, set) = match tokens.get(*at) {
        None | Some(Token::Comma) => return Ok(requirement(Operator::Exists, Vec::new())),
        Some(Token::Equals) => (Operator::In, false),
        Some(Token::NotEquals) => (Operator::NotIn, false),
        Some(Token::Greater) => (Operator::GreaterThan, false),
        Some(Token::Less) => (Operator::LessThan, false),
        Some(Token::Word(word)) if word == "in" => (Operator::In, true),
        Some(Token::Word(word)) if word == "notin" => (Operator::NotIn, true),
        Some(other) => return Err(format!("expected an operator after `{key}`, found {}", show(other))),
    };
    *at += 1;
    let values = if set {
        parse_set(tokens, at)?
    } else {
        vec![parse_value(tokens, at)?]
    };
    if matches!(operator, Operator::GreaterThan | Operator::LessThan) && values[0].parse::<i64>().is_err() {
        return Err(format!("`{}` after `{key}` is not an integer", values[0]));
    }
    Ok(requirement(operator, values))
}

/// The single value after `=`, `==`, `!=`, `>` or `<` (empty when nothing follows).
fn parse_value(tokens: &[Token], at: &mut usize) -> Result<String, String> {
    match tokens.get(*at) {
        None | Some(Token::Comma) => Ok(String::new()),
        Some(Token::Word(value)) => {
            *at += 1;
            check_value(value)?;
            Ok(value.clone())
        }
        Some(other) => Err(format!("expected a value, found {}", show(other))),
    }
}

/// The `(a,b)` after `in` or `notin`.
fn parse_set(tokens: &[Token], at: &mut usize) -> Result<Vec<String>, String> {
    if tokens.get(*at) != Some(&Token::Open) {
        return Err("expected `(` after `in` or `notin`".to_owned());
    }
    *at += 1;
    let mut values = Vec::new();
    loop {
        let value = match tokens.get(*at) {
            Some(Token::Word(value)) => {
                *at += 1;
                check_value(value)?;
                value.clone()
            }
            _ => String::new(),
        };
        values.push(value);
        match tokens.get(*at) {
            Some(Token::Comma) => *at += 1,
            Some(Token::Close) => {
                *at += 1;
                break;
            }
            Some(other) => return Err(format!("expected `,` or `)` in a value set, found {}", show(other))),
            None => return Err("a value set is not closed with `)`".to_owned()),
        }
    }
    if values.iter().all(String::is_empty) && values.len() == 1 {
        return Err("a value set after `in` or `notin` cannot be empty".to_owned());
    }
    Ok(values)
}

fn show(token: &Token) -> String {
    let text = match token {
        Token::Word(word) => return format!("`{word}`"),
        Token::Not => "!",
        Token::Equals => "=",
        Token::NotEquals => "!=",
        Token::Greater => ">",
        Token::Less => "<",
        Token::Comma => ",",
        Token::Open => "(",
        Token::Close => ")",
    };
    format!("`{text}`")
}

/// A label key: an optional DNS subdomain prefix and `/`, then a name of at most 63
/// characters.
fn check_key(key: &str) -> Result<(), String> {
    let (prefix, name) = match key.split_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    if let Some(prefix) = prefix {
        let label_ok = |label: &str| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        };
        if prefix.len() > 253 || !prefix.split('.').all(label_ok) {
            return Err(format!("the key prefix `{prefix}` is not a DNS subdomain"));
        }
    }
    if name.is_empty() || !is_name(name) {
        return Err(format!(
            "the key `{key}` is not a valid label key (at most 63 letters, digits, `-`, `_` or `.`, \
             starting and ending with a letter or digit)"
        ));
    }
    Ok(())
}

/// A label value: empty, or a name of at most 63 characters.
fn check_value(value: &str) -> Result<(), String> {
    if value.is_empty() || is_name(value) {
        Ok(())
    } else {
        Err(format!(
            "`{value}` is not a valid label value (at most 63 letters, digits, `-`, `_` or `.`, \
             starting and ending with a letter or digit)"
        ))
    }
}

fn is_name(text: &str) -> bool {
    let edge = |b: u8| b.is_ascii_alphanumeric();
    let bytes = text.as_bytes();
    bytes.len() <= 63
        && bytes.first().copied().is_some_and(edge)
        && bytes.last().copied().is_some_and(edge)
        && bytes.iter().all(|&b| edge(b) || matches!(b, b'-' | b'_' | b'.'))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn helm() -> Value {
        json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {
                "name": "helm-controller",
                "labels": {"app.kubernetes.io/component": "helm-controller", "control-plane": "controller", "tier": "3"},
                "annotations": {"fluxcd.controlplane.io/profile": "small"},
            },
        })
    }

    fn by_labels(selector: &str) -> Result<bool, PatchError> {
        let target = PatchTarget {
            label_selector: Some(selector.to_owned()),
            ..PatchTarget::default()
        };
        matches(&target, &helm())
    }

    #[test]
    fn names_and_kinds_are_anchored_regexes() {
        let object = helm();
        let by_name = |name: &str| matches(&PatchTarget::kind_name("Deployment", name), &object).unwrap();
        assert!(by_name("helm-controller"));
        assert!(by_name("(kustomize-controller|helm-controller)"));
        assert!(by_name(".*-controller"));
        assert!(!by_name("helm"));
        assert!(!by_name("controller"));
        assert!(!by_name("kustomize-controller|helm"));
        assert!(!matches(&PatchTarget::kind_name("Deploy", "helm-controller"), &object).unwrap());
        assert!(matches(&PatchTarget::default(), &object).unwrap());
    }

    #[test]
    fn group_version_and_namespace() {
        let object = helm();
        let target = |group: &str, version: &str, namespace: Option<&str>| PatchTarget {
            group: Some(group.to_owned()),
            version: Some(version.to_owned()),
            namespace: namespace.map(str::to_owned),
            ..PatchTarget::default()
        };
        assert!(matches(&target("apps", "v1", None), &object).unwrap());
        assert!(matches(&target("", "", None), &object).unwrap());
        assert!(!matches(&target("batch", "v1", None), &object).unwrap());
        assert!(!matches(&target("apps", "v1beta1", None), &object).unwrap());
        assert!(matches(&target("apps", "v1", Some("default")), &object).unwrap());
        assert!(!matches(&target("apps", "v1", Some("flux-system")), &object).unwrap());
        let mut placed = object.clone();
        placed["metadata"]["namespace"] = json!("flux-system");
        assert!(matches(&target("apps", "v1", Some("flux-.*")), &placed).unwrap());
        let namespace = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "flux-system"}});
        assert!(matches(&target("", "v1", None), &namespace).unwrap());
        assert!(!matches(&target("", "v1", Some(".*")), &namespace).unwrap());
    }

    #[test]
    fn label_selectors() {
        for (selector, expected) in [
            ("", true),
            ("control-plane=controller", true),
            ("control-plane==controller", true),
            ("control-plane = controller", true),
            ("control-plane!=controller", false),
            ("control-plane!=other", true),
            ("missing!=x", true),
            ("control-plane", true),
            ("missing", false),
            ("!missing", true),
            ("!control-plane", false),
            (
                "app.kubernetes.io/component in (source-controller, helm-controller)",
                true,
            ),
            ("app.kubernetes.io/component in (source-controller)", false),
            ("app.kubernetes.io/component notin (source-controller)", true),
            ("missing notin (a)", true),
            ("missing in (a)", false),
            (
                "control-plane=controller,app.kubernetes.io/component=helm-controller",
                true,
            ),
            (
                "control-plane=controller,app.kubernetes.io/component=kustomize-controller",
                false,
            ),
            ("tier>2", true),
            ("tier<2", false),
            ("missing=", false),
        ] {
            assert_eq!(by_labels(selector), Ok(expected), "{selector}");
        }
    }

    #[test]
    fn annotation_selectors() {
        let target = PatchTarget {
            annotation_selector: Some("fluxcd.controlplane.io/profile=small".to_owned()),
            ..PatchTarget::default()
        };
        assert!(matches(&target, &helm()).unwrap());
        let other = PatchTarget {
            annotation_selector: Some("fluxcd.controlplane.io/profile in (large)".to_owned()),
            ..PatchTarget::default()
        };
        assert!(!matches(&other, &helm()).unwrap());
    }

    #[test]
    fn invalid_selectors_and_regexes_are_errors() {
        for selector in [
            "a in (b",
            "a in ()",
            "a in b",
            "=b",
            "a=b=c",
            "a,",
            "a==(b)",
            "tier>x",
            "Bad_Prefix.io/a=b",
            "a=-b",
            "a b",
        ] {
            let error = by_labels(selector).unwrap_err();
            assert!(
                matches!(
                    &error,
                    PatchError::InvalidSelector {
                        field: "labelSelector",
                        ..
                    }
                ),
                "{selector}: {error:?}"
            );
        }
        let error = matches(&PatchTarget::kind_name("Deployment", "(a|b"), &helm()).unwrap_err();
        assert!(matches!(error, PatchError::InvalidRegex { field: "name", .. }));
        let error = matches(&PatchTarget::kind_name("[", "a"), &helm()).unwrap_err();
        assert!(matches!(error, PatchError::InvalidRegex { field: "kind", .. }));
    }
}
