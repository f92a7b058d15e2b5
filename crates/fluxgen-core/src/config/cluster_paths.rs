//! Clusters' directories must not meet: two clusters with the same `path` would overwrite each
//! other's files on every run and never converge, and a `path` inside another cluster's app
//! directory would have its files removed as stale by the other cluster's run.

use std::collections::BTreeMap;

use super::Cluster;
use super::diagnostic::ConfigError;
use crate::emit::APP_DIRS;
use crate::url::quoted;
use crate::yaml::Node;

/// Checks every pair of clusters, in O(n log n): paths by their text, sorted, so that the paths
/// inside a directory are one range of them.
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
    // Each path with the clusters that have it, by name.
    let mut by_path: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for &(name, path) in &paths {
        by_path.entry(path).or_default().push(name);
    }
    for (path, names) in &by_path {
        for name in &names[1..] {
            errors.push(ConfigError {
                at: at(name),
                key: format!("clusters.{name}.path"),
                message: format!(
                    "{} is also the path of cluster `{}`: each cluster needs its own directory (use \
                     `{{cluster}}` in `defaults.path`)",
                    quoted(path),
                    names[0]
                ),
            });
        }
    }
    for &(outer, outer_path) in &paths {
        for app in APP_DIRS {
            let app_dir = format!("{outer_path}/{app}");
            let below = format!("{app_dir}/");
            let inside = by_path
                .range(app_dir.as_str()..)
                .take_while(|(path, _)| path.starts_with(&app_dir))
                .filter(|(path, _)| **path == app_dir || path.starts_with(&below));
            for (inner_path, names) in inside {
                for inner in names {
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

#[cfg(test)]
mod tests {
    use crate::{Config, Origin};

    /// The errors of a config whose clusters have these paths.
    fn errors(paths: &[(&str, &str)]) -> Vec<String> {
        let mut text = String::from("repository: { url: ssh://git@github.com/example/ops }\nclusters:\n");
        for (name, path) in paths {
            text.push_str(&format!("  {name}: {{ phase: instance, path: {path} }}\n"));
        }
        match Config::from_yaml(&text, Origin::File("fluxgen.yaml".into())) {
            Ok(_) => Vec::new(),
            Err(errors) => errors
                .errors
                .iter()
                .map(|e| format!("{}: {}", e.key, e.message))
                .collect(),
        }
    }

    #[test]
    fn clusters_sharing_a_path_or_nested_in_an_app_directory_are_refused_and_neighbours_are_not() {
        assert!(
            errors(&[
                ("a", "k/a/apps"),
                ("b", "k/b/apps"),
                ("c", "k/a/apps/flux-operator-extra")
            ])
            .is_empty()
        );
        let shared = errors(&[("a", "k/x"), ("b", "k/x"), ("c", "k/x")]);
        assert_eq!(shared.len(), 2, "{shared:?}");
        assert!(
            shared.iter().all(|e| e.contains("also the path of cluster `a`")),
            "{shared:?}"
        );
        let nested = errors(&[
            ("a", "k/a"),
            ("b", "k/a/flux-instance"),
            ("c", "k/a/flux-operator/deeper"),
        ]);
        assert_eq!(nested.len(), 2, "{nested:?}");
        assert!(nested[0].starts_with("clusters.b.path") && nested[0].contains("app directory of cluster `a`"));
        assert!(nested[1].starts_with("clusters.c.path") && nested[1].contains("app directory of cluster `a`"));
    }
}
