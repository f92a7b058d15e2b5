//! The kind of each free-text value of the config, checked before anything reaches output:
//! URLs without credentials, whitespace or control characters; one-line text where a value
//! becomes one line of a file or an argument of a controller. (Names are checked by the schema
//! as DNS names; text that reaches a file only through the YAML serializer may be any text.)
//! No message repeats a value that may be secret.

use super::Settings;
use super::diagnostic::ConfigError;
use super::load::Place;

/// Checks the URL and one-line values of one cluster's settings.
pub(super) fn check(settings: &Settings, place: &Place<'_>, errors: &mut Vec<ConfigError>) {
    let urls = [
        (&["schemaBaseUrl"][..], Some(settings.schema_base_url.as_str())),
        (
            &["instance", "distribution", "artifact"][..],
            settings.instance.distribution.artifact.as_deref(),
        ),
    ];
    for (keys, value) in urls {
        // Credentials are found by `check_credentials`, in every value.
        if let Some(value) = value
            && let Err(message) = crate::url::check_characters(value)
        {
            errors.push(place.error(keys, message));
        }
    }
    let sharding = settings.instance.sharding.as_ref();
    let token = settings
        .webhook
        .token
        .as_ref()
        .and_then(super::TokenSource::external_secret);
    let mut one_line: Vec<(Vec<String>, &str)> = vec![
        (
            keys(&["instance", "distribution", "registry"]),
            &settings.instance.distribution.registry,
        ),
        (
            keys(&["instance", "distribution", "version"]),
            &settings.instance.distribution.version,
        ),
    ];
    one_line.extend(
        [
            (
                &["instance", "cluster", "domain"][..],
                settings.instance.cluster.domain.as_deref(),
            ),
            (
                &["tuning", "watchConfigsSelector"][..],
                settings.tuning.watch_configs_selector.as_deref(),
            ),
            (
                &["instance", "sharding", "key"][..],
                sharding.and_then(|s| s.key.as_deref()),
            ),
            (
                &["instance", "storage", "class"][..],
                settings.instance.storage.as_ref().map(|s| s.class.as_str()),
            ),
            (
                &["webhook", "token", "externalSecret", "key"][..],
                token.map(|t| t.key.as_str()),
            ),
            (
                &["webhook", "token", "externalSecret", "property"][..],
                token.map(|t| t.property.as_str()),
            ),
        ]
        .into_iter()
        .filter_map(|(k, value)| Some((keys(k), value?))),
    );
    for (index, shard) in sharding
        .map(|s| s.shards.as_slice())
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        one_line.push((keys(&["instance", "sharding", "shards", &index.to_string()]), shard));
    }
    for (index, event) in settings.webhook.events.iter().flatten().enumerate() {
        one_line.push((keys(&["webhook", "events", &index.to_string()]), event));
    }
    for (keys, value) in one_line {
        if value.chars().any(char::is_control) || value.trim() != value {
            let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
            errors.push(
                place.error(
                    &keys,
                    "must be one line of text with no control characters and no leading or trailing space (the value \
                 is not shown)"
                        .to_owned(),
                ),
            );
        }
    }
}

/// Checks `repository`: its URL (every FluxInstance syncs from it) on one line, and no value
/// with credentials.
pub(super) fn check_repository(node: &crate::yaml::Node, errors: &mut Vec<ConfigError>) {
    let at = |keys: &[&str]| node.at_path(keys.iter().copied()).map_or(node.at, |n| n.at);
    if let Some(url) = node.get("url").and_then(crate::yaml::Node::as_str)
        && let Err(message) = crate::url::check_characters(url)
    {
        errors.push(ConfigError {
            at: at(&["url"]),
            key: "repository.url".to_owned(),
            message,
        });
    }
    check_credentials(&node.to_json(), &mut Vec::new(), &mut |keys, message| {
        errors.push(ConfigError {
            at: at(keys),
            key: format!("repository.{}", keys.join(".")),
            message,
        });
    });
}

/// Refuses every text value of `node` (a cluster's merged settings, or `repository`) that
/// holds a URL with credentials, wherever it is (a label, an annotation, a raw patch).
pub(super) fn check_credentials(
    node: &serde_json::Value,
    keys: &mut Vec<String>,
    report: &mut dyn FnMut(&[&str], String),
) {
    match node {
        serde_json::Value::String(text) if crate::url::text_has_credentials(text) => {
            let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
            report(
                &keys,
                "holds a URL with credentials in its user part (the value is not shown): everyone who can read the \
                 repository can read them, and fluxgen would write them into the generated files; remove them"
                    .to_owned(),
            );
        }
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                keys.push(key.clone());
                check_credentials(value, keys, report);
                keys.pop();
            }
        }
        serde_json::Value::Array(items) => {
            for (index, value) in items.iter().enumerate() {
                keys.push(index.to_string());
                check_credentials(value, keys, report);
                keys.pop();
            }
        }
        _ => {}
    }
}

fn keys(keys: &[&str]) -> Vec<String> {
    keys.iter().map(|&k| k.to_owned()).collect()
}
