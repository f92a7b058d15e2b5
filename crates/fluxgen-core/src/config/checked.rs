//! Checking a [`Config`] however it was made: loaded from a file, built in code, or loaded and
//! then changed. The config is written out as the document a file would hold and checked by the
//! loader's own rules, so a config from code meets exactly the rules of a config from a file.
//! What a check passed is remembered (with its options), so that a config used unchanged is
//! not checked again.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value, json};

use super::{Cluster, Config, ConfigError, ConfigErrors, LoadOptions, Repository, load};
use crate::yaml::{Node, Position};

/// What the last successful check of a config saw, and with which options; empty until a check
/// passes. Compared, never shown: two configs with the same values are equal whatever their
/// checks.
#[derive(Debug, Default)]
pub(super) struct Checked(Mutex<Option<Arc<Seen>>>);

#[derive(Debug, PartialEq)]
struct Seen {
    repository: Repository,
    clusters: BTreeMap<String, Cluster>,
    rollout: Vec<String>,
    options: LoadOptions,
}

impl PartialEq for Checked {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Clone for Checked {
    fn clone(&self) -> Self {
        Self(Mutex::new(self.seen()))
    }
}

impl Checked {
    /// The state of a config that has just passed its checks with `options`.
    pub(super) fn of(config: &Config, options: &LoadOptions) -> Self {
        let checked = Self::default();
        checked.passed(config, options);
        checked
    }

    fn seen(&self) -> Option<Arc<Seen>> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    fn passed(&self, config: &Config, options: &LoadOptions) {
        let seen = Seen {
            repository: config.repository.clone(),
            clusters: config.clusters.clone(),
            rollout: config.rollout.clone(),
            options: options.clone(),
        };
        *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Arc::new(seen));
    }

    /// Whether `config` holds what passed, checked with `options` or stricter ones.
    fn covers(&self, config: &Config, options: &LoadOptions) -> bool {
        self.seen().is_some_and(|seen| {
            (!seen.options.allow_out_of_order || options.allow_out_of_order)
                && seen.repository == config.repository
                && seen.rollout == config.rollout
                && seen.clusters == config.clusters
        })
    }
}

/// Checks `config` before it is used: with the options of the check it passed (a config loaded
/// with `allow_out_of_order` keeps it), or the defaults for a config built in code.
pub(crate) fn validate_for_use(config: &Config) -> Result<(), ConfigErrors> {
    let options = config
        .checked
        .seen()
        .map(|seen| seen.options.clone())
        .unwrap_or_default();
    validate(config, &options)
}

/// Checks `config` with the rules of a file (see [`Config::validate`]).
pub(super) fn validate(config: &Config, options: &LoadOptions) -> Result<(), ConfigErrors> {
    if config.checked.covers(config, options) {
        return Ok(());
    }
    let mut errors = Vec::new();
    let mut clusters = Map::new();
    for (key, cluster) in &config.clusters {
        if cluster.name != *key {
            errors.push(ConfigError {
                at: Position::default(),
                key: format!("clusters.{key}.name"),
                message: format!(
                    "the cluster under `{key}` is named {}: a cluster's name is its key",
                    crate::url::quoted(&cluster.name)
                ),
            });
        }
        match serde_json::to_value(&cluster.settings) {
            Ok(Value::Object(mut entry)) => {
                entry.insert("phase".into(), cluster.phase.as_str().into());
                clusters.insert(key.clone(), Value::Object(entry));
            }
            Ok(_) => unreachable!("settings serialize as a mapping"),
            Err(error) => errors.push(ConfigError {
                at: Position::default(),
                key: format!("clusters.{key}"),
                message: format!("the settings cannot be written as YAML: {error}"),
            }),
        }
    }
    let mut whole = document(&config.repository, clusters, &config.rollout);
    match load::check_document(&Node::from_json(&whole), config.origin.clone(), options) {
        Ok(_) if errors.is_empty() => {
            config.checked.passed(config, options);
            return Ok(());
        }
        Ok(_) => {}
        Err(found) => {
            // A mistake in a value's shape stops the file's checks (see `load`): check each
            // cluster it does not name alone, so that every cluster's problems are reported.
            let named = |name: &str| {
                let prefix = format!("clusters.{name}");
                found
                    .errors
                    .iter()
                    .any(|e| e.key == prefix || e.key.starts_with(&format!("{prefix}.")))
            };
            let mut clusters = match whole.get_mut("clusters").map(Value::take) {
                Some(Value::Object(clusters)) => clusters,
                _ => Map::new(),
            };
            let quiet: Vec<String> = clusters.keys().filter(|name| !named(name)).cloned().collect();
            errors.extend(found.errors);
            for name in quiet {
                let alone: Map<String, Value> = clusters.remove_entry(&name).into_iter().collect();
                let rollout: Vec<String> = config.rollout.iter().filter(|n| **n == name).cloned().collect();
                let document = document(&config.repository, alone, &rollout);
                if let Err(found) = load::check_document(&Node::from_json(&document), config.origin.clone(), options) {
                    errors.extend(found.errors.into_iter().filter(|e| e.key.starts_with("clusters.")));
                }
            }
        }
    }
    Err(ConfigErrors {
        file: config.origin.to_string(),
        errors,
    })
}

/// The `fluxgen.yaml` document that loads as a config of `repository`, `clusters` (each
/// cluster's settings written out in full: merged and expanded, so no `defaults`) and
/// `rollout`.
fn document(repository: &Repository, clusters: Map<String, Value>, rollout: &[String]) -> Value {
    let mut source = Map::new();
    source.insert("url".into(), repository.url.clone().into());
    source.insert("ref".into(), repository.reference.clone().into());
    if let Some(secret) = &repository.pull_secret {
        source.insert("pullSecret".into(), secret.clone().into());
    }
    json!({ "repository": source, "clusters": clusters, "rollout": rollout })
}
