//! From YAML text to a checked [`Config`]: parse with positions, validate every part against
//! the schema (collecting all errors), merge each cluster over `defaults`, then check what the
//! schema cannot express.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use jsonschema::error::ValidationErrorKind;
use jsonschema::{ValidationError, Validator};
use serde::Deserialize as _;
use serde_json::Value;

use super::schema::validation_schema;
use super::{
    Cluster, Config, ConfigError, ConfigErrors, LoadOptions, Origin, Override, OverridePatch, PerController, Phase,
    Repository, RepositorySettings, Settings, conformance,
};
use crate::yaml::{self, Key, Node, NodeValue, Position};
use crate::{Component, Tuning};

pub(super) fn load(text: &str, origin: Origin, options: &LoadOptions) -> Result<Config, ConfigErrors> {
    let file = origin.to_string();
    let fail = |errors: Vec<ConfigError>| ConfigErrors {
        file: file.clone(),
        errors,
    };
    let root = yaml::parse(text).map_err(|e| {
        let message = if e.message.contains("budget breached: Depth") {
            "the document nests mappings and lists too deeply: refused".to_owned()
        } else if e.message.contains("budget breached: ScalarBytes")
            || e.message.contains("budget breached: InputBytes")
        {
            "the document is too large: refused".to_owned()
        } else if e.message.contains("budget breached") {
            "the document expands to too many nodes (anchors and aliases multiplying?): refused".to_owned()
        } else {
            format!("invalid YAML: {}", e.message)
        };
        fail(vec![ConfigError {
            at: e.at,
            key: String::new(),
            message,
        }])
    })?;
    let mut config = check_document(&root, origin, options)?;
    // What passed is remembered: a config used unchanged is not checked again.
    config.checked = super::checked::Checked::of(&config, options);
    Ok(config)
}

/// Checks a parsed document (from a file, or written out from a [`Config`] built in code) and
/// builds the config from it, reporting every error.
pub(super) fn check_document(root: &Node, origin: Origin, options: &LoadOptions) -> Result<Config, ConfigErrors> {
    let file = origin.to_string();
    let mut errors = structural_errors(root);
    // Semantic checks need a well-formed tree; structural errors are reported on their own.
    let config = errors.is_empty().then(|| assemble(root, origin, options, &mut errors));
    match config {
        Some(config) if errors.is_empty() => Ok(config),
        _ => {
            errors.sort_by_key(|e| e.at);
            // A mistake in `defaults` shows up once per cluster: report it once.
            errors.dedup_by(|b, a| a.at == b.at && a.key == b.key);
            Err(ConfigErrors { file, errors })
        }
    }
}

/// The validator of fluxgen.yaml's structure, built only to describe the errors of a config that
/// does not [conform](conformance). Built as draft 7: the validation schema uses only
/// draft-7 keywords (a test in `schema.rs` keeps it so), and checking a schema against the
/// draft-7 meta-schema costs a third of what 2020-12's vocabularies cost at every start.
pub(super) fn validator() -> &'static Validator {
    static VALIDATOR: OnceLock<Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft7)
            .should_validate_formats(false)
            .build(schema())
            .expect("fluxgen's own schema compiles")
    })
}

pub(super) fn schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(validation_schema)
}

fn structural_errors(root: &Node) -> Vec<ConfigError> {
    if !matches!(root.value, NodeValue::Map(_)) {
        return vec![ConfigError {
            at: root.at,
            key: String::new(),
            message: format!(
                "expected a mapping with `repository`, `defaults` and `clusters`, found {}",
                root.type_name()
            ),
        }];
    }
    let instance = root.to_json();
    if conformance::conforms_to_validation_schema(&instance) {
        return Vec::new();
    }
    validator()
        .iter_errors(&instance)
        .flat_map(|error| describe(root, &error))
        .collect()
}

/// Segments of a JSON pointer, unescaped.
fn segments(pointer: &str) -> Vec<String> {
    pointer
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// A dotted key path (`clusters.edge.tuning.patches[0]`) for pointer segments.
fn key_path(root: &Node, segments: &[String]) -> String {
    let mut path = String::new();
    let mut node = Some(root);
    for segment in segments {
        match node.map(|n| &n.value) {
            Some(NodeValue::Seq(_)) => path.push_str(&format!("[{segment}]")),
            _ => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(segment);
            }
        }
        node = node.and_then(|n| n.at_path([segment.as_str()]));
    }
    path
}

/// Whether values at this key path may be secret, so messages must not repeat them.
fn sensitive(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["token", "secret", "password", "key", "substitutefrom"]
        .iter()
        .any(|word| key.contains(word))
}

fn describe(root: &Node, error: &ValidationError<'_>) -> Vec<ConfigError> {
    let segs = segments(error.instance_path().as_str());
    let node = root.at_path(segs.iter().map(String::as_str));
    let at = node.map_or(root.at, |n| n.at);
    let key = key_path(root, &segs);
    let shown = |value: &Value| -> String {
        if sensitive(&key) {
            "the value (not shown)".to_owned()
        } else {
            match value {
                Value::String(s) => crate::url::quoted(s),
                other => crate::url::quoted(&other.to_string()),
            }
        }
    };
    let schema_segs = segments(error.schema_path().as_str());
    let schema_at = |drop: usize| -> Option<&'static Value> {
        let mut here = schema();
        for segment in &schema_segs[..schema_segs.len().saturating_sub(drop)] {
            here = match here {
                Value::Object(map) => map.get(segment)?,
                Value::Array(items) => items.get(segment.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(here)
    };
    let one = |at: Position, key: String, message: String| vec![ConfigError { at, key, message }];
    match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let known: Vec<String> = schema_at(1)
                .and_then(|s| s.get("properties"))
                .and_then(Value::as_object)
                .map(|p| p.keys().cloned().collect())
                .unwrap_or_default();
            unexpected
                .iter()
                .map(|name| {
                    let key_at = node.and_then(|n| n.entry(name)).map_or(at, |(k, _)| k.at);
                    let full = if key.is_empty() {
                        name.clone()
                    } else {
                        format!("{key}.{name}")
                    };
                    let mut message = format!("unknown key {}", crate::url::quoted(name));
                    match did_you_mean(name, &known) {
                        Some(best) => message.push_str(&format!(": did you mean `{best}`?")),
                        None if !known.is_empty() => message.push_str(&format!(" (known keys: {})", known.join(", "))),
                        None => {}
                    }
                    ConfigError {
                        at: key_at,
                        key: full,
                        message,
                    }
                })
                .collect()
        }
        ValidationErrorKind::Type { .. } => {
            let expected = schema_at(1).map(type_phrase).unwrap_or("another type");
            let found = node.map_or("nothing", Node::type_name);
            let message = if key.ends_with("webhook.token") {
                format!(
                    "expected a reference (`externalSecret: {{store, key, property}}` or `secret: <name>`), found {found}: \
                     a plaintext token is never accepted (the value is not shown)"
                )
            } else {
                format!("expected {expected}, found {found}")
            };
            one(at, key, message)
        }
        ValidationErrorKind::Pattern { pattern } => {
            // Every pattern of the schema is one of the table's, found by its expression.
            let message = match crate::patterns::Pattern::of_regex(pattern) {
                Some(rule) => rule.complaint(&shown(error.instance())),
                None => format!("{} does not match the pattern {pattern}", shown(error.instance())),
            };
            one(at, key, message)
        }
        ValidationErrorKind::Enum { options } => {
            let allowed: Vec<String> = options
                .as_array()
                .map(|o| {
                    o.iter()
                        .map(|v| v.as_str().map_or(v.to_string(), str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            let value = error.instance().as_str().unwrap_or_default();
            let mut message = format!("{} is not one of {}", shown(error.instance()), allowed.join(", "));
            if let Some(best) = did_you_mean(value, &allowed) {
                message.push_str(&format!(": did you mean `{best}`?"));
            }
            one(at, key, message)
        }
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            one(at, key, format!("missing required key `{name}`"))
        }
        ValidationErrorKind::PropertyNames { error: inner } => {
            let name = inner.instance().as_str().unwrap_or_default().to_owned();
            let key_at = node.and_then(|n| n.entry(&name)).map_or(at, |(k, _)| k.at);
            if key != "clusters" {
                // A map keyed by controller (`featureGates`, `resources`, `workers: {..}`).
                let known: Vec<String> = crate::Component::ALL.iter().map(|c| c.as_str().to_owned()).collect();
                let mut message = format!(
                    "{} is not a Flux controller: one of {}",
                    crate::url::quoted(&name),
                    known.join(", ")
                );
                if let Some(best) = did_you_mean(&name, &known) {
                    message.push_str(&format!(": did you mean `{best}`?"));
                }
                return one(key_at, format!("{key}.{name}"), message);
            }
            let reason = match crate::patterns::DNS_LABEL.check(&name) {
                Err(reason) => reason,
                Ok(()) => "is not a valid cluster name".to_owned(),
            };
            one(
                key_at,
                format!("{key}.{name}"),
                format!("invalid cluster name: {reason} (a cluster name becomes a directory name)"),
            )
        }
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            // Pick the alternative the value was meant for: the one that does not fail on the
            // value's own type; when every one does, say which types are accepted.
            let here = error.instance_path().as_str();
            let fits = |branch: &&Vec<ValidationError<'static>>| {
                !branch
                    .iter()
                    .any(|e| e.instance_path().as_str() == here && matches!(e.kind(), ValidationErrorKind::Type { .. }))
            };
            match context.iter().find(fits) {
                Some(branch) => branch.iter().flat_map(|e| describe(root, e)).collect(),
                None => {
                    let alternatives = schema_at(0)
                        .and_then(Value::as_array)
                        .map_or_else(Vec::new, |branches| {
                            branches.iter().map(type_phrase).collect::<Vec<_>>()
                        });
                    let found = node.map_or("nothing", Node::type_name);
                    one(
                        at,
                        key,
                        format!("expected {}, found {found}", alternatives.join(" or ")),
                    )
                }
            }
        }
        ValidationErrorKind::Maximum { limit } => one(at, key, format!("must be at most {limit}")),
        ValidationErrorKind::Minimum { limit } => one(at, key, format!("must be at least {limit}")),
        ValidationErrorKind::MinLength { .. } => one(at, key, "must not be empty".to_owned()),
        ValidationErrorKind::MaxLength { limit } => one(at, key, format!("is longer than {limit} characters")),
        ValidationErrorKind::MinItems { limit } => one(at, key, format!("must have at least {limit} item(s)")),
        ValidationErrorKind::MinProperties { .. } => one(at, key, "must define at least one entry".to_owned()),
        ValidationErrorKind::UniqueItems => one(at, key, "lists the same item twice".to_owned()),
        _ => one(at, key, error.masked().to_string()),
    }
}

fn type_phrase(schema: &Value) -> &'static str {
    match schema.get("type").and_then(Value::as_str) {
        Some("object") => "a mapping",
        Some("array") => "a list",
        Some("string") => "a string",
        Some("boolean") => "true or false",
        Some("integer") => "an integer",
        Some("number") => "a number",
        _ => "another type",
    }
}

use crate::suggest::did_you_mean;

/// Builds the typed config from a structurally valid tree, adding semantic errors to `errors`.
fn assemble(root: &Node, origin: Origin, options: &LoadOptions, errors: &mut Vec<ConfigError>) -> Config {
    let empty = Node {
        at: root.at,
        value: NodeValue::Map(Vec::new()),
    };
    let repository_node = root.get("repository").unwrap_or(&empty);
    let repository: RepositorySettings =
        serde_json::from_value(repository_node.to_json()).expect("the schema checked `repository`");
    if repository.branch.is_some() && repository.reference.is_some() {
        let at = repository_node.get("ref").map_or(repository_node.at, |n| n.at);
        errors.push(ConfigError {
            at,
            key: "repository.ref".into(),
            message: "set `branch` or `ref`, not both".into(),
        });
    }
    super::value_kinds::check_repository(repository_node, errors);
    let repository = Repository {
        url: repository.url,
        reference: repository
            .reference
            .unwrap_or_else(|| format!("refs/heads/{}", repository.branch.as_deref().unwrap_or("main"))),
        pull_secret: repository.pull_secret,
    };

    let defaults = root.get("defaults").unwrap_or(&empty);
    let mut clusters = BTreeMap::new();
    if let Some(NodeValue::Map(entries)) = root.get("clusters").map(|n| &n.value) {
        // Each cluster on its own: on every core for a config of many.
        let each = crate::parallel::map_with(entries, Option::default, |passed, (key, entry)| {
            let mut own_errors = Vec::new();
            let cluster = cluster(key, entry, defaults, &origin, passed, &mut own_errors);
            Ok::<_, std::convert::Infallible>((cluster, own_errors))
        });
        let Ok(each) = each;
        for (cluster, own_errors) in each {
            errors.extend(own_errors);
            if let Some(cluster) = cluster {
                clusters.insert(cluster.name.clone(), cluster);
            }
        }
    }

    let rollout: Vec<String> = root
        .get("rollout")
        .filter(|n| n.value != NodeValue::Null)
        .map(|n| serde_json::from_value(n.to_json()).expect("the schema checked `rollout`"))
        .unwrap_or_default();
    check_rollout(root, &rollout, &clusters, options, errors);
    super::cluster_paths::check(root, &clusters, errors);
    check_stand_in_url(repository_node, &repository, &clusters, errors);
    Config {
        origin,
        repository,
        clusters,
        rollout,
        checked: super::checked::Checked::default(),
    }
}

/// One cluster's settings: its entry merged over `defaults`, read, expanded and checked.
/// `None` when the merged settings do not read (the error is in `errors`). `passed` holds the
/// last tunings found to lower without a conflict (clusters mostly share theirs).
fn cluster(
    key: &Key,
    entry: &Node,
    defaults: &Node,
    origin: &Origin,
    passed: &mut Option<Vec<Tuning>>,
    errors: &mut Vec<ConfigError>,
) -> Option<Cluster> {
    let mut own = entry.clone();
    let mut phase = Phase::default();
    if let NodeValue::Map(fields) = &mut own.value
        && let Some(index) = fields.iter().position(|(k, _)| k.name == "phase")
    {
        let (_, node) = fields.remove(index);
        // `phase: ~` is a phase not set, as any key set to null.
        if node.value != NodeValue::Null {
            phase = serde_json::from_value(node.to_json()).expect("the schema checked `phase`");
        }
    }
    let merged = defaults.merged(&own);
    let merged_json = merged.to_json();
    let place = Place {
        defaults,
        entry,
        cluster: &key.name,
        fallback: key.at,
    };
    let mut settings = match Settings::deserialize(readable(&merged_json, &place, errors).as_ref()) {
        Ok(settings) => settings,
        Err(error) => {
            errors.push(ConfigError {
                at: key.at,
                key: format!("clusters.{}", key.name),
                message: error.to_string(),
            });
            return None;
        }
    };
    // In a patch `null` deletes a key: read the overrides apart, keeping their `null`s.
    if let Some(NodeValue::Seq(items)) = merged.get("overrides").map(|n| &n.value) {
        settings.overrides = read_overrides(items, &place, errors);
    }
    expand(&mut settings, &key.name);
    check_settings(&settings, &place, passed, errors);
    super::value_kinds::check_credentials(&merged_json, &mut Vec::new(), &mut |keys, message| {
        errors.push(place.error(keys, message));
    });
    let override_places = (0..settings.overrides.len())
        .map(|index| {
            let at = place.error(&["overrides", &index.to_string()], String::new());
            format!("{origin}:{}:{}: {}", at.at.line, at.at.column, at.key)
        })
        .collect();
    Some(Cluster {
        name: key.name.clone(),
        phase,
        settings,
        override_places,
    })
}

/// The merged settings as the typed settings read them: without `overrides` (read apart, with
/// their `null`s) and with a token that sets both sources reported here, at its key, and read
/// as its ExternalSecret so that the other checks still run.
fn readable<'a>(merged: &'a Value, place: &Place<'_>, errors: &mut Vec<ConfigError>) -> std::borrow::Cow<'a, Value> {
    let both =
        merged.pointer("/webhook/token/externalSecret").is_some() && merged.pointer("/webhook/token/secret").is_some();
    if !both && merged.get("overrides").is_none() {
        return std::borrow::Cow::Borrowed(merged);
    }
    let mut copy = merged.clone();
    if let Some(fields) = copy.as_object_mut() {
        fields.remove("overrides");
    }
    if both {
        errors.push(place.error(&["webhook", "token"], super::settings::TOKEN_BOTH.into()));
        if let Some(token) = copy.pointer_mut("/webhook/token").and_then(Value::as_object_mut) {
            token.remove("secret");
        }
    }
    std::borrow::Cow::Owned(copy)
}

/// Each override, read with its `null`s; one that sets no patch or more than one is reported at
/// its index and left out.
fn read_overrides(items: &[Node], place: &Place<'_>, errors: &mut Vec<ConfigError>) -> Vec<Override> {
    let mut overrides = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let index = index.to_string();
        let set: Vec<String> = OverridePatch::KEYS
            .into_iter()
            .filter(|name| item.get(name).is_some_and(|n| n.value != NodeValue::Null))
            .map(|name| format!("`{name}`"))
            .collect();
        if set.len() != 1 {
            let found = if set.is_empty() {
                "none is set".to_owned()
            } else {
                format!("found {}", set.join(" and "))
            };
            errors.push(place.error(
                &["overrides", &index],
                format!("set exactly one of `merge`, `json` or `strategic` ({found})"),
            ));
            continue;
        }
        match serde_json::from_value(item.to_json_with_nulls()) {
            Ok(read) => {
                check_override(&read, &index, place, errors);
                overrides.push(read);
            }
            Err(error) => errors.push(place.error(&["overrides", &index], error.to_string())),
        }
    }
    overrides
}

/// Where a cluster's merged keys came from, to point errors at the right line.
pub(super) struct Place<'a> {
    defaults: &'a Node,
    entry: &'a Node,
    cluster: &'a str,
    fallback: Position,
}

impl Place<'_> {
    /// An error about `keys`, placed at the deepest of those keys that is written in the
    /// cluster's entry or else in `defaults` (a setting may be inherited or missing).
    pub(super) fn error(&self, keys: &[&str], message: String) -> ConfigError {
        for depth in (1..=keys.len()).rev() {
            let written = &keys[..depth];
            if let Some(node) = self.entry.at_path(written.iter().copied()) {
                let key = format!("clusters.{}.{}", self.cluster, dotted(keys));
                return ConfigError {
                    at: node.at,
                    key,
                    message,
                };
            }
            if let Some(node) = self.defaults.at_path(written.iter().copied()) {
                return ConfigError {
                    at: node.at,
                    key: format!("defaults.{}", dotted(keys)),
                    message,
                };
            }
        }
        ConfigError {
            at: self.fallback,
            key: format!("clusters.{}.{}", self.cluster, dotted(keys)),
            message,
        }
    }
}

/// Keys joined with `.`, list indexes as `[n]`: `overrides[0].json[1]`.
fn dotted(keys: &[&str]) -> String {
    let mut out = String::new();
    for key in keys {
        if !key.is_empty() && key.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str(&format!("[{key}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(key);
        }
    }
    out
}

fn expand(settings: &mut Settings, cluster: &str) {
    settings.path = settings.path.replace("{cluster}", cluster);
    settings.instance.sync.path = settings.instance.sync.path.replace("{cluster}", cluster);
}

fn check_settings(
    settings: &Settings,
    place: &Place<'_>,
    passed: &mut Option<Vec<Tuning>>,
    errors: &mut Vec<ConfigError>,
) {
    check_tuning(settings, place, passed, errors);
    super::value_kinds::check(settings, place, errors);
    super::versions::check_versions(settings, place, errors);
    for (keys, value) in [
        (&["path"][..], &settings.path),
        (&["instance", "sync", "path"][..], &settings.instance.sync.path),
    ] {
        // The sync may apply the whole repository, as `flux bootstrap --path=.` has it.
        let whole_repository = keys.first() == Some(&"instance") && value == "./";
        if !whole_repository && let Err(message) = check_relative_path(value) {
            errors.push(place.error(keys, message));
        }
    }
    if settings.webhook.provider.receiver_type().is_some() && settings.webhook.token.is_none() {
        errors.push(place.error(
            &["webhook", "token"],
            "a webhook needs a token: set `externalSecret: {store, key, property}` or `secret: <name>`".into(),
        ));
    }
    if settings.instance.mode == super::InstanceMode::Manifest && !settings.instance.chart_annotations.is_empty() {
        errors.push(place.error(
            &["instance", "chartAnnotations"],
            "`chartAnnotations` are values of the flux-instance chart: use `commonMetadata.annotations` in manifest mode"
                .into(),
        ));
    }
    if settings.instance.mode == super::InstanceMode::Helmrelease {
        for (field, set) in [
            ("wait", settings.instance.wait.is_some()),
            ("migrateResources", settings.instance.migrate_resources.is_some()),
        ] {
            if set {
                errors.push(place.error(
                    &["instance", field],
                    format!("`{field}` has no flux-instance chart value: use `mode: manifest` to set it"),
                ));
            }
        }
    }
    let intervals = [
        (&["apps", "interval"][..], &settings.apps.interval),
        (&["operator", "interval"][..], &settings.operator.interval),
        (&["operator", "chartInterval"][..], &settings.operator.chart_interval),
        (&["instance", "sync", "interval"][..], &settings.instance.sync.interval),
    ];
    for (keys, value) in intervals {
        if let Err(message) = value.check() {
            errors.push(place.error(keys, message));
        }
    }
}

/// Tuning keys name enabled controllers and the feature gates they know; the tunings must
/// lower without conflicts (checked without rendering the patches: `lower` fails only there).
fn check_tuning(
    settings: &Settings,
    place: &Place<'_>,
    passed: &mut Option<Vec<Tuning>>,
    errors: &mut Vec<ConfigError>,
) {
    let components = crate::emit::components(settings);
    let tuning = &settings.tuning;
    let mut named: Vec<(&str, Component)> = Vec::new();
    for (key, value) in [("workers", tuning.workers.as_ref().map(PerController::controllers))]
        .into_iter()
        .chain([(
            "requeueDependency",
            tuning.requeue_dependency.as_ref().map(PerController::controllers),
        )])
        .chain([(
            "memoryLimit",
            tuning.memory_limit.as_ref().map(PerController::controllers),
        )])
        .chain([("logLevel", tuning.log_level.as_ref().map(PerController::controllers))])
    {
        named.extend(value.unwrap_or_default().into_iter().map(|c| (key, c)));
    }
    named.extend(tuning.resources.keys().map(|c| ("resources", *c)));
    named.extend(tuning.feature_gates.keys().map(|c| ("featureGates", *c)));
    for (key, controller) in named {
        if !components.contains(&controller) {
            errors.push(place.error(
                &["tuning", key, controller.as_str()],
                format!("{controller} is not among `instance.components`, so there is nothing to tune"),
            ));
        }
    }
    let release = crate::facts::resolve_version(&settings.instance.distribution.version).release;
    for (controller, gates) in &tuning.feature_gates {
        for gate in gates.keys() {
            if let Some(message) = super::versions::gate_problem(release, *controller, gate) {
                errors.push(place.error(&["tuning", "featureGates", controller.as_str(), gate], message));
            }
        }
    }
    let tunings = tuning.tunings(&components);
    for tuning in &tunings {
        if matches!(tuning, Tuning::Custom(_) | Tuning::FeatureGate { .. }) {
            continue;
        }
        for setting in crate::tuning::settings_of(tuning) {
            if setting.flag != "--feature-gates"
                && crate::facts::accepts_flag(setting.controller, &setting.flag)
                && !release.accepts_flag(setting.controller, &setting.flag)
            {
                errors.push(place.error(
                    &["tuning", tuning.key()],
                    format!(
                        "{} {} has no `{}` (Flux {}, which `instance.distribution.version` pins); it would refuse to start",
                        setting.controller,
                        release.controller(setting.controller).map_or("", |c| c.version()),
                        setting.flag,
                        release.version,
                    ),
                ));
            }
        }
    }
    if !errors.is_empty() {
        return;
    }
    if passed.as_ref() == Some(&tunings) {
        return;
    }
    match crate::tuning::check_tunings(&tunings) {
        Ok(()) => *passed = Some(tunings),
        Err(error) => errors.push(place.error(&["tuning"], error.to_string())),
    }
}

/// Each override's patch is one fluxgen can apply as `kubectl kustomize` would, and its file a
/// path below the cluster's directory.
fn check_override(item: &Override, index: &str, place: &Place<'_>, errors: &mut Vec<ConfigError>) {
    if let Some(file) = &item.target.file
        && check_relative_path(file).is_err()
    {
        errors.push(place.error(
            &["overrides", index, "target", "file"],
            format!(
                "{} must be a path relative to the cluster's directory, e.g. `flux-instance/app/helmrelease.yaml`",
                crate::url::quoted(file)
            ),
        ));
    }
    match &item.patch {
        OverridePatch::Merge(patch) => {
            if let Err(message) = crate::overrides::check_merge(patch) {
                errors.push(place.error(&["overrides", index, "merge"], message));
            }
        }
        OverridePatch::Json(operations) => {
            for (position, operation) in operations.iter().enumerate() {
                if let Err(message) = crate::overrides::check_operation(operation) {
                    errors.push(place.error(&["overrides", index, "json", &position.to_string()], message));
                }
            }
        }
        OverridePatch::Strategic(patch) => {
            if let Err(message) = crate::overrides::check_strategic(patch) {
                errors.push(place.error(&["overrides", index, "strategic"], message));
            }
        }
    }
}

use crate::emit::check_relative_path;

/// The stand-in URL `fluxgen import` writes where the repository states none (placeholder
/// gotk files) may stay while every cluster is at `prepare` or `operator`: from `instance` on
/// the FluxInstance would point the adopted GitRepository at it.
fn check_stand_in_url(
    node: &Node,
    repository: &Repository,
    clusters: &BTreeMap<String, Cluster>,
    errors: &mut Vec<ConfigError>,
) {
    if repository.url != super::STAND_IN_URL {
        return;
    }
    let syncing: Vec<&str> = clusters
        .values()
        .filter(|c| c.phase >= Phase::Instance)
        .map(|c| c.name.as_str())
        .collect();
    if syncing.is_empty() {
        return;
    }
    errors.push(ConfigError {
        at: node.get("url").map_or(node.at, |n| n.at),
        key: "repository.url".into(),
        message: format!(
            "`{}` is the stand-in `fluxgen import` wrote (the repository did not say its URL): set the URL the \
             clusters sync from before phase `instance` ({} would sync from it)",
            repository.url,
            syncing.join(", ")
        ),
    });
}

fn check_rollout(
    root: &Node,
    rollout: &[String],
    clusters: &BTreeMap<String, Cluster>,
    options: &LoadOptions,
    errors: &mut Vec<ConfigError>,
) {
    let rollout_node = root.get("rollout");
    let known: Vec<String> = clusters.keys().cloned().collect();
    let mut previous: Option<&Cluster> = None;
    for (index, name) in rollout.iter().enumerate() {
        let at = rollout_node
            .and_then(|n| n.at_path([index.to_string().as_str()]))
            .map_or(root.at, |n| n.at);
        let Some(cluster) = clusters.get(name) else {
            let mut message = format!("{} is not a cluster of this file", crate::url::quoted(name));
            match did_you_mean(name, &known) {
                Some(best) => message.push_str(&format!(": did you mean `{best}`?")),
                None => message.push_str(&format!(" (clusters: {})", known.join(", "))),
            }
            errors.push(ConfigError {
                at,
                key: format!("rollout[{index}]"),
                message,
            });
            continue;
        };
        if let Some(before) = previous
            && cluster.phase > before.phase
            && !options.allow_out_of_order
        {
            let phase_at = root.at_path(["clusters", name.as_str(), "phase"]).map_or(at, |n| n.at);
            errors.push(ConfigError {
                at: phase_at,
                key: format!("clusters.{name}.phase"),
                message: format!(
                    "`{name}` is at phase `{}` but `{}`, before it in `rollout`, is only at `{}`: clusters \
                     migrate one at a time, in `rollout` order, the first (edge) cluster leading. List `{name}` \
                     before `{}` in `rollout` if it is the one to go first, or pass --allow-out-of-order",
                    cluster.phase, before.name, before.phase, before.name
                ),
            });
        }
        previous = Some(cluster);
    }
}
