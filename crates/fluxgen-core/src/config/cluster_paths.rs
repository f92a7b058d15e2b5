//! Clusters' directories must not meet: two clusters with the same `path` would overwrite each
//! other's files on every run and never converge, and a `path` inside another cluster's app
//! directory would have its files removed as stale by the other cluster's run.

use std::collections::BTreeMap;

use super::Cluster;
use super::diagnostic::ConfigError;
use crate::url::quoted;
use crate::yaml::Node;

/// The app directories fluxgen owns below a cluster's `path`.
const APP_DIRS: [&str; 2] = ["flux-operator", "flux-instance"];

/// Checks every pair of clusters.
pub(super) fn check(root: &Node, clusters: &BTreeMap<String, Cluster>, errors: &mut Vec<ConfigError>) {
    let at = |name: &str| {
        root.at_path(["clusters", name, "path"])
            .or_else(|| root.at_path(["clusters", name]))
            .map_or(root.at, |n| n.at)
    };
    let paths: Vec<(&str, &str)> = clusters
        .values()
        .map(|c| (c.name.as_str(), c.settings.path.trim_end_matches('/')))
        .collect();
    for (index, &(name, path)) in paths.iter().enumerate() {
        for &(other, other_path) in &paths[..index] {
            if path == other_path {
                errors.push(ConfigError {
                    at: at(name),
                    key: format!("clusters.{name}.path"),
                    message: format!(
                        "{} is also the path of cluster `{other}`: each cluster needs its own directory (use \
                         `{{cluster}}` in `defaults.path`)",
                        quoted(path)
                    ),
                });
                continue;
            }
            for (inner, inner_path, outer, outer_path) in
                [(name, path, other, other_path), (other, other_path, name, path)]
            {
                let nested = APP_DIRS.iter().any(|app| {
                    let app_dir = format!("{outer_path}/{app}");
                    inner_path == app_dir || inner_path.starts_with(&format!("{app_dir}/"))
                });
                if nested {
                    errors.push(ConfigError {
                        at: at(inner),
                        key: format!("clusters.{inner}.path"),
                        message: format!(
                            "{} is inside the app directory of cluster `{outer}` ({}): that cluster's runs would \
                             remove its files as no longer generated; choose a directory outside it",
                            quoted(inner_path),
                            quoted(outer_path)
                        ),
                    });
                }
            }
        }
    }
}
