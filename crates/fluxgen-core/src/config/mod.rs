//! `fluxgen.yaml`: one file describing every cluster of a repository.
//!
//! A file has `repository` (the Git source the FluxInstance syncs), `defaults` (settings every
//! cluster inherits), `clusters` (each with its migration `phase` and any settings that differ:
//! mappings merge deeply, lists replace) and `rollout` (the migration order, edge first).
//! `{cluster}` in `path` and `instance.sync.path` expands to the cluster's name.

mod checked;
mod cluster_paths;
mod conformance;
mod diagnostic;
mod file;
#[cfg(feature = "migration")]
mod layer;
mod load;
mod schema;
mod settings;
mod tuning;
mod value_kinds;
mod versions;

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use crate::yaml::Position;
pub(crate) use checked::validate_for_use;
pub use diagnostic::{ConfigError, ConfigErrors};
pub use file::write_config_file;
#[cfg(feature = "migration")]
pub(crate) use layer::factor;
pub use schema::config_schema;
pub use settings::*;
pub use tuning::*;

/// The file name fluxgen looks for in the current directory and its parents.
pub const CONFIG_FILE_NAME: &str = "fluxgen.yaml";

/// The built-in example: the two-cluster `haynes-ops` repository of the design (`main`, `edge`),
/// used when no config file exists and written by `fluxgen init`.
pub const EXAMPLE_CONFIG: &str = include_str!("example.yaml");

/// The comment above `operator.version` that the Renovate preset `renovate/fluxgen.json` reads:
/// the version is a tag of the operator chart, [`OPERATOR_CHART`](crate::facts::OPERATOR_CHART),
/// which Renovate looks up with its docker datasource. `fluxgen init` and `fluxgen import` write it.
pub const OPERATOR_RENOVATE_ANNOTATION: &str = concat!(
    "# renovate: datasource=docker depName=",
    crate::facts::operator_chart_path!()
);

/// The URL `fluxgen import` writes where a repository states none (placeholder gotk files, no
/// `origin` remote): no host answers it (`.invalid` is reserved, RFC 2606), and a config with it
/// is refused from phase `instance` on.
pub const STAND_IN_URL: &str = "ssh://git@git.invalid/set-repository-url";

/// A starting config for a repository in the layout `flux bootstrap` writes
/// (`clusters/<cluster>/flux-system/gotk-*.yaml`): the sync adopts `flux-system` at the
/// bootstrap path, and the apps go into each cluster's `flux-system` directory.
pub const EXAMPLE_BOOTSTRAP_CONFIG: &str = include_str!("example-flux-bootstrap.yaml");

/// How a configuration is loaded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// Accept a cluster at a later phase than one before it in `rollout`.
    pub allow_out_of_order: bool,
}

/// A configuration: loaded from a file and checked, or built (or changed) in code. Whatever
/// made it, [`plan`](crate::plan), [`write_clusters`](crate::write_clusters),
/// [`check_clusters`](crate::check_clusters), [`explain`](crate::explain()) and
/// [`runbook`](crate::runbook()) [check it](Config::validate) first, by the rules of a file.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Where the configuration came from.
    pub origin: Origin,
    /// The Git source.
    pub repository: Repository,
    /// Every cluster, by name, with its settings merged over `defaults` and `{cluster}` expanded.
    pub clusters: BTreeMap<String, Cluster>,
    /// The migration order.
    pub rollout: Vec<String>,
    /// What the last check passed, so that a config used unchanged is not checked again.
    checked: checked::Checked,
}

/// Where a configuration came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A file on disk.
    File(PathBuf),
    /// The built-in example.
    BuiltIn,
    /// Built in code by a program using the library.
    Code,
    /// YAML text that is not a file fluxgen reads (built by a tool, received from a service),
    /// by the name its messages give it: an error at line 3 of `Text("inventory".into())` is at
    /// `inventory:3:5`.
    Text(String),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File(path) => write!(f, "{}", path.display()),
            Origin::BuiltIn => f.write_str("<built-in example>"),
            Origin::Code => f.write_str("<config built in code>"),
            Origin::Text(name) => f.write_str(name),
        }
    }
}

/// The Git source every cluster's FluxInstance syncs from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Repository {
    /// Clone URL.
    pub url: String,
    /// Full Git ref, e.g. `refs/heads/main`.
    pub reference: String,
    /// Secret with the deploy key or token.
    pub pull_secret: Option<String>,
}

/// `repository` as written in the file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RepositorySettings {
    /// Clone URL, e.g. `ssh://git@github.com/example/haynes-ops`.
    #[schemars(pattern(crate::patterns::GIT_URL.regex))]
    pub url: String,
    /// Branch to sync (becomes `refs/heads/<branch>`); the default is `main`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub branch: Option<String>,
    /// A full ref instead of `branch`, e.g. `refs/tags/v1`.
    #[serde(default, rename = "ref", skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(crate::patterns::GIT_REF.regex))]
    pub reference: Option<String>,
    /// Name of the Secret with the deploy key or token (a reference, never the key itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(crate::patterns::DNS_SUBDOMAIN.regex), length(max = crate::patterns::DNS_SUBDOMAIN.max_length))]
    pub pull_secret: Option<String>,
}

/// One cluster of the repository.
#[derive(Clone, Debug, PartialEq)]
pub struct Cluster {
    /// The cluster's name (a DNS-1123 label).
    pub name: String,
    /// Where the cluster is in the migration.
    pub phase: Phase,
    /// Effective settings.
    pub settings: Settings,
    /// Where each of `settings.overrides` is written, as `file:line:column: key` with the key
    /// the user wrote (`defaults.overrides[0]` when inherited); empty for a cluster built in code.
    pub override_places: Vec<String>,
}

impl Cluster {
    /// A cluster built in code, with its settings in full (`{cluster}` already expanded).
    pub fn new(name: impl Into<String>, phase: Phase, settings: Settings) -> Self {
        Self {
            name: name.into(),
            phase,
            settings,
            override_places: Vec::new(),
        }
    }
}

pub use crate::suggest::suggest;

/// The migration phases of a cluster, in order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// Decide the wiring, check the External Secrets baseline; nothing is emitted.
    Prepare,
    /// Install the operator: `flux-operator/` is emitted.
    Operator,
    /// The FluxInstance takes over the controllers: `flux-instance/` is emitted too.
    #[default]
    Instance,
    /// Remove the bootstrap install.
    Cutover,
    /// Done; the next cluster of the rollout may start.
    Complete,
}

impl Phase {
    /// The phase as written in the file.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Prepare => "prepare",
            Phase::Operator => "operator",
            Phase::Instance => "instance",
            Phase::Cutover => "cutover",
            Phase::Complete => "complete",
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Config {
    /// Loads and checks a configuration from YAML text, reporting every error of the file.
    ///
    /// ```
    /// let config = fluxgen_core::Config::from_yaml(fluxgen_core::config::EXAMPLE_CONFIG, fluxgen_core::Origin::BuiltIn).unwrap();
    /// assert_eq!(config.cluster("edge").unwrap().settings.path, "kubernetes/edge/apps/flux-system");
    /// ```
    pub fn from_yaml(text: &str, origin: Origin) -> Result<Self, ConfigErrors> {
        load::load(text, origin, &LoadOptions::default())
    }

    /// Like [`Config::from_yaml`], with options.
    ///
    /// ```
    /// use fluxgen_core::{Config, LoadOptions, Origin};
    /// let text = "repository: { url: ssh://git@github.com/x/y }\n\
    ///             clusters: { edge: { phase: prepare }, main: { phase: operator } }\n\
    ///             rollout: [edge, main]\n";
    /// let origin = Origin::Text("rollout".to_owned());
    /// let error = Config::from_yaml(text, origin.clone()).unwrap_err();
    /// assert!(error.to_string().starts_with("rollout:"), "{error}");
    /// let options = LoadOptions { allow_out_of_order: true };
    /// assert!(Config::from_yaml_with(text, origin, &options).is_ok());
    /// ```
    pub fn from_yaml_with(text: &str, origin: Origin, options: &LoadOptions) -> Result<Self, ConfigErrors> {
        load::load(text, origin, options)
    }

    /// An empty configuration (no clusters yet) syncing from `repository`, to fill in code.
    ///
    /// ```
    /// use fluxgen_core::config::{Cluster, Repository, Settings};
    /// use fluxgen_core::{Config, Origin, Phase};
    ///
    /// let repository = Repository {
    ///     url: "ssh://git@github.com/example/fleet".into(),
    ///     reference: "refs/heads/main".into(),
    ///     pull_secret: None,
    /// };
    /// let mut config = Config::new(Origin::Code, repository);
    /// let settings = Settings {
    ///     path: "kubernetes/edge/apps/flux-system".into(),
    ///     namespace: "Not_A_Namespace".into(),
    ///     ..Settings::default()
    /// };
    /// config.clusters.insert("edge".into(), Cluster::new("edge", Phase::Instance, settings));
    /// let errors = config.validate().unwrap_err();
    /// assert_eq!(errors.errors[0].key, "clusters.edge.namespace");
    /// assert!(fluxgen_core::plan(&config, "edge").is_err());
    /// ```
    pub fn new(origin: Origin, repository: Repository) -> Self {
        Self {
            origin,
            repository,
            clusters: BTreeMap::new(),
            rollout: Vec::new(),
            checked: checked::Checked::default(),
        }
    }

    /// Checks the configuration by the rules a file is loaded with, whatever made it: every
    /// problem, each with its key path (`clusters.edge.namespace`). A config loaded from a file
    /// and not changed since passes at once.
    pub fn validate(&self) -> Result<(), ConfigErrors> {
        checked::validate(self, &LoadOptions::default())
    }

    /// Like [`Config::validate`], with options (a cluster may lead the rollout out of order).
    /// The calls that use the config afterwards keep these options while it is unchanged.
    pub fn validate_with(&self, options: &LoadOptions) -> Result<(), ConfigErrors> {
        checked::validate(self, options)
    }

    /// The built-in example configuration.
    pub fn example() -> Self {
        Self::from_yaml(EXAMPLE_CONFIG, Origin::BuiltIn).expect("the built-in example is valid")
    }

    /// A cluster by name.
    pub fn cluster(&self, name: &str) -> Option<&Cluster> {
        self.clusters.get(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flux_bootstrap_example_loads_and_adopts_flux_system_at_the_bootstrap_path() {
        let config = Config::from_yaml(EXAMPLE_BOOTSTRAP_CONFIG, Origin::BuiltIn).expect("valid");
        let staging = config.cluster("staging").expect("staging");
        assert_eq!(staging.settings.instance.sync.name, "flux-system");
        assert_eq!(staging.settings.instance.sync.path, "clusters/staging");
        assert_eq!(staging.settings.path, "clusters/staging/flux-system");
    }

    /// Names follow Kubernetes' DNS-1123 subdomain (no empty or `-`-edged part between dots)
    /// and quantities Kubernetes' grammar, the same for every field of the kind.
    #[test]
    fn names_and_quantities_are_checked_as_kubernetes_checks_them() {
        let with = |from: &str, to: &str| {
            assert!(EXAMPLE_CONFIG.contains(from), "{from}");
            Config::from_yaml(&EXAMPLE_CONFIG.replacen(from, to, 1), Origin::BuiltIn)
        };
        for name in ["github..deploy-key", "github.-deploy-key", "github-.deploy-key"] {
            let errors = with("pullSecret: github-deploy-key", &format!("pullSecret: {name}")).unwrap_err();
            assert!(errors.to_string().contains("is not a DNS-1123 name"), "{errors}");
        }
        assert!(with("pullSecret: github-deploy-key", "pullSecret: github.deploy-key").is_ok());
        for quantity in ["1.5Gi", "1e9", "2048M", ".5Gi"] {
            let loaded = with("memoryLimit: 2Gi", &format!("memoryLimit: \"{quantity}\""));
            assert!(loaded.is_ok(), "{quantity}: {:?}", loaded.err());
        }
        for quantity in ["-1Gi", "2GB", "1e3Mi"] {
            let errors = with("memoryLimit: 2Gi", &format!("memoryLimit: \"{quantity}\"")).unwrap_err();
            assert!(errors.to_string().contains("is not a Kubernetes quantity"), "{errors}");
        }
    }
}
