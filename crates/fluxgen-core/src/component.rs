//! The Flux controllers a FluxInstance can run.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A Flux controller (a FluxInstance `component`), named as in its Deployment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "generator", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Component {
    /// Fetches Git, OCI, Helm and bucket sources.
    SourceController,
    /// Applies Flux Kustomizations.
    KustomizeController,
    /// Reconciles HelmReleases.
    HelmController,
    /// Alerts, providers and webhook receivers.
    NotificationController,
    /// Scans image registries.
    ImageReflectorController,
    /// Commits image updates to Git.
    ImageAutomationController,
    /// Builds artifacts from other sources.
    SourceWatcher,
}

impl Component {
    /// Every component, in the CRD's order.
    pub const ALL: [Component; 7] = [
        Component::SourceController,
        Component::KustomizeController,
        Component::HelmController,
        Component::NotificationController,
        Component::ImageReflectorController,
        Component::ImageAutomationController,
        Component::SourceWatcher,
    ];

    /// The four controllers a FluxInstance runs by default.
    pub const DEFAULTS: [Component; 4] = [
        Component::SourceController,
        Component::KustomizeController,
        Component::HelmController,
        Component::NotificationController,
    ];

    /// The controllers that scale with the objects they reconcile, the ones a value for "the
    /// usual controllers" (`workers`, `requeueDependency`, `kubeApiLimits`, `memoryLimit`)
    /// applies to: those whose concurrency the operator's size profiles raise
    /// (controlplaneio-fluxcd/flux-operator `internal/builder/profiles.go`).
    pub const SCALING: [Component; 3] = [
        Component::SourceController,
        Component::KustomizeController,
        Component::HelmController,
    ];

    /// The Deployment (and component) name.
    pub fn as_str(self) -> &'static str {
        match self {
            Component::SourceController => "source-controller",
            Component::KustomizeController => "kustomize-controller",
            Component::HelmController => "helm-controller",
            Component::NotificationController => "notification-controller",
            Component::ImageReflectorController => "image-reflector-controller",
            Component::ImageAutomationController => "image-automation-controller",
            Component::SourceWatcher => "source-watcher",
        }
    }

    /// A kustomize patch target name for one or more controllers: the name itself, or
    /// `(a|b|c)` as the operator's regex targets expect.
    ///
    /// ```
    /// use fluxgen_core::Component;
    /// assert_eq!(Component::target_name(&[Component::HelmController]), "helm-controller");
    /// assert_eq!(
    ///     Component::target_name(&[Component::KustomizeController, Component::HelmController]),
    ///     "(kustomize-controller|helm-controller)"
    /// );
    /// ```
    pub fn target_name(components: &[Component]) -> String {
        match components {
            [one] => one.as_str().to_owned(),
            many => format!("({})", many.iter().map(|c| c.as_str()).collect::<Vec<_>>().join("|")),
        }
    }
}

impl fmt::Display for Component {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Component {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Component::ALL.into_iter().find(|c| c.as_str() == name).ok_or_else(|| {
            let known: Vec<String> = Component::ALL.iter().map(|c| c.as_str().to_owned()).collect();
            format!(
                "`{name}` is not a Flux component: {}",
                crate::suggest::suggest(name, &known, "the components are")
            )
        })
    }
}
